//! Shared state of the HTTP handlers.

use std::sync::Arc;

use storage::Database;

use crate::auth::LoginLimiter;
use crate::config::Config;

/// Cloned into every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool.
    pub db: Database,
    /// Configuration.
    pub config: Arc<Config>,
    /// Failed-login limiter.
    pub limiter: Arc<LoginLimiter>,
    /// A valid argon2 hash of a random password, verified against when a username does not
    /// exist so that both cases take the same time.
    pub dummy_hash: Arc<String>,
    /// Attachment bytes.
    pub blobs: Arc<crate::blobs::LocalDir>,
    /// Authenticated sessions and their actors, valid while the authorisation epoch is unchanged.
    pub auth_cache: Arc<crate::auth::AuthCache>,
    /// The one source of "now" for every handler (tests pin it).
    pub clock: app::clock::SharedClock,
}

impl AppState {
    /// The application layer's context (database and clock) for use cases and jobs.
    pub fn ctx(&self) -> app::Ctx {
        app::Ctx::new(self.db.clone(), self.clock.clone())
    }
}
