//! Report requests and files: the queue of requested reports, claims by generators under a
//! lease, progress, completion and failure.
//!
//! One row per (kind, unit, period, format, subject). Claims take the oldest queued row (or one
//! whose generator's lease ran out) with `FOR UPDATE SKIP LOCKED` on PostgreSQL, then lease it by
//! a conditional update that only one claimer can win on either backend — SQLite serialises the
//! writes, and the update's `WHERE` re-checks that the row is still claimable. Instants compared in
//! SQL are microseconds since the Unix epoch (`*_us`).

use chrono::{DateTime, Utc};
use membership::UnitId;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};
use uuid::Uuid;

use crate::StoreResult;
use crate::notifications::{limit_value, stmt};

/// What identifies a report: regenerating the same key reuses its row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportKey {
    /// `cell_month`, `activity`, `membership` or `member_year`.
    pub kind: String,
    /// The unit reported on.
    pub unit_id: UnitId,
    /// `2026-10`, `2026-Q4` or `2026`.
    pub period: String,
    /// `xlsx`, `csv`, `html` or `pdf`.
    pub format: String,
    /// The member whose own sheet it is, or `""` for the whole unit.
    pub subject: String,
}

/// A report row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRecord {
    /// The id (stable across regenerations).
    pub id: Uuid,
    /// The key.
    pub key: ReportKey,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// 0–100.
    pub progress: i32,
    /// The account that last requested it (`None`: the schedule).
    pub requested_by: Option<Uuid>,
    /// When it was last requested.
    pub requested_at: DateTime<Utc>,
    /// Generation attempts since the last request.
    pub attempts: i32,
    /// The generator holding it.
    pub leased_by: Option<String>,
    /// The last failure.
    pub last_error: Option<String>,
    /// The current file's name in the reports directory (set once done).
    pub file_name: Option<String>,
    /// Its size.
    pub size_bytes: Option<i64>,
    /// Its SHA-256, hex.
    pub checksum: Option<String>,
    /// A hash of the figures written (without the generation instant): regenerating with equal
    /// figures keeps the file and its checksum.
    pub content_key: Option<String>,
    /// When the current file was generated.
    pub generated_at: Option<DateTime<Utc>>,
    /// The instant its figures were read at.
    pub data_cutoff: Option<DateTime<Utc>>,
    /// Last change of the row.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, kind, unit_id, period, format, subject, status, progress, requested_by, requested_at, attempts, \
                       leased_by, last_error, file_name, size_bytes, checksum, content_key, generated_at, data_cutoff, updated_at";

fn record(r: &QueryResult) -> StoreResult<ReportRecord> {
    Ok(ReportRecord {
        id: r.try_get("", "id")?,
        key: ReportKey {
            kind: r.try_get("", "kind")?,
            unit_id: UnitId::from_uuid(r.try_get("", "unit_id")?),
            period: r.try_get("", "period")?,
            format: r.try_get("", "format")?,
            subject: r.try_get("", "subject")?,
        },
        status: r.try_get("", "status")?,
        progress: r.try_get("", "progress")?,
        requested_by: r.try_get("", "requested_by")?,
        requested_at: r.try_get("", "requested_at")?,
        attempts: r.try_get("", "attempts")?,
        leased_by: r.try_get("", "leased_by")?,
        last_error: r.try_get("", "last_error")?,
        file_name: r.try_get("", "file_name")?,
        size_bytes: r.try_get("", "size_bytes")?,
        checksum: r.try_get("", "checksum")?,
        content_key: r.try_get("", "content_key")?,
        generated_at: r.try_get("", "generated_at")?,
        data_cutoff: r.try_get("", "data_cutoff")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn key_values(k: &ReportKey) -> Vec<Value> {
    vec![k.kind.clone().into(), k.unit_id.as_uuid().into(), k.period.clone().into(), k.format.clone().into(), k.subject.clone().into()]
}

/// The report with this key, if any.
pub async fn by_key<C: ConnectionTrait>(c: &C, key: &ReportKey) -> StoreResult<Option<ReportRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM reports WHERE kind = $1 AND unit_id = $2 AND period = $3 AND format = $4 AND subject = $5");
    c.query_one_raw(stmt(c, &sql, key_values(key))).await?.as_ref().map(record).transpose()
}

/// Requests the report: a new row is queued; an existing finished (done or failed) one is queued
/// again for regeneration (its current file stays readable until the new one replaces it); one
/// already queued or running is left as it is. Returns the row and whether this call queued it.
pub async fn request<C: ConnectionTrait>(
    c: &C,
    key: &ReportKey,
    id: Uuid,
    requested_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> StoreResult<(ReportRecord, bool)> {
    let mut values = vec![Value::from(id)];
    values.extend(key_values(key));
    values.extend([requested_by.into(), now.into()]);
    let sql = "INSERT INTO reports (id, kind, unit_id, period, format, subject, status, progress, requested_by, requested_at, attempts, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, 0, $8) \
               ON CONFLICT (kind, unit_id, period, format, subject) DO UPDATE SET status = 'queued', progress = 0, \
               requested_by = excluded.requested_by, requested_at = excluded.requested_at, attempts = 0, last_error = NULL, \
               updated_at = excluded.updated_at WHERE reports.status IN ('done', 'failed')";
    let queued = c.execute_raw(stmt(c, sql, values.clone())).await?.rows_affected() == 1;
    if !queued {
        // Asked again while it is being generated (perhaps after a correction of the data): the
        // run in progress is followed by another one, and the new requester is told then.
        let again = "UPDATE reports SET requested_again = TRUE, requested_by = COALESCE($1, requested_by), updated_at = $2 \
                     WHERE kind = $3 AND unit_id = $4 AND period = $5 AND format = $6 AND subject = $7 AND status = 'running'";
        let mut v = vec![values[6].clone(), values[7].clone()];
        v.extend(key_values(key));
        c.execute_raw(stmt(c, again, v)).await?;
    }
    let row = by_key(c, key).await?.ok_or(crate::StoreError::NotFound)?;
    Ok((row, queued))
}

/// Queues the report only if it was never requested (the schedule's `due`: each scheduled report
/// once). Returns whether this call queued it.
pub async fn request_once<C: ConnectionTrait>(c: &C, key: &ReportKey, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
    let mut values = vec![Value::from(id)];
    values.extend(key_values(key));
    values.push(now.into());
    let sql = "INSERT INTO reports (id, kind, unit_id, period, format, subject, status, progress, requested_by, requested_at, attempts, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, NULL, $7, 0, $7) \
               ON CONFLICT (kind, unit_id, period, format, subject) DO NOTHING";
    Ok(c.execute_raw(stmt(c, sql, values)).await?.rows_affected() == 1)
}

/// One report.
pub async fn get<C: ConnectionTrait>(c: &C, id: Uuid) -> StoreResult<ReportRecord> {
    let sql = format!("SELECT {COLUMNS} FROM reports WHERE id = $1");
    c.query_one_raw(stmt(c, &sql, vec![id.into()])).await?.as_ref().map(record).transpose()?.ok_or(crate::StoreError::NotFound)
}

/// A unit's reports, newest request first, optionally of one kind, period and subject (`""`: the
/// whole-unit reports; a member id: that member's own sheets).
pub async fn list<C: ConnectionTrait>(
    c: &C,
    unit: UnitId,
    kind: Option<&str>,
    period: Option<&str>,
    subject: Option<&str>,
    limit: u64,
) -> StoreResult<Vec<ReportRecord>> {
    let mut values: Vec<Value> = vec![unit.as_uuid().into()];
    let mut sql = format!("SELECT {COLUMNS} FROM reports WHERE unit_id = $1");
    if let Some(s) = subject {
        values.push(s.into());
        sql.push_str(&format!(" AND subject = ${}", values.len()));
    }
    if let Some(k) = kind {
        values.push(k.into());
        sql.push_str(&format!(" AND kind = ${}", values.len()));
    }
    if let Some(p) = period {
        values.push(p.into());
        sql.push_str(&format!(" AND period = ${}", values.len()));
    }
    values.push(limit_value(limit));
    sql.push_str(&format!(" ORDER BY requested_at DESC, id DESC LIMIT ${}", values.len()));
    c.query_all_raw(stmt(c, &sql, values)).await?.iter().map(record).collect()
}

/// Claims the next report to generate — one whose generator's lease ran out first, else the
/// oldest queued — leasing it to `holder` until `lease_until_us`. Call inside a transaction (on
/// PostgreSQL the candidate row is locked `SKIP LOCKED`, so concurrent generators pass over it).
pub async fn claim<C: ConnectionTrait>(
    c: &C,
    holder: &str,
    now_us: i64,
    lease_until_us: i64,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> StoreResult<Option<ReportRecord>> {
    // A report whose generators stopped (crashed, were killed) `max_attempts` times while
    // generating it is not taken over again: it is failed, so that it cannot hold the queue.
    c.execute_raw(stmt(
        c,
        "UPDATE reports SET status = 'failed', leased_by = NULL, lease_until_us = NULL, updated_at = $1, \
         last_error = 'the generator stopped while generating this report on every attempt' \
         WHERE status = 'running' AND lease_until_us < $2 AND attempts >= $3",
        vec![now.into(), now_us.into(), max_attempts.into()],
    ))
    .await?;
    let lock = if c.get_database_backend() == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let candidates = [
        format!("SELECT id FROM reports WHERE status = 'running' AND lease_until_us < $1 ORDER BY lease_until_us LIMIT 1{lock}"),
        format!("SELECT id FROM reports WHERE status = 'queued' ORDER BY requested_at, id LIMIT 1{lock}"),
    ];
    for (i, sql) in candidates.iter().enumerate() {
        let values = if i == 0 { vec![now_us.into()] } else { vec![] };
        let Some(row) = c.query_one_raw(stmt(c, sql, values)).await? else { continue };
        let id: Uuid = row.try_get("", "id")?;
        let won = c
            .execute_raw(stmt(
                c,
                "UPDATE reports SET status = 'running', leased_by = $1, lease_until_us = $2, attempts = attempts + 1, progress = 0 \
                 WHERE id = $3 AND (status = 'queued' OR (status = 'running' AND lease_until_us < $4))",
                vec![holder.into(), lease_until_us.into(), id.into(), now_us.into()],
            ))
            .await?
            .rows_affected()
            == 1;
        if won {
            return get(c, id).await.map(Some);
        }
    }
    Ok(None)
}

/// Records progress (0–100) and renews the lease, while `holder` still holds the report.
/// Returns whether it does.
pub async fn progress<C: ConnectionTrait>(c: &C, id: Uuid, holder: &str, progress: i32, lease_until_us: i64) -> StoreResult<bool> {
    let done = c
        .execute_raw(stmt(
            c,
            "UPDATE reports SET progress = $1, lease_until_us = $2 WHERE id = $3 AND leased_by = $4 AND status = 'running'",
            vec![progress.into(), lease_until_us.into(), id.into(), holder.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What a finished generation records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The file's name in the reports directory.
    pub file_name: String,
    /// Its size.
    pub size_bytes: i64,
    /// Its SHA-256, hex.
    pub checksum: String,
    /// The hash of the figures written.
    pub content_key: String,
    /// When the file was generated.
    pub generated_at: DateTime<Utc>,
    /// The instant its figures were read at.
    pub data_cutoff: DateTime<Utc>,
}

/// Marks the report done with its new file, while `holder` still holds it. Returns whether it did
/// (a generator whose lease was taken over records nothing).
pub async fn finish<C: ConnectionTrait>(c: &C, id: Uuid, holder: &str, f: &Finished, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = c
        .execute_raw(stmt(
            c,
            "UPDATE reports SET status = CASE WHEN requested_again THEN 'queued' ELSE 'done' END, \
             progress = CASE WHEN requested_again THEN 0 ELSE 100 END, requested_again = FALSE, attempts = 0, \
             leased_by = NULL, lease_until_us = NULL, last_error = NULL, \
             file_name = $1, size_bytes = $2, checksum = $3, content_key = $4, generated_at = $5, data_cutoff = $6, updated_at = $7 \
             WHERE id = $8 AND leased_by = $9 AND status = 'running'",
            vec![
                f.file_name.clone().into(),
                f.size_bytes.into(),
                f.checksum.clone().into(),
                f.content_key.clone().into(),
                f.generated_at.into(),
                f.data_cutoff.into(),
                now.into(),
                id.into(),
                holder.into(),
            ],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: queued again, or — `permanent`, or after `max_attempts` — failed
/// (the previous file, if any, stays readable).
pub async fn fail<C: ConnectionTrait>(
    c: &C,
    id: Uuid,
    holder: &str,
    error: &str,
    permanent: bool,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE reports SET status = CASE WHEN $1 OR attempts >= $2 THEN 'failed' ELSE 'queued' END, leased_by = NULL, \
         lease_until_us = NULL, last_error = $3, updated_at = $4 WHERE id = $5 AND leased_by = $6 AND status = 'running'",
        vec![permanent.into(), max_attempts.into(), error.into(), now.into(), id.into(), holder.into()],
    ))
    .await?;
    Ok(())
}

/// Gives back the reports `holder` was generating (graceful shutdown): queued again.
pub async fn release<C: ConnectionTrait>(c: &C, holder: &str) -> StoreResult<u64> {
    let done = c
        .execute_raw(stmt(
            c,
            "UPDATE reports SET status = 'queued', leased_by = NULL, lease_until_us = NULL, progress = 0 \
             WHERE leased_by = $1 AND status = 'running'",
            vec![holder.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}

/// The file names the reports table points at (what a clean-up of the reports directory keeps).
pub async fn file_names<C: ConnectionTrait>(c: &C) -> StoreResult<Vec<String>> {
    c.query_all_raw(stmt(c, "SELECT file_name FROM reports WHERE file_name IS NOT NULL", vec![]))
        .await?
        .iter()
        .map(|r| Ok(r.try_get::<String>("", "file_name")?))
        .collect()
}

/// The units of the given kinds (codes), in id order: what a scheduled roll-up runs for.
pub async fn units_of_kinds<C: ConnectionTrait>(c: &C, kinds: &[&str]) -> StoreResult<Vec<UnitId>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<Value> = kinds.iter().map(|k| Value::from(*k)).collect();
    let sql = format!("SELECT id FROM org_units WHERE kind IN ({}) ORDER BY id", crate::notifications::placeholders(1, kinds.len()));
    c.query_all_raw(stmt(c, &sql, values)).await?.iter().map(|r| Ok(UnitId::from_uuid(r.try_get("", "id")?))).collect()
}

/// Every report (tests and operators' checks), oldest request first.
pub async fn list_all<C: ConnectionTrait>(c: &C) -> StoreResult<Vec<ReportRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM reports ORDER BY requested_at, id");
    c.query_all_raw(stmt(c, &sql, vec![])).await?.iter().map(record).collect()
}
