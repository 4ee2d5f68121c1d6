//! The edge of the server (`api::edge`): request ids, the timeout, CORS, compression, security
//! headers, HSTS, `/metrics` (read with the reference Prometheus parser). Run on SQLite, and on PostgreSQL
//! when `TEST_DATABASE_URL` is set.

use std::io::Read;

use crate::common::{ADMIN_PASSWORD, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

fn get(path: &str) -> axum::http::request::Builder {
    Request::builder().method(Method::GET).uri(path)
}

#[tokio::test]
async fn a_request_id_is_generated_echoed_and_kept_when_sent() {
    let t = TestApp::new().await;
    let r = t.send(get("/health").body(Body::empty()).unwrap()).await.expect(StatusCode::OK);
    let generated = r.headers.get("x-request-id").expect("a generated id").to_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "a UUID: {generated}");
    let again = t.send(get("/health").body(Body::empty()).unwrap()).await;
    assert_ne!(again.headers.get("x-request-id").unwrap().to_str().unwrap(), generated, "one per request");

    let r = t.send(get("/api/v1/nowhere").header("x-request-id", "client-chosen-42").body(Body::empty()).unwrap()).await;
    r.status.is_client_error().then_some(()).expect("404");
    assert_eq!(r.headers.get("x-request-id").unwrap(), "client-chosen-42", "kept, also on a problem");

    // An id that is too long or holds other characters is replaced by a generated one.
    for bad in ["x".repeat(65), "id with spaces".to_string(), "{\"json\":1}".to_string()] {
        let r = t.send(get("/health").header("x-request-id", bad.as_str()).body(Body::empty()).unwrap()).await.expect(StatusCode::OK);
        let echoed = r.headers.get("x-request-id").unwrap().to_str().unwrap().to_string();
        assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "{bad:?} replaced by a UUID, got {echoed}");
    }
}

#[tokio::test]
async fn a_method_the_api_does_not_use_makes_no_series_of_its_own() {
    let t = TestApp::new().await;
    for i in 0..3 {
        let method = Method::from_bytes(format!("FOO{i}").as_bytes()).unwrap();
        let r = t.send(Request::builder().method(method).uri("/api/v1/me").body(Body::empty()).unwrap()).await;
        assert!(r.status.is_client_error(), "{}", r.status);
    }
    let response = t.app.clone().oneshot(get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    let text = String::from_utf8(axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap();
    assert!(!text.contains("FOO"), "client methods are not labels: {text}");
    let other: Vec<&str> =
        text.lines().filter(|l| l.starts_with("handbook_http_requests_total{") && l.contains("method=\"other\"")).collect();
    let total: f64 = other.iter().filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum();
    assert!((total - 3.0).abs() < f64::EPSILON, "three requests counted as method=other: {other:?}");
}

#[test]
fn attachment_downloads_are_not_compressed() {
    use tower_http::compression::Predicate;
    let download = axum::http::Response::builder()
        .header(header::CONTENT_DISPOSITION, "attachment; filename=\"bien-ban.txt\"")
        .body(Body::empty())
        .unwrap();
    assert!(!api::edge::NotDownload.should_compress(&download));
    let json = axum::http::Response::builder().header(header::CONTENT_TYPE, "application/json").body(Body::empty()).unwrap();
    assert!(api::edge::NotDownload.should_compress(&json));
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_a_504_problem() {
    // After one failed sign-in on an account, the next attempt on it waits 1 s: longer than the
    // timeout.
    let t = TestApp::with_config(|c| {
        c.request_timeout = std::time::Duration::from_millis(300);
        c.login.slow_account_after = 1;
    })
    .await;
    // A quick request is answered under the same timeout.
    t.login("admin", "wrong-password").await.expect_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let started = std::time::Instant::now();
    let r = t
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/auth/login")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT_LANGUAGE, "en")
                .body(Body::from(json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string()))
                .unwrap(),
        )
        .await
        .expect_problem(StatusCode::GATEWAY_TIMEOUT, "request_timeout");
    assert!(started.elapsed() < std::time::Duration::from_millis(900), "cut at the timeout, not after the 1 s wait");
    assert_eq!(r.body["title"], "The request took too long");
    assert_eq!(r.body["status"], 504);
    assert!(r.headers.get("x-request-id").is_some());
}

#[tokio::test]
async fn the_notification_stream_outlives_the_request_timeout() {
    let t = TestApp::with_config(|c| {
        c.request_timeout = std::time::Duration::from_millis(200);
        c.notification_stream_poll = std::time::Duration::from_millis(50);
    })
    .await;
    let w = t.world().await;
    let response = t
        .app
        .clone()
        .oneshot(
            get(api::error::NOTIFICATION_STREAM)
                .header(header::AUTHORIZATION, format!("Bearer {}", w.m1.1))
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none(), "the event stream is not compressed");
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("unread"), "{first:?}");
    // Well past the timeout the stream is still open: the body ends only when the client goes.
    let later = tokio::time::timeout(std::time::Duration::from_millis(600), body.frame()).await;
    assert!(!matches!(later, Ok(None) | Ok(Some(Err(_)))), "the stream was not cut: {later:?}");
}

#[tokio::test]
async fn cors_answers_configured_origins_only() {
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/v1/me")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization")
            .body(Body::empty())
            .unwrap()
    };
    let t = TestApp::with_config(|c| c.cors_origins = vec!["https://sotay.example.vn".into()]).await;
    let r = t.send(preflight("https://sotay.example.vn")).await;
    assert!(r.status.is_success(), "{:?}", r.status);
    assert_eq!(r.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "https://sotay.example.vn");
    let methods = r.headers.get(header::ACCESS_CONTROL_ALLOW_METHODS).unwrap().to_str().unwrap().to_string();
    assert!(methods.contains("PATCH"), "{methods}");
    assert!(r.headers.get(header::ACCESS_CONTROL_ALLOW_HEADERS).unwrap().to_str().unwrap().contains("authorization"));
    // An actual request from the origin: the problem carries the header too.
    let r = t.send(get("/api/v1/me").header(header::ORIGIN, "https://sotay.example.vn").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "https://sotay.example.vn");

    let r = t.send(preflight("https://evil.example.com")).await;
    assert!(r.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(), "another origin is not allowed: {:?}", r.headers);
    let r = t.send(get("/api/v1/me").header(header::ORIGIN, "https://evil.example.com").body(Body::empty()).unwrap()).await;
    assert!(r.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

    let none = TestApp::new().await;
    let r = none.send(preflight("https://sotay.example.vn")).await;
    assert!(r.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(), "no origin configured: no CORS");
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "the preflight is an ordinary OPTIONS then");
}

#[tokio::test]
async fn the_openapi_document_is_compressed_when_asked() {
    let t = TestApp::new().await;
    let plain = t.app.clone().oneshot(get("/api/v1/openapi.json").body(Body::empty()).unwrap()).await.unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    let plain = plain.into_body().collect().await.unwrap().to_bytes();

    let zipped = t
        .app
        .clone()
        .oneshot(get("/api/v1/openapi.json").header(header::ACCEPT_ENCODING, "gzip").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(zipped.status(), StatusCode::OK);
    assert_eq!(zipped.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");
    let zipped = zipped.into_body().collect().await.unwrap().to_bytes();
    assert!(zipped.len() * 5 < plain.len(), "{} compressed vs {} bytes", zipped.len(), plain.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped[..]).read_to_end(&mut unzipped).unwrap();
    assert_eq!(unzipped, plain.to_vec());

    let br = t
        .app
        .clone()
        .oneshot(get("/api/v1/openapi.json").header(header::ACCEPT_ENCODING, "br").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(br.headers().get(header::CONTENT_ENCODING).unwrap(), "br");
}

#[tokio::test]
async fn security_headers_on_every_response_and_hsts_only_when_configured() {
    let t = TestApp::new().await;
    for path in ["/health", "/api/v1/openapi.json", "/api/v1/me", "/nowhere"] {
        let r = t.send(get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff", "{path}");
        assert_eq!(r.headers.get(header::REFERRER_POLICY).unwrap(), "no-referrer", "{path}");
        assert_eq!(r.headers.get(header::CONTENT_SECURITY_POLICY).unwrap(), api::edge::API_CSP, "{path}");
        assert!(r.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "{path}: no HSTS unless configured");
    }
    // The docs page gets the policy that lets the vendored Swagger UI run: its own scripts, no
    // other origin.
    let r = t.send(get("/docs/").body(Body::empty()).unwrap()).await.expect(StatusCode::OK);
    let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().to_string();
    assert_eq!(csp, api::edge::DOCS_CSP);
    let page = r.body.as_str().unwrap().to_string();
    assert!(!page.contains("<script>") && !page.contains("http://") && !page.contains("https://"), "only same-origin scripts: {page}");
    for script in ["swagger-ui-bundle.js", "swagger-initializer.js"] {
        assert!(page.contains(script));
        let r = t.send(get(&format!("/docs/{script}")).body(Body::empty()).unwrap()).await.expect(StatusCode::OK);
        assert_eq!(r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    }

    let tls = TestApp::with_config(|c| c.hsts = true).await;
    for path in ["/health", "/docs/", "/api/v1/me"] {
        let r = tls.send(get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(r.headers.get(header::STRICT_TRANSPORT_SECURITY).unwrap(), api::edge::HSTS, "{path}");
    }
}

/// One sample as the reference parser read it.
#[derive(Debug, serde::Deserialize)]
struct Sample(String, std::collections::HashMap<String, String>, f64);

/// Reads `GET /metrics` of `app` with prometheus_client's parser (`tests/parse_metrics.py`).
async fn scrape(app: &axum::Router) -> Vec<Sample> {
    let response = app.clone().oneshot(get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = response.into_body().collect().await.unwrap().to_bytes();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parse_metrics.py");
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (with prometheus-client: .ci/run installs it)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused the document: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&text)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sample<'a>(samples: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    samples.iter().find(|s| s.0 == name && labels.iter().all(|(k, v)| s.1.get(*k).map(String::as_str) == Some(*v)))
}

fn value(s: &Sample) -> f64 {
    s.2
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_report_the_gauges() {
    let t = TestApp::new().await;
    let admin = t.admin().await;
    for _ in 0..3 {
        t.get("/api/v1/me", &admin).await.expect(StatusCode::OK);
    }
    t.call(Method::GET, "/api/v1/me", None, None).await.expect(StatusCode::UNAUTHORIZED);
    let root = t.root_id(&admin).await;
    t.get(&format!("/api/v1/org-units/{root}"), &admin).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/org-units/{}", uuid::Uuid::nil()), &admin).await;
    t.call(Method::GET, "/no/such/path/1", None, None).await;
    t.call(Method::GET, "/no/such/path/2", None, None).await;

    let s = scrape(&t.app).await;
    let requests = |route: &str, status: &str| {
        sample(&s, "handbook_http_requests_total", &[("route", route), ("method", "GET"), ("status", status)]).map_or(0.0, value)
    };
    assert!((requests("/api/v1/me", "200") - 3.0).abs() < f64::EPSILON, "three answered");
    assert!((requests("/api/v1/me", "401") - 1.0).abs() < f64::EPSILON);
    let names: Vec<&Sample> = s.iter().filter(|x| x.0 == "handbook_http_requests_total").collect();
    assert!((requests("/api/v1/org-units/{id}", "200") - 1.0).abs() < f64::EPSILON, "by route template, not by id: {names:#?}");
    assert!((requests("unmatched", "404") - 2.0).abs() < f64::EPSILON, "unknown paths share one series");
    assert!(!s.iter().any(|x| x.1.values().any(|v| v.contains(&root))), "no ids in labels");
    let login = sample(&s, "handbook_http_requests_total", &[("route", "/api/v1/auth/login"), ("method", "POST"), ("status", "200")]);
    assert!((value(login.expect("the admin's login")) - 1.0).abs() < f64::EPSILON);

    let buckets: Vec<&Sample> = s
        .iter()
        .filter(|x| x.0 == "handbook_http_request_duration_seconds_bucket" && x.1.get("route").is_some_and(|r| r == "/api/v1/me"))
        .collect();
    assert!(buckets.len() >= 10, "a latency histogram with buckets: {buckets:?}");
    let all = buckets.iter().find(|b| b.1.get("le").is_some_and(|le| le == "+Inf")).expect("+Inf bucket");
    assert!((all.2 - 4.0).abs() < f64::EPSILON, "every request of the route in +Inf: {buckets:?}");
    let count = sample(&s, "handbook_http_request_duration_seconds_count", &[("route", "/api/v1/me")]).expect("count");
    assert!((count.2 - 4.0).abs() < f64::EPSILON);
    let in_flight = sample(&s, "handbook_http_requests_in_flight", &[]).expect("in flight");
    assert!((value(in_flight) - 1.0).abs() < f64::EPSILON, "the scrape itself");
    let pool = sample(&s, "handbook_db_pool_connections", &[("state", "max")]).expect("pool max");
    assert!((value(pool) - f64::from(t.state.config.max_connections)).abs() < f64::EPSILON);
    for state in ["open", "in_use", "idle"] {
        assert!(sample(&s, "handbook_db_pool_connections", &[("state", state)]).is_some(), "pool {state}");
    }
    assert!(sample(&s, "handbook_outbox_backlog", &[]).is_some());
    assert!(sample(&s, "handbook_outbox_oldest_age_seconds", &[]).is_some());
    assert!(
        (value(sample(&s, "handbook_password_hash_capacity", &[]).unwrap()) - t.state.config.password_hash_concurrency as f64).abs() < 0.5
    );
    assert!(sample(&s, "handbook_password_hash_waiting", &[]).is_some());
    let wal = sample(&s, "handbook_sqlite_wal_bytes", &[]);
    assert_eq!(wal.is_some(), storage::testing::backend() == "sqlite", "the WAL gauge exists on SQLite only");

    // An undelivered outbox event written 90 s before the server's now: counted, and its age
    // read from the injected clock.
    let before = value(sample(&s, "handbook_outbox_backlog", &[]).unwrap());
    let event = storage::outbox::OutboxEvent {
        id: uuid::Uuid::now_v7(),
        kind: "test.event".into(),
        aggregate_type: "test".into(),
        aggregate_id: uuid::Uuid::now_v7(),
        unit_id: None,
        payload: json!({}),
        created_at: t.now() - chrono::Duration::seconds(90),
    };
    storage::outbox::push(t.state.db.conn(), &event).await.unwrap();
    let s = scrape(&t.app).await;
    assert!((value(sample(&s, "handbook_outbox_backlog", &[]).unwrap()) - (before + 1.0)).abs() < f64::EPSILON);
    let age = value(sample(&s, "handbook_outbox_oldest_age_seconds", &[]).unwrap());
    assert!(age >= 90.0, "the oldest undelivered event's age: {age}");

    // With HANDBOOK_METRICS_BIND, the main listener has no /metrics; the separate one does.
    let private = TestApp::with_config(|c| c.metrics_bind = Some("127.0.0.1:0".parse().unwrap())).await;
    private.call(Method::GET, "/metrics", None, None).await.expect(StatusCode::NOT_FOUND);
    let s = scrape(&api::metrics_app(private.state.clone())).await;
    assert!(sample(&s, "handbook_db_pool_connections", &[("state", "max")]).is_some());
}
