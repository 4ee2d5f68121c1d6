//! Positions: appoint, end, list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use membership::lifecycle::Standing;
use membership::permission::Action;
use membership::position::{NewPosition, Position, PositionError, Role, check_end, check_new_position};
use membership::{MemberId, PositionId, UnitId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::{audit, unit_path};
use crate::state::AppState;
use crate::views::PositionView;

fn position_error(e: PositionError) -> ApiError {
    match e {
        PositionError::RoleTaken { .. } | PositionError::AlreadyHeld | PositionError::AlreadyEnded => {
            ApiError::Conflict { code: e.code(), detail: e.to_string() }
        }
        _ => ApiError::Rule { code: e.code(), detail: e.to_string() },
    }
}

/// An appointment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePosition {
    /// The member appointed (an official member whose cell lies in the unit's subtree).
    pub member_id: Uuid,
    /// `secretary`, `deputy_secretary` or `committee_member`.
    #[schema(example = "secretary")]
    pub role: String,
    /// First day.
    pub from: NaiveDate,
}

/// Appoints a member to a position in a unit (secretaries/deputies of a superior unit, and
/// administrators). At most one active secretary and one active deputy per unit (409).
#[utoipa::path(post, path = "/api/v1/org-units/{id}/positions", tag = "positions", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")), request_body = CreatePosition,
    responses((status = 201, body = PositionView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Json(body): Json<CreatePosition>,
) -> ApiResult<impl IntoResponse> {
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    caller.require(Action::ManagePositions, &path)?;
    crate::views::check_dates(&[("from", Some(body.from))])?;
    let role =
        Role::parse(&body.role).ok_or_else(|| ApiError::field("role", "not_allowed", "secretary, deputy_secretary or committee_member"))?;
    let member_id = MemberId::from_uuid(body.member_id);
    let member = match storage::members::get(state.db.conn(), member_id).await {
        Err(storage::StoreError::NotFound) => {
            return Err(ApiError::field("member_id", "not_found", "no such member"));
        }
        other => other?,
    };
    let existing = storage::positions::for_unit(state.db.conn(), unit).await?;
    let candidate = NewPosition {
        member_id,
        role,
        from: body.from,
        holder_is_official: member.state.standing == Standing::Official,
        holder_in_subtree: storage::units::in_subtree(state.db.conn(), unit, member.state.home_unit).await?,
    };
    check_new_position(&existing, &candidate).map_err(position_error)?;
    let position = Position { id: PositionId::from_uuid(Uuid::now_v7()), unit_id: unit, member_id, role, from: body.from, to: None };
    let tx = state.db.begin().await?;
    storage::positions::insert(tx.conn(), &position, caller.now).await.map_err(|e| match e {
        storage::StoreError::Conflict { constraint: storage::Constraint::OpenPosition } => {
            ApiError::Conflict { code: "position_taken", detail: "the unit already has an active holder of this role".into() }
        }
        other => ApiError::from(other),
    })?;
    audit(
        &tx,
        &caller,
        "position.create",
        ("position", Some(position.id.as_uuid())),
        Some(unit),
        serde_json::json!({"member_id": member_id.as_uuid(), "role": role.code(), "from": body.from}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(PositionView::from(&position))))
}

/// End of a position.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct EndPosition {
    /// Last day held (default: today).
    pub to: Option<NaiveDate>,
}

/// Ends a position (same rights as appointing).
#[utoipa::path(post, path = "/api/v1/positions/{id}/end", tag = "positions", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Position id")), request_body = EndPosition,
    responses((status = 200, body = PositionView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn end(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<EndPosition>,
) -> ApiResult<axum::Json<PositionView>> {
    let mut position = storage::positions::get(state.db.conn(), PositionId::from_uuid(id)).await?;
    let path = unit_path(&state.db, position.unit_id).await?;
    caller.require(Action::ManagePositions, &path)?;
    crate::views::check_dates(&[("to", body.to)])?;
    let to = body.to.unwrap_or_else(|| caller.today());
    check_end(&position, to).map_err(position_error)?;
    let tx = state.db.begin().await?;
    storage::positions::end(tx.conn(), position.id, to).await.map_err(|e| match e {
        storage::StoreError::NotFound => position_error(PositionError::AlreadyEnded),
        other => ApiError::from(other),
    })?;
    audit(&tx, &caller, "position.end", ("position", Some(position.id.as_uuid())), Some(position.unit_id), serde_json::json!({"to": to}))
        .await?;
    tx.commit().await?;
    position.to = Some(to);
    Ok(axum::Json(PositionView::from(&position)))
}

/// Which positions to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PositionsQuery {
    /// Include ended positions (default false: active today only).
    pub include_ended: Option<bool>,
}

/// The positions of a unit (anyone who may see the unit's roster).
#[utoipa::path(get, path = "/api/v1/org-units/{id}/positions", tag = "positions", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id"), PositionsQuery),
    responses((status = 200, body = Vec<PositionView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Query(q): Query<PositionsQuery>,
) -> ApiResult<axum::Json<Vec<PositionView>>> {
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    if !caller.may(Action::ViewRoster, &path) && !caller.may(Action::ViewUnit, &path) {
        return Err(ApiError::Forbidden);
    }
    let today = caller.today();
    let all = q.include_ended.unwrap_or(false);
    let positions = storage::positions::for_unit(state.db.conn(), unit).await?;
    Ok(axum::Json(positions.iter().filter(|p| all || p.is_active_on(today)).map(PositionView::from).collect()))
}
