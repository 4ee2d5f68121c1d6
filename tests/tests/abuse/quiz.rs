//! Abuse cases: quiz attempts. A member racing the attempt limit, copying the correct answers
//! shown by one attempt into another, and answering after the quiz has closed.

use std::collections::HashMap;

use app::clock::Clock;
use serde_json::{Value, json};

use crate::support::*;

async fn open_quiz(s: &Server, token: &str) -> Value {
    let (_, _, quizzes) = http(s.addr, "GET", "/api/v1/quizzes?open=true", Some(token), None).await;
    quizzes[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_parallel_starts_by_one_member_create_one_attempt() {
    let s = start_demo().await;
    let member = token(s.addr, "dangvien", api::demo::DEMO_PASSWORD).await;
    let quiz = open_quiz(&s, &member).await;
    assert_eq!(quiz["max_attempts"], 7);
    let id = quiz["id"].as_str().expect("quiz").to_string();
    let starts: Vec<_> = (0..30)
        .map(|_| {
            let (addr, member, path) = (s.addr, member.clone(), format!("/api/v1/quizzes/{id}/attempts"));
            tokio::spawn(async move { http(addr, "POST", &path, Some(&member), None).await })
        })
        .collect();
    let mut created = Vec::new();
    for start in starts {
        let (status, _, body) = start.await.expect("task");
        assert!(status < 500, "{status}: {body}");
        if status == 201 {
            created.push(body);
        } else {
            assert_eq!((status, body["code"].as_str()), (409, Some("attempt_in_progress")), "{body}");
        }
    }
    assert_eq!(created.len(), 1, "one attempt runs at a time");

    // The limit holds across the week: six more, one after another, then refused.
    let submit = |attempt: &Value| {
        let n = attempt["questions"].as_array().map_or(0, Vec::len);
        (
            format!("/api/v1/attempts/{}/submit", attempt["id"].as_str().unwrap_or_default()),
            json!({"answers": vec![Vec::<usize>::new(); n]}),
        )
    };
    let (path, body) = submit(&created[0]);
    assert_eq!(http(s.addr, "POST", &path, Some(&member), Some(body)).await.0, 200);
    for _ in 0..6 {
        let (status, _, attempt) = http(s.addr, "POST", &format!("/api/v1/quizzes/{id}/attempts"), Some(&member), None).await;
        assert_eq!(status, 201, "{attempt}");
        let (path, body) = submit(&attempt);
        assert_eq!(http(s.addr, "POST", &path, Some(&member), Some(body)).await.0, 200);
    }
    let (status, _, refused) = http(s.addr, "POST", &format!("/api/v1/quizzes/{id}/attempts"), Some(&member), None).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("attempt_limit_reached")), "{refused}");
}

#[tokio::test]
async fn answers_shown_by_one_attempt_earn_nothing_in_the_next() {
    let s = start_demo().await;
    let member = token(s.addr, "dangvien", api::demo::DEMO_PASSWORD).await;
    let quiz = open_quiz(&s, &member).await;
    let id = quiz["id"].as_str().expect("quiz").to_string();
    let (status, _, first) = http(s.addr, "POST", &format!("/api/v1/quizzes/{id}/attempts"), Some(&member), None).await;
    assert_eq!(status, 201, "{first}");
    // Junk answers: every question left blank. The results show the correct options.
    let blank = vec![Vec::<usize>::new(); first["questions"].as_array().expect("questions").len()];
    let (status, _, scored) = http(
        s.addr,
        "POST",
        &format!("/api/v1/attempts/{}/submit", first["id"].as_str().unwrap()),
        Some(&member),
        Some(json!({"answers": blank})),
    )
    .await;
    assert_eq!(status, 200, "{scored}");
    let shown: HashMap<String, Value> = scored["results"]
        .as_array()
        .expect("results shown: no other attempt runs")
        .iter()
        .map(|r| (r["question_id"].as_str().unwrap().to_string(), r["correct"].clone()))
        .collect();

    // The next attempt serves some of the same questions: copying their shown answers is right
    // but earns nothing.
    let (status, _, second) = http(s.addr, "POST", &format!("/api/v1/quizzes/{id}/attempts"), Some(&member), None).await;
    assert_eq!(status, 201, "{second}");
    let questions = second["questions"].as_array().expect("questions");
    let copied: Vec<Value> =
        questions.iter().map(|q| shown.get(q["question_id"].as_str().unwrap()).cloned().unwrap_or(json!([]))).collect();
    let repeated = questions.iter().filter(|q| shown.contains_key(q["question_id"].as_str().unwrap())).count();
    assert!(repeated >= 1, "the demo quiz draws 5 of 6 questions: some repeat");
    let (status, _, scored) = http(
        s.addr,
        "POST",
        &format!("/api/v1/attempts/{}/submit", second["id"].as_str().unwrap()),
        Some(&member),
        Some(json!({"answers": copied})),
    )
    .await;
    assert_eq!(status, 200, "{scored}");
    assert!(scored["correct_count"].as_u64().unwrap() >= repeated as u64, "{scored}");
    assert_eq!(scored["points"], 0, "copied answers earn nothing: {scored}");
}

#[tokio::test]
async fn no_answer_is_taken_after_the_quiz_closes() {
    let s = start_demo().await;
    let member = token(s.addr, "dangvien", api::demo::DEMO_PASSWORD).await;
    let quiz = open_quiz(&s, &member).await;
    let id = quiz["id"].as_str().expect("quiz").to_string();
    // Five minutes before the window closes (midnight in Vietnam after `closes_on`).
    let closes_on: chrono::NaiveDate = quiz["closes_on"].as_str().expect("closes_on").parse().expect("date");
    let close = closes_on.and_hms_opt(17, 0, 0).expect("time").and_utc();
    s.clock.set(close - chrono::Duration::minutes(5));
    let member = token(s.addr, "dangvien", api::demo::DEMO_PASSWORD).await;
    let (status, _, attempt) = http(s.addr, "POST", &format!("/api/v1/quizzes/{id}/attempts"), Some(&member), None).await;
    assert_eq!(status, 201, "{attempt}");
    let deadline: chrono::DateTime<chrono::Utc> = attempt["deadline"].as_str().expect("deadline").parse().expect("instant");
    assert_eq!(deadline, close, "the 10-minute limit is cut at the close");
    s.clock.set(close + chrono::Duration::seconds(31));
    let blank = vec![Vec::<usize>::new(); attempt["questions"].as_array().expect("questions").len()];
    let (status, _, refused) = http(
        s.addr,
        "POST",
        &format!("/api/v1/attempts/{}/submit", attempt["id"].as_str().unwrap()),
        Some(&member),
        Some(json!({"answers": blank})),
    )
    .await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("attempt_expired")), "{refused}");
    assert_eq!(s.clock.now(), close + chrono::Duration::seconds(31));
}
