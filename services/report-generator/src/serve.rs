//! The long-running mode: requested reports as they come, the schedule once a minute, a graceful
//! stop.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use app::Ctx;
use app::reports::Generator;
use reports::schedule::Rule;

/// How long a stop waits for the report in hand before giving it back.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Queues due scheduled reports and generates everything queued. Returns (queued, done, failed).
pub async fn due(ctx: &Ctx, g: &Generator, rules: &[Rule]) -> Result<(u32, u32, u32), String> {
    let queued = app::reports::queue_due(ctx, rules).await.map_err(|e| e.to_string())?;
    let (done, failed) = app::reports::drain(ctx, g, &|| false).await.map_err(|e| e.to_string())?;
    Ok((queued, done, failed))
}

/// Runs until `shutdown` completes: every `poll`, generates queued reports; once a minute, queues
/// the schedule's due reports. On shutdown the report in hand may finish within `grace`; then the
/// instance's claims are given back.
pub async fn forever(
    ctx: &Ctx,
    g: &Generator,
    rules: &[Rule],
    poll: Duration,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> Result<(), String> {
    let stop = Arc::new(AtomicBool::new(false));
    let work = {
        let stop = stop.clone();
        let (ctx, g, rules) = (ctx.clone(), g.clone(), rules.to_vec());
        async move {
            let mut last_schedule: Option<std::time::Instant> = None;
            while !stop.load(Ordering::Relaxed) {
                if last_schedule.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    last_schedule = Some(std::time::Instant::now());
                    match app::reports::queue_due(&ctx, &rules).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(queued = n, "scheduled reports queued"),
                        Err(e) => tracing::error!(error = %e, "queueing scheduled reports failed"),
                    }
                }
                match app::reports::drain(&ctx, &g, &|| stop.load(Ordering::Relaxed)).await {
                    Ok((0, 0)) => {}
                    Ok((done, failed)) => tracing::info!(done, failed, "reports generated"),
                    Err(e) => tracing::error!(error = %e, "report generation stopped"),
                }
                tokio::time::sleep(poll).await;
            }
        }
    };
    let mut work = tokio::spawn(work);
    shutdown.await;
    tracing::info!("stopping: finishing the report in hand");
    stop.store(true, Ordering::Relaxed);
    if tokio::time::timeout(grace, &mut work).await.is_err() {
        work.abort();
        tracing::warn!("the report in hand did not finish within the grace period; giving it back");
    }
    let released = app::reports::release(ctx, g).await.map_err(|e| e.to_string())?;
    if released > 0 {
        tracing::info!(released, "claims given back");
    }
    Ok(())
}
