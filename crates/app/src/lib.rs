//! # app — the application layer of the electronic Party-member handbook
//!
//! What the binaries (`api`, and the notifier and report generator that build on it) share, so
//! that none of them copies another's code:
//!
//! - [`clock`]: the one injected clock. Every reader of "now" — request handlers, authentication,
//!   scheduled jobs, the demo and benchmark generators — takes it from a [`Clock`](clock::Clock),
//!   so that tests pin it and "today" is always Vietnam's date of the same instant.
//! - [`Ctx`]: what a use case needs from outside the domain (the database and the clock).
//! - [`documents`]: the document use cases (drafting and editing with a version check,
//!   attachments through a small [`Blobs`](documents::Blobs) store, publication with the
//!   `document.published` outbox event, withdrawal, reading with the first-read receipt and its
//!   points, the feed and search, readers and read rates, bookmarks), with who may read a
//!   document decided by `documents::access`' rule.
//! - [`backup`]: online backup of an installation (database snapshot, the files its rows name,
//!   a manifest of checksums) and its verified restore into an empty place.
//! - [`events`]: the typed events of the transactional outbox, with their versioned JSON form.
//! - [`jobs`]: the scheduled jobs (task reminders, unread-reading escalation) as plain async
//!   functions with typed errors.
//! - [`study`]: the study use cases (quiz attempts, point adjustments, activity points), each an
//!   async function over [`Ctx`] and the caller's `Actor` returning its own error enum;
//!   [`audit`] writes their audit records.
//! - [`tasks`]: the task use cases (assigning, editing with a version check, progress and result
//!   reports, evaluation, return, cancellation, lists, review at a meeting, figures), with the
//!   assignees chosen by `tasks::assignees`' rule and the `task.assigned` outbox event written in
//!   the transaction of the change.
//! - [`meetings`]: the meeting use cases (who may see a meeting, preparing and editing a draft
//!   with a version check, publishing, opening, ending, cancelling, lists, check-in and the
//!   attendance ledger; reports to the superior unit, attendance history and the calendar feed in
//!   `meetings::reports`; opinions in `meetings::comments`; minutes, motions, votes and ratings in
//!   `meetings::minutes`); status and lifecycle timestamps change only through the domain's
//!   `meetings::lifecycle::Meeting` transitions, and each write saves the meeting, its audit record
//!   and its outbox event in one transaction.
//!
//! The crate knows nothing of HTTP.
//!
//! ```
//! use app::clock::{Clock, FixedClock};
//! use chrono::{TimeZone, Utc};
//!
//! // 17:00 UTC on 31 January is already 1 February in Vietnam.
//! let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 31, 17, 0, 0).unwrap());
//! assert_eq!(clock.today().to_string(), "2026-02-01");
//! clock.advance(chrono::Duration::hours(7));
//! assert_eq!(clock.now().to_rfc3339(), "2026-02-01T00:00:00+00:00");
//! ```

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod bootstrap;
pub mod clock;
pub mod documents;
pub mod events;
pub mod jobs;
pub mod meetings;
pub mod members;
pub mod notify;
pub mod ops;
pub mod points;
pub mod positions;
pub mod reports;
pub mod study;
pub mod tasks;
pub mod units;

use clock::SharedClock;
use membership::permission::{
    ActOnMemberError, Action, Actor, HeldPosition, MemberTarget, authorize, authorize_on_member, not_self_nor_superior,
};
use membership::{MemberId, UnitId};

/// What every use case and job runs with: the database, the clock and the process's password
/// work (the bound on password hashing and the sign-in throttle's limits).
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The database pool.
    pub db: storage::Database,
    /// The one source of "now".
    pub clock: SharedClock,
    /// The bound on password hashing, the throttle's limits: one per process, shared by every
    /// context of a server.
    pub passwords: std::sync::Arc<accounts::Passwords>,
    /// Wakes the process's applier of queued point totals ([`points::run_applier`]) after a
    /// commit that queued points; one per server, shared by every context of it.
    pub points: std::sync::Arc<points::PointsQueue>,
}

impl Ctx {
    /// A context over `db` and `clock` with password work of its own (one hashing turn per
    /// core, the default throttle): for jobs and tools. A server shares one [`accounts::Passwords`]
    /// between all its requests with [`Ctx::with_passwords`].
    pub fn new(db: storage::Database, clock: SharedClock) -> Self {
        Self { db, clock, passwords: std::sync::Arc::default(), points: std::sync::Arc::default() }
    }

    /// A context over `db`, `clock` and the process's `passwords`.
    pub fn with_passwords(db: storage::Database, clock: SharedClock, passwords: std::sync::Arc<accounts::Passwords>) -> Self {
        Self { db, clock, passwords, points: std::sync::Arc::default() }
    }

    /// This context with the server's applier wake-up `points`.
    #[must_use]
    pub fn with_points(self, points: std::sync::Arc<points::PointsQueue>) -> Self {
        Self { points, ..self }
    }
}

/// Whether `actor` may do `action` on the unit with ancestry `path`, today.
pub(crate) fn allowed(ctx: &Ctx, actor: &Actor, action: Action, path: &[UnitId]) -> bool {
    authorize(actor, action, path, ctx.clock.today()).is_ok()
}

/// The ancestry of a unit, root first; `NotFound` if the unit does not exist.
pub(crate) async fn unit_path(ctx: &Ctx, unit: UnitId) -> Result<Vec<UnitId>, storage::StoreError> {
    let path = storage::units::path(ctx.db.conn(), unit).await?;
    if path.is_empty() { Err(storage::StoreError::NotFound) } else { Ok(path) }
}

/// Whether `actor` may act on member `member` (whose home cell has ancestry `home_path`) today:
/// with `Some(action)`, as `membership::permission::authorize_on_member` decides (not on
/// themselves, the action over the member's cell, and the right to appoint to every position the
/// member holds today or later); with `None`, only the last two parts
/// (`not_self_nor_superior`), for use cases whose right comes from elsewhere. The positions'
/// units' ancestries are loaded here, one indexed query each. The outer result is storage's.
pub(crate) async fn may_act_on(
    ctx: &Ctx,
    actor: &Actor,
    action: Option<Action>,
    member: MemberId,
    home_path: &[UnitId],
) -> Result<Result<(), ActOnMemberError>, storage::StoreError> {
    let today = ctx.clock.today();
    let decide = |target: &MemberTarget| match action {
        Some(action) => authorize_on_member(actor, action, target, today),
        None => not_self_nor_superior(actor, target, today),
    };
    let mut target = MemberTarget { member_id: member, home_path: home_path.to_vec(), positions: Vec::new() };
    // Nothing to load for the answers that do not depend on the positions.
    if let Err(refusal) = decide(&target) {
        return Ok(Err(refusal));
    }
    for p in storage::positions::for_members(ctx.db.conn(), &[member]).await?.into_iter().filter(|p| p.to.is_none_or(|to| today <= to)) {
        let path = storage::units::path(ctx.db.conn(), p.unit_id).await?;
        target.positions.push((HeldPosition { unit_id: p.unit_id, role: p.role, from: p.from, to: p.to }, path));
    }
    Ok(decide(&target))
}
