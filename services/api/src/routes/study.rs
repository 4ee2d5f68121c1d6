//! Study: the question bank, quizzes, attempts scored on the server, points, leaderboards,
//! study figures and leaders' adjustments.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use membership::{MemberId, UnitId};
use serde::{Deserialize, Serialize};
use storage::study::{AdjustmentQuery, QuestionRecord, QuizRecord};
use study_points::ledger;
use study_points::question::{Kind, QuestionContent, score};
use study_points::quiz::{self, Period};
use study_points::{AttemptId, QuestionId, QuizId};
use utoipa::openapi::schema::{Array, KnownFormat, Object};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use app::study::{
    AdjustPointsError, AdjustmentsError, AttemptDetail, BankError, BoardError, CreateQuizError, MyPointsError, StartAttemptError,
    SubmitAttemptError, ViewAttemptError,
};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldIssue};
use crate::extract::{Json, Path, Query};
use crate::routes::documents::tags_schema;
use crate::state::AppState;
use crate::views::schema::{
    self, AttemptPeriodCode, BoardLimit, CalendarDate, PageLimit, PointBandCode, PointsReasonCode, QuestionKindCode, TIME_OF_DAY_PATTERN,
    WeekdayCode, YearOrAllTime,
};
use crate::views::{check_dates, check_query_dates, decode_cursor, encode_cursor, page_limit};

/// Longest quiz title, in characters.
pub const QUIZ_TITLE_MAX_CHARS: usize = 300;
/// Leaderboard lines when `limit` is absent.
pub const BOARD_LIMIT_DEFAULT: u64 = 10;
/// Most leaderboard lines.
pub const BOARD_LIMIT_MAX: u64 = 100;

fn prompt_schema() -> Object {
    let max = study_points::question::PROMPT_MAX_CHARS;
    schema::text(1, max).description(Some(format!("The question, 1–{max} characters."))).build()
}

fn options_schema() -> Array {
    use study_points::question::{MAX_OPTIONS, OPTION_MAX_CHARS};
    schema::array(schema::text(1, OPTION_MAX_CHARS), 0, MAX_OPTIONS)
        .description(Some(format!(
            "Options, distinct, each 1–{OPTION_MAX_CHARS} characters: 2–{MAX_OPTIONS} for single choice, 3–{MAX_OPTIONS} for multiple \
             choice, 2 for true/false (which may omit them: `Đúng`/`Sai`)."
        )))
        .build()
}

fn explanation_schema() -> Object {
    let max = study_points::question::EXPLANATION_MAX_CHARS;
    schema::text(0, max).description(Some(format!("Explanation shown after answering, up to {max} characters."))).build()
}

fn quiz_title_schema() -> Object {
    schema::text(1, QUIZ_TITLE_MAX_CHARS)
        .description(Some(format!("Title, 1–{QUIZ_TITLE_MAX_CHARS} characters.")))
        .examples(["Học tập Nghị quyết Đại hội XIV — tuần 1"])
        .build()
}

fn time_of_day(what: &str, example: &str) -> Object {
    schema::nullable_text(5, 5)
        .pattern(Some(TIME_OF_DAY_PATTERN))
        .description(Some(format!("{what} `HH:MM` (Vietnam).")))
        .examples([example])
        .build()
}

fn daily_from_schema() -> Object {
    time_of_day("Daily opening time", "07:30")
}

fn daily_to_schema() -> Object {
    time_of_day("Daily closing time, after the opening time,", "17:30")
}

fn bounded_count(what: &str, max: u32) -> Object {
    schema::integer(KnownFormat::Int32, 1, i64::from(max)).description(Some(format!("{what} (1–{max})."))).build()
}

fn time_limit_schema() -> Object {
    bounded_count("Minutes per attempt", quiz::MAX_TIME_LIMIT_MINUTES)
}

fn max_attempts_schema() -> Object {
    bounded_count("Attempts per period per member", quiz::MAX_ATTEMPTS)
}

fn points_per_correct_schema() -> Object {
    bounded_count("Points per correct answer", quiz::MAX_POINTS_PER_CORRECT)
}

fn question_ids_schema() -> Array {
    let max = quiz::MAX_QUESTIONS as usize;
    schema::array(schema::uuid(), 0, max)
        .description(Some(format!("Fixed question set (in order, at most {max}); when empty, questions are drawn per attempt.")))
        .build()
}

fn question_count_schema() -> Object {
    let max = quiz::MAX_QUESTIONS;
    schema::nullable_integer(KnownFormat::Int32, 1, i64::from(max))
        .description(Some(format!("Random draw: questions per attempt (1–{max}); required without `question_ids`.")))
        .build()
}

fn distribution_schema() -> Object {
    schema::counts_by::<PointBandCode>(KnownFormat::Int64)
        .description(Some("Members per band of yearly points: `0`, `1-49`, `50-99`, `100-199`, `200-399`, `400+`."))
        .build()
}

fn adjustment_points_schema() -> RefOr<Schema> {
    let (max, cap) = (ledger::MAX_ADJUSTMENT_POINTS, ledger::YEARLY_ADJUSTMENT_CAP);
    schema::non_zero_integer(
        KnownFormat::Int64,
        max,
        format!(
            "Points to add (negative to correct), −{max} to {max}, not 0; a member's adjustments in a calendar year (Vietnam), \
             counted as absolute values, stay within {cap} points."
        ),
    )
}

fn adjustment_reason_schema() -> Object {
    let (min, max) = (ledger::ADJUSTMENT_REASON_MIN_CHARS, ledger::ADJUSTMENT_REASON_MAX_CHARS);
    schema::text(min, max).description(Some(format!("Why (required, {min}–{max} characters): the superior reviews it."))).build()
}

// ---------------------------------------------------------------- question bank

/// A question as written (and as shown to the bank's leaders).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionBody {
    /// `single`, `multiple` or `true_false`.
    #[schema(value_type = QuestionKindCode)]
    pub kind: String,
    /// The question.
    #[schema(schema_with = prompt_schema)]
    pub prompt: String,
    /// Options (true/false: may be omitted, `Đúng`/`Sai`).
    #[serde(default)]
    #[schema(schema_with = options_schema)]
    pub options: Vec<String>,
    /// Indices of the correct options (exactly one for single and true/false; two or more, not
    /// all, for multiple).
    pub correct: Vec<usize>,
    /// Explanation shown after answering.
    #[serde(default)]
    #[schema(schema_with = explanation_schema)]
    pub explanation: String,
    /// Tags.
    #[serde(default)]
    #[schema(schema_with = tags_schema)]
    pub tags: Vec<String>,
}

/// A question with its correct answers (the bank's leaders only).
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    /// Id.
    pub id: Uuid,
    /// Document studied.
    pub document_id: Uuid,
    /// Bank unit.
    pub unit_id: Uuid,
    /// Current version number.
    pub version: i32,
    /// Kind.
    #[schema(value_type = QuestionKindCode)]
    pub kind: String,
    /// Question.
    pub prompt: String,
    /// Options.
    pub options: Vec<String>,
    /// Correct option indices.
    pub correct: Vec<usize>,
    /// Explanation.
    pub explanation: String,
    /// Tags.
    pub tags: Vec<String>,
}

fn question_view(q: &QuestionRecord) -> QuestionView {
    QuestionView {
        id: q.id.as_uuid(),
        document_id: q.document_id,
        unit_id: q.unit_id.as_uuid(),
        version: q.version,
        kind: q.content.kind.code().into(),
        prompt: q.content.prompt.clone(),
        options: q.content.options.clone(),
        correct: q.content.correct.clone(),
        explanation: q.content.explanation.clone(),
        tags: q.tags.clone(),
    }
}

fn parse_question(b: &QuestionBody) -> ApiResult<(QuestionContent, Vec<String>)> {
    let kind = Kind::parse(&b.kind).ok_or_else(|| ApiError::field("kind", "not_allowed", "single, multiple or true_false"))?;
    let options: Vec<&str> = b.options.iter().map(String::as_str).collect();
    let content = QuestionContent::parse(kind, &b.prompt, &options, &b.correct, &b.explanation)
        .map_err(|e| ApiError::field(e.field, e.error.code(), e.to_string()))?;
    let tags = documents::model::parse_tags(&b.tags).map_err(|e| ApiError::field("tags", e.code(), e.to_string()))?;
    Ok((content, tags))
}

/// Adds a question about a document to its issuing unit's bank (that unit's leaders and
/// administrators).
#[utoipa::path(post, path = "/api/v1/documents/{id}/questions", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Document id")), request_body = QuestionBody,
    responses((status = 201, body = QuestionView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_question(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<QuestionBody>,
) -> ApiResult<impl IntoResponse> {
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let q = app::study::create_question(&state.ctx(), who, documents::DocumentId::from_uuid(id), parse_question(&body))
        .await
        .map_err(bank_error)?;
    Ok((StatusCode::CREATED, axum::Json(question_view(&q))))
}

fn bank_error(e: BankError<ApiError>) -> ApiError {
    match e {
        BankError::Forbidden => ApiError::Forbidden,
        BankError::Request(e) => e,
        BankError::Store(e) => e.into(),
    }
}

/// A question with its correct answers (the bank unit's leaders and administrators only).
#[utoipa::path(get, path = "/api/v1/questions/{id}", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Question id")),
    responses((status = 200, body = QuestionView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get_question(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<QuestionView>> {
    let q = app::study::bank_question(&state.ctx(), &caller.actor, QuestionId::from_uuid(id)).await.map_err(|e| match e {
        BankError::Forbidden => ApiError::Forbidden,
        BankError::Store(e) => e.into(),
        BankError::Request(never) => match never {},
    })?;
    Ok(axum::Json(question_view(&q)))
}

/// Edits a question. If its current version has been answered, a new version is created and
/// earlier attempts keep the version they were served.
#[utoipa::path(patch, path = "/api/v1/questions/{id}", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Question id")), request_body = QuestionBody,
    responses((status = 200, body = QuestionView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn edit_question(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<QuestionBody>,
) -> ApiResult<axum::Json<QuestionView>> {
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let updated =
        app::study::edit_question(&state.ctx(), who, QuestionId::from_uuid(id), parse_question(&body)).await.map_err(bank_error)?;
    Ok(axum::Json(question_view(&updated)))
}

// ---------------------------------------------------------------- quizzes

/// A new quiz.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuizBody {
    /// Title.
    #[schema(schema_with = quiz_title_schema)]
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// First day (Vietnam).
    #[schema(value_type = CalendarDate)]
    pub opens_on: NaiveDate,
    /// Last day (Vietnam), not before the first.
    #[schema(value_type = CalendarDate)]
    pub closes_on: NaiveDate,
    /// Days of the week (`mon`…`sun`); empty: every day.
    #[serde(default)]
    #[schema(value_type = Vec<WeekdayCode>)]
    pub weekdays: Vec<String>,
    /// Daily opening time `HH:MM` (Vietnam).
    #[schema(schema_with = daily_from_schema)]
    pub daily_from: Option<String>,
    /// Daily closing time `HH:MM` (Vietnam).
    #[schema(schema_with = daily_to_schema)]
    pub daily_to: Option<String>,
    /// Minutes per attempt (1–180).
    #[schema(schema_with = time_limit_schema)]
    pub time_limit_minutes: u32,
    /// Attempts per period per member (1–100).
    #[schema(schema_with = max_attempts_schema)]
    pub max_attempts: u32,
    /// `day`, `week`, `month` or `total`.
    #[schema(value_type = AttemptPeriodCode)]
    pub attempt_period: String,
    /// Points per correct answer (1–100).
    #[schema(schema_with = points_per_correct_schema)]
    pub points_per_correct: u32,
    /// Fixed question set (in order); when empty, questions are drawn per attempt.
    #[serde(default)]
    #[schema(schema_with = question_ids_schema)]
    pub question_ids: Vec<Uuid>,
    /// Random draw: questions per attempt (1–100).
    #[schema(schema_with = question_count_schema)]
    pub question_count: Option<u32>,
    /// Random draw: only questions with one of these tags.
    #[serde(default)]
    #[schema(schema_with = tags_schema)]
    pub tags: Vec<String>,
    /// Random draw: only questions about these documents.
    #[serde(default)]
    pub document_ids: Vec<Uuid>,
}

/// A quiz as shown to members.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuizView {
    /// Id.
    pub id: Uuid,
    /// Organising unit.
    pub unit_id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// First day.
    pub opens_on: NaiveDate,
    /// Last day.
    pub closes_on: NaiveDate,
    /// Weekdays.
    #[schema(value_type = Vec<WeekdayCode>)]
    pub weekdays: Vec<String>,
    /// Daily opening time.
    pub daily_from: Option<String>,
    /// Daily closing time.
    pub daily_to: Option<String>,
    /// Minutes per attempt.
    pub time_limit_minutes: u32,
    /// Attempts per period.
    pub max_attempts: u32,
    /// Period.
    #[schema(value_type = AttemptPeriodCode)]
    pub attempt_period: String,
    /// Points per correct answer.
    pub points_per_correct: u32,
    /// Questions per attempt.
    pub question_count: u32,
    /// Open right now.
    pub open_now: bool,
}

fn quiz_view(q: &QuizRecord, now: DateTime<Utc>) -> QuizView {
    QuizView {
        id: q.id.as_uuid(),
        unit_id: q.unit_id.as_uuid(),
        title: q.title.clone(),
        description: q.description.clone(),
        opens_on: q.opens_on,
        closes_on: q.closes_on,
        weekdays: q.weekdays.clone(),
        daily_from: q.daily_from.clone(),
        daily_to: q.daily_to.clone(),
        time_limit_minutes: q.time_limit_minutes,
        max_attempts: q.max_attempts,
        attempt_period: q.attempt_period.code().to_string(),
        points_per_correct: q.points_per_correct,
        question_count: q.question_count,
        open_now: app::study::window(q).is_open(now),
    }
}

/// Creates a quiz for a unit's subtree (the unit's leaders and administrators). Questions come
/// from the banks of the unit and the units above it.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/quizzes", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")), request_body = QuizBody,
    responses((status = 201, body = QuizView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_quiz(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Json(b): Json<QuizBody>,
) -> ApiResult<impl IntoResponse> {
    let parse = || -> ApiResult<QuizRecord> {
        check_dates(&[("opens_on", Some(b.opens_on)), ("closes_on", Some(b.closes_on))])?;
        let mut issues = Vec::new();
        let title = membership::fields::normalize_text(&b.title);
        if title.is_empty() || title.chars().count() > QUIZ_TITLE_MAX_CHARS {
            issues.push(FieldIssue::new(
                "title",
                if title.is_empty() { "empty" } else { "too_long" },
                format!("1 to {QUIZ_TITLE_MAX_CHARS} characters"),
            ));
        }
        if b.closes_on < b.opens_on {
            issues.push(FieldIssue::new("closes_on", "before_opens_on", "the last day is before the first"));
        }
        if b.weekdays.iter().any(|w| quiz::parse_weekday(w).is_none()) {
            issues.push(FieldIssue::new("weekdays", "not_allowed", "mon, tue, wed, thu, fri, sat, sun"));
        }
        for (field, v) in [("daily_from", &b.daily_from), ("daily_to", &b.daily_to)] {
            if v.is_some() && app::study::hhmm(v).is_none() {
                issues.push(FieldIssue::new(field, "invalid_format", "HH:MM"));
            }
        }
        if let (Some(f), Some(t)) = (app::study::hhmm(&b.daily_from), app::study::hhmm(&b.daily_to))
            && t <= f
        {
            issues.push(FieldIssue::new("daily_to", "before_daily_from", "closing time must be after opening time"));
        }
        let ranges = [
            ("time_limit_minutes", b.time_limit_minutes, 1, quiz::MAX_TIME_LIMIT_MINUTES),
            ("max_attempts", b.max_attempts, 1, quiz::MAX_ATTEMPTS),
            ("points_per_correct", b.points_per_correct, 1, quiz::MAX_POINTS_PER_CORRECT),
        ];
        for (field, v, lo, hi) in ranges {
            if !(lo..=hi).contains(&v) {
                issues.push(FieldIssue::new(field, "out_of_range", format!("{lo} to {hi}")));
            }
        }
        let period = Period::parse(&b.attempt_period);
        if period.is_none() {
            issues.push(FieldIssue::new("attempt_period", "not_allowed", "day, week, month or total"));
        }
        let count =
            if b.question_ids.is_empty() { b.question_count.unwrap_or(0) } else { u32::try_from(b.question_ids.len()).unwrap_or(u32::MAX) };
        if !(1..=quiz::MAX_QUESTIONS).contains(&count) {
            issues.push(FieldIssue::new(
                if b.question_ids.is_empty() { "question_count" } else { "question_ids" },
                "out_of_range",
                format!("1 to {} questions", quiz::MAX_QUESTIONS),
            ));
        }
        if !issues.is_empty() {
            return Err(ApiError::Validation(issues));
        }
        let tags = documents::model::parse_tags(&b.tags).map_err(|e| ApiError::field("tags", e.code(), e.to_string()))?;
        let q = QuizRecord {
            id: QuizId::from_uuid(Uuid::now_v7()),
            unit_id: UnitId::from_uuid(unit),
            title,
            description: b.description.trim().to_string(),
            opens_on: b.opens_on,
            closes_on: b.closes_on,
            weekdays: b.weekdays.clone(),
            daily_from: b.daily_from.clone(),
            daily_to: b.daily_to.clone(),
            time_limit_minutes: b.time_limit_minutes,
            max_attempts: b.max_attempts,
            attempt_period: period.unwrap_or(Period::Week),
            points_per_correct: b.points_per_correct,
            question_count: count,
            selection: if b.question_ids.is_empty() { "random" } else { "fixed" }.into(),
            tags,
            document_ids: b.document_ids.clone(),
            fixed_questions: b.question_ids.iter().map(|u| QuestionId::from_uuid(*u)).collect(),
            created_by: None,
            created_at: caller.now,
        };
        Ok(q)
    };
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let q = app::study::create_quiz(&state.ctx(), who, UnitId::from_uuid(unit), parse()).await.map_err(|e| match e {
        CreateQuizError::Forbidden => ApiError::Forbidden,
        CreateQuizError::Request(e) => e,
        CreateQuizError::QuestionNotInBank(id) => {
            ApiError::field("question_ids", "not_found", format!("question {id} is not in a bank of this unit or above"))
        }
        CreateQuizError::NotEnoughQuestions { available } => {
            ApiError::field("question_count", "not_enough_questions", format!("only {available} questions match"))
        }
        CreateQuizError::Store(e) => e.into(),
    })?;
    Ok((StatusCode::CREATED, axum::Json(quiz_view(&q, caller.now))))
}

/// Quiz list query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QuizzesQuery {
    /// Only quizzes open right now.
    pub open: Option<bool>,
}

/// The quizzes available to the caller: organised by their cell or a unit above it, not closed.
#[utoipa::path(get, path = "/api/v1/quizzes", tag = "study", security(("bearer" = [])), params(QuizzesQuery),
    responses((status = 200, body = Vec<QuizView>)))]
pub async fn list_quizzes(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<QuizzesQuery>,
) -> ApiResult<axum::Json<Vec<QuizView>>> {
    let quizzes = app::study::my_quizzes(&state.ctx(), &caller.actor).await?;
    Ok(axum::Json(quizzes.iter().map(|x| quiz_view(x, caller.now)).filter(|v| !q.open.unwrap_or(false) || v.open_now).collect()))
}

// ---------------------------------------------------------------- attempts

/// A question as served during an attempt: no correct answer, no explanation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServedQuestion {
    /// Question id.
    pub question_id: Uuid,
    /// Kind.
    #[schema(value_type = QuestionKindCode)]
    pub kind: String,
    /// Question.
    pub prompt: String,
    /// Options.
    pub options: Vec<String>,
}

/// A scored answer, shown after submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoredAnswer {
    /// Question id.
    pub question_id: Uuid,
    /// The member's answer.
    pub answer: Vec<usize>,
    /// Correct option indices.
    pub correct: Vec<usize>,
    /// Whether the answer was right.
    pub right: bool,
    /// Explanation.
    pub explanation: String,
}

/// An attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// Id.
    pub id: Uuid,
    /// Quiz.
    pub quiz_id: Uuid,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// Answers are accepted until this time (plus a 30-second grace): the start plus the time
    /// limit, or the moment the quiz's window closes if that comes first.
    pub deadline: DateTime<Utc>,
    /// Questions in order (no correct answers).
    pub questions: Vec<ServedQuestion>,
    /// Submission time.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Correct answers (after submission).
    pub correct_count: Option<u32>,
    /// Points awarded by this attempt (repeated correct answers within a quiz earn nothing).
    pub points: Option<i64>,
    /// Scored answers with correct options and explanations: after submission, and only while no
    /// other attempt of the member at the quiz is running (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<ScoredAnswer>>,
}

fn attempt_view(d: &AttemptDetail) -> AttemptView {
    let a = &d.attempt;
    let questions = d
        .versions
        .iter()
        .map(|(_, qid, c)| ServedQuestion {
            question_id: qid.as_uuid(),
            kind: c.kind.code().into(),
            prompt: c.prompt.clone(),
            options: c.options.clone(),
        })
        .collect();
    // Correct answers and explanations only for a submitted attempt.
    let results = a.answers.as_ref().filter(|_| d.reveals_answers()).map(|answers| {
        d.versions
            .iter()
            .zip(answers.iter())
            .map(|((_, qid, c), ans)| ScoredAnswer {
                question_id: qid.as_uuid(),
                answer: ans.clone(),
                correct: c.correct.clone(),
                right: score(c, ans),
                explanation: c.explanation.clone(),
            })
            .collect()
    });
    AttemptView {
        id: a.id.as_uuid(),
        quiz_id: a.quiz_id.as_uuid(),
        started_at: a.started_at,
        deadline: a.deadline,
        questions,
        submitted_at: a.submitted_at,
        correct_count: a.correct_count,
        points: a.points,
        results,
    }
}

/// Starts an attempt (members of the organising unit's subtree, inside the window and the
/// attempt limit). The questions come back without their answers.
#[utoipa::path(post, path = "/api/v1/quizzes/{id}/attempts", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Quiz id")),
    responses((status = 201, body = AttemptView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn start(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let attempt = app::study::start_attempt(&state.ctx(), &caller.actor, QuizId::from_uuid(id)).await.map_err(|e| match e {
        StartAttemptError::Forbidden => ApiError::Forbidden,
        StartAttemptError::Refused(e) => ApiError::Conflict { code: e.code(), detail: e.to_string() },
        StartAttemptError::NoQuestions => ApiError::Rule { code: "not_enough_questions", detail: "the quiz has no questions".into() },
        StartAttemptError::Store(e) => e.into(),
    })?;
    Ok((StatusCode::CREATED, axum::Json(attempt_view(&attempt))))
}

/// Answers of an attempt.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// For each served question, in order, the selected option indices.
    pub answers: Vec<Vec<usize>>,
}

/// Submits the answers: scored on the server, points awarded once per question and quiz
/// (idempotent: a retried or concurrent submit returns the same result and awards nothing more).
/// Submissions after the deadline (the time limit, cut at the quiz window's close) plus 30 s are
/// refused and the attempt earns nothing. A question served in an earlier submitted attempt of the
/// member at the quiz earns nothing again (its correct answer was shown).
#[utoipa::path(post, path = "/api/v1/attempts/{id}/submit", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Attempt id")), request_body = SubmitBody,
    responses((status = 200, body = AttemptView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<SubmitBody>,
) -> ApiResult<axum::Json<AttemptView>> {
    let attempt =
        app::study::submit_attempt(&state.ctx(), &caller.actor, AttemptId::from_uuid(id), &body.answers).await.map_err(|e| match e {
            SubmitAttemptError::Forbidden => ApiError::Forbidden,
            SubmitAttemptError::Expired => {
                ApiError::Conflict { code: "attempt_expired", detail: "the time limit has passed; the attempt earns nothing".into() }
            }
            SubmitAttemptError::AnswerCount { expected } => {
                ApiError::field("answers", "invalid_length", format!("one answer per question: {expected} expected"))
            }
            SubmitAttemptError::InvalidOption { index } => {
                ApiError::field(format!("answers[{index}]"), "invalid_option", "option indices of the question")
            }
            SubmitAttemptError::Store(e) => e.into(),
        })?;
    Ok(axum::Json(attempt_view(&attempt)))
}

/// An attempt (its member; leaders over the member's cell). Correct answers only after submission.
#[utoipa::path(get, path = "/api/v1/attempts/{id}", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Attempt id")),
    responses((status = 200, body = AttemptView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get_attempt(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<AttemptView>> {
    let attempt = app::study::view_attempt(&state.ctx(), &caller.actor, AttemptId::from_uuid(id)).await.map_err(|e| match e {
        ViewAttemptError::Forbidden => ApiError::Forbidden,
        ViewAttemptError::Store(e) => e.into(),
    })?;
    Ok(axum::Json(attempt_view(&attempt)))
}

// ---------------------------------------------------------------- points and leaderboards

/// Year query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    /// Calendar year (default: this year in Vietnam), 1900–2100; `0` for all time.
    #[param(inline, value_type = YearOrAllTime, required = false)]
    pub year: Option<i32>,
}

/// A rank within one unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRank {
    /// The unit.
    pub unit_id: Uuid,
    /// Its name.
    pub unit_name: String,
    /// Rank (ties share a rank).
    pub rank: u64,
}

/// The caller's points.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyPoints {
    /// Year (0: all time).
    pub year: i32,
    /// Points in the year.
    pub total: i64,
    /// Points since joining.
    pub all_time: i64,
    /// Yearly target.
    pub target: i64,
    /// More than the target.
    pub on_target: bool,
    /// Ranks in the cell and each unit above it.
    pub ranks: Vec<UnitRank>,
}

fn board_error(e: BoardError<ApiError>) -> ApiError {
    match e {
        BoardError::Forbidden => ApiError::Forbidden,
        BoardError::Request(e) => e,
        BoardError::Store(e) => e.into(),
    }
}

fn points_error(e: MyPointsError) -> ApiError {
    match e {
        MyPointsError::NotAMember => ApiError::Forbidden,
        MyPointsError::Store(e) => e.into(),
    }
}

fn year_of(q: &YearQuery, caller: &Caller) -> ApiResult<i32> {
    match q.year {
        None => Ok(caller.today().year()),
        Some(y @ (0 | membership::time::MIN_YEAR..=membership::time::MAX_YEAR)) => Ok(y),
        Some(_) => Err(ApiError::BadRequest { code: "invalid_query", detail: "year must be 0 or between 1900 and 2100".into() }),
    }
}

/// The caller's points for a year, their target and their ranks along their chain. The total
/// counts every point the moment it is awarded (a first read or a check-in included); the ranks
/// compare it with the other members' applied totals, which follow first reads and check-ins
/// within about a second.
#[utoipa::path(get, path = "/api/v1/me/points", tag = "study", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = MyPoints), (status = 403, body = crate::error::Problem)))]
pub async fn my_points(State(state): State<AppState>, caller: Caller, Query(q): Query<YearQuery>) -> ApiResult<axum::Json<MyPoints>> {
    let year = year_of(&q, &caller)?;
    let mine = app::study::my_points(&state.ctx(), &caller.actor, year).await.map_err(points_error)?;
    let (total, all_time) = (mine.total, mine.all_time);
    let ranks = mine.ranks.into_iter().map(|(u, rank)| UnitRank { unit_id: u.id.as_uuid(), unit_name: u.name, rank }).collect();
    let target = ledger::DEFAULT_YEARLY_TARGET;
    Ok(axum::Json(MyPoints { year, total, all_time, target, on_target: ledger::on_target(total, target), ranks }))
}

/// One ledger entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntryView {
    /// Id.
    pub id: Uuid,
    /// Points (negative for a correction).
    pub points: i64,
    /// `quiz_answer`, `document_read`, `meeting_attendance`, `adjustment`.
    #[schema(value_type = PointsReasonCode)]
    pub reason: String,
    /// What it is for.
    pub source_id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Adjustment reason.
    pub note: Option<String>,
}

/// A page of ledger entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerPage {
    /// Entries, newest first.
    pub items: Vec<LedgerEntryView>,
    /// Next page.
    pub next_cursor: Option<String>,
}

/// Ledger query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(inline, value_type = PageLimit, required = false)]
    pub limit: Option<u64>,
}

/// The caller's points ledger, newest first.
#[utoipa::path(get, path = "/api/v1/me/points/ledger", tag = "study", security(("bearer" = [])), params(LedgerQuery),
    responses((status = 200, body = LedgerPage), (status = 403, body = crate::error::Problem)))]
pub async fn my_ledger(State(state): State<AppState>, caller: Caller, Query(q): Query<LedgerQuery>) -> ApiResult<axum::Json<LedgerPage>> {
    let limit = page_limit(q.limit)?;
    let before = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let (rows, more) = app::study::my_ledger(&state.ctx(), &caller.actor, before, limit).await.map_err(points_error)?;
    let next_cursor = if more { rows.last().map(|r| encode_cursor(r.id)) } else { None };
    Ok(axum::Json(LedgerPage {
        items: rows
            .into_iter()
            .map(|r| LedgerEntryView {
                id: r.id,
                points: r.entry.points,
                reason: r.entry.reason.code().into(),
                source_id: r.entry.source,
                at: r.entry.at,
                note: r.note,
            })
            .collect(),
        next_cursor,
    }))
}

/// Leaderboard query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    /// Year (default this year; 0: all time), 1900–2100.
    #[param(inline, value_type = YearOrAllTime, required = false)]
    pub year: Option<i32>,
    /// Top N (1–100, default 10).
    #[param(inline, value_type = BoardLimit, required = false)]
    pub limit: Option<u64>,
    /// Also list the members ranked just above and below the caller (up to `limit` each side).
    pub around_me: Option<bool>,
}

/// One leaderboard line.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardLine {
    /// Rank (ties share a rank).
    pub rank: u64,
    /// Member.
    pub member_id: Uuid,
    /// Name.
    pub full_name: String,
    /// Cell.
    pub unit_id: Uuid,
    /// Points.
    pub points: i64,
}

/// A leaderboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct Leaderboard {
    /// Unit.
    pub unit_id: Uuid,
    /// Year.
    pub year: i32,
    /// Top N.
    pub top: Vec<BoardLine>,
    /// The caller's rank, if a member of the subtree.
    pub my_rank: Option<u64>,
    /// The caller's points.
    pub my_points: Option<i64>,
    /// With `around_me=true`: the members just above and below the caller, the caller included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub around_me: Option<Vec<BoardLine>>,
}

/// The leaderboard of a unit's subtree: units on the caller's own chain (cell, commune,
/// province…), or units the caller leads or administers. The points of first reads and check-ins
/// (điểm đọc tài liệu, điểm dự sinh hoạt) reach the leaderboard within about a second of the
/// award (they are applied in batches off the request); quiz points and adjustments at once.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/leaderboard", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id"), BoardQuery),
    responses((status = 200, body = Leaderboard), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn leaderboard(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Query(q): Query<BoardQuery>,
) -> ApiResult<axum::Json<Leaderboard>> {
    let query = year_of(&YearQuery { year: q.year }, &caller).and_then(|year| {
        let limit = match q.limit {
            None => BOARD_LIMIT_DEFAULT,
            Some(n @ 1..=BOARD_LIMIT_MAX) => n,
            Some(_) => {
                return Err(ApiError::BadRequest {
                    code: "invalid_query",
                    detail: format!("limit must be between 1 and {BOARD_LIMIT_MAX}"),
                });
            }
        };
        Ok(app::study::BoardQuery { year, limit, around_me: q.around_me.unwrap_or(false) })
    });
    let year = query.as_ref().map_or(0, |q| q.year);
    let board = app::study::leaderboard(&state.ctx(), &caller.actor, UnitId::from_uuid(unit), query).await.map_err(board_error)?;
    let line = |(rank, m, name, cell, points): app::study::BoardLine| BoardLine {
        rank,
        member_id: m.as_uuid(),
        full_name: name,
        unit_id: cell.as_uuid(),
        points,
    };
    Ok(axum::Json(Leaderboard {
        unit_id: unit,
        year,
        top: board.top.into_iter().map(line).collect(),
        my_rank: board.mine.map(|(rank, _)| rank),
        my_points: board.mine.map(|(_, points)| points),
        around_me: board.around_me.map(|lines| lines.into_iter().map(line).collect()),
    }))
}

/// A member below the target.
#[derive(Debug, Serialize, ToSchema)]
pub struct BelowTarget {
    /// Member.
    pub member_id: Uuid,
    /// Name.
    pub full_name: String,
    /// Points this year.
    pub points: i64,
}

/// Study figures of a subtree.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudyStats {
    /// Year.
    pub year: i32,
    /// Yearly target.
    pub target: i64,
    /// Active members.
    pub members: u64,
    /// Members above the target.
    pub on_target: u64,
    /// Share above the target.
    pub on_target_share: f64,
    /// Members per bucket of yearly points: `0`, `1-49`, `50-99`, `100-199`, `200-399`, `400+`.
    #[schema(schema_with = distribution_schema)]
    pub distribution: HashMap<String, u64>,
    /// Members at or below the target, lowest first (at most 200).
    pub below_target: Vec<BelowTarget>,
}

/// Study figures of a unit's subtree for a year (leaders, committee members and administrators
/// over the unit).
#[utoipa::path(get, path = "/api/v1/org-units/{id}/study-stats", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id"), YearQuery),
    responses((status = 200, body = StudyStats), (status = 403, body = crate::error::Problem)))]
pub async fn study_stats(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Query(q): Query<YearQuery>,
) -> ApiResult<axum::Json<StudyStats>> {
    let year = year_of(&q, &caller);
    let shown_year = year.as_ref().map_or(0, |y| *y);
    let f = app::study::study_figures(&state.ctx(), &caller.actor, UnitId::from_uuid(unit), year).await.map_err(board_error)?;
    let target = ledger::DEFAULT_YEARLY_TARGET;
    let members: u64 = f.buckets.iter().sum();
    Ok(axum::Json(StudyStats {
        year: shown_year,
        target,
        members,
        on_target: f.on_target,
        on_target_share: if members == 0 { 0.0 } else { f.on_target as f64 / members as f64 },
        distribution: app::study::POINT_BANDS.iter().zip(f.buckets.iter()).map(|(l, n)| ((*l).to_string(), *n)).collect(),
        below_target: f
            .below_target
            .into_iter()
            .map(|(m, name, points)| BelowTarget { member_id: m.as_uuid(), full_name: name, points })
            .collect(),
    }))
}

/// A leader's adjustment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentBody {
    /// Points to add (negative to correct), −1000 to 1000, not 0; a member's adjustments in a
    /// calendar year (Vietnam), counted as absolute values, stay within 100 points.
    #[schema(schema_with = adjustment_points_schema)]
    pub points: i64,
    /// Why (required, 10–1000 characters): the superior reviews it.
    #[schema(schema_with = adjustment_reason_schema)]
    pub reason: String,
}

/// Adds a manual ledger entry for a member (secretaries and deputies over the member's cell,
/// administrators; never to oneself, and to the holder of a position only those who may appoint
/// to it). Corrections are new negative entries, never edits. A member's adjustments in a
/// calendar year in Vietnam, counted as absolute values and whoever made them, stay within
/// `study_points::ledger::YEARLY_ADJUSTMENT_CAP` (100): beyond it, 422 `adjustment_cap_exceeded`;
/// concurrent adjustments cannot together pass it. Listed for review at
/// `GET /api/v1/org-units/{id}/points/adjustments`.
#[utoipa::path(post, path = "/api/v1/members/{id}/points/adjustments", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Member id")), request_body = AdjustmentBody,
    responses((status = 201, body = LedgerEntryView),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: not a leader or administrator over the member's cell; `acting_on_self`: one's own points; `acting_on_superior`: the member holds a position the caller may not appoint to"),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json", description = "`validation_failed`: points or reason invalid; `adjustment_cap_exceeded`: over the member's yearly cap")))]
pub async fn adjust(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<AdjustmentBody>,
) -> ApiResult<impl IntoResponse> {
    let reason = membership::fields::normalize_text(&body.reason);
    let mut issues = Vec::new();
    if body.points == 0 || !(-ledger::MAX_ADJUSTMENT_POINTS..=ledger::MAX_ADJUSTMENT_POINTS).contains(&body.points) {
        issues.push(FieldIssue::new("points", "out_of_range", format!("−{0} to {0}, not 0", ledger::MAX_ADJUSTMENT_POINTS)));
    }
    let length = reason.chars().count();
    if !(ledger::ADJUSTMENT_REASON_MIN_CHARS..=ledger::ADJUSTMENT_REASON_MAX_CHARS).contains(&length) {
        issues.push(FieldIssue::new(
            "reason",
            if reason.is_empty() {
                "empty"
            } else if length < ledger::ADJUSTMENT_REASON_MIN_CHARS {
                "too_short"
            } else {
                "too_long"
            },
            format!("{} to {} characters", ledger::ADJUSTMENT_REASON_MIN_CHARS, ledger::ADJUSTMENT_REASON_MAX_CHARS),
        ));
    }
    let request = if issues.is_empty() { Ok((body.points, reason.clone())) } else { Err(ApiError::Validation(issues)) };
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let entry = app::study::adjust_points(&state.ctx(), who, MemberId::from_uuid(id), request).await.map_err(|e| match e {
        AdjustPointsError::Forbidden => ApiError::Forbidden,
        AdjustPointsError::Refused(e) => e.into(),
        AdjustPointsError::Request(e) => e,
        e @ AdjustPointsError::OverCap { .. } => ApiError::Rule { code: "adjustment_cap_exceeded", detail: e.to_string() },
        AdjustPointsError::Store(e) => e.into(),
    })?;
    Ok((
        StatusCode::CREATED,
        axum::Json(LedgerEntryView {
            id: entry.source,
            points: entry.points,
            reason: entry.reason.code().into(),
            source_id: entry.source,
            at: entry.at,
            note: Some(reason),
        }),
    ))
}

/// Which adjustments to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentsQuery {
    /// Made on or after this day (Vietnam's calendar).
    #[param(inline, value_type = CalendarDate, required = false)]
    pub from: Option<NaiveDate>,
    /// Made on or before this day (Vietnam's calendar).
    #[param(inline, value_type = CalendarDate, required = false)]
    pub to: Option<NaiveDate>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(inline, value_type = PageLimit, required = false)]
    pub limit: Option<u64>,
}

/// One manual adjustment, for review.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentView {
    /// The ledger entry's id.
    pub id: Uuid,
    /// The member adjusted.
    pub member_id: Uuid,
    /// Their name.
    pub member_name: String,
    /// Their cell when adjusted.
    pub unit_id: Uuid,
    /// Points (negative for a correction).
    pub points: i64,
    /// The reason given.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// The account that made it.
    pub adjusted_by_account_id: Option<Uuid>,
    /// Its username.
    pub adjusted_by_username: Option<String>,
    /// The name of the member behind that account (none for an administrator without one).
    pub adjusted_by_name: Option<String>,
}

/// A page of adjustments.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentPage {
    /// Newest first.
    pub items: Vec<AdjustmentView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The manual point adjustments made to members of the unit's subtree (where the member's cell
/// was when adjusted), newest first: who adjusted whom, by how much, why and when — the superior's
/// review of the leaders below. Secretaries and deputies of the unit or of a unit above it, and
/// administrators over it.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/points/adjustments", tag = "study", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id"), AdjustmentsQuery),
    responses((status = 200, body = AdjustmentPage), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn adjustments(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Query(q): Query<AdjustmentsQuery>,
) -> ApiResult<axum::Json<AdjustmentPage>> {
    let limit = page_limit(q.limit)?;
    let before = q.cursor.as_deref().map(decode_cursor).transpose()?;
    check_query_dates(&[q.from, q.to])?;
    let query = AdjustmentQuery {
        unit: UnitId::from_uuid(unit),
        from: q.from.map(membership::time::start_of_day),
        until: q.to.and_then(|d| d.succ_opt()).map(membership::time::start_of_day),
        before,
        limit,
    };
    let page = app::study::adjustments(&state.ctx(), &caller.actor, query).await.map_err(|e| match e {
        AdjustmentsError::Forbidden => ApiError::Forbidden,
        AdjustmentsError::Store(e) => e.into(),
    })?;
    let next_cursor = if page.more { page.items.last().map(|r| encode_cursor(r.id)) } else { None };
    let items = page
        .items
        .into_iter()
        .map(|r| AdjustmentView {
            id: r.id,
            member_id: r.member_id.as_uuid(),
            member_name: r.member_name,
            unit_id: r.unit_id.as_uuid(),
            points: r.points,
            reason: r.note,
            at: r.at,
            adjusted_by_account_id: r.adjusted_by.map(|a| a.as_uuid()),
            adjusted_by_username: r.adjusted_by_username,
            adjusted_by_name: r.adjusted_by_name,
        })
        .collect();
    Ok(axum::Json(AdjustmentPage { items, next_cursor }))
}
