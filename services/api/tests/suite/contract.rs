//! The OpenAPI document is a contract client generators rely on: it says what the server
//! enforces. Every closed set of codes is an enum built from the domain's own list; bounds equal
//! the constants the checks use; patterns agree with the parsers; files are binary bodies; no two
//! Rust types share a schema name. The last tests drive the server with the values the document
//! offers: each is accepted, and the first value past each bound is refused. Run on SQLite, and
//! on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{TestApp, World};
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate};
use regex::Regex;
use serde_json::{Value, json};

/// Properties and query parameters with these names hold codes from a closed set.
const CODE_NAMES: &[&str] = &[
    "status",
    "kind",
    "type",
    "role",
    "roles",
    "sex",
    "standing",
    "view",
    "vote",
    "priority",
    "rating",
    "weekdays",
    "attempt_period",
    "period",
    "author_presence",
    "warnings",
    "content_type",
];

/// Code-named properties that are not codes: RFC 9457's `type` is a URI.
const NOT_CODES: &[(&str, &str)] = &[("Problem", "type")];

/// Properties with other names that hold codes.
const MORE_CODES: &[(&str, &str)] = &[("LedgerEntryView", "reason")];

fn doc() -> Value {
    api::openapi()
}

fn component<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["components"]["schemas"].get(name).unwrap_or_else(|| panic!("no component {name}"))
}

/// `schema` with its `$ref`s followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, component(doc, r.trim_start_matches("#/components/schemas/"))),
        None => schema,
    }
}

/// The schemas `schema` is made of: itself, its alternatives and its items, refs followed.
fn parts<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let schema = resolve(doc, schema);
    let mut out = vec![schema];
    for key in ["oneOf", "anyOf", "allOf"] {
        for alternative in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
            out.extend(parts(doc, alternative));
        }
    }
    if let Some(items) = schema.get("items") {
        out.extend(parts(doc, items));
    }
    out
}

fn has_type(schema: &Value, ty: &str) -> bool {
    match &schema["type"] {
        Value::String(t) => t == ty,
        Value::Array(ts) => ts.iter().any(|t| t == ty),
        _ => false,
    }
}

/// A string (or list of strings) that may hold any text.
fn is_free_string(doc: &Value, schema: &Value) -> bool {
    let parts = parts(doc, schema);
    // A closed set (`enum`) or a closed grammar (`pattern`, e.g. a report period `2026-Q4`).
    parts.iter().any(|s| has_type(s, "string")) && !parts.iter().any(|s| s.get("enum").is_some() || s.get("pattern").is_some())
}

/// Every property of every component, nested objects included: (component, name, schema).
fn properties(doc: &Value) -> Vec<(String, String, &Value)> {
    fn walk<'a>(owner: &str, schema: &'a Value, out: &mut Vec<(String, String, &'a Value)>) {
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                out.push((owner.to_string(), name.clone(), prop));
                walk(owner, prop, out);
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            for alternative in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
                walk(owner, alternative, out);
            }
        }
        if let Some(items) = schema.get("items") {
            walk(owner, items, out);
        }
    }
    let mut out = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        walk(name, schema, &mut out);
    }
    out
}

/// Every parameter of every operation: ("METHOD path", parameter).
fn parameters(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                out.push((format!("{} {path}", method.to_uppercase()), p));
            }
        }
    }
    out
}

/// The schema of the query parameter `name` of `GET path`.
fn query_param<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap_or_else(|| panic!("GET {path}"));
    let p = params.iter().find(|p| p["name"] == name && p["in"] == "query").unwrap_or_else(|| panic!("GET {path} ?{name}"));
    &p["schema"]
}

fn every_node<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(v);
    match v {
        Value::Object(map) => map.values().for_each(|c| every_node(c, out)),
        Value::Array(items) => items.iter().for_each(|c| every_node(c, out)),
        _ => {}
    }
}

fn strings(values: &Value) -> Vec<String> {
    values.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

// ------------------------------------------------------------------------------ the document

#[test]
fn code_like_properties_and_parameters_are_enums() {
    let doc = doc();
    let mut free = Vec::new();
    let mut checked = 0;
    for (owner, name, schema) in properties(&doc) {
        let code_like = CODE_NAMES.contains(&name.as_str()) || MORE_CODES.contains(&(owner.as_str(), name.as_str()));
        if !code_like || NOT_CODES.contains(&(owner.as_str(), name.as_str())) {
            continue;
        }
        checked += 1;
        if is_free_string(&doc, schema) {
            free.push(format!("{owner}.{name}"));
        }
    }
    for (op, p) in parameters(&doc) {
        let name = p["name"].as_str().unwrap();
        if p["in"] == "query" && CODE_NAMES.contains(&name) {
            checked += 1;
            if is_free_string(&doc, &p["schema"]) {
                free.push(format!("{op} ?{name}"));
            }
        }
    }
    assert!(free.is_empty(), "codes documented as free strings: {free:#?}");
    assert!(checked > 40, "the walk found the code-like fields ({checked})");
}

#[test]
fn enum_components_are_the_domain_lists() {
    let doc = doc();
    for (name, codes) in api::views::schema::enum_components() {
        let schema = component(&doc, &name);
        assert_eq!(schema["type"], "string", "{name}");
        assert_eq!(strings(&schema["enum"]), codes, "{name} lists the domain's codes, in order");
    }
    // Spot checks against the parsers: every value the document offers is one they accept.
    for code in strings(&component(&doc, "SexInput")["enum"]) {
        assert!(membership::Sex::parse(&code).is_ok(), "sex {code}");
    }
    let cell = membership::UnitId::from_uuid(uuid::Uuid::nil());
    for code in strings(&component(&doc, "NewMemberEventType")["enum"]) {
        assert!(membership::lifecycle::EventKind::from_code(&code, Some(cell)).is_ok(), "event {code}");
    }
    for code in strings(&component(&doc, "MeetingStatus")["enum"]) {
        assert!(meetings::lifecycle::MeetingStatus::parse(&code).is_some(), "meeting status {code}");
    }
    for code in strings(&component(&doc, "Weekday")["enum"]) {
        assert!(study_points::quiz::parse_weekday(&code).is_some(), "weekday {code}");
    }
    assert_eq!(strings(&component(&doc, "MemberEventType")["enum"])[0], "admit", "the history starts with the admission");
}

#[test]
fn bounds_are_the_constants_the_server_checks() {
    use api::routes::{comments, documents, meetings, members, study, tasks};
    let doc = doc();
    let s = |path: &str| doc.pointer(&format!("/components/schemas/{path}")).cloned().unwrap_or_else(|| panic!("{path}"));
    let checks: Vec<(String, Value, Value)> = vec![
        (
            "CreateMeeting/properties/title/maxLength".into(),
            s("CreateMeeting/properties/title/maxLength"),
            json!(meetings::TITLE_MAX_CHARS),
        ),
        ("CreateMeeting/properties/title/minLength".into(), s("CreateMeeting/properties/title/minLength"), json!(1)),
        (
            "CreateMeeting/properties/planned_minutes".into(),
            json!([s("CreateMeeting/properties/planned_minutes/minimum"), s("CreateMeeting/properties/planned_minutes/maximum")]),
            json!([::meetings::content::MIN_PLANNED_MINUTES, ::meetings::content::MAX_PLANNED_MINUTES]),
        ),
        (
            "CreateMeeting/properties/agenda/maxItems".into(),
            s("CreateMeeting/properties/agenda/maxItems"),
            json!(::meetings::content::MAX_AGENDA_ITEMS),
        ),
        (
            "CreateMeeting/properties/notes/maxLength".into(),
            s("CreateMeeting/properties/notes/maxLength"),
            json!(meetings::NOTES_MAX_CHARS),
        ),
        (
            "MinutesBody/properties/text/maxLength".into(),
            s("MinutesBody/properties/text/maxLength"),
            json!(::meetings::minutes::MAX_TEXT_CHARS),
        ),
        (
            "RatingBody/properties/content".into(),
            json!([s("RatingBody/properties/content/minimum"), s("RatingBody/properties/content/maximum")]),
            json!([::meetings::minutes::MIN_SCORE, ::meetings::minutes::MAX_SCORE]),
        ),
        (
            "CreateComment/properties/body/maxLength".into(),
            s("CreateComment/properties/body/maxLength"),
            json!(::meetings::comments::MAX_COMMENT_CHARS),
        ),
        (
            "HideComment/properties/reason/maxLength".into(),
            s("HideComment/properties/reason/maxLength"),
            json!(comments::HIDE_REASON_MAX_CHARS),
        ),
        ("CreateEvent/properties/note/maxLength".into(), s("CreateEvent/properties/note/maxLength"), json!(members::EVENT_NOTE_MAX_CHARS)),
        (
            "CreateMember/properties/full_name/maxLength".into(),
            s("CreateMember/properties/full_name/maxLength"),
            json!(membership::FullName::MAX),
        ),
        ("CreateUnit/properties/name/maxLength".into(), s("CreateUnit/properties/name/maxLength"), json!(membership::UnitName::MAX)),
        (
            "PasswordRequest/properties/new_password".into(),
            json!([s("PasswordRequest/properties/new_password/minLength"), s("PasswordRequest/properties/new_password/maxLength")]),
            json!([app::accounts::PASSWORD_MIN_CHARS, app::accounts::PASSWORD_MAX_CHARS]),
        ),
        (
            "DocumentBody/properties/title/maxLength".into(),
            s("DocumentBody/properties/title/maxLength"),
            json!(::documents::model::TITLE_MAX_CHARS),
        ),
        ("DocumentBody/properties/body/maxLength".into(), s("DocumentBody/properties/body/maxLength"), json!(documents::BODY_MAX_CHARS)),
        ("DocumentBody/properties/tags/maxItems".into(), s("DocumentBody/properties/tags/maxItems"), json!(::documents::model::MAX_TAGS)),
        (
            "DocumentBody/properties/tags/items/maxLength".into(),
            s("DocumentBody/properties/tags/items/maxLength"),
            json!(::documents::model::TAG_MAX_CHARS),
        ),
        ("CreateTask/properties/title/maxLength".into(), s("CreateTask/properties/title/maxLength"), json!(tasks::TITLE_MAX_CHARS)),
        (
            "CreateTask/properties/assignee_ids".into(),
            json!([s("CreateTask/properties/assignee_ids/minItems"), s("CreateTask/properties/assignee_ids/maxItems")]),
            json!([1, ::tasks::assignees::MAX_ASSIGNEES]),
        ),
        ("ReportBody/properties/percent/maximum".into(), s("ReportBody/properties/percent/maximum"), json!(::tasks::workflow::MAX_PERCENT)),
        (
            "QuizBody/properties/max_attempts/maximum".into(),
            s("QuizBody/properties/max_attempts/maximum"),
            json!(study_points::quiz::MAX_ATTEMPTS),
        ),
        (
            "QuizBody/properties/time_limit_minutes/maximum".into(),
            s("QuizBody/properties/time_limit_minutes/maximum"),
            json!(study_points::quiz::MAX_TIME_LIMIT_MINUTES),
        ),
        ("QuizBody/properties/title/maxLength".into(), s("QuizBody/properties/title/maxLength"), json!(study::QUIZ_TITLE_MAX_CHARS)),
        (
            "QuestionBody/properties/options/maxItems".into(),
            s("QuestionBody/properties/options/maxItems"),
            json!(study_points::question::MAX_OPTIONS),
        ),
        (
            "AdjustmentBody/properties/points".into(),
            json!([
                s("AdjustmentBody/properties/points/anyOf/0/minimum"),
                s("AdjustmentBody/properties/points/anyOf/0/maximum"),
                s("AdjustmentBody/properties/points/anyOf/1/minimum"),
                s("AdjustmentBody/properties/points/anyOf/1/maximum"),
            ]),
            json!([-study_points::ledger::MAX_ADJUSTMENT_POINTS, -1, 1, study_points::ledger::MAX_ADJUSTMENT_POINTS]),
        ),
        (
            "AdjustmentBody/properties/reason".into(),
            json!([s("AdjustmentBody/properties/reason/minLength"), s("AdjustmentBody/properties/reason/maxLength")]),
            json!([study_points::ledger::ADJUSTMENT_REASON_MIN_CHARS, study_points::ledger::ADJUSTMENT_REASON_MAX_CHARS]),
        ),
        ("CreateMember/properties/email/format".into(), s("CreateMember/properties/email/format"), json!("email")),
        ("CreateMember/properties/email/maxLength".into(), s("CreateMember/properties/email/maxLength"), json!(membership::Email::MAX)),
    ];
    for (what, got, want) in checks {
        assert_eq!(got, want, "{what}");
    }
    let limit = |path: &str| query_param(&doc, path, "limit")["maximum"].clone();
    assert_eq!(limit("/api/v1/org-units/{id}/members"), json!(api::views::PAGE_LIMIT_MAX));
    assert_eq!(limit("/api/v1/org-units/{id}/tasks"), json!(api::views::PAGE_LIMIT_MAX));
    assert_eq!(limit("/api/v1/audit"), json!(api::views::PAGE_LIMIT_MAX));
    assert_eq!(limit("/api/v1/org-units/{id}/meetings"), json!(meetings::LIST_LIMIT_MAX));
    assert_eq!(limit("/api/v1/documents"), json!(documents::FEED_LIMIT_MAX));
    assert_eq!(limit("/api/v1/org-units/{id}/leaderboard"), json!(study::BOARD_LIMIT_MAX));
    for path in ["/api/v1/org-units/{id}/members", "/api/v1/org-units/{id}/meetings", "/api/v1/documents"] {
        assert_eq!(query_param(&doc, path, "limit")["minimum"], 1, "{path}");
    }
    let year = query_param(&doc, "/api/v1/me/points", "year");
    assert_eq!(year["anyOf"][0]["enum"], json!([0]), "0 is all time");
    assert_eq!(
        (year["anyOf"][1]["minimum"].clone(), year["anyOf"][1]["maximum"].clone()),
        (json!(membership::time::MIN_YEAR), json!(membership::time::MAX_YEAR))
    );
}

#[test]
fn every_body_date_a_client_sends_is_a_calendar_date_in_range() {
    let doc = doc();
    let date = component(&doc, "CalendarDate");
    assert_eq!((date["format"].as_str(), date["pattern"].as_str()), (Some("date"), Some(api::views::schema::DATE_PATTERN)));
    // Every request body's `format: date` goes through `CalendarDate`: a bare date would let
    // clients send years the server refuses.
    let requests: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.pointer("/requestBody/content/application~1json/schema/$ref").and_then(Value::as_str))
        .map(|r| r.trim_start_matches("#/components/schemas/").to_string())
        .collect();
    let mut bare = Vec::new();
    for (owner, name, schema) in properties(&doc) {
        let in_request = requests.contains(&owner) || ["AgendaItemBody", "DecisionBody"].contains(&owner.as_str());
        if in_request && schema.get("format") == Some(&json!("date")) {
            bare.push(format!("{owner}.{name}"));
        }
    }
    assert!(bare.is_empty(), "request dates without the range: {bare:?}");
    for (op, p) in parameters(&doc) {
        if p["in"] == "query" && parts(&doc, &p["schema"]).iter().any(|s| s["format"] == "date") {
            assert!(parts(&doc, &p["schema"]).iter().any(|s| s.get("pattern").is_some()), "{op} ?{}", p["name"]);
        }
    }
}

#[test]
fn patterns_agree_with_the_parsers() {
    use api::views::schema::{CITIZEN_ID_PATTERN, DATE_PATTERN, MONTH_PATTERN, TIME_OF_DAY_PATTERN, USERNAME_PATTERN};
    let re = |p: &str| Regex::new(p).unwrap();

    let date = re(DATE_PATTERN);
    let mut day = NaiveDate::from_ymd_opt(1895, 1, 1).unwrap();
    while day < NaiveDate::from_ymd_opt(2106, 1, 1).unwrap() {
        let text = day.format("%Y-%m-%d").to_string();
        assert_eq!(date.is_match(&text), membership::time::in_range(day), "{text}");
        day += Duration::days(59);
    }
    for edge in ["1900-01-01", "2100-12-31"] {
        assert!(date.is_match(edge), "{edge}");
    }
    for outside in ["1899-12-31", "2101-01-01", "2024-13-01", "2024-00-10", "2024-01-32", "24-01-01"] {
        assert!(!date.is_match(outside), "{outside}");
    }

    let cccd = re(CITIZEN_ID_PATTERN);
    for province in 0..1000 {
        let id = format!("{province:03}090001234");
        assert_eq!(cccd.is_match(&id), membership::CitizenId::parse(&id).is_ok(), "{id}");
    }
    for bad in ["03409000123", "0340900012345", "03409000123x"] {
        assert!(!cccd.is_match(bad) && membership::CitizenId::parse(bad).is_err(), "{bad}");
    }

    let doc = doc();
    let card = component(&doc, "CreateMember")["properties"]["party_card_number"]["pattern"].as_str().unwrap().to_string();
    let card = re(&card);
    for n in 1..=15 {
        let digits: String = "1234567890".chars().cycle().take(n).collect();
        assert_eq!(card.is_match(&digits), membership::PartyCardNumber::parse(&digits).is_ok(), "{digits}");
    }
    assert!(!card.is_match("12345a7"));

    let username = re(USERNAME_PATTERN);
    let (min, max) = (membership::Username::MIN, membership::Username::MAX);
    let long = "a".repeat(max);
    let too_long = "a".repeat(max + 1);
    for name in ["ab", "abc", "an.nguyen", "An_Nguyen-1", "bí.thư", "a b", "a@b", long.as_str(), too_long.as_str()] {
        let documented = username.is_match(name) && (min..=max).contains(&name.chars().count());
        assert_eq!(documented, membership::Username::parse(name).is_ok(), "{name}");
    }

    // Canonical times and months: the documented form is what the server accepts.
    let time = re(TIME_OF_DAY_PATTERN);
    for h in 0..30 {
        for m in (0..70).step_by(7) {
            let text = format!("{h:02}:{m:02}");
            assert_eq!(time.is_match(&text), app::study::hhmm(&Some(text.clone())).is_some(), "{text}");
        }
    }
    let month = re(MONTH_PATTERN);
    for m in 0..=13 {
        let text = format!("2026-{m:02}");
        assert_eq!(month.is_match(&text), NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").is_ok(), "{text}");
    }
}

#[test]
fn every_pattern_compiles_and_every_reference_resolves() {
    let doc = doc();
    let mut nodes = Vec::new();
    every_node(&doc, &mut nodes);
    let mut patterns = 0;
    for node in nodes {
        if let Some(p) = node.get("pattern").and_then(Value::as_str) {
            Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            patterns += 1;
        }
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r}"));
            assert!(doc["components"]["schemas"].get(name).is_some(), "{r} resolves");
        }
    }
    assert!(patterns >= 5, "{patterns} patterns");
}

#[test]
fn files_are_binary_bodies() {
    let doc = doc();
    let download = &doc["paths"]["/api/v1/attachments/{id}"]["get"]["responses"]["200"]["content"]["application/octet-stream"]["schema"];
    assert_eq!(download, &json!({"type": "string", "format": "binary"}), "a download is bytes, not an array of integers");
    let upload = &doc["paths"]["/api/v1/documents/{id}/attachments"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"];
    assert_eq!(upload["type"], "object");
    assert_eq!(upload["required"], json!(["file"]));
    assert_eq!(
        (upload["properties"]["file"]["type"].as_str(), upload["properties"]["file"]["format"].as_str()),
        (Some("string"), Some("binary"))
    );
    let import = &doc["paths"]["/api/v1/org-units/{id}/members/import"]["post"]["requestBody"]["content"];
    for content_type in ["text/csv", "text/plain"] {
        assert_eq!(import[content_type]["schema"]["type"], "string", "{content_type}");
    }
}

/// The names the schemas of the crate's Rust types take: derived `ToSchema` types by their name,
/// `code_enum!` types by the name they give, the hand-written ones by their type name.
fn rust_schema_names() -> BTreeMap<String, Vec<String>> {
    let derived =
        Regex::new(r"#\[derive\([^)]*\bToSchema\b[^)]*\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))? )?(?:struct|enum) (\w+)").unwrap();
    let coded = Regex::new(r#"code_enum!\(\s*(?:///[^\n]*\n\s*)*\w+ = "(\w+)""#).unwrap();
    let manual = Regex::new(r"impl ToSchema for (\w+) \{\}").unwrap();
    let limits = Regex::new(r"limit!\(\s*(?:///[^\n]*\n\s*)*(\w+),").unwrap();
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            let file = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().display().to_string();
            for re in [&derived, &coded, &manual, &limits] {
                for c in re.captures_iter(&src) {
                    names.entry(c[1].to_string()).or_default().push(file.clone());
                }
            }
        }
    }
    names
}

#[test]
fn no_two_rust_types_share_a_schema_name() {
    let names = rust_schema_names();
    let shared: Vec<_> = names.iter().filter(|(_, files)| files.len() > 1).collect();
    assert!(shared.is_empty(), "utoipa keeps one schema per name, silently: {shared:?}");
    assert!(
        names.contains_key("MeetingView") && names.contains_key("MeetingStatus") && names.contains_key("CalendarDate"),
        "the scan works"
    );
    // Every component of the document is one of these types (or a page of one).
    let doc = doc();
    for component in doc["components"]["schemas"].as_object().unwrap().keys() {
        let page_of = component.strip_suffix("Page").map(|inner| [format!("{inner}View"), inner.to_string()]);
        let known = names.contains_key(component)
            || page_of.is_some_and(|inner| inner.iter().any(|i| names.contains_key(i)) && names.contains_key("Page"));
        assert!(known, "component {component} has no Rust type of that name");
    }
}

// ------------------------------------------------------------------------------ the server

/// The query parameters of `GET path` with the values the document allows and the first values
/// it does not: (name, allowed, refused).
fn query_cases(doc: &Value, path: &str) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut cases = Vec::new();
    for p in doc["paths"][path]["get"]["parameters"].as_array().unwrap() {
        if p["in"] != "query" {
            continue;
        }
        let name = p["name"].as_str().unwrap().to_string();
        let (mut allowed, mut refused) = (Vec::new(), Vec::new());
        let list = p["style"] == "form" && p["explode"] == false;
        for s in parts(doc, &p["schema"]) {
            if let Some(values) = s.get("enum").and_then(Value::as_array) {
                let values: Vec<String> = values.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect();
                if list && values.len() > 1 {
                    allowed.push(values[..2].join(","));
                }
                allowed.extend(values);
                refused.push("not_a_code".to_string());
            }
            if let (Some(min), Some(max)) = (s["minimum"].as_i64(), s["maximum"].as_i64()) {
                allowed.extend([min.to_string(), max.to_string()]);
                refused.push((max + 1).to_string());
                if min > 0 {
                    refused.push((min - 1).to_string());
                }
            }
            if s["format"] == "date" {
                allowed.extend(["1900-01-01".to_string(), "2100-12-31".to_string()]);
                refused.extend(["1899-12-31".to_string(), "2101-01-01".to_string()]);
            }
            if s["pattern"].as_str() == Some(api::views::schema::MONTH_PATTERN) {
                allowed.push("2026-11".to_string());
                refused.push("2026-13".to_string());
            }
        }
        // `year` is 0 or a year: 0 is allowed, the values around the year range are refused.
        refused.retain(|r| !allowed.contains(r));
        if !allowed.is_empty() {
            cases.push((name, allowed, refused));
        }
    }
    cases
}

#[tokio::test]
async fn the_server_takes_every_query_value_the_document_offers_and_refuses_the_next() {
    let t = TestApp::new().await;
    let w: World = t.world().await;
    let doc = doc();
    let document = t
        .post(
            &format!("/api/v1/org-units/{}/documents", w.a),
            &w.sec.1,
            json!({"kind": "notice", "number": "01-TB/CB", "title": "Thông báo lịch sinh hoạt"}),
        )
        .await
        .expect(StatusCode::CREATED)
        .id();
    let (a, m1) = (&w.a, &w.m1.0);
    let lists: Vec<(&str, String, &str, String)> = vec![
        ("/api/v1/org-units/{id}/members", format!("/api/v1/org-units/{a}/members"), &w.sec.1, String::new()),
        ("/api/v1/org-units/{id}/meetings", format!("/api/v1/org-units/{a}/meetings"), &w.sec.1, String::new()),
        ("/api/v1/org-units/{id}/tasks", format!("/api/v1/org-units/{a}/tasks"), &w.sec.1, String::new()),
        ("/api/v1/me/tasks", "/api/v1/me/tasks".into(), &w.m1.1, String::new()),
        ("/api/v1/org-units/{id}/task-stats", format!("/api/v1/org-units/{a}/task-stats"), &w.sec.1, String::new()),
        ("/api/v1/documents", "/api/v1/documents".into(), &w.sec.1, String::new()),
        ("/api/v1/documents/{id}/readers", format!("/api/v1/documents/{document}/readers"), &w.sec.1, format!("unit_id={a}")),
        ("/api/v1/org-units/{id}/parents", format!("/api/v1/org-units/{a}/parents"), &w.sec.1, String::new()),
        ("/api/v1/org-units/{id}/meeting-reports", format!("/api/v1/org-units/{a}/meeting-reports"), &w.sec.1, String::new()),
        ("/api/v1/members/{id}/attendance", format!("/api/v1/members/{m1}/attendance"), &w.sec.1, String::new()),
        ("/api/v1/me/points", "/api/v1/me/points".into(), &w.m1.1, String::new()),
        ("/api/v1/me/points/ledger", "/api/v1/me/points/ledger".into(), &w.m1.1, String::new()),
        ("/api/v1/org-units/{id}/leaderboard", format!("/api/v1/org-units/{a}/leaderboard"), &w.sec.1, String::new()),
        ("/api/v1/org-units/{id}/study-stats", format!("/api/v1/org-units/{a}/study-stats"), &w.sec.1, String::new()),
        ("/api/v1/org-units/{id}/points/adjustments", format!("/api/v1/org-units/{a}/points/adjustments"), &w.sec.1, String::new()),
        ("/api/v1/audit", "/api/v1/audit".into(), &w.admin, String::new()),
    ];
    let mut tried = 0;
    for (template, url, token, fixed) in lists {
        let cases = query_cases(&doc, template);
        assert!(!cases.is_empty(), "{template} has bounded query parameters");
        for (name, allowed, refused) in cases {
            let with =
                |value: &str| if fixed.is_empty() { format!("{url}?{name}={value}") } else { format!("{url}?{fixed}&{name}={value}") };
            for value in &allowed {
                let r = t.get(&with(value), token).await;
                assert_eq!(r.status, StatusCode::OK, "GET {} → {} {}", with(value), r.status, r.body);
                tried += 1;
            }
            for value in &refused {
                t.get(&with(value), token).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_query");
                tried += 1;
            }
        }
    }
    assert!(tried > 100, "{tried} requests");
}

/// The errors of a 422 `validation_failed`, as `field` → `code`.
fn issues(body: &Value) -> BTreeMap<String, String> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn the_server_holds_the_body_bounds_the_document_states() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let doc = doc();
    let meeting = &component(&doc, "CreateMeeting")["properties"];
    let title_max = meeting["title"]["maxLength"].as_u64().unwrap() as usize;
    let (minutes_min, minutes_max) =
        (meeting["planned_minutes"]["minimum"].as_u64().unwrap(), meeting["planned_minutes"]["maximum"].as_u64().unwrap());
    let kinds = strings(&component(&doc, "MeetingKind")["enum"]);
    let url = format!("/api/v1/org-units/{}/meetings", w.a);
    let body = |kind: &str, title: String, planned: u64| json!({"kind": kind, "title": title, "starts_at": t.now() + Duration::days(3), "planned_minutes": planned});
    // Every kind the document offers is taken, with the longest title and each end of the
    // duration range; one character or one minute more is refused, naming the field.
    for (i, kind) in kinds.iter().enumerate() {
        let planned = if i % 2 == 0 { minutes_min } else { minutes_max };
        t.post(&url, &w.sec.1, body(kind, "Đ".repeat(title_max), planned)).await.expect(StatusCode::CREATED);
    }
    let kind = "thematic";
    let r = t.post(&url, &w.sec.1, body(kind, "Đ".repeat(title_max + 1), minutes_min)).await;
    let r = r.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(issues(&r.body), BTreeMap::from([("title".to_string(), "too_long".to_string())]));
    for planned in [minutes_min - 1, minutes_max + 1] {
        let r = t.post(&url, &w.sec.1, body(kind, "Sinh hoạt chuyên đề".into(), planned)).await;
        let r = r.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(issues(&r.body).contains_key("planned_minutes"), "{planned}: {}", r.body);
    }

    // A points adjustment: 0 and one past either end are refused as invalid; the ends themselves
    // pass validation (the yearly cap then answers), and so does the shortest reason.
    let adjustment = &component(&doc, "AdjustmentBody")["properties"];
    let max = adjustment["points"]["anyOf"][1]["maximum"].as_i64().unwrap();
    let reason_min = adjustment["reason"]["minLength"].as_u64().unwrap() as usize;
    let adj = format!("/api/v1/members/{}/points/adjustments", w.m1.0);
    let reason = "Giải nhất hội thi";
    for points in [0, max + 1, -(max + 1)] {
        let r = t.post(&adj, &w.sec.1, json!({"points": points, "reason": reason})).await;
        let r = r.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(issues(&r.body), BTreeMap::from([("points".to_string(), "out_of_range".to_string())]), "{points}");
    }
    for points in [max, -max] {
        t.post(&adj, &w.sec.1, json!({"points": points, "reason": reason}))
            .await
            .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "adjustment_cap_exceeded");
    }
    let r = t.post(&adj, &w.sec.1, json!({"points": 1, "reason": "x".repeat(reason_min - 1)})).await;
    let r = r.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(issues(&r.body), BTreeMap::from([("reason".to_string(), "too_short".to_string())]));
    t.post(&adj, &w.sec.1, json!({"points": 1, "reason": "x".repeat(reason_min)})).await.expect(StatusCode::CREATED);

    // A task: as many assignees as the document allows (the same member repeated counts once
    // for the rule, but the list length is what is bounded), one more is refused.
    let task = &component(&doc, "CreateTask")["properties"];
    let most = task["assignee_ids"]["maxItems"].as_u64().unwrap() as usize;
    let tasks = format!("/api/v1/org-units/{}/tasks", w.a);
    let due = t.today() + Duration::days(7);
    let many = |n: usize| vec![w.m1.0.clone(); n];
    t.post(&tasks, &w.sec.1, json!({"title": "Vận động hộ gia đình", "assignee_ids": many(most), "due_on": due}))
        .await
        .expect(StatusCode::CREATED);
    let r = t.post(&tasks, &w.sec.1, json!({"title": "Vận động hộ gia đình", "assignee_ids": many(most + 1), "due_on": due})).await;
    let r = r.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(issues(&r.body), BTreeMap::from([("assignee_ids".to_string(), "too_long".to_string())]));
    t.post(&tasks, &w.sec.1, json!({"title": "Vận động hộ gia đình", "assignee_ids": [], "due_on": due}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}
