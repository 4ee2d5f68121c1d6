//! Fan-out benchmark on a generated province (docs/PERFORMANCE.md, "Notifications").
//!
//! ```text
//! HANDBOOK_DATA_DIR=/tmp/province HANDBOOK_ADMIN_PASSWORD=benchmark-password-1 \
//!     cargo run --release -p api -- generate --size province
//! cp /tmp/province/handbook.db /tmp/fanout.db   # the benchmark writes inbox rows
//! DATABASE_URL=sqlite:///tmp/fanout.db cargo run --release -p notifier --example fanout
//! ```
//!
//! It measures, through the notifier's own passes (`app::notify::process_events`, e-mail and push
//! deliveries created as when both channels are configured):
//! 1. cell-sized events: a meeting published in each of `CELLS` cells, one after the other; the
//!    time from the commit of the event to the commit of its inbox items (p50, p95, max);
//! 2. a broadcast: a required document to the whole province; the time until the last item is
//!    written, items per second, and the process's peak resident memory (`VmHWM`);
//! 3. the unread count of `SAMPLES` members: with one inbox row per member (the design chosen:
//!    a count on the partial index of unread rows) and, for comparison, with items stored once per
//!    event and read marks per member (the documents' own design: audience through the closure
//!    table, minus read receipts), over the same database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark program

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::Ctx;
use app::clock::SystemClock;
use app::events::{DocumentPublished, Event, MeetingPublished};
use app::notify::{PassReport, Settings};
use notifications::Channel;
use storage::testing::{Arg, Cell, Col, query};
use uuid::Uuid;

const CELLS: usize = 50;
const SAMPLES: usize = 500;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
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

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL: the generated province");
    let db = storage::Database::connect(&url, 4).await.unwrap();
    db.migrate().await.unwrap();
    let clock: app::clock::SharedClock = Arc::new(SystemClock);
    let ctx = Ctx::new(db.clone(), clock.clone());
    let settings = Settings { holder: "fanout-bench".into(), channels: vec![Channel::Email, Channel::Push], ..Settings::default() };
    let members = query(&db, "SELECT COUNT(*) AS n FROM members", vec![], &[("n", Col::BigInt)]).await.unwrap();
    println!("backend {} · {:?} members", db.backend_name(), members[0][0]);

    // 1. Cell-sized events.
    let cells = uuids(
        query(&db, "SELECT id FROM org_units WHERE kind = 'cell' ORDER BY id LIMIT $1", vec![Arg::Int(CELLS as i64)], &[("id", Col::Uuid)])
            .await
            .unwrap(),
    );
    let mut latencies = Vec::new();
    let mut items = 0;
    for cell in &cells {
        let event = Event::MeetingPublished(MeetingPublished {
            meeting_id: Uuid::now_v7(),
            unit_id: *cell,
            title: "Sinh hoạt chi bộ tháng 12".into(),
            starts_at: clock.now() + chrono::Duration::days(5),
            late_publication: false,
            extraordinary: false,
        });
        storage::outbox::push(db.conn(), &event.to_outbox(clock.now()).unwrap()).await.unwrap();
        let t0 = Instant::now();
        let mut report = PassReport::default();
        app::notify::process_events(&ctx, &settings, &mut report).await.unwrap();
        latencies.push(t0.elapsed());
        items += report.items;
    }
    latencies.sort();
    println!(
        "cell-sized events: {} events, {items} items · event → inbox p50 {} p95 {} max {}",
        cells.len(),
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
        read_deadline: Some(clock.today() + chrono::Duration::days(14)),
        audience_unit_ids: vec![province.as_uuid()],
        roles: vec![],
    });
    storage::outbox::push(db.conn(), &event.to_outbox(clock.now()).unwrap()).await.unwrap();
    let t0 = Instant::now();
    let mut report = PassReport::default();
    app::notify::process_events(&ctx, &settings, &mut report).await.unwrap();
    let took = t0.elapsed();
    #[allow(clippy::cast_precision_loss)]
    let rate = report.items as f64 / took.as_secs_f64();
    println!(
        "broadcast to the province: {} items, {} deliveries, {} chunks in {:.2} s ({rate:.0} items/s) · peak RSS {} kB",
        report.items,
        report.deliveries,
        report.chunks,
        took.as_secs_f64(),
        peak_rss_kb()
    );

    // 3. Unread counts, both designs.
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
        query(
            &db,
            "SELECT COUNT(*) AS n FROM notifications WHERE member_id = $1 AND read_at IS NULL",
            vec![Arg::Uuid(*member)],
            &[("n", Col::BigInt)],
        )
        .await
        .unwrap();
        per_row.push(t0.elapsed());
        let t0 = Instant::now();
        query(
            &db,
            "SELECT COUNT(*) AS n FROM document_audience da JOIN org_unit_closure c ON c.ancestor_id = da.unit_id \
             JOIN documents d ON d.id = da.document_id WHERE c.descendant_id = $1 AND d.status = 'published' \
             AND NOT EXISTS (SELECT 1 FROM read_receipts r WHERE r.document_id = d.id AND r.member_id = $2)",
            vec![Arg::Uuid(*cell), Arg::Uuid(*member)],
            &[("n", Col::BigInt)],
        )
        .await
        .unwrap();
        once.push(t0.elapsed());
    }
    per_row.sort();
    once.sort();
    println!(
        "unread count ({} members): one row per member p50 {} p95 {} · stored once + read marks p50 {} p95 {}",
        per_row.len(),
        ms(percentile(&per_row, 0.5)),
        ms(percentile(&per_row, 0.95)),
        ms(percentile(&once, 0.5)),
        ms(percentile(&once, 0.95))
    );
}
