//! Reports to the superior unit, a member's attendance history, and the iCalendar feed.

use app::events::{Event, ReportReturned, ReportSubmitted};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use meetings::ReportId;
use meetings::attendance::{self, Attended};
use meetings::comments::AuthorPresence;
use meetings::lifecycle::{self, MeetingStatus, Transition};
use meetings::report::{self, ReportStatus};
use membership::permission::{Action, MemberView as Visibility, member_view};
use membership::time::local_date;
use membership::{MemberId, UnitId};
use serde::{Deserialize, Serialize};
use storage::meetings::{MeetingQuery, ReportRecord};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Caller, new_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::meetings::{FiguresView, visible_meeting};
use crate::routes::{audit, unit_path};
use crate::state::AppState;
use crate::views::UnitRef;

/// A report to the superior unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// Id.
    pub id: Uuid,
    /// Meeting.
    pub meeting_id: Uuid,
    /// Reporting cell.
    pub unit: UnitRef,
    /// Superior unit it is addressed to (the parent in effect at the meeting date).
    pub parent_unit_id: Uuid,
    /// `submitted`, `acknowledged`, `returned`.
    #[schema(example = "submitted")]
    pub status: String,
    /// When sent.
    pub sent_at: DateTime<Utc>,
    /// Sent after the 5th of the following month.
    pub late: bool,
    /// Month of the meeting, `YYYY-MM`.
    #[schema(example = "2026-11")]
    pub month: String,
    /// Content: title, minutes, resolution, attendance figures, opinion counts, motions.
    pub summary: serde_json::Value,
    /// When acknowledged or returned.
    pub decided_at: Option<DateTime<Utc>>,
    /// The superior's comment.
    pub decision_comment: Option<String>,
}

async fn report_view(state: &AppState, r: &ReportRecord) -> ApiResult<ReportView> {
    let unit = storage::units::get(state.db.conn(), r.unit_id).await?;
    Ok(ReportView {
        id: r.id.as_uuid(),
        meeting_id: r.meeting_id.as_uuid(),
        unit: UnitRef::from(&unit),
        parent_unit_id: r.parent_unit_id.as_uuid(),
        status: r.status.code().into(),
        sent_at: r.sent_at,
        late: r.late,
        month: r.month.clone(),
        summary: r.summary.clone(),
        decided_at: r.decided_at,
        decision_comment: r.decision_comment.clone(),
    })
}

/// Sends the meeting report to the superior unit in effect at the meeting date (the cell's
/// secretary or deputy, after the minutes are approved). Late after the 5th of the next month.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/report", tag = "meeting-reports", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 201, body = ReportView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn send(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (mut meeting, access) = visible_meeting(&state, &caller, id).await?;
    if !access.manage {
        return Err(ApiError::Forbidden);
    }
    let next = lifecycle::transition(meeting.status, Transition::SendReport)
        .map_err(|e| ApiError::Conflict { code: "invalid_transition", detail: e.to_string() })?;
    let date = local_date(meeting.starts_at);
    let parent = match storage::units::parent_on(state.db.conn(), meeting.unit_id, date).await? {
        Some(p) => p,
        None => storage::units::get(state.db.conn(), meeting.unit_id)
            .await?
            .parent_id
            .ok_or(ApiError::Rule { code: "no_superior", detail: "the unit has no superior to report to".into() })?,
    };
    let ledger = storage::meetings::ledger(state.db.conn(), meeting.id).await?;
    let comments = storage::meetings::comments_of(state.db.conn(), meeting.id).await?;
    let motions = storage::meetings::motions_of(state.db.conn(), meeting.id).await?;
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
        "figures": serde_json::to_value(FiguresView::from(&figures)).unwrap_or_default(),
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
        sent_at: caller.now,
        sent_by: Some(caller.account.id),
        late: report::is_late(meeting.starts_at, caller.now),
        month: format!("{:04}-{:02}", date.year(), date.month()),
        summary,
        decided_at: None,
        decided_by: None,
        decision_comment: None,
    };
    let version = meeting.version;
    meeting.status = next;
    meeting.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    storage::meetings::insert_report(tx.conn(), &record).await?;
    storage::outbox::push(
        tx.conn(),
        &Event::ReportSubmitted(ReportSubmitted {
            report_id: record.id.as_uuid(),
            meeting_id: meeting.id.as_uuid(),
            unit_id: meeting.unit_id.as_uuid(),
            parent_unit_id: parent.as_uuid(),
            late: record.late,
        })
        .to_outbox(caller.now)?,
    )
    .await?;
    audit(
        &tx,
        &caller,
        "meeting.report",
        ("meeting_report", Some(record.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"late": record.late}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(report_view(&state, &record).await?)))
}

async fn reviewable(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<(ReportRecord, storage::meetings::MeetingRecord)> {
    let report = storage::meetings::get_report(state.db.conn(), ReportId::from_uuid(id)).await?;
    let parent_path = unit_path(&state.db, report.parent_unit_id).await?;
    caller.require(Action::ReviewReports, &parent_path)?;
    if report.status != ReportStatus::Submitted {
        return Err(ApiError::Conflict { code: "report_decided", detail: format!("the report is already {}", report.status.code()) });
    }
    let meeting = storage::meetings::get(state.db.conn(), report.meeting_id).await?;
    Ok((report, meeting))
}

/// Acknowledges a report (secretaries and deputies of the superior unit or above, administrators).
#[utoipa::path(post, path = "/api/v1/meeting-reports/{id}/acknowledge", tag = "meeting-reports", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Report id")),
    responses((status = 200, body = ReportView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn acknowledge(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<ReportView>> {
    let (mut report, mut meeting) = reviewable(&state, &caller, id).await?;
    let next = lifecycle::transition(meeting.status, Transition::Acknowledge)
        .map_err(|e| ApiError::Conflict { code: "invalid_transition", detail: e.to_string() })?;
    let version = meeting.version;
    meeting.status = next;
    meeting.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::meetings::decide_report(tx.conn(), report.id, ReportStatus::Acknowledged, caller.account.id, None, caller.now).await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    audit(
        &tx,
        &caller,
        "meeting_report.acknowledge",
        ("meeting_report", Some(report.id.as_uuid())),
        Some(report.parent_unit_id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    report.status = ReportStatus::Acknowledged;
    report.decided_at = Some(caller.now);
    Ok(axum::Json(report_view(&state, &report).await?))
}

/// A return for revision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// What to revise (1–2000 characters).
    pub comment: String,
}

/// Returns a report for revision with a comment: the meeting goes back to `ended`, its minutes
/// unlock, and a `meeting.report_returned` event is written for the cell.
#[utoipa::path(post, path = "/api/v1/meeting-reports/{id}/return", tag = "meeting-reports", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Report id")), request_body = ReturnBody,
    responses((status = 200, body = ReportView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn return_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<ReturnBody>,
) -> ApiResult<axum::Json<ReportView>> {
    let (mut report, mut meeting) = reviewable(&state, &caller, id).await?;
    let comment = body.comment.trim().to_string();
    if comment.is_empty() || comment.chars().count() > 2000 {
        return Err(ApiError::field("comment", if comment.is_empty() { "empty" } else { "too_long" }, "1 to 2000 characters"));
    }
    let next = lifecycle::transition(meeting.status, Transition::Return)
        .map_err(|e| ApiError::Conflict { code: "invalid_transition", detail: e.to_string() })?;
    let version = meeting.version;
    meeting.status = next;
    meeting.minutes_approved_at = None;
    meeting.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::meetings::decide_report(tx.conn(), report.id, ReportStatus::Returned, caller.account.id, Some(&comment), caller.now).await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    storage::outbox::push(
        tx.conn(),
        &Event::ReportReturned(ReportReturned {
            report_id: report.id.as_uuid(),
            meeting_id: meeting.id.as_uuid(),
            unit_id: meeting.unit_id.as_uuid(),
            comment: comment.clone(),
        })
        .to_outbox(caller.now)?,
    )
    .await?;
    audit(
        &tx,
        &caller,
        "meeting_report.return",
        ("meeting_report", Some(report.id.as_uuid())),
        Some(report.parent_unit_id),
        serde_json::json!({"comment": comment}),
    )
    .await?;
    tx.commit().await?;
    report.status = ReportStatus::Returned;
    report.decided_at = Some(caller.now);
    report.decision_comment = Some(comment);
    Ok(axum::Json(report_view(&state, &report).await?))
}

/// Report list query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportsQuery {
    /// Month of the meetings, `YYYY-MM`.
    pub month: Option<String>,
    /// Reports of every cell under the unit (default: reports of the unit itself and those
    /// addressed to it).
    pub include_subtree: Option<bool>,
}

/// Reports with their on-time rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    /// Reports, by sending time.
    pub items: Vec<ReportView>,
    /// Number of reports.
    pub total: u32,
    /// Acknowledged.
    pub acknowledged: u32,
    /// Returned.
    pub returned: u32,
    /// Awaiting the superior.
    pub submitted: u32,
    /// Sent late.
    pub late: u32,
    /// Share sent on time (1 when there is no report).
    pub on_time_rate: f64,
}

/// Reports of a unit or its subtree (leaders, committee members and administrators over the
/// unit; members of a cell see their own cell's).
#[utoipa::path(get, path = "/api/v1/org-units/{id}/meeting-reports", tag = "meeting-reports", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id"), ReportsQuery),
    responses((status = 200, body = ReportList), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Query(q): Query<ReportsQuery>,
) -> ApiResult<axum::Json<ReportList>> {
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    caller.require(Action::ViewMeetings, &path)?;
    if let Some(m) = &q.month
        && NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_err()
    {
        return Err(ApiError::BadRequest { code: "invalid_query", detail: "month must be YYYY-MM".into() });
    }
    let rows = storage::meetings::reports_in(state.db.conn(), unit, q.include_subtree.unwrap_or(false), q.month.as_deref(), 10_000).await?;
    // The reporting units in one query per thousand (a province month holds thousands of cells).
    let mut ids: Vec<UnitId> = rows.iter().map(|r| r.unit_id).collect();
    ids.sort();
    ids.dedup();
    let mut units = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        units.extend(storage::units::get_many(state.db.conn(), chunk).await?.into_iter().map(|u| (u.id, u)));
    }
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let unit = units.get(&r.unit_id).ok_or(ApiError::NotFound)?;
        items.push(ReportView {
            id: r.id.as_uuid(),
            meeting_id: r.meeting_id.as_uuid(),
            unit: UnitRef::from(unit),
            parent_unit_id: r.parent_unit_id.as_uuid(),
            status: r.status.code().into(),
            sent_at: r.sent_at,
            late: r.late,
            month: r.month.clone(),
            summary: r.summary.clone(),
            decided_at: r.decided_at,
            decision_comment: r.decision_comment.clone(),
        });
    }
    let count = |s: ReportStatus| u32::try_from(rows.iter().filter(|r| r.status == s).count()).unwrap_or(0);
    let total = u32::try_from(rows.len()).unwrap_or(0);
    let late = u32::try_from(rows.iter().filter(|r| r.late).count()).unwrap_or(0);
    Ok(axum::Json(ReportList {
        items,
        total,
        acknowledged: count(ReportStatus::Acknowledged),
        returned: count(ReportStatus::Returned),
        submitted: count(ReportStatus::Submitted),
        late,
        on_time_rate: if total == 0 { 1.0 } else { f64::from(total - late) / f64::from(total) },
    }))
}

/// Attendance history query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// From this date (default: one year ago).
    pub from: Option<NaiveDate>,
    /// To this date, inclusive (default: today).
    pub to: Option<NaiveDate>,
}

/// One meeting in a member's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryRow {
    /// Meeting.
    pub meeting_id: Uuid,
    /// Title.
    pub title: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// `obliged` or `guest`.
    pub role: String,
    /// Attendance status.
    pub status: String,
}

/// A member's attendance with the flags of the Party rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberAttendance {
    /// Meetings, oldest first.
    pub meetings: Vec<HistoryRow>,
    /// Meetings the member was obliged to attend.
    pub obliged: u32,
    /// Attended.
    pub attended: u32,
    /// Attended / obliged.
    pub rate: f64,
    /// Absences in a row up to the latest meeting.
    pub current_absence_streak: u32,
    /// Longest run of absences.
    pub longest_absence_streak: u32,
    /// Three or more absences in a row.
    pub flag_three_in_a_row: bool,
    /// Months with an absence without reason, per year.
    pub months_absent_without_reason: std::collections::BTreeMap<i32, u32>,
    /// Three such months in a calendar year (a ground for removal).
    pub flag_three_months_in_a_year: bool,
}

/// A member's attendance history and flags (the member, and leaders over the member's cell).
#[utoipa::path(get, path = "/api/v1/members/{id}/attendance", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Member id"), HistoryQuery),
    responses((status = 200, body = MemberAttendance), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn member_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<axum::Json<MemberAttendance>> {
    let member = storage::members::get(state.db.conn(), MemberId::from_uuid(id)).await?;
    let path = storage::units::path(state.db.conn(), member.state.home_unit).await?;
    if member_view(&caller.actor, member.id, &path, caller.today()) != Some(Visibility::Full) {
        return Err(ApiError::Forbidden);
    }
    crate::views::check_query_dates(&[q.from, q.to])?;
    let to = q.to.unwrap_or_else(|| caller.today());
    let from = q.from.unwrap_or_else(|| to.checked_sub_signed(Duration::days(365)).unwrap_or(membership::time::MIN_DATE));
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0).and_then(|dt| dt.checked_sub_signed(Duration::hours(7))).map_or(DateTime::<Utc>::MIN_UTC, |dt| dt.and_utc())
    };
    let end = to.checked_add_signed(Duration::days(1)).unwrap_or(membership::time::MAX_DATE);
    let rows = storage::meetings::member_attendance(state.db.conn(), member.id, start(from), start(end)).await?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|(m, _)| !matches!(m.status, MeetingStatus::Draft | MeetingStatus::Published | MeetingStatus::Cancelled))
        .collect();
    let obliged: Vec<Attended> = rows
        .iter()
        .filter(|(_, r)| r.role == meetings::roster::RosterRole::Obliged)
        .map(|(m, r)| Attended { date: local_date(m.starts_at), status: r.status })
        .collect();
    let f = attendance::member_figures(&obliged);
    Ok(axum::Json(MemberAttendance {
        meetings: rows
            .iter()
            .map(|(m, r)| HistoryRow {
                meeting_id: m.id.as_uuid(),
                title: m.title.clone(),
                starts_at: m.starts_at,
                role: r.role.code().into(),
                status: r.status.code().into(),
            })
            .collect(),
        obliged: f.meetings,
        attended: f.attended,
        rate: f.rate,
        current_absence_streak: f.current_absence_streak,
        longest_absence_streak: f.longest_absence_streak,
        flag_three_in_a_row: f.flag_three_in_a_row,
        months_absent_without_reason: f.months_absent_without_reason,
        flag_three_months_in_a_year: f.flag_three_months_in_a_year,
    }))
}

/// A calendar feed subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedToken {
    /// Secret token (shown once; a new request replaces it).
    pub token: String,
    /// Path to subscribe to, relative to the API's base URL.
    #[schema(example = "/api/v1/me/meetings.ics?token=…")]
    pub path: String,
}

/// Creates (or replaces) the caller's calendar feed token.
#[utoipa::path(post, path = "/api/v1/me/calendar-token", tag = "meetings", security(("bearer" = [])),
    responses((status = 201, body = FeedToken), (status = 403, body = crate::error::Problem)))]
pub async fn calendar_token(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    let member = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    let token = new_token();
    let tx = state.db.begin().await?;
    storage::meetings::set_feed_token(tx.conn(), member, &token_hash(&token), caller.now).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(FeedToken { path: format!("/api/v1/me/meetings.ics?token={token}"), token })))
}

/// Feed query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// The member's feed token.
    pub token: String,
}

fn ics_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace("\r\n", "\\n").replace('\n', "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for ch in line.chars() {
        let len = ch.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += len;
    }
    out.push_str("\r\n");
    out
}

fn ics_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Renders meetings as an RFC 5545 calendar.
pub fn render_ics(meetings: &[storage::meetings::MeetingRecord], now: DateTime<Utc>, base: &str) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//So tay dang vien dien tu//Handbook//VI",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Sinh hoạt chi bộ",
    ] {
        out.push_str(&fold(line));
    }
    for m in meetings {
        let url = format!("{base}/api/v1/meetings/{}", m.id);
        let end = m.starts_at + Duration::minutes(i64::from(m.planned_minutes));
        let mut lines = vec![
            "BEGIN:VEVENT".to_string(),
            format!("UID:{}@handbook", m.id),
            format!("DTSTAMP:{}", ics_time(now)),
            format!("DTSTART:{}", ics_time(m.starts_at)),
            format!("DTEND:{}", ics_time(end)),
            format!("SUMMARY:{}", ics_escape(&m.title)),
            format!("URL:{url}"),
            format!("DESCRIPTION:{}", ics_escape(&format!("{}\n{url}", m.notes))),
            format!("STATUS:{}", if m.status == MeetingStatus::Cancelled { "CANCELLED" } else { "CONFIRMED" }),
            format!("SEQUENCE:{}", m.version),
        ];
        if let Some(l) = m.location.as_ref().or(m.online_link.as_ref()) {
            lines.push(format!("LOCATION:{}", ics_escape(l)));
        }
        lines.push("END:VEVENT".to_string());
        for line in lines {
            out.push_str(&fold(&line));
        }
    }
    out.push_str(&fold("END:VCALENDAR"));
    out
}

/// The caller's upcoming meetings as an iCalendar feed (RFC 5545), authenticated by the feed
/// token so that calendar apps can subscribe. Published and open meetings of the member's cell
/// (and of a cell hosting them temporarily), from yesterday on.
#[utoipa::path(get, path = "/api/v1/me/meetings.ics", tag = "meetings", params(FeedQuery),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 401, body = crate::error::Problem)))]
pub async fn feed(State(state): State<AppState>, Query(q): Query<FeedQuery>) -> ApiResult<impl IntoResponse> {
    let member = storage::meetings::feed_member(state.db.conn(), &token_hash(&q.token)).await?.ok_or(ApiError::Unauthenticated)?;
    let record = storage::members::get(state.db.conn(), member).await?;
    if !record.state.standing.is_active() {
        return Err(ApiError::Unauthenticated);
    }
    let now = state.clock.now();
    let mut meetings = Vec::new();
    for unit in std::iter::once(record.state.home_unit).chain(record.state.temporary_host) {
        meetings.extend(
            storage::meetings::list(
                state.db.conn(),
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
    let base = format!("http://{}", state.config.bind);
    Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], render_ics(&meetings, now, &base)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_respects_75_octets_and_utf8() {
        let line = format!("SUMMARY:{}", "Sinh hoạt chi bộ thường kỳ tháng mười hai ".repeat(4));
        let folded = fold(&line);
        for physical in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets: {physical}", physical.len());
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
        assert_eq!(ics_escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
