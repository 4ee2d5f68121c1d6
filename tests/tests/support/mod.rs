//! Shared harness of the end-to-end tests: the real server on port 0 (in this process, so a test
//! can read the server's memory from `/proc/self/status`), a minimal HTTP/1.1 client that can send
//! anything an attacker would (raw bodies, any header), and the demo data.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A response: status, the head (status line and headers, as sent) and the body parsed as JSON
/// (`Null` when it is not JSON).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: Value,
    pub raw_body: String,
}

impl Response {
    /// The value of header `name` (case-insensitive), if sent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
    /// The problem's `code`, or "".
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// A request as bytes on the wire: any method, path, headers and raw body.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub token: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub content_type: Option<String>,
}

impl Request {
    pub fn new(method: &str, path: &str) -> Self {
        Self { method: method.into(), path: path.into(), ..Self::default() }
    }
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.into());
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string().into_bytes());
        self.content_type = Some("application/json".into());
        self
    }
    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self.content_type = Some(content_type.into());
        self
    }
    pub async fn send(&self, addr: SocketAddr) -> Response {
        send(addr, self).await
    }
}

/// Sends one request on a new connection and reads the whole response.
pub async fn send(addr: SocketAddr, r: &Request) -> Response {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let body = r.body.clone().unwrap_or_default();
    let mut head = format!("{} {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n", r.method, r.path);
    if let Some(t) = &r.token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(ct) = &r.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&body);
    stream.write_all(&bytes).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw)).await.expect("response in time").expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").expect("headers end");
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    let payload = if chunked { dechunk(rest) } else { rest.to_string() };
    let json = serde_json::from_str(&payload).unwrap_or(Value::Null);
    Response { status, head: head.to_string(), body: json, raw_body: payload }
}

/// JSON request with an optional bearer token: (status, head, body).
pub async fn http(addr: SocketAddr, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, String, Value) {
    let mut r = Request::new(method, path);
    if let Some(t) = token {
        r = r.token(t);
    }
    if let Some(b) = &body {
        r = r.json(b);
    } else {
        r.content_type = Some("application/json".into());
    }
    let resp = send(addr, &r).await;
    (resp.status, resp.head, resp.body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// The real server, listening on 127.0.0.1 on a free port, on a fresh database (SQLite, or a
/// PostgreSQL schema when `TEST_DATABASE_URL` is set).
pub struct Server {
    pub addr: SocketAddr,
    pub state: api::state::AppState,
    pub clock: Arc<app::clock::FixedClock>,
    _db: storage::testing::TestDatabase,
}

/// Starts the server with the test configuration.
pub async fn start() -> Server {
    start_with(|_| {}).await
}

/// Starts the server with the test configuration changed by `configure`.
pub async fn start_with(configure: impl FnOnce(&mut api::config::Config)) -> Server {
    let t = storage::testing::fresh_database().await.expect("database");
    let clock = Arc::new(app::clock::pinned_for_tests());
    let mut config = api::config::Config::for_test("sqlite://unused");
    configure(&mut config);
    let state = api::prepare_with_clock(t.db.clone(), config, clock.clone()).await.expect("prepare");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let serving = state.clone();
    tokio::spawn(async move { api::serve(serving, listener).await });
    Server { addr, state, clock, _db: t }
}

/// Starts the server and fills its database with the demo province.
pub async fn start_demo() -> Server {
    let s = start().await;
    api::demo::seed(&s.state.db, api::demo::DEFAULT_SEED, s.state.clock.now()).await.expect("demo");
    s
}

/// Signs in: (status, body).
pub async fn login(addr: SocketAddr, username: &str, password: &str) -> (u16, Value) {
    let (status, _, body) = http(addr, "POST", "/api/v1/auth/login", None, Some(json!({"username": username, "password": password}))).await;
    (status, body)
}

/// Signs in and returns the bearer token; panics on failure.
pub async fn token(addr: SocketAddr, username: &str, password: &str) -> String {
    let (status, body) = login(addr, username, password).await;
    assert_eq!(status, 200, "login {username}: {body}");
    body["access_token"].as_str().expect("token").to_string()
}

/// The resident memory of this process (the server runs in it), in KiB, from `/proc/self/status`.
pub fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).expect("VmRSS")
}
