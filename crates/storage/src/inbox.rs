//! What the API reads and writes of members' notifications: the inbox (list, unread count, read
//! marks), preferences, and the administrators' view of failed deliveries.
//!
//! Every inbox query names the member, so that one member never reads or marks another's items;
//! the unread count reads only the partial index `ix_notifications_unread`.

use chrono::{DateTime, Utc};
use membership::{MemberId, UnitId};
use sea_orm::{ConnectionTrait, QueryResult, Value};
use uuid::Uuid;

use crate::StoreResult;
use crate::notifications::{limit_value, placeholders, stmt};

// ---------------------------------------------------------------------------------------------
// The inbox

/// An inbox item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    /// Id (UUID v7: the inbox's order).
    pub id: Uuid,
    /// Kind code.
    pub kind: String,
    /// Object type code.
    pub object_type: String,
    /// The object's id.
    pub object_id: Uuid,
    /// JSON parameters of the texts.
    pub params: String,
    /// Urgent kind.
    pub urgent: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When the member read it.
    pub read_at: Option<DateTime<Utc>>,
}

const ITEM_COLUMNS: &str = "id, kind, object_type, object_id, params, urgent, created_at, read_at";

fn item(row: &QueryResult) -> StoreResult<InboxRow> {
    Ok(InboxRow {
        id: row.try_get("", "id")?,
        kind: row.try_get("", "kind")?,
        object_type: row.try_get("", "object_type")?,
        object_id: row.try_get("", "object_id")?,
        params: row.try_get("", "params")?,
        urgent: row.try_get("", "urgent")?,
        created_at: row.try_get("", "created_at")?,
        read_at: row.try_get("", "read_at")?,
    })
}

/// A page of `member`'s items, newest first, older than `before` (the last id of the previous
/// page), only the unread ones when `unread_only`.
pub async fn list<C: ConnectionTrait>(
    c: &C,
    member: MemberId,
    unread_only: bool,
    before: Option<Uuid>,
    limit: u64,
) -> StoreResult<Vec<InboxRow>> {
    let mut values: Vec<Value> = vec![member.as_uuid().into(), limit_value(limit)];
    let mut sql = format!("SELECT {ITEM_COLUMNS} FROM notifications WHERE member_id = $1");
    if unread_only {
        sql.push_str(" AND read_at IS NULL");
    }
    if let Some(before) = before {
        values.push(before.into());
        sql.push_str(" AND id < $3");
    }
    sql.push_str(" ORDER BY id DESC LIMIT $2");
    let rows = c.query_all_raw(stmt(c, &sql, values)).await?;
    rows.iter().map(item).collect()
}

/// `member`'s items newer than `after` (all when `None`), oldest first, at most `limit`.
pub async fn newer<C: ConnectionTrait>(c: &C, member: MemberId, after: Option<Uuid>, limit: u64) -> StoreResult<Vec<InboxRow>> {
    let values: Vec<Value> = vec![member.as_uuid().into(), after.unwrap_or(Uuid::nil()).into(), limit_value(limit)];
    let sql = format!("SELECT {ITEM_COLUMNS} FROM notifications WHERE member_id = $1 AND id > $2 ORDER BY id LIMIT $3");
    let rows = c.query_all_raw(stmt(c, &sql, values)).await?;
    rows.iter().map(item).collect()
}

/// The id of `member`'s newest item.
pub async fn newest_id<C: ConnectionTrait>(c: &C, member: MemberId) -> StoreResult<Option<Uuid>> {
    let row = c
        .query_one_raw(stmt(c, "SELECT id FROM notifications WHERE member_id = $1 ORDER BY id DESC LIMIT 1", vec![member.as_uuid().into()]))
        .await?;
    Ok(row.map(|r| r.try_get("", "id")).transpose()?)
}

/// One of `member`'s items (none if it does not exist or is someone else's).
pub async fn get<C: ConnectionTrait>(c: &C, member: MemberId, id: Uuid) -> StoreResult<Option<InboxRow>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM notifications WHERE id = $1 AND member_id = $2");
    let row = c.query_one_raw(stmt(c, &sql, vec![id.into(), member.as_uuid().into()])).await?;
    row.as_ref().map(item).transpose()
}

/// How many of `member`'s items are unread (read from the partial index on unread items).
pub async fn unread_count<C: ConnectionTrait>(c: &C, member: MemberId) -> StoreResult<i64> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT COUNT(*) AS n FROM notifications WHERE member_id = $1 AND read_at IS NULL",
            vec![member.as_uuid().into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}

/// Marks one of `member`'s items read at `now` unless it already is (the first read time stays).
/// Returns whether it changed.
pub async fn mark_read<C: ConnectionTrait>(c: &C, member: MemberId, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = c
        .execute_raw(stmt(
            c,
            "UPDATE notifications SET read_at = $3 WHERE id = $1 AND member_id = $2 AND read_at IS NULL",
            vec![id.into(), member.as_uuid().into(), now.into()],
        ))
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Marks every unread item of `member` read at `now`. Returns how many changed.
pub async fn mark_all_read<C: ConnectionTrait>(c: &C, member: MemberId, now: DateTime<Utc>) -> StoreResult<u64> {
    let done = c
        .execute_raw(stmt(
            c,
            "UPDATE notifications SET read_at = $2 WHERE member_id = $1 AND read_at IS NULL",
            vec![member.as_uuid().into(), now.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}

// ---------------------------------------------------------------------------------------------
// Preferences

/// `member`'s stored preferences (JSON text) and when they were saved.
pub async fn preferences<C: ConnectionTrait>(c: &C, member: MemberId) -> StoreResult<Option<(String, DateTime<Utc>)>> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT settings, updated_at FROM notification_preferences WHERE member_id = $1",
            vec![member.as_uuid().into()],
        ))
        .await?;
    row.map(|r| Ok((r.try_get("", "settings")?, r.try_get("", "updated_at")?))).transpose()
}

/// Stores `member`'s preferences (JSON text), replacing any earlier ones.
pub async fn save_preferences<C: ConnectionTrait>(c: &C, member: MemberId, settings: &str, now: DateTime<Utc>) -> StoreResult<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO notification_preferences (member_id, settings, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (member_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
        vec![member.as_uuid().into(), settings.into(), now.into()],
    ))
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Deliveries, for administrators

/// The statuses of a delivery (`notification_deliveries.status`).
pub const DELIVERY_STATUSES: [&str; 4] = ["pending", "sent", "failed", "skipped"];

/// A delivery with what an administrator sees of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    /// Id.
    pub id: Uuid,
    /// The inbox item it delivers.
    pub notification_id: Uuid,
    /// The recipient.
    pub member_id: MemberId,
    /// The recipient's name.
    pub member_name: String,
    /// The recipient's home cell.
    pub unit_id: UnitId,
    /// `email` or `push`.
    pub channel: String,
    /// `pending`, `sent`, `failed` or `skipped`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last error.
    pub last_error: Option<String>,
    /// The item's kind code.
    pub kind: String,
    /// When the delivery was created.
    pub created_at: DateTime<Utc>,
    /// Not before this instant (µs since the epoch).
    pub next_attempt_us: i64,
}

const DELIVERY_COLUMNS: &str = "d.id, d.notification_id, d.member_id, m.full_name, m.unit_id, d.channel, d.status, d.attempts, \
     d.last_error, n.kind, d.created_at, d.next_attempt_us FROM notification_deliveries d \
     JOIN notifications n ON n.id = d.notification_id JOIN members m ON m.id = d.member_id";

fn delivery(row: &QueryResult) -> StoreResult<DeliveryRow> {
    Ok(DeliveryRow {
        id: row.try_get("", "id")?,
        notification_id: row.try_get("", "notification_id")?,
        member_id: MemberId::from_uuid(row.try_get("", "member_id")?),
        member_name: row.try_get("", "full_name")?,
        unit_id: UnitId::from_uuid(row.try_get("", "unit_id")?),
        channel: row.try_get("", "channel")?,
        status: row.try_get("", "status")?,
        attempts: row.try_get("", "attempts")?,
        last_error: row.try_get("", "last_error")?,
        kind: row.try_get("", "kind")?,
        created_at: row.try_get("", "created_at")?,
        next_attempt_us: row.try_get("", "next_attempt_us")?,
    })
}

/// A page (newest first, older than `before`) of the deliveries in `status` of members whose home
/// cell lies in the subtree of one of `roots`.
pub async fn deliveries_in_subtrees<C: ConnectionTrait>(
    c: &C,
    roots: &[UnitId],
    status: &str,
    before: Option<Uuid>,
    limit: u64,
) -> StoreResult<Vec<DeliveryRow>> {
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Value> = vec![status.into(), before.unwrap_or(Uuid::max()).into(), limit_value(limit)];
    values.extend(roots.iter().map(|u| Value::from(u.as_uuid())));
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} WHERE d.status = $1 AND d.id < $2 AND m.unit_id IN \
         (SELECT descendant_id FROM org_unit_closure WHERE ancestor_id IN ({})) ORDER BY d.id DESC LIMIT $3",
        placeholders(4, roots.len())
    );
    let rows = c.query_all_raw(stmt(c, &sql, values)).await?;
    rows.iter().map(delivery).collect()
}

/// One delivery.
pub async fn delivery_by_id<C: ConnectionTrait>(c: &C, id: Uuid) -> StoreResult<Option<DeliveryRow>> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} WHERE d.id = $1");
    let row = c.query_one_raw(stmt(c, &sql, vec![id.into()])).await?;
    row.as_ref().map(delivery).transpose()
}

/// Puts a failed delivery back in the queue, due at `now_us`, with its attempts, lease and error
/// cleared. Returns whether it was failed (and so changed).
pub async fn retry_failed<C: ConnectionTrait>(c: &C, id: Uuid, now_us: i64) -> StoreResult<bool> {
    let done = c
        .execute_raw(stmt(
            c,
            "UPDATE notification_deliveries SET status = 'pending', attempts = 0, next_attempt_us = $2, lease_until_us = NULL, \
             leased_by = NULL, last_error = NULL WHERE id = $1 AND status = 'failed'",
            vec![id.into(), now_us.into()],
        ))
        .await?;
    Ok(done.rows_affected() > 0)
}
