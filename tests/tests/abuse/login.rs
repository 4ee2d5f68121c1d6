//! Abuse cases: login. An outsider with a list of usernames (party-card numbers are sequential)
//! and as many connections as they like: exhausting the server's memory with password checks,
//! locking owners out of their accounts, hiding behind a forged `X-Forwarded-For`, and waiting
//! for a restart to wipe the counters. Each test is the attack; the server must stay up, keep its
//! memory, let the owner in and refuse the attacker.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::json;

use crate::support::*;

/// What one argon2 check of the default parameters allocates.
const HASH_KIB: u64 = 19 * 1024;

fn login_request(username: &str, password: &str) -> Request {
    Request::new("POST", "/api/v1/auth/login").json(&json!({"username": username, "password": password}))
}

/// A sign-in presented by a proxy on the loopback address as coming from `client`.
fn login_via(client: &str, username: &str, password: &str) -> Request {
    login_request(username, password).header("X-Forwarded-For", client)
}

/// Every response is one of `allowed`; each 429 and 503 says when to retry.
#[track_caller]
fn assert_only(responses: &[Response], allowed: &[u16]) {
    for r in responses {
        assert!(allowed.contains(&r.status), "unexpected {}: {}", r.status, r.raw_body);
        if r.status == 429 || r.status == 503 {
            let retry: u64 =
                r.header("Retry-After").and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{} without Retry-After", r.status));
            assert!(retry >= 1, "Retry-After: {retry}");
            assert_eq!(r.header("Content-Type").as_deref(), Some("application/problem+json"));
        }
    }
}

async fn all(addr: SocketAddr, requests: Vec<Request>) -> Vec<Response> {
    let tasks: Vec<_> = requests.into_iter().map(|r| tokio::spawn(async move { r.send(addr).await })).collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

/// The largest resident size of this process (the server runs in it) while `work` runs, sampled
/// every 2 ms on a thread of its own.
async fn peak_kib_during<T>(work: impl std::future::Future<Output = T>) -> (T, u64) {
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(resident_kib()));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(resident_kib(), Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    let out = work.await;
    done.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    peak.fetch_max(resident_kib(), Ordering::Relaxed);
    (out, peak.load(Ordering::Relaxed))
}

/// Set in the child process that runs [`a_crowd_of_failed_logins_keeps_memory_flat`] alone.
const ALONE: &str = "HANDBOOK_TEST_ALONE";

/// 150 simultaneous wrong-password sign-ins from plain connections (no forwarding header) on
/// 150 usernames. The counters are raised out of the way, as they are for an attacker spread
/// over many addresses, so that every attempt reaches the password check: only the bound on
/// hashing stands between the crowd and the server's memory (each check takes 19 MiB). Before
/// the bound the server grew by about 19 MiB per attempt at once (over 1 GiB here); now it grows
/// by at most one memory area per hashing turn, everyone gets 401, or 503 with `Retry-After`
/// when no turn came free in time, and the server signs the owner in afterwards.
///
/// Resident memory is the whole process's, so the test runs again in a process of its own (this
/// test binary, filtered to this test) where no other test allocates meanwhile.
#[tokio::test]
async fn a_crowd_of_failed_logins_keeps_memory_flat() {
    if std::env::var_os(ALONE).is_some() {
        return crowd_of_failed_logins().await;
    }
    let name = format!("{}::a_crowd_of_failed_logins_keeps_memory_flat", module_path!().split_once("::").map_or("", |(_, m)| m));
    let exe = std::env::current_exe().expect("test binary");
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe).args([name.as_str(), "--exact", "--nocapture"]).env(ALONE, "1").output()
    })
    .await
    .expect("join")
    .expect("run the test alone");
    let out = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    eprintln!("{}", out.lines().filter(|l| l.starts_with("crowd of")).collect::<Vec<_>>().join("\n"));
    assert!(run.status.success() && out.contains("1 passed"), "the crowd, alone in its process:\n{out}");
}

async fn crowd_of_failed_logins() {
    let s = start_with(|c| {
        c.login.per_account_address = 100_000;
        c.login.per_address = 100_000;
        c.login.slow_account_after = 100_000;
    })
    .await;
    let turns = s.state.passwords.hashing.concurrency() as u64;
    // Warm up: the first check, connections, the runtime's threads.
    assert_eq!(login_request("warm-up", "wrong-password").send(s.addr).await.status, 401);
    let before = resident_kib();
    let requests = (0..150).map(|n| login_request(&format!("{:08}", 10_000_000 + n), "wrong-password")).collect();
    let (responses, peak) = peak_kib_during(all(s.addr, requests)).await;
    let grown = peak.saturating_sub(before);
    let count = |status| responses.iter().filter(|r| r.status == status).count();
    eprintln!("crowd of 150: resident memory +{grown} KiB at most, {} × 401, {} × 503, {turns} hashing turns", count(401), count(503));
    assert_only(&responses, &[401, 503]);
    assert!(count(401) > 0, "some attempts were checked");
    // Slack for the requests themselves, the database and the runtime.
    let bound = turns * HASH_KIB + 96 * 1024;
    assert!(grown < bound, "resident memory grew by {grown} KiB during the storm (bound {bound} KiB, {turns} hashing turns)");
    assert_eq!(login_request("admin", "admin-password").send(s.addr).await.status, 200, "the server still signs in");
}

/// The same crowd with the server's default limits, all from one address on one account: the
/// first failures are checked, the rest refused with 429 and `Retry-After` (or 503 while the
/// hashing turns are taken); nothing else, no 500.
#[tokio::test]
async fn a_crowd_on_one_account_from_one_address_is_refused_without_errors() {
    let s = start().await;
    let requests = (0..150).map(|_| login_request("admin", "wrong-password")).collect();
    let responses = all(s.addr, requests).await;
    assert_only(&responses, &[401, 429, 503]);
    let checked = responses.iter().filter(|r| r.status == 401).count();
    assert!(checked <= s.state.config.login.per_account_address as usize, "{checked} wrong passwords were checked");
    assert!(responses.iter().any(|r| r.status == 429));
}

/// Someone guesses the administrator's password from one address: after five failures that
/// address is refused — the right password included — and told when to retry; the owner,
/// from their own address, signs in. Then the attack spreads over four more addresses (20
/// failures on the account): attempts on the account are slowed down, and the owner still signs
/// in from a clean address.
#[tokio::test]
async fn an_attacker_cannot_lock_the_owner_out() {
    let s = start_with(|c| c.trusted_proxies = api::config::parse_networks("127.0.0.1").expect("networks")).await;
    let mut attacker = Vec::new();
    for _ in 0..20 {
        attacker.push(login_via("203.0.113.66", "admin", "wrong-password").send(s.addr).await);
    }
    assert_only(&attacker, &[401, 429]);
    assert_eq!(attacker.iter().filter(|r| r.status == 401).count(), 5, "five guesses were checked");
    assert_eq!(attacker[19].code(), "too_many_attempts");

    let owner = login_via("198.51.100.10", "admin", "admin-password").send(s.addr).await;
    assert_eq!(owner.status, 200, "the owner signs in from another address: {}", owner.raw_body);

    let own_address = login_via("203.0.113.66", "admin", "admin-password").send(s.addr).await;
    assert_only(std::slice::from_ref(&own_address), &[429]);
    let retry: u64 = own_address.header("Retry-After").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=900).contains(&retry), "Retry-After: {retry}");

    for n in 1..=4 {
        let guesses: Vec<_> = (0..5).map(|_| login_via(&format!("203.0.113.{}", 66 + n), "admin", "wrong-password")).collect();
        for r in guesses {
            assert_eq!(r.send(s.addr).await.status, 401);
        }
    }
    let owner = login_via("198.51.100.11", "admin", "admin-password").send(s.addr).await;
    assert_eq!(owner.status, 200, "25 failures on the account slow it down, never lock it: {}", owner.raw_body);
}

/// Behind no proxy, a client rotating `X-Forwarded-For` is still counted by its connection's
/// address; behind a configured trusted proxy, the address it reports is counted (and recorded
/// in the audit log).
#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    // No trusted proxies (the default): the header is ignored.
    let s = start().await;
    for n in 0..5 {
        let r = login_via(&format!("192.0.2.{n}"), "admin", "wrong-password").send(s.addr).await;
        assert_eq!(r.status, 401);
    }
    let r = login_via("192.0.2.200", "admin", "admin-password").send(s.addr).await;
    assert_only(std::slice::from_ref(&r), &[429]);

    // 127.0.0.1 is a trusted proxy: each reported client is counted on its own.
    let s = start_with(|c| c.trusted_proxies = api::config::parse_networks("127.0.0.0/8, ::1").expect("networks")).await;
    for _ in 0..5 {
        assert_eq!(login_via("192.0.2.1", "admin", "wrong-password").send(s.addr).await.status, 401);
    }
    assert_eq!(login_via("192.0.2.1", "admin", "admin-password").send(s.addr).await.status, 429);
    // A client prepending a forged hop is counted by the hop the proxy appended.
    assert_eq!(login_via("192.0.2.77, 192.0.2.1", "admin", "admin-password").send(s.addr).await.status, 429);
    let ok = login_via("192.0.2.2", "admin", "admin-password").send(s.addr).await;
    assert_eq!(ok.status, 200, "{}", ok.raw_body);
    let token = ok.body["access_token"].as_str().expect("token").to_string();
    let top = Request::new("GET", "/api/v1/org-units").token(&token).send(s.addr).await;
    let root = top.body[0]["id"].as_str().expect("root").to_string();
    let created = Request::new("POST", "/api/v1/org-units")
        .token(&token)
        .header("X-Forwarded-For", "192.0.2.2")
        .json(&json!({"parent_id": root, "kind": "province", "name": "Đảng bộ tỉnh Thái Bình"}))
        .send(s.addr)
        .await;
    assert_eq!(created.status, 201);
    let log = Request::new("GET", "/api/v1/audit?limit=1").token(&token).send(s.addr).await;
    assert_eq!(log.body["items"][0]["client_addr"], "192.0.2.2", "the audit records the client, not the proxy");
}

/// A hundred devices of one account sign in at the same moment from one address (a meeting
/// hall's network): nobody is refused and nothing fails — they queue briefly for their turn.
#[tokio::test]
async fn a_hundred_parallel_correct_logins_are_all_served() {
    let s = start().await;
    let requests = (0..100).map(|_| login_request("admin", "admin-password")).collect();
    let responses = all(s.addr, requests).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|&st| st == 200), "{statuses:?}");
    let mut tokens: Vec<&str> = responses.iter().map(|r| r.body["access_token"].as_str().expect("token")).collect();
    tokens.sort_unstable();
    tokens.dedup();
    assert_eq!(tokens.len(), 100, "one session each");
}

/// An attacker waits for a restart (or round-robins over several instances) to get fresh
/// counters: they are in the database, so a second instance started on the same database
/// refuses the address too.
#[tokio::test]
async fn failure_counters_survive_a_restart_and_are_shared_by_instances() {
    let s = start().await;
    for _ in 0..5 {
        assert_eq!(login_request("admin", "wrong-password").send(s.addr).await.status, 401);
    }
    let config = (*s.state.config).clone();
    let state = api::prepare_with_clock(s.state.db.clone(), config, s.clock.clone()).await.expect("second prepare");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let second = listener.local_addr().expect("addr");
    tokio::spawn(async move { api::serve(state, listener).await });

    let r = login_request("admin", "admin-password").send(second).await;
    assert_only(std::slice::from_ref(&r), &[429]);
    assert_eq!(r.code(), "too_many_attempts");
    let r = login_request("admin", "admin-password").send(s.addr).await;
    assert_eq!(r.status, 429, "and the first instance still refuses it");
}
