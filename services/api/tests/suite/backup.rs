//! Backup and restore end to end (`app::backup`, behind `api backup` / `api restore`): a backup
//! taken while documents with attachments are being written, restored into an empty
//! installation that then answers like the original; damaged backups and non-empty targets
//! refused. Runs on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set (each installation
//! then gets a database of its own on that server: `pg_dump` and `pg_restore` work on databases).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::common::{TestApp, send_to};
use api::config::Config;
use app::backup::{BackupError, Places};
use app::clock::{Clock, FixedClock};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Datelike;
use serde_json::{Value, json};
use storage::testing::{ScratchDatabase, scratch_database};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n";

/// An installation's database and directories under `root`.
struct Place {
    scratch: ScratchDatabase,
    config: Config,
}

impl Place {
    async fn new(root: &Path) -> Self {
        let scratch = scratch_database(root).await.unwrap();
        let mut config = Config::for_test(&scratch.url);
        config.attachments_dir = root.join("attachments");
        config.reports_dir = root.join("reports");
        Self { scratch, config }
    }

    fn places(&self) -> Places {
        Places { attachments_dir: self.config.attachments_dir.clone(), reports_dir: self.config.reports_dir.clone() }
    }

    async fn open(&self, clock: Arc<FixedClock>) -> TestApp {
        let db = storage::Database::connect(&self.scratch.url, 4).await.unwrap();
        TestApp::on(db, self.config.clone(), clock).await
    }
}

fn multipart(bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "handbook-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Nghị quyết.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn json_request(method: Method, path: &str, token: &str, body: Option<Value>) -> Request<Body> {
    let req = Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
    match body {
        Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())).unwrap(),
        None => req.body(Body::empty()).unwrap(),
    }
}

/// Drafts a document in `cell`, attaches a PDF (its bytes made unique by `n`) and publishes it;
/// returns the document's and the attachment's ids.
async fn document_with_attachment(app: &Router, token: &str, cell: &str, n: u64) -> (String, String) {
    let body = json!({"kind": "resolution", "number": format!("{n}-NQ/CB"), "title": format!("Nghị quyết số {n}"),
        "summary": "Tóm tắt", "body": "Nội dung về công tác xây dựng Đảng."});
    let r = send_to(app.clone(), json_request(Method::POST, &format!("/api/v1/org-units/{cell}/documents"), token, Some(body))).await;
    let doc = r.expect(StatusCode::CREATED).id();
    let mut bytes = PDF.to_vec();
    bytes.extend_from_slice(format!("% {n}\n").as_bytes());
    let (content_type, body) = multipart(&bytes);
    let req = Request::post(format!("/api/v1/documents/{doc}/attachments"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let attachment = send_to(app.clone(), req).await.expect(StatusCode::CREATED).id();
    send_to(app.clone(), json_request(Method::POST, &format!("/api/v1/documents/{doc}/publish"), token, None)).await.expect(StatusCode::OK);
    (doc, attachment)
}

async fn download(t: &TestApp, token: &str, id: &str) -> (StatusCode, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req =
        Request::get(format!("/api/v1/attachments/{id}")).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty());
    let res = t.app.clone().oneshot(req.unwrap()).await.unwrap();
    let status = res.status();
    (status, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// What the test compares between the original and the restored installation.
async fn answers(t: &TestApp, w: &crate::common::World, doc: &str, attachment: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (path, token) in [
        (format!("/api/v1/documents/{doc}"), &w.csec.1),
        (format!("/api/v1/org-units/{}/members", w.a), &w.admin),
        ("/api/v1/audit?limit=100".to_string(), &w.admin),
        ("/api/v1/documents".to_string(), &w.m1.1),
    ] {
        let r = t.get(&path, token).await.expect(StatusCode::OK);
        out.push(json!({"path": path, "body": r.body}));
    }
    let (status, bytes) = download(t, &w.m1.1, attachment).await;
    out.push(json!({"attachment": status.as_u16(), "bytes": bytes}));
    out
}

async fn report_file(t: &TestApp, id: &str, token: &str) -> Value {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req =
        Request::get(format!("/api/v1/reports/{id}/file")).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty());
    let res = t.app.clone().oneshot(req.unwrap()).await.unwrap();
    let status = res.status().as_u16();
    json!({"status": status, "bytes": res.into_body().collect().await.unwrap().to_bytes().to_vec()})
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { files_under(&e.path()) } else { vec![e.path()] }).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_during_writes_restores_into_an_installation_that_answers_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = Arc::new(app::clock::pinned_for_tests());
    let source = Place::new(&tmp.path().join("source")).await;
    let t = source.open(clock.clone()).await;
    let w = t.world().await;
    let (doc, attachment) = document_with_attachment(&t.app, &w.csec.1, &w.c1, 0).await;

    // Documents with attachments keep being written while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (app, token, cell, stop, written) = (t.app.clone(), w.csec.1.clone(), w.c1.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut n = 1;
            while !stop.load(Ordering::Relaxed) {
                document_with_attachment(&app, &token, &cell, n).await;
                written.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        })
    };
    while written.load(Ordering::Relaxed) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let during = tmp.path().join("during");
    let manifest = app::backup::backup(&t.state.db, &source.scratch.url, &source.places(), clock.as_ref(), &during).await.unwrap();
    let after_backup = written.load(Ordering::Relaxed);
    while written.load(Ordering::Relaxed) < after_backup + 2 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();

    // The snapshot is internally consistent: every attachment row has its file, every document
    // written by the writer has its attachment (one transaction each, the file before the row).
    assert_eq!(manifest.created_at, clock.now(), "the injected clock");
    assert_eq!(manifest.backend, storage::testing::backend());
    let attachments = manifest.tables["attachments"];
    let files = manifest.files.iter().filter(|f| f.path.starts_with("attachments/")).count() as u64;
    assert_eq!(files, attachments, "{manifest:?}");
    assert_eq!(files_under(&during.join("attachments")).len() as u64, attachments);
    assert!(attachments >= 4 && manifest.tables["documents"] >= attachments, "{:?}", manifest.tables);
    let total_now = t.state.db.contents().await.unwrap().tables["attachments"];
    assert!(total_now > attachments, "attachments written after the snapshot are not in it");
    assert_eq!(manifest.files[0].path, manifest.database_file);
    // The backup made during writes restores and its rows match its manifest.
    let early = Place::new(&tmp.path().join("restored-during")).await;
    let restored = app::backup::restore(&early.scratch.url, &early.places(), &during).await.unwrap();
    assert_eq!(restored.manifest, manifest);
    assert_eq!(restored.files_copied as u64, attachments);
    if storage::testing::backend() == "sqlite" {
        assert_eq!(restored.integrity.as_deref(), Some("ok"));
    }

    // Two generated reports; the file of one is gone (as when a newer generation replaced it).
    let period = format!("{:04}-{:02}", t.today().year(), t.today().month());
    let mut reports = Vec::new();
    for format in ["csv", "html"] {
        let body = json!({"kind": "cell_month", "period": period, "format": format});
        reports.push(t.post(&format!("/api/v1/org-units/{}/reports", w.a), &w.sec.1, body).await.expect(StatusCode::ACCEPTED).id());
    }
    let generator = app::reports::Generator {
        dir: source.config.reports_dir.clone(),
        holder: "backup-test".into(),
        lease: chrono::Duration::minutes(2),
        max_attempts: 3,
    };
    assert_eq!(app::reports::drain(&t.state.ctx(), &generator, &|| false).await.unwrap(), (2, 0));
    let gone = files_under(&source.config.reports_dir).into_iter().find(|f| f.to_string_lossy().contains(&reports[1])).unwrap();
    std::fs::remove_file(&gone).unwrap();

    // Quiet now: the answers before the second backup are the restored installation's answers.
    let mut before = answers(&t, &w, &doc, &attachment).await;
    before.push(report_file(&t, &reports[0], &w.sec.1).await);
    assert_eq!(before[5]["status"], 200);
    assert_eq!(before[0]["body"]["title"], "Nghị quyết số 0");
    assert!(before[1]["body"]["items"].as_array().is_some_and(|m| !m.is_empty()), "{}", before[1]);
    assert!(before[2]["body"]["items"].as_array().is_some_and(|a| a.len() > 5), "{}", before[2]);
    assert_eq!(before[4]["attachment"], 200);
    let quiet = tmp.path().join("quiet");
    let manifest = app::backup::backup(&t.state.db, &source.scratch.url, &source.places(), clock.as_ref(), &quiet).await.unwrap();
    let target = Place::new(&tmp.path().join("restored")).await;
    let restored = app::backup::restore(&target.scratch.url, &target.places(), &quiet).await.unwrap();
    assert_eq!(restored.manifest.tables, manifest.tables);
    assert!(restored.to_string().contains("match the manifest"), "{restored}");
    let r = target.open(clock.clone()).await;
    assert_eq!(r.state.db.contents().await.unwrap().tables, manifest.tables, "opening the restored installation migrates nothing");
    let mut after = answers(&r, &w, &doc, &attachment).await;
    after.push(report_file(&r, &reports[0], &w.sec.1).await);
    let gone_name = gone.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(manifest.reports_skipped, [gone_name], "a report file gone since is skipped, not a failure");
    assert_eq!(manifest.files.iter().filter(|f| f.path.starts_with("reports/")).count(), 1);
    assert_eq!(after, before);

    drop((t, r));
    source.scratch.remove().await.unwrap();
    early.scratch.remove().await.unwrap();
    target.scratch.remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_backup_and_a_non_empty_target_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = Arc::new(app::clock::pinned_for_tests());
    let source = Place::new(&tmp.path().join("source")).await;
    let t = source.open(clock.clone()).await;
    let w = t.world().await;
    document_with_attachment(&t.app, &w.csec.1, &w.c1, 1).await;
    let out = tmp.path().join("backup");
    app::backup::backup(&t.state.db, &source.scratch.url, &source.places(), clock.as_ref(), &out).await.unwrap();

    // Not into a directory that holds something.
    match app::backup::backup(&t.state.db, &source.scratch.url, &source.places(), clock.as_ref(), &out).await {
        Err(e @ BackupError::OutNotEmpty(_)) => assert!(e.to_string().contains("not empty"), "{e}"),
        other => panic!("{other:?}"),
    }
    // A failed backup (an attachment file gone) leaves nothing behind.
    let file = files_under(&source.config.attachments_dir).pop().unwrap();
    let saved = std::fs::read(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let failed = tmp.path().join("failed");
    match app::backup::backup(&t.state.db, &source.scratch.url, &source.places(), clock.as_ref(), &failed).await {
        Err(e @ BackupError::Attachment { .. }) => assert!(e.to_string().contains("missing file"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(!failed.exists(), "no partial backup is left");
    std::fs::write(&file, saved).unwrap();
    // Not over an installation that has data.
    match app::backup::restore(&source.scratch.url, &source.places(), &out).await {
        Err(e @ BackupError::TargetNotEmpty(_)) => assert!(e.to_string().contains("nothing was restored"), "{e}"),
        other => panic!("{other:?}"),
    }

    // One byte changed in an attachment, or in the database file: refused, nothing written.
    let target = Place::new(&tmp.path().join("target")).await;
    let attachment = files_under(&out.join("attachments")).pop().unwrap();
    let database = out.join(if storage::testing::backend() == "postgres" { "handbook.pgdump" } else { "handbook.db" });
    for file in [attachment, database] {
        let original = std::fs::read(&file).unwrap();
        let mut bytes = original.clone();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&file, &bytes).unwrap();
        match app::backup::restore(&target.scratch.url, &target.places(), &out).await {
            Err(e @ BackupError::Damaged { .. }) => assert!(e.to_string().contains("damaged"), "{e}"),
            other => panic!("{}: {other:?}", file.display()),
        }
        assert!(!target.config.attachments_dir.exists(), "no attachment was copied");
        match storage::backup::sqlite_path(&target.scratch.url) {
            Some(path) => assert!(!path.exists(), "no database file was written"),
            None => {
                let db = storage::Database::connect(&target.scratch.url, 1).await.unwrap();
                assert!(db.table_names().await.unwrap().is_empty(), "no table was restored");
            }
        }
        std::fs::write(&file, &original).unwrap();
    }
    // A restore that fails after the files are copied (here the SQLite file cannot be created:
    // its directory is a file) removes the files it created, so the next try starts clean.
    if storage::testing::backend() == "sqlite" {
        let blocked = tmp.path().join("blocked");
        std::fs::write(&blocked, b"not a directory").unwrap();
        let url = format!("sqlite://{}/handbook.db", blocked.display());
        let places = target.places();
        let err = app::backup::restore(&url, &places, &out).await.unwrap_err();
        assert!(err.to_string().contains("blocked"), "{err}");
        assert!(!files_under(&out.join("attachments")).is_empty(), "the backup has attachments to copy");
        assert!(files_under(&places.attachments_dir).is_empty(), "the attachments this restore copied are removed again");
    }
    // A backup of a newer release (a migration this one does not have) is refused.
    let manifest_file = out.join("manifest.json");
    let manifest = std::fs::read_to_string(&manifest_file).unwrap();
    let latest = storage::known_migrations().pop().unwrap();
    assert!(manifest.contains(&latest), "the manifest names the schema");
    std::fs::write(&manifest_file, manifest.replace(&latest, "m20991231_000001_future")).unwrap();
    match app::backup::restore(&target.scratch.url, &target.places(), &out).await {
        Err(e @ BackupError::NewerSchema { .. }) => assert!(e.to_string().contains("m20991231_000001_future"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(files_under(&target.config.attachments_dir).is_empty(), "nothing was copied");
    std::fs::write(&manifest_file, manifest).unwrap();
    // Repaired, it restores.
    app::backup::restore(&target.scratch.url, &target.places(), &out).await.unwrap();

    drop(t);
    source.scratch.remove().await.unwrap();
    target.scratch.remove().await.unwrap();
}
