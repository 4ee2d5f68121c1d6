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

/// Whether publishing at `published_at` gives less than the required notice
/// ([`PUBLISH_NOTICE_HOURS`](crate::content::PUBLISH_NOTICE_HOURS)) before `starts_at`.
pub fn late_notice(starts_at: DateTime<Utc>, published_at: DateTime<Utc>) -> bool {
    starts_at - published_at < chrono::Duration::hours(crate::content::PUBLISH_NOTICE_HOURS)
}

/// The lifecycle state of one meeting: its status and the timestamps its transitions set. Each
/// transition returns the changed meeting, or [`InvalidTransition`] (by [`transition`]'s table)
/// leaving the caller's copy untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Meeting {
    /// Where the meeting is in its life.
    pub status: MeetingStatus,
    /// Scheduled start.
    pub starts_at: DateTime<Utc>,
    /// Published less than [`PUBLISH_NOTICE_HOURS`](crate::content::PUBLISH_NOTICE_HOURS) before
    /// the start.
    pub late_publication: bool,
    /// Publication time.
    pub published_at: Option<DateTime<Utc>>,
    /// Opening time.
    pub opened_at: Option<DateTime<Utc>>,
    /// End time.
    pub ended_at: Option<DateTime<Utc>>,
    /// Cancellation time.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Cancellation reason.
    pub cancel_reason: Option<String>,
    /// Approval of the minutes (cleared when the report is returned for revision).
    pub minutes_approved_at: Option<DateTime<Utc>>,
}

impl Meeting {
    /// A new draft starting at `starts_at`.
    pub fn draft(starts_at: DateTime<Utc>) -> Self {
        Self {
            status: MeetingStatus::Draft,
            starts_at,
            late_publication: false,
            published_at: None,
            opened_at: None,
            ended_at: None,
            cancelled_at: None,
            cancel_reason: None,
            minutes_approved_at: None,
        }
    }

    fn step(&self, t: Transition) -> Result<Self, InvalidTransition> {
        Ok(Self { status: transition(self.status, t)?, ..self.clone() })
    }

    /// Publishes the content at `now`; flags a late publication (less than the required notice).
    pub fn publish(&self, now: DateTime<Utc>) -> Result<Self, InvalidTransition> {
        let late_publication = late_notice(self.starts_at, now);
        Ok(Self { published_at: Some(now), late_publication, ..self.step(Transition::Publish)? })
    }

    /// Opens the meeting at `now`.
    pub fn open(&self, now: DateTime<Utc>) -> Result<Self, InvalidTransition> {
        Ok(Self { opened_at: Some(now), ..self.step(Transition::Open)? })
    }

    /// Ends the meeting at `now`.
    pub fn end(&self, now: DateTime<Utc>) -> Result<Self, InvalidTransition> {
        Ok(Self { ended_at: Some(now), ..self.step(Transition::End)? })
    }

    /// Cancels the meeting (before it opens) at `now`, for `reason`.
    pub fn cancel(&self, now: DateTime<Utc>, reason: impl Into<String>) -> Result<Self, InvalidTransition> {
        Ok(Self { cancelled_at: Some(now), cancel_reason: Some(reason.into()), ..self.step(Transition::Cancel)? })
    }

    /// Approves (and locks) the minutes at `now`.
    pub fn approve_minutes(&self, now: DateTime<Utc>) -> Result<Self, InvalidTransition> {
        Ok(Self { minutes_approved_at: Some(now), ..self.step(Transition::ApproveMinutes)? })
    }

    /// Sends the report to the superior unit.
    pub fn send_report(&self) -> Result<Self, InvalidTransition> {
        self.step(Transition::SendReport)
    }

    /// The superior acknowledges the report.
    pub fn acknowledge(&self) -> Result<Self, InvalidTransition> {
        self.step(Transition::Acknowledge)
    }

    /// The superior returns the report for revision: the meeting is ended again and its minutes
    /// unlock (their approval is cleared).
    pub fn return_report(&self) -> Result<Self, InvalidTransition> {
        Ok(Self { minutes_approved_at: None, ..self.step(Transition::Return)? })
    }

    /// Moves the start to `starts_at`; a published meeting's late-publication flag is recomputed
    /// against its publication time (or `now` if that is unknown).
    pub fn reschedule(&self, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let late_publication = if self.status == MeetingStatus::Published {
            late_notice(starts_at, self.published_at.unwrap_or(now))
        } else {
            self.late_publication
        };
        Self { starts_at, late_publication, ..self.clone() }
    }
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

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
    }

    #[test]
    fn publish_sets_status_time_and_late_flag() {
        let draft = Meeting::draft(at(10, 12));
        let early = draft.publish(at(8, 12)).unwrap();
        assert_eq!((early.status, early.published_at, early.late_publication), (MeetingStatus::Published, Some(at(8, 12)), false));
        assert!(!draft.publish(at(9, 12)).unwrap().late_publication, "exactly 24 hours is enough notice");
        let late = draft.publish(at(9, 13)).unwrap();
        assert!(late.late_publication, "23 hours before the start");
        assert!(draft.publish(at(11, 12)).unwrap().late_publication, "after the start");
        assert_eq!(late.publish(at(9, 14)), Err(InvalidTransition { from: MeetingStatus::Published, transition: Transition::Publish }));
    }

    #[test]
    fn open_and_end_set_their_times() {
        let published = Meeting::draft(at(10, 12)).publish(at(1, 0)).unwrap();
        let open = published.open(at(10, 12)).unwrap();
        assert_eq!((open.status, open.opened_at, open.ended_at), (MeetingStatus::Open, Some(at(10, 12)), None));
        let ended = open.end(at(10, 14)).unwrap();
        assert_eq!((ended.status, ended.opened_at, ended.ended_at), (MeetingStatus::Ended, Some(at(10, 12)), Some(at(10, 14))));
        assert_eq!(Meeting::draft(at(10, 12)).open(at(10, 12)).unwrap_err().from, MeetingStatus::Draft);
        assert_eq!(published.end(at(10, 14)).unwrap_err().transition, Transition::End);
        assert!(ended.open(at(10, 15)).is_err() && ended.end(at(10, 15)).is_err());
    }

    #[test]
    fn cancel_before_opening_only() {
        let draft = Meeting::draft(at(10, 12));
        let cancelled = draft.cancel(at(5, 9), "mưa bão").unwrap();
        assert_eq!(
            (cancelled.status, cancelled.cancelled_at, cancelled.cancel_reason.as_deref()),
            (MeetingStatus::Cancelled, Some(at(5, 9)), Some("mưa bão"))
        );
        assert!(draft.publish(at(1, 0)).unwrap().cancel(at(5, 9), "x").is_ok());
        let open = draft.publish(at(1, 0)).unwrap().open(at(10, 12)).unwrap();
        assert_eq!(open.cancel(at(10, 13), "x"), Err(InvalidTransition { from: MeetingStatus::Open, transition: Transition::Cancel }));
        assert!(cancelled.cancel(at(6, 0), "again").is_err() && cancelled.publish(at(6, 0)).is_err());
    }

    #[test]
    fn minutes_report_and_its_return() {
        let ended = Meeting::draft(at(10, 12)).publish(at(1, 0)).and_then(|m| m.open(at(10, 12))).and_then(|m| m.end(at(10, 14))).unwrap();
        assert!(ended.send_report().is_err(), "the minutes are approved first");
        let approved = ended.approve_minutes(at(11, 9)).unwrap();
        assert_eq!((approved.status, approved.minutes_approved_at), (MeetingStatus::MinutesApproved, Some(at(11, 9))));
        let reported = approved.send_report().unwrap();
        assert_eq!(reported.status, MeetingStatus::Reported);
        assert_eq!(reported.acknowledge().unwrap().status, MeetingStatus::Acknowledged);
        let returned = reported.return_report().unwrap();
        assert_eq!((returned.status, returned.minutes_approved_at), (MeetingStatus::Ended, None));
        assert!(returned.acknowledge().is_err() && reported.approve_minutes(at(12, 0)).is_err());
    }

    #[test]
    fn rescheduling_a_published_meeting_recomputes_the_late_flag() {
        let published = Meeting::draft(at(10, 12)).publish(at(8, 12)).unwrap();
        assert!(published.reschedule(at(9, 0), at(8, 13)).late_publication);
        assert!(!published.reschedule(at(20, 0), at(8, 13)).late_publication);
        let draft = Meeting::draft(at(10, 12)).reschedule(at(1, 0), at(8, 13));
        assert_eq!((draft.starts_at, draft.late_publication), (at(1, 0), false));
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
