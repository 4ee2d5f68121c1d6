//! # membership — the Party organisation and its members
//!
//! Pure business rules of the electronic Party-member handbook (*Sổ tay đảng viên điện tử*)
//! for the organisation tree, members (*đảng viên*) and their lifecycle, positions in a unit
//! (*bí thư*, *phó bí thư*, *cấp ủy viên*) and the permission function every read and write is
//! checked against.
//!
//! What this crate decides:
//! - which values are valid (parse, don't validate: [`FullName::parse`], [`CitizenId::parse`], …);
//! - which unit kinds may contain which ([`UnitKind::may_contain`]);
//! - which lifecycle events may follow which ([`lifecycle::apply`]);
//! - whether a new position conflicts with held ones ([`position::check_new_position`]);
//! - whether an actor may perform an action on a unit at a date ([`permission::authorize`]), on
//!   a member — never themselves, nor the holder of a position they may not appoint to —
//!   ([`permission::authorize_on_member`]) and how much of a member record they may see
//!   ([`permission::member_view`]).
//!
//! What it leaves to callers: storage, the clock (`today`/`now` come in as parameters), new ids
//! (callers generate UUID v7 and pass them in), and loading the ancestry of a unit (one indexed
//! query in the storage layer).
//!
//! ```
//! use membership::{lifecycle::{apply, EventKind, MemberState, Standing}, UnitId};
//! use chrono::NaiveDate;
//!
//! let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
//! let cell = UnitId::from_uuid(uuid::Uuid::from_u128(1));
//! let state = MemberState::admitted(cell, d(2024, 3, 1));
//! // Recognition as official member is refused before 12 months of probation.
//! assert!(apply(&state, &EventKind::RecognizeOfficial, d(2025, 2, 1), d(2026, 1, 1)).is_err());
//! let next = apply(&state, &EventKind::RecognizeOfficial, d(2025, 3, 1), d(2026, 1, 1)).unwrap();
//! assert_eq!(next.standing, Standing::Official);
//! ```
//!
//! ## The `serde` feature
//!
//! Off by default, so the crate stays dependency-light. With `features = ["serde"]` the data types
//! implement `Serialize`/`Deserialize`: ids as their UUID string, codes (`UnitKind`, `Standing`,
//! `Role`, …) as their stable `code()`, lifecycle events tagged by their code in a `type` field,
//! and parsed values ([`FullName`], [`CitizenId`], [`Phone`], …) as their normalised string,
//! deserialized through their `parse` constructor so that invalid input is refused.
//!
#![cfg_attr(feature = "serde", doc = "```")]
#![cfg_attr(not(feature = "serde"), doc = "```ignore")]
//! use membership::{CitizenId, UnitKind, lifecycle::EventKind, UnitId};
//!
//! assert_eq!(serde_json::to_string(&UnitKind::CommuneCommittee).unwrap(), r#""commune_committee""#);
//! let id: CitizenId = serde_json::from_str(r#""001099012345""#).unwrap();
//! assert_eq!(id.as_str(), "001099012345");
//! assert!(serde_json::from_str::<CitizenId>(r#""12345""#).is_err());
//! let to_unit = UnitId::from_uuid(uuid::Uuid::from_u128(7));
//! let json = serde_json::to_string(&EventKind::Transfer { to_unit }).unwrap();
//! assert_eq!(json, r#"{"type":"transfer","to_unit":"00000000-0000-0000-0000-000000000007"}"#);
//! ```

pub mod fields;
pub mod ids;
pub mod lifecycle;
pub mod permission;
pub mod position;
pub mod time;
pub mod unit;

pub use fields::{CitizenId, Email, FieldError, FullName, PartyCardNumber, Phone, Sex, Username};
pub use ids::{AccountId, EventId, MemberId, PositionId, UnitId};
pub use unit::{UnitKind, UnitName};

/// Re-exports for [`id_type!`]'s expansion in other crates. Not part of the public API.
#[cfg(feature = "serde")]
#[doc(hidden)]
pub mod __private {
    pub use serde;
}

#[cfg(test)]
#[cfg(feature = "serde")]
mod serde_tests {
    use super::lifecycle::{EventKind, MemberState, Standing};
    use super::permission::{Action, Actor, HeldPosition, MemberView};
    use super::position::{Position, Role};
    use super::*;
    use chrono::NaiveDate;
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) -> serde_json::Value {
        let json = serde_json::to_value(value).unwrap();
        let back: T = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(&back, value, "{json}");
        json
    }

    fn code_of<T: Serialize>(value: &T) -> String {
        serde_json::to_value(value).unwrap().as_str().unwrap().to_string()
    }

    #[test]
    fn codes_serialize_as_their_code() {
        for k in UnitKind::ALL {
            assert_eq!(code_of(&k), k.code());
            round_trip(&k);
        }
        for s in Standing::ALL {
            assert_eq!(code_of(&s), s.code());
            round_trip(&s);
        }
        for r in Role::ALL {
            assert_eq!(code_of(&r), r.code());
            round_trip(&r);
        }
        for a in Action::ALL {
            assert_eq!(code_of(&a), a.code());
            round_trip(&a);
        }
        for s in [Sex::Male, Sex::Female] {
            assert_eq!(code_of(&s), s.code());
            round_trip(&s);
        }
        assert_eq!(code_of(&MemberView::Full), "full");
        let unit = UnitId::from_uuid(uuid::Uuid::from_u128(9));
        let events = [
            EventKind::RecognizeOfficial,
            EventKind::Transfer { to_unit: unit },
            EventKind::TemporaryTransfer { host_unit: unit },
            EventKind::EndTemporaryTransfer,
            EventKind::Exempt,
            EventKind::EndExemption,
            EventKind::Remove,
            EventKind::Expel,
            EventKind::Decease,
        ];
        for e in events {
            let json = round_trip(&e);
            assert_eq!(json["type"], e.code(), "{json}");
        }
        assert!(serde_json::from_str::<UnitKind>(r#""village""#).is_err());
        assert!(serde_json::from_str::<UnitKind>(r#""CommuneCommittee""#).is_err());
    }

    #[test]
    fn ids_are_transparent_uuids() {
        let id = MemberId::from_uuid(uuid::Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_0000_0001));
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""01920000-0000-7000-8000-000000000001""#);
        round_trip(&id);
        assert!(serde_json::from_str::<MemberId>(r#""not-a-uuid""#).is_err());
    }

    #[test]
    fn parsed_values_go_through_parse() {
        let name = FullName::parse("Nguyễn Văn An").unwrap();
        assert_eq!(round_trip(&name), "Nguyễn Văn An");
        // Deserializing normalises like `parse` does.
        let phone: Phone = serde_json::from_str(r#""+84 912 345 678""#).unwrap();
        assert_eq!(phone.as_str(), "0912345678");
        round_trip(&phone);
        round_trip(&CitizenId::parse("001099012345").unwrap());
        round_trip(&PartyCardNumber::parse("12345678").unwrap());
        round_trip(&Email::parse("an@example.vn").unwrap());
        round_trip(&Username::parse("admin").unwrap());
        round_trip(&UnitName::parse("Chi bộ thôn Đông Thành").unwrap());
        // Invalid input is refused, with the parse error's message.
        let err = serde_json::from_str::<CitizenId>(r#""000099012345""#).unwrap_err();
        assert!(err.to_string().contains("province code"), "{err}");
        assert!(serde_json::from_str::<FullName>(r#""Lê Văn 3""#).is_err());
        assert!(serde_json::from_str::<Phone>(r#""0212345678""#).is_err());
        assert!(serde_json::from_str::<Email>(r#""no-at-sign""#).is_err());
        assert!(serde_json::from_str::<Username>(r#""ab""#).is_err());
        assert!(serde_json::from_str::<PartyCardNumber>(r#""12""#).is_err());
        assert!(serde_json::from_str::<UnitName>(r#""  ""#).is_err());
        assert!(serde_json::from_str::<CitizenId>("12").is_err());
    }

    #[test]
    fn records_round_trip() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let cell = UnitId::from_uuid(uuid::Uuid::from_u128(1));
        let state = MemberState::already_official(cell, d(2020, 1, 1), d(2021, 1, 1)).unwrap();
        let json = round_trip(&state);
        assert_eq!(json["standing"], "official");
        assert_eq!(json["admitted_on"], "2020-01-01");
        let position = Position {
            id: PositionId::from_uuid(uuid::Uuid::from_u128(2)),
            unit_id: cell,
            member_id: MemberId::from_uuid(uuid::Uuid::from_u128(3)),
            role: Role::DeputySecretary,
            from: d(2024, 1, 1),
            to: None,
        };
        assert_eq!(round_trip(&position)["role"], "deputy_secretary");
        let actor = Actor {
            account_id: Some(AccountId::from_uuid(uuid::Uuid::from_u128(4))),
            member_id: Some(position.member_id),
            home_path: vec![cell],
            positions: vec![HeldPosition { unit_id: cell, role: Role::Secretary, from: d(2024, 1, 1), to: Some(d(2025, 1, 1)) }],
            admin_scopes: vec![],
        };
        round_trip(&actor);
    }
}
