//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Health status.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    #[schema(schema_with = status_schema)]
    pub status: String,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// What a live server answers.
const OK: &str = "ok";

fn status_schema() -> utoipa::openapi::schema::Object {
    crate::views::schema::code_list("`ok`.", [OK])
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "system", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: OK.into(), database: None })
}

/// Readiness: the database accepts a write and the attachment store can write a file. 503 when
/// either cannot (unreachable, read-only, disk full), so a load balancer stops sending requests
/// that would fail.
#[utoipa::path(get, path = "/ready", tag = "system", responses((status = 200, body = Health), (status = 503, body = crate::error::Problem)))]
pub async fn ready(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state.db.probe_write(state.clock.now()).await.map_err(|e| {
        tracing::error!(error = %e, "readiness: the database cannot be written");
        ApiError::Unavailable
    })?;
    state.blobs.probe().await.map_err(|e| {
        tracing::error!(error = %e, "readiness: the attachment store cannot be written");
        ApiError::Unavailable
    })?;
    Ok(Json(Health { status: OK.into(), database: Some(state.db.backend_name().into()) }))
}
