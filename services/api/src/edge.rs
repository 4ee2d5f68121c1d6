//! The edge of the server: what every request passes through before and after its handler, built
//! from `tower-http` layers.
//!
//! Outermost first:
//!
//! 1. **Request id** (`SetRequestIdLayer`): the request's `X-Request-Id` when
//!    [`acceptable_request_id`] (at most 64 of `A–Z a–z 0–9 . _ : -`), or else a generated UUID;
//!    echoed in the response (`PropagateRequestIdLayer`).
//! 2. **Access log** (`TraceLayer`): one span per request with `method`, `route` (the route
//!    template, e.g. `/api/v1/members/{id}`, never ids or query strings) and `request_id`, so
//!    every log line of the request carries them; one line per response with its status and
//!    latency, at error level for 5xx.
//! 3. **Metrics** ([`http_metrics`]): requests by route template, method ([`method_label`]) and
//!    status, latency histogram, requests in flight.
//! 4. **Security headers**: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
//!    `Content-Security-Policy` (strict for the API, [`DOCS_CSP`] for `/docs`),
//!    `Strict-Transport-Security` when `HANDBOOK_HSTS=true`.
//! 5. **Compression** (gzip, brotli) by `Accept-Encoding`, but not of the event stream, images,
//!    PDF or archives, attachment downloads ([`NotDownload`]), nor of tiny bodies.
//! 6. **CORS** for the origins in `HANDBOOK_CORS_ORIGINS` (none: no CORS headers at all).
//!
//! Inside, around the routes: the request timeout ([`request_timeout`], 504 `request_timeout`
//! through [`crate::error::localize`]; not for [`UNTIMED_ROUTES`]). It bounds the time until the
//! response starts: a streamed body — the notification stream, a download — runs on once it has
//! begun.

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::util::option_layer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::state::AppState;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The Content-Security-Policy of API responses: nothing may be loaded or framed.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The Content-Security-Policy of the `/docs` page: the vendored Swagger UI's own scripts and
/// styles (it sets inline `style` attributes and uses `data:` images), requests to this origin
/// (the OpenAPI document, "Try it out"); no other origin, no framing.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                            font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `Strict-Transport-Security` when `HANDBOOK_HSTS=true`: one year.
pub const HSTS: &str = "max-age=31536000";

/// The layer that gives the HTML page of the `/docs` routes [`DOCS_CSP`] (their scripts,
/// styles and the OpenAPI document they also serve get [`API_CSP`] like every other response).
pub fn docs_csp() -> SetResponseHeaderLayer<fn(&Response) -> Option<HeaderValue>> {
    fn for_html(response: &Response) -> Option<HeaderValue> {
        let html = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        html.then(|| HeaderValue::from_static(DOCS_CSP))
    }
    SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, for_html as fn(&Response) -> Option<HeaderValue>)
}

/// Wraps the routes in the edge layers (see the module docs).
pub fn wrap(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let config = &state.config;
    let cors = (!config.cors_origins.is_empty()).then(|| {
        let origins: Vec<HeaderValue> = config.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::ACCEPT_LANGUAGE,
                header::IF_MATCH,
                REQUEST_ID,
            ])
            .expose_headers([
                header::ETAG,
                header::LOCATION,
                header::RETRY_AFTER,
                header::CONTENT_LANGUAGE,
                header::CONTENT_DISPOSITION,
                REQUEST_ID,
            ])
            .max_age(Duration::from_secs(600))
    });
    let hsts = config.hsts.then(|| SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS)));
    let compress = DefaultPredicate::new()
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/vnd.openxmlformats"))
        .and(NotForContentType::const_new("application/octet-stream"))
        .and(NotDownload);
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
            let request_id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %request.method(), route, request_id)
        })
        .on_request(())
        .on_response(|response: &Response, latency: Duration, _span: &Span| {
            let status = response.status().as_u16();
            let latency_ms = latency.as_secs_f64() * 1000.0;
            if status >= 500 {
                tracing::error!(status, latency_ms, "response");
            } else {
                tracing::info!(status, latency_ms, "response");
            }
        })
        .on_failure(());
    router
        .layer(option_layer(cors))
        .layer(CompressionLayer::new().compress_when(compress))
        .layer(option_layer(hsts))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(API_CSP)))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(axum::middleware::from_fn_with_state(state.clone(), http_metrics))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::from_fn(screen_request_id))
}

/// Counts a request that is in flight while it lives (also when the request is dropped).
struct InFlight(telemetry::Metrics);

impl InFlight {
    fn new(metrics: &telemetry::Metrics) -> Self {
        metrics.with(|| metrics::gauge!("handbook_http_requests_in_flight").increment(1.0));
        Self(metrics.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.with(|| metrics::gauge!("handbook_http_requests_in_flight").decrement(1.0));
    }
}

/// Middleware: `handbook_http_requests_total{route,method,status}`,
/// `handbook_http_request_duration_seconds{route,method}` (until the response starts) and
/// `handbook_http_requests_in_flight`. The route is the template (`unmatched` for paths no route
/// has), so the number of series stays bounded.
pub async fn http_metrics(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = method_label(request.method()).to_string();
    let started = std::time::Instant::now();
    let in_flight = InFlight::new(&state.metrics);
    let response = next.run(request).await;
    drop(in_flight);
    let status = response.status().as_u16().to_string();
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.with(|| {
        metrics::counter!("handbook_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status)
            .increment(1);
        metrics::histogram!("handbook_http_request_duration_seconds", "route" => route, "method" => method).record(seconds);
    });
    response
}

/// A method as a metric label: the methods the API answers by name, any other (a client may send
/// any token) as `other`, so that clients cannot create series.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Whether a client's `X-Request-Id` is kept: 1–64 characters of `A–Z a–z 0–9 . _ : -`. Any other
/// value is replaced by a generated one, so that ids stay short, searchable and safe in logs.
pub fn acceptable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=64).contains(&bytes.len()) && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b".-_:".contains(b))
}

/// Middleware (outermost): drops a client's `X-Request-Id` that [`acceptable_request_id`] refuses,
/// so that one is generated instead.
pub async fn screen_request_id(mut request: Request, next: Next) -> Response {
    if request.headers().get(&REQUEST_ID).is_some_and(|v| !acceptable_request_id(v)) {
        request.headers_mut().remove(&REQUEST_ID);
    }
    next.run(request).await
}

/// Routes whose request body may take long to arrive on a slow connection (an attachment of up
/// to `HANDBOOK_MAX_ATTACHMENT_MB`, a member import): not bounded by the request timeout. Their
/// size is bounded by the body limits.
pub const UNTIMED_ROUTES: [&str; 2] = ["/api/v1/documents/{id}/attachments", "/api/v1/org-units/{id}/members/import"];

/// Middleware around the routes: a response must start within `HANDBOOK_REQUEST_TIMEOUT_SECS`,
/// or the request is dropped and answered 504 `request_timeout` (through
/// [`crate::error::localize`]); [`UNTIMED_ROUTES`] are exempt. A streamed body (the notification
/// stream, a download) runs on once it has begun.
pub async fn request_timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let untimed = request.extensions().get::<MatchedPath>().is_some_and(|p| UNTIMED_ROUTES.contains(&p.as_str()));
    if untimed {
        return next.run(request).await;
    }
    match tokio::time::timeout(state.config.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => axum::http::StatusCode::GATEWAY_TIMEOUT.into_response(),
    }
}

/// Compression predicate: not for files sent as attachments (`Content-Disposition: attachment`),
/// whose `ETag` and `Content-Length` describe the stored bytes.
#[derive(Debug, Clone, Copy)]
pub struct NotDownload;

impl Predicate for NotDownload {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        !response.headers().get(header::CONTENT_DISPOSITION).is_some_and(|v| v.as_bytes().starts_with(b"attachment"))
    }
}

/// `GET /metrics`: the Prometheus text format. The gauges that need a look (database pool,
/// outbox backlog, SQLite's WAL, the password-hashing queue) are read now.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let snapshot = app::ops::snapshot(&state.ctx()).await;
    let hashing = &state.passwords.hashing;
    #[allow(clippy::cast_precision_loss)] // small counts
    let (running, waiting, capacity) = (hashing.running() as f64, hashing.waiting() as f64, hashing.concurrency() as f64);
    state.metrics.with(|| {
        snapshot.record();
        metrics::gauge!("handbook_password_hash_running").set(running);
        metrics::gauge!("handbook_password_hash_waiting").set(waiting);
        metrics::gauge!("handbook_password_hash_capacity").set(capacity);
    });
    ([(header::CONTENT_TYPE, HeaderValue::from_static(telemetry::CONTENT_TYPE))], state.metrics.render()).into_response()
}
