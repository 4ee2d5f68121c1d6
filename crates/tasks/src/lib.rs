//! # tasks — tasks assigned in a cell (*giao nhiệm vụ*)
//!
//! The workflow of a task assigned by a cell's leaders to members or committee members: assigned
//! → in progress → awaiting evaluation (*chờ đánh giá*) → done with a rating, or sent back to in
//! progress; cancelled with a reason ([`workflow`]). Overdue is derived from the due date and the
//! status at read time in `Asia/Ho_Chi_Minh` ([`workflow::is_overdue`]), never stored.
//! Per-member and per-unit figures ([`stats`]) feed the quality rating later. Who may be assigned
//! a task — active members of the assigning unit, or those holding a position in it — is
//! [`assignees`]' rule.
//!
//! ```
//! use tasks::workflow::{Actor, Status, Step, next};
//! assert_eq!(next(Status::Assigned, Step::Submit, Actor::Assignee), Ok(Status::AwaitingEvaluation));
//! assert!(next(Status::Assigned, Step::Evaluate, Actor::Assignee).is_err());
//! ```
//!
//! ## The `serde` feature
//!
//! Off by default. With `features = ["serde"]` (which enables `membership/serde`) the data types
//! implement `Serialize`/`Deserialize`: [`TaskId`] as its UUID string, statuses, steps, actors,
//! ratings and priorities as their stable snake_case codes, [`stats::TaskFacts`] as an object;
//! [`stats::TaskFigures`] serializes only.
//!
#![cfg_attr(feature = "serde", doc = "```")]
#![cfg_attr(not(feature = "serde"), doc = "```ignore")]
//! use tasks::workflow::{Rating, Status};
//!
//! assert_eq!(serde_json::to_string(&Status::AwaitingEvaluation).unwrap(), r#""awaiting_evaluation""#);
//! let rating: Rating = serde_json::from_str(r#""not_complete""#).unwrap();
//! assert_eq!(rating, Rating::NotComplete);
//! ```

pub mod assignees;
pub mod stats;
pub mod workflow;

membership::id_type!(
    /// A task.
    TaskId
);

#[cfg(test)]
#[cfg(feature = "serde")]
mod serde_tests {
    use super::*;
    use crate::stats::{TaskFacts, figures};
    use crate::workflow::{Actor, Priority, Rating, Status, Step};
    use chrono::{NaiveDate, TimeZone, Utc};
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
        for s in Status::ALL {
            assert_eq!(round_trip(&s), s.code());
        }
        for s in Step::ALL {
            assert_eq!(round_trip(&s), s.code());
        }
        for r in Rating::ALL {
            assert_eq!(round_trip(&r), r.code());
        }
        for p in [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent] {
            assert_eq!(round_trip(&p), p.code());
        }
        assert_eq!(round_trip(&Actor::LeaderAssignee), "leader_assignee");
    }

    #[test]
    fn records_round_trip() {
        assert_eq!(round_trip(&TaskId::from_uuid(uuid::Uuid::from_u128(3))), "00000000-0000-0000-0000-000000000003");
        let at = Utc.with_ymd_and_hms(2026, 3, 5, 12, 0, 0).unwrap();
        let facts = TaskFacts {
            status: Status::Done,
            due_on: NaiveDate::from_ymd_opt(2026, 3, 4).unwrap(),
            submitted_at: Some(at),
            rating: Some(Rating::Good),
        };
        let json = round_trip(&facts);
        assert_eq!(json["rating"], "good");
        let figures = serde_json::to_value(figures(&[facts], at)).unwrap();
        assert_eq!(figures["done_late"], 1);
        assert_eq!(figures["ratings"]["good"], 1);
    }

    #[test]
    fn invalid_values_are_refused() {
        assert!(serde_json::from_str::<Status>(r#""overdue""#).is_err());
        assert!(serde_json::from_str::<Rating>(r#""NotComplete""#).is_err());
        assert!(serde_json::from_str::<membership::Phone>(r#""0212345678""#).is_err());
    }
}
