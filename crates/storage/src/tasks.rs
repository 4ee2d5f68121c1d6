//! Tasks, their assignees and their update history.

use chrono::{DateTime, NaiveDate, Utc};
use meetings::MeetingId;
use membership::{AccountId, MemberId, UnitId};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use tasks::TaskId;
use tasks::workflow::{Priority, Rating, Status};
use uuid::Uuid;

use crate::entities::{task_assignees, task_updates, tasks as rows};
use crate::{StoreError, StoreResult, corrupt, insert_row};

/// A task as stored, with its assignees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    /// Id.
    pub id: TaskId,
    /// Unit (usually a cell).
    pub unit_id: UnitId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Assignees.
    pub assignees: Vec<MemberId>,
    /// Member who assigned it (if the account is a member's).
    pub assigner_member_id: Option<MemberId>,
    /// Account that assigned it.
    pub assigner_account_id: AccountId,
    /// Meeting where it was assigned.
    pub source_meeting_id: Option<MeetingId>,
    /// Meeting where it is to be reviewed (default: the unit's next regular meeting after the due
    /// date, resolved at read time).
    pub review_meeting_id: Option<MeetingId>,
    /// Due date (a whole day in Vietnam).
    pub due_on: NaiveDate,
    /// Priority.
    pub priority: Priority,
    /// Status.
    pub status: Status,
    /// Progress, as last reported.
    pub percent: u8,
    /// Rating once done.
    pub rating: Option<Rating>,
    /// Evaluation or return comment.
    pub evaluation_comment: Option<String>,
    /// Who evaluated.
    pub evaluated_by: Option<AccountId>,
    /// When evaluated.
    pub evaluated_at: Option<DateTime<Utc>>,
    /// When the result was reported.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why cancelled.
    pub cancel_reason: Option<String>,
    /// Version.
    pub version: i32,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn to_record(m: rows::Model, assignees: Vec<MemberId>) -> StoreResult<TaskRecord> {
    Ok(TaskRecord {
        id: TaskId::from_uuid(m.id),
        unit_id: UnitId::from_uuid(m.unit_id),
        title: m.title,
        description: m.description,
        assignees,
        assigner_member_id: m.assigner_member_id.map(MemberId::from_uuid),
        assigner_account_id: AccountId::from_uuid(m.assigner_account_id),
        source_meeting_id: m.source_meeting_id.map(MeetingId::from_uuid),
        review_meeting_id: m.review_meeting_id.map(MeetingId::from_uuid),
        due_on: m.due_on,
        priority: Priority::parse(&m.priority).ok_or_else(|| corrupt("tasks.priority", &m.priority))?,
        status: Status::parse(&m.status).ok_or_else(|| corrupt("tasks.status", &m.status))?,
        percent: u8::try_from(m.percent).map_err(|e| corrupt("tasks.percent", e))?,
        rating: m.rating.as_deref().map(|r| Rating::parse(r).ok_or_else(|| corrupt("tasks.rating", r))).transpose()?,
        evaluation_comment: m.evaluation_comment,
        evaluated_by: m.evaluated_by.map(AccountId::from_uuid),
        evaluated_at: m.evaluated_at,
        submitted_at: m.submitted_at,
        cancelled_at: m.cancelled_at,
        cancel_reason: m.cancel_reason,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_active(t: &TaskRecord) -> rows::ActiveModel {
    rows::ActiveModel {
        id: Set(t.id.as_uuid()),
        unit_id: Set(t.unit_id.as_uuid()),
        title: Set(t.title.clone()),
        description: Set(t.description.clone()),
        assigner_member_id: Set(t.assigner_member_id.map(|m| m.as_uuid())),
        assigner_account_id: Set(t.assigner_account_id.as_uuid()),
        source_meeting_id: Set(t.source_meeting_id.map(|m| m.as_uuid())),
        review_meeting_id: Set(t.review_meeting_id.map(|m| m.as_uuid())),
        due_on: Set(t.due_on),
        priority: Set(t.priority.code().to_string()),
        status: Set(t.status.code().to_string()),
        percent: Set(i16::from(t.percent)),
        rating: Set(t.rating.map(|r| r.code().to_string())),
        evaluation_comment: Set(t.evaluation_comment.clone()),
        evaluated_by: Set(t.evaluated_by.map(|a| a.as_uuid())),
        evaluated_at: Set(t.evaluated_at),
        submitted_at: Set(t.submitted_at),
        cancelled_at: Set(t.cancelled_at),
        cancel_reason: Set(t.cancel_reason.clone()),
        due_soon_notified_at: sea_orm::ActiveValue::NotSet,
        overdue_notified_at: sea_orm::ActiveValue::NotSet,
        version: Set(t.version),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
    }
}

async fn write_assignees<C: ConnectionTrait>(c: &C, id: TaskId, assignees: &[MemberId]) -> StoreResult<()> {
    task_assignees::Entity::delete_many().filter(task_assignees::Column::TaskId.eq(id.as_uuid())).exec(c).await?;
    if !assignees.is_empty() {
        task_assignees::Entity::insert_many(
            assignees.iter().map(|m| task_assignees::ActiveModel { task_id: Set(id.as_uuid()), member_id: Set(m.as_uuid()) }),
        )
        .exec_without_returning(c)
        .await?;
    }
    Ok(())
}

/// Inserts a task with its assignees.
pub async fn insert<C: ConnectionTrait>(c: &C, t: &TaskRecord) -> StoreResult<()> {
    let mut active = to_active(t);
    active.due_soon_notified_at = Set(None);
    active.overdue_notified_at = Set(None);
    insert_row(c, active).await?;
    write_assignees(c, t.id, &t.assignees).await
}

/// Writes a task back if its version is still `expected_version` (incremented), with its
/// assignees. `VersionMismatch` if it changed meanwhile.
pub async fn update<C: ConnectionTrait>(c: &C, t: &TaskRecord, expected_version: i32) -> StoreResult<()> {
    let mut active = to_active(t);
    active.version = Set(expected_version + 1);
    active.created_at = sea_orm::ActiveValue::NotSet;
    let result = rows::Entity::update_many()
        .set(active)
        .filter(rows::Column::Id.eq(t.id.as_uuid()))
        .filter(rows::Column::Version.eq(expected_version))
        .exec(c)
        .await?;
    if result.rows_affected != 1 {
        return Err(StoreError::VersionMismatch);
    }
    write_assignees(c, t.id, &t.assignees).await
}

async fn with_assignees<C: ConnectionTrait>(c: &C, models: Vec<rows::Model>) -> StoreResult<Vec<TaskRecord>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut links = Vec::new();
    for chunk in ids.chunks(500) {
        links.extend(task_assignees::Entity::find().filter(task_assignees::Column::TaskId.is_in(chunk.iter().copied())).all(c).await?);
    }
    models
        .into_iter()
        .map(|m| {
            let mut who: Vec<MemberId> = links.iter().filter(|l| l.task_id == m.id).map(|l| MemberId::from_uuid(l.member_id)).collect();
            who.sort();
            to_record(m, who)
        })
        .collect()
}

/// Loads a task.
pub async fn get<C: ConnectionTrait>(c: &C, id: TaskId) -> StoreResult<TaskRecord> {
    let m = rows::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?;
    Ok(with_assignees(c, vec![m]).await?.remove(0))
}

/// Filter of a task list.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// Tasks of this unit (or its subtree).
    pub unit: Option<UnitId>,
    /// Include the unit's subtree.
    pub include_subtree: bool,
    /// Only tasks assigned to this member.
    pub assignee: Option<MemberId>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<Status>,
    /// Only tasks due before this date and still open (overdue at read time).
    pub due_before: Option<NaiveDate>,
    /// Due on or after.
    pub due_from: Option<NaiveDate>,
    /// Due on or before.
    pub due_to: Option<NaiveDate>,
    /// Only tasks to be reviewed at this meeting.
    pub review_meeting: Option<MeetingId>,
    /// Tasks with an id greater than this.
    pub after: Option<TaskId>,
    /// Page size.
    pub limit: u64,
}

/// Tasks matching the query, by id (creation order).
pub async fn list<C: ConnectionTrait>(c: &C, q: &TaskQuery) -> StoreResult<Vec<TaskRecord>> {
    let mut select = rows::Entity::find();
    if let Some(unit) = q.unit {
        select = if q.include_subtree {
            let sub = Query::select()
                .column("descendant_id")
                .from("org_unit_closure")
                .and_where(Expr::col("ancestor_id").eq(unit.as_uuid()))
                .to_owned();
            select.filter(rows::Column::UnitId.in_subquery(sub))
        } else {
            select.filter(rows::Column::UnitId.eq(unit.as_uuid()))
        };
    }
    if let Some(member) = q.assignee {
        let sub =
            Query::select().column("task_id").from("task_assignees").and_where(Expr::col("member_id").eq(member.as_uuid())).to_owned();
        select = select.filter(rows::Column::Id.in_subquery(sub));
    }
    if !q.statuses.is_empty() {
        select = select.filter(rows::Column::Status.is_in(q.statuses.iter().map(|s| s.code())));
    }
    if let Some(d) = q.due_before {
        select = select
            .filter(rows::Column::DueOn.lt(d))
            .filter(rows::Column::Status.is_not_in([Status::Done.code(), Status::Cancelled.code()]));
    }
    if let Some(d) = q.due_from {
        select = select.filter(rows::Column::DueOn.gte(d));
    }
    if let Some(d) = q.due_to {
        select = select.filter(rows::Column::DueOn.lte(d));
    }
    if let Some(m) = q.review_meeting {
        select = select.filter(rows::Column::ReviewMeetingId.eq(m.as_uuid()));
    }
    if let Some(after) = q.after {
        select = select.filter(rows::Column::Id.gt(after.as_uuid()));
    }
    let models = select.order_by_asc(rows::Column::Id).limit(q.limit).all(c).await?;
    with_assignees(c, models).await
}

/// One entry of a task's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRecord {
    /// Id.
    pub id: Uuid,
    /// Task.
    pub task_id: TaskId,
    /// `progress`, `submit`, `evaluate`, `return`, `cancel`, `edit`.
    pub kind: String,
    /// Author member.
    pub author_member_id: Option<MemberId>,
    /// Author account.
    pub author_account_id: AccountId,
    /// Percentage reported.
    pub percent: Option<u8>,
    /// Note.
    pub note: String,
    /// Reference to an attachment (a document attachment id or a URL).
    pub attachment_ref: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Appends a history entry.
pub async fn add_update<C: ConnectionTrait>(c: &C, u: &UpdateRecord) -> StoreResult<()> {
    insert_row(
        c,
        task_updates::ActiveModel {
            id: Set(u.id),
            task_id: Set(u.task_id.as_uuid()),
            kind: Set(u.kind.clone()),
            author_member_id: Set(u.author_member_id.map(|m| m.as_uuid())),
            author_account_id: Set(u.author_account_id.as_uuid()),
            percent: Set(u.percent.map(i16::from)),
            note: Set(u.note.clone()),
            attachment_ref: Set(u.attachment_ref.clone()),
            created_at: Set(u.created_at),
        },
    )
    .await
}

/// A task's history, oldest first.
pub async fn updates<C: ConnectionTrait>(c: &C, task: TaskId) -> StoreResult<Vec<UpdateRecord>> {
    let rows = task_updates::Entity::find()
        .filter(task_updates::Column::TaskId.eq(task.as_uuid()))
        .order_by_asc(task_updates::Column::Id)
        .all(c)
        .await?;
    Ok(rows
        .into_iter()
        .map(|u| UpdateRecord {
            id: u.id,
            task_id: TaskId::from_uuid(u.task_id),
            kind: u.kind,
            author_member_id: u.author_member_id.map(MemberId::from_uuid),
            author_account_id: AccountId::from_uuid(u.author_account_id),
            percent: u.percent.and_then(|p| u8::try_from(p).ok()),
            note: u.note,
            attachment_ref: u.attachment_ref,
            created_at: u.created_at,
        })
        .collect())
}

/// Open tasks due on or before `due_by` not yet notified as due soon (`overdue = false`) or
/// overdue (`overdue = true`: due before `due_by`).
pub async fn to_notify<C: ConnectionTrait>(c: &C, due_by: NaiveDate, overdue: bool) -> StoreResult<Vec<TaskRecord>> {
    let mut select = rows::Entity::find().filter(rows::Column::Status.is_not_in([Status::Done.code(), Status::Cancelled.code()]));
    select = if overdue {
        select.filter(rows::Column::DueOn.lt(due_by)).filter(rows::Column::OverdueNotifiedAt.is_null())
    } else {
        select.filter(rows::Column::DueOn.lte(due_by)).filter(rows::Column::DueSoonNotifiedAt.is_null())
    };
    let models = select.limit(10_000).all(c).await?;
    with_assignees(c, models).await
}

/// Marks a task as notified (due soon or overdue).
pub async fn mark_notified<C: ConnectionTrait>(c: &C, id: TaskId, overdue: bool, at: DateTime<Utc>) -> StoreResult<()> {
    let active = if overdue {
        rows::ActiveModel { overdue_notified_at: Set(Some(at)), ..Default::default() }
    } else {
        rows::ActiveModel { due_soon_notified_at: Set(Some(at)), ..Default::default() }
    };
    rows::Entity::update_many().set(active).filter(rows::Column::Id.eq(id.as_uuid())).exec(c).await?;
    Ok(())
}
