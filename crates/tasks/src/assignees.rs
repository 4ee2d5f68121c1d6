//! Who may be assigned a task: between one and [`MAX_ASSIGNEES`] members, each existing, still
//! active (probationary or official), and belonging to the assigning unit — their home cell lies
//! in the unit's subtree, or they hold a position in the unit itself today (a committee member
//! sitting on it). Listing a member twice assigns them once.
//!
//! The caller gathers the [`Candidate`]s (one per listed id, in the order given); the rule
//! decides.
//!
//! ```
//! use membership::MemberId;
//! use tasks::assignees::{AssigneeError, Candidate, Facts, choose};
//! let m = MemberId::from_uuid(uuid::Uuid::from_u128(1));
//! let cell_member = Facts { active: true, home_in_unit: true, holds_position_in_unit: false };
//! assert_eq!(choose(&[Candidate { member: m, facts: Some(cell_member) }]), Ok(vec![m]));
//! assert_eq!(choose(&[Candidate { member: m, facts: None }]), Err(AssigneeError::NotFound(m)));
//! ```

use membership::MemberId;

/// The most members one task may be assigned to.
pub const MAX_ASSIGNEES: usize = 100;

/// What the rule needs to know about a member proposed as assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Still a member (probationary or official).
    pub active: bool,
    /// Their home cell lies in the assigning unit's subtree.
    pub home_in_unit: bool,
    /// They hold a position in the assigning unit itself, today.
    pub holds_position_in_unit: bool,
}

/// One listed assignee: the id as given, and what is known of the member (`None`: no such member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The id as listed.
    pub member: MemberId,
    /// The member's facts, if the member exists.
    pub facts: Option<Facts>,
}

/// Why a list of assignees is refused (the API sends each as a field issue on the list, with this
/// message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AssigneeError {
    /// Nobody listed.
    #[error("at least one assignee")]
    None,
    /// More than [`MAX_ASSIGNEES`] listed.
    #[error("at most {MAX_ASSIGNEES} assignees")]
    TooMany,
    /// No such member.
    #[error("no member {0}")]
    NotFound(MemberId),
    /// Not active, or not of the assigning unit.
    #[error("member {0} does not belong to this unit")]
    NotInUnit(MemberId),
}

/// Checks the length of the list alone (before anything is looked up).
pub fn check_count(listed: usize) -> Result<(), AssigneeError> {
    match listed {
        0 => Err(AssigneeError::None),
        n if n > MAX_ASSIGNEES => Err(AssigneeError::TooMany),
        _ => Ok(()),
    }
}

/// Whether a member with these facts may be assigned a task of the unit.
pub fn may_be_assigned(f: &Facts) -> bool {
    f.active && (f.home_in_unit || f.holds_position_in_unit)
}

/// The assignees, in the order listed and without repetitions, or the first refusal (the length
/// of the list first, then each candidate in order).
pub fn choose(candidates: &[Candidate]) -> Result<Vec<MemberId>, AssigneeError> {
    check_count(candidates.len())?;
    let mut chosen: Vec<MemberId> = Vec::with_capacity(candidates.len());
    for c in candidates {
        let facts = c.facts.ok_or(AssigneeError::NotFound(c.member))?;
        if !may_be_assigned(&facts) {
            return Err(AssigneeError::NotInUnit(c.member));
        }
        if !chosen.contains(&c.member) {
            chosen.push(c.member);
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn id(n: u128) -> MemberId {
        MemberId::from_uuid(Uuid::from_u128(n))
    }

    fn facts(active: bool, home_in_unit: bool, holds_position_in_unit: bool) -> Option<Facts> {
        Some(Facts { active, home_in_unit, holds_position_in_unit })
    }

    #[test]
    fn who_may_be_assigned() {
        // (active, home cell in the unit's subtree, position in the unit today) → may be assigned
        let table = [
            ((true, true, false), true),   // a member of the cell (or of a cell below the unit)
            ((true, false, true), true),   // a committee member sitting on the unit
            ((true, true, true), true),    // both
            ((true, false, false), false), // a member of another cell
            ((false, true, false), false), // left, expelled or deceased: no longer active
            ((false, false, true), false), // an inactive position holder
            ((false, true, true), false),
            ((false, false, false), false),
        ];
        for ((active, home, position), expected) in table {
            let f = Facts { active, home_in_unit: home, holds_position_in_unit: position };
            assert_eq!(may_be_assigned(&f), expected, "{f:?}");
            let chosen = choose(&[Candidate { member: id(1), facts: Some(f) }]);
            assert_eq!(chosen, if expected { Ok(vec![id(1)]) } else { Err(AssigneeError::NotInUnit(id(1))) }, "{f:?}");
        }
    }

    /// A named list of candidates and what the rule answers.
    type Case = (&'static str, Vec<Candidate>, Result<Vec<MemberId>, AssigneeError>);

    #[test]
    fn the_list_is_checked_in_order() {
        let ok = facts(true, true, false);
        let table: Vec<Case> = vec![
            ("empty", vec![], Err(AssigneeError::None)),
            (
                "too many",
                (0..=MAX_ASSIGNEES as u128).map(|n| Candidate { member: id(n), facts: ok }).collect(),
                Err(AssigneeError::TooMany),
            ),
            (
                "exactly the maximum",
                (0..MAX_ASSIGNEES as u128).map(|n| Candidate { member: id(n), facts: ok }).collect(),
                Ok((0..MAX_ASSIGNEES as u128).map(id).collect()),
            ),
            (
                "unknown member",
                vec![Candidate { member: id(1), facts: ok }, Candidate { member: id(2), facts: None }],
                Err(AssigneeError::NotFound(id(2))),
            ),
            (
                "first refusal wins",
                vec![Candidate { member: id(1), facts: facts(true, false, false) }, Candidate { member: id(2), facts: None }],
                Err(AssigneeError::NotInUnit(id(1))),
            ),
            (
                "repeats assigned once, order kept",
                vec![
                    Candidate { member: id(2), facts: ok },
                    Candidate { member: id(1), facts: ok },
                    Candidate { member: id(2), facts: ok },
                ],
                Ok(vec![id(2), id(1)]),
            ),
        ];
        for (name, candidates, expected) in table {
            assert_eq!(choose(&candidates), expected, "{name}");
        }
    }

    #[test]
    fn refusals_have_stable_messages() {
        let table = [
            (AssigneeError::None, "at least one assignee".to_string()),
            (AssigneeError::TooMany, "at most 100 assignees".to_string()),
            (AssigneeError::NotFound(id(7)), format!("no member {}", id(7))),
            (AssigneeError::NotInUnit(id(7)), format!("member {} does not belong to this unit", id(7))),
        ];
        for (e, message) in table {
            assert_eq!(e.to_string(), message);
        }
        assert_eq!(check_count(1), Ok(()));
        assert_eq!(check_count(0), Err(AssigneeError::None));
        assert_eq!(check_count(MAX_ASSIGNEES + 1), Err(AssigneeError::TooMany));
    }
}
