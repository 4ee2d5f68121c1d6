//! The audit trail of privileged actions, written in the transaction of the action.

use chrono::{DateTime, Utc};
use membership::UnitId;
use membership::permission::Actor;
use storage::audit::AuditRecord;
use uuid::Uuid;

/// Who performs a use case: the domain's actor and, for the audit trail, the client address the
/// request came from.
#[derive(Debug, Clone, Copy)]
pub struct Requester<'a> {
    /// Positions, grants and home cell of the caller.
    pub actor: &'a Actor,
    /// The client's address, when known.
    pub client_addr: Option<&'a str>,
}

/// Writes the audit record of `action` on `target` (type, id) inside `tx`.
pub async fn record(
    tx: &storage::Tx,
    who: Requester<'_>,
    at: DateTime<Utc>,
    action: &str,
    target: (&str, Option<Uuid>),
    unit_id: Option<UnitId>,
    details: serde_json::Value,
) -> Result<(), storage::StoreError> {
    let record = AuditRecord {
        id: Uuid::now_v7(),
        at,
        actor: who.actor.account_id,
        action: action.to_string(),
        target_type: target.0.to_string(),
        target_id: target.1,
        unit_id,
        client_addr: who.client_addr.map(str::to_string),
        details,
    };
    storage::audit::record(tx.conn(), &record).await
}
