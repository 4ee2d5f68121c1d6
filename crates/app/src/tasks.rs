//! Task use cases: assigning a task in a unit, editing or reassigning it, the assignees' progress
//! and result reports, the leaders' evaluation, return and cancellation, reading one task, the
//! lists of a unit and of a member, the tasks to review at a meeting, and a unit's figures.
//!
//! Who sees a task: its assignees, and whoever may see the unit's roster; who may take which step
//! is `tasks::workflow`'s rule over the caller's role in the task ([`Role`]); who may be assigned
//! is `tasks::assignees`' rule. Each write saves the task, its history entry and its audit record
//! (and, when the assignees change, the `task.assigned` outbox event) in one transaction.
//!
//! The request's own refusals (a malformed title, an unknown priority, a bad page cursor) are
//! found by the caller's parser but reported only after the caller is known to be allowed, as the
//! API always has: a use case that takes `input: Result<…, E>` checks the caller's rights first
//! and then returns `Request(E)` unchanged.

use std::collections::HashMap;

use chrono::NaiveDate;
use meetings::MeetingId;
use meetings::lifecycle::{MeetingKind, MeetingStatus};
use membership::permission::{Action, Actor};
use membership::{AccountId, MemberId, UnitId};
use storage::StoreError;
use storage::meetings::MeetingRecord;
use storage::tasks::{TaskQuery, TaskRecord, UpdateRecord};
use tasks::TaskId;
use tasks::assignees::{self, AssigneeError, Candidate, Facts};
use tasks::stats::{TaskFacts, TaskFigures, figures};
use tasks::workflow::{self, Priority, Rating, Status, Step, StepError};
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::events::{Event, EventError};
use crate::{Ctx, allowed, unit_path};

/// The caller's role in a task, for `tasks::workflow::next`.
pub type Role = workflow::Actor;

/// A task with its history, oldest first.
#[derive(Debug, Clone)]
pub struct TaskDetail {
    /// The task.
    pub task: TaskRecord,
    /// Its history.
    pub updates: Vec<UpdateRecord>,
}

/// Why tasks cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ViewTaskError {
    /// The caller may not see the task (or the unit's tasks, or its figures).
    #[error("not permitted")]
    Forbidden,
    /// Storage (a missing task or unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which meeting of a task named a meeting of another unit (or none at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingField {
    /// The meeting where the task was assigned.
    Source,
    /// The meeting where it is to be reviewed.
    Review,
}

/// Why a task cannot be assigned.
#[derive(Debug, thiserror::Error)]
pub enum AssignTaskError<E> {
    /// The caller may not manage the unit's tasks.
    #[error("not permitted")]
    Forbidden,
    /// The request itself was refused by the caller's parser.
    #[error("the request was refused")]
    Request(E),
    /// The assignees are refused.
    #[error(transparent)]
    Assignees(AssigneeError),
    /// A meeting given is not a meeting of the unit.
    #[error("not a meeting of this unit")]
    MeetingNotOfUnit(MeetingField),
    /// The outbox event could not be encoded.
    #[error(transparent)]
    Event(#[from] EventError),
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a task cannot be edited.
#[derive(Debug, thiserror::Error)]
pub enum UpdateTaskError<E> {
    /// The caller may not see the task.
    #[error("not permitted")]
    Forbidden,
    /// The workflow refuses the edit (not the caller's to edit, or the task is closed).
    #[error(transparent)]
    Step(StepError),
    /// The version check or the request itself was refused by the caller.
    #[error("the request was refused")]
    Request(E),
    /// The new assignees are refused.
    #[error(transparent)]
    Assignees(AssigneeError),
    /// The review meeting is not a meeting of the unit.
    #[error("not a meeting of this unit")]
    MeetingNotOfUnit(MeetingField),
    /// The outbox event could not be encoded.
    #[error(transparent)]
    Event(#[from] EventError),
    /// Storage (a missing task is `Store(NotFound)`; a task changed since the version the caller
    /// matched is `Store(VersionMismatch)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a step (progress, result, evaluation, return, cancellation) cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum TaskStepError<E> {
    /// The caller may not see the task.
    #[error("not permitted")]
    Forbidden,
    /// The workflow refuses the step (not the caller's to take, or not from this status).
    #[error(transparent)]
    Step(StepError),
    /// The request itself was refused by the caller's parser.
    #[error("the request was refused")]
    Request(E),
    /// Someone else changed the task meanwhile; reload and retry.
    #[error("the task changed meanwhile; reload and retry")]
    Concurrent,
    /// Storage (a missing task is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a list of tasks cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ListTasksError<E> {
    /// The caller may not see these tasks.
    #[error("not permitted")]
    Forbidden,
    /// The query itself was refused by the caller's parser.
    #[error("the query was refused")]
    Request(E),
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

macro_rules! from_view {
    ($($error:ident),*) => {$(
        impl<E> From<ViewTaskError> for $error<E> {
            fn from(e: ViewTaskError) -> Self {
                match e {
                    ViewTaskError::Forbidden => $error::Forbidden,
                    ViewTaskError::Store(e) => $error::Store(e),
                }
            }
        }
    )*};
}
from_view!(UpdateTaskError, TaskStepError);

/// Why a proposed assignee or meeting is refused (shared by assigning and editing).
enum Refusal {
    Assignees(AssigneeError),
    Meeting(MeetingField),
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e)
    }
}

impl<E> From<Refusal> for AssignTaskError<E> {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Assignees(e) => AssignTaskError::Assignees(e),
            Refusal::Meeting(f) => AssignTaskError::MeetingNotOfUnit(f),
            Refusal::Store(e) => AssignTaskError::Store(e),
        }
    }
}

impl<E> From<Refusal> for UpdateTaskError<E> {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Assignees(e) => UpdateTaskError::Assignees(e),
            Refusal::Meeting(f) => UpdateTaskError::MeetingNotOfUnit(f),
            Refusal::Store(e) => UpdateTaskError::Store(e),
        }
    }
}

// ---------------------------------------------------------------- shared queries

/// A task the caller may see, with the caller's role in it.
struct Loaded {
    task: TaskRecord,
    role: Role,
}

/// Loads a task the caller may see (assignees; members of the unit; leaders, committee members
/// and administrators over it) and the caller's role in it.
async fn load(ctx: &Ctx, actor: &Actor, id: TaskId) -> Result<Loaded, ViewTaskError> {
    let task = storage::tasks::get(ctx.db.conn(), id).await?;
    let path = unit_path(ctx, task.unit_id).await?;
    let assignee = actor.member_id.is_some_and(|m| task.assignees.contains(&m));
    if !assignee && !allowed(ctx, actor, Action::ViewRoster, &path) {
        return Err(ViewTaskError::Forbidden);
    }
    let leader = allowed(ctx, actor, Action::ManageTasks, &path);
    let role = match (assignee, leader) {
        (true, true) => Role::LeaderAssignee,
        (true, false) => Role::Assignee,
        (false, true) => Role::Leader,
        (false, false) => Role::Other,
    };
    Ok(Loaded { task, role })
}

/// The task with its history, as stored now.
async fn detail(ctx: &Ctx, task: TaskRecord) -> Result<TaskDetail, StoreError> {
    let updates = storage::tasks::updates(ctx.db.conn(), task.id).await?;
    Ok(TaskDetail { task, updates })
}

/// The caller's account (every authenticated caller has one; only internal jobs do not).
fn account<E>(who: Requester<'_>) -> Result<AccountId, E>
where
    E: From<ViewTaskError>,
{
    who.actor.account_id.ok_or_else(|| ViewTaskError::Forbidden.into())
}

/// A history entry of `step` on `task`, written by the caller at the context's time.
fn history(
    ctx: &Ctx,
    task: &TaskRecord,
    who: Requester<'_>,
    account: AccountId,
    step: Step,
    Report { percent, note, attachment_ref }: Report,
) -> UpdateRecord {
    UpdateRecord {
        id: Uuid::now_v7(),
        task_id: task.id,
        kind: step.code().into(),
        author_member_id: who.actor.member_id,
        author_account_id: account,
        percent,
        note,
        attachment_ref,
        created_at: ctx.clock.now(),
    }
}

/// The listed assignees, as `tasks::assignees` decides for a task of `unit` today.
async fn choose_assignees(ctx: &Ctx, unit: UnitId, ids: &[MemberId]) -> Result<Vec<MemberId>, Refusal> {
    assignees::check_count(ids.len()).map_err(Refusal::Assignees)?;
    let today = ctx.clock.today();
    let members = storage::members::get_many(ctx.db.conn(), ids).await?;
    let positions = storage::positions::for_members(ctx.db.conn(), ids).await?;
    let mut candidates = Vec::with_capacity(ids.len());
    for id in ids {
        let facts = match members.iter().find(|m| m.id == *id) {
            None => None,
            Some(m) => {
                let active = m.state.standing.is_active();
                Some(Facts {
                    active,
                    home_in_unit: active && storage::units::in_subtree(ctx.db.conn(), unit, m.state.home_unit).await?,
                    holds_position_in_unit: positions.iter().any(|p| p.member_id == *id && p.unit_id == unit && p.is_active_on(today)),
                })
            }
        };
        candidates.push(Candidate { member: *id, facts });
    }
    assignees::choose(&candidates).map_err(Refusal::Assignees)
}

/// The meeting `id` (if given), which must be one of `unit`'s.
async fn meeting_of(ctx: &Ctx, unit: UnitId, id: Option<MeetingId>, field: MeetingField) -> Result<Option<MeetingId>, Refusal> {
    let Some(id) = id else { return Ok(None) };
    match storage::meetings::get(ctx.db.conn(), id).await {
        Ok(m) if m.unit_id == unit => Ok(Some(m.id)),
        Ok(_) | Err(StoreError::NotFound) => Err(Refusal::Meeting(field)),
        Err(e) => Err(Refusal::Store(e)),
    }
}

/// Saves a step taken on `task` (last read at `version`) with its history entry and, for a
/// leader's step, its audit record `(action, details)`; a concurrent change is `Concurrent`.
async fn save_step<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    mut task: TaskRecord,
    version: i32,
    entry: UpdateRecord,
    audited: Option<(String, serde_json::Value)>,
) -> Result<TaskDetail, TaskStepError<E>> {
    let tx = ctx.db.begin().await?;
    storage::tasks::update(tx.conn(), &task, version).await.map_err(|e| match e {
        StoreError::VersionMismatch => TaskStepError::Concurrent,
        other => TaskStepError::Store(other),
    })?;
    storage::tasks::add_update(tx.conn(), &entry).await?;
    if let Some((action, details)) = audited {
        audit::record(&tx, who, ctx.clock.now(), &action, ("task", Some(task.id.as_uuid())), Some(task.unit_id), details).await?;
    }
    tx.commit().await?;
    task.version = version + 1;
    Ok(detail(ctx, task).await?)
}

/// Every task of `unit`'s subtree due between `from` and `to` (inclusive, either open).
pub(crate) async fn subtree_tasks(
    ctx: &Ctx,
    unit: UnitId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<TaskRecord>, StoreError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = storage::tasks::list(
            ctx.db.conn(),
            &TaskQuery { unit: Some(unit), include_subtree: true, due_from: from, due_to: to, after, limit: 1000, ..TaskQuery::default() },
        )
        .await?;
        let done = page.len() < 1000;
        after = page.last().map(|t| t.id);
        all.extend(page);
        if done {
            break;
        }
    }
    Ok(all)
}

// ---------------------------------------------------------------- assigning and editing

/// A new task, as parsed from the request.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Title (normalised, 1–300 characters).
    pub title: String,
    /// Description.
    pub description: String,
    /// Assignees as listed.
    pub assignee_ids: Vec<MemberId>,
    /// Due date (the whole day, Vietnam time).
    pub due_on: NaiveDate,
    /// Priority.
    pub priority: Priority,
    /// Meeting where it was assigned.
    pub source_meeting: Option<MeetingId>,
    /// Meeting where it is to be reviewed (absent: the unit's next regular meeting after the due
    /// date).
    pub review_meeting: Option<MeetingId>,
}

/// Assigns a task in `unit` (its own secretary or deputy, administrators over it), with its
/// audit record and a `task.assigned` outbox event.
pub async fn assign<E>(ctx: &Ctx, who: Requester<'_>, unit: UnitId, input: Result<NewTask, E>) -> Result<TaskDetail, AssignTaskError<E>> {
    let now = ctx.clock.now();
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, who.actor, Action::ManageTasks, &path) {
        return Err(AssignTaskError::Forbidden);
    }
    let input = input.map_err(AssignTaskError::Request)?;
    let assignees = choose_assignees(ctx, unit, &input.assignee_ids).await?;
    let source = meeting_of(ctx, unit, input.source_meeting, MeetingField::Source).await?;
    let review = meeting_of(ctx, unit, input.review_meeting, MeetingField::Review).await?;
    let account = who.actor.account_id.ok_or(AssignTaskError::Forbidden)?;
    let task = TaskRecord {
        id: TaskId::from_uuid(Uuid::now_v7()),
        unit_id: unit,
        title: input.title,
        description: input.description,
        assignees,
        assigner_member_id: who.actor.member_id,
        assigner_account_id: account,
        source_meeting_id: source,
        review_meeting_id: review,
        due_on: input.due_on,
        priority: input.priority,
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
        created_at: now,
        updated_at: now,
    };
    let tx = ctx.db.begin().await?;
    storage::tasks::insert(tx.conn(), &task).await?;
    storage::outbox::push(tx.conn(), &Event::TaskAssigned(crate::jobs::task_notice(&task)).to_outbox(now)?).await?;
    audit::record(
        &tx,
        who,
        now,
        "task.create",
        ("task", Some(task.id.as_uuid())),
        Some(unit),
        serde_json::json!({"title": task.title, "assignees": task.assignees.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok(detail(ctx, task).await?)
}

/// Changes to a task, as parsed from the request (absent fields kept).
#[derive(Debug, Clone, Default)]
pub struct TaskChanges {
    /// New title (normalised).
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New priority.
    pub priority: Option<Priority>,
    /// Reassign: the new assignees as listed.
    pub assignee_ids: Option<Vec<MemberId>>,
    /// New due date.
    pub due_on: Option<NaiveDate>,
    /// New review meeting (`Some(None)` clears it: back to the default).
    pub review_meeting: Option<Option<MeetingId>>,
}

/// Edits or reassigns an open task (the unit's secretary or deputy), with its history entry, its
/// audit record and, when reassigned, a `task.assigned` outbox event. Once the caller may edit,
/// `matching` is given the current version and returns the version to write against (or the
/// caller's refusal, e.g. a stale `If-Match`); the write then succeeds only if the task is still
/// at that version (`Store(VersionMismatch)` otherwise).
pub async fn update<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: TaskId,
    matching: impl FnOnce(i32) -> Result<i32, E>,
    changes: Result<TaskChanges, E>,
) -> Result<TaskDetail, UpdateTaskError<E>> {
    let now = ctx.clock.now();
    let Loaded { mut task, role } = load(ctx, who.actor, id).await?;
    workflow::next(task.status, Step::Edit, role).map_err(UpdateTaskError::Step)?;
    let version = matching(task.version).map_err(UpdateTaskError::Request)?;
    let changes = changes.map_err(UpdateTaskError::Request)?;
    if let Some(title) = changes.title {
        task.title = title;
    }
    if let Some(description) = changes.description {
        task.description = description;
    }
    if let Some(priority) = changes.priority {
        task.priority = priority;
    }
    if let Some(ids) = &changes.assignee_ids {
        task.assignees = choose_assignees(ctx, task.unit_id, ids).await?;
    }
    if let Some(due_on) = changes.due_on {
        task.due_on = due_on;
    }
    if let Some(review) = changes.review_meeting {
        task.review_meeting_id = meeting_of(ctx, task.unit_id, review, MeetingField::Review).await?;
    }
    let account = account::<UpdateTaskError<E>>(who)?;
    task.updated_at = now;
    let reassigned = changes.assignee_ids.is_some();
    let tx = ctx.db.begin().await?;
    storage::tasks::update(tx.conn(), &task, version).await?;
    storage::tasks::add_update(tx.conn(), &history(ctx, &task, who, account, Step::Edit, Report::default())).await?;
    if reassigned {
        storage::outbox::push(tx.conn(), &Event::TaskAssigned(crate::jobs::task_notice(&task)).to_outbox(now)?).await?;
    }
    audit::record(
        &tx,
        who,
        now,
        "task.update",
        ("task", Some(task.id.as_uuid())),
        Some(task.unit_id),
        serde_json::json!({"reassigned": reassigned}),
    )
    .await?;
    tx.commit().await?;
    task.version = version + 1;
    Ok(detail(ctx, task).await?)
}

// ---------------------------------------------------------------- steps

/// A progress update or result report, as parsed from the request.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Percentage done (0–100), as the assignee judges it.
    pub percent: Option<u8>,
    /// Note (trimmed).
    pub note: String,
    /// Reference to supporting material (trimmed).
    pub attachment_ref: Option<String>,
}

async fn assignee_step<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: TaskId,
    step: Step,
    input: Result<Report, E>,
) -> Result<TaskDetail, TaskStepError<E>> {
    let Loaded { mut task, role } = load(ctx, who.actor, id).await?;
    let next = workflow::next(task.status, step, role).map_err(TaskStepError::Step)?;
    let report = input.map_err(TaskStepError::Request)?;
    let account = account::<TaskStepError<E>>(who)?;
    let now = ctx.clock.now();
    let version = task.version;
    task.status = next;
    if let Some(p) = report.percent {
        task.percent = p;
    }
    if step == Step::Submit {
        task.submitted_at = Some(now);
    }
    task.updated_at = now;
    let entry = history(ctx, &task, who, account, step, report);
    save_step(ctx, who, task, version, entry, None).await
}

/// Reports progress (assignees only); moves an assigned task to in progress.
pub async fn progress<E>(ctx: &Ctx, who: Requester<'_>, id: TaskId, input: Result<Report, E>) -> Result<TaskDetail, TaskStepError<E>> {
    assignee_step(ctx, who, id, Step::Progress, input).await
}

/// Reports the result (assignees only): the task awaits the leaders' evaluation.
pub async fn submit<E>(ctx: &Ctx, who: Requester<'_>, id: TaskId, input: Result<Report, E>) -> Result<TaskDetail, TaskStepError<E>> {
    assignee_step(ctx, who, id, Step::Submit, input).await
}

/// An evaluation, as parsed from the request.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The rating.
    pub rating: Rating,
    /// Comment (trimmed; may be empty).
    pub comment: String,
}

/// Evaluates the reported result (the unit's secretary or deputy; never one's own task), with
/// its audit record.
pub async fn evaluate<E>(ctx: &Ctx, who: Requester<'_>, id: TaskId, input: Result<Evaluation, E>) -> Result<TaskDetail, TaskStepError<E>> {
    let Loaded { mut task, role } = load(ctx, who.actor, id).await?;
    let next = workflow::next(task.status, Step::Evaluate, role).map_err(TaskStepError::Step)?;
    let Evaluation { rating, comment } = input.map_err(TaskStepError::Request)?;
    let account = account::<TaskStepError<E>>(who)?;
    let now = ctx.clock.now();
    let version = task.version;
    task.status = next;
    task.rating = Some(rating);
    task.evaluation_comment = Some(comment.clone()).filter(|c| !c.is_empty());
    task.evaluated_by = Some(account);
    task.evaluated_at = Some(now);
    task.updated_at = now;
    let entry =
        history(ctx, &task, who, account, Step::Evaluate, Report { note: format!("{}: {comment}", rating.code()), ..Report::default() });
    let audited = ("task.evaluate".to_string(), serde_json::json!({"rating": rating.code()}));
    save_step(ctx, who, task, version, entry, Some(audited)).await
}

async fn leader_close<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: TaskId,
    step: Step,
    comment: Result<String, E>,
) -> Result<TaskDetail, TaskStepError<E>> {
    let Loaded { mut task, role } = load(ctx, who.actor, id).await?;
    let next = workflow::next(task.status, step, role).map_err(TaskStepError::Step)?;
    let comment = comment.map_err(TaskStepError::Request)?;
    let account = account::<TaskStepError<E>>(who)?;
    let now = ctx.clock.now();
    let version = task.version;
    task.status = next;
    if step == Step::Cancel {
        task.cancelled_at = Some(now);
        task.cancel_reason = Some(comment.clone());
    } else {
        task.evaluation_comment = Some(comment.clone());
        task.submitted_at = None;
    }
    task.updated_at = now;
    let entry = history(ctx, &task, who, account, step, Report { note: comment.clone(), ..Report::default() });
    let audited = (format!("task.{}", step.code()), serde_json::json!({"comment": comment}));
    save_step(ctx, who, task, version, entry, Some(audited)).await
}

/// Sends the result back to in progress with a comment (the unit's secretary or deputy), with its
/// audit record.
pub async fn return_task<E>(ctx: &Ctx, who: Requester<'_>, id: TaskId, comment: Result<String, E>) -> Result<TaskDetail, TaskStepError<E>> {
    leader_close(ctx, who, id, Step::Return, comment).await
}

/// Cancels an open task with a reason (the unit's secretary or deputy), with its audit record.
pub async fn cancel<E>(ctx: &Ctx, who: Requester<'_>, id: TaskId, reason: Result<String, E>) -> Result<TaskDetail, TaskStepError<E>> {
    leader_close(ctx, who, id, Step::Cancel, reason).await
}

// ---------------------------------------------------------------- reads

/// A task with its history, for anyone who may see it.
pub async fn task(ctx: &Ctx, actor: &Actor, id: TaskId) -> Result<TaskDetail, ViewTaskError> {
    let Loaded { task, .. } = load(ctx, actor, id).await?;
    Ok(detail(ctx, task).await?)
}

/// Which page of a list, and which tasks, as parsed from the request.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Only these statuses (empty: all).
    pub statuses: Vec<Status>,
    /// Only overdue tasks (open and past the due date today in Vietnam).
    pub overdue: bool,
    /// Tasks after this one (the previous page's last).
    pub after: Option<TaskId>,
    /// Page size.
    pub limit: u64,
}

/// A page of tasks, in creation order.
#[derive(Debug, Clone)]
pub struct Page {
    /// The tasks.
    pub tasks: Vec<TaskRecord>,
    /// Whether more follow the last one.
    pub more: bool,
}

async fn page(ctx: &Ctx, mut q: TaskQuery, listing: Listing) -> Result<Page, StoreError> {
    q.statuses = listing.statuses;
    q.due_before = listing.overdue.then(|| ctx.clock.today());
    q.after = listing.after;
    q.limit = listing.limit + 1;
    let mut tasks = storage::tasks::list(ctx.db.conn(), &q).await?;
    let more = tasks.len() as u64 > listing.limit;
    tasks.truncate(usize::try_from(listing.limit).unwrap_or(usize::MAX));
    Ok(Page { tasks, more })
}

/// The tasks of a unit (or, for leaders, committee members and administrators over it, of its
/// subtree), optionally of one assignee: members of the unit and those above it.
pub async fn unit_tasks<E>(
    ctx: &Ctx,
    actor: &Actor,
    unit: UnitId,
    include_subtree: bool,
    assignee: Option<MemberId>,
    listing: Result<Listing, E>,
) -> Result<Page, ListTasksError<E>> {
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, actor, Action::ViewRoster, &path) {
        return Err(ListTasksError::Forbidden);
    }
    if include_subtree && !allowed(ctx, actor, Action::ViewMemberPrivate, &path) {
        return Err(ListTasksError::Forbidden);
    }
    let listing = listing.map_err(ListTasksError::Request)?;
    let q = TaskQuery { unit: Some(unit), include_subtree, assignee, ..TaskQuery::default() };
    Ok(page(ctx, q, listing).await?)
}

/// The calling member's own tasks.
pub async fn my_tasks<E>(ctx: &Ctx, actor: &Actor, listing: Result<Listing, E>) -> Result<Page, ListTasksError<E>> {
    let member = actor.member_id.ok_or(ListTasksError::Forbidden)?;
    let listing = listing.map_err(ListTasksError::Request)?;
    Ok(page(ctx, TaskQuery { assignee: Some(member), ..TaskQuery::default() }, listing).await?)
}

/// The tasks to be reviewed at `meeting`, which the caller has been found to see: those
/// explicitly set for it, and, for a regular meeting, the unit's open or done tasks without a
/// chosen review meeting whose due date falls after the previous regular meeting and before this
/// one (their default review meeting).
pub async fn for_review(ctx: &Ctx, meeting: &MeetingRecord) -> Result<Vec<TaskRecord>, StoreError> {
    let db = ctx.db.conn();
    let mut tasks = storage::tasks::list(db, &TaskQuery { review_meeting: Some(meeting.id), limit: 1000, ..TaskQuery::default() }).await?;
    let date = membership::time::local_date(meeting.starts_at);
    if meeting.kind == MeetingKind::Regular {
        let earlier = storage::meetings::list(
            db,
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
            db,
            &TaskQuery { unit: Some(meeting.unit_id), due_from: previous, due_to: date.pred_opt(), limit: 1000, ..TaskQuery::default() },
        )
        .await?;
        tasks.extend(defaults.into_iter().filter(|t| t.review_meeting_id.is_none() && t.status != Status::Cancelled));
    }
    Ok(tasks)
}

/// Task figures of a unit's subtree.
#[derive(Debug, Clone)]
pub struct TaskStats {
    /// All tasks of the subtree.
    pub total: TaskFigures,
    /// Per assignee, by member id.
    pub members: Vec<(MemberId, TaskFigures)>,
}

/// Task figures of a unit's subtree (tasks due between `from` and `to`), in total and per
/// assignee, as of the context's clock: leaders, committee members and administrators over the
/// unit.
pub async fn stats(
    ctx: &Ctx,
    actor: &Actor,
    unit: UnitId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<TaskStats, ViewTaskError> {
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, actor, Action::ViewMemberPrivate, &path) {
        return Err(ViewTaskError::Forbidden);
    }
    let now = ctx.clock.now();
    let all = subtree_tasks(ctx, unit, from, to).await?;
    let facts = |t: &TaskRecord| TaskFacts { status: t.status, due_on: t.due_on, submitted_at: t.submitted_at, rating: t.rating };
    let total = figures(&all.iter().map(facts).collect::<Vec<_>>(), now);
    let mut per: HashMap<MemberId, Vec<TaskFacts>> = HashMap::new();
    for t in &all {
        for m in &t.assignees {
            per.entry(*m).or_default().push(facts(t));
        }
    }
    let mut members: Vec<(MemberId, TaskFigures)> = per.into_iter().map(|(m, f)| (m, figures(&f, now))).collect();
    members.sort_by_key(|(m, _)| m.as_uuid());
    Ok(TaskStats { total, members })
}
