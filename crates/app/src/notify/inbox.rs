//! The inbox, preferences and dead letters as the API reads and writes them.
//!
//! - The inbox is the caller's own: every use case names the caller's member, so another
//!   member's item is simply not found (its existence is never revealed). Reading is idempotent:
//!   the first read time stays.
//! - Preferences are checked by `notifications::Preferences::parse` and stored in their
//!   normalised JSON form, with an audit record, in one transaction.
//! - Failed deliveries (dead letters) are seen and retried by administrators: the subtrees the
//!   caller administers, as `Action::ViewAudit` grants them (an administrator's right over the
//!   records of a subtree; leaders hold no such right). A retry acts on the recipient's record,
//!   so it follows the rule of acting on a member (`authorize_on_member` with `ViewAudit`): never
//!   on one's own delivery, and on a holder of a position only with the right to appoint to it.

use chrono::{DateTime, Utc};
use membership::permission::{ActOnMemberError, Action, Actor};
use membership::{MemberId, UnitId};
use notifications::text::Params;
use notifications::{Kind, ObjectType, Preferences, PreferencesDoc, PreferencesError};
use storage::StoreError;
use storage::inbox::{DeliveryRow, InboxRow};
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::{Ctx, allowed, may_act_on, unit_path};

/// One inbox item, its row re-parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Id (UUID v7, the inbox's order).
    pub id: Uuid,
    /// Kind.
    pub kind: Kind,
    /// What it links to.
    pub object_type: ObjectType,
    /// The object's id.
    pub object_id: Uuid,
    /// What its texts are made of.
    pub params: Params,
    /// Urgent.
    pub urgent: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When the member read it.
    pub read_at: Option<DateTime<Utc>>,
}

fn parse_item(row: InboxRow) -> Result<Item, StoreError> {
    let kind = Kind::parse(&row.kind).ok_or_else(|| StoreError::Corrupt(format!("notification {}: kind {}", row.id, row.kind)))?;
    let object_type = ObjectType::parse(&row.object_type)
        .ok_or_else(|| StoreError::Corrupt(format!("notification {}: object type {}", row.id, row.object_type)))?;
    let params: Params =
        serde_json::from_str(&row.params).map_err(|e| StoreError::Corrupt(format!("notification {}: params: {e}", row.id)))?;
    Ok(Item {
        id: row.id,
        kind,
        object_type,
        object_id: row.object_id,
        params,
        urgent: row.urgent,
        created_at: row.created_at,
        read_at: row.read_at,
    })
}

fn parse_items(rows: Vec<InboxRow>) -> Result<Vec<Item>, StoreError> {
    rows.into_iter().map(parse_item).collect()
}

/// Why an inbox use case was refused.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// The caller's account belongs to no member, so it has no inbox.
    #[error("the account has no inbox")]
    NoInbox,
    /// No such item of the caller's.
    #[error("no such notification")]
    NotFound,
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn member_of(actor: &Actor) -> Result<MemberId, InboxError> {
    actor.member_id.ok_or(InboxError::NoInbox)
}

/// A page of the caller's items, newest first, older than `before` (the last id of the previous
/// page), only unread ones when `unread_only`; the flag says whether more follow.
pub async fn list(ctx: &Ctx, actor: &Actor, unread_only: bool, before: Option<Uuid>, limit: u64) -> Result<(Vec<Item>, bool), InboxError> {
    let member = member_of(actor)?;
    let mut rows = storage::inbox::list(ctx.db.conn(), member, unread_only, before, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((parse_items(rows)?, more))
}

/// How many of the caller's items are unread.
pub async fn unread_count(ctx: &Ctx, actor: &Actor) -> Result<i64, InboxError> {
    let member = member_of(actor)?;
    Ok(storage::inbox::unread_count(ctx.db.conn(), member).await?)
}

/// The caller's items newer than `after` (from the start when `None`), oldest first, at most
/// `limit`: what a live stream sends next.
pub async fn newer(ctx: &Ctx, actor: &Actor, after: Option<Uuid>, limit: u64) -> Result<Vec<Item>, InboxError> {
    let member = member_of(actor)?;
    Ok(parse_items(storage::inbox::newer(ctx.db.conn(), member, after, limit).await?)?)
}

/// The id of the caller's newest item: where a live stream starts.
pub async fn newest_id(ctx: &Ctx, actor: &Actor) -> Result<Option<Uuid>, InboxError> {
    let member = member_of(actor)?;
    Ok(storage::inbox::newest_id(ctx.db.conn(), member).await?)
}

/// Marks one of the caller's items read (the first read time stays) and returns it.
pub async fn read(ctx: &Ctx, actor: &Actor, id: Uuid) -> Result<Item, InboxError> {
    let member = member_of(actor)?;
    let tx = ctx.db.begin().await?;
    storage::inbox::mark_read(tx.conn(), member, id, ctx.clock.now()).await?;
    let row = storage::inbox::get(tx.conn(), member, id).await?.ok_or(InboxError::NotFound)?;
    tx.commit().await?;
    Ok(parse_item(row)?)
}

/// Marks every unread item of the caller read; returns how many were.
pub async fn read_all(ctx: &Ctx, actor: &Actor) -> Result<u64, InboxError> {
    let member = member_of(actor)?;
    let tx = ctx.db.begin().await?;
    let marked = storage::inbox::mark_all_read(tx.conn(), member, ctx.clock.now()).await?;
    tx.commit().await?;
    Ok(marked)
}

// ---------------------------------------------------------------------------------------------
// Preferences

/// The caller's preferences (the defaults when never saved) and when they were saved.
pub async fn preferences(ctx: &Ctx, actor: &Actor) -> Result<(Preferences, Option<DateTime<Utc>>), InboxError> {
    let member = member_of(actor)?;
    match storage::inbox::preferences(ctx.db.conn(), member).await? {
        None => Ok((Preferences::default(), None)),
        Some((text, at)) => {
            let prefs =
                Preferences::from_json(&text).map_err(|e| StoreError::Corrupt(format!("notification preferences of {member}: {e}")))?;
            Ok((prefs, Some(at)))
        }
    }
}

/// Why preferences were not saved.
#[derive(Debug, thiserror::Error)]
pub enum SetPreferencesError {
    /// The caller's account belongs to no member.
    #[error("the account has no inbox")]
    NoInbox,
    /// The document is refused; every problem is listed.
    #[error("invalid preferences")]
    Invalid(Vec<PreferencesError>),
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Replaces the caller's preferences with `doc` once it parses, with an audit record, in one
/// transaction; returns what is stored.
pub async fn set_preferences(ctx: &Ctx, who: Requester<'_>, doc: &PreferencesDoc) -> Result<Preferences, SetPreferencesError> {
    let member = who.actor.member_id.ok_or(SetPreferencesError::NoInbox)?;
    let prefs = Preferences::parse(doc).map_err(SetPreferencesError::Invalid)?;
    let now = ctx.clock.now();
    let tx = ctx.db.begin().await?;
    storage::inbox::save_preferences(tx.conn(), member, &prefs.to_json(), now).await?;
    audit::record(
        &tx,
        who,
        now,
        "notification_preferences.update",
        ("member", Some(member.as_uuid())),
        who.actor.home_path.last().copied(),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(prefs)
}

// ---------------------------------------------------------------------------------------------
// Dead letters

/// The administrator's right over deliveries: that of reading a subtree's records.
pub const DELIVERIES_ACTION: Action = Action::ViewAudit;

/// Why deliveries cannot be listed or retried.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The caller administers no unit.
    #[error("not permitted")]
    Forbidden,
    /// No such delivery within the caller's subtrees.
    #[error("no such delivery")]
    NotFound,
    /// The recipient is the caller, or holds a position the caller may not appoint to.
    #[error(transparent)]
    OnMember(ActOnMemberError),
    /// Only a failed delivery is retried; this one has the given status.
    #[error("the delivery is {0}, not failed")]
    NotFailed(String),
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The units over whose subtrees the caller sees deliveries.
async fn delivery_scopes(ctx: &Ctx, actor: &Actor) -> Result<Vec<UnitId>, DeliveryError> {
    let mut scopes = Vec::new();
    for unit in &actor.admin_scopes {
        let path = match unit_path(ctx, *unit).await {
            Err(StoreError::NotFound) => continue,
            other => other?,
        };
        if allowed(ctx, actor, DELIVERIES_ACTION, &path) {
            scopes.push(*unit);
        }
    }
    if scopes.is_empty() { Err(DeliveryError::Forbidden) } else { Ok(scopes) }
}

/// A page (newest first, older than `before`) of the deliveries in `status` of members whose home
/// cell lies in a subtree the caller administers; the flag says whether more follow.
pub async fn deliveries(
    ctx: &Ctx,
    actor: &Actor,
    status: &str,
    before: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<DeliveryRow>, bool), DeliveryError> {
    let scopes = delivery_scopes(ctx, actor).await?;
    let mut rows = storage::inbox::deliveries_in_subtrees(ctx.db.conn(), &scopes, status, before, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, more))
}

/// Puts a failed delivery of a member in the caller's subtrees back in the queue, due now, with
/// attempts, lease and error cleared, and its audit record, in one transaction.
pub async fn retry(ctx: &Ctx, who: Requester<'_>, id: Uuid) -> Result<DeliveryRow, DeliveryError> {
    delivery_scopes(ctx, who.actor).await?;
    let row = storage::inbox::delivery_by_id(ctx.db.conn(), id).await?.ok_or(DeliveryError::NotFound)?;
    let path = unit_path(ctx, row.unit_id).await?;
    if !who.actor.admin_scopes.iter().any(|scope| path.contains(scope)) || !allowed(ctx, who.actor, DELIVERIES_ACTION, &path) {
        return Err(DeliveryError::NotFound);
    }
    may_act_on(ctx, who.actor, Some(DELIVERIES_ACTION), row.member_id, &path).await?.map_err(DeliveryError::OnMember)?;
    let now = ctx.clock.now();
    let tx = ctx.db.begin().await?;
    if !storage::inbox::retry_failed(tx.conn(), id, now.timestamp_micros()).await? {
        let status = storage::inbox::delivery_by_id(tx.conn(), id).await?.map_or_else(|| "gone".to_string(), |d| d.status);
        return Err(DeliveryError::NotFailed(status));
    }
    audit::record(
        &tx,
        who,
        now,
        "notification_delivery.retry",
        ("notification_delivery", Some(id)),
        Some(row.unit_id),
        serde_json::json!({"member_id": row.member_id.as_uuid(), "channel": row.channel, "attempts": row.attempts, "last_error": row.last_error}),
    )
    .await?;
    let row = storage::inbox::delivery_by_id(tx.conn(), id).await?.ok_or(DeliveryError::NotFound)?;
    tx.commit().await?;
    Ok(row)
}
