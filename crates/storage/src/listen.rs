//! Wake-ups on new outbox events (PostgreSQL `LISTEN`/`NOTIFY`).
//!
//! A trigger on `outbox_events` runs `pg_notify('handbook_outbox', '')` for every statement that
//! writes events; PostgreSQL delivers it when the writing transaction commits. An
//! [`OutboxListener`] holds a dedicated connection listening on that channel (it reconnects by
//! itself when the connection drops); the notifier waits on it as well as on its poll interval, so
//! a new event is picked up at once while the poll still covers a lost notification. SQLite has no
//! such mechanism: the notifier polls.

use sqlx::postgres::PgListener;

use crate::StoreError;

/// The channel the trigger notifies.
pub const OUTBOX_CHANNEL: &str = "handbook_outbox";

/// A connection listening for new outbox events.
#[derive(Debug)]
pub struct OutboxListener(PgListener);

fn error(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(sea_orm::DbErr::Custom(e.to_string()))
}

impl OutboxListener {
    /// For a PostgreSQL `url`, connects and listens; `Ok(None)` for any other database.
    pub async fn connect(url: &str) -> Result<Option<Self>, StoreError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Ok(None);
        }
        let mut listener = PgListener::connect(url).await.map_err(error)?;
        listener.listen(OUTBOX_CHANNEL).await.map_err(error)?;
        Ok(Some(Self(listener)))
    }

    /// Waits for the next notification. A dropped connection is re-established (and `LISTEN`
    /// issued again) before waiting on; an error means that failed.
    pub async fn next(&mut self) -> Result<(), StoreError> {
        self.0.recv().await.map(|_| ()).map_err(error)
    }
}
