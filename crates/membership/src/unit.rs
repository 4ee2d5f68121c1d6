//! Organisation units (*tổ chức đảng*) and the kinds of unit. The tree has any depth; which kind
//! may sit under which is one table ([`UnitKind::may_contain`]), so a new kind is a new variant,
//! a code and a row in that table.

use crate::fields::{FieldError, normalize_text};

/// The kind of an organisation unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum UnitKind {
    /// The central level (*Trung ương*).
    Central,
    /// A provincial or city Party committee (*Đảng bộ tỉnh / thành phố*).
    Province,
    /// A district-level Party committee (*Đảng bộ huyện*); abolished for local government in
    /// July 2025, kept so that history before the reform can be recorded.
    District,
    /// A commune / ward-level Party committee (*Đảng bộ xã, phường*).
    CommuneCommittee,
    /// A grassroots Party committee of an agency or enterprise (*Đảng bộ cơ sở*).
    GrassrootsCommittee,
    /// A partial Party committee (*Đảng bộ bộ phận*).
    PartialCommittee,
    /// A Party cell (*chi bộ*): the unit members belong to and meet in.
    Cell,
    /// A Party group inside a cell (*tổ đảng*).
    PartyGroup,
}

impl UnitKind {
    /// Every kind, from the top of the tree down.
    pub const ALL: [UnitKind; 8] = [
        UnitKind::Central,
        UnitKind::Province,
        UnitKind::District,
        UnitKind::CommuneCommittee,
        UnitKind::GrassrootsCommittee,
        UnitKind::PartialCommittee,
        UnitKind::Cell,
        UnitKind::PartyGroup,
    ];

    /// Stable snake_case code used in the API and in storage.
    pub fn code(self) -> &'static str {
        match self {
            UnitKind::Central => "central",
            UnitKind::Province => "province",
            UnitKind::District => "district",
            UnitKind::CommuneCommittee => "commune_committee",
            UnitKind::GrassrootsCommittee => "grassroots_committee",
            UnitKind::PartialCommittee => "partial_committee",
            UnitKind::Cell => "cell",
            UnitKind::PartyGroup => "party_group",
        }
    }

    /// Vietnamese display name.
    pub fn label_vi(self) -> &'static str {
        match self {
            UnitKind::Central => "Trung ương",
            UnitKind::Province => "Đảng bộ tỉnh",
            UnitKind::District => "Đảng bộ huyện",
            UnitKind::CommuneCommittee => "Đảng bộ xã",
            UnitKind::GrassrootsCommittee => "Đảng bộ cơ sở",
            UnitKind::PartialCommittee => "Đảng bộ bộ phận",
            UnitKind::Cell => "Chi bộ",
            UnitKind::PartyGroup => "Tổ đảng",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Result<Self, FieldError> {
        Self::ALL.into_iter().find(|k| k.code() == code).ok_or(FieldError::NotAllowed {
            allowed: "central, province, district, commune_committee, grassroots_committee, partial_committee, cell, party_group",
        })
    }

    /// Whether a unit of this kind may have a direct child of kind `child`.
    pub fn may_contain(self, child: UnitKind) -> bool {
        use UnitKind::*;
        let allowed: &[UnitKind] = match self {
            Central => &[Province, GrassrootsCommittee, Cell],
            Province => &[District, CommuneCommittee, GrassrootsCommittee, Cell],
            District => &[CommuneCommittee, GrassrootsCommittee, Cell],
            CommuneCommittee | GrassrootsCommittee => &[PartialCommittee, Cell],
            PartialCommittee => &[Cell],
            Cell => &[PartyGroup],
            PartyGroup => &[],
        };
        allowed.contains(&child)
    }

    /// Whether members belong to units of this kind (only cells hold a roster).
    pub fn holds_members(self) -> bool {
        self == UnitKind::Cell
    }
}

/// A unit's name, e.g. `Chi bộ thôn Đông Thành`: NFC, trimmed, 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(try_from = "String", into = "String"))]
pub struct UnitName(String);

/// Parses through [`UnitName::parse`]: what `serde` deserializes with, so invalid input is refused.
#[cfg(feature = "serde")]
impl TryFrom<String> for UnitName {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, FieldError> {
        Self::parse(&raw)
    }
}

/// The normalised name: what `serde` serializes.
#[cfg(feature = "serde")]
impl From<UnitName> for String {
    fn from(value: UnitName) -> String {
        value.0
    }
}

impl UnitName {
    /// Maximum length in characters.
    pub const MAX: usize = 200;

    /// Parses and normalises a unit name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = normalize_text(raw);
        if text.is_empty() {
            return Err(FieldError::Empty);
        }
        if text.chars().count() > Self::MAX {
            return Err(FieldError::TooLong { max: Self::MAX });
        }
        if text.chars().any(char::is_control) {
            return Err(FieldError::InvalidCharacters);
        }
        Ok(Self(text))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a unit cannot be placed under a parent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    /// The parent's kind may not contain the child's kind.
    #[error("a {parent} cannot contain a {child}")]
    KindNotAllowed {
        /// Parent kind code.
        parent: &'static str,
        /// Child kind code.
        child: &'static str,
    },
    /// The new parent lies inside the unit's own subtree (or is the unit): that would make a cycle.
    #[error("a unit cannot be moved under itself or one of its descendants")]
    Cycle,
    /// The move is dated in the future; moves take effect when recorded.
    #[error("the effective date is in the future")]
    EffectiveInFuture,
    /// The move is dated before the unit's current link started.
    #[error("the effective date is before the current link started")]
    BeforeCurrentLink,
    /// The unit already sits under that parent.
    #[error("the unit is already under that parent")]
    SameParent,
}

/// Checks that a unit of kind `child` may be created under a unit of kind `parent`.
pub fn check_placement(parent: UnitKind, child: UnitKind) -> Result<(), PlacementError> {
    if parent.may_contain(child) { Ok(()) } else { Err(PlacementError::KindNotAllowed { parent: parent.code(), child: child.code() }) }
}

/// What the move rule needs to know about a unit, its current link and the proposed new parent.
#[derive(Debug, Clone)]
pub struct MoveRequest<'a> {
    /// Kind of the unit being moved.
    pub kind: UnitKind,
    /// The unit's current parent.
    pub current_parent: Option<crate::UnitId>,
    /// Date the current parent link took effect.
    pub current_link_since: chrono::NaiveDate,
    /// The proposed new parent.
    pub new_parent: crate::UnitId,
    /// Kind of the proposed new parent.
    pub new_parent_kind: UnitKind,
    /// The new parent's ancestry, root first, ending with the new parent itself.
    pub new_parent_path: &'a [crate::UnitId],
    /// The unit being moved.
    pub unit: crate::UnitId,
    /// Date from which the new link holds.
    pub effective_on: chrono::NaiveDate,
    /// Today in Vietnam.
    pub today: chrono::NaiveDate,
}

/// Decides whether a re-parenting (effective-dated) is allowed. The old link is kept in history
/// up to `effective_on`; the new one holds from `effective_on`.
pub fn check_move(req: &MoveRequest<'_>) -> Result<(), PlacementError> {
    if req.new_parent_path.contains(&req.unit) {
        return Err(PlacementError::Cycle);
    }
    if req.current_parent == Some(req.new_parent) {
        return Err(PlacementError::SameParent);
    }
    check_placement(req.new_parent_kind, req.kind)?;
    if req.effective_on > req.today {
        return Err(PlacementError::EffectiveInFuture);
    }
    if req.effective_on <= req.current_link_since {
        return Err(PlacementError::BeforeCurrentLink);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnitId;
    use chrono::NaiveDate;

    #[test]
    fn codes_round_trip() {
        for kind in UnitKind::ALL {
            assert_eq!(UnitKind::parse(kind.code()).unwrap(), kind);
        }
        assert!(UnitKind::parse("village").is_err());
    }

    #[test]
    fn containment_table_snapshot() {
        let mut lines = Vec::new();
        for parent in UnitKind::ALL {
            let children: Vec<_> = UnitKind::ALL.into_iter().filter(|c| parent.may_contain(*c)).map(UnitKind::code).collect();
            lines.push(format!("{:<22} -> {}", parent.code(), children.join(", ")));
        }
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn move_rules() {
        let id = |n| UnitId::from_uuid(uuid::Uuid::from_u128(n));
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let (province, district, commune, cell) = (id(1), id(2), id(3), id(4));
        let base = MoveRequest {
            kind: UnitKind::CommuneCommittee,
            current_parent: Some(district),
            current_link_since: d(2020, 1, 1),
            new_parent: province,
            new_parent_kind: UnitKind::Province,
            new_parent_path: &[province],
            unit: commune,
            effective_on: d(2025, 7, 1),
            today: d(2026, 1, 1),
        };
        assert_eq!(check_move(&base), Ok(()));
        let cyc_path = [province, district, commune, cell];
        let cases: Vec<(MoveRequest<'_>, PlacementError)> = vec![
            (
                MoveRequest { new_parent: cell, new_parent_kind: UnitKind::Cell, new_parent_path: &cyc_path, ..base.clone() },
                PlacementError::Cycle,
            ),
            (MoveRequest { new_parent: district, ..base.clone() }, PlacementError::SameParent),
            (MoveRequest { effective_on: d(2026, 1, 2), ..base.clone() }, PlacementError::EffectiveInFuture),
            (MoveRequest { effective_on: d(2020, 1, 1), ..base.clone() }, PlacementError::BeforeCurrentLink),
            (
                MoveRequest { kind: UnitKind::Province, ..base.clone() },
                PlacementError::KindNotAllowed { parent: "province", child: "province" },
            ),
        ];
        for (req, want) in cases {
            assert_eq!(check_move(&req), Err(want.clone()), "{want:?}");
        }
    }
}
