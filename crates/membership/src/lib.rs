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
//! - whether an actor may perform an action on a unit at a date ([`permission::authorize`]) and
//!   how much of a member record they may see ([`permission::member_view`]).
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
