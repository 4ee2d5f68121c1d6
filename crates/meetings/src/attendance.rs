//! The attendance ledger (*điểm danh*): one row per roster member, created when the meeting
//! opens; self check-in inside the window; corrections by the secretary or deputy; the figures
//! (rate, quorum, quality) and the absence flags across meetings.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use membership::MemberId;

use crate::roster::{RosterLine, RosterRole};

/// Attendance status of one ledger row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum AttendanceStatus {
    /// Checked in on time.
    Present,
    /// Checked in after the start plus the grace period.
    Late,
    /// Absent with a reason (*vắng có lý do*).
    AbsentWithReason,
    /// Absent without reason: the default until the member checks in.
    AbsentWithoutReason,
}

impl AttendanceStatus {
    /// Every status.
    pub const ALL: [AttendanceStatus; 4] =
        [AttendanceStatus::Present, AttendanceStatus::Late, AttendanceStatus::AbsentWithReason, AttendanceStatus::AbsentWithoutReason];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            AttendanceStatus::Present => "present",
            AttendanceStatus::Late => "late",
            AttendanceStatus::AbsentWithReason => "absent_with_reason",
            AttendanceStatus::AbsentWithoutReason => "absent_without_reason",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Present or late.
    pub fn attended(self) -> bool {
        matches!(self, AttendanceStatus::Present | AttendanceStatus::Late)
    }
}

/// Check-in timing rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInRules {
    /// The window opens this long before the start.
    pub opens_before: Duration,
    /// Arriving later than this after the start counts as late.
    pub late_after: Duration,
}

impl Default for CheckInRules {
    fn default() -> Self {
        Self { opens_before: Duration::minutes(30), late_after: Duration::minutes(15) }
    }
}

/// Why a self check-in is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CheckInError {
    /// Before the window opens.
    #[error("check-in opens at {opens_at}")]
    TooEarly {
        /// When the window opens.
        opens_at: DateTime<Utc>,
    },
    /// After the planned end.
    #[error("check-in closed at {closed_at}")]
    TooLate {
        /// When the window closed.
        closed_at: DateTime<Utc>,
    },
    /// The caller is not on the meeting's roster.
    #[error("not on the roster of this meeting")]
    NotOnRoster,
}

impl CheckInError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            CheckInError::TooEarly { .. } => "check_in_not_open",
            CheckInError::TooLate { .. } => "check_in_closed",
            CheckInError::NotOnRoster => "not_on_roster",
        }
    }
}

/// A ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LedgerRow {
    /// The member.
    pub member_id: MemberId,
    /// Obliged or guest.
    pub role: RosterRole,
    /// Official member (for the quorum).
    pub official: bool,
    /// Status.
    pub status: AttendanceStatus,
    /// First check-in time (never changed by retries).
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Reason given for an absence or a correction.
    pub reason: Option<String>,
}

/// The ledger created when a meeting opens: every roster line, absent without reason.
pub fn open_ledger(roster: &[RosterLine]) -> Vec<LedgerRow> {
    roster
        .iter()
        .map(|l| LedgerRow {
            member_id: l.member_id,
            role: l.role,
            official: l.official,
            status: AttendanceStatus::AbsentWithoutReason,
            checked_in_at: None,
            reason: None,
        })
        .collect()
}

/// The outcome of a self check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum CheckIn {
    /// First check-in: store this row.
    Recorded(LedgerRow),
    /// Already checked in (a retry, or a leader recorded it): nothing changes.
    Unchanged(LedgerRow),
}

/// Self check-in at `now` for a meeting starting at `starts_at` planned for `planned_minutes`.
/// Idempotent: a row already present or late is returned unchanged.
pub fn check_in(
    row: Option<&LedgerRow>,
    starts_at: DateTime<Utc>,
    planned_minutes: u32,
    rules: CheckInRules,
    now: DateTime<Utc>,
) -> Result<CheckIn, CheckInError> {
    let row = row.ok_or(CheckInError::NotOnRoster)?;
    if row.status.attended() {
        return Ok(CheckIn::Unchanged(row.clone()));
    }
    let opens_at = starts_at - rules.opens_before;
    let closed_at = starts_at + Duration::minutes(i64::from(planned_minutes));
    if now < opens_at {
        return Err(CheckInError::TooEarly { opens_at });
    }
    if now > closed_at {
        return Err(CheckInError::TooLate { closed_at });
    }
    let status = if now > starts_at + rules.late_after { AttendanceStatus::Late } else { AttendanceStatus::Present };
    Ok(CheckIn::Recorded(LedgerRow { status, checked_in_at: Some(now), reason: None, ..row.clone() }))
}

/// Meeting figures over the obliged members (guests are not counted).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Figures {
    /// Members obliged to attend.
    pub obliged: u32,
    /// Present.
    pub present: u32,
    /// Late.
    pub late: u32,
    /// Absent with reason.
    pub absent_with_reason: u32,
    /// Absent without reason.
    pub absent_without_reason: u32,
    /// Guests who attended.
    pub guests_attended: u32,
    /// (present + late) / obliged, 0 when nobody is obliged.
    pub attendance_rate: f64,
    /// More than half of the obliged official members attended.
    pub quorum: bool,
    /// Attendance rate above 85%.
    pub meets_quality: bool,
}

/// Quality threshold of the attendance rate.
pub const QUALITY_RATE: f64 = 0.85;

/// Figures of a ledger.
pub fn figures(ledger: &[LedgerRow]) -> Figures {
    let obliged: Vec<&LedgerRow> = ledger.iter().filter(|r| r.role == RosterRole::Obliged).collect();
    let count = |s: AttendanceStatus| u32::try_from(obliged.iter().filter(|r| r.status == s).count()).unwrap_or(u32::MAX);
    let n = u32::try_from(obliged.len()).unwrap_or(u32::MAX);
    let (present, late) = (count(AttendanceStatus::Present), count(AttendanceStatus::Late));
    let official = obliged.iter().filter(|r| r.official).count();
    let official_attended = obliged.iter().filter(|r| r.official && r.status.attended()).count();
    let rate = if n == 0 { 0.0 } else { f64::from(present + late) / f64::from(n) };
    Figures {
        obliged: n,
        present,
        late,
        absent_with_reason: count(AttendanceStatus::AbsentWithReason),
        absent_without_reason: count(AttendanceStatus::AbsentWithoutReason),
        guests_attended: u32::try_from(ledger.iter().filter(|r| r.role == RosterRole::Guest && r.status.attended()).count())
            .unwrap_or(u32::MAX),
        attendance_rate: rate,
        quorum: official > 0 && official_attended * 2 > official,
        meets_quality: rate > QUALITY_RATE,
    }
}

/// One past meeting in a member's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Attended {
    /// Meeting date (Vietnam).
    pub date: NaiveDate,
    /// The member's status.
    pub status: AttendanceStatus,
}

/// A member's attendance over a period, with the flags the Party rules care about.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MemberRecordFigures {
    /// Meetings the member was obliged to attend.
    pub meetings: u32,
    /// Attended (present or late).
    pub attended: u32,
    /// Attended / meetings.
    pub rate: f64,
    /// Absences in a row at the end of the period.
    pub current_absence_streak: u32,
    /// Longest run of absences.
    pub longest_absence_streak: u32,
    /// Three or more absences in a row at some point.
    pub flag_three_in_a_row: bool,
    /// Per calendar year, the number of months with an absence without reason.
    pub months_absent_without_reason: BTreeMap<i32, u32>,
    /// Some year has three or more such months (a ground for removal).
    pub flag_three_months_in_a_year: bool,
}

/// Figures over a member's meetings (any order).
pub fn member_figures(history: &[Attended]) -> MemberRecordFigures {
    let mut sorted = history.to_vec();
    sorted.sort_by_key(|a| a.date);
    let (mut streak, mut longest) = (0u32, 0u32);
    let mut months: BTreeMap<i32, std::collections::BTreeSet<u32>> = BTreeMap::new();
    for a in &sorted {
        if a.status.attended() {
            streak = 0;
        } else {
            streak += 1;
            longest = longest.max(streak);
        }
        if a.status == AttendanceStatus::AbsentWithoutReason {
            months.entry(a.date.year()).or_default().insert(a.date.month());
        }
    }
    let meetings = u32::try_from(sorted.len()).unwrap_or(u32::MAX);
    let attended = u32::try_from(sorted.iter().filter(|a| a.status.attended()).count()).unwrap_or(u32::MAX);
    let months_absent: BTreeMap<i32, u32> = months.into_iter().map(|(y, m)| (y, u32::try_from(m.len()).unwrap_or(u32::MAX))).collect();
    MemberRecordFigures {
        meetings,
        attended,
        rate: if meetings == 0 { 0.0 } else { f64::from(attended) / f64::from(meetings) },
        current_absence_streak: streak,
        longest_absence_streak: longest,
        flag_three_in_a_row: longest >= 3,
        flag_three_months_in_a_year: months_absent.values().any(|n| *n >= 3),
        months_absent_without_reason: months_absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn m(n: u128) -> MemberId {
        MemberId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn row(n: u128, official: bool, status: AttendanceStatus, role: RosterRole) -> LedgerRow {
        LedgerRow { member_id: m(n), role, official, status, checked_in_at: None, reason: None }
    }

    #[test]
    fn check_in_window_lateness_and_idempotence() {
        let start = Utc.with_ymd_and_hms(2026, 3, 5, 12, 0, 0).unwrap();
        let rules = CheckInRules::default();
        let fresh = row(1, true, AttendanceStatus::AbsentWithoutReason, RosterRole::Obliged);
        let at = |min: i64| start + Duration::minutes(min);
        assert_eq!(check_in(Some(&fresh), start, 90, rules, at(-31)), Err(CheckInError::TooEarly { opens_at: at(-30) }));
        assert!(
            matches!(check_in(Some(&fresh), start, 90, rules, at(-30)), Ok(CheckIn::Recorded(r)) if r.status == AttendanceStatus::Present)
        );
        assert!(
            matches!(check_in(Some(&fresh), start, 90, rules, at(15)), Ok(CheckIn::Recorded(r)) if r.status == AttendanceStatus::Present)
        );
        assert!(matches!(check_in(Some(&fresh), start, 90, rules, at(16)), Ok(CheckIn::Recorded(r)) if r.status == AttendanceStatus::Late));
        assert_eq!(check_in(Some(&fresh), start, 90, rules, at(91)), Err(CheckInError::TooLate { closed_at: at(90) }));
        assert_eq!(check_in(None, start, 90, rules, at(0)), Err(CheckInError::NotOnRoster));
        let Ok(CheckIn::Recorded(first)) = check_in(Some(&fresh), start, 90, rules, at(1)) else { panic!("recorded") };
        // A retry (even after the window) changes nothing, the first time is kept.
        assert_eq!(check_in(Some(&first), start, 90, rules, at(200)), Ok(CheckIn::Unchanged(first.clone())));
        // An absence with reason recorded by a leader can still be turned into a check-in.
        let excused = LedgerRow { status: AttendanceStatus::AbsentWithReason, ..fresh };
        assert!(matches!(check_in(Some(&excused), start, 90, rules, at(5)), Ok(CheckIn::Recorded(_))));
    }

    #[test]
    fn figures_rate_quorum_quality() {
        use AttendanceStatus::*;
        use RosterRole::*;
        // 10 obliged (8 official, 2 probationary) + 1 guest.
        let mut ledger = vec![
            row(1, true, Present, Obliged),
            row(2, true, Present, Obliged),
            row(3, true, Late, Obliged),
            row(4, true, Present, Obliged),
            row(5, true, AbsentWithReason, Obliged),
            row(6, true, AbsentWithoutReason, Obliged),
            row(7, true, AbsentWithoutReason, Obliged),
            row(8, true, AbsentWithoutReason, Obliged),
            row(9, false, Present, Obliged),
            row(10, false, Present, Obliged),
            row(11, true, Present, Guest),
        ];
        let f = figures(&ledger);
        assert_eq!((f.obliged, f.present, f.late, f.absent_with_reason, f.absent_without_reason, f.guests_attended), (10, 5, 1, 1, 3, 1));
        assert!((f.attendance_rate - 0.6).abs() < 1e-9);
        assert!(!f.quorum, "4 of 8 official members is not more than half");
        assert!(!f.meets_quality);
        ledger[5].status = Present;
        let f = figures(&ledger);
        assert!(f.quorum, "5 of 8");
        for r in ledger.iter_mut() {
            r.status = Present;
        }
        ledger[0].status = AbsentWithReason;
        let f = figures(&ledger);
        assert!((f.attendance_rate - 0.9).abs() < 1e-9 && f.meets_quality);
        assert_eq!(figures(&[]).attendance_rate, 0.0);
    }

    #[test]
    fn absence_flags() {
        use AttendanceStatus::*;
        let d = |y, mo| NaiveDate::from_ymd_opt(y, mo, 5).unwrap();
        let history = [
            Attended { date: d(2025, 1), status: Present },
            Attended { date: d(2025, 2), status: AbsentWithoutReason },
            Attended { date: d(2025, 3), status: AbsentWithReason },
            Attended { date: d(2025, 4), status: AbsentWithoutReason },
            Attended { date: d(2025, 5), status: Late },
            Attended { date: d(2025, 9), status: AbsentWithoutReason },
            Attended { date: d(2026, 1), status: AbsentWithoutReason },
        ];
        let f = member_figures(&history);
        assert_eq!((f.meetings, f.attended), (7, 2));
        assert_eq!((f.current_absence_streak, f.longest_absence_streak), (2, 3));
        assert!(f.flag_three_in_a_row);
        assert_eq!(f.months_absent_without_reason.get(&2025), Some(&3));
        assert!(f.flag_three_months_in_a_year);
        let calm = member_figures(&history[..3]);
        assert!(!calm.flag_three_in_a_row && !calm.flag_three_months_in_a_year);
    }
}
