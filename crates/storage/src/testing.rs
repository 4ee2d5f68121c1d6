//! Fresh databases for tests: a temporary SQLite file by default, or — when
//! `TEST_DATABASE_URL` is set to a PostgreSQL URL — a new schema in that database, so that tests
//! run in parallel without seeing each other's rows.

use std::path::PathBuf;

use crate::{ConnectError, Database};

/// Keeps a test database alive; removes a SQLite file (and its WAL) on drop. PostgreSQL schemas
/// are left for the CI run to drop with its database.
#[derive(Debug)]
pub struct TestDatabase {
    /// The database, migrated.
    pub db: Database,
    /// The URL to reach it with `Database::connect` (SQLite) — none for PostgreSQL schemas.
    pub url: Option<String>,
    file: Option<PathBuf>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

impl TestDatabase {
    /// Takes charge of a SQLite database a test opened itself at `file` (reachable at `url`):
    /// the file is removed with the returned value, as for [`fresh_database`]'s.
    pub fn sqlite_file(db: Database, url: String, file: PathBuf) -> Self {
        Self { db, url: Some(url), file: Some(file) }
    }
}

/// `"postgres"` when `TEST_DATABASE_URL` selects PostgreSQL, `"sqlite"` otherwise.
pub fn backend() -> &'static str {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// A new empty database, not migrated.
pub async fn empty_database() -> Result<TestDatabase, ConnectError> {
    let id = uuid::Uuid::now_v7().simple().to_string();
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let admin = Database::connect(&url, 1).await?;
            let schema = format!("t_{id}");
            admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.map_err(|e| ConnectError::Unreachable {
                url: crate::connect::redact(&url),
                source: sea_orm::DbErr::Custom(e.to_string()),
            })?;
            let db = Database::connect_postgres_schema(&url, &schema, 4).await?;
            Ok(TestDatabase { db, url: None, file: None })
        }
        _ => {
            let file = std::env::temp_dir().join(format!("handbook-test-{id}.db"));
            let url = format!("sqlite://{}", file.display());
            let db = Database::connect(&url, 4).await?;
            Ok(TestDatabase { db, url: Some(url), file: Some(file) })
        }
    }
}

/// A new database with every migration applied.
pub async fn fresh_database() -> Result<TestDatabase, ConnectError> {
    let t = empty_database().await?;
    t.db.migrate().await?;
    Ok(t)
}

/// Inserts an audit row with `INSERT … RETURNING`, fetching only the first row, the way sea-orm
/// does when its `sqlite-use-returning-for-3_35` feature is on. Used by the test that shows why
/// the server checkpoints the WAL periodically.
pub async fn insert_with_returning(db: &Database, n: u32) -> Result<(), crate::StoreError> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let sql = format!(
        "INSERT INTO audit_log (id, at, action, target_type, details) VALUES (X'{:032x}', '2026-01-01T00:00:00Z', 'probe', 'probe', '{{}}') RETURNING id",
        u128::from(n) + (1u128 << 100)
    );
    db.conn().query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await?;
    Ok(())
}

/// A parameter of [`execute`] and [`query`].
#[derive(Debug, Clone)]
pub enum Arg {
    /// A UUID.
    Uuid(uuid::Uuid),
    /// Text.
    Text(String),
    /// An instant.
    Time(chrono::DateTime<chrono::Utc>),
    /// A 64-bit integer.
    Int(i64),
}

impl From<Arg> for sea_orm::Value {
    fn from(a: Arg) -> Self {
        match a {
            Arg::Uuid(u) => u.into(),
            Arg::Text(t) => t.into(),
            Arg::Time(t) => t.into(),
            Arg::Int(i) => i.into(),
        }
    }
}

/// The type of a column [`query`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Col {
    /// A UUID.
    Uuid,
    /// Text.
    Text,
    /// A 32-bit integer.
    Int,
    /// A 64-bit integer (`COUNT(*)`).
    BigInt,
}

/// A value [`query`] read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cell {
    /// A UUID.
    Uuid(uuid::Uuid),
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
}

/// Runs a statement (`$1`, `$2`, … placeholders) in tests that set up or change rows directly.
pub async fn execute(db: &Database, sql: &str, args: Vec<Arg>) -> Result<u64, crate::StoreError> {
    use sea_orm::{ConnectionTrait, Statement};
    let c = db.conn();
    let values: Vec<sea_orm::Value> = args.into_iter().map(Into::into).collect();
    Ok(c.execute_raw(Statement::from_sql_and_values(c.get_database_backend(), sql, values)).await?.rows_affected())
}

/// Runs a query in tests that check rows directly, reading the named columns.
pub async fn query(db: &Database, sql: &str, args: Vec<Arg>, cols: &[(&str, Col)]) -> Result<Vec<Vec<Cell>>, crate::StoreError> {
    use sea_orm::{ConnectionTrait, Statement};
    let c = db.conn();
    let values: Vec<sea_orm::Value> = args.into_iter().map(Into::into).collect();
    let rows = c.query_all_raw(Statement::from_sql_and_values(c.get_database_backend(), sql, values)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut line = Vec::with_capacity(cols.len());
        for (name, col) in cols {
            line.push(match col {
                Col::Uuid => Cell::Uuid(r.try_get("", name)?),
                Col::Text => Cell::Text(r.try_get("", name)?),
                Col::Int => Cell::Int(i64::from(r.try_get::<i32>("", name)?)),
                Col::BigInt => Cell::Int(r.try_get::<i64>("", name)?),
            });
        }
        out.push(line);
    }
    Ok(out)
}

/// A database of its own, not a schema: what `pg_dump` and `pg_restore` work on. On PostgreSQL
/// (`TEST_DATABASE_URL`) a new database `bk_<id>` on the same server, dropped by
/// [`ScratchDatabase::remove`]; on SQLite a temporary file under `dir`.
#[derive(Debug)]
pub struct ScratchDatabase {
    /// Its URL.
    pub url: String,
    admin: Option<(String, String)>,
}

/// Creates an empty (not migrated) database of its own; see [`ScratchDatabase`]. The SQLite file
/// is `dir/handbook.db` and is only named, not created.
pub async fn scratch_database(dir: &std::path::Path) -> Result<ScratchDatabase, ConnectError> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let name = format!("bk_{}", uuid::Uuid::now_v7().simple());
            let admin = Database::connect(&url, 1).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.map_err(|e| ConnectError::Unreachable {
                url: crate::connect::redact(&url),
                source: sea_orm::DbErr::Custom(e.to_string()),
            })?;
            let (main, query) = url.split_once('?').map_or((url.as_str(), None), |(m, q)| (m, Some(q)));
            let base = main.rsplit_once('/').map_or(main, |(b, _)| b);
            let scratch = match query {
                Some(q) => format!("{base}/{name}?{q}"),
                None => format!("{base}/{name}"),
            };
            Ok(ScratchDatabase { url: scratch, admin: Some((url.clone(), name)) })
        }
        _ => Ok(ScratchDatabase { url: format!("sqlite://{}", dir.join("handbook.db").display()), admin: None }),
    }
}

impl ScratchDatabase {
    /// Drops the PostgreSQL database (closing its sessions); nothing for SQLite, whose file goes
    /// with the test's temporary directory.
    pub async fn remove(self) -> Result<(), ConnectError> {
        if let Some((url, name)) = self.admin {
            let admin = Database::connect(&url, 1).await?;
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.map_err(|e| {
                ConnectError::Unreachable { url: crate::connect::redact(&url), source: sea_orm::DbErr::Custom(e.to_string()) }
            })?;
        }
        Ok(())
    }
}
