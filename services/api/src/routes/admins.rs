//! Administrator grants: administration of a unit's subtree given to an account (e.g. the
//! organisation department of a province administers that province only).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use membership::{AccountId, UnitId};
use serde::{Deserialize, Serialize};
use storage::accounts::GrantRecord;
use utoipa::ToSchema;
use uuid::Uuid;

use app::accounts::GrantError;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// A grant to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrant {
    /// The account receiving administration of the unit's subtree.
    pub account_id: Uuid,
}

/// An administrator grant.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    /// Id.
    pub id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// The unit whose subtree it administers.
    pub unit_id: Uuid,
    /// Who granted it (none for bootstrap and demo data).
    pub granted_by: Option<Uuid>,
    /// When.
    pub granted_at: DateTime<Utc>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&GrantRecord> for GrantView {
    fn from(g: &GrantRecord) -> Self {
        Self {
            id: g.id,
            account_id: g.account_id.as_uuid(),
            unit_id: g.unit_id.as_uuid(),
            granted_by: g.granted_by.map(|a| a.as_uuid()),
            granted_at: g.granted_at,
            revoked_at: g.revoked_at,
        }
    }
}

fn grant_error(e: GrantError) -> ApiError {
    match e {
        GrantError::Forbidden => ApiError::Forbidden,
        GrantError::AccountNotFound => ApiError::field("account_id", "not_found", "no such account"),
        GrantError::AlreadyRevoked => ApiError::Conflict { code: "already_revoked", detail: "the grant is already revoked".into() },
        GrantError::Store(e) => e.into(),
    }
}

/// Grants administration of a unit's subtree (administrators over that unit only).
#[utoipa::path(post, path = "/api/v1/org-units/{id}/admin-grants", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")), request_body = CreateGrant,
    responses((status = 201, body = GrantView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Json(body): Json<CreateGrant>,
) -> ApiResult<impl IntoResponse> {
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let grant = app::accounts::grant_admin(&state.ctx(), who, UnitId::from_uuid(unit), AccountId::from_uuid(body.account_id))
        .await
        .map_err(grant_error)?;
    Ok((StatusCode::CREATED, axum::Json(GrantView::from(&grant))))
}

/// The grants of a unit, revoked ones included (administrators over that unit only).
#[utoipa::path(get, path = "/api/v1/org-units/{id}/admin-grants", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")),
    responses((status = 200, body = Vec<GrantView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller, Path(unit): Path<Uuid>) -> ApiResult<axum::Json<Vec<GrantView>>> {
    let grants = app::accounts::unit_grants(&state.ctx(), &caller.actor, UnitId::from_uuid(unit)).await.map_err(grant_error)?;
    Ok(axum::Json(grants.iter().map(GrantView::from).collect()))
}

/// Revokes a grant (administrators over the grant's unit).
#[utoipa::path(post, path = "/api/v1/admin-grants/{id}/revoke", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Grant id")),
    responses((status = 200, body = GrantView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn revoke(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<GrantView>> {
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let grant = app::accounts::revoke_grant(&state.ctx(), who, id).await.map_err(grant_error)?;
    Ok(axum::Json(GrantView::from(&grant)))
}
