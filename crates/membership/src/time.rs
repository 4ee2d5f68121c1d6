//! Calendar helpers. Dates that people reason about ("the meeting is on the 5th", "12 months of
//! probation") are computed in Vietnam's time zone, `Asia/Ho_Chi_Minh`, which has been a fixed
//! UTC+07:00 without daylight saving since 1975; a fixed offset is therefore exact for every date
//! this system stores, and avoids shipping a time-zone database.

use chrono::{DateTime, FixedOffset, Months, NaiveDate, Utc};

/// UTC+07:00, the offset of `Asia/Ho_Chi_Minh`.
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+07:00 is a valid offset"),
};

/// The calendar date in Vietnam at the UTC instant `at`.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&VIETNAM).date_naive()
}

/// The UTC instant at which `date` begins in Vietnam (00:00 UTC+07:00, i.e. 17:00 UTC the day
/// before): the lower bound of "on or after `date`", and of "up to `date`" with the next day.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(chrono::NaiveTime::MIN).and_local_timezone(VIETNAM).single().map_or(DateTime::<Utc>::MIN_UTC, |t| t.to_utc())
}

/// Earliest date the system accepts from a client.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(MIN_YEAR, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};
/// Latest date the system accepts from a client.
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(MAX_YEAR, 12, 31) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// The year of [`MIN_DATE`]: the earliest calendar year a client may name.
pub const MIN_YEAR: i32 = 1900;
/// The year of [`MAX_DATE`]: the latest calendar year a client may name.
pub const MAX_YEAR: i32 = 2100;

/// Whether a client-supplied date lies in the range the system stores (1900-01-01 to
/// 2100-12-31): outside it, date arithmetic and the databases disagree.
pub fn in_range(date: NaiveDate) -> bool {
    (MIN_DATE..=MAX_DATE).contains(&date)
}

/// `date` plus `months` calendar months (end of month clamps: 31 Jan + 1 month = 28/29 Feb).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_date_rolls_over_at_17_utc() {
        let before = Utc.with_ymd_and_hms(2026, 1, 31, 16, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 1, 31, 17, 0, 0).unwrap();
        assert_eq!(local_date(before), NaiveDate::from_ymd_opt(2026, 1, 31).unwrap());
        assert_eq!(local_date(after), NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
    }

    #[test]
    fn a_vietnamese_day_starts_at_17_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(start_of_day(day), Utc.with_ymd_and_hms(2025, 12, 31, 17, 0, 0).unwrap());
        assert_eq!(local_date(start_of_day(day)), day);
        assert_eq!(local_date(start_of_day(day) - chrono::Duration::seconds(1)), day.pred_opt().unwrap());
    }

    #[test]
    fn accepted_range() {
        assert!(in_range(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap()));
        assert!(!in_range(NaiveDate::from_ymd_opt(1899, 12, 31).unwrap()));
        assert!(!in_range(NaiveDate::from_ymd_opt(2101, 1, 1).unwrap()));
        use chrono::Datelike;
        assert_eq!((MIN_DATE.year(), MAX_DATE.year()), (MIN_YEAR, MAX_YEAR));
        assert_eq!((MIN_DATE.ordinal(), MAX_DATE.month(), MAX_DATE.day()), (1, 12, 31), "whole years");
    }

    #[test]
    fn add_months_clamps_to_month_end() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        assert_eq!(add_months(d, 1), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(add_months(d, 12), NaiveDate::from_ymd_opt(2025, 1, 31).unwrap());
    }
}
