//! Generated reports (*báo cáo*): requesting a report of a unit, its status, its file, and a
//! unit's reports, over `app::reports`. The files are written by the report generator
//! (`services/report-generator`) into the reports directory this server reads them from.

use app::audit::Requester;
use app::reports::{self, ListFilter, NewReport, ReportsError};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use membership::{MemberId, UnitId};
use serde::{Deserialize, Serialize};
use storage::reports::ReportRecord;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::views::schema::code_enum;

code_enum!(
    /// `reports::ReportKind`.
    ReportKindCode = "ReportKind",
    "Kind of report: `cell_month` (báo cáo sinh hoạt chi bộ tháng: a cell, a month), `activity` (activity roll-up of a subtree), `membership` (tăng giảm đảng viên: membership changes of a subtree), `member_year` (a unit's members' year sheet for the annual review: a year).",
    ::reports::ReportKind::ALL.map(|k| k.code())
);
code_enum!(
    /// `reports::Format`.
    ReportFormatCode = "ReportFormat",
    "File format: `xlsx` (one sheet per level), `csv` (UTF-8 with BOM, the main table), `html` (self-contained, SVG charts, A4 print stylesheet), `pdf` (A4, Party header and signature block; `cell_month` and `member_year` only).",
    ::reports::Format::ALL.map(|f| f.code())
);
code_enum!(
    /// The status of a generated report.
    GeneratedReportStatusCode = "GeneratedReportStatus",
    "`queued` (waiting for a generator), `running` (being generated; see `progress`), `done` (the file is ready), `failed` (generation failed `attempts` times; `error` says why; a previous file, if any, stays available).",
    ["queued", "running", "done", "failed"]
);

/// A period: a month, a quarter or a year.
pub const PERIOD_PATTERN: &str = r"^(2[0-9]{3})(-(0[1-9]|1[0-2])|-Q[1-4])?$";

fn period_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(PERIOD_PATTERN))
        .description(Some(
            "Period in Vietnam's calendar: a month `YYYY-MM`, a quarter `YYYY-Qn` or a year `YYYY` (2000–2100). `cell_month` takes a month, `member_year` a year, the roll-ups any.",
        ))
        .examples(["2026-10"])
        .build()
}

fn sha256_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some("^[0-9a-f]{64}$"))
        .description(Some("Hex SHA-256 of the current file; `null` until one is generated."))
        .build()
}

/// A report request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// What report.
    #[schema(value_type = ReportKindCode)]
    pub kind: String,
    /// For which period.
    #[schema(schema_with = period_schema)]
    pub period: String,
    /// In which format.
    #[schema(value_type = ReportFormatCode)]
    pub format: String,
    /// `member_year` only: one member's sheet (a member asking for their own sheet names
    /// themselves and their own cell); omitted: every member of the unit.
    #[serde(default)]
    pub member_id: Option<Uuid>,
}

fn parse_body(b: RequestBody) -> Result<NewReport, ApiError> {
    let mut issues = Vec::new();
    let kind = ::reports::ReportKind::from_code(&b.kind);
    if kind.is_none() {
        issues.push(crate::error::FieldIssue::new("kind", "not_allowed", "one of cell_month, activity, membership, member_year"));
    }
    let period = ::reports::Period::parse(&b.period).ok();
    if period.is_none() {
        issues.push(crate::error::FieldIssue::new("period", "invalid_format", "a month (2026-10), a quarter (2026-Q4) or a year (2026)"));
    }
    let format = ::reports::Format::from_code(&b.format);
    if format.is_none() {
        issues.push(crate::error::FieldIssue::new("format", "not_allowed", "one of xlsx, csv, html, pdf"));
    }
    match (kind, period, format) {
        (Some(kind), Some(period), Some(format)) if issues.is_empty() => {
            Ok(NewReport { kind, period, format, member: b.member_id.map(MemberId::from_uuid) })
        }
        _ => Err(ApiError::Validation(issues)),
    }
}

/// A report and its file.
#[derive(Debug, Serialize, ToSchema)]
pub struct GeneratedReportView {
    /// Id (stable: regenerating the same kind, unit, period, format and member keeps it).
    pub id: Uuid,
    /// Kind.
    #[schema(value_type = ReportKindCode)]
    pub kind: String,
    /// The unit reported on.
    pub unit_id: Uuid,
    /// Period.
    #[schema(schema_with = period_schema)]
    pub period: String,
    /// Format.
    #[schema(value_type = ReportFormatCode)]
    pub format: String,
    /// `member_year` for one member: that member.
    pub member_id: Option<Uuid>,
    /// Status.
    #[schema(value_type = GeneratedReportStatusCode)]
    pub status: String,
    /// Share generated, 0–100 (100 once done).
    #[schema(minimum = 0, maximum = 100)]
    pub progress: i32,
    /// When it was last requested.
    pub requested_at: DateTime<Utc>,
    /// Generation attempts since the last request.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Hex SHA-256 of the current file.
    #[schema(schema_with = sha256_schema)]
    pub checksum: Option<String>,
    /// Size of the current file in bytes.
    pub size_bytes: Option<i64>,
    /// When the current file was generated.
    pub generated_at: Option<DateTime<Utc>>,
    /// The instant the current file's figures were read at (data cut-off).
    pub data_cutoff: Option<DateTime<Utc>>,
    /// This resource.
    #[schema(example = "/api/v1/reports/0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b")]
    pub url: String,
    /// The current file, once there is one.
    #[schema(example = "/api/v1/reports/0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b/file")]
    pub file_url: Option<String>,
}

fn view(r: &ReportRecord) -> GeneratedReportView {
    GeneratedReportView {
        id: r.id,
        kind: r.key.kind.clone(),
        unit_id: r.key.unit_id.as_uuid(),
        period: r.key.period.clone(),
        format: r.key.format.clone(),
        member_id: Uuid::parse_str(&r.key.subject).ok(),
        status: r.status.clone(),
        progress: r.progress,
        requested_at: r.requested_at,
        attempts: r.attempts,
        error: r.last_error.clone(),
        checksum: r.checksum.clone(),
        size_bytes: r.size_bytes,
        generated_at: r.generated_at,
        data_cutoff: r.data_cutoff,
        url: format!("/api/v1/reports/{}", r.id),
        file_url: r.file_name.as_ref().map(|_| format!("/api/v1/reports/{}/file", r.id)),
    }
}

fn error<E: Into<ApiError>>(e: ReportsError<E>) -> ApiError {
    match e {
        ReportsError::Forbidden => ApiError::Forbidden,
        ReportsError::Request(e) => e.into(),
        ReportsError::Inapplicable(i) => ApiError::Rule { code: i.code(), detail: i.to_string() },
        ReportsError::NotReady(r) => {
            ApiError::Conflict { code: "report_not_ready", detail: format!("the report is {}; its file is not generated yet", r.status) }
        }
        ReportsError::Store(e) => e.into(),
    }
}

impl From<std::convert::Infallible> for ApiError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// Requests a report of the unit; the report generator writes it. Leaders (secretaries and
/// deputies of the unit or above) and administrators over the unit may request any report of it;
/// a member may request their own year sheet (`member_year`, their own cell, `member_id` = their
/// own id). Requesting a report that is done or failed generates it again (the current file stays
/// available until the new one replaces it; unchanged figures keep the same file and checksum);
/// one already queued or running is returned as it is.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/reports", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Unit id")), request_body = RequestBody,
    responses(
        (status = 202, body = GeneratedReportView, description = "Queued (or already queued or running)",
            headers(("Location" = String, description = "The report's URL, `/api/v1/reports/{id}`"))),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json", description = "Malformed JSON"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: not a leader or administrator over the unit, and not the caller's own year sheet"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json", description = "No such unit"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json",
            description = "`validation_failed` (unknown kind or format, malformed period), or the report does not apply: `period_not_for_kind`, `format_not_for_kind`, `unit_not_a_cell`, `member_not_for_kind`, `member_not_in_unit`")))]
pub async fn request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<RequestBody>,
) -> ApiResult<impl IntoResponse> {
    let who = Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let (row, _) = reports::request(&state.ctx(), who, UnitId::from_uuid(id), parse_body(body)).await.map_err(error)?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/reports/{}", row.id)) {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::ACCEPTED, headers, Json(view(&row))))
}

/// A unit's reports query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this kind.
    #[param(inline, value_type = Option<ReportKindCode>)]
    pub kind: Option<String>,
    /// Only this period (`YYYY-MM`, `YYYY-Qn` or `YYYY`).
    #[param(pattern = r"^(2[0-9]{3})(-(0[1-9]|1[0-2])|-Q[1-4])?$")]
    pub period: Option<String>,
}

fn parse_list(q: ListQuery) -> Result<ListFilter, ApiError> {
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(
            ::reports::ReportKind::from_code(k)
                .ok_or_else(|| ApiError::field("kind", "not_allowed", "one of cell_month, activity, membership, member_year"))?,
        ),
    };
    let period = match q.period.as_deref() {
        None => None,
        Some(p) => Some(
            ::reports::Period::parse(p)
                .map_err(|_| ApiError::field("period", "invalid_format", "a month (2026-10), a quarter (2026-Q4) or a year (2026)"))?,
        ),
    };
    Ok(ListFilter { kind, period })
}

/// A unit's reports, most recently requested first (at most 200): every report for its leaders
/// and administrators; a member of the cell sees their own year sheets.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/reports", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Unit id"), ListQuery),
    responses((status = 200, body = Vec<GeneratedReportView>),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json", description = "Unknown query parameter"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json", description = "No such unit"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json", description = "`validation_failed`: unknown kind or malformed period")))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<GeneratedReportView>>> {
    let rows = reports::list(&state.ctx(), &caller.actor, UnitId::from_uuid(id), parse_list(q)).await.map_err(error)?;
    Ok(Json(rows.iter().map(view).collect()))
}

/// A report's status: progress, checksum, generation time and data cut-off (for whoever may
/// request it).
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Report id")),
    responses((status = 200, body = GeneratedReportView),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json", description = "No such report")))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<GeneratedReportView>> {
    let row = reports::report(&state.ctx(), &caller.actor, id).await.map_err(error)?;
    Ok(Json(view(&row)))
}

/// The report's current file (streamed), with its media type, a `Content-Disposition` naming it
/// and its SHA-256 as the `ETag`.
#[utoipa::path(get, path = "/api/v1/reports/{id}/file", tag = "reports", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Report id")),
    responses(
        (status = 200, content_type = "application/octet-stream", body = inline(crate::views::schema::Binary),
            description = "The file: `Content-Type` by format (XLSX, `text/csv; charset=utf-8`, `text/html; charset=utf-8`, `application/pdf`)",
            headers(("Content-Disposition" = String, description = "`attachment` with the file name"), ("ETag" = String, description = "The quoted SHA-256"), ("Content-Length" = u64, description = "Size in bytes"))),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json", description = "No such report"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json", description = "`report_not_ready`: no file generated yet")))]
pub async fn file(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<impl IntoResponse> {
    let (mut row, path) = reports::file(&state.ctx(), &caller.actor, id, &state.config.reports_dir).await.map_err(error)?;
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        // Regenerated between reading the row and opening its file (the replaced file is removed
        // once the row names the new one): read the row again.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (again, path) = reports::file(&state.ctx(), &caller.actor, id, &state.config.reports_dir).await.map_err(error)?;
            row = again;
            tokio::fs::File::open(&path).await.map_err(|e| ApiError::Internal(format!("report file {}: {e}", path.display())))?
        }
        Err(e) => return Err(ApiError::Internal(format!("report file {}: {e}", path.display()))),
    };
    let size = file.metadata().await.map_err(|e| ApiError::Internal(format!("report file: {e}")))?.len();
    let format = ::reports::Format::from_code(&row.key.format).unwrap_or(::reports::Format::Csv);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    let name =
        format!("bao-cao-{}-{}-{}.{}", row.key.kind.replace('_', "-"), row.key.period, &row.id.simple().to_string()[..8], format.code());
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if let Some(v) = row.checksum.as_ref().and_then(|c| HeaderValue::from_str(&format!("\"{c}\"")).ok()) {
        headers.insert(header::ETAG, v);
    }
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((headers, body))
}
