//! The finishing pass over the OpenAPI document the handlers' annotations generate: the rules
//! every operation follows are applied here once instead of being hand-written per handler.
//!
//! - **Operation ids** are `<tag>_<handler>` (`meetings_check_in`, `org_units_create`), with the
//!   few handlers whose names would collide renamed in [`OPERATION_IDS`]. They are unique (a test
//!   checks) and stable: the snapshot test of the document makes every change a reviewed diff.
//! - **Errors** are `application/problem+json` with the `Problem` schema, and every operation
//!   documents the ones it can answer, from what it takes: a bearer token (401 with
//!   `WWW-Authenticate`, 403), path parameters (400 `invalid_path`, 404), query parameters (400
//!   `invalid_query`), a JSON body (400 `malformed_json`, 413, 415, 422), `If-Match` (400, 412,
//!   428); every operation that reaches the database can answer 503 with `Retry-After`; every
//!   `/api/v1` operation 414 and (but the calendar feed and downloads) 406; every operation 504
//!   `request_timeout` (the edge's timeout until the response starts). Problems carry
//!   `Content-Language`.
//! - **Every response has a description** (a one-line default per status where the handler gave
//!   none).
//! - **Schema names** do not leak generics (`Page_MemberView` → `MemberPage`).

use serde_json::{Map, Value, json};

/// Operation ids chosen by hand where `<tag>_<handler>` would collide or read badly, keyed by
/// method and path.
pub const OPERATION_IDS: &[(&str, &str, &str)] = &[
    ("post", "/api/v1/meetings/{id}/comments", "meetings_create_comment"),
    ("get", "/api/v1/meetings/{id}/comments", "meetings_list_comments"),
    ("patch", "/api/v1/comments/{id}", "meetings_edit_comment"),
    ("post", "/api/v1/comments/{id}/hide", "meetings_hide_comment"),
    ("post", "/api/v1/org-units/{id}/admin-grants", "accounts_create_admin_grant"),
    ("get", "/api/v1/org-units/{id}/admin-grants", "accounts_list_admin_grants"),
    ("post", "/api/v1/admin-grants/{id}/revoke", "accounts_revoke_admin_grant"),
];

/// Operations whose 201 carries `Location`, the path of the created object.
pub const CREATED_WITH_LOCATION: &[(&str, &str, &str)] =
    &[("post", "/api/v1/org-units", "/api/v1/org-units/{id}"), ("post", "/api/v1/org-units/{id}/members", "/api/v1/members/{id}")];

/// Applies the rules above to the document, returning its JSON form (what is served and printed:
/// utoipa's own types cannot read their JSON back).
pub fn finish(doc: utoipa::openapi::OpenApi) -> Value {
    let mut value = serde_json::to_value(&doc).unwrap_or(Value::Null);
    finish_value(&mut value);
    value
}

/// [`finish`] on the JSON form of the document.
pub fn finish_value(doc: &mut Value) {
    rename_generic_schemas(doc);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if !["get", "put", "post", "delete", "patch", "head"].contains(&method.as_str()) {
                continue;
            }
            if let Some(op) = op.as_object_mut() {
                finish_operation(method, path, op);
            }
        }
    }
}

fn finish_operation(method: &str, path: &str, op: &mut Map<String, Value>) {
    let tag = op.get("tags").and_then(|t| t.get(0)).and_then(Value::as_str).unwrap_or("api").replace('-', "_");
    let handler = op.get("operationId").and_then(Value::as_str).unwrap_or("call").to_string();
    let id = OPERATION_IDS
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map_or_else(|| format!("{tag}_{handler}"), |(_, _, id)| (*id).to_string());
    op.insert("operationId".into(), json!(id));

    let params = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let has = |place: &str| params.iter().any(|p| p["in"] == place);
    let if_match = params.iter().any(|p| p["in"] == "header" && p["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case("if-match")));
    let secured = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
    let json_body = op
        .get("requestBody")
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
        .is_some_and(|c| c.keys().any(|k| k == "application/json"));
    let any_body = op.get("requestBody").is_some();

    let mut add: Vec<(u16, &str)> = Vec::new();
    if secured {
        add.push((401, "`unauthenticated`: no valid bearer token"));
        add.push((403, "`forbidden`: the caller may not do this (or `password_change_required`)"));
    }
    if has("path") {
        add.push((400, "`invalid_path`: a path parameter is malformed"));
        add.push((404, "`not_found`: no such object"));
    }
    if has("query") {
        add.push((400, "`invalid_query`: a query parameter is unknown or malformed"));
    }
    if params.iter().any(|p| p["in"] == "query" && p["name"].as_str().is_some_and(|n| n.ends_with("_id"))) {
        add.push((404, "`not_found`: an object named in the query does not exist"));
    }
    let multipart = op
        .get("requestBody")
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
        .is_some_and(|c| c.keys().any(|k| k.starts_with("multipart/")));
    if json_body {
        add.push((400, "`malformed_json`: the body is not valid JSON"));
    }
    if multipart {
        add.push((400, "`invalid_multipart`: the multipart body cannot be read"));
    }
    if any_body {
        add.push((413, "`payload_too_large`: the body is larger than accepted"));
        add.push((415, "`unsupported_media_type`: send the documented content type"));
    }
    if json_body {
        add.push((422, "`validation_failed`: fields are missing or invalid (see `errors`)"));
    }
    if if_match {
        add.push((400, "`invalid_if_match`: malformed `If-Match`"));
        add.push((412, "`precondition_failed`: `If-Match` is not the current version"));
        add.push((428, "`precondition_required`: `If-Match` missing or `*`"));
    }
    if path != "/health" {
        add.push((503, "`service_unavailable`: the database cannot be reached; retry later"));
    }
    add.push((
        504,
        "`request_timeout`: no answer within the server's time limit (`HANDBOOK_REQUEST_TIMEOUT_SECS`); the work was abandoned",
    ));
    if path.starts_with("/api/v1/") {
        add.push((414, "`uri_too_long`: the path and query are longer than 8 KiB"));
        if !path.ends_with(".ics")
            && !path.starts_with("/api/v1/attachments/")
            && path != "/api/v1/openapi.json"
            && path != crate::error::NOTIFICATION_STREAM
        {
            add.push((406, "`not_acceptable`: `Accept` allows neither JSON nor problem+json"));
        }
    }

    let mut by_status: std::collections::BTreeMap<u16, Vec<&str>> = std::collections::BTreeMap::new();
    for (status, text) in add {
        let texts = by_status.entry(status).or_default();
        if !texts.contains(&text) {
            texts.push(text);
        }
    }
    let responses = op.entry("responses").or_insert_with(|| json!({}));
    let Some(responses) = responses.as_object_mut() else { return };
    for (status, texts) in by_status {
        let response = responses.entry(status.to_string()).or_insert_with(|| json!({ "description": "" }));
        let Some(response) = response.as_object_mut() else { continue };
        let mut description = response.get("description").and_then(Value::as_str).unwrap_or("").trim().to_string();
        for text in texts {
            // The code in backticks: add the line unless the handler's text already names it.
            let code = text.split('`').nth(1).unwrap_or(text);
            if !description.contains(code) {
                description = if description.is_empty() { text.to_string() } else { format!("{description}; {text}") };
            }
        }
        response.insert("description".into(), json!(description));
    }
    if let Some((_, _, target)) = CREATED_WITH_LOCATION.iter().find(|(m, p, _)| *m == method && *p == path)
        && let Some(created) = responses.get_mut("201").and_then(Value::as_object_mut)
    {
        let headers = created.entry("headers").or_insert_with(|| json!({}));
        if let Some(headers) = headers.as_object_mut() {
            headers.insert(
                "Location".into(),
                json!({"description": format!("The created object: `{target}`"), "schema": {"type": "string", "format": "uri-reference"}}),
            );
        }
    }
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else { continue };
        let code: u16 = status.parse().unwrap_or(0);
        if response.get("description").and_then(Value::as_str).is_none_or(|d| d.trim().is_empty()) {
            response.insert("description".into(), json!(default_description(code)));
        }
        if code >= 400 {
            response.insert("content".into(), json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}));
            let headers = response.entry("headers").or_insert_with(|| json!({}));
            if let Some(headers) = headers.as_object_mut() {
                headers.insert(
                    "Content-Language".into(),
                    json!({"description": "`vi` or `en`: the language of `title` and `detail`, from `Accept-Language`", "schema": {"type": "string", "enum": ["vi", "en"]}}),
                );
                match code {
                    401 => {
                        headers.insert("WWW-Authenticate".into(), json!({"description": "`Bearer`", "schema": {"type": "string"}}));
                    }
                    429 | 503 => {
                        headers.insert(
                            "Retry-After".into(),
                            json!({"description": "Seconds to wait before retrying", "schema": {"type": "integer", "minimum": 0}}),
                        );
                    }
                    _ => {}
                }
                if headers.is_empty() {
                    response.remove("headers");
                }
            }
        }
    }
}

fn default_description(status: u16) -> &'static str {
    match status {
        200 => "Success",
        201 => "Created",
        204 => "Done; no content",
        400 => "The request cannot be read",
        401 => "No valid bearer token",
        403 => "Not permitted",
        404 => "Not found",
        406 => "No acceptable content type",
        409 => "Conflicts with the current state (see `code`)",
        412 => "`If-Match` is not the current version",
        413 => "The body is too large",
        414 => "The request target is too long",
        415 => "Unsupported content type",
        422 => "The request breaks a rule (see `code` and `errors`)",
        428 => "`If-Match` is required",
        429 => "Too many attempts; retry after `Retry-After` seconds",
        503 => "Temporarily unavailable; retry later",
        504 => "The request took too long",
        507 => "No storage left",
        _ => "See the problem's `code`",
    }
}

/// `Page_MemberView` → `MemberPage` (and every `$ref` to it).
fn rename_generic_schemas(doc: &mut Value) {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    let renames: Vec<(String, String)> = schemas
        .keys()
        .filter_map(|k| k.strip_prefix("Page_").map(|inner| (k.clone(), format!("{}Page", inner.trim_end_matches("View")))))
        .filter(|(_, new)| !schemas.contains_key(new))
        .collect();
    for (old, new) in &renames {
        if let Some(schema) = schemas.remove(old) {
            schemas.insert(new.clone(), schema);
        }
    }
    let refs: Vec<(String, String)> =
        renames.iter().map(|(o, n)| (format!("#/components/schemas/{o}"), format!("#/components/schemas/{n}"))).collect();
    fn walk(v: &mut Value, refs: &[(String, String)]) {
        match v {
            Value::Object(map) => {
                for (k, child) in map.iter_mut() {
                    if k == "$ref"
                        && let Some(s) = child.as_str()
                        && let Some((_, new)) = refs.iter().find(|(old, _)| old == s)
                    {
                        *child = json!(new);
                    } else {
                        walk(child, refs);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|c| walk(c, refs)),
            _ => {}
        }
    }
    walk(doc, &refs);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    #[test]
    fn operation_ids_are_unique_and_every_response_is_described() {
        let doc = crate::openapi();
        let mut ids = std::collections::BTreeMap::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap().to_string();
                if let Some(previous) = ids.insert(id.clone(), format!("{method} {path}")) {
                    panic!("{id} names both {previous} and {method} {path}");
                }
                for (status, response) in op["responses"].as_object().unwrap() {
                    assert!(!response["description"].as_str().unwrap_or("").is_empty(), "{method} {path} {status}");
                    if status.as_str() >= "400" {
                        assert!(response["content"]["application/problem+json"].is_object(), "{method} {path} {status}");
                    }
                }
            }
        }
        assert!(ids.len() > 90);
    }
}
