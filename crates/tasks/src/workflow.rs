//! Task statuses, who may take which step, ratings, priorities, progress and the overdue rule.

use chrono::{DateTime, NaiveDate, Utc};
use membership::fields::FieldError;
use membership::time::local_date;

/// Status of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Status {
    /// Assigned, not started.
    Assigned,
    /// Being worked on.
    InProgress,
    /// Result reported, waiting for a leader's evaluation (*chờ đánh giá*).
    AwaitingEvaluation,
    /// Evaluated with a rating.
    Done,
    /// Cancelled with a reason.
    Cancelled,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 5] = [Status::Assigned, Status::InProgress, Status::AwaitingEvaluation, Status::Done, Status::Cancelled];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Status::Assigned => "assigned",
            Status::InProgress => "in_progress",
            Status::AwaitingEvaluation => "awaiting_evaluation",
            Status::Done => "done",
            Status::Cancelled => "cancelled",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Done or cancelled.
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Done | Status::Cancelled)
    }
}

/// A step in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Step {
    /// A progress update (moves an assigned task to in progress).
    Progress,
    /// The result report.
    Submit,
    /// A leader's evaluation with a rating.
    Evaluate,
    /// A leader sends the result back.
    Return,
    /// A leader cancels.
    Cancel,
    /// A leader edits the task (title, due date, assignees…).
    Edit,
}

impl Step {
    /// Every step.
    pub const ALL: [Step; 6] = [Step::Progress, Step::Submit, Step::Evaluate, Step::Return, Step::Cancel, Step::Edit];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Step::Progress => "progress",
            Step::Submit => "submit",
            Step::Evaluate => "evaluate",
            Step::Return => "return",
            Step::Cancel => "cancel",
            Step::Edit => "edit",
        }
    }
}

/// Who takes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Actor {
    /// One of the task's assignees.
    Assignee,
    /// A leader of the task's unit who is not an assignee.
    Leader,
    /// A leader of the unit who is also an assignee (may report, may not evaluate their own task).
    LeaderAssignee,
    /// Anybody else.
    Other,
}

/// Why a step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The actor may not take this step at all.
    #[error("not permitted to {}", step.code())]
    NotPermitted {
        /// The step.
        step: Step,
    },
    /// The step does not apply to the current status.
    #[error("cannot {} a task that is {}", step.code(), from.code())]
    InvalidStatus {
        /// Current status.
        from: Status,
        /// The step.
        step: Step,
    },
}

/// The status after `step` taken by `actor`, or why it is refused.
pub fn next(from: Status, step: Step, actor: Actor) -> Result<Status, StepError> {
    let assignee = matches!(actor, Actor::Assignee | Actor::LeaderAssignee);
    let leader = matches!(actor, Actor::Leader | Actor::LeaderAssignee);
    let allowed = match step {
        Step::Progress | Step::Submit => assignee,
        // Nobody evaluates or returns their own work.
        Step::Evaluate | Step::Return => actor == Actor::Leader,
        Step::Cancel | Step::Edit => leader,
    };
    if !allowed {
        return Err(StepError::NotPermitted { step });
    }
    use Status as S;
    let to = match (from, step) {
        (S::Assigned | S::InProgress, Step::Progress) => S::InProgress,
        (S::Assigned | S::InProgress, Step::Submit) => S::AwaitingEvaluation,
        (S::AwaitingEvaluation, Step::Evaluate) => S::Done,
        (S::AwaitingEvaluation, Step::Return) => S::InProgress,
        (S::Assigned | S::InProgress | S::AwaitingEvaluation, Step::Cancel) => S::Cancelled,
        (S::Assigned | S::InProgress | S::AwaitingEvaluation, Step::Edit) => from,
        _ => return Err(StepError::InvalidStatus { from, step }),
    };
    Ok(to)
}

/// A leader's rating of a done task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Rating {
    /// *Hoàn thành xuất sắc*.
    Excellent,
    /// *Hoàn thành tốt*.
    Good,
    /// *Hoàn thành*.
    Complete,
    /// *Không hoàn thành*.
    NotComplete,
}

impl Rating {
    /// Every rating.
    pub const ALL: [Rating; 4] = [Rating::Excellent, Rating::Good, Rating::Complete, Rating::NotComplete];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Rating::Excellent => "excellent",
            Rating::Good => "good",
            Rating::Complete => "complete",
            Rating::NotComplete => "not_complete",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Priority {
    /// Low.
    Low,
    /// Normal.
    Normal,
    /// High.
    High,
    /// Urgent.
    Urgent,
}

impl Priority {
    /// Every priority.
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// The highest progress percentage.
pub const MAX_PERCENT: u8 = 100;

/// Checks a progress percentage (0–[`MAX_PERCENT`], set by the assignee, never derived).
pub fn check_percent(p: u8) -> Result<(), FieldError> {
    if p <= MAX_PERCENT { Ok(()) } else { Err(FieldError::InvalidFormat { expected: "0 to 100" }) }
}

/// Whether a task is overdue at `now`: not done or cancelled, and the due date (a whole day in
/// Vietnam) has passed.
pub fn is_overdue(status: Status, due_on: NaiveDate, now: DateTime<Utc>) -> bool {
    !status.is_closed() && local_date(now) > due_on
}

/// Whether a task is due soon: open, not overdue, due within `days` days (Vietnam dates).
pub fn is_due_soon(status: Status, due_on: NaiveDate, now: DateTime<Utc>, days: i64) -> bool {
    let today = local_date(now);
    !status.is_closed() && today <= due_on && (due_on - today).num_days() <= days
}

/// Whether a completed task was completed late (result submitted after the due date).
pub fn done_late(due_on: NaiveDate, submitted_at: DateTime<Utc>) -> bool {
    local_date(submitted_at) > due_on
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn transition_table() {
        let actors =
            [("assignee", Actor::Assignee), ("leader", Actor::Leader), ("leader+assignee", Actor::LeaderAssignee), ("other", Actor::Other)];
        let mut lines = Vec::new();
        for from in Status::ALL {
            for (name, actor) in actors {
                let outcomes: Vec<String> = Step::ALL
                    .into_iter()
                    .map(|s| match next(from, s, actor) {
                        Ok(to) => format!("{}->{}", s.code(), to.code()),
                        Err(StepError::NotPermitted { .. }) => format!("{}:denied", s.code()),
                        Err(StepError::InvalidStatus { .. }) => format!("{}:invalid", s.code()),
                    })
                    .collect();
                lines.push(format!("{:<20} {:<16} {}", from.code(), name, outcomes.join(" ")));
            }
        }
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn overdue_turns_at_midnight_in_vietnam() {
        let due = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        // 16:59:59 UTC on the 10th is 23:59:59 in Vietnam: still the due day.
        let last_second = Utc.with_ymd_and_hms(2026, 3, 10, 16, 59, 59).unwrap();
        let midnight = Utc.with_ymd_and_hms(2026, 3, 10, 17, 0, 0).unwrap();
        assert!(!is_overdue(Status::InProgress, due, last_second));
        assert!(is_overdue(Status::InProgress, due, midnight));
        assert!(is_overdue(Status::AwaitingEvaluation, due, midnight));
        assert!(!is_overdue(Status::Done, due, midnight));
        assert!(!is_overdue(Status::Cancelled, due, midnight));
        assert!(done_late(due, midnight));
        assert!(!done_late(due, last_second));
        let two_days_before = Utc.with_ymd_and_hms(2026, 3, 8, 2, 0, 0).unwrap();
        assert!(is_due_soon(Status::Assigned, due, two_days_before, 2));
        assert!(!is_due_soon(Status::Assigned, due, two_days_before, 1));
        assert!(!is_due_soon(Status::Assigned, due, midnight, 2), "overdue is not due soon");
        assert!(check_percent(100).is_ok() && check_percent(101).is_err());
    }
}
