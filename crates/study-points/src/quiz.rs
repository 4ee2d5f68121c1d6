//! Quizzes: the open window (dates, weekdays and daily hours in Vietnam), the time limit, attempt
//! limits per period, and drawing questions per attempt.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use membership::time::VIETNAM;

/// Period over which attempts are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// A calendar day.
    Day,
    /// A week (Monday to Sunday).
    Week,
    /// A calendar month.
    Month,
    /// The whole quiz.
    Total,
}

impl Period {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Total => "total",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        [Period::Day, Period::Week, Period::Month, Period::Total].into_iter().find(|p| p.code() == code)
    }

    /// The first instant (UTC) of the period containing `now`, in Vietnam's calendar; `None` for
    /// the whole quiz.
    pub fn start(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&VIETNAM).date_naive();
        let first: NaiveDate = match self {
            Period::Day => local,
            Period::Week => local - Duration::days(i64::from(local.weekday().num_days_from_monday())),
            Period::Month => local.with_day(1).unwrap_or(local),
            Period::Total => return None,
        };
        first.and_hms_opt(0, 0, 0).and_then(|dt| dt.checked_sub_signed(Duration::hours(7))).map(|dt| dt.and_utc())
    }
}

/// When a quiz accepts new attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// First day (Vietnam).
    pub opens_on: NaiveDate,
    /// Last day (Vietnam).
    pub closes_on: NaiveDate,
    /// Days of the week (empty: every day).
    pub weekdays: Vec<Weekday>,
    /// Daily opening time (Vietnam), if limited.
    pub daily_from: Option<NaiveTime>,
    /// Daily closing time (Vietnam), if limited.
    pub daily_to: Option<NaiveTime>,
}

impl Window {
    /// Whether the window is open at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&VIETNAM);
        let date = local.date_naive();
        let time = local.time();
        (self.opens_on..=self.closes_on).contains(&date)
            && (self.weekdays.is_empty() || self.weekdays.contains(&date.weekday()))
            && self.daily_from.is_none_or(|f| time >= f)
            && self.daily_to.is_none_or(|t| time < t)
    }
}

/// Parses a weekday code (`mon` … `sun`).
pub fn parse_weekday(code: &str) -> Option<Weekday> {
    match code {
        "mon" => Some(Weekday::Mon),
        "tue" => Some(Weekday::Tue),
        "wed" => Some(Weekday::Wed),
        "thu" => Some(Weekday::Thu),
        "fri" => Some(Weekday::Fri),
        "sat" => Some(Weekday::Sat),
        "sun" => Some(Weekday::Sun),
        _ => None,
    }
}

/// Stable code of a weekday.
pub fn weekday_code(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// Why an attempt cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// Outside the open window.
    #[error("the quiz is not open now")]
    Closed,
    /// The member used all attempts of the period.
    #[error("no attempt left this period ({used} of {max})")]
    LimitReached {
        /// Used.
        used: u32,
        /// Allowed.
        max: u32,
    },
    /// An attempt is still running.
    #[error("an attempt is already in progress")]
    InProgress,
}

impl StartError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            StartError::Closed => "quiz_closed",
            StartError::LimitReached { .. } => "attempt_limit_reached",
            StartError::InProgress => "attempt_in_progress",
        }
    }
}

/// Checks that a member may start an attempt at `now`, given the attempts they started in the
/// current period and whether one of them is still running.
pub fn check_start(window: &Window, max_per_period: u32, used_in_period: u32, running: bool, now: DateTime<Utc>) -> Result<(), StartError> {
    if !window.is_open(now) {
        return Err(StartError::Closed);
    }
    if running {
        return Err(StartError::InProgress);
    }
    if used_in_period >= max_per_period {
        return Err(StartError::LimitReached { used: used_in_period, max: max_per_period });
    }
    Ok(())
}

/// Grace after the deadline for answers in flight.
pub const GRACE_SECONDS: i64 = 30;

/// Whether a submission at `now` is in time for an attempt with `deadline`. Late submissions are
/// refused (the attempt then stays unscored and counts as used): answers are never accepted after
/// the time limit plus a 30-second grace for the network.
pub fn in_time(deadline: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now <= deadline + Duration::seconds(GRACE_SECONDS)
}

/// Draws `count` distinct candidates for an attempt: questions the member has not seen first,
/// each group shuffled with `seed` (the caller supplies randomness, the domain stays pure).
pub fn draw<T: Clone>(candidates: &[(T, bool)], count: usize, seed: u64) -> Vec<T> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut shuffle = |items: &mut Vec<T>| {
        for i in (1..items.len()).rev() {
            let j = usize::try_from(next() % (i as u64 + 1)).unwrap_or(0);
            items.swap(i, j);
        }
    };
    let mut unseen: Vec<T> = candidates.iter().filter(|(_, seen)| !seen).map(|(c, _)| c.clone()).collect();
    let mut seen: Vec<T> = candidates.iter().filter(|(_, seen)| *seen).map(|(c, _)| c.clone()).collect();
    shuffle(&mut unseen);
    shuffle(&mut seen);
    unseen.into_iter().chain(seen).take(count).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn window() -> Window {
        Window {
            opens_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            closes_on: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            weekdays: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            daily_from: NaiveTime::from_hms_opt(7, 30, 0),
            daily_to: NaiveTime::from_hms_opt(17, 30, 0),
        }
    }

    #[test]
    fn weekday_hours_window_in_vietnam() {
        let w = window();
        // Thursday 5 March 2026, 07:30 in Vietnam = 00:30 UTC.
        let at = |d, h, m| Utc.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap();
        assert!(!w.is_open(at(5, 0, 29)));
        assert!(w.is_open(at(5, 0, 30)));
        assert!(w.is_open(at(5, 10, 29)), "17:29 local");
        assert!(!w.is_open(at(5, 10, 30)), "17:30 local");
        assert!(!w.is_open(at(7, 3, 0)), "Saturday");
        assert!(!w.is_open(Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0).unwrap()), "after the last day");
        assert_eq!(check_start(&w, 7, 7, false, at(5, 3, 0)), Err(StartError::LimitReached { used: 7, max: 7 }));
        assert_eq!(check_start(&w, 7, 6, true, at(5, 3, 0)), Err(StartError::InProgress));
        assert_eq!(check_start(&w, 7, 6, false, at(5, 3, 0)), Ok(()));
        assert_eq!(check_start(&w, 7, 0, false, at(7, 3, 0)), Err(StartError::Closed));
    }

    #[test]
    fn periods_start_in_vietnam() {
        // Thursday 5 March 2026 01:00 local = 4 March 18:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 3, 4, 18, 0, 0).unwrap();
        assert_eq!(Period::Day.start(now), Some(Utc.with_ymd_and_hms(2026, 3, 4, 17, 0, 0).unwrap()));
        assert_eq!(Period::Week.start(now), Some(Utc.with_ymd_and_hms(2026, 3, 1, 17, 0, 0).unwrap()), "Monday 2 March local");
        assert_eq!(Period::Month.start(now), Some(Utc.with_ymd_and_hms(2026, 2, 28, 17, 0, 0).unwrap()));
        assert_eq!(Period::Total.start(now), None);
        let deadline = Utc.with_ymd_and_hms(2026, 3, 5, 3, 0, 0).unwrap();
        assert!(in_time(deadline, deadline + Duration::seconds(30)));
        assert!(!in_time(deadline, deadline + Duration::seconds(31)));
    }

    #[test]
    fn draws_unseen_first_without_repeats() {
        let candidates: Vec<(u32, bool)> = (0..10).map(|i| (i, i < 6)).collect();
        let drawn = draw(&candidates, 6, 42);
        assert_eq!(drawn.len(), 6);
        let mut sorted = drawn.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 6, "no repeats");
        assert!(drawn[..4].iter().all(|q| *q >= 6), "the 4 unseen come first: {drawn:?}");
        assert_eq!(draw(&candidates, 6, 42), drawn, "deterministic for a seed");
        assert_eq!(draw(&candidates, 20, 1).len(), 10);
    }
}
