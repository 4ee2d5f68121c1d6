//! Organisation units: the caller's top units, create, read, children, effective-dated moves and
//! the history of superiors.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use membership::permission::Action;
use membership::unit::{MoveRequest, PlacementError, check_move, check_placement};
use membership::{UnitId, UnitKind, UnitName};
use serde::{Deserialize, Serialize};
use storage::units::UnitRecord;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::{audit, unit_path};
use crate::state::AppState;
use crate::views::{UnitDetail, UnitRef, UnitView};

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
    let today = caller.today();
    let mut roots: Vec<UnitId> = caller.actor.admin_scopes.clone();
    roots.extend(caller.actor.positions.iter().filter(|p| p.from <= today && p.to.is_none_or(|t| today <= t)).map(|p| p.unit_id));
    roots.extend(caller.actor.home_path.last().copied());
    roots.sort();
    roots.dedup();
    let mut paths = Vec::with_capacity(roots.len());
    for unit in &roots {
        paths.push((*unit, storage::units::path(state.db.conn(), *unit).await?));
    }
    let top: Vec<UnitId> = paths
        .iter()
        .filter(|(unit, path)| !paths.iter().any(|(other, _)| other != unit && path.contains(other)))
        .map(|(u, _)| *u)
        .collect();
    let units = storage::units::get_many(state.db.conn(), &top).await?;
    Ok(axum::Json(units.iter().map(UnitView::from).collect()))
}

/// New unit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    /// The superior unit.
    pub parent_id: Uuid,
    /// Kind code (see `UnitView.kind`); the superior's kind must allow it.
    #[schema(example = "cell")]
    pub kind: String,
    /// Name, 1–200 characters.
    #[schema(example = "Chi bộ thôn Đông Thành")]
    pub name: String,
}

/// Creates a unit under `parent_id` (administrators, and secretaries/deputies of the parent or
/// above).
#[utoipa::path(post, path = "/api/v1/org-units", tag = "org-units", security(("bearer" = [])), request_body = CreateUnit,
    responses((status = 201, body = UnitView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(State(state): State<AppState>, caller: Caller, Json(body): Json<CreateUnit>) -> ApiResult<impl IntoResponse> {
    let mut issues = Vec::new();
    let kind = UnitKind::parse(&body.kind).map_err(|e| issues.push(crate::error::FieldIssue::new("kind", e.code(), e.to_string()))).ok();
    let name = UnitName::parse(&body.name).map_err(|e| issues.push(crate::error::FieldIssue::new("name", e.code(), e.to_string()))).ok();
    let (Some(kind), Some(name)) = (kind, name) else {
        return Err(ApiError::Validation(issues));
    };
    let parent_id = UnitId::from_uuid(body.parent_id);
    let parent_path = unit_path(&state.db, parent_id).await?;
    caller.require(Action::ManageStructure, &parent_path)?;
    let tx = state.db.begin().await?;
    storage::units::lock(tx.conn(), &[parent_id]).await?;
    let parent = storage::units::get(tx.conn(), parent_id).await?;
    check_placement(parent.kind, kind).map_err(placement_error)?;
    let unit = UnitRecord {
        id: UnitId::from_uuid(Uuid::now_v7()),
        parent_id: Some(parent_id),
        kind,
        name: name.as_str().to_string(),
        depth: parent.depth + 1,
        parent_since: caller.today(),
        created_at: caller.now,
    };
    storage::units::insert(tx.conn(), &unit).await?;
    audit(
        &tx,
        &caller,
        "org_unit.create",
        ("org_unit", Some(unit.id.as_uuid())),
        Some(unit.id),
        serde_json::json!({"name": unit.name, "kind": kind.code(), "parent_id": parent_id.as_uuid()}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/org-units/{}", unit.id))], axum::Json(UnitView::from(&unit))))
}

/// One unit with its ancestors.
#[utoipa::path(get, path = "/api/v1/org-units/{id}", tag = "org-units", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")),
    responses((status = 200, body = UnitDetail), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<UnitDetail>> {
    let id = UnitId::from_uuid(id);
    let path = unit_path(&state.db, id).await?;
    caller.require(Action::ViewUnit, &path)?;
    let units = storage::units::get_many(state.db.conn(), &path).await?;
    let unit = units.iter().find(|u| u.id == id).ok_or(ApiError::NotFound)?;
    let ancestors = path.iter().filter(|p| **p != id).filter_map(|p| units.iter().find(|u| u.id == *p)).map(UnitRef::from).collect();
    Ok(axum::Json(UnitDetail { unit: UnitView::from(unit), ancestors }))
}

/// Direct children the caller may see.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/children", tag = "org-units", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")),
    responses((status = 200, body = Vec<UnitView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn children(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<Vec<UnitView>>> {
    let id = UnitId::from_uuid(id);
    let path = unit_path(&state.db, id).await?;
    caller.require(Action::ViewUnit, &path)?;
    let children = storage::units::children(state.db.conn(), id).await?;
    let mut child_path = path.clone();
    child_path.push(id);
    let visible = children
        .iter()
        .filter(|c| {
            if let Some(last) = child_path.last_mut() {
                *last = c.id;
            }
            caller.may(Action::ViewUnit, &child_path)
        })
        .map(UnitView::from)
        .collect();
    Ok(axum::Json(visible))
}

/// A move.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveUnit {
    /// The new superior unit.
    pub new_parent_id: Uuid,
    /// First day under the new superior (today or earlier; after the current link started).
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
    crate::views::check_dates(&[("effective_on", Some(body.effective_on))])?;
    let id = UnitId::from_uuid(id);
    let path = unit_path(&state.db, id).await?;
    caller.require(Action::ViewUnit, &path)?;
    let unit = storage::units::get(state.db.conn(), id).await?;
    let Some(current_parent) = unit.parent_id else {
        return Err(ApiError::Rule { code: "cannot_move_root", detail: "the root unit cannot be moved".into() });
    };
    caller.require(Action::ManageStructure, &path[..path.len() - 1])?;
    let new_parent_id = UnitId::from_uuid(body.new_parent_id);
    let new_parent_path = unit_path(&state.db, new_parent_id).await?;
    caller.require(Action::ManageStructure, &new_parent_path)?;
    // Lock both units, then re-read the tree inside the transaction: a concurrent move has either
    // committed (and is seen) or waits for this one.
    let tx = state.db.begin().await?;
    storage::units::lock(tx.conn(), &[id, new_parent_id]).await?;
    let unit = storage::units::get(tx.conn(), id).await?;
    let new_parent = storage::units::get(tx.conn(), new_parent_id).await?;
    let new_parent_path = storage::units::path(tx.conn(), new_parent_id).await?;
    if unit.parent_id != Some(current_parent) {
        return Err(ApiError::Conflict { code: "concurrent_change", detail: "the unit was moved meanwhile; reload and retry".into() });
    }
    check_move(&MoveRequest {
        kind: unit.kind,
        current_parent: unit.parent_id,
        current_link_since: unit.parent_since,
        new_parent: new_parent_id,
        new_parent_kind: new_parent.kind,
        new_parent_path: &new_parent_path,
        unit: id,
        effective_on: body.effective_on,
        today: caller.today(),
    })
    .map_err(placement_error)?;
    storage::units::move_unit(tx.conn(), &unit, &new_parent, body.effective_on).await?;
    audit(
        &tx,
        &caller,
        "org_unit.move",
        ("org_unit", Some(id.as_uuid())),
        Some(id),
        serde_json::json!({"from_parent_id": current_parent.as_uuid(), "to_parent_id": new_parent_id.as_uuid(), "effective_on": body.effective_on}),
    )
    .await?;
    let moved = storage::units::get(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(axum::Json(UnitView::from(&moved)))
}

/// Filter of the superiors history.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ParentsQuery {
    /// Only the link in force on this date (e.g. `2025-06-30`).
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
    let id = UnitId::from_uuid(id);
    let path = unit_path(&state.db, id).await?;
    caller.require(Action::ViewUnit, &path)?;
    let links = storage::units::links(state.db.conn(), id).await?;
    let links: Vec<_> =
        links.into_iter().filter(|l| q.on.is_none_or(|on| l.valid_from <= on && l.valid_until.is_none_or(|u| on < u))).collect();
    let parent_ids: Vec<UnitId> = links.iter().map(|l| l.parent_id).collect();
    let parents = storage::units::get_many(state.db.conn(), &parent_ids).await?;
    Ok(axum::Json(
        links
            .iter()
            .filter_map(|l| {
                let p = parents.iter().find(|p| p.id == l.parent_id)?;
                Some(ParentLink { parent: UnitRef::from(p), valid_from: l.valid_from, valid_until: l.valid_until })
            })
            .collect(),
    ))
}
