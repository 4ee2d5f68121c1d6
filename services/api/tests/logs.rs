//! No personal data in logs: API requests that carry citizen ids, phone numbers, passwords and
//! bearer tokens, logged at TRACE into a buffer that must hold none of them. Alone in its test
//! binary, so that the subscriber is the process's and sees every thread.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

#[path = "suite/common/mod.rs"]
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

    // The demo province: its secretary signs in with the demo password and reads the cell's
    // roster in full (citizen ids, phone numbers), a member reads their own record.
    let demo = TestApp::new().await;
    api::demo::seed(&demo.state.db, api::demo::DEFAULT_SEED, demo.now()).await.unwrap();
    let secretary = demo.token("bithu", api::demo::DEMO_PASSWORD).await;
    let me = demo.get("/api/v1/me", &secretary).await.expect(StatusCode::OK);
    let demo_cell = me.body["member"]["unit_id"].as_str().unwrap().to_string();
    let roster = demo.get(&format!("/api/v1/org-units/{demo_cell}/members?limit=200"), &secretary).await.expect(StatusCode::OK);
    let mut demo_secrets: Vec<String> = Vec::new();
    for item in roster.body["items"].as_array().unwrap() {
        for field in ["citizen_id", "phone"] {
            if let Some(v) = item[field].as_str() {
                demo_secrets.push(v.to_string());
            }
        }
    }
    assert!(demo_secrets.len() >= 25, "the roster in full: {demo_secrets:?}");
    let demo_member = demo.token("dangvien", api::demo::DEMO_PASSWORD).await;
    demo.get("/api/v1/me", &demo_member).await.expect(StatusCode::OK);
    demo_secrets.push(secretary);
    demo_secrets.push(demo_member);

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
    for secret in &demo_secrets {
        assert!(!text.contains(secret.as_str()), "the log holds the demo's {secret:?}");
    }
}

/// Runs the `api` binary with `vars` on a fresh SQLite file in `dir`.
fn api_binary(dir: &std::path::Path, vars: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_api"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HANDBOOK_DATA_DIR", dir)
        .env("HANDBOOK_BIND", "127.0.0.1:0")
        .env("HANDBOOK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_id_and_a_bad_format_stops_the_start() {
    use std::io::BufRead;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let out = api_binary(dir.path(), &[("HANDBOOK_LOG_FORMAT", "yaml")]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HANDBOOK_LOG_FORMAT=yaml: expected text or json"), "{out:?}");

    let mut child = api_binary(dir.path(), &[("HANDBOOK_LOG_FORMAT", "json")]).spawn().unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    // The start-up line names the address (port 0: chosen by the system).
    let mut seen = Vec::new();
    let addr = loop {
        let line = lines.next().expect("the server logs its address").unwrap();
        let object: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        seen.push(object.clone());
        if let Some(addr) = object["addr"].as_str() {
            break addr.to_string();
        }
    };
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream.write_all(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Request-Id: trace-me-7\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    let response = loop {
        let line = lines.next().expect("the access line").unwrap();
        let object: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if object["message"] == "response" {
            break object;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(response["status"], 401, "{response}");
    assert!(response["latency_ms"].is_number(), "{response}");
    assert_eq!(response["span"]["request_id"], "trace-me-7", "{response}");
    assert_eq!(response["span"]["route"], "/api/v1/me", "{response}");
    assert_eq!(response["span"]["method"], "GET", "{response}");
    assert!(seen.iter().all(|o| o["level"].is_string() && o["timestamp"].is_string()), "{seen:?}");
}
