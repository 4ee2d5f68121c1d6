//! End-to-end tests: the real server on port 0 spoken to over TCP, the demo data, and the
//! architecture invariants of the workspace (checked by scanning the manifests).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};

use serde_json::json;

mod abuse;
mod support;

use support::{Request, http, login, start, start_with};

#[tokio::test]
async fn real_server_serves_health_login_and_records_client_addresses() {
    let s = start().await;
    let (status, _, body) = http(s.addr, "GET", "/health", None, None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, head, body) = http(s.addr, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, 200, "{head}");
    assert_eq!(body["openapi"], "3.1.0");

    let (status, token) = login(s.addr, "admin", "admin-password").await;
    assert_eq!(status, 200);
    let token = token["access_token"].as_str().unwrap().to_string();
    let (_, _, top) = http(s.addr, "GET", "/api/v1/org-units", Some(&token), None).await;
    let root = top[0]["id"].as_str().unwrap().to_string();
    let (status, _, _) = http(
        s.addr,
        "POST",
        "/api/v1/org-units",
        Some(&token),
        Some(json!({"parent_id": root, "kind": "province", "name": "Đảng bộ tỉnh Thái Bình"})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, _, log) = http(s.addr, "GET", "/api/v1/audit?limit=1", Some(&token), None).await;
    assert_eq!(log["items"][0]["action"], "org_unit.create");
    assert_eq!(log["items"][0]["client_addr"], "127.0.0.1", "the client address comes from the connection");
}

#[tokio::test]
async fn real_server_limits_failed_logins_per_client_address() {
    // The server sits behind a reverse proxy on the loopback address.
    let s = start_with(|c| c.trusted_proxies = api::config::parse_networks("127.0.0.1").unwrap()).await;
    let via = |client: &'static str, username: String, password: &'static str| {
        Request::new("POST", "/api/v1/auth/login")
            .header("X-Forwarded-For", client)
            .json(&json!({"username": username, "password": password}))
    };
    let limit = s.state.config.login.per_address;
    for n in 0..limit {
        let r = via("203.0.113.5", format!("guess{n}"), "wrong-password").send(s.addr).await;
        assert_eq!(r.status, 401);
    }
    // Different usernames each time, so only the per-address limit can trigger: that address is
    // refused, the right password included, and told when to retry.
    let r = via("203.0.113.5", "admin".into(), "admin-password").send(s.addr).await;
    assert_eq!(r.status, 429, "{}", r.raw_body);
    assert_eq!(r.code(), "too_many_attempts");
    assert_eq!(r.header("Retry-After").as_deref(), Some("900"), "the clock is pinned at the first failure");
    // Every other client of the same proxy signs in.
    let r = via("198.51.100.5", "admin".into(), "admin-password").send(s.addr).await;
    assert_eq!(r.status, 200, "{}", r.raw_body);
}

#[tokio::test]
async fn demo_data_builds_the_seed_district() {
    let s = start().await;
    let report = api::demo::seed(&s.state.db, api::demo::DEFAULT_SEED, s.state.clock.now()).await.expect("demo");
    assert!(report.created);
    assert_eq!((report.units, report.members), (313, 7_500));
    assert_eq!(report.accounts, 7_501);
    let again = api::demo::seed(&s.state.db, api::demo::DEFAULT_SEED, s.state.clock.now()).await.expect("demo again");
    assert!(!again.created, "the demo fills an empty database only");

    let (status, secretary) = login(s.addr, "bithu", api::demo::DEMO_PASSWORD).await;
    assert_eq!(status, 200);
    let secretary = secretary["access_token"].as_str().unwrap().to_string();
    let (_, _, me) = http(s.addr, "GET", "/api/v1/me", Some(&secretary), None).await;
    assert_eq!(me["positions"][0]["role"], "secretary");
    let cell = me["member"]["unit_id"].as_str().unwrap().to_string();
    let (_, _, roster) = http(s.addr, "GET", &format!("/api/v1/org-units/{cell}/members?limit=200"), Some(&secretary), None).await;
    assert_eq!(roster["items"].as_array().unwrap().len(), 25);
    assert_eq!(roster["items"][3]["view"], "full");

    let (_, member) = login(s.addr, "dangvien", api::demo::DEMO_PASSWORD).await;
    let member = member["access_token"].as_str().unwrap().to_string();
    // Content: meetings (last month's held, next month's published), documents, a quiz, tasks.
    let (_, _, meetings) = http(s.addr, "GET", &format!("/api/v1/org-units/{cell}/meetings"), Some(&member), None).await;
    let statuses: Vec<&str> = meetings.as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["ended", "published"]);
    let (_, _, feed) = http(s.addr, "GET", "/api/v1/documents?q=nghi%20quyet", Some(&member), None).await;
    assert!(!feed["items"].as_array().unwrap().is_empty(), "searchable demo documents");
    let (_, _, quizzes) = http(s.addr, "GET", "/api/v1/quizzes?open=true", Some(&member), None).await;
    assert_eq!(quizzes.as_array().unwrap().len(), 1);
    let (_, _, tasks) = http(s.addr, "GET", &format!("/api/v1/org-units/{cell}/tasks"), Some(&member), None).await;
    assert_eq!(tasks["items"].as_array().unwrap().len(), 2);
    let (_, _, roster) = http(s.addr, "GET", &format!("/api/v1/org-units/{cell}/members?limit=200"), Some(&member), None).await;
    assert_eq!(roster["items"][0]["view"], "basic");

    let (_, admin) = login(s.addr, "quantri.tinh", api::demo::DEMO_PASSWORD).await;
    let admin = admin["access_token"].as_str().unwrap().to_string();
    let (_, _, top) = http(s.addr, "GET", "/api/v1/org-units", Some(&admin), None).await;
    assert_eq!(top[0]["kind"], "province");
    let province = top[0]["id"].as_str().unwrap();
    let (status, _, page) =
        http(s.addr, "GET", &format!("/api/v1/org-units/{province}/members?include_subtree=true&limit=200"), Some(&admin), None).await;
    assert_eq!(status, 200);
    assert!(page["next_cursor"].is_string());
}

// ---------------------------------------------------------------- architecture invariants

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Dependency names of a manifest's `[dependencies]` section (not dev-dependencies).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).expect("manifest");
    let mut in_deps = false;
    let mut names = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps
            && !line.is_empty()
            && !line.starts_with('#')
            && let Some(name) = line.split(['=', '.']).next()
        {
            names.push(name.trim().to_string());
        }
    }
    names
}

const DOMAIN_CRATES: [&str; 7] = [
    "crates/membership",
    "crates/meetings",
    "crates/documents",
    "crates/tasks",
    "crates/study-points",
    "crates/notifications",
    "crates/reports",
];

#[test]
fn domain_crates_do_no_io() {
    for krate in DOMAIN_CRATES {
        let deps = dependencies(&workspace_root().join(krate).join("Cargo.toml"));
        assert!(deps.contains(&"chrono".to_string()), "the scan reads {krate}'s dependencies: {deps:?}");
        for forbidden in ["tokio", "axum", "sea-orm", "sea-orm-migration", "sqlx", "storage", "api", "reqwest", "hyper"] {
            assert!(!deps.iter().any(|d| d == forbidden), "{krate} must not depend on {forbidden}");
        }
        let clippy = std::fs::read_to_string(workspace_root().join(krate).join("clippy.toml")).expect("domain clippy.toml");
        for method in ["chrono::Utc::now", "uuid::Uuid::now_v7", "std::env::var"] {
            assert!(clippy.contains(method), "{krate}/clippy.toml disallows {method}");
        }
    }
}

/// Rust sources under `dir` (recursively), skipping build output.
fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn services_build_on_the_application_layer_and_never_on_each_other() {
    let root = workspace_root();
    let services: Vec<String> = std::fs::read_dir(root.join("services"))
        .expect("services/")
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(services.contains(&"api".to_string()), "the scan sees the services: {services:?}");
    for service in &services {
        let deps = dependencies(&root.join("services").join(service).join("Cargo.toml"));
        assert!(deps.contains(&"app".to_string()), "{service} calls the application layer: {deps:?}");
        for other in &services {
            assert!(!deps.contains(other), "{service} must not depend on the service {other}");
        }
        for forbidden in ["sea-orm", "sea-orm-migration", "sqlx"] {
            assert!(!deps.iter().any(|d| d == forbidden), "{service} must not name {forbidden}");
        }
    }
    let app = dependencies(&root.join("crates/app/Cargo.toml"));
    for forbidden in ["axum", "utoipa", "tower", "hyper", "sea-orm", "api"] {
        assert!(!app.iter().any(|d| d == forbidden), "the application layer must not depend on {forbidden}");
    }
}

#[test]
fn the_wall_clock_is_read_in_one_place() {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["crates", "services", "migrations", "tests"] {
        rust_sources(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "the scan sees the workspace: {} files", files.len());
    // Built from pieces so that this file does not match itself.
    let readings = [["Utc::", "now()"].concat(), ["Local::", "now()"].concat(), ["SystemTime::", "now()"].concat()];
    let mut readers: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).expect("source");
            readings.iter().any(|r| text.contains(r.as_str()))
        })
        .map(|f| f.strip_prefix(&root).expect("inside the workspace").display().to_string())
        .collect();
    readers.sort();
    assert_eq!(readers, ["crates/app/src/clock.rs"], "only the production clock reads the wall clock");
    for krate in [
        "crates/app",
        "crates/demo",
        "crates/storage",
        "crates/telemetry",
        "services/api",
        "services/notifier",
        "services/report-generator",
        "tests",
    ] {
        let clippy = std::fs::read_to_string(root.join(krate).join("clippy.toml")).expect("clippy.toml");
        for method in ["chrono::Utc::now", "chrono::Local::now", "std::time::SystemTime::now"] {
            assert!(clippy.contains(method), "{krate}/clippy.toml disallows {method}");
        }
    }
}

#[test]
fn only_storage_names_sea_orm_and_only_api_serves_http() {
    let root = workspace_root();
    let manifests = [
        "crates/app",
        "crates/demo",
        "crates/membership",
        "crates/meetings",
        "crates/documents",
        "crates/tasks",
        "crates/study-points",
        "crates/storage",
        "migrations",
        "services/api",
        "services/notifier",
        "tests",
        "crates/notifications",
        "crates/reports",
        "crates/report-render",
        "services/report-generator",
        "crates/telemetry",
    ];
    for m in manifests {
        let deps = dependencies(&root.join(m).join("Cargo.toml"));
        if m != "crates/storage" {
            assert!(!deps.iter().any(|d| d == "sea-orm"), "{m} must not name sea-orm");
        }
        if m != "services/api" {
            assert!(!deps.iter().any(|d| d == "axum" || d == "utoipa"), "{m} must not serve HTTP (axum, utoipa)");
        }
    }
    // The telemetry every binary shares depends on no workspace crate (so no service reaches
    // another through it); its one HTTP server is hyper's, for the workers' /metrics.
    let telemetry = dependencies(&root.join("crates/telemetry/Cargo.toml"));
    assert!(telemetry.contains(&"metrics".to_string()), "the scan reads telemetry's dependencies: {telemetry:?}");
    for forbidden in ["app", "storage", "api", "notifier", "report-generator", "membership", "sqlx"] {
        assert!(!telemetry.iter().any(|d| d == forbidden), "telemetry must not depend on {forbidden}");
    }
    let storage_deps = dependencies(&root.join("crates/storage/Cargo.toml"));
    assert!(storage_deps.contains(&"sea-orm".to_string()));
    assert!(!storage_deps.iter().any(|d| d == "tokio" || d == "axum"), "storage does not run a runtime or speak HTTP");
}

#[tokio::test]
async fn small_benchmark_dataset_is_generated_and_consistent() {
    let t = storage::testing::fresh_database().await.expect("database");
    let clock = std::sync::Arc::new(app::clock::pinned_for_tests());
    let state = api::prepare_with_clock(t.db.clone(), api::config::Config::for_test("sqlite://unused"), clock).await.expect("prepare");
    let report = api::dataset::generate(&state.db, api::dataset::Size::Small, 7, state.clock.now()).await.expect("generate");
    assert_eq!((report.members, report.cells, report.documents), (1_000, 40, 2_000));
    assert_eq!(report.meetings, 40 * 13, "12 past months and next month for every cell");
    assert!(report.ledger_entries >= 2_000);
    // A second run refuses: the generator needs an empty database.
    assert!(api::dataset::generate(&state.db, api::dataset::Size::Small, 7, state.clock.now()).await.is_err());
}
