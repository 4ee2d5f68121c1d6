//! Study use cases: attempts at quizzes (start, submit, read), leaders' point adjustments, and
//! the points a first read or an attendance earns.
//!
//! Each use case loads what the rule needs, lets `study_points` (and `membership`'s permission
//! function) decide, and writes in one transaction. Answers are scored here, on the server; the
//! result carries the served versions so that the caller can render questions, and correct
//! answers only for a submitted attempt.

use chrono::{DateTime, NaiveTime, Utc};
use membership::permission::{ActOnMemberError, Action, Actor, authorize};
use membership::{MemberId, UnitId};
use storage::StoreError;
use storage::study::{Adjusted, AdjustmentQuery, AdjustmentRow, AttemptRecord, QuestionRecord, QuizRecord};
use study_points::ledger::{self, Entry, Reason};
use study_points::question::{QuestionContent, score};
use study_points::quiz::{self, PastAttempt, StartError, Window};
use study_points::{AttemptId, QuestionId, QuestionVersionId, QuizId};
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::{Ctx, may_act_on};

/// An attempt with the question versions it served, in order.
#[derive(Debug, Clone)]
pub struct AttemptDetail {
    /// The attempt.
    pub attempt: AttemptRecord,
    /// The versions served (version, question, content), in the attempt's order.
    pub versions: Vec<(QuestionVersionId, QuestionId, QuestionContent)>,
    /// Whether correct answers and explanations may be shown (see [`AttemptDetail::reveals_answers`]).
    reveal: bool,
}

impl AttemptDetail {
    /// Whether correct answers and explanations may be shown: once the attempt is submitted, and
    /// only while none of the member's other attempts at the quiz is running
    /// ([`quiz::may_reveal`]). Results (right or wrong, score, points) are shown whenever the
    /// attempt is submitted.
    pub fn reveals_answers(&self) -> bool {
        self.reveal
    }
}

fn past(a: &AttemptRecord) -> PastAttempt {
    PastAttempt { started_at: a.started_at, deadline: a.deadline, submitted: a.submitted_at.is_some() }
}

/// A daily time of a quiz window as stored and sent by clients (`HH:MM`, Vietnam's time).
pub fn hhmm(s: &Option<String>) -> Option<NaiveTime> {
    s.as_deref().and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
}

/// The open window of a stored quiz.
pub fn window(q: &QuizRecord) -> Window {
    Window {
        opens_on: q.opens_on,
        closes_on: q.closes_on,
        weekdays: q.weekdays.iter().filter_map(|w| quiz::parse_weekday(w)).collect(),
        daily_from: hhmm(&q.daily_from),
        daily_to: hhmm(&q.daily_to),
    }
}

/// The questions a quiz draws from: its fixed questions, or the banks of the organising unit and
/// the units above it for the quiz's documents, narrowed to its tags (compared without
/// diacritics).
pub async fn pool(ctx: &Ctx, q: &QuizRecord) -> Result<Vec<QuestionRecord>, StoreError> {
    if !q.fixed_questions.is_empty() {
        return storage::study::questions_by_id(ctx.db.conn(), &q.fixed_questions).await;
    }
    let chain = storage::units::path(ctx.db.conn(), q.unit_id).await?;
    let all = storage::study::questions_of(ctx.db.conn(), &chain, &q.document_ids).await?;
    let tags: Vec<String> = q.tags.iter().map(|t| documents::fold::fold(t)).collect();
    Ok(all.into_iter().filter(|x| tags.is_empty() || x.tags.iter().any(|t| tags.contains(&documents::fold::fold(t)))).collect())
}

async fn detail(ctx: &Ctx, attempt: AttemptRecord) -> Result<AttemptDetail, StoreError> {
    let versions = storage::study::versions(ctx.db.conn(), &attempt.version_ids).await?;
    with_versions(ctx, attempt, versions).await
}

async fn with_versions(
    ctx: &Ctx,
    attempt: AttemptRecord,
    versions: Vec<(QuestionVersionId, QuestionId, QuestionContent)>,
) -> Result<AttemptDetail, StoreError> {
    let reveal = if attempt.submitted_at.is_some() {
        let all = storage::study::attempts_of(ctx.db.conn(), attempt.quiz_id, attempt.member_id, None).await?;
        let others: Vec<PastAttempt> = all.iter().filter(|a| a.id != attempt.id).map(past).collect();
        quiz::may_reveal(true, &others, ctx.clock.now())
    } else {
        false
    };
    Ok(AttemptDetail { attempt, versions, reveal })
}

/// Why an attempt cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartAttemptError {
    /// The caller is not a member of the organising unit's subtree.
    #[error("not permitted")]
    Forbidden,
    /// The quiz's rules refuse (closed, limit reached, an attempt running).
    #[error(transparent)]
    Refused(StartError),
    /// The quiz has no question to serve.
    #[error("the quiz has no questions")]
    NoQuestions,
    /// Storage (a missing quiz is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Starts an attempt for the calling member: inside the window, no attempt running, and fewer
/// attempts than the quiz allows in its period. Questions are drawn unseen-first (or the quiz's
/// fixed questions), with a deadline of the quiz's time limit cut at the window's close
/// ([`quiz::attempt_deadline`]). The rule is checked and the attempt inserted in one transaction
/// holding the member's lock, so parallel starts by one member cannot exceed the limit or run two
/// attempts at once.
pub async fn start_attempt(ctx: &Ctx, actor: &Actor, quiz_id: QuizId) -> Result<AttemptDetail, StartAttemptError> {
    let now = ctx.clock.now();
    let quiz = storage::study::get_quiz(ctx.db.conn(), quiz_id).await?;
    let member = actor.member_id.ok_or(StartAttemptError::Forbidden)?;
    if !actor.home_path.contains(&quiz.unit_id) {
        return Err(StartAttemptError::Forbidden);
    }
    let window = window(&quiz);
    let pool = pool(ctx, &quiz).await?;
    let tx = ctx.db.begin().await?;
    storage::members::lock(tx.conn(), member).await?;
    let previous = storage::study::attempts_of(tx.conn(), quiz.id, member, None).await?;
    let past: Vec<PastAttempt> = previous.iter().map(past).collect();
    quiz::may_start(&window, quiz.max_attempts, quiz.attempt_period, &past, now).map_err(StartAttemptError::Refused)?;
    let chosen: Vec<&QuestionRecord> = if quiz.fixed_questions.is_empty() {
        let seen: std::collections::HashSet<QuestionId> = previous.iter().flat_map(|a| a.question_ids.iter().copied()).collect();
        let candidates: Vec<(usize, bool)> = pool.iter().enumerate().map(|(i, q)| (i, seen.contains(&q.id))).collect();
        let seed = u64::from_le_bytes(Uuid::now_v7().as_bytes()[8..16].try_into().unwrap_or([0; 8]));
        quiz::draw(&candidates, quiz.question_count as usize, seed).into_iter().filter_map(|i| pool.get(i)).collect()
    } else {
        quiz.fixed_questions.iter().filter_map(|qid| pool.iter().find(|q| q.id == *qid)).collect()
    };
    if chosen.is_empty() {
        return Err(StartAttemptError::NoQuestions);
    }
    let attempt = AttemptRecord {
        id: AttemptId::from_uuid(Uuid::now_v7()),
        quiz_id: quiz.id,
        member_id: member,
        started_at: now,
        deadline: quiz::attempt_deadline(&window, quiz.time_limit_minutes, now),
        submitted_at: None,
        question_ids: chosen.iter().map(|q| q.id).collect(),
        version_ids: chosen.iter().map(|q| q.version_id).collect(),
        answers: None,
        correct_count: None,
        points: None,
    };
    storage::study::insert_attempt(tx.conn(), &attempt).await?;
    tx.commit().await?;
    Ok(detail(ctx, attempt).await?)
}

/// Why answers were not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitAttemptError {
    /// Not the caller's attempt.
    #[error("not permitted")]
    Forbidden,
    /// After the time limit and its grace: the attempt earns nothing.
    #[error("the time limit has passed; the attempt earns nothing")]
    Expired,
    /// Not one answer per served question.
    #[error("one answer per question: {expected} expected")]
    AnswerCount {
        /// Questions served.
        expected: usize,
    },
    /// An answer names an option the question does not have (or too many).
    #[error("answer {index} names options the question does not have")]
    InvalidOption {
        /// Index of the answer.
        index: usize,
    },
    /// Storage (a missing attempt is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Scores the answers of the caller's attempt on the server and awards the points of each correct
/// answer once per question and quiz — and never for a question served in an earlier submitted
/// attempt of the member at this quiz, whose results have shown its correct answer. Submissions after the deadline
/// (the time limit cut at the window's close) and its grace are refused. Idempotent: a retried or
/// concurrent submit returns the stored result and awards nothing more (the losing transaction,
/// awards included, is rolled back).
pub async fn submit_attempt(
    ctx: &Ctx,
    actor: &Actor,
    attempt_id: AttemptId,
    answers: &[Vec<usize>],
) -> Result<AttemptDetail, SubmitAttemptError> {
    let now = ctx.clock.now();
    let attempt = storage::study::get_attempt(ctx.db.conn(), attempt_id).await?;
    if actor.member_id != Some(attempt.member_id) {
        return Err(SubmitAttemptError::Forbidden);
    }
    if attempt.submitted_at.is_some() {
        return Ok(detail(ctx, attempt).await?);
    }
    if !quiz::in_time(attempt.deadline, now) {
        return Err(SubmitAttemptError::Expired);
    }
    let versions = storage::study::versions(ctx.db.conn(), &attempt.version_ids).await?;
    if answers.len() != versions.len() {
        return Err(SubmitAttemptError::AnswerCount { expected: versions.len() });
    }
    for (index, (ans, (_, _, c))) in answers.iter().zip(versions.iter()).enumerate() {
        if ans.iter().any(|o| *o >= c.options.len()) || ans.len() > c.options.len() {
            return Err(SubmitAttemptError::InvalidOption { index });
        }
    }
    let quiz = storage::study::get_quiz(ctx.db.conn(), attempt.quiz_id).await?;
    let right: Vec<bool> = answers.iter().zip(versions.iter()).map(|(a, (_, _, c))| score(c, a)).collect();
    let tx = ctx.db.begin().await?;
    let shown: std::collections::HashSet<QuestionId> = storage::study::attempts_of(tx.conn(), quiz.id, attempt.member_id, None)
        .await?
        .iter()
        .filter(|a| a.id != attempt.id && a.submitted_at.is_some())
        .flat_map(|a| a.question_ids.iter().copied())
        .collect();
    let mut points = 0i64;
    for ((_, qid, _), ok) in versions.iter().zip(&right) {
        if *ok && !shown.contains(qid) {
            let source = Uuid::new_v5(&quiz.id.as_uuid(), qid.as_uuid().as_bytes());
            let entry = Entry {
                member: attempt.member_id,
                points: i64::from(quiz.points_per_correct),
                reason: Reason::QuizAnswer,
                source,
                at: now,
            };
            if storage::study::award(tx.conn(), &entry, None, None).await? {
                points += entry.points;
            }
        }
    }
    let correct = u32::try_from(right.iter().filter(|r| **r).count()).unwrap_or(u32::MAX);
    let recorded = storage::study::record_submission(tx.conn(), attempt.id, answers, correct, points, now).await?;
    if recorded {
        storage::study::mark_answered(tx.conn(), &attempt.question_ids).await?;
        tx.commit().await?;
    } else {
        // A concurrent submit won: drop this one's awards and report the stored result.
        drop(tx);
    }
    let stored = storage::study::get_attempt(ctx.db.conn(), attempt.id).await?;
    Ok(with_versions(ctx, stored, versions).await?)
}

/// Why an attempt cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ViewAttemptError {
    /// Neither the attempt's member nor a leader over the member's cell.
    #[error("not permitted")]
    Forbidden,
    /// Storage (a missing attempt is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An attempt, for its member or a leader who may see the member's private data.
pub async fn view_attempt(ctx: &Ctx, actor: &Actor, id: AttemptId) -> Result<AttemptDetail, ViewAttemptError> {
    let a = storage::study::get_attempt(ctx.db.conn(), id).await?;
    if actor.member_id != Some(a.member_id) {
        let member = storage::members::get(ctx.db.conn(), a.member_id).await?;
        let path = storage::units::path(ctx.db.conn(), member.state.home_unit).await?;
        authorize(actor, Action::ViewMemberPrivate, &path, ctx.clock.today()).map_err(|_| ViewAttemptError::Forbidden)?;
    }
    Ok(detail(ctx, a).await?)
}

/// Why an adjustment was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdjustPointsError<E> {
    /// The caller may not manage the member's cell.
    #[error("not permitted")]
    Forbidden,
    /// The caller manages the member's cell but may not adjust this member: themselves, or the
    /// holder of a position the caller may not appoint to.
    #[error(transparent)]
    Refused(ActOnMemberError),
    /// The caller's parser refused the request (reported only once the caller is allowed).
    #[error("the request was refused")]
    Request(E),
    /// The member's adjustments this year would exceed [`ledger::YEARLY_ADJUSTMENT_CAP`].
    #[error("the member already received {used} of the {cap} adjustment points allowed this year")]
    OverCap {
        /// Adjustment points (absolute values) the member received this year.
        used: i64,
        /// The yearly cap.
        cap: i64,
    },
    /// Storage (a missing member is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A leader's manual ledger entry for a member (a correction is a new negative entry, never an
/// edit), audited in the same transaction. Who may: those who may manage the member's cell,
/// never on themselves, and on the holder of a position only those who may appoint to it
/// (`membership::permission::authorize_on_member`). `request` is the caller's parse of the
/// points and the reason, looked at only once the caller is known to be allowed. The member's
/// adjustments in a Vietnamese calendar year, counted as absolute values, stay within
/// [`ledger::YEARLY_ADJUSTMENT_CAP`], checked and written atomically (`storage::study::adjust`),
/// so concurrent adjustments cannot together pass it. The entry records the member's cell, for
/// the superior's review ([`adjustments`]).
pub async fn adjust_points<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    member: MemberId,
    request: Result<(i64, String), E>,
) -> Result<Entry, AdjustPointsError<E>> {
    let now = ctx.clock.now();
    let record = storage::members::get(ctx.db.conn(), member).await?;
    let path = storage::units::path(ctx.db.conn(), record.state.home_unit).await?;
    may_act_on(ctx, who.actor, Some(Action::ManageMembers), record.id, &path).await?.map_err(|e| match e {
        ActOnMemberError::Denied(_) => AdjustPointsError::Forbidden,
        e => AdjustPointsError::Refused(e),
    })?;
    let (points, note) = request.map_err(AdjustPointsError::Request)?;
    let note = note.as_str();
    let entry = Entry { member: record.id, points, reason: Reason::Adjustment, source: Uuid::now_v7(), at: now };
    let cap = ledger::YEARLY_ADJUSTMENT_CAP;
    let tx = ctx.db.begin().await?;
    let used = match storage::study::adjust(tx.conn(), &entry, note, who.actor.account_id, record.state.home_unit, cap).await? {
        Adjusted::OverCap { used } => return Err(AdjustPointsError::OverCap { used, cap }),
        Adjusted::Recorded { used } => used,
        Adjusted::AlreadyRecorded => storage::study::adjustment_total(tx.conn(), record.id, entry.year()).await?,
    };
    audit::record(
        &tx,
        who,
        now,
        "points.adjust",
        ("member", Some(record.id.as_uuid())),
        Some(record.state.home_unit),
        serde_json::json!({"points": points, "reason": note, "year_adjusted": used}),
    )
    .await?;
    tx.commit().await?;
    Ok(entry)
}

/// Why the adjustments of a unit cannot be listed.
#[derive(Debug, thiserror::Error)]
pub enum AdjustmentsError {
    /// Only secretaries and deputies of the unit or above, and administrators over it.
    #[error("not permitted")]
    Forbidden,
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One page of [`adjustments`].
#[derive(Debug, Clone)]
pub struct AdjustmentPage {
    /// Newest first.
    pub items: Vec<AdjustmentRow>,
    /// Whether older ones follow the last.
    pub more: bool,
}

/// The manual adjustments made to members while in a cell of `q.unit`'s subtree, newest first,
/// for the superior's review (`Action::ReviewAdjustments`: secretaries and deputies of the unit
/// or above, administrators over it): who adjusted whom, by how much, why and when.
pub async fn adjustments(ctx: &Ctx, actor: &Actor, q: AdjustmentQuery) -> Result<AdjustmentPage, AdjustmentsError> {
    let path = crate::unit_path(ctx, q.unit).await?;
    authorize(actor, Action::ReviewAdjustments, &path, ctx.clock.today()).map_err(|_| AdjustmentsError::Forbidden)?;
    let limit = q.limit;
    let mut items = storage::study::adjustments_under(ctx.db.conn(), &AdjustmentQuery { limit: limit + 1, ..q }).await?;
    let more = items.len() as u64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(AdjustmentPage { items, more })
}

/// Awards the points of a first read or an attendance (idempotent on the source), inside the
/// transaction that records the read or the attendance: the ledger entry, with its totals queued
/// for the applier ([`crate::points`]). Other reasons award nothing here. Returns whether points
/// were queued: the caller then wakes the applier after its commit (`ctx.points.queued()`).
pub async fn award_activity(
    tx: &storage::Tx,
    member: MemberId,
    reason: Reason,
    source: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let points = match reason {
        Reason::DocumentRead => ledger::DOCUMENT_READ_POINTS,
        Reason::MeetingAttendance => ledger::MEETING_ATTENDANCE_POINTS,
        _ => return Ok(false),
    };
    storage::study::award_deferred(tx.conn(), &Entry { member, points, reason, source, at }).await
}

// ---------------------------------------------------------------- question bank

/// Why a question-bank operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum BankError<E> {
    /// The caller does not lead (or administer) the bank's unit.
    #[error("not permitted")]
    Forbidden,
    /// The caller's parser refused the question (reported only once the caller is allowed).
    #[error("the request was refused")]
    Request(E),
    /// Storage (a missing document or question is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Adds a question about a document to its issuing unit's bank (that unit's leaders and
/// administrators), audited. `question` is the caller's parse (content and tags).
pub async fn create_question<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    document: documents::DocumentId,
    question: Result<(QuestionContent, Vec<String>), E>,
) -> Result<QuestionRecord, BankError<E>> {
    let now = ctx.clock.now();
    let doc = storage::documents::get(ctx.db.conn(), document).await?;
    let path = crate::unit_path(ctx, doc.issuer_unit_id).await?;
    if !crate::allowed(ctx, who.actor, Action::ManageDocuments, &path) {
        return Err(BankError::Forbidden);
    }
    let (content, tags) = question.map_err(BankError::Request)?;
    let q = QuestionRecord {
        id: QuestionId::from_uuid(Uuid::now_v7()),
        document_id: document.as_uuid(),
        unit_id: doc.issuer_unit_id,
        tags,
        version_id: QuestionVersionId::from_uuid(Uuid::now_v7()),
        version: 1,
        answered: false,
        content,
        created_at: now,
    };
    let tx = ctx.db.begin().await?;
    storage::study::insert_question(tx.conn(), &q).await?;
    audit::record(
        &tx,
        who,
        now,
        "question.create",
        ("question", Some(q.id.as_uuid())),
        Some(q.unit_id),
        serde_json::json!({"document_id": document.as_uuid()}),
    )
    .await?;
    tx.commit().await?;
    Ok(q)
}

/// A question of a bank with its correct answers (the bank unit's leaders and administrators).
pub async fn bank_question(ctx: &Ctx, actor: &Actor, id: QuestionId) -> Result<QuestionRecord, BankError<std::convert::Infallible>> {
    let q = storage::study::get_question(ctx.db.conn(), id).await?;
    let path = crate::unit_path(ctx, q.unit_id).await?;
    if !crate::allowed(ctx, actor, Action::ManageDocuments, &path) {
        return Err(BankError::Forbidden);
    }
    Ok(q)
}

/// Edits a question (the bank unit's leaders and administrators), audited. If its current
/// version has been answered, a new version is created and earlier attempts keep the version they
/// were served.
pub async fn edit_question<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: QuestionId,
    question: Result<(QuestionContent, Vec<String>), E>,
) -> Result<QuestionRecord, BankError<E>> {
    let now = ctx.clock.now();
    let q = bank_question(ctx, who.actor, id).await.map_err(|e| match e {
        BankError::Forbidden => BankError::Forbidden,
        BankError::Store(e) => BankError::Store(e),
        BankError::Request(never) => match never {},
    })?;
    let (content, tags) = question.map_err(BankError::Request)?;
    let tx = ctx.db.begin().await?;
    storage::study::edit_question(tx.conn(), &q, &content, &tags, now).await?;
    audit::record(
        &tx,
        who,
        now,
        "question.edit",
        ("question", Some(q.id.as_uuid())),
        Some(q.unit_id),
        serde_json::json!({"new_version": q.answered}),
    )
    .await?;
    let updated = storage::study::get_question(tx.conn(), q.id).await?;
    tx.commit().await?;
    Ok(updated)
}

// ---------------------------------------------------------------- quizzes

/// Why a quiz cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateQuizError<E> {
    /// The caller does not lead (or administer) the unit.
    #[error("not permitted")]
    Forbidden,
    /// The caller's parser refused the quiz (reported only once the caller is allowed).
    #[error("the request was refused")]
    Request(E),
    /// A fixed question is not in a bank of the unit or above.
    #[error("question {0} is not in a bank of this unit or above")]
    QuestionNotInBank(QuestionId),
    /// Fewer questions match the quiz's documents and tags than it draws.
    #[error("only {available} questions match")]
    NotEnoughQuestions {
        /// How many match.
        available: usize,
    },
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a quiz for a unit's subtree (the unit's leaders and administrators), audited. `quiz`
/// is the caller's parse, with `unit_id`, `created_by` and `created_at` filled in here; its fixed
/// questions must lie in the banks of the unit or the units above it, and a drawn quiz needs at
/// least as many matching questions as it draws.
pub async fn create_quiz<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    unit: UnitId,
    quiz: Result<QuizRecord, E>,
) -> Result<QuizRecord, CreateQuizError<E>> {
    let now = ctx.clock.now();
    let path = crate::unit_path(ctx, unit).await?;
    if !crate::allowed(ctx, who.actor, Action::ManageDocuments, &path) {
        return Err(CreateQuizError::Forbidden);
    }
    let mut q = quiz.map_err(CreateQuizError::Request)?;
    q.unit_id = unit;
    q.created_by = who.actor.account_id;
    q.created_at = now;
    if q.fixed_questions.is_empty() {
        let available = pool(ctx, &q).await?.len();
        if available < q.question_count as usize {
            return Err(CreateQuizError::NotEnoughQuestions { available });
        }
    } else {
        let found = storage::study::questions_by_id(ctx.db.conn(), &q.fixed_questions).await?;
        for id in &q.fixed_questions {
            if !found.iter().any(|x| x.id == *id && path.contains(&x.unit_id)) {
                return Err(CreateQuizError::QuestionNotInBank(*id));
            }
        }
    }
    let tx = ctx.db.begin().await?;
    storage::study::insert_quiz(tx.conn(), &q).await?;
    audit::record(&tx, who, now, "quiz.create", ("quiz", Some(q.id.as_uuid())), Some(unit), serde_json::json!({"title": q.title})).await?;
    tx.commit().await?;
    Ok(q)
}

/// The quizzes open to the caller: organised by their cell or a unit above it, not closed.
pub async fn my_quizzes(ctx: &Ctx, actor: &Actor) -> Result<Vec<QuizRecord>, StoreError> {
    storage::study::quizzes_of(ctx.db.conn(), &actor.home_path, ctx.clock.today()).await
}

// ---------------------------------------------------------------- points

/// Why the caller's points cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum MyPointsError {
    /// The account belongs to no member.
    #[error("not a member")]
    NotAMember,
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The caller's points in a year.
#[derive(Debug, Clone)]
pub struct MyPoints {
    /// Total of the year.
    pub total: i64,
    /// Total of all years.
    pub all_time: i64,
    /// The caller's rank in each unit of their chain, nearest first (the root excluded).
    pub ranks: Vec<(storage::units::UnitRecord, u64)>,
}

/// The caller's total in `year` (0: all time), all-time total and rank at every level of the
/// chain.
pub async fn my_points(ctx: &Ctx, actor: &Actor, year: i32) -> Result<MyPoints, MyPointsError> {
    let member = actor.member_id.ok_or(MyPointsError::NotAMember)?;
    let total = storage::study::total(ctx.db.conn(), member, year).await?;
    let all_time = storage::study::total(ctx.db.conn(), member, 0).await?;
    let units = storage::units::get_many(ctx.db.conn(), &actor.home_path).await?;
    let mut ranks = Vec::new();
    for u in actor.home_path.iter().rev().filter_map(|id| units.iter().find(|x| x.id == *id)).filter(|u| u.parent_id.is_some()) {
        ranks.push((u.clone(), storage::study::rank(ctx.db.conn(), u.id, year, total).await?));
    }
    Ok(MyPoints { total, all_time, ranks })
}

/// A page of the caller's ledger, newest first, `before` the last id of the previous page; the
/// flag says whether more follow.
pub async fn my_ledger(
    ctx: &Ctx,
    actor: &Actor,
    before: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<storage::study::LedgerRow>, bool), MyPointsError> {
    let member = actor.member_id.ok_or(MyPointsError::NotAMember)?;
    let mut rows = storage::study::ledger(ctx.db.conn(), member, before, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, more))
}

// ---------------------------------------------------------------- leaderboards and figures

/// Why a unit's board or figures cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum BoardError<E> {
    /// The caller is neither in the unit's subtree nor a leader over it.
    #[error("not permitted")]
    Forbidden,
    /// The caller's parser refused the query (reported only once the caller is allowed).
    #[error("the request was refused")]
    Request(E),
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One line of a leaderboard: rank (ties share it), member, name, cell, points.
pub type BoardLine = (u64, MemberId, String, UnitId, i64);

/// A unit's leaderboard for a year.
#[derive(Debug, Clone)]
pub struct Board {
    /// The best `limit` members.
    pub top: Vec<BoardLine>,
    /// The caller's rank and points, when the unit is on their chain.
    pub mine: Option<(u64, i64)>,
    /// The members just above and below the caller, when asked for.
    pub around_me: Option<Vec<BoardLine>>,
}

/// The board query: year (0: all time), page size, and whether to add the caller's neighbours.
#[derive(Debug, Clone, Copy)]
pub struct BoardQuery {
    /// Year.
    pub year: i32,
    /// How many lines (1–100).
    pub limit: u64,
    /// Add the members just above and below the caller.
    pub around_me: bool,
}

/// A unit's leaderboard: for members of its subtree and for those who may see its members'
/// private data. Ranks come from the per-total counts (a few hundred rows, not a scan).
pub async fn leaderboard<E>(ctx: &Ctx, actor: &Actor, unit: UnitId, query: Result<BoardQuery, E>) -> Result<Board, BoardError<E>> {
    let path = crate::unit_path(ctx, unit).await?;
    let on_chain = actor.home_path.contains(&unit);
    if !on_chain && !crate::allowed(ctx, actor, Action::ViewMemberPrivate, &path) {
        return Err(BoardError::Forbidden);
    }
    let BoardQuery { year, limit, around_me } = query.map_err(BoardError::Request)?;
    // The board may lag (a read replica, when configured); the caller's own total is read on
    // the primary, so that points just earned show at once.
    let board = ctx.db.reader();
    let rows = storage::study::top(board, unit, year, limit).await?;
    let mut top: Vec<BoardLine> = Vec::with_capacity(rows.len());
    for (i, (m, name, cell, points)) in rows.into_iter().enumerate() {
        let rank = match top.last() {
            Some(last) if last.4 == points => last.0,
            _ => u64::try_from(i).unwrap_or(0) + 1,
        };
        top.push((rank, m, name, cell, points));
    }
    let me = actor.member_id.filter(|_| on_chain);
    let mine = match me {
        Some(m) => {
            let points = storage::study::total(ctx.db.conn(), m, year).await?;
            Some((storage::study::rank(board, unit, year, points).await?, points))
        }
        None => None,
    };
    let around_me = match (around_me, me, mine) {
        (true, Some(m), Some((_, points))) => {
            let rows = storage::study::neighbours(board, unit, year, m, points, limit).await?;
            let mut lines = Vec::with_capacity(rows.len());
            for (id, name, cell, p) in rows {
                lines.push((storage::study::rank(board, unit, year, p).await?, id, name, cell, p));
            }
            Some(lines)
        }
        _ => None,
    };
    Ok(Board { top, mine, around_me })
}

/// A unit's study figures for a year.
#[derive(Debug, Clone)]
pub struct StudyFigures {
    /// Members per band of points: 0, 1–49, 50–99, 100–199, 200–399, 400+.
    pub buckets: [u64; 6],
    /// Members on the yearly target.
    pub on_target: u64,
    /// Members below the target (up to 200, lowest first): member, name, points.
    pub below_target: Vec<(MemberId, String, i64)>,
}

/// The bands of [`StudyFigures::buckets`].
pub const POINT_BANDS: [&str; 6] = ["0", "1-49", "50-99", "100-199", "200-399", "400+"];

/// A unit's study figures against the yearly target (leaders and administrators over the unit).
pub async fn study_figures<E>(ctx: &Ctx, actor: &Actor, unit: UnitId, year: Result<i32, E>) -> Result<StudyFigures, BoardError<E>> {
    let path = crate::unit_path(ctx, unit).await?;
    if !crate::allowed(ctx, actor, Action::ViewMemberPrivate, &path) {
        return Err(BoardError::Forbidden);
    }
    let year = year.map_err(BoardError::Request)?;
    let target = ledger::DEFAULT_YEARLY_TARGET;
    let (buckets, below_target) = storage::study::distribution(ctx.db.conn(), unit, year, target, 200).await?;
    let on_target = storage::study::count_above(ctx.db.conn(), unit, year, target).await?;
    Ok(StudyFigures { buckets, on_target, below_target })
}
