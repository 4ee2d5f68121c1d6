//! Cell meetings: prepare (draft), edit with `If-Match`, publish, open (roster frozen, ledger
//! created), end, cancel; check-in and the attendance ledger; minutes, motions, votes, ratings.
//!
//! Each handler parses the request, calls one use case of `app::meetings` (or its `minutes`
//! module) and renders its result; the request's own refusals are handed to the use case, which
//! reports them once the caller is known to be allowed, and every use-case error maps here to
//! today's problem codes.

use app::audit::Requester;
use app::meetings::minutes::{NewMotion, RecordError};
use app::meetings::{AttendanceError, MeetingEdit, MeetingError, NamedRow, NewMeeting, ViewMeetingError};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use meetings::attendance::{self, AttendanceStatus};
use meetings::content::{self, AgendaItem};
use meetings::lifecycle::{self, MeetingKind, MeetingStatus};
use meetings::minutes::{self, Minutes, Tally, Vote};
use meetings::{AgendaItemId, MeetingId, MotionId};
use membership::{MemberId, UnitId};
use serde::{Deserialize, Serialize};
use storage::meetings::{AgendaRecord, MeetingQuery, MeetingRecord, MotionRecord};
use utoipa::openapi::schema::{KnownFormat, Object};
use utoipa::openapi::{Array, Ref, RefOr, Schema};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldIssue};
use crate::extract::{IfMatch, Json, Path, Query, etag};
use crate::state::AppState;
use crate::views::schema::{
    AttendanceStatusCode, CalendarDate, MeetingKindCode, MeetingListLimit, MeetingStatusCode, PublishWarningCode, RosterRoleCode, VoteCode,
    array, integer, nullable_array, nullable_integer, nullable_text, text,
};

/// Longest meeting title, in characters.
pub const TITLE_MAX_CHARS: usize = 300;
/// Longest place, in characters.
pub const LOCATION_MAX_CHARS: usize = 300;
/// Longest online link, in characters.
pub const ONLINE_LINK_MAX_CHARS: usize = 500;
/// Longest preparation notes, in characters.
pub const NOTES_MAX_CHARS: usize = 20_000;
/// Longest reason of a cancellation or of an attendance correction, in characters.
pub const REASON_MAX_CHARS: usize = 1000;
/// Longest motion title, in characters.
pub const MOTION_TITLE_MAX_CHARS: usize = 500;
/// Meetings listed when `limit` is absent.
pub const LIST_LIMIT_DEFAULT: u64 = 100;
/// Most meetings one list answers.
pub const LIST_LIMIT_MAX: u64 = 500;

// ---------------------------------------------------------------- schemas

fn agenda_title_schema() -> Object {
    let max = content::AGENDA_TITLE_MAX_CHARS;
    text(1, max)
        .description(Some(format!("Title, 1–{max} characters.")))
        .examples(["Đánh giá kết quả thực hiện nhiệm vụ tháng trước"])
        .build()
}

fn agenda_description_schema() -> Object {
    let max = content::AGENDA_DESCRIPTION_MAX_CHARS;
    text(0, max).description(Some(format!("Description (plain text or Markdown), up to {max} characters."))).build()
}

fn presenter_schema() -> Object {
    let max = content::PRESENTER_MAX_CHARS;
    nullable_text(0, max).description(Some(format!("Presenter (name or role), up to {max} characters."))).build()
}

fn agenda_minutes_schema() -> Object {
    let max = content::MAX_PLANNED_MINUTES;
    nullable_integer(KnownFormat::Int32, 1, i64::from(max)).description(Some(format!("Planned minutes (1–{max})."))).build()
}

fn title_schema(nullable: bool) -> Object {
    let schema = if nullable { nullable_text(1, TITLE_MAX_CHARS) } else { text(1, TITLE_MAX_CHARS) };
    schema
        .description(Some(format!("Title, 1–{TITLE_MAX_CHARS} characters.")))
        .examples(["Sinh hoạt chi bộ thường kỳ tháng 12/2026"])
        .build()
}

fn new_title_schema() -> Object {
    title_schema(false)
}

fn changed_title_schema() -> Object {
    title_schema(true)
}

fn planned_minutes_schema(nullable: bool) -> Object {
    let (min, max) = (content::MIN_PLANNED_MINUTES, content::MAX_PLANNED_MINUTES);
    let (regular, combined) = (content::MIN_REGULAR_MINUTES, content::MIN_COMBINED_MINUTES);
    let schema = if nullable { nullable_integer } else { integer };
    schema(KnownFormat::Int32, i64::from(min), i64::from(max))
        .description(Some(format!(
            "Planned duration in minutes ({min}–{max}; below {regular} for a regular meeting, or {combined} when combined \
             with a thematic one, needs confirmation at publication)."
        )))
        .examples([90])
        .build()
}

fn new_planned_minutes_schema() -> Object {
    planned_minutes_schema(false)
}

fn changed_planned_minutes_schema() -> Object {
    planned_minutes_schema(true)
}

fn location_schema() -> Object {
    nullable_text(0, LOCATION_MAX_CHARS).description(Some(format!("Place, up to {LOCATION_MAX_CHARS} characters (`null` clears)."))).build()
}

fn online_link_schema() -> Object {
    nullable_text(0, ONLINE_LINK_MAX_CHARS)
        .description(Some(format!("Online link, up to {ONLINE_LINK_MAX_CHARS} characters (`null` clears).")))
        .build()
}

fn new_notes_schema() -> Object {
    text(0, NOTES_MAX_CHARS).description(Some(format!("Preparation notes for members, up to {NOTES_MAX_CHARS} characters."))).build()
}

fn changed_notes_schema() -> Object {
    nullable_text(0, NOTES_MAX_CHARS)
        .description(Some(format!("Preparation notes for members, up to {NOTES_MAX_CHARS} characters.")))
        .build()
}

fn agenda_item() -> RefOr<Schema> {
    Ref::from_schema_name(AgendaItemBody::name()).into()
}

fn new_agenda_schema() -> Array {
    let max = content::MAX_AGENDA_ITEMS;
    array(agenda_item(), 0, max)
        .description(Some(format!(
            "Agenda (at most {max} items, without ids); if empty and `use_template` is true, the standard regular-meeting agenda."
        )))
        .build()
}

fn changed_agenda_schema() -> Array {
    let max = content::MAX_AGENDA_ITEMS;
    nullable_array(agenda_item(), 0, max)
        .description(Some(format!("The whole agenda, in order, at most {max} items (keep ids of items that stay).")))
        .build()
}

fn reason_schema() -> Object {
    text(1, REASON_MAX_CHARS).description(Some(format!("Why (1–{REASON_MAX_CHARS} characters; kept in the audit log)."))).build()
}

fn minutes_text_schema() -> Object {
    let max = minutes::MAX_TEXT_CHARS;
    text(0, max).description(Some(format!("Body of the minutes (*biên bản*), up to {max} characters."))).build()
}

fn resolution_schema() -> Object {
    let max = minutes::MAX_TEXT_CHARS;
    text(0, max).description(Some(format!("Resolution text (*nghị quyết*), up to {max} characters."))).build()
}

fn motion_title_schema() -> Object {
    text(1, MOTION_TITLE_MAX_CHARS).description(Some(format!("What is voted on (1–{MOTION_TITLE_MAX_CHARS} characters)."))).build()
}

fn score_schema(criterion: &str) -> Object {
    let (min, max) = (minutes::MIN_SCORE, minutes::MAX_SCORE);
    integer(KnownFormat::Int32, i64::from(min), i64::from(max)).description(Some(format!("{criterion}, {min}–{max}."))).build()
}

fn preparation_schema() -> Object {
    score_schema("Preparation")
}

fn content_schema() -> Object {
    score_schema("Content")
}

fn discussion_schema() -> Object {
    score_schema("Discussion")
}

// ---------------------------------------------------------------- views

/// One agenda item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemBody {
    /// Id of an existing item (keep it when editing so that its comments stay attached); absent
    /// for a new item.
    pub id: Option<Uuid>,
    /// Title, 1–300 characters.
    #[schema(schema_with = agenda_title_schema)]
    pub title: String,
    /// Description (plain text or Markdown), up to 20,000 characters.
    #[serde(default)]
    #[schema(schema_with = agenda_description_schema)]
    pub description: String,
    /// Presenter (name or role), up to 200 characters.
    #[schema(schema_with = presenter_schema)]
    pub presenter: Option<String>,
    /// Planned minutes (1–600).
    #[schema(schema_with = agenda_minutes_schema)]
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
pub struct AttendanceFiguresView {
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

impl From<&attendance::Figures> for AttendanceFiguresView {
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
    #[schema(value_type = MeetingKindCode)]
    pub kind: String,
    /// A regular meeting combined with a thematic one (minimum 120 minutes instead of 90).
    pub combined_thematic: bool,
    /// Title.
    pub title: String,
    /// `draft`, `published`, `open`, `ended`, `minutes_approved`, `reported`, `acknowledged`,
    /// `cancelled`.
    #[schema(value_type = MeetingStatusCode)]
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

fn render(m: &MeetingRecord, agenda: &[AgendaRecord], status: StatusCode) -> impl IntoResponse + use<> {
    (status, [(header::ETAG, etag(m.version))], axum::Json(meeting_view(m, agenda)))
}

fn transition_error(e: lifecycle::InvalidTransition) -> ApiError {
    ApiError::Conflict { code: "invalid_transition", detail: e.to_string() }
}

fn who(caller: &Caller) -> Requester<'_> {
    Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() }
}

impl From<ViewMeetingError> for ApiError {
    fn from(e: ViewMeetingError) -> Self {
        match e {
            ViewMeetingError::Forbidden => ApiError::Forbidden,
            ViewMeetingError::Store(e) => ApiError::from(e),
        }
    }
}

/// Today's problems of the meeting use cases. A second regular meeting in a month is 409
/// `regular_meeting_exists`, whether the rule found the clash or the database's
/// `ux_meetings_regular_month` refused a write that raced past the check.
fn meeting_error(e: MeetingError<ApiError>) -> ApiError {
    match e {
        MeetingError::Forbidden => ApiError::Forbidden,
        MeetingError::Request(e) => e,
        MeetingError::Locked(status) => {
            ApiError::Conflict { code: "meeting_locked", detail: format!("a {} meeting can no longer be edited", status.code()) }
        }
        MeetingError::Transition(e) => transition_error(e),
        MeetingError::RegularMonthTaken(Some(clash)) => ApiError::Conflict {
            code: "regular_meeting_exists",
            detail: format!("the cell already has a regular meeting this month ({clash})"),
        },
        MeetingError::RegularMonthTaken(None) => {
            ApiError::Conflict { code: "regular_meeting_exists", detail: "the cell already has a regular meeting this month".into() }
        }
        MeetingError::AgendaItemHasComments => {
            ApiError::Conflict { code: "agenda_item_has_comments", detail: "an agenda item with comments cannot be removed".into() }
        }
        MeetingError::ShortDurationUnconfirmed { minimum, planned } => ApiError::Rule {
            code: "short_duration_unconfirmed",
            detail: format!("planned {planned} minutes, minimum {minimum}: publish again with confirm_short_duration"),
        },
        MeetingError::Event(e) => ApiError::from(e),
        MeetingError::Store(e) => ApiError::from(e),
    }
}

fn attendance_error(e: AttendanceError<ApiError>) -> ApiError {
    match e {
        AttendanceError::Forbidden => ApiError::Forbidden,
        AttendanceError::NotOpen(status) => {
            ApiError::Conflict { code: "meeting_not_open", detail: format!("the meeting is {}", status.code()) }
        }
        AttendanceError::LedgerLocked(status) => {
            ApiError::Conflict { code: "ledger_locked", detail: format!("the ledger of a {} meeting cannot be changed", status.code()) }
        }
        AttendanceError::CheckIn(e) => ApiError::Rule { code: e.code(), detail: e.to_string() },
        AttendanceError::Request(e) => e,
        AttendanceError::Store(e) => ApiError::from(e),
    }
}

// ---------------------------------------------------------------- create, read, edit

/// A new meeting (draft).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMeeting {
    /// `regular`, `thematic`, `extraordinary` or `committee`.
    #[schema(value_type = MeetingKindCode)]
    pub kind: String,
    /// Title, 1–300 characters.
    #[schema(schema_with = new_title_schema)]
    pub title: String,
    /// Scheduled start (RFC 3339); its UTC date between 1900-01-01 and 2100-12-31.
    pub starts_at: DateTime<Utc>,
    /// Planned duration in minutes (15–600; below 90 for a regular meeting, or 120 when combined
    /// with a thematic one, needs confirmation at publication).
    #[schema(schema_with = new_planned_minutes_schema)]
    pub planned_minutes: u32,
    /// A regular meeting combined with a thematic one.
    #[serde(default)]
    pub combined_thematic: bool,
    /// Place.
    #[schema(schema_with = location_schema)]
    pub location: Option<String>,
    /// Online link.
    #[schema(schema_with = online_link_schema)]
    pub online_link: Option<String>,
    /// Preparation notes for members.
    #[serde(default)]
    #[schema(schema_with = new_notes_schema)]
    pub notes: String,
    /// Agenda; if absent and `use_template` is true, the standard regular-meeting agenda.
    #[serde(default)]
    #[schema(schema_with = new_agenda_schema)]
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

/// Prepares a meeting (draft) in a cell: its own secretary or deputy only.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/meetings", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Cell id")), request_body = CreateMeeting,
    responses((status = 201, body = MeetingView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Json(body): Json<CreateMeeting>,
) -> ApiResult<impl IntoResponse> {
    let input = parse_new(&body);
    let (meeting, agenda) =
        app::meetings::create(&state.ctx(), who(&caller), UnitId::from_uuid(unit), input).await.map_err(meeting_error)?;
    Ok(render(&meeting, &agenda, StatusCode::CREATED))
}

fn parse_new(body: &CreateMeeting) -> Result<NewMeeting, ApiError> {
    let mut issues = Vec::new();
    crate::views::check_dates(&[("starts_at", Some(body.starts_at.date_naive()))])?;
    let kind = MeetingKind::parse(&body.kind);
    if kind.is_none() {
        issues.push(FieldIssue::new("kind", "not_allowed", "regular, thematic, extraordinary or committee"));
    }
    let title = text_field(&body.title, "title", TITLE_MAX_CHARS, &mut issues);
    if let Err(e) = content::check_duration(body.planned_minutes) {
        issues.push(FieldIssue::new("planned_minutes", e.code(), e.to_string()));
    }
    let location = optional_text(body.location.as_deref(), "location", LOCATION_MAX_CHARS, &mut issues);
    let online_link = optional_text(body.online_link.as_deref(), "online_link", ONLINE_LINK_MAX_CHARS, &mut issues);
    if body.notes.chars().count() > NOTES_MAX_CHARS {
        issues.push(FieldIssue::new("notes", "too_long", format!("at most {NOTES_MAX_CHARS} characters")));
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
    Ok(NewMeeting {
        kind,
        combined_thematic: body.combined_thematic,
        title,
        starts_at: body.starts_at,
        planned_minutes: body.planned_minutes,
        location,
        online_link,
        notes: body.notes.trim().to_string(),
        agenda,
    })
}

/// A meeting with its agenda (`ETag` = version).
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingView, headers(("ETag" = String, description = "Version of the meeting (`\"3\"`), for `If-Match`"))), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (meeting, agenda) = app::meetings::meeting(&state.ctx(), &caller.actor, MeetingId::from_uuid(id)).await?;
    Ok(render(&meeting, &agenda, StatusCode::OK))
}

fn some<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Changes to a draft or published meeting. Absent fields are kept; `null` clears optional ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeeting {
    /// Title.
    #[schema(schema_with = changed_title_schema)]
    pub title: Option<String>,
    /// Scheduled start; its UTC date between 1900-01-01 and 2100-12-31.
    pub starts_at: Option<DateTime<Utc>>,
    /// Planned minutes.
    #[schema(schema_with = changed_planned_minutes_schema)]
    pub planned_minutes: Option<u32>,
    /// Combined with a thematic meeting.
    pub combined_thematic: Option<bool>,
    /// Place (`null` clears).
    #[serde(default, deserialize_with = "some")]
    #[schema(schema_with = location_schema)]
    pub location: Option<Option<String>>,
    /// Online link (`null` clears).
    #[serde(default, deserialize_with = "some")]
    #[schema(schema_with = online_link_schema)]
    pub online_link: Option<Option<String>>,
    /// Notes.
    #[schema(schema_with = changed_notes_schema)]
    pub notes: Option<String>,
    /// The whole agenda, in order (keep ids of items that stay).
    #[schema(schema_with = changed_agenda_schema)]
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
    let (meeting, agenda) = app::meetings::update(
        &state.ctx(),
        who(&caller),
        MeetingId::from_uuid(id),
        |current| if_match.matching(current),
        |meeting, existing| parse_edit(&body, meeting, existing),
    )
    .await
    .map_err(meeting_error)?;
    Ok(render(&meeting, &agenda, StatusCode::OK))
}

fn parse_edit(body: &UpdateMeeting, meeting: &MeetingRecord, existing: &[AgendaRecord]) -> Result<MeetingEdit, ApiError> {
    let mut issues = Vec::new();
    crate::views::check_dates(&[("starts_at", body.starts_at.map(|s| s.date_naive()))])?;
    let mut edit = MeetingEdit { starts_at: body.starts_at, ..MeetingEdit::default() };
    if let Some(t) = &body.title {
        edit.title = Some(text_field(t, "title", TITLE_MAX_CHARS, &mut issues).unwrap_or_default());
    }
    if let Some(m) = body.planned_minutes {
        if let Err(e) = content::check_duration(m) {
            issues.push(FieldIssue::new("planned_minutes", e.code(), e.to_string()));
        }
        edit.planned_minutes = Some(m);
    }
    if let Some(c) = body.combined_thematic {
        if c && meeting.kind != MeetingKind::Regular {
            issues.push(FieldIssue::new("combined_thematic", "not_allowed", "only a regular meeting can be combined with a thematic one"));
        }
        edit.combined_thematic = Some(c);
    }
    if let Some(l) = &body.location {
        edit.location = Some(optional_text(l.as_deref(), "location", LOCATION_MAX_CHARS, &mut issues));
    }
    if let Some(l) = &body.online_link {
        edit.online_link = Some(optional_text(l.as_deref(), "online_link", ONLINE_LINK_MAX_CHARS, &mut issues));
    }
    if let Some(n) = &body.notes {
        if n.chars().count() > NOTES_MAX_CHARS {
            issues.push(FieldIssue::new("notes", "too_long", format!("at most {NOTES_MAX_CHARS} characters")));
        }
        edit.notes = Some(n.trim().to_string());
    }
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    edit.agenda = body.agenda.as_ref().map(|a| parse_agenda(a, existing)).transpose()?;
    Ok(edit)
}

/// Meeting list query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Meetings starting on or after this date (Vietnam).
    #[param(inline, value_type = CalendarDate, required = false)]
    pub from: Option<NaiveDate>,
    /// Meetings starting before the end of this date (Vietnam).
    #[param(inline, value_type = CalendarDate, required = false)]
    pub to: Option<NaiveDate>,
    /// Comma-separated statuses (`status=published,open`).
    #[param(inline, value_type = Vec<MeetingStatusCode>, required = false, style = Form, explode = false)]
    pub status: Option<String>,
    /// Include every unit under this one.
    pub include_subtree: Option<bool>,
    /// At most this many (1–500, default 100).
    #[param(inline, value_type = MeetingListLimit, required = false)]
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
    let rows = app::meetings::list(&state.ctx(), &caller.actor, unit, list_query(unit, &q)).await.map_err(meeting_error)?;
    Ok(axum::Json(rows.iter().map(|(m, agenda)| meeting_view(m, agenda)).collect()))
}

fn list_query(unit: UnitId, q: &ListParams) -> Result<MeetingQuery, ApiError> {
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
        None => LIST_LIMIT_DEFAULT,
        Some(n @ 1..=LIST_LIMIT_MAX) => n,
        Some(_) => {
            return Err(ApiError::BadRequest { code: "invalid_query", detail: format!("limit must be between 1 and {LIST_LIMIT_MAX}") });
        }
    };
    Ok(MeetingQuery {
        unit,
        include_subtree: q.include_subtree.unwrap_or(false),
        from: q.from.map(vn_midnight),
        to: q.to.and_then(|d| d.checked_add_signed(Duration::days(1))).map(vn_midnight),
        statuses,
        limit,
    })
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
    #[schema(value_type = Vec<PublishWarningCode>)]
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
    let published = app::meetings::publish(&state.ctx(), who(&caller), MeetingId::from_uuid(id), body.confirm_short_duration)
        .await
        .map_err(meeting_error)?;
    Ok(axum::Json(PublishResult {
        meeting: meeting_view(&published.meeting, &published.agenda),
        warnings: published.warnings.iter().map(|w| w.code().to_string()).collect(),
    }))
}

/// Opens the meeting: freezes the roster as of the meeting date and creates one ledger row per
/// member (absent without reason until checked in). Writes `meeting.opened`.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/open", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn open(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (meeting, agenda) = app::meetings::open(&state.ctx(), who(&caller), MeetingId::from_uuid(id)).await.map_err(meeting_error)?;
    Ok(render(&meeting, &agenda, StatusCode::OK))
}

/// Ends the meeting.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/end", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn end(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (meeting, agenda) = app::meetings::end(&state.ctx(), who(&caller), MeetingId::from_uuid(id)).await.map_err(meeting_error)?;
    Ok(render(&meeting, &agenda, StatusCode::OK))
}

/// Cancellation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why (1–1000 characters).
    #[schema(schema_with = reason_schema)]
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
    let mut issues = Vec::new();
    let reason = text_field(&body.reason, "reason", REASON_MAX_CHARS, &mut issues).ok_or(ApiError::Validation(issues));
    let (meeting, agenda) =
        app::meetings::cancel(&state.ctx(), who(&caller), MeetingId::from_uuid(id), reason).await.map_err(meeting_error)?;
    Ok(render(&meeting, &agenda, StatusCode::OK))
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
    #[schema(value_type = RosterRoleCode)]
    pub role: String,
    /// Official member (counts for the quorum).
    pub official: bool,
    /// `present`, `late`, `absent_with_reason`, `absent_without_reason`.
    #[schema(value_type = AttendanceStatusCode)]
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
    pub figures: AttendanceFiguresView,
}

fn row_view(r: NamedRow) -> AttendanceRowView {
    AttendanceRowView {
        member_id: r.row.member_id.as_uuid(),
        full_name: r.full_name,
        role: r.row.role.code().into(),
        official: r.row.official,
        status: r.row.status.code().into(),
        checked_in_at: r.row.checked_in_at,
        reason: r.row.reason,
    }
}
/// Check-in result.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInResult {
    /// `present` or `late` (or the status a leader recorded).
    #[schema(value_type = AttendanceStatusCode)]
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
    let done =
        app::meetings::check_in::<ApiError>(&state.ctx(), &caller.actor, MeetingId::from_uuid(id)).await.map_err(attendance_error)?;
    Ok(axum::Json(CheckInResult { status: done.row.status.code().into(), checked_in_at: done.row.checked_in_at, recorded: done.recorded }))
}

/// A correction of one ledger row by the secretary or deputy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceBody {
    /// `present`, `late`, `absent_with_reason`, `absent_without_reason`.
    #[schema(value_type = AttendanceStatusCode)]
    pub status: String,
    /// Why (required; kept in the ledger and the audit log).
    #[schema(schema_with = reason_schema)]
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
    let input = parse_attendance(&body);
    let row = app::meetings::set_attendance(&state.ctx(), who(&caller), MeetingId::from_uuid(id), MemberId::from_uuid(member_id), input)
        .await
        .map_err(attendance_error)?;
    Ok(axum::Json(row_view(row)))
}

fn parse_attendance(body: &AttendanceBody) -> Result<(AttendanceStatus, String), ApiError> {
    let mut issues = Vec::new();
    let status = AttendanceStatus::parse(&body.status);
    if status.is_none() {
        issues.push(FieldIssue::new("status", "not_allowed", "present, late, absent_with_reason or absent_without_reason"));
    }
    let reason = text_field(&body.reason, "reason", REASON_MAX_CHARS, &mut issues);
    let (Some(status), Some(reason)) = (status, reason) else { return Err(ApiError::Validation(issues)) };
    Ok((status, reason))
}

/// The attendance ledger with its figures (anyone who may see the meeting).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/attendance", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = AttendanceView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get_attendance(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<AttendanceView>> {
    let (rows, figures) = app::meetings::attendance(&state.ctx(), &caller.actor, MeetingId::from_uuid(id)).await?;
    let mut rows: Vec<AttendanceRowView> = rows.into_iter().map(row_view).collect();
    rows.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok(axum::Json(AttendanceView { rows, figures: AttendanceFiguresView::from(&figures) }))
}

// ---------------------------------------------------------------- minutes, motions, ratings

/// Minutes to store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesBody {
    /// Body of the minutes (up to 100,000 characters).
    #[schema(schema_with = minutes_text_schema)]
    pub text: String,
    /// Resolution text.
    #[serde(default)]
    #[schema(schema_with = resolution_schema)]
    pub resolution: String,
    /// Chair (a member who attended).
    pub chair_id: Option<Uuid>,
    /// Minutes-taker (a member who attended).
    pub minutes_taker_id: Option<Uuid>,
    /// Actual start; its date in Vietnam between 1900-01-01 and 2100-12-31.
    pub started_at: Option<DateTime<Utc>>,
    /// Actual end (not before the start); its date in Vietnam between 1900-01-01 and 2100-12-31.
    pub ended_at: Option<DateTime<Utc>>,
}

fn minutes_error(e: minutes::MinutesError) -> ApiError {
    match e {
        minutes::MinutesError::Text { field, error } => ApiError::field(field, error.code(), error.to_string()),
        minutes::MinutesError::EndBeforeStart => ApiError::field("ended_at", "end_before_start", e.to_string()),
        minutes::MinutesError::OutOfRange { field } => ApiError::field(field, "out_of_range", e.to_string()),
        minutes::MinutesError::NotAttending { field } => {
            ApiError::field(if field == "chair" { "chair_id" } else { "minutes_taker_id" }, "not_attending", e.to_string())
        }
    }
}

fn record_error(e: RecordError<ApiError>) -> ApiError {
    match e {
        RecordError::Forbidden => ApiError::Forbidden,
        RecordError::Request(e) => e,
        RecordError::Transition(e) => transition_error(e),
        RecordError::MinutesLocked(status) => {
            ApiError::Conflict { code: "minutes_locked", detail: format!("minutes of a {} meeting cannot be changed", status.code()) }
        }
        RecordError::MotionsClosed => {
            ApiError::Conflict { code: "minutes_locked", detail: "motions are recorded while the meeting is open or ended".into() }
        }
        RecordError::VotingClosed => ApiError::Conflict { code: "minutes_locked", detail: "voting is closed".into() },
        RecordError::Minutes(e) => minutes_error(e),
        RecordError::MinutesMissing => ApiError::Rule { code: "minutes_missing", detail: "write the minutes before approving them".into() },
        RecordError::Tally(e) => ApiError::Rule { code: e.code(), detail: e.to_string() },
        RecordError::VotedByCount => ApiError::Rule { code: "wrong_vote_mode", detail: "this motion is voted by count".into() },
        RecordError::NotPresent => ApiError::Rule { code: "not_present", detail: "only members present at the meeting may vote".into() },
        RecordError::AlreadyVoted => {
            ApiError::Conflict { code: "already_voted", detail: "the member has already voted on this motion".into() }
        }
        RecordError::NotEnded => ApiError::Conflict { code: "meeting_not_ended", detail: "a meeting is rated after it ends".into() },
        RecordError::AlreadyRated => {
            ApiError::Conflict { code: "already_rated", detail: "the meeting has already been rated by this member".into() }
        }
        RecordError::Store(e) => ApiError::from(e),
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
    let m = Minutes {
        text: body.text.trim().to_string(),
        resolution: body.resolution.trim().to_string(),
        chair: body.chair_id.map(MemberId::from_uuid),
        secretary: body.minutes_taker_id.map(MemberId::from_uuid),
        started_at: body.started_at,
        ended_at: body.ended_at,
    };
    let (meeting, agenda) =
        app::meetings::minutes::write(&state.ctx(), who(&caller), MeetingId::from_uuid(id), m).await.map_err(record_error)?;
    Ok(render(&meeting, &agenda, StatusCode::OK))
}

/// Approves the minutes: minutes, ledger and opinions are locked.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/minutes/approve", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn approve_minutes(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (meeting, agenda) =
        app::meetings::minutes::approve(&state.ctx(), who(&caller), MeetingId::from_uuid(id)).await.map_err(record_error)?;
    Ok(render(&meeting, &agenda, StatusCode::OK))
}

/// A motion put to the vote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MotionBody {
    /// What is voted on (1–500 characters).
    #[schema(schema_with = motion_title_schema)]
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

/// Adds a motion (the cell's secretary or deputy; open or ended meetings).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/motions", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")), request_body = MotionBody,
    responses((status = 201, body = MotionView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_motion(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<MotionBody>,
) -> ApiResult<impl IntoResponse> {
    let input = parse_motion(&body);
    let m = app::meetings::minutes::add_motion(&state.ctx(), who(&caller), MeetingId::from_uuid(id), input).await.map_err(record_error)?;
    Ok((StatusCode::CREATED, axum::Json(motion_view(&m.motion, m.attended))))
}

fn parse_motion(body: &MotionBody) -> Result<NewMotion, ApiError> {
    let mut issues = Vec::new();
    let title = text_field(&body.title, "title", MOTION_TITLE_MAX_CHARS, &mut issues).ok_or(ApiError::Validation(issues))?;
    let counts = [body.agree, body.disagree, body.other];
    if body.by_ballot && counts.iter().any(Option::is_some) {
        return Err(ApiError::field("by_ballot", "wrong_vote_mode", "a motion voted by ballot takes no counts"));
    }
    let tally = Tally { agree: body.agree.unwrap_or(0), disagree: body.disagree.unwrap_or(0), other: body.other.unwrap_or(0) };
    Ok(NewMotion { title, by_ballot: body.by_ballot, tally })
}

/// A ballot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    /// `agree`, `disagree` or `other`.
    #[schema(value_type = VoteCode)]
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
    let vote = Vote::parse(&body.vote).ok_or_else(|| ApiError::field("vote", "not_allowed", "agree, disagree or other"));
    let m = app::meetings::minutes::vote(&state.ctx(), &caller.actor, MotionId::from_uuid(id), vote).await.map_err(record_error)?;
    Ok(axum::Json(motion_view(&m.motion, m.attended)))
}

/// The motions of a meeting.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/motions", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = Vec<MotionView>), (status = 403, body = crate::error::Problem)))]
pub async fn list_motions(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<Vec<MotionView>>> {
    let (motions, attended) = app::meetings::minutes::motions(&state.ctx(), &caller.actor, MeetingId::from_uuid(id)).await?;
    Ok(axum::Json(motions.iter().map(|m| motion_view(m, attended)).collect()))
}

/// A member's rating of a meeting, 1–5 per criterion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    /// Preparation.
    #[schema(schema_with = preparation_schema)]
    pub preparation: u8,
    /// Content.
    #[schema(schema_with = content_schema)]
    pub content: u8,
    /// Discussion.
    #[schema(schema_with = discussion_schema)]
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
    let mut issues = Vec::new();
    for (field, score) in [("preparation", body.preparation), ("content", body.content), ("discussion", body.discussion)] {
        if let Err(e) = minutes::check_score(score) {
            issues.push(FieldIssue::new(field, e.code(), e.to_string()));
        }
    }
    let scores = if issues.is_empty() { Ok([body.preparation, body.content, body.discussion]) } else { Err(ApiError::Validation(issues)) };
    app::meetings::minutes::rate(&state.ctx(), &caller.actor, MeetingId::from_uuid(id), scores).await.map_err(record_error)?;
    Ok(StatusCode::CREATED)
}

/// Averages of the ratings (leaders: the cell's secretary, deputy, committee members and above).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/ratings", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = RatingSummary), (status = 403, body = crate::error::Problem)))]
pub async fn ratings(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<RatingSummary>> {
    let (count, [preparation, content, discussion]) =
        app::meetings::minutes::ratings(&state.ctx(), &caller.actor, MeetingId::from_uuid(id)).await?;
    Ok(axum::Json(RatingSummary { count, preparation, content, discussion }))
}
