//! Member use cases: admitting a member into a cell, the roster, one member at the view the
//! caller is entitled to, contact changes, lifecycle events (*công nhận chính thức, chuyển sinh
//! hoạt, miễn sinh hoạt, xóa tên, khai trừ*…) and the member's history.
//!
//! Input values arrive parsed (`membership::fields`); what a caller may see or change is
//! `membership::permission`'s decision, and the member state machine is `membership::lifecycle`'s.

use std::collections::HashMap;

use chrono::NaiveDate;
use membership::lifecycle::{self, EventKind, LifecycleError, MemberState};
use membership::permission::{ActOnMemberError, Action, Actor, MemberView as Visibility, member_view};
use membership::position::{Position, ended_by_event};
use membership::{CitizenId, Email, FullName, PartyCardNumber, Phone, Sex};
use membership::{EventId, MemberId, UnitId};
use storage::members::{Decision, EventRecord, ListQuery, MemberRecord, StandingFilter};
use storage::{Constraint, StoreError};
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::{Ctx, allowed, may_act_on, unit_path};

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
pub enum CreateMemberError<E> {
    /// The caller may not manage the cell's members.
    #[error("not permitted")]
    Forbidden,
    /// Only a cell has a roster.
    #[error("only a cell (chi bộ) has a roster of members")]
    NotACell,
    /// The caller's parser refused the request (reported only once the caller is allowed).
    #[error("the request was refused")]
    Request(E),
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

/// Why the caller cannot manage a unit's roster.
enum CellRefusal {
    Forbidden,
    NotACell,
    Store(StoreError),
}

/// Checks that the caller may manage the members of `unit` and that it is a cell.
async fn managed_cell(ctx: &Ctx, actor: &Actor, unit: UnitId) -> Result<(), CellRefusal> {
    let path = unit_path(ctx, unit).await.map_err(CellRefusal::Store)?;
    if !allowed(ctx, actor, Action::ManageMembers, &path) {
        return Err(CellRefusal::Forbidden);
    }
    if !storage::units::get(ctx.db.conn(), unit).await.map_err(CellRefusal::Store)?.kind.holds_members() {
        return Err(CellRefusal::NotACell);
    }
    Ok(())
}

/// Which unique key of the members table a write collided with, if any.
fn duplicate_key(err: &StoreError) -> Option<MemberKey> {
    match err {
        StoreError::Conflict { constraint: Constraint::CitizenId } => Some(MemberKey::CitizenId),
        StoreError::Conflict { constraint: Constraint::PartyCardNumber } => Some(MemberKey::PartyCardNumber),
        _ => None,
    }
}

/// The admission of a new member, the first entry of their history.
fn admission_event(m: &MemberRecord, actor: &Actor, now: chrono::DateTime<chrono::Utc>) -> EventRecord {
    EventRecord {
        id: EventId::from_uuid(Uuid::now_v7()),
        member_id: m.id,
        kind: membership::lifecycle::ADMISSION_CODE.into(),
        effective_on: m.state.admitted_on,
        from_unit_id: None,
        to_unit_id: Some(m.state.home_unit),
        decision: None,
        note: m.state.official_on.map(|d| format!("recorded as official since {d}")),
        recorded_by: actor.account_id.map(|a| a.as_uuid()),
        recorded_at: now,
    }
}

/// Admits a member into `cell` (secretaries and deputies over the cell, administrators): the
/// member row, the admission as the first entry of the history, and the audit record, in one
/// transaction. `new` is the caller's parse of the request, looked at only once the caller is
/// known to be allowed (an outsider learns nothing of the body's rules).
pub async fn create_member<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    cell: UnitId,
    new: Result<NewMember, E>,
) -> Result<MemberRecord, CreateMemberError<E>> {
    let now = ctx.clock.now();
    managed_cell(ctx, who.actor, cell).await.map_err(|e| match e {
        CellRefusal::Forbidden => CreateMemberError::Forbidden,
        CellRefusal::NotACell => CreateMemberError::NotACell,
        CellRefusal::Store(e) => CreateMemberError::Store(e),
    })?;
    let new = new.map_err(CreateMemberError::Request)?;
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
    let admission = admission_event(&record, who.actor, now);
    let tx = ctx.db.begin().await?;
    storage::members::insert(tx.conn(), &record).await.map_err(|e| match duplicate_key(&e) {
        Some(MemberKey::CitizenId) => CreateMemberError::DuplicateCitizenId,
        Some(MemberKey::PartyCardNumber) => CreateMemberError::DuplicatePartyCardNumber,
        None => CreateMemberError::Store(e),
    })?;
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
pub enum UpdateContactError<E> {
    /// Neither the member nor a leader over the member's cell.
    #[error("not permitted")]
    Forbidden,
    /// A leader over the member's cell, but the member holds a position the caller may not
    /// appoint to.
    #[error(transparent)]
    Refused(ActOnMemberError),
    /// The version the caller edited is not the current one.
    #[error("the member changed since it was read")]
    Stale,
    /// The caller's parser refused the new values (reported after the version check).
    #[error("the request was refused")]
    Request(E),
    /// Storage (a missing member is `Store(NotFound)`; a race lost at the write is
    /// `Store(VersionMismatch)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Changes a member's contact fields (the member themself — the self-service every member has —
/// or leaders and administrators over the member's cell who may act on the member: on the holder
/// of a position only those who may appoint to it), against one of the versions the caller names
/// (`If-Match`), audited. Phone and e-mail are all it changes, for anyone.
pub async fn update_contact<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: MemberId,
    expected_versions: &[i32],
    change: Result<ContactChange, E>,
) -> Result<VisibleMember, UpdateContactError<E>> {
    let now = ctx.clock.now();
    let (mut member, path, _) = load_visible(ctx, who.actor, id).await.map_err(|e| match e {
        ViewMemberError::Forbidden => UpdateContactError::Forbidden,
        ViewMemberError::Store(e) => UpdateContactError::Store(e),
    })?;
    if who.actor.member_id != Some(member.id) {
        may_act_on(ctx, who.actor, Some(Action::ManageMembers), member.id, &path).await?.map_err(|e| match e {
            ActOnMemberError::Denied(_) => UpdateContactError::Forbidden,
            e => UpdateContactError::Refused(e),
        })?;
    }
    if !expected_versions.contains(&member.version) {
        return Err(UpdateContactError::Stale);
    }
    let change = change.map_err(UpdateContactError::Request)?;
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
pub enum RecordEventError<E> {
    /// The caller may not manage the member's cell, the receiving cell, or a position the event
    /// ends.
    #[error("not permitted")]
    Forbidden,
    /// The caller manages the member's cell but may not act on this member: themselves, or the
    /// holder of a position the caller may not appoint to.
    #[error(transparent)]
    Refused(ActOnMemberError),
    /// The caller's parser refused the event (reported only once the caller is allowed).
    #[error("the request was refused")]
    Request(E),
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

/// Records a lifecycle event (leaders and administrators over the member's cell, never about
/// themselves, and about the holder of a position only those who may appoint to it; a transfer
/// also needs the right over the receiving cell). The member's new state, the history entry, the end
/// of the positions the event ends (`membership::position::ended_by_event`; ending each needs the
/// right to appoint to it, so a cell secretary cannot remove the commune secretary), the rebuilt
/// rankings when the member's chain changes or they leave, and the audit record are written in one
/// transaction.
pub async fn record_event<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: MemberId,
    event: Result<NewEvent, E>,
) -> Result<EventRecord, RecordEventError<E>> {
    let now = ctx.clock.now();
    let today = ctx.clock.today();
    let (mut member, path, _) = load_visible(ctx, who.actor, id).await.map_err(|e| match e {
        ViewMemberError::Forbidden => RecordEventError::Forbidden,
        ViewMemberError::Store(e) => RecordEventError::Store(e),
    })?;
    may_act_on(ctx, who.actor, Some(Action::ManageMembers), member.id, &path).await?.map_err(|e| match e {
        ActOnMemberError::Denied(_) => RecordEventError::Forbidden,
        e => RecordEventError::Refused(e),
    })?;
    let event = event.map_err(RecordEventError::Request)?;
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

/// An import file as the caller's parser read it: the rows that parsed, with their 1-based
/// lines, and the parser's own problems with the others (of the caller's type `I`).
#[derive(Debug, Clone)]
pub struct ParsedImport<I> {
    /// Parsed rows.
    pub rows: Vec<(usize, NewMember)>,
    /// Problems found while parsing.
    pub issues: Vec<I>,
}

/// Which unique key of a member an import row repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKey {
    /// The CCCD.
    CitizenId,
    /// The party-card number.
    PartyCardNumber,
}

/// An import row whose key is already taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateRow {
    /// Its line.
    pub line: usize,
    /// The key.
    pub key: MemberKey,
    /// The earlier line of the file with the same key; `None` when a stored member has it.
    pub first_line: Option<usize>,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError<E, I> {
    /// The caller may not manage the cell's members.
    #[error("not permitted")]
    Forbidden,
    /// Only a cell has a roster.
    #[error("only a cell (chi bộ) has a roster of members")]
    NotACell,
    /// The caller's parser refused the file as a whole.
    #[error("the file was refused")]
    Request(E),
    /// Rows are invalid (the parser's problems), repeat a key within the file, or collide with
    /// stored members.
    #[error("{} invalid and {} duplicate rows", parse.len(), duplicates.len())]
    Invalid {
        /// The parser's problems.
        parse: Vec<I>,
        /// Keys repeated in the file or already stored, by line.
        duplicates: Vec<DuplicateRow>,
    },
    /// The file has no data rows.
    #[error("the file has no data rows")]
    Empty,
    /// A concurrent write took a CCCD of the file.
    #[error("a member with this CCCD already exists")]
    DuplicateCitizenId,
    /// A concurrent write took a party-card number of the file.
    #[error("a member with this party-card number already exists")]
    DuplicatePartyCardNumber,
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports a cell's members in one transaction, or nothing: the caller must manage the cell, then
/// `parse` reads the file (given today's date for the admission rules); any problem — the parser's,
/// a CCCD or card number repeated in the file, or one already stored — refuses the whole file
/// with every problem listed. Each member gets the admission as the first entry of the history;
/// one audit record covers the import.
pub async fn import_members<E, I>(
    ctx: &Ctx,
    who: Requester<'_>,
    cell: UnitId,
    parse: impl FnOnce(NaiveDate) -> Result<ParsedImport<I>, E>,
) -> Result<Vec<MemberRecord>, ImportError<E, I>> {
    let now = ctx.clock.now();
    managed_cell(ctx, who.actor, cell).await.map_err(|e| match e {
        CellRefusal::Forbidden => ImportError::Forbidden,
        CellRefusal::NotACell => ImportError::NotACell,
        CellRefusal::Store(e) => ImportError::Store(e),
    })?;
    let ParsedImport { rows, issues } = parse(ctx.clock.today()).map_err(ImportError::Request)?;
    let mut duplicates = Vec::new();
    let mut seen_cards: HashMap<String, usize> = HashMap::new();
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    let mut unique = Vec::with_capacity(rows.len());
    for (line, m) in rows {
        let mut row_ok = true;
        if let Some(first) = seen_ids.insert(m.citizen_id.as_str().to_string(), line) {
            duplicates.push(DuplicateRow { line, key: MemberKey::CitizenId, first_line: Some(first) });
            row_ok = false;
        }
        if let Some(card) = &m.party_card_number
            && let Some(first) = seen_cards.insert(card.as_str().to_string(), line)
        {
            duplicates.push(DuplicateRow { line, key: MemberKey::PartyCardNumber, first_line: Some(first) });
            row_ok = false;
        }
        if row_ok {
            unique.push((line, m));
        }
    }
    let cards: Vec<String> = unique.iter().filter_map(|(_, m)| m.party_card_number.as_ref().map(|c| c.as_str().to_string())).collect();
    let ids: Vec<String> = unique.iter().map(|(_, m)| m.citizen_id.as_str().to_string()).collect();
    let (stored_cards, stored_ids) = storage::members::existing_keys(ctx.db.conn(), &cards, &ids).await?;
    for (line, m) in &unique {
        if stored_ids.iter().any(|s| s == m.citizen_id.as_str()) {
            duplicates.push(DuplicateRow { line: *line, key: MemberKey::CitizenId, first_line: None });
        }
        if m.party_card_number.as_ref().is_some_and(|c| stored_cards.iter().any(|s| s == c.as_str())) {
            duplicates.push(DuplicateRow { line: *line, key: MemberKey::PartyCardNumber, first_line: None });
        }
    }
    if !issues.is_empty() || !duplicates.is_empty() {
        duplicates.sort_by_key(|d| d.line);
        return Err(ImportError::Invalid { parse: issues, duplicates });
    }
    if unique.is_empty() {
        return Err(ImportError::Empty);
    }
    let records: Vec<MemberRecord> = unique
        .into_iter()
        .map(|(_, m)| MemberRecord {
            id: MemberId::from_uuid(Uuid::now_v7()),
            full_name: m.full_name,
            date_of_birth: m.date_of_birth,
            sex: m.sex,
            party_card_number: m.party_card_number,
            citizen_id: m.citizen_id,
            phone: m.phone,
            email: m.email,
            state: m.state,
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    let events: Vec<EventRecord> = records.iter().map(|m| admission_event(m, who.actor, now)).collect();
    let tx = ctx.db.begin().await?;
    storage::members::insert_many(tx.conn(), &records).await.map_err(|e| match duplicate_key(&e) {
        Some(MemberKey::CitizenId) => ImportError::DuplicateCitizenId,
        Some(MemberKey::PartyCardNumber) => ImportError::DuplicatePartyCardNumber,
        None => ImportError::Store(e),
    })?;
    storage::members::insert_events(tx.conn(), &events).await?;
    audit::record(
        &tx,
        who,
        now,
        "member.import",
        ("org_unit", Some(cell.as_uuid())),
        Some(cell),
        serde_json::json!({"imported": records.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok(records)
}
