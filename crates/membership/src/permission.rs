//! The permission function. Every read and write in the system is decided here, from the actor's
//! positions active on the date of the action, the actor's administrator grants (each scoped to a
//! unit's subtree) and the ancestry of the target unit.
//!
//! | actor | may, over the subtree of the unit they hold it in |
//! |---|---|
//! | administrator grant on U | everything, including the audit log and granting administration below U |
//! | secretary / deputy of U | view units and rosters with private fields, manage members, accounts and sub-units; appoint positions in units strictly below U; run U's own meetings and issue U's own documents; review meeting reports addressed to U or below and the point adjustments made below U |
//! | committee member of U | view units, rosters with private fields, and meetings; issue U's own documents |
//! | member of cell C | view C and its ancestors; see C's roster (names and positions only) and meetings; their own full record |
//!
//! Administrators do everything over their subtree except running a unit's meetings, which stays
//! with that unit's own secretary and deputy.
//!
//! Acting on a member (adjusting their points, recording their lifecycle events, editing their
//! record, issuing their account, appointing them or ending their position) is decided by
//! [`authorize_on_member`]: the action's right over the member's cell, and besides, nobody acts on
//! themselves and, for a member who holds a position, only those who may appoint to every unit
//! where it is held (the superior level, administrators over it) act on them — so a cell
//! secretary cannot touch the commune secretary who sits in the cell, nor a deputy their
//! secretary.

use chrono::NaiveDate;

use crate::position::Role;
use crate::{AccountId, MemberId, UnitId};

/// Something an actor wants to do on a unit (or on a member of that unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Action {
    /// See a unit's name, kind and place in the tree.
    ViewUnit,
    /// Create sub-units under a unit, move units.
    ManageStructure,
    /// List a unit's members (names and positions).
    ViewRoster,
    /// See members' private fields (CCCD, date of birth, phone, e-mail, card number, history).
    ViewMemberPrivate,
    /// Create members, edit contact fields, record lifecycle events, import rosters.
    ManageMembers,
    /// Appoint and end secretaries, deputies and committee members in a unit.
    ManagePositions,
    /// Create login accounts for members.
    ManageAccounts,
    /// Read the audit log of a subtree.
    ViewAudit,
    /// Grant and revoke administration of a subtree.
    ManageAdmins,
    /// See a unit's meetings (members of the cell; leaders, committee members and
    /// administrators over it).
    ViewMeetings,
    /// Prepare and run the meetings of this very unit: its own secretary and deputy only — a
    /// superior's leader reads a cell's meetings and reports but does not edit its minutes.
    ManageMeetings,
    /// Acknowledge or return the meeting reports addressed to this unit (secretaries and deputies
    /// of the unit or above, administrators over it).
    ReviewReports,
    /// Draft, publish and withdraw the documents this very unit issues: its own secretary, deputy
    /// and committee members, and administrators over it.
    ManageDocuments,
    /// Assign, evaluate, return, cancel and edit the tasks of this very unit: its own secretary and
    /// deputy, and administrators over it (a superior's leader sees the figures, not the pen).
    ManageTasks,
    /// See the manual point adjustments made to members of this unit's subtree (secretaries and
    /// deputies of the unit or above, administrators over it): the superior's review of what the
    /// leaders below did.
    ReviewAdjustments,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 15] = [
        Action::ViewUnit,
        Action::ManageStructure,
        Action::ViewRoster,
        Action::ViewMemberPrivate,
        Action::ManageMembers,
        Action::ManagePositions,
        Action::ManageAccounts,
        Action::ViewAudit,
        Action::ManageAdmins,
        Action::ViewMeetings,
        Action::ManageMeetings,
        Action::ReviewReports,
        Action::ManageDocuments,
        Action::ManageTasks,
        Action::ReviewAdjustments,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Action::ViewUnit => "view_unit",
            Action::ManageStructure => "manage_structure",
            Action::ViewRoster => "view_roster",
            Action::ViewMemberPrivate => "view_member_private",
            Action::ManageMembers => "manage_members",
            Action::ManagePositions => "manage_positions",
            Action::ManageAccounts => "manage_accounts",
            Action::ViewAudit => "view_audit",
            Action::ManageAdmins => "manage_admins",
            Action::ViewMeetings => "view_meetings",
            Action::ManageMeetings => "manage_meetings",
            Action::ReviewReports => "review_reports",
            Action::ManageDocuments => "manage_documents",
            Action::ManageTasks => "manage_tasks",
            Action::ReviewAdjustments => "review_adjustments",
        }
    }
}

/// A position the actor holds, with its period.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HeldPosition {
    /// Unit the position is held in.
    pub unit_id: UnitId,
    /// The role.
    pub role: Role,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive), if ended.
    pub to: Option<NaiveDate>,
}

impl HeldPosition {
    /// Whether the position is held on `on` (first and last day included), as
    /// [`Position::is_active_on`](crate::position::Position::is_active_on).
    pub fn is_active_on(&self, on: NaiveDate) -> bool {
        self.from <= on && self.to.is_none_or(|to| on <= to)
    }
}

/// Who is acting: an account, the member behind it (if any), their positions and grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Actor {
    /// The account (absent only for internal jobs).
    pub account_id: Option<AccountId>,
    /// The member behind the account.
    pub member_id: Option<MemberId>,
    /// Ancestry of the member's home cell, root first, ending with the cell; empty if no member
    /// or the member is no longer active.
    pub home_path: Vec<UnitId>,
    /// Positions held (any period; only those active on the date of the action count).
    pub positions: Vec<HeldPosition>,
    /// Units whose subtrees this account administers.
    pub admin_scopes: Vec<UnitId>,
}

/// The refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not permitted: {}", action.code())]
pub struct Denied {
    /// What was refused.
    pub action: Action,
}

/// Decides whether `actor` may perform `action` on the unit whose ancestry is `target_path`
/// (root first, ending with the target unit) on date `on`.
pub fn authorize(actor: &Actor, action: Action, target_path: &[UnitId], on: NaiveDate) -> Result<(), Denied> {
    let denied = Err(Denied { action });
    let Some(target) = target_path.last() else {
        return denied;
    };
    if action != Action::ManageMeetings && actor.admin_scopes.iter().any(|scope| target_path.contains(scope)) {
        return Ok(());
    }
    for held in actor.positions.iter().filter(|p| p.is_active_on(on)) {
        if !target_path.contains(&held.unit_id) {
            continue;
        }
        let strictly_below = held.unit_id != *target;
        let allowed = match (held.role.is_leader(), action) {
            (_, Action::ViewUnit | Action::ViewRoster | Action::ViewMemberPrivate | Action::ViewMeetings) => true,
            (
                true,
                Action::ManageMembers
                | Action::ManageAccounts
                | Action::ManageStructure
                | Action::ReviewReports
                | Action::ReviewAdjustments,
            ) => true,
            (true, Action::ManagePositions) => strictly_below,
            (true, Action::ManageMeetings | Action::ManageTasks) => !strictly_below,
            (_, Action::ManageDocuments) => !strictly_below,
            _ => false,
        };
        if allowed {
            return Ok(());
        }
    }
    let own_chain = actor.home_path.contains(target);
    let own_cell = actor.home_path.last() == Some(target);
    match action {
        Action::ViewUnit if own_chain => Ok(()),
        Action::ViewRoster | Action::ViewMeetings if own_cell => Ok(()),
        _ => denied,
    }
}

/// A member someone wants to act on, as [`authorize_on_member`] needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MemberTarget {
    /// The member.
    pub member_id: MemberId,
    /// Ancestry of the member's home cell, root first, ending with the cell.
    pub home_path: Vec<UnitId>,
    /// The member's positions (any period), each with the ancestry of its unit, root first.
    /// Positions that ended before the date of the action do not count; current and future ones
    /// do.
    pub positions: Vec<(HeldPosition, Vec<UnitId>)>,
}

/// Why an actor may not act on a member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActOnMemberError {
    /// The actor is the member: nobody adjusts their own points, records events about themselves,
    /// issues their own account or appoints themselves.
    #[error("nobody may do this on their own record")]
    OnSelf,
    /// The actor may not do the action on the member's cell at all.
    #[error(transparent)]
    Denied(Denied),
    /// The member holds a position in `unit` (or in several; the first one found) to which the
    /// actor may not appoint: a superior of the actor, or a fellow member of the actor's own
    /// committee. Only the level that appoints to it, or an administrator over it, acts on them.
    #[error("the member holds a position the actor may not appoint to")]
    OnSuperior {
        /// The unit of that position.
        unit: UnitId,
    },
}

impl ActOnMemberError {
    /// Stable code: `acting_on_self`, `forbidden`, `acting_on_superior`.
    pub fn code(&self) -> &'static str {
        match self {
            ActOnMemberError::OnSelf => "acting_on_self",
            ActOnMemberError::Denied(_) => "forbidden",
            ActOnMemberError::OnSuperior { .. } => "acting_on_superior",
        }
    }
}

/// Decides whether `actor` may do `action` on the member `target` on date `on`:
///
/// 1. nobody acts on themselves ([`ActOnMemberError::OnSelf`]; self-service that a member may do,
///    such as changing their own phone number, is the caller's to allow before asking);
/// 2. the actor needs `action` over the member's home cell ([`authorize`]);
/// 3. for every position the member holds on `on` or later, the actor needs the right to appoint
///    to it ([`Action::ManagePositions`] over its unit): the same level that may appoint or end
///    the position is the one that acts on its holder.
///
/// The checks run in that order, so an actor refused at 2 learns nothing of the member's
/// positions.
///
/// ```
/// use chrono::NaiveDate;
/// use membership::permission::{authorize_on_member, Action, ActOnMemberError, Actor, HeldPosition, MemberTarget};
/// use membership::position::Role;
/// use membership::{MemberId, UnitId};
///
/// let on = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
/// let since = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
/// let [province, commune, cell] = [1, 2, 3].map(|n| UnitId::from_uuid(uuid::Uuid::from_u128(n)));
/// let cell_path = vec![province, commune, cell];
/// let held = |unit, role| HeldPosition { unit_id: unit, role, from: since, to: None };
/// // The cell's secretary, and the commune's secretary, who is a member of the same cell.
/// let secretary = Actor {
///     member_id: Some(MemberId::from_uuid(uuid::Uuid::from_u128(10))),
///     home_path: cell_path.clone(),
///     positions: vec![held(cell, Role::Secretary)],
///     ..Actor::default()
/// };
/// let commune_secretary = MemberTarget {
///     member_id: MemberId::from_uuid(uuid::Uuid::from_u128(11)),
///     home_path: cell_path.clone(),
///     positions: vec![(held(commune, Role::Secretary), vec![province, commune])],
/// };
/// assert_eq!(
///     authorize_on_member(&secretary, Action::ManageMembers, &commune_secretary, on),
///     Err(ActOnMemberError::OnSuperior { unit: commune })
/// );
/// let plain_member = MemberTarget { positions: vec![], ..commune_secretary };
/// assert_eq!(authorize_on_member(&secretary, Action::ManageMembers, &plain_member, on), Ok(()));
/// ```
pub fn authorize_on_member(actor: &Actor, action: Action, target: &MemberTarget, on: NaiveDate) -> Result<(), ActOnMemberError> {
    if actor.member_id == Some(target.member_id) {
        return Err(ActOnMemberError::OnSelf);
    }
    authorize(actor, action, &target.home_path, on).map_err(ActOnMemberError::Denied)?;
    not_self_nor_superior(actor, target, on)
}

/// The part of [`authorize_on_member`] that does not depend on an action over the member's cell
/// (`target.home_path` is not read): the actor is not the member, and may appoint to every
/// position the member holds on `on` or later. For use cases whose right comes from elsewhere:
/// appointing a member to a unit, ending one of their positions.
pub fn not_self_nor_superior(actor: &Actor, target: &MemberTarget, on: NaiveDate) -> Result<(), ActOnMemberError> {
    if actor.member_id == Some(target.member_id) {
        return Err(ActOnMemberError::OnSelf);
    }
    for (held, unit_path) in target.positions.iter().filter(|(p, _)| p.to.is_none_or(|to| on <= to)) {
        if authorize(actor, Action::ManagePositions, unit_path, on).is_err() {
            return Err(ActOnMemberError::OnSuperior { unit: held.unit_id });
        }
    }
    Ok(())
}

/// How much of a member record the actor may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum MemberView {
    /// Name, standing, cell and positions.
    Basic,
    /// Everything, including CCCD, date of birth, phone, e-mail and history.
    Full,
}

impl MemberView {
    /// Every view.
    pub const ALL: [MemberView; 2] = [MemberView::Basic, MemberView::Full];

    /// Stable code: `basic` or `full`.
    pub fn code(self) -> &'static str {
        match self {
            MemberView::Basic => "basic",
            MemberView::Full => "full",
        }
    }
}

/// The view of member `member` (whose home cell has ancestry `member_path`) that `actor` gets on
/// `on`, or `None` if the member is not visible at all.
pub fn member_view(actor: &Actor, member: MemberId, member_path: &[UnitId], on: NaiveDate) -> Option<MemberView> {
    if actor.member_id == Some(member) || authorize(actor, Action::ViewMemberPrivate, member_path, on).is_ok() {
        Some(MemberView::Full)
    } else if authorize(actor, Action::ViewRoster, member_path, on).is_ok() {
        Some(MemberView::Basic)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn u(n: u128) -> UnitId {
        UnitId::from_uuid(uuid::Uuid::from_u128(n))
    }

    // Tree: province(1) -> commune(2) -> cell(3) -> group(4)
    //                              \-> sibling cell(5)
    //       province(1) -> other commune(6) -> unrelated cell(7)
    fn path(n: u128) -> Vec<UnitId> {
        match n {
            1 => vec![u(1)],
            2 => vec![u(1), u(2)],
            3 => vec![u(1), u(2), u(3)],
            4 => vec![u(1), u(2), u(3), u(4)],
            5 => vec![u(1), u(2), u(5)],
            6 => vec![u(1), u(6)],
            7 => vec![u(1), u(6), u(7)],
            _ => vec![],
        }
    }

    #[test]
    fn a_held_position_counts_from_its_first_to_its_last_day() {
        let held = HeldPosition { unit_id: u(3), role: Role::Secretary, from: d(2025, 1, 1), to: Some(d(2025, 12, 31)) };
        for (day, active) in [(d(2024, 12, 31), false), (d(2025, 1, 1), true), (d(2025, 12, 31), true), (d(2026, 1, 1), false)] {
            assert_eq!(held.is_active_on(day), active, "{day}");
        }
        assert!(HeldPosition { to: None, ..held }.is_active_on(d(2040, 1, 1)), "an open position has no last day");
    }

    fn holder(role: Role, unit: u128) -> Actor {
        Actor {
            account_id: None,
            member_id: Some(MemberId::from_uuid(uuid::Uuid::from_u128(99))),
            home_path: path(3),
            positions: vec![HeldPosition { unit_id: u(unit), role, from: d(2024, 1, 1), to: None }],
            admin_scopes: vec![],
        }
    }

    /// role × (own unit, child, parent, sibling, unrelated) × action, as a readable table.
    #[test]
    fn permission_matrix() {
        let on = d(2026, 1, 1);
        let actors: Vec<(&str, Actor)> = vec![
            ("admin of commune 2", Actor { admin_scopes: vec![u(2)], ..Actor::default() }),
            ("secretary of cell 3", holder(Role::Secretary, 3)),
            ("deputy of cell 3", holder(Role::DeputySecretary, 3)),
            ("committee of cell 3", holder(Role::CommitteeMember, 3)),
            ("secretary of commune 2", holder(Role::Secretary, 2)),
            (
                "member of cell 3",
                Actor { member_id: Some(MemberId::from_uuid(uuid::Uuid::from_u128(98))), home_path: path(3), ..Actor::default() },
            ),
            ("nobody", Actor::default()),
        ];
        let targets = [("own cell 3", 3), ("child group 4", 4), ("parent commune 2", 2), ("sibling cell 5", 5), ("unrelated cell 7", 7)];
        let mut lines = Vec::new();
        for (name, actor) in &actors {
            for (tname, t) in targets {
                let allowed: Vec<_> =
                    Action::ALL.into_iter().filter(|a| authorize(actor, *a, &path(t), on).is_ok()).map(Action::code).collect();
                lines.push(format!("{name:<24} on {tname:<18}: {}", if allowed.is_empty() { "-".to_string() } else { allowed.join(" ") }));
            }
        }
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn positions_count_only_while_active() {
        let mut actor = holder(Role::Secretary, 3);
        actor.positions[0].to = Some(d(2025, 12, 31));
        assert!(authorize(&actor, Action::ManageMembers, &path(3), d(2025, 12, 31)).is_ok());
        assert_eq!(authorize(&actor, Action::ManageMembers, &path(3), d(2026, 1, 1)), Err(Denied { action: Action::ManageMembers }));
        assert!(authorize(&actor, Action::ManageMembers, &path(3), d(2023, 12, 31)).is_err());
    }

    #[test]
    fn empty_target_path_is_denied() {
        let admin = Actor { admin_scopes: vec![u(1)], ..Actor::default() };
        assert!(authorize(&admin, Action::ViewUnit, &[], d(2026, 1, 1)).is_err());
    }

    #[test]
    fn member_views() {
        let on = d(2026, 1, 1);
        let me = MemberId::from_uuid(uuid::Uuid::from_u128(98));
        let colleague = MemberId::from_uuid(uuid::Uuid::from_u128(97));
        let member = Actor { member_id: Some(me), home_path: path(3), ..Actor::default() };
        assert_eq!(member_view(&member, me, &path(3), on), Some(MemberView::Full));
        assert_eq!(member_view(&member, colleague, &path(3), on), Some(MemberView::Basic));
        assert_eq!(member_view(&member, colleague, &path(5), on), None);
        let committee = holder(Role::CommitteeMember, 3);
        assert_eq!(member_view(&committee, colleague, &path(3), on), Some(MemberView::Full));
        assert_eq!(member_view(&committee, colleague, &path(5), on), None);
        let commune = holder(Role::Secretary, 2);
        assert_eq!(member_view(&commune, colleague, &path(5), on), Some(MemberView::Full));
        assert_eq!(member_view(&commune, colleague, &path(7), on), None);
    }

    // ------------------------------------------------------------ acting on a member

    fn m(n: u128) -> MemberId {
        MemberId::from_uuid(uuid::Uuid::from_u128(n))
    }

    /// A member (id `n`, home cell `cell`) holding `roles` (role, unit, first day, last day).
    fn person(n: u128, cell: u128, roles: &[(Role, u128, NaiveDate, Option<NaiveDate>)]) -> (Actor, MemberTarget) {
        let held: Vec<HeldPosition> =
            roles.iter().map(|&(role, unit, from, to)| HeldPosition { unit_id: u(unit), role, from, to }).collect();
        let actor = Actor { member_id: Some(m(n)), home_path: path(cell), positions: held.clone(), ..Actor::default() };
        let target = MemberTarget {
            member_id: m(n),
            home_path: path(cell),
            positions: held.into_iter().map(|h| (h.clone(), path(h.unit_id.as_uuid().as_u128()))).collect(),
        };
        (actor, target)
    }

    /// Who may act on whom (as `ManageMembers`, what adjusting points, recording events and
    /// editing a record need), in the tree province 1 → commune 2 → cell 3 (and sibling cell 5;
    /// commune 6 → cell 7). The commune's secretary and deputy sit in cell 3.
    #[test]
    fn acting_on_members_needs_the_right_over_the_cell_and_over_every_position_held() {
        let on = d(2026, 3, 1);
        let since = d(2025, 1, 1);
        let (cell_sec, cell_sec_t) = person(10, 3, &[(Role::Secretary, 3, since, None)]);
        let (cell_dep, cell_dep_t) = person(11, 3, &[(Role::DeputySecretary, 3, since, None)]);
        let (com_sec, com_sec_t) = person(12, 3, &[(Role::Secretary, 2, since, None)]);
        let (com_dep, com_dep_t) = person(13, 3, &[(Role::DeputySecretary, 2, since, None)]);
        let (prov_sec, prov_sec_t) = person(14, 7, &[(Role::Secretary, 1, since, None)]);
        let (sibling_sec, _) = person(15, 5, &[(Role::Secretary, 5, since, None)]);
        let (plain, plain_t) = person(16, 3, &[]);
        let (_, former_t) = person(17, 3, &[(Role::Secretary, 2, d(2020, 1, 1), Some(d(2026, 2, 28)))]);
        let (_, designate_t) = person(18, 3, &[(Role::DeputySecretary, 2, d(2026, 4, 1), None)]);
        let (_, dual_t) = person(19, 3, &[(Role::CommitteeMember, 3, since, None), (Role::CommitteeMember, 2, since, None)]);
        let commune_admin = Actor { account_id: None, admin_scopes: vec![u(2)], ..Actor::default() };
        let (mut admin_sec, _) = person(20, 3, &[(Role::Secretary, 3, since, None)]);
        admin_sec.admin_scopes = vec![u(3)];

        use ActOnMemberError::{OnSelf, OnSuperior};
        let forbidden = Err(ActOnMemberError::Denied(Denied { action: Action::ManageMembers }));
        type Case<'a> = (&'a str, &'a Actor, &'a str, &'a MemberTarget, Result<(), ActOnMemberError>);
        let cases: Vec<Case> = vec![
            ("cell secretary", &cell_sec, "a plain member of the cell", &plain_t, Ok(())),
            ("cell secretary", &cell_sec, "themselves", &cell_sec_t, Err(OnSelf)),
            ("cell secretary", &cell_sec, "the commune secretary in the cell", &com_sec_t, Err(OnSuperior { unit: u(2) })),
            ("cell secretary", &cell_sec, "the commune deputy in the cell", &com_dep_t, Err(OnSuperior { unit: u(2) })),
            ("cell secretary", &cell_sec, "the cell's deputy (their own committee)", &cell_dep_t, Err(OnSuperior { unit: u(3) })),
            ("cell secretary", &cell_sec, "a former commune secretary", &former_t, Ok(())),
            ("cell secretary", &cell_sec, "the commune deputy designate", &designate_t, Err(OnSuperior { unit: u(2) })),
            ("cell secretary", &cell_sec, "a committee member of the cell and the commune", &dual_t, Err(OnSuperior { unit: u(3) })),
            ("cell secretary", &cell_sec, "the province secretary (another cell)", &prov_sec_t, forbidden.clone()),
            ("cell deputy", &cell_dep, "their secretary", &cell_sec_t, Err(OnSuperior { unit: u(3) })),
            ("cell deputy", &cell_dep, "themselves", &cell_dep_t, Err(OnSelf)),
            ("sibling cell secretary", &sibling_sec, "a plain member of cell 3", &plain_t, forbidden.clone()),
            ("plain member", &plain, "the cell secretary", &cell_sec_t, forbidden.clone()),
            ("plain member", &plain, "themselves", &plain_t, Err(OnSelf)),
            ("commune secretary", &com_sec, "the cell secretary", &cell_sec_t, Ok(())),
            ("commune secretary", &com_sec, "the cell deputy", &cell_dep_t, Ok(())),
            ("commune secretary", &com_sec, "themselves, a member of the cell", &com_sec_t, Err(OnSelf)),
            ("commune secretary", &com_sec, "their deputy (same committee)", &com_dep_t, Err(OnSuperior { unit: u(2) })),
            ("commune secretary", &com_sec, "a committee member of the cell and the commune", &dual_t, Err(OnSuperior { unit: u(2) })),
            ("commune deputy", &com_dep, "their secretary", &com_sec_t, Err(OnSuperior { unit: u(2) })),
            ("province secretary", &prov_sec, "the commune secretary", &com_sec_t, Ok(())),
            ("province secretary", &prov_sec, "a committee member of the cell and the commune", &dual_t, Ok(())),
            ("commune administrator", &commune_admin, "the commune secretary", &com_sec_t, Ok(())),
            ("commune administrator", &commune_admin, "the province secretary", &prov_sec_t, forbidden.clone()),
            ("cell administrator and secretary", &admin_sec, "the cell deputy", &cell_dep_t, Ok(())),
            ("cell administrator and secretary", &admin_sec, "the commune secretary", &com_sec_t, Err(OnSuperior { unit: u(2) })),
        ];
        for (actor_name, actor, target_name, target, want) in cases {
            assert_eq!(authorize_on_member(actor, Action::ManageMembers, target, on), want, "{actor_name} on {target_name}");
        }
    }

    #[test]
    fn self_is_refused_before_anything_else_and_positions_only_after_the_cell() {
        let on = d(2026, 3, 1);
        let since = d(2025, 1, 1);
        // An administrator of the whole tree who is also a member: still not on themselves.
        let (mut admin, admin_t) = person(30, 3, &[]);
        admin.admin_scopes = vec![u(1)];
        assert_eq!(authorize_on_member(&admin, Action::ManageMembers, &admin_t, on), Err(ActOnMemberError::OnSelf));
        // An outsider learns nothing of the positions of a member they may not manage.
        let (outsider, _) = person(31, 7, &[(Role::Secretary, 7, since, None)]);
        let (_, com_sec_t) = person(32, 3, &[(Role::Secretary, 2, since, None)]);
        assert_eq!(
            authorize_on_member(&outsider, Action::ManageMembers, &com_sec_t, on),
            Err(ActOnMemberError::Denied(Denied { action: Action::ManageMembers }))
        );
        // Account issuing asks the same question with its own action.
        let (cell_sec, _) = person(33, 3, &[(Role::Secretary, 3, since, None)]);
        let (_, plain_t) = person(34, 3, &[]);
        assert_eq!(authorize_on_member(&cell_sec, Action::ManageAccounts, &plain_t, on), Ok(()));
        assert_eq!(
            authorize_on_member(&cell_sec, Action::ManageAccounts, &com_sec_t, on),
            Err(ActOnMemberError::OnSuperior { unit: u(2) })
        );
        // Without the cell's part: only self and positions.
        assert_eq!(not_self_nor_superior(&cell_sec, &plain_t, on), Ok(()));
        assert_eq!(not_self_nor_superior(&outsider, &plain_t, on), Ok(()), "the cell's right is the caller's to check");
        assert_eq!(not_self_nor_superior(&cell_sec, &com_sec_t, on), Err(ActOnMemberError::OnSuperior { unit: u(2) }));
        let (cell_sec_again, cell_sec_t) = person(33, 3, &[(Role::Secretary, 3, since, None)]);
        assert_eq!(not_self_nor_superior(&cell_sec_again, &cell_sec_t, on), Err(ActOnMemberError::OnSelf));
        // A position whose unit's ancestry is unknown protects its holder.
        let orphan = MemberTarget { positions: vec![(com_sec_t.positions[0].0.clone(), vec![])], ..plain_t };
        assert_eq!(authorize_on_member(&cell_sec, Action::ManageMembers, &orphan, on), Err(ActOnMemberError::OnSuperior { unit: u(2) }));
    }

    #[test]
    fn act_on_member_codes_are_stable() {
        assert_eq!(ActOnMemberError::OnSelf.code(), "acting_on_self");
        assert_eq!(ActOnMemberError::OnSuperior { unit: u(2) }.code(), "acting_on_superior");
        assert_eq!(ActOnMemberError::Denied(Denied { action: Action::ManageMembers }).code(), "forbidden");
    }

    #[test]
    fn adjustments_are_reviewed_by_leaders_of_the_unit_and_above() {
        let on = d(2026, 1, 1);
        let review = |actor: &Actor, unit: u128| authorize(actor, Action::ReviewAdjustments, &path(unit), on).is_ok();
        assert!(review(&holder(Role::Secretary, 2), 3), "the commune's secretary reviews its cells");
        assert!(review(&holder(Role::DeputySecretary, 2), 2));
        assert!(review(&holder(Role::Secretary, 3), 3), "a cell's own leaders see their cell's list");
        assert!(!review(&holder(Role::Secretary, 3), 2), "but not the commune's");
        assert!(!review(&holder(Role::CommitteeMember, 2), 3), "committee members do not review");
        assert!(!review(&holder(Role::Secretary, 2), 7), "nor leaders of another commune");
        let member = Actor { member_id: Some(m(98)), home_path: path(3), ..Actor::default() };
        assert!(!review(&member, 3), "nor members");
        assert!(review(&Actor { admin_scopes: vec![u(2)], ..Actor::default() }, 3));
        assert!(!review(&Actor { admin_scopes: vec![u(3)], ..Actor::default() }, 2), "an administrator below does not");
    }
}
