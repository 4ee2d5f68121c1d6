//! Queued point totals through the `api` binary on a SQLite file: entries queued by committed
//! first reads and check-ins whose totals were not applied yet survive the process; a server
//! killed with SIGKILL while its applier is mid-way, again and again, leaves each entry counted
//! exactly once in the totals once a server has run to the end of the queue.

use std::time::{Duration, Instant};

use api::config::Config;
use chrono::{TimeZone, Utc};
use membership::{MemberId, UnitId};
use storage::members::{ListQuery, StandingFilter};
use study_points::ledger::{Entry, Reason};
use uuid::Uuid;

use crate::common::ADMIN_PASSWORD;

/// Entries queued before the first start: 80 batches of the applier's 500.
const QUEUED: u64 = 40_000;

fn api_binary(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_api"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HANDBOOK_DATA_DIR", dir)
        .env("HANDBOOK_BIND", "127.0.0.1:0")
        .env("HANDBOOK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    cmd
}

async fn pending(db: &storage::Database) -> u64 {
    storage::study::pending_backlog(db.conn()).await.unwrap().0
}

async fn active_members(db: &storage::Database, root: UnitId) -> Vec<MemberId> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let q = ListQuery { unit: root, include_subtree: true, standing: StandingFilter::Active, after, limit: 500 };
        let page = storage::members::list(db.conn(), &q).await.unwrap();
        let Some(last) = page.last() else { return all };
        after = Some(last.id);
        all.extend(page.iter().map(|m| m.id));
    }
}

#[tokio::test]
async fn a_server_killed_while_applying_queued_points_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/handbook.db", dir.path().display());
    let db = storage::Database::connect(&url, 2).await.unwrap();
    let clock = std::sync::Arc::new(app::clock::pinned_for_tests());
    let state = api::prepare_with_clock(db.clone(), Config::for_test(&url), clock).await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 3, 0, 0).unwrap();
    api::demo::seed_sized(&state.db, 7, 2, 2, 10, now).await.unwrap();
    let root = storage::units::roots(db.conn()).await.unwrap()[0].id;
    let members = active_members(&db, root).await;
    assert!(members.len() >= 40, "{} members", members.len());

    // Committed awards whose totals nobody applied: a server that stopped right after them.
    let mut i = 0u64;
    while i < QUEUED {
        let tx = db.begin().await.unwrap();
        for _ in 0..5_000 {
            let member = members[usize::try_from(i).unwrap() % members.len()];
            let reason = if i.is_multiple_of(2) { Reason::DocumentRead } else { Reason::MeetingAttendance };
            let at = now - chrono::Duration::days(i64::try_from(i % 300).unwrap());
            let e = Entry { member, points: i64::try_from(i % 5).unwrap() + 1, reason, source: Uuid::from_u128(u128::from(i)), at };
            assert!(storage::study::award_deferred(tx.conn(), &e).await.unwrap());
            i += 1;
        }
        tx.commit().await.unwrap();
    }
    assert_eq!(pending(&db).await, QUEUED);

    // Start, wait until the applier has committed a batch, kill -9 at once; three times.
    let mut seen = vec![QUEUED];
    for _ in 0..3 {
        let before = *seen.last().unwrap();
        let mut child = api_binary(dir.path()).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let left = loop {
            let left = pending(&db).await;
            if left < before {
                break left;
            }
            assert!(Instant::now() < deadline, "the applier did not start within a minute");
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(left > 0, "killed before the end of the queue ({left} left)");
        seen.push(pending(&db).await);
    }
    // A last run to the end of the queue.
    let mut child = api_binary(dir.path()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while pending(&db).await > 0 {
        assert!(Instant::now() < deadline, "the queue was not applied within two minutes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // Each entry counted once: every member's maintained total (nothing queued now) equals the
    // ledger's sum, for each year and all time, and every unit of the chain ranks that total.
    let units = [root, storage::units::children(db.conn(), root).await.unwrap()[0].id];
    for year in [0, 2025, 2026] {
        for unit in units {
            let board = storage::study::top(db.conn(), unit, year, 10_000).await.unwrap();
            assert_eq!(board.len(), members.len(), "year {year}: every member on the board of {unit:?}");
            for (member, _, _, total) in board {
                assert_eq!(total, storage::study::ledger_sum(db.conn(), member, year).await.unwrap(), "year {year}");
            }
        }
    }
    for &member in &members {
        assert_eq!(
            storage::study::total(db.conn(), member, 0).await.unwrap(),
            storage::study::ledger_sum(db.conn(), member, 0).await.unwrap()
        );
    }
    eprintln!("queued entries left after each kill: {seen:?}");
}
