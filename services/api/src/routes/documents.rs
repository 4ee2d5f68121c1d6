//! Documents and news: drafting, publication to an audience, withdrawal, the feed and the
//! diacritic-insensitive search, read receipts, readers and read rates, attachments, bookmarks.

use std::collections::{HashMap, HashSet};

use app::events::{DocumentPublished, Event};
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use documents::attachment::{self, FileType};
use documents::audience;
use documents::model::{self, DocumentKind, DocumentStatus};
use documents::search::{self, Searchable};
use documents::{AttachmentId, DocumentId};
use membership::permission::Action;
use membership::position::Role;
use membership::{MemberId, UnitId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use storage::documents::{AttachmentRecord, DocumentRecord, FeedQuery, Viewer};
use storage::members::{ListQuery, StandingFilter};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::blobs::BlobStore;
use crate::error::{ApiError, ApiResult, FieldIssue};
use crate::extract::{IfMatch, Json, Path, Query, etag};
use crate::routes::{audit, unit_path};
use crate::state::AppState;
use crate::views::UnitRef;

// ---------------------------------------------------------------- views

/// An attachment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    /// Id; download at `/api/v1/attachments/{id}`.
    pub id: Uuid,
    /// File name.
    pub file_name: String,
    /// Content type detected from the bytes.
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
    #[schema(example = "resolution")]
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
    pub roles: Vec<String>,
    /// `draft`, `published`, `withdrawn`.
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

// ---------------------------------------------------------------- access

fn today_roles(caller: &Caller) -> Vec<Role> {
    let today = caller.today();
    caller.actor.positions.iter().filter(|p| p.is_active_on(today)).map(|p| p.role).collect()
}

fn viewer(caller: &Caller) -> Viewer {
    let today = caller.today();
    Viewer {
        chain: caller.actor.home_path.clone(),
        member: caller.actor.member_id.filter(|_| !caller.actor.home_path.is_empty()),
        roles: today_roles(caller),
        admin_scopes: caller.actor.admin_scopes.clone(),
        position_units: caller.actor.positions.iter().filter(|p| p.is_active_on(today)).map(|p| p.unit_id).collect(),
    }
}

struct Access {
    manage: bool,
    in_audience: bool,
    leader_over_audience: bool,
}

async fn access(state: &AppState, caller: &Caller, d: &DocumentRecord, audience_roots: &[UnitId]) -> ApiResult<Access> {
    let issuer_path = unit_path(&state.db, d.issuer_unit_id).await?;
    let manage = caller.may(Action::ManageDocuments, &issuer_path);
    let in_audience = audience::includes(audience_roots, &d.roles, &caller.actor.home_path, &today_roles(caller));
    let mut leader_over_audience = false;
    for root in audience_roots {
        let path = storage::units::path(state.db.conn(), *root).await?;
        if caller.may(Action::ViewMemberPrivate, &path) {
            leader_over_audience = true;
            break;
        }
    }
    Ok(Access { manage, in_audience, leader_over_audience })
}

/// Loads a document the caller may read: drafts for the issuer's managers; published documents
/// for the audience, leaders over it and the issuer's managers; withdrawn documents for leaders
/// (with a banner), never for members.
async fn readable(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<(DocumentRecord, Vec<UnitId>, Access)> {
    let d = storage::documents::get(state.db.conn(), DocumentId::from_uuid(id)).await?;
    let roots = storage::documents::audience(state.db.conn(), d.id).await?;
    let a = access(state, caller, &d, &roots).await?;
    let has_position = !today_roles(caller).is_empty();
    let ok = match d.status {
        DocumentStatus::Draft => a.manage,
        DocumentStatus::Published => a.manage || a.in_audience || a.leader_over_audience,
        DocumentStatus::Withdrawn => a.manage || a.leader_over_audience || (a.in_audience && has_position),
    };
    if ok { Ok((d, roots, a)) } else { Err(ApiError::Forbidden) }
}

// ---------------------------------------------------------------- create, edit, publish

/// A document draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    /// Kind code.
    #[schema(example = "resolution")]
    pub kind: String,
    /// Official number/symbol, unique per issuing unit (required except for news and study
    /// material).
    #[schema(example = "05-NQ/TU")]
    pub number: Option<String>,
    /// Title, 1–500 characters.
    #[schema(example = "Nghị quyết về công tác xây dựng Đảng năm 2027")]
    pub title: String,
    /// Summary, up to 5,000 characters.
    #[serde(default)]
    pub summary: String,
    /// Body, up to 1,000,000 characters.
    #[serde(default)]
    pub body: String,
    /// Date issued.
    pub issued_on: Option<NaiveDate>,
    /// Date effective.
    pub effective_on: Option<NaiveDate>,
    /// Tags (at most 20).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Audience: units inside the issuer's subtree (their whole subtrees); empty = the issuer's
    /// whole subtree.
    #[serde(default)]
    pub audience_unit_ids: Vec<Uuid>,
    /// Narrow the audience to holders of these roles (`secretary`, `deputy_secretary`,
    /// `committee_member`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Required reading.
    #[serde(default)]
    pub required: bool,
    /// Deadline of required reading.
    pub read_deadline: Option<NaiveDate>,
}

struct Parsed {
    kind: DocumentKind,
    number: Option<String>,
    title: String,
    tags: Vec<String>,
    roles: Vec<Role>,
    audience: Vec<UnitId>,
}

async fn parse_body(state: &AppState, issuer: UnitId, b: &DocumentBody) -> ApiResult<Parsed> {
    let mut issues = Vec::new();
    crate::views::check_dates(&[("issued_on", b.issued_on), ("effective_on", b.effective_on), ("read_deadline", b.read_deadline)])?;
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
    if b.summary.chars().count() > 5_000 {
        issues.push(FieldIssue::new("summary", "too_long", "at most 5000 characters"));
    }
    if b.body.chars().count() > 1_000_000 {
        issues.push(FieldIssue::new("body", "too_long", "at most 1000000 characters"));
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
    let mut chosen = Vec::new();
    for u in &b.audience_unit_ids {
        let path = storage::units::path(state.db.conn(), UnitId::from_uuid(*u)).await?;
        if path.is_empty() {
            issues.push(FieldIssue::new("audience_unit_ids", "not_found", format!("no unit {u}")));
        } else {
            chosen.push((UnitId::from_uuid(*u), path));
        }
    }
    let audience = audience::check_roots(issuer, &chosen)
        .map_err(|e| issues.push(FieldIssue::new("audience_unit_ids", "outside_issuer", e.to_string())))
        .unwrap_or_default();
    match (kind, title) {
        (Some(kind), Some(title)) if issues.is_empty() => Ok(Parsed { kind, number, title, tags, roles, audience }),
        _ => Err(ApiError::Validation(issues)),
    }
}

fn terms_of(d: &DocumentRecord) -> Vec<search::Term> {
    search::index_terms(Searchable {
        title: &d.title,
        number: d.number.as_deref().unwrap_or(""),
        summary: &d.summary,
        body: &d.body,
        tags: &d.tags,
    })
}

fn number_conflict(e: storage::StoreError) -> ApiError {
    match e {
        storage::StoreError::Conflict { constraint: storage::Constraint::DocumentNumber } => ApiError::Conflict {
            code: "duplicate_document_number",
            detail: "the issuing unit already has a document with this number".into(),
        },
        other => ApiError::from(other),
    }
}

async fn full_view(state: &AppState, caller: &Caller, d: &DocumentRecord, roots: &[UnitId]) -> ApiResult<DocumentView> {
    let issuer = storage::units::get(state.db.conn(), d.issuer_unit_id).await?;
    let mut v = base_view(d, UnitRef::from(&issuer), roots);
    v.body = Some(d.body.clone());
    v.attachments = Some(storage::documents::attachments_of(state.db.conn(), d.id).await?.iter().map(AttachmentView::from).collect());
    if let Some(member) = caller.actor.member_id {
        v.read_at = storage::documents::has_read(state.db.conn(), d.id, member).await?;
        v.bookmarked = storage::documents::bookmarks_of(state.db.conn(), member).await?.contains(&d.id);
    }
    Ok(v)
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
    let issuer = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, issuer).await?;
    caller.require(Action::ManageDocuments, &path)?;
    let p = parse_body(&state, issuer, &body).await?;
    let d = DocumentRecord {
        id: DocumentId::from_uuid(Uuid::now_v7()),
        issuer_unit_id: issuer,
        kind: p.kind,
        number: p.number,
        title: p.title,
        summary: body.summary.trim().to_string(),
        body: body.body.trim().to_string(),
        issued_on: body.issued_on,
        effective_on: body.effective_on,
        tags: p.tags,
        roles: p.roles,
        status: DocumentStatus::Draft,
        required: body.required,
        read_deadline: body.read_deadline,
        escalated_at: None,
        published_at: None,
        withdrawn_at: None,
        withdraw_reason: None,
        version: 1,
        created_by: Some(caller.account.id),
        created_at: caller.now,
        updated_at: caller.now,
    };
    let tx = state.db.begin().await?;
    storage::documents::insert(tx.conn(), &d, &p.audience, &terms_of(&d)).await.map_err(number_conflict)?;
    audit(
        &tx,
        &caller,
        "document.create",
        ("document", Some(d.id.as_uuid())),
        Some(issuer),
        serde_json::json!({"title": d.title, "number": d.number}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, [(header::ETAG, etag(d.version))], axum::Json(full_view(&state, &caller, &d, &p.audience).await?)))
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
    let (mut d, _, a) = readable(&state, &caller, id).await?;
    if !a.manage {
        return Err(ApiError::Forbidden);
    }
    let version = if_match.matching(d.version)?;
    model::check_editable(d.status).map_err(|e| ApiError::Conflict { code: "document_not_draft", detail: e.to_string() })?;
    let p = parse_body(&state, d.issuer_unit_id, &body).await?;
    d.kind = p.kind;
    d.number = p.number;
    d.title = p.title;
    d.summary = body.summary.trim().to_string();
    d.body = body.body.trim().to_string();
    d.issued_on = body.issued_on;
    d.effective_on = body.effective_on;
    d.tags = p.tags;
    d.roles = p.roles;
    d.required = body.required;
    d.read_deadline = body.read_deadline;
    d.updated_at = caller.now;
    let terms = terms_of(&d);
    let tx = state.db.begin().await?;
    storage::documents::update(tx.conn(), &d, version, Some((&p.audience, &terms))).await.map_err(number_conflict)?;
    audit(&tx, &caller, "document.update", ("document", Some(d.id.as_uuid())), Some(d.issuer_unit_id), serde_json::json!({})).await?;
    tx.commit().await?;
    d.version = version + 1;
    Ok(([(header::ETAG, etag(d.version))], axum::Json(full_view(&state, &caller, &d, &p.audience).await?)))
}

/// Publishes a draft to its audience (writes a `document.published` outbox event).
#[utoipa::path(post, path = "/api/v1/documents/{id}/publish", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id")),
    responses((status = 200, body = DocumentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn publish(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<DocumentView>> {
    let (mut d, roots, a) = readable(&state, &caller, id).await?;
    if !a.manage {
        return Err(ApiError::Forbidden);
    }
    let next = model::publish(d.status).map_err(|e| ApiError::Conflict { code: "invalid_transition", detail: e.to_string() })?;
    let version = d.version;
    d.status = next;
    d.published_at = Some(caller.now);
    d.issued_on = d.issued_on.or(Some(caller.today()));
    d.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::documents::update(tx.conn(), &d, version, None).await?;
    storage::outbox::push(
        tx.conn(),
        &Event::DocumentPublished(DocumentPublished {
            document_id: d.id.as_uuid(),
            issuer_unit_id: d.issuer_unit_id.as_uuid(),
            title: d.title.clone(),
            number: d.number.clone(),
            required: d.required,
            read_deadline: d.read_deadline,
            audience_unit_ids: roots.iter().map(|r| r.as_uuid()).collect(),
            roles: d.roles.iter().map(|r| r.code().to_string()).collect(),
        })
        .to_outbox(caller.now)?,
    )
    .await?;
    audit(&tx, &caller, "document.publish", ("document", Some(d.id.as_uuid())), Some(d.issuer_unit_id), serde_json::json!({})).await?;
    tx.commit().await?;
    d.version = version + 1;
    Ok(axum::Json(full_view(&state, &caller, &d, &roots).await?))
}

/// A withdrawal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// Why (1–1000 characters; shown in the banner).
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
    let (mut d, roots, a) = readable(&state, &caller, id).await?;
    if !a.manage {
        return Err(ApiError::Forbidden);
    }
    let reason = membership::fields::normalize_text(&body.reason);
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(ApiError::field("reason", if reason.is_empty() { "empty" } else { "too_long" }, "1 to 1000 characters"));
    }
    let next = model::withdraw(d.status).map_err(|e| ApiError::Conflict { code: "invalid_transition", detail: e.to_string() })?;
    let version = d.version;
    d.status = next;
    d.withdrawn_at = Some(caller.now);
    d.withdraw_reason = Some(reason.clone());
    d.updated_at = caller.now;
    let tx = state.db.begin().await?;
    storage::documents::update(tx.conn(), &d, version, None).await?;
    audit(
        &tx,
        &caller,
        "document.withdraw",
        ("document", Some(d.id.as_uuid())),
        Some(d.issuer_unit_id),
        serde_json::json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    d.version = version + 1;
    Ok(axum::Json(full_view(&state, &caller, &d, &roots).await?))
}

/// Reads a document. For a member of the audience, the first read is recorded (idempotent).
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id")),
    responses((status = 200, body = DocumentView, headers(("ETag" = String, description = "Version of the document (`\"3\"`), for `If-Match`"))), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (d, roots, a) = readable(&state, &caller, id).await?;
    if d.status == DocumentStatus::Published
        && a.in_audience
        && let Some(member) = caller.actor.member_id
        && storage::documents::has_read(state.db.conn(), d.id, member).await?.is_none()
    {
        // The receipt and its point commit together.
        let tx = state.db.begin().await?;
        if storage::documents::mark_read(tx.conn(), d.id, member, caller.now).await? {
            app::study::award_activity(&tx, member, study_points::ledger::Reason::DocumentRead, d.id.as_uuid(), caller.now).await?;
        }
        tx.commit().await?;
    }
    let view = full_view(&state, &caller, &d, &roots).await?;
    Ok(([(header::ETAG, etag(d.version))], axum::Json(view)))
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
    pub kind: Option<String>,
    /// Issuing unit.
    pub issuer: Option<Uuid>,
    /// Issued on or after.
    pub from: Option<NaiveDate>,
    /// Issued on or before.
    pub to: Option<NaiveDate>,
    /// Only required reading.
    pub required: Option<bool>,
    /// Only documents the caller has not read.
    pub unread: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
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

fn decode_offset(cursor: &str) -> ApiResult<u64> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("o:").and_then(|n| n.parse().ok()))
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
        None => 20,
        Some(n @ 1..=100) => n,
        Some(_) => return Err(ApiError::BadRequest { code: "invalid_query", detail: "limit must be between 1 and 100".into() }),
    };
    let kind = p
        .kind
        .as_deref()
        .map(|k| DocumentKind::parse(k).ok_or(ApiError::BadRequest { code: "invalid_query", detail: format!("unknown kind {k}") }))
        .transpose()?;
    let offset = p.cursor.as_deref().map(decode_offset).transpose()?.unwrap_or(0);
    let words = p.q.as_deref().map(search::parse_query).unwrap_or_default();
    if p.q.as_deref().is_some_and(|q| !q.trim().is_empty()) && words.is_empty() {
        return Ok(axum::Json(DocumentPage { items: Vec::new(), next_cursor: None }));
    }
    let query = FeedQuery {
        words,
        kind,
        issuer: p.issuer.map(UnitId::from_uuid),
        from: p.from,
        to: p.to,
        required: p.required.unwrap_or(false),
        unread: p.unread.unwrap_or(false),
        limit: limit + 1,
        offset,
    };
    let mut hits = storage::documents::feed(state.db.conn(), &viewer(&caller), &query).await?;
    let more = hits.len() as u64 > limit;
    hits.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let ids: Vec<DocumentId> = hits.iter().map(|(id, _)| *id).collect();
    let docs = storage::documents::get_many(state.db.conn(), &ids).await?;
    let mut issuers: HashMap<UnitId, UnitRef> = HashMap::new();
    let unit_ids: Vec<UnitId> = docs.iter().map(|d| d.issuer_unit_id).collect::<HashSet<_>>().into_iter().collect();
    for u in storage::units::get_many(state.db.conn(), &unit_ids).await? {
        issuers.insert(u.id, UnitRef::from(&u));
    }
    let read: HashMap<DocumentId, DateTime<Utc>> = match caller.actor.member_id {
        Some(m) => storage::documents::read_times(state.db.conn(), m, &ids).await?,
        None => HashMap::new(),
    };
    let items = docs
        .iter()
        .zip(hits.iter())
        .map(|(d, (_, score))| {
            let issuer = issuers.get(&d.issuer_unit_id).cloned().unwrap_or(UnitRef {
                id: d.issuer_unit_id.as_uuid(),
                kind: String::new(),
                name: String::new(),
            });
            let mut v = base_view(d, issuer, &[]);
            v.read_at = read.get(&d.id).copied();
            v.score = if query.words.is_empty() { None } else { Some(*score) };
            v
        })
        .collect();
    let next_cursor = more.then(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{}", offset + limit)));
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

struct AudienceMember {
    id: MemberId,
    name: String,
    cell: UnitId,
    read_at: Option<DateTime<Utc>>,
}

async fn audience_members(state: &AppState, caller: &Caller, id: Uuid, unit: Uuid) -> ApiResult<(DocumentRecord, Vec<AudienceMember>)> {
    let (d, roots, _) = readable(state, caller, id).await?;
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    caller.require(Action::ViewMemberPrivate, &path)?;
    // Units in the audience: the union of the roots' subtrees.
    let mut in_audience: HashSet<UnitId> = HashSet::new();
    for r in &roots {
        in_audience.extend(storage::units::subtree_ids(state.db.conn(), *r).await?);
    }
    let mut members = Vec::new();
    let mut after = None;
    loop {
        let page = storage::members::list(
            state.db.conn(),
            &ListQuery { unit, include_subtree: true, standing: StandingFilter::Active, after, limit: 1000 },
        )
        .await?;
        let done = page.len() < 1000;
        after = page.last().map(|m| m.id);
        members.extend(page.into_iter().filter(|m| in_audience.contains(&m.state.home_unit)));
        if done {
            break;
        }
    }
    if !d.roles.is_empty() {
        let ids: Vec<MemberId> = members.iter().map(|m| m.id).collect();
        let today = caller.today();
        let holders: HashSet<MemberId> = storage::positions::for_members(state.db.conn(), &ids)
            .await?
            .into_iter()
            .filter(|p| p.is_active_on(today) && d.roles.contains(&p.role))
            .map(|p| p.member_id)
            .collect();
        members.retain(|m| holders.contains(&m.id));
    }
    let ids: Vec<MemberId> = members.iter().map(|m| m.id).collect();
    let receipts: HashMap<MemberId, DateTime<Utc>> = storage::documents::receipts(state.db.conn(), d.id, &ids).await?.into_iter().collect();
    let out = members
        .into_iter()
        .map(|m| AudienceMember {
            read_at: receipts.get(&m.id).copied(),
            id: m.id,
            name: m.full_name.as_str().to_string(),
            cell: m.state.home_unit,
        })
        .collect();
    Ok((d, out))
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
    let filter = p.status.as_deref().unwrap_or("all");
    if !matches!(filter, "all" | "read" | "unread") {
        return Err(ApiError::BadRequest { code: "invalid_query", detail: "status must be all, read or unread".into() });
    }
    let (_, members) = audience_members(&state, &caller, id, p.unit_id).await?;
    let mut out: Vec<ReaderView> = members
        .into_iter()
        .filter(|m| match filter {
            "read" => m.read_at.is_some(),
            "unread" => m.read_at.is_none(),
            _ => true,
        })
        .map(|m| ReaderView { member_id: m.id.as_uuid(), full_name: m.name, unit_id: m.cell.as_uuid(), read_at: m.read_at })
        .collect();
    out.sort_by(|a, b| a.unit_id.cmp(&b.unit_id).then(a.full_name.cmp(&b.full_name)));
    Ok(axum::Json(out))
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
    let (_, members) = audience_members(&state, &caller, id, p.unit_id).await?;
    let mut per_cell: HashMap<UnitId, (u32, u32)> = HashMap::new();
    for m in &members {
        let e = per_cell.entry(m.cell).or_default();
        e.0 += 1;
        if m.read_at.is_some() {
            e.1 += 1;
        }
    }
    let cell_ids: Vec<UnitId> = per_cell.keys().copied().collect();
    let units = storage::units::get_many(state.db.conn(), &cell_ids).await?;
    let rate = |n: u32, r: u32| if n == 0 { 0.0 } else { f64::from(r) / f64::from(n) };
    let mut cells: Vec<CellReadRate> = units
        .iter()
        .filter_map(|u| {
            per_cell.get(&u.id).map(|(n, r)| CellReadRate { unit: UnitRef::from(u), audience: *n, read: *r, rate: rate(*n, *r) })
        })
        .collect();
    cells.sort_by(|a, b| a.rate.total_cmp(&b.rate).then(a.unit.name.cmp(&b.unit.name)));
    let audience = u32::try_from(members.len()).unwrap_or(u32::MAX);
    let read = u32::try_from(members.iter().filter(|m| m.read_at.is_some()).count()).unwrap_or(u32::MAX);
    Ok(axum::Json(ReadStats { audience, read, rate: rate(audience, read), cells }))
}

// ---------------------------------------------------------------- attachments

/// Attaches a file to a draft (multipart/form-data, field `file`): PDF, DOCX, PNG, JPEG, WebP,
/// MP3, M4A, Ogg or WAV, detected from the bytes (the declared type is ignored); up to
/// `HANDBOOK_MAX_ATTACHMENT_MB` (default 20 MiB). SHA-256 recorded.
#[utoipa::path(post, path = "/api/v1/documents/{id}/attachments", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id")),
    request_body(content = String, content_type = "multipart/form-data", description = "A `file` part"),
    responses((status = 201, body = AttachmentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 413, body = crate::error::Problem), (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    mut multipart: Multipart,
) -> ApiResult<impl IntoResponse> {
    let (d, _, a) = readable(&state, &caller, id).await?;
    if !a.manage {
        return Err(ApiError::Forbidden);
    }
    model::check_editable(d.status).map_err(|e| ApiError::Conflict { code: "document_not_draft", detail: e.to_string() })?;
    let limit = state.config.max_attachment_bytes;
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
    let (name, bytes) = file.ok_or_else(|| ApiError::field("file", "missing", "send the file in a part named `file`"))?;
    if bytes.is_empty() {
        return Err(ApiError::field("file", "empty", "the file is empty"));
    }
    let kind: FileType = attachment::sniff(&bytes).ok_or(ApiError::UnsupportedMediaType)?;
    let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let attachment_id = AttachmentId::from_uuid(Uuid::now_v7());
    let key = format!("{}/{}", &sha[..2], attachment_id);
    state.blobs.put(&key, &bytes).await.map_err(|e| ApiError::Internal(format!("blob write: {e}")))?;
    let record = AttachmentRecord {
        id: attachment_id,
        document_id: d.id,
        file_name: name,
        mime: kind.mime().to_string(),
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256: sha,
        storage_key: key.clone(),
        created_by: Some(caller.account.id),
        created_at: caller.now,
    };
    let saved = async {
        let tx = state.db.begin().await?;
        storage::documents::insert_attachment(tx.conn(), &record).await?;
        audit(
            &tx,
            &caller,
            "document.attach",
            ("attachment", Some(record.id.as_uuid())),
            Some(d.issuer_unit_id),
            serde_json::json!({"file_name": record.file_name, "size": record.size}),
        )
        .await?;
        tx.commit().await?;
        Ok::<(), ApiError>(())
    }
    .await;
    if let Err(e) = saved {
        let _ = state.blobs.remove(&key).await;
        return Err(e);
    }
    Ok((StatusCode::CREATED, axum::Json(AttachmentView::from(&record))))
}

/// Downloads an attachment (streamed), for anyone who may read its document.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "documents", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Attachment id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn download(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let a = storage::documents::get_attachment(state.db.conn(), AttachmentId::from_uuid(id)).await?;
    readable(&state, &caller, a.document_id.as_uuid()).await?;
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
    let member = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    let (d, _, _) = readable(&state, &caller, document_id).await?;
    storage::documents::bookmark(state.db.conn(), member, d.id, caller.now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a bookmark (idempotent).
#[utoipa::path(delete, path = "/api/v1/me/bookmarks/{document_id}", tag = "documents", security(("bearer" = [])), params(("document_id" = Uuid, Path, description = "Document id")),
    responses((status = 204), (status = 403, body = crate::error::Problem)))]
pub async fn remove_bookmark(State(state): State<AppState>, caller: Caller, Path(document_id): Path<Uuid>) -> ApiResult<StatusCode> {
    let member = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    storage::documents::unbookmark(state.db.conn(), member, DocumentId::from_uuid(document_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's bookmarks that they may still read, newest first.
#[utoipa::path(get, path = "/api/v1/me/bookmarks", tag = "documents", security(("bearer" = [])),
    responses((status = 200, body = Vec<DocumentView>), (status = 403, body = crate::error::Problem)))]
pub async fn list_bookmarks(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<Vec<DocumentView>>> {
    let member = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    let ids = storage::documents::bookmarks_of(state.db.conn(), member).await?;
    let mut out = Vec::new();
    for id in ids {
        if let Ok((d, roots, _)) = readable(&state, &caller, id.as_uuid()).await {
            let issuer = storage::units::get(state.db.conn(), d.issuer_unit_id).await?;
            let mut v = base_view(&d, UnitRef::from(&issuer), &roots);
            v.bookmarked = true;
            v.read_at = storage::documents::has_read(state.db.conn(), d.id, member).await?;
            out.push(v);
        }
    }
    Ok(axum::Json(out))
}
