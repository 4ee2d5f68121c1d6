//! The audit log: who did what, when, to which target, from which address. Written in the same
//! transaction as the change it records.

use chrono::{DateTime, Utc};
use membership::{AccountId, UnitId};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::entities::audit_log;
use crate::{StoreResult, insert_row};

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Id (UUID v7, so ordering by id is ordering by time).
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (none for system jobs and bootstrap).
    pub actor: Option<AccountId>,
    /// What, e.g. `member.create`.
    pub action: String,
    /// Target type, e.g. `member`.
    pub target_type: String,
    /// Target id.
    pub target_id: Option<Uuid>,
    /// The unit whose subtree's administrators may read this record.
    pub unit_id: Option<UnitId>,
    /// Client address.
    pub client_addr: Option<String>,
    /// JSON details.
    pub details: serde_json::Value,
}

/// Appends a record.
pub async fn record<C: ConnectionTrait>(c: &C, r: &AuditRecord) -> StoreResult<()> {
    insert_row(
        c,
        audit_log::ActiveModel {
            id: Set(r.id),
            at: Set(r.at),
            actor_account_id: Set(r.actor.map(|a| a.as_uuid())),
            action: Set(r.action.clone()),
            target_type: Set(r.target_type.clone()),
            target_id: Set(r.target_id),
            unit_id: Set(r.unit_id.map(|u| u.as_uuid())),
            client_addr: Set(r.client_addr.clone()),
            details: Set(r.details.to_string()),
        },
    )
    .await
}

/// Records of `unit`'s subtree, newest first, older than `before` (the cursor).
pub async fn list_subtree<C: ConnectionTrait>(c: &C, unit: UnitId, before: Option<Uuid>, limit: u64) -> StoreResult<Vec<AuditRecord>> {
    let sub =
        Query::select().column("descendant_id").from("org_unit_closure").and_where(Expr::col("ancestor_id").eq(unit.as_uuid())).to_owned();
    let mut select = audit_log::Entity::find().filter(audit_log::Column::UnitId.in_subquery(sub));
    if let Some(before) = before {
        select = select.filter(audit_log::Column::Id.lt(before));
    }
    let rows = select.order_by_desc(audit_log::Column::Id).limit(limit).all(c).await?;
    Ok(rows
        .into_iter()
        .map(|m| AuditRecord {
            id: m.id,
            at: m.at,
            actor: m.actor_account_id.map(AccountId::from_uuid),
            action: m.action,
            target_type: m.target_type,
            target_id: m.target_id,
            unit_id: m.unit_id.map(UnitId::from_uuid),
            client_addr: m.client_addr,
            details: serde_json::from_str(&m.details).unwrap_or(serde_json::Value::Null),
        })
        .collect())
}
