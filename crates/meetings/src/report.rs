//! The report to the superior unit (*báo cáo nội dung sinh hoạt chi bộ lên cấp trên*): addressed
//! to the parent in effect at the meeting date, due by the 5th of the following month.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use membership::time::local_date;

/// Day of the following month by which the report is due.
pub const DUE_DAY: u32 = 5;

/// Day of the following month from which a cell whose report is not sent yet is reminded (its
/// secretary); after [`DUE_DAY`] the superior's leaders are told it is late.
pub const REMINDER_DAY: u32 = 3;

/// Status of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum ReportStatus {
    /// Sent, awaiting the superior.
    Submitted,
    /// Acknowledged by the superior.
    Acknowledged,
    /// Returned for revision with a comment.
    Returned,
}

impl ReportStatus {
    /// Every status.
    pub const ALL: [ReportStatus; 3] = [ReportStatus::Submitted, ReportStatus::Acknowledged, ReportStatus::Returned];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            ReportStatus::Submitted => "submitted",
            ReportStatus::Acknowledged => "acknowledged",
            ReportStatus::Returned => "returned",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The last on-time day for the report of a meeting held on `meeting_date`: the 5th of the
/// following month.
pub fn due_date(meeting_date: NaiveDate) -> NaiveDate {
    let (y, m) = if meeting_date.month() == 12 { (meeting_date.year() + 1, 1) } else { (meeting_date.year(), meeting_date.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, DUE_DAY).unwrap_or(NaiveDate::MAX)
}

/// Whether a report sent at `sent_at` for a meeting that started at `starts_at` is late
/// (dates in Vietnam).
pub fn is_late(starts_at: DateTime<Utc>, sent_at: DateTime<Utc>) -> bool {
    local_date(sent_at) > due_date(local_date(starts_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn lateness_uses_vietnamese_dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(due_date(d(2026, 3, 31)), d(2026, 4, 5));
        assert_eq!(due_date(d(2026, 12, 3)), d(2027, 1, 5));
        let meeting = Utc.with_ymd_and_hms(2026, 3, 5, 12, 0, 0).unwrap();
        // 5 April 16:59 UTC is still the 5th in Vietnam (23:59); 17:00 UTC is the 6th.
        assert!(!is_late(meeting, Utc.with_ymd_and_hms(2026, 4, 5, 16, 59, 0).unwrap()));
        assert!(is_late(meeting, Utc.with_ymd_and_hms(2026, 4, 5, 17, 0, 0).unwrap()));
    }
}
