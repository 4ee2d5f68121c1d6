//! Member use cases: admitting a member into a cell, the roster, one member at the view the
//! caller is entitled to, contact changes, lifecycle events (*công nhận chính thức, chuyển sinh
//! hoạt, miễn sinh hoạt, xóa tên, khai trừ*…) and the member's history.
//!
//! Input values arrive parsed (`membership::fields`); what a caller may see or change is
//! `membership::permission`'s decision, and the member state machine is `membership::lifecycle`'s.

use std::collections::HashMap;

use chrono::NaiveDate;
use membership::lifecycle::{self, EventKind, LifecycleError, MemberState};
use membership::permission::{Action, Actor, MemberView as Visibility, member_view};
use membership::position::{Position, ended_by_event};
use membership::{CitizenId, Email, FullName, PartyCardNumber, Phone, Sex};
use membership::{EventId, MemberId, UnitId};
use storage::members::{Decision, EventRecord, ListQuery, MemberRecord, StandingFilter};
use storage::{Constraint, StoreError};
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::{Ctx, allowed, unit_path};

/// A member's data as entered, already parsed (admission dates checked by
/// `membership::lifecycle::admit`).
#[derive(Debug, Clone)]
pub struct NewMember {
    /// Full name.
    pub full_name: FullName,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// Party-card number (none while probationary).
    pub party_card_number: Option<PartyCardNumber>,
    /// CCCD.
    pub citizen_id: CitizenId,
    /// Mobile number.
    pub phone: Option<Phone>,
    /// E-mail.
    pub email: Option<Email>,
    /// The state admission gives (home cell, standing, dates).
    pub state: MemberState,
}

/// Why a member cannot be added.
#[derive(Debug, thiserror::Error)]
pub enum CreateMemberError {
    /// The caller may not manage the cell's members.
    #[error("not permitted")]
    Forbidden,
    /// Only a cell has a roster.
    #[error("only a cell (chi bộ) has a roster of members")]
    NotACell,
    /// Another member has this CCCD.
    #[error("a member with this CCCD already exists")]
    DuplicateCitizenId,
    /// Another member has this party-card number.
    #[error("a member with this party-card number already exists")]
    DuplicatePartyCardNumber,
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks that the caller may manage the members of `unit` and that it is a cell; returns its
/// ancestry.
async fn managed_cell(ctx: &Ctx, actor: &Actor, unit: UnitId) -> Result<Vec<UnitId>, CreateMemberError> {
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, actor, Action::ManageMembers, &path) {
        return Err(CreateMemberError::Forbidden);
    }
    if !storage::units::get(ctx.db.conn(), unit).await?.kind.holds_members() {
        return Err(CreateMemberError::NotACell);
    }
    Ok(path)
}

/// Maps the unique constraints of the members table.
fn duplicate(err: StoreError) -> CreateMemberError {
    match err {
        StoreError::Conflict { constraint: Constraint::CitizenId } => CreateMemberError::DuplicateCitizenId,
        StoreError::Conflict { constraint: Constraint::PartyCardNumber } => CreateMemberError::DuplicatePartyCardNumber,
        other => CreateMemberError::Store(other),
    }
}

/// Admits a member into `cell` (secretaries and deputies over the cell, administrators): the
/// member row, the admission as the first entry of the history, and the audit record, in one
/// transaction.
pub async fn create_member(ctx: &Ctx, who: Requester<'_>, cell: UnitId, new: NewMember) -> Result<MemberRecord, CreateMemberError> {
    let now = ctx.clock.now();
    managed_cell(ctx, who.actor, cell).await?;
    let record = MemberRecord {
        id: MemberId::from_uuid(Uuid::now_v7()),
        full_name: new.full_name,
        date_of_birth: new.date_of_birth,
        sex: new.sex,
        party_card_number: new.party_card_number,
        citizen_id: new.citizen_id,
        phone: new.phone,
        email: new.email,
        state: new.state,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let admission = EventRecord {
        id: EventId::from_uuid(Uuid::now_v7()),
        member_id: record.id,
        kind: "admit".into(),
        effective_on: record.state.admitted_on,
        from_unit_id: None,
        to_unit_id: Some(record.state.home_unit),
        decision: None,
        note: record.state.official_on.map(|d| format!("recorded as official since {d}")),
        recorded_by: who.actor.account_id.map(|a| a.as_uuid()),
        recorded_at: now,
    };
    let tx = ctx.db.begin().await?;
    storage::members::insert(tx.conn(), &record).await.map_err(duplicate)?;
    storage::members::insert_event(tx.conn(), &admission).await?;
    audit::record(
        &tx,
        who,
        now,
        "member.create",
        ("member", Some(record.id.as_uuid())),
        Some(cell),
        serde_json::json!({"full_name": record.full_name.as_str()}),
    )
    .await?;
    tx.commit().await?;
    Ok(record)
}

/// Why a member (or a roster) cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ViewMemberError {
    /// The caller may not see it.
    #[error("not permitted")]
    Forbidden,
    /// Storage (a missing member or unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A member as the caller may see them, with the positions they hold today.
#[derive(Debug, Clone)]
pub struct VisibleMember {
    /// The member.
    pub member: MemberRecord,
    /// Full record or names and positions only.
    pub visibility: Visibility,
    /// Positions held today.
    pub positions: Vec<Position>,
}

/// One page of a roster.
#[derive(Debug, Clone)]
pub struct RosterPage {
    /// The members, in creation order.
    pub items: Vec<VisibleMember>,
    /// Whether more follow the last one.
    pub more: bool,
}

/// A unit's members, one page at a time (`after` the last id of the previous page), for those who
/// may see the roster. Leaders and administrators over the unit see full records, the cell's
/// members names and positions; a member temporarily hosted in the cell is judged on their home
/// cell. Positions come in one query for the page.
pub async fn roster(
    ctx: &Ctx,
    actor: &Actor,
    unit: UnitId,
    standing: StandingFilter,
    include_subtree: bool,
    after: Option<MemberId>,
    limit: u64,
) -> Result<RosterPage, ViewMemberError> {
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, actor, Action::ViewRoster, &path) {
        return Err(ViewMemberError::Forbidden);
    }
    let today = ctx.clock.today();
    let visibility = if allowed(ctx, actor, Action::ViewMemberPrivate, &path) { Visibility::Full } else { Visibility::Basic };
    let query = ListQuery { unit, include_subtree, standing, after, limit: limit + 1 };
    let mut rows = storage::members::list(ctx.db.conn(), &query).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let ids: Vec<MemberId> = rows.iter().map(|m| m.id).collect();
    let mut positions: HashMap<MemberId, Vec<Position>> = HashMap::new();
    for p in storage::positions::for_members(ctx.db.conn(), &ids).await?.into_iter().filter(|p| p.is_active_on(today)) {
        positions.entry(p.member_id).or_default().push(p);
    }
    let mut items = Vec::with_capacity(rows.len());
    for member in rows {
        let v = if actor.member_id == Some(member.id) {
            Visibility::Full
        } else if !include_subtree && member.state.home_unit != unit {
            let home = storage::units::path(ctx.db.conn(), member.state.home_unit).await?;
            member_view(actor, member.id, &home, today).unwrap_or(Visibility::Basic)
        } else {
            visibility
        };
        let held = positions.remove(&member.id).unwrap_or_default();
        items.push(VisibleMember { member, visibility: v, positions: held });
    }
    Ok(RosterPage { items, more })
}

async fn positions_today(ctx: &Ctx, id: MemberId) -> Result<Vec<Position>, StoreError> {
    let today = ctx.clock.today();
    Ok(storage::positions::for_members(ctx.db.conn(), &[id]).await?.into_iter().filter(|p| p.is_active_on(today)).collect())
}

/// Loads a member and the caller's view of them (`Forbidden` when they may not see the member).
async fn load_visible(ctx: &Ctx, actor: &Actor, id: MemberId) -> Result<(MemberRecord, Vec<UnitId>, Visibility), ViewMemberError> {
    let member = storage::members::get(ctx.db.conn(), id).await?;
    let path = storage::units::path(ctx.db.conn(), member.state.home_unit).await?;
    let visibility = member_view(actor, id, &path, ctx.clock.today()).ok_or(ViewMemberError::Forbidden)?;
    Ok((member, path, visibility))
}

/// One member at the view the caller is entitled to, with the positions held today.
pub async fn member(ctx: &Ctx, actor: &Actor, id: MemberId) -> Result<VisibleMember, ViewMemberError> {
    let (member, _, visibility) = load_visible(ctx, actor, id).await?;
    let positions = positions_today(ctx, member.id).await?;
    Ok(VisibleMember { member, visibility, positions })
}

/// A member's history, oldest first (full view only: the member, leaders and administrators
/// over the cell).
pub async fn history(ctx: &Ctx, actor: &Actor, id: MemberId) -> Result<Vec<EventRecord>, ViewMemberError> {
    let (member, _, visibility) = load_visible(ctx, actor, id).await?;
    if visibility != Visibility::Full {
        return Err(ViewMemberError::Forbidden);
    }
    Ok(storage::members::events(ctx.db.conn(), member.id).await?)
}

/// A contact change: `None` keeps the field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ContactChange {
    /// New mobile number.
    pub phone: Option<Option<Phone>>,
    /// New e-mail.
    pub email: Option<Option<Email>>,
}

/// Why a contact change was refused.
#[derive(Debug, thiserror::Error)]
pub enum UpdateContactError {
    /// Neither the member nor a leader over the member's cell.
    #[error("not permitted")]
    Forbidden,
    /// The version the caller edited is not the current one.
    #[error("the member changed since it was read")]
    Stale,
    /// Storage (a missing member is `Store(NotFound)`; a race lost at the write is
    /// `Store(VersionMismatch)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Changes a member's contact fields (the member themself, or leaders and administrators over the
/// member's cell), against one of the versions the caller names (`If-Match`), audited.
pub async fn update_contact(
    ctx: &Ctx,
    who: Requester<'_>,
    id: MemberId,
    expected_versions: &[i32],
    change: ContactChange,
) -> Result<VisibleMember, UpdateContactError> {
    let now = ctx.clock.now();
    let (mut member, path, _) = load_visible(ctx, who.actor, id).await.map_err(|e| match e {
        ViewMemberError::Forbidden => UpdateContactError::Forbidden,
        ViewMemberError::Store(e) => UpdateContactError::Store(e),
    })?;
    if who.actor.member_id != Some(member.id) && !allowed(ctx, who.actor, Action::ManageMembers, &path) {
        return Err(UpdateContactError::Forbidden);
    }
    if !expected_versions.contains(&member.version) {
        return Err(UpdateContactError::Stale);
    }
    let version = member.version;
    let (phone_changed, email_changed) = (change.phone.is_some(), change.email.is_some());
    if let Some(phone) = change.phone {
        member.phone = phone;
    }
    if let Some(email) = change.email {
        member.email = email;
    }
    member.updated_at = now;
    let tx = ctx.db.begin().await?;
    storage::members::update(tx.conn(), &member, version).await?;
    audit::record(
        &tx,
        who,
        now,
        "member.update_contact",
        ("member", Some(member.id.as_uuid())),
        Some(member.state.home_unit),
        serde_json::json!({"phone_changed": phone_changed, "email_changed": email_changed}),
    )
    .await?;
    tx.commit().await?;
    member.version = version + 1;
    let positions = positions_today(ctx, member.id).await?;
    Ok(VisibleMember { member, visibility: Visibility::Full, positions })
}

/// A lifecycle event to record, parsed.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happens.
    pub kind: EventKind,
    /// Effective date.
    pub effective_on: NaiveDate,
    /// The deciding document.
    pub decision: Option<Decision>,
    /// Free-text note.
    pub note: Option<String>,
}

/// Why an event was refused.
#[derive(Debug, thiserror::Error)]
pub enum RecordEventError {
    /// The caller may not manage the member's cell, the receiving cell, or a position the event
    /// ends.
    #[error("not permitted")]
    Forbidden,
    /// The receiving or host unit is not a cell.
    #[error("the target must be a cell (chi bộ)")]
    TargetNotACell,
    /// The member state machine refuses the event.
    #[error(transparent)]
    Lifecycle(LifecycleError),
    /// The member changed meanwhile.
    #[error("the member changed meanwhile; reload and retry")]
    Concurrent,
    /// Storage (a missing member or unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records a lifecycle event (leaders and administrators over the member's cell; a transfer also
/// needs the right over the receiving cell). The member's new state, the history entry, the end
/// of the positions the event ends (`membership::position::ended_by_event`; ending each needs the
/// right to appoint to it, so a cell secretary cannot remove the commune secretary), the rebuilt
/// rankings when the member's chain changes or they leave, and the audit record are written in one
/// transaction.
pub async fn record_event(ctx: &Ctx, who: Requester<'_>, id: MemberId, event: NewEvent) -> Result<EventRecord, RecordEventError> {
    let now = ctx.clock.now();
    let today = ctx.clock.today();
    let (mut member, path, _) = load_visible(ctx, who.actor, id).await.map_err(|e| match e {
        ViewMemberError::Forbidden => RecordEventError::Forbidden,
        ViewMemberError::Store(e) => RecordEventError::Store(e),
    })?;
    if !allowed(ctx, who.actor, Action::ManageMembers, &path) {
        return Err(RecordEventError::Forbidden);
    }
    let target = event.kind.target_unit();
    let mut target_path = Vec::new();
    if let Some(target) = target {
        target_path = unit_path(ctx, target).await?;
        if !allowed(ctx, who.actor, Action::ManageMembers, &target_path) {
            return Err(RecordEventError::Forbidden);
        }
        if !storage::units::get(ctx.db.conn(), target).await?.kind.holds_members() {
            return Err(RecordEventError::TargetNotACell);
        }
    }
    let next = lifecycle::apply(&member.state, &event.kind, event.effective_on, today).map_err(RecordEventError::Lifecycle)?;
    let positions = storage::positions::for_members(ctx.db.conn(), &[member.id]).await?;
    let ending = ended_by_event(&event.kind, event.effective_on, &positions, &target_path);
    for (position, _) in &ending {
        if let Some(p) = positions.iter().find(|p| p.id == *position) {
            let unit_path = storage::units::path(ctx.db.conn(), p.unit_id).await?;
            if !allowed(ctx, who.actor, Action::ManagePositions, &unit_path) {
                return Err(RecordEventError::Forbidden);
            }
        }
    }
    let record = EventRecord {
        id: EventId::from_uuid(Uuid::now_v7()),
        member_id: member.id,
        kind: event.kind.code().to_string(),
        effective_on: event.effective_on,
        from_unit_id: Some(member.state.home_unit),
        to_unit_id: target,
        decision: event.decision,
        note: event.note,
        recorded_by: who.actor.account_id.map(|a| a.as_uuid()),
        recorded_at: now,
    };
    let version = member.version;
    let from_unit = member.state.home_unit;
    member.state = next;
    member.updated_at = now;
    let tx = ctx.db.begin().await?;
    storage::members::update(tx.conn(), &member, version).await.map_err(|e| match e {
        StoreError::VersionMismatch => RecordEventError::Concurrent,
        other => RecordEventError::Store(other),
    })?;
    storage::members::insert_event(tx.conn(), &record).await?;
    for (position, last_day) in &ending {
        storage::positions::end(tx.conn(), *position, *last_day).await?;
    }
    if member.state.home_unit != from_unit || !member.state.standing.is_active() {
        // Rankings follow the member's current chain; members who left drop out of them.
        storage::study::rebuild_unit_points(tx.conn(), &[member.id]).await?;
    }
    audit::record(
        &tx,
        who,
        now,
        "member.event",
        ("member", Some(member.id.as_uuid())),
        Some(from_unit),
        serde_json::json!({"type": record.kind, "effective_on": record.effective_on, "to_unit_id": target.map(|t| t.as_uuid())}),
    )
    .await?;
    tx.commit().await?;
    Ok(record)
}
