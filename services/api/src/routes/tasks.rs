//! Tasks assigned in a unit: assignment, progress, result report, evaluation, return,
//! cancellation, lists (overdue derived at read time), review at a meeting, figures, reminders.
//!
//! Each handler parses the request, calls one use case of `app::tasks` and renders its result;
//! the request's own refusals are handed to the use case, which reports them once the caller is
//! known to be allowed.

use std::collections::BTreeMap;

use app::audit::Requester;
use app::tasks::{
    AssignTaskError, Evaluation, ListTasksError, Listing, MeetingField, NewTask, Page, Report, TaskChanges, TaskDetail, TaskStepError,
    UpdateTaskError, ViewTaskError,
};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use meetings::MeetingId;
use membership::{MemberId, UnitId};
use serde::{Deserialize, Serialize};
use storage::tasks::TaskRecord;
use tasks::TaskId;
use tasks::assignees::AssigneeError;
use tasks::workflow::{self, Priority, Rating, Status, Step, StepError};
use utoipa::openapi::schema::{Array, KnownFormat, Object};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldIssue};
use crate::extract::{IfMatch, Json, Path, Query, etag};
use crate::state::AppState;
use crate::views::schema::{self, CalendarDate, PageLimit, TaskPriorityCode, TaskRatingCode, TaskStatusCode, TaskStepCode};
use crate::views::{check_dates, check_query_dates, decode_cursor, encode_cursor, page_limit};

/// Longest task title, in characters.
pub const TITLE_MAX_CHARS: usize = 300;
/// Longest task description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 20_000;
/// Longest note of a progress update or result report, in characters.
pub const NOTE_MAX_CHARS: usize = 5_000;
/// Longest attachment reference, in characters.
pub const ATTACHMENT_REF_MAX_CHARS: usize = 500;
/// Longest evaluation, return or cancellation comment, in characters.
pub const COMMENT_MAX_CHARS: usize = 2_000;

fn title_schema(nullable: bool) -> Object {
    let builder = if nullable { schema::nullable_text(1, TITLE_MAX_CHARS) } else { schema::text(1, TITLE_MAX_CHARS) };
    builder
        .description(Some(format!("Title, 1–{TITLE_MAX_CHARS} characters.")))
        .examples(["Vận động hộ gia đình phân loại rác tại nguồn"])
        .build()
}

fn new_title_schema() -> Object {
    title_schema(false)
}

fn changed_title_schema() -> Object {
    title_schema(true)
}

fn new_description_schema() -> Object {
    schema::text(0, DESCRIPTION_MAX_CHARS).description(Some(format!("Description, up to {DESCRIPTION_MAX_CHARS} characters."))).build()
}

fn changed_description_schema() -> Object {
    schema::nullable_text(0, DESCRIPTION_MAX_CHARS)
        .description(Some(format!("Description, up to {DESCRIPTION_MAX_CHARS} characters.")))
        .build()
}

fn assignees(nullable: bool, what: &str) -> Array {
    let max = tasks::assignees::MAX_ASSIGNEES;
    let builder = if nullable { schema::nullable_array(schema::uuid(), 1, max) } else { schema::array(schema::uuid(), 1, max) };
    builder
        .description(Some(format!("{what}: 1–{max} members of the unit (or committee members sitting on it); repeats count once.")))
        .build()
}

fn new_assignees_schema() -> Array {
    assignees(false, "Assignees")
}

fn changed_assignees_schema() -> Array {
    assignees(true, "Reassign: the new list of assignees")
}

fn percent_schema() -> Object {
    let max = workflow::MAX_PERCENT;
    schema::nullable_integer(KnownFormat::Int32, 0, i64::from(max))
        .description(Some(format!("Percentage done (0–{max}), as the assignee judges it; never derived.")))
        .build()
}

fn note_schema() -> Object {
    schema::text(0, NOTE_MAX_CHARS)
        .description(Some(format!("Note (required for a result report), up to {NOTE_MAX_CHARS} characters.")))
        .build()
}

fn attachment_ref_schema() -> Object {
    schema::nullable_text(0, ATTACHMENT_REF_MAX_CHARS)
        .description(Some(format!(
            "Reference to supporting material (an attachment id or a link), up to {ATTACHMENT_REF_MAX_CHARS} characters."
        )))
        .build()
}

fn evaluation_comment_schema() -> Object {
    schema::text(0, COMMENT_MAX_CHARS).description(Some(format!("Comment, up to {COMMENT_MAX_CHARS} characters."))).build()
}

fn reason_comment_schema() -> Object {
    schema::text(1, COMMENT_MAX_CHARS).description(Some(format!("Why (1–{COMMENT_MAX_CHARS} characters)."))).build()
}

fn ratings_schema() -> Object {
    schema::counts_by::<TaskRatingCode>(KnownFormat::Int32).description(Some("Ratings of done tasks: the count per rating.")).build()
}

/// One entry of a task's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskUpdateView {
    /// `progress`, `submit`, `evaluate`, `return`, `cancel`, `edit`.
    #[schema(value_type = TaskStepCode)]
    pub kind: String,
    /// Author (member).
    pub author_member_id: Option<Uuid>,
    /// Percentage reported.
    pub percent: Option<u8>,
    /// Note or comment.
    pub note: String,
    /// Attachment reference.
    pub attachment_ref: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    /// Id.
    pub id: Uuid,
    /// Unit.
    pub unit_id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Assignees.
    pub assignee_ids: Vec<Uuid>,
    /// Assigning member.
    pub assigner_member_id: Option<Uuid>,
    /// Meeting where it was assigned.
    pub source_meeting_id: Option<Uuid>,
    /// Meeting chosen for the review (absent: the unit's next regular meeting after the due date).
    pub review_meeting_id: Option<Uuid>,
    /// Due date.
    pub due_on: NaiveDate,
    /// `low`, `normal`, `high`, `urgent`.
    #[schema(value_type = TaskPriorityCode)]
    pub priority: String,
    /// `assigned`, `in_progress`, `awaiting_evaluation`, `done`, `cancelled`.
    #[schema(value_type = TaskStatusCode)]
    pub status: String,
    /// Derived at read time: open and past the due date (Asia/Ho_Chi_Minh).
    pub overdue: bool,
    /// Progress as last reported (0–100).
    pub percent: u8,
    /// `excellent`, `good`, `complete`, `not_complete` once done.
    #[schema(value_type = Option<TaskRatingCode>)]
    pub rating: Option<String>,
    /// Evaluation or return comment.
    pub evaluation_comment: Option<String>,
    /// When the result was reported.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When evaluated.
    pub evaluated_at: Option<DateTime<Utc>>,
    /// Cancellation reason.
    pub cancel_reason: Option<String>,
    /// Version (`ETag`).
    pub version: i32,
    /// History (single-task responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updates: Option<Vec<TaskUpdateView>>,
}

fn view(t: &TaskRecord, now: DateTime<Utc>) -> TaskView {
    TaskView {
        id: t.id.as_uuid(),
        unit_id: t.unit_id.as_uuid(),
        title: t.title.clone(),
        description: t.description.clone(),
        assignee_ids: t.assignees.iter().map(|m| m.as_uuid()).collect(),
        assigner_member_id: t.assigner_member_id.map(|m| m.as_uuid()),
        source_meeting_id: t.source_meeting_id.map(|m| m.as_uuid()),
        review_meeting_id: t.review_meeting_id.map(|m| m.as_uuid()),
        due_on: t.due_on,
        priority: t.priority.code().into(),
        status: t.status.code().into(),
        overdue: workflow::is_overdue(t.status, t.due_on, now),
        percent: t.percent,
        rating: t.rating.map(|r| r.code().to_string()),
        evaluation_comment: t.evaluation_comment.clone(),
        submitted_at: t.submitted_at,
        evaluated_at: t.evaluated_at,
        cancel_reason: t.cancel_reason.clone(),
        version: t.version,
        updates: None,
    }
}

fn step_error(e: StepError) -> ApiError {
    match e {
        StepError::NotPermitted { .. } => ApiError::Forbidden,
        StepError::InvalidStatus { .. } => ApiError::Conflict { code: "invalid_transition", detail: e.to_string() },
    }
}

fn who(caller: &Caller) -> Requester<'_> {
    Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() }
}

fn view_error(e: ViewTaskError) -> ApiError {
    match e {
        ViewTaskError::Forbidden => ApiError::Forbidden,
        ViewTaskError::Store(e) => e.into(),
    }
}

fn assignees_error(e: AssigneeError) -> ApiError {
    let detail = e.to_string();
    ApiError::field(
        "assignee_ids",
        match e {
            AssigneeError::None => "empty",
            AssigneeError::TooMany => "too_long",
            AssigneeError::NotFound(_) => "not_found",
            AssigneeError::NotInUnit(_) => "not_in_unit",
        },
        detail,
    )
}

fn meeting_error(field: MeetingField) -> ApiError {
    let field = match field {
        MeetingField::Source => "source_meeting_id",
        MeetingField::Review => "review_meeting_id",
    };
    ApiError::field(field, "not_found", "not a meeting of this unit")
}

fn step_task_error(e: TaskStepError<ApiError>) -> ApiError {
    match e {
        TaskStepError::Forbidden => ApiError::Forbidden,
        TaskStepError::Step(e) => step_error(e),
        TaskStepError::Request(e) => e,
        TaskStepError::Concurrent => crate::error::concurrent_change("task")(storage::StoreError::VersionMismatch),
        TaskStepError::Store(e) => e.into(),
    }
}

fn respond(d: &TaskDetail, now: DateTime<Utc>, status: StatusCode) -> impl IntoResponse + use<> {
    let mut v = view(&d.task, now);
    v.updates = Some(
        d.updates
            .iter()
            .map(|u| TaskUpdateView {
                kind: u.kind.clone(),
                author_member_id: u.author_member_id.map(|m| m.as_uuid()),
                percent: u.percent,
                note: u.note.clone(),
                attachment_ref: u.attachment_ref.clone(),
                created_at: u.created_at,
            })
            .collect(),
    );
    (status, [(header::ETAG, etag(d.task.version))], axum::Json(v))
}

fn text(raw: &str, field: &str, max: usize, required: bool, issues: &mut Vec<FieldIssue>) -> String {
    let t = raw.trim().to_string();
    if required && t.is_empty() {
        issues.push(FieldIssue::new(field, "empty", "must not be empty"));
    } else if t.chars().count() > max {
        issues.push(FieldIssue::new(field, "too_long", format!("at most {max} characters")));
    }
    t
}

/// A new task.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    /// Title, 1–300 characters.
    #[schema(schema_with = new_title_schema)]
    pub title: String,
    /// Description, up to 20,000 characters.
    #[serde(default)]
    #[schema(schema_with = new_description_schema)]
    pub description: String,
    /// Assignees: members of the unit (or committee members sitting on it).
    #[schema(schema_with = new_assignees_schema)]
    pub assignee_ids: Vec<Uuid>,
    /// Due date (the whole day, Vietnam time).
    #[schema(value_type = CalendarDate)]
    pub due_on: NaiveDate,
    /// `low`, `normal` (default), `high`, `urgent`.
    #[schema(value_type = Option<TaskPriorityCode>)]
    pub priority: Option<String>,
    /// Meeting where it was assigned.
    pub source_meeting_id: Option<Uuid>,
    /// Meeting where it is to be reviewed (default: the next regular meeting after the due date).
    pub review_meeting_id: Option<Uuid>,
}

/// Assigns a task in a unit (its own secretary or deputy, administrators over it). Writes a
/// `task.assigned` outbox event.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/tasks", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")), request_body = CreateTask,
    responses((status = 201, body = TaskView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Json(body): Json<CreateTask>,
) -> ApiResult<impl IntoResponse> {
    let detail = app::tasks::assign(&state.ctx(), who(&caller), UnitId::from_uuid(unit), parse_new(body)).await.map_err(|e| match e {
        AssignTaskError::Forbidden => ApiError::Forbidden,
        AssignTaskError::Request(e) => e,
        AssignTaskError::Assignees(e) => assignees_error(e),
        AssignTaskError::MeetingNotOfUnit(field) => meeting_error(field),
        AssignTaskError::Event(e) => e.into(),
        AssignTaskError::Store(e) => e.into(),
    })?;
    Ok(respond(&detail, caller.now, StatusCode::CREATED))
}

fn parse_new(body: CreateTask) -> ApiResult<NewTask> {
    check_dates(&[("due_on", Some(body.due_on))])?;
    let mut issues = Vec::new();
    let title = membership::fields::normalize_text(&text(&body.title, "title", TITLE_MAX_CHARS, true, &mut issues));
    let description = text(&body.description, "description", DESCRIPTION_MAX_CHARS, false, &mut issues);
    let priority = match body.priority.as_deref() {
        None => Some(Priority::Normal),
        Some(p) => Priority::parse(p),
    };
    if priority.is_none() {
        issues.push(FieldIssue::new("priority", "not_allowed", "low, normal, high or urgent"));
    }
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    Ok(NewTask {
        title,
        description,
        assignee_ids: body.assignee_ids.into_iter().map(MemberId::from_uuid).collect(),
        due_on: body.due_on,
        priority: priority.unwrap_or(Priority::Normal),
        source_meeting: body.source_meeting_id.map(MeetingId::from_uuid),
        review_meeting: body.review_meeting_id.map(MeetingId::from_uuid),
    })
}

/// A task with its history (`ETag` = version).
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 200, body = TaskView, headers(("ETag" = String, description = "Version of the task (`\"3\"`), for `If-Match`"))), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let detail = app::tasks::task(&state.ctx(), &caller.actor, TaskId::from_uuid(id)).await.map_err(view_error)?;
    Ok(respond(&detail, caller.now, StatusCode::OK))
}

fn some<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Changes to a task (absent fields kept).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    /// Title.
    #[schema(schema_with = changed_title_schema)]
    pub title: Option<String>,
    /// Description.
    #[schema(schema_with = changed_description_schema)]
    pub description: Option<String>,
    /// Reassign: the new list of assignees.
    #[schema(schema_with = changed_assignees_schema)]
    pub assignee_ids: Option<Vec<Uuid>>,
    /// Due date.
    #[schema(value_type = Option<CalendarDate>)]
    pub due_on: Option<NaiveDate>,
    /// Priority.
    #[schema(value_type = Option<TaskPriorityCode>)]
    pub priority: Option<String>,
    /// Review meeting (`null` clears: back to the default).
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<Uuid>)]
    pub review_meeting_id: Option<Option<Uuid>>,
}

/// Edits or reassigns an open task (the unit's secretary or deputy). `If-Match` with the `ETag`
/// of the version being edited is required ([`IfMatch`]): 428 without it or with `*`, 400 when
/// malformed, 412 when stale.
#[utoipa::path(patch, path = "/api/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id"), IfMatch), request_body = UpdateTask,
    responses((status = 200, body = TaskView, headers(("ETag" = String, description = "The new version, for the next `If-Match`"))), (status = 400, body = crate::error::Problem, content_type = "application/problem+json", description = "`invalid_if_match`: malformed `If-Match`"), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 412, body = crate::error::Problem, content_type = "application/problem+json", description = "`precondition_failed`: `If-Match` is not the current version"), (status = 422, body = crate::error::Problem), (status = 428, body = crate::error::Problem, content_type = "application/problem+json", description = "`precondition_required`: `If-Match` missing or `*`")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    Json(body): Json<UpdateTask>,
) -> ApiResult<impl IntoResponse> {
    let changes = parse_changes(&body);
    let detail = app::tasks::update(&state.ctx(), who(&caller), TaskId::from_uuid(id), |current| if_match.matching(current), changes)
        .await
        .map_err(|e| match e {
            UpdateTaskError::Forbidden => ApiError::Forbidden,
            UpdateTaskError::Step(e) => step_error(e),
            UpdateTaskError::Request(e) => e,
            UpdateTaskError::Assignees(e) => assignees_error(e),
            UpdateTaskError::MeetingNotOfUnit(field) => meeting_error(field),
            UpdateTaskError::Event(e) => e.into(),
            UpdateTaskError::Store(e) => e.into(),
        })?;
    Ok(respond(&detail, caller.now, StatusCode::OK))
}

fn parse_changes(body: &UpdateTask) -> ApiResult<TaskChanges> {
    check_dates(&[("due_on", body.due_on)])?;
    let mut issues = Vec::new();
    let title = body.title.as_ref().map(|t| membership::fields::normalize_text(&text(t, "title", TITLE_MAX_CHARS, true, &mut issues)));
    let description = body.description.as_ref().map(|d| text(d, "description", DESCRIPTION_MAX_CHARS, false, &mut issues));
    let priority = match body.priority.as_deref().map(|p| (p, Priority::parse(p))) {
        None => None,
        Some((_, Some(p))) => Some(p),
        Some((_, None)) => {
            issues.push(FieldIssue::new("priority", "not_allowed", "low, normal, high or urgent"));
            None
        }
    };
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    Ok(TaskChanges {
        title,
        description,
        priority,
        assignee_ids: body.assignee_ids.as_ref().map(|ids| ids.iter().map(|u| MemberId::from_uuid(*u)).collect()),
        due_on: body.due_on,
        review_meeting: body.review_meeting_id.map(|r| r.map(MeetingId::from_uuid)),
    })
}

/// A progress update or result report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// Percentage done (0–100), as the assignee judges it; never derived.
    #[schema(schema_with = percent_schema)]
    pub percent: Option<u8>,
    /// Note (required for a result report), up to 5,000 characters.
    #[serde(default)]
    #[schema(schema_with = note_schema)]
    pub note: String,
    /// Reference to supporting material (an attachment id or a link).
    #[schema(schema_with = attachment_ref_schema)]
    pub attachment_ref: Option<String>,
}

fn parse_report(step: Step, body: ReportBody) -> ApiResult<Report> {
    let mut issues = Vec::new();
    let note = text(&body.note, "note", NOTE_MAX_CHARS, step == Step::Submit, &mut issues);
    if let Some(p) = body.percent
        && let Err(e) = workflow::check_percent(p)
    {
        issues.push(FieldIssue::new("percent", e.code(), e.to_string()));
    }
    if step == Step::Progress && body.percent.is_none() {
        issues.push(FieldIssue::new("percent", "missing", "a progress update gives a percentage"));
    }
    if body.attachment_ref.as_ref().is_some_and(|a| a.chars().count() > ATTACHMENT_REF_MAX_CHARS) {
        issues.push(FieldIssue::new("attachment_ref", "too_long", format!("at most {ATTACHMENT_REF_MAX_CHARS} characters")));
    }
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    Ok(Report { percent: body.percent, note, attachment_ref: body.attachment_ref.map(|a| a.trim().to_string()) })
}

/// Reports progress (assignees only). Moves an assigned task to in progress.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/progress", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Task id")), request_body = ReportBody,
    responses((status = 200, body = TaskView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn progress(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<ReportBody>,
) -> ApiResult<impl IntoResponse> {
    let input = parse_report(Step::Progress, body);
    let detail = app::tasks::progress(&state.ctx(), who(&caller), TaskId::from_uuid(id), input).await.map_err(step_task_error)?;
    Ok(respond(&detail, caller.now, StatusCode::OK))
}

/// Reports the result (assignees only): the task awaits the leaders' evaluation.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/submit", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Task id")), request_body = ReportBody,
    responses((status = 200, body = TaskView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<ReportBody>,
) -> ApiResult<impl IntoResponse> {
    let input = parse_report(Step::Submit, body);
    let detail = app::tasks::submit(&state.ctx(), who(&caller), TaskId::from_uuid(id), input).await.map_err(step_task_error)?;
    Ok(respond(&detail, caller.now, StatusCode::OK))
}

/// An evaluation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateBody {
    /// `excellent`, `good`, `complete`, `not_complete`.
    #[schema(value_type = TaskRatingCode)]
    pub rating: String,
    /// Comment, up to 2,000 characters.
    #[serde(default)]
    #[schema(schema_with = evaluation_comment_schema)]
    pub comment: String,
}

/// Evaluates the reported result (the unit's secretary or deputy; never one's own task).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/evaluate", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Task id")), request_body = EvaluateBody,
    responses((status = 200, body = TaskView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn evaluate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<EvaluateBody>,
) -> ApiResult<impl IntoResponse> {
    let input = parse_evaluation(&body);
    let detail = app::tasks::evaluate(&state.ctx(), who(&caller), TaskId::from_uuid(id), input).await.map_err(step_task_error)?;
    Ok(respond(&detail, caller.now, StatusCode::OK))
}

fn parse_evaluation(body: &EvaluateBody) -> ApiResult<Evaluation> {
    let rating =
        Rating::parse(&body.rating).ok_or_else(|| ApiError::field("rating", "not_allowed", "excellent, good, complete or not_complete"))?;
    let mut issues = Vec::new();
    let comment = text(&body.comment, "comment", COMMENT_MAX_CHARS, false, &mut issues);
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    Ok(Evaluation { rating, comment })
}

/// A return or cancellation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Why (1–2,000 characters).
    #[schema(schema_with = reason_comment_schema)]
    pub comment: String,
}

fn parse_comment(body: &CommentBody) -> ApiResult<String> {
    let mut issues = Vec::new();
    let comment = text(&body.comment, "comment", COMMENT_MAX_CHARS, true, &mut issues);
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    Ok(comment)
}

/// Sends the result back to in progress with a comment (the unit's secretary or deputy).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/return", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Task id")), request_body = CommentBody,
    responses((status = 200, body = TaskView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn return_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<CommentBody>,
) -> ApiResult<impl IntoResponse> {
    let detail =
        app::tasks::return_task(&state.ctx(), who(&caller), TaskId::from_uuid(id), parse_comment(&body)).await.map_err(step_task_error)?;
    Ok(respond(&detail, caller.now, StatusCode::OK))
}

/// Cancels an open task with a reason (the unit's secretary or deputy).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/cancel", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Task id")), request_body = CommentBody,
    responses((status = 200, body = TaskView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<CommentBody>,
) -> ApiResult<impl IntoResponse> {
    let detail =
        app::tasks::cancel(&state.ctx(), who(&caller), TaskId::from_uuid(id), parse_comment(&body)).await.map_err(step_task_error)?;
    Ok(respond(&detail, caller.now, StatusCode::OK))
}

/// Task list query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Comma-separated statuses (`status=assigned,in_progress`).
    #[param(inline, value_type = Vec<TaskStatusCode>, required = false, style = Form, explode = false)]
    pub status: Option<String>,
    /// Only tasks of this assignee.
    pub assignee: Option<Uuid>,
    /// Only overdue tasks (open and past the due date today in Vietnam).
    pub overdue: Option<bool>,
    /// Include the unit's subtree.
    pub include_subtree: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(inline, value_type = PageLimit, required = false)]
    pub limit: Option<u64>,
}

/// A page of tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPage {
    /// Tasks, in creation order.
    pub items: Vec<TaskView>,
    /// Next page.
    pub next_cursor: Option<String>,
}

fn parse_statuses(raw: Option<&str>) -> ApiResult<Vec<Status>> {
    match raw {
        None => Ok(Vec::new()),
        Some(s) => s
            .split(',')
            .map(|c| Status::parse(c.trim()).ok_or(ApiError::BadRequest { code: "invalid_query", detail: format!("unknown status {c}") }))
            .collect(),
    }
}

fn listing(status: Option<&str>, overdue: Option<bool>, cursor: Option<&str>, limit: Option<u64>) -> ApiResult<Listing> {
    let statuses = parse_statuses(status)?;
    let limit = page_limit(limit)?;
    let after = cursor.map(decode_cursor).transpose()?.map(TaskId::from_uuid);
    Ok(Listing { statuses, overdue: overdue.unwrap_or(false), after, limit })
}

fn list_error(e: ListTasksError<ApiError>) -> ApiError {
    match e {
        ListTasksError::Forbidden => ApiError::Forbidden,
        ListTasksError::Request(e) => e,
        ListTasksError::Store(e) => e.into(),
    }
}

fn task_page(page: &Page, now: DateTime<Utc>) -> TaskPage {
    let next_cursor = if page.more { page.tasks.last().map(|t| encode_cursor(t.id.as_uuid())) } else { None };
    TaskPage { items: page.tasks.iter().map(|t| view(t, now)).collect(), next_cursor }
}

/// Tasks of a unit (or its subtree): members of the unit, leaders, committee members and
/// administrators over it.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/tasks", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id"), ListParams),
    responses((status = 200, body = TaskPage), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Query(p): Query<ListParams>,
) -> ApiResult<axum::Json<TaskPage>> {
    let listing = listing(p.status.as_deref(), p.overdue, p.cursor.as_deref(), p.limit);
    let include_subtree = p.include_subtree.unwrap_or(false);
    let assignee = p.assignee.map(MemberId::from_uuid);
    let page = app::tasks::unit_tasks(&state.ctx(), &caller.actor, UnitId::from_uuid(unit), include_subtree, assignee, listing)
        .await
        .map_err(list_error)?;
    Ok(axum::Json(task_page(&page, caller.now)))
}

/// My tasks query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MyParams {
    /// Comma-separated statuses (`status=assigned,in_progress`).
    #[param(inline, value_type = Vec<TaskStatusCode>, required = false, style = Form, explode = false)]
    pub status: Option<String>,
    /// Only overdue tasks.
    pub overdue: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(inline, value_type = PageLimit, required = false)]
    pub limit: Option<u64>,
}

/// The caller's own tasks.
#[utoipa::path(get, path = "/api/v1/me/tasks", tag = "tasks", security(("bearer" = [])), params(MyParams),
    responses((status = 200, body = TaskPage), (status = 403, body = crate::error::Problem)))]
pub async fn mine(State(state): State<AppState>, caller: Caller, Query(p): Query<MyParams>) -> ApiResult<axum::Json<TaskPage>> {
    let listing = listing(p.status.as_deref(), p.overdue, p.cursor.as_deref(), p.limit);
    let page = app::tasks::my_tasks(&state.ctx(), &caller.actor, listing).await.map_err(list_error)?;
    Ok(axum::Json(task_page(&page, caller.now)))
}

/// The tasks to be reviewed at a meeting: those explicitly set for it, and the unit's tasks
/// without a chosen review meeting whose due date falls after the previous regular meeting and
/// before this one (their default review meeting).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/tasks-for-review", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = Vec<TaskView>), (status = 403, body = crate::error::Problem)))]
pub async fn for_review(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<Vec<TaskView>>> {
    let (meeting, _) = app::meetings::visible_meeting(&state.ctx(), &caller.actor, MeetingId::from_uuid(id)).await?;
    let tasks = app::tasks::for_review(&state.ctx(), &meeting).await?;
    Ok(axum::Json(tasks.iter().map(|t| view(t, caller.now)).collect()))
}

/// Figures query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsParams {
    /// Tasks due on or after.
    #[param(inline, value_type = CalendarDate, required = false)]
    pub from: Option<NaiveDate>,
    /// Tasks due on or before.
    #[param(inline, value_type = CalendarDate, required = false)]
    pub to: Option<NaiveDate>,
}

/// Task figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskFiguresView {
    /// Assigned (cancelled excluded).
    pub assigned: u32,
    /// Done on time.
    pub done_on_time: u32,
    /// Done late.
    pub done_late: u32,
    /// Open and overdue.
    pub overdue: u32,
    /// Open, not overdue.
    pub open: u32,
    /// Ratings of done tasks.
    #[schema(schema_with = ratings_schema)]
    pub ratings: BTreeMap<String, u32>,
}

impl From<tasks::stats::TaskFigures> for TaskFiguresView {
    fn from(f: tasks::stats::TaskFigures) -> Self {
        Self {
            assigned: f.assigned,
            done_on_time: f.done_on_time,
            done_late: f.done_late,
            overdue: f.overdue,
            open: f.open,
            ratings: f.ratings.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }
}

/// Figures of one member.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberFigures {
    /// Member.
    pub member_id: Uuid,
    /// Figures.
    pub figures: TaskFiguresView,
}

/// Figures of a unit's subtree.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskStats {
    /// All tasks of the subtree.
    pub total: TaskFiguresView,
    /// Per assignee.
    pub members: Vec<MemberFigures>,
}

/// Task figures of a unit's subtree, in total and per assignee (leaders, committee members and
/// administrators over the unit).
#[utoipa::path(get, path = "/api/v1/org-units/{id}/task-stats", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id"), StatsParams),
    responses((status = 200, body = TaskStats), (status = 403, body = crate::error::Problem)))]
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Query(p): Query<StatsParams>,
) -> ApiResult<axum::Json<TaskStats>> {
    check_query_dates(&[p.from, p.to])?;
    let stats = app::tasks::stats(&state.ctx(), &caller.actor, UnitId::from_uuid(unit), p.from, p.to).await.map_err(view_error)?;
    let members = stats.members.into_iter().map(|(m, f)| MemberFigures { member_id: m.as_uuid(), figures: f.into() }).collect();
    Ok(axum::Json(TaskStats { total: stats.total.into(), members }))
}
