//! Deferred point totals: a first read or an attendance writes its ledger entry and one queue row
//! in the request's transaction ([`storage::study::award_deferred`]); the applier here applies
//! the queue to the maintained totals (`member_points`, `unit_points` and their rank counts) in
//! batches, off the request.
//!
//! - **Exactly once**: a batch deletes its queue rows and adds their summed points in one
//!   transaction; a crash at any point leaves either the rows (applied after restart) or their
//!   effect.
//! - **Read-your-writes**: a member's own total adds their queued points
//!   ([`storage::study::total`]); leaderboards, ranks and the report figures' ranks count them once
//!   applied. The lag is the age of the oldest queued row (`handbook_points_pending_oldest_age_seconds`):
//!   the applier is woken after each commit that queued points and looks every second
//!   ([`APPLY_EVERY`]) regardless, so it is sub-second while it keeps up.
//! - **Several nodes**: on PostgreSQL each batch takes rows no other transaction holds
//!   (`FOR UPDATE SKIP LOCKED`), so the API nodes' appliers share one queue.

use std::sync::Arc;
use std::time::Duration;

use storage::StoreError;
use storage::study::Applied;
use tokio::sync::Notify;

use crate::Ctx;

/// Queue rows one applier transaction takes at most.
pub const BATCH: u64 = 500;
/// How often the applier looks at the queue when nothing woke it.
pub const APPLY_EVERY: Duration = Duration::from_secs(1);
/// How long the applier waits after a failed batch (a deadlock on PostgreSQL, a busy database)
/// before trying again; the batch's rows stay queued.
pub const RETRY_AFTER: Duration = Duration::from_millis(200);

/// Wakes the process's applier: one per server, shared by every [`Ctx`] of it.
#[derive(Debug, Default)]
pub struct PointsQueue {
    wake: Notify,
}

impl PointsQueue {
    /// Tells the applier that a commit queued points.
    pub fn queued(&self) {
        self.wake.notify_one();
    }

    /// Waits until [`PointsQueue::queued`] is called or `period` passes.
    pub async fn wait(&self, period: Duration) {
        let _ = tokio::time::timeout(period, self.wake.notified()).await;
    }
}

/// Applies one batch of at most `limit` queued entries in one transaction.
pub async fn apply_batch(ctx: &Ctx, limit: u64) -> Result<Applied, StoreError> {
    let tx = ctx.db.begin().await?;
    let applied = storage::study::apply_pending(tx.conn(), limit).await?;
    tx.commit().await?;
    Ok(applied)
}

/// Applies batches until the queue is empty (or holds only rows another applier has locked);
/// the number of entries applied. Tests call it before reading leaderboards.
pub async fn drain(ctx: &Ctx) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let applied = apply_batch(ctx, BATCH).await?;
        total += applied.entries;
        if applied.entries < BATCH {
            return Ok(total);
        }
    }
}

/// The applier's loop, for the life of the server: drain, then wait for a wake-up or
/// [`APPLY_EVERY`]. It drains once at start, so entries queued before a crash are applied after
/// the restart.
pub async fn run_applier(ctx: Ctx, queue: Arc<PointsQueue>) {
    loop {
        match drain(&ctx).await {
            Ok(_) => queue.wait(APPLY_EVERY).await,
            Err(e) => {
                tracing::warn!(error = %e, "applying queued point totals failed; retrying");
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }
}
