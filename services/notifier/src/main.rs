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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
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
    if once {
        match notifier::run::once(&ctx, &config.settings, &transports, config.poll).await.map_err(|e| e.to_string())? {
            Some(report) => println!("{report:?}"),
            None => println!("another notifier holds the lease on this database; nothing done"),
        }
        return Ok(());
    }
    let wake = notifier::run::outbox_wakeups(&config.database_url).await;
    notifier::run::forever(&ctx, &config.settings, &transports, config.poll, wake, shutdown(), notifier::run::SHUTDOWN_GRACE)
        .await
        .map_err(|e| e.to_string())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
