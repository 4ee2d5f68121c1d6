//! Study API tests: the bank is private to leaders, answers never leak before submission,
//! scoring and idempotent awards (also under concurrent submits), windows and limits, versions,
//! points, leaderboards with visibility, adjustments. Both databases.

use crate::common::{Reply, TestApp, World};
use axum::http::{Method, StatusCode};
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

/// A published C1 document with three questions; returns (document, [question ids]).
async fn bank(t: &TestApp, w: &World) -> (String, Vec<String>) {
    let doc = t
        .post(
            &format!("/api/v1/org-units/{}/documents", w.c1),
            &w.csec.1,
            json!({"kind": "resolution", "number": "09-NQ/ĐU", "title": "Nghị quyết học tập"}),
        )
        .await
        .expect(StatusCode::CREATED)
        .id();
    t.call(Method::POST, &format!("/api/v1/documents/{doc}/publish"), Some(&w.csec.1), None).await.expect(StatusCode::OK);
    let url = format!("/api/v1/documents/{doc}/questions");
    let q1 = t.post(&url, &w.csec.1, json!({"kind": "single", "prompt": "Đảng ta ra đời năm nào?", "options": ["1925", "1930", "1945"], "correct": [1], "explanation": "3/2/1930", "tags": ["lịch sử"]})).await.expect(StatusCode::CREATED).id();
    let q2 = t.post(&url, &w.csec.1, json!({"kind": "multiple", "prompt": "Chọn các nội dung đúng", "options": ["A", "B", "C", "D"], "correct": [0, 2], "explanation": "A và C"})).await.expect(StatusCode::CREATED).id();
    let q3 = t
        .post(
            &url,
            &w.csec.1,
            json!({"kind": "true_false", "prompt": "Chi bộ sinh hoạt mỗi tháng một lần", "correct": [0], "explanation": "Đúng"}),
        )
        .await
        .expect(StatusCode::CREATED)
        .id();
    (doc, vec![q1, q2, q3])
}

fn quiz_body(today: NaiveDate, questions: &[String], extra: Value) -> Value {
    let mut b = json!({"title": "Thi tìm hiểu Nghị quyết", "opens_on": today - Duration::days(1), "closes_on": today + Duration::days(30),
        "time_limit_minutes": 15, "max_attempts": 3, "attempt_period": "day", "points_per_correct": 10, "question_ids": questions});
    if let (Some(o), Some(e)) = (b.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    b
}

fn no_answer_keys(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().all(|(k, v)| k != "correct" && k != "explanation" && k != "results" && no_answer_keys(v)),
        Value::Array(a) => a.iter().all(no_answer_keys),
        _ => true,
    }
}

async fn start(t: &TestApp, token: &str, quiz: &str) -> Reply {
    t.call(Method::POST, &format!("/api/v1/quizzes/{quiz}/attempts"), Some(token), None).await
}

fn right_answers(attempt: &Reply) -> Value {
    // q1 single → [1], q2 multiple → [0, 2], q3 true/false → [0], in served order.
    Value::Array(
        attempt.body["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| match q["kind"].as_str().unwrap() {
                "single" => json!([1]),
                "multiple" => json!([0, 2]),
                _ => json!([0]),
            })
            .collect(),
    )
}

#[tokio::test]
async fn answers_never_leak_and_awards_happen_once() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let (_, qs) = bank(&t, &w).await;
    // The bank is for the issuing unit's leaders only.
    t.get(&format!("/api/v1/questions/{}", qs[0]), &w.csec.1).await.expect(StatusCode::OK);
    for token in [&w.m1.1, &w.sec.1, &w.x1.1, &w.padm.1] {
        t.get(&format!("/api/v1/questions/{}", qs[0]), token).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    t.post(&format!("/api/v1/org-units/{}/quizzes", w.c1), &w.m1.1, quiz_body(t.today(), &qs, json!({})))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let quiz = t
        .post(&format!("/api/v1/org-units/{}/quizzes", w.c1), &w.csec.1, quiz_body(t.today(), &qs, json!({})))
        .await
        .expect(StatusCode::CREATED)
        .id();
    assert!(t.get("/api/v1/quizzes?open=true", &w.m1.1).await.body.as_array().unwrap().iter().any(|q| q["id"] == quiz.as_str()));
    assert!(t.get("/api/v1/quizzes", &w.x1.1).await.body.as_array().unwrap().is_empty());
    start(&t, &w.x1.1, &quiz).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");

    let attempt = start(&t, &w.m1.1, &quiz).await.expect(StatusCode::CREATED);
    assert_eq!(attempt.body["questions"].as_array().unwrap().len(), 3);
    assert!(no_answer_keys(&attempt.body), "no correct answer before submission: {}", attempt.body);
    let id = attempt.id();
    let read_back = t.get(&format!("/api/v1/attempts/{id}"), &w.m1.1).await.expect(StatusCode::OK);
    assert!(no_answer_keys(&read_back.body));
    start(&t, &w.m1.1, &quiz).await.expect_problem(StatusCode::CONFLICT, "attempt_in_progress");
    t.post(&format!("/api/v1/attempts/{id}/submit"), &w.com.1, json!({"answers": [[0], [0], [0]]}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/attempts/{id}/submit"), &w.m1.1, json!({"answers": [[0]]}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&format!("/api/v1/attempts/{id}/submit"), &w.m1.1, json!({"answers": [[9], [0], [0]]}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // Concurrent submits: one scores, every reply is the same result, points awarded once.
    let answers = right_answers(&attempt);
    let url = format!("/api/v1/attempts/{id}/submit");
    let (a, b, c) = tokio::join!(
        t.post(&url, &w.m1.1, json!({"answers": answers})),
        t.post(&url, &w.m1.1, json!({"answers": answers})),
        t.post(&url, &w.m1.1, json!({"answers": answers}))
    );
    for r in [&a, &b, &c] {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["correct_count"], 3);
        assert_eq!(r.body["points"], 30);
        assert_eq!(r.body["results"][0]["right"], true);
        assert!(r.body["results"][0]["explanation"].is_string());
    }
    let points = t.get("/api/v1/me/points", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(points.body["total"], 30, "awarded once");

    // A second attempt at the same quiz earns nothing for questions already answered correctly.
    let again = start(&t, &w.m1.1, &quiz).await.expect(StatusCode::CREATED);
    let r = t
        .post(&format!("/api/v1/attempts/{}/submit", again.id()), &w.m1.1, json!({"answers": right_answers(&again)}))
        .await
        .expect(StatusCode::OK);
    assert_eq!((r.body["correct_count"].clone(), r.body["points"].clone()), (json!(3), json!(0)));
    let third = start(&t, &w.m1.1, &quiz).await.expect(StatusCode::CREATED);
    t.post(&format!("/api/v1/attempts/{}/submit", third.id()), &w.m1.1, json!({"answers": [[0], [1], [1]]})).await.expect(StatusCode::OK);
    start(&t, &w.m1.1, &quiz).await.expect_problem(StatusCode::CONFLICT, "attempt_limit_reached");

    // Editing an answered question creates a version; the old attempt keeps its question.
    let edited = t
        .call(
            Method::PATCH,
            &format!("/api/v1/questions/{}", qs[0]),
            Some(&w.csec.1),
            Some(json!({"kind": "single", "prompt": "Năm thành lập Đảng?", "options": ["1930", "1945"], "correct": [0]})),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(edited.body["version"], 2);
    let old = t.get(&format!("/api/v1/attempts/{id}"), &w.m1.1).await.expect(StatusCode::OK);
    assert!(old.body["questions"].as_array().unwrap().iter().any(|q| q["prompt"] == "Đảng ta ra đời năm nào?"));
    t.get(&format!("/api/v1/attempts/{id}"), &w.sec.1).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/attempts/{id}"), &w.b1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn windows_deadlines_points_boards_and_adjustments() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let (doc, qs) = bank(&t, &w).await;
    let today = t.today();
    let later = t
        .post(
            &format!("/api/v1/org-units/{}/quizzes", w.c1),
            &w.csec.1,
            quiz_body(t.today(), &qs, json!({"opens_on": today + Duration::days(2)})),
        )
        .await
        .expect(StatusCode::CREATED)
        .id();
    start(&t, &w.m1.1, &later).await.expect_problem(StatusCode::CONFLICT, "quiz_closed");
    t.post(
        &format!("/api/v1/org-units/{}/quizzes", w.c1),
        &w.csec.1,
        quiz_body(t.today(), &qs, json!({"attempt_period": "year", "weekdays": ["xyz"], "time_limit_minutes": 0})),
    )
    .await
    .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&format!("/api/v1/org-units/{}/quizzes", w.c1), &w.csec.1, quiz_body(t.today(), &[], json!({"question_count": 50})))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // A random quiz draws from the bank; a late submission earns nothing.
    let random = t
        .post(&format!("/api/v1/org-units/{}/quizzes", w.c1), &w.csec.1, quiz_body(t.today(), &[], json!({"question_count": 2})))
        .await
        .expect(StatusCode::CREATED)
        .id();
    let attempt = start(&t, &w.com.1, &random).await.expect(StatusCode::CREATED);
    assert_eq!(attempt.body["questions"].as_array().unwrap().len(), 2);
    // Move the running attempt's deadline into the past (the only attempt so far).
    t.state.db.execute_unprepared("UPDATE attempts SET deadline = '2000-01-01T00:00:00+00:00'").await.unwrap();
    let late = t.post(&format!("/api/v1/attempts/{}/submit", attempt.id()), &w.com.1, json!({"answers": [[0], [0]]})).await;
    assert!(late.status == StatusCode::CONFLICT && late.code() == "attempt_expired", "{}", late.body);

    // First reads and attendance earn points, once.
    t.get(&format!("/api/v1/documents/{doc}"), &w.m1.1).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/documents/{doc}"), &w.m1.1).await.expect(StatusCode::OK);
    let p = t.get("/api/v1/me/points", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(p.body["total"], 1);
    assert_eq!(p.body["on_target"], false);
    assert_eq!(p.body["ranks"].as_array().unwrap().len(), 3, "cell, commune, province");

    // Adjustments by leaders, with a reason; corrections are negative entries; never to oneself,
    // nor to the holder of a position the caller may not appoint to; within the yearly cap.
    let adj = format!("/api/v1/members/{}/points/adjustments", w.m1.0);
    t.post(&adj, &w.m1.1, json!({"points": 500, "reason": "Tự thưởng cho mình"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "acting_on_self");
    let secretary = format!("/api/v1/members/{}/points/adjustments", w.sec.0);
    t.post(&secretary, &w.sec.1, json!({"points": 50, "reason": "Tự thưởng cho mình"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "acting_on_self");
    t.post(&secretary, &w.m1.1, json!({"points": 50, "reason": "Thưởng cho bí thư"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&adj, &w.x1.1, json!({"points": 5, "reason": "x"})).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&adj, &w.sec.1, json!({"points": 0, "reason": ""})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&adj, &w.sec.1, json!({"points": 250, "reason": "Giải nhất hội thi"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "adjustment_cap_exceeded");
    t.post(&adj, &w.sec.1, json!({"points": 90, "reason": "Giải nhất hội thi"})).await.expect(StatusCode::CREATED);
    t.post(&adj, &w.sec.1, json!({"points": -10, "reason": "Điều chỉnh nhập sai"})).await.expect(StatusCode::CREATED);
    t.post(&adj, &w.sec.1, json!({"points": 1, "reason": "Giải khuyến khích"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "adjustment_cap_exceeded");
    let p = t.get("/api/v1/me/points", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(p.body["total"], 81);
    assert_eq!(p.body["on_target"], false, "adjustments alone never reach the target");
    let ledger = t.get("/api/v1/me/points/ledger?limit=2", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(ledger.body["items"][0]["points"], -10);
    assert!(ledger.body["next_cursor"].is_string());
    // The commune reviews them.
    let review = t.get(&format!("/api/v1/org-units/{}/points/adjustments", w.c1), &w.csec.1).await.expect(StatusCode::OK);
    assert_eq!(review.body["items"].as_array().unwrap().len(), 2);
    t.get(&format!("/api/v1/org-units/{}/points/adjustments", w.c1), &w.sec.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");

    // Leaderboards: own chain visible, other units not (unless led or administered); ties share.
    let deputy = format!("/api/v1/members/{}/points/adjustments", w.dep.0);
    t.post(&deputy, &w.sec.1, json!({"points": 81, "reason": "Cùng điểm với đồng chí Một"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "acting_on_superior");
    t.post(&deputy, &w.csec.1, json!({"points": 81, "reason": "Cùng điểm với đồng chí Một"})).await.expect(StatusCode::CREATED);
    // The leaderboard counts the first reads' points once the queue is applied.
    t.settle().await;
    let board = t.get(&format!("/api/v1/org-units/{}/leaderboard", w.c1), &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(board.body["top"][0]["rank"], 1);
    assert_eq!(board.body["top"][1]["rank"], 1, "a tie shares the rank");
    assert_eq!(board.body["my_rank"], 1);
    let around = t.get(&format!("/api/v1/org-units/{}/leaderboard?around_me=true&limit=1", w.c1), &w.m1.1).await.expect(StatusCode::OK);
    let lines = around.body["around_me"].as_array().unwrap();
    assert!(lines.iter().any(|l| l["member_id"] == w.m1.0.as_str()), "the caller is in the neighbourhood");
    assert!(lines.len() <= 3);
    t.get(&format!("/api/v1/org-units/{}/leaderboard", w.c2), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}/leaderboard", w.b), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}/leaderboard", w.c2), &w.padm.1).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/org-units/{}/leaderboard?year=3000", w.c1), &w.m1.1)
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "invalid_query");

    // Figures for leaders.
    let stats = t.get(&format!("/api/v1/org-units/{}/study-stats", w.c1), &w.csec.1).await.expect(StatusCode::OK);
    assert_eq!(stats.body["members"], 6);
    assert_eq!(stats.body["on_target"], 0);
    assert_eq!(stats.body["below_target"].as_array().unwrap().len(), 6);
    t.get(&format!("/api/v1/org-units/{}/study-stats", w.c1), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
}
