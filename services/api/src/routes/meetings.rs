//! Cell meetings: prepare (draft), edit with `If-Match`, publish, open (roster frozen, ledger
//! created), end, cancel; check-in and the attendance ledger; minutes, motions, votes, ratings.

use std::collections::HashMap;

use app::events::{Event, MeetingCancelled, MeetingOpened, MeetingPublished};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use meetings::attendance::{self, AttendanceStatus, CheckIn, CheckInRules, LedgerRow};
use meetings::content::{self, AgendaItem, Warning};
use meetings::lifecycle::{self, MeetingKind, MeetingStatus, ScheduledRegular, Transition};
use meetings::minutes::{self, Minutes, Tally, Vote};
use meetings::roster::{self, Candidate};
use meetings::{AgendaItemId, MeetingId, MotionId};
use membership::permission::Action;
use membership::{MemberId, UnitId};
use serde::{Deserialize, Serialize};
use storage::meetings::{AgendaRecord, MeetingQuery, MeetingRecord, MotionRecord};
use storage::members::{ListQuery, StandingFilter};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldIssue};
use crate::extract::{IfMatch, Json, Path, Query, etag};
use crate::routes::{audit, unit_path};
use crate::state::AppState;

// ---------------------------------------------------------------- views

/// One agenda item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemBody {
    /// Id of an existing item (keep it when editing so that its comments stay attached); absent
    /// for a new item.
    pub id: Option<Uuid>,
    /// Title, 1–300 characters.
    #[schema(example = "Đánh giá kết quả thực hiện nhiệm vụ tháng trước")]
    pub title: String,
    /// Description (plain text or Markdown), up to 20,000 characters.
    #[serde(default)]
    pub description: String,
    /// Presenter (name or role).
    pub presenter: Option<String>,
    /// Planned minutes (1–600).
    pub planned_minutes: Option<u32>,
}

/// Minutes as returned.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MinutesView {
    /// Body of the minutes (*biên bản*).
    pub text: String,
    /// Resolution (*nghị quyết*).
    pub resolution: String,
    /// Chair.
    pub chair_id: Option<Uuid>,
    /// Minutes-taker.
    pub minutes_taker_id: Option<Uuid>,
    /// Actual start.
    pub started_at: Option<DateTime<Utc>>,
    /// Actual end.
    pub ended_at: Option<DateTime<Utc>>,
}

/// Attendance figures over the members obliged to attend (guests are not counted).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiguresView {
    /// Members obliged to attend.
    pub obliged: u32,
    /// Present.
    pub present: u32,
    /// Late.
    pub late: u32,
    /// Absent with reason.
    pub absent_with_reason: u32,
    /// Absent without reason.
    pub absent_without_reason: u32,
    /// Guests (temporarily transferred in) who attended.
    pub guests_attended: u32,
    /// (present + late) / obliged.
    #[schema(example = 0.92)]
    pub attendance_rate: f64,
    /// More than half of the obliged official members attended.
    pub quorum: bool,
    /// Attendance rate above 85%.
    pub meets_quality: bool,
}

impl From<&attendance::Figures> for FiguresView {
    fn from(f: &attendance::Figures) -> Self {
        Self {
            obliged: f.obliged,
            present: f.present,
            late: f.late,
            absent_with_reason: f.absent_with_reason,
            absent_without_reason: f.absent_without_reason,
            guests_attended: f.guests_attended,
            attendance_rate: f.attendance_rate,
            quorum: f.quorum,
            meets_quality: f.meets_quality,
        }
    }
}

/// A meeting with its agenda.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingView {
    /// Id.
    pub id: Uuid,
    /// The cell holding it.
    pub unit_id: Uuid,
    /// `regular` (*thường kỳ*), `thematic` (*chuyên đề*), `extraordinary` (*bất thường*),
    /// `committee` (*chi ủy*).
    #[schema(example = "regular")]
    pub kind: String,
    /// A regular meeting combined with a thematic one (minimum 120 minutes instead of 90).
    pub combined_thematic: bool,
    /// Title.
    pub title: String,
    /// `draft`, `published`, `open`, `ended`, `minutes_approved`, `reported`, `acknowledged`,
    /// `cancelled`.
    #[schema(example = "published")]
    pub status: String,
    /// Scheduled start.
    pub starts_at: DateTime<Utc>,
    /// Planned duration in minutes.
    pub planned_minutes: u32,
    /// Place.
    pub location: Option<String>,
    /// Online link.
    pub online_link: Option<String>,
    /// Preparation notes for members.
    pub notes: String,
    /// Version, also sent as `ETag`; send it back in `If-Match` when editing.
    pub version: i32,
    /// Published less than 24 hours before the start.
    pub late_publication: bool,
    /// The secretary confirmed a duration below the minimum.
    pub short_duration_confirmed: bool,
    /// Publication time.
    pub published_at: Option<DateTime<Utc>>,
    /// Opening time.
    pub opened_at: Option<DateTime<Utc>>,
    /// End time.
    pub ended_at: Option<DateTime<Utc>>,
    /// Cancellation time.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Cancellation reason.
    pub cancel_reason: Option<String>,
    /// Agenda, in order.
    pub agenda: Vec<AgendaItemBody>,
    /// Minutes, once written.
    pub minutes: Option<MinutesView>,
    /// Approval of the minutes (locks minutes and ledger).
    pub minutes_approved_at: Option<DateTime<Utc>>,
}

fn meeting_view(m: &MeetingRecord, agenda: &[AgendaRecord]) -> MeetingView {
    MeetingView {
        id: m.id.as_uuid(),
        unit_id: m.unit_id.as_uuid(),
        kind: m.kind.code().into(),
        combined_thematic: m.combined_thematic,
        title: m.title.clone(),
        status: m.status.code().into(),
        starts_at: m.starts_at,
        planned_minutes: m.planned_minutes,
        location: m.location.clone(),
        online_link: m.online_link.clone(),
        notes: m.notes.clone(),
        version: m.version,
        late_publication: m.late_publication,
        short_duration_confirmed: m.short_duration_confirmed,
        published_at: m.published_at,
        opened_at: m.opened_at,
        ended_at: m.ended_at,
        cancelled_at: m.cancelled_at,
        cancel_reason: m.cancel_reason.clone(),
        agenda: agenda
            .iter()
            .map(|a| AgendaItemBody {
                id: Some(a.id.as_uuid()),
                title: a.item.title.clone(),
                description: a.item.description.clone(),
                presenter: a.item.presenter.clone(),
                planned_minutes: a.item.planned_minutes,
            })
            .collect(),
        minutes: m.minutes.as_ref().map(|x| MinutesView {
            text: x.text.clone(),
            resolution: x.resolution.clone(),
            chair_id: x.chair.map(|c| c.as_uuid()),
            minutes_taker_id: x.secretary.map(|c| c.as_uuid()),
            started_at: x.started_at,
            ended_at: x.ended_at,
        }),
        minutes_approved_at: m.minutes_approved_at,
    }
}

async fn respond(state: &AppState, m: &MeetingRecord, status: StatusCode) -> ApiResult<impl IntoResponse + use<>> {
    let agenda = storage::meetings::agenda(state.db.conn(), m.id).await?;
    Ok((status, [(header::ETAG, etag(m.version))], axum::Json(meeting_view(m, &agenda))))
}

fn transition_error(e: lifecycle::InvalidTransition) -> ApiError {
    ApiError::Conflict { code: "invalid_transition", detail: e.to_string() }
}

// ---------------------------------------------------------------- access

/// What the caller may do with a meeting's unit.
pub(crate) struct Access {
    pub path: Vec<UnitId>,
    pub manage: bool,
}

/// Loads the meeting and checks that the caller may see it (drafts: the cell's secretary/deputy,
/// committee members and leaders above; otherwise: members of the cell, guests temporarily
/// transferred in, leaders above, administrators).
pub(crate) async fn visible_meeting(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<(MeetingRecord, Access)> {
    let meeting = storage::meetings::get(state.db.conn(), MeetingId::from_uuid(id)).await?;
    let path = unit_path(&state.db, meeting.unit_id).await?;
    let manage = caller.may(Action::ManageMeetings, &path);
    let visible = if meeting.status.visible_to_members() {
        caller.may(Action::ViewMeetings, &path) || is_guest(state, caller, meeting.unit_id).await?
    } else {
        manage || caller.may(Action::ViewMemberPrivate, &path)
    };
    if !visible {
        return Err(ApiError::Forbidden);
    }
    Ok((meeting, Access { path, manage }))
}

async fn is_guest(state: &AppState, caller: &Caller, unit: UnitId) -> ApiResult<bool> {
    let Some(member) = caller.actor.member_id else { return Ok(false) };
    let record = storage::members::get(state.db.conn(), member).await?;
    Ok(record.state.standing.is_active() && record.state.temporary_host == Some(unit))
}

fn require_manage(access: &Access) -> ApiResult<()> {
    if access.manage { Ok(()) } else { Err(ApiError::Forbidden) }
}

/// The outbox row of a meeting event, written at `now`.
fn outbox(event: Event, now: DateTime<Utc>) -> Result<storage::outbox::OutboxEvent, ApiError> {
    Ok(event.to_outbox(now)?)
}

// ---------------------------------------------------------------- create, read, edit

/// A new meeting (draft).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMeeting {
    /// `regular`, `thematic`, `extraordinary` or `committee`.
    #[schema(example = "regular")]
    pub kind: String,
    /// Title, 1–300 characters.
    #[schema(example = "Sinh hoạt chi bộ thường kỳ tháng 12/2026")]
    pub title: String,
    /// Scheduled start (RFC 3339).
    pub starts_at: DateTime<Utc>,
    /// Planned duration in minutes (15–600; below 90 for a regular meeting, or 120 when combined
    /// with a thematic one, needs confirmation at publication).
    #[schema(example = 90)]
    pub planned_minutes: u32,
    /// A regular meeting combined with a thematic one.
    #[serde(default)]
    pub combined_thematic: bool,
    /// Place.
    pub location: Option<String>,
    /// Online link.
    pub online_link: Option<String>,
    /// Preparation notes for members.
    #[serde(default)]
    pub notes: String,
    /// Agenda; if absent and `use_template` is true, the standard regular-meeting agenda.
    #[serde(default)]
    pub agenda: Vec<AgendaItemBody>,
    /// Start from the standard agenda (last month's results, this month's tasks, other matters).
    #[serde(default)]
    pub use_template: bool,
}

fn parse_agenda(items: &[AgendaItemBody], existing: &[AgendaRecord]) -> Result<Vec<AgendaRecord>, ApiError> {
    let raw: Vec<AgendaItem> = items
        .iter()
        .map(|i| AgendaItem {
            title: i.title.clone(),
            description: i.description.clone(),
            presenter: i.presenter.clone(),
            planned_minutes: i.planned_minutes,
        })
        .collect();
    let parsed = content::parse_agenda(&raw).map_err(|errs| {
        ApiError::Validation(
            errs.iter().map(|e| FieldIssue::new(format!("agenda[{}].{}", e.index, e.field), e.error.code(), e.error.to_string())).collect(),
        )
    })?;
    let mut issues = Vec::new();
    let mut out = Vec::new();
    for (index, (item, body)) in parsed.into_iter().zip(items).enumerate() {
        let id = match body.id {
            Some(id) if existing.iter().any(|e| e.id.as_uuid() == id) => AgendaItemId::from_uuid(id),
            Some(_) => {
                issues.push(FieldIssue::new(format!("agenda[{index}].id"), "not_found", "not an item of this meeting"));
                continue;
            }
            None => AgendaItemId::from_uuid(Uuid::now_v7()),
        };
        out.push(AgendaRecord { id, position: i32::try_from(index).unwrap_or(i32::MAX), item });
    }
    if issues.is_empty() { Ok(out) } else { Err(ApiError::Validation(issues)) }
}

fn text_field(raw: &str, field: &str, max: usize, issues: &mut Vec<FieldIssue>) -> Option<String> {
    let text = membership::fields::normalize_text(raw);
    if text.is_empty() {
        issues.push(FieldIssue::new(field, "empty", "must not be empty"));
        None
    } else if text.chars().count() > max {
        issues.push(FieldIssue::new(field, "too_long", format!("at most {max} characters")));
        None
    } else {
        Some(text)
    }
}

fn optional_text(raw: Option<&str>, field: &str, max: usize, issues: &mut Vec<FieldIssue>) -> Option<String> {
    let text = raw.map(membership::fields::normalize_text).filter(|t| !t.is_empty())?;
    if text.chars().count() > max {
        issues.push(FieldIssue::new(field, "too_long", format!("at most {max} characters")));
        return None;
    }
    Some(text)
}

async fn check_monthly(
    state: &AppState,
    unit: UnitId,
    this: Option<MeetingId>,
    kind: MeetingKind,
    starts_at: DateTime<Utc>,
) -> ApiResult<()> {
    if kind != MeetingKind::Regular {
        return Ok(());
    }
    let window = Duration::days(40);
    let existing: Vec<ScheduledRegular> = storage::meetings::regular_between(state.db.conn(), unit, starts_at - window, starts_at + window)
        .await?
        .iter()
        .map(|m| ScheduledRegular { id: m.id, starts_at: m.starts_at })
        .collect();
    lifecycle::check_monthly_regular(&existing, this, starts_at).map_err(|clash| ApiError::Conflict {
        code: "regular_meeting_exists",
        detail: format!("the cell already has a regular meeting this month ({clash})"),
    })
}

/// The guarantee behind [`check_monthly`]: when two writes race past the check into the same
/// month, the database's `ux_meetings_regular_month` refuses the later one, and it gets the same
/// 409 `regular_meeting_exists`. Every other storage error maps as usual.
fn regular_month_taken(err: storage::StoreError) -> ApiError {
    match err {
        storage::StoreError::Conflict { constraint: storage::Constraint::RegularMeetingMonth } => {
            ApiError::Conflict { code: "regular_meeting_exists", detail: "the cell already has a regular meeting this month".into() }
        }
        other => ApiError::from(other),
    }
}

/// Prepares a meeting (draft) in a cell: its own secretary or deputy only.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/meetings", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Cell id")), request_body = CreateMeeting,
    responses((status = 201, body = MeetingView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Json(body): Json<CreateMeeting>,
) -> ApiResult<impl IntoResponse> {
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    caller.require(Action::ManageMeetings, &path)?;
    let mut issues = Vec::new();
    crate::views::check_dates(&[("starts_at", Some(body.starts_at.date_naive()))])?;
    let kind = MeetingKind::parse(&body.kind);
    if kind.is_none() {
        issues.push(FieldIssue::new("kind", "not_allowed", "regular, thematic, extraordinary or committee"));
    }
    let title = text_field(&body.title, "title", 300, &mut issues);
    if let Err(e) = content::check_duration(body.planned_minutes) {
        issues.push(FieldIssue::new("planned_minutes", e.code(), e.to_string()));
    }
    let location = optional_text(body.location.as_deref(), "location", 300, &mut issues);
    let online_link = optional_text(body.online_link.as_deref(), "online_link", 500, &mut issues);
    if body.notes.chars().count() > 20_000 {
        issues.push(FieldIssue::new("notes", "too_long", "at most 20000 characters"));
    }
    if body.combined_thematic && kind != Some(MeetingKind::Regular) {
        issues.push(FieldIssue::new("combined_thematic", "not_allowed", "only a regular meeting can be combined with a thematic one"));
    }
    let agenda_input: Vec<AgendaItemBody> = if body.agenda.is_empty() && body.use_template {
        content::regular_template()
            .into_iter()
            .map(|i| AgendaItemBody {
                id: None,
                title: i.title,
                description: i.description,
                presenter: i.presenter,
                planned_minutes: i.planned_minutes,
            })
            .collect()
    } else {
        body.agenda.clone()
    };
    if agenda_input.iter().any(|a| a.id.is_some()) {
        issues.push(FieldIssue::new("agenda", "not_allowed", "new agenda items have no id"));
    }
    let (Some(kind), Some(title)) = (kind, title) else { return Err(ApiError::Validation(issues)) };
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    let agenda = parse_agenda(&agenda_input, &[])?;
    check_monthly(&state, unit, None, kind, body.starts_at).await?;
    let meeting = MeetingRecord {
        id: MeetingId::from_uuid(Uuid::now_v7()),
        unit_id: unit,
        kind,
        combined_thematic: body.combined_thematic,
        title,
        status: MeetingStatus::Draft,
        starts_at: body.starts_at,
        planned_minutes: body.planned_minutes,
        location,
        online_link,
        notes: body.notes.trim().to_string(),
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
        created_by: Some(caller.account.id),
        created_at: caller.now,
        updated_at: caller.now,
    };
    let tx = state.db.begin().await?;
    storage::meetings::insert(tx.conn(), &meeting, &agenda).await.map_err(regular_month_taken)?;
    audit(
        &tx,
        &caller,
        "meeting.create",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(unit),
        serde_json::json!({"title": meeting.title, "kind": kind.code()}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, [(header::ETAG, etag(meeting.version))], axum::Json(meeting_view(&meeting, &agenda))))
}

/// A meeting with its agenda (`ETag` = version).
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingView, headers(("ETag" = String, description = "Version of the meeting (`\"3\"`), for `If-Match`"))), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (meeting, _) = visible_meeting(&state, &caller, id).await?;
    respond(&state, &meeting, StatusCode::OK).await
}

fn some<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Changes to a draft or published meeting. Absent fields are kept; `null` clears optional ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeeting {
    /// Title.
    pub title: Option<String>,
    /// Scheduled start.
    pub starts_at: Option<DateTime<Utc>>,
    /// Planned minutes.
    pub planned_minutes: Option<u32>,
    /// Combined with a thematic meeting.
    pub combined_thematic: Option<bool>,
    /// Place (`null` clears).
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    pub location: Option<Option<String>>,
    /// Online link (`null` clears).
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    pub online_link: Option<Option<String>>,
    /// Notes.
    pub notes: Option<String>,
    /// The whole agenda, in order (keep ids of items that stay).
    pub agenda: Option<Vec<AgendaItemBody>>,
}

/// Edits a draft or published meeting (its own secretary or deputy). `If-Match` with the `ETag`
/// of the version being edited is required ([`IfMatch`]): 428 without it or with `*`, 400 when
/// malformed, 412 when stale.
#[utoipa::path(patch, path = "/api/v1/meetings/{id}", tag = "meetings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Meeting id"), IfMatch), request_body = UpdateMeeting,
    responses((status = 200, body = MeetingView, headers(("ETag" = String, description = "The new version, for the next `If-Match`"))), (status = 400, body = crate::error::Problem, content_type = "application/problem+json", description = "`invalid_if_match`: malformed `If-Match`"), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 412, body = crate::error::Problem, content_type = "application/problem+json", description = "`precondition_failed`: `If-Match` is not the current version"), (status = 422, body = crate::error::Problem), (status = 428, body = crate::error::Problem, content_type = "application/problem+json", description = "`precondition_required`: `If-Match` missing or `*`")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    Json(body): Json<UpdateMeeting>,
) -> ApiResult<impl IntoResponse> {
    let (mut meeting, access) = visible_meeting(&state, &caller, id).await?;
    require_manage(&access)?;
    let version = if_match.matching(meeting.version)?;
    if !meeting.status.content_editable() {
        return Err(ApiError::Conflict {
            code: "meeting_locked",
            detail: format!("a {} meeting can no longer be edited", meeting.status.code()),
        });
    }
    let mut issues = Vec::new();
    crate::views::check_dates(&[("starts_at", body.starts_at.map(|s| s.date_naive()))])?;
    if let Some(t) = &body.title {
        meeting.title = text_field(t, "title", 300, &mut issues).unwrap_or_default();
    }
    if let Some(m) = body.planned_minutes {
        if let Err(e) = content::check_duration(m) {
            issues.push(FieldIssue::new("planned_minutes", e.code(), e.to_string()));
        }
        meeting.planned_minutes = m;
    }
    if let Some(c) = body.combined_thematic {
        if c && meeting.kind != MeetingKind::Regular {
            issues.push(FieldIssue::new("combined_thematic", "not_allowed", "only a regular meeting can be combined with a thematic one"));
        }
        meeting.combined_thematic = c;
    }
    if let Some(l) = &body.location {
        meeting.location = optional_text(l.as_deref(), "location", 300, &mut issues);
    }
    if let Some(l) = &body.online_link {
        meeting.online_link = optional_text(l.as_deref(), "online_link", 500, &mut issues);
    }
    if let Some(n) = &body.notes {
        if n.chars().count() > 20_000 {
            issues.push(FieldIssue::new("notes", "too_long", "at most 20000 characters"));
        }
        meeting.notes = n.trim().to_string();
    }
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    let existing = storage::meetings::agenda(state.db.conn(), meeting.id).await?;
    let agenda = body.agenda.as_ref().map(|a| parse_agenda(a, &existing)).transpose()?;
    if let Some(starts_at) = body.starts_at {
        check_monthly(&state, meeting.unit_id, Some(meeting.id), meeting.kind, starts_at).await?;
        meeting.starts_at = starts_at;
    }
    meeting.updated_at = caller.now;
    if meeting.status == MeetingStatus::Published {
        let hours = (meeting.starts_at - meeting.published_at.unwrap_or(caller.now)).num_hours();
        meeting.late_publication = hours < content::PUBLISH_NOTICE_HOURS;
    }
    let tx = state.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await.map_err(regular_month_taken)?;
    if let Some(agenda) = &agenda {
        storage::meetings::replace_agenda(tx.conn(), meeting.id, agenda).await.map_err(|e| match e {
            storage::StoreError::Conflict { .. } => {
                ApiError::Conflict { code: "agenda_item_has_comments", detail: "an agenda item with comments cannot be removed".into() }
            }
            other => ApiError::from(other),
        })?;
    }
    audit(
        &tx,
        &caller,
        "meeting.update",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"version": version + 1}),
    )
    .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    respond(&state, &meeting, StatusCode::OK).await
}

/// Meeting list query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Meetings starting on or after this date (Vietnam).
    pub from: Option<NaiveDate>,
    /// Meetings starting before the end of this date (Vietnam).
    pub to: Option<NaiveDate>,
    /// Comma-separated statuses.
    pub status: Option<String>,
    /// Include every unit under this one.
    pub include_subtree: Option<bool>,
    /// At most this many (1–500, default 100).
    pub limit: Option<u64>,
}

fn vn_midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).and_then(|dt| dt.checked_sub_signed(Duration::hours(7))).map_or(DateTime::<Utc>::MIN_UTC, |dt| dt.and_utc())
}

/// A unit's meetings by start time. Drafts are listed only to those who may see them.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/meetings", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id"), ListParams),
    responses((status = 200, body = Vec<MeetingView>), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Query(q): Query<ListParams>,
) -> ApiResult<axum::Json<Vec<MeetingView>>> {
    crate::views::check_query_dates(&[q.from, q.to])?;
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    if !caller.may(Action::ViewMeetings, &path) && !is_guest(&state, &caller, unit).await? {
        return Err(ApiError::Forbidden);
    }
    let statuses = match &q.status {
        None => Vec::new(),
        Some(s) => s
            .split(',')
            .map(|code| {
                MeetingStatus::parse(code.trim())
                    .ok_or(ApiError::BadRequest { code: "invalid_query", detail: format!("unknown status {code}") })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let limit = match q.limit {
        None => 100,
        Some(n @ 1..=500) => n,
        Some(_) => return Err(ApiError::BadRequest { code: "invalid_query", detail: "limit must be between 1 and 500".into() }),
    };
    let query = MeetingQuery {
        unit,
        include_subtree: q.include_subtree.unwrap_or(false),
        from: q.from.map(vn_midnight),
        to: q.to.and_then(|d| d.checked_add_signed(Duration::days(1))).map(vn_midnight),
        statuses,
        limit,
    };
    let rows = storage::meetings::list(state.db.conn(), &query).await?;
    let mut out = Vec::new();
    let mut paths: HashMap<UnitId, Vec<UnitId>> = HashMap::new();
    for m in rows {
        if m.status == MeetingStatus::Draft {
            let p = match paths.get(&m.unit_id) {
                Some(p) => p.clone(),
                None => {
                    let p = storage::units::path(state.db.conn(), m.unit_id).await?;
                    paths.insert(m.unit_id, p.clone());
                    p
                }
            };
            if !(caller.may(Action::ManageMeetings, &p) || caller.may(Action::ViewMemberPrivate, &p)) {
                continue;
            }
        }
        let agenda = storage::meetings::agenda(state.db.conn(), m.id).await?;
        out.push(meeting_view(&m, &agenda));
    }
    Ok(axum::Json(out))
}

// ---------------------------------------------------------------- transitions

/// Publication options.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// Confirms a planned duration below the minimum (90 min regular, 120 combined).
    #[serde(default)]
    pub confirm_short_duration: bool,
}

/// The result of publishing: the meeting and the warnings that applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishResult {
    /// The meeting.
    pub meeting: MeetingView,
    /// Warnings: `short_duration` (confirmed), `late_publication` (less than 24 h before the
    /// start; recorded on the meeting), `empty_agenda`.
    pub warnings: Vec<String>,
}

/// Publishes the content to the members (writes a `meeting.published` outbox event). A duration
/// below the minimum is refused (422 `short_duration_unconfirmed`) unless confirmed.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/publish", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")), request_body = PublishBody,
    responses((status = 200, body = PublishResult), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    raw: axum::body::Bytes,
) -> ApiResult<axum::Json<PublishResult>> {
    // The body is optional: an empty body publishes without confirmations.
    let body: PublishBody =
        if raw.iter().all(u8::is_ascii_whitespace) { PublishBody::default() } else { crate::extract::parse_json(&raw)? };
    let (mut meeting, access) = visible_meeting(&state, &caller, id).await?;
    require_manage(&access)?;
    let next = lifecycle::transition(meeting.status, Transition::Publish).map_err(transition_error)?;
    let agenda = storage::meetings::agenda(state.db.conn(), meeting.id).await?;
    let warnings = content::publication_warnings(
        meeting.kind,
        meeting.combined_thematic,
        meeting.planned_minutes,
        agenda.len(),
        meeting.starts_at,
        caller.now,
    );
    if let Some(Warning::ShortDuration { minimum, planned }) = warnings.iter().find(|w| w.needs_confirmation())
        && !body.confirm_short_duration
    {
        return Err(ApiError::Rule {
            code: "short_duration_unconfirmed",
            detail: format!("planned {planned} minutes, minimum {minimum}: publish again with confirm_short_duration"),
        });
    }
    let version = meeting.version;
    meeting.status = next;
    meeting.published_at = Some(caller.now);
    meeting.late_publication = warnings.iter().any(|w| matches!(w, Warning::LatePublication { .. }));
    meeting.short_duration_confirmed = warnings.iter().any(Warning::needs_confirmation);
    meeting.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    storage::outbox::push(
        tx.conn(),
        &outbox(
            Event::MeetingPublished(MeetingPublished {
                meeting_id: meeting.id.as_uuid(),
                unit_id: meeting.unit_id.as_uuid(),
                title: meeting.title.clone(),
                starts_at: meeting.starts_at,
                late_publication: meeting.late_publication,
            }),
            caller.now,
        )?,
    )
    .await?;
    let codes: Vec<String> = warnings.iter().map(|w| w.code().to_string()).collect();
    audit(
        &tx,
        &caller,
        "meeting.publish",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"warnings": codes}),
    )
    .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    Ok(axum::Json(PublishResult { meeting: meeting_view(&meeting, &agenda), warnings: codes }))
}

async fn roster_candidates(state: &AppState, cell: UnitId) -> ApiResult<Vec<Candidate>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = storage::members::list(
            state.db.conn(),
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
#[utoipa::path(post, path = "/api/v1/meetings/{id}/open", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn open(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (mut meeting, access) = visible_meeting(&state, &caller, id).await?;
    require_manage(&access)?;
    let next = lifecycle::transition(meeting.status, Transition::Open).map_err(transition_error)?;
    let candidates = roster_candidates(&state, meeting.unit_id).await?;
    let date = membership::time::local_date(meeting.starts_at);
    let ledger = attendance::open_ledger(&roster::roster(meeting.unit_id, date, &candidates));
    let version = meeting.version;
    meeting.status = next;
    meeting.opened_at = Some(caller.now);
    meeting.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    storage::meetings::insert_ledger(tx.conn(), meeting.id, &ledger).await?;
    let opened = Event::MeetingOpened(MeetingOpened {
        meeting_id: meeting.id.as_uuid(),
        unit_id: meeting.unit_id.as_uuid(),
        title: meeting.title.clone(),
        starts_at: meeting.starts_at,
    });
    storage::outbox::push(tx.conn(), &outbox(opened, caller.now)?).await?;
    audit(
        &tx,
        &caller,
        "meeting.open",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"roster": ledger.len()}),
    )
    .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    respond(&state, &meeting, StatusCode::OK).await
}

/// Ends the meeting.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/end", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn end(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (mut meeting, access) = visible_meeting(&state, &caller, id).await?;
    require_manage(&access)?;
    let next = lifecycle::transition(meeting.status, Transition::End).map_err(transition_error)?;
    let version = meeting.version;
    meeting.status = next;
    meeting.ended_at = Some(caller.now);
    meeting.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    audit(&tx, &caller, "meeting.end", ("meeting", Some(meeting.id.as_uuid())), Some(meeting.unit_id), serde_json::json!({})).await?;
    tx.commit().await?;
    meeting.version = version + 1;
    respond(&state, &meeting, StatusCode::OK).await
}

/// Cancellation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why (1–1000 characters).
    pub reason: String,
}

/// Cancels a draft or published meeting, with a reason (writes `meeting.cancelled` if it had
/// been published).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/cancel", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")), request_body = CancelBody,
    responses((status = 200, body = MeetingView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<CancelBody>,
) -> ApiResult<impl IntoResponse> {
    let (mut meeting, access) = visible_meeting(&state, &caller, id).await?;
    require_manage(&access)?;
    let mut issues = Vec::new();
    let reason = text_field(&body.reason, "reason", 1000, &mut issues).ok_or(ApiError::Validation(issues))?;
    let was_published = meeting.status == MeetingStatus::Published;
    let next = lifecycle::transition(meeting.status, Transition::Cancel).map_err(transition_error)?;
    let version = meeting.version;
    meeting.status = next;
    meeting.cancelled_at = Some(caller.now);
    meeting.cancel_reason = Some(reason.clone());
    meeting.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    if was_published {
        let cancelled = Event::MeetingCancelled(MeetingCancelled {
            meeting_id: meeting.id.as_uuid(),
            unit_id: meeting.unit_id.as_uuid(),
            title: meeting.title.clone(),
            starts_at: meeting.starts_at,
            reason: reason.clone(),
        });
        storage::outbox::push(tx.conn(), &outbox(cancelled, caller.now)?).await?;
    }
    audit(
        &tx,
        &caller,
        "meeting.cancel",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    respond(&state, &meeting, StatusCode::OK).await
}

// ---------------------------------------------------------------- attendance

/// One ledger row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttendanceRowView {
    /// The member.
    pub member_id: Uuid,
    /// Name.
    pub full_name: String,
    /// `obliged` (counted) or `guest` (temporarily transferred in, not counted).
    #[schema(example = "obliged")]
    pub role: String,
    /// Official member (counts for the quorum).
    pub official: bool,
    /// `present`, `late`, `absent_with_reason`, `absent_without_reason`.
    #[schema(example = "present")]
    pub status: String,
    /// First check-in time.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Reason of an absence or a correction.
    pub reason: Option<String>,
}

/// The ledger and its figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceView {
    /// Rows, by name.
    pub rows: Vec<AttendanceRowView>,
    /// Figures.
    pub figures: FiguresView,
}

async fn attendance_view(state: &AppState, meeting: MeetingId) -> ApiResult<AttendanceView> {
    let ledger = storage::meetings::ledger(state.db.conn(), meeting).await?;
    let ids: Vec<MemberId> = ledger.iter().map(|r| r.member_id).collect();
    let names: HashMap<MemberId, String> =
        storage::members::get_many(state.db.conn(), &ids).await?.into_iter().map(|m| (m.id, m.full_name.as_str().to_string())).collect();
    let mut rows: Vec<AttendanceRowView> = ledger
        .iter()
        .map(|r| AttendanceRowView {
            member_id: r.member_id.as_uuid(),
            full_name: names.get(&r.member_id).cloned().unwrap_or_default(),
            role: r.role.code().into(),
            official: r.official,
            status: r.status.code().into(),
            checked_in_at: r.checked_in_at,
            reason: r.reason.clone(),
        })
        .collect();
    rows.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok(AttendanceView { rows, figures: FiguresView::from(&attendance::figures(&ledger)) })
}

/// Check-in result.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInResult {
    /// `present` or `late`.
    pub status: String,
    /// First check-in time (a retry returns the same time).
    pub checked_in_at: Option<DateTime<Utc>>,
    /// False when the member had already checked in (or a leader had recorded it).
    pub recorded: bool,
}

/// Checks the caller in (*điểm danh*) during the window: from 30 minutes before the start to the
/// planned end. Idempotent: retries return the first check-in unchanged.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/check-in", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = CheckInResult), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn check_in(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<CheckInResult>> {
    let (meeting, _) = visible_meeting(&state, &caller, id).await?;
    let member = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    if meeting.status != MeetingStatus::Open {
        return Err(ApiError::Conflict { code: "meeting_not_open", detail: format!("the meeting is {}", meeting.status.code()) });
    }
    let row = storage::meetings::ledger_row(state.db.conn(), meeting.id, member).await?;
    let decision = attendance::check_in(row.as_ref(), meeting.starts_at, meeting.planned_minutes, CheckInRules::default(), caller.now)
        .map_err(|e| match e {
            attendance::CheckInError::NotOnRoster => ApiError::Forbidden,
            other => ApiError::Rule { code: other.code(), detail: other.to_string() },
        })?;
    match decision {
        CheckIn::Unchanged(r) => {
            Ok(axum::Json(CheckInResult { status: r.status.code().into(), checked_in_at: r.checked_in_at, recorded: false }))
        }
        CheckIn::Recorded(r) => {
            // The attendance and its points commit together.
            let tx = state.db.begin().await?;
            let recorded = storage::meetings::record_check_in(tx.conn(), meeting.id, &r, caller.now).await?;
            if recorded {
                app::study::award_activity(&tx, member, study_points::ledger::Reason::MeetingAttendance, meeting.id.as_uuid(), caller.now)
                    .await?;
            }
            tx.commit().await?;
            // A concurrent retry may have won the race: report the stored row.
            let stored = storage::meetings::ledger_row(state.db.conn(), meeting.id, member).await?.ok_or(ApiError::NotFound)?;
            Ok(axum::Json(CheckInResult { status: stored.status.code().into(), checked_in_at: stored.checked_in_at, recorded }))
        }
    }
}

/// A correction of one ledger row by the secretary or deputy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceBody {
    /// `present`, `late`, `absent_with_reason`, `absent_without_reason`.
    pub status: String,
    /// Why (required; kept in the ledger and the audit log).
    pub reason: String,
}

/// Records or corrects one member's attendance (the cell's secretary or deputy), while the
/// meeting is open or ended and the minutes are not approved.
#[utoipa::path(put, path = "/api/v1/meetings/{id}/attendance/{member_id}", tag = "meetings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Meeting id"), ("member_id" = Uuid, Path, description = "Member id")), request_body = AttendanceBody,
    responses((status = 200, body = AttendanceRowView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn set_attendance(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, member_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<AttendanceBody>,
) -> ApiResult<axum::Json<AttendanceRowView>> {
    let (meeting, access) = visible_meeting(&state, &caller, id).await?;
    require_manage(&access)?;
    if !meeting.status.ledger_editable() {
        return Err(ApiError::Conflict {
            code: "ledger_locked",
            detail: format!("the ledger of a {} meeting cannot be changed", meeting.status.code()),
        });
    }
    let mut issues = Vec::new();
    let status = AttendanceStatus::parse(&body.status);
    if status.is_none() {
        issues.push(FieldIssue::new("status", "not_allowed", "present, late, absent_with_reason or absent_without_reason"));
    }
    let reason = text_field(&body.reason, "reason", 1000, &mut issues);
    let (Some(status), Some(reason)) = (status, reason) else { return Err(ApiError::Validation(issues)) };
    let member = MemberId::from_uuid(member_id);
    let current = storage::meetings::ledger_row(state.db.conn(), meeting.id, member).await?.ok_or(ApiError::NotFound)?;
    let checked_in_at = if status.attended() { current.checked_in_at.or(Some(caller.now)) } else { None };
    let row = LedgerRow { status, checked_in_at, reason: Some(reason.clone()), ..current.clone() };
    let tx = state.db.begin().await?;
    storage::meetings::set_row(tx.conn(), meeting.id, &row, caller.account.id, caller.now).await?;
    audit(
        &tx,
        &caller,
        "meeting.attendance",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"member_id": member_id, "from": current.status.code(), "to": status.code(), "reason": reason}),
    )
    .await?;
    if status.attended() {
        app::study::award_activity(&tx, member, study_points::ledger::Reason::MeetingAttendance, meeting.id.as_uuid(), caller.now).await?;
    }
    tx.commit().await?;
    let name = storage::members::get(state.db.conn(), member).await?.full_name.as_str().to_string();
    Ok(axum::Json(AttendanceRowView {
        member_id,
        full_name: name,
        role: row.role.code().into(),
        official: row.official,
        status: row.status.code().into(),
        checked_in_at: row.checked_in_at,
        reason: row.reason,
    }))
}

/// The attendance ledger with its figures (anyone who may see the meeting).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/attendance", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = AttendanceView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get_attendance(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<AttendanceView>> {
    let (meeting, _) = visible_meeting(&state, &caller, id).await?;
    Ok(axum::Json(attendance_view(&state, meeting.id).await?))
}

// ---------------------------------------------------------------- minutes, motions, ratings

/// Minutes to store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesBody {
    /// Body of the minutes (up to 100,000 characters).
    pub text: String,
    /// Resolution text.
    #[serde(default)]
    pub resolution: String,
    /// Chair (a member who attended).
    pub chair_id: Option<Uuid>,
    /// Minutes-taker (a member who attended).
    pub minutes_taker_id: Option<Uuid>,
    /// Actual start.
    pub started_at: Option<DateTime<Utc>>,
    /// Actual end.
    pub ended_at: Option<DateTime<Utc>>,
}

fn minutes_error(e: minutes::MinutesError) -> ApiError {
    match e {
        minutes::MinutesError::Text { field, error } => ApiError::field(field, error.code(), error.to_string()),
        minutes::MinutesError::EndBeforeStart => ApiError::field("ended_at", "end_before_start", e.to_string()),
        minutes::MinutesError::NotAttending { field } => {
            ApiError::field(if field == "chair" { "chair_id" } else { "minutes_taker_id" }, "not_attending", e.to_string())
        }
    }
}

/// Writes the minutes (the cell's secretary or deputy; open or ended meetings, until approved).
#[utoipa::path(put, path = "/api/v1/meetings/{id}/minutes", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")), request_body = MinutesBody,
    responses((status = 200, body = MeetingView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_minutes(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<MinutesBody>,
) -> ApiResult<impl IntoResponse> {
    let (mut meeting, access) = visible_meeting(&state, &caller, id).await?;
    require_manage(&access)?;
    if !meeting.status.minutes_editable() {
        return Err(ApiError::Conflict {
            code: "minutes_locked",
            detail: format!("minutes of a {} meeting cannot be changed", meeting.status.code()),
        });
    }
    let ledger = storage::meetings::ledger(state.db.conn(), meeting.id).await?;
    let m = Minutes {
        text: body.text.trim().to_string(),
        resolution: body.resolution.trim().to_string(),
        chair: body.chair_id.map(MemberId::from_uuid),
        secretary: body.minutes_taker_id.map(MemberId::from_uuid),
        started_at: body.started_at,
        ended_at: body.ended_at,
    };
    minutes::check_minutes(&m, |who| ledger.iter().any(|r| r.member_id == who && r.status.attended())).map_err(minutes_error)?;
    let version = meeting.version;
    meeting.minutes = Some(m);
    meeting.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    audit(&tx, &caller, "meeting.minutes", ("meeting", Some(meeting.id.as_uuid())), Some(meeting.unit_id), serde_json::json!({})).await?;
    tx.commit().await?;
    meeting.version = version + 1;
    respond(&state, &meeting, StatusCode::OK).await
}

/// Approves the minutes: minutes, ledger and opinions are locked.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/minutes/approve", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn approve_minutes(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (mut meeting, access) = visible_meeting(&state, &caller, id).await?;
    require_manage(&access)?;
    let next = lifecycle::transition(meeting.status, Transition::ApproveMinutes).map_err(transition_error)?;
    minutes::check_approvable(meeting.minutes.as_ref())
        .map_err(|_| ApiError::Rule { code: "minutes_missing", detail: "write the minutes before approving them".into() })?;
    let version = meeting.version;
    meeting.status = next;
    meeting.minutes_approved_at = Some(caller.now);
    meeting.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    audit(&tx, &caller, "meeting.approve_minutes", ("meeting", Some(meeting.id.as_uuid())), Some(meeting.unit_id), serde_json::json!({}))
        .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    respond(&state, &meeting, StatusCode::OK).await
}

/// A motion put to the vote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MotionBody {
    /// What is voted on (1–500 characters).
    pub title: String,
    /// Open vote with per-member ballots (`POST /motions/{id}/votes` by each member); otherwise
    /// the secretary records counts.
    #[serde(default)]
    pub by_ballot: bool,
    /// Counts (only without ballots).
    pub agree: Option<u32>,
    /// Counts (only without ballots).
    pub disagree: Option<u32>,
    /// Counts (only without ballots).
    pub other: Option<u32>,
}

/// A motion.
#[derive(Debug, Serialize, ToSchema)]
pub struct MotionView {
    /// Id.
    pub id: Uuid,
    /// Meeting.
    pub meeting_id: Uuid,
    /// Title.
    pub title: String,
    /// Per-member ballots.
    pub by_ballot: bool,
    /// Agree.
    pub agree: u32,
    /// Disagree.
    pub disagree: u32,
    /// Other.
    pub other: u32,
    /// More than half of the members who attended agree.
    pub adopted: bool,
}

fn motion_view(m: &MotionRecord, attended: u32) -> MotionView {
    MotionView {
        id: m.id.as_uuid(),
        meeting_id: m.meeting_id.as_uuid(),
        title: m.title.clone(),
        by_ballot: m.by_ballot,
        agree: m.tally.agree,
        disagree: m.tally.disagree,
        other: m.tally.other,
        adopted: m.tally.adopted(attended),
    }
}

fn attended_count(ledger: &[LedgerRow]) -> u32 {
    u32::try_from(ledger.iter().filter(|r| r.status.attended()).count()).unwrap_or(u32::MAX)
}

/// Adds a motion (the cell's secretary or deputy; open or ended meetings).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/motions", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")), request_body = MotionBody,
    responses((status = 201, body = MotionView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_motion(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<MotionBody>,
) -> ApiResult<impl IntoResponse> {
    let (meeting, access) = visible_meeting(&state, &caller, id).await?;
    require_manage(&access)?;
    if !meeting.status.minutes_editable() {
        return Err(ApiError::Conflict {
            code: "minutes_locked",
            detail: "motions are recorded while the meeting is open or ended".into(),
        });
    }
    let mut issues = Vec::new();
    let title = text_field(&body.title, "title", 500, &mut issues).ok_or(ApiError::Validation(issues))?;
    let counts = [body.agree, body.disagree, body.other];
    if body.by_ballot && counts.iter().any(Option::is_some) {
        return Err(ApiError::field("by_ballot", "wrong_vote_mode", "a motion voted by ballot takes no counts"));
    }
    let tally = Tally { agree: body.agree.unwrap_or(0), disagree: body.disagree.unwrap_or(0), other: body.other.unwrap_or(0) };
    let ledger = storage::meetings::ledger(state.db.conn(), meeting.id).await?;
    let attended = attended_count(&ledger);
    minutes::check_tally(&tally, attended).map_err(|e| ApiError::Rule { code: e.code(), detail: e.to_string() })?;
    let motion = MotionRecord {
        id: MotionId::from_uuid(Uuid::now_v7()),
        meeting_id: meeting.id,
        title,
        by_ballot: body.by_ballot,
        tally,
        created_at: caller.now,
    };
    let tx = state.db.begin().await?;
    storage::meetings::insert_motion(tx.conn(), &motion).await?;
    audit(
        &tx,
        &caller,
        "meeting.motion",
        ("motion", Some(motion.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"title": motion.title}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(motion_view(&motion, attended))))
}

/// A ballot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    /// `agree`, `disagree` or `other`.
    #[schema(example = "agree")]
    pub vote: String,
}

/// Casts the caller's ballot on an open motion (members who attended; once).
#[utoipa::path(post, path = "/api/v1/motions/{id}/votes", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Motion id")), request_body = VoteBody,
    responses((status = 200, body = MotionView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn vote(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<VoteBody>,
) -> ApiResult<axum::Json<MotionView>> {
    let mut motion = storage::meetings::get_motion(state.db.conn(), MotionId::from_uuid(id)).await?;
    let (meeting, _) = visible_meeting(&state, &caller, motion.meeting_id.as_uuid()).await?;
    let member = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    let vote = Vote::parse(&body.vote).ok_or_else(|| ApiError::field("vote", "not_allowed", "agree, disagree or other"))?;
    if !motion.by_ballot {
        return Err(ApiError::Rule { code: "wrong_vote_mode", detail: "this motion is voted by count".into() });
    }
    if !meeting.status.minutes_editable() {
        return Err(ApiError::Conflict { code: "minutes_locked", detail: "voting is closed".into() });
    }
    let ledger = storage::meetings::ledger(state.db.conn(), meeting.id).await?;
    if !ledger.iter().any(|r| r.member_id == member && r.status.attended()) {
        return Err(ApiError::Rule { code: "not_present", detail: "only members present at the meeting may vote".into() });
    }
    let tx = state.db.begin().await?;
    motion.tally = storage::meetings::cast_ballot(tx.conn(), motion.id, member, vote, caller.now).await.map_err(|e| match e {
        storage::StoreError::Conflict { .. } => {
            ApiError::Conflict { code: "already_voted", detail: "the member has already voted on this motion".into() }
        }
        other => ApiError::from(other),
    })?;
    tx.commit().await?;
    Ok(axum::Json(motion_view(&motion, attended_count(&ledger))))
}

/// The motions of a meeting.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/motions", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = Vec<MotionView>), (status = 403, body = crate::error::Problem)))]
pub async fn list_motions(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<Vec<MotionView>>> {
    let (meeting, _) = visible_meeting(&state, &caller, id).await?;
    let ledger = storage::meetings::ledger(state.db.conn(), meeting.id).await?;
    let attended = attended_count(&ledger);
    Ok(axum::Json(storage::meetings::motions_of(state.db.conn(), meeting.id).await?.iter().map(|m| motion_view(m, attended)).collect()))
}

/// A member's rating of a meeting, 1–5 per criterion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    /// Preparation.
    pub preparation: u8,
    /// Content.
    pub content: u8,
    /// Discussion.
    pub discussion: u8,
}

/// Rating summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingSummary {
    /// Number of ratings.
    pub count: u32,
    /// Average for preparation.
    pub preparation: f64,
    /// Average for content.
    pub content: f64,
    /// Average for discussion.
    pub discussion: f64,
}

/// Rates a meeting once, after it ended (members on its roster).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/ratings", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")), request_body = RatingBody,
    responses((status = 201), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn rate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<RatingBody>,
) -> ApiResult<StatusCode> {
    let (meeting, _) = visible_meeting(&state, &caller, id).await?;
    let member = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    if storage::meetings::ledger_row(state.db.conn(), meeting.id, member).await?.is_none() {
        return Err(ApiError::Forbidden);
    }
    if !meeting.status.has_ended() {
        return Err(ApiError::Conflict { code: "meeting_not_ended", detail: "a meeting is rated after it ends".into() });
    }
    let mut issues = Vec::new();
    for (field, score) in [("preparation", body.preparation), ("content", body.content), ("discussion", body.discussion)] {
        if let Err(e) = minutes::check_score(score) {
            issues.push(FieldIssue::new(field, e.code(), e.to_string()));
        }
    }
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    storage::meetings::insert_rating(state.db.conn(), meeting.id, member, [body.preparation, body.content, body.discussion], caller.now)
        .await
        .map_err(|e| match e {
            storage::StoreError::Conflict { .. } => {
                ApiError::Conflict { code: "already_rated", detail: "the meeting has already been rated by this member".into() }
            }
            other => ApiError::from(other),
        })?;
    Ok(StatusCode::CREATED)
}

/// Averages of the ratings (leaders: the cell's secretary, deputy, committee members and above).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/ratings", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = RatingSummary), (status = 403, body = crate::error::Problem)))]
pub async fn ratings(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<RatingSummary>> {
    let (meeting, access) = visible_meeting(&state, &caller, id).await?;
    caller.require(Action::ViewMemberPrivate, &access.path)?;
    let (count, [preparation, content, discussion]) = storage::meetings::rating_summary(state.db.conn(), meeting.id).await?;
    Ok(axum::Json(RatingSummary { count, preparation, content, discussion }))
}
