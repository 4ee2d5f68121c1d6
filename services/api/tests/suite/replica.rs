//! The read replica (`HANDBOOK_DATABASE_REPLICA_URL`): lag-tolerant reads — the leaderboard,
//! search, the audit listing, the report roll-up — go to the replica once a check finds it
//! within its bound, and to the primary before that and while it is down; a member's own total
//! stays on the primary. PostgreSQL only (SQLite refuses the setting). The "replica" here is a
//! second handle on the test's own database (not a standby, so it counts as caught up); the
//! scale test runs a real streaming standby.

use std::time::Duration;

use crate::common::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;

async fn get(app: &axum::Router, path: &str, token: &str) -> StatusCode {
    let req = Request::get(path).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
    let response = tower::ServiceExt::oneshot(app.clone(), req).await.unwrap();
    let status = response.status();
    let _ = response.into_body().collect().await.unwrap();
    status
}

#[tokio::test]
async fn lag_tolerant_reads_go_to_a_replica_within_its_bound_and_to_the_primary_when_it_is_down() {
    let t = TestApp::new().await;
    if t.state.db.backend_name() != "postgres" {
        let vars = std::collections::HashMap::from([
            ("DATABASE_URL".to_string(), "sqlite:///tmp/x.db".to_string()),
            ("HANDBOOK_DATABASE_REPLICA_URL".to_string(), "postgres://postgres@127.0.0.1/replica".to_string()),
        ]);
        let refused = api::config::Config::from_map(&vars).unwrap_err().to_string();
        assert!(refused.contains("HANDBOOK_DATABASE_REPLICA_URL"), "{refused}");
        return;
    }
    let w = t.world().await;
    let db = t.state.db.clone().with_replica(t.state.db.clone(), Duration::from_secs(10));
    let app = api::app(api::state::AppState { db: db.clone(), ..t.state.clone() });
    let board = format!("/api/v1/org-units/{}/leaderboard", w.root);
    let rollup = format!("/api/v1/org-units/{}/meeting-reports?include_subtree=true", w.root);

    // Before the first check: the primary.
    assert_eq!(get(&app, &board, &w.m1.1).await, StatusCode::OK);
    let status = db.replica_status().unwrap();
    assert_eq!((status.usable, status.reads_on_replica, status.reads_on_primary), (false, 0, 1));

    // Checked and caught up: the four lag-tolerant reads go to the replica, one read each (the
    // roll-up would look its reports' units up there too; this world has sent no report).
    assert_eq!(db.check_replica().await.unwrap().unwrap(), Duration::ZERO);
    for (path, token) in [
        (&board, &w.m1.1),
        (&"/api/v1/documents?q=nghi%20quyet".to_string(), &w.m1.1),
        (&"/api/v1/audit".to_string(), &w.admin),
        (&rollup, &w.admin),
    ] {
        assert_eq!(get(&app, path, token).await, StatusCode::OK, "{path}");
    }
    let status = db.replica_status().unwrap();
    assert_eq!((status.usable, status.lag_seconds, status.reads_on_replica, status.reads_on_primary), (true, Some(0.0), 4, 1));
    // What a member reads back after writing stays on the primary: their own points, the feed.
    assert_eq!(get(&app, "/api/v1/me/points", &w.m1.1).await, StatusCode::OK);
    assert_eq!(get(&app, "/api/v1/documents", &w.m1.1).await, StatusCode::OK);
    assert_eq!(db.replica_status().unwrap().reads_on_replica, 4);

    // A replica that does not answer: reads go to the primary and still succeed.
    let down = storage::Database::connect_replica("postgres://postgres@127.0.0.1:1/handbook", 2, Duration::from_secs(10)).await.unwrap();
    let db = t.state.db.clone().with_replica(down, Duration::from_secs(10));
    assert!(db.check_replica().await.unwrap().is_err());
    let app = api::app(api::state::AppState { db: db.clone(), ..t.state.clone() });
    assert_eq!(get(&app, &board, &w.m1.1).await, StatusCode::OK);
    let status = db.replica_status().unwrap();
    assert_eq!((status.usable, status.lag_seconds, status.reads_on_replica, status.reads_on_primary), (false, None, 0, 1));
    // Operators see it on /metrics.
    let req = Request::get("/metrics").body(Body::empty()).unwrap();
    let text = tower::ServiceExt::oneshot(app, req).await.unwrap().into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&text);
    assert!(text.lines().any(|l| l == "handbook_db_replica_up 0"), "{text}");
    assert!(text.lines().any(|l| l == "handbook_db_lag_tolerant_reads_total{target=\"primary\"} 1"), "{text}");
}
