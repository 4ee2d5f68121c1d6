//! What the notifier reads and writes: claiming outbox events, the members an event reaches, inbox
//! items, e-mail and push deliveries with their leases and retries, preferences, worker leases,
//! and pruning. (What the API reads of the inbox is in [`crate::inbox`].)
//!
//! Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several notifiers share the work without
//! taking the same row; on SQLite one notifier at a time holds the `notifier` worker lease
//! ([`acquire_lease`]) and every write transaction is serialised anyway. Instants compared in SQL
//! are microseconds since the Unix epoch (`*_us`).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use membership::{MemberId, UnitId};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use uuid::Uuid;

use crate::StoreResult;

/// A statement with `$n` placeholders for the connection's backend.
pub(crate) fn stmt<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(c.get_database_backend(), sql, values)
}

/// A `LIMIT` value.
pub(crate) fn limit_value(limit: u64) -> Value {
    i64::try_from(limit).unwrap_or(i64::MAX).into()
}

fn skip_locked<C: ConnectionTrait>(c: &C) -> &'static str {
    match c.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    }
}

/// `$first, $first+1, …` for `n` values.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

// ---------------------------------------------------------------------------------------------
// Outbox consumption

/// An outbox event claimed for processing (locked until the transaction ends on PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedEvent {
    /// The event's id.
    pub id: Uuid,
    /// Its kind.
    pub kind: String,
    /// Its JSON payload text.
    pub payload: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The last recipient already processed (member id order), for an event processed in chunks.
    pub fanout_after: Option<MemberId>,
    /// Failed processing attempts so far.
    pub attempts: i32,
}

/// Claims the next unprocessed event (fewest failures first, then oldest), locking it on
/// PostgreSQL (`SKIP LOCKED`: an event another notifier holds is passed over). Call inside the
/// transaction that processes it.
pub async fn claim_event<C: ConnectionTrait>(c: &C) -> StoreResult<Option<ClaimedEvent>> {
    let sql = format!(
        "SELECT id, kind, payload, created_at, fanout_after, attempts FROM outbox_events \
         WHERE processed_at IS NULL ORDER BY attempts, id LIMIT 1{}",
        skip_locked(c)
    );
    let Some(row) = c.query_one_raw(stmt(c, &sql, vec![])).await? else {
        return Ok(None);
    };
    Ok(Some(ClaimedEvent {
        id: row.try_get("", "id")?,
        kind: row.try_get("", "kind")?,
        payload: row.try_get("", "payload")?,
        created_at: row.try_get("", "created_at")?,
        fanout_after: row.try_get::<Option<Uuid>>("", "fanout_after")?.map(MemberId::from_uuid),
        attempts: row.try_get("", "attempts")?,
    }))
}

/// Records progress on an event: the last recipient processed, or — `done` — that it is processed.
pub async fn advance_event<C: ConnectionTrait>(
    c: &C,
    id: Uuid,
    after: Option<MemberId>,
    done: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if done {
        c.execute_raw(stmt(
            c,
            "UPDATE outbox_events SET processed_at = $2, fanout_after = NULL WHERE id = $1",
            vec![id.into(), now.into()],
        ))
        .await?;
    } else {
        c.execute_raw(stmt(
            c,
            "UPDATE outbox_events SET fanout_after = $2 WHERE id = $1",
            vec![id.into(), after.map(|m| m.as_uuid()).into()],
        ))
        .await?;
    }
    Ok(())
}

/// Records a failed attempt at an event; the `max_attempts`-th failure sets it aside as processed
/// with its error kept in `last_error` (so one bad event never blocks the others). Returns whether
/// it was set aside.
pub async fn fail_event<C: ConnectionTrait>(c: &C, id: Uuid, error: &str, max_attempts: i32, now: DateTime<Utc>) -> StoreResult<bool> {
    c.execute_raw(stmt(
        c,
        "UPDATE outbox_events SET attempts = attempts + 1, last_error = $2, \
         processed_at = CASE WHEN attempts + 1 >= $3 THEN $4 ELSE NULL END WHERE id = $1",
        vec![id.into(), error.into(), max_attempts.into(), now.into()],
    ))
    .await?;
    let row = c.query_one_raw(stmt(c, "SELECT attempts FROM outbox_events WHERE id = $1", vec![id.into()])).await?;
    let attempts: i32 = row.map(|r| r.try_get("", "attempts")).transpose()?.unwrap_or(0);
    Ok(attempts >= max_attempts)
}

/// The number of unprocessed events and the creation time of the oldest.
pub async fn backlog<C: ConnectionTrait>(c: &C) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
    let row = c
        .query_one_raw(stmt(c, "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox_events WHERE processed_at IS NULL", vec![]))
        .await?;
    match row {
        Some(r) => Ok((r.try_get("", "n")?, r.try_get("", "oldest")?)),
        None => Ok((0, None)),
    }
}

// ---------------------------------------------------------------------------------------------
// Recipients

/// A member an event may reach, with what delivery needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The member.
    pub id: MemberId,
    /// Home cell.
    pub unit_id: UnitId,
    /// E-mail address on record.
    pub email: Option<String>,
}

const RECIPIENT_COLUMNS: &str = "m.id, m.unit_id, m.email FROM members m LEFT JOIN accounts a ON a.member_id = m.id";
const RECIPIENT_FILTER: &str = "m.standing IN ('probationary', 'official') AND (a.id IS NULL OR a.disabled = $1)";

fn recipient(row: &QueryResult) -> StoreResult<Recipient> {
    Ok(Recipient {
        id: MemberId::from_uuid(row.try_get("", "id")?),
        unit_id: UnitId::from_uuid(row.try_get("", "unit_id")?),
        email: row.try_get("", "email")?,
    })
}

/// Of `ids`, the members who may be notified: probationary or official members whose account,
/// if they have one, is not disabled. Sorted by id.
pub async fn recipients<C: ConnectionTrait>(c: &C, ids: &[MemberId]) -> StoreResult<Vec<Recipient>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Value> = vec![false.into()];
    values.extend(ids.iter().map(|m| Value::from(m.as_uuid())));
    let sql = format!("SELECT {RECIPIENT_COLUMNS} WHERE {RECIPIENT_FILTER} AND m.id IN ({}) ORDER BY m.id", placeholders(2, ids.len()));
    let rows = c.query_all_raw(stmt(c, &sql, values)).await?;
    rows.iter().map(recipient).collect()
}

/// One page (by member id, after `after`) of the members who may be notified whose home cell lies
/// in the subtree of one of `roots`.
pub async fn recipients_in_subtrees<C: ConnectionTrait>(
    c: &C,
    roots: &[UnitId],
    after: Option<MemberId>,
    limit: u64,
) -> StoreResult<Vec<Recipient>> {
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Value> = vec![false.into(), after.map(|m| m.as_uuid()).unwrap_or(Uuid::nil()).into(), limit_value(limit)];
    values.extend(roots.iter().map(|u| Value::from(u.as_uuid())));
    let sql = format!(
        "SELECT {RECIPIENT_COLUMNS} WHERE {RECIPIENT_FILTER} AND m.id > $2 AND m.unit_id IN \
         (SELECT descendant_id FROM org_unit_closure WHERE ancestor_id IN ({})) ORDER BY m.id LIMIT $3",
        placeholders(4, roots.len())
    );
    let rows = c.query_all_raw(stmt(c, &sql, values)).await?;
    rows.iter().map(recipient).collect()
}

// ---------------------------------------------------------------------------------------------
// Inbox items and deliveries

/// An inbox item to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    /// Id (UUID v7: the inbox's order).
    pub id: Uuid,
    /// The recipient.
    pub member_id: MemberId,
    /// The outbox event it comes from (one item per event and member).
    pub event_id: Uuid,
    /// Kind code.
    pub kind: String,
    /// What it links to: type code and id.
    pub object_type: String,
    /// The object's id.
    pub object_id: Uuid,
    /// JSON parameters of the texts.
    pub params: String,
    /// Urgent kind.
    pub urgent: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// An e-mail or push delivery to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Id.
    pub id: Uuid,
    /// The inbox item it delivers (one delivery per item and channel).
    pub notification_id: Uuid,
    /// The recipient.
    pub member_id: MemberId,
    /// `email` or `push`.
    pub channel: &'static str,
    /// Waits for the member's daily digest.
    pub digest: bool,
    /// Not before this instant (µs since the epoch): quiet hours and digests.
    pub next_attempt_us: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Of `members`, those who already have an item of `event`.
pub async fn items_of_event<C: ConnectionTrait>(c: &C, event: Uuid, members: &[MemberId]) -> StoreResult<HashSet<MemberId>> {
    if members.is_empty() {
        return Ok(HashSet::new());
    }
    let mut values: Vec<Value> = vec![event.into()];
    values.extend(members.iter().map(|m| Value::from(m.as_uuid())));
    let sql = format!("SELECT member_id FROM notifications WHERE event_id = $1 AND member_id IN ({})", placeholders(2, members.len()));
    let rows = c.query_all_raw(stmt(c, &sql, values)).await?;
    rows.iter().map(|r| Ok(MemberId::from_uuid(r.try_get("", "member_id")?))).collect()
}

/// Rows per multi-row INSERT (well inside SQLite's 32,766 bound variables).
const INSERT_CHUNK: usize = 500;

/// Writes inbox items; an (event, member) pair that already has one is skipped. Returns how many
/// were written.
pub async fn insert_items<C: ConnectionTrait>(c: &C, items: &[NewItem]) -> StoreResult<u64> {
    let mut written = 0;
    for chunk in items.chunks(INSERT_CHUNK) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 9);
        let mut rows = Vec::with_capacity(chunk.len());
        for (i, it) in chunk.iter().enumerate() {
            rows.push(format!("({})", placeholders(i * 9 + 1, 9)));
            values.extend([
                it.id.into(),
                it.member_id.as_uuid().into(),
                it.event_id.into(),
                it.kind.clone().into(),
                it.object_type.clone().into(),
                it.object_id.into(),
                it.params.clone().into(),
                it.urgent.into(),
                it.created_at.into(),
            ]);
        }
        let sql = format!(
            "INSERT INTO notifications (id, member_id, event_id, kind, object_type, object_id, params, urgent, created_at) \
             VALUES {} ON CONFLICT (event_id, member_id) DO NOTHING",
            rows.join(", ")
        );
        written += c.execute_raw(stmt(c, &sql, values)).await?.rows_affected();
    }
    Ok(written)
}

/// Writes deliveries; an (item, channel) pair that already has one is skipped.
pub async fn insert_deliveries<C: ConnectionTrait>(c: &C, deliveries: &[NewDelivery]) -> StoreResult<u64> {
    let mut written = 0;
    for chunk in deliveries.chunks(INSERT_CHUNK) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 7);
        let mut rows = Vec::with_capacity(chunk.len());
        for (i, d) in chunk.iter().enumerate() {
            rows.push(format!("({}, 'pending', 0)", placeholders(i * 7 + 1, 7)));
            values.extend([
                d.id.into(),
                d.notification_id.into(),
                d.member_id.as_uuid().into(),
                d.channel.into(),
                d.digest.into(),
                d.next_attempt_us.into(),
                d.created_at.into(),
            ]);
        }
        let sql = format!(
            "INSERT INTO notification_deliveries (id, notification_id, member_id, channel, digest, next_attempt_us, created_at, status, attempts) \
             VALUES {} ON CONFLICT (notification_id, channel) DO NOTHING",
            rows.join(", ")
        );
        written += c.execute_raw(stmt(c, &sql, values)).await?.rows_affected();
    }
    Ok(written)
}

/// The stored preferences (JSON text) of those of `members` who have saved any.
pub async fn preferences_of<C: ConnectionTrait>(c: &C, members: &[MemberId]) -> StoreResult<Vec<(MemberId, String)>> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<Value> = members.iter().map(|m| Value::from(m.as_uuid())).collect();
    let sql = format!("SELECT member_id, settings FROM notification_preferences WHERE member_id IN ({})", placeholders(1, members.len()));
    let rows = c.query_all_raw(stmt(c, &sql, values)).await?;
    rows.iter().map(|r| Ok((MemberId::from_uuid(r.try_get("", "member_id")?), r.try_get("", "settings")?))).collect()
}

/// A delivery claimed for sending, with what its message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    /// The delivery (its id is the delivery key of messages: `Message-ID`, webhook id).
    pub id: Uuid,
    /// `email` or `push`.
    pub channel: String,
    /// Part of a daily digest.
    pub digest: bool,
    /// Attempts made before this one.
    pub attempts: i32,
    /// The recipient.
    pub member_id: MemberId,
    /// The recipient's address on record now.
    pub email: Option<String>,
    /// The inbox item.
    pub notification_id: Uuid,
    /// Its kind code.
    pub kind: String,
    /// Its object type code.
    pub object_type: String,
    /// Its object id.
    pub object_id: Uuid,
    /// Its text parameters (JSON).
    pub params: String,
    /// When the item was created.
    pub created_at: DateTime<Utc>,
}

/// Claims up to `limit` pending deliveries due at `now_us` whose lease (if any) has run out,
/// leasing them to `holder` until `lease_until_us`: a notifier that dies while sending leaves them
/// to be claimed again once the lease ends (which is when an e-mail or webhook call can repeat).
pub async fn claim_deliveries<C: ConnectionTrait>(
    c: &C,
    now_us: i64,
    lease_until_us: i64,
    holder: &str,
    limit: u64,
) -> StoreResult<Vec<ClaimedDelivery>> {
    let sql = format!(
        "SELECT id FROM notification_deliveries WHERE status = 'pending' AND next_attempt_us <= $1 \
         AND (lease_until_us IS NULL OR lease_until_us < $1) ORDER BY next_attempt_us, id LIMIT $2{}",
        skip_locked(c)
    );
    let ids: Vec<Uuid> = c
        .query_all_raw(stmt(c, &sql, vec![now_us.into(), limit_value(limit)]))
        .await?
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Value> = vec![lease_until_us.into(), holder.into()];
    values.extend(ids.iter().map(|id| Value::from(*id)));
    let list = placeholders(3, ids.len());
    c.execute_raw(stmt(c, &format!("UPDATE notification_deliveries SET lease_until_us = $1, leased_by = $2 WHERE id IN ({list})"), values))
        .await?;
    let values: Vec<Value> = ids.iter().map(|id| Value::from(*id)).collect();
    let sql = format!(
        "SELECT d.id, d.channel, d.digest, d.attempts, d.member_id, m.email, n.id AS notification_id, n.kind, n.object_type, \
         n.object_id, n.params, n.created_at FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id \
         JOIN members m ON m.id = d.member_id WHERE d.id IN ({}) ORDER BY d.member_id, n.id",
        placeholders(1, ids.len())
    );
    let rows = c.query_all_raw(stmt(c, &sql, values)).await?;
    rows.iter()
        .map(|r| {
            Ok(ClaimedDelivery {
                id: r.try_get("", "id")?,
                channel: r.try_get("", "channel")?,
                digest: r.try_get("", "digest")?,
                attempts: r.try_get("", "attempts")?,
                member_id: MemberId::from_uuid(r.try_get("", "member_id")?),
                email: r.try_get("", "email")?,
                notification_id: r.try_get("", "notification_id")?,
                kind: r.try_get("", "kind")?,
                object_type: r.try_get("", "object_type")?,
                object_id: r.try_get("", "object_id")?,
                params: r.try_get("", "params")?,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}

/// Marks deliveries sent (only while `holder` still holds them).
pub async fn mark_sent<C: ConnectionTrait>(c: &C, ids: &[Uuid], holder: &str, now: DateTime<Utc>) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut values: Vec<Value> = vec![now.into(), holder.into()];
    values.extend(ids.iter().map(|id| Value::from(*id)));
    let sql = format!(
        "UPDATE notification_deliveries SET status = 'sent', sent_at = $1, attempts = attempts + 1, lease_until_us = NULL, \
         last_error = NULL WHERE leased_by = $2 AND status = 'pending' AND id IN ({})",
        placeholders(3, ids.len())
    );
    c.execute_raw(stmt(c, &sql, values)).await?;
    Ok(())
}

/// Records a failed attempt: tried again at `retry_at_us`, or — `None` — dead-lettered
/// (`failed`), visible to administrators and retryable by them.
pub async fn mark_failed<C: ConnectionTrait>(c: &C, ids: &[Uuid], holder: &str, error: &str, retry_at_us: Option<i64>) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut values: Vec<Value> = vec![holder.into(), error.into(), retry_at_us.into()];
    values.extend(ids.iter().map(|id| Value::from(*id)));
    let sql = format!(
        "UPDATE notification_deliveries SET attempts = attempts + 1, last_error = $2, lease_until_us = NULL, \
         status = CASE WHEN $3 IS NULL THEN 'failed' ELSE 'pending' END, \
         next_attempt_us = COALESCE($3, next_attempt_us) WHERE leased_by = $1 AND status = 'pending' AND id IN ({})",
        placeholders(4, ids.len())
    );
    c.execute_raw(stmt(c, &sql, values)).await?;
    Ok(())
}

/// Marks deliveries that have nothing to send (no address on record any more, channel switched
/// off since) as `skipped`.
pub async fn mark_skipped<C: ConnectionTrait>(c: &C, ids: &[Uuid], holder: &str, why: &str) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut values: Vec<Value> = vec![holder.into(), why.into()];
    values.extend(ids.iter().map(|id| Value::from(*id)));
    let sql = format!(
        "UPDATE notification_deliveries SET status = 'skipped', last_error = $2, lease_until_us = NULL \
         WHERE leased_by = $1 AND status = 'pending' AND id IN ({})",
        placeholders(3, ids.len())
    );
    c.execute_raw(stmt(c, &sql, values)).await?;
    Ok(())
}

/// Gives back the deliveries `holder` leased and did not finish (graceful shutdown).
pub async fn release_deliveries<C: ConnectionTrait>(c: &C, holder: &str) -> StoreResult<u64> {
    let done = c
        .execute_raw(stmt(
            c,
            "UPDATE notification_deliveries SET lease_until_us = NULL WHERE leased_by = $1 AND status = 'pending' AND lease_until_us IS NOT NULL",
            vec![holder.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}

// ---------------------------------------------------------------------------------------------
// Worker leases and pruning

/// Takes or renews the lease `name` for `holder` until `until_us`, unless another holder's lease
/// is still running at `now_us`. Returns `Ok(())` when `holder` holds it, or the current holder
/// and the end of their lease.
pub async fn acquire_lease<C: ConnectionTrait>(
    c: &C,
    name: &str,
    holder: &str,
    now_us: i64,
    until_us: i64,
) -> StoreResult<Result<(), (String, i64)>> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO worker_leases (name, holder, until_us) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET \
         holder = excluded.holder, until_us = excluded.until_us WHERE worker_leases.holder = excluded.holder OR worker_leases.until_us < $4",
        vec![name.into(), holder.into(), until_us.into(), now_us.into()],
    ))
    .await?;
    let row = c.query_one_raw(stmt(c, "SELECT holder, until_us FROM worker_leases WHERE name = $1", vec![name.into()])).await?;
    let (current, until): (String, i64) = match row {
        Some(r) => (r.try_get("", "holder")?, r.try_get("", "until_us")?),
        None => return Ok(Err((String::new(), 0))),
    };
    Ok(if current == holder { Ok(()) } else { Err((current, until)) })
}

/// Gives up the lease `name` if `holder` holds it.
pub async fn release_lease<C: ConnectionTrait>(c: &C, name: &str, holder: &str) -> StoreResult<()> {
    c.execute_raw(stmt(c, "DELETE FROM worker_leases WHERE name = $1 AND holder = $2", vec![name.into(), holder.into()])).await?;
    Ok(())
}

/// Deletes events processed before `before` and deliveries sent or skipped before it. Returns
/// (events, deliveries) deleted. Inbox items stay: they are the members' record.
pub async fn prune<C: ConnectionTrait>(c: &C, before: DateTime<Utc>) -> StoreResult<(u64, u64)> {
    let events = c
        .execute_raw(stmt(c, "DELETE FROM outbox_events WHERE processed_at IS NOT NULL AND processed_at < $1", vec![before.into()]))
        .await?
        .rows_affected();
    let deliveries = c
        .execute_raw(stmt(
            c,
            "DELETE FROM notification_deliveries WHERE status IN ('sent', 'skipped') AND created_at < $1",
            vec![before.into()],
        ))
        .await?
        .rows_affected();
    Ok((events, deliveries))
}

// ---------------------------------------------------------------------------------------------
// Reminder scans

/// A published meeting a reminder is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueMeeting {
    /// The meeting.
    pub id: Uuid,
    /// Its cell.
    pub unit_id: UnitId,
    /// Title.
    pub title: String,
    /// Scheduled start.
    pub starts_at: DateTime<Utc>,
}

/// Published meetings starting after `from` and at or before `to`.
pub async fn meetings_starting<C: ConnectionTrait>(c: &C, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<DueMeeting>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT id, unit_id, title, starts_at FROM meetings WHERE status = 'published' AND starts_at > $1 AND starts_at <= $2 \
             ORDER BY starts_at, id",
            vec![from.into(), to.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DueMeeting {
                id: r.try_get("", "id")?,
                unit_id: UnitId::from_uuid(r.try_get("", "unit_id")?),
                title: r.try_get("", "title")?,
                starts_at: r.try_get("", "starts_at")?,
            })
        })
        .collect()
}

/// A held regular meeting whose report has not been sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreportedMeeting {
    /// The meeting.
    pub id: Uuid,
    /// Its cell.
    pub unit_id: UnitId,
    /// The meeting's title.
    pub title: String,
    /// The cell's name.
    pub unit_name: String,
    /// The cell's superior unit.
    pub parent_unit_id: Option<UnitId>,
}

/// Regular meetings starting in `[from, to)` that were held (ended or minutes approved) and whose
/// report has not been sent (a returned report puts the meeting back among these).
pub async fn unreported_meetings<C: ConnectionTrait>(c: &C, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<UnreportedMeeting>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT m.id, m.unit_id, m.title, u.name, u.parent_id FROM meetings m JOIN org_units u ON u.id = m.unit_id \
             WHERE m.kind = 'regular' AND m.status IN ('ended', 'minutes_approved') AND m.starts_at >= $1 AND m.starts_at < $2 \
             ORDER BY m.id",
            vec![from.into(), to.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(UnreportedMeeting {
                id: r.try_get("", "id")?,
                unit_id: UnitId::from_uuid(r.try_get("", "unit_id")?),
                title: r.try_get("", "title")?,
                unit_name: r.try_get("", "name")?,
                parent_unit_id: r.try_get::<Option<Uuid>>("", "parent_id")?.map(UnitId::from_uuid),
            })
        })
        .collect()
}

/// A published required document whose reading deadline is near.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReading {
    /// The document.
    pub id: Uuid,
    /// The issuing unit.
    pub issuer_unit_id: UnitId,
    /// Title.
    pub title: String,
    /// Number/symbol.
    pub number: Option<String>,
    /// The deadline.
    pub read_deadline: NaiveDate,
}

/// Published required documents whose reading deadline is between `from` and `to` (inclusive).
pub async fn readings_due<C: ConnectionTrait>(c: &C, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<DueReading>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT id, issuer_unit_id, title, number, read_deadline FROM documents WHERE status = 'published' AND required = $1 \
             AND read_deadline >= $2 AND read_deadline <= $3 ORDER BY id",
            vec![true.into(), from.into(), to.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DueReading {
                id: r.try_get("", "id")?,
                issuer_unit_id: UnitId::from_uuid(r.try_get("", "issuer_unit_id")?),
                title: r.try_get("", "title")?,
                number: r.try_get("", "number")?,
                read_deadline: r.try_get("", "read_deadline")?,
            })
        })
        .collect()
}

/// A quiz on its last day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingQuiz {
    /// The quiz.
    pub id: Uuid,
    /// The unit whose subtree it is for.
    pub unit_id: UnitId,
    /// Title.
    pub title: String,
    /// Its last day.
    pub closes_on: NaiveDate,
}

/// Quizzes open on `day` that close on it.
pub async fn quizzes_closing<C: ConnectionTrait>(c: &C, day: NaiveDate) -> StoreResult<Vec<ClosingQuiz>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT id, unit_id, title, closes_on FROM quizzes WHERE closes_on = $1 AND opens_on <= $1 ORDER BY id",
            vec![day.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ClosingQuiz {
                id: r.try_get("", "id")?,
                unit_id: UnitId::from_uuid(r.try_get("", "unit_id")?),
                title: r.try_get("", "title")?,
                closes_on: r.try_get("", "closes_on")?,
            })
        })
        .collect()
}

/// Of `members`, those who have started an attempt at `quiz`.
pub async fn attempted<C: ConnectionTrait>(c: &C, quiz: Uuid, members: &[MemberId]) -> StoreResult<HashSet<MemberId>> {
    let mut out = HashSet::new();
    for chunk in members.chunks(INSERT_CHUNK) {
        let mut values: Vec<Value> = vec![quiz.into()];
        values.extend(chunk.iter().map(|m| Value::from(m.as_uuid())));
        let sql = format!("SELECT DISTINCT member_id FROM attempts WHERE quiz_id = $1 AND member_id IN ({})", placeholders(2, chunk.len()));
        for r in c.query_all_raw(stmt(c, &sql, values)).await? {
            out.insert(MemberId::from_uuid(r.try_get("", "member_id")?));
        }
    }
    Ok(out)
}
