//! Notifications API tests: the inbox (list, pages, unread filter, languages, unread count, read
//! marks and their races, the live stream), preferences, and administrators' dead letters with
//! their denials. Items and deliveries are written through the notifier's storage functions.
//! Run on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use crate::common::{PASSWORD, Reply, TestApp, World};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Duration;
use http_body_util::BodyExt;
use membership::MemberId;
use notifications::Kind;
use notifications::text::Params;
use serde_json::{Value, json};
use storage::notifications::{NewDelivery, NewItem};
use uuid::Uuid;

fn member_id(id: &str) -> MemberId {
    MemberId::from_uuid(Uuid::parse_str(id).unwrap())
}

/// Writes `n` items for `member` (kinds in turn: meeting published, task assigned, document
/// published), one minute apart, the last one now; returns their ids, oldest first.
async fn seed(t: &TestApp, member: &str, n: usize) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    ids.sort();
    let kinds = [Kind::MeetingPublished, Kind::TaskAssigned, Kind::DocumentPublished];
    let items: Vec<NewItem> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let kind = kinds[i % kinds.len()];
            let params = Params {
                title: format!("Việc số {i}"),
                starts_at: Some(t.now() + Duration::days(2)),
                due_on: Some(t.today() + Duration::days(7)),
                ..Params::default()
            };
            NewItem {
                id: *id,
                member_id: member_id(member),
                event_id: Uuid::now_v7(),
                kind: kind.code().to_string(),
                object_type: kind.object_type().code().to_string(),
                object_id: Uuid::now_v7(),
                params: serde_json::to_string(&params).unwrap(),
                urgent: false,
                created_at: t.now() - Duration::minutes(i64::try_from(n - i).unwrap()),
            }
        })
        .collect();
    storage::notifications::insert_items(t.state.db.conn(), &items).await.unwrap();
    ids
}

/// A delivery by e-mail of a new item of `member`: pending (due in a day) or, when `failed`,
/// tried and dead-lettered.
async fn delivery(t: &TestApp, member: &str, failed: bool) -> String {
    let item = seed(t, member, 1).await[0];
    let id = Uuid::now_v7();
    let now_us = t.now().timestamp_micros();
    let due = if failed { now_us - 1 } else { now_us + 86_400_000_000 };
    let d = NewDelivery {
        id,
        notification_id: item,
        member_id: member_id(member),
        channel: "email",
        digest: false,
        next_attempt_us: due,
        created_at: t.now(),
    };
    let db = t.state.db.conn();
    storage::notifications::insert_deliveries(db, &[d]).await.unwrap();
    if failed {
        let claimed = storage::notifications::claim_deliveries(db, now_us, now_us + 60_000_000, "test", 100).await.unwrap();
        assert!(claimed.iter().any(|c| c.id == id));
        storage::notifications::mark_failed(db, &[id], "test", "550 mailbox unavailable", None).await.unwrap();
    }
    id.to_string()
}

async fn get_lang(t: &TestApp, path: &str, token: &str, lang: &str) -> Reply {
    let req = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT_LANGUAGE, lang)
        .body(Body::empty())
        .unwrap();
    t.send(req).await
}

async fn post_empty(t: &TestApp, path: &str, token: &str) -> Reply {
    t.call(Method::POST, path, Some(token), None).await
}

async fn put(t: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    t.call(Method::PUT, path, Some(token), Some(body)).await
}

fn ids_of(r: &Reply) -> Vec<String> {
    r.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

async fn unread(t: &TestApp, token: &str) -> i64 {
    t.get("/api/v1/me/notifications/unread-count", token).await.expect(StatusCode::OK).body["unread"].as_i64().unwrap()
}

#[tokio::test]
async fn inbox_lists_newest_first_in_pages_with_the_unread_filter_and_both_languages() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let ids = seed(&t, &w.m1.0, 5).await;
    seed(&t, &w.b1.0, 2).await; // someone else's

    // Newest first, two per page, the cursor convention of the other lists.
    let first = t.get("/api/v1/me/notifications?limit=2", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(ids_of(&first), vec![ids[4].to_string(), ids[3].to_string()]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let second = t.get(&format!("/api/v1/me/notifications?limit=2&cursor={cursor}"), &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(ids_of(&second), vec![ids[2].to_string(), ids[1].to_string()]);
    let cursor = second.body["next_cursor"].as_str().unwrap().to_string();
    let last = t.get(&format!("/api/v1/me/notifications?limit=2&cursor={cursor}"), &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(ids_of(&last), vec![ids[0].to_string()]);
    assert!(last.body["next_cursor"].is_null());

    // The item: Vietnamese by default, its link an absolute API path.
    let item = &first.body["items"][1]; // ids[3]: the 4th seeded, a meeting (index 3 % 3 == 0)
    assert_eq!(item["kind"], "meeting.published");
    assert_eq!(item["title"], "Thông báo lịch sinh hoạt chi bộ");
    assert!(item["body"].as_str().unwrap().starts_with("Việc số 3 — lúc "), "{item}");
    assert_eq!(item["object_type"], "meeting");
    assert_eq!(item["link"], format!("/api/v1/meetings/{}", item["object_id"].as_str().unwrap()));
    assert_eq!(item["urgent"], false);
    assert!(item["read_at"].is_null());
    assert!(item["created_at"].is_string());
    assert_eq!(first.headers.get(header::CONTENT_LANGUAGE).unwrap(), "vi");
    let task = &first.body["items"][0]; // ids[4]: a task
    assert_eq!(task["link"], format!("/api/v1/tasks/{}", task["object_id"].as_str().unwrap()));

    // English on request.
    let en = get_lang(&t, "/api/v1/me/notifications?limit=2", &w.m1.1, "en-US,en;q=0.9").await.expect(StatusCode::OK);
    assert_eq!(en.body["items"][1]["title"], "Cell meeting scheduled");
    assert_eq!(en.body["items"][0]["title"], "New task");
    assert_eq!(en.headers.get(header::CONTENT_LANGUAGE).unwrap(), "en");

    // Unread filter and count.
    assert_eq!(unread(&t, &w.m1.1).await, 5);
    post_empty(&t, &format!("/api/v1/me/notifications/{}/read", ids[3]), &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(unread(&t, &w.m1.1).await, 4);
    let only_unread = t.get("/api/v1/me/notifications?unread=true", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(ids_of(&only_unread), [4, 2, 1, 0].map(|i| ids[i].to_string()).to_vec());
    let all = t.get("/api/v1/me/notifications?unread=false", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(ids_of(&all).len(), 5);

    // Refusals follow the other lists.
    t.get("/api/v1/me/notifications?cursor=nonsense!", &w.m1.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_cursor");
    t.get("/api/v1/me/notifications?limit=0", &w.m1.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_query");
    t.get("/api/v1/me/notifications?limit=201", &w.m1.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_query");
    t.get("/api/v1/me/notifications?unread=maybe", &w.m1.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_query");
    t.get("/api/v1/me/notifications?colour=red", &w.m1.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_query");
    let anonymous = t.call(Method::GET, "/api/v1/me/notifications", None, None).await;
    anonymous.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    // The bootstrap administrator is no member: no inbox.
    t.get("/api/v1/me/notifications", &w.admin).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get("/api/v1/me/notifications/unread-count", &w.admin).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn reading_is_idempotent_private_and_read_all_marks_the_rest() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let ids = seed(&t, &w.m1.0, 3).await;
    let others = seed(&t, &w.b1.0, 1).await;
    let read_path = |id: &Uuid| format!("/api/v1/me/notifications/{id}/read");

    let first = post_empty(&t, &read_path(&ids[0]), &w.m1.1).await.expect(StatusCode::OK);
    let read_at = first.body["read_at"].as_str().unwrap().to_string();
    assert_eq!(first.body["id"], ids[0].to_string());
    t.clock.advance(Duration::minutes(10));
    let again = post_empty(&t, &read_path(&ids[0]), &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(again.body["read_at"].as_str().unwrap(), read_at, "the first read time stays");

    // Someone else's item, or none: 404, and theirs stays unread.
    post_empty(&t, &read_path(&others[0]), &w.m1.1).await.expect_problem(StatusCode::NOT_FOUND, "not_found");
    post_empty(&t, &read_path(&Uuid::now_v7()), &w.m1.1).await.expect_problem(StatusCode::NOT_FOUND, "not_found");
    post_empty(&t, "/api/v1/me/notifications/not-a-uuid/read", &w.m1.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_path");
    assert_eq!(unread(&t, &w.b1.1).await, 1);
    let theirs = t.get("/api/v1/me/notifications", &w.b1.1).await.expect(StatusCode::OK);
    assert!(theirs.body["items"][0]["read_at"].is_null());

    // Read all: the two left, then none; the earlier read time stays.
    let r = post_empty(&t, "/api/v1/me/notifications/read-all", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(r.body, json!({"marked": 2}));
    let r = post_empty(&t, "/api/v1/me/notifications/read-all", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(r.body, json!({"marked": 0}));
    assert_eq!(unread(&t, &w.m1.1).await, 0);
    let list = t.get("/api/v1/me/notifications", &w.m1.1).await.expect(StatusCode::OK);
    let oldest = list.body["items"].as_array().unwrap().iter().find(|i| i["id"] == ids[0].to_string()).unwrap().clone();
    assert_eq!(oldest["read_at"].as_str().unwrap(), read_at);
    assert_eq!(unread(&t, &w.b1.1).await, 1, "another member's items are untouched");
}

/// Runs the requests at once, each on its own task over a clone of the router.
async fn in_parallel(t: &TestApp, requests: Vec<Request<Body>>) -> Vec<Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for req in requests {
        tasks.spawn(crate::common::send_to(t.app.clone(), req));
    }
    tasks.join_all().await
}

fn post_request(path: &str, token: &str) -> Request<Body> {
    Request::post(path).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_reads_mark_each_item_exactly_once() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let ids = seed(&t, &w.m1.0, 6).await;

    // The same item read twelve times at once: all 200, one read time.
    let path = format!("/api/v1/me/notifications/{}/read", ids[0]);
    let replies = in_parallel(&t, (0..12).map(|_| post_request(&path, &w.m1.1)).collect()).await;
    let summary: Vec<(StatusCode, &str)> = replies.iter().map(|r| (r.status, r.code())).collect();
    assert!(replies.iter().all(|r| r.status == StatusCode::OK), "{summary:?}");
    let times: std::collections::HashSet<&str> = replies.iter().map(|r| r.body["read_at"].as_str().unwrap()).collect();
    assert_eq!(times.len(), 1, "{times:?}");

    // Read-all twelve times at once, mixed with single reads: every item marked exactly once.
    t.clock.advance(Duration::minutes(1));
    let mut requests: Vec<Request<Body>> = (0..12).map(|_| post_request("/api/v1/me/notifications/read-all", &w.m1.1)).collect();
    requests.extend(ids[1..3].iter().map(|id| post_request(&format!("/api/v1/me/notifications/{id}/read"), &w.m1.1)));
    let replies = in_parallel(&t, requests).await;
    let summary: Vec<(StatusCode, &str)> = replies.iter().map(|r| (r.status, r.code())).collect();
    assert!(replies.iter().all(|r| r.status == StatusCode::OK), "zero 5xx, all succeed: {summary:?}");
    let marked: u64 = replies.iter().filter_map(|r| r.body["marked"].as_u64()).sum();
    let single_reads = 2;
    assert!((5 - single_reads..=5).contains(&marked), "{marked}");
    assert_eq!(unread(&t, &w.m1.1).await, 0);
    let list = t.get("/api/v1/me/notifications", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(list.body["items"][5]["read_at"].as_str().unwrap(), *times.iter().next().unwrap(), "the first read stays");
}

#[tokio::test]
async fn preferences_default_round_trip_and_refusals() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let path = "/api/v1/me/notification-preferences";
    let defaults = json!({"kinds": {}, "quiet_hours": {"start": "22:00", "end": "06:00"}, "daily_digest": false, "digest_at": "07:00"});
    assert_eq!(t.get(path, &w.m1.1).await.expect(StatusCode::OK).body, defaults);

    let mine = json!({
        "kinds": {"document.published": {"email": false, "push": true}, "task.assigned": {"email": true, "push": false}},
        "quiet_hours": {"start": "21:30", "end": "05:45"},
        "daily_digest": true,
        "digest_at": "06:30"
    });
    assert_eq!(put(&t, path, &w.m1.1, mine.clone()).await.expect(StatusCode::OK).body, mine);
    assert_eq!(t.get(path, &w.m1.1).await.expect(StatusCode::OK).body, mine);
    assert_eq!(t.get(path, &w.b1.1).await.expect(StatusCode::OK).body, defaults, "another member keeps the defaults");

    // Every problem reported with its field; nothing stored.
    let bad = json!({
        "kinds": {"meeting.teleported": {"email": true, "push": true}},
        "quiet_hours": {"start": "25:00", "end": "06:00"},
        "daily_digest": false,
        "digest_at": "7h"
    });
    let r = put(&t, path, &w.m1.1, bad).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut issues: Vec<(String, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect();
    issues.sort();
    let want = [("digest_at", "invalid_time"), ("kinds.meeting.teleported", "unknown_kind"), ("quiet_hours.start", "invalid_time")];
    assert_eq!(issues, want.map(|(f, c)| (f.to_string(), c.to_string())).to_vec());
    let empty = json!({"quiet_hours": {"start": "22:00", "end": "22:00"}, "daily_digest": false, "digest_at": "07:00"});
    let r = put(&t, path, &w.m1.1, empty).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        (r.body["errors"][0]["field"].clone(), r.body["errors"][0]["code"].clone()),
        (json!("quiet_hours"), json!("empty_quiet_hours"))
    );
    // Unknown fields are refused, as everywhere.
    let extra = json!({"quiet_hours": null, "daily_digest": false, "digest_at": "07:00", "sms": true});
    let r = put(&t, path, &w.m1.1, extra).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "unknown_field");
    let r = put(&t, path, &w.m1.1, json!({"daily_digest": false, "digest_at": "07:00", "kinds": {"task.assigned": {"email": true}}})).await;
    r.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(t.get(path, &w.m1.1).await.expect(StatusCode::OK).body, mine, "nothing stored");

    // No quiet hours at all; audited as a self-service write.
    let none = json!({"kinds": {}, "quiet_hours": null, "daily_digest": false, "digest_at": "07:00"});
    assert_eq!(put(&t, path, &w.m1.1, none.clone()).await.expect(StatusCode::OK).body, none);
    let audit = t.get(&format!("/api/v1/audit?unit_id={}", w.a), &w.admin).await.expect(StatusCode::OK);
    let updates = audit.body["items"].as_array().unwrap().iter().filter(|a| a["action"] == "notification_preferences.update").count();
    assert_eq!(updates, 2);
    put(&t, path, &w.admin, none).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
}

/// The world, plus `x1` made secretary of commune C2 (while a member of cell X) and `xadm`, a
/// member of X administering X only. Returns xadm's (member id, token).
async fn with_cell_admin(t: &TestApp, w: &World) -> (String, String) {
    t.position(&w.admin, &w.c2, &w.x1.0, "secretary").await.expect(StatusCode::CREATED);
    let id = t.member(&w.admin, &w.x, 40, "Đinh Văn Quản").await;
    t.account(&w.admin, &id, "xadm").await;
    let token = t.token("xadm", PASSWORD).await;
    let account = t.get("/api/v1/me", &token).await.body["account"]["id"].as_str().unwrap().to_string();
    t.post(&format!("/api/v1/org-units/{}/admin-grants", w.x), &w.admin, json!({"account_id": account})).await.expect(StatusCode::CREATED);
    (id, t.token("xadm", PASSWORD).await)
}

fn delivery_ids(r: &Reply) -> Vec<String> {
    ids_of(r)
}

#[tokio::test]
async fn administrators_see_and_retry_the_dead_letters_of_their_subtree() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let (_, xadm) = with_cell_admin(&t, &w).await;
    let x1_failed = delivery(&t, &w.x1.0, true).await; // x1: in X (under C2), secretary of C2
    let b1_failed = delivery(&t, &w.b1.0, true).await; // b1: in B (under C1)
    let padm_failed = delivery(&t, &w.padm.0, true).await; // padm: in X, administers C2
    let m1_pending = delivery(&t, &w.m1.0, false).await;
    let x1_pending = delivery(&t, &w.x1.0, false).await;
    let list = "/api/v1/admin/deliveries";

    // padm (C2) sees the failed deliveries of C2's members only, newest first.
    let r = t.get(list, &w.padm.1).await.expect(StatusCode::OK);
    assert_eq!(delivery_ids(&r), vec![padm_failed.clone(), x1_failed.clone()]);
    let d = &r.body["items"][1];
    assert_eq!(d["member_id"], w.x1.0);
    assert_eq!(d["member_name"], "Đỗ Văn Bắc");
    assert_eq!((d["channel"].clone(), d["status"].clone(), d["attempts"].clone()), (json!("email"), json!("failed"), json!(1)));
    assert_eq!(d["last_error"], "550 mailbox unavailable");
    assert!(d["kind"].is_string() && d["notification_id"].is_string() && d["created_at"].is_string() && d["next_attempt_at"].is_string());
    let r = t.get(&format!("{list}?status=pending"), &w.padm.1).await.expect(StatusCode::OK);
    assert_eq!(delivery_ids(&r), vec![x1_pending.clone()]);
    // Pages.
    let r = t.get(&format!("{list}?limit=1"), &w.padm.1).await.expect(StatusCode::OK);
    assert_eq!(delivery_ids(&r), vec![padm_failed.clone()]);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = t.get(&format!("{list}?limit=1&cursor={cursor}"), &w.padm.1).await.expect(StatusCode::OK);
    assert_eq!(delivery_ids(&r), vec![x1_failed.clone()]);
    assert!(r.body["next_cursor"].is_null());
    // The root's administrator sees every one.
    let r = t.get(list, &w.admin).await.expect(StatusCode::OK);
    assert_eq!(delivery_ids(&r).len(), 3);
    // xadm (cell X) sees X's; nobody sees B's but its administrators.
    let r = t.get(list, &xadm).await.expect(StatusCode::OK);
    assert_eq!(delivery_ids(&r), vec![padm_failed.clone(), x1_failed.clone()]);
    assert!(!delivery_ids(&r).contains(&b1_failed));

    // Refusals: members and leaders who administer nothing, bad queries.
    t.get(list, &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(list, &w.sec.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(list, &w.csec.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("{list}?status=lost"), &w.padm.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_query");
    t.get(&format!("{list}?cursor=x"), &w.padm.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_cursor");
    t.get(&format!("{list}?limit=0"), &w.padm.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_query");

    let retry = |id: &str| format!("/api/v1/admin/deliveries/{id}/retry");
    // A plain member: 403. Outside the caller's subtrees: 404, as for an unknown id.
    post_empty(&t, &retry(&x1_failed), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    post_empty(&t, &retry(&b1_failed), &w.padm.1).await.expect_problem(StatusCode::NOT_FOUND, "not_found");
    post_empty(&t, &retry(&b1_failed), &xadm).await.expect_problem(StatusCode::NOT_FOUND, "not_found");
    post_empty(&t, &retry(&Uuid::now_v7().to_string()), &w.padm.1).await.expect_problem(StatusCode::NOT_FOUND, "not_found");
    // The rule of acting on a member: never on one's own delivery, never on a superior's (x1,
    // secretary of C2, sits in X, which xadm administers, but xadm may not appoint to C2).
    post_empty(&t, &retry(&padm_failed), &w.padm.1).await.expect_problem(StatusCode::FORBIDDEN, "acting_on_self");
    post_empty(&t, &retry(&x1_failed), &xadm).await.expect_problem(StatusCode::FORBIDDEN, "acting_on_superior");
    // Only a failed delivery is retried.
    post_empty(&t, &retry(&x1_pending), &w.padm.1).await.expect_problem(StatusCode::CONFLICT, "delivery_not_failed");
    post_empty(&t, &retry(&m1_pending), &w.admin).await.expect_problem(StatusCode::CONFLICT, "delivery_not_failed");
    let en = Request::post(retry(&x1_pending))
        .header(header::AUTHORIZATION, format!("Bearer {}", w.padm.1))
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::empty())
        .unwrap();
    let r = t.send(en).await.expect_problem(StatusCode::CONFLICT, "delivery_not_failed");
    assert_eq!(r.body["title"], "Delivery not failed");

    // padm, administering C2, may act on C2's secretary: back in the queue, due now, audited.
    t.clock.advance(Duration::minutes(5));
    let r = post_empty(&t, &retry(&x1_failed), &w.padm.1).await.expect(StatusCode::OK);
    assert_eq!((r.body["status"].clone(), r.body["attempts"].clone()), (json!("pending"), json!(0)));
    assert!(r.body["last_error"].is_null());
    let due = chrono::DateTime::parse_from_rfc3339(r.body["next_attempt_at"].as_str().unwrap()).unwrap();
    assert_eq!(due.timestamp_micros(), t.now().timestamp_micros());
    let now_us = t.now().timestamp_micros();
    let claimed = storage::notifications::claim_deliveries(t.state.db.conn(), now_us, now_us + 1, "check", 100).await.unwrap();
    assert!(claimed.iter().any(|c| c.id.to_string() == x1_failed), "due again, lease cleared");
    post_empty(&t, &retry(&x1_failed), &w.padm.1).await.expect_problem(StatusCode::CONFLICT, "delivery_not_failed");
    let audit = t.get("/api/v1/audit", &w.padm.1).await.expect(StatusCode::OK);
    let record = audit.body["items"].as_array().unwrap().iter().find(|a| a["action"] == "notification_delivery.retry").unwrap().clone();
    assert_eq!(record["target_id"], x1_failed);
    assert_eq!(record["target_type"], "notification_delivery");
    assert_eq!(record["unit_id"], w.x);
    let r = t.get(list, &w.padm.1).await.expect(StatusCode::OK);
    assert_eq!(delivery_ids(&r), vec![padm_failed.clone()], "no longer a dead letter");
}

/// Reads the next complete SSE event (`event:` name and `data:` text) from `body`.
async fn next_event(body: &mut Body, buffer: &mut String) -> (String, String) {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if name.is_empty() && data.is_empty() {
                continue; // a keep-alive comment
            }
            return (name, data);
        }
        let frame = tokio::time::timeout(StdDuration::from_secs(10), body.frame()).await.expect("an event in time").unwrap().unwrap();
        if let Ok(bytes) = frame.into_data() {
            buffer.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
}

/// PostgreSQL: an item another process writes (here straight through storage, as the notifier
/// does) reaches an open stream through the inbox listener, and a read mark taken by the same
/// node wakes it too, although the stream's poll and idle periods are an hour long. SQLite has no
/// listener: it returns at once and streams poll.
#[tokio::test]
async fn on_postgresql_a_stream_is_woken_by_inbox_changes_of_any_process() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let mut config = (*t.state.config).clone();
    config.notification_stream_poll = StdDuration::from_secs(3600);
    config.notification_stream_idle = StdDuration::from_secs(3600);
    let state = api::state::AppState { config: Arc::new(config), ..t.state.clone() };
    let listener = tokio::spawn(app::notify::live::listen(state.db.clone(), state.inbox.clone()));
    if state.db.backend_name() != "postgres" {
        tokio::time::timeout(StdDuration::from_secs(10), listener).await.expect("no listener on SQLite").unwrap();
        assert!(!state.inbox.listening());
        return;
    }
    for _ in 0..500 {
        if state.inbox.listening() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    assert!(state.inbox.listening(), "the listener connected");
    let app = api::app(state.clone());
    let req = Request::get("/api/v1/me/notifications/stream")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.m1.1))
        .header(header::ACCEPT, "text/event-stream")
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.clone(), req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut buffer = String::new();
    assert_eq!(next_event(&mut body, &mut buffer).await, ("unread".to_string(), json!({"unread": 0}).to_string()));
    assert_eq!(state.inbox.watched_members(), 1);

    // Another member's item, then this member's: only the latter is sent (within next_event's
    // 10 s, against an hour's poll).
    seed(&t, &w.b1.0, 1).await;
    let new = seed(&t, &w.m1.0, 1).await[0];
    let (name, data) = next_event(&mut body, &mut buffer).await;
    assert_eq!(name, "notification");
    assert_eq!(serde_json::from_str::<Value>(&data).unwrap()["id"], new.to_string());
    assert_eq!(next_event(&mut body, &mut buffer).await, ("unread".to_string(), json!({"unread": 1}).to_string()));

    // Read through this node: its streams of the member show the new count at once (read marks
    // notify no other node).
    let req = Request::post("/api/v1/me/notifications/read-all")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.m1.1))
        .body(Body::empty())
        .unwrap();
    crate::common::send_to(app.clone(), req).await.expect(StatusCode::OK);
    assert_eq!(next_event(&mut body, &mut buffer).await, ("unread".to_string(), json!({"unread": 0}).to_string()));

    // The closed stream leaves the registry.
    drop(body);
    assert_eq!(state.inbox.watched_members(), 0);
    listener.abort();
}

#[tokio::test]
async fn the_stream_sends_the_unread_count_then_new_items() {
    let t = TestApp::new().await;
    let w = t.world().await;
    seed(&t, &w.m1.0, 3).await;
    // The same server, looking every 50 ms.
    let mut config = (*t.state.config).clone();
    config.notification_stream_poll = StdDuration::from_millis(50);
    let state = api::state::AppState { config: Arc::new(config), ..t.state.clone() };
    let app = api::app(state);

    let req = Request::get("/api/v1/me/notifications/stream")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.m1.1))
        .header(header::ACCEPT, "text/event-stream")
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.clone(), req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/event-stream"));
    let mut body = response.into_body();
    let mut buffer = String::new();
    let (name, data) = next_event(&mut body, &mut buffer).await;
    assert_eq!(name, "unread");
    assert_eq!(serde_json::from_str::<Value>(&data).unwrap(), json!({"unread": 3}));

    // A new item: its event, then the new count.
    let new = seed(&t, &w.m1.0, 1).await[0];
    let (name, data) = next_event(&mut body, &mut buffer).await;
    assert_eq!(name, "notification");
    let item: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(item["id"], new.to_string());
    assert_eq!(item["title"], "Cell meeting scheduled");
    let (name, data) = next_event(&mut body, &mut buffer).await;
    assert_eq!((name.as_str(), serde_json::from_str::<Value>(&data).unwrap()), ("unread", json!({"unread": 4})));
    // Reading everything elsewhere: a fresh count.
    post_empty(&t, "/api/v1/me/notifications/read-all", &w.m1.1).await.expect(StatusCode::OK);
    let (name, data) = next_event(&mut body, &mut buffer).await;
    assert_eq!((name.as_str(), serde_json::from_str::<Value>(&data).unwrap()), ("unread", json!({"unread": 0})));

    // Signing out ends the stream.
    post_empty(&t, "/api/v1/auth/logout", &w.m1.1).await.expect(StatusCode::NO_CONTENT);
    let end = tokio::time::timeout(StdDuration::from_secs(10), async {
        while let Some(frame) = body.frame().await {
            frame.unwrap();
        }
    })
    .await;
    assert!(end.is_ok(), "the stream ends with the session");

    // Without a token: a problem, not a stream.
    let req = Request::get("/api/v1/me/notifications/stream").header(header::ACCEPT, "text/event-stream").body(Body::empty()).unwrap();
    let r = crate::common::send_to(app, req).await;
    r.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}
