//! Positions in a unit (*chức vụ*): secretary (*bí thư*), deputy secretary (*phó bí thư*) and
//! committee member (*cấp ủy viên*), each held from a date and optionally until a date
//! (inclusive). At most one secretary and one deputy are active in a unit at any date.

use chrono::NaiveDate;

use crate::lifecycle::EventKind;
use crate::{MemberId, PositionId, UnitId};

/// A role in a unit's committee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Role {
    /// *Bí thư*.
    Secretary,
    /// *Phó bí thư*.
    DeputySecretary,
    /// *Cấp ủy viên* (*chi ủy viên* in a cell).
    CommitteeMember,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Secretary, Role::DeputySecretary, Role::CommitteeMember];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Role::Secretary => "secretary",
            Role::DeputySecretary => "deputy_secretary",
            Role::CommitteeMember => "committee_member",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether only one holder may be active at a time in a unit.
    pub fn is_unique(self) -> bool {
        matches!(self, Role::Secretary | Role::DeputySecretary)
    }

    /// Secretary and deputy lead the unit; committee members sit on its committee.
    pub fn is_leader(self) -> bool {
        matches!(self, Role::Secretary | Role::DeputySecretary)
    }
}

/// A position as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Position {
    /// Id.
    pub id: PositionId,
    /// The unit.
    pub unit_id: UnitId,
    /// The holder.
    pub member_id: MemberId,
    /// The role.
    pub role: Role,
    /// First day held.
    pub from: NaiveDate,
    /// Last day held (inclusive), if ended.
    pub to: Option<NaiveDate>,
}

impl Position {
    /// Whether the position is held on `date`.
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|to| date <= to)
    }

    fn overlaps(&self, from: NaiveDate, to: Option<NaiveDate>) -> bool {
        let self_to = self.to.unwrap_or(NaiveDate::MAX);
        let other_to = to.unwrap_or(NaiveDate::MAX);
        self.from <= other_to && from <= self_to
    }
}

/// Why a position cannot be created or ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    /// Another member holds this unique role in the unit during the period.
    #[error("the unit already has an active {role}")]
    RoleTaken {
        /// Role code.
        role: &'static str,
        /// The conflicting position.
        holder: MemberId,
    },
    /// The member already holds this role in the unit during the period.
    #[error("the member already holds this position")]
    AlreadyHeld,
    /// Committee positions are held by official members only.
    #[error("committee positions are held by official members only")]
    NotOfficial,
    /// The member's cell is outside the unit's subtree.
    #[error("the member does not belong to this unit's organisation")]
    OutsideUnit,
    /// The end date is before the start.
    #[error("the end date is before the start date")]
    EndBeforeStart,
    /// The position has already ended.
    #[error("the position has already ended")]
    AlreadyEnded,
}

impl PositionError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            PositionError::RoleTaken { .. } => "position_taken",
            PositionError::AlreadyHeld => "position_already_held",
            PositionError::NotOfficial => "member_not_official",
            PositionError::OutsideUnit => "member_outside_unit",
            PositionError::EndBeforeStart => "end_before_start",
            PositionError::AlreadyEnded => "position_already_ended",
        }
    }
}

/// A proposed new position.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NewPosition {
    /// The holder.
    pub member_id: MemberId,
    /// The role.
    pub role: Role,
    /// First day held.
    pub from: NaiveDate,
    /// Whether the holder is an official member (on `from`).
    pub holder_is_official: bool,
    /// Whether the holder's cell lies in the unit's subtree.
    pub holder_in_subtree: bool,
}

/// Checks a new open-ended position against the unit's existing positions (`existing`: all
/// positions of the unit, any role, any period).
pub fn check_new_position(existing: &[Position], new: &NewPosition) -> Result<(), PositionError> {
    if !new.holder_is_official {
        return Err(PositionError::NotOfficial);
    }
    if !new.holder_in_subtree {
        return Err(PositionError::OutsideUnit);
    }
    for p in existing.iter().filter(|p| p.overlaps(new.from, None)) {
        if p.member_id == new.member_id && p.role == new.role {
            return Err(PositionError::AlreadyHeld);
        }
        if new.role.is_unique() && p.role == new.role {
            return Err(PositionError::RoleTaken { role: new.role.code(), holder: p.member_id });
        }
    }
    Ok(())
}

/// Checks ending `position` with `to` as its last day.
pub fn check_end(position: &Position, to: NaiveDate) -> Result<(), PositionError> {
    if position.to.is_some() {
        return Err(PositionError::AlreadyEnded);
    }
    if to < position.from {
        return Err(PositionError::EndBeforeStart);
    }
    Ok(())
}

/// The open positions a lifecycle event ends, each with its last day (the day before the event
/// takes effect, never before the position began). Leaving the Party (removal, expulsion, death)
/// ends every position; an official transfer ends those held in units that are not on the new
/// cell's chain (`new_cell_path`: its ancestry, root first, ending with the cell) — a commune
/// secretary moving to another cell of the same commune keeps the commune position. Other events
/// end nothing. Whoever records the event needs the right to end each of these positions.
pub fn ended_by_event(
    kind: &EventKind,
    effective_on: NaiveDate,
    open: &[Position],
    new_cell_path: &[UnitId],
) -> Vec<(PositionId, NaiveDate)> {
    let last_day = |p: &Position| effective_on.pred_opt().unwrap_or(effective_on).max(p.from);
    open.iter()
        .filter(|p| p.to.is_none())
        .filter(|p| match kind {
            EventKind::Remove | EventKind::Expel | EventKind::Decease => true,
            EventKind::Transfer { .. } => !new_cell_path.contains(&p.unit_id),
            _ => false,
        })
        .map(|p| (p.id, last_day(p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_end_the_positions_of_members_who_leave_or_move_away() {
        let u = |n: u128| UnitId::from_uuid(uuid::Uuid::from_u128(n));
        let member = MemberId::from_uuid(uuid::Uuid::from_u128(9));
        let held = |n: u128, unit: u128, from: NaiveDate, to: Option<NaiveDate>| Position {
            id: PositionId::from_uuid(uuid::Uuid::from_u128(100 + n)),
            unit_id: u(unit),
            member_id: member,
            role: Role::CommitteeMember,
            from,
            to,
        };
        // Commune 2 with cells 3 and 4; another commune 5 with cell 6. Held: secretary of cell 3,
        // committee member of commune 2, an ended position in cell 3, one that began on the day.
        let effective = d(2026, 3, 10);
        let open = [
            held(1, 3, d(2024, 1, 1), None),
            held(2, 2, d(2024, 1, 1), None),
            held(3, 3, d(2020, 1, 1), Some(d(2022, 1, 1))),
            held(4, 3, effective, None),
        ];
        let ids = |v: Vec<(PositionId, NaiveDate)>| v.into_iter().map(|(p, day)| (p.as_uuid().as_u128() - 100, day)).collect::<Vec<_>>();
        let day_before = d(2026, 3, 9);
        let same_commune = [u(1), u(2), u(4)];
        let other_commune = [u(1), u(5), u(6)];
        for (kind, path, ended) in [
            (EventKind::Remove, &[][..], vec![(1, day_before), (2, day_before), (4, effective)]),
            (EventKind::Expel, &[][..], vec![(1, day_before), (2, day_before), (4, effective)]),
            (EventKind::Decease, &[][..], vec![(1, day_before), (2, day_before), (4, effective)]),
            (EventKind::Transfer { to_unit: u(4) }, &same_commune[..], vec![(1, day_before), (4, effective)]),
            (EventKind::Transfer { to_unit: u(6) }, &other_commune[..], vec![(1, day_before), (2, day_before), (4, effective)]),
            (EventKind::TemporaryTransfer { host_unit: u(6) }, &other_commune[..], vec![]),
            (EventKind::Exempt, &[][..], vec![]),
            (EventKind::RecognizeOfficial, &[][..], vec![]),
        ] {
            assert_eq!(ids(ended_by_event(&kind, effective, &open, path)), ended, "{kind:?}");
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn uniqueness_and_eligibility() {
        let unit = UnitId::from_uuid(uuid::Uuid::from_u128(1));
        let m = |n| MemberId::from_uuid(uuid::Uuid::from_u128(n));
        let pos = |n: u128, member, role, from, to| Position {
            id: PositionId::from_uuid(uuid::Uuid::from_u128(100 + n)),
            unit_id: unit,
            member_id: member,
            role,
            from,
            to,
        };
        let existing = vec![
            pos(1, m(1), Role::Secretary, d(2020, 1, 1), None),
            pos(2, m(2), Role::DeputySecretary, d(2020, 1, 1), Some(d(2024, 12, 31))),
            pos(3, m(3), Role::CommitteeMember, d(2020, 1, 1), None),
        ];
        let new = |member, role, from| NewPosition { member_id: member, role, from, holder_is_official: true, holder_in_subtree: true };
        let cases = [
            (new(m(4), Role::Secretary, d(2025, 1, 1)), Err(PositionError::RoleTaken { role: "secretary", holder: m(1) })),
            (new(m(4), Role::DeputySecretary, d(2025, 1, 1)), Ok(())),
            (new(m(4), Role::DeputySecretary, d(2024, 12, 31)), Err(PositionError::RoleTaken { role: "deputy_secretary", holder: m(2) })),
            (new(m(4), Role::CommitteeMember, d(2025, 1, 1)), Ok(())),
            (new(m(3), Role::CommitteeMember, d(2025, 1, 1)), Err(PositionError::AlreadyHeld)),
            (NewPosition { holder_is_official: false, ..new(m(5), Role::CommitteeMember, d(2025, 1, 1)) }, Err(PositionError::NotOfficial)),
            (NewPosition { holder_in_subtree: false, ..new(m(5), Role::CommitteeMember, d(2025, 1, 1)) }, Err(PositionError::OutsideUnit)),
        ];
        for (candidate, want) in cases {
            assert_eq!(check_new_position(&existing, &candidate), want, "{candidate:?}");
        }
        assert!(existing[0].is_active_on(d(2026, 1, 1)));
        assert!(!existing[1].is_active_on(d(2025, 1, 1)));
        assert_eq!(check_end(&existing[1], d(2025, 6, 1)), Err(PositionError::AlreadyEnded));
        assert_eq!(check_end(&existing[0], d(2019, 6, 1)), Err(PositionError::EndBeforeStart));
        assert_eq!(check_end(&existing[0], d(2026, 6, 1)), Ok(()));
    }
}
