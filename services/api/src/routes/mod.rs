//! HTTP handlers, one module per resource. Each command loads, asks the domain to decide, and
//! saves inside one transaction together with its audit record.

pub mod accounts;
pub mod admins;
pub mod audit;
pub mod auth;
pub mod comments;
pub mod documents;
pub mod meetings;
pub mod members;
pub mod positions;
pub mod reports;
pub mod study;
pub mod system;
pub mod tasks;
pub mod units;

use membership::UnitId;
use storage::audit::AuditRecord;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;

/// Writes the audit record of a privileged action performed by `caller`, inside `tx`.
pub async fn audit(
    tx: &storage::Tx,
    caller: &Caller,
    action: &str,
    target: (&str, Option<Uuid>),
    unit_id: Option<UnitId>,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    let record = AuditRecord {
        id: Uuid::now_v7(),
        at: caller.now,
        actor: Some(caller.account.id),
        action: action.to_string(),
        target_type: target.0.to_string(),
        target_id: target.1,
        unit_id,
        client_addr: caller.addr.clone(),
        details,
    };
    storage::audit::record(tx.conn(), &record).await.map_err(ApiError::from)
}

/// Loads the ancestry of a unit; 404 if the unit does not exist.
pub async fn unit_path(db: &storage::Database, unit: UnitId) -> Result<Vec<UnitId>, ApiError> {
    let path = storage::units::path(db.conn(), unit).await?;
    if path.is_empty() { Err(ApiError::NotFound) } else { Ok(path) }
}
