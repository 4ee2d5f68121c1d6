//! Meetings API tests: preparation, publication, attendance, opinions, minutes, votes, reports,
//! with every denial. Run on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use crate::common::{Reply, TestApp, World};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

fn meeting_body(now: DateTime<Utc>, starts_in_minutes: i64, planned: u32) -> Value {
    json!({
        "kind": "regular",
        "title": "Sinh hoạt chi bộ thường kỳ",
        "starts_at": now + Duration::minutes(starts_in_minutes),
        "planned_minutes": planned,
        "location": "Nhà văn hóa thôn Đông",
        "use_template": true
    })
}

async fn create(t: &TestApp, w: &World, body: Value) -> Reply {
    t.post(&format!("/api/v1/org-units/{}/meetings", w.a), &w.sec.1, body).await
}

async fn patch(t: &TestApp, token: &str, id: &str, if_match: Option<&str>, body: Value) -> Reply {
    let mut req = Request::patch(format!("/api/v1/meetings/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(v) = if_match {
        req = req.header(header::IF_MATCH, v);
    }
    t.send(req.body(Body::from(body.to_string())).unwrap()).await
}

async fn act(t: &TestApp, token: &str, id: &str, action: &str) -> Reply {
    t.call(Method::POST, &format!("/api/v1/meetings/{id}/{action}"), Some(token), None).await
}

/// A published and opened meeting of cell A starting in `starts_in` minutes.
async fn opened(t: &TestApp, w: &World, starts_in: i64) -> String {
    let id = create(t, w, meeting_body(t.now(), starts_in, 90)).await.expect(StatusCode::CREATED).id();
    act(t, &w.sec.1, &id, "publish").await.expect(StatusCode::OK);
    act(t, &w.sec.1, &id, "open").await.expect(StatusCode::OK);
    id
}

/// The list endpoint loads every agenda of its page at once (one statement) and filters drafts by
/// each meeting's own unit: each meeting keeps its own items in order, a plain member never sees a
/// draft, the commune's secretary sees the drafts of its cells.
#[tokio::test]
async fn a_subtree_list_carries_each_meetings_own_agenda_and_hides_drafts_from_members() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let draft = create(&t, &w, meeting_body(t.now(), 3 * 24 * 60, 90)).await.expect(StatusCode::CREATED).id();
    let mut thematic = meeting_body(t.now(), 4 * 24 * 60, 120);
    thematic["kind"] = json!("thematic");
    thematic["use_template"] = json!(false);
    thematic["agenda"] = json!([{"title": "Học tập chuyên đề"}, {"title": "Thảo luận"}]);
    let published = create(&t, &w, thematic).await.expect(StatusCode::CREATED).id();
    act(&t, &w.sec.1, &published, "publish").await.expect(StatusCode::OK);

    let titles = |m: &Value| m["agenda"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let list = t.get(&format!("/api/v1/org-units/{}/meetings?include_subtree=true", w.c1), &w.csec.1).await.expect(StatusCode::OK);
    let items = list.body.as_array().unwrap();
    assert_eq!(items.iter().map(|m| m["id"].as_str().unwrap()).collect::<Vec<_>>(), [draft.as_str(), published.as_str()]);
    assert_eq!(titles(&items[0]).len(), 3, "the draft's template agenda");
    assert_eq!(titles(&items[1]), ["Học tập chuyên đề", "Thảo luận"]);

    // A plain member of the cell: the published meeting only, with the same agenda.
    let mine = t.get(&format!("/api/v1/org-units/{}/meetings", w.a), &w.m1.1).await.expect(StatusCode::OK);
    let mine = mine.body.as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], published.as_str());
    assert_eq!(titles(&mine[0]), ["Học tập chuyên đề", "Thảo luận"]);
    // A member of the sister cell may not list this cell's meetings at all.
    t.get(&format!("/api/v1/org-units/{}/meetings", w.a), &w.b1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn preparing_and_publishing_a_meeting() {
    let t = TestApp::new().await;
    let w = t.world().await;
    // Only the cell's own secretary or deputy prepares it.
    for token in [&w.m1.1, &w.com.1, &w.x1.1] {
        t.post(&format!("/api/v1/org-units/{}/meetings", w.a), token, meeting_body(t.now(), 3 * 24 * 60, 90))
            .await
            .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    t.post(&format!("/api/v1/org-units/{}/meetings", w.a), &w.m1.1, meeting_body(t.now(), 3 * 24 * 60, 90))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/org-units/{}/meetings", w.a), &w.csec.1, meeting_body(t.now(), 3 * 24 * 60, 90))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/org-units/{}/meetings", w.a), &w.admin, meeting_body(t.now(), 3 * 24 * 60, 90))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let bad = json!({"kind": "party", "title": "", "starts_at": t.now(), "planned_minutes": 5});
    let r = create(&t, &w, bad).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 3);

    let r = create(&t, &w, meeting_body(t.now(), 3 * 24 * 60, 60)).await.expect(StatusCode::CREATED);
    let id = r.id();
    assert_eq!(r.body["status"], "draft");
    assert_eq!(r.body["agenda"].as_array().unwrap().len(), 3, "standard agenda template");
    assert_eq!(r.headers.get(header::ETAG).unwrap(), "\"1\"");
    // One regular meeting per month.
    create(&t, &w, meeting_body(t.now(), 3 * 24 * 60 + 1, 90)).await.expect_problem(StatusCode::CONFLICT, "regular_meeting_exists");
    let mut thematic = meeting_body(t.now(), 3 * 24 * 60 + 1, 120);
    thematic["kind"] = json!("thematic");
    create(&t, &w, thematic).await.expect(StatusCode::CREATED);

    // Drafts are hidden from members; visible to the committee.
    t.get(&format!("/api/v1/meetings/{id}"), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/meetings/{id}"), &w.com.1).await.expect(StatusCode::OK);
    let listed = t.get(&format!("/api/v1/org-units/{}/meetings", w.a), &w.m1.1).await.expect(StatusCode::OK);
    assert!(listed.body.as_array().unwrap().iter().all(|m| m["status"] != "draft"));

    // Editing needs If-Match: missing 428, stale 412; members cannot edit.
    let agenda = r.body["agenda"].clone();
    let mut new_agenda = agenda.as_array().unwrap().clone();
    new_agenda.push(json!({"title": "Học tập Nghị quyết", "planned_minutes": 20}));
    patch(&t, &w.sec.1, &id, None, json!({"title": "Tháng 12"}))
        .await
        .expect_problem(StatusCode::PRECONDITION_REQUIRED, "precondition_required");
    let edited =
        patch(&t, &w.sec.1, &id, Some("\"1\""), json!({"title": "Sinh hoạt tháng 12", "agenda": new_agenda})).await.expect(StatusCode::OK);
    assert_eq!(edited.body["version"], 2);
    assert_eq!(edited.body["agenda"].as_array().unwrap().len(), 4);
    assert_eq!(edited.body["agenda"][0]["id"], agenda[0]["id"], "kept items keep their id");
    patch(&t, &w.dep.1, &id, Some("\"1\""), json!({"title": "Ghi đè"}))
        .await
        .expect_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    patch(&t, &w.m1.1, &id, Some("\"2\""), json!({"title": "Không quyền"})).await.expect(StatusCode::FORBIDDEN);
    patch(&t, &w.dep.1, &id, Some("\"2\""), json!({"agenda": [{"id": uuid::Uuid::now_v7(), "title": "Lạ"}]}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // Publication: a short meeting needs confirmation.
    act(&t, &w.m1.1, &id, "publish").await.expect(StatusCode::FORBIDDEN);
    act(&t, &w.sec.1, &id, "publish").await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "short_duration_unconfirmed");
    let published =
        t.post(&format!("/api/v1/meetings/{id}/publish"), &w.sec.1, json!({"confirm_short_duration": true})).await.expect(StatusCode::OK);
    assert_eq!(published.body["meeting"]["status"], "published");
    assert_eq!(published.body["warnings"], json!(["short_duration"]));
    assert_eq!(published.body["meeting"]["late_publication"], false);
    act(&t, &w.sec.1, &id, "publish").await.expect_problem(StatusCode::CONFLICT, "invalid_transition");
    // Members now see it; another cell's members do not.
    t.get(&format!("/api/v1/meetings/{id}"), &w.m1.1).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/meetings/{id}"), &w.b1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/meetings/{id}"), &w.x1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/meetings/{id}"), &w.csec.1).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/org-units/{}/meetings", w.a), &w.b1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let subtree = t
        .get(&format!("/api/v1/org-units/{}/meetings?include_subtree=true&status=published", w.c1), &w.csec.1)
        .await
        .expect(StatusCode::OK);
    assert_eq!(subtree.body.as_array().unwrap().len(), 1);
    t.get(&format!("/api/v1/org-units/{}/meetings?status=nope", w.a), &w.sec.1)
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "invalid_query");

    // The publication wrote an outbox event in the same transaction.
    let events = storage::outbox::pending(t.state.db.conn(), 100).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "meeting.published" && e.aggregate_id.to_string() == id));

    // Late publication is flagged, not refused; cancelling needs a reason.
    let mut soon = meeting_body(t.now(), 60, 90);
    soon["kind"] = json!("extraordinary");
    let late = create(&t, &w, soon).await.expect(StatusCode::CREATED).id();
    let r = act(&t, &w.dep.1, &late, "publish").await.expect(StatusCode::OK);
    assert_eq!(r.body["meeting"]["late_publication"], true);
    t.post(&format!("/api/v1/meetings/{late}/cancel"), &w.sec.1, json!({"reason": ""}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&format!("/api/v1/meetings/{late}/cancel"), &w.m1.1, json!({"reason": "Bão"})).await.expect(StatusCode::FORBIDDEN);
    let c = t.post(&format!("/api/v1/meetings/{late}/cancel"), &w.sec.1, json!({"reason": "Bão số 3"})).await.expect(StatusCode::OK);
    assert_eq!(c.body["status"], "cancelled");
    act(&t, &w.sec.1, &late, "open").await.expect_problem(StatusCode::CONFLICT, "invalid_transition");
}

#[tokio::test]
async fn meeting_edits_follow_the_if_match_rule() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let id = create(&t, &w, meeting_body(t.now(), 3 * 24 * 60, 90)).await.expect(StatusCode::CREATED).id();
    t.check_if_match_rule(
        &format!("/api/v1/meetings/{id}"),
        &w.sec.1,
        (json!({"title": "Sinh hoạt chi bộ tháng 12"}), "/title", json!("Sinh hoạt chi bộ tháng 12")),
        (json!({"location": "Hội trường xã"}), "/location", json!("Hội trường xã")),
    )
    .await;
}

#[tokio::test]
async fn roster_check_in_window_and_ledger() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let today = t.today();
    let decision = json!({"number": "01-QĐ/ĐU", "date": today, "issuer": "Đảng ủy xã Vũ Quý"});
    // m1 is exempt; b1 (cell B) is temporarily hosted in A.
    t.post(&format!("/api/v1/members/{}/events", w.m1.0), &w.sec.1, json!({"type": "exempt", "effective_on": today, "decision": decision}))
        .await
        .expect(StatusCode::CREATED);
    t.post(
        &format!("/api/v1/members/{}/events", w.b1.0),
        &w.csec.1,
        json!({"type": "temporary_transfer", "effective_on": today, "to_unit_id": w.a, "decision": decision}),
    )
    .await
    .expect(StatusCode::CREATED);

    let id = opened(&t, &w, 10).await;
    let ledger = t.get(&format!("/api/v1/meetings/{id}/attendance"), &w.sec.1).await.expect(StatusCode::OK);
    let rows = ledger.body["rows"].as_array().unwrap();
    let role_of = |member: &str| rows.iter().find(|r| r["member_id"] == member).map(|r| r["role"].as_str().unwrap().to_string());
    assert_eq!(role_of(&w.m1.0), None, "exempt members are not on the roster");
    assert_eq!(role_of(&w.b1.0).as_deref(), Some("guest"));
    assert_eq!(role_of(&w.sec.0).as_deref(), Some("obliged"));
    assert_eq!(ledger.body["figures"]["obliged"], 4, "sec, dep, com, csec");
    assert_eq!(ledger.body["figures"]["attendance_rate"], 0.0);

    // Check-in: idempotent under concurrent retries.
    let url = format!("/api/v1/meetings/{id}/check-in");
    let tries = (0..8).map(|_| t.call(Method::POST, &url, Some(&w.com.1), None));
    let replies = futures_join_all(tries).await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK), "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    assert_eq!(replies.iter().filter(|r| r.body["recorded"] == true).count(), 1, "exactly one retry records the check-in");
    let first = replies[0].body["checked_in_at"].clone();
    assert!(replies.iter().all(|r| r.body["checked_in_at"] == first && r.body["status"] == "present"));
    // Not on the roster / another cell / not a member of the meeting's cell.
    t.call(Method::POST, &url, Some(&w.m1.1), None).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.call(Method::POST, &url, Some(&w.x1.1), None).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.call(Method::POST, &url, Some(&w.b1.1), None).await.expect(StatusCode::OK);

    // Leaders correct rows with a reason; members cannot.
    let row = format!("/api/v1/meetings/{id}/attendance/{}", w.dep.0);
    let put = |token: &str, body: Value| {
        let req = Request::put(row.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        t.send(req)
    };
    put(&w.com.1, json!({"status": "absent_with_reason", "reason": "Ốm"})).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    put(&w.csec.1, json!({"status": "absent_with_reason", "reason": "Ốm"})).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    put(&w.sec.1, json!({"status": "sick", "reason": ""})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = put(&w.sec.1, json!({"status": "absent_with_reason", "reason": "Ốm"})).await.expect(StatusCode::OK);
    assert_eq!(r.body["status"], "absent_with_reason");
    let figures = t.get(&format!("/api/v1/meetings/{id}/attendance"), &w.m1.1).await.expect(StatusCode::OK).body["figures"].clone();
    assert_eq!(figures["present"], 1);
    assert_eq!(figures["absent_with_reason"], 1);
    assert_eq!(figures["guests_attended"], 1);
    assert_eq!(figures["attendance_rate"], 0.25);
    assert_eq!(figures["quorum"], false);
    let audit = t.get(&format!("/api/v1/audit?unit_id={}&limit=5", w.a), &w.admin).await.expect(StatusCode::OK);
    assert!(audit.body["items"].as_array().unwrap().iter().any(|i| i["action"] == "meeting.attendance"));
}

async fn futures_join_all<F: std::future::Future<Output = Reply>>(futs: impl Iterator<Item = F>) -> Vec<Reply> {
    let handles: Vec<_> = futs.collect();
    let mut out = Vec::new();
    // Poll all at once on the current task.
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = handles.into_iter().map(Box::pin).collect();
    let results = std::future::poll_fn(|cx| {
        let mut all_ready = true;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out.get(i).is_some_and(Option::is_some) {
                continue;
            }
            if out.len() <= i {
                out.push(None);
            }
            match f.as_mut().poll(cx) {
                std::task::Poll::Ready(v) => out[i] = Some(v),
                std::task::Poll::Pending => all_ready = false,
            }
        }
        if all_ready { std::task::Poll::Ready(std::mem::take(&mut out)) } else { std::task::Poll::Pending }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn check_in_outside_the_window_is_refused() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let early = opened(&t, &w, 120).await;
    t.call(Method::POST, &format!("/api/v1/meetings/{early}/check-in"), Some(&w.com.1), None)
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "check_in_not_open");
    let mut body = meeting_body(t.now(), -200, 90);
    body["kind"] = json!("thematic");
    let past = create(&t, &w, body).await.expect(StatusCode::CREATED).id();
    act(&t, &w.sec.1, &past, "publish").await.expect(StatusCode::OK);
    act(&t, &w.sec.1, &past, "open").await.expect(StatusCode::OK);
    t.call(Method::POST, &format!("/api/v1/meetings/{past}/check-in"), Some(&w.com.1), None)
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "check_in_closed");
    let mut body = meeting_body(t.now(), -20, 90);
    body["kind"] = json!("extraordinary");
    let running = create(&t, &w, body).await.expect(StatusCode::CREATED).id();
    act(&t, &w.sec.1, &running, "publish").await.expect(StatusCode::OK);
    t.call(Method::POST, &format!("/api/v1/meetings/{running}/check-in"), Some(&w.com.1), None)
        .await
        .expect_problem(StatusCode::CONFLICT, "meeting_not_open");
    act(&t, &w.sec.1, &running, "open").await.expect(StatusCode::OK);
    let r = t.call(Method::POST, &format!("/api/v1/meetings/{running}/check-in"), Some(&w.com.1), None).await.expect(StatusCode::OK);
    assert_eq!(r.body["status"], "late");
}

#[tokio::test]
async fn opinions_minutes_votes_report_and_review() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let id = opened(&t, &w, 5).await;
    let meeting = t.get(&format!("/api/v1/meetings/{id}"), &w.com.1).await.expect(StatusCode::OK);
    let item = meeting.body["agenda"][1]["id"].as_str().unwrap().to_string();
    for token in [&w.sec.1, &w.com.1, &w.csec.1] {
        t.call(Method::POST, &format!("/api/v1/meetings/{id}/check-in"), Some(token), None).await.expect(StatusCode::OK);
    }
    // Opinions: before check-in a member is "not_checked_in"; other cells cannot post.
    let comments = format!("/api/v1/meetings/{id}/comments");
    let c1 =
        t.post(&comments, &w.dep.1, json!({"body": "Đề nghị bổ sung nhiệm vụ", "agenda_item_id": item})).await.expect(StatusCode::CREATED);
    assert_eq!(c1.body["author_presence"], "not_checked_in");
    let reply = t.post(&comments, &w.com.1, json!({"body": "Đồng ý", "parent_id": c1.id()})).await.expect(StatusCode::CREATED);
    assert_eq!(reply.body["author_presence"], "present");
    t.post(&comments, &w.x1.1, json!({"body": "Ý kiến lạ"})).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&comments, &w.com.1, json!({"body": "  "})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&comments, &w.com.1, json!({"body": "x", "agenda_item_id": uuid::Uuid::now_v7()}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // Edits by the author only; hiding by leaders only, with a reason.
    let edit = |token: &str, cid: String, body: Value| {
        let req = Request::patch(format!("/api/v1/comments/{cid}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        t.send(req)
    };
    edit(&w.com.1, c1.id(), json!({"body": "Sửa của người khác"})).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let edited = edit(&w.dep.1, c1.id(), json!({"body": "Đề nghị bổ sung nhiệm vụ thu gom rác"})).await.expect(StatusCode::OK);
    assert!(edited.body["edited_at"].is_string());
    t.post(&format!("/api/v1/comments/{}/hide", reply.id()), &w.com.1, json!({"reason": "x"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/comments/{}/hide", reply.id()), &w.sec.1, json!({"reason": "Trùng lặp"})).await.expect(StatusCode::NO_CONTENT);
    let listed = t.get(&comments, &w.m1.1).await.expect(StatusCode::OK);
    let hidden = listed.body["items"].as_array().unwrap().iter().find(|c| c["id"] == reply.id().as_str()).unwrap();
    assert!(hidden["body"].is_null() && hidden["hidden"] == true, "members do not see a hidden text");

    // Motions and votes; a superior's leader cannot write the minutes.
    let motion = t
        .post(&format!("/api/v1/meetings/{id}/motions"), &w.sec.1, json!({"title": "Thông qua nghị quyết tháng", "by_ballot": true}))
        .await
        .expect(StatusCode::CREATED);
    let votes = format!("/api/v1/motions/{}/votes", motion.id());
    t.post(&votes, &w.com.1, json!({"vote": "agree"})).await.expect(StatusCode::OK);
    t.post(&votes, &w.com.1, json!({"vote": "agree"})).await.expect_problem(StatusCode::CONFLICT, "already_voted");
    t.post(&votes, &w.dep.1, json!({"vote": "agree"})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "not_present");
    t.post(&votes, &w.sec.1, json!({"vote": "maybe"})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let tally = t.post(&votes, &w.sec.1, json!({"vote": "agree"})).await.expect(StatusCode::OK);
    assert_eq!(tally.body["agree"], 2);
    assert_eq!(tally.body["adopted"], true, "2 of 3 present");
    t.post(&format!("/api/v1/meetings/{id}/motions"), &w.sec.1, json!({"title": "Đếm", "agree": 9}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "too_many_votes");
    t.post(&format!("/api/v1/meetings/{id}/motions"), &w.csec.1, json!({"title": "Không quyền"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");

    let minutes =
        json!({"text": "Biên bản sinh hoạt chi bộ", "resolution": "Nghị quyết tháng", "chair_id": w.sec.0, "minutes_taker_id": w.com.0});
    let put_minutes = |token: &str, body: Value| {
        let req = Request::put(format!("/api/v1/meetings/{id}/minutes"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        t.send(req)
    };
    put_minutes(&w.csec.1, minutes.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    put_minutes(&w.sec.1, json!({"text": "x", "chair_id": w.dep.0}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    act(&t, &w.sec.1, &id, "minutes/approve").await.expect_problem(StatusCode::CONFLICT, "invalid_transition");
    // The meeting takes its time: it ends after its scheduled start (which may fall on the next day).
    t.clock.advance(Duration::minutes(100));
    act(&t, &w.sec.1, &id, "end").await.expect(StatusCode::OK);
    act(&t, &w.sec.1, &id, "minutes/approve").await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "minutes_missing");
    put_minutes(&w.sec.1, minutes).await.expect(StatusCode::OK);
    // An absent member still gives an opinion after the meeting.
    let absent = t.post(&comments, &w.dep.1, json!({"body": "Tôi vắng, xin góp ý bằng văn bản"})).await.expect(StatusCode::CREATED);
    assert_eq!(absent.body["author_presence"], "absent");
    let listed = t.get(&comments, &w.sec.1).await.expect(StatusCode::OK);
    assert_eq!(listed.body["absent_opinions"], json!([absent.id()]));
    // Ratings after the end, once, by the roster.
    t.post(&format!("/api/v1/meetings/{id}/ratings"), &w.com.1, json!({"preparation": 5, "content": 4, "discussion": 6}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&format!("/api/v1/meetings/{id}/ratings"), &w.com.1, json!({"preparation": 5, "content": 4, "discussion": 3}))
        .await
        .expect(StatusCode::CREATED);
    t.post(&format!("/api/v1/meetings/{id}/ratings"), &w.com.1, json!({"preparation": 5, "content": 4, "discussion": 3}))
        .await
        .expect_problem(StatusCode::CONFLICT, "already_rated");
    t.post(&format!("/api/v1/meetings/{id}/ratings"), &w.m1.1, json!({"preparation": 1, "content": 1, "discussion": 1}))
        .await
        .expect(StatusCode::CREATED);
    let avg = t.get(&format!("/api/v1/meetings/{id}/ratings"), &w.sec.1).await.expect(StatusCode::OK);
    assert_eq!(avg.body["count"], 2);
    assert_eq!(avg.body["preparation"], 3.0);
    t.get(&format!("/api/v1/meetings/{id}/ratings"), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");

    act(&t, &w.sec.1, &id, "minutes/approve").await.expect(StatusCode::OK);
    t.post(&comments, &w.dep.1, json!({"body": "Muộn"})).await.expect_problem(StatusCode::CONFLICT, "comments_closed");

    // Report to the commune; the commune secretary returns it, then acknowledges the resend.
    act(&t, &w.com.1, &id, "report").await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let report = act(&t, &w.sec.1, &id, "report").await.expect(StatusCode::CREATED);
    assert_eq!(report.body["parent_unit_id"], w.c1.as_str());
    assert_eq!(report.body["late"], false);
    assert_eq!(report.body["summary"]["figures"]["present"], 3);
    assert_eq!(report.body["summary"]["opinions"]["from_absent_members"], 1);
    let rid = report.id();
    t.post(&format!("/api/v1/meeting-reports/{rid}/return"), &w.sec.1, json!({"comment": "x"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/meeting-reports/{rid}/return"), &w.padm.1, json!({"comment": "x"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/meeting-reports/{rid}/return"), &w.csec.1, json!({"comment": ""}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let returned = t
        .post(&format!("/api/v1/meeting-reports/{rid}/return"), &w.csec.1, json!({"comment": "Bổ sung số liệu"}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(returned.body["status"], "returned");
    let events = storage::outbox::pending(t.state.db.conn(), 100).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "meeting.report_returned"));
    // Every event the meeting wrote reads back as a typed event.
    let kinds: Vec<&str> =
        events.iter().map(|e| app::events::Event::from_outbox(e).unwrap_or_else(|err| panic!("{}: {err}", e.kind)).kind()).collect();
    for kind in ["meeting.published", "meeting.opened", "meeting.report_submitted", "meeting.report_returned"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let m = t.get(&format!("/api/v1/meetings/{id}"), &w.sec.1).await.expect(StatusCode::OK);
    assert_eq!(m.body["status"], "ended");
    act(&t, &w.sec.1, &id, "minutes/approve").await.expect(StatusCode::OK);
    let again = act(&t, &w.sec.1, &id, "report").await.expect(StatusCode::CREATED);
    t.call(Method::POST, &format!("/api/v1/meeting-reports/{rid}/acknowledge"), Some(&w.csec.1), None)
        .await
        .expect_problem(StatusCode::CONFLICT, "report_decided");
    let ack = t
        .call(Method::POST, &format!("/api/v1/meeting-reports/{}/acknowledge", again.id()), Some(&w.csec.1), None)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ack.body["status"], "acknowledged");
    assert_eq!(t.get(&format!("/api/v1/meetings/{id}"), &w.sec.1).await.body["status"], "acknowledged");

    // The superior lists its subtree's reports with the on-time rate.
    let month = &again.body["month"];
    let list = t
        .get(&format!("/api/v1/org-units/{}/meeting-reports?month={}&include_subtree=true", w.c1, month.as_str().unwrap()), &w.csec.1)
        .await
        .expect(StatusCode::OK);
    assert_eq!(list.body["total"], 2);
    assert_eq!((list.body["acknowledged"].clone(), list.body["returned"].clone()), (json!(1), json!(1)));
    assert_eq!(list.body["on_time_rate"], 1.0);
    t.get(&format!("/api/v1/org-units/{}/meeting-reports", w.c1), &w.x1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}/meeting-reports?month=2026-13", w.c1), &w.csec.1)
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "invalid_query");

    // A member's attendance history.
    let hist = t.get(&format!("/api/v1/members/{}/attendance", w.dep.0), &w.dep.1).await.expect(StatusCode::OK);
    assert_eq!(hist.body["obliged"], 1);
    assert_eq!(hist.body["attended"], 0);
    assert_eq!(hist.body["current_absence_streak"], 1);
    t.get(&format!("/api/v1/members/{}/attendance", w.dep.0), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/members/{}/attendance", w.dep.0), &w.csec.1).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn calendar_feed_lists_upcoming_meetings() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let id = create(&t, &w, meeting_body(t.now(), 2 * 24 * 60, 90)).await.expect(StatusCode::CREATED).id();
    act(&t, &w.sec.1, &id, "publish").await.expect(StatusCode::OK);
    let token = t.call(Method::POST, "/api/v1/me/calendar-token", Some(&w.m1.1), None).await.expect(StatusCode::CREATED);
    let path = token.body["path"].as_str().unwrap().to_string();
    let feed = t.call(Method::GET, &path, None, None).await.expect(StatusCode::OK);
    assert!(feed.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/calendar"));
    let ics = feed.body.as_str().unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(ics.contains(&format!("UID:{id}@handbook")));
    assert!(ics.contains(&format!("/api/v1/meetings/{id}")));
    assert!(ics.trim_end().ends_with("END:VCALENDAR"));
    assert!(ics.split("\r\n").all(|l| l.len() <= 75));
    t.call(Method::GET, "/api/v1/me/meetings.ics?token=wrong", None, None)
        .await
        .expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Another cell's member does not get cell A's meetings.
    let other = t.call(Method::POST, "/api/v1/me/calendar-token", Some(&w.x1.1), None).await.expect(StatusCode::CREATED);
    let feed = t.call(Method::GET, other.body["path"].as_str().unwrap(), None, None).await.expect(StatusCode::OK);
    assert!(!feed.body.as_str().unwrap().contains("BEGIN:VEVENT"));
}

/// Cell A's regular meetings as stored, with the Vietnamese month each starts in.
async fn stored_regular(t: &TestApp, w: &World) -> Vec<(String, String, (i32, u32))> {
    let q = storage::meetings::MeetingQuery {
        unit: membership::UnitId::from_uuid(w.a.parse().unwrap()),
        include_subtree: false,
        from: None,
        to: None,
        statuses: vec![],
        limit: 1000,
    };
    storage::meetings::list(t.state.db.conn(), &q)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == meetings::lifecycle::MeetingKind::Regular)
        .map(|m| (m.id.to_string(), m.status.code().to_string(), meetings::lifecycle::local_month(m.starts_at)))
        .collect()
}

/// Runs the requests at once, each on its own task over a clone of the router.
async fn in_parallel(t: &TestApp, requests: Vec<Request<Body>>) -> Vec<Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for req in requests {
        tasks.spawn(crate::common::send_to(t.app.clone(), req));
    }
    tasks.join_all().await
}

fn json_request(method: Method, path: &str, token: &str, if_match: Option<&str>, body: &Value) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(v) = if_match {
        req = req.header(header::IF_MATCH, v);
    }
    req.body(Body::from(body.to_string())).unwrap()
}

fn assert_one_winner(replies: &[Reply], winner: StatusCode) {
    let summary: Vec<(StatusCode, &str)> = replies.iter().map(|r| (r.status, r.code())).collect();
    assert!(replies.iter().all(|r| !r.status.is_server_error()), "no 5xx: {summary:?}");
    assert_eq!(replies.iter().filter(|r| r.status == winner).count(), 1, "exactly one wins: {summary:?}");
    for r in replies.iter().filter(|r| r.status != winner) {
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "regular_meeting_exists"), "{}", r.body);
        assert_eq!(r.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_regular_meetings_in_one_month_leave_exactly_one() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let starts_at = t.now() + Duration::days(3);
    let month = meetings::lifecycle::local_month(starts_at);
    let path = format!("/api/v1/org-units/{}/meetings", w.a);
    let body = meeting_body(starts_at, 0, 90);
    let replies = in_parallel(&t, (0..12).map(|_| json_request(Method::POST, &path, &w.sec.1, None, &body)).collect()).await;
    assert_one_winner(&replies, StatusCode::CREATED);
    let stored = stored_regular(&t, &w).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].2, month);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_moves_into_one_month_leave_exactly_one_and_a_cancellation_frees_it() {
    let t = TestApp::new().await;
    let w = t.world().await;
    // Six regular meetings in six later months (31 days always reach the next month).
    let target = t.now() + Duration::days(3);
    let mut ids = Vec::new();
    for k in 1..=6 {
        let at = target + Duration::days(31 * k);
        ids.push(create(&t, &w, meeting_body(at, 0, 90)).await.expect(StatusCode::CREATED).id());
    }
    // The month that has one already is refused to a single move, too.
    patch(&t, &w.sec.1, &ids[1], Some("\"1\""), json!({"starts_at": target + Duration::days(31)}))
        .await
        .expect_problem(StatusCode::CONFLICT, "regular_meeting_exists");
    // All of them moved into the same free month at once: one move wins.
    let move_to = json!({"starts_at": target});
    let requests = ids.iter().map(|id| json_request(Method::PATCH, &format!("/api/v1/meetings/{id}"), &w.sec.1, Some("\"1\""), &move_to));
    let replies = in_parallel(&t, requests.collect()).await;
    assert_one_winner(&replies, StatusCode::OK);
    let month = meetings::lifecycle::local_month(target);
    let stored = stored_regular(&t, &w).await;
    let in_month: Vec<&String> = stored.iter().filter(|m| m.2 == month).map(|m| &m.0).collect();
    assert_eq!(in_month.len(), 1, "{stored:?}");
    assert_eq!(stored.len(), 6, "the losers stay where they were: {stored:?}");

    // Cancelling the winner frees the month (as before the constraint): another meeting moves in.
    let winner = in_month[0].clone();
    t.post(&format!("/api/v1/meetings/{winner}/cancel"), &w.sec.1, json!({"reason": "Trùng lịch"})).await.expect(StatusCode::OK);
    let loser = ids.iter().find(|id| **id != winner).unwrap();
    patch(&t, &w.sec.1, loser, Some("\"1\""), move_to).await.expect(StatusCode::OK);
}
