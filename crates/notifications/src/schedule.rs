//! When a delivery may go out, and when a failed one is tried again.

use chrono::{DateTime, Duration, Utc};
use membership::time::{local_date, start_of_day};

use crate::{Channel, ClockTime, Kind, Preferences, Urgency};

/// Whether an e-mail of `kind` waits for the member's daily digest.
pub fn in_digest(prefs: &Preferences, kind: Kind, extraordinary: bool, channel: Channel) -> bool {
    channel == Channel::Email && prefs.daily_digest && kind.urgency(extraordinary) == Urgency::Low
}

/// The first instant at or after `now` whose Vietnam time of day is `at`.
pub fn next_local(now: DateTime<Utc>, at: ClockTime) -> DateTime<Utc> {
    let today = local_date(now);
    let since_midnight = at.time().signed_duration_since(chrono::NaiveTime::MIN);
    let candidate = start_of_day(today) + since_midnight;
    if candidate >= now { candidate } else { candidate + Duration::days(1) }
}

/// When a delivery of `kind` on `channel`, created at `now`, may be sent: at once for urgent kinds;
/// at the digest time for a low-urgency e-mail of a member who chose the digest; at the end of the
/// quiet hours when `now` falls inside them; otherwise at once.
pub fn send_at(now: DateTime<Utc>, prefs: &Preferences, kind: Kind, extraordinary: bool, channel: Channel) -> DateTime<Utc> {
    if kind.urgency(extraordinary) == Urgency::Urgent {
        return now;
    }
    if in_digest(prefs, kind, extraordinary, channel) {
        return next_local(now, prefs.digest_at);
    }
    match prefs.quiet_hours {
        Some(q) if q.contains((now + Duration::hours(7)).time()) => next_local(now, q.end),
        _ => now,
    }
}

/// The first retry waits this long; each further one doubles it.
pub const FIRST_RETRY: Duration = Duration::seconds(30);
/// No retry waits longer than this.
pub const LONGEST_RETRY: Duration = Duration::hours(6);

/// When a delivery that has now failed `failures` times (≥ 1) is tried again: 30 s × 2^(failures−1),
/// at most 6 h, scaled by a jitter factor between 0.75 and 1.25 taken from `jitter` ∈ [0, 1)
/// (the caller's randomness), so that deliveries failing together do not retry together.
pub fn retry_at(now: DateTime<Utc>, failures: u32, jitter: f64) -> DateTime<Utc> {
    let exp = failures.saturating_sub(1).min(20);
    let base = FIRST_RETRY.num_milliseconds().saturating_mul(1_i64 << exp).min(LONGEST_RETRY.num_milliseconds());
    let factor = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let wait = (base as f64 * factor) as i64;
    now + Duration::milliseconds(wait)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::QuietHours;

    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap()
    }

    #[test]
    fn quiet_hours_hold_normal_kinds_until_morning() {
        let p = Preferences::default();
        // Vietnam 21:59 (14:59 UTC): before the window.
        assert_eq!(send_at(utc(4, 14, 59), &p, Kind::TaskAssigned, false, Channel::Push), utc(4, 14, 59));
        // 22:00 Vietnam: inside, waits until 06:00 Vietnam = 23:00 UTC the same UTC day.
        assert_eq!(send_at(utc(4, 15, 0), &p, Kind::TaskAssigned, false, Channel::Push), utc(4, 23, 0));
        // 02:00 Vietnam on the 5th (19:00 UTC on the 4th): still 06:00 Vietnam on the 5th.
        assert_eq!(send_at(utc(4, 19, 0), &p, Kind::TaskAssigned, false, Channel::Email), utc(4, 23, 0));
        // 06:00 Vietnam: the window has ended.
        assert_eq!(send_at(utc(4, 23, 0), &p, Kind::TaskAssigned, false, Channel::Email), utc(4, 23, 0));
        // Urgent kinds and extraordinary meetings go at once.
        assert_eq!(send_at(utc(4, 19, 0), &p, Kind::MeetingCancelled, false, Channel::Email), utc(4, 19, 0));
        assert_eq!(send_at(utc(4, 19, 0), &p, Kind::MeetingPublished, true, Channel::Push), utc(4, 19, 0));
        // No quiet hours.
        let none = Preferences { quiet_hours: None, ..Preferences::default() };
        assert_eq!(send_at(utc(4, 19, 0), &none, Kind::TaskAssigned, false, Channel::Email), utc(4, 19, 0));
    }

    #[test]
    fn a_daytime_window_works_too() {
        let p = Preferences {
            quiet_hours: Some(QuietHours { start: ClockTime::new(12, 0).unwrap(), end: ClockTime::new(13, 30).unwrap() }),
            ..Preferences::default()
        };
        // 12:10 Vietnam = 05:10 UTC → 13:30 Vietnam = 06:30 UTC.
        assert_eq!(send_at(utc(4, 5, 10), &p, Kind::TaskOverdue, false, Channel::Push), utc(4, 6, 30));
        assert_eq!(send_at(utc(4, 6, 30), &p, Kind::TaskOverdue, false, Channel::Push), utc(4, 6, 30));
    }

    #[test]
    fn digests_gather_low_urgency_email_only() {
        let p = Preferences { daily_digest: true, ..Preferences::default() };
        // 10:00 Vietnam (03:00 UTC) → next 07:00 Vietnam is tomorrow (00:00 UTC on the 5th).
        assert_eq!(send_at(utc(4, 3, 0), &p, Kind::DocumentPublished, false, Channel::Email), utc(5, 0, 0));
        assert!(in_digest(&p, Kind::DocumentPublished, false, Channel::Email));
        assert!(!in_digest(&p, Kind::DocumentPublished, false, Channel::Push));
        assert!(!in_digest(&p, Kind::TaskAssigned, false, Channel::Email));
        assert_eq!(send_at(utc(4, 3, 0), &p, Kind::DocumentPublished, false, Channel::Push), utc(4, 3, 0));
    }

    #[test]
    fn retries_back_off_with_bounded_jitter() {
        let now = utc(4, 0, 0);
        assert_eq!(retry_at(now, 1, 0.5), now + Duration::seconds(30));
        assert_eq!(retry_at(now, 2, 0.5), now + Duration::seconds(60));
        assert_eq!(retry_at(now, 3, 0.0), now + Duration::seconds(90));
        assert_eq!(retry_at(now, 3, 1.0), now + Duration::seconds(150));
        assert_eq!(retry_at(now, 40, 0.5), now + LONGEST_RETRY);
    }
}
