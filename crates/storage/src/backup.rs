//! Online snapshots and their restoration: what `api backup` and `api restore` need from the
//! database.
//!
//! - SQLite: [`Database::snapshot_into`] writes a consistent copy of the live database with
//!   `VACUUM INTO` (readers and writers carry on in WAL mode); [`Snapshot::open_sqlite`] reads it
//!   back read-only, so the files a backup copies are the ones the copied rows name.
//! - PostgreSQL: [`Database::export_snapshot`] opens a `REPEATABLE READ` read-only transaction
//!   and exports its snapshot (`pg_export_snapshot()`); the row counts and file names read through
//!   it and the dump taken by [`pg_dump`] with `--snapshot` see the same instant. [`pg_restore`]
//!   loads a dump into an empty database.
//!
//! The command-line tools are run with [`std::process::Command`] (blocking: callers on an async
//! runtime run them on its blocking pool). Connection parameters come from the `postgres://` URL
//! and go to the tools as `PG*` environment variables: the password never appears on a command
//! line or in a message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, IsolationLevel, Statement,
    TransactionTrait,
};

use crate::{Database, StoreError};

/// Why a snapshot, a dump or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A query failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The snapshot file could not be opened.
    #[error("cannot open the snapshot {path}: {message}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The driver's reason.
        message: String,
    },
    /// The operation applies to the other backend.
    #[error("{0}")]
    WrongBackend(&'static str),
    /// `pg_dump` / `pg_restore` is not installed.
    #[error(
        "{tool} was not found on PATH: install the PostgreSQL client tools (Debian: apt-get install postgresql-client, the same major version as the server)"
    )]
    ToolMissing {
        /// The program.
        tool: &'static str,
    },
    /// The tool ran and failed.
    #[error("{tool} failed ({status}): {stderr}")]
    ToolFailed {
        /// The program.
        tool: &'static str,
        /// Its exit status.
        status: String,
        /// What it wrote to standard error.
        stderr: String,
    },
    /// The tool could not be started.
    #[error("cannot run {tool}: {source}")]
    ToolIo {
        /// The program.
        tool: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The URL is not a `postgres://` URL these tools can be given.
    #[error("not a postgres:// URL: {0}")]
    BadUrl(String),
}

/// A file a snapshot's rows name, with what the rows say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    /// The key under the attachment directory, or the name under the report directory.
    pub name: String,
    /// Size in bytes, as recorded.
    pub size: Option<i64>,
    /// Hex SHA-256, as recorded.
    pub sha256: Option<String>,
}

/// What a snapshot holds, read from the snapshot itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// The newest applied migration (`seaql_migrations.version`).
    pub schema_version: Option<String>,
    /// Rows per table (every table of the schema, the migration table included).
    pub tables: BTreeMap<String, u64>,
    /// The attachment files the `attachments` rows name (`storage_key`).
    pub attachments: Vec<FileRef>,
    /// The generated report files the `reports` rows name (`file_name`).
    pub reports: Vec<FileRef>,
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn texts<C: ConnectionTrait>(c: &C, sql: &str, col: &str) -> Result<Vec<String>, StoreError> {
    let rows = c.query_all_raw(Statement::from_string(c.get_database_backend(), sql.to_string())).await?;
    rows.iter().map(|r| r.try_get::<String>("", col).map_err(StoreError::from)).collect()
}

/// The tables of the connection's schema, by name.
async fn table_names<C: ConnectionTrait>(c: &C) -> Result<Vec<String>, StoreError> {
    let sql = match c.get_database_backend() {
        DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        _ => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    texts(c, sql, "name").await
}

/// Reads what a database (or a snapshot) holds: the schema version, the rows per table and the
/// files its rows name. Inside one transaction (or on a snapshot file) the answers agree.
pub async fn contents<C: ConnectionTrait>(c: &C) -> Result<Contents, StoreError> {
    let backend = c.get_database_backend();
    let names = table_names(c).await?;
    let mut tables = BTreeMap::new();
    for name in &names {
        let sql = format!("SELECT COUNT(*) AS n FROM {}", quote_ident(name));
        let row = c.query_one_raw(Statement::from_string(backend, sql)).await?;
        let n = row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
        tables.insert(name.clone(), u64::try_from(n).unwrap_or(0));
    }
    let schema_version = if tables.contains_key("seaql_migrations") {
        texts(c, "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1", "version").await?.into_iter().next()
    } else {
        None
    };
    let files = |sql: &'static str| async move {
        let rows = c.query_all_raw(Statement::from_string(backend, sql.to_string())).await?;
        rows.iter()
            .map(|r| {
                Ok(FileRef {
                    name: r.try_get::<String>("", "name")?,
                    size: r.try_get::<Option<i64>>("", "size")?,
                    sha256: r.try_get::<Option<String>>("", "sha256")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
    };
    let attachments = if tables.contains_key("attachments") {
        files("SELECT storage_key AS name, size, sha256 FROM attachments ORDER BY storage_key").await?
    } else {
        Vec::new()
    };
    let reports = if tables.contains_key("reports") {
        files(
            "SELECT file_name AS name, size_bytes AS size, checksum AS sha256 FROM reports WHERE file_name IS NOT NULL ORDER BY file_name",
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(Contents { schema_version, tables, attachments, reports })
}

/// A consistent, read-only view of a database to back up: a SQLite snapshot file, or a
/// PostgreSQL transaction whose snapshot is exported for `pg_dump`.
#[derive(Debug)]
pub struct Snapshot {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Sqlite(DatabaseConnection),
    Postgres { tx: DatabaseTransaction, id: String },
}

impl Snapshot {
    /// Opens a SQLite database file read-only and immutable (no `-wal` or `-shm` file is created
    /// next to it; nothing in it changes).
    pub async fn open_sqlite(path: &Path) -> Result<Self, BackupError> {
        let url = format!("sqlite://{}", path.display());
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(1).sqlx_logging(false);
        opts.map_sqlx_sqlite_opts(|o| o.read_only(true).immutable(true).create_if_missing(false));
        let conn =
            sea_orm::Database::connect(opts).await.map_err(|e| BackupError::Open { path: path.to_path_buf(), message: e.to_string() })?;
        Ok(Self { inner: Inner::Sqlite(conn) })
    }

    /// What the snapshot holds.
    pub async fn contents(&self) -> Result<Contents, BackupError> {
        Ok(match &self.inner {
            Inner::Sqlite(c) => contents(c).await?,
            Inner::Postgres { tx, .. } => contents(tx).await?,
        })
    }

    /// The exported PostgreSQL snapshot's id, for `pg_dump --snapshot`; `None` on SQLite.
    pub fn exported_id(&self) -> Option<&str> {
        match &self.inner {
            Inner::Sqlite(_) => None,
            Inner::Postgres { id, .. } => Some(id),
        }
    }

    /// SQLite's `PRAGMA integrity_check` of the snapshot file: `"ok"`, or the problems it found,
    /// one per line. `None` on PostgreSQL.
    pub async fn integrity_check(&self) -> Result<Option<String>, BackupError> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(Some(integrity_check(c).await?)),
            Inner::Postgres { .. } => Ok(None),
        }
    }

    /// Ends the snapshot (closes the file, or ends the PostgreSQL transaction; an exported
    /// snapshot is usable only while its transaction lasts).
    pub async fn close(self) -> Result<(), BackupError> {
        match self.inner {
            Inner::Sqlite(c) => c.close().await.map_err(StoreError::from)?,
            Inner::Postgres { tx, .. } => tx.rollback().await.map_err(StoreError::from)?,
        }
        Ok(())
    }
}

async fn integrity_check<C: ConnectionTrait>(c: &C) -> Result<String, StoreError> {
    Ok(texts(c, "PRAGMA integrity_check", "integrity_check").await?.join("\n"))
}

impl Database {
    /// On SQLite, writes a consistent copy of the database to `path` with `VACUUM INTO` while
    /// other connections keep reading and writing (WAL mode). `path` must not exist. Refused on
    /// PostgreSQL (use [`Database::export_snapshot`] and [`pg_dump`]).
    pub async fn snapshot_into(&self, path: &Path) -> Result<(), BackupError> {
        if self.conn().get_database_backend() != DbBackend::Sqlite {
            return Err(BackupError::WrongBackend("VACUUM INTO is for SQLite; PostgreSQL is backed up with pg_dump"));
        }
        let target = path.to_string_lossy().into_owned();
        self.conn()
            .execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, "VACUUM INTO ?", [target.into()]))
            .await
            .map_err(StoreError::from)?;
        Ok(())
    }

    /// On PostgreSQL, starts a `REPEATABLE READ, READ ONLY` transaction and exports its snapshot:
    /// what [`Snapshot::contents`] reads and what `pg_dump --snapshot` dumps are the same instant.
    /// Keep the [`Snapshot`] open until the dump is done.
    pub async fn export_snapshot(&self) -> Result<Snapshot, BackupError> {
        if self.conn().get_database_backend() != DbBackend::Postgres {
            return Err(BackupError::WrongBackend("exported snapshots are PostgreSQL's; SQLite is snapshotted with VACUUM INTO"));
        }
        let tx = self
            .conn()
            .begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly))
            .await
            .map_err(StoreError::from)?;
        let id = texts(&tx, "SELECT pg_export_snapshot() AS id", "id").await?.into_iter().next().ok_or(StoreError::NotFound)?;
        Ok(Snapshot { inner: Inner::Postgres { tx, id } })
    }

    /// What the database holds now (row counts, schema version, the files its rows name).
    pub async fn contents(&self) -> Result<Contents, StoreError> {
        contents(self.conn()).await
    }

    /// SQLite's `PRAGMA integrity_check` (`"ok"` when sound); `None` on PostgreSQL.
    pub async fn integrity_check(&self) -> Result<Option<String>, StoreError> {
        if self.conn().get_database_backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        Ok(Some(integrity_check(self.conn()).await?))
    }

    /// The tables in the connection's schema (an empty list: a restore may write here).
    pub async fn table_names(&self) -> Result<Vec<String>, StoreError> {
        table_names(self.conn()).await
    }
}

/// The file a `sqlite:` URL names (`sqlite://data/handbook.db?mode=rwc` → `data/handbook.db`);
/// `None` for another scheme or an in-memory database.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let path = rest.trim_start_matches("//").split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// The connection parameters of a `postgres://` URL, as the client tools' environment.
#[derive(Clone, PartialEq, Eq)]
pub struct PgTarget {
    host: Option<String>,
    port: Option<String>,
    user: Option<String>,
    password: Option<String>,
    dbname: String,
    sslmode: Option<String>,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("dbname", &self.dbname)
            .finish_non_exhaustive()
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl PgTarget {
    /// Reads `postgres://[user[:password]@][host][:port]/dbname[?sslmode=…&host=…]`.
    pub fn parse(url: &str) -> Result<Self, BackupError> {
        let bad = || BackupError::BadUrl(crate::connect::redact(url));
        let rest = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://")).ok_or_else(bad)?;
        let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = main.split_once('/').ok_or_else(bad)?;
        let dbname = percent_decode(path);
        if dbname.is_empty() {
            return Err(bad());
        }
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((u, hp)) => (Some(u), hp),
            None => (None, authority),
        };
        let (user, password) = match userinfo.map(|u| u.split_once(':').map_or((u, None), |(a, b)| (a, Some(b)))) {
            Some((u, p)) => ((!u.is_empty()).then(|| percent_decode(u)), p.map(percent_decode)),
            None => (None, None),
        };
        let (mut host, port) = if let Some(v6) = host_port.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            (Some(h.to_string()), after.strip_prefix(':').map(str::to_string))
        } else {
            match host_port.rsplit_once(':') {
                Some((h, p)) => ((!h.is_empty()).then(|| h.to_string()), Some(p.to_string())),
                None => ((!host_port.is_empty()).then(|| host_port.to_string()), None),
            }
        };
        let mut sslmode = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", v)) => sslmode = Some(percent_decode(v)),
                Some(("host", v)) => host = Some(percent_decode(v)),
                _ => {}
            }
        }
        Ok(Self { host, port, user, password, dbname, sslmode })
    }

    /// The database name.
    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    fn command(&self, tool: &'static str) -> Command {
        let mut cmd = Command::new(tool);
        for (key, value) in [
            ("PGHOST", &self.host),
            ("PGPORT", &self.port),
            ("PGUSER", &self.user),
            ("PGPASSWORD", &self.password),
            ("PGSSLMODE", &self.sslmode),
        ] {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        cmd.env("PGDATABASE", &self.dbname).env_remove("PGSERVICE").env_remove("PGOPTIONS");
        cmd
    }
}

fn run(tool: &'static str, mut cmd: Command) -> Result<(), BackupError> {
    let out = cmd.output().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => BackupError::ToolMissing { tool },
        _ => BackupError::ToolIo { tool, source },
    })?;
    if out.status.success() {
        return Ok(());
    }
    Err(BackupError::ToolFailed { tool, status: out.status.to_string(), stderr: String::from_utf8_lossy(&out.stderr).trim().to_string() })
}

/// Runs `pg_dump --format=custom` of `target` into the file `out` (blocking), at the exported
/// `snapshot` when given (see [`Database::export_snapshot`]).
pub fn pg_dump(target: &PgTarget, snapshot: Option<&str>, out: &Path) -> Result<(), BackupError> {
    let mut cmd = target.command("pg_dump");
    cmd.arg("--format=custom").arg("--no-password").arg("--file").arg(out);
    if let Some(id) = snapshot {
        cmd.arg(format!("--snapshot={id}"));
    }
    run("pg_dump", cmd)
}

/// Runs `pg_restore --no-owner --single-transaction --exit-on-error` of the dump `from` into
/// `target` (blocking): all of it, or nothing.
pub fn pg_restore(target: &PgTarget, from: &Path) -> Result<(), BackupError> {
    let mut cmd = target.command("pg_restore");
    cmd.args(["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--no-password", "--dbname"])
        .arg(&target.dbname)
        .arg(from);
    run("pg_restore", cmd)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn postgres_urls_become_tool_parameters() {
        let t = PgTarget::parse("postgres://hb:p%40ss@db.example:6000/handbook?sslmode=require").unwrap();
        assert_eq!(t.host.as_deref(), Some("db.example"));
        assert_eq!(t.port.as_deref(), Some("6000"));
        assert_eq!(t.user.as_deref(), Some("hb"));
        assert_eq!(t.password.as_deref(), Some("p@ss"));
        assert_eq!(t.dbname(), "handbook");
        assert_eq!(t.sslmode.as_deref(), Some("require"));
        assert!(!format!("{t:?}").contains("p@ss"), "the password is never printed");
        let t = PgTarget::parse("postgres://postgres@127.0.0.1/x").unwrap();
        assert_eq!((t.port, t.password), (None, None));
        let t = PgTarget::parse("postgresql:///db?host=/run/postgresql").unwrap();
        assert_eq!(t.host.as_deref(), Some("/run/postgresql"));
        assert!(PgTarget::parse("postgres://u:secret@h").unwrap_err().to_string().contains("***"));
        assert!(PgTarget::parse("sqlite://x.db").is_err());
    }

    #[test]
    fn sqlite_paths_are_read_from_the_url() {
        assert_eq!(sqlite_path("sqlite://data/handbook.db?mode=rwc"), Some(PathBuf::from("data/handbook.db")));
        assert_eq!(sqlite_path("sqlite:///tmp/a.db"), Some(PathBuf::from("/tmp/a.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x/y"), None);
    }
}
