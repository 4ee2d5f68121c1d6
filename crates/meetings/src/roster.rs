//! Who must attend: the cell's roster at the meeting date.

use chrono::NaiveDate;
use membership::lifecycle::Standing;
use membership::{MemberId, UnitId};

/// What the roster rule needs to know about a member linked to the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Candidate {
    /// The member.
    pub member_id: MemberId,
    /// Standing.
    pub standing: Standing,
    /// Home cell.
    pub home_unit: UnitId,
    /// Host cell while temporarily transferred.
    pub temporary_host: Option<UnitId>,
    /// Exempt from Party activities since this date.
    pub exempt_since: Option<NaiveDate>,
    /// Admission date.
    pub admitted_on: NaiveDate,
}

/// Why a member is on the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum RosterRole {
    /// Obliged to attend and counted (official or probationary member of the cell).
    Obliged,
    /// Temporarily transferred in: listed, welcome to attend, not counted.
    Guest,
}

impl RosterRole {
    /// Every role.
    pub const ALL: [RosterRole; 2] = [RosterRole::Obliged, RosterRole::Guest];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            RosterRole::Obliged => "obliged",
            RosterRole::Guest => "guest",
        }
    }
}

/// One roster line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RosterLine {
    /// The member.
    pub member_id: MemberId,
    /// Obliged or guest.
    pub role: RosterRole,
    /// Whether the member is official (quorum counts official members).
    pub official: bool,
}

/// The roster of `cell` for a meeting on `date`: official and probationary members of the cell,
/// except those exempt (*miễn sinh hoạt*) on that date and those temporarily transferred out;
/// members temporarily transferred in are guests. Members admitted after the date are left out.
pub fn roster(cell: UnitId, date: NaiveDate, candidates: &[Candidate]) -> Vec<RosterLine> {
    let mut lines = Vec::new();
    for c in candidates {
        if !c.standing.is_active() || c.admitted_on > date {
            continue;
        }
        let official = c.standing == Standing::Official;
        if c.home_unit == cell {
            let exempt = c.exempt_since.is_some_and(|since| since <= date);
            let away = c.temporary_host.is_some_and(|host| host != cell);
            if !exempt && !away {
                lines.push(RosterLine { member_id: c.member_id, role: RosterRole::Obliged, official });
            }
        } else if c.temporary_host == Some(cell) {
            lines.push(RosterLine { member_id: c.member_id, role: RosterRole::Guest, official });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_exclusions() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let cell = UnitId::from_uuid(uuid::Uuid::from_u128(1));
        let other = UnitId::from_uuid(uuid::Uuid::from_u128(2));
        let m = |n: u128| MemberId::from_uuid(uuid::Uuid::from_u128(100 + n));
        let base = |n: u128| Candidate {
            member_id: m(n),
            standing: Standing::Official,
            home_unit: cell,
            temporary_host: None,
            exempt_since: None,
            admitted_on: d(2010, 1, 1),
        };
        let candidates = vec![
            base(1),
            Candidate { standing: Standing::Probationary, ..base(2) },
            Candidate { exempt_since: Some(d(2025, 1, 1)), ..base(3) },
            Candidate { exempt_since: Some(d(2026, 6, 1)), ..base(4) },
            Candidate { temporary_host: Some(other), ..base(5) },
            Candidate { home_unit: other, temporary_host: Some(cell), ..base(6) },
            Candidate { standing: Standing::Removed, ..base(7) },
            Candidate { home_unit: other, ..base(8) },
            Candidate { admitted_on: d(2026, 5, 2), standing: Standing::Probationary, ..base(9) },
        ];
        let got: Vec<_> = roster(cell, d(2026, 5, 1), &candidates).iter().map(|l| (l.member_id, l.role, l.official)).collect();
        assert_eq!(
            got,
            [
                (m(1), RosterRole::Obliged, true),
                (m(2), RosterRole::Obliged, false),
                (m(4), RosterRole::Obliged, true),
                (m(6), RosterRole::Guest, true),
            ]
        );
    }
}
