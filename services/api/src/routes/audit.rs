//! Reading the audit log.

use axum::extract::State;
use chrono::{DateTime, Utc};
use membership::UnitId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use app::accounts::AuditLogError;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::state::AppState;
use crate::views::schema::PageLimit;
use crate::views::{Page, decode_cursor, encode_cursor, page_limit};

/// Audit query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The unit whose subtree's records to list (default: the first unit the caller administers).
    pub unit_id: Option<Uuid>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(inline, value_type = PageLimit, required = false)]
    pub limit: Option<u64>,
}

/// One audit record.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Account that acted.
    pub actor_account_id: Option<Uuid>,
    /// What, e.g. `member.create`, `member.event`, `position.create`, `org_unit.move`.
    #[schema(example = "member.create")]
    pub action: String,
    /// Target type.
    pub target_type: String,
    /// Target id.
    pub target_id: Option<Uuid>,
    /// Unit the record belongs to.
    pub unit_id: Option<Uuid>,
    /// Client address.
    pub client_addr: Option<String>,
    /// Details.
    pub details: serde_json::Value,
}

/// The audit records of a subtree, newest first (administrators of that subtree only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Page<AuditView>), (status = 403, body = crate::error::Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller, Query(q): Query<AuditQuery>) -> ApiResult<axum::Json<Page<AuditView>>> {
    let limit = page_limit(q.limit)?;
    let before = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let (rows, more) = app::accounts::audit_log(&state.ctx(), &caller.actor, q.unit_id.map(UnitId::from_uuid), before, limit)
        .await
        .map_err(|e| match e {
            AuditLogError::Forbidden => ApiError::Forbidden,
            AuditLogError::Store(e) => e.into(),
        })?;
    let next_cursor = if more { rows.last().map(|r| encode_cursor(r.id)) } else { None };
    let items = rows
        .into_iter()
        .map(|r| AuditView {
            id: r.id,
            at: r.at,
            actor_account_id: r.actor.map(|a| a.as_uuid()),
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            unit_id: r.unit_id.map(|u| u.as_uuid()),
            client_addr: r.client_addr,
            details: r.details,
        })
        .collect();
    Ok(axum::Json(Page { items, next_cursor }))
}
