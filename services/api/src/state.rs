//! Shared state of the HTTP handlers.

use std::sync::Arc;

use storage::Database;

use crate::config::Config;

/// Cloned into every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool.
    pub db: Database,
    /// Configuration.
    pub config: Arc<Config>,
    /// The process's password work: the bound on password hashing and the sign-in throttle
    /// (whose counters are in the database, shared by every instance).
    pub passwords: Arc<app::accounts::Passwords>,
    /// Attachment bytes.
    pub blobs: Arc<crate::blobs::LocalDir>,
    /// Authenticated sessions and their actors, valid while the authorisation epoch is unchanged.
    pub auth_cache: Arc<crate::auth::AuthCache>,
    /// The one source of "now" for every handler (tests pin it).
    pub clock: app::clock::SharedClock,
    /// This server's metrics (`GET /metrics`): one recorder per state, so that two servers in
    /// one process count separately.
    pub metrics: telemetry::Metrics,
    /// Wakes this server's applier of queued point totals (`app::points`).
    pub points: Arc<app::points::PointsQueue>,
    /// This server's open notification streams, woken by the inbox listener (`app::notify::live`).
    pub inbox: Arc<app::notify::live::InboxWakes>,
}

impl AppState {
    /// The application layer's context (database, clock, password work) for use cases and jobs.
    pub fn ctx(&self) -> app::Ctx {
        app::Ctx::with_passwords(self.db.clone(), self.clock.clone(), self.passwords.clone()).with_points(self.points.clone())
    }
}
