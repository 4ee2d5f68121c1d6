//! Administrator grants: administration of a unit's subtree given to an account (e.g. the
//! organisation department of a province administers that province only).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use membership::permission::Action;
use membership::{AccountId, UnitId};
use serde::{Deserialize, Serialize};
use storage::accounts::GrantRecord;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::routes::{audit, unit_path};
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

/// Grants administration of a unit's subtree (administrators over that unit only).
#[utoipa::path(post, path = "/api/v1/org-units/{id}/admin-grants", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")), request_body = CreateGrant,
    responses((status = 201, body = GrantView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(unit): Path<Uuid>,
    Json(body): Json<CreateGrant>,
) -> ApiResult<impl IntoResponse> {
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    caller.require(Action::ManageAdmins, &path)?;
    let account = match storage::accounts::get(state.db.conn(), AccountId::from_uuid(body.account_id)).await {
        Err(storage::StoreError::NotFound) => return Err(ApiError::field("account_id", "not_found", "no such account")),
        other => other?,
    };
    let tx = state.db.begin().await?;
    let id = storage::accounts::grant_admin(tx.conn(), account.id, unit, Some(caller.account.id), caller.now).await?;
    audit(
        &tx,
        &caller,
        "admin_grant.create",
        ("admin_grant", Some(id)),
        Some(unit),
        serde_json::json!({"account_id": account.id.as_uuid(), "username": account.username}),
    )
    .await?;
    let grant = storage::accounts::get_grant(tx.conn(), id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(GrantView::from(&grant))))
}

/// The grants of a unit, revoked ones included (administrators over that unit only).
#[utoipa::path(get, path = "/api/v1/org-units/{id}/admin-grants", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Unit id")),
    responses((status = 200, body = Vec<GrantView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller, Path(unit): Path<Uuid>) -> ApiResult<axum::Json<Vec<GrantView>>> {
    let unit = UnitId::from_uuid(unit);
    let path = unit_path(&state.db, unit).await?;
    caller.require(Action::ManageAdmins, &path)?;
    let grants = storage::accounts::grants_for_unit(state.db.conn(), unit).await?;
    Ok(axum::Json(grants.iter().map(GrantView::from).collect()))
}

/// Revokes a grant (administrators over the grant's unit).
#[utoipa::path(post, path = "/api/v1/admin-grants/{id}/revoke", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Grant id")),
    responses((status = 200, body = GrantView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn revoke(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<GrantView>> {
    let grant = storage::accounts::get_grant(state.db.conn(), id).await?;
    let path = unit_path(&state.db, grant.unit_id).await?;
    caller.require(Action::ManageAdmins, &path)?;
    if grant.revoked_at.is_some() {
        return Err(ApiError::Conflict { code: "already_revoked", detail: "the grant is already revoked".into() });
    }
    let tx = state.db.begin().await?;
    storage::accounts::revoke_grant(tx.conn(), id, caller.now).await?;
    audit(
        &tx,
        &caller,
        "admin_grant.revoke",
        ("admin_grant", Some(id)),
        Some(grant.unit_id),
        serde_json::json!({"account_id": grant.account_id.as_uuid()}),
    )
    .await?;
    let grant = storage::accounts::get_grant(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(axum::Json(GrantView::from(&grant)))
}
