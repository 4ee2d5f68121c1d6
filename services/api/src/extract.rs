//! Request extractors that turn every rejection into a problem+json [`ApiError`] naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldIssue};

/// JSON body. Non-JSON content type → 415; unreadable JSON → 400 `malformed_json`; a missing
/// field, a wrong type or an unknown field → 422 naming the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// Whether a character may not appear in any text the API accepts: the control characters
/// (C0, DEL, C1) other than tab, line feed and carriage return. PostgreSQL cannot store NUL in
/// text at all, and none of them belongs in a name, a title or a note.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The 422 for a text input holding a forbidden character (see [`is_forbidden_char`]).
pub fn control_characters(field: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldIssue::new(
        field,
        "invalid_characters",
        "control characters (other than tab and line breaks) are not accepted",
    )])
}

/// Whether JSON text may hold a forbidden character in a string: an escape of one
/// (`\u0000`–`\u001f` but tab, line feed and carriage return, `\b`, `\f`, `\u007f`–`\u009f`) or
/// DEL or a C1 control written raw. (Raw C0 controls are not valid JSON at all.) A cheap scan
/// that may answer yes for text that turns out clean; [`forbidden_char_path`] then decides.
fn may_hold_forbidden_char(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => match bytes.get(i + 1) {
                Some(b'b' | b'f') => return true,
                Some(b'u') => {
                    let hex =
                        bytes.get(i + 2..i + 6).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u32::from_str_radix(h, 16).ok());
                    if hex.and_then(char::from_u32).is_some_and(is_forbidden_char) {
                        return true;
                    }
                    i += 6;
                }
                _ => i += 2,
            },
            0x7f => return true,
            0xc2 if bytes.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)) => return true,
            _ => i += 1,
        }
    }
    false
}

/// The path (`title`, `items[2].note`) of the first string or key holding a forbidden character.
fn forbidden_char_path(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => s.chars().any(is_forbidden_char).then(|| path.to_string()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| forbidden_char_path(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = join_path(path, k);
            if k.chars().any(is_forbidden_char) { Some(here) } else { forbidden_char_path(v, &here) }
        }),
        _ => None,
    }
}

/// Deserialises JSON bytes with field paths in errors. Refuses trailing bytes after the value
/// (400 `malformed_json`) and control characters in any string (422 `invalid_characters` naming
/// the field), so no handler sees either.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if may_hold_forbidden_char(bytes)
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(path) = forbidden_char_path(&value, "")
    {
        return Err(control_characters(if path.is_empty() { "body".to_string() } else { path }));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = deserialize_with_paths(de)?;
    de.end().map_err(|e| ApiError::BadRequest { code: "malformed_json", detail: format!("the body is not valid JSON: {e}") })?;
    Ok(value)
}

fn deserialize_with_paths<'de, T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, ApiError> {
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
    let uri: axum::http::Uri = format!("/?{query}")
        .parse()
        .map_err(|_| ApiError::BadRequest { code: "invalid_query", detail: "the query string cannot be read".into() })?;
    if query.contains('%') {
        // Percent-encoded control characters (`%00`): refused like those in a JSON string.
        let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
            .map_err(|e| ApiError::BadRequest { code: "invalid_query", detail: e.body_text() })?;
        if let Some((name, _)) = pairs.0.iter().find(|(k, v)| k.chars().chain(v.chars()).any(is_forbidden_char)) {
            return Err(ApiError::BadRequest {
                code: "invalid_query",
                detail: format!("the query parameter `{name}` holds a control character"),
            });
        }
    }
    axum::extract::Query::<T>::try_from_uri(&uri)
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

/// The `ETag` of a version: a strong entity tag holding the version number in quotes (`"3"`).
/// [`IfMatch`] reads back exactly this form.
pub fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The `If-Match` precondition of a versioned write. One rule for every write that takes a
/// version (`PATCH` of members, documents, meetings and tasks):
///
/// - **Required.** Without the header the request is refused with 428 `precondition_required`:
///   an edit that does not say which version it was made from could silently overwrite someone
///   else's change.
/// - **Its value is the `ETag` a read returned** (see [`etag`]: `"3"`), or a comma-separated list
///   of such tags (RFC 9110 §13.1.1); the write proceeds when one of them is the current version.
///   The comparison is strong: a weak tag (`W/"3"`) never matches.
/// - **`*` is refused with 428**, like a missing header. `*` means "whatever the current version
///   is": it would let a client write over changes it has never seen, which is exactly the lost
///   update the version exists to prevent, and since every resource edited here exists, `*` would
///   add nothing but that hole.
/// - **A value that is not RFC 9110 syntax** (an unquoted `3`, `*` inside a list, an unterminated
///   quote, control characters) → 400 `invalid_if_match`.
/// - **A well-formed value none of whose tags is current** → 412 `precondition_failed`.
///
/// The extractor rejects the first three cases before the handler runs. The handler loads the
/// resource, checks the caller's rights (so a caller who may not edit learns nothing about
/// versions), then calls [`IfMatch::matching`] with the current version; it passes the version
/// that call returns to storage, whose conditional update (`… WHERE version = expected`) turns a
/// race lost between the read and the write into the same 412.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfMatch {
    /// The versions named by the strong tags of the header (tags that are not a version the API
    /// could have sent are kept out: they match nothing).
    versions: Vec<i32>,
}

impl IfMatch {
    /// The versions the header names (for a use case that compares them after its own checks).
    pub fn versions(&self) -> &[i32] {
        &self.versions
    }

    /// The version to write against: `current` when the header names it, else 412
    /// `precondition_failed` (someone else changed the resource since the client read it).
    pub fn matching(&self, current: i32) -> Result<i32, ApiError> {
        if self.versions.contains(&current) { Ok(current) } else { Err(ApiError::PreconditionFailed) }
    }

    /// Parses the field value (several field lines are one comma-separated list).
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, ApiError> {
        let mut value = Vec::new();
        let mut present = false;
        for line in lines {
            if present {
                value.push(b',');
            }
            value.extend_from_slice(line);
            present = true;
        }
        if !present {
            return Err(ApiError::PreconditionRequired);
        }
        let elements = if_match_elements(&value).map_err(invalid_if_match)?;
        match elements.as_slice() {
            [] => Err(invalid_if_match("the If-Match header is empty")),
            [Element::Any] => Err(ApiError::PreconditionRequired),
            _ if elements.contains(&Element::Any) => Err(invalid_if_match("`*` cannot be combined with entity tags")),
            _ => Ok(IfMatch {
                versions: elements
                    .iter()
                    .filter_map(|e| match e {
                        Element::Strong(opaque) => version_of(opaque),
                        Element::Any | Element::Weak => None,
                    })
                    .collect(),
            }),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        IfMatch::parse(parts.headers.get_all(header::IF_MATCH).iter().map(HeaderValue::as_bytes))
    }
}

impl utoipa::IntoParams for IfMatch {
    fn into_params(
        _parameter_in_provider: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        vec![
            utoipa::openapi::path::ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(utoipa::openapi::path::ParameterIn::Header)
                .required(utoipa::openapi::Required::True)
                .description(Some(
                    "The `ETag` of the version being edited, as a read returned it (`\"3\"`); a comma-separated list is \
                     accepted when one tag is current. Missing or `*` → 428 `precondition_required`; malformed → 400 \
                     `invalid_if_match`; not the current version → 412 `precondition_failed`.",
                ))
                .schema(Some(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::String)))
                .example(Some(serde_json::json!("\"3\"")))
                .build(),
        ]
    }
}

fn invalid_if_match(detail: &str) -> ApiError {
    ApiError::BadRequest { code: "invalid_if_match", detail: detail.to_string() }
}

/// One element of an `If-Match` list.
#[derive(Debug, PartialEq, Eq)]
enum Element<'a> {
    /// `*`.
    Any,
    /// A weak tag `W/"…"` (never matches under the strong comparison).
    Weak,
    /// A strong tag: the bytes between the quotes.
    Strong(&'a [u8]),
}

/// Splits `If-Match = "*" / #entity-tag` (RFC 9110 §8.8.3, §13.1.1) into its elements; empty list
/// elements are skipped as the list rule asks. Quoted tags may contain commas.
fn if_match_elements(value: &[u8]) -> Result<Vec<Element<'_>>, &'static str> {
    let is_ows = |b: u8| b == b' ' || b == b'\t';
    let is_etagc = |b: u8| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80;
    let mut elements = Vec::new();
    let mut i = 0;
    loop {
        while i < value.len() && (is_ows(value[i]) || value[i] == b',') {
            i += 1;
        }
        if i == value.len() {
            return Ok(elements);
        }
        if value[i] == b'*' {
            elements.push(Element::Any);
            i += 1;
        } else {
            let weak = value[i..].starts_with(b"W/");
            if weak {
                i += 2;
            }
            if value.get(i) != Some(&b'"') {
                return Err("If-Match takes entity tags in double quotes, as the ETag header sends them (\"3\"), or a \
                            comma-separated list of them");
            }
            let start = i + 1;
            let Some(len) = value[start..].iter().position(|&b| b == b'"') else {
                return Err("an entity tag in If-Match has no closing quote");
            };
            let opaque = &value[start..start + len];
            if !opaque.iter().all(|&b| is_etagc(b)) {
                return Err("an entity tag in If-Match contains a character entity tags cannot hold");
            }
            elements.push(if weak { Element::Weak } else { Element::Strong(opaque) });
            i = start + len + 1;
        }
        while i < value.len() && is_ows(value[i]) {
            i += 1;
        }
        if i < value.len() && value[i] != b',' {
            return Err("the entity tags in If-Match must be separated by commas");
        }
    }
}

/// The version an opaque tag names, when it is one [`etag`] could have produced (a decimal
/// number without sign or leading zeros).
fn version_of(opaque: &[u8]) -> Option<i32> {
    let text = std::str::from_utf8(opaque).ok()?;
    let version: i32 = text.parse().ok()?;
    (version >= 0 && version.to_string() == text).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Result<IfMatch, ApiError> {
        IfMatch::parse(lines.iter().map(|l| l.as_bytes()))
    }

    fn versions(lines: &[&str]) -> Vec<i32> {
        parse(lines).map(|m| m.versions).unwrap_or_else(|e| panic!("{lines:?}: {e:?}"))
    }

    fn code(lines: &[&str]) -> &'static str {
        match parse(lines) {
            Ok(m) => panic!("{lines:?} parsed as {m:?}"),
            Err(e) => e.code(),
        }
    }

    #[test]
    fn accepts_strong_tags_and_lists() {
        let table: &[(&[&str], &[i32])] = &[
            (&["\"3\""], &[3]),
            (&["  \"3\"  "], &[3]),
            (&["\"1\", \"2\""], &[1, 2]),
            (&["\"1\",\"2\" ,\t\"17\""], &[1, 2, 17]),
            (&["\"1\"", "\"4\""], &[1, 4]),
            (&[", \"5\" ,,"], &[5]),
            // Well-formed tags that name no version the API sends: they match nothing.
            (&["W/\"3\""], &[]),
            (&["\"03\"", "\"+3\"", "\"-1\"", "\"abc\"", "\"\"", "\"a,b\"", "\"99999999999\""], &[]),
            (&["W/\"3\", \"4\""], &[4]),
        ];
        for (lines, expected) in table {
            assert_eq!(versions(lines), *expected, "{lines:?}");
        }
    }

    #[test]
    fn refuses_missing_and_star_with_428() {
        assert_eq!(parse(&[]).unwrap_err().code(), "precondition_required");
        assert_eq!(code(&["*"]), "precondition_required");
        assert_eq!(code(&[" * "]), "precondition_required");
    }

    #[test]
    fn refuses_malformed_values_with_400() {
        for lines in [
            &[""][..],
            &[" , "],
            &["3"],
            &["abc"],
            &["\"3"],
            &["\"3\" \"4\""],
            &["\"3\"x"],
            &["w/\"3\""],
            &["W/3"],
            &["*, \"3\""],
            &["\"3\"", "*"],
            &["**"],
            &["\"a b\""],
            &["\"3\u{7f}\""],
        ] {
            assert_eq!(code(lines), "invalid_if_match", "{lines:?}");
        }
    }

    #[test]
    fn matching_returns_the_current_version_or_412() {
        let m = parse(&["\"2\", \"3\""]).unwrap();
        assert_eq!(m.matching(3).unwrap(), 3);
        assert_eq!(m.matching(2).unwrap(), 2);
        assert_eq!(m.matching(4).unwrap_err().code(), "precondition_failed");
        assert_eq!(parse(&["W/\"3\""]).unwrap().matching(3).unwrap_err().code(), "precondition_failed");
    }

    #[test]
    fn etag_is_what_if_match_reads() {
        for v in [0, 1, 42, i32::MAX] {
            let tag = etag(v);
            assert_eq!(IfMatch::parse([tag.as_bytes()]).unwrap().matching(v).unwrap(), v);
        }
    }
}
