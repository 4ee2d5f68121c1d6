//! Document use cases: drafting a document in a unit and editing the draft with a version check,
//! attaching files, publishing it to its audience (with the `document.published` outbox event),
//! withdrawing it, reading it (the first read of a member of the audience is recorded with its
//! study points), the feed and the search, who in a unit has (not) read it and the read rates,
//! bookmarks.
//!
//! Who may read a document, and who manages it, is `documents::access`' rule (the same rule runs
//! as SQL in the feed, `storage::documents::feed`). Each write saves the document (or
//! attachment) with its audit record — and, for a publication, its outbox event — in one
//! transaction.
//!
//! The request's own refusals are found by the caller's parser but reported only after the
//! caller is known to be allowed, as the API always has: a use case that takes
//! `input: Result<…, E>` checks the caller's rights first and then returns `E` unchanged. A
//! draft's audience units are looked up here; an unknown or refused unit is reported together
//! with the request's own refusal ([`SaveDraftError::Invalid`]) so that the caller can list
//! every problem of the body at once.
//!
//! Attachment bytes: the use case stores them through [`Blobs`] (implemented by the API's blob
//! store) and removes them again if the database transaction fails; reading the upload (the
//! multipart stream) and streaming a download stay with the caller. The upload is handed over as
//! a future that is awaited only once the caller may attach to the document.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use documents::access::{self, Access};
use documents::attachment::{self, FileType};
use documents::audience::{self, AudienceError};
use documents::model::{self, DocumentKind, DocumentStatus, InvalidTransition};
use documents::search::{self, Searchable};
use documents::{AttachmentId, DocumentId};
use membership::permission::{Action, Actor};
use membership::position::Role;
use membership::{MemberId, UnitId};
use sha2::{Digest, Sha256};
use storage::StoreError;
use storage::documents::{AttachmentRecord, DocumentRecord, FeedQuery, Viewer};
use storage::members::{ListQuery, StandingFilter};
use storage::units::UnitRecord;
use study_points::ledger::Reason;
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::events::{DocumentPublished, Event, EventError};
use crate::{Ctx, allowed, unit_path};

/// Where attachment bytes are kept (the API's blob store implements it).
pub trait Blobs: Send + Sync {
    /// Stores bytes under `key`, never half-written.
    fn put(&self, key: &str, bytes: &[u8]) -> impl Future<Output = std::io::Result<()>> + Send;
    /// Removes the blob under `key` (undoes a write whose transaction failed).
    fn remove(&self, key: &str) -> impl Future<Output = std::io::Result<()>> + Send;
}

/// A document with what its full view shows.
#[derive(Debug, Clone)]
pub struct DocumentDetail {
    /// The document.
    pub document: DocumentRecord,
    /// Its audience roots.
    pub audience: Vec<UnitId>,
    /// The issuing unit.
    pub issuer: UnitRecord,
    /// Its attachments.
    pub attachments: Vec<AttachmentRecord>,
    /// When the calling member first read it.
    pub read_at: Option<DateTime<Utc>>,
    /// Bookmarked by the calling member.
    pub bookmarked: bool,
}

/// Why a document (or attachment, or bookmark, or the readers of a document) cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ViewDocumentError {
    /// The caller may not read it (or, for readers and read rates, may not see the unit's
    /// members; for bookmarks, is not a member).
    #[error("not permitted")]
    Forbidden,
    /// Storage (a missing document, attachment or unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An audience unit of a draft that is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudienceIssue {
    /// No such unit.
    UnknownUnit(UnitId),
    /// The audience is refused by `documents::audience` (outside the issuer, too many units).
    Refused(AudienceError),
}

/// Why a draft cannot be created or edited.
#[derive(Debug, thiserror::Error)]
pub enum SaveDraftError<E> {
    /// The caller may not manage the issuing unit's documents.
    #[error("not permitted")]
    Forbidden,
    /// The caller's version check refused the edit (e.g. a stale `If-Match`).
    #[error("the version check was refused")]
    Version(E),
    /// The document is no longer a draft.
    #[error(transparent)]
    NotDraft(InvalidTransition),
    /// The request was refused by the caller's parser and/or its audience units are refused.
    #[error("the draft was refused")]
    Invalid {
        /// The parser's refusal, if any.
        request: Option<E>,
        /// Refused audience units, in the order given (then the audience as a whole).
        audience: Vec<AudienceIssue>,
    },
    /// The issuing unit already has a document with this number.
    #[error("the issuing unit already has a document with this number")]
    DuplicateNumber,
    /// Storage (a missing unit or document is `Store(NotFound)`; a document changed since the
    /// version matched is `Store(VersionMismatch)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a document cannot be published or withdrawn.
#[derive(Debug, thiserror::Error)]
pub enum ChangeStatusError<E> {
    /// The caller may not manage the document.
    #[error("not permitted")]
    Forbidden,
    /// The request itself was refused by the caller's parser.
    #[error("the request was refused")]
    Request(E),
    /// The lifecycle refuses the change.
    #[error(transparent)]
    Transition(InvalidTransition),
    /// The outbox event could not be encoded.
    #[error(transparent)]
    Event(#[from] EventError),
    /// Storage (a missing document is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a file cannot be attached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError<E> {
    /// The caller may not manage the document.
    #[error("not permitted")]
    Forbidden,
    /// The document is no longer a draft.
    #[error(transparent)]
    NotDraft(InvalidTransition),
    /// Reading the upload was refused by the caller.
    #[error("the upload was refused")]
    Request(E),
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not of an accepted type.
    #[error("unsupported file type")]
    UnsupportedType,
    /// The blob store failed.
    #[error("blob write: {0}")]
    Blob(std::io::Error),
    /// Storage (a missing document is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<E> From<ViewDocumentError> for SaveDraftError<E> {
    fn from(e: ViewDocumentError) -> Self {
        match e {
            ViewDocumentError::Forbidden => SaveDraftError::Forbidden,
            ViewDocumentError::Store(e) => SaveDraftError::Store(e),
        }
    }
}

impl<E> From<ViewDocumentError> for ChangeStatusError<E> {
    fn from(e: ViewDocumentError) -> Self {
        match e {
            ViewDocumentError::Forbidden => ChangeStatusError::Forbidden,
            ViewDocumentError::Store(e) => ChangeStatusError::Store(e),
        }
    }
}

impl<E> From<ViewDocumentError> for AttachError<E> {
    fn from(e: ViewDocumentError) -> Self {
        match e {
            ViewDocumentError::Forbidden => AttachError::Forbidden,
            ViewDocumentError::Store(e) => AttachError::Store(e),
        }
    }
}

// ---------------------------------------------------------------- shared queries

/// A document the caller may read, its audience roots and what the caller is to it.
struct Readable {
    document: DocumentRecord,
    roots: Vec<UnitId>,
    access: Access,
}

/// Loads a document the caller may read (`documents::access`): drafts for the issuer's side;
/// published documents also for the audience and leaders over it; withdrawn documents for the
/// issuer's side and leaders over the audience (with a banner), never for members without a
/// position.
async fn readable(ctx: &Ctx, actor: &Actor, id: DocumentId) -> Result<Readable, ViewDocumentError> {
    let db = ctx.db.conn();
    let document = storage::documents::get(db, id).await?;
    let roots = storage::documents::audience(db, document.id).await?;
    let issuer_path = unit_path(ctx, document.issuer_unit_id).await?;
    let mut rooted = Vec::with_capacity(roots.len());
    for root in &roots {
        rooted.push((*root, storage::units::path(db, *root).await?));
    }
    let access = access::access(actor, ctx.clock.today(), &issuer_path, &rooted, &document.roles);
    if access.may_read(document.status) { Ok(Readable { document, roots, access }) } else { Err(ViewDocumentError::Forbidden) }
}

/// Like [`readable`], for the issuer's side only.
async fn managed(ctx: &Ctx, actor: &Actor, id: DocumentId) -> Result<Readable, ViewDocumentError> {
    let r = readable(ctx, actor, id).await?;
    if r.access.manage { Ok(r) } else { Err(ViewDocumentError::Forbidden) }
}

/// The full detail of `document` as stored now, for `actor`.
async fn detail(ctx: &Ctx, actor: &Actor, document: DocumentRecord, audience: Vec<UnitId>) -> Result<DocumentDetail, StoreError> {
    let db = ctx.db.conn();
    let issuer = storage::units::get(db, document.issuer_unit_id).await?;
    let attachments = storage::documents::attachments_of(db, document.id).await?;
    let (mut read_at, mut bookmarked) = (None, false);
    if let Some(member) = actor.member_id {
        read_at = storage::documents::has_read(db, document.id, member).await?;
        bookmarked = storage::documents::bookmarks_of(db, member).await?.contains(&document.id);
    }
    Ok(DocumentDetail { document, audience, issuer, attachments, read_at, bookmarked })
}

/// Who is asking, for the visibility condition of the feed (SQL).
fn viewer(ctx: &Ctx, actor: &Actor) -> Viewer {
    let today = ctx.clock.today();
    Viewer {
        chain: actor.home_path.clone(),
        member: actor.member_id.filter(|_| !actor.home_path.is_empty()),
        roles: access::roles_on(actor, today),
        admin_scopes: actor.admin_scopes.clone(),
        position_units: actor.positions.iter().filter(|p| p.is_active_on(today)).map(|p| p.unit_id).collect(),
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

fn number_conflict<E>(e: StoreError) -> SaveDraftError<E> {
    match e {
        StoreError::Conflict { constraint: storage::Constraint::DocumentNumber } => SaveDraftError::DuplicateNumber,
        other => SaveDraftError::Store(other),
    }
}

// ---------------------------------------------------------------- drafting

/// A draft's content, as parsed from the request.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Kind.
    pub kind: DocumentKind,
    /// Official number (parsed), if any.
    pub number: Option<String>,
    /// Title (normalised).
    pub title: String,
    /// Summary (trimmed).
    pub summary: String,
    /// Body (trimmed).
    pub body: String,
    /// Date issued.
    pub issued_on: Option<NaiveDate>,
    /// Date effective.
    pub effective_on: Option<NaiveDate>,
    /// Tags (parsed).
    pub tags: Vec<String>,
    /// Roles the audience is narrowed to (no duplicates).
    pub roles: Vec<Role>,
    /// Required reading.
    pub required: bool,
    /// Deadline of required reading.
    pub read_deadline: Option<NaiveDate>,
}

/// The draft and its audience roots, or every refusal of the request and of its audience.
async fn validate<E>(
    ctx: &Ctx,
    issuer: UnitId,
    input: Result<Draft, E>,
    audience_units: &[UnitId],
) -> Result<(Draft, Vec<UnitId>), SaveDraftError<E>> {
    let mut issues = Vec::new();
    let mut chosen = Vec::new();
    for unit in audience_units {
        let path = storage::units::path(ctx.db.conn(), *unit).await?;
        if path.is_empty() {
            issues.push(AudienceIssue::UnknownUnit(*unit));
        } else {
            chosen.push((*unit, path));
        }
    }
    let roots = audience::check_roots(issuer, &chosen).unwrap_or_else(|e| {
        issues.push(AudienceIssue::Refused(e));
        Vec::new()
    });
    match input {
        Ok(draft) if issues.is_empty() => Ok((draft, roots)),
        input => Err(SaveDraftError::Invalid { request: input.err(), audience: issues }),
    }
}

/// Drafts a document issued by `issuer` (its own secretary, deputy and committee members, and
/// administrators over it) addressed to `audience_units` (empty: the issuer's whole subtree),
/// with its audit record.
pub async fn create<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    issuer: UnitId,
    input: Result<Draft, E>,
    audience_units: &[UnitId],
) -> Result<DocumentDetail, SaveDraftError<E>> {
    let now = ctx.clock.now();
    let path = unit_path(ctx, issuer).await?;
    if !allowed(ctx, who.actor, Action::ManageDocuments, &path) {
        return Err(SaveDraftError::Forbidden);
    }
    let (draft, roots) = validate(ctx, issuer, input, audience_units).await?;
    let d = DocumentRecord {
        id: DocumentId::from_uuid(Uuid::now_v7()),
        issuer_unit_id: issuer,
        kind: draft.kind,
        number: draft.number,
        title: draft.title,
        summary: draft.summary,
        body: draft.body,
        issued_on: draft.issued_on,
        effective_on: draft.effective_on,
        tags: draft.tags,
        roles: draft.roles,
        status: DocumentStatus::Draft,
        required: draft.required,
        read_deadline: draft.read_deadline,
        escalated_at: None,
        published_at: None,
        withdrawn_at: None,
        withdraw_reason: None,
        version: 1,
        created_by: who.actor.account_id,
        created_at: now,
        updated_at: now,
    };
    let tx = ctx.db.begin().await?;
    storage::documents::insert(tx.conn(), &d, &roots, &terms_of(&d)).await.map_err(number_conflict)?;
    audit::record(
        &tx,
        who,
        now,
        "document.create",
        ("document", Some(d.id.as_uuid())),
        Some(issuer),
        serde_json::json!({"title": d.title, "number": d.number}),
    )
    .await?;
    tx.commit().await?;
    Ok(detail(ctx, who.actor, d, roots).await?)
}

/// Replaces a draft's content and audience (the issuer's side), with its audit record. Once the
/// caller may edit, `matching` is given the current version and returns the version to write
/// against (or the caller's refusal, e.g. a stale `If-Match`); the write then succeeds only if
/// the document is still at that version (`Store(VersionMismatch)` otherwise).
pub async fn update<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: DocumentId,
    matching: impl FnOnce(i32) -> Result<i32, E>,
    input: Result<Draft, E>,
    audience_units: &[UnitId],
) -> Result<DocumentDetail, SaveDraftError<E>> {
    let now = ctx.clock.now();
    let Readable { document: mut d, .. } = managed(ctx, who.actor, id).await?;
    let version = matching(d.version).map_err(SaveDraftError::Version)?;
    model::check_editable(d.status).map_err(SaveDraftError::NotDraft)?;
    let (draft, roots) = validate(ctx, d.issuer_unit_id, input, audience_units).await?;
    d.kind = draft.kind;
    d.number = draft.number;
    d.title = draft.title;
    d.summary = draft.summary;
    d.body = draft.body;
    d.issued_on = draft.issued_on;
    d.effective_on = draft.effective_on;
    d.tags = draft.tags;
    d.roles = draft.roles;
    d.required = draft.required;
    d.read_deadline = draft.read_deadline;
    d.updated_at = now;
    let terms = terms_of(&d);
    let tx = ctx.db.begin().await?;
    storage::documents::update(tx.conn(), &d, version, Some((&roots, &terms))).await.map_err(number_conflict)?;
    audit::record(&tx, who, now, "document.update", ("document", Some(d.id.as_uuid())), Some(d.issuer_unit_id), serde_json::json!({}))
        .await?;
    tx.commit().await?;
    d.version = version + 1;
    Ok(detail(ctx, who.actor, d, roots).await?)
}

// ---------------------------------------------------------------- publication and withdrawal

/// Publishes a draft to its audience (the issuer's side), with its audit record and a
/// `document.published` outbox event; a document issued without a date is issued today.
pub async fn publish(ctx: &Ctx, who: Requester<'_>, id: DocumentId) -> Result<DocumentDetail, ChangeStatusError<std::convert::Infallible>> {
    let now = ctx.clock.now();
    let Readable { document: mut d, roots, .. } = managed(ctx, who.actor, id).await?;
    let next = model::publish(d.status).map_err(ChangeStatusError::Transition)?;
    let version = d.version;
    d.status = next;
    d.published_at = Some(now);
    d.issued_on = d.issued_on.or(Some(ctx.clock.today()));
    d.updated_at = now;
    let tx = ctx.db.begin().await?;
    storage::documents::update(tx.conn(), &d, version, None).await?;
    let event = Event::DocumentPublished(DocumentPublished {
        document_id: d.id.as_uuid(),
        issuer_unit_id: d.issuer_unit_id.as_uuid(),
        title: d.title.clone(),
        number: d.number.clone(),
        required: d.required,
        read_deadline: d.read_deadline,
        audience_unit_ids: roots.iter().map(|r| r.as_uuid()).collect(),
        roles: d.roles.iter().map(|r| r.code().to_string()).collect(),
    });
    storage::outbox::push(tx.conn(), &event.to_outbox(now)?).await?;
    audit::record(&tx, who, now, "document.publish", ("document", Some(d.id.as_uuid())), Some(d.issuer_unit_id), serde_json::json!({}))
        .await?;
    tx.commit().await?;
    d.version = version + 1;
    Ok(detail(ctx, who.actor, d, roots).await?)
}

/// Withdraws a published document (the issuer's side) for `reason` (as parsed by the caller),
/// with its audit record: members no longer see it; leaders read it with a banner.
pub async fn withdraw<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: DocumentId,
    reason: Result<String, E>,
) -> Result<DocumentDetail, ChangeStatusError<E>> {
    let now = ctx.clock.now();
    let Readable { document: mut d, roots, .. } = managed(ctx, who.actor, id).await?;
    let reason = reason.map_err(ChangeStatusError::Request)?;
    let next = model::withdraw(d.status).map_err(ChangeStatusError::Transition)?;
    let version = d.version;
    d.status = next;
    d.withdrawn_at = Some(now);
    d.withdraw_reason = Some(reason.clone());
    d.updated_at = now;
    let tx = ctx.db.begin().await?;
    storage::documents::update(tx.conn(), &d, version, None).await?;
    audit::record(
        &tx,
        who,
        now,
        "document.withdraw",
        ("document", Some(d.id.as_uuid())),
        Some(d.issuer_unit_id),
        serde_json::json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    d.version = version + 1;
    Ok(detail(ctx, who.actor, d, roots).await?)
}

// ---------------------------------------------------------------- reading

/// Reads a document. The first read of a published document by a member of its audience is
/// recorded with its study points, in one transaction (idempotent).
pub async fn read(ctx: &Ctx, actor: &Actor, id: DocumentId) -> Result<DocumentDetail, ViewDocumentError> {
    let now = ctx.clock.now();
    let Readable { document: d, roots, access } = readable(ctx, actor, id).await?;
    if d.status == DocumentStatus::Published
        && access.in_audience
        && let Some(member) = actor.member_id
        && storage::documents::has_read(ctx.db.conn(), d.id, member).await?.is_none()
    {
        let tx = ctx.db.begin().await?;
        let queued = storage::documents::mark_read(tx.conn(), d.id, member, now).await?
            && crate::study::award_activity(&tx, member, Reason::DocumentRead, d.id.as_uuid(), now).await?;
        tx.commit().await?;
        if queued {
            ctx.points.queued();
        }
    }
    Ok(detail(ctx, actor, d, roots).await?)
}

/// Looks at a document as [`read`] does, without recording a read: for requests that must have
/// no effect, such as HTTP `HEAD`.
pub async fn peek(ctx: &Ctx, actor: &Actor, id: DocumentId) -> Result<DocumentDetail, ViewDocumentError> {
    let Readable { document: d, roots, .. } = readable(ctx, actor, id).await?;
    Ok(detail(ctx, actor, d, roots).await?)
}

/// An attachment of a document the caller may read (the caller streams its bytes).
pub async fn attachment(ctx: &Ctx, actor: &Actor, id: AttachmentId) -> Result<AttachmentRecord, ViewDocumentError> {
    let a = storage::documents::get_attachment(ctx.db.conn(), id).await?;
    readable(ctx, actor, a.document_id).await?;
    Ok(a)
}

// ---------------------------------------------------------------- feed and search

/// One document of the feed.
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// The document.
    pub document: DocumentRecord,
    /// Its issuing unit (absent if it could not be found).
    pub issuer: Option<UnitRecord>,
    /// Search score (absent in the feed).
    pub score: Option<i64>,
    /// When the calling member first read it.
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of the feed.
#[derive(Debug, Clone, Default)]
pub struct FeedPage {
    /// The documents, best (or newest) first.
    pub items: Vec<FeedItem>,
    /// Whether more follow.
    pub more: bool,
}

/// The caller's documents: the feed (newest first) or, with search text, the search (best
/// first; diacritics and case ignored). Only documents the caller may see are ever returned:
/// published ones addressed to their cell (and roles), plus every document of the units whose
/// documents they manage. Text without a searchable word finds nothing. `filter` carries the
/// other criteria and the page (`limit`, `offset`); its `words` are ignored and taken from `text`.
pub async fn feed(ctx: &Ctx, actor: &Actor, text: Option<&str>, filter: FeedQuery) -> Result<FeedPage, StoreError> {
    let words = text.map(search::parse_query).unwrap_or_default();
    // A search may lag (a read replica, when configured); the feed, and the caller's read marks
    // in either, are read on the primary.
    let db = if words.is_empty() { ctx.db.conn() } else { ctx.db.reader() };
    if text.is_some_and(|q| !q.trim().is_empty()) && words.is_empty() {
        return Ok(FeedPage::default());
    }
    let limit = filter.limit;
    let query = FeedQuery { words, limit: limit + 1, ..filter };
    let mut hits = storage::documents::feed(db, &viewer(ctx, actor), &query).await?;
    let more = hits.len() as u64 > limit;
    hits.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let ids: Vec<DocumentId> = hits.iter().map(|(id, _)| *id).collect();
    let docs = storage::documents::get_many(db, &ids).await?;
    let unit_ids: Vec<UnitId> = docs.iter().map(|d| d.issuer_unit_id).collect::<HashSet<_>>().into_iter().collect();
    let issuers: HashMap<UnitId, UnitRecord> = storage::units::get_many(db, &unit_ids).await?.into_iter().map(|u| (u.id, u)).collect();
    let read: HashMap<DocumentId, DateTime<Utc>> = match actor.member_id {
        Some(m) => storage::documents::read_times(ctx.db.conn(), m, &ids).await?,
        None => HashMap::new(),
    };
    let searching = !query.words.is_empty();
    let items = docs
        .into_iter()
        .zip(hits.iter())
        .map(|(document, (_, score))| FeedItem {
            issuer: issuers.get(&document.issuer_unit_id).cloned(),
            score: searching.then_some(*score),
            read_at: read.get(&document.id).copied(),
            document,
        })
        .collect();
    Ok(FeedPage { items, more })
}

// ---------------------------------------------------------------- readers and read rates

/// A member of the audience and their read receipt.
#[derive(Debug, Clone)]
pub struct Reader {
    /// The member.
    pub member: MemberId,
    /// Full name.
    pub full_name: String,
    /// The member's cell.
    pub cell: UnitId,
    /// First read time, if read.
    pub read_at: Option<DateTime<Utc>>,
}

/// Which readers to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadFilter {
    /// Everyone in the audience.
    #[default]
    All,
    /// Those who have read it.
    Read,
    /// Those who have not.
    Unread,
}

impl ReadFilter {
    /// Every filter.
    pub const ALL: [ReadFilter; 3] = [ReadFilter::All, ReadFilter::Read, ReadFilter::Unread];

    /// Stable code: `all`, `read` or `unread`.
    pub fn code(self) -> &'static str {
        match self {
            ReadFilter::All => "all",
            ReadFilter::Read => "read",
            ReadFilter::Unread => "unread",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }
}

/// The active members of `unit`'s subtree in the audience of a document the caller may read,
/// with their receipts; the caller must lead, sit on the committee of or administer `unit`.
async fn audience_members(ctx: &Ctx, actor: &Actor, id: DocumentId, unit: UnitId) -> Result<Vec<Reader>, ViewDocumentError> {
    let db = ctx.db.conn();
    let Readable { document: d, roots, .. } = readable(ctx, actor, id).await?;
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, actor, Action::ViewMemberPrivate, &path) {
        return Err(ViewDocumentError::Forbidden);
    }
    // Units in the audience: the union of the roots' subtrees.
    let mut in_audience: HashSet<UnitId> = HashSet::new();
    for r in &roots {
        in_audience.extend(storage::units::subtree_ids(db, *r).await?);
    }
    let mut members = Vec::new();
    let mut after = None;
    loop {
        let page =
            storage::members::list(db, &ListQuery { unit, include_subtree: true, standing: StandingFilter::Active, after, limit: 1000 })
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
        let today = ctx.clock.today();
        let holders: HashSet<MemberId> = storage::positions::for_members(db, &ids)
            .await?
            .into_iter()
            .filter(|p| p.is_active_on(today) && d.roles.contains(&p.role))
            .map(|p| p.member_id)
            .collect();
        members.retain(|m| holders.contains(&m.id));
    }
    let ids: Vec<MemberId> = members.iter().map(|m| m.id).collect();
    let receipts: HashMap<MemberId, DateTime<Utc>> = storage::documents::receipts(db, d.id, &ids).await?.into_iter().collect();
    Ok(members
        .into_iter()
        .map(|m| Reader {
            read_at: receipts.get(&m.id).copied(),
            member: m.id,
            full_name: m.full_name.as_str().to_string(),
            cell: m.state.home_unit,
        })
        .collect())
}

/// Who in `unit`'s subtree has (not) read a document, by cell then name (leaders, committee
/// members and administrators over that unit).
pub async fn readers(ctx: &Ctx, actor: &Actor, id: DocumentId, unit: UnitId, filter: ReadFilter) -> Result<Vec<Reader>, ViewDocumentError> {
    let mut out: Vec<Reader> = audience_members(ctx, actor, id, unit)
        .await?
        .into_iter()
        .filter(|m| match filter {
            ReadFilter::Read => m.read_at.is_some(),
            ReadFilter::Unread => m.read_at.is_none(),
            ReadFilter::All => true,
        })
        .collect();
    out.sort_by(|a, b| a.cell.as_uuid().cmp(&b.cell.as_uuid()).then(a.full_name.cmp(&b.full_name)));
    Ok(out)
}

/// `read` out of `audience` (0 when the audience is empty).
pub fn rate(audience: u32, read: u32) -> f64 {
    if audience == 0 { 0.0 } else { f64::from(read) / f64::from(audience) }
}

/// Read figures of one cell.
#[derive(Debug, Clone)]
pub struct CellReads {
    /// The cell.
    pub unit: UnitRecord,
    /// Members of the cell in the audience.
    pub audience: u32,
    /// Of whom have read.
    pub read: u32,
}

/// Read figures of a unit's subtree.
#[derive(Debug, Clone)]
pub struct ReadStats {
    /// Members of the audience in the subtree.
    pub audience: u32,
    /// Of whom have read.
    pub read: u32,
    /// Per cell, lowest read rate first (then by name).
    pub cells: Vec<CellReads>,
}

/// Read figures of a document in `unit`'s subtree, per cell (same rights as [`readers`]).
pub async fn read_stats(ctx: &Ctx, actor: &Actor, id: DocumentId, unit: UnitId) -> Result<ReadStats, ViewDocumentError> {
    let members = audience_members(ctx, actor, id, unit).await?;
    let mut per_cell: HashMap<UnitId, (u32, u32)> = HashMap::new();
    for m in &members {
        let e = per_cell.entry(m.cell).or_default();
        e.0 += 1;
        if m.read_at.is_some() {
            e.1 += 1;
        }
    }
    let cell_ids: Vec<UnitId> = per_cell.keys().copied().collect();
    let units = storage::units::get_many(ctx.db.conn(), &cell_ids).await?;
    let mut cells: Vec<CellReads> = units
        .into_iter()
        .filter_map(|u| per_cell.get(&u.id).copied().map(|(audience, read)| CellReads { unit: u, audience, read }))
        .collect();
    cells.sort_by(|a, b| rate(a.audience, a.read).total_cmp(&rate(b.audience, b.read)).then(a.unit.name.cmp(&b.unit.name)));
    let audience = u32::try_from(members.len()).unwrap_or(u32::MAX);
    let read = u32::try_from(members.iter().filter(|m| m.read_at.is_some()).count()).unwrap_or(u32::MAX);
    Ok(ReadStats { audience, read, cells })
}

// ---------------------------------------------------------------- attachments

/// A file read from the request.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Cleaned file name.
    pub file_name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Attaches a file to a draft (the issuer's side), with its audit record. `upload` is awaited
/// only once the caller may attach; the type is detected from the bytes, the SHA-256 recorded,
/// the bytes stored in `blobs` and removed again if the transaction fails.
pub async fn attach<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    blobs: &impl Blobs,
    id: DocumentId,
    upload: impl Future<Output = Result<Upload, E>>,
) -> Result<AttachmentRecord, AttachError<E>> {
    let Readable { document: d, .. } = managed(ctx, who.actor, id).await?;
    model::check_editable(d.status).map_err(AttachError::NotDraft)?;
    let Upload { file_name, bytes } = upload.await.map_err(AttachError::Request)?;
    if bytes.is_empty() {
        return Err(AttachError::Empty);
    }
    let kind: FileType = attachment::sniff(&bytes).ok_or(AttachError::UnsupportedType)?;
    let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let attachment_id = AttachmentId::from_uuid(Uuid::now_v7());
    let key = format!("{}/{}", &sha[..2], attachment_id);
    blobs.put(&key, &bytes).await.map_err(AttachError::Blob)?;
    let now = ctx.clock.now();
    let record = AttachmentRecord {
        id: attachment_id,
        document_id: d.id,
        file_name,
        mime: kind.mime().to_string(),
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256: sha,
        storage_key: key.clone(),
        created_by: who.actor.account_id,
        created_at: now,
    };
    let saved = async {
        let tx = ctx.db.begin().await?;
        storage::documents::insert_attachment(tx.conn(), &record).await?;
        audit::record(
            &tx,
            who,
            now,
            "document.attach",
            ("attachment", Some(record.id.as_uuid())),
            Some(d.issuer_unit_id),
            serde_json::json!({"file_name": record.file_name, "size": record.size}),
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = saved {
        let _ = blobs.remove(&key).await;
        return Err(e.into());
    }
    Ok(record)
}

// ---------------------------------------------------------------- bookmarks

/// A bookmarked document.
#[derive(Debug, Clone)]
pub struct Bookmark {
    /// The document.
    pub document: DocumentRecord,
    /// Its audience roots.
    pub audience: Vec<UnitId>,
    /// Its issuing unit.
    pub issuer: UnitRecord,
    /// When the member first read it.
    pub read_at: Option<DateTime<Utc>>,
}

/// Bookmarks a document the calling member may read.
pub async fn add_bookmark(ctx: &Ctx, actor: &Actor, id: DocumentId) -> Result<(), ViewDocumentError> {
    let member = actor.member_id.ok_or(ViewDocumentError::Forbidden)?;
    let Readable { document: d, .. } = readable(ctx, actor, id).await?;
    storage::documents::bookmark(ctx.db.conn(), member, d.id, ctx.clock.now()).await?;
    Ok(())
}

/// Removes the calling member's bookmark (idempotent).
pub async fn remove_bookmark(ctx: &Ctx, actor: &Actor, id: DocumentId) -> Result<(), ViewDocumentError> {
    let member = actor.member_id.ok_or(ViewDocumentError::Forbidden)?;
    storage::documents::unbookmark(ctx.db.conn(), member, id).await?;
    Ok(())
}

/// The calling member's bookmarks that they may still read, newest first.
pub async fn bookmarks(ctx: &Ctx, actor: &Actor) -> Result<Vec<Bookmark>, ViewDocumentError> {
    let member = actor.member_id.ok_or(ViewDocumentError::Forbidden)?;
    let db = ctx.db.conn();
    let mut out = Vec::new();
    for id in storage::documents::bookmarks_of(db, member).await? {
        if let Ok(Readable { document, roots, .. }) = readable(ctx, actor, id).await {
            let issuer = storage::units::get(db, document.issuer_unit_id).await?;
            let read_at = storage::documents::has_read(db, document.id, member).await?;
            out.push(Bookmark { document, audience: roots, issuer, read_at });
        }
    }
    Ok(out)
}
