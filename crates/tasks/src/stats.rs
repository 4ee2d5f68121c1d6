//! Task figures per member and per unit.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::workflow::{Rating, Status, done_late, is_overdue};

/// What the figures need about one task (counted once per assignee for member figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TaskFacts {
    /// Status.
    pub status: Status,
    /// Due date.
    pub due_on: NaiveDate,
    /// When the result was reported (for done tasks).
    pub submitted_at: Option<DateTime<Utc>>,
    /// Rating (for done tasks).
    pub rating: Option<Rating>,
}

/// Figures over a set of tasks (computed, not stored: with the `serde` feature they serialize but
/// do not deserialize).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TaskFigures {
    /// Tasks assigned (cancelled ones excluded).
    pub assigned: u32,
    /// Done, result reported by the due date.
    pub done_on_time: u32,
    /// Done, result reported after the due date.
    pub done_late: u32,
    /// Open and past the due date.
    pub overdue: u32,
    /// Open, not overdue.
    pub open: u32,
    /// Ratings of done tasks, by code.
    pub ratings: BTreeMap<&'static str, u32>,
}

/// Computes the figures at `now`.
pub fn figures(tasks: &[TaskFacts], now: DateTime<Utc>) -> TaskFigures {
    let mut f = TaskFigures::default();
    for t in tasks.iter().filter(|t| t.status != Status::Cancelled) {
        f.assigned += 1;
        if t.status == Status::Done {
            if t.submitted_at.is_some_and(|s| done_late(t.due_on, s)) {
                f.done_late += 1;
            } else {
                f.done_on_time += 1;
            }
            if let Some(r) = t.rating {
                *f.ratings.entry(r.code()).or_default() += 1;
            }
        } else if is_overdue(t.status, t.due_on, now) {
            f.overdue += 1;
        } else {
            f.open += 1;
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn figures_count_each_outcome() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
        let at = |day, h| Utc.with_ymd_and_hms(2026, 3, day, h, 0, 0).unwrap();
        let now = at(20, 5);
        let tasks = [
            TaskFacts { status: Status::Done, due_on: d(10), submitted_at: Some(at(9, 5)), rating: Some(Rating::Good) },
            TaskFacts { status: Status::Done, due_on: d(10), submitted_at: Some(at(12, 5)), rating: Some(Rating::Complete) },
            TaskFacts { status: Status::InProgress, due_on: d(15), submitted_at: None, rating: None },
            TaskFacts { status: Status::AwaitingEvaluation, due_on: d(25), submitted_at: Some(at(19, 1)), rating: None },
            TaskFacts { status: Status::Cancelled, due_on: d(1), submitted_at: None, rating: None },
        ];
        let f = figures(&tasks, now);
        assert_eq!((f.assigned, f.done_on_time, f.done_late, f.overdue, f.open), (4, 1, 1, 1, 1));
        assert_eq!(f.ratings.get("good"), Some(&1));
        assert_eq!(f.ratings.get("complete"), Some(&1));
    }
}
