//! # meetings — cell meetings (*sinh hoạt chi bộ*)
//!
//! The rules of a Party cell's meetings, following Hướng dẫn 12-HD/BTCTW and practice: kinds of
//! meeting and the one-regular-meeting-a-month rule ([`lifecycle`]), the lifecycle from draft to
//! an acknowledged report, content checks (duration, late publication) and the standard agenda
//! ([`content`]), who must attend ([`roster`]), the attendance ledger, its figures and absence
//! flags ([`attendance`]), opinions ([`comments`]), minutes and votes ([`minutes`]), ratings and
//! the report to the superior unit ([`report`]).
//!
//! What it leaves to callers: storage, the clock (`now` comes in), new ids, and loading the
//! roster candidates and ledgers it decides over.
//!
//! ```
//! use meetings::lifecycle::{MeetingStatus, Transition, transition};
//! assert_eq!(transition(MeetingStatus::Draft, Transition::Publish), Ok(MeetingStatus::Published));
//! assert!(transition(MeetingStatus::Draft, Transition::Open).is_err());
//! ```
//!
//! ## The `serde` feature
//!
//! Off by default. With `features = ["serde"]` (which enables `membership/serde`) the data types
//! implement `Serialize`/`Deserialize`: ids as their UUID string, codes ([`lifecycle::MeetingStatus`],
//! [`attendance::AttendanceStatus`], [`minutes::Vote`], …) as their stable `code()`, publication
//! warnings tagged by their code in a `type` field, records ([`attendance::LedgerRow`],
//! [`minutes::Minutes`], …) as objects with snake_case fields.
//!
#![cfg_attr(feature = "serde", doc = "```")]
#![cfg_attr(not(feature = "serde"), doc = "```ignore")]
//! use meetings::lifecycle::MeetingStatus;
//!
//! assert_eq!(serde_json::to_string(&MeetingStatus::MinutesApproved).unwrap(), r#""minutes_approved""#);
//! let status: MeetingStatus = serde_json::from_str(r#""published""#).unwrap();
//! assert_eq!(status, MeetingStatus::Published);
//! ```

pub mod attendance;
pub mod comments;
pub mod content;
pub mod lifecycle;
pub mod minutes;
pub mod report;
pub mod roster;

membership::id_type!(
    /// A meeting.
    MeetingId
);
membership::id_type!(
    /// An agenda item.
    AgendaItemId
);
membership::id_type!(
    /// A comment (opinion).
    CommentId
);
membership::id_type!(
    /// A motion put to the vote.
    MotionId
);
membership::id_type!(
    /// A report to the superior unit.
    ReportId
);

#[cfg(test)]
#[cfg(feature = "serde")]
mod serde_tests {
    use super::*;
    use crate::attendance::{AttendanceStatus, LedgerRow};
    use crate::comments::AuthorPresence;
    use crate::content::{AgendaItem, Warning};
    use crate::lifecycle::{MeetingKind, MeetingStatus, Transition};
    use crate::minutes::{Minutes, Tally, Vote};
    use crate::report::ReportStatus;
    use crate::roster::{RosterLine, RosterRole};
    use chrono::{TimeZone, Utc};
    use membership::{CitizenId, MemberId};
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) -> serde_json::Value {
        let json = serde_json::to_value(value).unwrap();
        let back: T = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(&back, value, "{json}");
        json
    }

    fn assert_code<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: T, code: &str) {
        assert_eq!(round_trip(&value), code, "{value:?}");
    }

    #[test]
    fn codes_serialize_as_their_code() {
        for s in AttendanceStatus::ALL {
            assert_code(s, s.code());
        }
        for p in [AuthorPresence::Present, AuthorPresence::Absent, AuthorPresence::NotCheckedIn] {
            assert_code(p, p.code());
        }
        for k in MeetingKind::ALL {
            assert_code(k, k.code());
        }
        for s in MeetingStatus::ALL {
            assert_code(s, s.code());
        }
        for t in Transition::ALL {
            assert_code(t, t.code());
        }
        for v in [Vote::Agree, Vote::Disagree, Vote::Other] {
            assert_code(v, v.code());
        }
        for s in [ReportStatus::Submitted, ReportStatus::Acknowledged, ReportStatus::Returned] {
            assert_code(s, s.code());
        }
        for r in [RosterRole::Obliged, RosterRole::Guest] {
            assert_code(r, r.code());
        }
        for w in [Warning::ShortDuration { minimum: 90, planned: 60 }, Warning::LatePublication { hours_before: 3 }, Warning::EmptyAgenda] {
            assert_eq!(round_trip(&w)["type"], w.code());
        }
        assert!(serde_json::from_str::<MeetingStatus>(r#""MinutesApproved""#).is_err());
    }

    #[test]
    fn records_round_trip() {
        let member = MemberId::from_uuid(uuid::Uuid::from_u128(1));
        let at = Utc.with_ymd_and_hms(2026, 3, 5, 12, 0, 0).unwrap();
        let id = MeetingId::from_uuid(uuid::Uuid::from_u128(2));
        assert_eq!(round_trip(&id), "00000000-0000-0000-0000-000000000002");
        let row = LedgerRow {
            member_id: member,
            role: RosterRole::Obliged,
            official: true,
            status: AttendanceStatus::Late,
            checked_in_at: Some(at),
            reason: None,
        };
        assert_eq!(round_trip(&row)["status"], "late");
        round_trip(&RosterLine { member_id: member, role: RosterRole::Guest, official: false });
        round_trip(&Minutes {
            text: "Biên bản".into(),
            resolution: String::new(),
            chair: Some(member),
            secretary: None,
            started_at: Some(at),
            ended_at: None,
        });
        round_trip(&Tally::of([Vote::Agree, Vote::Agree, Vote::Other]));
        round_trip(&content::regular_template());
        round_trip(&AgendaItem { title: "A".into(), description: String::new(), presenter: None, planned_minutes: Some(30) });
        round_trip(&attendance::figures(&[row]));
        let day = |m| chrono::NaiveDate::from_ymd_opt(2026, m, 5).unwrap();
        let history: Vec<attendance::Attended> =
            (1..=3).map(|m| attendance::Attended { date: day(m), status: AttendanceStatus::AbsentWithoutReason }).collect();
        let json = round_trip(&attendance::member_figures(&history));
        assert_eq!(json["months_absent_without_reason"]["2026"], 3);
        round_trip(&history);
    }

    #[test]
    fn invalid_values_are_refused() {
        // Parsed values of `membership` keep refusing invalid input when nested here.
        assert!(serde_json::from_str::<CitizenId>(r#""097099012345""#).is_err());
        assert!(serde_json::from_str::<MeetingKind>(r#""weekly""#).is_err());
        assert!(serde_json::from_str::<MeetingId>(r#""1""#).is_err());
    }
}
