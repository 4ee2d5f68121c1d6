//! Members: create, roster (cursor pages), read, contact edits, lifecycle events, CSV import.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use membership::lifecycle::{self, EventCodeError, EventKind, LifecycleError, Standing};
use membership::permission::MemberView as Visibility;
use membership::{CitizenId, Email, FullName, MemberId, PartyCardNumber, Phone, Sex, UnitId};
use serde::{Deserialize, Deserializer, Serialize};
use storage::members::{Decision, StandingFilter};
use utoipa::openapi::schema::Object;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use app::members::{
    ContactChange, CreateMemberError, ImportError, MemberKey, NewEvent, NewMember, ParsedImport, RecordEventError, UpdateContactError,
    ViewMemberError, VisibleMember,
};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldIssue};
use crate::extract::{IfMatch, Json, Path, Query, etag};
use crate::state::AppState;
use crate::views::schema::{
    CITIZEN_ID_PATTERN, CalendarDate, NewEventTypeCode, PageLimit, SexInput, code_enum, email, nullable_text, text,
};
use crate::views::{
    DECISION_ISSUER_MAX_CHARS, DECISION_NUMBER_MAX_CHARS, DecisionBody, EventView, MemberView, Page, PositionView, decode_cursor,
    encode_cursor, page_limit,
};

/// A new member (fields of Quy định 339-QĐ/TW).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    /// Full name, 1–100 characters; NFC-normalised and trimmed.
    #[schema(schema_with = full_name_schema)]
    pub full_name: String,
    /// Date of birth; at least 18 years before `admitted_on`, not in the future.
    #[schema(value_type = CalendarDate)]
    pub date_of_birth: NaiveDate,
    /// `male` / `female` (also `nam` / `nữ`).
    #[schema(value_type = SexInput)]
    pub sex: String,
    /// Admission date (*ngày vào Đảng*), not in the future.
    #[schema(value_type = CalendarDate)]
    pub admitted_on: NaiveDate,
    /// Date recognised as official, for members recorded after the fact (≥ 12 months after
    /// admission). Absent: the member is probationary.
    #[schema(value_type = Option<CalendarDate>)]
    pub official_on: Option<NaiveDate>,
    /// Party-card number, 6–12 digits; unique.
    #[schema(schema_with = party_card_number_schema)]
    pub party_card_number: Option<String>,
    /// CCCD, 12 digits; unique.
    #[schema(schema_with = citizen_id_schema)]
    pub citizen_id: String,
    /// Vietnamese mobile number.
    #[schema(example = "0912345678")]
    pub phone: Option<String>,
    /// E-mail.
    #[schema(schema_with = new_email_schema)]
    pub email: Option<String>,
}

fn full_name_schema() -> Object {
    let max = FullName::MAX;
    text(1, max)
        .description(Some(format!(
            "Full name, 1–{max} characters of letters, spaces, apostrophes, hyphens and dots; NFC-normalised and trimmed."
        )))
        .examples(["Nguyễn Văn An"])
        .build()
}

fn party_card_number_schema() -> Object {
    let (min, max) = (PartyCardNumber::MIN_DIGITS, PartyCardNumber::MAX_DIGITS);
    nullable_text(min, max)
        .pattern(Some(format!("^[0-9]{{{min},{max}}}$")))
        .description(Some(format!(
            "Party-card number, {min}–{max} digits (spaces and dots between groups are removed); unique. Absent or `null`: none."
        )))
        .examples(["01234567"])
        .build()
}

fn citizen_id_schema() -> Object {
    let digits = CitizenId::DIGITS;
    text(digits, digits)
        .pattern(Some(CITIZEN_ID_PATTERN))
        .description(Some(format!("CCCD, {digits} digits starting with a province code 001–096 (spaces are removed); unique.")))
        .examples(["034090001234"])
        .build()
}

fn new_email_schema() -> Object {
    email(true).description(Some("E-mail, `name@example.vn`. Absent or `null`: none.")).build()
}

fn optional<T>(
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, membership::FieldError>,
    field: &str,
    issues: &mut Vec<FieldIssue>,
) -> Option<T> {
    let raw = raw.map(str::trim).filter(|v| !v.is_empty())?;
    parse(raw).map_err(|e| issues.push(FieldIssue::new(field, e.code(), e.to_string()))).ok()
}

fn required<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, membership::FieldError>,
    field: &str,
    issues: &mut Vec<FieldIssue>,
) -> Option<T> {
    parse(raw).map_err(|e| issues.push(FieldIssue::new(field, e.code(), e.to_string()))).ok()
}

fn parse_new_member(input: &CreateMember, cell: UnitId, today: NaiveDate) -> Result<NewMember, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let full_name = required(&input.full_name, FullName::parse, "full_name", &mut issues);
    let sex = required(&input.sex, Sex::parse, "sex", &mut issues);
    let citizen_id = required(&input.citizen_id, CitizenId::parse, "citizen_id", &mut issues);
    let party_card_number = optional(input.party_card_number.as_deref(), PartyCardNumber::parse, "party_card_number", &mut issues);
    let phone = optional(input.phone.as_deref(), Phone::parse, "phone", &mut issues);
    let email = optional(input.email.as_deref(), Email::parse, "email", &mut issues);
    let state = lifecycle::admit(cell, input.date_of_birth, input.admitted_on, input.official_on, today)
        .map_err(|e| issues.push(FieldIssue::new(e.field(), e.code(), e.to_string())))
        .ok();
    match (full_name, sex, citizen_id, state) {
        (Some(full_name), Some(sex), Some(citizen_id), Some(state)) if issues.is_empty() => {
            Ok(NewMember { full_name, date_of_birth: input.date_of_birth, sex, party_card_number, citizen_id, phone, email, state })
        }
        _ => Err(issues),
    }
}

/// The caller as the use cases see them.
fn requester(caller: &Caller) -> app::audit::Requester<'_> {
    app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() }
}

fn view_error(e: ViewMemberError) -> ApiError {
    match e {
        ViewMemberError::Forbidden => ApiError::Forbidden,
        ViewMemberError::Store(e) => e.into(),
    }
}

fn member_view_of(m: &VisibleMember) -> MemberView {
    MemberView::new(&m.member, m.visibility, m.positions.iter().map(PositionView::from).collect())
}

/// Creates a member in a cell (secretaries/deputies over the cell and administrators). The
/// admission is the first entry of the member's history.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/members", tag = "members", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Cell id")), request_body = CreateMember,
    responses((status = 201, body = MemberView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Json(body): Json<CreateMember>,
) -> ApiResult<impl IntoResponse> {
    let unit = UnitId::from_uuid(unit);
    let parsed = parse_new_member(&body, unit, caller.today()).map_err(ApiError::Validation);
    let record = app::members::create_member(&state.ctx(), requester(&caller), unit, parsed).await.map_err(|e| match e {
        CreateMemberError::Forbidden => ApiError::Forbidden,
        CreateMemberError::Request(e) => e,
        CreateMemberError::NotACell => {
            ApiError::Rule { code: "unit_cannot_hold_members", detail: "only a cell (chi bộ) has a roster of members".into() }
        }
        CreateMemberError::DuplicateCitizenId => {
            ApiError::Conflict { code: "duplicate_citizen_id", detail: "a member with this CCCD already exists".into() }
        }
        CreateMemberError::DuplicatePartyCardNumber => {
            ApiError::Conflict { code: "duplicate_party_card_number", detail: "a member with this party-card number already exists".into() }
        }
        CreateMemberError::Store(e) => e.into(),
    })?;
    Ok((
        StatusCode::CREATED,
        [
            (header::LOCATION, HeaderValue::from_str(&format!("/api/v1/members/{}", record.id)).unwrap_or(HeaderValue::from_static("/"))),
            (header::ETAG, etag(record.version)),
        ],
        axum::Json(MemberView::new(&record, Visibility::Full, Vec::new())),
    ))
}

/// The roster's `status` filter: everyone still a member (the default).
const ACTIVE_FILTER: &str = "active";
/// The roster's `status` filter: everyone.
const ALL_FILTER: &str = "all";

code_enum!(
    /// The values of the roster's `status` filter.
    StatusFilterCode = "MemberStatusFilter",
    "`active` (probationary and official), `all`, or one standing.",
    [ACTIVE_FILTER, ALL_FILTER].into_iter().chain(Standing::ALL.map(Standing::code))
);

/// Roster query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `active` (default: probationary and official), `all`, or one standing: `probationary`,
    /// `official`, `removed`, `expelled`, `deceased`.
    #[param(inline, value_type = StatusFilterCode, required = false)]
    pub status: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(inline, value_type = PageLimit, required = false)]
    pub limit: Option<u64>,
    /// Include every unit under this one (default false). Without it, members temporarily
    /// transferred into the cell are listed too.
    pub include_subtree: Option<bool>,
}

/// A unit's members, one page at a time, in creation order. Leaders and administrators over the
/// unit get full records; members of the cell get names and positions only.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/members", tag = "members", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id"), ListParams),
    responses((status = 200, body = Page<MemberView>), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Query(q): Query<ListParams>,
) -> ApiResult<axum::Json<Page<MemberView>>> {
    let standing = match q.status.as_deref() {
        None | Some(ACTIVE_FILTER) => StandingFilter::Active,
        Some(ALL_FILTER) => StandingFilter::All,
        Some(other) => StandingFilter::Only(Standing::parse(other).ok_or(ApiError::BadRequest {
            code: "invalid_query",
            detail: "status must be active, all, probationary, official, removed, expelled or deceased".into(),
        })?),
    };
    let limit = page_limit(q.limit)?;
    let after = q.cursor.as_deref().map(decode_cursor).transpose()?.map(MemberId::from_uuid);
    let page = app::members::roster(
        &state.ctx(),
        &caller.actor,
        UnitId::from_uuid(unit),
        standing,
        q.include_subtree.unwrap_or(false),
        after,
        limit,
    )
    .await
    .map_err(view_error)?;
    let next_cursor = if page.more { page.items.last().map(|m| encode_cursor(m.member.id.as_uuid())) } else { None };
    Ok(axum::Json(Page { items: page.items.iter().map(member_view_of).collect(), next_cursor }))
}

/// One member, at the view the caller is entitled to. The `ETag` header carries the version for
/// `If-Match` on `PATCH` (sent with the full view, the one those who may edit get).
#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "members", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Member id")),
    responses((status = 200, body = MemberView, headers(("ETag" = String, description = "Version of the member (`\"3\"`), for `If-Match`; sent with the full view only"))), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let found = app::members::member(&state.ctx(), &caller.actor, MemberId::from_uuid(id)).await.map_err(view_error)?;
    let mut headers = HeaderMap::new();
    if found.visibility == Visibility::Full {
        headers.insert(header::ETAG, etag(found.member.version));
    }
    Ok((headers, axum::Json(member_view_of(&found))))
}

fn some<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Contact fields to change. An absent field is kept; `null` or `""` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    /// Vietnamese mobile number.
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>, example = "0912345678")]
    pub phone: Option<Option<String>>,
    /// E-mail.
    #[serde(default, deserialize_with = "some")]
    #[schema(schema_with = changed_email_schema)]
    pub email: Option<Option<String>>,
}

fn changed_email_schema() -> Object {
    email(true).description(Some("E-mail, `name@example.vn`; `null` clears it.")).build()
}

/// Changes a member's contact fields (the member themself, or secretaries/deputies and
/// administrators over the member's cell). `If-Match` with the `ETag` of the version being
/// edited is required ([`IfMatch`]): 428 without it or with `*`, 400 when malformed, 412 when
/// stale.
#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "members", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Member id"), IfMatch), request_body = UpdateContact,
    responses((status = 200, body = MemberView, headers(("ETag" = String, description = "The new version, for the next `If-Match`"))), (status = 400, body = crate::error::Problem, content_type = "application/problem+json", description = "`invalid_if_match`: malformed `If-Match`"), (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: neither the member nor a leader or administrator over their cell; `acting_on_superior`: the member holds a position the caller may not appoint to"), (status = 404, body = crate::error::Problem), (status = 412, body = crate::error::Problem, content_type = "application/problem+json", description = "`precondition_failed`: `If-Match` is not the current version"), (status = 422, body = crate::error::Problem), (status = 428, body = crate::error::Problem, content_type = "application/problem+json", description = "`precondition_required`: `If-Match` missing or `*`")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    Json(body): Json<UpdateContact>,
) -> ApiResult<impl IntoResponse> {
    let mut issues = Vec::new();
    let mut change = ContactChange::default();
    if let Some(phone) = &body.phone {
        change.phone = Some(optional(phone.as_deref(), Phone::parse, "phone", &mut issues));
    }
    if let Some(email) = &body.email {
        change.email = Some(optional(email.as_deref(), Email::parse, "email", &mut issues));
    }
    let change = if issues.is_empty() { Ok(change) } else { Err(ApiError::Validation(issues)) };
    let updated = app::members::update_contact(&state.ctx(), requester(&caller), MemberId::from_uuid(id), if_match.versions(), change)
        .await
        .map_err(|e| match e {
            UpdateContactError::Forbidden => ApiError::Forbidden,
            UpdateContactError::Refused(e) => e.into(),
            UpdateContactError::Stale => ApiError::PreconditionFailed,
            UpdateContactError::Request(e) => e,
            UpdateContactError::Store(e) => e.into(),
        })?;
    Ok(([(header::ETAG, etag(updated.member.version))], axum::Json(member_view_of(&updated))))
}

/// A lifecycle event to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    /// `recognize_official`, `transfer`, `temporary_transfer`, `end_temporary_transfer`, `exempt`,
    /// `end_exemption`, `remove`, `expel`, `decease`.
    #[serde(rename = "type")]
    #[schema(value_type = NewEventTypeCode)]
    pub kind: String,
    /// Effective date (today or earlier, not before the member's latest event).
    #[schema(value_type = CalendarDate)]
    pub effective_on: NaiveDate,
    /// The deciding document; required for every type except `decease`.
    pub decision: Option<DecisionBody>,
    /// Receiving cell (`transfer`) or host cell (`temporary_transfer`).
    pub to_unit_id: Option<Uuid>,
    /// Free-text note, up to 1000 characters.
    #[schema(schema_with = event_note_schema)]
    pub note: Option<String>,
}

/// Longest note of a lifecycle event, in characters.
pub const EVENT_NOTE_MAX_CHARS: usize = 1000;

fn event_note_schema() -> Object {
    nullable_text(0, EVENT_NOTE_MAX_CHARS).description(Some(format!("Free-text note, up to {EVENT_NOTE_MAX_CHARS} characters."))).build()
}

fn lifecycle_error(e: LifecycleError) -> ApiError {
    match e {
        LifecycleError::InFuture
        | LifecycleError::OutOfOrder { .. }
        | LifecycleError::ProbationNotComplete { .. }
        | LifecycleError::DecisionRequired => ApiError::Rule { code: e.code(), detail: e.to_string() },
        _ => ApiError::Conflict { code: e.code(), detail: e.to_string() },
    }
}

fn parse_decision(d: &DecisionBody, today: NaiveDate, issues: &mut Vec<FieldIssue>) -> Option<Decision> {
    let number = membership::fields::normalize_text(&d.number);
    let issuer = membership::fields::normalize_text(&d.issuer);
    if number.is_empty() || number.chars().count() > DECISION_NUMBER_MAX_CHARS {
        issues.push(FieldIssue::new(
            "decision.number",
            if number.is_empty() { "empty" } else { "too_long" },
            format!("1 to {DECISION_NUMBER_MAX_CHARS} characters"),
        ));
    }
    if issuer.is_empty() || issuer.chars().count() > DECISION_ISSUER_MAX_CHARS {
        issues.push(FieldIssue::new(
            "decision.issuer",
            if issuer.is_empty() { "empty" } else { "too_long" },
            format!("1 to {DECISION_ISSUER_MAX_CHARS} characters"),
        ));
    }
    if d.date > today {
        issues.push(FieldIssue::new("decision.date", "in_future", "the decision date is in the future"));
    }
    issues.is_empty().then_some(Decision { number, date: d.date, issuer })
}

/// Records a lifecycle event (secretaries/deputies over the member's cell, and administrators;
/// transfers also need the same right over the receiving cell). Removal, expulsion and death end
/// the member's positions on the effective date, an official transfer those outside the new
/// cell's chain; ending a position needs the right to appoint to it.
#[utoipa::path(post, path = "/api/v1/members/{id}/events", tag = "members", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Member id")), request_body = CreateEvent,
    responses((status = 201, body = EventView), (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: no right over the member's cell; `acting_on_self`: on oneself; `acting_on_superior`: the member holds a position the caller may not appoint to"), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateEvent>,
) -> ApiResult<impl IntoResponse> {
    let parse = || -> ApiResult<NewEvent> {
        crate::views::check_dates(&[("effective_on", Some(body.effective_on)), ("decision.date", body.decision.as_ref().map(|d| d.date))])?;
        let today = caller.today();
        let target = body.to_unit_id.map(UnitId::from_uuid);
        let kind = EventKind::from_code(&body.kind, target).map_err(|e| match e {
            EventCodeError::TargetMissing => ApiError::field("to_unit_id", "missing", "required for transfers"),
            EventCodeError::Unknown => ApiError::field("type", "not_allowed", "unknown event type"),
        })?;
        let mut issues = Vec::new();
        let decision = body.decision.as_ref().and_then(|d| parse_decision(d, today, &mut issues));
        if body.decision.is_none() && kind.requires_decision() {
            issues.push(FieldIssue::new("decision", "missing", "a deciding document is required"));
        }
        let note = body.note.as_deref().map(membership::fields::normalize_text).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > EVENT_NOTE_MAX_CHARS) {
            issues.push(FieldIssue::new("note", "too_long", format!("at most {EVENT_NOTE_MAX_CHARS} characters")));
        }
        if !issues.is_empty() {
            return Err(ApiError::Validation(issues));
        }
        Ok(NewEvent { kind, effective_on: body.effective_on, decision, note })
    };
    let event =
        app::members::record_event(&state.ctx(), requester(&caller), MemberId::from_uuid(id), parse()).await.map_err(|e| match e {
            RecordEventError::Forbidden => ApiError::Forbidden,
            RecordEventError::Refused(e) => e.into(),
            RecordEventError::Request(e) => e,
            RecordEventError::TargetNotACell => {
                ApiError::Rule { code: "unit_cannot_hold_members", detail: "the target must be a cell (chi bộ)".into() }
            }
            RecordEventError::Lifecycle(e) => lifecycle_error(e),
            RecordEventError::Concurrent => {
                ApiError::Conflict { code: "concurrent_change", detail: "the member changed meanwhile; reload and retry".into() }
            }
            RecordEventError::Store(e) => e.into(),
        })?;
    Ok((StatusCode::CREATED, axum::Json(EventView::from(&event))))
}

/// A member's history, oldest first (full view required: the member, leaders and administrators
/// over the cell).
#[utoipa::path(get, path = "/api/v1/members/{id}/events", tag = "members", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Member id")),
    responses((status = 200, body = Vec<EventView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list_events(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<Vec<EventView>>> {
    let events = app::members::history(&state.ctx(), &caller.actor, MemberId::from_uuid(id)).await.map_err(view_error)?;
    Ok(axum::Json(events.iter().map(EventView::from).collect()))
}

/// Import outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Number of members created.
    pub imported: usize,
    /// Their ids, in file order.
    pub member_ids: Vec<Uuid>,
}

/// Columns of the import file.
pub const IMPORT_COLUMNS: [&str; 9] =
    ["full_name", "date_of_birth", "sex", "admitted_on", "official_on", "party_card_number", "citizen_id", "phone", "email"];
const REQUIRED_COLUMNS: [&str; 5] = ["full_name", "date_of_birth", "sex", "admitted_on", "citizen_id"];
const MAX_IMPORT_ROWS: usize = 10_000;

/// Imports a cell's members from CSV (UTF-8, with or without BOM, comma-separated, header row).
/// Columns: `full_name`, `date_of_birth` (YYYY-MM-DD), `sex`, `admitted_on`, `citizen_id` are
/// required; `official_on`, `party_card_number`, `phone`, `email` are optional. Every row is
/// checked first: any bad row, or a card number or CCCD duplicated in the file or already stored,
/// gives 422 listing every problem with its line, and nothing is written. Up to 10,000 rows.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/members/import", tag = "members", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Cell id")),
    request_body(description = "The CSV file, UTF-8", content(
        (String = "text/csv", example = "full_name,date_of_birth,sex,admitted_on,official_on,party_card_number,citizen_id,phone,email\nNguyễn Văn An,1980-02-03,male,2005-05-19,2006-05-19,01234567,034080001234,0912345678,"),
        (String = "text/plain"))),
    responses((status = 201, body = ImportResult), (status = 403, body = crate::error::Problem), (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if !content_type.starts_with("text/csv") && !content_type.starts_with("text/plain") {
        return Err(ApiError::UnsupportedMediaType);
    }
    let unit = UnitId::from_uuid(unit);
    let parse = |today: NaiveDate| -> Result<ParsedImport<FieldIssue>, ApiError> {
        let text = std::str::from_utf8(&body)
            .map_err(|_| ApiError::BadRequest { code: "invalid_encoding", detail: "the file must be UTF-8".into() })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if let Some((line, _)) = text.lines().enumerate().find(|(_, l)| l.chars().any(crate::extract::is_forbidden_char)) {
            return Err(ApiError::Validation(vec![FieldIssue {
                line: Some(line + 1),
                ..FieldIssue::new("file", "invalid_characters", "control characters (other than tab and line breaks) are not accepted")
            }]));
        }
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(text.as_bytes());
        let header_row = reader.headers().map_err(|e| ApiError::BadRequest { code: "invalid_csv", detail: e.to_string() })?.clone();
        let columns: Vec<String> = header_row.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        let mut issues = Vec::new();
        for (i, c) in columns.iter().enumerate() {
            if !IMPORT_COLUMNS.contains(&c.as_str()) {
                issues.push(FieldIssue {
                    line: Some(1),
                    ..FieldIssue::new(c.clone(), "unknown_column", format!("unknown column {} ({c})", i + 1))
                });
            }
        }
        for required_col in REQUIRED_COLUMNS {
            if !columns.iter().any(|c| c == required_col) {
                issues.push(FieldIssue { line: Some(1), ..FieldIssue::new(required_col, "missing_column", "required column is missing") });
            }
        }
        if !issues.is_empty() {
            return Err(ApiError::Validation(issues));
        }
        let index: HashMap<&str, usize> = columns.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        let mut parsed: Vec<(usize, NewMember)> = Vec::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
                    issues.push(FieldIssue { line: Some(line), ..FieldIssue::new("row", "invalid_row", e.to_string()) });
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
            if parsed.len() + issues.len() >= MAX_IMPORT_ROWS {
                return Err(ApiError::Rule { code: "too_many_rows", detail: format!("at most {MAX_IMPORT_ROWS} rows per import") });
            }
            let cell = |name: &str| index.get(name).and_then(|i| record.get(*i)).unwrap_or("").to_string();
            let mut row_issues = Vec::new();
            let mut date = |name: &'static str, required_value: bool| -> Option<NaiveDate> {
                let raw = cell(name);
                if raw.is_empty() {
                    if required_value {
                        row_issues.push(FieldIssue::new(name, "empty", "must not be empty"));
                    }
                    return None;
                }
                NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
                    .map_err(|_| row_issues.push(FieldIssue::new(name, "invalid_format", "expected YYYY-MM-DD")))
                    .ok()
            };
            let dob = date("date_of_birth", true);
            let admitted = date("admitted_on", true);
            let official = date("official_on", false);
            let opt = |name: &str| Some(cell(name)).filter(|v| !v.is_empty());
            let mut result = None;
            if let (Some(date_of_birth), Some(admitted_on)) = (dob, admitted) {
                let input = CreateMember {
                    full_name: cell("full_name"),
                    date_of_birth,
                    sex: cell("sex"),
                    admitted_on,
                    official_on: official,
                    party_card_number: opt("party_card_number"),
                    citizen_id: cell("citizen_id"),
                    phone: opt("phone"),
                    email: opt("email"),
                };
                match parse_new_member(&input, unit, today) {
                    Ok(m) if row_issues.is_empty() => result = Some(m),
                    Ok(_) => {}
                    Err(mut more) => row_issues.append(&mut more),
                }
            }
            if row_issues.is_empty() {
                if let Some(m) = result {
                    parsed.push((line, m));
                }
            } else {
                issues.extend(row_issues.into_iter().map(|i| FieldIssue { line: Some(line), ..i }));
            }
        }
        Ok(ParsedImport { rows: parsed, issues })
    };
    let records = app::members::import_members(&state.ctx(), requester(&caller), unit, parse).await.map_err(|e| match e {
        ImportError::Forbidden => ApiError::Forbidden,
        ImportError::NotACell => {
            ApiError::Rule { code: "unit_cannot_hold_members", detail: "only a cell (chi bộ) has a roster of members".into() }
        }
        ImportError::Request(e) => e,
        ImportError::Invalid { parse, duplicates } => {
            let mut issues = parse;
            issues.extend(duplicates.into_iter().map(|d| {
                let (field, what) = match d.key {
                    MemberKey::CitizenId => ("citizen_id", "CCCD"),
                    MemberKey::PartyCardNumber => ("party_card_number", "party-card number"),
                };
                let message = match d.first_line {
                    Some(first) => format!("same {what} as line {first}"),
                    None => format!("a member with this {what} already exists"),
                };
                FieldIssue { line: Some(d.line), ..FieldIssue::new(field, "duplicate", message) }
            }));
            issues.sort_by_key(|i| i.line);
            ApiError::Validation(issues)
        }
        ImportError::Empty => ApiError::Rule { code: "empty_import", detail: "the file has no data rows".into() },
        ImportError::DuplicateCitizenId => {
            ApiError::Conflict { code: "duplicate_citizen_id", detail: "a member with this CCCD already exists".into() }
        }
        ImportError::DuplicatePartyCardNumber => {
            ApiError::Conflict { code: "duplicate_party_card_number", detail: "a member with this party-card number already exists".into() }
        }
        ImportError::Store(e) => e.into(),
    })?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ImportResult { imported: records.len(), member_ids: records.iter().map(|m| m.id.as_uuid()).collect() }),
    ))
}
