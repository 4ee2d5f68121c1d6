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

/// The channel the inbox trigger notifies (migration 17): when a statement inserts
/// notifications, each payload names up to [`INBOX_IDS_PER_NOTIFICATION`] members whose inbox it
/// wrote, comma separated (several notifications for more), or is `*` when the statement wrote
/// for more than 20,000 members. PostgreSQL delivers them when the writing transaction commits.
pub const INBOX_CHANNEL: &str = "handbook_inbox";

/// The most member ids one notification carries (7.4 kB of the 8 kB a payload may hold).
pub const INBOX_IDS_PER_NOTIFICATION: usize = 200;

/// Whose inbox changed, as one notification tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxChange {
    /// These members' inboxes.
    Members(Vec<uuid::Uuid>),
    /// Possibly anyone's (a broadcast, or a payload that could not be read).
    All,
}

impl InboxChange {
    /// Reads a payload of [`INBOX_CHANNEL`]; anything but a list of ids is [`InboxChange::All`].
    pub fn parse(payload: &str) -> Self {
        let ids: Result<Vec<uuid::Uuid>, _> = payload.split(',').map(|s| uuid::Uuid::parse_str(s.trim())).collect();
        match ids {
            Ok(ids) if !ids.is_empty() => Self::Members(ids),
            _ => Self::All,
        }
    }
}

/// A connection listening for inbox changes, so that an API node learns of items another
/// process (a notifier, another node) wrote.
#[derive(Debug)]
pub struct InboxListener(PgListener);

impl InboxListener {
    /// On PostgreSQL, a connection from `db`'s settings listening on [`INBOX_CHANNEL`];
    /// `Ok(None)` on SQLite (one process writes the file; its streams poll).
    pub async fn connect(db: &crate::Database) -> Result<Option<Self>, StoreError> {
        if db.backend_name() != "postgres" {
            return Ok(None);
        }
        let pool = db.conn().get_postgres_connection_pool();
        let mut listener = PgListener::connect_with(pool).await.map_err(error)?;
        listener.listen(INBOX_CHANNEL).await.map_err(error)?;
        Ok(Some(Self(listener)))
    }

    /// Waits for the next change. A dropped connection answers [`InboxChange::All`] (what was
    /// notified meanwhile is lost, so every stream should look) and the next call re-establishes
    /// it; an error means that failed.
    pub async fn next(&mut self) -> Result<InboxChange, StoreError> {
        match self.0.try_recv().await.map_err(error)? {
            Some(n) => Ok(InboxChange::parse(n.payload())),
            // The connection dropped and was re-established: anything may have been missed.
            None => Ok(InboxChange::All),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InboxChange;

    #[test]
    fn inbox_payloads_name_members_or_everyone() {
        let a = uuid::Uuid::from_u128(1);
        let b = uuid::Uuid::from_u128(2);
        assert_eq!(InboxChange::parse(&format!("{a},{b}")), InboxChange::Members(vec![a, b]));
        assert_eq!(InboxChange::parse("*"), InboxChange::All);
        assert_eq!(InboxChange::parse(""), InboxChange::All);
        assert_eq!(InboxChange::parse(&format!("{a},nonsense")), InboxChange::All);
    }
}
