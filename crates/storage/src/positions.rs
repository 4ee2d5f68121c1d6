//! Positions held in units.

use chrono::{DateTime, NaiveDate, Utc};
use membership::position::{Position, Role};
use membership::{MemberId, PositionId, UnitId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entities::positions;
use crate::{StoreError, StoreResult, corrupt, insert_row};

fn to_domain(m: positions::Model) -> StoreResult<Position> {
    Ok(Position {
        id: PositionId::from_uuid(m.id),
        unit_id: UnitId::from_uuid(m.unit_id),
        member_id: MemberId::from_uuid(m.member_id),
        role: Role::parse(&m.role).ok_or_else(|| corrupt("positions.role", &m.role))?,
        from: m.from_date,
        to: m.to_date,
    })
}

fn to_active(p: &Position, created_at: DateTime<Utc>) -> positions::ActiveModel {
    positions::ActiveModel {
        id: Set(p.id.as_uuid()),
        unit_id: Set(p.unit_id.as_uuid()),
        member_id: Set(p.member_id.as_uuid()),
        role: Set(p.role.code().to_string()),
        from_date: Set(p.from),
        to_date: Set(p.to),
        created_at: Set(created_at),
    }
}

/// Inserts a position. A second open secretary or deputy in a unit is a `Conflict`.
pub async fn insert<C: ConnectionTrait>(c: &C, p: &Position, created_at: DateTime<Utc>) -> StoreResult<()> {
    insert_row(c, to_active(p, created_at)).await
}

/// Inserts many positions (demo data).
pub async fn insert_many<C: ConnectionTrait>(c: &C, batch: &[Position], created_at: DateTime<Utc>) -> StoreResult<()> {
    for chunk in batch.chunks(1000) {
        positions::Entity::insert_many(chunk.iter().map(|p| to_active(p, created_at))).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Loads one position.
pub async fn get<C: ConnectionTrait>(c: &C, id: PositionId) -> StoreResult<Position> {
    to_domain(positions::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?)
}

/// Every position of a unit, any period.
pub async fn for_unit<C: ConnectionTrait>(c: &C, unit: UnitId) -> StoreResult<Vec<Position>> {
    let models = positions::Entity::find()
        .filter(positions::Column::UnitId.eq(unit.as_uuid()))
        .order_by_asc(positions::Column::FromDate)
        .all(c)
        .await?;
    models.into_iter().map(to_domain).collect()
}

/// Every position held by any of `members`, any period (one query).
pub async fn for_members<C: ConnectionTrait>(c: &C, members: &[MemberId]) -> StoreResult<Vec<Position>> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let models = positions::Entity::find()
        .filter(positions::Column::MemberId.is_in(members.iter().map(|m| m.as_uuid())))
        .order_by_asc(positions::Column::FromDate)
        .all(c)
        .await?;
    models.into_iter().map(to_domain).collect()
}

/// Sets the last day of a position.
pub async fn end<C: ConnectionTrait>(c: &C, id: PositionId, to: NaiveDate) -> StoreResult<()> {
    let result = positions::Entity::update_many()
        .set(positions::ActiveModel { to_date: Set(Some(to)), ..Default::default() })
        .filter(positions::Column::Id.eq(id.as_uuid()))
        .filter(positions::Column::ToDate.is_null())
        .exec(c)
        .await?;
    if result.rows_affected == 1 { Ok(()) } else { Err(StoreError::NotFound) }
}

/// Ends every open position of a member with `to` as the last day (removal, expulsion, death).
/// Returns how many were ended.
pub async fn end_all_for_member<C: ConnectionTrait>(c: &C, member: MemberId, to: NaiveDate) -> StoreResult<u64> {
    let result = positions::Entity::update_many()
        .set(positions::ActiveModel { to_date: Set(Some(to)), ..Default::default() })
        .filter(positions::Column::MemberId.eq(member.as_uuid()))
        .filter(positions::Column::ToDate.is_null())
        .exec(c)
        .await?;
    Ok(result.rows_affected)
}
