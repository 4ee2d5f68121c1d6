//! Reports to the superior unit (sending, acknowledging, returning for revision, lists), a
//! member's attendance history, and the calendar feed's token and meetings.
//!
//! The meeting's status moves only through the domain's
//! [`Meeting`](meetings::lifecycle::Meeting) transitions; each decision saves the report, the
//! meeting, the audit record and (on sending and on return) the outbox event in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use meetings::attendance::{self, Attended, MemberRecordFigures};
use meetings::comments::AuthorPresence;
use meetings::lifecycle::{InvalidTransition, MeetingStatus};
use meetings::report::{self, ReportStatus};
use meetings::{MeetingId, ReportId};
use membership::permission::{Action, Actor, MemberView, member_view};
use membership::time::local_date;
use membership::{MemberId, UnitId};
use storage::StoreError;
use storage::meetings::{MeetingQuery, MeetingRecord, ReportRecord};
use storage::units::UnitRecord;
use uuid::Uuid;

use super::{apply, state_of, visible_meeting};
use crate::audit::{self, Requester};
use crate::events::{Event, EventError, ReportReturned, ReportSubmitted};
use crate::{Ctx, allowed, unit_path};

/// A report with its reporting unit.
#[derive(Debug, Clone)]
pub struct UnitReport {
    /// The report.
    pub report: ReportRecord,
    /// The cell that sent it.
    pub unit: UnitRecord,
}

/// Why a report cannot be sent, decided or listed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError<E> {
    /// The caller may not manage the meeting, review the report or see the unit's reports.
    #[error("not permitted")]
    Forbidden,
    /// The request itself was refused by the caller's parser.
    #[error("the request was refused")]
    Request(E),
    /// The lifecycle refuses the step.
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    /// The unit has no superior to report to.
    #[error("the unit has no superior to report to")]
    NoSuperior,
    /// The report was already acknowledged or returned.
    #[error("the report is already {}", .0.code())]
    Decided(ReportStatus),
    /// The outbox event could not be encoded.
    #[error(transparent)]
    Event(#[from] EventError),
    /// Storage (a missing meeting, report or unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<E> From<super::ViewMeetingError> for ReportError<E> {
    fn from(e: super::ViewMeetingError) -> Self {
        match e {
            super::ViewMeetingError::Forbidden => ReportError::Forbidden,
            super::ViewMeetingError::Store(e) => ReportError::Store(e),
        }
    }
}

fn figures_json(f: &attendance::Figures) -> serde_json::Value {
    serde_json::json!({
        "obliged": f.obliged,
        "present": f.present,
        "late": f.late,
        "absent_with_reason": f.absent_with_reason,
        "absent_without_reason": f.absent_without_reason,
        "guests_attended": f.guests_attended,
        "attendance_rate": f.attendance_rate,
        "quorum": f.quorum,
        "meets_quality": f.meets_quality,
    })
}

/// Sends the meeting report to the superior unit in effect at the meeting date (the cell's
/// secretary or deputy, after the minutes are approved); late after the 5th of the next month.
/// Writes `meeting.report_submitted`.
pub async fn send<E>(ctx: &Ctx, who: Requester<'_>, id: MeetingId) -> Result<UnitReport, ReportError<E>> {
    let now = ctx.clock.now();
    let (mut meeting, access) = visible_meeting(ctx, who.actor, id).await?;
    if !access.manage {
        return Err(ReportError::Forbidden);
    }
    let next = state_of(&meeting).send_report()?;
    let date = local_date(meeting.starts_at);
    let parent = match storage::units::parent_on(ctx.db.conn(), meeting.unit_id, date).await? {
        Some(p) => p,
        None => storage::units::get(ctx.db.conn(), meeting.unit_id).await?.parent_id.ok_or(ReportError::NoSuperior)?,
    };
    let ledger = storage::meetings::ledger(ctx.db.conn(), meeting.id).await?;
    let comments = storage::meetings::comments_of(ctx.db.conn(), meeting.id).await?;
    let motions = storage::meetings::motions_of(ctx.db.conn(), meeting.id).await?;
    let figures = attendance::figures(&ledger);
    let minutes = meeting.minutes.clone().unwrap_or(meetings::minutes::Minutes {
        text: String::new(),
        resolution: String::new(),
        chair: None,
        secretary: None,
        started_at: None,
        ended_at: None,
    });
    let summary = serde_json::json!({
        "title": meeting.title,
        "kind": meeting.kind.code(),
        "starts_at": meeting.starts_at,
        "minutes": minutes.text,
        "resolution": minutes.resolution,
        "figures": figures_json(&figures),
        "opinions": {
            "total": comments.iter().filter(|c| c.hidden_at.is_none()).count(),
            "from_absent_members": comments.iter().filter(|c| c.hidden_at.is_none() && c.author_presence == AuthorPresence::Absent).count(),
        },
        "motions": motions.iter().map(|m| serde_json::json!({"title": m.title, "agree": m.tally.agree, "disagree": m.tally.disagree, "other": m.tally.other})).collect::<Vec<_>>(),
        "late_publication": meeting.late_publication,
    });
    let record = ReportRecord {
        id: ReportId::from_uuid(Uuid::now_v7()),
        meeting_id: meeting.id,
        unit_id: meeting.unit_id,
        parent_unit_id: parent,
        status: ReportStatus::Submitted,
        sent_at: now,
        sent_by: who.actor.account_id,
        late: report::is_late(meeting.starts_at, now),
        month: format!("{:04}-{:02}", date.year(), date.month()),
        summary,
        decided_at: None,
        decided_by: None,
        decision_comment: None,
    };
    let version = meeting.version;
    apply(&mut meeting, next, now);
    let event = Event::ReportSubmitted(ReportSubmitted {
        report_id: record.id.as_uuid(),
        meeting_id: meeting.id.as_uuid(),
        unit_id: meeting.unit_id.as_uuid(),
        parent_unit_id: parent.as_uuid(),
        late: record.late,
    })
    .to_outbox(now)?;
    let tx = ctx.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    storage::meetings::insert_report(tx.conn(), &record).await?;
    storage::outbox::push(tx.conn(), &event).await?;
    audit::record(
        &tx,
        who,
        now,
        "meeting.report",
        ("meeting_report", Some(record.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"late": record.late}),
    )
    .await?;
    tx.commit().await?;
    let unit = storage::units::get(ctx.db.conn(), record.unit_id).await?;
    Ok(UnitReport { report: record, unit })
}

/// A submitted report the caller may decide, with its meeting.
async fn reviewable<E>(ctx: &Ctx, actor: &Actor, id: ReportId) -> Result<(ReportRecord, MeetingRecord), ReportError<E>> {
    let report = storage::meetings::get_report(ctx.db.conn(), id).await?;
    let parent_path = unit_path(ctx, report.parent_unit_id).await?;
    if !allowed(ctx, actor, Action::ReviewReports, &parent_path) {
        return Err(ReportError::Forbidden);
    }
    if report.status != ReportStatus::Submitted {
        return Err(ReportError::Decided(report.status));
    }
    let meeting = storage::meetings::get(ctx.db.conn(), report.meeting_id).await?;
    Ok((report, meeting))
}

/// Acknowledges a report (secretaries and deputies of the superior unit or above, administrators).
pub async fn acknowledge<E>(ctx: &Ctx, who: Requester<'_>, id: ReportId) -> Result<UnitReport, ReportError<E>> {
    let now = ctx.clock.now();
    let (mut report, mut meeting) = reviewable(ctx, who.actor, id).await?;
    let next = state_of(&meeting).acknowledge()?;
    let by = who.actor.account_id.ok_or(ReportError::Forbidden)?;
    let version = meeting.version;
    apply(&mut meeting, next, now);
    let tx = ctx.db.begin().await?;
    storage::meetings::decide_report(tx.conn(), report.id, ReportStatus::Acknowledged, by, None, now).await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    audit::record(
        &tx,
        who,
        now,
        "meeting_report.acknowledge",
        ("meeting_report", Some(report.id.as_uuid())),
        Some(report.parent_unit_id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    report.status = ReportStatus::Acknowledged;
    report.decided_at = Some(now);
    let unit = storage::units::get(ctx.db.conn(), report.unit_id).await?;
    Ok(UnitReport { report, unit })
}

/// Returns a report for revision with `comment` (the caller's parse, reported once the caller is
/// known to be allowed and the report undecided): the meeting goes back to `ended`, its minutes
/// unlock, and `meeting.report_returned` is written for the cell.
pub async fn return_report<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: ReportId,
    comment: Result<String, E>,
) -> Result<UnitReport, ReportError<E>> {
    let now = ctx.clock.now();
    let (mut report, mut meeting) = reviewable(ctx, who.actor, id).await?;
    let comment = comment.map_err(ReportError::Request)?;
    let next = state_of(&meeting).return_report()?;
    let by = who.actor.account_id.ok_or(ReportError::Forbidden)?;
    let version = meeting.version;
    apply(&mut meeting, next, now);
    let event = Event::ReportReturned(ReportReturned {
        report_id: report.id.as_uuid(),
        meeting_id: meeting.id.as_uuid(),
        unit_id: meeting.unit_id.as_uuid(),
        comment: comment.clone(),
    })
    .to_outbox(now)?;
    let tx = ctx.db.begin().await?;
    storage::meetings::decide_report(tx.conn(), report.id, ReportStatus::Returned, by, Some(&comment), now).await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    storage::outbox::push(tx.conn(), &event).await?;
    audit::record(
        &tx,
        who,
        now,
        "meeting_report.return",
        ("meeting_report", Some(report.id.as_uuid())),
        Some(report.parent_unit_id),
        serde_json::json!({"comment": comment}),
    )
    .await?;
    tx.commit().await?;
    report.status = ReportStatus::Returned;
    report.decided_at = Some(now);
    report.decision_comment = Some(comment);
    let unit = storage::units::get(ctx.db.conn(), report.unit_id).await?;
    Ok(UnitReport { report, unit })
}

/// Reports of a unit (its own and those addressed to it) or of its subtree, by sending time,
/// with their reporting units (anyone who may see the unit's meetings). `month` (`YYYY-MM`) is the
/// caller's parse of the filter, reported after the caller is known to be allowed.
pub async fn list<E>(
    ctx: &Ctx,
    actor: &Actor,
    unit: UnitId,
    include_subtree: bool,
    month: Result<Option<String>, E>,
) -> Result<Vec<UnitReport>, ReportError<E>> {
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, actor, Action::ViewMeetings, &path) {
        return Err(ReportError::Forbidden);
    }
    let month = month.map_err(ReportError::Request)?;
    // The subtree roll-up may lag (a read replica, when configured); the unit's own list, where
    // a secretary sees the reports they just sent, acknowledged or returned, reads the primary.
    let db = if include_subtree { ctx.db.reader() } else { ctx.db.conn() };
    let rows = storage::meetings::reports_in(db, unit, include_subtree, month.as_deref(), 10_000).await?;
    // The reporting units in one query per thousand (a province month holds thousands of cells).
    let mut ids: Vec<UnitId> = rows.iter().map(|r| r.unit_id).collect();
    ids.sort();
    ids.dedup();
    let mut units = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        units.extend(storage::units::get_many(db, chunk).await?.into_iter().map(|u| (u.id, u)));
    }
    rows.into_iter()
        .map(|report| {
            let unit = units.get(&report.unit_id).cloned().ok_or(StoreError::NotFound)?;
            Ok(UnitReport { report, unit })
        })
        .collect()
}

/// Why a member's attendance history cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError<E> {
    /// Neither the member nor a leader over the member's cell.
    #[error("not permitted")]
    Forbidden,
    /// The query itself was refused by the caller's parser.
    #[error("the query was refused")]
    Request(E),
    /// Storage (a missing member is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A member's attendance history: the meetings held (not drafts, published or cancelled ones),
/// oldest first, and the figures over the meetings the member was obliged to attend.
#[derive(Debug, Clone)]
pub struct History {
    /// Meetings with the member's ledger row.
    pub meetings: Vec<(MeetingRecord, attendance::LedgerRow)>,
    /// Figures and flags of the Party rules.
    pub figures: MemberRecordFigures,
}

/// A member's attendance history (the member, and leaders over the member's cell) between `dates`
/// (the caller's parse of from and to, inclusive; by default the year up to today).
pub async fn member_history<E>(
    ctx: &Ctx,
    actor: &Actor,
    member: MemberId,
    dates: Result<(Option<NaiveDate>, Option<NaiveDate>), E>,
) -> Result<History, HistoryError<E>> {
    let today = ctx.clock.today();
    let member = storage::members::get(ctx.db.conn(), member).await?;
    let path = storage::units::path(ctx.db.conn(), member.state.home_unit).await?;
    if member_view(actor, member.id, &path, today) != Some(MemberView::Full) {
        return Err(HistoryError::Forbidden);
    }
    let (from, to) = dates.map_err(HistoryError::Request)?;
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| to.checked_sub_signed(Duration::days(365)).unwrap_or(membership::time::MIN_DATE));
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0).and_then(|dt| dt.checked_sub_signed(Duration::hours(7))).map_or(DateTime::<Utc>::MIN_UTC, |dt| dt.and_utc())
    };
    let end = to.checked_add_signed(Duration::days(1)).unwrap_or(membership::time::MAX_DATE);
    let rows = storage::meetings::member_attendance(ctx.db.conn(), member.id, start(from), start(end)).await?;
    let meetings: Vec<_> = rows
        .into_iter()
        .filter(|(m, _)| !matches!(m.status, MeetingStatus::Draft | MeetingStatus::Published | MeetingStatus::Cancelled))
        .collect();
    let obliged: Vec<Attended> = meetings
        .iter()
        .filter(|(_, r)| r.role == meetings::roster::RosterRole::Obliged)
        .map(|(m, r)| Attended { date: local_date(m.starts_at), status: r.status })
        .collect();
    let figures = attendance::member_figures(&obliged);
    Ok(History { meetings, figures })
}

/// Why the calendar feed cannot be set up or read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The caller's account is not a member's.
    #[error("not permitted")]
    NotAMember,
    /// No active member holds the token.
    #[error("unknown feed token")]
    UnknownToken,
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates (or replaces) the caller's calendar feed token and returns it (it is stored hashed).
pub async fn calendar_token(ctx: &Ctx, actor: &Actor) -> Result<String, FeedError> {
    let member = actor.member_id.ok_or(FeedError::NotAMember)?;
    let token = crate::accounts::new_token();
    let tx = ctx.db.begin().await?;
    storage::meetings::set_feed_token(tx.conn(), member, &crate::accounts::token_hash(&token), ctx.clock.now()).await?;
    tx.commit().await?;
    Ok(token)
}

/// The upcoming meetings of the member holding `token`, by start: published and open meetings of
/// the member's cell (and of a cell hosting them temporarily), and those cancelled after
/// publication, from yesterday on.
pub async fn feed(ctx: &Ctx, token: &str) -> Result<Vec<MeetingRecord>, FeedError> {
    let member =
        storage::meetings::feed_member(ctx.db.conn(), &crate::accounts::token_hash(token)).await?.ok_or(FeedError::UnknownToken)?;
    let record = storage::members::get(ctx.db.conn(), member).await?;
    if !record.state.standing.is_active() {
        return Err(FeedError::UnknownToken);
    }
    let now = ctx.clock.now();
    let mut meetings = Vec::new();
    for unit in std::iter::once(record.state.home_unit).chain(record.state.temporary_host) {
        meetings.extend(
            storage::meetings::list(
                ctx.db.conn(),
                &MeetingQuery {
                    unit,
                    include_subtree: false,
                    from: Some(now - Duration::days(1)),
                    to: None,
                    statuses: vec![MeetingStatus::Published, MeetingStatus::Open, MeetingStatus::Cancelled],
                    limit: 200,
                },
            )
            .await?
            .into_iter()
            .filter(|m| m.status != MeetingStatus::Cancelled || m.published_at.is_some()),
        );
    }
    meetings.sort_by_key(|m| m.starts_at);
    Ok(meetings)
}
