//! What operators watch: the gauges that need a look at the database (pool, outbox backlog,
//! queued point totals, SQLite's write-ahead log), gathered by [`snapshot`] and published through the `metrics`
//! facade by [`Snapshot::record`]. Each binary calls them when its `/metrics` is scraped; the
//! counters (notifier deliveries, report jobs) are incremented where the work ends.

use crate::Ctx;

/// The gauges of one scrape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    /// The connection pool.
    pub pool: storage::PoolStats,
    /// Outbox events not yet processed by the notifier; `None` when the query failed.
    pub outbox_backlog: Option<u64>,
    /// Seconds since the oldest unprocessed outbox event was written (0 when there is none).
    pub outbox_oldest_age_seconds: Option<f64>,
    /// Entries whose point totals are queued, not applied yet ([`crate::points`]); `None` when
    /// the query failed.
    pub points_pending: Option<u64>,
    /// Seconds since the oldest queued entry was written (0 when there is none): how far
    /// leaderboards lag.
    pub points_pending_oldest_age_seconds: Option<f64>,
    /// Bytes in SQLite's write-ahead log; `None` on PostgreSQL.
    pub wal_bytes: Option<u64>,
    /// The read replica, when one is configured.
    pub replica: Option<storage::ReplicaStatus>,
}

/// Reads the gauges now (one count and one indexed lookup on the outbox).
pub async fn snapshot(ctx: &Ctx) -> Snapshot {
    let backlog = match storage::outbox::backlog(ctx.db.conn()).await {
        Ok(b) => Some(b),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: reading the outbox backlog failed");
            None
        }
    };
    let now = ctx.clock.now();
    #[allow(clippy::cast_precision_loss)] // a count and milliseconds: exact far beyond real values
    let (outbox_backlog, outbox_oldest_age_seconds) = match backlog {
        Some((count, oldest)) => (Some(count), Some(oldest.map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1000.0))),
        None => (None, None),
    };
    let pending = match storage::study::pending_backlog(ctx.db.conn()).await {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: reading the queued point totals failed");
            None
        }
    };
    #[allow(clippy::cast_precision_loss)] // milliseconds: exact far beyond real values
    let (points_pending, points_pending_oldest_age_seconds) = match pending {
        Some((count, oldest)) => (Some(count), Some(oldest.map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1000.0))),
        None => (None, None),
    };
    Snapshot {
        pool: ctx.db.pool_stats(),
        outbox_backlog,
        outbox_oldest_age_seconds,
        points_pending,
        points_pending_oldest_age_seconds,
        wal_bytes: ctx.db.wal_bytes(),
        replica: ctx.db.replica_status(),
    }
}

/// How often [`watch_replica`] measures the replica's lag.
pub const REPLICA_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Measures the read replica's lag every [`REPLICA_CHECK_EVERY`] for as long as the process
/// runs (returns at once without a replica): lag-tolerant reads go to the replica while it
/// answers within its bound, to the primary otherwise. Changes are logged.
pub async fn watch_replica(db: storage::Database) {
    let mut was_usable = None;
    loop {
        let Some(result) = db.check_replica().await else {
            return;
        };
        let usable = db.replica_status().is_some_and(|s| s.usable);
        if was_usable != Some(usable) {
            match &result {
                Ok(lag) if usable => tracing::info!(lag_ms = lag.as_millis(), "read replica in use for lag-tolerant reads"),
                Ok(lag) => tracing::warn!(lag_ms = lag.as_millis(), "read replica lags beyond its bound; reads go to the primary"),
                Err(e) => tracing::warn!(error = %e, "read replica not answering; reads go to the primary"),
            }
            was_usable = Some(usable);
        }
        tokio::time::sleep(REPLICA_CHECK_EVERY).await;
    }
}

impl Snapshot {
    /// Sets the gauges `handbook_db_pool_connections{state="open"|"in_use"|"idle"|"max"}`,
    /// `handbook_outbox_backlog`, `handbook_outbox_oldest_age_seconds`, `handbook_points_pending`,
    /// `handbook_points_pending_oldest_age_seconds`, `handbook_sqlite_wal_bytes` (SQLite only)
    /// and, with a read replica, `handbook_db_replica_up`, `handbook_db_replica_lag_seconds` and
    /// the counter `handbook_db_lag_tolerant_reads_total{target="replica"|"primary"}` on the
    /// current recorder.
    #[allow(clippy::cast_precision_loss)] // counts and sizes far below 2^52
    pub fn record(&self) {
        for (state, value) in [("open", self.pool.size), ("in_use", self.pool.in_use), ("idle", self.pool.idle), ("max", self.pool.max)] {
            metrics::gauge!("handbook_db_pool_connections", "state" => state).set(f64::from(value));
        }
        if let Some(n) = self.outbox_backlog {
            metrics::gauge!("handbook_outbox_backlog").set(n as f64);
        }
        if let Some(age) = self.outbox_oldest_age_seconds {
            metrics::gauge!("handbook_outbox_oldest_age_seconds").set(age);
        }
        if let Some(n) = self.points_pending {
            metrics::gauge!("handbook_points_pending").set(n as f64);
        }
        if let Some(age) = self.points_pending_oldest_age_seconds {
            metrics::gauge!("handbook_points_pending_oldest_age_seconds").set(age);
        }
        if let Some(bytes) = self.wal_bytes {
            metrics::gauge!("handbook_sqlite_wal_bytes").set(bytes as f64);
        }
        if let Some(r) = &self.replica {
            metrics::gauge!("handbook_db_replica_up").set(if r.usable { 1.0 } else { 0.0 });
            if let Some(lag) = r.lag_seconds {
                metrics::gauge!("handbook_db_replica_lag_seconds").set(lag);
            }
            metrics::counter!("handbook_db_lag_tolerant_reads_total", "target" => "replica").absolute(r.reads_on_replica);
            metrics::counter!("handbook_db_lag_tolerant_reads_total", "target" => "primary").absolute(r.reads_on_primary);
        }
    }
}
