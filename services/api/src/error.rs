//! The one error type of the API and its RFC 9457 `application/problem+json` rendering.
//!
//! Every error has a stable snake_case `code`; `title` and `detail` are in Vietnamese by default
//! and in English when the request says `Accept-Language: en…` (see [`localize`]). The texts of
//! every code are in [`crate::i18n`]. 5xx bodies never carry internals; their causes are logged.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// A problem with one field of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldIssue {
    /// The field, as named in the request (`phone`, `decision.number`, `rows[3].citizen_id`).
    #[schema(example = "citizen_id")]
    pub field: String,
    /// Stable code of the problem: `empty`, `too_long`, `too_short`, `invalid_format`,
    /// `invalid_characters`, `not_allowed`, `missing`, `invalid_type`, `duplicate`, …
    #[schema(example = "invalid_format")]
    pub code: String,
    /// Human-readable explanation: in Vietnamese the generic message of the code, in English the
    /// message written for this occurrence.
    #[schema(example = "sai định dạng")]
    pub message: String,
    /// For CSV imports: the 1-based line number in the file (the header is line 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl FieldIssue {
    /// An issue on `field`.
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into(), message: message.into(), line: None }
    }

    /// The issue with its message in `lang`: Vietnamese from [`crate::i18n::FIELD_ISSUES`],
    /// English as written at the call site (falling back to the table when empty).
    pub fn localized(&self, lang: Lang) -> FieldIssue {
        let table = crate::i18n::field(&self.code).map(|t| t.message(lang));
        let message = match (lang, table) {
            (Lang::En, table) if self.message.trim().is_empty() => table.unwrap_or_default().to_string(),
            (Lang::En, _) => self.message.clone(),
            (Lang::Vi, Some(vi)) => vi.to_string(),
            (Lang::Vi, None) => "không hợp lệ".to_string(),
        };
        FieldIssue { message, ..self.clone() }
    }
}

/// RFC 9457 problem details, as sent with `Content-Type: application/problem+json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI identifying the problem type: `urn:handbook:problem:{code}`.
    #[serde(rename = "type")]
    #[schema(example = "urn:handbook:problem:not_found")]
    pub type_: String,
    /// Short summary (Vietnamese by default, English with `Accept-Language: en`).
    #[schema(example = "Không tìm thấy")]
    pub title: String,
    /// HTTP status.
    #[schema(example = 404)]
    pub status: u16,
    /// Explanation of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code.
    #[schema(example = "not_found")]
    pub code: String,
    /// Field-level problems (validation and import errors).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldIssue>,
}

/// Language of user-facing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Vietnamese (default).
    Vi,
    /// English.
    En,
}

impl Lang {
    /// From an `Accept-Language` header (RFC 9110 §12.5.4): the supported language (`vi`, `en`,
    /// with any region: `en-US`) with the highest `q`, the earlier one on a tie; `*` stands for
    /// Vietnamese, `q=0` excludes. Vietnamese when nothing supported is acceptable.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut best: Option<(f32, Lang)> = None;
        let values = headers.get_all(header::ACCEPT_LANGUAGE).iter().filter_map(|v| v.to_str().ok());
        for range in values.flat_map(|v| v.split(',')) {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "en" => Lang::En,
                "vi" | "*" => Lang::Vi,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Vi, |(_, lang)| lang)
    }

    /// The language tag (`Content-Language`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// Every way a request can fail.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// 400: the request could not be read (malformed JSON, bad query string, bad path).
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// 422: the request was read but values are invalid.
    Validation(Vec<FieldIssue>),
    /// 422: a business rule refuses the request as stated.
    Rule {
        /// Stable code.
        code: &'static str,
        /// What rule.
        detail: String,
    },
    /// 401: no valid bearer token.
    Unauthenticated,
    /// 401: wrong username or password (never says which).
    InvalidCredentials,
    /// 403: the initial password must be changed first.
    PasswordChangeRequired,
    /// 403: the caller may not do this.
    Forbidden,
    /// 403: the caller may do this in general but not in this case, for a reason worth naming
    /// (`acting_on_self`, `acting_on_superior`).
    Refused {
        /// Stable code.
        code: &'static str,
        /// Why.
        detail: String,
    },
    /// 404.
    NotFound,
    /// 409: conflicts with the current state (duplicate, position taken, impossible transition).
    Conflict {
        /// Stable code.
        code: &'static str,
        /// What conflicts.
        detail: String,
    },
    /// 412: `If-Match` does not match the current version.
    PreconditionFailed,
    /// 428: `If-Match` is required (missing, or `*`; see [`crate::extract::IfMatch`]).
    PreconditionRequired,
    /// 405: the path exists, not with this method (the `Allow` header lists those it has).
    MethodNotAllowed,
    /// 406: the endpoint cannot answer in any type the `Accept` header allows.
    NotAcceptable,
    /// 414: the request target is longer than accepted.
    UriTooLong,
    /// 413.
    PayloadTooLarge,
    /// 415.
    UnsupportedMediaType,
    /// 429: too many failed logins.
    TooManyAttempts {
        /// Seconds until another attempt is accepted.
        retry_after: u64,
    },
    /// 503: the server is at capacity for this kind of work (password hashing); retry shortly.
    Busy {
        /// Seconds to wait before retrying.
        retry_after: u64,
    },
    /// 503: the database is unreachable.
    Unavailable,
    /// 504: the request took longer than `HANDBOOK_REQUEST_TIMEOUT_SECS` to answer; its work was
    /// abandoned (a write either committed before or rolled back).
    Timeout,
    /// 507: the attachment store has no room left (disk full or over quota); nothing was kept.
    InsufficientStorage,
    /// 500: a bug or an unexpected failure; the message is logged, never sent.
    Internal(String),
}

impl ApiError {
    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) | ApiError::Rule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::PasswordChangeRequired | ApiError::Forbidden | ApiError::Refused { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ApiError::UriTooLong => StatusCode::URI_TOO_LONG,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy { .. } | ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Rule { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Refused { code, .. } => code,
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::PasswordChangeRequired => "password_change_required",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::PreconditionFailed => "precondition_failed",
            ApiError::PreconditionRequired => "precondition_required",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::NotAcceptable => "not_acceptable",
            ApiError::UriTooLong => "uri_too_long",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::TooManyAttempts { .. } => "too_many_attempts",
            ApiError::Busy { .. } => "server_busy",
            ApiError::Unavailable => "service_unavailable",
            ApiError::InsufficientStorage => "insufficient_storage",
            ApiError::Timeout => "request_timeout",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// Seconds for `Retry-After`: sent with every 429 and 503.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::TooManyAttempts { retry_after } | ApiError::Busy { retry_after } => Some(*retry_after),
            ApiError::Unavailable => Some(Self::UNAVAILABLE_RETRY_AFTER),
            _ => None,
        }
    }

    /// `Retry-After` of a database outage, in seconds.
    pub const UNAVAILABLE_RETRY_AFTER: u64 = 5;

    /// A single-field validation error.
    pub fn field(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldIssue::new(field, code, message)])
    }

    /// The texts of this error's code (see [`crate::i18n`]).
    fn texts(&self) -> Option<&'static crate::i18n::ProblemText> {
        crate::i18n::problem(self.code())
    }

    fn title(&self, lang: Lang) -> &'static str {
        if let Some(texts) = self.texts() {
            return texts.title(lang);
        }
        // Only for a code missing from `i18n::PROBLEMS`, which the i18n tests forbid.
        let (vi, en) = match self {
            ApiError::BadRequest { .. } => ("Yêu cầu không đọc được", "The request could not be read"),
            ApiError::Rule { .. } => ("Yêu cầu trái quy định", "The request breaks a rule"),
            ApiError::Conflict { .. } => ("Xung đột với dữ liệu hiện có", "Conflicts with the current data"),
            ApiError::Refused { .. } => ("Không có quyền thực hiện", "Not permitted"),
            _ => ("Lỗi", "Error"),
        };
        match lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// Vietnamese: the table's detail of the code. English: the call-site detail when there is
    /// one (it names the specifics), else the table's. Validation and rate-limit details are built
    /// from the occurrence.
    fn detail(&self, lang: Lang) -> Option<String> {
        let table = self.texts().map(|t| t.detail(lang).to_string());
        match self {
            ApiError::Validation(issues) => {
                let fields = issues.iter().map(|i| i.field.as_str()).collect::<Vec<_>>().join(", ");
                Some(match lang {
                    Lang::Vi => format!("Trường không hợp lệ: {fields}"),
                    Lang::En => format!("Invalid fields: {fields}"),
                })
            }
            ApiError::PreconditionRequired => Some(match lang {
                Lang::Vi => "Gửi kèm ETag nhận được khi đọc (ví dụ \"3\") trong If-Match; không chấp nhận `*`".into(),
                Lang::En => "Send the ETag a read returned (e.g. \"3\") in If-Match; `*` is not accepted".into(),
            }),
            ApiError::TooManyAttempts { retry_after } => Some(match lang {
                Lang::Vi => format!("Thử lại sau {retry_after} giây"),
                Lang::En => format!("Retry after {retry_after} seconds"),
            }),
            ApiError::BadRequest { detail, .. }
            | ApiError::Rule { detail, .. }
            | ApiError::Conflict { detail, .. }
            | ApiError::Refused { detail, .. } => match lang {
                Lang::En if !detail.trim().is_empty() => Some(detail.clone()),
                _ => table.or_else(|| Some(detail.clone()).filter(|d| !d.trim().is_empty())),
            },
            // Never the internal message: that is logged, not sent.
            _ => table,
        }
    }

    /// The problem document in `lang`.
    pub fn problem(&self, lang: Lang) -> Problem {
        Problem {
            type_: format!("urn:handbook:problem:{}", self.code()),
            title: self.title(lang).to_string(),
            status: self.status().as_u16(),
            detail: self.detail(lang),
            code: self.code().to_string(),
            errors: match self {
                ApiError::Validation(issues) => issues.iter().map(|i| i.localized(lang)).collect(),
                _ => Vec::new(),
            },
        }
    }

    /// Renders the problem in `lang`.
    pub fn render(&self, lang: Lang) -> Response {
        let body = serde_json::to_vec(&self.problem(lang)).unwrap_or_default();
        let mut response =
            (self.status(), [(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"))], body).into_response();
        if let Some(seconds) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if matches!(self, ApiError::Unauthenticated | ApiError::InvalidCredentials) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
        response
    }

    /// The problem for an error response the framework made itself (no route matched the method,
    /// a body it refused), from its status; `None` for statuses this API never answers that way.
    pub fn from_framework(status: StatusCode) -> Option<Self> {
        Some(match status {
            StatusCode::BAD_REQUEST => ApiError::BadRequest { code: "bad_request", detail: String::new() },
            StatusCode::NOT_FOUND => ApiError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::NOT_ACCEPTABLE => ApiError::NotAcceptable,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            StatusCode::URI_TOO_LONG => ApiError::UriTooLong,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::BadRequest { code: "bad_request", detail: String::new() },
            // The request timeout of the edge (`tower_http::timeout`).
            StatusCode::GATEWAY_TIMEOUT => ApiError::Timeout,
            _ => return None,
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let mut response = self.render(Lang::Vi);
        response.extensions_mut().insert(self);
        response
    }
}

impl From<membership::permission::ActOnMemberError> for ApiError {
    /// 403: `forbidden` when the caller may not act on the member's cell at all, else
    /// `acting_on_self` / `acting_on_superior`.
    fn from(e: membership::permission::ActOnMemberError) -> Self {
        match e {
            membership::permission::ActOnMemberError::Denied(_) => ApiError::Forbidden,
            e => ApiError::Refused { code: e.code(), detail: e.to_string() },
        }
    }
}

impl From<storage::StoreError> for ApiError {
    fn from(err: storage::StoreError) -> Self {
        match err {
            storage::StoreError::NotFound => ApiError::NotFound,
            // A versioned write lost a race or a stale If-Match: the client reloads.
            storage::StoreError::VersionMismatch => ApiError::PreconditionFailed,
            storage::StoreError::Conflict { constraint } => {
                tracing::info!(%constraint, "constraint conflict");
                ApiError::Conflict { code: "conflict", detail: "the change conflicts with existing data".into() }
            }
            storage::StoreError::Corrupt(what) => ApiError::Internal(format!("corrupt row: {what}")),
            // A value validation let through and the database refused: the request's fault.
            storage::StoreError::Rejected(what) => {
                tracing::warn!(error = %what, "the database refused a value");
                ApiError::Rule { code: "invalid_value", detail: "a value of the request cannot be stored".into() }
            }
            storage::StoreError::Unavailable(source) => {
                tracing::error!(error = %source, "database error");
                ApiError::Unavailable
            }
        }
    }
}

/// Middleware: re-renders problem bodies in English when the request asks for it.
///
/// Also the one place where the framework's own refusals become problems: a response of 400 or
/// more that carries no [`ApiError`] (axum's 405 for a method a path does not have, a body limit,
/// a path that matches nothing) is replaced by the problem of its status, keeping its `Allow`
/// header. And a request to the JSON API whose `Accept` allows neither JSON nor problem+json is
/// answered 406 before it runs, one whose target is longer than [`MAX_TARGET_BYTES`] 414. Every
/// response varies by `Accept-Language`.
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    if request.uri().path_and_query().map_or(0, |pq| pq.as_str().len()) > MAX_TARGET_BYTES {
        return ApiError::UriTooLong.render(lang);
    }
    if !accepts_json(request.uri().path(), request.headers()) {
        let mut response = ApiError::NotAcceptable.render(lang);
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept, Accept-Language"));
        return response;
    }
    let response = next.run(request).await;
    let mut response = match response.extensions().get::<ApiError>().cloned() {
        Some(err) if lang != Lang::Vi => err.render(lang),
        Some(_) => response,
        None if response.status().as_u16() >= 400 && !is_problem(&response) => match ApiError::from_framework(response.status()) {
            Some(err) => {
                let mut problem = err.render(lang);
                if let Some(allow) = response.headers().get(header::ALLOW) {
                    problem.headers_mut().insert(header::ALLOW, allow.clone());
                }
                problem
            }
            None => response,
        },
        None => response,
    };
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Accept-Language"));
    response
}

/// The longest request target (path and query) the API reads: 8 KiB, as common proxies allow.
/// Longer ones get 414 `uri_too_long` as problem+json; beyond 64 KiB the HTTP parser itself
/// answers a bare 414 before any of this code runs.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

fn is_problem(response: &Response) -> bool {
    response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"))
}

/// The notification stream, which serves `text/event-stream`.
pub const NOTIFICATION_STREAM: &str = "/api/v1/me/notifications/stream";

/// Whether the `Accept` header of a request to the JSON API (`/api/v1/…`, but the calendar feed,
/// attachment downloads and the notification stream, which serve other types) allows JSON: absent, `*/*`, `application/*`,
/// `application/json` or `application/problem+json` with a `q` above 0.
fn accepts_json(path: &str, headers: &HeaderMap) -> bool {
    if !path.starts_with("/api/v1/")
        || path.ends_with(".ics")
        || path.starts_with("/api/v1/attachments/")
        || path == "/api/v1/openapi.json"
        || path == NOTIFICATION_STREAM
    {
        return true;
    }
    let mut present = false;
    for range in headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')) {
        present = true;
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts.filter_map(|p| p.trim().strip_prefix("q=")).find_map(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
        if q > 0.0 && matches!(media.as_str(), "*/*" | "application/*" | "application/json" | "application/problem+json") {
            return true;
        }
    }
    !present
}

impl From<app::events::EventError> for ApiError {
    fn from(err: app::events::EventError) -> Self {
        ApiError::Internal(format!("outbox event: {err}"))
    }
}

/// For writes that carry no `If-Match` (state transitions): a concurrent change of the same row
/// is a 409 `concurrent_change` (reload and retry); every other storage error maps as usual, so a
/// database outage stays a 503.
pub fn concurrent_change(what: &'static str) -> impl Fn(storage::StoreError) -> ApiError {
    move |err| match err {
        storage::StoreError::VersionMismatch => {
            ApiError::Conflict { code: "concurrent_change", detail: format!("the {what} changed meanwhile; reload and retry") }
        }
        other => ApiError::from(other),
    }
}

/// Fallback for unknown paths.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_429_and_503_says_when_to_retry() {
        for (err, seconds) in [
            (ApiError::TooManyAttempts { retry_after: 840 }, "840"),
            (ApiError::Busy { retry_after: 1 }, "1"),
            (ApiError::Unavailable, "5"),
        ] {
            let response = err.render(Lang::Vi);
            assert!(matches!(response.status().as_u16(), 429 | 503));
            assert_eq!(response.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some(seconds), "{}", err.code());
        }
        assert_eq!(ApiError::Busy { retry_after: 1 }.code(), "server_busy");
        assert!(ApiError::InvalidCredentials.render(Lang::Vi).headers().get(header::RETRY_AFTER).is_none());
    }
}
