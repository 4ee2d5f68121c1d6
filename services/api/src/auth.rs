//! Bearer-token authentication: the client's address (behind trusted proxies) and the extractors
//! that authenticate a request and load the caller's [`Actor`] (credentials, sign-in and its
//! throttle are `app::accounts`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, NaiveDate, Utc};
use membership::permission::{Action, Actor, authorize};
use membership::{UnitId, time::local_date};
use storage::accounts::AccountRecord;

use crate::config::ForwardedHeader;
use crate::error::ApiError;
use crate::state::AppState;
use ipnet::IpNet;

/// Credentials live in the application layer (`app::accounts`); re-exported for the benchmarks.
pub use app::accounts::{new_token, token_hash, verify_password};

/// The client's address: the TCP peer, or — when the peer is a configured trusted proxy
/// (`HANDBOOK_TRUSTED_PROXIES`) — the address that proxy reports in its header
/// (`HANDBOOK_TRUSTED_PROXY_HEADER`). `None` only when the server runs without connection
/// information (tests driving the router directly). It is what the sign-in throttle counts, what
/// sessions and audit records store.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip());
        Ok(ClientAddr(peer.map(|peer| {
            client_address(peer, &parts.headers, &state.config.trusted_proxies, state.config.trusted_proxy_header).to_string()
        })))
    }
}

/// At most this many hops of a forwarding header are read (a longer chain is cut at the proxy
/// that reported the 32nd).
const MAX_HOPS: usize = 32;

/// The client's address behind `peer`. Forwarding headers are believed only from trusted
/// proxies: the header's hops are walked from the nearest (rightmost) while the hop that
/// reported them is trusted; the first hop reported by an untrusted party is the client. A hop
/// that is not an address (`unknown`, an obfuscated name, garbage) stops the walk at the trusted
/// proxy that reported it. Without trusted proxies — the default — the peer is the client and
/// every header is ignored, so no request can choose the address it is counted under.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet], header: ForwardedHeader) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(&ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = match header {
        ForwardedHeader::XForwardedFor => {
            headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).collect()
        }
        ForwardedHeader::Forwarded => headers
            .get_all(header::FORWARDED)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                    .map_or("", |(_, value)| value)
            })
            .collect(),
    };
    let mut client = peer;
    for hop in hops.iter().rev().take(MAX_HOPS) {
        if !is_trusted(client) {
            break;
        }
        match parse_hop(hop) {
            Some(ip) => client = ip,
            None => break,
        }
    }
    client
}

/// An address as a forwarding header writes it: `203.0.113.7`, `203.0.113.7:4711`,
/// `2001:db8::1`, `[2001:db8::1]:4711`, optionally quoted.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse::<IpAddr>().ok()).map(canonical);
    }
    hop.parse::<SocketAddr>().ok().map(|s| canonical(s.ip()))
}

/// IPv4-mapped IPv6 addresses (a dual-stack listener's view of IPv4 peers) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
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
    bearer_in(&parts.headers)
}

fn bearer_in(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

/// The stored key (hash) of the request's bearer token, for a long-lived response that checks its
/// session is still open (`app::accounts::session_epoch`).
pub fn session_key(headers: &axum::http::HeaderMap) -> Option<String> {
    bearer_in(headers).map(token_hash)
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
        let Ok(ClientAddr(addr)) = ClientAddr::from_request_parts(parts, state).await;
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
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forwarding_headers_are_believed_only_from_trusted_proxies() {
        let proxies = crate::config::parse_networks("10.0.0.0/8, 2001:db8:ff::1").unwrap();
        let xff = ForwardedHeader::XForwardedFor;
        let fwd = ForwardedHeader::Forwarded;
        // (case, peer, headers, configured header, trusted proxies, the client).
        type Case<'a> = (&'a str, &'a str, HeaderMap, ForwardedHeader, &'a [IpNet], &'a str);
        let cases: Vec<Case> = vec![
            ("no proxies configured: the peer", "203.0.113.9", headers(&[("x-forwarded-for", "198.51.100.1")]), xff, &[], "203.0.113.9"),
            (
                "untrusted peer: header ignored",
                "203.0.113.9",
                headers(&[("x-forwarded-for", "198.51.100.1")]),
                xff,
                &proxies,
                "203.0.113.9",
            ),
            (
                "trusted peer: the client it reports",
                "10.1.2.3",
                headers(&[("x-forwarded-for", "198.51.100.1")]),
                xff,
                &proxies,
                "198.51.100.1",
            ),
            ("trusted peer without header: the peer", "10.1.2.3", HeaderMap::new(), xff, &proxies, "10.1.2.3"),
            (
                "a forged hop left of the real client is ignored",
                "10.1.2.3",
                headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.1")]),
                xff,
                &proxies,
                "198.51.100.1",
            ),
            (
                "a chain of trusted proxies",
                "10.1.2.3",
                headers(&[("x-forwarded-for", "198.51.100.1, 10.9.9.9")]),
                xff,
                &proxies,
                "198.51.100.1",
            ),
            (
                "several header lines are one list",
                "10.1.2.3",
                headers(&[("x-forwarded-for", "1.1.1.1"), ("x-forwarded-for", "198.51.100.1")]),
                xff,
                &proxies,
                "198.51.100.1",
            ),
            ("garbage stops at the proxy", "10.1.2.3", headers(&[("x-forwarded-for", "1.1.1.1, garbage")]), xff, &proxies, "10.1.2.3"),
            ("only proxies: the farthest", "10.1.2.3", headers(&[("x-forwarded-for", "10.0.0.7")]), xff, &proxies, "10.0.0.7"),
            ("with a port", "10.1.2.3", headers(&[("x-forwarded-for", "198.51.100.1:4711")]), xff, &proxies, "198.51.100.1"),
            ("IPv6 proxy, IPv6 client", "2001:db8:ff::1", headers(&[("x-forwarded-for", "2001:db8::7")]), xff, &proxies, "2001:db8::7"),
            ("IPv4-mapped peer", "::ffff:10.1.2.3", headers(&[("x-forwarded-for", "198.51.100.1")]), xff, &proxies, "198.51.100.1"),
            (
                "Forwarded ignored when X-Forwarded-For is configured",
                "10.1.2.3",
                headers(&[("forwarded", "for=198.51.100.1")]),
                xff,
                &proxies,
                "10.1.2.3",
            ),
            (
                "X-Forwarded-For ignored when Forwarded is configured",
                "10.1.2.3",
                headers(&[("x-forwarded-for", "198.51.100.1")]),
                fwd,
                &proxies,
                "10.1.2.3",
            ),
            (
                "Forwarded",
                "10.1.2.3",
                headers(&[("forwarded", "for=1.1.1.1, for=198.51.100.1;proto=https;by=10.1.2.3")]),
                fwd,
                &proxies,
                "198.51.100.1",
            ),
            (
                "Forwarded, quoted IPv6 with port",
                "10.1.2.3",
                headers(&[("forwarded", "For=\"[2001:db8:cafe::17]:4711\"")]),
                fwd,
                &proxies,
                "2001:db8:cafe::17",
            ),
            ("Forwarded, unknown", "10.1.2.3", headers(&[("forwarded", "for=unknown")]), fwd, &proxies, "10.1.2.3"),
        ];
        for (name, peer, h, header, trusted, expected) in cases {
            assert_eq!(client_address(ip(peer), &h, trusted, header), ip(expected), "{name}");
        }
    }
}
