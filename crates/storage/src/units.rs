//! Organisation units: the tree, its closure table (index-driven subtree queries) and the dated
//! parent links (who was a unit's superior on a given date).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use membership::{UnitId, UnitKind};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, Statement, Value};
use uuid::Uuid;

use crate::entities::{org_unit_links, org_units};
use crate::{StoreError, StoreResult, corrupt, insert_row};

/// A unit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRecord {
    /// Id.
    pub id: UnitId,
    /// Current parent (none for the root).
    pub parent_id: Option<UnitId>,
    /// Kind.
    pub kind: UnitKind,
    /// Name.
    pub name: String,
    /// Distance from the root (root = 0).
    pub depth: i32,
    /// Date the current parent link took effect (creation date for new units).
    pub parent_since: NaiveDate,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// One parent link in a unit's history: the parent held from `valid_from` (inclusive) until
/// `valid_until` (exclusive; none for the current link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    /// The parent.
    pub parent_id: UnitId,
    /// First day.
    pub valid_from: NaiveDate,
    /// First day no longer valid.
    pub valid_until: Option<NaiveDate>,
}

fn to_record(m: org_units::Model) -> StoreResult<UnitRecord> {
    Ok(UnitRecord {
        id: UnitId::from_uuid(m.id),
        parent_id: m.parent_id.map(UnitId::from_uuid),
        kind: UnitKind::parse(&m.kind).map_err(|e| corrupt("org_units.kind", e))?,
        name: m.name,
        depth: m.depth,
        parent_since: m.parent_since,
        created_at: m.created_at,
    })
}

fn stmt<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(c.get_database_backend(), sql, values)
}

/// Inserts a unit with its closure rows and its first parent link.
pub async fn insert<C: ConnectionTrait>(c: &C, unit: &UnitRecord) -> StoreResult<()> {
    let id = unit.id.as_uuid();
    insert_row(
        c,
        org_units::ActiveModel {
            id: Set(id),
            parent_id: Set(unit.parent_id.map(|p| p.as_uuid())),
            kind: Set(unit.kind.code().to_string()),
            name: Set(unit.name.clone()),
            depth: Set(unit.depth),
            parent_since: Set(unit.parent_since),
            created_at: Set(unit.created_at),
        },
    )
    .await?;
    c.execute_raw(stmt(c, "INSERT INTO org_unit_closure (ancestor_id, descendant_id, depth) VALUES ($1, $1, 0)", vec![id.into()])).await?;
    if let Some(parent) = unit.parent_id {
        c.execute_raw(stmt(
            c,
            "INSERT INTO org_unit_closure (ancestor_id, descendant_id, depth) \
             SELECT ancestor_id, $1, depth + 1 FROM org_unit_closure WHERE descendant_id = $2",
            vec![id.into(), parent.as_uuid().into()],
        ))
        .await?;
        insert_row(
            c,
            org_unit_links::ActiveModel {
                id: Set(Uuid::now_v7()),
                unit_id: Set(id),
                parent_id: Set(parent.as_uuid()),
                valid_from: Set(unit.parent_since),
                valid_until: Set(None),
            },
        )
        .await?;
    }
    Ok(())
}

/// Loads one unit.
pub async fn get<C: ConnectionTrait>(c: &C, id: UnitId) -> StoreResult<UnitRecord> {
    let model = org_units::Entity::find_by_id(id.as_uuid()).one(c).await?.ok_or(StoreError::NotFound)?;
    to_record(model)
}

/// Loads several units by id (missing ids are skipped), ordered by depth then name.
pub async fn get_many<C: ConnectionTrait>(c: &C, ids: &[UnitId]) -> StoreResult<Vec<UnitRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let models = org_units::Entity::find()
        .filter(org_units::Column::Id.is_in(ids.iter().map(|i| i.as_uuid())))
        .order_by_asc(org_units::Column::Depth)
        .order_by_asc(org_units::Column::Name)
        .all(c)
        .await?;
    models.into_iter().map(to_record).collect()
}

/// Direct children of a unit, by name.
pub async fn children<C: ConnectionTrait>(c: &C, id: UnitId) -> StoreResult<Vec<UnitRecord>> {
    let models = org_units::Entity::find()
        .filter(org_units::Column::ParentId.eq(id.as_uuid()))
        .order_by_asc(org_units::Column::Name)
        .order_by_asc(org_units::Column::Id)
        .all(c)
        .await?;
    models.into_iter().map(to_record).collect()
}

/// The ancestry of a unit, root first, ending with the unit itself (one indexed query).
/// Empty if the unit does not exist.
pub async fn path<C: ConnectionTrait>(c: &C, id: UnitId) -> StoreResult<Vec<UnitId>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT ancestor_id FROM org_unit_closure WHERE descendant_id = $1 ORDER BY depth DESC",
            vec![id.as_uuid().into()],
        ))
        .await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "ancestor_id").map(UnitId::from_uuid).map_err(StoreError::from)).collect()
}

/// The paths of several units (as [`path`]: root first, the unit last), one statement per 500
/// units; a unit that does not exist has no entry.
pub async fn paths<C: ConnectionTrait>(c: &C, ids: &[UnitId]) -> StoreResult<HashMap<UnitId, Vec<UnitId>>> {
    let mut out: HashMap<UnitId, Vec<UnitId>> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT descendant_id, ancestor_id FROM org_unit_closure WHERE descendant_id IN ({marks}) ORDER BY descendant_id, depth DESC"
        );
        let rows = c.query_all_raw(stmt(c, &sql, chunk.iter().map(|u| u.as_uuid().into()).collect())).await?;
        for r in rows {
            let unit = UnitId::from_uuid(r.try_get::<Uuid>("", "descendant_id")?);
            out.entry(unit).or_default().push(UnitId::from_uuid(r.try_get::<Uuid>("", "ancestor_id")?));
        }
    }
    Ok(out)
}

/// Whether `unit` lies in the subtree of `ancestor` (a unit is in its own subtree).
pub async fn in_subtree<C: ConnectionTrait>(c: &C, ancestor: UnitId, unit: UnitId) -> StoreResult<bool> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT 1 AS hit FROM org_unit_closure WHERE ancestor_id = $1 AND descendant_id = $2",
            vec![ancestor.as_uuid().into(), unit.as_uuid().into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// Number of units in a subtree, the unit included.
pub async fn subtree_size<C: ConnectionTrait>(c: &C, id: UnitId) -> StoreResult<u64> {
    let row =
        c.query_one_raw(stmt(c, "SELECT COUNT(*) AS n FROM org_unit_closure WHERE ancestor_id = $1", vec![id.as_uuid().into()])).await?;
    let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Whether any unit exists.
pub async fn any<C: ConnectionTrait>(c: &C) -> StoreResult<bool> {
    Ok(org_units::Entity::find().one(c).await?.is_some())
}

/// Re-parents `unit` under `new_parent` from `effective_on`: closes the current link (kept in
/// history), opens the new one, and rewrites the closure rows and depths of the whole moved
/// subtree in set-based statements.
pub async fn move_unit<C: ConnectionTrait>(c: &C, unit: &UnitRecord, new_parent: &UnitRecord, effective_on: NaiveDate) -> StoreResult<()> {
    let id = unit.id.as_uuid();
    let parent = new_parent.id.as_uuid();
    c.execute_raw(stmt(
        c,
        "DELETE FROM org_unit_closure \
         WHERE descendant_id IN (SELECT descendant_id FROM org_unit_closure WHERE ancestor_id = $1) \
           AND ancestor_id NOT IN (SELECT descendant_id FROM org_unit_closure WHERE ancestor_id = $1)",
        vec![id.into()],
    ))
    .await?;
    c.execute_raw(stmt(
        c,
        "INSERT INTO org_unit_closure (ancestor_id, descendant_id, depth) \
         SELECT a.ancestor_id, d.descendant_id, a.depth + d.depth + 1 \
         FROM org_unit_closure a CROSS JOIN org_unit_closure d \
         WHERE a.descendant_id = $1 AND d.ancestor_id = $2",
        vec![parent.into(), id.into()],
    ))
    .await?;
    let delta = new_parent.depth + 1 - unit.depth;
    c.execute_raw(stmt(
        c,
        "UPDATE org_units SET depth = depth + $1 WHERE id IN (SELECT descendant_id FROM org_unit_closure WHERE ancestor_id = $2)",
        vec![delta.into(), id.into()],
    ))
    .await?;
    c.execute_raw(stmt(
        c,
        "UPDATE org_unit_links SET valid_until = $1 WHERE unit_id = $2 AND valid_until IS NULL",
        vec![effective_on.into(), id.into()],
    ))
    .await?;
    insert_row(
        c,
        org_unit_links::ActiveModel {
            id: Set(Uuid::now_v7()),
            unit_id: Set(id),
            parent_id: Set(parent),
            valid_from: Set(effective_on),
            valid_until: Set(None),
        },
    )
    .await?;
    let updated = org_units::Entity::update_many()
        .set(org_units::ActiveModel { parent_id: Set(Some(parent)), parent_since: Set(effective_on), ..Default::default() })
        .filter(org_units::Column::Id.eq(id))
        .exec(c)
        .await?;
    if updated.rows_affected != 1 {
        return Err(StoreError::NotFound);
    }
    // Members of the moved subtree now count in other units' rankings.
    crate::study::rebuild_unit_points_subtree(c, unit.id).await?;
    Ok(())
}

/// The parent links of a unit, oldest first.
pub async fn links<C: ConnectionTrait>(c: &C, id: UnitId) -> StoreResult<Vec<LinkRecord>> {
    let models = org_unit_links::Entity::find()
        .filter(org_unit_links::Column::UnitId.eq(id.as_uuid()))
        .order_by_asc(org_unit_links::Column::ValidFrom)
        .all(c)
        .await?;
    Ok(models
        .into_iter()
        .map(|m| LinkRecord { parent_id: UnitId::from_uuid(m.parent_id), valid_from: m.valid_from, valid_until: m.valid_until })
        .collect())
}

/// The parent a unit had on `on`, if any.
pub async fn parent_on<C: ConnectionTrait>(c: &C, id: UnitId, on: NaiveDate) -> StoreResult<Option<UnitId>> {
    let model = org_unit_links::Entity::find()
        .filter(org_unit_links::Column::UnitId.eq(id.as_uuid()))
        .filter(org_unit_links::Column::ValidFrom.lte(on))
        .filter(org_unit_links::Column::ValidUntil.is_null().or(org_unit_links::Column::ValidUntil.gt(on)))
        .one(c)
        .await?;
    Ok(model.map(|m| UnitId::from_uuid(m.parent_id)))
}

/// Units without a parent (the root), oldest first.
pub async fn roots<C: ConnectionTrait>(c: &C) -> StoreResult<Vec<UnitRecord>> {
    let models =
        org_units::Entity::find().filter(org_units::Column::ParentId.is_null()).order_by_asc(org_units::Column::CreatedAt).all(c).await?;
    models.into_iter().map(to_record).collect()
}

/// Every unit in the subtree of `id` (the unit included), one indexed query.
pub async fn subtree_ids<C: ConnectionTrait>(c: &C, id: UnitId) -> StoreResult<Vec<UnitId>> {
    let rows =
        c.query_all_raw(stmt(c, "SELECT descendant_id FROM org_unit_closure WHERE ancestor_id = $1", vec![id.as_uuid().into()])).await?;
    rows.iter().map(|r| r.try_get::<Uuid>("", "descendant_id").map(UnitId::from_uuid).map_err(StoreError::from)).collect()
}

/// Locks units for the rest of the transaction before they are re-read and rewritten: a no-op
/// update takes the rows' locks on PostgreSQL (in id order, so concurrent moves cannot deadlock)
/// and the database write lock on SQLite. Concurrent moves then see each other's result and the
/// cycle and depth checks hold.
pub async fn lock<C: ConnectionTrait>(c: &C, ids: &[UnitId]) -> StoreResult<()> {
    let mut ids: Vec<Uuid> = ids.iter().map(|u| u.as_uuid()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        c.execute_raw(stmt(c, "UPDATE org_units SET depth = depth WHERE id = $1", vec![id.into()])).await?;
    }
    Ok(())
}
