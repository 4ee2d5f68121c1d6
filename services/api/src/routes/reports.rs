//! Reports to the superior unit, a member's attendance history, and the iCalendar feed.
//!
//! Each handler parses the request, calls one use case of `app::meetings::reports` and renders
//! its result; the iCalendar rendering stays here, as a view.

use app::audit::Requester;
use app::meetings::reports::{self, FeedError, HistoryError, ReportError, UnitReport};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use meetings::lifecycle::MeetingStatus;
use meetings::report::ReportStatus;
use meetings::{MeetingId, ReportId};
use membership::{MemberId, UnitId};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Object;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::views::UnitRef;
use crate::views::schema::{AttendanceStatusCode, CalendarDate, MONTH_PATTERN, Month, ReportStatusCode, RosterRoleCode, text};

/// Longest comment returning a report, in characters.
pub const RETURN_COMMENT_MAX_CHARS: usize = 2000;

fn month_schema() -> Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(MONTH_PATTERN))
        .description(Some("Month of the meeting (Vietnam), `YYYY-MM`."))
        .examples(["2026-11"])
        .build()
}

fn return_comment_schema() -> Object {
    text(1, RETURN_COMMENT_MAX_CHARS).description(Some(format!("What to revise (1–{RETURN_COMMENT_MAX_CHARS} characters)."))).build()
}

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
    #[schema(value_type = ReportStatusCode)]
    pub status: String,
    /// When sent.
    pub sent_at: DateTime<Utc>,
    /// Sent after the 5th of the following month.
    pub late: bool,
    /// Month of the meeting, `YYYY-MM`.
    #[schema(schema_with = month_schema)]
    pub month: String,
    /// Content: title, minutes, resolution, attendance figures, opinion counts, motions.
    pub summary: serde_json::Value,
    /// When acknowledged or returned.
    pub decided_at: Option<DateTime<Utc>>,
    /// The superior's comment.
    pub decision_comment: Option<String>,
}

fn report_view(r: &UnitReport) -> ReportView {
    let (report, unit) = (&r.report, &r.unit);
    ReportView {
        id: report.id.as_uuid(),
        meeting_id: report.meeting_id.as_uuid(),
        unit: UnitRef::from(unit),
        parent_unit_id: report.parent_unit_id.as_uuid(),
        status: report.status.code().into(),
        sent_at: report.sent_at,
        late: report.late,
        month: report.month.clone(),
        summary: report.summary.clone(),
        decided_at: report.decided_at,
        decision_comment: report.decision_comment.clone(),
    }
}

fn who(caller: &Caller) -> Requester<'_> {
    Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() }
}

fn report_error(e: ReportError<ApiError>) -> ApiError {
    match e {
        ReportError::Forbidden => ApiError::Forbidden,
        ReportError::Request(e) => e,
        ReportError::Transition(e) => ApiError::Conflict { code: "invalid_transition", detail: e.to_string() },
        ReportError::NoSuperior => ApiError::Rule { code: "no_superior", detail: "the unit has no superior to report to".into() },
        ReportError::Decided(status) => {
            ApiError::Conflict { code: "report_decided", detail: format!("the report is already {}", status.code()) }
        }
        ReportError::Event(e) => ApiError::from(e),
        ReportError::Store(e) => ApiError::from(e),
    }
}

fn feed_error(e: FeedError) -> ApiError {
    match e {
        FeedError::NotAMember => ApiError::Forbidden,
        FeedError::UnknownToken => ApiError::Unauthenticated,
        FeedError::Store(e) => ApiError::from(e),
    }
}

/// Sends the meeting report to the superior unit in effect at the meeting date (the cell's
/// secretary or deputy, after the minutes are approved). Late after the 5th of the next month.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/report", tag = "meeting-reports", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 201, body = ReportView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn send(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let report = reports::send(&state.ctx(), who(&caller), MeetingId::from_uuid(id)).await.map_err(report_error)?;
    Ok((StatusCode::CREATED, axum::Json(report_view(&report))))
}

/// Acknowledges a report (secretaries and deputies of the superior unit or above, administrators).
#[utoipa::path(post, path = "/api/v1/meeting-reports/{id}/acknowledge", tag = "meeting-reports", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Report id")),
    responses((status = 200, body = ReportView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn acknowledge(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<ReportView>> {
    let report = reports::acknowledge(&state.ctx(), who(&caller), ReportId::from_uuid(id)).await.map_err(report_error)?;
    Ok(axum::Json(report_view(&report)))
}

/// A return for revision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// What to revise (1–2000 characters).
    #[schema(schema_with = return_comment_schema)]
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
    let comment = body.comment.trim().to_string();
    let comment = if comment.is_empty() || comment.chars().count() > RETURN_COMMENT_MAX_CHARS {
        Err(ApiError::field(
            "comment",
            if comment.is_empty() { "empty" } else { "too_long" },
            format!("1 to {RETURN_COMMENT_MAX_CHARS} characters"),
        ))
    } else {
        Ok(comment)
    };
    let report = reports::return_report(&state.ctx(), who(&caller), ReportId::from_uuid(id), comment).await.map_err(report_error)?;
    Ok(axum::Json(report_view(&report)))
}

/// Report list query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportsQuery {
    /// Month of the meetings, `YYYY-MM`.
    #[param(inline, value_type = Month, required = false)]
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
    let month = match &q.month {
        Some(m) if NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_err() => {
            Err(ApiError::BadRequest { code: "invalid_query", detail: "month must be YYYY-MM".into() })
        }
        m => Ok(m.clone()),
    };
    let reports = reports::list(&state.ctx(), &caller.actor, UnitId::from_uuid(unit), q.include_subtree.unwrap_or(false), month)
        .await
        .map_err(report_error)?;
    let count = |s: ReportStatus| u32::try_from(reports.iter().filter(|r| r.report.status == s).count()).unwrap_or(0);
    let (acknowledged, returned, submitted) =
        (count(ReportStatus::Acknowledged), count(ReportStatus::Returned), count(ReportStatus::Submitted));
    let total = u32::try_from(reports.len()).unwrap_or(0);
    let late = u32::try_from(reports.iter().filter(|r| r.report.late).count()).unwrap_or(0);
    // Each record is dropped once its view is built: a province's month is never held twice.
    let items: Vec<ReportView> = reports.into_iter().map(|r| report_view(&r)).collect();
    Ok(axum::Json(ReportList {
        items,
        total,
        acknowledged,
        returned,
        submitted,
        late,
        on_time_rate: if total == 0 { 1.0 } else { f64::from(total - late) / f64::from(total) },
    }))
}

/// Attendance history query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// From this date (default: one year ago).
    #[param(inline, value_type = CalendarDate, required = false)]
    pub from: Option<NaiveDate>,
    /// To this date, inclusive (default: today).
    #[param(inline, value_type = CalendarDate, required = false)]
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
    #[schema(value_type = RosterRoleCode)]
    pub role: String,
    /// Attendance status.
    #[schema(value_type = AttendanceStatusCode)]
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
    let dates = crate::views::check_query_dates(&[q.from, q.to]).map(|()| (q.from, q.to));
    let history = reports::member_history(&state.ctx(), &caller.actor, MemberId::from_uuid(id), dates).await.map_err(|e| match e {
        HistoryError::Forbidden => ApiError::Forbidden,
        HistoryError::Request(e) => e,
        HistoryError::Store(e) => ApiError::from(e),
    })?;
    let (rows, f) = (history.meetings, history.figures);
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
    let token = reports::calendar_token(&state.ctx(), &caller.actor).await.map_err(feed_error)?;
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
    let meetings = reports::feed(&state.ctx(), &q.token).await.map_err(feed_error)?;
    let now = state.clock.now();
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
