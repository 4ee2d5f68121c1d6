//! The notifier's loop: passes on the clock, the single-instance lease on SQLite, graceful
//! shutdown.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use app::Ctx;
use app::notify::transport::Transports;
use app::notify::{NotifyError, PassReport, Settings};
use tokio::sync::Notify;
use tracing::{info, warn};

/// How long the SQLite lease lasts past each renewal: a notifier that dies is replaced after this.
fn lease_ttl(poll: Duration) -> chrono::Duration {
    chrono::Duration::from_std(poll * 3).unwrap_or_else(|_| chrono::Duration::seconds(30)) + chrono::Duration::seconds(30)
}

/// Numbers in [0, 1) for retry jitter (std's random hasher keys; no cryptographic need).
pub fn jitter() -> impl FnMut() -> f64 {
    let state = std::collections::hash_map::RandomState::new();
    let mut n: u64 = 0;
    move || {
        n += 1;
        let mut h = state.build_hasher();
        h.write_u64(n);
        #[allow(clippy::cast_precision_loss)]
        let x = (h.finish() >> 11) as f64 / (1u64 << 53) as f64;
        x
    }
}

/// Whether the pass may run: on PostgreSQL always (instances share the work with `SKIP LOCKED`);
/// on SQLite when this instance holds the lease. Logs, once per change, that it waits.
async fn may_run(ctx: &Ctx, settings: &Settings, poll: Duration, waiting: &mut bool) -> Result<bool, NotifyError> {
    if ctx.db.backend_name() != "sqlite" {
        return Ok(true);
    }
    match app::notify::hold_lease(ctx, settings, lease_ttl(poll)).await? {
        None => {
            if *waiting {
                info!(holder = %settings.holder, "notifier: took the lease; running");
            }
            *waiting = false;
            Ok(true)
        }
        Some((holder, until)) => {
            if !*waiting {
                warn!(
                    holder = %settings.holder,
                    other = %holder,
                    until = %app::clock::format_instant(until),
                    "notifier: another notifier holds the lease on this SQLite database; waiting for it to stop"
                );
            }
            *waiting = true;
            Ok(false)
        }
    }
}

fn log_pass(report: &PassReport) {
    if *report != PassReport::default() {
        info!(
            reminders = report.reminders,
            events = report.events,
            chunks = report.chunks,
            events_failed = report.events_failed,
            items = report.items,
            deliveries = report.deliveries,
            sent = report.sent,
            retried = report.retried,
            dead = report.dead,
            skipped = report.skipped,
            pruned_events = report.pruned.0,
            pruned_deliveries = report.pruned.1,
            "notifier: pass"
        );
    }
}

/// For a PostgreSQL `url`, a signal raised whenever a transaction that wrote outbox events
/// commits (`LISTEN`/`NOTIFY`, see `storage::listen`), and once when the listener (re)connects;
/// `None` for SQLite, which is polled. The listener runs in its own task and comes back after a
/// lost connection; meanwhile the poll interval still finds new events.
pub async fn outbox_wakeups(url: &str) -> Option<Arc<Notify>> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return None;
    }
    let notify = Arc::new(Notify::new());
    let signal = notify.clone();
    let url = url.to_string();
    tokio::spawn(async move {
        loop {
            match storage::listen::OutboxListener::connect(&url).await {
                Ok(Some(mut listener)) => {
                    // Events written while (re)connecting are found by the next pass.
                    signal.notify_one();
                    while listener.next().await.is_ok() {
                        signal.notify_one();
                    }
                    warn!("notifier: the outbox listener lost its connection; polling until it is back");
                }
                Ok(None) => return,
                Err(e) => warn!(error = %e, "notifier: cannot listen for outbox events; polling until it can"),
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
    Some(notify)
}

/// One pass (`--once`). `Ok(None)` when another instance holds the SQLite lease: nothing is done.
pub async fn once(ctx: &Ctx, settings: &Settings, transports: &Transports, poll: Duration) -> Result<Option<PassReport>, NotifyError> {
    let mut waiting = false;
    if !may_run(ctx, settings, poll, &mut waiting).await? {
        return Ok(None);
    }
    let mut jitter = jitter();
    let result = app::notify::run_pass(ctx, settings, transports, &mut jitter).await;
    app::notify::release(ctx, settings).await?;
    let report = result?;
    log_pass(&report);
    Ok(Some(report))
}

/// How often the long-running notifier runs the reminder scans (every pass looks for new events
/// and due deliveries): reminders are about hours and days, and the scans read every meeting,
/// document, quiz and task that might be due.
pub const SCAN_EVERY: Duration = Duration::from_secs(60);

/// How long a shutdown waits for the pass in progress to reach a safe point (the send in flight
/// and its record) before abandoning it; longer than `app::notify::RECORD_SENT_AFTER`, so the
/// batch's earlier successes are recorded before a send that never answers is abandoned.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Runs passes every `poll` (and at once when `wake` signals a new event: PostgreSQL's
/// `LISTEN`/`NOTIFY`) until `shutdown` completes. Then it asks the pass in progress to stop at
/// its next safe point — between fan-out chunks and between messages, so the message being sent
/// is recorded as sent and not sent again — and waits up to `grace` for it; a pass still running
/// then (a send that does not answer) is abandoned, its open transaction rolling back. Last, the
/// instance's leased deliveries and lease are given back, so another instance (or the next
/// start) takes them up. A database error is logged and the loop goes on after the pause.
pub async fn forever(
    ctx: &Ctx,
    settings: &Settings,
    transports: &Transports,
    poll: Duration,
    wake: Option<Arc<Notify>>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> Result<(), NotifyError> {
    tokio::pin!(shutdown);
    let mut jitter = jitter();
    let mut waiting = false;
    let mut last_scan: Option<std::time::Instant> = None;
    info!(holder = %settings.holder, backend = ctx.db.backend_name(), poll_ms = poll.as_millis(), listening = wake.is_some(), "notifier: running");
    loop {
        let scans = last_scan.is_none_or(|at| at.elapsed() >= SCAN_EVERY);
        let pass = async {
            if may_run(ctx, settings, poll, &mut waiting).await? {
                app::notify::run_pass_with(ctx, settings, transports, &mut jitter, scans).await.map(Some)
            } else {
                Ok(None)
            }
        };
        tokio::pin!(pass);
        let stopping = tokio::select! {
            result = &mut pass => {
                if scans && matches!(result, Ok(Some(_))) {
                    last_scan = Some(std::time::Instant::now());
                }
                finished(result);
                false
            }
            () = &mut shutdown => true,
        };
        if stopping {
            settings.stop.store(true, std::sync::atomic::Ordering::SeqCst);
            match tokio::time::timeout(grace, &mut pass).await {
                Ok(result) => finished(result),
                Err(_) => warn!(grace_ms = grace.as_millis(), "notifier: the pass did not stop in time; abandoning it"),
            }
            break;
        }
        let woken = async {
            match &wake {
                Some(w) => w.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = woken => {}
            () = &mut shutdown => break,
        }
    }
    info!(holder = %settings.holder, "notifier: stopping");
    app::notify::release(ctx, settings).await?;
    Ok(())
}

fn finished(result: Result<Option<PassReport>, NotifyError>) {
    match result {
        Ok(Some(report)) => log_pass(&report),
        Ok(None) => {}
        Err(e) => warn!(error = %e, "notifier: pass failed; trying again after the pause"),
    }
}
