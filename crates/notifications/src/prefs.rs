//! A member's notification preferences.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use crate::{Channel, Kind};

/// A time of day in Vietnam, `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime(NaiveTime);

impl ClockTime {
    /// `hour:minute`, if valid.
    pub fn new(hour: u32, minute: u32) -> Option<Self> {
        NaiveTime::from_hms_opt(hour, minute, 0).map(ClockTime)
    }

    /// Parses `HH:MM` (24-hour clock, two digits each).
    pub fn parse(s: &str) -> Option<Self> {
        let (h, m) = s.split_once(':')?;
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::new(h.parse().ok()?, m.parse().ok()?)
    }

    /// The time.
    pub fn time(self) -> NaiveTime {
        self.0
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

/// Quiet hours: e-mail and push wait until `end`; the inbox still fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// Start (Vietnam time).
    pub start: ClockTime,
    /// End (Vietnam time); before `start` when the window spans midnight.
    pub end: ClockTime,
}

impl QuietHours {
    /// 22:00–06:00.
    pub fn default_window() -> Self {
        QuietHours { start: hm(22, 0), end: hm(6, 0) }
    }

    /// Whether the time of day `t` (Vietnam) falls inside the window (start included, end not).
    pub fn contains(&self, t: NaiveTime) -> bool {
        let (start, end) = (self.start.time(), self.end.time());
        if start < end { start <= t && t < end } else { t >= start || t < end }
    }
}

fn hm(hour: u32, minute: u32) -> ClockTime {
    ClockTime(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN))
}

/// Whether a kind goes out by e-mail and by push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSwitches {
    /// E-mail on.
    pub email: bool,
    /// Push on.
    pub push: bool,
}

impl Default for ChannelSwitches {
    fn default() -> Self {
        ChannelSwitches { email: true, push: true }
    }
}

/// A member's preferences. Kinds not listed use [`ChannelSwitches::default`] (both on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    /// Channel switches per kind (only the kinds the member changed).
    pub kinds: BTreeMap<Kind, ChannelSwitches>,
    /// Quiet hours, or none.
    pub quiet_hours: Option<QuietHours>,
    /// Low-urgency kinds by e-mail once a day, at `digest_at`, instead of one e-mail each.
    pub daily_digest: bool,
    /// When the daily digest is sent (Vietnam time).
    pub digest_at: ClockTime,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences { kinds: BTreeMap::new(), quiet_hours: Some(QuietHours::default_window()), daily_digest: false, digest_at: hm(7, 0) }
    }
}

/// The JSON form of [`Preferences`], as stored and as the API exchanges it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferencesDoc {
    /// Channel switches per kind code (e.g. `"document.published": {"email": false, "push": true}`).
    #[serde(default)]
    pub kinds: BTreeMap<String, ChannelSwitches>,
    /// Quiet hours, or `null` for none.
    pub quiet_hours: Option<QuietHoursDoc>,
    /// Daily digest of low-urgency kinds by e-mail.
    pub daily_digest: bool,
    /// When the digest is sent, `HH:MM` Vietnam time.
    pub digest_at: String,
}

/// The JSON form of [`QuietHours`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursDoc {
    /// `HH:MM`, Vietnam time.
    pub start: String,
    /// `HH:MM`, Vietnam time.
    pub end: String,
}

/// Why a preferences document was refused. Each names the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreferencesError {
    /// A key of `kinds` is not a notification kind.
    #[error("`{0}` is not a notification kind")]
    UnknownKind(String),
    /// A time is not `HH:MM`.
    #[error("`{field}`: `{value}` is not a time HH:MM")]
    BadTime {
        /// `quiet_hours.start`, `quiet_hours.end` or `digest_at`.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// Quiet hours that start when they end.
    #[error("quiet hours start and end at the same time")]
    EmptyQuietHours,
}

impl PreferencesError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PreferencesError::UnknownKind(_) => "unknown_kind",
            PreferencesError::BadTime { .. } => "invalid_time",
            PreferencesError::EmptyQuietHours => "empty_quiet_hours",
        }
    }

    /// The field the error is about.
    pub fn field(&self) -> String {
        match self {
            PreferencesError::UnknownKind(k) => format!("kinds.{k}"),
            PreferencesError::BadTime { field, .. } => (*field).to_string(),
            PreferencesError::EmptyQuietHours => "quiet_hours".to_string(),
        }
    }
}

impl Preferences {
    /// Whether `kind` goes out on `channel`.
    pub fn allows(&self, kind: Kind, channel: Channel) -> bool {
        let s = self.kinds.get(&kind).copied().unwrap_or_default();
        match channel {
            Channel::Email => s.email,
            Channel::Push => s.push,
        }
    }

    /// Parses the JSON form; every problem is reported.
    pub fn parse(doc: &PreferencesDoc) -> Result<Self, Vec<PreferencesError>> {
        let mut errors = Vec::new();
        let mut kinds = BTreeMap::new();
        for (code, switches) in &doc.kinds {
            match Kind::parse(code) {
                Some(k) => {
                    kinds.insert(k, *switches);
                }
                None => errors.push(PreferencesError::UnknownKind(code.clone())),
            }
        }
        let time = |field: &'static str, value: &str, errors: &mut Vec<PreferencesError>| {
            let t = ClockTime::parse(value);
            if t.is_none() {
                errors.push(PreferencesError::BadTime { field, value: value.to_string() });
            }
            t
        };
        let quiet_hours = match &doc.quiet_hours {
            None => None,
            Some(q) => {
                let start = time("quiet_hours.start", &q.start, &mut errors);
                let end = time("quiet_hours.end", &q.end, &mut errors);
                match (start, end) {
                    (Some(start), Some(end)) if start == end => {
                        errors.push(PreferencesError::EmptyQuietHours);
                        None
                    }
                    (Some(start), Some(end)) => Some(QuietHours { start, end }),
                    _ => None,
                }
            }
        };
        let digest_at = time("digest_at", &doc.digest_at, &mut errors);
        match digest_at {
            Some(digest_at) if errors.is_empty() => Ok(Preferences { kinds, quiet_hours, daily_digest: doc.daily_digest, digest_at }),
            _ => Err(errors),
        }
    }

    /// The JSON form.
    pub fn to_doc(&self) -> PreferencesDoc {
        PreferencesDoc {
            kinds: self.kinds.iter().map(|(k, s)| (k.code().to_string(), *s)).collect(),
            quiet_hours: self.quiet_hours.map(|q| QuietHoursDoc { start: q.start.to_string(), end: q.end.to_string() }),
            daily_digest: self.daily_digest,
            digest_at: self.digest_at.to_string(),
        }
    }

    /// Reads the stored JSON text (written by [`Preferences::to_json`]).
    pub fn from_json(text: &str) -> Result<Self, String> {
        let doc: PreferencesDoc = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Preferences::parse(&doc).map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
    }

    /// The stored JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.to_doc()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip() {
        let p = Preferences::default();
        assert_eq!(p.to_doc().quiet_hours, Some(QuietHoursDoc { start: "22:00".into(), end: "06:00".into() }));
        assert_eq!(p.to_doc().digest_at, "07:00");
        assert_eq!(Preferences::from_json(&p.to_json()), Ok(p.clone()));
        for k in Kind::ALL {
            assert!(p.allows(k, Channel::Email) && p.allows(k, Channel::Push));
        }
    }

    #[test]
    fn every_problem_is_reported() {
        let doc = PreferencesDoc {
            kinds: BTreeMap::from([
                ("no.such".to_string(), ChannelSwitches::default()),
                ("task.assigned".to_string(), ChannelSwitches { email: false, push: true }),
            ]),
            quiet_hours: Some(QuietHoursDoc { start: "25:00".into(), end: "6:00".into() }),
            daily_digest: true,
            digest_at: "07:00".into(),
        };
        let errors = Preferences::parse(&doc).unwrap_err();
        let fields: Vec<String> = errors.iter().map(PreferencesError::field).collect();
        assert_eq!(fields, ["kinds.no.such", "quiet_hours.start", "quiet_hours.end"]);
        let doc = PreferencesDoc { quiet_hours: Some(QuietHoursDoc { start: "06:00".into(), end: "06:00".into() }), ..doc };
        let errors = Preferences::parse(&PreferencesDoc { kinds: BTreeMap::new(), ..doc }).unwrap_err();
        assert_eq!(errors, [PreferencesError::EmptyQuietHours]);
    }

    #[test]
    fn switches_apply_per_kind_and_channel() {
        let mut p = Preferences::default();
        p.kinds.insert(Kind::TaskAssigned, ChannelSwitches { email: false, push: true });
        assert!(!p.allows(Kind::TaskAssigned, Channel::Email));
        assert!(p.allows(Kind::TaskAssigned, Channel::Push));
        assert!(p.allows(Kind::TaskOverdue, Channel::Email));
    }

    #[test]
    fn clock_times_are_strict() {
        for bad in ["7:00", "07:0", "24:00", "07:60", "0a:00", "", "07-00"] {
            assert_eq!(ClockTime::parse(bad), None, "{bad}");
        }
        assert_eq!(ClockTime::parse("23:59").map(|t| t.to_string()), Some("23:59".to_string()));
    }
}
