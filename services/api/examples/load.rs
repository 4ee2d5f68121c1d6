//! Load benchmark at 32 connections over real HTTP/1.1 keep-alive, against a generated province
//! (`api generate --size province`), with a bare baseline on the same database and pool.
//!
//! Run (SQLite):
//!   HANDBOOK_DATA_DIR=/tmp/province cargo run --release -p api -- generate --size province
//!   DATABASE_URL=sqlite:///tmp/province/handbook.db cargo run --release -p api --example load
//! Options: `LOAD_SECONDS` per scenario (default 10; not `SECONDS`, which bash rewrites),
//! `CONNECTIONS` (default 32), `MEMBERS` logged in (default 2000), `LOAD_ONLY` a comma-separated
//! subset of the scenarios after the baselines (`checkin`, `firstcheckin`, `agenda`, `feed`, `search`,
//! `leaderboard`, `subtree`, `single`, `rollup`; default all) — e.g. to profile one of them.
//! `scripts/benchmarks` runs this together with every other benchmark of docs/PERFORMANCE.md.
//!
//! The API and the bare baseline run in a child process (this program re-run with `LOAD_SERVER=1`)
//! so that its resident memory is measured apart from the load generator; both share the
//! machine's two cores, so every figure, baseline included, pays the same client cost. Each
//! scenario is reported with its ratio to the matching baseline (reads to the bare read, check-in
//! to the bare insert). A second table runs the latency-budget scenarios (search, leaderboard) on
//! one connection, where the time measured is the server's time for the request plus loopback
//! HTTP, without queueing behind other requests. Last, the province-wide meeting-report roll-up
//! for a month is timed as an administrator of the province.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::map_entry, clippy::needless_range_loop)] // a benchmark program: failing loudly is right; the entry API does not fit the awaits; the first check-ins pick the k-th meeting of each member's own cell

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use app::clock::{Clock, SystemClock};
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use meetings::attendance::{AttendanceStatus, LedgerRow};
use meetings::lifecycle::{MeetingKind, MeetingStatus};
use meetings::roster::RosterRole;
use membership::{MemberId, UnitId, UnitKind};
use storage::meetings::MeetingRecord;
use storage::members::{ListQuery, StandingFilter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Self { stream, buf: Vec::with_capacity(64 * 1024) }
    }

    /// Sends one request and reads the whole response (kept in `buf`); returns the status.
    async fn request(&mut self, method: &str, path: &str, token: Option<&str>) -> u16 {
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let req = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Length: 0\r\n\r\n");
        self.stream.write_all(req.as_bytes()).await.unwrap();
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
                let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                if let Some(len) = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok())
                {
                    while self.buf.len() < end + 4 + len {
                        let n = self.stream.read(&mut chunk).await.unwrap();
                        assert!(n > 0);
                        self.buf.extend_from_slice(&chunk[..n]);
                    }
                    return status;
                }
                if head.contains("transfer-encoding: chunked") {
                    while find(&self.buf[end + 4..], b"0\r\n\r\n").is_none() {
                        let n = self.stream.read(&mut chunk).await.unwrap();
                        assert!(n > 0);
                        self.buf.extend_from_slice(&chunk[..n]);
                    }
                    return status;
                }
                return status;
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

struct Outcome {
    requests: usize,
    errors: usize,
    /// Replies of 400 and above, by status.
    statuses: std::collections::BTreeMap<u16, usize>,
    rps: f64,
    p50: f64,
    p95: f64,
    p99: f64,
}

/// Runs `connections` loops for `seconds`, each request built by `make(i)` (i: global counter).
async fn run<F>(addr: SocketAddr, connections: usize, seconds: u64, make: F) -> Outcome
where
    F: Fn(usize) -> (&'static str, String, Option<String>) + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let counter = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut handles = Vec::new();
    for _ in 0..connections {
        let make = make.clone();
        let counter = counter.clone();
        handles.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            let mut times = Vec::new();
            let mut errors = Vec::new();
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                let (method, path, token) = make(i);
                let t0 = Instant::now();
                let status = conn.request(method, &path, token.as_deref()).await;
                times.push(t0.elapsed().as_secs_f64() * 1000.0);
                if status >= 400 {
                    errors.push(status);
                }
            }
            (times, errors)
        }));
    }
    let mut all = Vec::new();
    let mut statuses = std::collections::BTreeMap::new();
    for h in handles {
        let (t, e) = h.await.unwrap();
        all.extend(t);
        for status in e {
            *statuses.entry(status).or_insert(0) += 1;
        }
    }
    let errors = statuses.values().sum();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| all.get(((all.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0.0);
    Outcome { requests: all.len(), errors, statuses, rps: all.len() as f64 / seconds as f64, p50: pct(0.5), p95: pct(0.95), p99: pct(0.99) }
}

/// Stores a two-hour session for `account` under `token` (argon2 is not what is measured) and
/// returns the token.
async fn session(
    tx: &storage::Tx,
    account: &storage::accounts::AccountRecord,
    token: String,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let record = storage::accounts::SessionRecord {
        id: uuid::Uuid::now_v7(),
        account_id: account.id,
        token_hash: api::auth::token_hash(&token),
        created_at: now,
        expires_at: now + chrono::Duration::hours(2),
        client_addr: None,
    };
    storage::accounts::insert_session(tx.conn(), &record).await.unwrap();
    token
}

#[derive(Clone)]
struct Bare {
    db: storage::Database,
    member: MemberId,
}

async fn bare_read(State(b): State<Bare>) -> String {
    storage::members::get(b.db.conn(), b.member).await.map(|m| m.full_name.as_str().to_string()).unwrap_or_default()
}

async fn bare_write(State(b): State<Bare>) -> &'static str {
    let r = storage::audit::AuditRecord {
        id: uuid::Uuid::now_v7(),
        at: SystemClock.now(),
        actor: None,
        action: "bench.write".into(),
        target_type: "bench".into(),
        target_id: None,
        unit_id: None,
        client_addr: None,
        details: serde_json::Value::Null,
    };
    storage::audit::record(b.db.conn(), &r).await.map(|_| "ok").unwrap_or("error")
}

/// The child process: the API and the bare server on loopback; prints `READY api bare cold_ms` and
/// serves until its standard input closes.
async fn serve_child(url: &str) {
    let member: uuid::Uuid = std::env::var("BARE_MEMBER").unwrap().parse().unwrap();
    let mut config = api::config::Config::for_test(url);
    config.max_connections = 16;
    let started = Instant::now();
    let state = api::prepare(config).await.expect("database");
    let cold = started.elapsed();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let bare = Bare { db: state.db.clone(), member: MemberId::from_uuid(member) };
    tokio::spawn(api::serve(state, listener));
    let bare_app = Router::new().route("/bare/read", get(bare_read)).route("/bare/write", post(bare_write)).with_state(bare);
    let bare_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_addr = bare_listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(bare_listener, bare_app).await });
    println!("READY {addr} {bare_addr} {}", cold.as_secs_f64() * 1000.0);
    let _ = tokio::task::spawn_blocking(|| std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new())).await;
}

fn status_kb(pid: u32, field: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).map(|l| l.trim_start_matches(field).trim_start_matches(':').trim().to_string())
        })
        .unwrap_or_default()
}

/// Inserts an open thematic meeting of `cell` starting ten minutes after `now` (check-in is open).
async fn open_meeting(tx: &storage::Tx, cell: UnitId, now: chrono::DateTime<chrono::Utc>) -> meetings::MeetingId {
    let id = meetings::MeetingId::from_uuid(uuid::Uuid::now_v7());
    let meeting = MeetingRecord {
        id,
        unit_id: cell,
        kind: MeetingKind::Thematic,
        combined_thematic: false,
        title: "Sinh hoạt chuyên đề (benchmark)".into(),
        status: MeetingStatus::Open,
        starts_at: now + chrono::Duration::minutes(10),
        planned_minutes: 120,
        location: None,
        online_link: None,
        notes: String::new(),
        version: 1,
        late_publication: false,
        short_duration_confirmed: false,
        published_at: Some(now),
        opened_at: Some(now),
        ended_at: None,
        cancelled_at: None,
        cancel_reason: None,
        minutes: None,
        minutes_approved_at: None,
        created_by: None,
        created_at: now,
        updated_at: now,
    };
    storage::meetings::insert(tx.conn(), &meeting, &[]).await.unwrap();
    id
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL of a generated dataset");
    if std::env::var("LOAD_SERVER").is_ok() {
        return serve_child(&url).await;
    }
    let seconds: u64 = std::env::var("LOAD_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let connections: usize = std::env::var("CONNECTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    let n_members: usize = std::env::var("MEMBERS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let only = std::env::var("LOAD_ONLY").ok();
    let want = |key: &str| only.as_deref().is_none_or(|list| list.split(',').any(|k| k.trim() == key));
    let mut config = api::config::Config::for_test(&url);
    config.max_connections = 4;
    // Applies pending migrations: the child's start-up below is a cold start with migrations applied.
    let state = api::prepare(config).await.expect("database");
    let db = state.db.clone();
    let root = storage::units::roots(db.conn()).await.unwrap()[0].id;
    let province = storage::units::children(db.conn(), root).await.unwrap().into_iter().find(|u| u.kind == UnitKind::Province).unwrap();
    let commune = storage::units::children(db.conn(), province.id).await.unwrap()[0].clone();

    // Members to log in (sessions created directly: argon2 is not what is measured here), and an
    // open meeting starting now for each of their cells.
    let members = storage::members::list(
        db.conn(),
        &ListQuery { unit: province.id, include_subtree: true, standing: StandingFilter::Active, after: None, limit: n_members as u64 },
    )
    .await
    .unwrap();
    let now = SystemClock.now();
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let mut tokens = Vec::new();
    let mut cell_meeting: std::collections::HashMap<UnitId, meetings::MeetingId> = std::collections::HashMap::new();
    let tx = db.begin().await.unwrap();
    for m in &members {
        let Some(account) = storage::accounts::for_member(tx.conn(), m.id).await.unwrap() else { continue };
        let token = session(&tx, &account, format!("bench-{run_id}-{}", m.id), now).await;
        let cell = m.state.home_unit;
        if !cell_meeting.contains_key(&cell) {
            let id = open_meeting(&tx, cell, now).await;
            cell_meeting.insert(cell, id);
        }
        tokens.push((token, cell_meeting[&cell], m.id));
    }
    // Ledger rows for the open meetings' rosters.
    let roster_of = |cell: UnitId| -> Vec<LedgerRow> {
        members
            .iter()
            .filter(|m| m.state.home_unit == cell && m.state.is_obliged_to_attend())
            .map(|m| LedgerRow {
                member_id: m.id,
                role: RosterRole::Obliged,
                official: true,
                status: AttendanceStatus::AbsentWithoutReason,
                checked_in_at: None,
                reason: None,
            })
            .collect()
    };
    for (cell, meeting) in &cell_meeting {
        storage::meetings::insert_ledger(tx.conn(), *meeting, &roster_of(*cell)).await.unwrap();
    }
    // First check-ins: `FIRST_CHECKIN_MEETINGS` more open meetings per cell (default 24), and the
    // (member on the roster, meeting) pairs in an order where consecutive requests are different
    // members, so that every request of the scenario is a first check-in until the pairs run out.
    let mut first_pairs: Vec<(String, meetings::MeetingId)> = Vec::new();
    if want("firstcheckin") {
        let per_cell: usize = std::env::var("FIRST_CHECKIN_MEETINGS").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
        let on_roster: std::collections::HashSet<MemberId> =
            members.iter().filter(|m| m.state.is_obliged_to_attend()).map(|m| m.id).collect();
        let mut extra: std::collections::HashMap<UnitId, Vec<meetings::MeetingId>> = std::collections::HashMap::new();
        for cell in cell_meeting.keys() {
            for _ in 0..per_cell {
                let id = open_meeting(&tx, *cell, now).await;
                storage::meetings::insert_ledger(tx.conn(), id, &roster_of(*cell)).await.unwrap();
                extra.entry(*cell).or_default().push(id);
            }
        }
        let cell_of: std::collections::HashMap<MemberId, UnitId> = members.iter().map(|m| (m.id, m.state.home_unit)).collect();
        for k in 0..per_cell {
            for (token, _, member) in tokens.iter().filter(|(_, _, m)| on_roster.contains(m)) {
                first_pairs.push((token.clone(), extra[&cell_of[member]][k]));
            }
        }
    }
    tx.commit().await.unwrap();
    let first_pairs = Arc::new(first_pairs);
    let tokens = Arc::new(tokens);
    let session_for = |account: storage::accounts::AccountRecord, name: &str| {
        let token = format!("bench-{run_id}-{name}");
        let db = db.clone();
        async move {
            let tx = db.begin().await.unwrap();
            let token = session(&tx, &account, token, now).await;
            tx.commit().await.unwrap();
            token
        }
    };
    // A commune secretary (subtree meeting list) and the province administrator (roll-up).
    let commune_sec = storage::positions::for_unit(db.conn(), commune.id)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.role == membership::position::Role::Secretary)
        .map(|p| p.member_id);
    let commune_token = match commune_sec {
        Some(sec) => Some(session_for(storage::accounts::for_member(db.conn(), sec).await.unwrap().unwrap(), "commune-secretary").await),
        None => None,
    };
    let admin_token = match storage::accounts::find_by_username(db.conn(), "quantri.tinh").await.unwrap() {
        Some(account) => Some(session_for(account, "province-admin").await),
        None => None,
    };

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .env("LOAD_SERVER", "1")
        .env("BARE_MEMBER", members[0].id.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let mut ready = line.split_whitespace().skip(1);
    let addr: SocketAddr = ready.next().unwrap().parse().unwrap();
    let bare_addr: SocketAddr = ready.next().unwrap().parse().unwrap();
    let cold: f64 = ready.next().unwrap().parse().unwrap();

    println!(
        "backend {}, {} members logged in, {} open meetings, cold start of the server process (migrations applied) {cold:.0} ms",
        db.backend_name(),
        tokens.len(),
        cell_meeting.len(),
    );
    println!(
        "{:<34} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>12}",
        "scenario", "requests", "rps", "p50 ms", "p95 ms", "p99 ms", "errors", "ratio", "server RSS"
    );
    let pid = child.id();
    let report = |name: &str, o: &Outcome, base: Option<f64>| {
        let ratio = base.map_or("-".to_string(), |b| format!("{:.2}", o.rps / b));
        println!(
            "{name:<34} {:>9} {:>8.0} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>7} {:>12}",
            o.requests,
            o.rps,
            o.p50,
            o.p95,
            o.p99,
            o.errors,
            ratio,
            status_kb(pid, "VmRSS")
        );
        if o.errors > 0 {
            println!("    errors by status: {:?}", o.statuses);
        }
    };
    let read = run(bare_addr, connections, seconds, |_| ("GET", "/bare/read".to_string(), None)).await;
    report("baseline: indexed single-row read", &read, None);
    let write = run(bare_addr, connections, seconds, |_| ("POST", "/bare/write".to_string(), None)).await;
    report("baseline: single-row insert", &write, None);

    if want("checkin") {
        let t = tokens.clone();
        let o = run(addr, connections, seconds, move |i| {
            let (tok, meeting, _) = &t[i % t.len()];
            ("POST", format!("/api/v1/meetings/{meeting}/check-in"), Some(tok.clone()))
        })
        .await;
        report("check-in (different members)", &o, Some(write.rps));
    }
    if want("firstcheckin") {
        let pairs = first_pairs.clone();
        let o = run(addr, connections, seconds, move |i| {
            let (tok, meeting) = &pairs[i % pairs.len()];
            ("POST", format!("/api/v1/meetings/{meeting}/check-in"), Some(tok.clone()))
        })
        .await;
        report("first check-in (a new attendance)", &o, Some(write.rps));
        if o.requests > first_pairs.len() {
            println!("    ({} pairs: the last {} requests were repeats)", first_pairs.len(), o.requests - first_pairs.len());
        }
    }
    if want("agenda") {
        let t = tokens.clone();
        let o = run(addr, connections, seconds, move |i| {
            let (tok, meeting, _) = &t[i % t.len()];
            ("GET", format!("/api/v1/meetings/{meeting}"), Some(tok.clone()))
        })
        .await;
        report("meeting agenda read", &o, Some(read.rps));
    }
    if want("feed") {
        let t = tokens.clone();
        let o = run(addr, connections, seconds, move |i| ("GET", "/api/v1/documents".to_string(), Some(t[i % t.len()].0.clone()))).await;
        report("document feed", &o, Some(read.rps));
    }
    if want("search") {
        let t = tokens.clone();
        let o = run(addr, connections, seconds, move |i| {
            ("GET", "/api/v1/documents?q=nghi%20quyet".to_string(), Some(t[i % t.len()].0.clone()))
        })
        .await;
        report("search without diacritics", &o, Some(read.rps));
        let t = tokens.clone();
        let o = run(addr, connections, seconds, move |i| {
            ("GET", "/api/v1/documents?q=ngh%E1%BB%8B%20quy%E1%BA%BFt".to_string(), Some(t[i % t.len()].0.clone()))
        })
        .await;
        report("search with diacritics", &o, Some(read.rps));
    }
    if want("leaderboard") {
        let t = tokens.clone();
        let p = province.id;
        let o = run(addr, connections, seconds, move |i| {
            ("GET", format!("/api/v1/org-units/{p}/leaderboard?limit=10"), Some(t[i % t.len()].0.clone()))
        })
        .await;
        report("province leaderboard + own rank", &o, Some(read.rps));
    }

    // A commune leader's view of the commune's meetings for a month.
    let last_month = (membership::time::local_date(now) - chrono::Duration::days(31)).format("%Y-%m-01").to_string();
    if let Some(token) = commune_token.clone().filter(|_| want("subtree")) {
        let c = commune.id;
        let o = run(addr, connections.min(8), seconds, move |_| {
            ("GET", format!("/api/v1/org-units/{c}/meetings?include_subtree=true&from={last_month}&limit=100"), Some(token.clone()))
        })
        .await;
        report("commune subtree meeting list", &o, Some(read.rps));
    }
    let server_hwm = status_kb(child.id(), "VmHWM");

    // Latency budgets, one connection: no queueing behind other requests.
    if want("single") {
        println!("single connection, {} s per scenario:", seconds.div_ceil(2));
        let single = seconds.div_ceil(2);
        let queries = [
            ("search \"đảng\"", "%C4%91%E1%BA%A3ng"),
            ("search \"dang\"", "dang"),
            ("search \"nghị quyết\"", "ngh%E1%BB%8B%20quy%E1%BA%BFt"),
            ("search \"nghi quyet\"", "nghi%20quyet"),
            ("search \"tuyên truyền\"", "tuy%C3%AAn%20truy%E1%BB%81n"),
            ("search \"chat luong hieu qua\"", "chat%20luong%20hieu%20qua"),
            ("search \"nâng cao chất lượng\"", "n%C3%A2ng%20cao%20ch%E1%BA%A5t%20l%C6%B0%E1%BB%A3ng"),
        ];
        for (name, q) in queries {
            let t = tokens.clone();
            let o = run(addr, 1, single, move |i| ("GET", format!("/api/v1/documents?q={q}"), Some(t[i % t.len()].0.clone()))).await;
            report(name, &o, None);
        }
        let t = tokens.clone();
        let p = province.id;
        let o =
            run(addr, 1, single, move |i| ("GET", format!("/api/v1/org-units/{p}/leaderboard?limit=10"), Some(t[i % t.len()].0.clone())))
                .await;
        report("province leaderboard + own rank", &o, None);
        let t = tokens.clone();
        let o = run(addr, 1, single, move |i| ("GET", "/api/v1/me/notifications/unread-count".to_string(), Some(t[i % t.len()].0.clone())))
            .await;
        report("notifications unread count", &o, None);
    }

    // The province-wide roll-up of one month's meeting reports (every cell), as its administrator.
    if let Some(token) = admin_token.filter(|_| want("rollup")) {
        let month = (membership::time::local_date(now) - chrono::Duration::days(62)).format("%Y-%m").to_string();
        let mut conn = Conn::open(addr).await;
        let mut times = Vec::new();
        let mut total = String::new();
        for _ in 0..5 {
            let t0 = Instant::now();
            let status = conn
                .request(
                    "GET",
                    &format!("/api/v1/org-units/{}/meeting-reports?month={month}&include_subtree=true", province.id),
                    Some(&token),
                )
                .await;
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(status, 200, "roll-up");
            let body = String::from_utf8_lossy(&conn.buf);
            total = body.split("\"total\":").nth(1).map(|r| r.chars().take_while(char::is_ascii_digit).collect()).unwrap_or_default();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "province meeting-report roll-up for {month}: {total} reports, {:.0} ms median of 5 ({:.0}–{:.0} ms)",
            times[2], times[0], times[4]
        );
        // Five administrators at once, three times each: the memory budget's worst case.
        let path = format!("/api/v1/org-units/{}/meeting-reports?month={month}&include_subtree=true", province.id);
        let t0 = Instant::now();
        let mut burst = Vec::new();
        for _ in 0..5 {
            let (path, token) = (path.clone(), token.clone());
            burst.push(tokio::spawn(async move {
                let mut conn = Conn::open(addr).await;
                for _ in 0..3 {
                    assert_eq!(conn.request("GET", &path, Some(&token)).await, 200, "roll-up");
                }
            }));
        }
        for b in burst {
            b.await.unwrap();
        }
        println!(
            "five concurrent roll-ups, three each: {:.0} ms in all; server peak resident {}, resident now {}",
            t0.elapsed().as_secs_f64() * 1000.0,
            status_kb(pid, "VmHWM"),
            status_kb(pid, "VmRSS")
        );
    }
    println!(
        "server process memory: peak resident {} after the 32-connection scenarios, {} at the end; load generator peak {}",
        server_hwm,
        status_kb(child.id(), "VmHWM"),
        status_kb(std::process::id(), "VmHWM")
    );
    drop(child.stdin.take());
    let _ = child.wait();
}
