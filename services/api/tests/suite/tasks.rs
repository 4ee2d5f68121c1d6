//! Tasks API tests: the workflow with its denials, derived overdue, review at a meeting, figures,
//! reminders. Run on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use crate::common::{Reply, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Duration;
use serde_json::{Value, json};

async fn patch(t: &TestApp, token: &str, id: &str, if_match: Option<&str>, body: Value) -> Reply {
    let mut req = Request::patch(format!("/api/v1/tasks/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(v) = if_match {
        req = req.header(header::IF_MATCH, v);
    }
    t.send(req.body(Body::from(body.to_string())).unwrap()).await
}

#[tokio::test]
async fn task_workflow_with_denials() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let today = t.today();
    let url = format!("/api/v1/org-units/{}/tasks", w.a);
    let body = json!({"title": "Vận động phân loại rác", "assignee_ids": [w.m1.0, w.com.0], "due_on": today + Duration::days(7), "priority": "high"});
    // Only the cell's own secretary or deputy assigns (not a member, not the commune secretary).
    t.post(&url, &w.m1.1, body.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&url, &w.com.1, body.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&url, &w.csec.1, body.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&url, &w.sec.1, json!({"title": "", "assignee_ids": [], "due_on": today, "priority": "asap"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&url, &w.sec.1, json!({"title": "x", "assignee_ids": [w.x1.0], "due_on": today}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let created = t.post(&url, &w.sec.1, body).await.expect(StatusCode::CREATED);
    let id = created.id();
    assert_eq!(created.body["status"], "assigned");
    assert_eq!(created.body["overdue"], false);
    let events = storage::outbox::pending(t.state.db.conn(), 100).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "task.assigned" && e.aggregate_id.to_string() == id));

    // Visibility: members of the cell yes, another cell no.
    t.get(&format!("/api/v1/tasks/{id}"), &w.dep.1).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/tasks/{id}"), &w.b1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}/tasks", w.a), &w.x1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");

    // Progress: assignees only, percentage as given.
    let progress = format!("/api/v1/tasks/{id}/progress");
    t.post(&progress, &w.dep.1, json!({"percent": 50, "note": "x"})).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&progress, &w.m1.1, json!({"percent": 150})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = t.post(&progress, &w.m1.1, json!({"percent": 40, "note": "Đã vận động 20 hộ"})).await.expect(StatusCode::OK);
    assert_eq!((r.body["status"].clone(), r.body["percent"].clone()), (json!("in_progress"), json!(40)));
    // Evaluation is refused before the result is reported, and to assignees.
    t.post(&format!("/api/v1/tasks/{id}/evaluate"), &w.sec.1, json!({"rating": "good"}))
        .await
        .expect_problem(StatusCode::CONFLICT, "invalid_transition");
    let submit = format!("/api/v1/tasks/{id}/submit");
    t.post(&submit, &w.com.1, json!({"note": ""})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&submit, &w.com.1, json!({"note": "Hoàn thành 45/45 hộ", "percent": 100})).await.expect(StatusCode::OK);
    t.post(&format!("/api/v1/tasks/{id}/evaluate"), &w.m1.1, json!({"rating": "excellent"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/tasks/{id}/evaluate"), &w.csec.1, json!({"rating": "excellent"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    // Return with a comment, resubmit, evaluate.
    t.post(&format!("/api/v1/tasks/{id}/return"), &w.dep.1, json!({"comment": ""}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let back =
        t.post(&format!("/api/v1/tasks/{id}/return"), &w.dep.1, json!({"comment": "Bổ sung danh sách hộ"})).await.expect(StatusCode::OK);
    assert_eq!(back.body["status"], "in_progress");
    t.post(&submit, &w.m1.1, json!({"note": "Đã bổ sung"})).await.expect(StatusCode::OK);
    t.post(&format!("/api/v1/tasks/{id}/evaluate"), &w.sec.1, json!({"rating": "perfect"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let done =
        t.post(&format!("/api/v1/tasks/{id}/evaluate"), &w.sec.1, json!({"rating": "good", "comment": "Tốt"})).await.expect(StatusCode::OK);
    assert_eq!((done.body["status"].clone(), done.body["rating"].clone()), (json!("done"), json!("good")));
    let kinds: Vec<_> = done.body["updates"].as_array().unwrap().iter().map(|u| u["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["progress", "submit", "return", "submit", "evaluate"]);
    t.post(&format!("/api/v1/tasks/{id}/cancel"), &w.sec.1, json!({"comment": "Muộn"}))
        .await
        .expect_problem(StatusCode::CONFLICT, "invalid_transition");

    // A leader never evaluates their own task.
    let own = t
        .post(&url, &w.dep.1, json!({"title": "Tự làm", "assignee_ids": [w.sec.0], "due_on": today}))
        .await
        .expect(StatusCode::CREATED)
        .id();
    t.post(&format!("/api/v1/tasks/{own}/submit"), &w.sec.1, json!({"note": "Xong"})).await.expect(StatusCode::OK);
    t.post(&format!("/api/v1/tasks/{own}/evaluate"), &w.sec.1, json!({"rating": "excellent"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/tasks/{own}/evaluate"), &w.dep.1, json!({"rating": "excellent"})).await.expect(StatusCode::OK);

    // Editing: If-Match required (428), stale (412); reassigning writes an event.
    let other = t
        .post(&url, &w.sec.1, json!({"title": "Khác", "assignee_ids": [w.m1.0], "due_on": today + Duration::days(3)}))
        .await
        .expect(StatusCode::CREATED)
        .id();
    patch(&t, &w.sec.1, &other, None, json!({"title": "Sửa"}))
        .await
        .expect_problem(StatusCode::PRECONDITION_REQUIRED, "precondition_required");
    patch(&t, &w.sec.1, &other, Some("\"1\""), json!({"assignee_ids": [w.com.0]})).await.expect(StatusCode::OK);
    patch(&t, &w.dep.1, &other, Some("\"1\""), json!({"title": "Cũ"}))
        .await
        .expect_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    patch(&t, &w.m1.1, &other, Some("\"2\""), json!({"title": "Không quyền"})).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/tasks/{other}/cancel"), &w.com.1, json!({"comment": "x"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let cancelled =
        t.post(&format!("/api/v1/tasks/{other}/cancel"), &w.sec.1, json!({"comment": "Không còn cần"})).await.expect(StatusCode::OK);
    assert_eq!(cancelled.body["status"], "cancelled");

    // My tasks.
    let mine = t.get("/api/v1/me/tasks", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn task_edits_follow_the_if_match_rule() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let body = json!({"title": "Vận động phân loại rác", "assignee_ids": [w.m1.0], "due_on": t.today() + Duration::days(7)});
    let id = t.post(&format!("/api/v1/org-units/{}/tasks", w.a), &w.sec.1, body).await.expect(StatusCode::CREATED).id();
    t.check_if_match_rule(
        &format!("/api/v1/tasks/{id}"),
        &w.sec.1,
        (json!({"title": "Vận động phân loại rác tại nguồn"}), "/title", json!("Vận động phân loại rác tại nguồn")),
        (json!({"description": "Mỗi hộ hai thùng"}), "/description", json!("Mỗi hộ hai thùng")),
    )
    .await;
}

#[tokio::test]
async fn overdue_review_stats_and_reminders() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let today = t.today();
    let url = format!("/api/v1/org-units/{}/tasks", w.a);
    let late = t
        .post(&url, &w.sec.1, json!({"title": "Quá hạn", "assignee_ids": [w.m1.0], "due_on": today - Duration::days(2)}))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(late.body["overdue"], true, "derived at read time");
    let soon = t
        .post(&url, &w.sec.1, json!({"title": "Sắp đến hạn", "assignee_ids": [w.com.0], "due_on": today + Duration::days(1)}))
        .await
        .expect(StatusCode::CREATED)
        .id();
    t.post(&url, &w.sec.1, json!({"title": "Còn lâu", "assignee_ids": [w.com.0], "due_on": today + Duration::days(30)}))
        .await
        .expect(StatusCode::CREATED);
    let overdue = t.get(&format!("/api/v1/org-units/{}/tasks?overdue=true", w.a), &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(overdue.body["items"].as_array().unwrap().len(), 1);
    t.get(&format!("/api/v1/org-units/{}/tasks?status=late", w.a), &w.m1.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_query");

    // Reminders: one overdue and one due-soon event, once.
    assert_eq!(app::jobs::task_reminders(&t.state.ctx(), 2).await.unwrap(), 2);
    assert_eq!(app::jobs::task_reminders(&t.state.ctx(), 2).await.unwrap(), 0);
    let events = storage::outbox::pending(t.state.db.conn(), 200).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "task.due_soon" && e.aggregate_id.to_string() == soon));
    assert!(events.iter().any(|e| e.kind == "task.overdue" && e.aggregate_id.to_string() == late.id()));
    for e in &events {
        let typed = app::events::Event::from_outbox(e).unwrap_or_else(|err| panic!("{}: {err}", e.kind));
        assert_eq!(typed.kind(), e.kind);
    }

    // Figures: the commune secretary sees the subtree's stats but cannot evaluate the cell's task.
    t.post(&format!("/api/v1/tasks/{soon}/submit"), &w.com.1, json!({"note": "Xong"})).await.expect(StatusCode::OK);
    t.post(&format!("/api/v1/tasks/{soon}/evaluate"), &w.csec.1, json!({"rating": "good"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/tasks/{soon}/evaluate"), &w.sec.1, json!({"rating": "good"})).await.expect(StatusCode::OK);
    let stats = t.get(&format!("/api/v1/org-units/{}/task-stats", w.c1), &w.csec.1).await.expect(StatusCode::OK);
    let total = &stats.body["total"];
    assert_eq!(
        (total["assigned"].clone(), total["done_on_time"].clone(), total["overdue"].clone(), total["open"].clone()),
        (json!(3), json!(1), json!(1), json!(1))
    );
    assert_eq!(total["ratings"]["good"], 1);
    assert_eq!(stats.body["members"].as_array().unwrap().len(), 2);
    t.get(&format!("/api/v1/org-units/{}/task-stats", w.c1), &w.sec.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}/task-stats", w.a), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}/tasks?include_subtree=true", w.c1), &w.csec.1).await.expect(StatusCode::OK);

    // Review at the next regular meeting: the overdue task (due after the previous meeting) is listed.
    let meeting = t
        .post(
            &format!("/api/v1/org-units/{}/meetings", w.a),
            &w.sec.1,
            json!({"kind": "regular", "title": "Sinh hoạt", "starts_at": t.now() + Duration::days(3), "planned_minutes": 90}),
        )
        .await
        .expect(StatusCode::CREATED)
        .id();
    t.call(Method::POST, &format!("/api/v1/meetings/{meeting}/publish"), Some(&w.sec.1), None).await.expect(StatusCode::OK);
    let review = t.get(&format!("/api/v1/meetings/{meeting}/tasks-for-review"), &w.m1.1).await.expect(StatusCode::OK);
    let titles: Vec<_> = review.body.as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_string()).collect();
    assert!(titles.contains(&"Quá hạn".to_string()) && titles.contains(&"Sắp đến hạn".to_string()), "{titles:?}");
    assert!(!titles.contains(&"Còn lâu".to_string()));
    t.get(&format!("/api/v1/meetings/{meeting}/tasks-for-review"), &w.x1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
}
