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

pub mod assignees;
pub mod stats;
pub mod workflow;

membership::id_type!(
    /// A task.
    TaskId
);
