//! Abuse cases: bad input that used to reach a 5xx or slip through — control characters in text,
//! a forged page cursor, bytes after a JSON body, a non-ASCII `If-Match`, dates outside the
//! range the system keeps, and a `HEAD` that had the effect of a `GET`.

use app::clock::Clock;
use base64::Engine;
use serde_json::{Value, json};

use crate::support::*;

/// The demo's first cell, and tokens of its secretary and of a member.
async fn cell(s: &Server) -> (String, String, String) {
    let secretary = token(s.addr, "bithu", api::demo::DEMO_PASSWORD).await;
    let member = token(s.addr, "dangvien", api::demo::DEMO_PASSWORD).await;
    let (_, _, me) = http(s.addr, "GET", "/api/v1/me", Some(&secretary), None).await;
    (me["member"]["unit_id"].as_str().expect("cell").to_string(), secretary, member)
}

fn meeting(s: &Server, title: &str) -> Value {
    json!({"kind": "thematic", "title": title, "starts_at": s.clock.now() + chrono::Duration::minutes(10), "planned_minutes": 90, "use_template": true})
}

#[tokio::test]
async fn control_characters_are_refused_in_every_kind_of_text_input() {
    let s = start_demo().await;
    let (cell, secretary, member) = cell(&s).await;
    // JSON: a NUL in a title (PostgreSQL cannot store it; it used to answer 503) …
    let r = Request::new("POST", &format!("/api/v1/org-units/{cell}/meetings"))
        .token(&secretary)
        .json(&meeting(&s, "Họp\u{0}chi bộ"))
        .send(s.addr)
        .await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"), "{}", r.raw_body);
    assert_eq!(r.body["errors"][0]["field"], "title");
    assert_eq!(r.body["errors"][0]["code"], "invalid_characters");
    // … escaped or raw, a backspace, DEL or a C1 control, nested in a list.
    for raw in [r#""Họp\u0008""#, "\"Họp\u{7f}\"", "\"Họp\u{85}\"", r#""\f""#] {
        let body = format!(r#"{{"kind":"thematic","title":{raw},"starts_at":"2030-01-01T01:00:00Z","planned_minutes":90}}"#);
        let r = Request::new("POST", &format!("/api/v1/org-units/{cell}/meetings"))
            .token(&secretary)
            .raw("application/json", body)
            .send(s.addr)
            .await;
        assert_eq!((r.status, r.code()), (422, "validation_failed"), "{raw}: {}", r.raw_body);
    }
    // Tab and line breaks are text.
    let r = Request::new("POST", &format!("/api/v1/org-units/{cell}/meetings"))
        .token(&secretary)
        .json(&meeting(&s, "Họp chi bộ\tchuyên đề\r\nquý IV"))
        .send(s.addr)
        .await;
    assert_eq!(r.status, 201, "{}", r.raw_body);
    // A query parameter.
    let r = Request::new("GET", "/api/v1/documents?q=ngh%E1%BB%8B%00quy%E1%BA%BFt").token(&member).send(s.addr).await;
    assert_eq!((r.status, r.code()), (400, "invalid_query"), "{}", r.raw_body);
    // A CSV import.
    let csv = "full_name,date_of_birth,sex,admitted_on,citizen_id\nNguyễn Văn\u{0} An,1990-01-01,male,2020-01-01,034090123456\n";
    let r =
        Request::new("POST", &format!("/api/v1/org-units/{cell}/members/import")).token(&secretary).raw("text/csv", csv).send(s.addr).await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"), "{}", r.raw_body);
    assert_eq!(r.body["errors"][0]["line"], 2);
}

#[tokio::test]
async fn forged_cursors_and_trailing_bytes_are_client_errors() {
    let s = start_demo().await;
    let (cell, secretary, member) = cell(&s).await;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    for offset in ["18446744073709551615", "9223372036854775807", "10000001", "-1"] {
        let cursor = engine.encode(format!("o:{offset}"));
        let r = Request::new("GET", &format!("/api/v1/documents?cursor={cursor}")).token(&member).send(s.addr).await;
        assert_eq!((r.status, r.code()), (400, "invalid_cursor"), "offset {offset}: {}", r.raw_body);
    }
    let r = Request::new("GET", &format!("/api/v1/documents?q=nghi&cursor={}", engine.encode("o:9223372036854775807")))
        .token(&member)
        .send(s.addr)
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_cursor"), "{}", r.raw_body);

    let body = format!("{} {{\"title\": \"second\"}}", meeting(&s, "Họp chi bộ"));
    let r = Request::new("POST", &format!("/api/v1/org-units/{cell}/meetings"))
        .token(&secretary)
        .raw("application/json", body)
        .send(s.addr)
        .await;
    assert_eq!((r.status, r.code()), (400, "malformed_json"), "{}", r.raw_body);
    let (_, _, list) = http(s.addr, "GET", &format!("/api/v1/org-units/{cell}/meetings"), Some(&secretary), None).await;
    assert!(list.as_array().expect("meetings").iter().all(|m| m["title"] != "Họp chi bộ"), "nothing was created");
}

#[tokio::test]
async fn a_non_ascii_if_match_changes_nothing() {
    let s = start_demo().await;
    let (cell, secretary, _) = cell(&s).await;
    let r = Request::new("POST", &format!("/api/v1/org-units/{cell}/meetings"))
        .token(&secretary)
        .json(&meeting(&s, "Họp chi bộ"))
        .send(s.addr)
        .await;
    assert_eq!(r.status, 201, "{}", r.raw_body);
    let id = r.body["id"].as_str().expect("id").to_string();
    for tag in ["\"１\"", "\"1é\"", "W/\"1\"", "\"é\""] {
        let r = Request::new("PATCH", &format!("/api/v1/meetings/{id}"))
            .token(&secretary)
            .header("If-Match", tag)
            .json(&json!({"title": "Đổi tên"}))
            .send(s.addr)
            .await;
        assert_eq!((r.status, r.code()), (412, "precondition_failed"), "If-Match {tag}: {}", r.raw_body);
    }
    let (_, _, m) = http(s.addr, "GET", &format!("/api/v1/meetings/{id}"), Some(&secretary), None).await;
    assert_eq!((m["title"].as_str(), m["version"].as_i64()), (Some("Họp chi bộ"), Some(1)), "{m}");
}

#[tokio::test]
async fn minutes_times_stay_within_the_dates_the_system_keeps() {
    let s = start_demo().await;
    let (cell, secretary, _) = cell(&s).await;
    let r = Request::new("POST", &format!("/api/v1/org-units/{cell}/meetings"))
        .token(&secretary)
        .json(&meeting(&s, "Họp chi bộ"))
        .send(s.addr)
        .await;
    let id = r.body["id"].as_str().expect("id").to_string();
    for action in ["publish", "open"] {
        let (status, _, body) = http(s.addr, "POST", &format!("/api/v1/meetings/{id}/{action}"), Some(&secretary), None).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    let r = Request::new("PUT", &format!("/api/v1/meetings/{id}/minutes"))
        .token(&secretary)
        .json(&json!({"text": "Biên bản", "resolution": "Nghị quyết", "started_at": "9999-12-31T00:00:00Z", "ended_at": "9999-12-31T01:00:00Z"}))
        .send(s.addr)
        .await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"), "{}", r.raw_body);
    assert_eq!((r.body["errors"][0]["field"].as_str(), r.body["errors"][0]["code"].as_str()), (Some("started_at"), Some("out_of_range")));
}

#[tokio::test]
async fn head_of_a_document_records_no_read_and_awards_no_point() {
    let s = start_demo().await;
    let member = token(s.addr, "dangvien", api::demo::DEMO_PASSWORD).await;
    let (_, _, feed) = http(s.addr, "GET", "/api/v1/documents?limit=50", Some(&member), None).await;
    let unread = feed["items"].as_array().expect("feed").iter().find(|d| d["read_at"].is_null()).expect("an unread document").clone();
    let id = unread["id"].as_str().expect("id");
    let addr = s.addr;
    let points = |t: String| async move { http(addr, "GET", "/api/v1/me/points", Some(&t), None).await.2["total"].as_i64() };
    let before = points(member.clone()).await;
    let r = Request::new("HEAD", &format!("/api/v1/documents/{id}")).token(&member).send(s.addr).await;
    assert_eq!(r.status, 200);
    assert!(r.header("etag").is_some(), "HEAD answers GET's headers");
    assert_eq!(points(member.clone()).await, before, "HEAD changes nothing");
    let (status, _, read) = http(s.addr, "GET", &format!("/api/v1/documents/{id}"), Some(&member), None).await;
    assert_eq!(status, 200);
    assert!(read["read_at"].is_string(), "GET records the first read: {read}");
    assert_eq!(points(member.clone()).await, before.map(|p| p + 1), "and awards its point");
}

#[tokio::test]
async fn the_frameworks_own_refusals_are_problems_in_the_negotiated_language() {
    let s = start().await;
    let admin = token(s.addr, "admin", "admin-password").await;
    let is_problem = |r: &Response| r.header("content-type").as_deref() == Some("application/problem+json") && r.body["detail"].is_string();

    // A method the path does not have: 405 with `Allow`.
    let r = Request::new("DELETE", "/api/v1/me").token(&admin).send(s.addr).await;
    assert_eq!((r.status, r.code()), (405, "method_not_allowed"), "{}", r.raw_body);
    assert!(is_problem(&r) && r.header("allow").is_some_and(|a| a.contains("GET")), "{:?}", r.head);

    // q-values decide the language; the answer says which, and varies by it.
    let r = Request::new("GET", "/api/v1/nowhere").token(&admin).header("Accept-Language", "vi;q=0.1, en;q=0.9").send(s.addr).await;
    assert_eq!((r.status, r.body["title"].as_str()), (404, Some("Not found")), "{}", r.raw_body);
    assert_eq!(r.header("content-language").as_deref(), Some("en"));
    assert!(r.header("vary").is_some_and(|v| v.contains("Accept-Language")));
    let r = Request::new("GET", "/api/v1/nowhere").token(&admin).header("Accept-Language", "en;q=0.2, vi-VN").send(s.addr).await;
    assert_eq!(r.header("content-language").as_deref(), Some("vi"));

    // An `Accept` the JSON API cannot serve.
    let r = Request::new("GET", "/api/v1/me").token(&admin).header("Accept", "text/html").send(s.addr).await;
    assert_eq!((r.status, r.code()), (406, "not_acceptable"), "{}", r.raw_body);
    let r = Request::new("GET", "/api/v1/me").token(&admin).header("Accept", "text/html, */*;q=0.8").send(s.addr).await;
    assert_eq!(r.status, 200, "a browser's Accept is served");

    // A multipart body without a boundary.
    let r = Request::new("POST", &format!("/api/v1/documents/{}/attachments", uuid_like()))
        .token(&admin)
        .raw("multipart/form-data", "--x\r\n")
        .send(s.addr)
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_multipart"), "{}", r.raw_body);
    assert!(is_problem(&r));

    // Every refusal says what happened, in the negotiated language.
    let unit = http(s.addr, "GET", "/api/v1/org-units", Some(&admin), None).await.2[0]["id"].as_str().expect("root").to_string();
    for (request, status) in [
        (Request::new("GET", "/api/v1/me"), 401),
        (Request::new("GET", &format!("/api/v1/members/{}", uuid_like())).token(&admin), 404),
        (Request::new("POST", &format!("/api/v1/org-units/{unit}/members")).token(&admin).raw("text/plain", "x"), 415),
        (
            Request::new("POST", &format!("/api/v1/org-units/{unit}/members"))
                .token(&admin)
                .raw("application/json", vec![b' '; 5 * 1024 * 1024]),
            413,
        ),
    ] {
        for lang in ["vi", "en"] {
            let r = request.clone().header("Accept-Language", lang).send(s.addr).await;
            assert_eq!(r.status, status, "{}", r.raw_body);
            assert!(is_problem(&r), "{status} {lang}: {}", r.raw_body);
            assert_eq!(r.header("content-language").as_deref(), Some(lang));
        }
    }

    // A request target longer than the API reads (8 KiB).
    let long = format!("/api/v1/documents?q={}", "a".repeat(10_000));
    let r = Request::new("GET", &long).token(&admin).send(s.addr).await;
    assert_eq!((r.status, r.code()), (414, "uri_too_long"), "{}", r.raw_body);
    assert!(is_problem(&r));
}

fn uuid_like() -> &'static str {
    "018cc252-3cd5-707b-8bd0-ea557dd2edff"
}
