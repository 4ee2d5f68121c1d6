//! Fan-out benchmark on a generated province (docs/PERFORMANCE.md, "Notifications").
//!
//! ```text
//! HANDBOOK_DATA_DIR=/tmp/province HANDBOOK_ADMIN_PASSWORD=benchmark-password-1 \
//!     cargo run --release -p api -- generate --size province
//! cp /tmp/province/handbook.db /tmp/fanout.db   # the benchmark writes inbox rows
//! DATABASE_URL=sqlite:///tmp/fanout.db cargo run --release -p notifier --example fanout
//! ```
//!
//! The notifier runs in this process as it runs in production (`notifier::run::forever`: its poll
//! interval, and on PostgreSQL the `LISTEN` wake-up), with e-mail and push transports that accept
//! every message at once, so the figures are the notifier's own work and the database's. The
//! clock is pinned at 10:00 in Vietnam (outside quiet hours) on the day of the run. It measures:
//! 0. the catch-up: the first pass writes and processes the reminders the dataset has due;
//! 1. cell-sized events: a meeting published in each of `CELLS` cells at random moments; for
//!    each, the time from the commit of the event to its items being visible (p50, p95, max);
//! 2. a broadcast: a required document to the whole province; the time until every item is
//!    visible, and until every delivery it created is sent;
//! 3. the cost of a pass with nothing new: the reminder scans (every `SCAN_EVERY`) and the rest;
//! 4. the unread count of `SAMPLES` members: with one inbox row per member (the design chosen: a
//!    count on the partial index of unread rows) and, for comparison, with items stored once per
//!    event and read marks per member (the documents' own design: the audience through the
//!    closure table, minus read receipts), over the same database;
//! 5. the process's peak resident memory (`VmHWM`), the notifier included.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark program

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::Ctx;
use app::clock::{Clock, FixedClock};
use app::events::{DocumentPublished, Event, MeetingPublished};
use app::notify::transport::{Message, SendFuture, Transport, Transports};
use app::notify::{PassReport, Settings};
use chrono::TimeZone;
use notifications::Channel;
use storage::Database;
use storage::testing::{Arg, Cell, Col, query};
use uuid::Uuid;

const CELLS: usize = 40;
const SAMPLES: usize = 500;

/// A transport that accepts every message at once.
struct Accept;

impl Transport for Accept {
    fn send<'a>(&'a self, _message: &'a Message) -> SendFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

fn transports() -> Transports {
    Transports { email: Some(Box::new(Accept)), push: Some(Box::new(Accept)) }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn uuids(rows: Vec<Vec<Cell>>) -> Vec<Uuid> {
    rows.into_iter()
        .filter_map(|r| match r.first() {
            Some(Cell::Uuid(u)) => Some(*u),
            _ => None,
        })
        .collect()
}

async fn count(db: &Database, sql: &str, args: Vec<Arg>) -> i64 {
    match query(db, sql, args, &[("n", Col::BigInt)]).await.unwrap().first().and_then(|r| r.first()) {
        Some(Cell::Int(n)) => *n,
        _ => 0,
    }
}

async fn push(db: &Database, clock: &FixedClock, event: &Event) -> Uuid {
    let row = event.to_outbox(clock.now()).unwrap();
    storage::outbox::push(db.conn(), &row).await.unwrap();
    row.id
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL: the generated province");
    let db = Database::connect_worker(&url, 6).await.unwrap();
    db.migrate().await.unwrap();
    let day = {
        // The run's own date (the wall clock is read once, here, to date the benchmark).
        let now = app::clock::SystemClock.now();
        membership::time::local_date(now)
    };
    let ten_am = chrono::Utc.from_utc_datetime(&day.and_hms_opt(3, 0, 0).unwrap());
    let clock = Arc::new(FixedClock::new(ten_am));
    let ctx = Ctx::new(db.clone(), clock.clone());
    let settings = Settings { holder: "fanout-bench".into(), channels: vec![Channel::Email, Channel::Push], ..Settings::default() };
    let members = count(&db, "SELECT COUNT(*) AS n FROM members", vec![]).await;
    println!("backend {} · {members} members · clock pinned at {}", db.backend_name(), app::clock::format_instant(ten_am));

    // 0. Catch-up.
    let t0 = Instant::now();
    let mut jitter = || 0.5;
    let first = app::notify::run_pass(&ctx, &settings, &transports(), &mut jitter).await.unwrap();
    println!(
        "catch-up pass: {} reminder events, {} items, {} deliveries sent in {:.2} s",
        first.reminders,
        first.items,
        first.sent,
        t0.elapsed().as_secs_f64()
    );

    // The notifier, long-running, as in production.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let poll = Duration::from_millis(1000);
    let wake = notifier::run::outbox_wakeups(&url).await;
    let listening = wake.is_some();
    let worker = {
        let ctx = ctx.clone();
        let settings = settings.clone();
        tokio::spawn(async move {
            let t = transports();
            let shutdown = async {
                let _ = stopped.await;
            };
            notifier::run::forever(&ctx, &settings, &t, poll, wake, shutdown, notifier::run::SHUTDOWN_GRACE).await.unwrap();
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // 1. Cell-sized events at random moments.
    let cells = uuids(
        query(&db, "SELECT id FROM org_units WHERE kind = 'cell' ORDER BY id LIMIT $1", vec![Arg::Int(CELLS as i64)], &[("id", Col::Uuid)])
            .await
            .unwrap(),
    );
    let random = std::collections::hash_map::RandomState::new();
    let mut latencies = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let mut h = random.build_hasher();
        h.write_usize(i);
        tokio::time::sleep(Duration::from_millis(h.finish() % 700)).await;
        let event = Event::MeetingPublished(MeetingPublished {
            meeting_id: Uuid::now_v7(),
            unit_id: *cell,
            title: "Sinh hoạt chi bộ tháng 12".into(),
            starts_at: ten_am + chrono::Duration::days(5),
            late_publication: false,
            extraordinary: false,
        });
        let id = push(&db, &clock, &event).await;
        let t0 = Instant::now();
        while count(&db, "SELECT COUNT(*) AS n FROM notifications WHERE event_id = $1", vec![Arg::Uuid(id)]).await == 0 {
            assert!(t0.elapsed() < Duration::from_secs(30), "no item after 30 s");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        latencies.push(t0.elapsed());
    }
    latencies.sort();
    println!(
        "cell-sized events ({} cells, poll {} ms, LISTEN {}): event → items visible p50 {} p95 {} max {}",
        cells.len(),
        poll.as_millis(),
        if listening { "on" } else { "off" },
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 1.0))
    );

    // 2. The broadcast.
    let root = storage::units::roots(db.conn()).await.unwrap().into_iter().next().expect("a root unit");
    let province = storage::units::children(db.conn(), root.id).await.unwrap().into_iter().next().map_or(root.id, |u| u.id);
    let event = Event::DocumentPublished(DocumentPublished {
        document_id: Uuid::now_v7(),
        issuer_unit_id: province.as_uuid(),
        title: "Chỉ thị về tổ chức đại hội đảng bộ các cấp".into(),
        number: Some("45-CT/TU".into()),
        required: true,
        read_deadline: Some(day + chrono::Duration::days(14)),
        audience_unit_ids: vec![province.as_uuid()],
        roles: vec![],
    });
    let id = push(&db, &clock, &event).await;
    let t0 = Instant::now();
    while count(&db, "SELECT COUNT(*) AS n FROM outbox_events WHERE id = $1 AND processed_at IS NOT NULL", vec![Arg::Uuid(id)]).await == 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let visible = t0.elapsed();
    let items = count(&db, "SELECT COUNT(*) AS n FROM notifications WHERE event_id = $1", vec![Arg::Uuid(id)]).await;
    while count(&db, "SELECT COUNT(*) AS n FROM notification_deliveries WHERE status = 'pending'", vec![]).await > 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = t0.elapsed();
    let deliveries = count(
        &db,
        "SELECT COUNT(*) AS n FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE n.event_id = $1",
        vec![Arg::Uuid(id)],
    )
    .await;
    #[allow(clippy::cast_precision_loss)]
    let rate = items as f64 / visible.as_secs_f64();
    println!(
        "broadcast to the province: {items} items visible after {:.1} s ({rate:.0} items/s); its {deliveries} deliveries all sent after {:.1} s",
        visible.as_secs_f64(),
        sent.as_secs_f64()
    );
    stop.send(()).unwrap();
    worker.await.unwrap();

    // 3. A pass with nothing new.
    let mut scans = Vec::new();
    let mut rest = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        app::notify::reminders(&ctx, &settings).await.unwrap();
        scans.push(t0.elapsed());
        let t0 = Instant::now();
        let r: PassReport = app::notify::run_pass_with(&ctx, &settings, &transports(), &mut jitter, false).await.unwrap();
        rest.push(t0.elapsed());
        assert_eq!((r.items, r.sent), (0, 0), "nothing new");
    }
    scans.sort();
    rest.sort();
    println!(
        "a pass with nothing new (median of 5): reminder scans {} (every {} s), the rest {} (every poll)",
        ms(scans[2]),
        notifier::run::SCAN_EVERY.as_secs(),
        ms(rest[2])
    );

    // 4. Unread counts, both designs.
    let sample = query(
        &db,
        "SELECT id, unit_id FROM members WHERE standing IN ('official', 'probationary') ORDER BY id LIMIT $1",
        vec![Arg::Int(SAMPLES as i64)],
        &[("id", Col::Uuid), ("unit_id", Col::Uuid)],
    )
    .await
    .unwrap();
    let mut per_row = Vec::new();
    let mut once = Vec::new();
    for r in &sample {
        let (Cell::Uuid(member), Cell::Uuid(cell)) = (&r[0], &r[1]) else { continue };
        let t0 = Instant::now();
        count(&db, "SELECT COUNT(*) AS n FROM notifications WHERE member_id = $1 AND read_at IS NULL", vec![Arg::Uuid(*member)]).await;
        per_row.push(t0.elapsed());
        let t0 = Instant::now();
        count(
            &db,
            "SELECT COUNT(*) AS n FROM document_audience da JOIN org_unit_closure c ON c.ancestor_id = da.unit_id \
             JOIN documents d ON d.id = da.document_id WHERE c.descendant_id = $1 AND d.status = 'published' \
             AND NOT EXISTS (SELECT 1 FROM read_receipts r WHERE r.document_id = d.id AND r.member_id = $2)",
            vec![Arg::Uuid(*cell), Arg::Uuid(*member)],
        )
        .await;
        once.push(t0.elapsed());
    }
    per_row.sort();
    once.sort();
    println!(
        "unread count, statement ({} members): one row per member p50 {} p95 {} · stored once + read marks p50 {} p95 {}",
        per_row.len(),
        ms(percentile(&per_row, 0.5)),
        ms(percentile(&per_row, 0.95)),
        ms(percentile(&once, 0.5)),
        ms(percentile(&once, 0.95))
    );
    println!("peak resident memory of this process (notifier included): {} kB", peak_rss_kb());
}
