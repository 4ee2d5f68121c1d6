//! Study: the versioned question bank, quizzes, attempts, the append-only points ledger with its
//! per-year totals, ranks and distributions computed in SQL.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use membership::{AccountId, MemberId, UnitId};

use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, Value};
use study_points::ledger::{Entry, Reason};
use study_points::question::{Kind, QuestionContent};
use study_points::{AttemptId, QuestionId, QuestionVersionId, QuizId};
use uuid::Uuid;

use crate::entities::{attempts, question_versions, questions, quiz_questions, quizzes};
use crate::{StoreError, StoreResult, corrupt, insert_row};

/// A question with its current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionRecord {
    /// Id.
    pub id: QuestionId,
    /// The document studied.
    pub document_id: Uuid,
    /// The bank's unit (the document's issuer).
    pub unit_id: UnitId,
    /// Tags.
    pub tags: Vec<String>,
    /// Current version id.
    pub version_id: QuestionVersionId,
    /// Current version number.
    pub version: i32,
    /// Whether the current version has been answered (editing then creates a new version).
    pub answered: bool,
    /// Content of the current version.
    pub content: QuestionContent,
    /// Creation.
    pub created_at: DateTime<Utc>,
}

fn content_of(v: &question_versions::Model) -> StoreResult<QuestionContent> {
    let kind = Kind::parse(&v.kind).ok_or_else(|| corrupt("question_versions.kind", &v.kind))?;
    let options: Vec<String> = serde_json::from_str(&v.options).map_err(|e| corrupt("question_versions.options", e))?;
    let correct: Vec<usize> = serde_json::from_str(&v.correct).map_err(|e| corrupt("question_versions.correct", e))?;
    Ok(QuestionContent { kind, prompt: v.prompt.clone(), options, correct, explanation: v.explanation.clone() })
}

async fn insert_version<C: ConnectionTrait>(
    c: &C,
    id: QuestionVersionId,
    question: QuestionId,
    version: i32,
    q: &QuestionContent,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    insert_row(
        c,
        question_versions::ActiveModel {
            id: Set(id.as_uuid()),
            question_id: Set(question.as_uuid()),
            version: Set(version),
            kind: Set(q.kind.code().into()),
            prompt: Set(q.prompt.clone()),
            options: Set(serde_json::to_string(&q.options).unwrap_or_else(|_| "[]".into())),
            correct: Set(serde_json::to_string(&q.correct).unwrap_or_else(|_| "[]".into())),
            explanation: Set(q.explanation.clone()),
            created_at: Set(at),
        },
    )
    .await
}

/// Inserts a question and its first version.
pub async fn insert_question<C: ConnectionTrait>(c: &C, q: &QuestionRecord) -> StoreResult<()> {
    insert_row(
        c,
        questions::ActiveModel {
            id: Set(q.id.as_uuid()),
            document_id: Set(q.document_id),
            unit_id: Set(q.unit_id.as_uuid()),
            kind: Set(q.content.kind.code().into()),
            tags: Set(serde_json::to_string(&q.tags).unwrap_or_else(|_| "[]".into())),
            current_version_id: Set(q.version_id.as_uuid()),
            current_version: Set(q.version),
            answered: Set(false),
            created_at: Set(q.created_at),
            updated_at: Set(q.created_at),
        },
    )
    .await?;
    insert_version(c, q.version_id, q.id, q.version, &q.content, q.created_at).await
}

/// Replaces a question's content: a new version when the current one has been answered (old
/// attempts keep theirs), otherwise in place. Returns the current version id afterwards.
pub async fn edit_question<C: ConnectionTrait>(
    c: &C,
    q: &QuestionRecord,
    content: &QuestionContent,
    tags: &[String],
    at: DateTime<Utc>,
) -> StoreResult<QuestionVersionId> {
    let tags_json = serde_json::to_string(tags).unwrap_or_else(|_| "[]".into());
    if q.answered {
        let id = QuestionVersionId::from_uuid(Uuid::now_v7());
        insert_version(c, id, q.id, q.version + 1, content, at).await?;
        questions::Entity::update_many()
            .set(questions::ActiveModel {
                kind: Set(content.kind.code().into()),
                tags: Set(tags_json),
                current_version_id: Set(id.as_uuid()),
                current_version: Set(q.version + 1),
                answered: Set(false),
                updated_at: Set(at),
                ..Default::default()
            })
            .filter(questions::Column::Id.eq(q.id.as_uuid()))
            .exec(c)
            .await?;
        Ok(id)
    } else {
        question_versions::Entity::update_many()
            .set(question_versions::ActiveModel {
                kind: Set(content.kind.code().into()),
                prompt: Set(content.prompt.clone()),
                options: Set(serde_json::to_string(&content.options).unwrap_or_else(|_| "[]".into())),
                correct: Set(serde_json::to_string(&content.correct).unwrap_or_else(|_| "[]".into())),
                explanation: Set(content.explanation.clone()),
                ..Default::default()
            })
            .filter(question_versions::Column::Id.eq(q.version_id.as_uuid()))
            .exec(c)
            .await?;
        questions::Entity::update_many()
            .set(questions::ActiveModel {
                kind: Set(content.kind.code().into()),
                tags: Set(tags_json),
                updated_at: Set(at),
                ..Default::default()
            })
            .filter(questions::Column::Id.eq(q.id.as_uuid()))
            .exec(c)
            .await?;
        Ok(q.version_id)
    }
}

async fn records<C: ConnectionTrait>(c: &C, rows: Vec<questions::Model>) -> StoreResult<Vec<QuestionRecord>> {
    let version_ids: Vec<Uuid> = rows.iter().map(|q| q.current_version_id).collect();
    let mut versions = Vec::new();
    for chunk in version_ids.chunks(500) {
        versions.extend(question_versions::Entity::find().filter(question_versions::Column::Id.is_in(chunk.iter().copied())).all(c).await?);
    }
    rows.into_iter()
        .map(|q| {
            let v = versions.iter().find(|v| v.id == q.current_version_id).ok_or_else(|| corrupt("questions.current_version_id", q.id))?;
            Ok(QuestionRecord {
                id: QuestionId::from_uuid(q.id),
                document_id: q.document_id,
                unit_id: UnitId::from_uuid(q.unit_id),
                tags: serde_json::from_str(&q.tags).map_err(|e| corrupt("questions.tags", e))?,
                version_id: QuestionVersionId::from_uuid(q.current_version_id),
                version: q.current_version,
                answered: q.answered,
                content: content_of(v)?,
                created_at: q.created_at,
            })
        })
        .collect()
}

/// Loads a question with its current version.
pub async fn get_question<C: ConnectionTrait>(c: &C, id: QuestionId) -> StoreResult<QuestionRecord> {
    let q = questions::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?;
    Ok(records(c, vec![q]).await?.remove(0))
}

/// Questions of the banks of `units`, optionally limited to some documents (any tag matching
/// `tags`, when given, is checked by the caller).
pub async fn questions_of<C: ConnectionTrait>(c: &C, units: &[UnitId], documents: &[Uuid]) -> StoreResult<Vec<QuestionRecord>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let mut select = questions::Entity::find().filter(questions::Column::UnitId.is_in(units.iter().map(|u| u.as_uuid())));
    if !documents.is_empty() {
        select = select.filter(questions::Column::DocumentId.is_in(documents.iter().copied()));
    }
    let rows = select.order_by_asc(questions::Column::Id).limit(5_000).all(c).await?;
    records(c, rows).await
}

/// Loads several questions by id (missing skipped).
pub async fn questions_by_id<C: ConnectionTrait>(c: &C, ids: &[QuestionId]) -> StoreResult<Vec<QuestionRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = questions::Entity::find().filter(questions::Column::Id.is_in(ids.iter().map(|i| i.as_uuid()))).all(c).await?;
    records(c, rows).await
}

/// The content of given versions (attempts keep the versions they were served).
pub async fn versions<C: ConnectionTrait>(
    c: &C,
    ids: &[QuestionVersionId],
) -> StoreResult<Vec<(QuestionVersionId, QuestionId, QuestionContent)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows =
        question_versions::Entity::find().filter(question_versions::Column::Id.is_in(ids.iter().map(|i| i.as_uuid()))).all(c).await?;
    let mut out = Vec::new();
    for id in ids {
        let v = rows.iter().find(|v| v.id == id.as_uuid()).ok_or_else(|| corrupt("attempts.version_ids", id))?;
        out.push((*id, QuestionId::from_uuid(v.question_id), content_of(v)?));
    }
    Ok(out)
}

/// Marks the current versions of questions as answered.
pub async fn mark_answered<C: ConnectionTrait>(c: &C, ids: &[QuestionId]) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    questions::Entity::update_many()
        .set(questions::ActiveModel { answered: Set(true), ..Default::default() })
        .filter(questions::Column::Id.is_in(ids.iter().map(|i| i.as_uuid())))
        .exec(c)
        .await?;
    Ok(())
}

/// A quiz.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizRecord {
    /// Id.
    pub id: QuizId,
    /// The unit organising it (its subtree takes part).
    pub unit_id: UnitId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Window: first and last day, weekdays (codes), daily hours (`HH:MM`).
    pub opens_on: NaiveDate,
    /// Last day.
    pub closes_on: NaiveDate,
    /// Weekday codes (`mon`…`sun`), empty = every day.
    pub weekdays: Vec<String>,
    /// Daily opening time.
    pub daily_from: Option<String>,
    /// Daily closing time.
    pub daily_to: Option<String>,
    /// Minutes per attempt.
    pub time_limit_minutes: u32,
    /// Attempts per period.
    pub max_attempts: u32,
    /// Period code.
    pub attempt_period: study_points::quiz::Period,
    /// Points per correct answer.
    pub points_per_correct: u32,
    /// Questions per attempt.
    pub question_count: u32,
    /// `fixed` or `random`.
    pub selection: String,
    /// Random selection: tags.
    pub tags: Vec<String>,
    /// Random selection: documents.
    pub document_ids: Vec<Uuid>,
    /// Fixed selection: the questions in order.
    pub fixed_questions: Vec<QuestionId>,
    /// Creator.
    pub created_by: Option<AccountId>,
    /// Creation.
    pub created_at: DateTime<Utc>,
}

/// Inserts a quiz (with its fixed questions).
pub async fn insert_quiz<C: ConnectionTrait>(c: &C, q: &QuizRecord) -> StoreResult<()> {
    let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    insert_row(
        c,
        quizzes::ActiveModel {
            id: Set(q.id.as_uuid()),
            unit_id: Set(q.unit_id.as_uuid()),
            title: Set(q.title.clone()),
            description: Set(q.description.clone()),
            opens_on: Set(q.opens_on),
            closes_on: Set(q.closes_on),
            weekdays: Set(q.weekdays.join(",")),
            daily_from: Set(q.daily_from.clone()),
            daily_to: Set(q.daily_to.clone()),
            time_limit_minutes: Set(n(q.time_limit_minutes)),
            max_attempts: Set(n(q.max_attempts)),
            attempt_period: Set(q.attempt_period.code().to_string()),
            points_per_correct: Set(n(q.points_per_correct)),
            question_count: Set(n(q.question_count)),
            selection: Set(q.selection.clone()),
            tags: Set(serde_json::to_string(&q.tags).unwrap_or_else(|_| "[]".into())),
            document_ids: Set(serde_json::to_string(&q.document_ids).unwrap_or_else(|_| "[]".into())),
            created_by: Set(q.created_by.map(|a| a.as_uuid())),
            created_at: Set(q.created_at),
        },
    )
    .await?;
    if !q.fixed_questions.is_empty() {
        quiz_questions::Entity::insert_many(q.fixed_questions.iter().enumerate().map(|(i, qid)| quiz_questions::ActiveModel {
            quiz_id: Set(q.id.as_uuid()),
            question_id: Set(qid.as_uuid()),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
        }))
        .exec_without_returning(c)
        .await?;
    }
    Ok(())
}

async fn quiz_records<C: ConnectionTrait>(c: &C, rows: Vec<quizzes::Model>) -> StoreResult<Vec<QuizRecord>> {
    let mut out = Vec::new();
    for m in rows {
        let fixed = quiz_questions::Entity::find()
            .filter(quiz_questions::Column::QuizId.eq(m.id))
            .order_by_asc(quiz_questions::Column::Position)
            .all(c)
            .await?;
        let u = |v: i32| u32::try_from(v).unwrap_or(0);
        out.push(QuizRecord {
            id: QuizId::from_uuid(m.id),
            unit_id: UnitId::from_uuid(m.unit_id),
            title: m.title,
            description: m.description,
            opens_on: m.opens_on,
            closes_on: m.closes_on,
            weekdays: m.weekdays.split(',').filter(|w| !w.is_empty()).map(str::to_string).collect(),
            daily_from: m.daily_from,
            daily_to: m.daily_to,
            time_limit_minutes: u(m.time_limit_minutes),
            max_attempts: u(m.max_attempts),
            attempt_period: study_points::quiz::Period::parse(&m.attempt_period)
                .ok_or_else(|| corrupt("quizzes.attempt_period", &m.attempt_period))?,
            points_per_correct: u(m.points_per_correct),
            question_count: u(m.question_count),
            selection: m.selection,
            tags: serde_json::from_str(&m.tags).map_err(|e| corrupt("quizzes.tags", e))?,
            document_ids: serde_json::from_str(&m.document_ids).map_err(|e| corrupt("quizzes.document_ids", e))?,
            fixed_questions: fixed.into_iter().map(|f| QuestionId::from_uuid(f.question_id)).collect(),
            created_by: m.created_by.map(AccountId::from_uuid),
            created_at: m.created_at,
        });
    }
    Ok(out)
}

/// Loads a quiz.
pub async fn get_quiz<C: ConnectionTrait>(c: &C, id: QuizId) -> StoreResult<QuizRecord> {
    let m = quizzes::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?;
    Ok(quiz_records(c, vec![m]).await?.remove(0))
}

/// Quizzes organised by any of `units` and not closed before `from`.
pub async fn quizzes_of<C: ConnectionTrait>(c: &C, units: &[UnitId], from: NaiveDate) -> StoreResult<Vec<QuizRecord>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let rows = quizzes::Entity::find()
        .filter(quizzes::Column::UnitId.is_in(units.iter().map(|u| u.as_uuid())))
        .filter(quizzes::Column::ClosesOn.gte(from))
        .order_by_asc(quizzes::Column::ClosesOn)
        .limit(200)
        .all(c)
        .await?;
    quiz_records(c, rows).await
}

/// An attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// Id.
    pub id: AttemptId,
    /// Quiz.
    pub quiz_id: QuizId,
    /// Member.
    pub member_id: MemberId,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// Deadline.
    pub deadline: DateTime<Utc>,
    /// Submission time.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Questions served (in order).
    pub question_ids: Vec<QuestionId>,
    /// Versions served (in order).
    pub version_ids: Vec<QuestionVersionId>,
    /// Answers (selected option indices per question), once submitted.
    pub answers: Option<Vec<Vec<usize>>>,
    /// Correct answers, once scored.
    pub correct_count: Option<u32>,
    /// Points awarded by this attempt.
    pub points: Option<i64>,
}

fn attempt_record(m: attempts::Model) -> StoreResult<AttemptRecord> {
    let qids: Vec<Uuid> = serde_json::from_str(&m.question_ids).map_err(|e| corrupt("attempts.question_ids", e))?;
    let vids: Vec<Uuid> = serde_json::from_str(&m.version_ids).map_err(|e| corrupt("attempts.version_ids", e))?;
    Ok(AttemptRecord {
        id: AttemptId::from_uuid(m.id),
        quiz_id: QuizId::from_uuid(m.quiz_id),
        member_id: MemberId::from_uuid(m.member_id),
        started_at: m.started_at,
        deadline: m.deadline,
        submitted_at: m.submitted_at,
        question_ids: qids.into_iter().map(QuestionId::from_uuid).collect(),
        version_ids: vids.into_iter().map(QuestionVersionId::from_uuid).collect(),
        answers: m.answers.as_deref().map(serde_json::from_str).transpose().map_err(|e| corrupt("attempts.answers", e))?,
        correct_count: m.correct_count.and_then(|n| u32::try_from(n).ok()),
        points: m.points.map(i64::from),
    })
}

/// Inserts an attempt.
pub async fn insert_attempt<C: ConnectionTrait>(c: &C, a: &AttemptRecord) -> StoreResult<()> {
    insert_row(
        c,
        attempts::ActiveModel {
            id: Set(a.id.as_uuid()),
            quiz_id: Set(a.quiz_id.as_uuid()),
            member_id: Set(a.member_id.as_uuid()),
            started_at: Set(a.started_at),
            deadline: Set(a.deadline),
            submitted_at: Set(None),
            question_ids: Set(
                serde_json::to_string(&a.question_ids.iter().map(|q| q.as_uuid()).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
            ),
            version_ids: Set(
                serde_json::to_string(&a.version_ids.iter().map(|q| q.as_uuid()).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
            ),
            answers: Set(None),
            correct_count: Set(None),
            points: Set(None),
        },
    )
    .await
}

/// Loads an attempt.
pub async fn get_attempt<C: ConnectionTrait>(c: &C, id: AttemptId) -> StoreResult<AttemptRecord> {
    attempt_record(attempts::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?)
}

/// A member's attempts at a quiz started at or after `since` (all when `None`).
pub async fn attempts_of<C: ConnectionTrait>(
    c: &C,
    quiz: QuizId,
    member: MemberId,
    since: Option<DateTime<Utc>>,
) -> StoreResult<Vec<AttemptRecord>> {
    let mut select = attempts::Entity::find()
        .filter(attempts::Column::QuizId.eq(quiz.as_uuid()))
        .filter(attempts::Column::MemberId.eq(member.as_uuid()));
    if let Some(s) = since {
        select = select.filter(attempts::Column::StartedAt.gte(s));
    }
    select.order_by_asc(attempts::Column::StartedAt).all(c).await?.into_iter().map(attempt_record).collect()
}

/// Records the answers and score of an attempt, only if it was not submitted yet (concurrent
/// submits: exactly one wins). Returns whether this call recorded it.
pub async fn record_submission<C: ConnectionTrait>(
    c: &C,
    id: AttemptId,
    answers: &[Vec<usize>],
    correct: u32,
    points: i64,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let result = attempts::Entity::update_many()
        .set(attempts::ActiveModel {
            submitted_at: Set(Some(at)),
            answers: Set(Some(serde_json::to_string(answers).unwrap_or_else(|_| "[]".into()))),
            correct_count: Set(Some(i32::try_from(correct).unwrap_or(i32::MAX))),
            points: Set(Some(i32::try_from(points).unwrap_or(i32::MAX))),
            ..Default::default()
        })
        .filter(attempts::Column::Id.eq(id.as_uuid()))
        .filter(attempts::Column::SubmittedAt.is_null())
        .exec(c)
        .await?;
    Ok(result.rows_affected == 1)
}

fn stmt<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(c.get_database_backend(), sql, values)
}

/// Appends a ledger entry unless (reason, source, member) was already awarded, and adds it to the
/// member's totals for its year and for all time, in the caller's transaction. Returns whether
/// the entry was appended. An adjustment written here also counts towards the member's yearly
/// adjustment total, without the cap ([`adjust`] is the capped path leaders' adjustments take).
pub async fn award<C: ConnectionTrait>(c: &C, e: &Entry, note: Option<&str>, created_by: Option<AccountId>) -> StoreResult<bool> {
    let appended = append(c, e, note, created_by, None).await?;
    if appended && e.reason == Reason::Adjustment {
        c.execute_raw(stmt(
            c,
            "INSERT INTO point_adjustment_totals (member_id, year, points) VALUES ($1, $2, $3) \
             ON CONFLICT (member_id, year) DO UPDATE SET points = point_adjustment_totals.points + excluded.points",
            vec![e.member.as_uuid().into(), e.year().into(), e.points.saturating_abs().into()],
        ))
        .await?;
    }
    Ok(appended)
}

/// Appends a ledger entry unless (reason, source, member) was already awarded, and queues its
/// totals in `point_totals_pending` instead of applying them: two rows, written in the caller's
/// transaction, where [`award`] writes 20–30 (the member's two totals and one row per unit of
/// their chain, with the count triggers). [`apply_pending`] applies the queue. The member's own
/// [`total`] counts the queued points at once; leaderboards and ranks count them once applied.
/// Returns whether the entry was appended.
pub async fn award_deferred<C: ConnectionTrait>(c: &C, e: &Entry) -> StoreResult<bool> {
    let id = Uuid::now_v7();
    if !insert_ledger(c, id, e, None, None, None).await? {
        return Ok(false);
    }
    c.execute_raw(stmt(
        c,
        "INSERT INTO point_totals_pending (ledger_id, member_id, year, points, queued_at) VALUES ($1, $2, $3, $4, $5)",
        vec![id.into(), e.member.as_uuid().into(), e.year().into(), e.points.into(), e.at.into()],
    ))
    .await?;
    Ok(true)
}

/// What one [`apply_pending`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Pending rows taken off the queue (and applied).
    pub entries: u64,
    /// Distinct (member, year) sums they made.
    pub sums: u64,
}

/// Applies up to `limit` queued entries ([`award_deferred`]) to the maintained totals, in the
/// caller's transaction: deletes them from `point_totals_pending` (on PostgreSQL skipping rows
/// another transaction has locked, so several appliers share the queue), sums the deleted points
/// per member and year, and adds the sums to `member_points` (the year and all time) and to
/// `unit_points` along each active member's current chain. A queued entry is applied exactly when
/// its row is deleted: if the transaction does not commit, both stay as they were.
pub async fn apply_pending<C: ConnectionTrait>(c: &C, limit: u64) -> StoreResult<Applied> {
    let lock = if c.get_database_backend() == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let rows = c
        .query_all_raw(stmt(
            c,
            &format!(
                "DELETE FROM point_totals_pending WHERE ledger_id IN \
                 (SELECT ledger_id FROM point_totals_pending ORDER BY ledger_id LIMIT {limit}{lock}) RETURNING member_id, year, points"
            ),
            vec![],
        ))
        .await?;
    let mut sums: BTreeMap<(Uuid, i32), i64> = BTreeMap::new();
    for r in &rows {
        let key = (r.try_get::<Uuid>("", "member_id")?, r.try_get::<i32>("", "year")?);
        let points: i64 = r.try_get("", "points")?;
        *sums.entry(key).or_default() += points;
        *sums.entry((key.0, 0)).or_default() += points;
    }
    let applied = Applied { entries: rows.len() as u64, sums: sums.len() as u64 };
    // Rows in key order: concurrent appliers lock shared rows in the same order.
    let sums: Vec<((Uuid, i32), i64)> = sums.into_iter().collect();
    for chunk in sums.chunks(2_000) {
        let mut values = Vec::with_capacity(chunk.len() * 3);
        let mut tuples = Vec::with_capacity(chunk.len());
        for (i, ((member, year), points)) in chunk.iter().enumerate() {
            tuples.push(format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
            values.extend([Value::from(*member), Value::from(*year), Value::from(*points)]);
        }
        let tuples = tuples.join(", ");
        c.execute_raw(stmt(
            c,
            &format!(
                "INSERT INTO member_points (member_id, year, total) VALUES {tuples} \
                 ON CONFLICT (member_id, year) DO UPDATE SET total = member_points.total + excluded.total"
            ),
            values.clone(),
        ))
        .await?;
        c.execute_raw(stmt(
            c,
            &format!(
                "WITH v (member_id, year, total) AS (VALUES {tuples}) \
                 INSERT INTO unit_points (ancestor_id, member_id, year, total) \
                 SELECT c.ancestor_id, m.id, v.year, v.total FROM v JOIN members m ON m.id = v.member_id \
                 JOIN org_unit_closure c ON c.descendant_id = m.unit_id WHERE {ACTIVE} ORDER BY c.ancestor_id, v.year, m.id \
                 ON CONFLICT (ancestor_id, year, member_id) DO UPDATE SET total = unit_points.total + excluded.total"
            ),
            values,
        ))
        .await?;
    }
    Ok(applied)
}

/// The queue of [`award_deferred`] entries not applied yet: how many, and when the oldest was
/// queued.
pub async fn pending_backlog<C: ConnectionTrait>(c: &C) -> StoreResult<(u64, Option<DateTime<Utc>>)> {
    let row = c.query_one_raw(stmt(c, "SELECT COUNT(*) AS n, MIN(queued_at) AS oldest FROM point_totals_pending", vec![])).await?;
    let Some(row) = row else { return Ok((0, None)) };
    let n: i64 = row.try_get("", "n")?;
    let oldest: Option<DateTime<Utc>> = row.try_get("", "oldest")?;
    Ok((u64::try_from(n).unwrap_or(0), oldest))
}

/// Inserts the ledger row `id` of `e` unless (reason, source, member) is already there; whether
/// it was inserted.
async fn insert_ledger<C: ConnectionTrait>(
    c: &C,
    id: Uuid,
    e: &Entry,
    note: Option<&str>,
    created_by: Option<AccountId>,
    unit: Option<UnitId>,
) -> StoreResult<bool> {
    let inserted = c
        .execute_raw(stmt(
            c,
            "INSERT INTO points_ledger (id, member_id, points, reason, source_id, at, year, note, created_by, unit_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (reason, source_id, member_id) DO NOTHING",
            vec![
                id.into(),
                e.member.as_uuid().into(),
                e.points.into(),
                e.reason.code().into(),
                e.source.into(),
                e.at.into(),
                e.year().into(),
                note.map(str::to_string).into(),
                created_by.map(|a| a.as_uuid()).into(),
                unit.map(|u| u.as_uuid()).into(),
            ],
        ))
        .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The ledger row and the maintained totals of an entry (`unit`: the member's cell, recorded for
/// adjustments).
async fn append<C: ConnectionTrait>(
    c: &C,
    e: &Entry,
    note: Option<&str>,
    created_by: Option<AccountId>,
    unit: Option<UnitId>,
) -> StoreResult<bool> {
    let year = e.year();
    if !insert_ledger(c, Uuid::now_v7(), e, note, created_by, unit).await? {
        return Ok(false);
    }
    for y in [year, 0] {
        c.execute_raw(stmt(
            c,
            "INSERT INTO member_points (member_id, year, total) VALUES ($1, $2, $3) \
             ON CONFLICT (member_id, year) DO UPDATE SET total = member_points.total + excluded.total",
            vec![e.member.as_uuid().into(), y.into(), e.points.into()],
        ))
        .await?;
        // The same points on every unit of the member's chain (active members only).
        c.execute_raw(stmt(
            c,
            "INSERT INTO unit_points (ancestor_id, member_id, year, total) \
             SELECT c.ancestor_id, m.id, $2, $3 FROM members m JOIN org_unit_closure c ON c.descendant_id = m.unit_id \
             WHERE m.id = $1 AND m.standing IN ('probationary', 'official') \
             ON CONFLICT (ancestor_id, year, member_id) DO UPDATE SET total = unit_points.total + excluded.total",
            vec![e.member.as_uuid().into(), y.into(), e.points.into()],
        ))
        .await?;
    }
    Ok(true)
}

/// What [`adjust`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjusted {
    /// Written; `used` is the member's adjustment total for the year, this one included.
    Recorded {
        /// Absolute adjustment points of the member's year so far.
        used: i64,
    },
    /// Refused: the adjustment would take the member's yearly total above the cap. Nothing was
    /// written.
    OverCap {
        /// Absolute adjustment points of the member's year so far.
        used: i64,
    },
    /// The same (reason, source, member) was already in the ledger; nothing changed.
    AlreadyRecorded,
}

/// Writes a leader's adjustment `e` (reason [`Reason::Adjustment`]) for a member of `unit`,
/// unless the sum of the absolute values of the member's adjustments in the entry's Vietnamese
/// year would exceed `cap`. The cap is held by one conditional upsert of
/// `point_adjustment_totals` — the transaction's first statement, so on SQLite it takes the write
/// lock before anything is read, and on PostgreSQL concurrent adjustments of one member queue on
/// the row and each re-checks the condition against the committed total — then the entry and its
/// totals are appended. Of concurrent adjustments that together exceed the cap, only those that
/// fit are written.
pub async fn adjust<C: ConnectionTrait>(
    c: &C,
    e: &Entry,
    note: &str,
    created_by: Option<AccountId>,
    unit: UnitId,
    cap: i64,
) -> StoreResult<Adjusted> {
    let year = e.year();
    let magnitude = e.points.saturating_abs();
    if magnitude > cap {
        return Ok(Adjusted::OverCap { used: adjustment_total(c, e.member, year).await? });
    }
    let reserved = c
        .execute_raw(stmt(
            c,
            "INSERT INTO point_adjustment_totals (member_id, year, points) VALUES ($1, $2, $3) \
             ON CONFLICT (member_id, year) DO UPDATE SET points = point_adjustment_totals.points + excluded.points \
             WHERE point_adjustment_totals.points + excluded.points <= $4",
            vec![e.member.as_uuid().into(), year.into(), magnitude.into(), cap.into()],
        ))
        .await?;
    let used = adjustment_total(c, e.member, year).await?;
    if reserved.rows_affected() != 1 {
        return Ok(Adjusted::OverCap { used });
    }
    if !append(c, &Entry { reason: Reason::Adjustment, ..e.clone() }, Some(note), created_by, Some(unit)).await? {
        c.execute_raw(stmt(
            c,
            "UPDATE point_adjustment_totals SET points = points - $3 WHERE member_id = $1 AND year = $2",
            vec![e.member.as_uuid().into(), year.into(), magnitude.into()],
        ))
        .await?;
        return Ok(Adjusted::AlreadyRecorded);
    }
    Ok(Adjusted::Recorded { used })
}

/// The sum of the absolute values of a member's adjustments in a Vietnamese calendar year, as
/// maintained for the cap.
pub async fn adjustment_total<C: ConnectionTrait>(c: &C, member: MemberId, year: i32) -> StoreResult<i64> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT points FROM point_adjustment_totals WHERE member_id = $1 AND year = $2",
            vec![member.as_uuid().into(), year.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "points")).transpose()?.unwrap_or(0))
}

/// The sum of the absolute values of a member's adjustments in a year, straight from the ledger.
pub async fn adjustment_ledger_sum<C: ConnectionTrait>(c: &C, member: MemberId, year: i32) -> StoreResult<i64> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT CAST(COALESCE(SUM(ABS(points)), 0) AS BIGINT) AS s FROM points_ledger \
             WHERE member_id = $1 AND year = $2 AND reason = 'adjustment'",
            vec![member.as_uuid().into(), year.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "s")).transpose()?.unwrap_or(0))
}

/// One adjustment as the superior reviews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustmentRow {
    /// The ledger row's id (UUID v7: newest first is by id).
    pub id: Uuid,
    /// Whom.
    pub member_id: MemberId,
    /// Their name.
    pub member_name: String,
    /// Their cell when the adjustment was made.
    pub unit_id: UnitId,
    /// Points (negative for a correction).
    pub points: i64,
    /// The reason given.
    pub note: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// The account that made it.
    pub adjusted_by: Option<AccountId>,
    /// Its username.
    pub adjusted_by_username: Option<String>,
    /// The name of the member behind it (none for an administrator's account without a member).
    pub adjusted_by_name: Option<String>,
}

/// Which adjustments [`adjustments_under`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdjustmentQuery {
    /// Adjustments made to members of cells in this unit's subtree.
    pub unit: UnitId,
    /// Made at or after.
    pub from: Option<DateTime<Utc>>,
    /// Made before.
    pub until: Option<DateTime<Utc>>,
    /// Older than this row (the cursor).
    pub before: Option<Uuid>,
    /// At most this many.
    pub limit: u64,
}

/// The adjustments made to members while in a cell of `q.unit`'s subtree, newest first.
pub async fn adjustments_under<C: ConnectionTrait>(c: &C, q: &AdjustmentQuery) -> StoreResult<Vec<AdjustmentRow>> {
    let mut sql = String::from(
        "SELECT l.id AS id, l.member_id AS member_id, m.full_name AS member_name, l.unit_id AS unit_id, l.points AS points, \
         l.note AS note, l.at AS at, l.created_by AS created_by, a.username AS username, am.full_name AS by_name \
         FROM org_unit_closure c JOIN points_ledger l ON l.unit_id = c.descendant_id JOIN members m ON m.id = l.member_id \
         LEFT JOIN accounts a ON a.id = l.created_by LEFT JOIN members am ON am.id = a.member_id \
         WHERE c.ancestor_id = $1 AND l.reason = 'adjustment'",
    );
    let mut values: Vec<Value> = vec![q.unit.as_uuid().into()];
    if let Some(from) = q.from {
        values.push(from.into());
        sql.push_str(&format!(" AND l.at >= ${}", values.len()));
    }
    if let Some(until) = q.until {
        values.push(until.into());
        sql.push_str(&format!(" AND l.at < ${}", values.len()));
    }
    if let Some(before) = q.before {
        values.push(before.into());
        sql.push_str(&format!(" AND l.id < ${}", values.len()));
    }
    sql.push_str(&format!(" ORDER BY l.id DESC LIMIT {}", q.limit));
    let rows = c.query_all_raw(stmt(c, &sql, values)).await?;
    rows.iter()
        .map(|r| {
            Ok(AdjustmentRow {
                id: r.try_get("", "id")?,
                member_id: MemberId::from_uuid(r.try_get("", "member_id")?),
                member_name: r.try_get("", "member_name")?,
                unit_id: UnitId::from_uuid(r.try_get("", "unit_id")?),
                points: r.try_get("", "points")?,
                note: r.try_get("", "note")?,
                at: r.try_get("", "at")?,
                adjusted_by: r.try_get::<Option<Uuid>>("", "created_by")?.map(AccountId::from_uuid),
                adjusted_by_username: r.try_get("", "username")?,
                adjusted_by_name: r.try_get("", "by_name")?,
            })
        })
        .collect()
}

/// A stored ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    /// Id (UUID v7).
    pub id: Uuid,
    /// The entry.
    pub entry: Entry,
    /// Note (adjustment reason).
    pub note: Option<String>,
}

/// A member's ledger, newest first, before the cursor id.
pub async fn ledger<C: ConnectionTrait>(c: &C, member: MemberId, before: Option<Uuid>, limit: u64) -> StoreResult<Vec<LedgerRow>> {
    let mut sql = String::from("SELECT id, points, reason, source_id, at, note FROM points_ledger WHERE member_id = $1");
    let mut values: Vec<Value> = vec![member.as_uuid().into()];
    if let Some(b) = before {
        sql.push_str(" AND id < $2");
        values.push(b.into());
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    let rows = c.query_all_raw(stmt(c, &sql, values)).await?;
    rows.iter()
        .map(|r| {
            let reason: String = r.try_get("", "reason")?;
            Ok(LedgerRow {
                id: r.try_get("", "id")?,
                entry: Entry {
                    member,
                    points: r.try_get("", "points")?,
                    reason: Reason::parse(&reason).ok_or_else(|| corrupt("points_ledger.reason", &reason))?,
                    source: r.try_get("", "source_id")?,
                    at: r.try_get("", "at")?,
                },
                note: r.try_get("", "note")?,
            })
        })
        .collect()
}

/// Sum of a member's ledger entries for a year (0: all time), straight from the ledger.
pub async fn ledger_sum<C: ConnectionTrait>(c: &C, member: MemberId, year: i32) -> StoreResult<i64> {
    let (sql, values): (&str, Vec<Value>) = if year == 0 {
        ("SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) AS s FROM points_ledger WHERE member_id = $1", vec![member.as_uuid().into()])
    } else {
        (
            "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) AS s FROM points_ledger WHERE member_id = $1 AND year = $2",
            vec![member.as_uuid().into(), year.into()],
        )
    };
    let row = c.query_one_raw(stmt(c, sql, values)).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "s")).transpose()?.unwrap_or(0))
}

/// A member's total for a year (0: all time): the maintained total plus the member's entries
/// still queued for it ([`award_deferred`]), read in one statement, so an entry is counted once
/// whether or not the applier has taken it.
pub async fn total<C: ConnectionTrait>(c: &C, member: MemberId, year: i32) -> StoreResult<i64> {
    let pending_year = if year == 0 { "" } else { " AND year = $2" };
    let row = c
        .query_one_raw(stmt(
            c,
            &format!(
                "SELECT CAST(COALESCE((SELECT total FROM member_points WHERE member_id = $1 AND year = $2), 0) \
                 + COALESCE((SELECT SUM(points) FROM point_totals_pending WHERE member_id = $1{pending_year}), 0) AS BIGINT) AS total"
            ),
            vec![member.as_uuid().into(), year.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "total")).transpose()?.unwrap_or(0))
}

const ACTIVE: &str = "m.standing IN ('probationary', 'official')";

/// Rank of a member with `mine` points within the active members of `unit`'s subtree for a year:
/// 1 + the number with more points (ties share a rank) — a sum over the distinct totals above
/// `mine` in `unit_point_counts` (kept equal to `unit_points` by triggers).
pub async fn rank<C: ConnectionTrait>(c: &C, unit: UnitId, year: i32, mine: i64) -> StoreResult<u64> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT CAST(COALESCE(SUM(members), 0) AS BIGINT) AS n FROM unit_point_counts WHERE ancestor_id = $1 AND year = $2 AND total > $3",
            vec![unit.as_uuid().into(), year.into(), mine.into()],
        ))
        .await?;
    let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0) + 1)
}

/// The top `limit` members of `unit`'s subtree for a year: (member, name, cell, total), walking
/// `unit_points(ancestor_id, year, total)` in order.
pub async fn top<C: ConnectionTrait>(c: &C, unit: UnitId, year: i32, limit: u64) -> StoreResult<Vec<(MemberId, String, UnitId, i64)>> {
    let sql = format!(
        "SELECT m.id AS id, m.full_name AS name, m.unit_id AS cell, up.total AS total FROM unit_points up JOIN members m ON m.id = up.member_id \
         WHERE up.ancestor_id = $1 AND up.year = $2 ORDER BY up.total DESC, up.member_id LIMIT {limit}"
    );
    let rows = c.query_all_raw(stmt(c, &sql, vec![unit.as_uuid().into(), year.into()])).await?;
    rows.iter()
        .map(|r| {
            Ok((
                MemberId::from_uuid(r.try_get("", "id")?),
                r.try_get("", "name")?,
                UnitId::from_uuid(r.try_get("", "cell")?),
                r.try_get("", "total")?,
            ))
        })
        .collect()
}

/// Rebuilds the per-ancestor totals of the given members from their totals and their current
/// chain (after a transfer, a change of standing, or a unit move); members who left the Party get
/// none.
pub async fn rebuild_unit_points<C: ConnectionTrait>(c: &C, members: &[MemberId]) -> StoreResult<()> {
    for chunk in members.chunks(500) {
        let ids: Vec<Value> = chunk.iter().map(|m| m.as_uuid().into()).collect();
        let list = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        c.execute_raw(stmt(c, &format!("DELETE FROM unit_points WHERE member_id IN ({list})"), ids.clone())).await?;
        c.execute_raw(stmt(
            c,
            &format!(
                "INSERT INTO unit_points (ancestor_id, member_id, year, total) \
                 SELECT c.ancestor_id, mp.member_id, mp.year, mp.total FROM member_points mp JOIN members m ON m.id = mp.member_id \
                 JOIN org_unit_closure c ON c.descendant_id = m.unit_id WHERE m.standing IN ('probationary', 'official') AND mp.member_id IN ({list})"
            ),
            ids,
        ))
        .await?;
    }
    Ok(())
}

/// Rebuilds the per-ancestor totals of every member in `unit`'s subtree (after the unit moved).
pub async fn rebuild_unit_points_subtree<C: ConnectionTrait>(c: &C, unit: UnitId) -> StoreResult<()> {
    let members = "SELECT m.id FROM members m JOIN org_unit_closure c ON c.descendant_id = m.unit_id WHERE c.ancestor_id = $1";
    c.execute_raw(stmt(c, &format!("DELETE FROM unit_points WHERE member_id IN ({members})"), vec![unit.as_uuid().into()])).await?;
    c.execute_raw(stmt(
        c,
        &format!(
            "INSERT INTO unit_points (ancestor_id, member_id, year, total) \
             SELECT c.ancestor_id, mp.member_id, mp.year, mp.total FROM member_points mp JOIN members m ON m.id = mp.member_id \
             JOIN org_unit_closure c ON c.descendant_id = m.unit_id WHERE m.standing IN ('probationary', 'official') AND mp.member_id IN ({members})"
        ),
        vec![unit.as_uuid().into()],
    ))
    .await?;
    Ok(())
}

/// Number of active members of a subtree with more than `target` points in a year.
pub async fn count_above<C: ConnectionTrait>(c: &C, unit: UnitId, year: i32, target: i64) -> StoreResult<u64> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM member_points mp JOIN members m ON m.id = mp.member_id \
         JOIN org_unit_closure c ON c.descendant_id = m.unit_id WHERE c.ancestor_id = $1 AND mp.year = $2 AND mp.total > $3 AND {ACTIVE}"
    );
    let row = c.query_one_raw(stmt(c, &sql, vec![unit.as_uuid().into(), year.into(), target.into()])).await?;
    let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Distribution of yearly totals among the active members of a subtree: counts per bucket
/// (upper bounds 0, 49, 99, 199, 399, above), and the members at or below `target`, lowest first
/// (at most `list_limit`).
pub async fn distribution<C: ConnectionTrait>(
    c: &C,
    unit: UnitId,
    year: i32,
    target: i64,
    list_limit: u64,
) -> StoreResult<([u64; 6], Vec<(MemberId, String, i64)>)> {
    let sql = format!(
        "SELECT CASE WHEN COALESCE(mp.total, 0) <= 0 THEN 0 WHEN mp.total < 50 THEN 1 WHEN mp.total < 100 THEN 2 WHEN mp.total < 200 THEN 3 \
         WHEN mp.total < 400 THEN 4 ELSE 5 END AS bucket, COUNT(*) AS n FROM members m JOIN org_unit_closure c ON c.descendant_id = m.unit_id \
         LEFT JOIN member_points mp ON mp.member_id = m.id AND mp.year = $2 WHERE c.ancestor_id = $1 AND {ACTIVE} GROUP BY 1"
    );
    let rows = c.query_all_raw(stmt(c, &sql, vec![unit.as_uuid().into(), year.into()])).await?;
    let mut buckets = [0u64; 6];
    for r in &rows {
        let b: i32 = r.try_get("", "bucket")?;
        let n: i64 = r.try_get("", "n")?;
        if let Some(slot) = usize::try_from(b).ok().and_then(|b| buckets.get_mut(b)) {
            *slot = u64::try_from(n).unwrap_or(0);
        }
    }
    let sql = format!(
        "SELECT m.id AS id, m.full_name AS name, COALESCE(mp.total, 0) AS total FROM members m JOIN org_unit_closure c ON c.descendant_id = m.unit_id \
         LEFT JOIN member_points mp ON mp.member_id = m.id AND mp.year = $2 WHERE c.ancestor_id = $1 AND {ACTIVE} AND COALESCE(mp.total, 0) <= $3 \
         ORDER BY 3, m.id LIMIT {list_limit}"
    );
    let rows = c.query_all_raw(stmt(c, &sql, vec![unit.as_uuid().into(), year.into(), target.into()])).await?;
    let below = rows
        .iter()
        .map(|r| Ok((MemberId::from_uuid(r.try_get("", "id")?), r.try_get("", "name")?, r.try_get("", "total")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((buckets, below))
}

/// Loads many awards into an empty ledger in multi-row statements, with their totals (dataset
/// generators only: duplicates are not checked against stored entries, and all of a member's
/// entries must come in the same call).
pub async fn bulk_load<C: ConnectionTrait>(c: &C, entries: &[Entry]) -> StoreResult<()> {
    use std::collections::HashMap;
    let mut totals: HashMap<(MemberId, i32), i64> = HashMap::new();
    for e in entries {
        *totals.entry((e.member, e.year())).or_default() += e.points;
        *totals.entry((e.member, 0)).or_default() += e.points;
    }
    for chunk in entries.chunks(2000) {
        let mut sql = String::from("INSERT INTO points_ledger (id, member_id, points, reason, source_id, at, year) VALUES ");
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 7);
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 7;
            sql.push_str(&format!("(${}, ${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7));
            values.extend([
                Uuid::now_v7().into(),
                e.member.as_uuid().into(),
                e.points.into(),
                e.reason.code().into(),
                e.source.into(),
                e.at.into(),
                e.year().into(),
            ]);
        }
        c.execute_raw(stmt(c, &sql, values)).await?;
    }
    let rows: Vec<((MemberId, i32), i64)> = totals.into_iter().collect();
    for chunk in rows.chunks(3000) {
        let mut sql = String::from("INSERT INTO member_points (member_id, year, total) VALUES ");
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 3);
        for (i, ((m, y), t)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * 3;
            sql.push_str(&format!("(${}, ${}, ${})", b + 1, b + 2, b + 3));
            values.extend([m.as_uuid().into(), (*y).into(), (*t).into()]);
        }
        c.execute_raw(stmt(c, &sql, values)).await?;
    }
    // Adjustments: the member's cell and the yearly adjustment totals (the ledger was empty).
    c.execute_raw(stmt(
        c,
        "UPDATE points_ledger SET unit_id = (SELECT m.unit_id FROM members m WHERE m.id = points_ledger.member_id) \
         WHERE reason = 'adjustment' AND unit_id IS NULL",
        vec![],
    ))
    .await?;
    c.execute_raw(stmt(
        c,
        "INSERT INTO point_adjustment_totals (member_id, year, points) \
         SELECT member_id, year, SUM(ABS(points)) FROM points_ledger WHERE reason = 'adjustment' GROUP BY member_id, year",
        vec![],
    ))
    .await?;
    let members: Vec<MemberId> = {
        let mut v: Vec<MemberId> = rows.iter().map(|((m, _), _)| *m).collect();
        v.sort();
        v.dedup();
        v
    };
    rebuild_unit_points(c, &members).await
}

/// Up to `k` members just above and `k` just below (or level with) a member in `unit`'s subtree
/// for a year, as (member, name, cell, total), best first, the member included.
pub async fn neighbours<C: ConnectionTrait>(
    c: &C,
    unit: UnitId,
    year: i32,
    member: MemberId,
    mine: i64,
    k: u64,
) -> StoreResult<Vec<(MemberId, String, UnitId, i64)>> {
    let above = format!(
        "SELECT m.id AS id, m.full_name AS name, m.unit_id AS cell, up.total AS total FROM unit_points up JOIN members m ON m.id = up.member_id \
         WHERE up.ancestor_id = $1 AND up.year = $2 AND up.total > $3 ORDER BY up.total ASC, up.member_id DESC LIMIT {k}"
    );
    let below = format!(
        "SELECT m.id AS id, m.full_name AS name, m.unit_id AS cell, up.total AS total FROM unit_points up JOIN members m ON m.id = up.member_id \
         WHERE up.ancestor_id = $1 AND up.year = $2 AND up.total <= $3 AND up.member_id <> $4 ORDER BY up.total DESC, up.member_id LIMIT {k}"
    );
    let read = |rows: Vec<sea_orm::QueryResult>| -> StoreResult<Vec<(MemberId, String, UnitId, i64)>> {
        rows.iter()
            .map(|r| {
                Ok((
                    MemberId::from_uuid(r.try_get("", "id")?),
                    r.try_get("", "name")?,
                    UnitId::from_uuid(r.try_get("", "cell")?),
                    r.try_get("", "total")?,
                ))
            })
            .collect()
    };
    let mut up = read(c.query_all_raw(stmt(c, &above, vec![unit.as_uuid().into(), year.into(), mine.into()])).await?)?;
    up.reverse();
    let down =
        read(c.query_all_raw(stmt(c, &below, vec![unit.as_uuid().into(), year.into(), mine.into(), member.as_uuid().into()])).await?)?;
    let me = c
        .query_one_raw(stmt(c, "SELECT full_name, unit_id FROM members WHERE id = $1", vec![member.as_uuid().into()]))
        .await?
        .map(|r| Ok::<_, StoreError>((member, r.try_get::<String>("", "full_name")?, UnitId::from_uuid(r.try_get("", "unit_id")?), mine)))
        .transpose()?;
    Ok(up.into_iter().chain(me).chain(down).collect())
}
