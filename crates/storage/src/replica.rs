//! A PostgreSQL streaming replica for lag-tolerant reads (leaderboards, search, audit listings,
//! report roll-ups).
//!
//! [`Database::with_replica`] attaches it; [`Database::reader`] is the connection such reads use:
//! the replica while the last [`Database::check_replica`] found it answering and at most
//! `max_lag` behind the primary, the primary otherwise (read-your-writes paths keep
//! [`Database::conn`]). The lag is measured from both sides at each check: the primary's current
//! WAL position is noted with the time of the check, and the replica's replayed position is
//! compared with the positions noted; the lag is the time since the earliest noted position the
//! replica has not replayed yet (0 when it has replayed them all), so it is exact to within the
//! check period and does not grow on an idle primary. Reads go to the replica only once it has
//! been seen to replay a position noted here (a standby hours behind looks current at the first
//! check), only while the last successful check is under [`STALE_AFTER`] old (a check that hangs
//! does not keep them there), and never when it belongs to another cluster (its
//! `system_identifier` differs: a promoted, diverged former standby). The primary's own URL, not
//! in recovery and of the same cluster, counts as current. A replica that fails between two checks
//! fails the reads sent to it in that window (`StoreError::Unavailable`, 503) until the next check
//! moves them to the primary.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::{Database, StoreError};

/// A replica and what the last check found.
#[derive(Debug)]
pub(crate) struct Replica {
    pub(crate) conn: DatabaseConnection,
    max_lag: Duration,
    usable: AtomicBool,
    /// Lag at the last successful check, in milliseconds; -1 before the first or after a failure.
    lag_ms: AtomicI64,
    reads_replica: AtomicU64,
    reads_primary: AtomicU64,
    /// The primary's WAL positions noted at checks that the replica had not replayed yet, oldest
    /// first, with when they were noted.
    unreplayed: std::sync::Mutex<std::collections::VecDeque<(u64, Instant)>>,
    /// Whether the replica has been seen to replay a position noted here: until then its lag is
    /// unknown (a standby hours behind looks current at the first check), and reads stay on the
    /// primary.
    confirmed: AtomicBool,
    /// When the replica was attached, and the last successful check (milliseconds after that):
    /// a check that hangs does not leave reads on the replica past [`STALE_AFTER`].
    attached: Instant,
    last_ok_ms: AtomicU64,
    /// The WAL position the replica had replayed at the last check (`u64::MAX` for the primary
    /// itself), for reads that must see what was committed before a point ([`Database::reading_after`]).
    replayed: AtomicU64,
}

/// How long after the last successful check the replica still serves reads (the checks run every
/// second; one that hangs or fails longer than this moves reads to the primary).
pub const STALE_AFTER: Duration = Duration::from_secs(3);

/// The replica's state, for metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaStatus {
    /// Lag-tolerant reads go to the replica now.
    pub usable: bool,
    /// Seconds behind the primary at the last check; `None` when it failed.
    pub lag_seconds: Option<f64>,
    /// Lag-tolerant reads sent to the replica since the start.
    pub reads_on_replica: u64,
    /// Lag-tolerant reads sent to the primary (the replica down or lagging) since the start.
    pub reads_on_primary: u64,
}

impl Database {
    /// This database with `replica` for lag-tolerant reads, used while it is at most `max_lag`
    /// behind. Reads stay on the primary until the first [`Database::check_replica`].
    #[must_use]
    pub fn with_replica(mut self, replica: Database, max_lag: Duration) -> Self {
        self.replica = Some(Arc::new(Replica {
            conn: replica.conn,
            max_lag,
            usable: AtomicBool::new(false),
            lag_ms: AtomicI64::new(-1),
            reads_replica: AtomicU64::new(0),
            reads_primary: AtomicU64::new(0),
            unreplayed: std::sync::Mutex::default(),
            confirmed: AtomicBool::new(false),
            attached: Instant::now(),
            last_ok_ms: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
        }));
        self
    }

    /// The connection for a read that may lag (see the module documentation): the replica when
    /// one is attached and usable, the primary otherwise.
    pub fn reader(&self) -> &DatabaseConnection {
        match &self.replica {
            Some(r) if r.usable.load(Ordering::Relaxed) && r.fresh() && r.replayed.load(Ordering::Relaxed) >= self.min_replayed => {
                r.reads_replica.fetch_add(1, Ordering::Relaxed);
                &r.conn
            }
            Some(r) => {
                r.reads_primary.fetch_add(1, Ordering::Relaxed);
                &self.conn
            }
            None => &self.conn,
        }
    }

    /// The primary's current WAL position when a replica is attached (`None` without one): pass
    /// it to [`Database::reading_after`] before reads that must see every write committed so far.
    pub async fn write_position(&self) -> Result<Option<u64>, StoreError> {
        if self.replica.is_none() {
            return Ok(None);
        }
        let row = self
            .conn
            .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT pg_current_wal_lsn()::text AS lsn"))
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(Some(lsn(&row.try_get::<String>("", "lsn")?)?))
    }

    /// This database, whose lag-tolerant reads go to the replica only once it is known (at a
    /// check) to have replayed `position`: a report asked for right after a write is built with
    /// that write, from the primary until the replica has it.
    #[must_use]
    pub fn reading_after(&self, position: u64) -> Self {
        let mut db = self.clone();
        db.min_replayed = position;
        db
    }

    /// Measures the replica's lag and decides whether reads go there; `None` without a replica.
    /// A failed measurement (the replica or the primary not answering) sends reads to the
    /// primary and is returned as the error.
    pub async fn check_replica(&self) -> Option<Result<Duration, StoreError>> {
        let replica = self.replica.as_ref()?;
        let lag = measure(&self.conn, replica).await;
        match &lag {
            Ok(lag) => {
                replica.lag_ms.store(i64::try_from(lag.as_millis()).unwrap_or(i64::MAX), Ordering::Relaxed);
                replica.last_ok_ms.store(u64::try_from(replica.attached.elapsed().as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
                replica.usable.store(replica.confirmed.load(Ordering::Relaxed) && *lag <= replica.max_lag, Ordering::Relaxed);
            }
            Err(_) => {
                replica.lag_ms.store(-1, Ordering::Relaxed);
                replica.usable.store(false, Ordering::Relaxed);
            }
        }
        Some(lag)
    }

    /// What the last check found; `None` without a replica.
    pub fn replica_status(&self) -> Option<ReplicaStatus> {
        let r = self.replica.as_ref()?;
        let lag = r.lag_ms.load(Ordering::Relaxed);
        #[allow(clippy::cast_precision_loss)] // milliseconds, far below 2^52
        let lag_seconds = (lag >= 0).then(|| lag as f64 / 1000.0);
        Some(ReplicaStatus {
            usable: r.usable.load(Ordering::Relaxed) && r.fresh(),
            lag_seconds,
            reads_on_replica: r.reads_replica.load(Ordering::Relaxed),
            reads_on_primary: r.reads_primary.load(Ordering::Relaxed),
        })
    }
}

async fn measure(primary: &DatabaseConnection, replica: &Replica) -> Result<Duration, StoreError> {
    if primary.get_database_backend() != DbBackend::Postgres || replica.conn.get_database_backend() != DbBackend::Postgres {
        return Err(StoreError::Unavailable(sea_orm::DbErr::Custom(
            "a read replica is a PostgreSQL standby of a PostgreSQL primary".into(),
        )));
    }
    let noted_at = Instant::now();
    let position = primary
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_current_wal_lsn()::text AS lsn, (SELECT system_identifier::text FROM pg_control_system()) AS cluster",
        ))
        .await?
        .ok_or(StoreError::NotFound)?;
    let written = lsn(&position.try_get::<String>("", "lsn")?)?;
    let cluster: String = position.try_get("", "cluster")?;
    let row = replica
        .conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_is_in_recovery() AS standby, COALESCE(pg_last_wal_replay_lsn()::text, '0/0') AS replayed, \
                    (SELECT system_identifier::text FROM pg_control_system()) AS cluster",
        ))
        .await?
        .ok_or(StoreError::NotFound)?;
    let standby: bool = row.try_get("", "standby")?;
    let replayed = lsn(&row.try_get::<String>("", "replayed")?)?;
    let replica_cluster: String = row.try_get("", "cluster")?;
    let mut unreplayed = replica.unreplayed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if replica_cluster != cluster {
        // Another cluster (a promoted former standby that diverged, a wrong URL): never read there.
        unreplayed.clear();
        replica.confirmed.store(false, Ordering::Relaxed);
        return Err(StoreError::Unavailable(sea_orm::DbErr::Custom(
            "the read replica is not a standby of this primary (another cluster)".into(),
        )));
    }
    if !standby {
        // The primary itself (same cluster, not in recovery): always current.
        unreplayed.clear();
        replica.confirmed.store(true, Ordering::Relaxed);
        replica.replayed.store(u64::MAX, Ordering::Relaxed);
        return Ok(Duration::ZERO);
    }
    replica.replayed.store(replayed, Ordering::Relaxed);
    if unreplayed.back().is_some_and(|(l, _)| *l > written) {
        // The primary's position went back (a restored or rebuilt cluster): start over.
        unreplayed.clear();
        replica.confirmed.store(false, Ordering::Relaxed);
    }
    if unreplayed.back().is_none_or(|(l, _)| *l < written) {
        unreplayed.push_back((written, noted_at));
    }
    while unreplayed.front().is_some_and(|(l, _)| *l <= replayed) {
        unreplayed.pop_front();
        replica.confirmed.store(true, Ordering::Relaxed);
    }
    Ok(unreplayed.front().map_or(Duration::ZERO, |(_, at)| at.elapsed()))
}

impl Replica {
    /// Whether the last successful check is recent enough to trust.
    fn fresh(&self) -> bool {
        let now_ms = u64::try_from(self.attached.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.last_ok_ms.load(Ordering::Relaxed);
        last > 0 && now_ms.saturating_sub(last) <= u64::try_from(STALE_AFTER.as_millis()).unwrap_or(u64::MAX)
    }
}

/// A WAL position (`X/Y`, two hexadecimal halves) as a number.
fn lsn(text: &str) -> Result<u64, StoreError> {
    let bad = || StoreError::Corrupt(format!("not a WAL position: {text}"));
    let (hi, lo) = text.split_once('/').ok_or_else(bad)?;
    let hi = u64::from_str_radix(hi, 16).map_err(|_| bad())?;
    let lo = u64::from_str_radix(lo, 16).map_err(|_| bad())?;
    Ok((hi << 32) | lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_after_a_position_wait_for_the_replica_to_have_replayed_it() {
        let primary = Database::connect("sqlite::memory:", 1).await.unwrap();
        let db = primary.clone().with_replica(primary.clone(), Duration::from_secs(10));
        let r = db.replica.as_ref().unwrap();
        // As a check that found the replica current, having replayed position 100, would leave it.
        r.usable.store(true, Ordering::Relaxed);
        r.last_ok_ms.store(u64::try_from(r.attached.elapsed().as_millis()).unwrap().max(1), Ordering::Relaxed);
        r.replayed.store(100, Ordering::Relaxed);
        let _ = db.reader();
        let _ = db.reading_after(100).reader();
        assert_eq!(db.replica_status().unwrap().reads_on_replica, 2, "replayed at or past the position: the replica");
        let _ = db.reading_after(101).reader();
        let status = db.replica_status().unwrap();
        assert_eq!((status.reads_on_replica, status.reads_on_primary), (2, 1), "not replayed yet: the primary");
    }

    #[test]
    fn wal_positions_read_as_numbers_in_order() {
        assert_eq!(super::lsn("0/0").unwrap(), 0);
        assert_eq!(super::lsn("16/B374D848").unwrap(), (0x16 << 32) | 0xB374_D848);
        assert!(super::lsn("1/FFFFFFFF").unwrap() < super::lsn("2/0").unwrap());
        assert!(super::lsn("nonsense").is_err());
    }
}
