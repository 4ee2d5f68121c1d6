//! Organisation-unit use cases: the caller's top units, creating a unit, reading a unit with its
//! ancestors and children, effective-dated moves and the history of superiors.
//!
//! Authorisation is `membership::permission::authorize` on the unit's ancestry (one indexed query
//! on the closure table); the tree rules are `membership::unit`'s.

use chrono::NaiveDate;
use membership::permission::{Action, Actor};
use membership::unit::{MoveRequest, PlacementError, check_move, check_placement};
use membership::{UnitId, UnitKind, UnitName};
use storage::StoreError;
use storage::units::{LinkRecord, UnitRecord};
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::{Ctx, allowed, unit_path};

/// Why a unit cannot be read (or listed).
#[derive(Debug, thiserror::Error)]
pub enum ViewUnitError {
    /// The caller may not see the unit.
    #[error("not permitted")]
    Forbidden,
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The highest units the caller reaches: their administered subtrees, the units where they hold a
/// position today, and their own cell, without those lying under another of them.
pub async fn top_units(ctx: &Ctx, actor: &Actor) -> Result<Vec<UnitRecord>, StoreError> {
    let today = ctx.clock.today();
    let mut roots: Vec<UnitId> = actor.admin_scopes.clone();
    roots.extend(actor.positions.iter().filter(|p| p.is_active_on(today)).map(|p| p.unit_id));
    roots.extend(actor.home_path.last().copied());
    roots.sort();
    roots.dedup();
    let mut paths = Vec::with_capacity(roots.len());
    for unit in &roots {
        paths.push((*unit, storage::units::path(ctx.db.conn(), *unit).await?));
    }
    let top: Vec<UnitId> = paths
        .iter()
        .filter(|(unit, path)| !paths.iter().any(|(other, _)| other != unit && path.contains(other)))
        .map(|(u, _)| *u)
        .collect();
    storage::units::get_many(ctx.db.conn(), &top).await
}

/// Why a unit cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUnitError<E> {
    /// The caller may not manage the parent's structure.
    #[error("not permitted")]
    Forbidden,
    /// The caller's parser refused the request (reported only once the caller is allowed).
    #[error("the request was refused")]
    Request(E),
    /// A unit of this kind cannot be placed under the parent.
    #[error(transparent)]
    Placement(PlacementError),
    /// Storage (a missing parent is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a unit of the requested kind and name under `parent` (leaders and administrators over
/// the parent), dated today, with its audit record. The parent is locked so that a concurrent move
/// cannot misplace the new unit. `request` is looked at only once the caller is allowed.
pub async fn create_unit<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    parent: UnitId,
    request: Result<(UnitKind, UnitName), E>,
) -> Result<UnitRecord, CreateUnitError<E>> {
    let now = ctx.clock.now();
    let parent_path = unit_path(ctx, parent).await?;
    if !allowed(ctx, who.actor, Action::ManageStructure, &parent_path) {
        return Err(CreateUnitError::Forbidden);
    }
    let (kind, name) = request.map_err(CreateUnitError::Request)?;
    let tx = ctx.db.begin().await?;
    storage::units::lock(tx.conn(), &[parent]).await?;
    let parent_unit = storage::units::get(tx.conn(), parent).await?;
    check_placement(parent_unit.kind, kind).map_err(CreateUnitError::Placement)?;
    let unit = UnitRecord {
        id: UnitId::from_uuid(Uuid::now_v7()),
        parent_id: Some(parent),
        kind,
        name: name.as_str().to_string(),
        depth: parent_unit.depth + 1,
        parent_since: ctx.clock.today(),
        created_at: now,
    };
    storage::units::insert(tx.conn(), &unit).await?;
    audit::record(
        &tx,
        who,
        now,
        "org_unit.create",
        ("org_unit", Some(unit.id.as_uuid())),
        Some(unit.id),
        serde_json::json!({"name": unit.name, "kind": kind.code(), "parent_id": parent.as_uuid()}),
    )
    .await?;
    tx.commit().await?;
    Ok(unit)
}

/// A unit and its ancestors (root first).
#[derive(Debug, Clone)]
pub struct UnitWithAncestors {
    /// The unit.
    pub unit: UnitRecord,
    /// Its ancestors, root first.
    pub ancestors: Vec<UnitRecord>,
}

/// A unit with its ancestors, for anyone who may see it.
pub async fn unit(ctx: &Ctx, actor: &Actor, id: UnitId) -> Result<UnitWithAncestors, ViewUnitError> {
    let path = unit_path(ctx, id).await?;
    if !allowed(ctx, actor, Action::ViewUnit, &path) {
        return Err(ViewUnitError::Forbidden);
    }
    let units = storage::units::get_many(ctx.db.conn(), &path).await?;
    let unit = units.iter().find(|u| u.id == id).cloned().ok_or(StoreError::NotFound)?;
    let ancestors = path.iter().filter(|p| **p != id).filter_map(|p| units.iter().find(|u| u.id == *p)).cloned().collect();
    Ok(UnitWithAncestors { unit, ancestors })
}

/// The children of a unit that the caller may see.
pub async fn children(ctx: &Ctx, actor: &Actor, id: UnitId) -> Result<Vec<UnitRecord>, ViewUnitError> {
    let path = unit_path(ctx, id).await?;
    if !allowed(ctx, actor, Action::ViewUnit, &path) {
        return Err(ViewUnitError::Forbidden);
    }
    let children = storage::units::children(ctx.db.conn(), id).await?;
    let mut child_path = path.clone();
    child_path.push(id);
    Ok(children
        .into_iter()
        .filter(|c| {
            if let Some(last) = child_path.last_mut() {
                *last = c.id;
            }
            allowed(ctx, actor, Action::ViewUnit, &child_path)
        })
        .collect())
}

/// Why a unit cannot be moved.
#[derive(Debug, thiserror::Error)]
pub enum MoveUnitError<E> {
    /// The caller may not manage both the current and the new superior's structure.
    #[error("not permitted")]
    Forbidden,
    /// The caller's parser refused the request (reported only once the caller is allowed).
    #[error("the request was refused")]
    Request(E),
    /// The root unit has no superior to change.
    #[error("the root unit cannot be moved")]
    Root,
    /// The unit was moved by someone else meanwhile.
    #[error("the unit was moved meanwhile; reload and retry")]
    Concurrent,
    /// The tree's rules refuse the move.
    #[error(transparent)]
    Placement(PlacementError),
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Moves a unit under a new superior from `effective_on` (no later than today), keeping the
/// history of superiors, with its audit record. Both units are locked and the tree re-read inside
/// the transaction: a concurrent move has either committed (and is seen) or waits.
pub async fn move_unit<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: UnitId,
    new_parent: UnitId,
    effective_on: Result<NaiveDate, E>,
) -> Result<UnitRecord, MoveUnitError<E>> {
    let now = ctx.clock.now();
    let path = unit_path(ctx, id).await?;
    if !allowed(ctx, who.actor, Action::ViewUnit, &path) {
        return Err(MoveUnitError::Forbidden);
    }
    let unit = storage::units::get(ctx.db.conn(), id).await?;
    let Some(current_parent) = unit.parent_id else {
        return Err(MoveUnitError::Root);
    };
    if !allowed(ctx, who.actor, Action::ManageStructure, &path[..path.len() - 1]) {
        return Err(MoveUnitError::Forbidden);
    }
    let new_parent_path = unit_path(ctx, new_parent).await?;
    if !allowed(ctx, who.actor, Action::ManageStructure, &new_parent_path) {
        return Err(MoveUnitError::Forbidden);
    }
    let effective_on = effective_on.map_err(MoveUnitError::Request)?;
    let tx = ctx.db.begin().await?;
    storage::units::lock(tx.conn(), &[id, new_parent]).await?;
    let unit = storage::units::get(tx.conn(), id).await?;
    let new_parent_unit = storage::units::get(tx.conn(), new_parent).await?;
    let new_parent_path = storage::units::path(tx.conn(), new_parent).await?;
    if unit.parent_id != Some(current_parent) {
        return Err(MoveUnitError::Concurrent);
    }
    check_move(&MoveRequest {
        kind: unit.kind,
        current_parent: unit.parent_id,
        current_link_since: unit.parent_since,
        new_parent,
        new_parent_kind: new_parent_unit.kind,
        new_parent_path: &new_parent_path,
        unit: id,
        effective_on,
        today: ctx.clock.today(),
    })
    .map_err(MoveUnitError::Placement)?;
    storage::units::move_unit(tx.conn(), &unit, &new_parent_unit, effective_on).await?;
    audit::record(
        &tx,
        who,
        now,
        "org_unit.move",
        ("org_unit", Some(id.as_uuid())),
        Some(id),
        serde_json::json!({"from_parent_id": current_parent.as_uuid(), "to_parent_id": new_parent.as_uuid(), "effective_on": effective_on}),
    )
    .await?;
    let moved = storage::units::get(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(moved)
}

/// The superiors a unit has had (all, or the one in force on `on`), with their units.
pub async fn parent_links(
    ctx: &Ctx,
    actor: &Actor,
    id: UnitId,
    on: Option<NaiveDate>,
) -> Result<Vec<(LinkRecord, UnitRecord)>, ViewUnitError> {
    let path = unit_path(ctx, id).await?;
    if !allowed(ctx, actor, Action::ViewUnit, &path) {
        return Err(ViewUnitError::Forbidden);
    }
    let links = storage::units::links(ctx.db.conn(), id).await?;
    let links: Vec<LinkRecord> =
        links.into_iter().filter(|l| on.is_none_or(|on| l.valid_from <= on && l.valid_until.is_none_or(|u| on < u))).collect();
    let parent_ids: Vec<UnitId> = links.iter().map(|l| l.parent_id).collect();
    let parents = storage::units::get_many(ctx.db.conn(), &parent_ids).await?;
    Ok(links
        .into_iter()
        .filter_map(|l| {
            let p = parents.iter().find(|p| p.id == l.parent_id)?.clone();
            Some((l, p))
        })
        .collect())
}
