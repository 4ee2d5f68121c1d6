//! `notifier` — the handbook's notification worker.
//!
//! ```text
//! notifier          long-running: a pass every HANDBOOK_NOTIFIER_POLL_MS until SIGINT/SIGTERM
//! notifier --once   one pass, for cron or a timer
//! ```
//!
//! Configuration by environment (the README's table): the database as for the API
//! (`DATABASE_URL`), the pass settings (`HANDBOOK_NOTIFIER_*`), the channels (`HANDBOOK_SMTP_*`,
//! `HANDBOOK_PUSH_WEBHOOK_*`).

use std::process::ExitCode;
use std::sync::Arc;

use app::clock::{SharedClock, SystemClock};
use notifier::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let logging = telemetry::LogFormat::from_env().and_then(|format| telemetry::init_logging(format, false));
    if let Err(e) = logging {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let once = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => false,
        ["--once"] => true,
        _ => return Err("usage: notifier [--once]".to_string()),
    };
    let lookup = |name: &str| std::env::var(name).ok();
    let mut config = Config::from_lookup(lookup).map_err(|e| e.to_string())?;
    let clock: SharedClock = Arc::new(SystemClock);
    let transports = notifier::transports(&lookup, &clock).map_err(|e| e.to_string())?;
    config.settings.channels = notifier::channels(&transports);
    let db = storage::Database::connect_worker(&config.database_url, 4).await.map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    let ctx = app::Ctx::new(db, clock);
    // Kept alive while the notifier runs.
    let _metrics = match config.metrics_bind {
        Some(addr) => Some(serve_metrics(addr, ctx.clone()).await?),
        None => None,
    };
    if once {
        match notifier::run::once(&ctx, &config.settings, &transports, config.poll).await.map_err(|e| e.to_string())? {
            Some(report) => println!("{report:?}"),
            None => println!("another notifier holds the lease on this database; nothing done"),
        }
        return Ok(());
    }
    let wake = notifier::run::outbox_wakeups(&config.database_url).await;
    notifier::run::forever(&ctx, &config.settings, &transports, config.poll, wake, telemetry::shutdown(), notifier::run::SHUTDOWN_GRACE)
        .await
        .map_err(|e| e.to_string())
}

/// Installs the process's metrics recorder and serves `GET /metrics` on `addr`, the gauges read
/// at each scrape.
async fn serve_metrics(addr: std::net::SocketAddr, ctx: app::Ctx) -> Result<tokio::task::JoinHandle<()>, String> {
    let metrics = telemetry::Metrics::new();
    metrics.install_global().map_err(|e| e.to_string())?;
    metrics.spawn_upkeep();
    let (local, task) = telemetry::serve_metrics(addr, move || {
        let (ctx, metrics) = (ctx.clone(), metrics.clone());
        async move {
            app::ops::snapshot(&ctx).await.record();
            metrics.render()
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    tracing::info!(addr = %local, "metrics at http://{local}/metrics");
    Ok(task)
}
