//! Kinds of meeting and the lifecycle: draft → published → open → ended → minutes approved →
//! reported → acknowledged (or returned for revision: back to ended). Cancelling is possible
//! before the meeting opens.

use chrono::{DateTime, Datelike, Utc};

use membership::time::local_date;

/// Kind of meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum MeetingKind {
    /// Regular monthly meeting (*sinh hoạt thường kỳ*); at most one per cell per calendar month.
    Regular,
    /// Thematic meeting (*sinh hoạt chuyên đề*), at least quarterly.
    Thematic,
    /// Extraordinary meeting (*sinh hoạt bất thường*).
    Extraordinary,
    /// Meeting of the cell committee (*họp chi ủy*).
    Committee,
}

impl MeetingKind {
    /// Every kind.
    pub const ALL: [MeetingKind; 4] = [MeetingKind::Regular, MeetingKind::Thematic, MeetingKind::Extraordinary, MeetingKind::Committee];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            MeetingKind::Regular => "regular",
            MeetingKind::Thematic => "thematic",
            MeetingKind::Extraordinary => "extraordinary",
            MeetingKind::Committee => "committee",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Where a meeting is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum MeetingStatus {
    /// Being prepared; visible to the cell's leaders only.
    Draft,
    /// Content published to the members.
    Published,
    /// In progress: the roster is frozen, check-in is possible.
    Open,
    /// Finished; minutes being written.
    Ended,
    /// Minutes approved: minutes, ledger and opinions are locked.
    MinutesApproved,
    /// Report sent to the superior unit.
    Reported,
    /// Report acknowledged by the superior unit.
    Acknowledged,
    /// Cancelled before it opened.
    Cancelled,
}

impl MeetingStatus {
    /// Every status.
    pub const ALL: [MeetingStatus; 8] = [
        MeetingStatus::Draft,
        MeetingStatus::Published,
        MeetingStatus::Open,
        MeetingStatus::Ended,
        MeetingStatus::MinutesApproved,
        MeetingStatus::Reported,
        MeetingStatus::Acknowledged,
        MeetingStatus::Cancelled,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            MeetingStatus::Draft => "draft",
            MeetingStatus::Published => "published",
            MeetingStatus::Open => "open",
            MeetingStatus::Ended => "ended",
            MeetingStatus::MinutesApproved => "minutes_approved",
            MeetingStatus::Reported => "reported",
            MeetingStatus::Acknowledged => "acknowledged",
            MeetingStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether members (not only leaders) may see the meeting.
    pub fn visible_to_members(self) -> bool {
        self != MeetingStatus::Draft
    }

    /// Whether agenda and content may still be edited.
    pub fn content_editable(self) -> bool {
        matches!(self, MeetingStatus::Draft | MeetingStatus::Published)
    }

    /// Whether opinions may be posted: from publication until the minutes are approved.
    pub fn accepts_comments(self) -> bool {
        matches!(self, MeetingStatus::Published | MeetingStatus::Open | MeetingStatus::Ended)
    }

    /// Whether the attendance ledger may still be corrected.
    pub fn ledger_editable(self) -> bool {
        matches!(self, MeetingStatus::Open | MeetingStatus::Ended)
    }

    /// Whether minutes, motions and votes may still be written.
    pub fn minutes_editable(self) -> bool {
        matches!(self, MeetingStatus::Open | MeetingStatus::Ended)
    }

    /// Whether the meeting has ended (members may rate it).
    pub fn has_ended(self) -> bool {
        matches!(self, MeetingStatus::Ended | MeetingStatus::MinutesApproved | MeetingStatus::Reported | MeetingStatus::Acknowledged)
    }
}

/// A requested change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Transition {
    /// Publish the content to the members.
    Publish,
    /// Open the meeting (freezes the roster, creates the ledger).
    Open,
    /// End the meeting.
    End,
    /// Cancel before opening.
    Cancel,
    /// Approve (and lock) the minutes.
    ApproveMinutes,
    /// Send the report to the superior unit.
    SendReport,
    /// The superior acknowledges the report.
    Acknowledge,
    /// The superior returns the report for revision.
    Return,
}

impl Transition {
    /// Every transition.
    pub const ALL: [Transition; 8] = [
        Transition::Publish,
        Transition::Open,
        Transition::End,
        Transition::Cancel,
        Transition::ApproveMinutes,
        Transition::SendReport,
        Transition::Acknowledge,
        Transition::Return,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Transition::Publish => "publish",
            Transition::Open => "open",
            Transition::End => "end",
            Transition::Cancel => "cancel",
            Transition::ApproveMinutes => "approve_minutes",
            Transition::SendReport => "send_report",
            Transition::Acknowledge => "acknowledge",
            Transition::Return => "return",
        }
    }
}

/// A refused transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a meeting that is {}", transition.code(), from.code())]
pub struct InvalidTransition {
    /// Current status.
    pub from: MeetingStatus,
    /// What was asked.
    pub transition: Transition,
}

/// The status after `transition`, or why it is refused.
pub fn transition(from: MeetingStatus, transition: Transition) -> Result<MeetingStatus, InvalidTransition> {
    use MeetingStatus as S;
    use Transition as T;
    let to = match (from, transition) {
        (S::Draft, T::Publish) => S::Published,
        (S::Published, T::Open) => S::Open,
        (S::Open, T::End) => S::Ended,
        (S::Draft | S::Published, T::Cancel) => S::Cancelled,
        (S::Ended, T::ApproveMinutes) => S::MinutesApproved,
        (S::MinutesApproved, T::SendReport) => S::Reported,
        (S::Reported, T::Acknowledge) => S::Acknowledged,
        // Returned for revision: the minutes unlock for correction, and a new report follows.
        (S::Reported, T::Return) => S::Ended,
        _ => return Err(InvalidTransition { from, transition }),
    };
    Ok(to)
}

/// Calendar month (year, month) in Vietnam of an instant.
pub fn local_month(at: DateTime<Utc>) -> (i32, u32) {
    let d = local_date(at);
    (d.year(), d.month())
}

/// The calendar month (Asia/Ho_Chi_Minh) a meeting takes under the one-regular-meeting-per-month
/// rule: the month of its start for a regular meeting that is not cancelled (a cancelled regular
/// meeting frees its month), none for any other meeting. Storage keeps it in a unique column so
/// that the database refuses a second regular meeting in the same month.
pub fn occupied_month(kind: MeetingKind, status: MeetingStatus, starts_at: DateTime<Utc>) -> Option<(i32, u32)> {
    (kind == MeetingKind::Regular && status != MeetingStatus::Cancelled).then(|| local_month(starts_at))
}

/// A regular meeting already scheduled in the cell (not cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScheduledRegular {
    /// Its id.
    pub id: crate::MeetingId,
    /// Its start.
    pub starts_at: DateTime<Utc>,
}

/// The one-regular-meeting-per-calendar-month rule: `Err` with the conflicting meeting if the
/// cell already has a regular meeting in the month (Asia/Ho_Chi_Minh) of `starts_at`.
pub fn check_monthly_regular(
    existing: &[ScheduledRegular],
    this: Option<crate::MeetingId>,
    starts_at: DateTime<Utc>,
) -> Result<(), crate::MeetingId> {
    let month = local_month(starts_at);
    match existing.iter().find(|m| Some(m.id) != this && local_month(m.starts_at) == month) {
        Some(clash) => Err(clash.id),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn transition_table() {
        let mut lines = Vec::new();
        for from in MeetingStatus::ALL {
            let allowed: Vec<String> = Transition::ALL
                .into_iter()
                .filter_map(|t| transition(from, t).ok().map(|to| format!("{} -> {}", t.code(), to.code())))
                .collect();
            lines.push(format!("{:<17} {}", from.code(), if allowed.is_empty() { "-".to_string() } else { allowed.join(", ") }));
        }
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn one_regular_meeting_per_local_month() {
        let id = |n| crate::MeetingId::from_uuid(uuid::Uuid::from_u128(n));
        // 2026-01-31 18:00 UTC is already 1 February in Vietnam.
        let existing = [ScheduledRegular { id: id(1), starts_at: Utc.with_ymd_and_hms(2026, 1, 31, 18, 0, 0).unwrap() }];
        assert_eq!(check_monthly_regular(&existing, None, Utc.with_ymd_and_hms(2026, 2, 20, 12, 0, 0).unwrap()), Err(id(1)));
        assert_eq!(check_monthly_regular(&existing, None, Utc.with_ymd_and_hms(2026, 1, 30, 12, 0, 0).unwrap()), Ok(()));
        assert_eq!(
            check_monthly_regular(&existing, Some(id(1)), Utc.with_ymd_and_hms(2026, 2, 3, 12, 0, 0).unwrap()),
            Ok(()),
            "rescheduling itself"
        );
    }

    #[test]
    fn only_regular_meetings_not_cancelled_occupy_their_local_month() {
        // 2026-01-31 18:00 UTC is already 1 February in Vietnam.
        let at = Utc.with_ymd_and_hms(2026, 1, 31, 18, 0, 0).unwrap();
        for status in MeetingStatus::ALL {
            let expected = (status != MeetingStatus::Cancelled).then_some((2026, 2));
            assert_eq!(occupied_month(MeetingKind::Regular, status, at), expected, "{}", status.code());
        }
        for kind in [MeetingKind::Thematic, MeetingKind::Extraordinary, MeetingKind::Committee] {
            assert_eq!(occupied_month(kind, MeetingStatus::Draft, at), None, "{}", kind.code());
        }
    }

    #[test]
    fn visibility_and_editability() {
        assert!(!MeetingStatus::Draft.visible_to_members());
        assert!(MeetingStatus::Published.content_editable() && !MeetingStatus::Open.content_editable());
        assert!(MeetingStatus::Ended.accepts_comments() && !MeetingStatus::MinutesApproved.accepts_comments());
        assert!(!MeetingStatus::Draft.accepts_comments());
        for s in MeetingStatus::ALL {
            assert_eq!(MeetingStatus::parse(s.code()), Some(s));
        }
    }
}
