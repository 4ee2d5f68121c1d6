//! The sign-in throttle's rules, pure: from the failures counted for an attempt's subjects and the
//! time, whether the attempt is refused, slowed down or let through. No I/O here: the counters
//! are loaded and written by [`crate::accounts`] through `storage::accounts`, and the time is the
//! caller's.
//!
//! Subjects, each counted in a window that opens at its first failure and lasts
//! [`LoginPolicy::window`]:
//!
//! - **(account, address)**: an address that guessed wrong [`LoginPolicy::per_account_address`]
//!   times on an account is refused for that account until the window closes — and only that
//!   address: the owner signing in from anywhere else is not affected.
//! - **address**: an address with [`LoginPolicy::per_address`] failures over any accounts
//!   (password spraying) is refused for every account until the window closes.
//! - **account**: once an account has [`LoginPolicy::slow_account_after`] failures from all
//!   addresses together, every attempt on it waits before its password is checked — 1 s, doubling
//!   with each further `slow_account_after` failures, at most [`LoginPolicy::max_delay`]. This is a
//!   delay, never a refusal: the right password from an address that has not failed still signs
//!   in.
//!
//! Accounts are named by the username as typed (trimmed, lower case), so an unknown username is
//! counted exactly like an existing one and the throttle says nothing about which exist.
//! Addresses are compared as IPv4 addresses, or as the /64 network of an IPv6 address (a single
//! IPv6 client usually holds a whole /64). Keys are SHA-256 digests of the subject under a scope
//! letter, so the stored counters name no username and no address.
//!
//! ```
//! use app::accounts::throttle::{Failures, LoginPolicy, Verdict};
//! use storage::accounts::FailureWindow;
//!
//! let policy = LoginPolicy::default();
//! let now = 1_000_000_000_000;
//! // Five wrong passwords from this address on this account: refused for the rest of the window.
//! let tried = Failures { account_address: Some(FailureWindow { start_us: now, failures: 5 }), ..Failures::default() };
//! assert_eq!(policy.sign_in(&tried, now), Verdict::Refuse { retry_after: 900 });
//! // Another address, same account: let through at once.
//! assert_eq!(policy.sign_in(&Failures::default(), now), Verdict::Go { delay: std::time::Duration::ZERO });
//! ```

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use storage::accounts::FailureWindow;

/// The throttle's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginPolicy {
    /// How long a window of failures lasts, from its first failure (15 minutes).
    pub window: Duration,
    /// Failures per (account, address) in a window before that address is refused for that
    /// account (5).
    pub per_account_address: u32,
    /// Failures per address, over all accounts, in a window before the address is refused (30).
    pub per_address: u32,
    /// Failures per account, over all addresses, from which every attempt on it is delayed (10).
    pub slow_account_after: u32,
    /// The longest such delay (8 s).
    pub max_delay: Duration,
    /// Wrong current passwords per account in a window before password changes are refused (5).
    pub per_password_change: u32,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_account_address: 5,
            per_address: 30,
            slow_account_after: 10,
            max_delay: Duration::from_secs(8),
            per_password_change: 5,
        }
    }
}

/// What to do with an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Refused without checking the password; another attempt is accepted after `retry_after`
    /// seconds.
    Refuse {
        /// Seconds (at least 1).
        retry_after: u64,
    },
    /// Check the password after waiting `delay` (zero unless the account is under attack).
    Go {
        /// The wait.
        delay: Duration,
    },
}

/// The failures counted for one sign-in attempt's subjects (absent: none stored).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// This account from this address.
    pub account_address: Option<FailureWindow>,
    /// This address, every account.
    pub address: Option<FailureWindow>,
    /// This account, every address.
    pub account: Option<FailureWindow>,
}

impl LoginPolicy {
    fn window_us(&self) -> i64 {
        i64::try_from(self.window.as_micros()).unwrap_or(i64::MAX)
    }

    /// Windows that opened at or before this instant are over at `now_us`.
    pub fn expired_at(&self, now_us: i64) -> i64 {
        now_us.saturating_sub(self.window_us())
    }

    /// The failures a window still counts at `now_us` (0 once it is over) and the seconds until
    /// it closes.
    fn live(&self, window: Option<FailureWindow>, now_us: i64) -> (u32, u64) {
        match window {
            Some(w) if w.start_us > self.expired_at(now_us) => {
                let left_us = w.start_us.saturating_add(self.window_us()).saturating_sub(now_us);
                (w.failures, u64::try_from(left_us).unwrap_or(0).div_ceil(1_000_000).max(1))
            }
            _ => (0, 0),
        }
    }

    /// The verdict on a sign-in attempt at `now_us` (microseconds since the Unix epoch).
    pub fn sign_in(&self, failures: &Failures, now_us: i64) -> Verdict {
        let (pair, pair_left) = self.live(failures.account_address, now_us);
        let (address, address_left) = self.live(failures.address, now_us);
        let mut retry_after = 0;
        if pair >= self.per_account_address {
            retry_after = pair_left;
        }
        if address >= self.per_address {
            retry_after = retry_after.max(address_left);
        }
        if retry_after > 0 {
            return Verdict::Refuse { retry_after };
        }
        let (account, _) = self.live(failures.account, now_us);
        Verdict::Go { delay: self.account_delay(account) }
    }

    /// The wait before checking a password on an account with `failures` failures counted in its
    /// window: none below [`LoginPolicy::slow_account_after`], then 1 s doubling with each further
    /// `slow_account_after` failures, at most [`LoginPolicy::max_delay`].
    pub fn account_delay(&self, failures: u32) -> Duration {
        if self.slow_account_after == 0 || failures < self.slow_account_after {
            return Duration::ZERO;
        }
        let doublings = ((failures - self.slow_account_after) / self.slow_account_after).min(16);
        Duration::from_secs(1u64 << doublings).min(self.max_delay)
    }

    /// The verdict on a password change by an account with `window` wrong current passwords.
    pub fn password_change(&self, window: Option<FailureWindow>, now_us: i64) -> Verdict {
        let (failures, left) = self.live(window, now_us);
        if failures >= self.per_password_change { Verdict::Refuse { retry_after: left } } else { Verdict::Go { delay: Duration::ZERO } }
    }
}

/// The throttle keys of one sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// (account, address).
    pub account_address: String,
    /// The address.
    pub address: String,
    /// The account.
    pub account: String,
}

fn key(scope: char, subject: &str) -> String {
    let digest = Sha256::digest(subject.as_bytes());
    let mut out = String::with_capacity(66);
    out.push(scope);
    out.push(':');
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

impl Keys {
    /// The keys of an attempt on `username` (as typed: trimmed, lower case) from `client` (the
    /// client's address as the server determined it; `None` when unknown).
    pub fn sign_in(username: &str, client: Option<&str>) -> Self {
        let address = address_subject(client);
        Self { account_address: key('p', &format!("{username}\n{address}")), address: key('a', &address), account: key('u', username) }
    }

    /// The three keys.
    pub fn all(&self) -> [&str; 3] {
        [&self.account_address, &self.address, &self.account]
    }

    /// The failures among `windows` (as loaded by key).
    pub fn failures(&self, windows: &[(String, FailureWindow)]) -> Failures {
        let find = |k: &str| windows.iter().find(|(key, _)| key == k).map(|(_, w)| *w);
        Failures { account_address: find(&self.account_address), address: find(&self.address), account: find(&self.account) }
    }
}

/// The throttle key of an account's password changes.
pub fn password_change_key(account: uuid::Uuid) -> String {
    key('c', &account.to_string())
}

/// What an address is counted as: an IPv4 address (also when written as IPv4-mapped IPv6), the
/// /64 network of an IPv6 address, the text itself when it is not an address, `unknown` when
/// absent.
pub fn address_subject(client: Option<&str>) -> String {
    let Some(text) = client.map(str::trim).filter(|t| !t.is_empty()) else {
        return "unknown".into();
    };
    match text.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;
    const MIN: i64 = 60_000_000;

    fn w(minutes_ago: i64, failures: u32) -> Option<FailureWindow> {
        Some(FailureWindow { start_us: NOW - minutes_ago * MIN, failures })
    }

    fn go(secs: u64) -> Verdict {
        Verdict::Go { delay: Duration::from_secs(secs) }
    }

    #[test]
    fn verdicts() {
        let p = LoginPolicy::default();
        let none = Failures::default();
        let cases: Vec<(&str, Failures, Verdict)> = vec![
            ("nothing counted", none, go(0)),
            ("four failures on the pair", Failures { account_address: w(1, 4), ..none }, go(0)),
            ("five failures on the pair", Failures { account_address: w(1, 5), ..none }, Verdict::Refuse { retry_after: 14 * 60 }),
            ("the pair's window is over", Failures { account_address: w(15, 9), ..none }, go(0)),
            (
                "a second before it closes",
                Failures { account_address: Some(FailureWindow { start_us: NOW - 15 * MIN + 1_000_000, failures: 5 }), ..none },
                Verdict::Refuse { retry_after: 1 },
            ),
            (
                "part of a second rounds up",
                Failures { account_address: Some(FailureWindow { start_us: NOW - 15 * MIN + 1, failures: 5 }), ..none },
                Verdict::Refuse { retry_after: 1 },
            ),
            ("29 failures from the address", Failures { address: w(2, 29), ..none }, go(0)),
            ("30 failures from the address", Failures { address: w(2, 30), ..none }, Verdict::Refuse { retry_after: 13 * 60 }),
            (
                "both: the later end",
                Failures { account_address: w(10, 5), address: w(2, 30), ..none },
                Verdict::Refuse { retry_after: 13 * 60 },
            ),
            ("9 on the account", Failures { account: w(1, 9), ..none }, go(0)),
            ("10 on the account: delayed, not refused", Failures { account: w(1, 10), ..none }, go(1)),
            ("20 on the account", Failures { account: w(1, 20), ..none }, go(2)),
            ("39 on the account", Failures { account: w(1, 39), ..none }, go(4)),
            ("1000 on the account: at most 8 s", Failures { account: w(1, 1000), ..none }, go(8)),
            ("the account's window is over", Failures { account: w(16, 1000), ..none }, go(0)),
            (
                "a refused pair on an attacked account is refused",
                Failures { account_address: w(1, 5), account: w(1, 50), ..none },
                Verdict::Refuse { retry_after: 14 * 60 },
            ),
        ];
        for (name, failures, expected) in cases {
            assert_eq!(p.sign_in(&failures, NOW), expected, "{name}");
        }
    }

    #[test]
    fn password_changes() {
        let p = LoginPolicy::default();
        assert_eq!(p.password_change(None, NOW), go(0));
        assert_eq!(p.password_change(w(3, 4), NOW), go(0));
        assert_eq!(p.password_change(w(3, 5), NOW), Verdict::Refuse { retry_after: 12 * 60 });
        assert_eq!(p.password_change(w(15, 5), NOW), go(0));
    }

    #[test]
    fn windows_expire_where_storage_restarts_them() {
        let p = LoginPolicy::default();
        // storage::accounts::count_failure restarts windows that opened at or before `expired_at`;
        // the verdicts count exactly the windows it keeps.
        let at = p.expired_at(NOW);
        assert_eq!(p.live(Some(FailureWindow { start_us: at, failures: 7 }), NOW).0, 0);
        assert_eq!(p.live(Some(FailureWindow { start_us: at + 1, failures: 7 }), NOW).0, 7);
    }

    #[test]
    fn addresses() {
        let cases = [
            (None, "unknown"),
            (Some(""), "unknown"),
            (Some("203.0.113.7"), "203.0.113.7"),
            (Some("::ffff:203.0.113.7"), "203.0.113.7"),
            (Some("2001:db8:aa:bb:1:2:3:4"), "2001:db8:aa:bb::/64"),
            (Some("2001:db8:aa:bb:ffff::9"), "2001:db8:aa:bb::/64"),
            (Some("not-an-address"), "not-an-address"),
        ];
        for (input, expected) in cases {
            assert_eq!(address_subject(input), expected, "{input:?}");
        }
    }

    #[test]
    fn keys_separate_scopes_and_hide_subjects() {
        let k = Keys::sign_in("0123456789", Some("203.0.113.7"));
        assert!(k.account_address.starts_with("p:") && k.address.starts_with("a:") && k.account.starts_with("u:"));
        assert!(k.all().iter().all(|key| key.len() == 66 && !key.contains("0123456789") && !key.contains("203.0.113")));
        assert_eq!(k.account, Keys::sign_in("0123456789", Some("198.51.100.1")).account, "one account, any address");
        assert_ne!(k.account_address, Keys::sign_in("0123456789", Some("198.51.100.1")).account_address);
        assert_eq!(k.address, Keys::sign_in("someone", Some("203.0.113.7")).address, "one address, any account");
        assert_eq!(
            Keys::sign_in("a", Some("2001:db8::1")).account_address,
            Keys::sign_in("a", Some("2001:db8::2")).account_address,
            "one IPv6 /64"
        );
        assert_ne!(password_change_key(uuid::Uuid::nil()), k.account);
    }
}
