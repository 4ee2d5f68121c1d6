//! # study-points — studying resolutions for points (*học tập nghị quyết, điểm tích lũy*)
//!
//! Questions tied to documents, checked for the right number of correct options and scored on
//! the server only ([`question`]); quizzes with an open window, a time limit and attempt limits
//! per period, question sets fixed or drawn per attempt preferring unseen questions ([`quiz`]);
//! the append-only, idempotent points ledger with yearly totals against the 200-points target,
//! ranks with ties, and the yearly cap on leaders' manual adjustments ([`ledger`]).
//!
//! ```
//! use study_points::question::{Kind, QuestionContent, score};
//! let q = QuestionContent::parse(Kind::Single, "Đảng ta ra đời năm nào?", &["1925", "1930"], &[1], "Ngày 3/2/1930.").unwrap();
//! assert!(score(&q, &[1]));
//! assert!(!score(&q, &[0]));
//! ```
//!
//! ## The `serde` feature
//!
//! Off by default. With `features = ["serde"]` (which enables `membership/serde`) the data types
//! implement `Serialize`/`Deserialize`: ids as their UUID string, question kinds, periods and
//! ledger reasons as their stable `code()`, a quiz window's weekdays as `mon` … `sun`, ledger
//! entries and question contents as objects.
//!
#![cfg_attr(feature = "serde", doc = "```")]
#![cfg_attr(not(feature = "serde"), doc = "```ignore")]
//! use study_points::{ledger::Reason, question::Kind};
//!
//! assert_eq!(serde_json::to_string(&Reason::MeetingAttendance).unwrap(), r#""meeting_attendance""#);
//! let kind: Kind = serde_json::from_str(r#""true_false""#).unwrap();
//! assert_eq!(kind, Kind::TrueFalse);
//! ```

pub mod ledger;
pub mod question;
pub mod quiz;

membership::id_type!(
    /// A question (all its versions).
    QuestionId
);
membership::id_type!(
    /// One version of a question's content.
    QuestionVersionId
);
membership::id_type!(
    /// A quiz (*cuộc thi / đợt học tập*).
    QuizId
);
membership::id_type!(
    /// An attempt at a quiz.
    AttemptId
);

#[cfg(test)]
#[cfg(feature = "serde")]
mod serde_tests {
    use super::*;
    use crate::ledger::{Entry, Reason};
    use crate::question::{Kind, QuestionContent};
    use crate::quiz::{PastAttempt, Period, Window};
    use chrono::{NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
    use membership::MemberId;
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) -> serde_json::Value {
        let json = serde_json::to_value(value).unwrap();
        let back: T = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(&back, value, "{json}");
        json
    }

    #[test]
    fn codes_serialize_as_their_code() {
        for r in [Reason::QuizAnswer, Reason::DocumentRead, Reason::MeetingAttendance, Reason::Adjustment] {
            assert_eq!(round_trip(&r), r.code());
        }
        for k in [Kind::Single, Kind::Multiple, Kind::TrueFalse] {
            assert_eq!(round_trip(&k), k.code());
        }
        for p in [Period::Day, Period::Week, Period::Month, Period::Total] {
            assert_eq!(round_trip(&p), p.code());
        }
    }

    #[test]
    fn records_round_trip() {
        assert_eq!(round_trip(&QuizId::from_uuid(uuid::Uuid::from_u128(4))), "00000000-0000-0000-0000-000000000004");
        round_trip(&AttemptId::from_uuid(uuid::Uuid::from_u128(5)));
        let at = Utc.with_ymd_and_hms(2026, 3, 5, 12, 0, 0).unwrap();
        let entry = Entry {
            member: MemberId::from_uuid(uuid::Uuid::from_u128(1)),
            points: 5,
            reason: Reason::MeetingAttendance,
            source: uuid::Uuid::from_u128(2),
            at,
        };
        assert_eq!(round_trip(&entry)["reason"], "meeting_attendance");
        let window = Window {
            opens_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            closes_on: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            weekdays: vec![Weekday::Mon, Weekday::Sun],
            daily_from: NaiveTime::from_hms_opt(8, 0, 0),
            daily_to: None,
        };
        assert_eq!(round_trip(&window)["weekdays"], serde_json::json!(["mon", "sun"]));
        round_trip(&PastAttempt { started_at: at, deadline: at, submitted: true });
        let q = QuestionContent::parse(Kind::TrueFalse, "Đúng hay sai?", &[], &[0], "").unwrap();
        assert_eq!(round_trip(&q)["kind"], "true_false");
    }

    #[test]
    fn invalid_values_are_refused() {
        let bad_day = r#"{"opens_on":"2026-03-01","closes_on":"2026-03-31","weekdays":["monday"],"daily_from":null,"daily_to":null}"#;
        assert!(serde_json::from_str::<Window>(bad_day).is_err());
        assert!(serde_json::from_str::<Period>(r#""year""#).is_err());
        assert!(serde_json::from_str::<membership::CitizenId>(r#""001""#).is_err());
    }
}
