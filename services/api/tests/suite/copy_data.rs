//! `api copy-data`: the demo installation on SQLite copied into a fresh migrated database (a
//! PostgreSQL schema when `TEST_DATABASE_URL` selects PostgreSQL, another SQLite file otherwise)
//! answers the API the same; a non-empty destination is refused; a failed copy leaves nothing;
//! a changed row is caught by the checksums.

use std::sync::Arc;

use api::config::Config;
use app::clock::Clock;
use axum::body::Body;
use axum::http::{Method, Request, header};
use chrono::SubsecRound;
use serde_json::{Value, json};
use storage::copy::{CopyError, copy_data, verify};
use storage::testing::{Arg, Col, execute, fresh_database, query};

/// A SQLite installation with the small benchmark dataset, or (`dataset` false) the demo's two communes (the demo structure with 1,000 members,
/// a year of meetings and attendance, 2,000 documents, a points ledger), bootstrapped like a real one.
async fn demo_source(dataset: bool) -> (storage::testing::TestDatabase, api::state::AppState) {
    let file = std::env::temp_dir().join(format!("handbook-copy-src-{}.db", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}", file.display());
    let db = storage::Database::connect(&url, 4).await.unwrap();
    // With the dataset, at a whole microsecond: the copy carries instants at PostgreSQL's
    // precision (see `storage::copy`), so that the API's answers can be compared byte for byte.
    // The demo keeps the pinned clock's nanoseconds: copying and verifying them must still work.
    let pinned = app::clock::pinned_for_tests().now();
    let clock = Arc::new(app::clock::FixedClock::new(if dataset { pinned.trunc_subsecs(6) } else { pinned }));
    let state = api::prepare_with_clock(db.clone(), Config::for_test(&url), clock.clone()).await.unwrap();
    if dataset {
        api::dataset::generate(&db, api::dataset::Size::Small, api::demo::DEFAULT_SEED, clock.now()).await.unwrap();
    } else {
        api::demo::seed_sized(&db, api::demo::DEFAULT_SEED, 2, 3, 6, clock.now()).await.unwrap();
    }
    (storage::testing::TestDatabase::sqlite_file(db, url, file), state)
}

async fn rows(db: &storage::Database, table: &str) -> i64 {
    let out = query(db, &format!("SELECT COUNT(*) AS n FROM {table}"), vec![], &[("n", Col::BigInt)]).await.unwrap();
    match &out[0][0] {
        storage::testing::Cell::Int(n) => *n,
        other => panic!("count: {other:?}"),
    }
}

async fn call(app: &axum::Router, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> crate::common::Reply {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    };
    crate::common::send_to(app.clone(), req.unwrap()).await
}

async fn token(app: &axum::Router, username: &str, password: &str) -> String {
    let reply = call(app, Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": password}))).await;
    assert_eq!(reply.status, 200, "login {username}: {}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_demo_copied_answers_the_api_the_same() {
    let (_src_guard, src_state) = demo_source(true).await;
    let dst = fresh_database().await.unwrap();
    let mut seen = Vec::new();
    let report = copy_data(&src_state.db, &dst.db, 97, &mut |p| seen.push((p.table.to_string(), p.done, p.total))).await.unwrap();

    // Every table is in the report with equal counts on both sides, and the big ones are not empty.
    for table in ["org_units", "org_unit_closure", "members", "positions", "accounts", "meetings", "documents", "points_ledger"] {
        let summary = report.tables.iter().find(|t| t.table == table).unwrap_or_else(|| panic!("{table} not in the report"));
        assert!(summary.rows > 0, "{table} is empty in the demo");
        assert_eq!(i64::try_from(summary.rows).unwrap(), rows(&dst.db, table).await, "{table}");
        assert_eq!(rows(&src_state.db, table).await, rows(&dst.db, table).await, "{table}");
    }
    assert!(report.tables.iter().any(|t| t.table == "unit_point_counts" && t.derived));
    assert_eq!(report.rows(), report.tables.iter().filter(|t| !t.derived).map(|t| t.rows).sum::<u64>());
    // Parents come before the tables that reference them.
    let position = |name: &str| report.tables.iter().position(|t| t.table == name).unwrap();
    assert!(position("org_units") < position("members"));
    assert!(position("members") < position("attendance"));
    assert!(position("meetings") < position("attendance"));
    // Progress: batches of at most 97 rows, ending at each table's total.
    let members = rows(&src_state.db, "members").await;
    let member_progress: Vec<u64> = seen.iter().filter(|(t, _, _)| t == "members").map(|(_, done, _)| *done).collect();
    assert_eq!(member_progress.first(), Some(&0));
    assert_eq!(member_progress.last().copied(), u64::try_from(members).ok());
    assert!(member_progress.windows(2).all(|w| w[1] > w[0] && w[1] - w[0] <= 97), "{member_progress:?}");
    assert!(verify(&src_state.db, &dst.db).await.is_ok());

    // The destination served by the API answers as the source does.
    let dst_state = api::prepare_with_clock(dst.db.clone(), Config::for_test("sqlite://unused"), src_state.clock.clone()).await.unwrap();
    let (src_app, dst_app) = (api::app(src_state.clone()), api::app(dst_state));
    let (src_admin, dst_admin) = (token(&src_app, "admin", "admin-password").await, token(&dst_app, "admin", "admin-password").await);
    let top = call(&src_app, Method::GET, "/api/v1/org-units", Some(&src_admin), None).await;
    let root = top.body[0]["id"].as_str().unwrap().to_string();
    let children = call(&src_app, Method::GET, &format!("/api/v1/org-units/{root}/children"), Some(&src_admin), None).await;
    let province = children.body[0]["id"].as_str().unwrap().to_string();
    let mut admin_paths = vec![
        "/api/v1/org-units".to_string(),
        format!("/api/v1/org-units/{root}/children"),
        format!("/api/v1/org-units/{province}/children"),
        format!("/api/v1/org-units/{province}/members?include_subtree=true&limit=200"),
        format!("/api/v1/org-units/{province}/meetings"),
        format!("/api/v1/org-units/{province}/leaderboard"),
        format!("/api/v1/org-units/{province}/task-stats"),
        format!("/api/v1/org-units/{province}/positions"),
    ];
    let members_page =
        call(&src_app, Method::GET, &format!("/api/v1/org-units/{province}/members?include_subtree=true&limit=3"), Some(&src_admin), None)
            .await;
    let items = members_page.body["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty(), "{}", members_page.body);
    for member in items {
        let id = member["id"].as_str().unwrap();
        admin_paths.push(format!("/api/v1/members/{id}"));
        admin_paths.push(format!("/api/v1/members/{id}/events"));
    }
    for path in &admin_paths {
        let (a, b) = (
            call(&src_app, Method::GET, path, Some(&src_admin), None).await,
            call(&dst_app, Method::GET, path, Some(&dst_admin), None).await,
        );
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        assert_eq!((a.status, &a.body), (b.status, &b.body), "{path}");
    }
    let (src_member, dst_member) =
        (token(&src_app, "bithu.xa", api::demo::DEMO_PASSWORD).await, token(&dst_app, "bithu.xa", api::demo::DEMO_PASSWORD).await);
    for path in ["/api/v1/me", "/api/v1/documents", "/api/v1/me/points", "/api/v1/me/tasks", "/api/v1/quizzes", "/api/v1/me/notifications"]
    {
        let (a, b) = (
            call(&src_app, Method::GET, path, Some(&src_member), None).await,
            call(&dst_app, Method::GET, path, Some(&dst_member), None).await,
        );
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        assert_eq!((a.status, &a.body), (b.status, &b.body), "{path}");
    }
}

#[tokio::test]
async fn a_destination_with_rows_is_refused_and_a_failed_copy_leaves_nothing() {
    let (_src_guard, src_state) = demo_source(false).await;

    // A destination that already has an installation's rows.
    let used = fresh_database().await.unwrap();
    api::prepare_with_clock(used.db.clone(), Config::for_test("sqlite://unused"), src_state.clock.clone()).await.unwrap();
    let before = rows(&used.db, "org_units").await;
    let refused = copy_data(&src_state.db, &used.db, 500, &mut |_| {}).await.unwrap_err();
    assert!(
        matches!(&refused, CopyError::NotEmpty { table, .. } if table == "accounts" || table == "org_units" || table == "members" || table == "audit_log"),
        "{refused}"
    );
    assert_eq!(rows(&used.db, "org_units").await, before);

    // A destination that will refuse a row half-way (a unique index the source's rows break):
    // the tables copied before it are rolled back with it.
    let strict = fresh_database().await.unwrap();
    strict.db.execute_unprepared("CREATE UNIQUE INDEX ux_test_one_member_per_cell ON members (unit_id)").await.unwrap();
    let failed = copy_data(&src_state.db, &strict.db, 500, &mut |_| {}).await.unwrap_err();
    assert!(matches!(&failed, CopyError::Store { context, .. } if context.contains("members")), "{failed}");
    for table in ["org_units", "org_unit_closure", "members", "accounts"] {
        assert_eq!(rows(&strict.db, table).await, 0, "{table} after a failed copy");
    }
}

#[tokio::test]
async fn a_changed_row_is_caught_by_the_checksums() {
    let (_src_guard, src_state) = demo_source(false).await;
    // A unit placed under a unit created after it (as a move does): its row precedes its parent's
    // in the source, and the copy must still write the parent first.
    let newer = uuid::Uuid::now_v7();
    let root = query(&src_state.db, "SELECT id FROM org_units WHERE parent_id IS NULL", vec![], &[("id", Col::Uuid)]).await.unwrap();
    let storage::testing::Cell::Uuid(root) = root[0][0].clone() else { panic!("root id") };
    execute(
        &src_state.db,
        "INSERT INTO org_units (id, parent_id, kind, name, depth, parent_since, created_at) \
         VALUES ($1, $2, 'province', 'Đảng bộ tỉnh mới', 1, '2026-01-01', '2026-01-01T00:00:00Z')",
        vec![Arg::Uuid(newer), Arg::Uuid(root)],
    )
    .await
    .unwrap();
    let moved = execute(
        &src_state.db,
        "UPDATE org_units SET parent_id = $1 WHERE id = (SELECT id FROM org_units WHERE kind = 'commune_committee' ORDER BY rowid LIMIT 1)",
        vec![Arg::Uuid(newer)],
    )
    .await
    .unwrap();
    assert_eq!(moved, 1);
    let dst = fresh_database().await.unwrap();
    copy_data(&src_state.db, &dst.db, 1000, &mut |_| {}).await.unwrap();
    assert!(verify(&src_state.db, &dst.db).await.is_ok());
    let changed = execute(
        &dst.db,
        "UPDATE members SET full_name = $1 WHERE id = (SELECT id FROM members ORDER BY id LIMIT 1)",
        vec![Arg::Text("Nguyễn Văn Đổi".to_string())],
    )
    .await
    .unwrap();
    assert_eq!(changed, 1);
    match verify(&src_state.db, &dst.db).await {
        Err(CopyError::Mismatch { table, source_rows, destination_rows, source_checksum, destination_checksum }) => {
            assert_eq!(table, "members");
            assert_eq!(source_rows, destination_rows);
            assert_ne!(source_checksum, destination_checksum);
        }
        other => panic!("expected a mismatch on members, got {other:?}"),
    }
}
