//! Snapshots taken while writes go on: SQLite's `VACUUM INTO`, PostgreSQL's exported snapshot
//! with `pg_dump --snapshot` and `pg_restore`. Runs on a temporary SQLite file, or on a database
//! of its own on the server of `TEST_DATABASE_URL` (the dump tools work on whole databases, not
//! on the per-test schemas of the other tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{TimeZone, Utc};
use storage::Database;
use storage::audit::AuditRecord;
use storage::backup::{PgTarget, Snapshot};
use storage::testing::{backend, scratch_database};
use uuid::Uuid;

fn audit(action: &str) -> AuditRecord {
    AuditRecord {
        id: Uuid::now_v7(),
        at: Utc.with_ymd_and_hms(2026, 12, 5, 1, 0, 0).unwrap(),
        actor: None,
        action: action.to_string(),
        target_type: "probe".to_string(),
        target_id: None,
        unit_id: None,
        client_addr: None,
        details: serde_json::json!({}),
    }
}

/// Writes two audit rows per transaction until told to stop; returns how many transactions committed.
fn spawn_writer(db: Database, stop: Arc<AtomicBool>, done: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            let tx = db.begin().await.unwrap();
            storage::audit::record(tx.conn(), &audit("pair.first")).await.unwrap();
            storage::audit::record(tx.conn(), &audit("pair.second")).await.unwrap();
            tx.commit().await.unwrap();
            done.fetch_add(1, Ordering::Relaxed);
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_taken_during_writes_is_sound_and_restores_to_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let source = scratch_database(&dir.path().join("source")).await.unwrap();
    let db = Database::connect(&source.url, 4).await.unwrap();
    db.migrate().await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let writer = spawn_writer(db.clone(), stop.clone(), done.clone());
    while done.load(Ordering::Relaxed) < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let out = dir.path().join("backup");
    std::fs::create_dir_all(&out).unwrap();
    let (contents, file) = if backend() == "postgres" {
        let snapshot = db.export_snapshot().await.unwrap();
        let contents = snapshot.contents().await.unwrap();
        let id = snapshot.exported_id().unwrap().to_string();
        let target = PgTarget::parse(&source.url).unwrap();
        let file = out.join("handbook.pgdump");
        let path = file.clone();
        tokio::task::spawn_blocking(move || storage::backup::pg_dump(&target, Some(&id), &path)).await.unwrap().unwrap();
        snapshot.close().await.unwrap();
        (contents, file)
    } else {
        let file = out.join("handbook.db");
        db.snapshot_into(&file).await.unwrap();
        let snapshot = Snapshot::open_sqlite(&file).await.unwrap();
        assert_eq!(snapshot.integrity_check().await.unwrap().as_deref(), Some("ok"));
        let contents = snapshot.contents().await.unwrap();
        snapshot.close().await.unwrap();
        assert!(!out.join("handbook.db-wal").exists(), "the snapshot is opened read-only, immutable");
        (contents, file)
    };
    let during = done.load(Ordering::Relaxed);
    // Let the writer go on after the snapshot, then stop it.
    while done.load(Ordering::Relaxed) < during + 20 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();

    let audited = contents.tables["audit_log"];
    assert!(audited >= 40, "the snapshot holds the writes before it: {audited}");
    assert_eq!(audited % 2, 0, "a transaction's two rows are both in the snapshot or neither");
    let now = db.contents().await.unwrap();
    assert!(now.tables["audit_log"] > audited, "writes after the snapshot are not in it");
    assert_eq!(contents.schema_version, now.schema_version);
    assert!(contents.schema_version.as_deref().is_some_and(|v| v.starts_with('m')));
    assert!(contents.tables.contains_key("seaql_migrations") && contents.tables.contains_key("attachments"));

    // Restored elsewhere, the rows are the snapshot's.
    let target = scratch_database(&dir.path().join("target")).await.unwrap();
    if backend() == "postgres" {
        let restored = Database::connect(&target.url, 2).await.unwrap();
        assert!(restored.table_names().await.unwrap().is_empty());
        let pg = PgTarget::parse(&target.url).unwrap();
        tokio::task::spawn_blocking(move || storage::backup::pg_restore(&pg, &file)).await.unwrap().unwrap();
        assert_eq!(restored.contents().await.unwrap(), contents);
        assert_eq!(restored.integrity_check().await.unwrap(), None);
        drop(restored);
    } else {
        let path = storage::backup::sqlite_path(&target.url).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::copy(&file, &path).unwrap();
        let restored = Database::connect(&target.url, 2).await.unwrap();
        assert_eq!(restored.contents().await.unwrap(), contents);
        assert_eq!(restored.integrity_check().await.unwrap().as_deref(), Some("ok"));
    }
    drop(db);
    source.remove().await.unwrap();
    target.remove().await.unwrap();
}

#[test]
fn tool_errors_name_the_package_and_the_password_travels_only_in_the_environment() {
    let missing = storage::backup::BackupError::ToolMissing { tool: "pg_dump" };
    assert!(missing.to_string().contains("postgresql-client"), "{missing}");
    let target = PgTarget::parse("postgres://u:s%40cret@db.example:6432/x?sslmode=verify-full&sslrootcert=/etc/ca.pem").unwrap();
    let cmd = storage::backup::pg_dump_command(&target, Some("00000003-1"), std::path::Path::new("/tmp/out.pgdump"));
    let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    assert!(args.iter().all(|a| !a.contains("cret")), "{args:?}");
    assert!(args.contains(&"--snapshot=00000003-1".to_string()), "{args:?}");
    let envs: std::collections::HashMap<String, Option<String>> =
        cmd.get_envs().map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_string_lossy().into_owned()))).collect();
    let env = |k: &str| envs.get(k).cloned().flatten();
    assert_eq!(env("PGPASSWORD").as_deref(), Some("s@cret"));
    assert_eq!(env("PGUSER").as_deref(), Some("u"));
    assert_eq!(env("PGHOST").as_deref(), Some("db.example"));
    assert_eq!(env("PGPORT").as_deref(), Some("6432"));
    assert_eq!(env("PGDATABASE").as_deref(), Some("x"));
    assert_eq!(env("PGSSLMODE").as_deref(), Some("verify-full"));
    assert_eq!(env("PGSSLROOTCERT").as_deref(), Some("/etc/ca.pem"));
    // Without a password in the URL, none is set: the tool inherits PGPASSWORD or ~/.pgpass as the
    // server's own connection does.
    let bare = storage::backup::pg_dump_command(&PgTarget::parse("postgres://u@db/x").unwrap(), None, std::path::Path::new("/tmp/o"));
    assert!(bare.get_envs().all(|(k, _)| k != "PGPASSWORD"));
    // A parameter the tools would not receive is refused, not silently dropped.
    let err = PgTarget::parse("postgres://u:secret@db/x?target_session_attrs=read-write").unwrap_err().to_string();
    assert!(err.contains("target_session_attrs") && !err.contains("secret"), "{err}");
}
