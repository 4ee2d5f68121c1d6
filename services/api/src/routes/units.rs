//! Organisation units: the caller's top units, create, read, children, effective-dated moves and
//! the history of superiors.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use membership::unit::PlacementError;
use membership::{UnitId, UnitKind, UnitName};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Object;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use app::units::{CreateUnitError, MoveUnitError, ViewUnitError};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::views::schema::{CalendarDate, UnitKindCode, text};
use crate::views::{UnitDetail, UnitRef, UnitView};

/// Maps the read refusals of the unit use cases.
pub(crate) fn view_error(e: ViewUnitError) -> ApiError {
    match e {
        ViewUnitError::Forbidden => ApiError::Forbidden,
        ViewUnitError::Store(e) => e.into(),
    }
}

fn placement_error(e: PlacementError) -> ApiError {
    let code = match e {
        PlacementError::KindNotAllowed { .. } => "kind_not_allowed",
        PlacementError::Cycle => "move_cycle",
        PlacementError::EffectiveInFuture => "effective_date_in_future",
        PlacementError::BeforeCurrentLink => "before_current_link",
        PlacementError::SameParent => {
            return ApiError::Conflict { code: "same_parent", detail: e.to_string() };
        }
    };
    ApiError::Rule { code, detail: e.to_string() }
}

/// The top units of the caller's scope: units they administer, units where they hold a position,
/// and their own cell — without those already inside another listed unit.
#[utoipa::path(get, path = "/api/v1/org-units", tag = "org-units", security(("bearer" = [])),
    responses((status = 200, body = Vec<UnitView>), (status = 401, body = crate::error::Problem)))]
pub async fn list_top(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<Vec<UnitView>>> {
    let units = app::units::top_units(&state.ctx(), &caller.actor).await?;
    Ok(axum::Json(units.iter().map(UnitView::from).collect()))
}

/// New unit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    /// The superior unit.
    pub parent_id: Uuid,
    /// Kind code (see `UnitView.kind`); the superior's kind must allow it.
    #[schema(value_type = UnitKindCode)]
    pub kind: String,
    /// Name, 1–200 characters.
    #[schema(schema_with = unit_name_schema)]
    pub name: String,
}

fn unit_name_schema() -> Object {
    text(1, UnitName::MAX)
        .description(Some(format!("Name, 1–{} characters; NFC-normalised and trimmed.", UnitName::MAX)))
        .examples(["Chi bộ thôn Đông Thành"])
        .build()
}

/// Creates a unit under `parent_id` (administrators, and secretaries/deputies of the parent or
/// above).
#[utoipa::path(post, path = "/api/v1/org-units", tag = "org-units", security(("bearer" = [])), request_body = CreateUnit,
    responses((status = 201, body = UnitView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(State(state): State<AppState>, caller: Caller, Json(body): Json<CreateUnit>) -> ApiResult<impl IntoResponse> {
    let mut issues = Vec::new();
    let kind = UnitKind::parse(&body.kind).map_err(|e| issues.push(crate::error::FieldIssue::new("kind", e.code(), e.to_string()))).ok();
    let name = UnitName::parse(&body.name).map_err(|e| issues.push(crate::error::FieldIssue::new("name", e.code(), e.to_string()))).ok();
    let request = match (kind, name) {
        (Some(kind), Some(name)) => Ok((kind, name)),
        _ => Err(ApiError::Validation(issues)),
    };
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let unit = app::units::create_unit(&state.ctx(), who, UnitId::from_uuid(body.parent_id), request).await.map_err(|e| match e {
        CreateUnitError::Forbidden => ApiError::Forbidden,
        CreateUnitError::Request(e) => e,
        CreateUnitError::Placement(e) => placement_error(e),
        CreateUnitError::Store(e) => e.into(),
    })?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/org-units/{}", unit.id))], axum::Json(UnitView::from(&unit))))
}

/// One unit with its ancestors.
#[utoipa::path(get, path = "/api/v1/org-units/{id}", tag = "org-units", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")),
    responses((status = 200, body = UnitDetail), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<UnitDetail>> {
    let found = app::units::unit(&state.ctx(), &caller.actor, UnitId::from_uuid(id)).await.map_err(view_error)?;
    Ok(axum::Json(UnitDetail { unit: UnitView::from(&found.unit), ancestors: found.ancestors.iter().map(UnitRef::from).collect() }))
}

/// Direct children the caller may see.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/children", tag = "org-units", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")),
    responses((status = 200, body = Vec<UnitView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn children(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<Vec<UnitView>>> {
    let children = app::units::children(&state.ctx(), &caller.actor, UnitId::from_uuid(id)).await.map_err(view_error)?;
    Ok(axum::Json(children.iter().map(UnitView::from).collect()))
}

/// A move.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveUnit {
    /// The new superior unit.
    pub new_parent_id: Uuid,
    /// First day under the new superior (today or earlier; after the current link started).
    #[schema(value_type = CalendarDate)]
    pub effective_on: NaiveDate,
}

/// Moves a unit (with its whole subtree) under a new superior from `effective_on`. The previous
/// link is kept: `GET /org-units/{id}/parents?on=` answers who the superior was on any date.
/// Requires structure rights over both the current and the new superior.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/move", tag = "org-units", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")), request_body = MoveUnit,
    responses((status = 200, body = UnitView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn move_unit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<MoveUnit>,
) -> ApiResult<axum::Json<UnitView>> {
    let effective_on = crate::views::check_dates(&[("effective_on", Some(body.effective_on))]).map(|()| body.effective_on);
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let moved = app::units::move_unit(&state.ctx(), who, UnitId::from_uuid(id), UnitId::from_uuid(body.new_parent_id), effective_on)
        .await
        .map_err(|e| match e {
            MoveUnitError::Forbidden => ApiError::Forbidden,
            MoveUnitError::Request(e) => e,
            MoveUnitError::Root => ApiError::Rule { code: "cannot_move_root", detail: "the root unit cannot be moved".into() },
            MoveUnitError::Concurrent => {
                ApiError::Conflict { code: "concurrent_change", detail: "the unit was moved meanwhile; reload and retry".into() }
            }
            MoveUnitError::Placement(e) => placement_error(e),
            MoveUnitError::Store(e) => e.into(),
        })?;
    Ok(axum::Json(UnitView::from(&moved)))
}

/// Filter of the superiors history.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ParentsQuery {
    /// Only the link in force on this date (e.g. `2025-06-30`).
    #[param(inline, value_type = CalendarDate, required = false)]
    pub on: Option<NaiveDate>,
}

/// One superior link.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParentLink {
    /// The superior unit.
    pub parent: UnitRef,
    /// First day.
    pub valid_from: NaiveDate,
    /// First day no longer valid (absent for the current link).
    pub valid_until: Option<NaiveDate>,
}

/// The superiors a unit has had, oldest first; with `on`, only the one in force that day.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/parents", tag = "org-units", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id"), ParentsQuery),
    responses((status = 200, body = Vec<ParentLink>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn parents(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<ParentsQuery>,
) -> ApiResult<axum::Json<Vec<ParentLink>>> {
    crate::views::check_query_dates(&[q.on])?;
    let links = app::units::parent_links(&state.ctx(), &caller.actor, UnitId::from_uuid(id), q.on).await.map_err(view_error)?;
    Ok(axum::Json(
        links.iter().map(|(l, p)| ParentLink { parent: UnitRef::from(p), valid_from: l.valid_from, valid_until: l.valid_until }).collect(),
    ))
}
