//! Copying a whole installation's rows from its embedded SQLite database into another migrated
//! database — in practice a commune's PostgreSQL when it joins its province (`api copy-data`).
//!
//! The copy is generic over the schema the migrations made: tables, columns, declared types and
//! foreign keys are read from the source's catalogue, so a table added by a later migration is
//! copied without changing this module.
//!
//! - **Order**: tables in foreign-key dependency order (a referenced table first); inside a table
//!   that references itself (`org_units.parent_id`, `comments.parent_id`) rows go parents first.
//! - **Consistency**: the source is read inside one read transaction (SQLite: one snapshot of the
//!   write-ahead log), so a server still running on it does not tear the copy; the destination is
//!   written inside one transaction that commits only after every table's row count and checksum
//!   match the source's — a failed or interrupted copy leaves the destination empty.
//! - **Batches**: multi-row `INSERT`s of up to `batch` rows (fewer for wide tables, keeping under
//!   the bound-parameter limits), with a progress callback after each.
//! - **Tables the migrations fill**: `auth_epoch` and `readiness_probe` hold one row each from
//!   the migrations; their rows are replaced by the source's. `unit_point_counts` is maintained
//!   by triggers on `unit_points` in both backends: it is not copied but rebuilt by those
//!   triggers as `unit_points` is copied, and then checked against the source like every other
//!   table.
//! - **Checksum**: a table's checksum is the sum modulo 2¹²⁸ of the SHA-256 of each row's
//!   canonical encoding (columns by name; UUIDs as 16 bytes, instants as microseconds since the
//!   epoch, dates as days, integers as 64-bit, text as UTF-8 with its length) — independent of row
//!   order and of each backend's storage format, sensitive to any changed, missing or extra row.
//! - **Precision**: instants are carried at PostgreSQL's precision, the microsecond; the digits
//!   below it that SQLite's text timestamps may hold are dropped (and not compared).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, StreamTrait, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Database, StoreError};

/// Tables whose single row the migrations insert; the source's row replaces it.
const SEEDED: [&str; 2] = ["auth_epoch", "readiness_probe"];
/// Tables that triggers keep from other tables' rows: rebuilt, not copied, then verified.
const DERIVED: [&str; 1] = ["unit_point_counts"];
/// Bound parameters in one statement, kept under SQLite's (32,766) and PostgreSQL's (65,535).
const MAX_PARAMETERS: usize = 30_000;

/// Why a copy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The source is not a SQLite database.
    #[error("the source must be the embedded SQLite database (it is {0})")]
    SourceNotSqlite(&'static str),
    /// The two databases are not at the same migration.
    #[error(
        "source and destination are at different migrations (source: {source_latest}, destination: {destination_latest}); migrate both first"
    )]
    SchemaMismatch {
        /// The source's latest applied migration.
        source_latest: String,
        /// The destination's latest applied migration.
        destination_latest: String,
    },
    /// The destination already holds rows.
    #[error("the destination is not empty: table {table} has {rows} rows (copy-data only fills an empty, migrated database)")]
    NotEmpty {
        /// The first table found with rows.
        table: String,
        /// Its row count.
        rows: i64,
    },
    /// A column's declared type is not one the copy knows how to carry.
    #[error("column {table}.{column} has a declared type the copy does not know: {declared}")]
    UnknownType {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Its declared type.
        declared: String,
    },
    /// The tables' foreign keys (or a table's rows referencing each other) form a cycle.
    #[error("cannot order the rows of {0}: its foreign keys form a cycle")]
    Cycle(String),
    /// After the copy a table differs between source and destination (nothing was committed).
    #[error(
        "table {table} differs after the copy (source {source_rows} rows, checksum {source_checksum}; destination {destination_rows} rows, checksum {destination_checksum}); nothing was committed"
    )]
    Mismatch {
        /// The table.
        table: String,
        /// Rows in the source.
        source_rows: u64,
        /// Rows in the destination.
        destination_rows: u64,
        /// The source's checksum.
        source_checksum: String,
        /// The destination's checksum.
        destination_checksum: String,
    },
    /// A database statement failed.
    #[error("{context}: {source}")]
    Store {
        /// What was being done.
        context: String,
        /// The cause.
        source: StoreError,
    },
}

/// What a copied (or, for derived tables, rebuilt) table holds on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    /// The table.
    pub table: String,
    /// Its rows (equal on both sides).
    pub rows: u64,
    /// Its checksum (equal on both sides; 32 hex digits).
    pub checksum: String,
    /// Whether the rows were rebuilt by the destination's triggers rather than copied.
    pub derived: bool,
}

/// The result of a copy: every table, in the order copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// The tables.
    pub tables: Vec<TableSummary>,
}

impl CopyReport {
    /// Rows copied in all.
    pub fn rows(&self) -> u64 {
        self.tables.iter().filter(|t| !t.derived).map(|t| t.rows).sum()
    }
}

/// A point of progress: `done` of `total` rows of `table` copied.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The table being copied.
    pub table: &'a str,
    /// Rows of it copied so far.
    pub done: u64,
    /// Its rows in the source.
    pub total: u64,
}

/// How a column's values are read, written and checksummed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Uuid,
    Timestamp,
    Date,
    Bool,
    /// Any integer: SQLite declares `integer` for 32- and 64-bit columns alike, so values are
    /// carried as 64-bit (PostgreSQL narrows them on insert, and they are read back widened).
    Int,
    Text,
    Bytes,
}

impl Kind {
    /// The kind of a column from its declared type in SQLite (as the migrations wrote it).
    fn of(declared: &str) -> Option<Self> {
        let t = declared.trim().to_ascii_lowercase();
        let kind = if t.contains("uuid") {
            Self::Uuid
        } else if t.contains("timestamp") {
            Self::Timestamp
        } else if t == "date" || t == "date_text" {
            Self::Date
        } else if t.contains("bool") {
            Self::Bool
        } else if t.contains("int") {
            Self::Int
        } else if t == "text" || t.contains("char") || t == "string" {
            Self::Text
        } else if t == "blob" || t.contains("binary") || t == "bytea" {
            Self::Bytes
        } else {
            return None;
        };
        Some(kind)
    }
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
struct Table {
    name: String,
    /// Columns sorted by name (the checksum's order).
    columns: Vec<Column>,
    /// `(column, referenced column)` of foreign keys to the table itself.
    self_refs: Vec<(String, String)>,
    /// Other tables it references.
    depends_on: HashSet<String>,
}

fn store(context: impl Into<String>) -> impl FnOnce(StoreError) -> CopyError {
    let context = context.into();
    move |source| CopyError::Store { context, source }
}

fn db_err(context: impl Into<String>) -> impl FnOnce(sea_orm::DbErr) -> CopyError {
    let f = store(context);
    move |e| f(StoreError::from(e))
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Copies every row of `source` (a migrated SQLite database) into `destination` (an empty
/// database at the same migration), verifying row counts and checksums before committing; see the
/// module documentation. `batch` is the largest number of rows per `INSERT`.
pub async fn copy_data(
    source: &Database,
    destination: &Database,
    batch: usize,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<CopyReport, CopyError> {
    if source.backend_name() != "sqlite" {
        return Err(CopyError::SourceNotSqlite(source.backend_name()));
    }
    let src_tx = source.begin_read().await.map_err(store("opening a read transaction on the source"))?;
    let src = src_tx.conn();
    let (source_latest, destination_latest) = (latest_migration(src).await?, latest_migration(destination.conn()).await?);
    if source_latest != destination_latest {
        return Err(CopyError::SchemaMismatch { source_latest, destination_latest });
    }
    let tables = ordered(read_catalogue(src).await?)?;
    let dst_tx = destination.begin().await.map_err(store("opening a transaction on the destination"))?;
    let dst = dst_tx.conn();
    for table in &tables {
        let rows = count(dst, &table.name).await?;
        if rows > 0 && !SEEDED.contains(&table.name.as_str()) {
            return Err(CopyError::NotEmpty { table: table.name.clone(), rows });
        }
    }
    let batch = batch.max(1);
    // Seeded singletons last: triggers on the other tables update `auth_epoch` while they fill.
    let (seeded, rest): (Vec<&Table>, Vec<&Table>) = tables.iter().partition(|t| SEEDED.contains(&t.name.as_str()));
    for table in rest.iter().chain(seeded.iter()) {
        if DERIVED.contains(&table.name.as_str()) {
            continue;
        }
        if SEEDED.contains(&table.name.as_str()) {
            dst.execute_raw(Statement::from_string(
                ConnectionTrait::get_database_backend(dst),
                format!("DELETE FROM {}", quote(&table.name)),
            ))
            .await
            .map_err(db_err(format!("emptying {}", table.name)))?;
        }
        copy_table(src, dst, table, batch, progress).await?;
    }
    let mut summaries = Vec::with_capacity(tables.len());
    for table in &tables {
        let (source_rows, source_sum) = digest(src, table).await?;
        let (destination_rows, destination_sum) = digest(dst, table).await?;
        if (source_rows, source_sum) != (destination_rows, destination_sum) {
            return Err(CopyError::Mismatch {
                table: table.name.clone(),
                source_rows,
                destination_rows,
                source_checksum: hex(source_sum),
                destination_checksum: hex(destination_sum),
            });
        }
        summaries.push(TableSummary {
            table: table.name.clone(),
            rows: source_rows,
            checksum: hex(source_sum),
            derived: DERIVED.contains(&table.name.as_str()),
        });
    }
    dst_tx.commit().await.map_err(store("committing the destination"))?;
    src_tx.commit().await.map_err(store("closing the source's read transaction"))?;
    Ok(CopyReport { tables: summaries })
}

/// Compares every table of `source` (SQLite) and `destination` by row count and checksum, and
/// returns the summary of each, or the first that differs as [`CopyError::Mismatch`].
pub async fn verify(source: &Database, destination: &Database) -> Result<Vec<TableSummary>, CopyError> {
    if source.backend_name() != "sqlite" {
        return Err(CopyError::SourceNotSqlite(source.backend_name()));
    }
    let tables = ordered(read_catalogue(source.conn()).await?)?;
    let mut out = Vec::with_capacity(tables.len());
    for table in &tables {
        let (source_rows, source_sum) = digest(source.conn(), table).await?;
        let (destination_rows, destination_sum) = digest(destination.conn(), table).await?;
        if (source_rows, source_sum) != (destination_rows, destination_sum) {
            return Err(CopyError::Mismatch {
                table: table.name.clone(),
                source_rows,
                destination_rows,
                source_checksum: hex(source_sum),
                destination_checksum: hex(destination_sum),
            });
        }
        out.push(TableSummary {
            table: table.name.clone(),
            rows: source_rows,
            checksum: hex(source_sum),
            derived: DERIVED.contains(&table.name.as_str()),
        });
    }
    Ok(out)
}

async fn latest_migration<C: ConnectionTrait>(c: &C) -> Result<String, CopyError> {
    let row = c
        .query_one_raw(Statement::from_string(c.get_database_backend(), "SELECT MAX(version) AS v FROM seaql_migrations"))
        .await
        .map_err(db_err("reading the applied migrations"))?;
    Ok(row.and_then(|r| r.try_get::<Option<String>>("", "v").ok().flatten()).unwrap_or_else(|| "none".to_string()))
}

async fn count<C: ConnectionTrait>(c: &C, table: &str) -> Result<i64, CopyError> {
    let row = c
        .query_one_raw(Statement::from_string(c.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {}", quote(table))))
        .await
        .map_err(db_err(format!("counting {table}")))?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose().map_err(db_err(format!("counting {table}")))?.unwrap_or(0))
}

/// The source's tables, columns and foreign keys (SQLite catalogue).
async fn read_catalogue<C: ConnectionTrait>(c: &C) -> Result<Vec<Table>, CopyError> {
    let names = c
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY name",
        ))
        .await
        .map_err(db_err("listing the source's tables"))?;
    let mut tables = Vec::with_capacity(names.len());
    for row in names {
        let name: String = row.try_get("", "name").map_err(db_err("listing the source's tables"))?;
        let columns = c
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT name, type FROM pragma_table_info($1) ORDER BY name",
                [Value::from(name.clone())],
            ))
            .await
            .map_err(db_err(format!("reading the columns of {name}")))?;
        let mut cols = Vec::with_capacity(columns.len());
        for col in columns {
            let column: String = col.try_get("", "name").map_err(db_err(format!("reading the columns of {name}")))?;
            let declared: String = col.try_get("", "type").map_err(db_err(format!("reading the columns of {name}")))?;
            let kind =
                Kind::of(&declared).ok_or_else(|| CopyError::UnknownType { table: name.clone(), column: column.clone(), declared })?;
            cols.push(Column { name: column, kind });
        }
        let keys = c
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT \"table\" AS t, \"from\" AS f, \"to\" AS r FROM pragma_foreign_key_list($1)",
                [Value::from(name.clone())],
            ))
            .await
            .map_err(db_err(format!("reading the foreign keys of {name}")))?;
        let (mut self_refs, mut depends_on) = (Vec::new(), HashSet::new());
        for key in keys {
            let context = || format!("reading the foreign keys of {name}");
            let target: String = key.try_get("", "t").map_err(db_err(context()))?;
            let from: String = key.try_get("", "f").map_err(db_err(context()))?;
            let to: Option<String> = key.try_get("", "r").map_err(db_err(context()))?;
            if target == name {
                self_refs.push((from, to.unwrap_or_else(|| "id".to_string())));
            } else {
                depends_on.insert(target);
            }
        }
        tables.push(Table { name, columns: cols, self_refs, depends_on });
    }
    Ok(tables)
}

/// Tables in dependency order (Kahn's algorithm; ties by name).
fn ordered(tables: Vec<Table>) -> Result<Vec<Table>, CopyError> {
    let names: HashSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    let mut pending: BTreeMap<String, Table> = tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready: Vec<String> = pending
            .values()
            .filter(|t| t.depends_on.iter().all(|d| done.contains(d) || !names.contains(d)))
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            return Err(CopyError::Cycle(pending.keys().cloned().collect::<Vec<_>>().join(", ")));
        }
        for name in ready {
            if let Some(table) = pending.remove(&name) {
                done.insert(name);
                out.push(table);
            }
        }
    }
    Ok(out)
}

fn select_list(table: &Table) -> String {
    table.columns.iter().map(|c| quote(&c.name)).collect::<Vec<_>>().join(", ")
}

async fn copy_table<S: ConnectionTrait, D: ConnectionTrait>(
    src: &S,
    dst: &D,
    table: &Table,
    batch: usize,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<(), CopyError> {
    let total = u64::try_from(count(src, &table.name).await?).unwrap_or(0);
    progress(Progress { table: &table.name, done: 0, total });
    let per_statement = batch.min(MAX_PARAMETERS / table.columns.len().max(1)).max(1);
    let columns = select_list(table);
    let mut done = 0u64;
    if table.self_refs.is_empty() {
        let mut after = i64::MIN;
        loop {
            let rows = src
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    format!("SELECT rowid AS \"__rowid\", {columns} FROM {} WHERE rowid > $1 ORDER BY rowid LIMIT $2", quote(&table.name)),
                    [Value::from(after), Value::from(i64::try_from(per_statement).unwrap_or(i64::MAX))],
                ))
                .await
                .map_err(db_err(format!("reading {}", table.name)))?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("", "__rowid").map_err(db_err(format!("reading {}", table.name)))?;
            insert(dst, table, &rows).await?;
            done += rows.len() as u64;
            progress(Progress { table: &table.name, done, total });
        }
    } else {
        for chunk in parents_first(src, table).await?.chunks(per_statement) {
            let list = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            let rows = src
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    format!("SELECT {columns} FROM {} WHERE rowid IN ({list})", quote(&table.name)),
                    chunk.iter().map(|r| Value::from(*r)).collect::<Vec<_>>(),
                ))
                .await
                .map_err(db_err(format!("reading {}", table.name)))?;
            insert(dst, table, &rows).await?;
            done += rows.len() as u64;
            progress(Progress { table: &table.name, done, total });
        }
    }
    Ok(())
}

/// A key value of a self reference: the reference's index, the value's canonical encoding.
type KeyRef = (usize, Vec<u8>);

/// The rowids of a self-referencing table, every row after the rows it references.
async fn parents_first<C: ConnectionTrait>(c: &C, table: &Table) -> Result<Vec<i64>, CopyError> {
    let key_of = |col: &str| table.columns.iter().find(|c| c.name == col).map(|c| c.kind);
    let mut refs = String::new();
    for (i, (from, to)) in table.self_refs.iter().enumerate() {
        refs.push_str(&format!(", {} AS \"__from{i}\", {} AS \"__to{i}\"", quote(from), quote(to)));
    }
    let rows = c
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT rowid AS \"__rowid\"{refs} FROM {} ORDER BY rowid", quote(&table.name)),
        ))
        .await
        .map_err(db_err(format!("reading the references of {}", table.name)))?;
    // For each row: its own key values (per self reference) and the keys it points at.
    let mut id_of: HashMap<KeyRef, i64> = HashMap::new();
    let mut points_at: Vec<(i64, Vec<KeyRef>)> = Vec::with_capacity(rows.len());
    for row in &rows {
        let context = || format!("reading the references of {}", table.name);
        let rowid: i64 = row.try_get("", "__rowid").map_err(db_err(context()))?;
        let mut targets = Vec::new();
        for (i, (from, to)) in table.self_refs.iter().enumerate() {
            let own = canonical(row, &format!("__to{i}"), key_of(to).unwrap_or(Kind::Text)).map_err(db_err(context()))?;
            if let Some(own) = own {
                id_of.insert((i, own), rowid);
            }
            if let Some(target) = canonical(row, &format!("__from{i}"), key_of(from).unwrap_or(Kind::Text)).map_err(db_err(context()))? {
                targets.push((i, target));
            }
        }
        points_at.push((rowid, targets));
    }
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut waiting: HashMap<i64, usize> = HashMap::new();
    let mut queue = VecDeque::new();
    for (rowid, targets) in &points_at {
        let parents: Vec<i64> = targets.iter().filter_map(|t| id_of.get(t).copied()).filter(|p| p != rowid).collect();
        if parents.is_empty() {
            queue.push_back(*rowid);
        } else {
            waiting.insert(*rowid, parents.len());
            for p in parents {
                children.entry(p).or_default().push(*rowid);
            }
        }
    }
    let mut out = Vec::with_capacity(points_at.len());
    while let Some(rowid) = queue.pop_front() {
        out.push(rowid);
        for child in children.remove(&rowid).unwrap_or_default() {
            if let Some(n) = waiting.get_mut(&child) {
                *n -= 1;
                if *n == 0 {
                    waiting.remove(&child);
                    queue.push_back(child);
                }
            }
        }
    }
    if out.len() != points_at.len() {
        return Err(CopyError::Cycle(table.name.clone()));
    }
    Ok(out)
}

async fn insert<D: ConnectionTrait>(dst: &D, table: &Table, rows: &[QueryResult]) -> Result<(), CopyError> {
    if rows.is_empty() {
        return Ok(());
    }
    let width = table.columns.len();
    let mut values = Vec::with_capacity(rows.len() * width);
    let mut tuples = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        for col in &table.columns {
            values.push(value(row, &col.name, col.kind).map_err(db_err(format!("reading {}.{}", table.name, col.name)))?);
        }
        tuples.push(format!("({})", (r * width + 1..=(r + 1) * width).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")));
    }
    let sql = format!("INSERT INTO {} ({}) VALUES {}", quote(&table.name), select_list(table), tuples.join(", "));
    dst.execute_raw(Statement::from_sql_and_values(dst.get_database_backend(), sql, values))
        .await
        .map_err(db_err(format!("writing {}", table.name)))?;
    Ok(())
}

/// A column's value, typed for the destination.
fn value(row: &QueryResult, col: &str, kind: Kind) -> Result<Value, sea_orm::DbErr> {
    Ok(match kind {
        Kind::Uuid => row.try_get::<Option<Uuid>>("", col)?.into(),
        Kind::Timestamp => row.try_get::<Option<DateTime<Utc>>>("", col)?.into(),
        Kind::Date => row.try_get::<Option<NaiveDate>>("", col)?.into(),
        Kind::Bool => row.try_get::<Option<bool>>("", col)?.into(),
        Kind::Int => row.try_get::<Option<i64>>("", col)?.into(),
        Kind::Text => row.try_get::<Option<String>>("", col)?.into(),
        Kind::Bytes => row.try_get::<Option<Vec<u8>>>("", col)?.into(),
    })
}

/// A column's value in the checksum's canonical encoding (`None` for NULL).
fn canonical(row: &QueryResult, col: &str, kind: Kind) -> Result<Option<Vec<u8>>, sea_orm::DbErr> {
    let lengthed = |bytes: &[u8]| {
        let mut v = (bytes.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(bytes);
        v
    };
    Ok(match kind {
        Kind::Uuid => row.try_get::<Option<Uuid>>("", col)?.map(|u| u.as_bytes().to_vec()),
        Kind::Timestamp => row.try_get::<Option<DateTime<Utc>>>("", col)?.map(|t| t.timestamp_micros().to_le_bytes().to_vec()),
        Kind::Date => row.try_get::<Option<NaiveDate>>("", col)?.map(|d| i64::from(d.num_days_from_ce()).to_le_bytes().to_vec()),
        Kind::Bool => row.try_get::<Option<bool>>("", col)?.map(|b| vec![u8::from(b)]),
        Kind::Int => row.try_get::<Option<i64>>("", col)?.map(|i| i.to_le_bytes().to_vec()),
        Kind::Text => row.try_get::<Option<String>>("", col)?.map(|s| lengthed(s.as_bytes())),
        Kind::Bytes => row.try_get::<Option<Vec<u8>>>("", col)?.map(|b| lengthed(&b)),
    })
}

/// Row count and order-independent checksum of a table (see the module documentation).
async fn digest<C: ConnectionTrait + StreamTrait>(c: &C, table: &Table) -> Result<(u64, u128), CopyError> {
    let postgres = ConnectionTrait::get_database_backend(c) == DbBackend::Postgres;
    let columns = table
        .columns
        .iter()
        .map(|col| match col.kind {
            // Integers of every width are read as 64-bit.
            Kind::Int if postgres => format!("CAST({0} AS bigint) AS {0}", quote(&col.name)),
            _ => quote(&col.name),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT {columns} FROM {}", quote(&table.name));
    let context = || format!("checksumming {}", table.name);
    let mut rows = std::pin::pin!(
        c.stream_raw(Statement::from_string(ConnectionTrait::get_database_backend(c), sql)).await.map_err(db_err(context()))?
    );
    let (mut n, mut sum) = (0u64, 0u128);
    while let Some(row) = rows.next().await {
        let row = row.map_err(db_err(context()))?;
        let mut hasher = Sha256::new();
        for col in &table.columns {
            hasher.update(col.name.as_bytes());
            match canonical(&row, &col.name, col.kind).map_err(db_err(context()))? {
                None => hasher.update([0u8]),
                Some(bytes) => {
                    hasher.update([1u8]);
                    hasher.update(&bytes);
                }
            }
        }
        let hash = hasher.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&hash[..16]);
        sum = sum.wrapping_add(u128::from_le_bytes(first));
        n += 1;
    }
    Ok((n, sum))
}

fn hex(sum: u128) -> String {
    format!("{sum:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_map_to_kinds() {
        assert_eq!(Kind::of("uuid_text"), Some(Kind::Uuid));
        assert_eq!(Kind::of("uuid"), Some(Kind::Uuid));
        assert_eq!(Kind::of("timestamp_with_timezone_text"), Some(Kind::Timestamp));
        assert_eq!(Kind::of("date_text"), Some(Kind::Date));
        assert_eq!(Kind::of("varchar(200)"), Some(Kind::Text));
        assert_eq!(Kind::of("integer"), Some(Kind::Int));
        assert_eq!(Kind::of("bigint"), Some(Kind::Int));
        assert_eq!(Kind::of("smallint"), Some(Kind::Int));
        assert_eq!(Kind::of("boolean"), Some(Kind::Bool));
        assert_eq!(Kind::of("geometry"), None);
    }

    #[test]
    fn tables_come_after_the_tables_they_reference() {
        let t = |name: &str, deps: &[&str]| Table {
            name: name.to_string(),
            columns: Vec::new(),
            self_refs: Vec::new(),
            depends_on: deps.iter().map(|d| (*d).to_string()).collect(),
        };
        let order: Vec<String> = ordered(vec![
            t("attendance", &["meetings", "members"]),
            t("members", &["org_units"]),
            t("meetings", &["org_units"]),
            t("org_units", &[]),
        ])
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.name)
        .collect();
        assert_eq!(order, ["org_units", "meetings", "members", "attendance"]);
        assert!(matches!(ordered(vec![t("a", &["b"]), t("b", &["a"])]), Err(CopyError::Cycle(_))));
    }
}
