//! Wake-ups on new outbox events (PostgreSQL `LISTEN`/`NOTIFY`).
//!
//! A trigger on `outbox_events` runs `pg_notify('handbook_outbox', '')` for every statement that
//! writes events; PostgreSQL delivers it when the writing transaction commits. [`outbox_wakeups`]
//! keeps a dedicated connection listening and signals a [`tokio::sync::Notify`]; the notifier
//! waits on it as well as on its poll interval, so a new event is picked up at once while the
//! poll still covers a lost connection (the listener reconnects by itself). SQLite has no such
//! mechanism: the notifier polls.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tracing::warn;

/// The channel the trigger notifies.
pub const OUTBOX_CHANNEL: &str = "handbook_outbox";

/// For a PostgreSQL `url`, starts listening and returns the signal; `None` for SQLite.
pub async fn outbox_wakeups(url: &str) -> Option<Arc<Notify>> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return None;
    }
    let notify = Arc::new(Notify::new());
    let signal = notify.clone();
    let url = url.to_string();
    tokio::spawn(async move {
        loop {
            match PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(OUTBOX_CHANNEL).await {
                        warn!(error = %e, "outbox listener: LISTEN failed; polling only until it reconnects");
                    } else {
                        // Events written while (re)connecting are found by the next pass.
                        signal.notify_one();
                        loop {
                            match listener.recv().await {
                                Ok(_) => signal.notify_one(),
                                Err(e) => {
                                    warn!(error = %e, "outbox listener: connection lost; reconnecting");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(e) => warn!(error = %e, "outbox listener: cannot connect; polling only until it can"),
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
    Some(notify)
}
