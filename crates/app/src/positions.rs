//! Position use cases: appointing a secretary, deputy or committee member (*bí thư, phó bí thư,
//! cấp ủy viên*), ending a position, and a unit's positions.

use chrono::NaiveDate;
use membership::lifecycle::Standing;
use membership::permission::{ActOnMemberError, Action, Actor};
use membership::position::{NewPosition, Position, PositionError, Role, check_end, check_new_position};
use membership::{MemberId, PositionId, UnitId};
use storage::{Constraint, StoreError};
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::units::ViewUnitError;
use crate::{Ctx, allowed, may_act_on, unit_path};

/// Why an appointment was refused.
#[derive(Debug, thiserror::Error)]
pub enum AppointError<E> {
    /// The caller may not manage the unit's positions.
    #[error("not permitted")]
    Forbidden,
    /// The member is the caller, or already holds a position the caller may not appoint to.
    #[error(transparent)]
    Refused(ActOnMemberError),
    /// The caller's parser refused the request (reported only once the caller is allowed).
    #[error("the request was refused")]
    Request(E),
    /// No such member.
    #[error("no such member")]
    MemberNotFound,
    /// The position rules refuse (not official, outside the unit, role taken, already held, …).
    #[error(transparent)]
    Rule(PositionError),
    /// A concurrent appointment took the role first (the database's unique index decided).
    #[error("the unit already has an active holder of this role")]
    Taken,
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An appointment as requested.
#[derive(Debug, Clone, Copy)]
pub struct Appointment {
    /// The member appointed.
    pub member: MemberId,
    /// The role.
    pub role: Role,
    /// First day.
    pub from: NaiveDate,
}

/// Appoints a member to a role in `unit` (secretaries and deputies of a superior unit,
/// administrators), with its audit record: nobody appoints themselves, nor a member holding a
/// position they may not appoint to (`membership::permission::not_self_nor_superior`). At most
/// one open secretary and one open deputy per unit, guaranteed by the database. `request` is the
/// caller's parse, looked at only once the caller is known to be allowed.
pub async fn appoint<E>(ctx: &Ctx, who: Requester<'_>, unit: UnitId, request: Result<Appointment, E>) -> Result<Position, AppointError<E>> {
    let now = ctx.clock.now();
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, who.actor, Action::ManagePositions, &path) {
        return Err(AppointError::Forbidden);
    }
    let Appointment { member: member_id, role, from } = request.map_err(AppointError::Request)?;
    let member = match storage::members::get(ctx.db.conn(), member_id).await {
        Err(StoreError::NotFound) => return Err(AppointError::MemberNotFound),
        other => other?,
    };
    may_act_on(ctx, who.actor, None, member.id, &[]).await?.map_err(AppointError::Refused)?;
    let existing = storage::positions::for_unit(ctx.db.conn(), unit).await?;
    let candidate = NewPosition {
        member_id,
        role,
        from,
        holder_is_official: member.state.standing == Standing::Official,
        holder_in_subtree: storage::units::in_subtree(ctx.db.conn(), unit, member.state.home_unit).await?,
    };
    check_new_position(&existing, &candidate).map_err(AppointError::Rule)?;
    let position = Position { id: PositionId::from_uuid(Uuid::now_v7()), unit_id: unit, member_id, role, from, to: None };
    let tx = ctx.db.begin().await?;
    storage::positions::insert(tx.conn(), &position, now).await.map_err(|e| match e {
        StoreError::Conflict { constraint: Constraint::OpenPosition } => AppointError::Taken,
        other => AppointError::Store(other),
    })?;
    audit::record(
        &tx,
        who,
        now,
        "position.create",
        ("position", Some(position.id.as_uuid())),
        Some(unit),
        serde_json::json!({"member_id": member_id.as_uuid(), "role": role.code(), "from": from}),
    )
    .await?;
    tx.commit().await?;
    Ok(position)
}

/// Why a position cannot be ended.
#[derive(Debug, thiserror::Error)]
pub enum EndPositionError<E> {
    /// The caller may not manage the unit's positions.
    #[error("not permitted")]
    Forbidden,
    /// The holder is the caller, or also holds a position the caller may not appoint to.
    #[error(transparent)]
    Refused(ActOnMemberError),
    /// The caller's parser refused the request (reported only once the caller is allowed).
    #[error("the request was refused")]
    Request(E),
    /// Already ended, or the last day is before the first.
    #[error(transparent)]
    Rule(PositionError),
    /// Storage (a missing position is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Ends a position on `to` (default today), with the same rights as appointing — never the
/// caller's own, nor one of a holder who also holds a position the caller may not appoint to;
/// audited.
pub async fn end_position<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: PositionId,
    to: Result<Option<NaiveDate>, E>,
) -> Result<Position, EndPositionError<E>> {
    let now = ctx.clock.now();
    let mut position = storage::positions::get(ctx.db.conn(), id).await?;
    let path = unit_path(ctx, position.unit_id).await?;
    if !allowed(ctx, who.actor, Action::ManagePositions, &path) {
        return Err(EndPositionError::Forbidden);
    }
    may_act_on(ctx, who.actor, None, position.member_id, &[]).await?.map_err(EndPositionError::Refused)?;
    let to = to.map_err(EndPositionError::Request)?;
    let to = to.unwrap_or_else(|| ctx.clock.today());
    check_end(&position, to).map_err(EndPositionError::Rule)?;
    let tx = ctx.db.begin().await?;
    storage::positions::end(tx.conn(), position.id, to).await.map_err(|e| match e {
        // Ended by someone else meanwhile.
        StoreError::NotFound => EndPositionError::Rule(PositionError::AlreadyEnded),
        other => EndPositionError::Store(other),
    })?;
    audit::record(
        &tx,
        who,
        now,
        "position.end",
        ("position", Some(position.id.as_uuid())),
        Some(position.unit_id),
        serde_json::json!({"to": to}),
    )
    .await?;
    tx.commit().await?;
    position.to = Some(to);
    Ok(position)
}

/// The positions of a unit (held today, or all with `include_ended`), for anyone who may see the
/// unit or its roster.
pub async fn unit_positions(ctx: &Ctx, actor: &Actor, unit: UnitId, include_ended: bool) -> Result<Vec<Position>, ViewUnitError> {
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, actor, Action::ViewRoster, &path) && !allowed(ctx, actor, Action::ViewUnit, &path) {
        return Err(ViewUnitError::Forbidden);
    }
    let today = ctx.clock.today();
    let positions = storage::positions::for_unit(ctx.db.conn(), unit).await?;
    Ok(positions.into_iter().filter(|p| include_ended || p.is_active_on(today)).collect())
}
