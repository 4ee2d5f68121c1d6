//! Meeting use cases: who may see a meeting ([`visible_meeting`]), preparing a draft, editing it
//! with a version check, publishing, opening (roster frozen, ledger created), ending and
//! cancelling, the list of a unit's meetings, check-in and the attendance ledger; [`reports`]
//! (reports to the superior unit, attendance history, calendar feed), [`comments`] (opinions) and
//! [`minutes`] (minutes, motions, votes, ratings).
//!
//! Status and lifecycle timestamps change only through the domain's
//! [`Meeting`] transitions. Each write saves the meeting, its audit
//! record and (for publication, opening and the cancellation of a published meeting) the outbox
//! event in one transaction. The request's own refusals are found by the caller's parser and
//! reported only after the caller is known to be allowed (`Request(E)`), as the API always has.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use meetings::MeetingId;
use meetings::attendance::{self, CheckIn, CheckInError, CheckInRules, Figures, LedgerRow};
use meetings::content::{self, Warning};
use meetings::lifecycle::{self, InvalidTransition, Meeting, MeetingKind, MeetingStatus, ScheduledRegular};
use meetings::roster::{self, Candidate};
use membership::permission::{Action, Actor};
use membership::{MemberId, UnitId};
use storage::StoreError;
use storage::meetings::{AgendaRecord, MeetingQuery, MeetingRecord};
use storage::members::{ListQuery, StandingFilter};
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::events::{Event, EventError, MeetingCancelled, MeetingOpened, MeetingPublished, MeetingRescheduled};
use crate::{Ctx, allowed, unit_path};

pub mod comments;
pub mod minutes;
pub mod reports;

/// What the caller may do with a meeting's unit.
#[derive(Debug, Clone)]
pub struct Access {
    /// The ancestry of the meeting's cell, root first.
    pub path: Vec<UnitId>,
    /// The caller may manage the cell's meetings.
    pub manage: bool,
}

/// Why a meeting cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ViewMeetingError {
    /// The caller may not see the meeting (or the unit's meetings).
    #[error("not permitted")]
    Forbidden,
    /// Storage (a missing meeting or unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a meeting cannot be prepared, edited or moved along its lifecycle.
#[derive(Debug, thiserror::Error)]
pub enum MeetingError<E> {
    /// The caller may not see the meeting, or may not manage the cell's meetings.
    #[error("not permitted")]
    Forbidden,
    /// The version check or the request itself was refused by the caller.
    #[error("the request was refused")]
    Request(E),
    /// The meeting can no longer be edited in this status.
    #[error("a {} meeting can no longer be edited", .0.code())]
    Locked(MeetingStatus),
    /// The lifecycle refuses the transition.
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    /// The cell already has a regular meeting in that month (the clash, when the rule found it;
    /// none when the database's guarantee did).
    #[error("the cell already has a regular meeting this month")]
    RegularMonthTaken(Option<MeetingId>),
    /// An agenda item with comments would be removed.
    #[error("an agenda item with comments cannot be removed")]
    AgendaItemHasComments,
    /// The planned duration is below the minimum and was not confirmed.
    #[error("planned {planned} minutes, minimum {minimum}")]
    ShortDurationUnconfirmed {
        /// Minimum minutes.
        minimum: u32,
        /// Planned minutes.
        planned: u32,
    },
    /// The outbox event could not be encoded.
    #[error(transparent)]
    Event(#[from] EventError),
    /// Storage (a missing meeting or unit is `Store(NotFound)`; a stale version
    /// `Store(VersionMismatch)`).
    #[error(transparent)]
    Store(StoreError),
}

impl<E> From<StoreError> for MeetingError<E> {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { constraint: storage::Constraint::RegularMeetingMonth } => MeetingError::RegularMonthTaken(None),
            other => MeetingError::Store(other),
        }
    }
}

impl<E> From<ViewMeetingError> for MeetingError<E> {
    fn from(e: ViewMeetingError) -> Self {
        match e {
            ViewMeetingError::Forbidden => MeetingError::Forbidden,
            ViewMeetingError::Store(e) => MeetingError::Store(e),
        }
    }
}

/// Why attendance cannot be recorded.
#[derive(Debug, thiserror::Error)]
pub enum AttendanceError<E> {
    /// The caller may not see the meeting, is not on its roster, or may not manage it.
    #[error("not permitted")]
    Forbidden,
    /// The meeting is not open (check-in).
    #[error("the meeting is {}", .0.code())]
    NotOpen(MeetingStatus),
    /// The ledger can no longer be changed (correction).
    #[error("the ledger of a {} meeting cannot be changed", .0.code())]
    LedgerLocked(MeetingStatus),
    /// The check-in rules refuse (outside the window).
    #[error(transparent)]
    CheckIn(CheckInError),
    /// The request itself was refused by the caller's parser.
    #[error("the request was refused")]
    Request(E),
    /// Storage (a missing meeting, or a member not on the ledger, is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<E> From<ViewMeetingError> for AttendanceError<E> {
    fn from(e: ViewMeetingError) -> Self {
        match e {
            ViewMeetingError::Forbidden => AttendanceError::Forbidden,
            ViewMeetingError::Store(e) => AttendanceError::Store(e),
        }
    }
}

// ---------------------------------------------------------------- state

pub(crate) fn state_of(m: &MeetingRecord) -> Meeting {
    Meeting {
        status: m.status,
        starts_at: m.starts_at,
        late_publication: m.late_publication,
        published_at: m.published_at,
        opened_at: m.opened_at,
        ended_at: m.ended_at,
        cancelled_at: m.cancelled_at,
        cancel_reason: m.cancel_reason.clone(),
        minutes_approved_at: m.minutes_approved_at,
    }
}

pub(crate) fn apply(m: &mut MeetingRecord, s: Meeting, now: DateTime<Utc>) {
    m.status = s.status;
    m.starts_at = s.starts_at;
    m.late_publication = s.late_publication;
    m.published_at = s.published_at;
    m.opened_at = s.opened_at;
    m.ended_at = s.ended_at;
    m.cancelled_at = s.cancelled_at;
    m.cancel_reason = s.cancel_reason;
    m.minutes_approved_at = s.minutes_approved_at;
    m.updated_at = now;
}

// ---------------------------------------------------------------- access

/// Loads the meeting and checks that `actor` may see it (drafts: the cell's secretary or deputy,
/// committee members and leaders above; otherwise: members of the cell, guests temporarily
/// transferred in, leaders above, administrators).
pub async fn visible_meeting(ctx: &Ctx, actor: &Actor, id: MeetingId) -> Result<(MeetingRecord, Access), ViewMeetingError> {
    let meeting = storage::meetings::get(ctx.db.conn(), id).await?;
    let path = unit_path(ctx, meeting.unit_id).await?;
    let manage = allowed(ctx, actor, Action::ManageMeetings, &path);
    let visible = if meeting.status.visible_to_members() {
        allowed(ctx, actor, Action::ViewMeetings, &path) || is_guest(ctx, actor, meeting.unit_id).await?
    } else {
        manage || allowed(ctx, actor, Action::ViewMemberPrivate, &path)
    };
    if !visible {
        return Err(ViewMeetingError::Forbidden);
    }
    Ok((meeting, Access { path, manage }))
}

async fn is_guest(ctx: &Ctx, actor: &Actor, unit: UnitId) -> Result<bool, StoreError> {
    let Some(member) = actor.member_id else { return Ok(false) };
    let record = storage::members::get(ctx.db.conn(), member).await?;
    Ok(record.state.standing.is_active() && record.state.temporary_host == Some(unit))
}

pub(crate) async fn managed<E>(ctx: &Ctx, actor: &Actor, id: MeetingId) -> Result<MeetingRecord, MeetingError<E>> {
    let (meeting, access) = visible_meeting(ctx, actor, id).await?;
    if access.manage { Ok(meeting) } else { Err(MeetingError::Forbidden) }
}

/// A meeting the caller may see, with its agenda.
pub async fn meeting(ctx: &Ctx, actor: &Actor, id: MeetingId) -> Result<(MeetingRecord, Vec<AgendaRecord>), ViewMeetingError> {
    let (meeting, _) = visible_meeting(ctx, actor, id).await?;
    let agenda = storage::meetings::agenda(ctx.db.conn(), meeting.id).await?;
    Ok((meeting, agenda))
}

/// A unit's meetings by start time, each with its agenda: members of the unit, guests and
/// leaders; drafts only to those who may see them. `query` (its `unit` is replaced by `unit`) is
/// the caller's parse of the filters, reported after the caller is known to be allowed.
pub async fn list<E>(
    ctx: &Ctx,
    actor: &Actor,
    unit: UnitId,
    query: Result<MeetingQuery, E>,
) -> Result<Vec<(MeetingRecord, Vec<AgendaRecord>)>, MeetingError<E>> {
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, actor, Action::ViewMeetings, &path) && !is_guest(ctx, actor, unit).await? {
        return Err(MeetingError::Forbidden);
    }
    let query = MeetingQuery { unit, ..query.map_err(MeetingError::Request)? };
    let rows = storage::meetings::list(ctx.db.conn(), &query).await?;
    // Set-based: the drafts' unit paths and every agenda of the page in one statement each.
    let mut draft_units: Vec<UnitId> = rows.iter().filter(|m| m.status == MeetingStatus::Draft).map(|m| m.unit_id).collect();
    draft_units.sort_unstable();
    draft_units.dedup();
    let paths = if draft_units.is_empty() { HashMap::new() } else { storage::units::paths(ctx.db.conn(), &draft_units).await? };
    let rows: Vec<MeetingRecord> = rows
        .into_iter()
        .filter(|m| {
            m.status != MeetingStatus::Draft
                || paths
                    .get(&m.unit_id)
                    .is_some_and(|p| allowed(ctx, actor, Action::ManageMeetings, p) || allowed(ctx, actor, Action::ViewMemberPrivate, p))
        })
        .collect();
    let ids: Vec<MeetingId> = rows.iter().map(|m| m.id).collect();
    let mut agendas = storage::meetings::agendas(ctx.db.conn(), &ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let agenda = agendas.remove(&m.id).unwrap_or_default();
            (m, agenda)
        })
        .collect())
}

// ---------------------------------------------------------------- create, edit

/// A new meeting as parsed by the caller.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    /// Kind.
    pub kind: MeetingKind,
    /// Combined with a thematic meeting.
    pub combined_thematic: bool,
    /// Title.
    pub title: String,
    /// Scheduled start.
    pub starts_at: DateTime<Utc>,
    /// Planned minutes.
    pub planned_minutes: u32,
    /// Place.
    pub location: Option<String>,
    /// Online link.
    pub online_link: Option<String>,
    /// Notes.
    pub notes: String,
    /// Agenda, with new ids.
    pub agenda: Vec<AgendaRecord>,
}

async fn check_monthly<E>(
    ctx: &Ctx,
    unit: UnitId,
    this: Option<MeetingId>,
    kind: MeetingKind,
    starts_at: DateTime<Utc>,
) -> Result<(), MeetingError<E>> {
    if kind != MeetingKind::Regular {
        return Ok(());
    }
    let window = Duration::days(40);
    let existing: Vec<ScheduledRegular> = storage::meetings::regular_between(ctx.db.conn(), unit, starts_at - window, starts_at + window)
        .await?
        .iter()
        .map(|m| ScheduledRegular { id: m.id, starts_at: m.starts_at })
        .collect();
    lifecycle::check_monthly_regular(&existing, this, starts_at).map_err(|clash| MeetingError::RegularMonthTaken(Some(clash)))
}

/// Prepares a meeting (draft) in a cell: its own secretary or deputy only. A second regular
/// meeting in the month is `RegularMonthTaken`.
pub async fn create<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    unit: UnitId,
    input: Result<NewMeeting, E>,
) -> Result<(MeetingRecord, Vec<AgendaRecord>), MeetingError<E>> {
    let now = ctx.clock.now();
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, who.actor, Action::ManageMeetings, &path) {
        return Err(MeetingError::Forbidden);
    }
    let new = input.map_err(MeetingError::Request)?;
    check_monthly(ctx, unit, None, new.kind, new.starts_at).await?;
    let state = Meeting::draft(new.starts_at);
    let mut meeting = MeetingRecord {
        id: MeetingId::from_uuid(Uuid::now_v7()),
        unit_id: unit,
        kind: new.kind,
        combined_thematic: new.combined_thematic,
        title: new.title,
        status: state.status,
        starts_at: new.starts_at,
        planned_minutes: new.planned_minutes,
        location: new.location,
        online_link: new.online_link,
        notes: new.notes,
        version: 1,
        late_publication: false,
        short_duration_confirmed: false,
        published_at: None,
        opened_at: None,
        ended_at: None,
        cancelled_at: None,
        cancel_reason: None,
        minutes: None,
        minutes_approved_at: None,
        created_by: who.actor.account_id,
        created_at: now,
        updated_at: now,
    };
    apply(&mut meeting, state, now);
    let tx = ctx.db.begin().await?;
    storage::meetings::insert(tx.conn(), &meeting, &new.agenda).await?;
    audit::record(
        &tx,
        who,
        now,
        "meeting.create",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(unit),
        serde_json::json!({"title": meeting.title, "kind": meeting.kind.code()}),
    )
    .await?;
    tx.commit().await?;
    Ok((meeting, new.agenda))
}

/// Changes to a meeting, as parsed by the caller against the current meeting and agenda.
/// Absent fields are kept.
#[derive(Debug, Clone, Default)]
pub struct MeetingEdit {
    /// Title.
    pub title: Option<String>,
    /// Scheduled start.
    pub starts_at: Option<DateTime<Utc>>,
    /// Planned minutes.
    pub planned_minutes: Option<u32>,
    /// Combined with a thematic meeting.
    pub combined_thematic: Option<bool>,
    /// Place (`Some(None)` clears).
    pub location: Option<Option<String>>,
    /// Online link (`Some(None)` clears).
    pub online_link: Option<Option<String>>,
    /// Notes.
    pub notes: Option<String>,
    /// The whole new agenda.
    pub agenda: Option<Vec<AgendaRecord>>,
}

/// Edits a draft or published meeting (its own secretary or deputy). `matching` is given the
/// current version and returns the version to write against; `edit` parses the changes against
/// the current meeting and agenda. Both are called only once the caller is known to be allowed,
/// `edit` once the meeting is known to be editable.
pub async fn update<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: MeetingId,
    matching: impl FnOnce(i32) -> Result<i32, E>,
    edit: impl FnOnce(&MeetingRecord, &[AgendaRecord]) -> Result<MeetingEdit, E>,
) -> Result<(MeetingRecord, Vec<AgendaRecord>), MeetingError<E>> {
    let now = ctx.clock.now();
    let mut meeting = managed(ctx, who.actor, id).await?;
    let version = matching(meeting.version).map_err(MeetingError::Request)?;
    if !meeting.status.content_editable() {
        return Err(MeetingError::Locked(meeting.status));
    }
    let existing = storage::meetings::agenda(ctx.db.conn(), meeting.id).await?;
    let edit = edit(&meeting, &existing).map_err(MeetingError::Request)?;
    let previous_starts_at = meeting.starts_at;
    if let Some(t) = edit.title {
        meeting.title = t;
    }
    if let Some(m) = edit.planned_minutes {
        meeting.planned_minutes = m;
    }
    if let Some(c) = edit.combined_thematic {
        meeting.combined_thematic = c;
    }
    if let Some(l) = edit.location {
        meeting.location = l;
    }
    if let Some(l) = edit.online_link {
        meeting.online_link = l;
    }
    if let Some(n) = edit.notes {
        meeting.notes = n;
    }
    let mut state = state_of(&meeting);
    if let Some(starts_at) = edit.starts_at {
        check_monthly(ctx, meeting.unit_id, Some(meeting.id), meeting.kind, starts_at).await?;
        state = state.reschedule(starts_at, now);
    } else {
        state = state.reschedule(state.starts_at, now);
    }
    apply(&mut meeting, state, now);
    let tx = ctx.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await.map_err(|e| match e {
        StoreError::Conflict { constraint: storage::Constraint::RegularMeetingMonth } => MeetingError::RegularMonthTaken(None),
        other => MeetingError::from(other),
    })?;
    if meeting.status == MeetingStatus::Published && meeting.starts_at != previous_starts_at {
        let moved = Event::MeetingRescheduled(MeetingRescheduled {
            meeting_id: meeting.id.as_uuid(),
            unit_id: meeting.unit_id.as_uuid(),
            title: meeting.title.clone(),
            starts_at: meeting.starts_at,
            previous_starts_at,
        });
        storage::outbox::push(tx.conn(), &moved.to_outbox(now)?).await?;
    }
    if let Some(agenda) = &edit.agenda {
        storage::meetings::replace_agenda(tx.conn(), meeting.id, agenda).await.map_err(|e| match e {
            StoreError::Conflict { .. } => MeetingError::AgendaItemHasComments,
            other => MeetingError::from(other),
        })?;
    }
    audit::record(
        &tx,
        who,
        now,
        "meeting.update",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"version": version + 1}),
    )
    .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    with_agenda(ctx, meeting).await
}

// ---------------------------------------------------------------- transitions

/// A published meeting with its agenda and the warnings that applied.
#[derive(Debug, Clone)]
pub struct Published {
    /// The meeting.
    pub meeting: MeetingRecord,
    /// Its agenda.
    pub agenda: Vec<AgendaRecord>,
    /// The warnings.
    pub warnings: Vec<Warning>,
}

/// Publishes the content to the members, writing `meeting.published`. A duration below the
/// minimum is refused (`ShortDurationUnconfirmed`) unless `confirm_short_duration`.
pub async fn publish<E>(ctx: &Ctx, who: Requester<'_>, id: MeetingId, confirm_short_duration: bool) -> Result<Published, MeetingError<E>> {
    let now = ctx.clock.now();
    let mut meeting = managed(ctx, who.actor, id).await?;
    let next = state_of(&meeting).publish(now)?;
    let agenda = storage::meetings::agenda(ctx.db.conn(), meeting.id).await?;
    let warnings = content::publication_warnings(
        meeting.kind,
        meeting.combined_thematic,
        meeting.planned_minutes,
        agenda.len(),
        meeting.starts_at,
        now,
    );
    if let Some(Warning::ShortDuration { minimum, planned }) = warnings.iter().find(|w| w.needs_confirmation())
        && !confirm_short_duration
    {
        return Err(MeetingError::ShortDurationUnconfirmed { minimum: *minimum, planned: *planned });
    }
    let version = meeting.version;
    apply(&mut meeting, next, now);
    meeting.short_duration_confirmed = warnings.iter().any(Warning::needs_confirmation);
    let event = Event::MeetingPublished(MeetingPublished {
        meeting_id: meeting.id.as_uuid(),
        unit_id: meeting.unit_id.as_uuid(),
        title: meeting.title.clone(),
        starts_at: meeting.starts_at,
        late_publication: meeting.late_publication,
        extraordinary: meeting.kind == MeetingKind::Extraordinary,
    })
    .to_outbox(now)?;
    let tx = ctx.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    storage::outbox::push(tx.conn(), &event).await?;
    let codes: Vec<&str> = warnings.iter().map(Warning::code).collect();
    audit::record(
        &tx,
        who,
        now,
        "meeting.publish",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"warnings": codes}),
    )
    .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    Ok(Published { meeting, agenda, warnings })
}

pub(crate) async fn roster_candidates(ctx: &Ctx, cell: UnitId) -> Result<Vec<Candidate>, StoreError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = storage::members::list(
            ctx.db.conn(),
            &ListQuery { unit: cell, include_subtree: false, standing: StandingFilter::Active, after, limit: 1000 },
        )
        .await?;
        let done = page.len() < 1000;
        after = page.last().map(|m| m.id);
        out.extend(page.into_iter().map(|m| Candidate {
            member_id: m.id,
            standing: m.state.standing,
            home_unit: m.state.home_unit,
            temporary_host: m.state.temporary_host,
            exempt_since: m.state.exempt_since,
            admitted_on: m.state.admitted_on,
        }));
        if done {
            return Ok(out);
        }
    }
}

/// Opens the meeting: freezes the roster as of the meeting date and creates one ledger row per
/// member (absent without reason until checked in). Writes `meeting.opened`.
pub async fn open<E>(ctx: &Ctx, who: Requester<'_>, id: MeetingId) -> Result<(MeetingRecord, Vec<AgendaRecord>), MeetingError<E>> {
    let now = ctx.clock.now();
    let mut meeting = managed(ctx, who.actor, id).await?;
    let next = state_of(&meeting).open(now)?;
    let candidates = roster_candidates(ctx, meeting.unit_id).await?;
    let date = membership::time::local_date(meeting.starts_at);
    let ledger = attendance::open_ledger(&roster::roster(meeting.unit_id, date, &candidates));
    let version = meeting.version;
    apply(&mut meeting, next, now);
    let event = Event::MeetingOpened(MeetingOpened {
        meeting_id: meeting.id.as_uuid(),
        unit_id: meeting.unit_id.as_uuid(),
        title: meeting.title.clone(),
        starts_at: meeting.starts_at,
    })
    .to_outbox(now)?;
    let tx = ctx.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    storage::meetings::insert_ledger(tx.conn(), meeting.id, &ledger).await?;
    storage::outbox::push(tx.conn(), &event).await?;
    audit::record(
        &tx,
        who,
        now,
        "meeting.open",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"roster": ledger.len()}),
    )
    .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    with_agenda(ctx, meeting).await
}

async fn with_agenda<E>(ctx: &Ctx, meeting: MeetingRecord) -> Result<(MeetingRecord, Vec<AgendaRecord>), MeetingError<E>> {
    let agenda = storage::meetings::agenda(ctx.db.conn(), meeting.id).await?;
    Ok((meeting, agenda))
}

/// Ends the meeting.
pub async fn end<E>(ctx: &Ctx, who: Requester<'_>, id: MeetingId) -> Result<(MeetingRecord, Vec<AgendaRecord>), MeetingError<E>> {
    let now = ctx.clock.now();
    let mut meeting = managed(ctx, who.actor, id).await?;
    let next = state_of(&meeting).end(now)?;
    let version = meeting.version;
    apply(&mut meeting, next, now);
    let tx = ctx.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    audit::record(&tx, who, now, "meeting.end", ("meeting", Some(meeting.id.as_uuid())), Some(meeting.unit_id), serde_json::json!({}))
        .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    with_agenda(ctx, meeting).await
}

/// Cancels a draft or published meeting for `reason` (the caller's parse, reported once the
/// caller is known to be allowed); writes `meeting.cancelled` if it had been published.
pub async fn cancel<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: MeetingId,
    reason: Result<String, E>,
) -> Result<(MeetingRecord, Vec<AgendaRecord>), MeetingError<E>> {
    let now = ctx.clock.now();
    let mut meeting = managed(ctx, who.actor, id).await?;
    let reason = reason.map_err(MeetingError::Request)?;
    let was_published = meeting.status == MeetingStatus::Published;
    let next = state_of(&meeting).cancel(now, reason.clone())?;
    let version = meeting.version;
    apply(&mut meeting, next, now);
    let event = was_published
        .then(|| {
            Event::MeetingCancelled(MeetingCancelled {
                meeting_id: meeting.id.as_uuid(),
                unit_id: meeting.unit_id.as_uuid(),
                title: meeting.title.clone(),
                starts_at: meeting.starts_at,
                reason: reason.clone(),
            })
            .to_outbox(now)
        })
        .transpose()?;
    let tx = ctx.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    if let Some(event) = &event {
        storage::outbox::push(tx.conn(), event).await?;
    }
    audit::record(
        &tx,
        who,
        now,
        "meeting.cancel",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    with_agenda(ctx, meeting).await
}

// ---------------------------------------------------------------- attendance

/// The outcome of a check-in.
#[derive(Debug, Clone)]
pub struct CheckedIn {
    /// The stored ledger row (a retry, or a concurrent winner, returns the first check-in).
    pub row: LedgerRow,
    /// False when the member had already checked in (or a leader had recorded it).
    pub recorded: bool,
}

/// Checks the caller in during the window (from 30 minutes before the start to the planned end);
/// idempotent. A first check-in and its attendance points commit together.
pub async fn check_in<E>(ctx: &Ctx, actor: &Actor, id: MeetingId) -> Result<CheckedIn, AttendanceError<E>> {
    let now = ctx.clock.now();
    let (meeting, _) = visible_meeting(ctx, actor, id).await?;
    let member = actor.member_id.ok_or(AttendanceError::Forbidden)?;
    if meeting.status != MeetingStatus::Open {
        return Err(AttendanceError::NotOpen(meeting.status));
    }
    let row = storage::meetings::ledger_row(ctx.db.conn(), meeting.id, member).await?;
    let decision = attendance::check_in(row.as_ref(), meeting.starts_at, meeting.planned_minutes, CheckInRules::default(), now).map_err(
        |e| match e {
            CheckInError::NotOnRoster => AttendanceError::Forbidden,
            other => AttendanceError::CheckIn(other),
        },
    )?;
    match decision {
        CheckIn::Unchanged(row) => Ok(CheckedIn { row, recorded: false }),
        CheckIn::Recorded(r) => {
            let tx = ctx.db.begin().await?;
            let recorded = storage::meetings::record_check_in(tx.conn(), meeting.id, &r, now).await?;
            let queued = recorded
                && crate::study::award_activity(&tx, member, study_points::ledger::Reason::MeetingAttendance, meeting.id.as_uuid(), now)
                    .await?;
            tx.commit().await?;
            if queued {
                ctx.points.queued();
            }
            let row = storage::meetings::ledger_row(ctx.db.conn(), meeting.id, member).await?.ok_or(StoreError::NotFound)?;
            Ok(CheckedIn { row, recorded })
        }
    }
}

/// One ledger row with the member's name.
#[derive(Debug, Clone)]
pub struct NamedRow {
    /// The row.
    pub row: LedgerRow,
    /// The member's full name (empty if unknown).
    pub full_name: String,
}

/// Records or corrects one member's attendance (the cell's secretary or deputy) while the ledger
/// is editable; `input` is the caller's parse of the status and reason. Attending earns the
/// attendance points in the same transaction.
pub async fn set_attendance<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: MeetingId,
    member: MemberId,
    input: Result<(attendance::AttendanceStatus, String), E>,
) -> Result<NamedRow, AttendanceError<E>> {
    let now = ctx.clock.now();
    let (meeting, access) = visible_meeting(ctx, who.actor, id).await?;
    if !access.manage {
        return Err(AttendanceError::Forbidden);
    }
    if !meeting.status.ledger_editable() {
        return Err(AttendanceError::LedgerLocked(meeting.status));
    }
    let (status, reason) = input.map_err(AttendanceError::Request)?;
    let by = who.actor.account_id.ok_or(AttendanceError::Forbidden)?;
    let current = storage::meetings::ledger_row(ctx.db.conn(), meeting.id, member).await?.ok_or(StoreError::NotFound)?;
    let checked_in_at = if status.attended() { current.checked_in_at.or(Some(now)) } else { None };
    let row = LedgerRow { status, checked_in_at, reason: Some(reason.clone()), ..current.clone() };
    let tx = ctx.db.begin().await?;
    storage::meetings::set_row(tx.conn(), meeting.id, &row, by, now).await?;
    audit::record(
        &tx,
        who,
        now,
        "meeting.attendance",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"member_id": member.as_uuid(), "from": current.status.code(), "to": status.code(), "reason": reason}),
    )
    .await?;
    let queued = status.attended()
        && crate::study::award_activity(&tx, member, study_points::ledger::Reason::MeetingAttendance, meeting.id.as_uuid(), now).await?;
    tx.commit().await?;
    if queued {
        ctx.points.queued();
    }
    let full_name = storage::members::get(ctx.db.conn(), member).await?.full_name.as_str().to_string();
    Ok(NamedRow { row, full_name })
}

/// The attendance ledger (rows with names, in ledger order) and its figures.
pub async fn attendance(ctx: &Ctx, actor: &Actor, id: MeetingId) -> Result<(Vec<NamedRow>, Figures), ViewMeetingError> {
    let (meeting, _) = visible_meeting(ctx, actor, id).await?;
    let ledger = storage::meetings::ledger(ctx.db.conn(), meeting.id).await?;
    let ids: Vec<MemberId> = ledger.iter().map(|r| r.member_id).collect();
    let names: HashMap<MemberId, String> =
        storage::members::get_many(ctx.db.conn(), &ids).await?.into_iter().map(|m| (m.id, m.full_name.as_str().to_string())).collect();
    let figures = attendance::figures(&ledger);
    let rows = ledger.into_iter().map(|row| NamedRow { full_name: names.get(&row.member_id).cloned().unwrap_or_default(), row }).collect();
    Ok((rows, figures))
}
