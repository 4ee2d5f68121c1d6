//! The permission function. Every read and write in the system is decided here, from the actor's
//! positions active on the date of the action, the actor's administrator grants (each scoped to a
//! unit's subtree) and the ancestry of the target unit.
//!
//! | actor | may, over the subtree of the unit they hold it in |
//! |---|---|
//! | administrator grant on U | everything, including the audit log and granting administration below U |
//! | secretary / deputy of U | view units and rosters with private fields, manage members, accounts and sub-units; appoint positions in units strictly below U; run U's own meetings and issue U's own documents; review meeting reports addressed to U or below |
//! | committee member of U | view units, rosters with private fields, and meetings; issue U's own documents |
//! | member of cell C | view C and its ancestors; see C's roster (names and positions only) and meetings; their own full record |
//!
//! Administrators do everything over their subtree except running a unit's meetings, which stays
//! with that unit's own secretary and deputy.

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
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 14] = [
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
            (true, Action::ManageMembers | Action::ManageAccounts | Action::ManageStructure | Action::ReviewReports) => true,
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

/// How much of a member record the actor may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum MemberView {
    /// Name, standing, cell and positions.
    Basic,
    /// Everything, including CCCD, date of birth, phone, e-mail and history.
    Full,
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
}
