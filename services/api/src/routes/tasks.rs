//! Tasks assigned in a unit: assignment, progress, result report, evaluation, return,
//! cancellation, lists (overdue derived at read time), review at a meeting, figures, reminders.

use std::collections::{BTreeMap, HashMap};

use app::events::Event;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use meetings::MeetingId;
use meetings::lifecycle::{MeetingKind, MeetingStatus};
use membership::permission::Action;
use membership::{MemberId, UnitId};
use serde::{Deserialize, Serialize};
use storage::tasks::{TaskQuery, TaskRecord, UpdateRecord};
use tasks::TaskId;
use tasks::stats::{TaskFacts, figures};
use tasks::workflow::{self, Actor, Priority, Rating, Status, Step, StepError};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldIssue};
use crate::extract::{IfMatch, Json, Path, Query, etag};
use crate::routes::meetings::visible_meeting;
use crate::routes::{audit, unit_path};
use crate::state::AppState;
use crate::views::{check_dates, check_query_dates, decode_cursor, encode_cursor, page_limit};

/// One entry of a task's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskUpdateView {
    /// `progress`, `submit`, `evaluate`, `return`, `cancel`, `edit`.
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
    pub priority: String,
    /// `assigned`, `in_progress`, `awaiting_evaluation`, `done`, `cancelled`.
    pub status: String,
    /// Derived at read time: open and past the due date (Asia/Ho_Chi_Minh).
    pub overdue: bool,
    /// Progress as last reported (0–100).
    pub percent: u8,
    /// `excellent`, `good`, `complete`, `not_complete` once done.
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

struct Loaded {
    task: TaskRecord,
    actor: Actor,
}

/// Loads a task the caller may see (assignees; members of the unit; leaders, committee members
/// and administrators over it) and the caller's role in it.
async fn load(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<Loaded> {
    let task = storage::tasks::get(state.db.conn(), TaskId::from_uuid(id)).await?;
    let path = unit_path(&state.db, task.unit_id).await?;
    let assignee = caller.actor.member_id.is_some_and(|m| task.assignees.contains(&m));
    if !assignee && !caller.may(Action::ViewRoster, &path) {
        return Err(ApiError::Forbidden);
    }
    let leader = caller.may(Action::ManageTasks, &path);
    let actor = match (assignee, leader) {
        (true, true) => Actor::LeaderAssignee,
        (true, false) => Actor::Assignee,
        (false, true) => Actor::Leader,
        (false, false) => Actor::Other,
    };
    Ok(Loaded { task, actor })
}

async fn respond(state: &AppState, t: &TaskRecord, now: DateTime<Utc>, status: StatusCode) -> ApiResult<impl IntoResponse + use<>> {
    let mut v = view(t, now);
    v.updates = Some(
        storage::tasks::updates(state.db.conn(), t.id)
            .await?
            .into_iter()
            .map(|u| TaskUpdateView {
                kind: u.kind,
                author_member_id: u.author_member_id.map(|m| m.as_uuid()),
                percent: u.percent,
                note: u.note,
                attachment_ref: u.attachment_ref,
                created_at: u.created_at,
            })
            .collect(),
    );
    Ok((status, [(header::ETAG, etag(t.version))], axum::Json(v)))
}

fn history(
    task: &TaskRecord,
    caller: &Caller,
    kind: Step,
    percent: Option<u8>,
    note: String,
    attachment_ref: Option<String>,
) -> UpdateRecord {
    UpdateRecord {
        id: Uuid::now_v7(),
        task_id: task.id,
        kind: kind.code().into(),
        author_member_id: caller.actor.member_id,
        author_account_id: caller.account.id,
        percent,
        note,
        attachment_ref,
        created_at: caller.now,
    }
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

async fn check_assignees(state: &AppState, unit: UnitId, ids: &[Uuid], today: NaiveDate) -> ApiResult<Vec<MemberId>> {
    let mut out = Vec::new();
    if ids.is_empty() {
        return Err(ApiError::field("assignee_ids", "empty", "at least one assignee"));
    }
    if ids.len() > 100 {
        return Err(ApiError::field("assignee_ids", "too_long", "at most 100 assignees"));
    }
    let ids: Vec<MemberId> = ids.iter().map(|u| MemberId::from_uuid(*u)).collect();
    let members = storage::members::get_many(state.db.conn(), &ids).await?;
    let positions = storage::positions::for_members(state.db.conn(), &ids).await?;
    for id in &ids {
        let Some(m) = members.iter().find(|m| m.id == *id) else {
            return Err(ApiError::field("assignee_ids", "not_found", format!("no member {id}")));
        };
        let in_unit = m.state.standing.is_active()
            && (storage::units::in_subtree(state.db.conn(), unit, m.state.home_unit).await?
                || positions.iter().any(|p| p.member_id == *id && p.unit_id == unit && p.is_active_on(today)));
        if !in_unit {
            return Err(ApiError::field("assignee_ids", "not_in_unit", format!("member {id} does not belong to this unit")));
        }
        if !out.contains(id) {
            out.push(*id);
        }
    }
    Ok(out)
}

async fn check_meeting(state: &AppState, unit: UnitId, id: Option<Uuid>, field: &str) -> ApiResult<Option<MeetingId>> {
    let Some(id) = id else { return Ok(None) };
    match storage::meetings::get(state.db.conn(), MeetingId::from_uuid(id)).await {
        Ok(m) if m.unit_id == unit => Ok(Some(m.id)),
        Ok(_) | Err(storage::StoreError::NotFound) => Err(ApiError::field(field, "not_found", "not a meeting of this unit")),
        Err(e) => Err(e.into()),
    }
}

/// A new task.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    /// Title, 1–300 characters.
    #[schema(example = "Vận động hộ gia đình phân loại rác tại nguồn")]
    pub title: String,
    /// Description, up to 20,000 characters.
    #[serde(default)]
    pub description: String,
    /// Assignees: members of the unit (or committee members sitting on it).
    pub assignee_ids: Vec<Uuid>,
    /// Due date (the whole day, Vietnam time).
    pub due_on: NaiveDate,
    /// `low`, `normal` (default), `high`, `urgent`.
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
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    caller.require(Action::ManageTasks, &path)?;
    check_dates(&[("due_on", Some(body.due_on))])?;
    let mut issues = Vec::new();
    let title = membership::fields::normalize_text(&text(&body.title, "title", 300, true, &mut issues));
    let description = text(&body.description, "description", 20_000, false, &mut issues);
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
    let assignees = check_assignees(&state, unit, &body.assignee_ids, caller.today()).await?;
    let source = check_meeting(&state, unit, body.source_meeting_id, "source_meeting_id").await?;
    let review = check_meeting(&state, unit, body.review_meeting_id, "review_meeting_id").await?;
    let task = TaskRecord {
        id: TaskId::from_uuid(Uuid::now_v7()),
        unit_id: unit,
        title,
        description,
        assignees,
        assigner_member_id: caller.actor.member_id,
        assigner_account_id: caller.account.id,
        source_meeting_id: source,
        review_meeting_id: review,
        due_on: body.due_on,
        priority: priority.unwrap_or(Priority::Normal),
        status: Status::Assigned,
        percent: 0,
        rating: None,
        evaluation_comment: None,
        evaluated_by: None,
        evaluated_at: None,
        submitted_at: None,
        cancelled_at: None,
        cancel_reason: None,
        version: 1,
        created_at: caller.now,
        updated_at: caller.now,
    };
    let tx = state.db.begin().await?;
    storage::tasks::insert(tx.conn(), &task).await?;
    storage::outbox::push(tx.conn(), &task_assigned(&task, caller.now)?).await?;
    audit(
        &tx,
        &caller,
        "task.create",
        ("task", Some(task.id.as_uuid())),
        Some(unit),
        serde_json::json!({"title": task.title, "assignees": task.assignees.len()}),
    )
    .await?;
    tx.commit().await?;
    respond(&state, &task, caller.now, StatusCode::CREATED).await
}

fn task_assigned(t: &TaskRecord, now: DateTime<Utc>) -> Result<storage::outbox::OutboxEvent, ApiError> {
    Ok(Event::TaskAssigned(app::jobs::task_notice(t)).to_outbox(now)?)
}

/// A task with its history (`ETag` = version).
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 200, body = TaskView, headers(("ETag" = String, description = "Version of the task (`\"3\"`), for `If-Match`"))), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let l = load(&state, &caller, id).await?;
    respond(&state, &l.task, caller.now, StatusCode::OK).await
}

fn some<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Changes to a task (absent fields kept).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Reassign: the new list of assignees.
    pub assignee_ids: Option<Vec<Uuid>>,
    /// Due date.
    pub due_on: Option<NaiveDate>,
    /// Priority.
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
    let Loaded { mut task, actor } = load(&state, &caller, id).await?;
    workflow::next(task.status, Step::Edit, actor).map_err(step_error)?;
    let version = if_match.matching(task.version)?;
    check_dates(&[("due_on", body.due_on)])?;
    let mut issues = Vec::new();
    if let Some(t) = &body.title {
        task.title = membership::fields::normalize_text(&text(t, "title", 300, true, &mut issues));
    }
    if let Some(d) = &body.description {
        task.description = text(d, "description", 20_000, false, &mut issues);
    }
    if let Some(p) = &body.priority {
        match Priority::parse(p) {
            Some(p) => task.priority = p,
            None => issues.push(FieldIssue::new("priority", "not_allowed", "low, normal, high or urgent")),
        }
    }
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    if let Some(ids) = &body.assignee_ids {
        task.assignees = check_assignees(&state, task.unit_id, ids, caller.today()).await?;
    }
    if let Some(d) = body.due_on {
        task.due_on = d;
    }
    if let Some(r) = body.review_meeting_id {
        task.review_meeting_id = check_meeting(&state, task.unit_id, r, "review_meeting_id").await?;
    }
    task.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::tasks::update(tx.conn(), &task, version).await?;
    storage::tasks::add_update(tx.conn(), &history(&task, &caller, Step::Edit, None, String::new(), None)).await?;
    if body.assignee_ids.is_some() {
        storage::outbox::push(tx.conn(), &task_assigned(&task, caller.now)?).await?;
    }
    audit(
        &tx,
        &caller,
        "task.update",
        ("task", Some(task.id.as_uuid())),
        Some(task.unit_id),
        serde_json::json!({"reassigned": body.assignee_ids.is_some()}),
    )
    .await?;
    tx.commit().await?;
    task.version = version + 1;
    respond(&state, &task, caller.now, StatusCode::OK).await
}

/// A progress update or result report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// Percentage done (0–100), as the assignee judges it; never derived.
    pub percent: Option<u8>,
    /// Note (required for a result report), up to 5,000 characters.
    #[serde(default)]
    pub note: String,
    /// Reference to supporting material (an attachment id or a link).
    pub attachment_ref: Option<String>,
}

async fn assignee_step(state: &AppState, caller: &Caller, id: Uuid, step: Step, body: ReportBody) -> ApiResult<TaskRecord> {
    let Loaded { mut task, actor } = load(state, caller, id).await?;
    let next = workflow::next(task.status, step, actor).map_err(step_error)?;
    let mut issues = Vec::new();
    let note = text(&body.note, "note", 5_000, step == Step::Submit, &mut issues);
    if let Some(p) = body.percent
        && let Err(e) = workflow::check_percent(p)
    {
        issues.push(FieldIssue::new("percent", e.code(), e.to_string()));
    }
    if step == Step::Progress && body.percent.is_none() {
        issues.push(FieldIssue::new("percent", "missing", "a progress update gives a percentage"));
    }
    if body.attachment_ref.as_ref().is_some_and(|a| a.chars().count() > 500) {
        issues.push(FieldIssue::new("attachment_ref", "too_long", "at most 500 characters"));
    }
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    let version = task.version;
    task.status = next;
    if let Some(p) = body.percent {
        task.percent = p;
    }
    if step == Step::Submit {
        task.submitted_at = Some(caller.now);
    }
    task.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::tasks::update(tx.conn(), &task, version).await.map_err(crate::error::concurrent_change("task"))?;
    storage::tasks::add_update(
        tx.conn(),
        &history(&task, caller, step, body.percent, note, body.attachment_ref.map(|a| a.trim().to_string())),
    )
    .await?;
    tx.commit().await?;
    task.version = version + 1;
    Ok(task)
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
    let task = assignee_step(&state, &caller, id, Step::Progress, body).await?;
    respond(&state, &task, caller.now, StatusCode::OK).await
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
    let task = assignee_step(&state, &caller, id, Step::Submit, body).await?;
    respond(&state, &task, caller.now, StatusCode::OK).await
}

/// An evaluation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateBody {
    /// `excellent`, `good`, `complete`, `not_complete`.
    #[schema(example = "good")]
    pub rating: String,
    /// Comment, up to 2,000 characters.
    #[serde(default)]
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
    let Loaded { mut task, actor } = load(&state, &caller, id).await?;
    let next = workflow::next(task.status, Step::Evaluate, actor).map_err(step_error)?;
    let rating =
        Rating::parse(&body.rating).ok_or_else(|| ApiError::field("rating", "not_allowed", "excellent, good, complete or not_complete"))?;
    let mut issues = Vec::new();
    let comment = text(&body.comment, "comment", 2_000, false, &mut issues);
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    let version = task.version;
    task.status = next;
    task.rating = Some(rating);
    task.evaluation_comment = Some(comment.clone()).filter(|c| !c.is_empty());
    task.evaluated_by = Some(caller.account.id);
    task.evaluated_at = Some(caller.now);
    task.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::tasks::update(tx.conn(), &task, version).await.map_err(crate::error::concurrent_change("task"))?;
    storage::tasks::add_update(tx.conn(), &history(&task, &caller, Step::Evaluate, None, format!("{}: {comment}", rating.code()), None))
        .await?;
    audit(
        &tx,
        &caller,
        "task.evaluate",
        ("task", Some(task.id.as_uuid())),
        Some(task.unit_id),
        serde_json::json!({"rating": rating.code()}),
    )
    .await?;
    tx.commit().await?;
    task.version = version + 1;
    respond(&state, &task, caller.now, StatusCode::OK).await
}

/// A return or cancellation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Why (1–2,000 characters).
    pub comment: String,
}

async fn leader_close(state: &AppState, caller: &Caller, id: Uuid, step: Step, comment: &str) -> ApiResult<TaskRecord> {
    let Loaded { mut task, actor } = load(state, caller, id).await?;
    let next = workflow::next(task.status, step, actor).map_err(step_error)?;
    let mut issues = Vec::new();
    let comment = text(comment, "comment", 2_000, true, &mut issues);
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    let version = task.version;
    task.status = next;
    if step == Step::Cancel {
        task.cancelled_at = Some(caller.now);
        task.cancel_reason = Some(comment.clone());
    } else {
        task.evaluation_comment = Some(comment.clone());
        task.submitted_at = None;
    }
    task.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::tasks::update(tx.conn(), &task, version).await.map_err(crate::error::concurrent_change("task"))?;
    storage::tasks::add_update(tx.conn(), &history(&task, caller, step, None, comment.clone(), None)).await?;
    audit(
        &tx,
        caller,
        &format!("task.{}", step.code()),
        ("task", Some(task.id.as_uuid())),
        Some(task.unit_id),
        serde_json::json!({"comment": comment}),
    )
    .await?;
    tx.commit().await?;
    task.version = version + 1;
    Ok(task)
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
    let task = leader_close(&state, &caller, id, Step::Return, &body.comment).await?;
    respond(&state, &task, caller.now, StatusCode::OK).await
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
    let task = leader_close(&state, &caller, id, Step::Cancel, &body.comment).await?;
    respond(&state, &task, caller.now, StatusCode::OK).await
}

/// Task list query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Comma-separated statuses.
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

async fn page(state: &AppState, caller: &Caller, mut q: TaskQuery, cursor: Option<&str>, limit: Option<u64>) -> ApiResult<TaskPage> {
    let limit = page_limit(limit)?;
    q.after = cursor.map(decode_cursor).transpose()?.map(TaskId::from_uuid);
    q.limit = limit + 1;
    let mut rows = storage::tasks::list(state.db.conn(), &q).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = if more { rows.last().map(|t| encode_cursor(t.id.as_uuid())) } else { None };
    Ok(TaskPage { items: rows.iter().map(|t| view(t, caller.now)).collect(), next_cursor })
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
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    caller.require(Action::ViewRoster, &path)?;
    let include_subtree = p.include_subtree.unwrap_or(false);
    if include_subtree && !caller.may(Action::ViewMemberPrivate, &path) {
        return Err(ApiError::Forbidden);
    }
    let q = TaskQuery {
        unit: Some(unit),
        include_subtree,
        assignee: p.assignee.map(MemberId::from_uuid),
        statuses: parse_statuses(p.status.as_deref())?,
        due_before: p.overdue.unwrap_or(false).then(|| caller.today()),
        ..TaskQuery::default()
    };
    Ok(axum::Json(page(&state, &caller, q, p.cursor.as_deref(), p.limit).await?))
}

/// My tasks query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MyParams {
    /// Comma-separated statuses.
    pub status: Option<String>,
    /// Only overdue tasks.
    pub overdue: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
}

/// The caller's own tasks.
#[utoipa::path(get, path = "/api/v1/me/tasks", tag = "tasks", security(("bearer" = [])), params(MyParams),
    responses((status = 200, body = TaskPage), (status = 403, body = crate::error::Problem)))]
pub async fn mine(State(state): State<AppState>, caller: Caller, Query(p): Query<MyParams>) -> ApiResult<axum::Json<TaskPage>> {
    let member = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    let q = TaskQuery {
        assignee: Some(member),
        statuses: parse_statuses(p.status.as_deref())?,
        due_before: p.overdue.unwrap_or(false).then(|| caller.today()),
        ..TaskQuery::default()
    };
    Ok(axum::Json(page(&state, &caller, q, p.cursor.as_deref(), p.limit).await?))
}

/// The tasks to be reviewed at a meeting: those explicitly set for it, and the unit's tasks
/// without a chosen review meeting whose due date falls after the previous regular meeting and
/// before this one (their default review meeting).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/tasks-for-review", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = Vec<TaskView>), (status = 403, body = crate::error::Problem)))]
pub async fn for_review(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<Vec<TaskView>>> {
    let (meeting, _) = visible_meeting(&state, &caller, id).await?;
    let mut tasks =
        storage::tasks::list(state.db.conn(), &TaskQuery { review_meeting: Some(meeting.id), limit: 1000, ..TaskQuery::default() }).await?;
    let date = membership::time::local_date(meeting.starts_at);
    if meeting.kind == MeetingKind::Regular {
        let earlier = storage::meetings::list(
            state.db.conn(),
            &storage::meetings::MeetingQuery {
                unit: meeting.unit_id,
                include_subtree: false,
                from: None,
                to: Some(meeting.starts_at),
                statuses: Vec::new(),
                limit: 500,
            },
        )
        .await?;
        let previous = earlier
            .iter()
            .filter(|m| m.kind == MeetingKind::Regular && m.status != MeetingStatus::Cancelled && m.id != meeting.id)
            .map(|m| membership::time::local_date(m.starts_at))
            .max();
        let defaults = storage::tasks::list(
            state.db.conn(),
            &TaskQuery { unit: Some(meeting.unit_id), due_from: previous, due_to: date.pred_opt(), limit: 1000, ..TaskQuery::default() },
        )
        .await?;
        tasks.extend(defaults.into_iter().filter(|t| t.review_meeting_id.is_none() && t.status != Status::Cancelled));
    }
    Ok(axum::Json(tasks.iter().map(|t| view(t, caller.now)).collect()))
}

/// Figures query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsParams {
    /// Tasks due on or after.
    pub from: Option<NaiveDate>,
    /// Tasks due on or before.
    pub to: Option<NaiveDate>,
}

/// Task figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiguresView {
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
    pub ratings: BTreeMap<String, u32>,
}

impl From<tasks::stats::TaskFigures> for FiguresView {
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
    pub figures: FiguresView,
}

/// Figures of a unit's subtree.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskStats {
    /// All tasks of the subtree.
    pub total: FiguresView,
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
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    caller.require(Action::ViewMemberPrivate, &path)?;
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = storage::tasks::list(
            state.db.conn(),
            &TaskQuery {
                unit: Some(unit),
                include_subtree: true,
                due_from: p.from,
                due_to: p.to,
                after,
                limit: 1000,
                ..TaskQuery::default()
            },
        )
        .await?;
        let done = page.len() < 1000;
        after = page.last().map(|t| t.id);
        all.extend(page);
        if done {
            break;
        }
    }
    let facts = |t: &TaskRecord| TaskFacts { status: t.status, due_on: t.due_on, submitted_at: t.submitted_at, rating: t.rating };
    let total = figures(&all.iter().map(facts).collect::<Vec<_>>(), caller.now).into();
    let mut per: HashMap<MemberId, Vec<TaskFacts>> = HashMap::new();
    for t in &all {
        for m in &t.assignees {
            per.entry(*m).or_default().push(facts(t));
        }
    }
    let mut members: Vec<MemberFigures> =
        per.into_iter().map(|(m, f)| MemberFigures { member_id: m.as_uuid(), figures: figures(&f, caller.now).into() }).collect();
    members.sort_by_key(|m| m.member_id);
    Ok(axum::Json(TaskStats { total, members }))
}
