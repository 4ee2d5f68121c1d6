//! The transactional outbox: events written in the same transaction as the change they announce,
//! read later by the notifier.

use chrono::{DateTime, Utc};
use membership::UnitId;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::entities::outbox_events;
use crate::{StoreResult, insert_row};

/// An event to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// Id (UUID v7: delivery order).
    pub id: Uuid,
    /// What happened, e.g. `meeting.published`.
    pub kind: String,
    /// Aggregate type, e.g. `meeting`.
    pub aggregate_type: String,
    /// Aggregate id.
    pub aggregate_id: Uuid,
    /// The unit whose members are concerned.
    pub unit_id: Option<UnitId>,
    /// JSON payload.
    pub payload: serde_json::Value,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// Appends an event (call inside the transaction of the change).
pub async fn push<C: ConnectionTrait>(c: &C, e: &OutboxEvent) -> StoreResult<()> {
    insert_row(
        c,
        outbox_events::ActiveModel {
            id: Set(e.id),
            kind: Set(e.kind.clone()),
            aggregate_type: Set(e.aggregate_type.clone()),
            aggregate_id: Set(e.aggregate_id),
            unit_id: Set(e.unit_id.map(|u| u.as_uuid())),
            payload: Set(e.payload.to_string()),
            created_at: Set(e.created_at),
            processed_at: Set(None),
        },
    )
    .await
}

/// Appends an event that stands for one occurrence of something (a reminder: kind × target ×
/// occurrence), unless an event with the same `occurrence_key` was written before. Returns whether
/// it was written: running a reminder scan twice, or on two instances, writes it once.
pub async fn push_once<C: ConnectionTrait>(c: &C, e: &OutboxEvent, occurrence_key: &str) -> StoreResult<bool> {
    let done = c
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            c.get_database_backend(),
            "INSERT INTO outbox_events (id, kind, aggregate_type, aggregate_id, unit_id, payload, created_at, occurrence_key, attempts) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) ON CONFLICT (occurrence_key) DO NOTHING",
            vec![
                e.id.into(),
                e.kind.clone().into(),
                e.aggregate_type.clone().into(),
                e.aggregate_id.into(),
                e.unit_id.map(|u| u.as_uuid()).into(),
                e.payload.to_string().into(),
                e.created_at.into(),
                occurrence_key.into(),
            ],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Undelivered events, oldest first.
pub async fn pending<C: ConnectionTrait>(c: &C, limit: u64) -> StoreResult<Vec<OutboxEvent>> {
    let rows = outbox_events::Entity::find()
        .filter(outbox_events::Column::ProcessedAt.is_null())
        .order_by_asc(outbox_events::Column::Id)
        .limit(limit)
        .all(c)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| OutboxEvent {
            id: m.id,
            kind: m.kind,
            aggregate_type: m.aggregate_type,
            aggregate_id: m.aggregate_id,
            unit_id: m.unit_id.map(UnitId::from_uuid),
            payload: serde_json::from_str(&m.payload).unwrap_or(serde_json::Value::Null),
            created_at: m.created_at,
        })
        .collect())
}

/// How many events are undelivered, and when the oldest of them was written.
pub async fn backlog<C: ConnectionTrait>(c: &C) -> StoreResult<(u64, Option<DateTime<Utc>>)> {
    let count = outbox_events::Entity::find().filter(outbox_events::Column::ProcessedAt.is_null()).count(c).await?;
    let oldest = outbox_events::Entity::find()
        .filter(outbox_events::Column::ProcessedAt.is_null())
        .order_by_asc(outbox_events::Column::Id)
        .one(c)
        .await?
        .map(|m| m.created_at);
    Ok((count, oldest))
}
