//! Opening the database chosen by `DATABASE_URL`, migrations, transactions.

use std::path::PathBuf;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};

use crate::StoreError;

/// Why the database could not be opened. Never answered by a silent fallback to another database.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL's scheme is neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported DATABASE_URL scheme in {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnknownScheme(String),
    /// The directory for the SQLite file could not be created.
    #[error("cannot create the directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database refused or did not answer.
    #[error("cannot connect to {url}: {source}")]
    Unreachable {
        /// The URL with any password removed.
        url: String,
        /// The cause.
        source: sea_orm::DbErr,
    },
    /// Nothing listens at the PostgreSQL server's address, or it cannot be reached.
    #[error("cannot connect to PostgreSQL at {addr}: {reason}")]
    Refused {
        /// `HOST:PORT` from the URL.
        addr: String,
        /// "connection refused", "no answer within 5 s", …
        reason: String,
    },
    /// Something answers at the address, but not PostgreSQL.
    #[error("the server at {addr} does not speak the PostgreSQL protocol ({detail}); check the port in DATABASE_URL")]
    NotPostgres {
        /// `HOST:PORT` from the URL.
        addr: String,
        /// What the driver saw.
        detail: String,
    },
    /// Migrations failed.
    #[error("migrations failed: {0}")]
    Migration(sea_orm::DbErr),
}

/// Removes a password from a database URL for messages and logs: the one in the user
/// information (up to the last `@` before the query, as lenient parsers read it) and a
/// `password=` query parameter.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let (head, query) = url.split_once('?').map_or((url, None), |(h, q)| (h, Some(q)));
    let mut out = match head.rfind('@').filter(|at| *at > scheme_end) {
        Some(at) => match head[scheme_end + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &head[..scheme_end + 3], &head[at..]),
            None => head.to_string(),
        },
        None => head.to_string(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

#[cfg(test)]
#[test]
fn redaction_hides_every_form_of_password() {
    assert_eq!(redact("postgres://hb:p@ss@db/handbook"), "postgres://hb:***@db/handbook");
    assert_eq!(
        redact("postgres://hb@db/handbook?sslmode=require&password=s3cret"),
        "postgres://hb@db/handbook?sslmode=require&password=***"
    );
    assert_eq!(redact("postgres://hb:pw@db:5432/handbook"), "postgres://hb:***@db:5432/handbook");
    assert_eq!(redact("sqlite:///var/lib/handbook/handbook.db"), "sqlite:///var/lib/handbook/handbook.db");
}

/// How many times [`Database::begin`] tries to take SQLite's write lock, each try waiting up to
/// the busy timeout, before the database counts as unavailable.
pub const BEGIN_ATTEMPTS: u32 = 3;

/// Whether SQLite answered "busy" or "locked" (codes 5 and 6 and their extended codes).
fn is_busy(e: &sea_orm::DbErr) -> bool {
    let text = e.to_string();
    text.contains("database is locked")
        || text.contains("database table is locked")
        || text.contains("(code: 5)")
        || text.contains("(code: 517)")
}

/// `HOST:PORT` of a `postgres://` URL (port 5432 when absent); `None` for a socket directory or an
/// unreadable URL, which are then left to the driver.
pub(crate) fn postgres_addr(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    if host_port.is_empty() {
        return None;
    }
    if let Some(v6) = host_port.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = after.strip_prefix(':').map_or(Some(5432), |p| p.parse().ok())?;
        return Some((host.to_string(), port));
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) => Some((host.to_string(), port.parse().ok()?)),
        None => Some((host_port.to_string(), 5432)),
    }
}

/// Fails fast with a plain reason when nothing listens at the PostgreSQL server's address,
/// instead of the pool's "timed out" after its acquire timeout. A blocking check (at most 5 s per
/// address), made once when the server or a command starts, so that storage stays free of any
/// particular async runtime.
fn probe_postgres(url: &str) -> Result<(), ConnectError> {
    use std::net::ToSocketAddrs;
    let Some((host, port)) = postgres_addr(url) else {
        return Ok(());
    };
    let addr = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let targets: Vec<std::net::SocketAddr> = match (host.as_str(), port).to_socket_addrs() {
        Ok(found) => found.collect(),
        Err(e) => return Err(ConnectError::Refused { addr, reason: format!("the host name cannot be resolved: {e}") }),
    };
    let mut last = None;
    for target in targets {
        match std::net::TcpStream::connect_timeout(&target, Duration::from_secs(5)) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    let reason = match last {
        Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is PostgreSQL running on that port?)".to_string()
        }
        Some(e) if e.kind() == std::io::ErrorKind::TimedOut => "no answer within 5 s".to_string(),
        Some(e) => e.to_string(),
        None => "the host name has no address".to_string(),
    };
    Err(ConnectError::Refused { addr, reason })
}

/// Turns a driver error at connection time into the clearest [`ConnectError`].
fn connect_error(url: &str, source: sea_orm::DbErr) -> ConnectError {
    let text = source.to_string();
    // Reached only once something accepted the TCP connection (see `probe_postgres`).
    let protocol = [
        "expected to read",
        "unexpected response from server",
        "received unexpected message",
        "protocol error",
        "Connection reset by peer",
    ];
    match postgres_addr(url) {
        Some((host, port)) if protocol.iter().any(|p| text.contains(p)) || text.contains("unexpected end of file") => {
            ConnectError::NotPostgres { addr: format!("{host}:{port}"), detail: text }
        }
        _ => ConnectError::Unreachable { url: redact(url), source },
    }
}

/// A pool of connections to the handbook database.
#[derive(Debug, Clone)]
pub struct Database {
    pub(crate) conn: DatabaseConnection,
    /// SQLite: the process's writers queue here before `BEGIN
    /// IMMEDIATE` (see [`Database::begin`]); `None` on PostgreSQL.
    writer: Option<std::sync::Arc<async_lock::Mutex<()>>>,
    /// A streaming replica for lag-tolerant reads ([`Database::reader`]), when attached.
    pub(crate) replica: Option<std::sync::Arc<crate::replica::Replica>>,
    /// The WAL position the replica must have replayed before lag-tolerant reads go there
    /// ([`Database::reading_after`]; 0: any).
    pub(crate) min_replayed: u64,
}

/// The state of a connection pool (see [`Database::pool_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections.
    pub size: u32,
    /// Open connections not lent out.
    pub idle: u32,
    /// Connections lent out (`size - idle`).
    pub in_use: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

/// One transaction. Dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub struct Tx {
    tx: DatabaseTransaction,
    /// The turn at the SQLite write gate, given back after the transaction ends (declared after
    /// `tx`, so dropped after it).
    _turn: Option<async_lock::MutexGuardArc<()>>,
}

impl Tx {
    /// The connection to pass to repository functions.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(StoreError::from)
    }
}

impl Database {
    /// Opens the database named by `url` (`sqlite://path/to/file.db` or `postgres://…`).
    /// SQLite files (and their directory) are created when missing and opened in WAL mode with
    /// foreign keys on and a busy timeout. Fails on an unknown scheme or an unreachable server.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, ConnectError> {
        Self::open(url, max_connections, false).await
    }

    /// Like [`Database::connect`], for a worker whose statements carry long id lists (the
    /// notifier): on PostgreSQL its sessions plan every execution for its parameters
    /// (`plan_cache_mode = force_custom_plan`) instead of reusing a generic plan, which for
    /// `IN (…)` lists of a few hundred ids measured 10–20 times slower (docs/PERFORMANCE.md,
    /// "Notifications"). The API keeps the default.
    pub async fn connect_worker(url: &str, max_connections: u32) -> Result<Self, ConnectError> {
        Self::open(url, max_connections, true).await
    }

    async fn open(url: &str, max_connections: u32, custom_plans: bool) -> Result<Self, ConnectError> {
        let mut opts = ConnectOptions::new(url.to_string());
        opts.max_connections(max_connections)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//").split('?').next().unwrap_or_default();
            if !path.is_empty()
                && path != ":memory:"
                && let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|source| ConnectError::DataDir { path: dir.to_path_buf(), source })?;
            }
            opts.map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
            });
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // options as given in the URL
            probe_postgres(url)?;
            if custom_plans {
                opts.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_custom_plan")]));
            }
        } else {
            return Err(ConnectError::UnknownScheme(redact(url)));
        }
        let conn = sea_orm::Database::connect(opts).await.map_err(|source| connect_error(url, source))?;
        conn.ping().await.map_err(|source| connect_error(url, source))?;
        let writer = (conn.get_database_backend() == DbBackend::Sqlite).then(std::sync::Arc::default);
        Ok(Self { conn, writer, replica: None, min_replayed: 0 })
    }

    /// Opens a read replica (a PostgreSQL standby) without connecting yet, so that a replica
    /// that is down does not stop the start: connections are made when reads need them, each
    /// within 2 s, and a statement on it is cancelled after `statement_timeout` (the server
    /// cancels it: a replica that stalls does not hold a request). Attach it with
    /// [`Database::with_replica`].
    pub async fn connect_replica(url: &str, max_connections: u32, statement_timeout: Duration) -> Result<Self, ConnectError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConnectError::UnknownScheme(redact(url)));
        }
        let mut opts = ConnectOptions::new(url.to_string());
        opts.max_connections(max_connections)
            .min_connections(0)
            .connect_timeout(Duration::from_secs(2))
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy(true)
            .sqlx_logging(false);
        let timeout_ms = statement_timeout.as_millis().to_string();
        opts.map_sqlx_postgres_opts(move |o| o.options([("statement_timeout", timeout_ms.as_str())]));
        let conn = sea_orm::Database::connect(opts).await.map_err(|source| connect_error(url, source))?;
        Ok(Self { conn, writer: None, replica: None, min_replayed: 0 })
    }

    /// Opens a PostgreSQL database with `search_path` set to `schema` (used by tests to give each
    /// test its own schema).
    pub async fn connect_postgres_schema(url: &str, schema: &str, max_connections: u32) -> Result<Self, ConnectError> {
        let mut opts = ConnectOptions::new(url.to_string());
        opts.max_connections(max_connections).set_schema_search_path(schema.to_string()).sqlx_logging(false);
        let conn = sea_orm::Database::connect(opts).await.map_err(|source| ConnectError::Unreachable { url: redact(url), source })?;
        Ok(Self { conn, writer: None, replica: None, min_replayed: 0 })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        Migrator::up(&self.conn, None).await.map_err(ConnectError::Migration)
    }

    /// Rolls back every migration (tests and `api migrate down`).
    pub async fn migrate_down_all(&self) -> Result<(), ConnectError> {
        Migrator::down(&self.conn, None).await.map_err(ConnectError::Migration)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.conn.ping().await.map_err(StoreError::from)
    }

    /// Whether the database accepts a write now: rewrites the one row of `readiness_probe` with
    /// `now` in a committed transaction (a full disk or a read-only file fails here, while a read
    /// would still succeed).
    pub async fn probe_write(&self, now: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        let tx = self.begin().await?;
        let backend = self.conn.get_database_backend();
        let sql = "UPDATE readiness_probe SET checked_at = $1 WHERE id = 1";
        let sql = if backend == DbBackend::Sqlite { sql.replace("$1", "?") } else { sql.to_string() };
        let done = tx.conn().execute_raw(Statement::from_sql_and_values(backend, sql, [now.to_rfc3339().into()])).await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.conn.get_database_backend() {
            DbBackend::Sqlite => "sqlite",
            DbBackend::Postgres => "postgres",
            _ => "other",
        }
    }

    /// The connection pool's current state, for metrics.
    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle, max) = match self.conn.get_database_backend() {
            DbBackend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle(), pool.options().get_max_connections())
            }
            DbBackend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle(), pool.options().get_max_connections())
            }
            _ => (0, 0, 0),
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
        PoolStats { size, idle, in_use: size - idle, max }
    }

    /// The size in bytes of SQLite's write-ahead log (`<database file>-wal`); `None` on
    /// PostgreSQL, for an in-memory database, or when the file does not exist (no write since
    /// the last checkpoint truncated it counts as 0 only while the file is there).
    pub fn wal_bytes(&self) -> Option<u64> {
        if self.conn.get_database_backend() != DbBackend::Sqlite {
            return None;
        }
        let options = self.conn.get_sqlite_connection_pool().connect_options();
        let file = options.get_filename();
        if file.as_os_str().is_empty() || file.to_string_lossy().contains(":memory:") {
            return None;
        }
        let mut wal = file.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(std::path::PathBuf::from(wal)).ok().map(|m| m.len())
    }

    /// The pool, to pass to repository functions for single reads.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Starts a write transaction.
    ///
    /// On SQLite it starts as a write (`BEGIN IMMEDIATE`): a deferred transaction that reads and
    /// then writes must upgrade its read snapshot to the write lock, and when another connection
    /// has committed in between, SQLite refuses the upgrade at once (`SQLITE_BUSY_SNAPSHOT`, 517)
    /// without waiting — a crowd of members opening the same new document got 503s. Taking the
    /// write lock first makes writers queue instead.
    ///
    /// The writers of this process queue first on an in-process async gate and take
    /// the write lock one at a time (`async_lock::Mutex`, which hands the gate to a waiter that
    /// has waited over half a millisecond instead of letting newcomers overtake it — a plain
    /// barging mutex left some first check-ins waiting for seconds): SQLite's own busy handler makes a waiting connection sleep
    /// (1, 2, 5, 10 … 100 ms) and poll, so under a crowd of writers the lock was often free while
    /// every waiter slept (first check-ins at 32 connections: docs/PERFORMANCE.md). Other
    /// processes on the same file (notifier, report generator) still meet this one at the busy
    /// timeout. The wait for the lock is bounded (the busy timeout, then `BEGIN_ATTEMPTS` tries in
    /// all); only then is it [`StoreError::Unavailable`]. A turn at the gate lasts as long as the
    /// transaction, so a task must not begin a second write transaction while it holds one.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let Some(gate) = &self.writer else {
            return Ok(Tx { tx: self.conn.begin().await?, _turn: None });
        };
        let turn = gate.lock_arc().await;
        let options = TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
        let mut attempt = 1;
        loop {
            match self.conn.begin_with_options(options).await {
                Ok(tx) => return Ok(Tx { tx, _turn: Some(turn) }),
                // SQLite's busy handler has already waited the busy timeout: try again at once.
                Err(e) if attempt < BEGIN_ATTEMPTS && is_busy(&e) => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Starts a read transaction that sees one consistent state of the database for its whole
    /// length: on SQLite a deferred transaction (its snapshot of the write-ahead log is taken at
    /// the first read, and writers are not blocked); on PostgreSQL `REPEATABLE READ, READ ONLY`.
    /// For long reads of many tables (copying an installation, backups); commit or drop it to end.
    pub async fn begin_read(&self) -> Result<Tx, StoreError> {
        let options = if self.conn.get_database_backend() == DbBackend::Sqlite {
            TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Deferred), ..Default::default() }
        } else {
            TransactionOptions {
                isolation_level: Some(sea_orm::IsolationLevel::RepeatableRead),
                access_mode: Some(sea_orm::AccessMode::ReadOnly),
                ..Default::default()
            }
        };
        Ok(Tx { tx: self.conn.begin_with_options(options).await?, _turn: None })
    }

    /// Runs a raw statement (tests, schema administration).
    pub async fn execute_unprepared(&self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_unprepared(sql).await?;
        Ok(())
    }

    /// A textual description of the schema (tables, columns, indexes), for migration tests.
    pub async fn describe_schema(&self) -> Result<Vec<String>, StoreError> {
        let backend = self.conn.get_database_backend();
        let sql = match backend {
            DbBackend::Sqlite => {
                "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') AS line FROM sqlite_master \
                 WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
            }
            _ => {
                "SELECT line FROM ( \
                   SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS line \
                   FROM information_schema.columns WHERE table_schema = current_schema() \
                   UNION ALL SELECT 'index ' || tablename || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                   UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint \
                   WHERE connamespace = current_schema()::regnamespace \
                 ) s ORDER BY line"
            }
        };
        let rows = self.conn.query_all_raw(Statement::from_string(backend, sql)).await?;
        rows.iter().map(|r| r.try_get::<String>("", "line").map_err(StoreError::from)).collect()
    }

    /// On SQLite, copies the write-ahead log into the database and truncates it
    /// (`PRAGMA wal_checkpoint(TRUNCATE)`); a no-op on PostgreSQL. The server runs it
    /// periodically: a statement left unfinished on a pooled connection (as sea-orm's
    /// `INSERT … RETURNING` does) keeps SQLite's automatic checkpoint from resetting the log.
    pub async fn checkpoint_wal(&self) -> Result<(), StoreError> {
        if self.conn.get_database_backend() == DbBackend::Sqlite {
            self.conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        }
        Ok(())
    }

    /// Gathers planner statistics after a bulk load, on PostgreSQL (`ANALYZE`); a no-op on SQLite.
    /// Without statistics PostgreSQL estimates every table as tiny and picks scans that test
    /// every row (the feed took 0.44 s instead of 0.6 ms on the generated province); autovacuum
    /// would gather them, but only some time later. SQLite's queries are written for its planner
    /// without statistics (see `documents::search_top_k`), and its `ANALYZE` statistics moved
    /// some of them onto worse indexes, so none are gathered there.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        if self.conn.get_database_backend() == DbBackend::Postgres {
            self.conn.execute_unprepared("ANALYZE").await?;
        }
        Ok(())
    }

    /// Size in bytes of the SQLite write-ahead log, if this is a file-backed SQLite database.
    pub async fn sqlite_wal_size(&self) -> Result<Option<u64>, StoreError> {
        if self.conn.get_database_backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        let row = self
            .conn
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT file FROM pragma_database_list WHERE name = 'main'"))
            .await?;
        let Some(file) = row.map(|r| r.try_get::<String>("", "file")).transpose()? else {
            return Ok(None);
        };
        Ok(std::fs::metadata(format!("{file}-wal")).ok().map(|m| m.len()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn postgres_addresses_are_read_from_the_url() {
        assert_eq!(postgres_addr("postgres://postgres@127.0.0.1:5432/db"), Some(("127.0.0.1".into(), 5432)));
        assert_eq!(postgres_addr("postgresql://u:p@db.example:6000/x?sslmode=require"), Some(("db.example".into(), 6000)));
        assert_eq!(postgres_addr("postgres://u@host/db"), Some(("host".into(), 5432)));
        assert_eq!(postgres_addr("postgres://u@[::1]:5433/db"), Some(("::1".into(), 5433)));
        assert_eq!(postgres_addr("postgres:///db?host=/run/postgresql"), None, "a socket is left to the driver");
    }

    #[tokio::test]
    async fn an_unreachable_or_foreign_server_is_named_plainly_and_quickly() {
        // A port nothing listens on: refused at once, naming the address.
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let err = Database::connect(&format!("postgres://postgres@127.0.0.1:{port}/x"), 1).await.unwrap_err();
        assert!(matches!(err, ConnectError::Refused { .. }), "{err:?}");
        assert!(err.to_string().contains(&format!("127.0.0.1:{port}")) && err.to_string().contains("refused"), "{err}");

        // A port where an HTTP server answers instead of PostgreSQL.
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = http.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut s, _)) = http.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 512];
                    let _ = s.read(&mut buf).await;
                    let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                });
            }
        });
        let err = Database::connect(&format!("postgres://postgres@127.0.0.1:{port}/x"), 1).await.unwrap_err();
        assert!(matches!(err, ConnectError::NotPostgres { .. }), "{err:?}: {err}");
        assert!(err.to_string().contains("does not speak the PostgreSQL protocol"), "{err}");
    }
}
