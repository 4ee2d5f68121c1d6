//! Who a document is for: the issuing unit's whole subtree, or chosen subtrees inside it,
//! optionally narrowed to roles. A member belongs to the audience when their **current** cell lies
//! in one of the audience subtrees (so a member transferred to a new cell sees what is addressed to
//! the new cell, including documents issued before the transfer, and no longer sees what was
//! addressed only to the old one), and — when roles are set — they hold one of those roles today
//! in some unit of their chain.

use membership::UnitId;
use membership::position::Role;

/// Why an audience is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudienceError {
    /// A chosen unit is not inside the issuing unit's subtree.
    #[error("unit {0} is not inside the issuing unit's organisation")]
    OutsideIssuer(UnitId),
    /// Too many chosen units.
    #[error("at most 200 audience units")]
    TooMany,
}

/// Checks the chosen audience roots. `paths` gives, for each chosen unit, its ancestry (root
/// first, ending with the unit). An empty choice means the issuer's whole subtree.
pub fn check_roots(issuer: UnitId, chosen: &[(UnitId, Vec<UnitId>)]) -> Result<Vec<UnitId>, AudienceError> {
    if chosen.is_empty() {
        return Ok(vec![issuer]);
    }
    if chosen.len() > 200 {
        return Err(AudienceError::TooMany);
    }
    let mut roots = Vec::new();
    for (unit, path) in chosen {
        if !path.contains(&issuer) {
            return Err(AudienceError::OutsideIssuer(*unit));
        }
        if !roots.contains(unit) {
            roots.push(*unit);
        }
    }
    Ok(roots)
}

/// Whether a member with home-cell ancestry `member_path` and today's roles `member_roles` is in
/// the audience `roots` / `roles`.
pub fn includes(roots: &[UnitId], roles: &[Role], member_path: &[UnitId], member_roles: &[Role]) -> bool {
    roots.iter().any(|r| member_path.contains(r)) && (roles.is_empty() || roles.iter().any(|r| member_roles.contains(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_resolution() {
        let u = |n| UnitId::from_uuid(uuid::Uuid::from_u128(n));
        // province 1 → communes 2, 3 → cells 4 (in 2), 5 (in 3)
        let cell4 = vec![u(1), u(2), u(4)];
        let cell5 = vec![u(1), u(3), u(5)];
        let whole = check_roots(u(1), &[]).unwrap();
        assert!(includes(&whole, &[], &cell4, &[]) && includes(&whole, &[], &cell5, &[]));
        let only2 = check_roots(u(1), &[(u(2), vec![u(1), u(2)])]).unwrap();
        assert!(includes(&only2, &[], &cell4, &[]) && !includes(&only2, &[], &cell5, &[]));
        assert_eq!(check_roots(u(2), &[(u(3), vec![u(1), u(3)])]), Err(AudienceError::OutsideIssuer(u(3))));
        let leaders = [Role::Secretary, Role::CommitteeMember];
        assert!(!includes(&whole, &leaders, &cell4, &[]));
        assert!(!includes(&whole, &leaders, &cell4, &[Role::DeputySecretary]));
        assert!(includes(&whole, &leaders, &cell4, &[Role::CommitteeMember]));
        // A moved unit: cell 4 now under commune 3 — the audience follows the current tree.
        let moved = vec![u(1), u(3), u(4)];
        assert!(!includes(&only2, &[], &moved, &[]));
    }
}
