//! Request extractors that turn every rejection into a problem+json [`ApiError`] naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldIssue};

/// JSON body. Non-JSON content type → 415; unreadable JSON → 400 `malformed_json`; a missing
/// field, a wrong type or an unknown field → 422 naming the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// Deserialises JSON bytes with field paths in errors.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let msg = inner.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                let (field, code) = if let Some(name) = backticked(&msg, "missing field `") {
                    (join_path(&path, &name), "missing")
                } else if let Some(name) = backticked(&msg, "unknown field `") {
                    (join_path(&path, &name), "unknown_field")
                } else if msg.starts_with("invalid type") || msg.starts_with("invalid length") {
                    (path, "invalid_type")
                } else {
                    (path, "invalid_format")
                };
                ApiError::Validation(vec![FieldIssue::new(if field == "." { "body".into() } else { field }, code, msg)])
            }
            _ => ApiError::BadRequest { code: "malformed_json", detail: format!("the body is not valid JSON: {inner}") },
        }
    })
}

fn backticked(msg: &str, prefix: &str) -> Option<String> {
    let rest = msg.split_once(prefix)?.1;
    Some(rest.split('`').next()?.to_string())
}

fn join_path(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." { name.to_string() } else { format!("{path}.{name}") }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| ApiError::PayloadTooLarge)?;
        parse_json(&bytes).map(Json)
    }
}

/// Query string. Unknown or malformed parameters → 400 `invalid_query` naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded_de(query);
        de.map(Query)
    }
}

fn serde_urlencoded_de<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    // axum's Query uses serde_urlencoded; going through it keeps behaviour identical while
    // mapping the error.
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{query}")
            .parse()
            .map_err(|_| ApiError::BadRequest { code: "invalid_query", detail: "the query string cannot be read".into() })?,
    )
    .map(|q| q.0)
    .map_err(|e| ApiError::BadRequest { code: "invalid_query", detail: e.body_text() })
}

/// Path parameters. A malformed id → 400 `invalid_path`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| ApiError::BadRequest { code: "invalid_path", detail: e.body_text() })
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}
