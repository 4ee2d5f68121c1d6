//! The generator as a process, on a SQLite file (the embedded default): `due` generates what is
//! queued; a `serve` killed with SIGKILL in the middle of regenerating leaves every report's
//! current file intact (each row names a file that exists and has the recorded SHA-256); a later
//! run takes the interrupted reports over once their leases have run out and finishes them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use app::clock::Clock;
use chrono::Datelike;
use sha2::{Digest, Sha256};
use storage::reports::ReportKey;

const BIN: &str = env!("CARGO_BIN_EXE_report-generator");

fn command(dir: &Path, db_url: &str) -> Command {
    let mut c = Command::new(BIN);
    c.env("DATABASE_URL", db_url)
        .env("HANDBOOK_REPORTS_DIR", dir.join("reports"))
        .env("HANDBOOK_REPORTS_POLL_MS", "50")
        .env("HANDBOOK_REPORTS_LEASE_SECONDS", "10")
        // A schedule that queues nothing here (the dataset has no district committees), so that
        // the counts below do not depend on the day the test runs.
        .env("HANDBOOK_REPORTS_SCHEDULE", "activity:csv:1:00:00:district")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// `GET /metrics` of a generator on `port` (the body; empty while it does not answer yet).
fn scrape_metrics(port: u16) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return String::new() };
    let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
}

/// The sum of `handbook_report_jobs_total{result="ok"}` over the kinds.
fn jobs_ok(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("handbook_report_jobs_total{") && l.contains("result=\"ok\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn sha256(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every row that names a file: the file exists, with the recorded size and SHA-256.
async fn files_intact(db: &storage::Database, dir: &Path) -> (usize, usize) {
    let rows = storage::reports::list_all(db.conn()).await.unwrap();
    let mut named = 0;
    for r in &rows {
        if let Some(name) = &r.file_name {
            named += 1;
            let path = dir.join("reports").join(name);
            assert!(path.is_file(), "{} names {name}, which is missing", r.id);
            assert_eq!(Some(sha256(&path)), r.checksum, "{name} is not the file recorded");
            assert_eq!(Some(std::fs::metadata(&path).unwrap().len() as i64), r.size_bytes);
        }
    }
    (rows.len(), named)
}

#[tokio::test]
async fn a_generator_killed_mid_run_leaves_every_file_intact_and_the_work_is_finished_later() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}/handbook.db", dir.path().display());
    let now = app::clock::pinned_for_tests().now();
    let db = storage::Database::connect(&db_url, 2).await.unwrap();
    db.migrate().await.unwrap();
    let settings = app::bootstrap::BootstrapSettings {
        admin_username: "quantri".into(),
        admin_password: Some("mat-khau-thu-nghiem-1".into()),
        root_name: "Ban Chấp hành Trung ương".into(),
    };
    app::bootstrap::ensure_bootstrap(&db, &settings, now).await.unwrap();
    demo::dataset::generate(&db, demo::dataset::Size::Small, 7, now).await.unwrap();

    // Every cell's month (CSV and XLSX) and the year's roll-up of each commune: ~90 reports.
    let today = membership::time::local_date(now);
    let month = format!("{:04}-{:02}", today.year(), today.month());
    let year = format!("{:04}", today.year());
    let mut keys = Vec::new();
    for unit in storage::reports::units_of_kinds(db.conn(), &["cell"]).await.unwrap() {
        for format in ["csv", "xlsx"] {
            keys.push(ReportKey {
                kind: "cell_month".into(),
                unit_id: unit,
                period: month.clone(),
                format: format.into(),
                subject: String::new(),
            });
        }
    }
    for unit in storage::reports::units_of_kinds(db.conn(), &["commune_committee"]).await.unwrap() {
        keys.push(ReportKey {
            kind: "activity".into(),
            unit_id: unit,
            period: year.clone(),
            format: "xlsx".into(),
            subject: String::new(),
        });
    }
    for k in &keys {
        assert!(storage::reports::request_once(db.conn(), k, uuid::Uuid::now_v7(), now).await.unwrap());
    }

    // `due` generates everything queued.
    let out = command(dir.path(), &db_url).args(["due", "--now", &app::clock::format_instant(now)]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("generated {}, failed 0", keys.len())),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(files_intact(&db, dir.path()).await, (keys.len(), keys.len()));
    let first: Vec<_> = storage::reports::list_all(db.conn()).await.unwrap().into_iter().map(|r| (r.id, r.checksum)).collect();

    // The figures change (units renamed), everything is asked for again, and a long-running
    // generator is killed once some reports are regenerated.
    storage::testing::execute(&db, "UPDATE org_units SET name = name || ' (đổi tên)'", vec![]).await.unwrap();
    for k in &keys {
        let (_, queued) = storage::reports::request(db.conn(), k, uuid::Uuid::now_v7(), None, now).await.unwrap();
        assert!(queued);
    }
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut serve = command(dir.path(), &db_url)
        .env("HANDBOOK_REPORTS_METRICS_BIND", format!("127.0.0.1:{metrics_port}"))
        .arg("serve")
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let rows = storage::reports::list_all(db.conn()).await.unwrap();
        let done = rows.iter().filter(|r| r.status == "done").count();
        if done >= 3 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Its /metrics counts the jobs done by kind and result (recorded just after each row).
    let mut generated = 0.0;
    for _ in 0..50 {
        generated = jobs_ok(&scrape_metrics(metrics_port));
        if generated >= 3.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    serve.kill().unwrap(); // SIGKILL
    assert!(generated >= 3.0, "handbook_report_jobs_total{{result=\"ok\"}}: {generated}");
    serve.wait().unwrap();
    let rows = storage::reports::list_all(db.conn()).await.unwrap();
    let done = rows.iter().filter(|r| r.status == "done").count();
    assert!(done >= 3 && done < keys.len(), "killed mid-run: {done} of {} done", keys.len());
    // Every row still names an intact file: the new one for those done, the previous one for the
    // others (the one in progress included).
    assert_eq!(files_intact(&db, dir.path()).await, (keys.len(), keys.len()));

    // A later run, once the interrupted claim's lease has run out, finishes everything.
    let later = now + chrono::Duration::days(1);
    let out = command(dir.path(), &db_url).args(["due", "--now", &app::clock::format_instant(later)]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = storage::reports::list_all(db.conn()).await.unwrap();
    assert!(rows.iter().all(|r| r.status == "done"), "{:?}", rows.iter().map(|r| &r.status).collect::<Vec<_>>());
    assert_eq!(files_intact(&db, dir.path()).await, (keys.len(), keys.len()));
    for (id, checksum) in first {
        let now_row = rows.iter().find(|r| r.id == id).unwrap();
        // The workbooks name their unit on the summary sheet; a CSV holds the main table only
        // (e.g. the attendance ledger), which the renaming may leave as it was.
        if now_row.key.format == "xlsx" {
            assert_ne!(now_row.checksum, checksum, "{id}: the renamed unit is in the new file");
        }
    }
    // Files no row names: at most the one the killed run was writing (as a partial file, or
    // renamed but not yet recorded); every replaced file was removed.
    let named: std::collections::HashSet<String> = rows.iter().filter_map(|r| r.file_name.clone()).collect();
    let strays: Vec<String> = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !named.contains(n))
        .collect();
    assert!(strays.len() <= 2, "stray files: {strays:?}");
}
