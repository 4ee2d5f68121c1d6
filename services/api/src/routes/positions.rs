//! Positions: appoint, end, list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use membership::position::{PositionError, Role};
use membership::{MemberId, PositionId, UnitId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use app::positions::{AppointError, Appointment, EndPositionError};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::views::PositionView;
use crate::views::schema::{CalendarDate, RoleCode};

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
    #[schema(value_type = RoleCode)]
    pub role: String,
    /// First day.
    #[schema(value_type = CalendarDate)]
    pub from: NaiveDate,
}

/// Appoints a member to a position in a unit (secretaries/deputies of a superior unit, and
/// administrators). At most one active secretary and one active deputy per unit (409).
#[utoipa::path(post, path = "/api/v1/org-units/{id}/positions", tag = "positions", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")), request_body = CreatePosition,
    responses((status = 201, body = PositionView), (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: no right to appoint in the unit; `acting_on_self`: on oneself; `acting_on_superior`: the member also holds a position the caller may not appoint to"), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Json(body): Json<CreatePosition>,
) -> ApiResult<impl IntoResponse> {
    let request = crate::views::check_dates(&[("from", Some(body.from))]).and_then(|()| {
        let role = Role::parse(&body.role)
            .ok_or_else(|| ApiError::field("role", "not_allowed", "secretary, deputy_secretary or committee_member"))?;
        Ok(Appointment { member: MemberId::from_uuid(body.member_id), role, from: body.from })
    });
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let position = app::positions::appoint(&state.ctx(), who, UnitId::from_uuid(unit), request).await.map_err(|e| match e {
        AppointError::Forbidden => ApiError::Forbidden,
        AppointError::Refused(e) => e.into(),
        AppointError::Request(e) => e,
        AppointError::MemberNotFound => ApiError::field("member_id", "not_found", "no such member"),
        AppointError::Rule(e) => position_error(e),
        AppointError::Taken => {
            ApiError::Conflict { code: "position_taken", detail: "the unit already has an active holder of this role".into() }
        }
        AppointError::Store(e) => e.into(),
    })?;
    Ok((StatusCode::CREATED, axum::Json(PositionView::from(&position))))
}

/// End of a position.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct EndPosition {
    /// Last day held (default: today).
    #[schema(value_type = Option<CalendarDate>)]
    pub to: Option<NaiveDate>,
}

/// Ends a position (same rights as appointing).
#[utoipa::path(post, path = "/api/v1/positions/{id}/end", tag = "positions", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Position id")), request_body = EndPosition,
    responses((status = 200, body = PositionView), (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: no right to appoint in the unit; `acting_on_self`: on oneself; `acting_on_superior`: the member also holds a position the caller may not appoint to"), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn end(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<EndPosition>,
) -> ApiResult<axum::Json<PositionView>> {
    let to = crate::views::check_dates(&[("to", body.to)]).map(|()| body.to);
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let position = app::positions::end_position(&state.ctx(), who, PositionId::from_uuid(id), to).await.map_err(|e| match e {
        EndPositionError::Forbidden => ApiError::Forbidden,
        EndPositionError::Refused(e) => e.into(),
        EndPositionError::Request(e) => e,
        EndPositionError::Rule(e) => position_error(e),
        EndPositionError::Store(e) => e.into(),
    })?;
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
    let positions = app::positions::unit_positions(&state.ctx(), &caller.actor, UnitId::from_uuid(unit), q.include_ended.unwrap_or(false))
        .await
        .map_err(crate::routes::units::view_error)?;
    Ok(axum::Json(positions.iter().map(PositionView::from).collect()))
}
