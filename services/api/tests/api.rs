//! API tests: every endpoint, every permission rule with its denial, bad input, all-or-nothing
//! imports. Run on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{ADMIN_PASSWORD, PASSWORD, TestApp, member_body};
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

#[tokio::test]
async fn failed_logins_are_rate_limited_per_account() {
    let t = TestApp::new().await;
    for _ in 0..5 {
        t.login("admin", "wrong-password").await.expect(StatusCode::UNAUTHORIZED);
    }
    let r = t.login("admin", ADMIN_PASSWORD).await.expect_problem(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert!(r.headers.get(header::RETRY_AFTER).is_some());
    // Another account is not affected.
    t.login("someone-else", "x-wrong-password").await.expect(StatusCode::UNAUTHORIZED);
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
    let again = api::bootstrap::ensure_bootstrap(&t.state.db, &t.state.config).await.unwrap();
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
    let names = |r: common::Reply| r.body.as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(t.get(&format!("/api/v1/org-units/{}/children", w.c1), &w.m1.1).await.expect(StatusCode::OK)), [w.a.clone()]);
    assert_eq!(names(t.get(&format!("/api/v1/org-units/{}/children", w.c1), &w.csec.1).await.expect(StatusCode::OK)).len(), 2);
    t.get(&format!("/api/v1/org-units/{}/children", w.c2), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");

    // Top units of each caller's scope.
    assert_eq!(names(t.get("/api/v1/org-units", &w.m1.1).await.expect(StatusCode::OK)), [w.a.clone()]);
    assert_eq!(
        names(t.get("/api/v1/org-units", &w.csec.1).await.expect(StatusCode::OK)),
        [w.c1.clone()],
        "C1 covers the member's own cell A"
    );
    assert_eq!(names(t.get("/api/v1/org-units", &w.padm.1).await.expect(StatusCode::OK)), [w.c2.clone()]);
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
    let today = chrono::Utc::now().date_naive();

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
    let today = chrono::Utc::now().date_naive();
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
