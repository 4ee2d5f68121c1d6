//! Minutes (*biên bản*), the resolution (*nghị quyết*), motions and votes, and members' ratings.

use chrono::{DateTime, Utc};
use membership::MemberId;
use membership::fields::FieldError;

/// Maximum length of the minutes or resolution text.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// The minutes as written by the secretary.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Minutes {
    /// Body of the minutes.
    pub text: String,
    /// Resolution text (may be empty until decided).
    pub resolution: String,
    /// Who chaired.
    pub chair: Option<MemberId>,
    /// Who took the minutes.
    pub secretary: Option<MemberId>,
    /// Actual start.
    pub started_at: Option<DateTime<Utc>>,
    /// Actual end.
    pub ended_at: Option<DateTime<Utc>>,
}

/// Why the minutes are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MinutesError {
    /// A text is too long.
    #[error("{field}: {error}")]
    Text {
        /// `text` or `resolution`.
        field: &'static str,
        /// The problem.
        error: FieldError,
    },
    /// The end is before the start.
    #[error("ended_at is before started_at")]
    EndBeforeStart,
    /// A time lies outside the dates the system keeps (1900–2100, [`membership::time::in_range`]).
    #[error("{field} must be between 1900-01-01 and 2100-12-31")]
    OutOfRange {
        /// `started_at` or `ended_at`.
        field: &'static str,
    },
    /// The chair or minutes-taker did not attend.
    #[error("{field} must be a member who attended the meeting")]
    NotAttending {
        /// `chair` or `secretary`.
        field: &'static str,
    },
}

/// Checks minutes. `attended` tells whether a member attended the meeting.
pub fn check_minutes(m: &Minutes, attended: impl Fn(MemberId) -> bool) -> Result<(), MinutesError> {
    for (field, text) in [("text", &m.text), ("resolution", &m.resolution)] {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(MinutesError::Text { field, error: FieldError::TooLong { max: MAX_TEXT_CHARS } });
        }
    }
    for (field, at) in [("started_at", m.started_at), ("ended_at", m.ended_at)] {
        if at.is_some_and(|at| !membership::time::in_range(membership::time::local_date(at))) {
            return Err(MinutesError::OutOfRange { field });
        }
    }
    if let (Some(s), Some(e)) = (m.started_at, m.ended_at)
        && e < s
    {
        return Err(MinutesError::EndBeforeStart);
    }
    for (field, who) in [("chair", m.chair), ("secretary", m.secretary)] {
        if let Some(who) = who
            && !attended(who)
        {
            return Err(MinutesError::NotAttending { field });
        }
    }
    Ok(())
}

/// Approval requires a minutes text.
pub fn check_approvable(m: Option<&Minutes>) -> Result<(), MinutesError> {
    match m {
        Some(m) if !m.text.trim().is_empty() => Ok(()),
        _ => Err(MinutesError::Text { field: "text", error: FieldError::Empty }),
    }
}

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Vote {
    /// *Tán thành*.
    Agree,
    /// *Không tán thành*.
    Disagree,
    /// *Ý kiến khác*.
    Other,
}

impl Vote {
    /// Every vote.
    pub const ALL: [Vote; 3] = [Vote::Agree, Vote::Disagree, Vote::Other];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Vote::Agree => "agree",
            Vote::Disagree => "disagree",
            Vote::Other => "other",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// Vote counts of a motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Tally {
    /// Agree.
    pub agree: u32,
    /// Disagree.
    pub disagree: u32,
    /// Other.
    pub other: u32,
}

impl Tally {
    /// Total votes.
    pub fn total(&self) -> u32 {
        self.agree + self.disagree + self.other
    }

    /// Counts ballots.
    pub fn of(ballots: impl IntoIterator<Item = Vote>) -> Self {
        let mut t = Tally::default();
        for v in ballots {
            match v {
                Vote::Agree => t.agree += 1,
                Vote::Disagree => t.disagree += 1,
                Vote::Other => t.other += 1,
            }
        }
        t
    }

    /// Adopted when more than half of the members who attended agree.
    pub fn adopted(&self, attended: u32) -> bool {
        attended > 0 && self.agree * 2 > attended
    }
}

/// Why a vote or a tally is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VoteError {
    /// Counts were sent for an open (per-member) motion, or ballots for a counted one.
    #[error("this motion is voted {expected}")]
    WrongMode {
        /// `by_ballot` or `by_count`.
        expected: &'static str,
    },
    /// More votes than members who attended.
    #[error("{total} votes for {attended} members present")]
    TooManyVotes {
        /// Votes.
        total: u32,
        /// Attended.
        attended: u32,
    },
    /// Only members who attended may cast a ballot.
    #[error("only members present at the meeting may vote")]
    NotPresent,
}

impl VoteError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            VoteError::WrongMode { .. } => "wrong_vote_mode",
            VoteError::TooManyVotes { .. } => "too_many_votes",
            VoteError::NotPresent => "not_present",
        }
    }
}

/// Checks recorded counts against the number of members who attended.
pub fn check_tally(t: &Tally, attended: u32) -> Result<(), VoteError> {
    if t.total() > attended { Err(VoteError::TooManyVotes { total: t.total(), attended }) } else { Ok(()) }
}

/// Criteria of a member's rating of a meeting.
pub const RATING_CRITERIA: [&str; 3] = ["preparation", "content", "discussion"];

/// Lowest rating score.
pub const MIN_SCORE: u8 = 1;
/// Highest rating score.
pub const MAX_SCORE: u8 = 5;

/// Checks one rating score ([`MIN_SCORE`]–[`MAX_SCORE`]).
pub fn check_score(score: u8) -> Result<(), FieldError> {
    if (MIN_SCORE..=MAX_SCORE).contains(&score) { Ok(()) } else { Err(FieldError::InvalidFormat { expected: "an integer from 1 to 5" }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn minutes_rules() {
        let a = MemberId::from_uuid(uuid::Uuid::from_u128(1));
        let b = MemberId::from_uuid(uuid::Uuid::from_u128(2));
        let t = |h| Utc.with_ymd_and_hms(2026, 3, 5, h, 0, 0).unwrap();
        let m = Minutes {
            text: "Biên bản".into(),
            resolution: String::new(),
            chair: Some(a),
            secretary: Some(b),
            started_at: Some(t(12)),
            ended_at: Some(t(14)),
        };
        assert_eq!(check_minutes(&m, |_| true), Ok(()));
        assert_eq!(check_minutes(&m, |x| x == a), Err(MinutesError::NotAttending { field: "secretary" }));
        assert_eq!(check_minutes(&Minutes { ended_at: Some(t(11)), ..m.clone() }, |_| true), Err(MinutesError::EndBeforeStart));
        let far = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
        assert_eq!(
            check_minutes(&Minutes { started_at: Some(far), ended_at: Some(far), ..m.clone() }, |_| true),
            Err(MinutesError::OutOfRange { field: "started_at" })
        );
        assert!(check_approvable(Some(&Minutes { text: " ".into(), ..m.clone() })).is_err());
        assert!(check_approvable(None).is_err());
        assert!(check_approvable(Some(&m)).is_ok());
    }

    #[test]
    fn tallies() {
        let t = Tally::of([Vote::Agree, Vote::Agree, Vote::Disagree, Vote::Other]);
        assert_eq!((t.agree, t.disagree, t.other, t.total()), (2, 1, 1, 4));
        assert!(!t.adopted(4), "2 of 4 is not a majority");
        assert!(Tally { agree: 3, ..t }.adopted(5));
        assert_eq!(check_tally(&t, 3), Err(VoteError::TooManyVotes { total: 4, attended: 3 }));
        assert!(check_score(0).is_err() && check_score(5).is_ok() && check_score(6).is_err());
    }
}
