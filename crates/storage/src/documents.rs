//! Documents: the document, its audience, its search terms, read receipts, bookmarks and
//! attachments; the feed/search query with visibility decided in SQL (closure-table joins), so
//! that nothing the caller may not see is ever returned.

use chrono::{DateTime, NaiveDate, Utc};
use documents::model::{DocumentKind, DocumentStatus};
use documents::search::{QueryWord, Term};
use documents::{AttachmentId, DocumentId};
use membership::position::Role;
use membership::{AccountId, MemberId, UnitId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, Statement, Value};
use uuid::Uuid;

use crate::entities::{attachments, bookmarks, document_audience, document_terms, documents as rows, read_receipts};
use crate::{StoreError, StoreResult, corrupt, insert_row};

/// A document as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    /// Id.
    pub id: DocumentId,
    /// Issuing unit.
    pub issuer_unit_id: UnitId,
    /// Kind.
    pub kind: DocumentKind,
    /// Official number, unique per issuer.
    pub number: Option<String>,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Body (Markdown or plain text).
    pub body: String,
    /// Date issued (*ngày ban hành*).
    pub issued_on: Option<NaiveDate>,
    /// Date effective.
    pub effective_on: Option<NaiveDate>,
    /// Tags.
    pub tags: Vec<String>,
    /// Roles the audience is narrowed to (empty: everybody in the audience).
    pub roles: Vec<Role>,
    /// Status.
    pub status: DocumentStatus,
    /// Required reading (*bắt buộc đọc*).
    pub required: bool,
    /// Deadline of required reading.
    pub read_deadline: Option<NaiveDate>,
    /// When unread members were escalated.
    pub escalated_at: Option<DateTime<Utc>>,
    /// Publication time.
    pub published_at: Option<DateTime<Utc>>,
    /// Withdrawal time.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Withdrawal reason.
    pub withdraw_reason: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Author account.
    pub created_by: Option<AccountId>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn roles_text(roles: &[Role]) -> String {
    if roles.is_empty() { String::new() } else { format!(",{},", roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")) }
}

fn to_record(m: rows::Model) -> StoreResult<DocumentRecord> {
    Ok(DocumentRecord {
        id: DocumentId::from_uuid(m.id),
        issuer_unit_id: UnitId::from_uuid(m.issuer_unit_id),
        kind: DocumentKind::parse(&m.kind).ok_or_else(|| corrupt("documents.kind", &m.kind))?,
        number: m.number,
        title: m.title,
        summary: m.summary,
        body: m.body,
        issued_on: m.issued_on,
        effective_on: m.effective_on,
        tags: serde_json::from_str(&m.tags).map_err(|e| corrupt("documents.tags", e))?,
        roles: m
            .roles
            .split(',')
            .filter(|r| !r.is_empty())
            .map(|r| Role::parse(r).ok_or_else(|| corrupt("documents.roles", r)))
            .collect::<Result<_, _>>()?,
        status: DocumentStatus::parse(&m.status).ok_or_else(|| corrupt("documents.status", &m.status))?,
        required: m.required,
        read_deadline: m.read_deadline,
        escalated_at: m.escalated_at,
        published_at: m.published_at,
        withdrawn_at: m.withdrawn_at,
        withdraw_reason: m.withdraw_reason,
        version: m.version,
        created_by: m.created_by.map(AccountId::from_uuid),
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_active(d: &DocumentRecord) -> rows::ActiveModel {
    rows::ActiveModel {
        id: Set(d.id.as_uuid()),
        issuer_unit_id: Set(d.issuer_unit_id.as_uuid()),
        kind: Set(d.kind.code().to_string()),
        number: Set(d.number.clone()),
        title: Set(d.title.clone()),
        summary: Set(d.summary.clone()),
        body: Set(d.body.clone()),
        issued_on: Set(d.issued_on),
        effective_on: Set(d.effective_on),
        tags: Set(serde_json::to_string(&d.tags).unwrap_or_else(|_| "[]".into())),
        roles: Set(roles_text(&d.roles)),
        status: Set(d.status.code().to_string()),
        required: Set(d.required),
        read_deadline: Set(d.read_deadline),
        escalated_at: Set(d.escalated_at),
        published_at: Set(d.published_at),
        withdrawn_at: Set(d.withdrawn_at),
        withdraw_reason: Set(d.withdraw_reason.clone()),
        version: Set(d.version),
        created_by: Set(d.created_by.map(|a| a.as_uuid())),
        created_at: Set(d.created_at),
        updated_at: Set(d.updated_at),
    }
}

/// The ranking key of a document's term rows: its publication time in microseconds, 0 while
/// unpublished (drafts rank after published documents of the same score).
fn published_key(d: &DocumentRecord) -> i64 {
    d.published_at.map_or(0, |t| t.timestamp_micros())
}

async fn write_audience_and_terms<C: ConnectionTrait>(
    c: &C,
    id: DocumentId,
    key: i64,
    audience: &[UnitId],
    terms: &[Term],
) -> StoreResult<()> {
    document_audience::Entity::delete_many().filter(document_audience::Column::DocumentId.eq(id.as_uuid())).exec(c).await?;
    document_terms::Entity::delete_many().filter(document_terms::Column::DocumentId.eq(id.as_uuid())).exec(c).await?;
    if !audience.is_empty() {
        document_audience::Entity::insert_many(
            audience.iter().map(|u| document_audience::ActiveModel { document_id: Set(id.as_uuid()), unit_id: Set(u.as_uuid()) }),
        )
        .exec_without_returning(c)
        .await?;
    }
    let terms: Vec<&Term> = terms.iter().filter(|t| t.folded.chars().count() <= 64 && t.exact.chars().count() <= 64).collect();
    for chunk in terms.chunks(2000) {
        document_terms::Entity::insert_many(chunk.iter().map(|t| document_terms::ActiveModel {
            term: Set(t.folded.clone()),
            document_id: Set(id.as_uuid()),
            exact: Set(t.exact.clone()),
            weight: Set(t.weight),
            published_key: Set(key),
        }))
        .exec_without_returning(c)
        .await?;
    }
    Ok(())
}

/// Inserts a document with its audience roots and search terms. A number already used by the
/// issuer is a `Conflict` on `number`.
pub async fn insert<C: ConnectionTrait>(c: &C, d: &DocumentRecord, audience: &[UnitId], terms: &[Term]) -> StoreResult<()> {
    insert_row(c, to_active(d)).await?;
    write_audience_and_terms(c, d.id, published_key(d), audience, terms).await
}

/// Writes the document back if its version is still `expected_version` (incremented), replacing
/// audience and terms when given. `VersionMismatch` if it changed meanwhile.
pub async fn update<C: ConnectionTrait>(
    c: &C,
    d: &DocumentRecord,
    expected_version: i32,
    audience_terms: Option<(&[UnitId], &[Term])>,
) -> StoreResult<()> {
    let mut active = to_active(d);
    active.version = Set(expected_version + 1);
    active.created_at = sea_orm::ActiveValue::NotSet;
    let result = rows::Entity::update_many()
        .set(active)
        .filter(rows::Column::Id.eq(d.id.as_uuid()))
        .filter(rows::Column::Version.eq(expected_version))
        .exec(c)
        .await?;
    if result.rows_affected != 1 {
        return Err(StoreError::VersionMismatch);
    }
    match audience_terms {
        Some((audience, terms)) => write_audience_and_terms(c, d.id, published_key(d), audience, terms).await?,
        None => {
            c.execute_raw(Statement::from_sql_and_values(
                c.get_database_backend(),
                "UPDATE document_terms SET published_key = $1 WHERE document_id = $2",
                vec![published_key(d).into(), d.id.as_uuid().into()],
            ))
            .await?;
        }
    }
    Ok(())
}

/// Loads a document.
pub async fn get<C: ConnectionTrait>(c: &C, id: DocumentId) -> StoreResult<DocumentRecord> {
    to_record(rows::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?)
}

/// Loads several documents (missing skipped), in the given order.
pub async fn get_many<C: ConnectionTrait>(c: &C, ids: &[DocumentId]) -> StoreResult<Vec<DocumentRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = rows::Entity::find().filter(rows::Column::Id.is_in(ids.iter().map(|i| i.as_uuid()))).all(c).await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(m) = found.iter().find(|m| m.id == id.as_uuid()) {
            out.push(to_record(m.clone())?);
        }
    }
    Ok(out)
}

/// The audience roots of a document.
pub async fn audience<C: ConnectionTrait>(c: &C, id: DocumentId) -> StoreResult<Vec<UnitId>> {
    let rows = document_audience::Entity::find().filter(document_audience::Column::DocumentId.eq(id.as_uuid())).all(c).await?;
    Ok(rows.into_iter().map(|r| UnitId::from_uuid(r.unit_id)).collect())
}

/// Who is asking, for visibility in SQL.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// Ancestry of the member's current cell, root first, ending with the cell (empty for accounts
    /// without an active member): a document is addressed to the member when one of its audience
    /// units is on this chain.
    pub chain: Vec<UnitId>,
    /// The member.
    pub member: Option<MemberId>,
    /// Roles the member holds today.
    pub roles: Vec<Role>,
    /// Units whose subtrees the account administers: their documents in any status are visible.
    pub admin_scopes: Vec<UnitId>,
    /// Units where the member holds a position today: their own documents in any status are
    /// visible.
    pub position_units: Vec<UnitId>,
}

/// A feed or search request.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    /// Query words (empty: the feed, newest first).
    pub words: Vec<QueryWord>,
    /// Only this kind.
    pub kind: Option<DocumentKind>,
    /// Only documents issued by this unit.
    pub issuer: Option<UnitId>,
    /// Issued on or after.
    pub from: Option<NaiveDate>,
    /// Issued on or before.
    pub to: Option<NaiveDate>,
    /// Only required reading.
    pub required: bool,
    /// Only documents the member has not read.
    pub unread: bool,
    /// Page size.
    pub limit: u64,
    /// Offset.
    pub offset: u64,
}

struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn p(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
    /// Appends `$a, $b, …`, one placeholder per value.
    fn list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            let p = self.p(v);
            self.text.push_str(&p);
        }
    }
}

/// The visibility condition on documents aliased `d`. Whether a document is addressed to the
/// member is a correlated `EXISTS` on `document_audience`'s primary key (document, unit) with the
/// member's chain (a handful of units): the feed walks documents newest first and probes each
/// until the page is full, and top-k search probes only its candidates. (Materialising every
/// document addressed to the chain first — tens of thousands in a province — cost more than the
/// probes.)
fn visibility(sql: &mut Sql, viewer: &Viewer, d: &str) {
    sql.push("(");
    let mut any = false;
    let list = |sql: &mut Sql, units: &[UnitId]| sql.list(units.iter().map(|u| u.as_uuid()));
    if !viewer.chain.is_empty() {
        sql.push(&format!(
            "({d}.status = 'published' AND EXISTS (SELECT 1 FROM document_audience a WHERE a.document_id = {d}.id AND a.unit_id IN ("
        ));
        list(sql, &viewer.chain);
        sql.push(&format!(")) AND ({d}.roles = ''"));
        for role in &viewer.roles {
            sql.push(&format!(" OR {d}.roles LIKE "));
            let p = sql.p(format!("%,{},%", role.code()));
            sql.push(&p);
        }
        sql.push("))");
        any = true;
    }
    if !viewer.admin_scopes.is_empty() {
        if any {
            sql.push(" OR ");
        }
        sql.push(&format!("{d}.issuer_unit_id IN (SELECT descendant_id FROM org_unit_closure WHERE ancestor_id IN ("));
        list(sql, &viewer.admin_scopes);
        sql.push("))");
        any = true;
    }
    if !viewer.position_units.is_empty() {
        if any {
            sql.push(" OR ");
        }
        sql.push(&format!("{d}.issuer_unit_id IN ("));
        list(sql, &viewer.position_units);
        sql.push(")");
        any = true;
    }
    if !any {
        sql.push("1 = 0");
    }
    sql.push(")");
}

/// Largest page end (`offset + limit`) served by top-k retrieval; deeper pages use the full
/// ranking.
pub const TOP_K_MAX: u64 = 200;
/// Postings top-k retrieval reads before it hands the query over to the full ranking (a query
/// whose filters reject almost every posting).
pub const TOP_K_BUDGET: usize = 30_000;

/// The caller's feed or search results: ids with their score (0 for the feed), best first
/// (score, then publication time, newest first; drafts last).
///
/// Searches for the first pages run as top-k retrieval (see [`search_top_k`]); the feed, deep
/// pages and searches that top-k gives up on run as one SQL statement ([`feed_exhaustive`]).
pub async fn feed<C: ConnectionTrait>(c: &C, viewer: &Viewer, q: &FeedQuery) -> StoreResult<Vec<(DocumentId, i64)>> {
    if q.words.is_empty() {
        return latest(c, viewer, q).await;
    }
    if q.offset + q.limit <= TOP_K_MAX
        && let Some(found) = search_top_k(c, viewer, q).await?
    {
        return Ok(found);
    }
    feed_exhaustive(c, viewer, q).await
}

/// The feed (no query words), newest first, as a union of one ordered, limited walk per way of
/// seeing documents (addressed to the member; issued in an administered subtree; issued by a unit
/// where the member holds a position). One `OR` over the three would make the planner test every
/// document and sort them; each branch alone walks an index newest first and stops after
/// `offset + limit` rows, and the union's top rows are the feed's.
async fn latest<C: ConnectionTrait>(c: &C, viewer: &Viewer, q: &FeedQuery) -> StoreResult<Vec<(DocumentId, i64)>> {
    let k = q.offset + q.limit;
    let branches = [
        Viewer { admin_scopes: Vec::new(), position_units: Vec::new(), ..viewer.clone() },
        Viewer { chain: Vec::new(), admin_scopes: viewer.admin_scopes.clone(), ..Viewer::default() },
        Viewer { chain: Vec::new(), position_units: viewer.position_units.clone(), ..Viewer::default() },
    ];
    let mut sql = Sql { text: String::from("SELECT u.id AS id FROM ("), values: Vec::new() };
    let mut any = false;
    for (i, branch) in branches.iter().enumerate() {
        if branch.chain.is_empty() && branch.admin_scopes.is_empty() && branch.position_units.is_empty() {
            continue;
        }
        if any {
            sql.push(" UNION ");
        }
        any = true;
        sql.push("SELECT * FROM (SELECT d.id AS id, d.published_at AS published_at FROM documents d WHERE ");
        visibility(&mut sql, branch, "d");
        filters(&mut sql, viewer, q);
        sql.push(&format!(" ORDER BY d.published_at DESC, d.id DESC LIMIT {k}) b{i}"));
    }
    if !any {
        return Ok(Vec::new());
    }
    sql.push(&format!(") u ORDER BY u.published_at DESC, u.id DESC LIMIT {} OFFSET {}", q.limit, q.offset));
    let rows = c.query_all_raw(Statement::from_sql_and_values(c.get_database_backend(), &sql.text, sql.values)).await?;
    rows.iter().map(|r| Ok((DocumentId::from_uuid(r.try_get("", "id")?), 0))).collect()
}

/// One query word's postings read in ranking order: (weight, publication key, document) descending.
struct Postings {
    folded: String,
    /// Largest multiplier a posting of this word can earn (the exact-form bonus when the query
    /// word has diacritics).
    multiplier: i64,
    /// The last posting read; unread postings all sort after it.
    cursor: Option<(i32, i64, Uuid)>,
    exhausted: bool,
}

/// Top-k search by the threshold algorithm. Each query word's postings are read best first from
/// `ix_document_terms_rank` in growing batches; every newly seen document is scored in full from
/// its own term rows in SQL (the formula of the domain's [`documents::search::score`], as in
/// [`feed_exhaustive`]; one row per matching candidate comes back) and checked against
/// visibility and the filters — two statements per round, whatever the number of words. Reading stops when the k-th result outranks
/// anything an unseen document could reach — the sum over words of the next posting's weight
/// times the word's multiplier, tied only by a document published no later than the oldest
/// cursor — or when one word's postings run out (every document having all the words has then
/// been seen). `None` when more than [`TOP_K_BUDGET`] postings would be needed: the caller falls
/// back to [`feed_exhaustive`].
///
/// The cost depends on how deep the k-th visible result lies in the postings, not on how many
/// documents contain the words.
pub async fn search_top_k<C: ConnectionTrait>(c: &C, viewer: &Viewer, q: &FeedQuery) -> StoreResult<Option<Vec<(DocumentId, i64)>>> {
    let k = (q.offset + q.limit) as usize;
    let mut streams: Vec<Postings> = q
        .words
        .iter()
        .map(|w| Postings {
            folded: w.folded.clone(),
            multiplier: if w.exact.is_some() { i64::from(documents::search::EXACT_MULTIPLIER) } else { 1 },
            cursor: None,
            exhausted: false,
        })
        .collect();
    let backend = c.get_database_backend();
    let mut seen: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
    // (score, publication key, id) of every seen document that matches, is visible and passes the filters.
    let mut results: Vec<(i64, i64, Uuid)> = Vec::new();
    let mut read = 0usize;
    // The first batch covers the page several times over (about a third of the documents are
    // visible to a typical member); later batches double.
    let mut batch = 64u64.max(3 * k as u64);
    loop {
        // One statement per round reads the next batch of every word's postings.
        let mut sql = Sql { text: String::new(), values: Vec::new() };
        for (i, stream) in streams.iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            let term = sql.p(stream.folded.clone());
            sql.push(&format!(
                "SELECT * FROM (SELECT {i} AS w, document_id, weight, published_key FROM document_terms WHERE term = {term}"
            ));
            if let Some((w, key, id)) = stream.cursor {
                let (a, b, c) = (sql.p(w), sql.p(key), sql.p(id));
                sql.push(&format!(" AND (weight, published_key, document_id) < ({a}, {b}, {c})"));
            }
            sql.push(&format!(" ORDER BY weight DESC, published_key DESC, document_id DESC LIMIT {batch}) s{i}"));
        }
        let rows = c.query_all_raw(Statement::from_sql_and_values(backend, &sql.text, sql.values)).await?;
        read += rows.len();
        let mut counts = vec![0u64; streams.len()];
        let mut fresh: Vec<Uuid> = Vec::new();
        for r in &rows {
            let i = usize::try_from(r.try_get::<i32>("", "w")?).unwrap_or(usize::MAX);
            let Some(stream) = streams.get_mut(i) else { continue };
            let id: Uuid = r.try_get("", "document_id")?;
            let posting = (r.try_get::<i32>("", "weight")?, r.try_get::<i64>("", "published_key")?, id);
            counts[i] += 1;
            // The cursor is the smallest posting read (rows of a UNION come in no guaranteed order).
            if stream.cursor.is_none_or(|c| posting < c) {
                stream.cursor = Some(posting);
            }
            if seen.insert(id) {
                fresh.push(id);
            }
        }
        for (stream, n) in streams.iter_mut().zip(counts) {
            if n < batch {
                stream.exhausted = true;
            }
        }
        if !fresh.is_empty() {
            results.extend(score_candidates(c, viewer, q, &fresh).await?);
            results.sort_by(|a, b| b.cmp(a));
        }
        if streams.iter().any(|s| s.exhausted) {
            break;
        }
        if results.len() >= k {
            let (score, key, _) = results[k - 1];
            let bound: i64 = streams.iter().map(|s| s.cursor.map_or(i64::MAX / 16, |(w, _, _)| i64::from(w) * s.multiplier)).sum();
            let oldest = streams.iter().filter_map(|s| s.cursor.map(|(_, key, _)| key)).min().unwrap_or(i64::MAX);
            if score > bound || (score == bound && key > oldest) {
                break;
            }
        }
        if read >= TOP_K_BUDGET {
            return Ok(None);
        }
        batch = (batch * 2).min(4096);
    }
    Ok(Some(
        results
            .into_iter()
            .skip(q.offset as usize)
            .take(q.limit as usize)
            .map(|(score, _, id)| (DocumentId::from_uuid(id), score))
            .collect(),
    ))
}

/// Scores `ids` for the query words and keeps those that have every word, are visible to the
/// viewer and pass the filters: (score, publication key, id). The score is computed in SQL, the
/// same expression as [`feed_exhaustive`]'s (per word the best posting's weight, doubled by
/// [`documents::search::EXACT_MULTIPLIER`] when the form with diacritics matches, summed), so one
/// row per matching candidate leaves the database instead of every term row of every candidate.
async fn score_candidates<C: ConnectionTrait>(c: &C, viewer: &Viewer, q: &FeedQuery, ids: &[Uuid]) -> StoreResult<Vec<(i64, i64, Uuid)>> {
    let backend = c.get_database_backend();
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        // The candidates are read by primary key in a derived table (its LIMIT keeps both
        // planners from merging it into the outer query), and visibility and filters test those
        // rows only: without statistics SQLite would otherwise walk the status index over every
        // published document.
        let mut sql = Sql {
            text: String::from(
                "SELECT t.document_id AS document_id, SUM(t.best) AS score, MAX(t.pkey) AS pkey FROM \
                 (SELECT document_id, term, MAX(published_key) AS pkey, MAX(weight * CASE",
            ),
            values: Vec::new(),
        };
        exact_cases(&mut sql, q);
        sql.push(" ELSE 1 END) AS best FROM document_terms WHERE term IN (");
        sql.list(q.words.iter().map(|w| w.folded.clone()));
        sql.push(") AND document_id IN (SELECT d.id FROM (SELECT id, status, roles, issuer_unit_id, kind, issued_on, required FROM documents WHERE id IN (");
        sql.list(chunk.iter().copied());
        sql.push(&format!(") LIMIT {}) d WHERE ", chunk.len()));
        visibility(&mut sql, viewer, "d");
        filters(&mut sql, viewer, q);
        sql.push(&format!(") GROUP BY document_id, term) t GROUP BY t.document_id HAVING COUNT(*) = {}", q.words.len()));
        let rows = c.query_all_raw(Statement::from_sql_and_values(backend, &sql.text, sql.values)).await?;
        for r in &rows {
            let score: i64 = r.try_get::<i64>("", "score").or_else(|_| r.try_get::<i32>("", "score").map(i64::from))?;
            out.push((score, r.try_get::<i64>("", "pkey")?, r.try_get::<Uuid>("", "document_id")?));
        }
    }
    Ok(out)
}

/// The `WHEN term = … AND exact = … THEN multiplier` arms of the scoring `CASE` (one per query
/// word typed with diacritics; a never-true arm when there is none).
fn exact_cases(sql: &mut Sql, q: &FeedQuery) {
    let mut exact_any = false;
    for w in &q.words {
        if let Some(exact) = &w.exact {
            sql.push(" WHEN term = ");
            let a = sql.p(w.folded.clone());
            sql.push(&a);
            sql.push(" AND exact = ");
            let b = sql.p(exact.clone());
            sql.push(&b);
            sql.push(&format!(" THEN {}", documents::search::EXACT_MULTIPLIER));
            exact_any = true;
        }
    }
    if !exact_any {
        sql.push(" WHEN 1 = 0 THEN 1");
    }
}

/// Filters of a feed query on documents aliased `d` (each condition prefixed with ` AND `).
fn filters(sql: &mut Sql, viewer: &Viewer, q: &FeedQuery) {
    if let Some(kind) = q.kind {
        sql.push(" AND d.kind = ");
        let p = sql.p(kind.code());
        sql.push(&p);
    }
    if let Some(issuer) = q.issuer {
        sql.push(" AND d.issuer_unit_id = ");
        let p = sql.p(issuer.as_uuid());
        sql.push(&p);
    }
    if let Some(from) = q.from {
        sql.push(" AND d.issued_on >= ");
        let p = sql.p(from);
        sql.push(&p);
    }
    if let Some(to) = q.to {
        sql.push(" AND d.issued_on <= ");
        let p = sql.p(to);
        sql.push(&p);
    }
    if q.required {
        sql.push(" AND d.required = ");
        let p = sql.p(true);
        sql.push(&p);
    }
    if q.unread {
        match viewer.member {
            Some(member) => {
                sql.push(" AND NOT EXISTS (SELECT 1 FROM read_receipts r WHERE r.document_id = d.id AND r.member_id = ");
                let p = sql.p(member.as_uuid());
                sql.push(&p);
                sql.push(")");
            }
            None => sql.push(" AND 1 = 0"),
        }
    }
}

/// The feed or search as one SQL statement: visibility, filters, ranking over every matching
/// document, and paging. The reference that [`search_top_k`] and the feed's union reproduce.
pub async fn feed_exhaustive<C: ConnectionTrait>(c: &C, viewer: &Viewer, q: &FeedQuery) -> StoreResult<Vec<(DocumentId, i64)>> {
    let mut sql = Sql { text: String::new(), values: Vec::new() };
    if q.words.is_empty() {
        sql.push("SELECT d.id AS id, 0 AS score FROM documents d WHERE ");
    } else {
        sql.push("SELECT d.id AS id, s.score AS score FROM documents d JOIN (SELECT t.document_id, SUM(t.best) AS score, MAX(t.pkey) AS pkey FROM (SELECT document_id, term, MAX(published_key) AS pkey, MAX(weight * CASE");
        exact_cases(&mut sql, q);
        sql.push(" ELSE 1 END) AS best FROM document_terms WHERE term IN (");
        sql.list(q.words.iter().map(|w| w.folded.clone()));
        // Aggregate only the term rows of documents the caller may see.
        sql.push(") AND document_id IN (SELECT v.id FROM documents v WHERE ");
        visibility(&mut sql, viewer, "v");
        sql.push(&format!(
            ") GROUP BY document_id, term) t GROUP BY t.document_id HAVING COUNT(*) = {}) s ON s.document_id = d.id WHERE ",
            q.words.len()
        ));
    }
    visibility(&mut sql, viewer, "d");
    filters(&mut sql, viewer, q);
    if q.words.is_empty() {
        sql.push(" ORDER BY d.published_at DESC, d.id DESC");
    } else {
        sql.push(" ORDER BY s.score DESC, s.pkey DESC, d.id DESC");
    }
    sql.push(&format!(" LIMIT {} OFFSET {}", q.limit, q.offset));
    let rows = c.query_all_raw(Statement::from_sql_and_values(c.get_database_backend(), &sql.text, sql.values)).await?;
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("", "id")?;
            let score: i64 = r.try_get::<i64>("", "score").or_else(|_| r.try_get::<i32>("", "score").map(i64::from))?;
            Ok((DocumentId::from_uuid(id), score))
        })
        .collect()
}

/// Records the first read of a document by a member (idempotent; the first time is kept).
/// Returns whether this call recorded it.
pub async fn mark_read<C: ConnectionTrait>(c: &C, document: DocumentId, member: MemberId, at: DateTime<Utc>) -> StoreResult<bool> {
    let existing = read_receipts::Entity::find_by_id((document.as_uuid(), member.as_uuid())).one(c).await?;
    if existing.is_some() {
        return Ok(false);
    }
    match insert_row(
        c,
        read_receipts::ActiveModel { document_id: Set(document.as_uuid()), member_id: Set(member.as_uuid()), first_read_at: Set(at) },
    )
    .await
    {
        Ok(()) => Ok(true),
        // A concurrent first read won the race: the receipt exists, which is what matters.
        Err(StoreError::Conflict { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The first-read time of each of `members` for a document.
pub async fn receipts<C: ConnectionTrait>(
    c: &C,
    document: DocumentId,
    members: &[MemberId],
) -> StoreResult<Vec<(MemberId, DateTime<Utc>)>> {
    let mut out = Vec::new();
    for chunk in members.chunks(500) {
        let rows = read_receipts::Entity::find()
            .filter(read_receipts::Column::DocumentId.eq(document.as_uuid()))
            .filter(read_receipts::Column::MemberId.is_in(chunk.iter().map(|m| m.as_uuid())))
            .all(c)
            .await?;
        out.extend(rows.into_iter().map(|r| (MemberId::from_uuid(r.member_id), r.first_read_at)));
    }
    Ok(out)
}

/// Whether a member has read a document.
pub async fn has_read<C: ConnectionTrait>(c: &C, document: DocumentId, member: MemberId) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(read_receipts::Entity::find_by_id((document.as_uuid(), member.as_uuid())).one(c).await?.map(|r| r.first_read_at))
}

/// When the member first read each of `documents` (unread ones are absent), in one query.
pub async fn read_times<C: ConnectionTrait>(
    c: &C,
    member: MemberId,
    documents: &[DocumentId],
) -> StoreResult<std::collections::HashMap<DocumentId, DateTime<Utc>>> {
    if documents.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows = read_receipts::Entity::find()
        .filter(read_receipts::Column::MemberId.eq(member.as_uuid()))
        .filter(read_receipts::Column::DocumentId.is_in(documents.iter().map(|d| d.as_uuid())))
        .all(c)
        .await?;
    Ok(rows.into_iter().map(|r| (DocumentId::from_uuid(r.document_id), r.first_read_at)).collect())
}

/// Adds a bookmark (idempotent).
pub async fn bookmark<C: ConnectionTrait>(c: &C, member: MemberId, document: DocumentId, at: DateTime<Utc>) -> StoreResult<()> {
    if bookmarks::Entity::find_by_id((member.as_uuid(), document.as_uuid())).one(c).await?.is_some() {
        return Ok(());
    }
    match insert_row(
        c,
        bookmarks::ActiveModel { member_id: Set(member.as_uuid()), document_id: Set(document.as_uuid()), created_at: Set(at) },
    )
    .await
    {
        Ok(()) | Err(StoreError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes a bookmark (idempotent).
pub async fn unbookmark<C: ConnectionTrait>(c: &C, member: MemberId, document: DocumentId) -> StoreResult<()> {
    bookmarks::Entity::delete_many()
        .filter(bookmarks::Column::MemberId.eq(member.as_uuid()))
        .filter(bookmarks::Column::DocumentId.eq(document.as_uuid()))
        .exec(c)
        .await?;
    Ok(())
}

/// A member's bookmarks, newest first.
pub async fn bookmarks_of<C: ConnectionTrait>(c: &C, member: MemberId) -> StoreResult<Vec<DocumentId>> {
    let rows = bookmarks::Entity::find()
        .filter(bookmarks::Column::MemberId.eq(member.as_uuid()))
        .order_by_desc(bookmarks::Column::CreatedAt)
        .all(c)
        .await?;
    Ok(rows.into_iter().map(|b| DocumentId::from_uuid(b.document_id)).collect())
}

/// An attachment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    /// Id.
    pub id: AttachmentId,
    /// Document.
    pub document_id: DocumentId,
    /// Original file name.
    pub file_name: String,
    /// MIME type, detected from the bytes.
    pub mime: String,
    /// Size in bytes.
    pub size: i64,
    /// Hex SHA-256.
    pub sha256: String,
    /// Key in the blob store.
    pub storage_key: String,
    /// Uploader.
    pub created_by: Option<AccountId>,
    /// Upload time.
    pub created_at: DateTime<Utc>,
}

fn attachment_record(a: attachments::Model) -> AttachmentRecord {
    AttachmentRecord {
        id: AttachmentId::from_uuid(a.id),
        document_id: DocumentId::from_uuid(a.document_id),
        file_name: a.file_name,
        mime: a.mime,
        size: a.size,
        sha256: a.sha256,
        storage_key: a.storage_key,
        created_by: a.created_by.map(AccountId::from_uuid),
        created_at: a.created_at,
    }
}

/// Inserts an attachment row.
pub async fn insert_attachment<C: ConnectionTrait>(c: &C, a: &AttachmentRecord) -> StoreResult<()> {
    insert_row(
        c,
        attachments::ActiveModel {
            id: Set(a.id.as_uuid()),
            document_id: Set(a.document_id.as_uuid()),
            file_name: Set(a.file_name.clone()),
            mime: Set(a.mime.clone()),
            size: Set(a.size),
            sha256: Set(a.sha256.clone()),
            storage_key: Set(a.storage_key.clone()),
            created_by: Set(a.created_by.map(|x| x.as_uuid())),
            created_at: Set(a.created_at),
        },
    )
    .await
}

/// Loads an attachment.
pub async fn get_attachment<C: ConnectionTrait>(c: &C, id: AttachmentId) -> StoreResult<AttachmentRecord> {
    Ok(attachment_record(attachments::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?))
}

/// A document's attachments.
pub async fn attachments_of<C: ConnectionTrait>(c: &C, document: DocumentId) -> StoreResult<Vec<AttachmentRecord>> {
    let rows = attachments::Entity::find()
        .filter(attachments::Column::DocumentId.eq(document.as_uuid()))
        .order_by_asc(attachments::Column::Id)
        .all(c)
        .await?;
    Ok(rows.into_iter().map(attachment_record).collect())
}

/// Required documents whose reading deadline is before `today` and that were not escalated yet.
pub async fn due_for_escalation<C: ConnectionTrait>(c: &C, today: NaiveDate) -> StoreResult<Vec<DocumentRecord>> {
    let rows = rows::Entity::find()
        .filter(rows::Column::Status.eq(DocumentStatus::Published.code()))
        .filter(rows::Column::Required.eq(true))
        .filter(rows::Column::ReadDeadline.lt(today))
        .filter(rows::Column::EscalatedAt.is_null())
        .all(c)
        .await?;
    rows.into_iter().map(to_record).collect()
}

/// Marks a document as escalated.
pub async fn mark_escalated<C: ConnectionTrait>(c: &C, id: DocumentId, at: DateTime<Utc>) -> StoreResult<()> {
    rows::Entity::update_many()
        .set(rows::ActiveModel { escalated_at: Set(Some(at)), ..Default::default() })
        .filter(rows::Column::Id.eq(id.as_uuid()))
        .exec(c)
        .await?;
    Ok(())
}

/// Inserts many new documents with their audiences and terms in multi-row statements (dataset
/// generators; the documents must not exist yet).
pub async fn insert_bulk<C: ConnectionTrait>(c: &C, batch: &[(DocumentRecord, Vec<UnitId>, Vec<Term>)]) -> StoreResult<()> {
    for chunk in batch.chunks(200) {
        rows::Entity::insert_many(chunk.iter().map(|(d, _, _)| to_active(d))).exec_without_returning(c).await?;
        let audience: Vec<document_audience::ActiveModel> = chunk
            .iter()
            .flat_map(|(d, roots, _)| {
                roots.iter().map(move |u| document_audience::ActiveModel { document_id: Set(d.id.as_uuid()), unit_id: Set(u.as_uuid()) })
            })
            .collect();
        if !audience.is_empty() {
            document_audience::Entity::insert_many(audience).exec_without_returning(c).await?;
        }
        let terms: Vec<document_terms::ActiveModel> = chunk
            .iter()
            .flat_map(|(d, _, terms)| {
                terms.iter().filter(|t| t.folded.chars().count() <= 64 && t.exact.chars().count() <= 64).map(move |t| {
                    document_terms::ActiveModel {
                        term: Set(t.folded.clone()),
                        document_id: Set(d.id.as_uuid()),
                        exact: Set(t.exact.clone()),
                        weight: Set(t.weight),
                        published_key: Set(published_key(d)),
                    }
                })
            })
            .collect();
        for part in terms.chunks(5000) {
            document_terms::Entity::insert_many(part.to_vec()).exec_without_returning(c).await?;
        }
    }
    Ok(())
}
