//! The injected clock.
//!
//! [`SystemClock`] is the only code in the workspace that reads the wall clock (clippy's
//! `disallowed-methods` forbids `Utc::now`, `Local::now` and `SystemTime::now` everywhere else in
//! `app` and the services). Tests use [`FixedClock`], pinned at an instant they choose and moved
//! only when they say so. Measuring elapsed time (latency, rate-limit windows) uses the monotonic
//! `std::time::Instant`, which says nothing about the date and is not a clock in this sense.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use membership::time::local_date;

/// Where "now" comes from.
pub trait Clock: Send + Sync + Debug {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in Vietnam (`Asia/Ho_Chi_Minh`) at [`Clock::now`].
    fn today(&self) -> NaiveDate {
        local_date(self.now())
    }
}

/// A clock shared by every part of a running program.
pub type SharedClock = Arc<dyn Clock>;

/// The wall clock of the machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one production reading of the wall clock
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still at a chosen instant until it is set or advanced.
#[derive(Debug)]
pub struct FixedClock {
    at: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self { at: Mutex::new(at) }
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.at.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }

    /// Moves the clock forward (or back, with a negative duration) by `by`.
    pub fn advance(&self, by: Duration) {
        let mut at = self.at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *at += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.at.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The environment variable that pins the test clock: an RFC 3339 instant.
pub const TEST_NOW_VAR: &str = "HANDBOOK_TEST_NOW";

/// The clock a test builds its server with: pinned at `HANDBOOK_TEST_NOW` when that is set (CI
/// runs the tests at 16:59:59, 17:00:00 (SQLite) and 23:59:59 UTC (PostgreSQL), where Vietnam's date
/// and UTC's disagree or are about to), otherwise at the moment the test starts. Either way the
/// clock then stands still unless the test moves it; the instant is printed (shown with a failing
/// test's output) so that any failure can be replayed with the same `HANDBOOK_TEST_NOW`.
///
/// Read only by test harnesses: production code gets its clock injected.
///
/// # Panics
/// When `HANDBOOK_TEST_NOW` is set but is not an RFC 3339 instant (a misconfigured test run).
#[allow(clippy::expect_used)] // a test-only helper: a bad pin must stop the run loudly
pub fn pinned_for_tests() -> FixedClock {
    let at = match std::env::var(TEST_NOW_VAR) {
        Ok(text) => parse_instant(&text).expect("HANDBOOK_TEST_NOW must be an RFC 3339 instant"),
        Err(_) => SystemClock.now(),
    };
    println!("test clock pinned at {} (replay with {TEST_NOW_VAR}={})", format_instant(at), format_instant(at));
    FixedClock::new(at)
}

/// Parses an instant given on a command line or in a test environment variable: RFC 3339 with
/// an offset (`2026-11-29T17:00:00Z`, `2026-11-30T00:00:00+07:00`).
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, InstantError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| InstantError { text: text.to_string(), reason: e.to_string() })
}

/// Formats an instant the way [`parse_instant`] reads it back (UTC, seconds, `Z`).
pub fn format_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An instant that is not RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstantError {
    text: String,
    reason: String,
}

impl std::fmt::Display for InstantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not an RFC 3339 instant such as 2026-11-29T17:00:00Z ({})", self.text, self.reason)
    }
}

impl std::error::Error for InstantError {}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn today_is_vietnams_date_at_the_three_instants_that_disagree_with_utc() {
        for (utc, vietnam) in [
            (Utc.with_ymd_and_hms(2026, 12, 31, 16, 59, 59).unwrap(), "2026-12-31"),
            (Utc.with_ymd_and_hms(2026, 12, 31, 17, 0, 0).unwrap(), "2027-01-01"),
            (Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap(), "2027-01-01"),
        ] {
            assert_eq!(FixedClock::new(utc).today().to_string(), vietnam, "at {utc}");
        }
    }

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 11, 29, 21, 0, 0).unwrap();
        let clock = FixedClock::new(start);
        assert_eq!(clock.now(), start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::minutes(90));
        assert_eq!(clock.now(), start + Duration::minutes(90));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }

    #[test]
    fn the_system_clock_moves_forward() {
        let a = SystemClock.now();
        let b = SystemClock.now();
        assert!(b >= a);
    }

    #[test]
    fn instants_parse_with_any_offset_and_round_trip() {
        let at = parse_instant("2026-11-30T00:00:00+07:00").unwrap();
        assert_eq!(format_instant(at), "2026-11-29T17:00:00Z");
        assert_eq!(parse_instant(&format_instant(at)).unwrap(), at);
        let err = parse_instant("2026-11-29 17:00").unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");
        assert!(parse_instant("yesterday").is_err());
    }
}
