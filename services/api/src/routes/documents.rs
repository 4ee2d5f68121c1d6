//! Documents and news: drafting, publication to an audience, withdrawal, the feed and the
//! diacritic-insensitive search, read receipts, readers and read rates, attachments, bookmarks.
//!
//! Each handler parses the request, calls one use case of `app::documents` and renders its
//! result; the request's own refusals are handed to the use case, which reports them once the
//! caller is known to be allowed. Who may read a document is `documents::access`' rule. An upload
//! is read from the multipart stream by a future the use case awaits once the caller may attach;
//! the bytes are stored through `app::documents::Blobs` (implemented by the API's `LocalDir`) and a
//! download is streamed here from the blob store.

use app::audit::Requester;
use app::documents::{
    AttachError, AudienceIssue, Bookmark, ChangeStatusError, DocumentDetail, Draft, FeedItem, ReadFilter, SaveDraftError, Upload,
    ViewDocumentError,
};
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use documents::attachment;
use documents::model::{self, DocumentKind, DocumentStatus};
use documents::{AttachmentId, DocumentId};
use membership::UnitId;
use membership::position::Role;
use serde::{Deserialize, Serialize};
use storage::documents::{AttachmentRecord, DocumentRecord, FeedQuery};
use utoipa::openapi::schema::{Array, Object};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::blobs::BlobStore;
use crate::error::{ApiError, ApiResult, FieldIssue};
use crate::extract::{IfMatch, Json, Path, Query, etag};
use crate::state::AppState;
use crate::views::UnitRef;
use crate::views::schema::{
    AttachmentTypeCode, Binary, CalendarDate, DocumentKindCode, DocumentStatusCode, FeedLimit, RoleCode, UploadForm, array, code_enum,
    nullable_text, text,
};

/// Longest summary, in characters.
pub const SUMMARY_MAX_CHARS: usize = 5_000;
/// Longest body, in characters.
pub const BODY_MAX_CHARS: usize = 1_000_000;
/// Longest withdrawal reason, in characters.
pub const WITHDRAW_REASON_MAX_CHARS: usize = 1000;
/// Documents per feed page when `limit` is absent.
pub const FEED_LIMIT_DEFAULT: u64 = 20;
/// Most documents per feed page.
pub const FEED_LIMIT_MAX: u64 = 100;

code_enum!(
    /// [`ReadFilter`]'s codes.
    ReadFilterCode = "ReadFilter",
    "Which readers: `all`, `read` or `unread`.",
    ReadFilter::ALL.map(ReadFilter::code)
);

fn number_schema() -> Object {
    let max = model::NUMBER_MAX_CHARS;
    nullable_text(0, max)
        .description(Some(format!(
            "Official number/symbol `NUMBER-SYMBOL/ISSUER`, up to {max} characters once spaces are removed; unique per issuing \
             unit (required except for news and study material)."
        )))
        .examples(["05-NQ/TU"])
        .build()
}

fn title_schema() -> Object {
    let max = model::TITLE_MAX_CHARS;
    text(1, max)
        .description(Some(format!("Title, 1–{max} characters.")))
        .examples(["Nghị quyết về công tác xây dựng Đảng năm 2027"])
        .build()
}

fn summary_schema() -> Object {
    text(0, SUMMARY_MAX_CHARS).description(Some(format!("Summary, up to {SUMMARY_MAX_CHARS} characters."))).build()
}

fn body_schema() -> Object {
    text(0, BODY_MAX_CHARS).description(Some(format!("Body (Markdown or plain text), up to {BODY_MAX_CHARS} characters."))).build()
}

/// Tags as [`model::parse_tags`] checks them.
pub(crate) fn tags_schema() -> Array {
    let (max, chars) = (model::MAX_TAGS, model::TAG_MAX_CHARS);
    array(text(1, chars), 0, max)
        .description(Some(format!("Tags: at most {max}, each 1–{chars} characters (repeats ignoring case and diacritics are dropped).")))
        .build()
}

fn withdraw_reason_schema() -> Object {
    text(1, WITHDRAW_REASON_MAX_CHARS)
        .description(Some(format!("Why (1–{WITHDRAW_REASON_MAX_CHARS} characters; shown in the banner).")))
        .build()
}

// ---------------------------------------------------------------- views

/// An attachment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    /// Id; download at `/api/v1/attachments/{id}`.
    pub id: Uuid,
    /// File name.
    pub file_name: String,
    /// Content type detected from the bytes.
    #[schema(value_type = AttachmentTypeCode)]
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

impl From<&AttachmentRecord> for AttachmentView {
    fn from(a: &AttachmentRecord) -> Self {
        Self { id: a.id.as_uuid(), file_name: a.file_name.clone(), content_type: a.mime.clone(), size: a.size, sha256: a.sha256.clone() }
    }
}

/// A document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    /// Id.
    pub id: Uuid,
    /// Issuing unit.
    pub issuer: UnitRef,
    /// `resolution`, `directive`, `conclusion`, `regulation`, `guidance`, `notice`,
    /// `study_material`, `news`.
    #[schema(value_type = DocumentKindCode)]
    pub kind: String,
    /// Official number/symbol.
    #[schema(example = "05-NQ/TU")]
    pub number: Option<String>,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Body (Markdown or plain text); omitted in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Date issued.
    pub issued_on: Option<NaiveDate>,
    /// Date effective.
    pub effective_on: Option<NaiveDate>,
    /// Tags.
    pub tags: Vec<String>,
    /// Audience units (their whole subtrees).
    pub audience_unit_ids: Vec<Uuid>,
    /// Roles the audience is narrowed to (empty: everybody).
    #[schema(value_type = Vec<RoleCode>)]
    pub roles: Vec<String>,
    /// `draft`, `published`, `withdrawn`.
    #[schema(value_type = DocumentStatusCode)]
    pub status: String,
    /// Required reading.
    pub required: bool,
    /// Deadline of required reading.
    pub read_deadline: Option<NaiveDate>,
    /// Publication time.
    pub published_at: Option<DateTime<Utc>>,
    /// Withdrawal time.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Banner shown on a withdrawn document.
    pub banner: Option<String>,
    /// When the caller first read it.
    pub read_at: Option<DateTime<Utc>>,
    /// Bookmarked by the caller.
    pub bookmarked: bool,
    /// Attachments; omitted in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<AttachmentView>>,
    /// Search score (higher is better; 0 in the feed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    /// Version (`ETag`).
    pub version: i32,
}

fn base_view(d: &DocumentRecord, issuer: UnitRef, audience: &[UnitId]) -> DocumentView {
    DocumentView {
        id: d.id.as_uuid(),
        issuer,
        kind: d.kind.code().into(),
        number: d.number.clone(),
        title: d.title.clone(),
        summary: d.summary.clone(),
        body: None,
        issued_on: d.issued_on,
        effective_on: d.effective_on,
        tags: d.tags.clone(),
        audience_unit_ids: audience.iter().map(|u| u.as_uuid()).collect(),
        roles: d.roles.iter().map(|r| r.code().to_string()).collect(),
        status: d.status.code().into(),
        required: d.required,
        read_deadline: d.read_deadline,
        published_at: d.published_at,
        withdrawn_at: d.withdrawn_at,
        banner: (d.status == DocumentStatus::Withdrawn)
            .then(|| format!("Văn bản đã bị thu hồi{}", d.withdraw_reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())),
        read_at: None,
        bookmarked: false,
        attachments: None,
        score: None,
        version: d.version,
    }
}

fn full_view(detail: &DocumentDetail) -> DocumentView {
    let mut v = base_view(&detail.document, UnitRef::from(&detail.issuer), &detail.audience);
    v.body = Some(detail.document.body.clone());
    v.attachments = Some(detail.attachments.iter().map(AttachmentView::from).collect());
    v.read_at = detail.read_at;
    v.bookmarked = detail.bookmarked;
    v
}

fn who(caller: &Caller) -> Requester<'_> {
    Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() }
}

fn view_error(e: ViewDocumentError) -> ApiError {
    match e {
        ViewDocumentError::Forbidden => ApiError::Forbidden,
        ViewDocumentError::Store(e) => e.into(),
    }
}

fn transition_error(e: model::InvalidTransition) -> ApiError {
    ApiError::Conflict { code: "invalid_transition", detail: e.to_string() }
}

fn not_draft(e: model::InvalidTransition) -> ApiError {
    ApiError::Conflict { code: "document_not_draft", detail: e.to_string() }
}

// ---------------------------------------------------------------- create, edit, publish

/// A document draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    /// Kind code.
    #[schema(value_type = DocumentKindCode)]
    pub kind: String,
    /// Official number/symbol, unique per issuing unit (required except for news and study
    /// material).
    #[schema(schema_with = number_schema)]
    pub number: Option<String>,
    /// Title, 1–500 characters.
    #[schema(schema_with = title_schema)]
    pub title: String,
    /// Summary, up to 5,000 characters.
    #[serde(default)]
    #[schema(schema_with = summary_schema)]
    pub summary: String,
    /// Body, up to 1,000,000 characters.
    #[serde(default)]
    #[schema(schema_with = body_schema)]
    pub body: String,
    /// Date issued.
    #[schema(value_type = Option<CalendarDate>)]
    pub issued_on: Option<NaiveDate>,
    /// Date effective.
    #[schema(value_type = Option<CalendarDate>)]
    pub effective_on: Option<NaiveDate>,
    /// Tags (at most 20).
    #[serde(default)]
    #[schema(schema_with = tags_schema)]
    pub tags: Vec<String>,
    /// Audience: units inside the issuer's subtree (their whole subtrees); empty = the issuer's
    /// whole subtree.
    #[serde(default)]
    pub audience_unit_ids: Vec<Uuid>,
    /// Narrow the audience to holders of these roles (`secretary`, `deputy_secretary`,
    /// `committee_member`).
    #[serde(default)]
    #[schema(value_type = Vec<RoleCode>)]
    pub roles: Vec<String>,
    /// Required reading.
    #[serde(default)]
    pub required: bool,
    /// Deadline of required reading (only with `required`).
    #[schema(value_type = Option<CalendarDate>)]
    pub read_deadline: Option<NaiveDate>,
}

/// Why a draft's body is refused: a final refusal (dates out of range, a stale `If-Match`), or
/// field issues to which the audience's own issues are added.
enum Refused {
    Final(ApiError),
    Issues(Vec<FieldIssue>),
}

fn parse_draft(b: &DocumentBody) -> Result<Draft, Refused> {
    let mut issues = Vec::new();
    crate::views::check_dates(&[("issued_on", b.issued_on), ("effective_on", b.effective_on), ("read_deadline", b.read_deadline)])
        .map_err(Refused::Final)?;
    let kind = DocumentKind::parse(&b.kind);
    if kind.is_none() {
        issues.push(FieldIssue::new(
            "kind",
            "not_allowed",
            "resolution, directive, conclusion, regulation, guidance, notice, study_material, news",
        ));
    }
    let number = match b.number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => model::parse_number(n).map_err(|e| issues.push(FieldIssue::new("number", e.code(), e.to_string()))).ok(),
        None => {
            if kind.is_some_and(DocumentKind::needs_number) {
                issues.push(FieldIssue::new("number", "missing", "required for this kind of document"));
            }
            None
        }
    };
    let title = model::parse_title(&b.title).map_err(|e| issues.push(FieldIssue::new("title", e.code(), e.to_string()))).ok();
    if b.summary.chars().count() > SUMMARY_MAX_CHARS {
        issues.push(FieldIssue::new("summary", "too_long", format!("at most {SUMMARY_MAX_CHARS} characters")));
    }
    if b.body.chars().count() > BODY_MAX_CHARS {
        issues.push(FieldIssue::new("body", "too_long", format!("at most {BODY_MAX_CHARS} characters")));
    }
    let tags = model::parse_tags(&b.tags).map_err(|e| issues.push(FieldIssue::new("tags", e.code(), e.to_string()))).unwrap_or_default();
    let mut roles = Vec::new();
    for r in &b.roles {
        match Role::parse(r) {
            Some(role) if !roles.contains(&role) => roles.push(role),
            Some(_) => {}
            None => issues.push(FieldIssue::new("roles", "not_allowed", "secretary, deputy_secretary, committee_member")),
        }
    }
    if b.read_deadline.is_some() && !b.required {
        issues.push(FieldIssue::new("read_deadline", "not_allowed", "a deadline needs required = true"));
    }
    match (kind, title) {
        (Some(kind), Some(title)) if issues.is_empty() => Ok(Draft {
            kind,
            number,
            title,
            summary: b.summary.trim().to_string(),
            body: b.body.trim().to_string(),
            issued_on: b.issued_on,
            effective_on: b.effective_on,
            tags,
            roles,
            required: b.required,
            read_deadline: b.read_deadline,
        }),
        _ => Err(Refused::Issues(issues)),
    }
}

fn audience_units(b: &DocumentBody) -> Vec<UnitId> {
    b.audience_unit_ids.iter().map(|u| UnitId::from_uuid(*u)).collect()
}

fn save_draft_error(e: SaveDraftError<Refused>) -> ApiError {
    match e {
        SaveDraftError::Forbidden => ApiError::Forbidden,
        SaveDraftError::Version(Refused::Final(e)) => e,
        SaveDraftError::Version(Refused::Issues(issues)) => ApiError::Validation(issues),
        SaveDraftError::NotDraft(e) => not_draft(e),
        SaveDraftError::Invalid { request, audience } => {
            let audience = audience.into_iter().map(|issue| match issue {
                AudienceIssue::UnknownUnit(u) => FieldIssue::new("audience_unit_ids", "not_found", format!("no unit {}", u.as_uuid())),
                AudienceIssue::Refused(e) => FieldIssue::new("audience_unit_ids", "outside_issuer", e.to_string()),
            });
            match request {
                Some(Refused::Final(e)) => e,
                Some(Refused::Issues(mut issues)) => {
                    issues.extend(audience);
                    ApiError::Validation(issues)
                }
                None => ApiError::Validation(audience.collect()),
            }
        }
        SaveDraftError::DuplicateNumber => ApiError::Conflict {
            code: "duplicate_document_number",
            detail: "the issuing unit already has a document with this number".into(),
        },
        SaveDraftError::Store(e) => e.into(),
    }
}

/// Drafts a document issued by a unit (its own secretary, deputy and committee members, and
/// administrators over it).
#[utoipa::path(post, path = "/api/v1/org-units/{id}/documents", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Issuing unit id")), request_body = DocumentBody,
    responses((status = 201, body = DocumentView, headers(("ETag" = String, description = "Version of the draft (`\"1\"`), for `If-Match`"))), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Json(body): Json<DocumentBody>,
) -> ApiResult<impl IntoResponse> {
    let draft = parse_draft(&body);
    let detail = app::documents::create(&state.ctx(), who(&caller), UnitId::from_uuid(unit), draft, &audience_units(&body))
        .await
        .map_err(save_draft_error)?;
    Ok((StatusCode::CREATED, [(header::ETAG, etag(detail.document.version))], axum::Json(full_view(&detail))))
}

/// Replaces a draft's content (same body as creation). `If-Match` with the `ETag` of the version
/// being edited is required ([`IfMatch`]): 428 without it or with `*`, 400 when malformed, 412
/// when stale.
#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id"), IfMatch), request_body = DocumentBody,
    responses((status = 200, body = DocumentView, headers(("ETag" = String, description = "The new version, for the next `If-Match`"))), (status = 400, body = crate::error::Problem, content_type = "application/problem+json", description = "`invalid_if_match`: malformed `If-Match`"), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 412, body = crate::error::Problem, content_type = "application/problem+json", description = "`precondition_failed`: `If-Match` is not the current version"), (status = 422, body = crate::error::Problem), (status = 428, body = crate::error::Problem, content_type = "application/problem+json", description = "`precondition_required`: `If-Match` missing or `*`")))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    if_match: IfMatch,
    Json(body): Json<DocumentBody>,
) -> ApiResult<impl IntoResponse> {
    let draft = parse_draft(&body);
    let matching = |current| if_match.matching(current).map_err(Refused::Final);
    let detail = app::documents::update(&state.ctx(), who(&caller), DocumentId::from_uuid(id), matching, draft, &audience_units(&body))
        .await
        .map_err(save_draft_error)?;
    Ok(([(header::ETAG, etag(detail.document.version))], axum::Json(full_view(&detail))))
}

/// Publishes a draft to its audience (writes a `document.published` outbox event).
#[utoipa::path(post, path = "/api/v1/documents/{id}/publish", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id")),
    responses((status = 200, body = DocumentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn publish(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<DocumentView>> {
    let detail = app::documents::publish(&state.ctx(), who(&caller), DocumentId::from_uuid(id)).await.map_err(|e| match e {
        ChangeStatusError::Forbidden => ApiError::Forbidden,
        ChangeStatusError::Request(never) => match never {},
        ChangeStatusError::Transition(e) => transition_error(e),
        ChangeStatusError::Event(e) => e.into(),
        ChangeStatusError::Store(e) => e.into(),
    })?;
    Ok(axum::Json(full_view(&detail)))
}

/// A withdrawal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// Why (1–1000 characters; shown in the banner).
    #[schema(schema_with = withdraw_reason_schema)]
    pub reason: String,
}

/// Withdraws a published document: members no longer see it; leaders read it with a banner.
#[utoipa::path(post, path = "/api/v1/documents/{id}/withdraw", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id")), request_body = WithdrawBody,
    responses((status = 200, body = DocumentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<WithdrawBody>,
) -> ApiResult<axum::Json<DocumentView>> {
    let reason = membership::fields::normalize_text(&body.reason);
    let reason = if reason.is_empty() || reason.chars().count() > WITHDRAW_REASON_MAX_CHARS {
        Err(ApiError::field(
            "reason",
            if reason.is_empty() { "empty" } else { "too_long" },
            format!("1 to {WITHDRAW_REASON_MAX_CHARS} characters"),
        ))
    } else {
        Ok(reason)
    };
    let detail = app::documents::withdraw(&state.ctx(), who(&caller), DocumentId::from_uuid(id), reason).await.map_err(|e| match e {
        ChangeStatusError::Forbidden => ApiError::Forbidden,
        ChangeStatusError::Request(e) => e,
        ChangeStatusError::Transition(e) => transition_error(e),
        ChangeStatusError::Event(e) => e.into(),
        ChangeStatusError::Store(e) => e.into(),
    })?;
    Ok(axum::Json(full_view(&detail)))
}

/// Reads a document. For a member of the audience, the first read is recorded (idempotent);
/// `HEAD` answers the same headers and records nothing.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id")),
    responses((status = 200, body = DocumentView, headers(("ETag" = String, description = "Version of the document (`\"3\"`), for `If-Match`"))), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    method: axum::http::Method,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<impl IntoResponse> {
    let id = DocumentId::from_uuid(id);
    // HEAD answers like GET but changes nothing: no read is recorded, no point awarded.
    let detail = if method == axum::http::Method::HEAD {
        app::documents::peek(&state.ctx(), &caller.actor, id).await
    } else {
        app::documents::read(&state.ctx(), &caller.actor, id).await
    }
    .map_err(view_error)?;
    Ok(([(header::ETAG, etag(detail.document.version))], axum::Json(full_view(&detail))))
}

// ---------------------------------------------------------------- feed and search

/// Feed and search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// Search words; diacritics and case are ignored (`nghi quyet` finds *Nghị quyết*), exact
    /// diacritics rank higher. Absent: the feed, newest first.
    pub q: Option<String>,
    /// Kind code.
    #[param(inline, value_type = DocumentKindCode, required = false)]
    pub kind: Option<String>,
    /// Issuing unit.
    pub issuer: Option<Uuid>,
    /// Issued on or after.
    #[param(inline, value_type = CalendarDate, required = false)]
    pub from: Option<NaiveDate>,
    /// Issued on or before.
    #[param(inline, value_type = CalendarDate, required = false)]
    pub to: Option<NaiveDate>,
    /// Only required reading.
    pub required: Option<bool>,
    /// Only documents the caller has not read.
    pub unread: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(inline, value_type = FeedLimit, required = false)]
    pub limit: Option<u64>,
}

/// A page of documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentPage {
    /// Documents (without body and attachments).
    pub items: Vec<DocumentView>,
    /// Next page.
    pub next_cursor: Option<String>,
}

/// The deepest position a feed or search cursor may point at: deeper than any feed the API pages
/// through, and far from the integer limits of the offset arithmetic and of SQL's `OFFSET`.
const MAX_FEED_OFFSET: u64 = 10_000_000;

fn decode_offset(cursor: &str) -> ApiResult<u64> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("o:").and_then(|n| n.parse().ok()))
        .filter(|offset| *offset <= MAX_FEED_OFFSET)
        .ok_or(ApiError::BadRequest { code: "invalid_cursor", detail: "the cursor is not one this API returned".into() })
}

/// The caller's documents: the feed (newest first) or, with `q`, the search (best first). Only
/// documents the caller may see are ever returned: published ones addressed to their cell (and
/// roles), plus every document of the units whose documents they manage.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", security(("bearer" = [])), params(FeedParams),
    responses((status = 200, body = DocumentPage), (status = 400, body = crate::error::Problem)))]
pub async fn feed(State(state): State<AppState>, caller: Caller, Query(p): Query<FeedParams>) -> ApiResult<axum::Json<DocumentPage>> {
    crate::views::check_query_dates(&[p.from, p.to])?;
    let limit = match p.limit {
        None => FEED_LIMIT_DEFAULT,
        Some(n @ 1..=FEED_LIMIT_MAX) => n,
        Some(_) => {
            return Err(ApiError::BadRequest { code: "invalid_query", detail: format!("limit must be between 1 and {FEED_LIMIT_MAX}") });
        }
    };
    let kind = p
        .kind
        .as_deref()
        .map(|k| DocumentKind::parse(k).ok_or(ApiError::BadRequest { code: "invalid_query", detail: format!("unknown kind {k}") }))
        .transpose()?;
    let offset = p.cursor.as_deref().map(decode_offset).transpose()?.unwrap_or(0);
    let filter = FeedQuery {
        words: Vec::new(),
        kind,
        issuer: p.issuer.map(UnitId::from_uuid),
        from: p.from,
        to: p.to,
        required: p.required.unwrap_or(false),
        unread: p.unread.unwrap_or(false),
        limit,
        offset,
    };
    let page = app::documents::feed(&state.ctx(), &caller.actor, p.q.as_deref(), filter).await?;
    let items = page
        .items
        .iter()
        .map(|FeedItem { document: d, issuer, score, read_at }| {
            let issuer = issuer.as_ref().map(UnitRef::from).unwrap_or(UnitRef {
                id: d.issuer_unit_id.as_uuid(),
                kind: String::new(),
                name: String::new(),
            });
            let mut v = base_view(d, issuer, &[]);
            v.read_at = *read_at;
            v.score = *score;
            v
        })
        .collect();
    let next_cursor = page.more.then(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{}", offset + limit)));
    Ok(axum::Json(DocumentPage { items, next_cursor }))
}

// ---------------------------------------------------------------- readers and read rates

/// Readers query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReadersParams {
    /// The unit whose subtree to report on (the caller must lead or administer it).
    pub unit_id: Uuid,
    /// `all` (default), `read` or `unread`.
    #[param(inline, value_type = ReadFilterCode, required = false)]
    pub status: Option<String>,
}

/// A member of the audience and their read receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReaderView {
    /// Member.
    pub member_id: Uuid,
    /// Name.
    pub full_name: String,
    /// The member's cell.
    pub unit_id: Uuid,
    /// First read time, if read.
    pub read_at: Option<DateTime<Utc>>,
}

/// Who in a unit's subtree has (not) read a document (leaders, committee members and
/// administrators over that unit; their own subtree only).
#[utoipa::path(get, path = "/api/v1/documents/{id}/readers", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id"), ReadersParams),
    responses((status = 200, body = Vec<ReaderView>), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn readers(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(p): Query<ReadersParams>,
) -> ApiResult<axum::Json<Vec<ReaderView>>> {
    let filter = match p.status.as_deref() {
        None => ReadFilter::All,
        Some(code) => ReadFilter::parse(code)
            .ok_or(ApiError::BadRequest { code: "invalid_query", detail: "status must be all, read or unread".into() })?,
    };
    let readers = app::documents::readers(&state.ctx(), &caller.actor, DocumentId::from_uuid(id), UnitId::from_uuid(p.unit_id), filter)
        .await
        .map_err(view_error)?;
    Ok(axum::Json(
        readers
            .into_iter()
            .map(|m| ReaderView { member_id: m.member.as_uuid(), full_name: m.full_name, unit_id: m.cell.as_uuid(), read_at: m.read_at })
            .collect(),
    ))
}

/// Read rate of one cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellReadRate {
    /// Cell.
    pub unit: UnitRef,
    /// Members of the cell in the audience.
    pub audience: u32,
    /// Of whom have read.
    pub read: u32,
    /// read / audience.
    pub rate: f64,
}

/// Read rates.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadStats {
    /// Members of the audience in the unit's subtree.
    pub audience: u32,
    /// Of whom have read.
    pub read: u32,
    /// read / audience (0 when empty).
    pub rate: f64,
    /// Per cell.
    pub cells: Vec<CellReadRate>,
}

/// Read rate of a document in a unit's subtree, per cell (same rights as readers).
#[utoipa::path(get, path = "/api/v1/documents/{id}/read-stats", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id"), ("unit_id" = Uuid, Query, description = "Unit whose subtree to report on")),
    responses((status = 200, body = ReadStats), (status = 403, body = crate::error::Problem)))]
pub async fn read_stats(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(p): Query<ReadersParams>,
) -> ApiResult<axum::Json<ReadStats>> {
    let stats = app::documents::read_stats(&state.ctx(), &caller.actor, DocumentId::from_uuid(id), UnitId::from_uuid(p.unit_id))
        .await
        .map_err(view_error)?;
    let rate = app::documents::rate;
    let cells = stats
        .cells
        .iter()
        .map(|c| CellReadRate { unit: UnitRef::from(&c.unit), audience: c.audience, read: c.read, rate: rate(c.audience, c.read) })
        .collect();
    Ok(axum::Json(ReadStats { audience: stats.audience, read: stats.read, rate: rate(stats.audience, stats.read), cells }))
}

// ---------------------------------------------------------------- attachments

/// Attaches a file to a draft (multipart/form-data, field `file`): PDF, DOCX, PNG, JPEG, WebP,
/// MP3, M4A, Ogg or WAV, detected from the bytes (the declared type is ignored); up to
/// `HANDBOOK_MAX_ATTACHMENT_MB` (default 20 MiB). SHA-256 recorded.
#[utoipa::path(post, path = "/api/v1/documents/{id}/attachments", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id")),
    request_body(content = inline(UploadForm), content_type = "multipart/form-data", description = "A `file` part"),
    responses((status = 201, body = AttachmentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 413, body = crate::error::Problem), (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 503, body = crate::error::Problem, content_type = "application/problem+json", description = "The attachment store cannot be written (read-only, unreachable)"), (status = 507, body = crate::error::Problem, content_type = "application/problem+json", description = "`insufficient_storage`: no room left for the file; nothing was kept")))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<impl IntoResponse> {
    // A body that is not multipart/form-data with a boundary: the same problem+json as any other
    // unreadable body (axum would answer in plain text).
    let multipart = multipart.map_err(|e| match e {
        axum::extract::multipart::MultipartRejection::InvalidBoundary(_) => {
            ApiError::BadRequest { code: "invalid_multipart", detail: "send multipart/form-data with a boundary and a `file` part".into() }
        }
        _ => ApiError::UnsupportedMediaType,
    })?;
    let upload = read_upload(multipart, state.config.max_attachment_bytes);
    let record = app::documents::attach(&state.ctx(), who(&caller), &*state.blobs, DocumentId::from_uuid(id), upload).await.map_err(
        |e| match e {
            AttachError::Forbidden => ApiError::Forbidden,
            AttachError::NotDraft(e) => not_draft(e),
            AttachError::Request(e) => e,
            AttachError::Empty => ApiError::field("file", "empty", "the file is empty"),
            AttachError::UnsupportedType => ApiError::UnsupportedMediaType,
            AttachError::Blob(e) => crate::blobs::write_error(&e),
            AttachError::Store(e) => e.into(),
        },
    )?;
    Ok((StatusCode::CREATED, axum::Json(AttachmentView::from(&record))))
}

/// Reads the `file` part of the upload, at most `limit` bytes.
async fn read_upload(mut multipart: Multipart, limit: usize) -> ApiResult<Upload> {
    let too_large = || ApiError::PayloadTooLarge;

    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::BadRequest { code: "invalid_multipart", detail: e.body_text() }
        }
    })? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .and_then(attachment::clean_file_name)
            .ok_or_else(|| ApiError::field("file", "invalid_file_name", "the file part needs a file name"))?;
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::BadRequest { code: "invalid_multipart", detail: e.body_text() }
            }
        })? {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((name, bytes));
        break;
    }
    let (file_name, bytes) = file.ok_or_else(|| ApiError::field("file", "missing", "send the file in a part named `file`"))?;
    Ok(Upload { file_name, bytes })
}

/// Downloads an attachment (streamed), for anyone who may read its document.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Attachment id")),
    responses((status = 200, content_type = "application/octet-stream", body = inline(Binary), description = "The file's bytes, sent with the `Content-Type` detected at upload (`AttachmentView.content_type`), its `Content-Length`, a `Content-Disposition` naming the file and the SHA-256 as `ETag`"), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn download(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let a = app::documents::attachment(&state.ctx(), &caller.actor, AttachmentId::from_uuid(id)).await.map_err(view_error)?;
    let file = state.blobs.open(&a.storage_key).await.map_err(|e| ApiError::Internal(format!("blob read: {e}")))?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let disposition = format!("attachment; filename*=UTF-8''{}", percent_encode(&a.file_name));
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&a.mime).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(a.size));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", a.sha256)) {
        headers.insert(header::ETAG, v);
    }
    Ok((headers, body))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

// ---------------------------------------------------------------- bookmarks

/// Bookmarks a document to read later (documents the caller may read).
#[utoipa::path(put, path = "/api/v1/me/bookmarks/{document_id}", tag = "documents", security(("bearer" = [])), params(("document_id" = Uuid, Path, description = "Document id")),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn add_bookmark(State(state): State<AppState>, caller: Caller, Path(document_id): Path<Uuid>) -> ApiResult<StatusCode> {
    app::documents::add_bookmark(&state.ctx(), &caller.actor, DocumentId::from_uuid(document_id)).await.map_err(view_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a bookmark (idempotent).
#[utoipa::path(delete, path = "/api/v1/me/bookmarks/{document_id}", tag = "documents", security(("bearer" = [])), params(("document_id" = Uuid, Path, description = "Document id")),
    responses((status = 204), (status = 403, body = crate::error::Problem)))]
pub async fn remove_bookmark(State(state): State<AppState>, caller: Caller, Path(document_id): Path<Uuid>) -> ApiResult<StatusCode> {
    app::documents::remove_bookmark(&state.ctx(), &caller.actor, DocumentId::from_uuid(document_id)).await.map_err(view_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's bookmarks that they may still read, newest first.
#[utoipa::path(get, path = "/api/v1/me/bookmarks", tag = "documents", security(("bearer" = [])),
    responses((status = 200, body = Vec<DocumentView>), (status = 403, body = crate::error::Problem)))]
pub async fn list_bookmarks(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<Vec<DocumentView>>> {
    let bookmarks = app::documents::bookmarks(&state.ctx(), &caller.actor).await.map_err(view_error)?;
    Ok(axum::Json(
        bookmarks
            .iter()
            .map(|Bookmark { document, audience, issuer, read_at }| {
                let mut v = base_view(document, UnitRef::from(issuer), audience);
                v.bookmarked = true;
                v.read_at = *read_at;
                v
            })
            .collect(),
    ))
}
