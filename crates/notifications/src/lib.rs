//! # notifications — what members are told, on which channel, and when
//!
//! Decides, as pure functions of their inputs:
//! - the notification [`Kind`]s, their urgency ([`Urgency`]: urgent kinds bypass quiet hours, low
//!   ones may be gathered in a daily e-mail digest) and the object each one links to;
//! - a member's [`Preferences`] (channel on/off per kind, quiet hours in Vietnam time, the daily
//!   digest), their JSON form and its validation;
//! - when a delivery on a channel may be sent ([`schedule::send_at`]) and when a failed one is tried
//!   again ([`schedule::retry_at`], exponential backoff with jitter supplied by the caller);
//! - the Vietnamese and English title and body of an item ([`text::render`]).
//!
//! Recipients, storage and sending are the callers' (the application layer and the notifier). The
//! crate takes `now` and any randomness as parameters. serde is a regular dependency here, not a
//! feature: preferences and item parameters are JSON documents by nature.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use notifications::{Channel, Kind, Preferences, schedule};
//!
//! let prefs = Preferences::default();
//! // 23:30 in Vietnam (16:30 UTC): an e-mail about a published meeting waits until 06:00.
//! let now = Utc.with_ymd_and_hms(2026, 12, 4, 16, 30, 0).unwrap();
//! let at = schedule::send_at(now, &prefs, Kind::MeetingPublished, false, Channel::Email);
//! assert_eq!(at, Utc.with_ymd_and_hms(2026, 12, 4, 23, 0, 0).unwrap());
//! // A cancellation is urgent: it goes now.
//! assert_eq!(schedule::send_at(now, &prefs, Kind::MeetingCancelled, false, Channel::Email), now);
//! ```

mod kind;
mod prefs;
pub mod schedule;
pub mod text;

pub use kind::{Channel, Kind, ObjectType, Urgency};
pub use prefs::{ChannelSwitches, ClockTime, Preferences, PreferencesDoc, PreferencesError, QuietHours, QuietHoursDoc};
