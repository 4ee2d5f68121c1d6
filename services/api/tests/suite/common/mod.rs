//! Test harness: a fresh database (SQLite file, or a PostgreSQL schema when
//! `TEST_DATABASE_URL` is set), the router driven with `oneshot`, and fixtures.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use api::config::Config;
use api::state::AppState;
use app::clock::{Clock, FixedClock};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{DateTime, NaiveDate, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use storage::testing::{TestDatabase, fresh_database};
use tower::ServiceExt;

pub const ADMIN_PASSWORD: &str = "admin-password";
pub const PASSWORD: &str = "mat-khau-moi-2026";

pub struct TestApp {
    pub app: Router,
    pub state: AppState,
    /// The server's clock, pinned (see `app::clock::pinned_for_tests`); tests move it explicitly.
    pub clock: Arc<FixedClock>,
    _db: Option<TestDatabase>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_else(|| panic!("no id in {:?}", self.body)).to_string()
    }
    #[track_caller]
    pub fn expect(self, status: StatusCode) -> Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }
    #[track_caller]
    pub fn expect_problem(self, status: StatusCode, code: &str) -> Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert_eq!(self.headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json");
        self
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    /// Like [`TestApp::new`], with the test configuration changed by `change`.
    pub async fn with_config(change: impl FnOnce(&mut Config)) -> Self {
        let t = fresh_database().await.expect("test database");
        let mut config = Config::for_test("sqlite://unused");
        change(&mut config);
        let clock = Arc::new(app::clock::pinned_for_tests());
        let state = api::prepare_with_clock(t.db.clone(), config, clock.clone()).await.expect("prepare");
        let app = api::app(state.clone());
        Self { app, state, clock, _db: Some(t) }
    }

    /// An installation over a database the test manages itself (a backup's source or a
    /// restore's target), with the given configuration and clock.
    pub async fn on(db: storage::Database, config: Config, clock: Arc<FixedClock>) -> Self {
        let state = api::prepare_with_clock(db, config, clock.clone()).await.expect("prepare");
        let app = api::app(state.clone());
        Self { app, state, clock, _db: None }
    }

    /// The server's "now".
    /// Applies the queued point totals (what the server's applier does within a second), so
    /// that leaderboards and ranks count every award made so far.
    pub async fn settle(&self) {
        app::points::drain(&self.state.ctx()).await.expect("apply queued point totals");
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The server's "today" (Vietnam's date at [`TestApp::now`]).
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        send_to(self.app.clone(), req).await
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.send(req.expect("request")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// `PATCH path` with a JSON body and, when given, an `If-Match` header.
    pub async fn patch(&self, path: &str, token: &str, if_match: Option<&str>, body: Value) -> Reply {
        let mut req =
            Request::patch(path).header(header::AUTHORIZATION, format!("Bearer {token}")).header(header::CONTENT_TYPE, "application/json");
        if let Some(v) = if_match {
            req = req.header(header::IF_MATCH, v);
        }
        self.send(req.body(Body::from(body.to_string())).expect("request")).await
    }

    /// The one `If-Match` rule (`api::extract::IfMatch`), checked on the resource at `url` (read
    /// with `GET url`, edited with `PATCH url` by `token`). Each edit is a body and the JSON
    /// pointer and value it sets; the two must set different values. Checks: missing header,
    /// `*` → 428; malformed → 400; the current ETag → 200 with a new ETag; the stale one → 412 and
    /// nothing changed; a list holding the current ETag → 200.
    pub async fn check_if_match_rule(&self, url: &str, token: &str, first: (Value, &str, Value), second: (Value, &str, Value)) {
        let read = |what: &'static str| async move {
            let r = self.get(url, token).await.expect(StatusCode::OK);
            let tag =
                r.headers.get(header::ETAG).unwrap_or_else(|| panic!("{what}: GET {url} sends no ETag")).to_str().unwrap().to_string();
            (tag, r.body)
        };
        let (tag0, before) = read("before").await;
        assert!(tag0.starts_with('"') && tag0.ends_with('"'), "a strong ETag: {tag0}");
        let (body, pointer, value) = first;
        assert_ne!(before.pointer(pointer), Some(&value), "the first edit must change {pointer}");

        // Refused before anything is written.
        self.patch(url, token, None, body.clone()).await.expect_problem(StatusCode::PRECONDITION_REQUIRED, "precondition_required");
        self.patch(url, token, Some("*"), body.clone()).await.expect_problem(StatusCode::PRECONDITION_REQUIRED, "precondition_required");
        let unquoted = tag0.trim_matches('"').to_string();
        for garbage in [unquoted.as_str(), "garbage", "\"1", "*, \"1\"", ""] {
            self.patch(url, token, Some(garbage), body.clone()).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_if_match");
        }
        let (tag, now) = read("after the refusals").await;
        assert_eq!((&tag, now.pointer(pointer)), (&tag0, before.pointer(pointer)), "nothing changed");

        // The current ETag: written, with a new ETag that the next GET repeats.
        let r = self.patch(url, token, Some(&tag0), body).await.expect(StatusCode::OK);
        assert_eq!(r.body.pointer(pointer), Some(&value));
        let tag1 = r.headers.get(header::ETAG).expect("PATCH sends the new ETag").to_str().unwrap().to_string();
        assert_ne!(tag1, tag0);
        let (tag, now) = read("after the edit").await;
        assert_eq!((&tag, now.pointer(pointer)), (&tag1, Some(&value)));

        // The stale ETag (and its weak form): 412, and the first edit stands.
        let (body2, pointer2, value2) = second;
        self.patch(url, token, Some(&tag0), body2.clone()).await.expect_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
        self.patch(url, token, Some(&format!("W/{tag1}")), body2.clone())
            .await
            .expect_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
        let (tag, now) = read("after the stale edit").await;
        assert_eq!((&tag, now.pointer(pointer)), (&tag1, Some(&value)), "a stale If-Match changes nothing");
        assert_ne!(now.pointer(pointer2), Some(&value2), "the second edit must change {pointer2}");

        // A list is accepted when one of its tags is current.
        let r = self.patch(url, token, Some(&format!("{tag0}, {tag1}")), body2).await.expect(StatusCode::OK);
        assert_eq!(r.body.pointer(pointer2), Some(&value2));
        let tag2 = r.headers.get(header::ETAG).expect("PATCH sends the new ETag").to_str().unwrap().to_string();
        assert!(tag2 != tag1 && tag2 != tag0);
        assert_eq!(read("after the second edit").await.0, tag2);
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": password}))).await
    }

    pub async fn token(&self, username: &str, password: &str) -> String {
        let r = self.login(username, password).await.expect(StatusCode::OK);
        r.body["access_token"].as_str().expect("token").to_string()
    }

    pub async fn admin(&self) -> String {
        self.token("admin", ADMIN_PASSWORD).await
    }

    pub async fn root_id(&self, admin: &str) -> String {
        let r = self.get("/api/v1/org-units", admin).await.expect(StatusCode::OK);
        r.body[0]["id"].as_str().expect("root").to_string()
    }

    pub async fn unit(&self, token: &str, parent: &str, kind: &str, name: &str) -> String {
        self.post("/api/v1/org-units", token, json!({"parent_id": parent, "kind": kind, "name": name}))
            .await
            .expect(StatusCode::CREATED)
            .id()
    }

    /// Creates member number `n` (unique CCCD and card) in `cell`; official since 2012.
    pub async fn member(&self, token: &str, cell: &str, n: u32, name: &str) -> String {
        self.post(&format!("/api/v1/org-units/{cell}/members"), token, member_body(n, name)).await.expect(StatusCode::CREATED).id()
    }

    /// Issues an account and changes its password, returning a ready token.
    pub async fn account(&self, token: &str, member: &str, username: &str) -> String {
        self.post(&format!("/api/v1/members/{member}/account"), token, json!({"username": username, "initial_password": "Khoi-tao-2026"}))
            .await
            .expect(StatusCode::CREATED);
        let first = self.token(username, "Khoi-tao-2026").await;
        self.post("/api/v1/auth/password", &first, json!({"current_password": "Khoi-tao-2026", "new_password": PASSWORD}))
            .await
            .expect(StatusCode::NO_CONTENT);
        first
    }

    pub async fn position(&self, token: &str, unit: &str, member: &str, role: &str) -> Reply {
        self.post(&format!("/api/v1/org-units/{unit}/positions"), token, json!({"member_id": member, "role": role, "from": "2025-01-01"}))
            .await
    }
}

/// Sends one request to a clone of the router (`'static`, so it can run on its own task).
pub async fn send_to(app: Router, req: Request<Body>) -> Reply {
    let response = app.oneshot(req).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply { status, headers, body }
}

pub fn member_body(n: u32, name: &str) -> Value {
    json!({
        "full_name": name,
        "date_of_birth": "1985-04-12",
        "sex": "female",
        "admitted_on": "2010-05-19",
        "official_on": "2011-05-19",
        "party_card_number": format!("{:08}", 20_000_000 + n),
        "citizen_id": format!("034185{:06}", n),
        "phone": "0912 345 678"
    })
}

/// A small organisation:
/// root → province P → commune C1 → cells A, B; province P → commune C2 → cell X.
/// Members: in A `sec` (secretary of A), `dep` (deputy of A), `com` (committee member of A),
/// `m1`, `csec` (secretary of C1); in B `b1`; in X `x1`. Tokens for each (password changed),
/// and `padm` (a member of X with an administrator grant on C2 only).
pub struct World {
    pub admin: String,
    pub root: String,
    pub province: String,
    pub c1: String,
    pub c2: String,
    pub a: String,
    pub b: String,
    pub x: String,
    pub sec: (String, String),
    pub dep: (String, String),
    pub com: (String, String),
    pub m1: (String, String),
    pub csec: (String, String),
    pub b1: (String, String),
    pub x1: (String, String),
    pub padm: (String, String),
}

impl TestApp {
    pub async fn world(&self) -> World {
        let admin = self.admin().await;
        let root = self.root_id(&admin).await;
        let province = self.unit(&admin, &root, "province", "Đảng bộ tỉnh Thái Bình").await;
        let c1 = self.unit(&admin, &province, "commune_committee", "Đảng bộ xã Vũ Quý").await;
        let c2 = self.unit(&admin, &province, "commune_committee", "Đảng bộ xã Thanh Tân").await;
        let a = self.unit(&admin, &c1, "cell", "Chi bộ thôn Đông").await;
        let b = self.unit(&admin, &c1, "cell", "Chi bộ thôn Tây").await;
        let x = self.unit(&admin, &c2, "cell", "Chi bộ thôn Bắc").await;
        let mut people = Vec::new();
        for (n, (cell, name, username)) in [
            (&a, "Trần Văn Bí", "sec"),
            (&a, "Lê Thị Phó", "dep"),
            (&a, "Phạm Văn Ủy", "com"),
            (&a, "Nguyễn Thị Một", "mem1"),
            (&a, "Hoàng Văn Xã", "csec"),
            (&b, "Vũ Thị Tây", "bmem1"),
            (&x, "Đỗ Văn Bắc", "xmem1"),
            (&x, "Ngô Thị Quản", "padm"),
        ]
        .into_iter()
        .enumerate()
        {
            let id = self.member(&admin, cell, u32::try_from(n).unwrap() + 1, name).await;
            let token = self.account(&admin, &id, username).await;
            people.push((id, token));
        }
        self.position(&admin, &a, &people[0].0, "secretary").await.expect(StatusCode::CREATED);
        self.position(&admin, &a, &people[1].0, "deputy_secretary").await.expect(StatusCode::CREATED);
        self.position(&admin, &a, &people[2].0, "committee_member").await.expect(StatusCode::CREATED);
        self.position(&admin, &c1, &people[4].0, "secretary").await.expect(StatusCode::CREATED);
        let padm_account =
            self.get("/api/v1/me", &self.token("padm", PASSWORD).await).await.body["account"]["id"].as_str().unwrap().to_string();
        self.post(&format!("/api/v1/org-units/{c2}/admin-grants"), &admin, json!({"account_id": padm_account}))
            .await
            .expect(StatusCode::CREATED);
        // Tokens were issued before the password change; log in again for fresh ones.
        let mut fresh = Vec::new();
        for ((id, _), username) in people.into_iter().zip(["sec", "dep", "com", "mem1", "csec", "bmem1", "xmem1", "padm"]) {
            fresh.push((id, self.token(username, PASSWORD).await));
        }
        let mut it = fresh.into_iter();
        let mut next = || it.next().unwrap();
        World {
            admin,
            root,
            province,
            c1,
            c2,
            a,
            b,
            x,
            sec: next(),
            dep: next(),
            com: next(),
            m1: next(),
            csec: next(),
            b1: next(),
            x1: next(),
            padm: next(),
        }
    }
}
