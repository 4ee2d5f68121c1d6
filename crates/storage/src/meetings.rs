//! Meetings: the meeting with its agenda and minutes, the attendance ledger, opinions, motions
//! and ballots, ratings, reports to the superior unit, calendar feed tokens.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use meetings::attendance::{AttendanceStatus, LedgerRow};
use meetings::comments::AuthorPresence;
use meetings::content::AgendaItem;
use meetings::lifecycle::{self, MeetingKind, MeetingStatus};
use meetings::minutes::{Minutes, Tally, Vote};
use meetings::report::ReportStatus;
use meetings::roster::RosterRole;
use meetings::{AgendaItemId, CommentId, MeetingId, MotionId, ReportId};
use membership::{AccountId, MemberId, UnitId};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::entities::{
    agenda_items, attendance, ballots, calendar_feeds, comment_edits, comments, meeting_ratings, meeting_reports, meetings as meeting_rows,
    motions,
};
use crate::{StoreError, StoreResult, corrupt, insert_row};

/// A meeting as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    /// Id.
    pub id: MeetingId,
    /// The cell (or committee) holding it.
    pub unit_id: UnitId,
    /// Kind.
    pub kind: MeetingKind,
    /// A regular meeting combined with a thematic one (120-minute minimum).
    pub combined_thematic: bool,
    /// Title.
    pub title: String,
    /// Status.
    pub status: MeetingStatus,
    /// Scheduled start.
    pub starts_at: DateTime<Utc>,
    /// Planned duration in minutes.
    pub planned_minutes: u32,
    /// Place.
    pub location: Option<String>,
    /// Online link.
    pub online_link: Option<String>,
    /// Preparation notes shown to members with the agenda.
    pub notes: String,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Published less than 24 h before the start.
    pub late_publication: bool,
    /// The secretary confirmed a duration below the minimum.
    pub short_duration_confirmed: bool,
    /// Publication time.
    pub published_at: Option<DateTime<Utc>>,
    /// Opening time (roster frozen).
    pub opened_at: Option<DateTime<Utc>>,
    /// End time.
    pub ended_at: Option<DateTime<Utc>>,
    /// Cancellation time.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Cancellation reason.
    pub cancel_reason: Option<String>,
    /// Minutes, once written.
    pub minutes: Option<Minutes>,
    /// Approval of the minutes.
    pub minutes_approved_at: Option<DateTime<Utc>>,
    /// Account that created the meeting.
    pub created_by: Option<AccountId>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn to_record(m: meeting_rows::Model) -> StoreResult<MeetingRecord> {
    let minutes = m.minutes_text.as_ref().map(|text| Minutes {
        text: text.clone(),
        resolution: m.resolution_text.clone().unwrap_or_default(),
        chair: m.chair_id.map(MemberId::from_uuid),
        secretary: m.minutes_taker_id.map(MemberId::from_uuid),
        started_at: m.actual_started_at,
        ended_at: m.actual_ended_at,
    });
    Ok(MeetingRecord {
        id: MeetingId::from_uuid(m.id),
        unit_id: UnitId::from_uuid(m.unit_id),
        kind: MeetingKind::parse(&m.kind).ok_or_else(|| corrupt("meetings.kind", &m.kind))?,
        combined_thematic: m.combined_thematic,
        title: m.title,
        status: MeetingStatus::parse(&m.status).ok_or_else(|| corrupt("meetings.status", &m.status))?,
        starts_at: m.starts_at,
        planned_minutes: u32::try_from(m.planned_minutes).map_err(|e| corrupt("meetings.planned_minutes", e))?,
        location: m.location,
        online_link: m.online_link,
        notes: m.notes,
        version: m.version,
        late_publication: m.late_publication,
        short_duration_confirmed: m.short_duration_confirmed,
        published_at: m.published_at,
        opened_at: m.opened_at,
        ended_at: m.ended_at,
        cancelled_at: m.cancelled_at,
        cancel_reason: m.cancel_reason,
        minutes,
        minutes_approved_at: m.minutes_approved_at,
        created_by: m.created_by.map(AccountId::from_uuid),
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_active(r: &MeetingRecord) -> meeting_rows::ActiveModel {
    meeting_rows::ActiveModel {
        id: Set(r.id.as_uuid()),
        unit_id: Set(r.unit_id.as_uuid()),
        kind: Set(r.kind.code().to_string()),
        combined_thematic: Set(r.combined_thematic),
        title: Set(r.title.clone()),
        status: Set(r.status.code().to_string()),
        starts_at: Set(r.starts_at),
        planned_minutes: Set(i32::try_from(r.planned_minutes).unwrap_or(i32::MAX)),
        location: Set(r.location.clone()),
        online_link: Set(r.online_link.clone()),
        notes: Set(r.notes.clone()),
        version: Set(r.version),
        late_publication: Set(r.late_publication),
        short_duration_confirmed: Set(r.short_duration_confirmed),
        published_at: Set(r.published_at),
        opened_at: Set(r.opened_at),
        ended_at: Set(r.ended_at),
        cancelled_at: Set(r.cancelled_at),
        cancel_reason: Set(r.cancel_reason.clone()),
        minutes_text: Set(r.minutes.as_ref().map(|m| m.text.clone())),
        resolution_text: Set(r.minutes.as_ref().map(|m| m.resolution.clone())),
        chair_id: Set(r.minutes.as_ref().and_then(|m| m.chair).map(|c| c.as_uuid())),
        minutes_taker_id: Set(r.minutes.as_ref().and_then(|m| m.secretary).map(|c| c.as_uuid())),
        actual_started_at: Set(r.minutes.as_ref().and_then(|m| m.started_at)),
        actual_ended_at: Set(r.minutes.as_ref().and_then(|m| m.ended_at)),
        minutes_approved_at: Set(r.minutes_approved_at),
        created_by: Set(r.created_by.map(|a| a.as_uuid())),
        created_at: Set(r.created_at),
        updated_at: Set(r.updated_at),
        regular_month: Set(regular_month(r)),
    }
}

/// The month the meeting takes under the one-regular-meeting-per-month rule, as stored in
/// `meetings.regular_month` (`year * 100 + month`, unique per unit): written with every insert and
/// update, so a move to another month or a cancellation updates it in the same statement.
fn regular_month(r: &MeetingRecord) -> Option<i32> {
    lifecycle::occupied_month(r.kind, r.status, r.starts_at).map(|(year, month)| year * 100 + i32::try_from(month).unwrap_or(0))
}

/// An agenda item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaRecord {
    /// Id.
    pub id: AgendaItemId,
    /// Position (0-based).
    pub position: i32,
    /// Content.
    pub item: AgendaItem,
}

/// Inserts a meeting with its agenda. A second regular meeting of the unit in the same month
/// (Vietnam) is a `Conflict` on [`Constraint::RegularMeetingMonth`](crate::Constraint).
pub async fn insert<C: ConnectionTrait>(c: &C, m: &MeetingRecord, agenda: &[AgendaRecord]) -> StoreResult<()> {
    insert_row(c, to_active(m)).await?;
    insert_agenda(c, m.id, agenda).await
}

async fn insert_agenda<C: ConnectionTrait>(c: &C, meeting: MeetingId, agenda: &[AgendaRecord]) -> StoreResult<()> {
    if agenda.is_empty() {
        return Ok(());
    }
    agenda_items::Entity::insert_many(agenda.iter().map(|a| agenda_items::ActiveModel {
        id: Set(a.id.as_uuid()),
        meeting_id: Set(meeting.as_uuid()),
        position: Set(a.position),
        title: Set(a.item.title.clone()),
        description: Set(a.item.description.clone()),
        presenter: Set(a.item.presenter.clone()),
        planned_minutes: Set(a.item.planned_minutes.map(|m| i32::try_from(m).unwrap_or(i32::MAX))),
    }))
    .exec_without_returning(c)
    .await?;
    Ok(())
}

/// Replaces the agenda. Items kept by id are updated in place (their comments stay attached);
/// removing an item that has comments is a `Conflict`.
pub async fn replace_agenda<C: ConnectionTrait>(c: &C, meeting: MeetingId, agenda: &[AgendaRecord]) -> StoreResult<()> {
    let keep: Vec<Uuid> = agenda.iter().map(|a| a.id.as_uuid()).collect();
    agenda_items::Entity::delete_many()
        .filter(agenda_items::Column::MeetingId.eq(meeting.as_uuid()))
        .filter(agenda_items::Column::Id.is_not_in(keep.clone()))
        .exec(c)
        .await?;
    let existing: Vec<Uuid> = agenda_items::Entity::find()
        .filter(agenda_items::Column::MeetingId.eq(meeting.as_uuid()))
        .all(c)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let (update, insert): (Vec<&AgendaRecord>, Vec<&AgendaRecord>) = agenda.iter().partition(|a| existing.contains(&a.id.as_uuid()));
    for a in update {
        agenda_items::Entity::update_many()
            .set(agenda_items::ActiveModel {
                position: Set(a.position),
                title: Set(a.item.title.clone()),
                description: Set(a.item.description.clone()),
                presenter: Set(a.item.presenter.clone()),
                planned_minutes: Set(a.item.planned_minutes.map(|m| i32::try_from(m).unwrap_or(i32::MAX))),
                ..Default::default()
            })
            .filter(agenda_items::Column::Id.eq(a.id.as_uuid()))
            .exec(c)
            .await?;
    }
    let new: Vec<AgendaRecord> = insert.into_iter().cloned().collect();
    insert_agenda(c, meeting, &new).await
}

/// Loads one meeting.
pub async fn get<C: ConnectionTrait>(c: &C, id: MeetingId) -> StoreResult<MeetingRecord> {
    to_record(meeting_rows::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?)
}

/// A meeting's agenda, in order.
pub async fn agenda<C: ConnectionTrait>(c: &C, id: MeetingId) -> StoreResult<Vec<AgendaRecord>> {
    let rows = agenda_items::Entity::find()
        .filter(agenda_items::Column::MeetingId.eq(id.as_uuid()))
        .order_by_asc(agenda_items::Column::Position)
        .all(c)
        .await?;
    Ok(rows.into_iter().map(agenda_record).collect())
}

/// The agendas of several meetings in one statement per 500 meetings (a list endpoint's page),
/// each in position order; a meeting without items has no entry.
pub async fn agendas<C: ConnectionTrait>(c: &C, ids: &[MeetingId]) -> StoreResult<HashMap<MeetingId, Vec<AgendaRecord>>> {
    let mut out: HashMap<MeetingId, Vec<AgendaRecord>> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = agenda_items::Entity::find()
            .filter(agenda_items::Column::MeetingId.is_in(chunk.iter().map(|m| m.as_uuid())))
            .order_by_asc(agenda_items::Column::MeetingId)
            .order_by_asc(agenda_items::Column::Position)
            .all(c)
            .await?;
        for a in rows {
            out.entry(MeetingId::from_uuid(a.meeting_id)).or_default().push(agenda_record(a));
        }
    }
    Ok(out)
}

fn agenda_record(a: agenda_items::Model) -> AgendaRecord {
    AgendaRecord {
        id: AgendaItemId::from_uuid(a.id),
        position: a.position,
        item: AgendaItem {
            title: a.title,
            description: a.description,
            presenter: a.presenter,
            planned_minutes: a.planned_minutes.and_then(|m| u32::try_from(m).ok()),
        },
    }
}

/// Writes the meeting back if its version is still `expected_version` (the version is
/// incremented); `VersionMismatch` if it changed meanwhile; a `Conflict` on
/// [`Constraint::RegularMeetingMonth`](crate::Constraint) if a regular meeting moves into a month
/// the unit already has one in.
pub async fn update<C: ConnectionTrait>(c: &C, m: &MeetingRecord, expected_version: i32) -> StoreResult<()> {
    let mut active = to_active(m);
    active.version = Set(expected_version + 1);
    active.created_at = sea_orm::ActiveValue::NotSet;
    let result = meeting_rows::Entity::update_many()
        .set(active)
        .filter(meeting_rows::Column::Id.eq(m.id.as_uuid()))
        .filter(meeting_rows::Column::Version.eq(expected_version))
        .exec(c)
        .await?;
    if result.rows_affected == 1 { Ok(()) } else { Err(StoreError::VersionMismatch) }
}

/// Filter of a meeting list.
#[derive(Debug, Clone)]
pub struct MeetingQuery {
    /// The unit.
    pub unit: UnitId,
    /// Include the whole subtree.
    pub include_subtree: bool,
    /// Starts at or after.
    pub from: Option<DateTime<Utc>>,
    /// Starts before.
    pub to: Option<DateTime<Utc>>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<MeetingStatus>,
    /// Page size.
    pub limit: u64,
}

/// Meetings of a unit (or subtree), by start time.
pub async fn list<C: ConnectionTrait>(c: &C, q: &MeetingQuery) -> StoreResult<Vec<MeetingRecord>> {
    let unit = q.unit.as_uuid();
    let mut select = if q.include_subtree {
        let sub = Query::select().column("descendant_id").from("org_unit_closure").and_where(Expr::col("ancestor_id").eq(unit)).to_owned();
        meeting_rows::Entity::find().filter(meeting_rows::Column::UnitId.in_subquery(sub))
    } else {
        meeting_rows::Entity::find().filter(meeting_rows::Column::UnitId.eq(unit))
    };
    if let Some(from) = q.from {
        select = select.filter(meeting_rows::Column::StartsAt.gte(from));
    }
    if let Some(to) = q.to {
        select = select.filter(meeting_rows::Column::StartsAt.lt(to));
    }
    if !q.statuses.is_empty() {
        select = select.filter(meeting_rows::Column::Status.is_in(q.statuses.iter().map(|s| s.code())));
    }
    let rows = select.order_by_asc(meeting_rows::Column::StartsAt).order_by_asc(meeting_rows::Column::Id).limit(q.limit).all(c).await?;
    rows.into_iter().map(to_record).collect()
}

/// Regular, non-cancelled meetings of a unit starting in `[from, to)`.
pub async fn regular_between<C: ConnectionTrait>(
    c: &C,
    unit: UnitId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<MeetingRecord>> {
    let rows = meeting_rows::Entity::find()
        .filter(meeting_rows::Column::UnitId.eq(unit.as_uuid()))
        .filter(meeting_rows::Column::Kind.eq(MeetingKind::Regular.code()))
        .filter(meeting_rows::Column::Status.ne(MeetingStatus::Cancelled.code()))
        .filter(meeting_rows::Column::StartsAt.gte(from))
        .filter(meeting_rows::Column::StartsAt.lt(to))
        .all(c)
        .await?;
    rows.into_iter().map(to_record).collect()
}

// ---------------------------------------------------------------- attendance

fn row_to_domain(a: attendance::Model) -> StoreResult<LedgerRow> {
    Ok(LedgerRow {
        member_id: MemberId::from_uuid(a.member_id),
        role: match a.role.as_str() {
            "guest" => RosterRole::Guest,
            "obliged" => RosterRole::Obliged,
            other => return Err(corrupt("attendance.role", other)),
        },
        official: a.official,
        status: AttendanceStatus::parse(&a.status).ok_or_else(|| corrupt("attendance.status", &a.status))?,
        checked_in_at: a.checked_in_at,
        reason: a.reason,
    })
}

/// Creates the ledger of a meeting (when it opens).
pub async fn insert_ledger<C: ConnectionTrait>(c: &C, meeting: MeetingId, rows: &[LedgerRow]) -> StoreResult<()> {
    for chunk in rows.chunks(1000) {
        attendance::Entity::insert_many(chunk.iter().map(|r| attendance::ActiveModel {
            meeting_id: Set(meeting.as_uuid()),
            member_id: Set(r.member_id.as_uuid()),
            role: Set(r.role.code().to_string()),
            official: Set(r.official),
            status: Set(r.status.code().to_string()),
            checked_in_at: Set(r.checked_in_at),
            reason: Set(r.reason.clone()),
            recorded_by: Set(None),
            recorded_at: Set(None),
        }))
        .exec_without_returning(c)
        .await?;
    }
    Ok(())
}

/// A meeting's ledger.
pub async fn ledger<C: ConnectionTrait>(c: &C, meeting: MeetingId) -> StoreResult<Vec<LedgerRow>> {
    let rows = attendance::Entity::find().filter(attendance::Column::MeetingId.eq(meeting.as_uuid())).all(c).await?;
    rows.into_iter().map(row_to_domain).collect()
}

/// One ledger row.
pub async fn ledger_row<C: ConnectionTrait>(c: &C, meeting: MeetingId, member: MemberId) -> StoreResult<Option<LedgerRow>> {
    attendance::Entity::find_by_id((meeting.as_uuid(), member.as_uuid())).one(c).await?.map(row_to_domain).transpose()
}

/// Records a self check-in only if the row has not been checked in yet (atomic: concurrent
/// retries record one check-in). Returns whether this call recorded it.
pub async fn record_check_in<C: ConnectionTrait>(c: &C, meeting: MeetingId, row: &LedgerRow, at: DateTime<Utc>) -> StoreResult<bool> {
    let result = attendance::Entity::update_many()
        .set(attendance::ActiveModel {
            status: Set(row.status.code().to_string()),
            checked_in_at: Set(row.checked_in_at),
            recorded_by: Set(None),
            recorded_at: Set(Some(at)),
            ..Default::default()
        })
        .filter(attendance::Column::MeetingId.eq(meeting.as_uuid()))
        .filter(attendance::Column::MemberId.eq(row.member_id.as_uuid()))
        .filter(attendance::Column::Status.is_not_in([AttendanceStatus::Present.code(), AttendanceStatus::Late.code()]))
        .exec(c)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Sets a row as recorded by a leader.
pub async fn set_row<C: ConnectionTrait>(c: &C, meeting: MeetingId, row: &LedgerRow, by: AccountId, at: DateTime<Utc>) -> StoreResult<()> {
    let result = attendance::Entity::update_many()
        .set(attendance::ActiveModel {
            status: Set(row.status.code().to_string()),
            checked_in_at: Set(row.checked_in_at),
            reason: Set(row.reason.clone()),
            recorded_by: Set(Some(by.as_uuid())),
            recorded_at: Set(Some(at)),
            ..Default::default()
        })
        .filter(attendance::Column::MeetingId.eq(meeting.as_uuid()))
        .filter(attendance::Column::MemberId.eq(row.member_id.as_uuid()))
        .exec(c)
        .await?;
    if result.rows_affected == 1 { Ok(()) } else { Err(StoreError::NotFound) }
}

/// A member's ledger rows in meetings starting in `[from, to)`, with the meeting start.
pub async fn member_attendance<C: ConnectionTrait>(
    c: &C,
    member: MemberId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<(MeetingRecord, LedgerRow)>> {
    let rows = attendance::Entity::find().filter(attendance::Column::MemberId.eq(member.as_uuid())).all(c).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.meeting_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut meetings = Vec::new();
    for chunk in ids.chunks(500) {
        meetings.extend(
            meeting_rows::Entity::find()
                .filter(meeting_rows::Column::Id.is_in(chunk.iter().copied()))
                .filter(meeting_rows::Column::StartsAt.gte(from))
                .filter(meeting_rows::Column::StartsAt.lt(to))
                .all(c)
                .await?,
        );
    }
    let mut out = Vec::new();
    for m in meetings {
        if let Some(r) = rows.iter().find(|r| r.meeting_id == m.id) {
            out.push((to_record(m)?, row_to_domain(r.clone())?));
        }
    }
    out.sort_by_key(|(m, _)| m.starts_at);
    Ok(out)
}

// ---------------------------------------------------------------- comments

/// A comment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentRecord {
    /// Id.
    pub id: CommentId,
    /// Meeting.
    pub meeting_id: MeetingId,
    /// Agenda item, if on one.
    pub agenda_item_id: Option<AgendaItemId>,
    /// Parent comment (thread).
    pub parent_id: Option<CommentId>,
    /// Author.
    pub author_id: MemberId,
    /// Author's presence when writing.
    pub author_presence: AuthorPresence,
    /// Text.
    pub body: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last edit.
    pub edited_at: Option<DateTime<Utc>>,
    /// When hidden.
    pub hidden_at: Option<DateTime<Utc>>,
    /// Who hid it.
    pub hidden_by: Option<AccountId>,
    /// Why.
    pub hidden_reason: Option<String>,
}

fn comment_record(m: comments::Model) -> StoreResult<CommentRecord> {
    Ok(CommentRecord {
        id: CommentId::from_uuid(m.id),
        meeting_id: MeetingId::from_uuid(m.meeting_id),
        agenda_item_id: m.agenda_item_id.map(AgendaItemId::from_uuid),
        parent_id: m.parent_id.map(CommentId::from_uuid),
        author_id: MemberId::from_uuid(m.author_id),
        author_presence: AuthorPresence::parse(&m.author_presence)
            .ok_or_else(|| corrupt("comments.author_presence", &m.author_presence))?,
        body: m.body,
        created_at: m.created_at,
        edited_at: m.edited_at,
        hidden_at: m.hidden_at,
        hidden_by: m.hidden_by.map(AccountId::from_uuid),
        hidden_reason: m.hidden_reason,
    })
}

/// Inserts a comment.
pub async fn insert_comment<C: ConnectionTrait>(c: &C, r: &CommentRecord) -> StoreResult<()> {
    insert_row(
        c,
        comments::ActiveModel {
            id: Set(r.id.as_uuid()),
            meeting_id: Set(r.meeting_id.as_uuid()),
            agenda_item_id: Set(r.agenda_item_id.map(|a| a.as_uuid())),
            parent_id: Set(r.parent_id.map(|p| p.as_uuid())),
            author_id: Set(r.author_id.as_uuid()),
            author_presence: Set(r.author_presence.code().to_string()),
            body: Set(r.body.clone()),
            created_at: Set(r.created_at),
            edited_at: Set(None),
            hidden_at: Set(None),
            hidden_by: Set(None),
            hidden_reason: Set(None),
        },
    )
    .await
}

/// Loads a comment.
pub async fn get_comment<C: ConnectionTrait>(c: &C, id: CommentId) -> StoreResult<CommentRecord> {
    comment_record(comments::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?)
}

/// A meeting's comments, oldest first.
pub async fn comments_of<C: ConnectionTrait>(c: &C, meeting: MeetingId) -> StoreResult<Vec<CommentRecord>> {
    let rows = comments::Entity::find()
        .filter(comments::Column::MeetingId.eq(meeting.as_uuid()))
        .order_by_asc(comments::Column::Id)
        .all(c)
        .await?;
    rows.into_iter().map(comment_record).collect()
}

/// Replaces a comment's text, keeping the previous text in the edit history.
pub async fn edit_comment<C: ConnectionTrait>(c: &C, current: &CommentRecord, body: &str, at: DateTime<Utc>) -> StoreResult<()> {
    insert_row(
        c,
        comment_edits::ActiveModel {
            id: Set(Uuid::now_v7()),
            comment_id: Set(current.id.as_uuid()),
            previous_body: Set(current.body.clone()),
            edited_at: Set(at),
        },
    )
    .await?;
    comments::Entity::update_many()
        .set(comments::ActiveModel { body: Set(body.to_string()), edited_at: Set(Some(at)), ..Default::default() })
        .filter(comments::Column::Id.eq(current.id.as_uuid()))
        .exec(c)
        .await?;
    Ok(())
}

/// Number of earlier versions of a comment.
pub async fn comment_edit_count<C: ConnectionTrait>(c: &C, id: CommentId) -> StoreResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(comment_edits::Entity::find().filter(comment_edits::Column::CommentId.eq(id.as_uuid())).count(c).await?)
}

/// Hides a comment (kept, with who and why).
pub async fn hide_comment<C: ConnectionTrait>(c: &C, id: CommentId, by: AccountId, reason: &str, at: DateTime<Utc>) -> StoreResult<()> {
    let result = comments::Entity::update_many()
        .set(comments::ActiveModel {
            hidden_at: Set(Some(at)),
            hidden_by: Set(Some(by.as_uuid())),
            hidden_reason: Set(Some(reason.to_string())),
            ..Default::default()
        })
        .filter(comments::Column::Id.eq(id.as_uuid()))
        .filter(comments::Column::HiddenAt.is_null())
        .exec(c)
        .await?;
    if result.rows_affected == 1 { Ok(()) } else { Err(StoreError::NotFound) }
}

// ---------------------------------------------------------------- motions, ballots, ratings

/// A motion as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MotionRecord {
    /// Id.
    pub id: MotionId,
    /// Meeting.
    pub meeting_id: MeetingId,
    /// What is voted on.
    pub title: String,
    /// Open, per-member ballots (otherwise counts are recorded by the secretary).
    pub by_ballot: bool,
    /// The counts.
    pub tally: Tally,
    /// Creation.
    pub created_at: DateTime<Utc>,
}

fn motion_record(m: motions::Model) -> MotionRecord {
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    MotionRecord {
        id: MotionId::from_uuid(m.id),
        meeting_id: MeetingId::from_uuid(m.meeting_id),
        title: m.title,
        by_ballot: m.by_ballot,
        tally: Tally { agree: n(m.agree), disagree: n(m.disagree), other: n(m.other) },
        created_at: m.created_at,
    }
}

fn count(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Inserts a motion.
pub async fn insert_motion<C: ConnectionTrait>(c: &C, m: &MotionRecord) -> StoreResult<()> {
    insert_row(
        c,
        motions::ActiveModel {
            id: Set(m.id.as_uuid()),
            meeting_id: Set(m.meeting_id.as_uuid()),
            title: Set(m.title.clone()),
            by_ballot: Set(m.by_ballot),
            agree: Set(count(m.tally.agree)),
            disagree: Set(count(m.tally.disagree)),
            other: Set(count(m.tally.other)),
            created_at: Set(m.created_at),
        },
    )
    .await
}

/// Loads a motion.
pub async fn get_motion<C: ConnectionTrait>(c: &C, id: MotionId) -> StoreResult<MotionRecord> {
    Ok(motion_record(motions::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?))
}

/// A meeting's motions.
pub async fn motions_of<C: ConnectionTrait>(c: &C, meeting: MeetingId) -> StoreResult<Vec<MotionRecord>> {
    let rows =
        motions::Entity::find().filter(motions::Column::MeetingId.eq(meeting.as_uuid())).order_by_asc(motions::Column::Id).all(c).await?;
    Ok(rows.into_iter().map(motion_record).collect())
}

/// Sets a motion's counts.
pub async fn set_tally<C: ConnectionTrait>(c: &C, id: MotionId, t: &Tally) -> StoreResult<()> {
    motions::Entity::update_many()
        .set(motions::ActiveModel {
            agree: Set(count(t.agree)),
            disagree: Set(count(t.disagree)),
            other: Set(count(t.other)),
            ..Default::default()
        })
        .filter(motions::Column::Id.eq(id.as_uuid()))
        .exec(c)
        .await?;
    Ok(())
}

/// Records one member's ballot; a second ballot by the same member is a `Conflict`. Returns the
/// new tally (recounted from the ballots). The motion's row is locked first, so concurrent
/// ballots on one motion take turns and each recount sees every ballot committed before it (on
/// PostgreSQL's read committed, two recounts that ran side by side would each miss the other's
/// ballot and the later write would lose one).
pub async fn cast_ballot<C: ConnectionTrait>(
    c: &C,
    motion: MotionId,
    member: MemberId,
    vote: Vote,
    at: DateTime<Utc>,
) -> StoreResult<Tally> {
    let locked = motions::Entity::update_many()
        .col_expr(motions::Column::Agree, Expr::col(motions::Column::Agree))
        .filter(motions::Column::Id.eq(motion.as_uuid()))
        .exec(c)
        .await?;
    if locked.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    insert_row(
        c,
        ballots::ActiveModel {
            motion_id: Set(motion.as_uuid()),
            member_id: Set(member.as_uuid()),
            vote: Set(vote.code().to_string()),
            cast_at: Set(at),
        },
    )
    .await?;
    let all = ballots::Entity::find().filter(ballots::Column::MotionId.eq(motion.as_uuid())).all(c).await?;
    let tally = Tally::of(all.iter().filter_map(|b| Vote::parse(&b.vote)));
    set_tally(c, motion, &tally).await?;
    Ok(tally)
}

/// Records a member's rating; a second rating is a `Conflict`.
pub async fn insert_rating<C: ConnectionTrait>(
    c: &C,
    meeting: MeetingId,
    member: MemberId,
    scores: [u8; 3],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    insert_row(
        c,
        meeting_ratings::ActiveModel {
            meeting_id: Set(meeting.as_uuid()),
            member_id: Set(member.as_uuid()),
            preparation: Set(i16::from(scores[0])),
            content: Set(i16::from(scores[1])),
            discussion: Set(i16::from(scores[2])),
            created_at: Set(at),
        },
    )
    .await
}

/// Number of ratings and the average of each criterion (preparation, content, discussion).
pub async fn rating_summary<C: ConnectionTrait>(c: &C, meeting: MeetingId) -> StoreResult<(u32, [f64; 3])> {
    let rows = meeting_ratings::Entity::find().filter(meeting_ratings::Column::MeetingId.eq(meeting.as_uuid())).all(c).await?;
    let n = rows.len();
    if n == 0 {
        return Ok((0, [0.0; 3]));
    }
    let avg = |f: fn(&meeting_ratings::Model) -> i16| rows.iter().map(|r| f64::from(f(r))).sum::<f64>() / n as f64;
    Ok((u32::try_from(n).unwrap_or(u32::MAX), [avg(|r| r.preparation), avg(|r| r.content), avg(|r| r.discussion)]))
}

// ---------------------------------------------------------------- reports

/// A report to the superior unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRecord {
    /// Id.
    pub id: ReportId,
    /// Meeting.
    pub meeting_id: MeetingId,
    /// The reporting cell.
    pub unit_id: UnitId,
    /// The superior it is addressed to (the parent in effect at the meeting date).
    pub parent_unit_id: UnitId,
    /// Status.
    pub status: ReportStatus,
    /// When sent.
    pub sent_at: DateTime<Utc>,
    /// Who sent it.
    pub sent_by: Option<AccountId>,
    /// Sent after the 5th of the following month.
    pub late: bool,
    /// The meeting's month, `YYYY-MM` (Vietnam).
    pub month: String,
    /// JSON summary (minutes, resolution, figures, opinion counts).
    pub summary: serde_json::Value,
    /// Acknowledgement or return time.
    pub decided_at: Option<DateTime<Utc>>,
    /// Who decided.
    pub decided_by: Option<AccountId>,
    /// The superior's comment.
    pub decision_comment: Option<String>,
}

fn report_record(m: meeting_reports::Model) -> StoreResult<ReportRecord> {
    Ok(ReportRecord {
        id: ReportId::from_uuid(m.id),
        meeting_id: MeetingId::from_uuid(m.meeting_id),
        unit_id: UnitId::from_uuid(m.unit_id),
        parent_unit_id: UnitId::from_uuid(m.parent_unit_id),
        status: ReportStatus::parse(&m.status).ok_or_else(|| corrupt("meeting_reports.status", &m.status))?,
        sent_at: m.sent_at,
        sent_by: m.sent_by.map(AccountId::from_uuid),
        late: m.late,
        month: m.month,
        summary: serde_json::from_str(&m.summary).unwrap_or(serde_json::Value::Null),
        decided_at: m.decided_at,
        decided_by: m.decided_by.map(AccountId::from_uuid),
        decision_comment: m.decision_comment,
    })
}

fn report_active(r: &ReportRecord) -> meeting_reports::ActiveModel {
    meeting_reports::ActiveModel {
        id: Set(r.id.as_uuid()),
        meeting_id: Set(r.meeting_id.as_uuid()),
        unit_id: Set(r.unit_id.as_uuid()),
        parent_unit_id: Set(r.parent_unit_id.as_uuid()),
        status: Set(r.status.code().to_string()),
        sent_at: Set(r.sent_at),
        sent_by: Set(r.sent_by.map(|a| a.as_uuid())),
        late: Set(r.late),
        month: Set(r.month.clone()),
        summary: Set(r.summary.to_string()),
        decided_at: Set(r.decided_at),
        decided_by: Set(r.decided_by.map(|a| a.as_uuid())),
        decision_comment: Set(r.decision_comment.clone()),
    }
}

/// Inserts a report.
pub async fn insert_report<C: ConnectionTrait>(c: &C, r: &ReportRecord) -> StoreResult<()> {
    insert_row(c, report_active(r)).await
}

/// Inserts many reports in multi-row statements, decisions included (dataset generators).
pub async fn insert_reports_bulk<C: ConnectionTrait>(c: &C, batch: &[ReportRecord]) -> StoreResult<()> {
    for chunk in batch.chunks(500) {
        meeting_reports::Entity::insert_many(chunk.iter().map(report_active)).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Loads a report.
pub async fn get_report<C: ConnectionTrait>(c: &C, id: ReportId) -> StoreResult<ReportRecord> {
    report_record(meeting_reports::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?)
}

/// The reports of a meeting, oldest first.
pub async fn reports_of<C: ConnectionTrait>(c: &C, meeting: MeetingId) -> StoreResult<Vec<ReportRecord>> {
    let rows = meeting_reports::Entity::find()
        .filter(meeting_reports::Column::MeetingId.eq(meeting.as_uuid()))
        .order_by_asc(meeting_reports::Column::Id)
        .all(c)
        .await?;
    rows.into_iter().map(report_record).collect()
}

/// Decides a submitted report (acknowledge or return); `NotFound` if it is no longer submitted.
pub async fn decide_report<C: ConnectionTrait>(
    c: &C,
    id: ReportId,
    status: ReportStatus,
    by: AccountId,
    comment: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let result = meeting_reports::Entity::update_many()
        .set(meeting_reports::ActiveModel {
            status: Set(status.code().to_string()),
            decided_at: Set(Some(at)),
            decided_by: Set(Some(by.as_uuid())),
            decision_comment: Set(comment.map(str::to_string)),
            ..Default::default()
        })
        .filter(meeting_reports::Column::Id.eq(id.as_uuid()))
        .filter(meeting_reports::Column::Status.eq(ReportStatus::Submitted.code()))
        .exec(c)
        .await?;
    if result.rows_affected == 1 { Ok(()) } else { Err(StoreError::NotFound) }
}

/// Reports of the cells in `unit`'s subtree (or of `unit` itself) for a month (`YYYY-MM`), or
/// all months when `month` is `None`.
pub async fn reports_in<C: ConnectionTrait + sea_orm::StreamTrait>(
    c: &C,
    unit: UnitId,
    include_subtree: bool,
    month: Option<&str>,
    limit: u64,
) -> StoreResult<Vec<ReportRecord>> {
    let u = unit.as_uuid();
    let scope = if include_subtree {
        let sub = Query::select().column("descendant_id").from("org_unit_closure").and_where(Expr::col("ancestor_id").eq(u)).to_owned();
        Condition::any().add(meeting_reports::Column::UnitId.in_subquery(sub))
    } else {
        Condition::any().add(meeting_reports::Column::UnitId.eq(u)).add(meeting_reports::Column::ParentUnitId.eq(u))
    };
    let mut select = meeting_reports::Entity::find().filter(scope);
    if let Some(month) = month {
        select = select.filter(meeting_reports::Column::Month.eq(month));
    }
    // Mapped as the rows arrive: a province's month holds thousands of reports, and its raw rows
    // materialised first took more memory than the records.
    let mut rows = std::pin::pin!(select.order_by_asc(meeting_reports::Column::SentAt).limit(limit).stream(c).await?);
    let mut out = Vec::new();
    while let Some(row) = futures_util::StreamExt::next(&mut rows).await {
        out.push(report_record(row?)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------- calendar feed

/// Sets (or replaces) a member's calendar feed token hash.
pub async fn set_feed_token<C: ConnectionTrait>(c: &C, member: MemberId, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
    calendar_feeds::Entity::delete_many().filter(calendar_feeds::Column::MemberId.eq(member.as_uuid())).exec(c).await?;
    insert_row(
        c,
        calendar_feeds::ActiveModel { member_id: Set(member.as_uuid()), token_hash: Set(token_hash.to_string()), created_at: Set(at) },
    )
    .await
}

/// Removes a member's calendar feed token (the feed stops answering until a new one is made).
pub async fn delete_feed_token<C: ConnectionTrait>(c: &C, member: MemberId) -> StoreResult<()> {
    calendar_feeds::Entity::delete_many().filter(calendar_feeds::Column::MemberId.eq(member.as_uuid())).exec(c).await?;
    Ok(())
}

/// The member owning a feed token hash.
pub async fn feed_member<C: ConnectionTrait>(c: &C, token_hash: &str) -> StoreResult<Option<MemberId>> {
    Ok(calendar_feeds::Entity::find()
        .filter(calendar_feeds::Column::TokenHash.eq(token_hash))
        .one(c)
        .await?
        .map(|f| MemberId::from_uuid(f.member_id)))
}
