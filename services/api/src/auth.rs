//! Bearer-token authentication: the login rate limiter and the extractors that authenticate a
//! request and load the caller's [`Actor`] (credentials themselves are `app::accounts`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use chrono::{DateTime, NaiveDate, Utc};
use membership::permission::{Action, Actor, authorize};
use membership::{UnitId, time::local_date};
use storage::accounts::AccountRecord;

use crate::error::ApiError;
use crate::state::AppState;

/// Credentials live in the application layer (`app::accounts`); re-exported for the benchmarks.
pub use app::accounts::{new_token, token_hash, verify_password};

/// Fixed-window counters of failed logins per username and per client address, in memory.
#[derive(Debug)]
pub struct LoginLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
    window: Duration,
    per_account: u32,
    per_address: u32,
}

impl LoginLimiter {
    /// A limiter allowing `per_account` / `per_address` failures per `window`.
    pub fn new(window: Duration, per_account: u32, per_address: u32) -> Self {
        Self { windows: Mutex::new(HashMap::new()), window, per_account, per_address }
    }

    fn keys(username: &str, addr: Option<&str>) -> [(String, bool); 2] {
        [(format!("u:{username}"), true), (format!("a:{}", addr.unwrap_or("-")), false)]
    }

    /// Registers an attempt before the password is verified: `Err(seconds)` if either key is
    /// already at its limit (nothing counted), otherwise counts the attempt on both keys. Counting
    /// first means parallel guesses cannot all slip through before the first one fails; a
    /// successful attempt is released with [`LoginLimiter::succeed`].
    pub fn attempt(&self, username: &str, addr: Option<&str>) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let keys = Self::keys(username, addr);
        for (key, is_account) in &keys {
            if key == "a:-" {
                continue;
            }
            let limit = if *is_account { self.per_account } else { self.per_address };
            if let Some((start, count)) = map.get(key) {
                let elapsed = now.duration_since(*start);
                if elapsed < self.window && *count >= limit {
                    return Err((self.window - elapsed).as_secs().max(1));
                }
            }
        }
        for (key, _) in keys {
            let entry = map.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= self.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
        Ok(())
    }

    /// Releases a successful attempt: clears the username's counter and gives the address its
    /// attempt back.
    pub fn succeed(&self, username: &str, addr: Option<&str>) {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("u:{username}"));
        if let Some(entry) = map.get_mut(&format!("a:{}", addr.unwrap_or("-"))) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }
}

/// The client's address (from the connection), if known.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip().to_string())))
    }
}

/// An authenticated caller whose account may still have to change its initial password. Only
/// `/auth/logout`, `/auth/password` and `/me` accept it.
#[derive(Debug, Clone)]
pub struct PendingCaller {
    /// The account.
    pub account: AccountRecord,
    /// The session.
    pub session_id: uuid::Uuid,
    /// Request time.
    pub now: DateTime<Utc>,
    /// Client address.
    pub addr: Option<String>,
    /// The caller's actor (used once the password no longer has to change).
    actor: Actor,
}

/// An authenticated caller ready for any endpoint: the account, its actor (positions, grants,
/// home cell) and the request time.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account.
    pub account: AccountRecord,
    /// What the permission function needs.
    pub actor: Actor,
    /// Request time (UTC).
    pub now: DateTime<Utc>,
    /// Client address.
    pub addr: Option<String>,
}

impl Caller {
    /// Today in Vietnam.
    pub fn today(&self) -> NaiveDate {
        local_date(self.now)
    }

    /// Checks `action` on the unit with ancestry `path`; 403 if denied.
    pub fn require(&self, action: Action, path: &[UnitId]) -> Result<(), ApiError> {
        authorize(&self.actor, action, path, self.today()).map_err(|_| ApiError::Forbidden)
    }

    /// Whether `action` is allowed on `path`.
    pub fn may(&self, action: Action, path: &[UnitId]) -> bool {
        authorize(&self.actor, action, path, self.today()).is_ok()
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

/// What a session resolves to, cached per token hash with the authorisation epoch it was computed
/// at (see [`app::accounts::session_epoch`]).
#[derive(Debug)]
struct CachedSession {
    session_id: uuid::Uuid,
    epoch: i64,
    account: AccountRecord,
    /// False when the member behind the account has left the Party (the session is refused).
    member_active: bool,
    actor: Actor,
}

/// Per-process cache of authenticated sessions: token hash → account and actor, valid while the
/// database's authorisation epoch is unchanged. Each request still reads its session row (so a
/// logout, an expiry or a revocation takes effect at once) together with the epoch in one indexed
/// query; the account, the member's standing, the grants, the positions and the ancestry (five
/// more queries) are reloaded only when the epoch has moved. The epoch is advanced by database
/// triggers in the same transaction as the change, so no instance serves a permission older than
/// the last committed change. Bounded: cleared when it reaches [`AuthCache::CAPACITY`] entries.
#[derive(Debug, Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<String, Arc<CachedSession>>>,
}

impl AuthCache {
    /// Entries kept before the cache is cleared (a cleared cache only costs reloads); an entry
    /// takes about half a kilobyte, so the cache stays under ~50 MB.
    pub const CAPACITY: usize = 100_000;

    fn get(&self, hash: &str, session_id: uuid::Uuid, epoch: i64) -> Option<Arc<CachedSession>> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash).filter(|e| e.session_id == session_id && e.epoch == epoch).cloned()
    }

    fn put(&self, hash: String, entry: Arc<CachedSession>) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(hash, entry);
    }

    fn forget(&self, hash: &str) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(hash);
    }

    /// Number of cached sessions.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Resolves a bearer token to its session, account and actor, through the cache.
async fn resolve(state: &AppState, token: &str) -> Result<Arc<CachedSession>, ApiError> {
    let hash = token_hash(token);
    let ctx = state.ctx();
    let Some((session_id, epoch)) = app::accounts::session_epoch(&ctx, &hash).await? else {
        state.auth_cache.forget(&hash);
        return Err(ApiError::Unauthenticated);
    };
    if let Some(hit) = state.auth_cache.get(&hash, session_id, epoch) {
        return Ok(hit);
    }
    let p = app::accounts::principal(&ctx, &hash).await?.ok_or(ApiError::Unauthenticated)?;
    let entry =
        Arc::new(CachedSession { session_id: p.session_id, epoch, account: p.account, member_active: p.member_active, actor: p.actor });
    state.auth_cache.put(hash, entry.clone());
    Ok(entry)
}

impl FromRequestParts<AppState> for PendingCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
        let now = state.clock.now();
        let entry = resolve(state, token).await?;
        // Members who have left the Party lose their sessions at once.
        if !entry.member_active {
            return Err(ApiError::Unauthenticated);
        }
        let addr = ClientAddr::from_request_parts(parts, state).await.map(|a| a.0).unwrap_or(None);
        Ok(PendingCaller { account: entry.account.clone(), session_id: entry.session_id, now, addr, actor: entry.actor.clone() })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let pending = PendingCaller::from_request_parts(parts, state).await?;
        if pending.account.must_change_password {
            return Err(ApiError::PasswordChangeRequired);
        }
        Ok(Caller { account: pending.account, actor: pending.actor, now: pending.now, addr: pending.addr })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_blocks_after_limit_per_account_and_address() {
        let l = LoginLimiter::new(Duration::from_secs(60), 2, 3);
        assert!(l.attempt("an", Some("1.2.3.4")).is_ok());
        assert!(l.attempt("an", Some("1.2.3.4")).is_ok());
        assert!(l.attempt("an", Some("5.6.7.8")).is_err(), "per-account limit");
        assert!(l.attempt("binh", Some("1.2.3.4")).is_ok());
        assert!(l.attempt("chi", Some("1.2.3.4")).is_err(), "per-address limit");
        l.succeed("an", Some("1.2.3.4"));
        assert!(l.attempt("an", Some("9.9.9.9")).is_ok(), "a success clears the account");
        assert!(l.attempt("dung", Some("1.2.3.4")).is_ok(), "and gives the address one attempt back");
    }
}
