//! Scheduled jobs. Each runs as of the context's clock (`api jobs … --now <RFC 3339>` replays a
//! past run), writes its events through the outbox in a transaction, and is idempotent: a second
//! run at the same instant writes nothing new.

use std::collections::{HashMap, HashSet};

use membership::{MemberId, UnitId};
use storage::members::{ListQuery, StandingFilter};
use tasks::workflow;

use crate::Ctx;
use crate::events::{Event, EventError, TaskNotice, UnreadEscalation};

/// Why a job stopped. What it committed before stays committed (each document's escalation, and
/// the whole reminder run, is one transaction).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] storage::StoreError),
    /// An event could not be encoded.
    #[error(transparent)]
    Event(#[from] EventError),
}

/// For every required document whose reading deadline has passed and that was not escalated yet,
/// writes one `document.unread_escalation` event per cell with unread audience members (addressed
/// to the cell's leaders), and marks the document escalated, in one transaction per document.
/// Returns the number of events written.
pub async fn escalate_unread(ctx: &Ctx) -> Result<usize, JobError> {
    let now = ctx.clock.now();
    let today = ctx.clock.today();
    let db = &ctx.db;
    let mut written = 0;
    for d in storage::documents::due_for_escalation(db.conn(), today).await? {
        let roots = storage::documents::audience(db.conn(), d.id).await?;
        let mut by_cell: HashMap<UnitId, Vec<MemberId>> = HashMap::new();
        for root in &roots {
            let mut after = None;
            loop {
                let page = storage::members::list(
                    db.conn(),
                    &ListQuery { unit: *root, include_subtree: true, standing: StandingFilter::Active, after, limit: 1000 },
                )
                .await?;
                let done = page.len() < 1000;
                after = page.last().map(|m| m.id);
                let ids: Vec<MemberId> = page.iter().map(|m| m.id).collect();
                let holders: HashSet<MemberId> = if d.roles.is_empty() {
                    ids.iter().copied().collect()
                } else {
                    storage::positions::for_members(db.conn(), &ids)
                        .await?
                        .into_iter()
                        .filter(|p| p.is_active_on(today) && d.roles.contains(&p.role))
                        .map(|p| p.member_id)
                        .collect()
                };
                let read: HashSet<MemberId> =
                    storage::documents::receipts(db.conn(), d.id, &ids).await?.into_iter().map(|(m, _)| m).collect();
                for m in page.iter().filter(|m| holders.contains(&m.id) && !read.contains(&m.id)) {
                    by_cell.entry(m.state.home_unit).or_default().push(m.id);
                }
                if done {
                    break;
                }
            }
        }
        let mut cells: Vec<(UnitId, Vec<MemberId>)> = by_cell.into_iter().collect();
        cells.sort_by_key(|(cell, _)| *cell);
        let tx = db.begin().await?;
        for (cell, mut members) in cells {
            members.sort();
            members.dedup();
            let event = Event::UnreadEscalation(UnreadEscalation {
                document_id: d.id.as_uuid(),
                cell_id: cell.as_uuid(),
                title: d.title.clone(),
                read_deadline: d.read_deadline,
                unread_member_ids: members.iter().map(|m| m.as_uuid()).collect(),
            });
            storage::outbox::push(tx.conn(), &event.to_outbox(now)?).await?;
            written += 1;
        }
        storage::documents::mark_escalated(tx.conn(), d.id, now).await?;
        tx.commit().await?;
    }
    Ok(written)
}

/// The event announcing `task` (assigned, due soon or overdue).
pub fn task_notice(task: &storage::tasks::TaskRecord) -> TaskNotice {
    TaskNotice {
        task_id: task.id.as_uuid(),
        unit_id: task.unit_id.as_uuid(),
        title: task.title.clone(),
        due_on: task.due_on,
        assignee_ids: task.assignees.iter().map(|m| m.as_uuid()).collect(),
    }
}

/// Writes `task.overdue` and `task.due_soon` (due within `due_soon_days` days) events, once per
/// task each, in one transaction. Returns how many events were written.
pub async fn task_reminders(ctx: &Ctx, due_soon_days: i64) -> Result<usize, JobError> {
    let now = ctx.clock.now();
    let today = ctx.clock.today();
    let soon_limit = today.checked_add_signed(chrono::Duration::days(due_soon_days)).unwrap_or(today);
    let mut written = 0;
    let tx = ctx.db.begin().await?;
    for t in storage::tasks::to_notify(tx.conn(), today, true).await? {
        storage::outbox::push(tx.conn(), &Event::TaskOverdue(task_notice(&t)).to_outbox(now)?).await?;
        storage::tasks::mark_notified(tx.conn(), t.id, true, now).await?;
        written += 1;
    }
    for t in storage::tasks::to_notify(tx.conn(), soon_limit, false).await? {
        if workflow::is_due_soon(t.status, t.due_on, now, due_soon_days) {
            storage::outbox::push(tx.conn(), &Event::TaskDueSoon(task_notice(&t)).to_outbox(now)?).await?;
            storage::tasks::mark_notified(tx.conn(), t.id, false, now).await?;
            written += 1;
        }
    }
    tx.commit().await?;
    Ok(written)
}
