//! Opinions (*ý kiến*): threaded comments on an agenda item or on the meeting as a whole, open
//! from publication until the minutes are approved. Each records whether its author was present,
//! absent or not yet checked in when writing it, so the minutes can list absent members'
//! opinions separately.

use chrono::{DateTime, Duration, Utc};
use membership::MemberId;
use membership::fields::FieldError;

use crate::attendance::{AttendanceStatus, LedgerRow};
use crate::lifecycle::MeetingStatus;

/// How long an author may edit their comment.
pub const EDIT_WINDOW_MINUTES: i64 = 15;
/// Maximum length of a comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 5_000;

/// The author's attendance when the comment was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum AuthorPresence {
    /// Checked in (present or late).
    Present,
    /// Marked absent (with or without reason) after the meeting opened, or the meeting has ended
    /// without their check-in.
    Absent,
    /// Before the meeting opened, or during it before checking in.
    NotCheckedIn,
}

impl AuthorPresence {
    /// Every presence.
    pub const ALL: [AuthorPresence; 3] = [AuthorPresence::Present, AuthorPresence::Absent, AuthorPresence::NotCheckedIn];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            AuthorPresence::Present => "present",
            AuthorPresence::Absent => "absent",
            AuthorPresence::NotCheckedIn => "not_checked_in",
        }
    }

    /// Parses a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// Why a comment cannot be posted, edited or hidden.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    /// The meeting does not accept opinions in its current status.
    #[error("opinions are accepted from publication until the minutes are approved")]
    Closed,
    /// The text is empty or too long.
    #[error("text: {0}")]
    Text(FieldError),
    /// Only the author may edit.
    #[error("only the author may edit a comment")]
    NotAuthor,
    /// The edit window has passed.
    #[error("comments can be edited for {EDIT_WINDOW_MINUTES} minutes")]
    EditWindowPassed,
    /// The comment is hidden.
    #[error("the comment is hidden")]
    Hidden,
    /// The parent comment belongs to another meeting or item.
    #[error("the parent comment is not in this thread")]
    BadParent,
}

impl CommentError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            CommentError::Closed => "comments_closed",
            CommentError::Text(_) => "validation_failed",
            CommentError::NotAuthor => "not_author",
            CommentError::EditWindowPassed => "edit_window_passed",
            CommentError::Hidden => "comment_hidden",
            CommentError::BadParent => "bad_parent",
        }
    }
}

/// Checks and trims a comment text.
pub fn parse_text(raw: &str) -> Result<String, CommentError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(CommentError::Text(FieldError::Empty));
    }
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(CommentError::Text(FieldError::TooLong { max: MAX_COMMENT_CHARS }));
    }
    Ok(membership::fields::normalize_text_keep_lines(text))
}

/// The author's presence for a comment written now, from the meeting status and their ledger row.
pub fn author_presence(status: MeetingStatus, row: Option<&LedgerRow>) -> AuthorPresence {
    match (status, row.map(|r| r.status)) {
        (_, Some(s)) if s.attended() => AuthorPresence::Present,
        (MeetingStatus::Draft | MeetingStatus::Published, _) => AuthorPresence::NotCheckedIn,
        (MeetingStatus::Open, None | Some(AttendanceStatus::AbsentWithoutReason)) => AuthorPresence::NotCheckedIn,
        _ => AuthorPresence::Absent,
    }
}

/// Checks that a comment may be posted on a meeting in `status`.
pub fn check_post(status: MeetingStatus) -> Result<(), CommentError> {
    if status.accepts_comments() { Ok(()) } else { Err(CommentError::Closed) }
}

/// Checks an edit by `editor` at `now` of a comment by `author` created at `created_at`.
pub fn check_edit(
    status: MeetingStatus,
    author: MemberId,
    editor: MemberId,
    created_at: DateTime<Utc>,
    hidden: bool,
    now: DateTime<Utc>,
) -> Result<(), CommentError> {
    check_post(status)?;
    if hidden {
        return Err(CommentError::Hidden);
    }
    if author != editor {
        return Err(CommentError::NotAuthor);
    }
    if now - created_at > Duration::minutes(EDIT_WINDOW_MINUTES) {
        return Err(CommentError::EditWindowPassed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::RosterRole;
    use chrono::TimeZone;

    #[test]
    fn presence_at_time_of_writing() {
        let row = |s| LedgerRow {
            member_id: MemberId::from_uuid(uuid::Uuid::from_u128(1)),
            role: RosterRole::Obliged,
            official: true,
            status: s,
            checked_in_at: None,
            reason: None,
        };
        let cases = [
            (MeetingStatus::Published, None, AuthorPresence::NotCheckedIn),
            (MeetingStatus::Open, Some(row(AttendanceStatus::AbsentWithoutReason)), AuthorPresence::NotCheckedIn),
            (MeetingStatus::Open, Some(row(AttendanceStatus::AbsentWithReason)), AuthorPresence::Absent),
            (MeetingStatus::Open, Some(row(AttendanceStatus::Late)), AuthorPresence::Present),
            (MeetingStatus::Ended, Some(row(AttendanceStatus::AbsentWithoutReason)), AuthorPresence::Absent),
            (MeetingStatus::Ended, Some(row(AttendanceStatus::Present)), AuthorPresence::Present),
            (MeetingStatus::Ended, None, AuthorPresence::Absent),
        ];
        for (status, r, want) in cases {
            assert_eq!(author_presence(status, r.as_ref()), want, "{status:?} {r:?}");
        }
    }

    #[test]
    fn posting_and_editing_rules() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 5, 12, 0, 0).unwrap();
        let (a, b) = (MemberId::from_uuid(uuid::Uuid::from_u128(1)), MemberId::from_uuid(uuid::Uuid::from_u128(2)));
        assert_eq!(check_post(MeetingStatus::Draft), Err(CommentError::Closed));
        assert_eq!(check_post(MeetingStatus::MinutesApproved), Err(CommentError::Closed));
        assert_eq!(check_post(MeetingStatus::Open), Ok(()));
        assert_eq!(check_edit(MeetingStatus::Open, a, a, t0, false, t0 + Duration::minutes(15)), Ok(()));
        assert_eq!(check_edit(MeetingStatus::Open, a, a, t0, false, t0 + Duration::minutes(16)), Err(CommentError::EditWindowPassed));
        assert_eq!(check_edit(MeetingStatus::Open, a, b, t0, false, t0), Err(CommentError::NotAuthor));
        assert_eq!(check_edit(MeetingStatus::Open, a, a, t0, true, t0), Err(CommentError::Hidden));
        assert_eq!(parse_text("  "), Err(CommentError::Text(FieldError::Empty)));
        assert_eq!(parse_text(" Đồng ý \n\n với báo cáo ").unwrap(), "Đồng ý\n\nvới báo cáo");
    }
}
