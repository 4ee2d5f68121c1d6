//! No personal data in logs: API requests that carry citizen ids, phone numbers, passwords and
//! bearer tokens, logged at TRACE into a buffer that must hold none of them. Alone in its test
//! binary, so that the subscriber is the process's and sees every thread.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::{ADMIN_PASSWORD, TestApp, member_body};
use serde_json::json;

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_carry_no_personal_data_passwords_or_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let t = TestApp::new().await;
    let admin = t.admin().await;
    let root = t.root_id(&admin).await;
    let province = t.unit(&admin, &root, "province", "Đảng bộ tỉnh P").await;
    let commune = t.unit(&admin, &province, "commune_committee", "Đảng bộ xã C").await;
    let cell = t.unit(&admin, &commune, "cell", "Chi bộ A").await;
    let mut body = member_body(777, "Nguyễn Thị Riêng Tư");
    body["phone"] = json!("0987 654 321");
    body["citizen_id"] = json!("001234567890");
    let member = t.post(&format!("/api/v1/org-units/{cell}/members"), &admin, body.clone()).await.expect(StatusCode::CREATED).id();
    // The same CCCD again (a conflict), a malformed one and a malformed phone (validation).
    let mut dup = body.clone();
    dup["party_card_number"] = json!("20000999");
    t.post(&format!("/api/v1/org-units/{cell}/members"), &admin, dup).await;
    let mut bad = member_body(778, "Trần Văn B");
    bad["citizen_id"] = json!("99887766554433");
    bad["phone"] = json!("+84 55 1234 56789");
    t.post(&format!("/api/v1/org-units/{cell}/members"), &admin, bad).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    t.get(&format!("/api/v1/members/{member}"), &admin).await.expect(StatusCode::OK);
    // An account whose initial password is the demo's; sign-ins right and wrong.
    t.post(
        &format!("/api/v1/members/{member}/account"),
        &admin,
        json!({"username": "rieng.tu", "initial_password": api::demo::DEMO_PASSWORD}),
    )
    .await
    .expect(StatusCode::CREATED);
    let member_token = t.token("rieng.tu", api::demo::DEMO_PASSWORD).await;
    t.login("rieng.tu", "sai-mat-khau-bi-mat").await.expect(StatusCode::UNAUTHORIZED);
    t.post(
        "/api/v1/auth/password",
        &member_token,
        json!({"current_password": api::demo::DEMO_PASSWORD, "new_password": "Mat-khau-moi-bi-mat-2026"}),
    )
    .await
    .expect(StatusCode::NO_CONTENT);
    t.get("/api/v1/me", "not-a-real-token-but-secret").await.expect(StatusCode::UNAUTHORIZED);

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let requests: Vec<&str> = text.lines().filter(|l| l.contains("\"response\"")).take(3).collect();
    assert!(text.contains("\"route\":\"/api/v1/org-units/{id}/members\""), "the capture sees the requests: {requests:#?}");
    assert!(text.contains("request_id"), "the request id is in the log lines");
    for secret in [
        "001234567890",
        "0987 654 321",
        "0987654321",
        "99887766554433",
        "+84 55 1234 56789",
        ADMIN_PASSWORD,
        api::demo::DEMO_PASSWORD,
        "sai-mat-khau-bi-mat",
        "Mat-khau-moi-bi-mat-2026",
        admin.as_str(),
        member_token.as_str(),
        "not-a-real-token-but-secret",
        "Nguyễn Thị Riêng Tư",
    ] {
        assert!(!text.contains(secret), "the log holds {secret:?}");
    }
}
