//! Who may read a document, and who may manage it.
//!
//! - The **issuer's side** manages a document: whoever may manage the issuing unit's documents
//!   (any position held today in the issuing unit itself, administrators of a subtree containing
//!   it). It sees the document in every status.
//! - A **member of the audience** ([`audience::includes`]: their current cell lies in an
//!   audience subtree and, when the audience is narrowed to roles, they hold one of them today)
//!   reads it once published; once withdrawn, only if they hold some position today.
//! - A **leader over the audience** (whoever may see members' private records in one of the
//!   audience subtrees: positions held today at or above an audience root, administrators over
//!   it) reads it published or withdrawn.
//! - Nobody else reads a draft.
//!
//! The feed and search apply the same rule as SQL (`storage::documents::feed`), for the issuer's
//! side and the audience; a leader over the audience opens such a document by id.

use chrono::NaiveDate;
use membership::UnitId;
use membership::permission::{Action, Actor, authorize};
use membership::position::Role;

use crate::audience;
use crate::model::DocumentStatus;

/// What the caller is to one document, on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Access {
    /// The caller may manage the issuing unit's documents (edit drafts, publish, withdraw,
    /// attach).
    pub manage: bool,
    /// The caller is a member of the audience.
    pub in_audience: bool,
    /// The caller may see members' private records in one of the audience subtrees.
    pub leader_over_audience: bool,
    /// The caller holds some position today.
    pub has_position: bool,
}

impl Access {
    /// Whether the caller may read a document in `status`.
    pub fn may_read(&self, status: DocumentStatus) -> bool {
        match status {
            DocumentStatus::Draft => self.manage,
            DocumentStatus::Published => self.manage || self.in_audience || self.leader_over_audience,
            DocumentStatus::Withdrawn => self.manage || self.leader_over_audience || (self.in_audience && self.has_position),
        }
    }
}

/// The roles `actor` holds on `on`.
pub fn roles_on(actor: &Actor, on: NaiveDate) -> Vec<Role> {
    actor.positions.iter().filter(|p| p.is_active_on(on)).map(|p| p.role).collect()
}

/// What `actor` is, on `on`, to a document issued by the unit with ancestry `issuer_path`
/// (root first, ending with the issuer), addressed to the audience `roots` — each root with its
/// ancestry, as in [`audience::check_roots`] — narrowed to `roles` (empty: every member).
pub fn access(actor: &Actor, on: NaiveDate, issuer_path: &[UnitId], roots: &[(UnitId, Vec<UnitId>)], roles: &[Role]) -> Access {
    let today_roles = roles_on(actor, on);
    let root_ids: Vec<UnitId> = roots.iter().map(|(root, _)| *root).collect();
    Access {
        manage: authorize(actor, Action::ManageDocuments, issuer_path, on).is_ok(),
        in_audience: audience::includes(&root_ids, roles, &actor.home_path, &today_roles),
        leader_over_audience: roots.iter().any(|(_, path)| authorize(actor, Action::ViewMemberPrivate, path, on).is_ok()),
        has_position: !today_roles.is_empty(),
    }
}

/// Whether `actor` may read, on `on`, a document in `status` issued by the unit with ancestry
/// `issuer_path`, addressed to `roots` narrowed to `roles` (see [`access`]).
pub fn may_read(
    actor: &Actor,
    on: NaiveDate,
    status: DocumentStatus,
    issuer_path: &[UnitId],
    roots: &[(UnitId, Vec<UnitId>)],
    roles: &[Role],
) -> bool {
    access(actor, on, issuer_path, roots, roles).may_read(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DocumentStatus::{Draft, Published, Withdrawn};
    use membership::permission::HeldPosition;
    use membership::{AccountId, MemberId};

    fn u(n: u128) -> UnitId {
        UnitId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    // Province 1 → communes 2, 3 → cells 4 (in 2), 5 (in 3).
    fn path(unit: u128) -> Vec<UnitId> {
        match unit {
            1 => vec![u(1)],
            2 => vec![u(1), u(2)],
            3 => vec![u(1), u(3)],
            4 => vec![u(1), u(2), u(4)],
            5 => vec![u(1), u(3), u(5)],
            _ => unreachable!(),
        }
    }

    fn held(unit: u128, role: Role) -> HeldPosition {
        HeldPosition { unit_id: u(unit), role, from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), to: None }
    }

    /// A member living in `cell` (0: no member) with `positions` and `admin_scopes`.
    fn actor(cell: u128, positions: Vec<HeldPosition>, admin: &[u128]) -> Actor {
        Actor {
            account_id: Some(AccountId::from_uuid(uuid::Uuid::from_u128(100))),
            member_id: (cell != 0).then(|| MemberId::from_uuid(uuid::Uuid::from_u128(101))),
            home_path: if cell == 0 { Vec::new() } else { path(cell) },
            positions,
            admin_scopes: admin.iter().map(|n| u(*n)).collect(),
        }
    }

    struct Case {
        name: &'static str,
        actor: Actor,
        /// Issuing unit.
        issuer: u128,
        /// Audience roots.
        roots: &'static [u128],
        /// Roles the audience is narrowed to.
        roles: &'static [Role],
        /// Readable as draft, published, withdrawn.
        reads: [bool; 3],
        /// Manages it.
        manage: bool,
    }

    #[test]
    fn who_may_read_a_document() {
        let leaders: &[Role] = &[Role::Secretary, Role::DeputySecretary];
        let cases = vec![
            Case {
                name: "member in the audience subtree",
                actor: actor(4, vec![], &[]),
                issuer: 1,
                roots: &[2],
                roles: &[],
                reads: [false, true, false],
                manage: false,
            },
            Case {
                name: "member of the issuer's whole subtree",
                actor: actor(5, vec![], &[]),
                issuer: 1,
                roots: &[1],
                roles: &[],
                reads: [false, true, false],
                manage: false,
            },
            Case {
                name: "member outside the audience subtree",
                actor: actor(5, vec![], &[]),
                issuer: 1,
                roots: &[2],
                roles: &[],
                reads: [false, false, false],
                manage: false,
            },
            Case {
                name: "audience narrowed to roles, member without the role",
                actor: actor(4, vec![], &[]),
                issuer: 1,
                roots: &[1],
                roles: leaders,
                reads: [false, false, false],
                manage: false,
            },
            Case {
                name: "audience narrowed to roles, committee member without a listed role",
                actor: actor(4, vec![held(4, Role::CommitteeMember)], &[]),
                issuer: 1,
                roots: &[2],
                roles: leaders,
                reads: [false, false, false],
                manage: false,
            },
            Case {
                name: "audience narrowed to roles, cell secretary holds one (leads the cell, below the root)",
                actor: actor(4, vec![held(4, Role::Secretary)], &[]),
                issuer: 1,
                roots: &[2],
                roles: leaders,
                reads: [false, true, true],
                manage: false,
            },
            Case {
                name: "cell committee member in the audience: withdrawn still readable (holds a position)",
                actor: actor(4, vec![held(4, Role::CommitteeMember)], &[]),
                issuer: 1,
                roots: &[2],
                roles: &[],
                reads: [false, true, true],
                manage: false,
            },
            Case {
                name: "issuer's secretary",
                actor: actor(4, vec![held(2, Role::Secretary)], &[]),
                issuer: 2,
                roots: &[4],
                roles: &[],
                reads: [true, true, true],
                manage: true,
            },
            Case {
                name: "issuer's committee member (any position in the issuing unit manages)",
                actor: actor(5, vec![held(2, Role::CommitteeMember)], &[]),
                issuer: 2,
                roots: &[4],
                roles: leaders,
                reads: [true, true, true],
                manage: true,
            },
            Case {
                name: "leader above the issuer: leads over the audience, does not manage",
                actor: actor(5, vec![held(1, Role::Secretary)], &[]),
                issuer: 2,
                roots: &[4],
                roles: &[],
                reads: [false, true, true],
                manage: false,
            },
            Case {
                name: "leader of another commune: neither audience nor issuer",
                actor: actor(5, vec![held(3, Role::Secretary)], &[]),
                issuer: 2,
                roots: &[2],
                roles: &[],
                reads: [false, false, false],
                manage: false,
            },
            Case {
                name: "ended position no longer counts",
                actor: actor(
                    5,
                    vec![HeldPosition {
                        unit_id: u(2),
                        role: Role::Secretary,
                        from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                        to: NaiveDate::from_ymd_opt(2026, 11, 28),
                    }],
                    &[],
                ),
                issuer: 2,
                roots: &[2],
                roles: &[],
                reads: [false, false, false],
                manage: false,
            },
            Case {
                name: "administrator of the issuer's subtree (no member)",
                actor: actor(0, vec![], &[1]),
                issuer: 2,
                roots: &[4],
                roles: &[],
                reads: [true, true, true],
                manage: true,
            },
            Case {
                name: "administrator of the audience subtree only",
                actor: actor(0, vec![], &[4]),
                issuer: 2,
                roots: &[4],
                roles: &[],
                reads: [false, true, true],
                manage: false,
            },
            Case {
                name: "administrator elsewhere",
                actor: actor(0, vec![], &[3]),
                issuer: 2,
                roots: &[4],
                roles: &[],
                reads: [false, false, false],
                manage: false,
            },
        ];
        for c in cases {
            let issuer_path = path(c.issuer);
            let roots: Vec<(UnitId, Vec<UnitId>)> = c.roots.iter().map(|r| (u(*r), path(*r))).collect();
            let a = access(&c.actor, day(), &issuer_path, &roots, c.roles);
            assert_eq!(a.manage, c.manage, "{}: manage", c.name);
            for (status, expected) in [Draft, Published, Withdrawn].into_iter().zip(c.reads) {
                assert_eq!(may_read(&c.actor, day(), status, &issuer_path, &roots, c.roles), expected, "{}: {}", c.name, status.code());
            }
        }
    }

    #[test]
    fn the_status_table() {
        let all =
            |manage, in_audience, leader_over_audience, has_position| Access { manage, in_audience, leader_over_audience, has_position };
        // (access, draft, published, withdrawn)
        let table = [
            (all(false, false, false, false), [false, false, false]),
            (all(true, false, false, false), [true, true, true]),
            (all(false, true, false, false), [false, true, false]),
            (all(false, true, false, true), [false, true, true]),
            (all(false, false, true, false), [false, true, true]),
            (all(false, false, false, true), [false, false, false]),
        ];
        for (a, expected) in table {
            let got = [Draft, Published, Withdrawn].map(|s| a.may_read(s));
            assert_eq!(got, expected, "{a:?}");
        }
    }
}
