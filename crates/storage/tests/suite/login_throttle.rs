//! The failed sign-in counters (`storage::accounts::count_failure` and friends) on a temporary
//! SQLite file, or on PostgreSQL when `TEST_DATABASE_URL` is set.

use storage::accounts::{FailureWindow, clear_failures, count_failure, failure_windows, purge_failures};
use storage::testing::fresh_database;

const T0: i64 = 1_800_000_000_000_000;
const WINDOW: i64 = 900_000_000;

fn window(rows: &[(String, FailureWindow)], key: &str) -> Option<FailureWindow> {
    rows.iter().find(|(k, _)| k == key).map(|(_, w)| *w)
}

#[tokio::test]
async fn failures_are_counted_per_key_in_windows_that_restart_once_over() {
    let t = fresh_database().await.unwrap();
    let c = t.db.conn();
    for i in 0..3 {
        count_failure(c, &["p:one", "a:addr"], T0 + i, T0 - WINDOW).await.unwrap();
    }
    count_failure(c, &["a:addr", "a:addr"], T0 + 10, T0 - WINDOW).await.unwrap();
    let rows = failure_windows(c, &["p:one", "a:addr", "u:none"]).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(window(&rows, "p:one"), Some(FailureWindow { start_us: T0, failures: 3 }), "the window opened at the first failure");
    assert_eq!(window(&rows, "a:addr"), Some(FailureWindow { start_us: T0, failures: 4 }), "a key repeated in one call counts once");

    // Fifteen minutes after the first failure the window is over: the next failure opens a new one.
    let later = T0 + WINDOW;
    count_failure(c, &["p:one"], later, later - WINDOW).await.unwrap();
    let rows = failure_windows(c, &["p:one"]).await.unwrap();
    assert_eq!(window(&rows, "p:one"), Some(FailureWindow { start_us: later, failures: 1 }));

    clear_failures(c, &["p:one"]).await.unwrap();
    assert_eq!(failure_windows(c, &["p:one", "a:addr"]).await.unwrap().len(), 1, "only the named key is cleared");
    assert_eq!(purge_failures(c, T0 - 1).await.unwrap(), 0, "a live window is kept");
    assert_eq!(purge_failures(c, T0).await.unwrap(), 1, "an expired window is purged");
    assert!(failure_windows(c, &["a:addr"]).await.unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_failures_are_all_counted() {
    let t = fresh_database().await.unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let db = t.db.clone();
            tokio::spawn(async move {
                let tx = db.begin().await?;
                count_failure(tx.conn(), &["u:account", "p:pair", "a:address"], T0 + i, T0 - WINDOW).await?;
                tx.commit().await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let rows = failure_windows(t.db.conn(), &["u:account", "p:pair", "a:address"]).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|(_, w)| w.failures == 40), "{rows:?}");
}
