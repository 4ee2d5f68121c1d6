//! Quizzes: the open window (dates, weekdays and daily hours in Vietnam), the time limit, attempt
//! limits per period, and drawing questions per attempt.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use membership::time::VIETNAM;

/// Period over which attempts are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
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
    /// Every period.
    pub const ALL: [Period; 4] = [Period::Day, Period::Week, Period::Month, Period::Total];

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
        Self::ALL.into_iter().find(|p| p.code() == code)
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Window {
    /// First day (Vietnam).
    pub opens_on: NaiveDate,
    /// Last day (Vietnam).
    pub closes_on: NaiveDate,
    /// Days of the week (empty: every day); with the `serde` feature, as their codes `mon` … `sun`.
    #[cfg_attr(feature = "serde", serde(with = "weekday_codes"))]
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

    /// When the window, open at `now`, next closes: today's daily closing time, or the end of the
    /// last consecutive open day (Vietnam's midnight), at the latest the end of `closes_on`.
    /// `None` when the window is not open at `now`.
    pub fn open_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.is_open(now) {
            return None;
        }
        let local = |date: NaiveDate, time: NaiveTime| date.and_time(time).and_local_timezone(VIETNAM).single();
        let mut day = now.with_timezone(&VIETNAM).date_naive();
        if let Some(to) = self.daily_to {
            return local(day, to).map(|t| t.with_timezone(&Utc));
        }
        // Open through midnight only into a following day that opens at midnight too.
        while day < self.closes_on
            && self.daily_from.is_none()
            && let Some(next) = day.succ_opt()
            && (self.weekdays.is_empty() || self.weekdays.contains(&next.weekday()))
        {
            day = next;
        }
        day.succ_opt().and_then(|next| local(next, NaiveTime::MIN)).map(|t| t.with_timezone(&Utc))
    }
}

/// The deadline of an attempt started at `now`: its time limit, cut at the moment the quiz's
/// window closes, so that no answer is accepted after the window (beyond the grace).
pub fn attempt_deadline(window: &Window, time_limit_minutes: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    let limit = now + Duration::minutes(i64::from(time_limit_minutes));
    window.open_until(now).map_or(limit, |end| limit.min(end))
}

/// Every weekday, Monday first.
pub const WEEKDAYS: [Weekday; 7] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

/// Longest time limit of an attempt, in minutes (the shortest is one minute).
pub const MAX_TIME_LIMIT_MINUTES: u32 = 180;
/// Most attempts per period per member.
pub const MAX_ATTEMPTS: u32 = 100;
/// Most points per correct answer.
pub const MAX_POINTS_PER_CORRECT: u32 = 100;
/// Most questions per attempt.
pub const MAX_QUESTIONS: u32 = 100;

/// Parses a weekday code (`mon` … `sun`).
pub fn parse_weekday(code: &str) -> Option<Weekday> {
    WEEKDAYS.into_iter().find(|d| weekday_code(*d) == code)
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

/// Weekdays as their stable codes (`mon` … `sun`) for `serde`.
#[cfg(feature = "serde")]
mod weekday_codes {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(days: &[Weekday], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(days.iter().map(|d| super::weekday_code(*d)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Weekday>, D::Error> {
        let codes = Vec::<String>::deserialize(deserializer)?;
        codes
            .iter()
            .map(|c| {
                super::parse_weekday(c).ok_or_else(|| serde::de::Error::custom(format_args!("unknown weekday {c:?}, expected mon … sun")))
            })
            .collect()
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

/// What the start rule needs to know of a member's earlier attempt on the same quiz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PastAttempt {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its time limit.
    pub deadline: DateTime<Utc>,
    /// Whether it was submitted.
    pub submitted: bool,
}

/// How many of `previous` count against the attempt limit at `now`: those started in the current
/// `period` (Vietnam's calendar day, Monday-to-Sunday week or month; every attempt for
/// [`Period::Total`]). Unsubmitted and late attempts count as used.
pub fn attempts_used(period: Period, previous: &[PastAttempt], now: DateTime<Utc>) -> u32 {
    let since = period.start(now);
    let used = previous.iter().filter(|a| since.is_none_or(|s| a.started_at >= s)).count();
    u32::try_from(used).unwrap_or(u32::MAX)
}

/// Whether one of `previous` is still running at `now` (unsubmitted, inside its time limit and
/// grace).
pub fn has_running(previous: &[PastAttempt], now: DateTime<Utc>) -> bool {
    previous.iter().any(|a| !a.submitted && in_time(a.deadline, now))
}

/// The whole start rule: the window is open, no attempt is running, and fewer than
/// `max_per_period` attempts were started in the current `period`.
pub fn may_start(
    window: &Window,
    max_per_period: u32,
    period: Period,
    previous: &[PastAttempt],
    now: DateTime<Utc>,
) -> Result<(), StartError> {
    check_start(window, max_per_period, attempts_used(period, previous, now), has_running(previous, now), now)
}

/// Whether a submitted attempt may show its correct answers and explanations at `now`: only when
/// none of the member's `others` attempts at the quiz is still running, so that answers shown for
/// one attempt can never be copied into another that is open.
pub fn may_reveal(submitted: bool, others: &[PastAttempt], now: DateTime<Utc>) -> bool {
    submitted && !has_running(others, now)
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

    #[test]
    fn attempts_count_in_vietnams_period_and_running_ones_block() {
        // Wednesday 4 March 2026, 00:30 in Vietnam (3 March 17:30 UTC).
        let now = Utc.with_ymd_and_hms(2026, 3, 3, 17, 30, 0).unwrap();
        let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
        let done = |started: DateTime<Utc>| PastAttempt { started_at: started, deadline: started + Duration::minutes(15), submitted: true };
        // Monday 2 March 08:00 VN, Tuesday 3 March 23:00 VN (16:00 UTC), Wednesday 4 March 00:10 VN.
        let previous = [done(at(2, 1)), done(at(3, 16)), done(Utc.with_ymd_and_hms(2026, 3, 3, 17, 10, 0).unwrap())];
        for (period, used) in [(Period::Day, 1), (Period::Week, 3), (Period::Month, 3), (Period::Total, 3)] {
            assert_eq!(attempts_used(period, &previous, now), used, "{period:?}");
        }
        // Sunday 1 March (VN) is in the previous week but the same month.
        let sunday = [done(at(1, 1))];
        assert_eq!((attempts_used(Period::Week, &sunday, now), attempts_used(Period::Month, &sunday, now)), (0, 1));
        assert!(!has_running(&previous, now));
        let open = PastAttempt { started_at: now - Duration::minutes(5), deadline: now + Duration::minutes(10), submitted: false };
        assert!(has_running(&[open], now));
        let abandoned = PastAttempt { deadline: now - Duration::minutes(1), ..open };
        assert!(!has_running(&[abandoned], now), "an abandoned attempt past its grace no longer blocks");
        assert_eq!(attempts_used(Period::Day, &[abandoned], now), 1, "but it still counts as used");
        let always = Window {
            opens_on: at(1, 0).date_naive(),
            closes_on: at(31, 0).date_naive(),
            weekdays: vec![],
            daily_from: None,
            daily_to: None,
        };
        assert_eq!(may_start(&always, 3, Period::Week, &previous, now), Err(StartError::LimitReached { used: 3, max: 3 }));
        assert_eq!(may_start(&always, 2, Period::Day, &previous, now), Ok(()));
        assert_eq!(may_start(&always, 5, Period::Day, &[open], now), Err(StartError::InProgress));
    }

    #[test]
    fn attempts_end_when_the_window_closes_and_answers_show_only_when_nothing_runs() {
        let at = |d, h, m| Utc.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap();
        // Weekdays 07:30–17:30 (Vietnam): an attempt started at 17:20 on Thursday 5 March ends at 17:30.
        let w = window();
        assert_eq!(w.open_until(at(5, 10, 20)), Some(at(5, 10, 30)));
        assert_eq!(attempt_deadline(&w, 15, at(5, 10, 20)), at(5, 10, 30));
        assert_eq!(attempt_deadline(&w, 15, at(5, 3, 0)), at(5, 3, 15), "well inside the window: the time limit");
        assert_eq!(w.open_until(at(5, 10, 30)), None, "closed");
        // Every day, all day: open through the nights up to the end of 31 March (Vietnam).
        let always = Window { weekdays: vec![], daily_from: None, daily_to: None, ..w.clone() };
        assert_eq!(always.open_until(at(5, 10, 0)), Some(at(31, 17, 0)));
        assert_eq!(attempt_deadline(&always, 30, at(31, 16, 50)), at(31, 17, 0), "the quiz's last evening");
        // Weekdays, all day: Friday's attempt ends at Saturday's midnight (Vietnam).
        let weekdays = Window { daily_from: None, daily_to: None, ..w };
        assert_eq!(weekdays.open_until(at(6, 16, 50)), Some(at(6, 17, 0)));
        assert_eq!(weekdays.open_until(at(2, 1, 0)), Some(at(6, 17, 0)), "Monday runs through to Friday's end");

        let now = at(5, 3, 0);
        let running = PastAttempt { started_at: now, deadline: now + Duration::minutes(10), submitted: false };
        let over = PastAttempt { deadline: now - Duration::minutes(1), ..running };
        assert!(may_reveal(true, &[], now));
        assert!(!may_reveal(false, &[], now), "never before submission");
        assert!(!may_reveal(true, &[running], now), "not while another attempt runs");
        assert!(may_reveal(true, &[over], now), "an abandoned attempt past its grace no longer hides them");
    }

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
