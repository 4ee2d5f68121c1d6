//! API tests: every endpoint, every permission rule with its denial, bad input, all-or-nothing
//! imports. Run on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use crate::common::{ADMIN_PASSWORD, PASSWORD, TestApp, member_body};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

// ---------------------------------------------------------------- system, docs, errors

#[tokio::test]
async fn health_ready_openapi_and_offline_docs() {
    let t = TestApp::new().await;
    let r = t.call(Method::GET, "/health", None, None).await.expect(StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
    let r = t.call(Method::GET, "/ready", None, None).await.expect(StatusCode::OK);
    assert_eq!(r.body["database"], storage::testing::backend());

    let spec = t.call(Method::GET, "/api/v1/openapi.json", None, None).await.expect(StatusCode::OK).body;
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/health",
        "/ready",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/logout-all",
        "/api/v1/auth/password",
        "/api/v1/me",
        "/api/v1/org-units",
        "/api/v1/org-units/{id}",
        "/api/v1/org-units/{id}/children",
        "/api/v1/org-units/{id}/move",
        "/api/v1/org-units/{id}/members",
        "/api/v1/org-units/{id}/members/import",
        "/api/v1/members/{id}",
        "/api/v1/members/{id}/events",
        "/api/v1/org-units/{id}/positions",
        "/api/v1/positions/{id}/end",
        "/api/v1/members/{id}/account",
        "/api/v1/audit",
        "/api/v1/org-units/{id}/meetings",
        "/api/v1/meetings/{id}",
        "/api/v1/meetings/{id}/check-in",
        "/api/v1/meetings/{id}/attendance/{member_id}",
        "/api/v1/meetings/{id}/comments",
        "/api/v1/comments/{id}/hide",
        "/api/v1/meetings/{id}/minutes/approve",
        "/api/v1/motions/{id}/votes",
        "/api/v1/meetings/{id}/report",
        "/api/v1/meeting-reports/{id}/return",
        "/api/v1/org-units/{id}/meeting-reports",
        "/api/v1/members/{id}/attendance",
        "/api/v1/me/meetings.ics",
        "/api/v1/org-units/{id}/documents",
        "/api/v1/documents",
        "/api/v1/documents/{id}/attachments",
        "/api/v1/documents/{id}/readers",
        "/api/v1/me/bookmarks/{document_id}",
        "/api/v1/org-units/{id}/tasks",
        "/api/v1/tasks/{id}",
        "/api/v1/tasks/{id}/evaluate",
        "/api/v1/meetings/{id}/tasks-for-review",
        "/api/v1/org-units/{id}/task-stats",
        "/api/v1/me/tasks",
        "/api/v1/documents/{id}/questions",
        "/api/v1/questions/{id}",
        "/api/v1/org-units/{id}/quizzes",
        "/api/v1/quizzes",
        "/api/v1/quizzes/{id}/attempts",
        "/api/v1/attempts/{id}/submit",
        "/api/v1/attempts/{id}",
        "/api/v1/me/points",
        "/api/v1/me/points/ledger",
        "/api/v1/org-units/{id}/leaderboard",
        "/api/v1/org-units/{id}/study-stats",
        "/api/v1/members/{id}/points/adjustments",
        "/api/v1/org-units/{id}/points/adjustments",
    ] {
        assert!(paths.contains_key(path), "OpenAPI documents {path}");
    }
    assert!(spec["components"]["schemas"]["Problem"].is_object());

    let page = t.call(Method::GET, "/docs/", None, None).await.expect(StatusCode::OK);
    let html = page.body.as_str().unwrap();
    assert!(html.contains("swagger-ui"), "docs page served");
    assert!(!html.contains("https://"), "no CDN: the page works offline");
    let script = t.call(Method::GET, "/docs/swagger-ui-bundle.js", None, None).await.expect(StatusCode::OK);
    assert!(script.body.as_str().unwrap().len() > 100_000, "the Swagger UI bundle is vendored");
}

#[tokio::test]
async fn unknown_routes_and_languages() {
    let t = TestApp::new().await;
    let r = t.call(Method::GET, "/api/v1/nothing-here", None, None).await.expect_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(r.body["title"], "Không tìm thấy");
    let req = Request::get("/api/v1/nothing-here").header(header::ACCEPT_LANGUAGE, "en-US,en;q=0.9").body(Body::empty()).unwrap();
    let r = t.send(req).await.expect_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(r.body["title"], "Not found");
    assert_eq!(r.body["type"], "urn:handbook:problem:not_found");
}

// ---------------------------------------------------------------- authentication

#[tokio::test]
async fn login_logout_and_bad_credentials() {
    let t = TestApp::new().await;
    let r = t.login("admin", ADMIN_PASSWORD).await.expect(StatusCode::OK);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["must_change_password"], false);
    let token = r.body["access_token"].as_str().unwrap().to_string();
    t.get("/api/v1/me", &token).await.expect(StatusCode::OK);

    let wrong = t.login("admin", "wrong-password").await.expect_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let unknown = t.login("nobody-here", "wrong-password").await.expect_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body, "the error never reveals whether the username exists");
    assert_eq!(wrong.headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");

    t.call(Method::POST, "/api/v1/auth/logout", Some(&token), None).await.expect(StatusCode::NO_CONTENT);
    t.get("/api/v1/me", &token).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn protected_endpoints_need_a_valid_token() {
    let t = TestApp::new().await;
    for path in ["/api/v1/me", "/api/v1/org-units", "/api/v1/audit"] {
        t.call(Method::GET, path, None, None).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
        t.call(Method::GET, path, Some("forged-token"), None).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let req = Request::get("/api/v1/me").header(header::AUTHORIZATION, "Basic YWRtaW46eA==").body(Body::empty()).unwrap();
    t.send(req).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

/// A sign-in from `addr` (the connection's peer address, as the real server sees it).
async fn login_from(t: &TestApp, addr: &str, username: &str, password: &str) -> crate::common::Reply {
    let mut req = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"username": username, "password": password}).to_string()))
        .unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(addr.parse().unwrap(), 40000)));
    t.send(req).await
}

#[tokio::test]
async fn failed_logins_throttle_the_address_not_the_account() {
    let t = TestApp::new().await;
    for _ in 0..5 {
        login_from(&t, "203.0.113.7", "admin", "wrong-password").await.expect(StatusCode::UNAUTHORIZED);
    }
    // The guessing address is refused, the right password included, and told when to retry.
    let r = login_from(&t, "203.0.113.7", "admin", ADMIN_PASSWORD).await.expect_problem(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "900", "the window opened at the first failure; the clock is pinned");
    // The owner, from anywhere else, is not locked out.
    login_from(&t, "198.51.100.20", "admin", ADMIN_PASSWORD).await.expect(StatusCode::OK);
    // The guessing address may still try other accounts (up to its own limit).
    login_from(&t, "203.0.113.7", "someone-else", "x-wrong-password").await.expect(StatusCode::UNAUTHORIZED);
    // Fifteen minutes after its first failure the address may try the account again.
    t.clock.advance(chrono::Duration::minutes(15));
    login_from(&t, "203.0.113.7", "admin", ADMIN_PASSWORD).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn an_address_spraying_many_accounts_is_refused() {
    let t = TestApp::new().await;
    let limit = t.state.config.login.per_address;
    for n in 0..limit {
        login_from(&t, "203.0.113.8", &format!("guess{n}"), "wrong-password").await.expect(StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&t, "203.0.113.8", "admin", ADMIN_PASSWORD).await.expect_problem(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert!(r.headers.get(header::RETRY_AFTER).is_some());
    login_from(&t, "203.0.113.9", "admin", ADMIN_PASSWORD).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn wrong_current_passwords_throttle_password_changes() {
    let t = TestApp::new().await;
    let admin = t.admin().await;
    for _ in 0..5 {
        t.post("/api/v1/auth/password", &admin, json!({"current_password": "wrong-one", "new_password": PASSWORD}))
            .await
            .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "wrong_password");
    }
    let r = t
        .post("/api/v1/auth/password", &admin, json!({"current_password": ADMIN_PASSWORD, "new_password": PASSWORD}))
        .await
        .expect_problem(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert!(r.headers.get(header::RETRY_AFTER).is_some());
    t.clock.advance(chrono::Duration::minutes(15));
    t.post("/api/v1/auth/password", &admin, json!({"current_password": ADMIN_PASSWORD, "new_password": PASSWORD}))
        .await
        .expect(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn logout_all_and_password_change_revoke_sessions_and_the_calendar_feed() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let phone = w.m1.1.clone();
    let username = t.get("/api/v1/me", &phone).await.expect(StatusCode::OK).body["account"]["username"].as_str().unwrap().to_string();
    let feed = |token: &str| format!("/api/v1/me/meetings.ics?token={token}");
    let calendar = t.call(Method::POST, "/api/v1/me/calendar-token", Some(&phone), None).await.expect(StatusCode::CREATED);
    let old_feed = calendar.body["token"].as_str().unwrap().to_string();
    t.call(Method::GET, &feed(&old_feed), None, None).await.expect(StatusCode::OK);

    // A password change keeps the session it was made in and revokes the others and the feed.
    let laptop = t.token(&username, PASSWORD).await;
    t.post("/api/v1/auth/password", &laptop, json!({"current_password": PASSWORD, "new_password": "mat-khau-thu-hai-2026"}))
        .await
        .expect(StatusCode::NO_CONTENT);
    t.get("/api/v1/me", &laptop).await.expect(StatusCode::OK);
    t.get("/api/v1/me", &phone).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    t.call(Method::GET, &feed(&old_feed), None, None).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // Signing out everywhere revokes every session, this one included, and the new feed.
    let calendar = t.call(Method::POST, "/api/v1/me/calendar-token", Some(&laptop), None).await.expect(StatusCode::CREATED);
    let new_feed = calendar.body["token"].as_str().unwrap().to_string();
    t.call(Method::GET, &feed(&new_feed), None, None).await.expect(StatusCode::OK);
    let tablet = t.token(&username, "mat-khau-thu-hai-2026").await;
    t.call(Method::POST, "/api/v1/auth/logout-all", Some(&laptop), None).await.expect(StatusCode::NO_CONTENT);
    for token in [&laptop, &tablet] {
        t.get("/api/v1/me", token).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    t.call(Method::GET, &feed(&new_feed), None, None).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    t.call(Method::POST, "/api/v1/auth/logout-all", Some(&laptop), None).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // Another member's feed is untouched.
    let other = t.call(Method::POST, "/api/v1/me/calendar-token", Some(&w.x1.1), None).await.expect(StatusCode::CREATED);
    t.call(Method::POST, "/api/v1/auth/logout-all", Some(&w.b1.1), None).await.expect(StatusCode::NO_CONTENT);
    t.call(Method::GET, other.body["path"].as_str().unwrap(), None, None).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn malformed_login_bodies() {
    let t = TestApp::new().await;
    let r = t
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "admin"})))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "password");
    assert_eq!(r.body["errors"][0]["code"], "missing");
    let r = t
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": 5, "password": "x"})))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "username");
    assert_eq!(r.body["errors"][0]["code"], "invalid_type");
    let r = t
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "a", "password": "b", "extra": 1})))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "unknown_field");
    let req =
        Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "application/json").body(Body::from("{\"username\": ")).unwrap();
    t.send(req).await.expect_problem(StatusCode::BAD_REQUEST, "malformed_json");
    let req = Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "text/plain").body(Body::from("username=admin")).unwrap();
    t.send(req).await.expect_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let huge = format!("{{\"username\":\"{}\",\"password\":\"x\"}}", "a".repeat(5 * 1024 * 1024));
    let req = Request::post("/api/v1/auth/login").header(header::CONTENT_TYPE, "application/json").body(Body::from(huge)).unwrap();
    t.send(req).await.expect_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn issued_accounts_must_change_the_initial_password() {
    let t = TestApp::new().await;
    let admin = t.admin().await;
    let root = t.root_id(&admin).await;
    let province = t.unit(&admin, &root, "province", "Đảng bộ tỉnh Thái Bình").await;
    let commune = t.unit(&admin, &province, "commune_committee", "Đảng bộ xã Vũ Quý").await;
    let cell = t.unit(&admin, &commune, "cell", "Chi bộ thôn Đông").await;
    let member = t.member(&admin, &cell, 1, "Nguyễn Văn An").await;
    let r = t
        .post(&format!("/api/v1/members/{member}/account"), &admin, json!({"initial_password": "Khoi-tao-2026"}))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(r.body["username"], "20000001", "defaults to the party-card number");
    let login = t.login("20000001", "Khoi-tao-2026").await.expect(StatusCode::OK);
    assert_eq!(login.body["must_change_password"], true);
    let token = login.body["access_token"].as_str().unwrap().to_string();
    t.get("/api/v1/org-units", &token).await.expect_problem(StatusCode::FORBIDDEN, "password_change_required");
    t.get(&format!("/api/v1/members/{member}"), &token).await.expect_problem(StatusCode::FORBIDDEN, "password_change_required");
    let me = t.get("/api/v1/me", &token).await.expect(StatusCode::OK);
    assert_eq!(me.body["account"]["must_change_password"], true);
    assert_eq!(me.body["member"]["citizen_id"], "034185000001");

    t.post("/api/v1/auth/password", &token, json!({"current_password": "wrong", "new_password": PASSWORD}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "wrong_password");
    t.post("/api/v1/auth/password", &token, json!({"current_password": "Khoi-tao-2026", "new_password": "short"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "weak_password");
    t.post("/api/v1/auth/password", &token, json!({"current_password": "Khoi-tao-2026", "new_password": "20000001"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "weak_password");
    t.post("/api/v1/auth/password", &token, json!({"current_password": "Khoi-tao-2026", "new_password": PASSWORD}))
        .await
        .expect(StatusCode::NO_CONTENT);
    t.get("/api/v1/org-units", &token).await.expect(StatusCode::OK);
    t.login("20000001", "Khoi-tao-2026").await.expect(StatusCode::UNAUTHORIZED);
    t.login("20000001", PASSWORD).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn bootstrap_creates_root_and_administrator_once() {
    let t = TestApp::new().await;
    let admin = t.admin().await;
    let me = t.get("/api/v1/me", &admin).await.expect(StatusCode::OK);
    assert_eq!(me.body["account"]["username"], "admin");
    assert!(me.body["member"].is_null());
    assert_eq!(me.body["admin_units"][0]["kind"], "central");
    let again = api::bootstrap::ensure_bootstrap(&t.state.db, &t.state.config, t.now()).await.unwrap();
    assert!(!again, "a second start does not bootstrap again");
    let top = t.get("/api/v1/org-units", &admin).await.expect(StatusCode::OK);
    assert_eq!(top.body.as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------- organisation units

#[tokio::test]
async fn units_create_read_children_and_denials() {
    let t = TestApp::new().await;
    let w = t.world().await;
    // Validation: unknown kind, empty name, too long, kind not allowed under parent.
    let r = t
        .post("/api/v1/org-units", &w.admin, json!({"parent_id": w.c1, "kind": "village", "name": ""}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<_> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert_eq!(fields, ["kind", "name"]);
    t.post("/api/v1/org-units", &w.admin, json!({"parent_id": w.c1, "kind": "cell", "name": "x".repeat(201)}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post("/api/v1/org-units", &w.admin, json!({"parent_id": w.a, "kind": "province", "name": "Sai"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "kind_not_allowed");
    t.post("/api/v1/org-units", &w.admin, json!({"parent_id": uuid_zero(), "kind": "cell", "name": "Không có"}))
        .await
        .expect_problem(StatusCode::NOT_FOUND, "not_found");

    // A cell secretary may create a party group in the cell, not a cell in the commune.
    let group = t
        .post("/api/v1/org-units", &w.sec.1, json!({"parent_id": w.a, "kind": "party_group", "name": "  Tổ đảng   số 1 "}))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(group.body["name"], "Tổ đảng số 1");
    assert_eq!(group.body["depth"], 4);
    t.post("/api/v1/org-units", &w.sec.1, json!({"parent_id": w.c1, "kind": "cell", "name": "Chi bộ mới"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post("/api/v1/org-units", &w.m1.1, json!({"parent_id": w.a, "kind": "party_group", "name": "Tổ 2"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post("/api/v1/org-units", &w.com.1, json!({"parent_id": w.a, "kind": "party_group", "name": "Tổ 2"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post("/api/v1/org-units", &w.padm.1, json!({"parent_id": w.c1, "kind": "cell", "name": "Chi bộ mới"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post("/api/v1/org-units", &w.padm.1, json!({"parent_id": w.c2, "kind": "cell", "name": "Chi bộ mới"}))
        .await
        .expect(StatusCode::CREATED);

    // Reading: own chain yes, sibling cell and other commune no.
    let detail = t.get(&format!("/api/v1/org-units/{}", w.a), &w.m1.1).await.expect(StatusCode::OK);
    let ancestors: Vec<_> = detail.body["ancestors"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ancestors, [w.root.clone(), w.province.clone(), w.c1.clone()]);
    t.get(&format!("/api/v1/org-units/{}", w.c1), &w.m1.1).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/org-units/{}", w.b), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}", w.x), &w.sec.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}", w.x), &w.padm.1).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/org-units/{}", w.a), &w.padm.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get("/api/v1/org-units/not-a-uuid", &w.admin).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_path");

    // Children are filtered: a member of A sees only A among C1's cells; the commune secretary both.
    let names =
        |r: crate::common::Reply| r.body.as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(t.get(&format!("/api/v1/org-units/{}/children", w.c1), &w.m1.1).await.expect(StatusCode::OK)), vec![w.a.clone()]);
    assert_eq!(names(t.get(&format!("/api/v1/org-units/{}/children", w.c1), &w.csec.1).await.expect(StatusCode::OK)).len(), 2);
    t.get(&format!("/api/v1/org-units/{}/children", w.c2), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");

    // Top units of each caller's scope.
    assert_eq!(names(t.get("/api/v1/org-units", &w.m1.1).await.expect(StatusCode::OK)), vec![w.a.clone()]);
    assert_eq!(
        names(t.get("/api/v1/org-units", &w.csec.1).await.expect(StatusCode::OK)),
        vec![w.c1.clone()],
        "C1 covers the member's own cell A"
    );
    assert_eq!(names(t.get("/api/v1/org-units", &w.padm.1).await.expect(StatusCode::OK)), vec![w.c2.clone()]);
}

fn uuid_zero() -> String {
    "00000000-0000-7000-8000-000000000000".to_string()
}

#[tokio::test]
async fn moving_a_unit_is_effective_dated_and_keeps_history() {
    let t = TestApp::new().await;
    let admin = t.admin().await;
    let root = t.root_id(&admin).await;
    let province = t.unit(&admin, &root, "province", "Đảng bộ tỉnh Thái Bình").await;
    let district = t.unit(&admin, &province, "district", "Đảng bộ huyện Kiến Xương").await;
    let commune = t.unit(&admin, &district, "commune_committee", "Đảng bộ xã Vũ Quý").await;
    let cell = t.unit(&admin, &commune, "cell", "Chi bộ thôn Đông").await;
    let today = t.today();

    let move_path = format!("/api/v1/org-units/{commune}/move");
    let mv = |body| t.post(&move_path, &admin, body);
    mv(json!({"new_parent_id": cell, "effective_on": today})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "move_cycle");
    let cell2 = t.unit(&admin, &commune, "cell", "Chi bộ thôn Tây").await;
    t.post(&format!("/api/v1/org-units/{cell}/move"), &admin, json!({"new_parent_id": cell2, "effective_on": today}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "kind_not_allowed");
    mv(json!({"new_parent_id": district, "effective_on": today})).await.expect_problem(StatusCode::CONFLICT, "same_parent");
    mv(json!({"new_parent_id": province, "effective_on": today + chrono::Duration::days(30)}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "effective_date_in_future");
    mv(json!({"new_parent_id": province, "effective_on": "2025-13-01"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // The unit was created today, so a past effective date precedes its current link.
    mv(json!({"new_parent_id": province, "effective_on": "2025-07-01"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "before_current_link");
    t.post(&format!("/api/v1/org-units/{root}/move"), &admin, json!({"new_parent_id": province, "effective_on": today}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "cannot_move_root");

    // Back-date the current links to model the pre-reform tree, then move on 2025-07-01.
    t.state.db.execute_unprepared("UPDATE org_units SET parent_since = '2020-01-01'").await.unwrap();
    t.state.db.execute_unprepared("UPDATE org_unit_links SET valid_from = '2020-01-01'").await.unwrap();
    let moved = mv(json!({"new_parent_id": province, "effective_on": "2025-07-01"})).await.expect(StatusCode::OK);
    assert_eq!(moved.body["parent_id"], province.as_str());
    assert_eq!(moved.body["depth"], 2);
    let cell_now = t.get(&format!("/api/v1/org-units/{cell}"), &admin).await.expect(StatusCode::OK);
    assert_eq!(cell_now.body["depth"], 3);
    assert_eq!(cell_now.body["ancestors"].as_array().unwrap().len(), 3);

    let before = t.get(&format!("/api/v1/org-units/{commune}/parents?on=2025-06-30"), &admin).await.expect(StatusCode::OK);
    assert_eq!(before.body[0]["parent"]["id"], district.as_str());
    let after = t.get(&format!("/api/v1/org-units/{commune}/parents?on=2025-07-01"), &admin).await.expect(StatusCode::OK);
    assert_eq!(after.body[0]["parent"]["id"], province.as_str());
    let all = t.get(&format!("/api/v1/org-units/{commune}/parents"), &admin).await.expect(StatusCode::OK);
    assert_eq!(all.body.as_array().unwrap().len(), 2);
    assert_eq!(all.body[0]["valid_until"], "2025-07-01");
    t.get(&format!("/api/v1/org-units/{commune}/parents?on=yesterday"), &admin)
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn moving_needs_structure_rights_on_both_sides() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let today = t.today();
    t.state.db.execute_unprepared("UPDATE org_units SET parent_since = '2020-01-01'").await.unwrap();
    // The C1 secretary manages C1 but not C2: cannot move A under C2, nor X under C1.
    t.post(&format!("/api/v1/org-units/{}/move", w.a), &w.csec.1, json!({"new_parent_id": w.c2, "effective_on": today}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/org-units/{}/move", w.x), &w.csec.1, json!({"new_parent_id": w.c1, "effective_on": today}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/org-units/{}/move", w.a), &w.sec.1, json!({"new_parent_id": w.c1, "effective_on": today}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/org-units/{}/move", w.a), &w.admin, json!({"new_parent_id": w.c2, "effective_on": today}))
        .await
        .expect(StatusCode::OK);
}

// ---------------------------------------------------------------- members

#[tokio::test]
async fn creating_members_normalises_and_validates() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let path = format!("/api/v1/org-units/{}/members", w.a);
    let mut body = member_body(100, "  Nguye\u{0302}\u{0303}n   Thị  Hoa ");
    body["email"] = json!("Hoa.Nguyen@Example.VN");
    let r = t.post(&path, &w.sec.1, body).await.expect(StatusCode::CREATED);
    assert_eq!(r.body["full_name"], "Nguyễn Thị Hoa", "NFC, trimmed, collapsed");
    assert_eq!(r.body["phone"], "0912345678");
    assert_eq!(r.body["email"], "Hoa.Nguyen@example.vn");
    assert_eq!(r.body["standing"], "official");
    assert!(r.headers.get(header::LOCATION).unwrap().to_str().unwrap().ends_with(&r.id()));

    // Every bad field is listed at once.
    let bad = json!({"full_name": "", "date_of_birth": "1985-04-12", "sex": "x", "admitted_on": "2010-05-19", "citizen_id": "12345", "phone": "123", "email": "nope", "party_card_number": "12"});
    let r = t.post(&path, &w.sec.1, bad).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields: Vec<_> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    fields.sort();
    assert_eq!(fields, ["citizen_id", "email", "full_name", "party_card_number", "phone", "sex"]);
    let r = t.post(&path, &w.sec.1, json!({"full_name": "A"})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "missing");
    t.post(&path, &w.sec.1, json!({"full_name": "Nguyễn Văn Bé", "date_of_birth": "2000-01-01", "sex": "male", "admitted_on": "2017-12-31", "citizen_id": "034200000777"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = t
        .post(&path, &w.sec.1, json!({"full_name": "Nguyễn Văn Bé", "date_of_birth": "2000-01-01", "sex": "male", "admitted_on": "2020-01-01", "official_on": "2020-06-01", "citizen_id": "034200000778"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "official_on");
    assert_eq!(r.body["errors"][0]["code"], "probation_not_complete");

    // Duplicates.
    let mut same_cccd = member_body(100, "Người Khác");
    same_cccd["party_card_number"] = json!("29999999");
    t.post(&path, &w.sec.1, same_cccd).await.expect_problem(StatusCode::CONFLICT, "duplicate_citizen_id");
    let mut same_card = member_body(101, "Người Khác");
    same_card["party_card_number"] = json!("20000100");
    t.post(&path, &w.sec.1, same_card).await.expect_problem(StatusCode::CONFLICT, "duplicate_party_card_number");

    // Only cells hold members; only leaders over the cell create them.
    t.post(&format!("/api/v1/org-units/{}/members", w.c1), &w.admin, member_body(102, "Ở Xã"))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "unit_cannot_hold_members");
    t.post(&path, &w.m1.1, member_body(103, "Không Quyền")).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&path, &w.com.1, member_body(103, "Không Quyền")).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/org-units/{}/members", w.b), &w.sec.1, member_body(103, "Không Quyền"))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&path, &w.padm.1, member_body(103, "Không Quyền")).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&path, &w.dep.1, member_body(103, "Phó Tạo")).await.expect(StatusCode::CREATED);
    t.post(&path, &w.csec.1, member_body(104, "Xã Tạo")).await.expect(StatusCode::CREATED);
}

#[tokio::test]
async fn rosters_page_by_cursor_and_hide_private_fields_from_colleagues() {
    let t = TestApp::new().await;
    let w = t.world().await;
    for n in 200..207 {
        t.member(&w.admin, &w.a, n, "Thành Viên").await;
    }
    // 5 world members + 7 = 12 in A.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/org-units/{}/members?limit=5&cursor={c}", w.a),
            None => format!("/api/v1/org-units/{}/members?limit=5", w.a),
        };
        let page = t.get(&url, &w.sec.1).await.expect(StatusCode::OK);
        for item in page.body["items"].as_array().unwrap() {
            assert_eq!(item["view"], "full");
            assert!(item["citizen_id"].is_string());
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 12);
    let mut dedup = seen.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), 12, "no member twice across pages");

    // A plain member sees names and positions only, but their own record in full.
    let page = t.get(&format!("/api/v1/org-units/{}/members?limit=200", w.a), &w.m1.1).await.expect(StatusCode::OK);
    for item in page.body["items"].as_array().unwrap() {
        if item["id"] == w.m1.0.as_str() {
            assert_eq!(item["view"], "full");
        } else {
            assert_eq!(item["view"], "basic");
            assert!(item.get("citizen_id").is_none() && item.get("date_of_birth").is_none() && item.get("phone").is_none());
        }
    }
    let secretary = page.body["items"].as_array().unwrap().iter().find(|i| i["id"] == w.sec.0.as_str()).unwrap();
    assert_eq!(secretary["positions"][0]["role"], "secretary");
    insta::assert_json_snapshot!("basic_member_view", secretary, {".id" => "[id]", ".unit_id" => "[id]", ".positions[].id" => "[id]", ".positions[].unit_id" => "[id]", ".positions[].member_id" => "[id]"});

    // Subtree listing for the commune secretary; denied to a cell secretary on the commune.
    let subtree =
        t.get(&format!("/api/v1/org-units/{}/members?include_subtree=true&limit=200", w.c1), &w.csec.1).await.expect(StatusCode::OK);
    assert_eq!(subtree.body["items"].as_array().unwrap().len(), 13, "12 in A + 1 in B");
    t.get(&format!("/api/v1/org-units/{}/members?include_subtree=true", w.c1), &w.sec.1)
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}/members", w.b), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}/members", w.x), &w.csec.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}/members?include_subtree=true", w.c2), &w.padm.1).await.expect(StatusCode::OK);

    // Bad query parameters.
    for q in ["limit=0", "limit=201", "limit=x", "status=ghost", "cursor=%%%", "cursor=abc", "unknown=1"] {
        t.get(&format!("/api/v1/org-units/{}/members?{q}", w.a), &w.sec.1).await.expect(StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn member_records_and_contact_edits() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let url = format!("/api/v1/members/{}", w.m1.0);
    let full = t.get(&url, &w.com.1).await.expect(StatusCode::OK);
    assert_eq!(full.body["view"], "full");
    assert_eq!(full.headers.get(header::ETAG).unwrap(), "\"1\"");
    let basic = t.get(&url, &w.dep.1).await.expect(StatusCode::OK);
    assert_eq!(basic.body["view"], "full", "deputies are leaders");
    let colleague = t.get(&format!("/api/v1/members/{}", w.sec.0), &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(colleague.body["view"], "basic");
    assert!(colleague.headers.get(header::ETAG).is_none());
    t.get(&url, &w.b1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&url, &w.x1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&url, &w.padm.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/members/{}", uuid_zero()), &w.admin).await.expect_problem(StatusCode::NOT_FOUND, "not_found");

    // The member edits their own phone; If-Match guards lost updates.
    let patch = |token: &str, body: serde_json::Value, if_match: Option<&str>| {
        let mut req = Request::patch(url.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(v) = if_match {
            req = req.header(header::IF_MATCH, v);
        }
        t.send(req.body(Body::from(body.to_string())).unwrap())
    };
    let r = patch(&w.m1.1, json!({"phone": "+84 987 654 321"}), Some("\"1\"")).await.expect(StatusCode::OK);
    assert_eq!(r.body["phone"], "0987654321");
    assert_eq!(r.headers.get(header::ETAG).unwrap(), "\"2\"");
    patch(&w.m1.1, json!({"phone": "0911111111"}), Some("\"1\""))
        .await
        .expect_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    patch(&w.m1.1, json!({"phone": "12"}), Some("\"2\"")).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    patch(&w.m1.1, json!({"citizen_id": "034185999999"}), Some("\"2\""))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = patch(&w.sec.1, json!({"email": "mot@example.vn", "phone": null}), Some("\"2\"")).await.expect(StatusCode::OK);
    assert_eq!(r.body["email"], "mot@example.vn");
    assert!(r.body.get("phone").is_none(), "null clears the phone");
    patch(&w.dep.1, json!({"email": null}), Some("\"3\"")).await.expect(StatusCode::OK);
    patch(&w.com.1, json!({"email": "x@example.vn"}), Some("\"4\"")).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    // Those who may not edit learn nothing about versions: a stale tag is a 403 too.
    patch(&w.b1.1, json!({"email": "x@example.vn"}), Some("\"1\"")).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let r = t.get(&url, &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(r.body["version"], 4);
}

#[tokio::test]
async fn openapi_documents_the_if_match_rule() {
    let t = TestApp::new().await;
    let spec = t.call(Method::GET, "/api/v1/openapi.json", None, None).await.expect(StatusCode::OK).body;
    for path in ["/api/v1/members/{id}", "/api/v1/documents/{id}", "/api/v1/meetings/{id}", "/api/v1/tasks/{id}"] {
        let patch = &spec["paths"][path]["patch"];
        let if_match = patch["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "If-Match").expect(path);
        assert_eq!((if_match["in"].as_str(), if_match["required"].as_bool()), (Some("header"), Some(true)), "{path}");
        for status in ["400", "412", "428"] {
            assert!(patch["responses"][status]["content"]["application/problem+json"].is_object(), "{path} {status}");
        }
        assert!(patch["responses"]["200"]["headers"]["ETag"].is_object(), "{path}: PATCH 200 documents its ETag");
        assert!(spec["paths"][path]["get"]["responses"]["200"]["headers"]["ETag"].is_object(), "{path}: GET 200 documents its ETag");
    }
}

#[tokio::test]
async fn member_edits_follow_the_if_match_rule() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let url = format!("/api/v1/members/{}", w.m1.0);
    t.check_if_match_rule(
        &url,
        &w.sec.1,
        (json!({"phone": "0911111111"}), "/phone", json!("0911111111")),
        (json!({"email": "mot@example.vn"}), "/email", json!("mot@example.vn")),
    )
    .await;
    // The member themself, from the ETag of their own read.
    let tag = t.get(&url, &w.m1.1).await.expect(StatusCode::OK).headers[header::ETAG].to_str().unwrap().to_string();
    let r = t.patch(&url, &w.m1.1, Some(&tag), json!({"phone": "0987654321"})).await.expect(StatusCode::OK);
    assert_eq!(r.headers[header::ETAG], "\"4\"");
}

// ---------------------------------------------------------------- lifecycle

fn decision() -> serde_json::Value {
    json!({"number": "125-QĐ/ĐU", "date": "2025-06-01", "issuer": "Ban Thường vụ Đảng ủy xã Vũ Quý"})
}

#[tokio::test]
async fn lifecycle_events_follow_the_state_machine() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let today = t.today();
    let year_ago = today - chrono::Duration::days(370);
    // A probationary member admitted a little over a year ago.
    let body = json!({"full_name": "Bùi Văn Mới", "date_of_birth": "1998-03-03", "sex": "nam", "admitted_on": year_ago, "citizen_id": "034098000555"});
    let newbie = t.post(&format!("/api/v1/org-units/{}/members", w.a), &w.sec.1, body).await.expect(StatusCode::CREATED);
    assert_eq!(newbie.body["standing"], "probationary");
    assert!(newbie.body.get("party_card_number").is_none());
    let events = format!("/api/v1/members/{}/events", newbie.id());

    let early = year_ago + chrono::Duration::days(100);
    t.post(&events, &w.sec.1, json!({"type": "recognize_official", "effective_on": early, "decision": decision()}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "probation_not_complete");
    let r = t
        .post(&events, &w.sec.1, json!({"type": "recognize_official", "effective_on": today}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "decision");
    t.post(&events, &w.sec.1, json!({"type": "promote", "effective_on": today, "decision": decision()}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&events, &w.sec.1, json!({"type": "exempt", "effective_on": today + chrono::Duration::days(3), "decision": decision()}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "effective_date_in_future");
    let bad_decision = json!({"number": " ", "date": today + chrono::Duration::days(1), "issuer": ""});
    let r = t
        .post(&events, &w.sec.1, json!({"type": "exempt", "effective_on": today, "decision": bad_decision}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 3);

    // Denials: a plain member, a committee member, a leader of another cell.
    for token in [&w.m1.1, &w.com.1, &w.x1.1, &w.padm.1] {
        t.post(&events, token, json!({"type": "recognize_official", "effective_on": today, "decision": decision()}))
            .await
            .expect(StatusCode::FORBIDDEN);
    }
    let r = t
        .post(&events, &w.sec.1, json!({"type": "recognize_official", "effective_on": today, "decision": decision()}))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(r.body["type"], "recognize_official");
    t.post(&events, &w.sec.1, json!({"type": "recognize_official", "effective_on": today, "decision": decision()}))
        .await
        .expect_problem(StatusCode::CONFLICT, "not_probationary");
    let m = t.get(&format!("/api/v1/members/{}", newbie.id()), &w.sec.1).await.expect(StatusCode::OK);
    assert_eq!(m.body["standing"], "official");
    assert_eq!(m.body["official_on"], today.to_string());

    // Transfers: the cell secretary cannot move a member into a cell they do not manage; the
    // commune secretary can move between the commune's cells.
    let member_events = format!("/api/v1/members/{}/events", w.m1.0);
    t.post(&member_events, &w.sec.1, json!({"type": "transfer", "effective_on": today, "to_unit_id": w.b, "decision": decision()}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&member_events, &w.csec.1, json!({"type": "transfer", "effective_on": today, "decision": decision()}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&member_events, &w.csec.1, json!({"type": "transfer", "effective_on": today, "to_unit_id": w.c1, "decision": decision()}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "unit_cannot_hold_members");
    t.post(&member_events, &w.csec.1, json!({"type": "transfer", "effective_on": today, "to_unit_id": w.a, "decision": decision()}))
        .await
        .expect_problem(StatusCode::CONFLICT, "same_unit");
    t.post(
        &member_events,
        &w.csec.1,
        json!({"type": "temporary_transfer", "effective_on": today, "to_unit_id": w.b, "decision": decision()}),
    )
    .await
    .expect(StatusCode::CREATED);
    t.post(&member_events, &w.csec.1, json!({"type": "transfer", "effective_on": today, "to_unit_id": w.b, "decision": decision()}))
        .await
        .expect_problem(StatusCode::CONFLICT, "temporarily_transferred");
    // Listed in the host cell as temporary, still in the home roster.
    let host = t.get(&format!("/api/v1/org-units/{}/members", w.b), &w.csec.1).await.expect(StatusCode::OK);
    let guest = host.body["items"].as_array().unwrap().iter().find(|i| i["id"] == w.m1.0.as_str()).expect("listed in host cell");
    assert_eq!(guest["temporary_unit_id"], w.b.as_str());
    assert_eq!(guest["unit_id"], w.a.as_str());
    t.post(&member_events, &w.csec.1, json!({"type": "end_temporary_transfer", "effective_on": today, "decision": decision()}))
        .await
        .expect(StatusCode::CREATED);
    t.post(&member_events, &w.csec.1, json!({"type": "transfer", "effective_on": today, "to_unit_id": w.b, "decision": decision()}))
        .await
        .expect(StatusCode::CREATED);
    let moved = t.get(&format!("/api/v1/members/{}", w.m1.0), &w.csec.1).await.expect(StatusCode::OK);
    assert_eq!(moved.body["unit_id"], w.b.as_str());
    // The old cell's secretary no longer manages or sees the member's private record.
    t.get(&format!("/api/v1/members/{}", w.m1.0), &w.sec.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");

    // History, oldest first.
    let history = t.get(&member_events, &w.csec.1).await.expect(StatusCode::OK);
    let types: Vec<_> = history.body.as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(types, ["admit", "temporary_transfer", "end_temporary_transfer", "transfer"]);
    assert_eq!(history.body[1]["decision"]["number"], "125-QĐ/ĐU");
    t.get(&member_events, &w.b1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&member_events, &w.m1.1).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn leaving_the_party_ends_positions_and_freezes_the_record() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let today = t.today();
    let events = format!("/api/v1/members/{}/events", w.com.0);
    // Events about the holder of a position need the right to appoint to it: the cell secretary
    // cannot record them about the cell's committee member, the commune secretary can.
    t.post(&events, &w.sec.1, json!({"type": "exempt", "effective_on": today, "decision": decision()}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "acting_on_superior");
    t.post(&events, &w.csec.1, json!({"type": "exempt", "effective_on": today, "decision": decision()})).await.expect(StatusCode::CREATED);
    t.post(&events, &w.csec.1, json!({"type": "exempt", "effective_on": today, "decision": decision()}))
        .await
        .expect_problem(StatusCode::CONFLICT, "already_exempt");
    t.post(&events, &w.sec.1, json!({"type": "decease", "effective_on": today, "note": "Từ trần"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "acting_on_superior");
    t.post(&events, &w.csec.1, json!({"type": "decease", "effective_on": today, "note": "Từ trần"})).await.expect(StatusCode::CREATED);
    for kind in ["end_exemption", "remove", "expel", "recognize_official"] {
        t.post(&events, &w.csec.1, json!({"type": kind, "effective_on": today, "decision": decision()}))
            .await
            .expect_problem(StatusCode::CONFLICT, "member_not_active");
    }
    let positions = t.get(&format!("/api/v1/org-units/{}/positions?include_ended=true", w.a), &w.sec.1).await.expect(StatusCode::OK);
    let committee = positions.body.as_array().unwrap().iter().find(|p| p["member_id"] == w.com.0.as_str()).unwrap();
    assert_eq!(committee["to"], today.pred_opt().unwrap().to_string(), "last day in office: the day before");
    let active = t.get(&format!("/api/v1/org-units/{}/members", w.a), &w.sec.1).await.expect(StatusCode::OK);
    assert!(active.body["items"].as_array().unwrap().iter().all(|i| i["id"] != w.com.0.as_str()), "no longer in the active roster");
    let deceased = t.get(&format!("/api/v1/org-units/{}/members?status=deceased", w.a), &w.sec.1).await.expect(StatusCode::OK);
    assert_eq!(deceased.body["items"].as_array().unwrap().len(), 1);
    // The deceased member's session stops working at once, and the account no longer signs in.
    t.get(&format!("/api/v1/org-units/{}/members", w.a), &w.com.1).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    t.login("com", PASSWORD).await.expect_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
}

// ---------------------------------------------------------------- positions

#[tokio::test]
async fn positions_are_appointed_from_above_and_unique() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let b_positions = format!("/api/v1/org-units/{}/positions", w.b);
    // The commune secretary appoints in cell B; a cell secretary cannot appoint in their own cell.
    let r = t
        .post(&b_positions, &w.csec.1, json!({"member_id": w.b1.0, "role": "secretary", "from": "2025-03-01"}))
        .await
        .expect(StatusCode::CREATED);
    let position_id = r.id();
    t.position(&w.sec.1, &w.a, &w.m1.0, "committee_member").await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.position(&w.m1.1, &w.a, &w.m1.0, "committee_member").await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.position(&w.padm.1, &w.a, &w.m1.0, "committee_member").await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    // One active secretary per unit; the same person twice; a member from elsewhere.
    t.position(&w.csec.1, &w.a, &w.m1.0, "secretary").await.expect_problem(StatusCode::CONFLICT, "position_taken");
    t.position(&w.csec.1, &w.a, &w.com.0, "committee_member").await.expect_problem(StatusCode::CONFLICT, "position_already_held");
    t.position(&w.admin, &w.a, &w.x1.0, "committee_member").await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "member_outside_unit");
    t.position(&w.csec.1, &w.a, &w.m1.0, "chairman").await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.position(&w.csec.1, &w.a, &uuid_zero(), "committee_member")
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let today = t.today();
    let body = json!({"full_name": "Bùi Văn Mới", "date_of_birth": "1998-03-03", "sex": "nam", "admitted_on": today - chrono::Duration::days(30), "citizen_id": "034098000556"});
    let newbie = t.post(&format!("/api/v1/org-units/{}/members", w.a), &w.sec.1, body).await.expect(StatusCode::CREATED).id();
    t.position(&w.csec.1, &w.a, &newbie, "committee_member").await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "member_not_official");

    // Ending: only from above; then the role is free again.
    let end = format!("/api/v1/positions/{position_id}/end");
    t.post(&end, &w.b1.1, json!({})).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&end, &w.csec.1, json!({"to": "2020-01-01"})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "end_before_start");
    let ended = t.post(&end, &w.csec.1, json!({})).await.expect(StatusCode::OK);
    assert_eq!(ended.body["to"], today.to_string());
    t.post(&end, &w.csec.1, json!({})).await.expect_problem(StatusCode::CONFLICT, "position_already_ended");
    let tomorrow = today + chrono::Duration::days(1);
    t.post(&b_positions, &w.csec.1, json!({"member_id": w.b1.0, "role": "secretary", "from": tomorrow})).await.expect(StatusCode::CREATED);

    let listed = t.get(&format!("/api/v1/org-units/{}/positions", w.a), &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(listed.body.as_array().unwrap().len(), 3);
    t.get(&format!("/api/v1/org-units/{}/positions", w.x), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
}

// ---------------------------------------------------------------- accounts and admin grants

#[tokio::test]
async fn accounts_are_issued_by_leaders_once_per_member() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let member = t.member(&w.admin, &w.a, 300, "Đặng Thị Mới").await;
    let url = format!("/api/v1/members/{member}/account");
    for token in [&w.m1.1, &w.com.1, &w.x1.1, &w.padm.1] {
        t.post(&url, token, json!({"initial_password": "Khoi-tao-2026"})).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    t.post(&url, &w.sec.1, json!({"username": "sec", "initial_password": "Khoi-tao-2026"}))
        .await
        .expect_problem(StatusCode::CONFLICT, "username_taken");
    t.post(&url, &w.sec.1, json!({"username": "Đặng", "initial_password": "Khoi-tao-2026"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&url, &w.sec.1, json!({"initial_password": "123"})).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = t.post(&url, &w.sec.1, json!({"initial_password": "Khoi-tao-2026"})).await.expect(StatusCode::CREATED);
    assert_eq!(r.body["must_change_password"], true);
    t.post(&url, &w.dep.1, json!({"username": "khac", "initial_password": "Khoi-tao-2026"}))
        .await
        .expect_problem(StatusCode::CONFLICT, "account_exists");
}

#[tokio::test]
async fn administrator_grants_are_scoped() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let me = t.get("/api/v1/me", &w.x1.1).await.expect(StatusCode::OK);
    let x1_account = me.body["account"]["id"].as_str().unwrap().to_string();
    // padm administers C2 only: may grant within C2, not in C1; a secretary may not grant at all.
    t.post(&format!("/api/v1/org-units/{}/admin-grants", w.c1), &w.padm.1, json!({"account_id": x1_account}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/org-units/{}/admin-grants", w.a), &w.csec.1, json!({"account_id": x1_account}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/org-units/{}/admin-grants", w.x), &w.padm.1, json!({"account_id": uuid_zero()}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let grant = t
        .post(&format!("/api/v1/org-units/{}/admin-grants", w.x), &w.padm.1, json!({"account_id": x1_account}))
        .await
        .expect(StatusCode::CREATED);
    // The new grant takes effect: x1 now reads X's full roster.
    let view_of_padm = |r: crate::common::Reply| {
        r.body["items"].as_array().unwrap().iter().find(|i| i["id"] == w.padm.0.as_str()).unwrap()["view"].clone()
    };
    let roster = t.get(&format!("/api/v1/org-units/{}/members", w.x), &w.x1.1).await.expect(StatusCode::OK);
    assert_eq!(view_of_padm(roster), "full");
    let listed = t.get(&format!("/api/v1/org-units/{}/admin-grants", w.x), &w.padm.1).await.expect(StatusCode::OK);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    t.get(&format!("/api/v1/org-units/{}/admin-grants", w.x), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let revoke = format!("/api/v1/admin-grants/{}/revoke", grant.id());
    t.call(Method::POST, &revoke, Some(&w.csec.1), None).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.call(Method::POST, &revoke, Some(&w.padm.1), None).await.expect(StatusCode::OK);
    t.call(Method::POST, &revoke, Some(&w.padm.1), None).await.expect_problem(StatusCode::CONFLICT, "already_revoked");
    let roster = t.get(&format!("/api/v1/org-units/{}/members", w.x), &w.x1.1).await.expect(StatusCode::OK);
    assert_eq!(view_of_padm(roster), "basic", "revoked: back to a plain member's view");
}

// ---------------------------------------------------------------- import and audit

async fn import(t: &TestApp, token: &str, cell: &str, csv: &str) -> crate::common::Reply {
    let req = Request::post(format!("/api/v1/org-units/{cell}/members/import"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .body(Body::from(csv.to_string()))
        .unwrap();
    t.send(req).await
}

async fn roster_size(t: &TestApp, token: &str, cell: &str) -> usize {
    t.get(&format!("/api/v1/org-units/{cell}/members?status=all&limit=200"), token).await.expect(StatusCode::OK).body["items"]
        .as_array()
        .unwrap()
        .len()
}

const HEADER: &str = "full_name,date_of_birth,sex,admitted_on,official_on,party_card_number,citizen_id,phone,email";

#[tokio::test]
async fn csv_import_is_all_or_nothing() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let before = roster_size(&t, &w.csec.1, &w.b).await;
    let bad = format!(
        "{HEADER}\n\
         Nguyễn Văn Một,1980-01-01,male,2005-01-01,2006-01-01,30000001,034080100001,0912000001,\n\
         ,1980-01-01,male,2005-01-01,,,034080100002,,\n\
         Trần Thị Ba,1980-13-01,female,2005-01-01,,,034080100003,,\n\
         Lê Văn Bốn,1980-01-01,male,2005-01-01,,30000001,034080100004,,\n\
         Phạm Văn Năm,1980-01-01,male,2005-01-01,,,034080100001,,\n\
         Hoàng Văn Sáu,1980-01-01,male,2005-01-01,,,{},,\n",
        "034185000001" // already stored (sec's CCCD)
    );
    let r = import(&t, &w.csec.1, &w.b, &bad).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let errors: Vec<(u64, String, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        errors,
        [
            (3, "full_name".into(), "empty".into()),
            (4, "date_of_birth".into(), "invalid_format".into()),
            (5, "party_card_number".into(), "duplicate".into()),
            (6, "citizen_id".into(), "duplicate".into()),
            (7, "citizen_id".into(), "duplicate".into()),
        ]
    );
    assert_eq!(roster_size(&t, &w.csec.1, &w.b).await, before, "nothing written");

    let good = format!(
        "\u{feff}{HEADER}\nNguyễn Văn Một,1980-01-01,male,2005-01-01,2006-01-01,30000001,034080100001,0912000001,\nTrần Thị Hai,1990-02-02,nữ,2024-01-01,,,034190100002,,hai@example.vn\n"
    );
    let r = import(&t, &w.csec.1, &w.b, &good).await.expect(StatusCode::CREATED);
    assert_eq!(r.body["imported"], 2);
    assert_eq!(roster_size(&t, &w.csec.1, &w.b).await, before + 2);
    // Importing the same file again: every row is now a duplicate of a stored member.
    let r = import(&t, &w.csec.1, &w.b, &good).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 3);

    // Header problems, content type, permissions, non-cells.
    import(&t, &w.csec.1, &w.b, "full_name,nickname\nA,B\n").await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    import(&t, &w.csec.1, &w.b, &format!("{HEADER}\n")).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "empty_import");
    import(&t, &w.csec.1, &w.b, &format!("{HEADER}\na,b\n")).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    import(&t, &w.sec.1, &w.b, &good).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    import(&t, &w.b1.1, &w.b, &good).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    import(&t, &w.admin, &w.c1, &good).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "unit_cannot_hold_members");
    let req = Request::post(format!("/api/v1/org-units/{}/members/import", w.b))
        .header(header::AUTHORIZATION, format!("Bearer {}", w.csec.1))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    t.send(req).await.expect_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let latin1 = b"full_name\n\xff\xfe\n".to_vec();
    let req = Request::post(format!("/api/v1/org-units/{}/members/import", w.b))
        .header(header::AUTHORIZATION, format!("Bearer {}", w.csec.1))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(latin1))
        .unwrap();
    t.send(req).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_encoding");
}

#[tokio::test]
async fn audit_log_records_privileged_actions_for_administrators_only() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let member = t.member(&w.sec.1, &w.a, 400, "Kiểm Toán").await;
    let log = t.get(&format!("/api/v1/audit?unit_id={}&limit=200", w.root), &w.admin).await.expect(StatusCode::OK);
    let items = log.body["items"].as_array().unwrap();
    let created = items.iter().find(|i| i["action"] == "member.create" && i["target_id"] == member.as_str()).expect("audited");
    assert_eq!(created["unit_id"], w.a.as_str());
    let sec_account = t.get("/api/v1/me", &w.sec.1).await.body["account"]["id"].clone();
    assert_eq!(created["actor_account_id"], sec_account);
    for action in ["system.bootstrap", "org_unit.create", "account.create", "position.create", "admin_grant.create"] {
        assert!(items.iter().any(|i| i["action"] == action), "{action} audited");
    }
    // Newest first, with a working cursor.
    let first = t.get(&format!("/api/v1/audit?unit_id={}&limit=2", w.root), &w.admin).await.expect(StatusCode::OK);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let second = t.get(&format!("/api/v1/audit?unit_id={}&limit=2&cursor={cursor}", w.root), &w.admin).await.expect(StatusCode::OK);
    assert!(first.body["items"][1]["id"].as_str().unwrap() > second.body["items"][0]["id"].as_str().unwrap());

    // Scoped: padm (C2) sees C2's records only, and not C1's; leaders never.
    let c2_log = t.get("/api/v1/audit?limit=200", &w.padm.1).await.expect(StatusCode::OK);
    assert!(c2_log.body["items"].as_array().unwrap().iter().all(|i| i["unit_id"] == w.c2.as_str() || i["unit_id"] == w.x.as_str()));
    assert!(!c2_log.body["items"].as_array().unwrap().is_empty());
    t.get(&format!("/api/v1/audit?unit_id={}", w.c1), &w.padm.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/audit?unit_id={}", w.a), &w.sec.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get("/api/v1/audit", &w.csec.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn validation_problem_snapshot() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let req = Request::post(format!("/api/v1/org-units/{}/members", w.a))
        .header(header::AUTHORIZATION, format!("Bearer {}", w.sec.1))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::from(
            json!({"full_name": "Lê 3", "date_of_birth": "1985-04-12", "sex": "female", "admitted_on": "2010-05-19", "citizen_id": "999"})
                .to_string(),
        ))
        .unwrap();
    let r = t.send(req).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    insta::assert_json_snapshot!("validation_problem_en", r.body);
}

#[tokio::test]
async fn scope_rules_found_in_review() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let today = t.today();
    // A cell secretary cannot issue an account to a member who holds a position above the cell.
    let boss = t.member(&w.admin, &w.a, 500, "Lê Văn Huyện").await;
    t.position(&w.admin, &w.c1, &boss, "deputy_secretary").await.expect(StatusCode::CREATED);
    t.post(&format!("/api/v1/members/{boss}/account"), &w.sec.1, json!({"username": "pho.bi.thu", "initial_password": "Khoi-tao-2026"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "acting_on_superior");
    // Nor take another member's party-card number as a login.
    let plain = t.member(&w.admin, &w.a, 501, "Lê Văn Thường").await;
    t.post(&format!("/api/v1/members/{plain}/account"), &w.sec.1, json!({"username": "20000500", "initial_password": "Khoi-tao-2026"}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&format!("/api/v1/members/{plain}/account"), &w.sec.1, json!({"username": "20000501", "initial_password": "Khoi-tao-2026"}))
        .await
        .expect(StatusCode::CREATED);

    // An official transfer ends the positions outside the new cell's chain.
    let events = format!("/api/v1/members/{}/events", w.dep.0);
    t.post(&events, &w.csec.1, json!({"type": "transfer", "effective_on": today, "to_unit_id": w.b, "decision": decision()}))
        .await
        .expect(StatusCode::CREATED);
    let positions = t.get(&format!("/api/v1/org-units/{}/positions?include_ended=true", w.a), &w.sec.1).await.expect(StatusCode::OK);
    let deputy = positions.body.as_array().unwrap().iter().find(|p| p["member_id"] == w.dep.0.as_str()).unwrap();
    assert_eq!(deputy["to"], today.pred_opt().unwrap().to_string());
    let dep = t.token("dep", PASSWORD).await;
    t.get(&format!("/api/v1/org-units/{}/members", w.a), &dep).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");

    // A member temporarily hosted in cell A: A's committee member sees basic fields only.
    t.post(
        &format!("/api/v1/members/{}/events", w.x1.0),
        &w.padm.1,
        json!({"type": "temporary_transfer", "effective_on": today, "to_unit_id": w.a, "decision": decision()}),
    )
    .await
    .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(
        &format!("/api/v1/members/{}/events", w.x1.0),
        &w.admin,
        json!({"type": "temporary_transfer", "effective_on": today, "to_unit_id": w.a, "decision": decision()}),
    )
    .await
    .expect(StatusCode::CREATED);
    let roster = t.get(&format!("/api/v1/org-units/{}/members?limit=200", w.a), &w.com.1).await.expect(StatusCode::OK);
    let guest = roster.body["items"].as_array().unwrap().iter().find(|m| m["id"] == w.x1.0.as_str()).expect("guest listed");
    assert_eq!(guest["view"], "basic");
    assert!(guest.get("citizen_id").is_none());

    // Dates outside 1900–2100 are a 422, never a database error.
    t.post(&events, &w.csec.1, json!({"type": "exempt", "effective_on": "9999-01-01", "decision": decision()}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut old = member_body(502, "Cụ Già");
    old["date_of_birth"] = json!("1800-01-01");
    t.post(&format!("/api/v1/org-units/{}/members", w.a), &w.sec.1, old)
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(
        &format!("/api/v1/org-units/{}/positions", w.b),
        &w.csec.1,
        json!({"member_id": w.b1.0, "role": "committee_member", "from": "0001-01-01"}),
    )
    .await
    .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.get(&format!("/api/v1/members/{}/attendance?to=2500-01-01", w.m1.0), &w.m1.1)
        .await
        .expect_problem(StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn permission_changes_apply_to_existing_sessions_at_once() {
    // Sessions cache their actor; every change to positions must still take effect on the next
    // request made with the same token.
    let t = TestApp::new().await;
    let w = t.world().await;
    let roster = format!("/api/v1/org-units/{}/members", w.b);
    let create = |n: u32| member_body(n, "Lê Văn Thử");
    t.post(&roster, &w.b1.1, create(401)).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let appointed = t.position(&w.csec.1, &w.b, &w.b1.0, "secretary").await.expect(StatusCode::CREATED);
    t.post(&roster, &w.b1.1, create(402)).await.expect(StatusCode::CREATED);
    t.post(&format!("/api/v1/positions/{}/end", appointed.id()), &w.csec.1, json!({"to": t.today().pred_opt().unwrap()}))
        .await
        .expect(StatusCode::OK);
    t.post(&roster, &w.b1.1, create(403)).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    // Logging out ends the cached session too.
    t.call(Method::POST, "/api/v1/auth/logout", Some(&w.b1.1), None).await.expect(StatusCode::NO_CONTENT);
    t.get("/api/v1/me", &w.b1.1).await.expect_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

/// Commands authorise before they judge the body: an outsider learns nothing of the input rules
/// (403 whatever they send), while an insider sending the same body gets the 422 it deserves.
#[tokio::test]
async fn outsiders_are_refused_before_their_input_is_judged() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let outsider = &w.x1.1;
    let bad_member = json!({"full_name": "", "date_of_birth": "1985-01-01", "sex": "x", "admitted_on": "2010-01-01", "citizen_id": "1"});
    let cases = [
        (format!("/api/v1/org-units/{}/members", w.a), bad_member, &w.sec.1),
        (format!("/api/v1/members/{}/events", w.m1.0), json!({"type": "nonsense", "effective_on": "2020-01-01"}), &w.sec.1),
        (format!("/api/v1/org-units/{}/positions", w.a), json!({"member_id": w.m1.0, "role": "king", "from": "2025-01-01"}), &w.csec.1),
        ("/api/v1/org-units".to_string(), json!({"parent_id": w.c1, "kind": "castle", "name": ""}), &w.admin),
        (format!("/api/v1/members/{}/points/adjustments", w.m1.0), json!({"points": 0, "reason": ""}), &w.sec.1),
        (format!("/api/v1/org-units/{}/move", w.b), json!({"new_parent_id": w.c2, "effective_on": "1800-01-01"}), &w.admin),
    ];
    for (url, body, insider) in cases {
        t.post(&url, outsider, body.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
        let r = t.post(&url, insider, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", r.body);
    }
    let member = format!("/api/v1/members/{}", w.m1.0);
    let tag = t.get(&member, &w.sec.1).await.expect(StatusCode::OK).headers[header::ETAG].to_str().unwrap().to_string();
    let bad_phone = json!({"phone": "not a phone"});
    t.patch(&member, outsider, Some(&tag), bad_phone.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.patch(&member, &w.sec.1, Some(&tag), bad_phone).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}
