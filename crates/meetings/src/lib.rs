//! # meetings — cell meetings (*sinh hoạt chi bộ*)
//!
//! The rules of a Party cell's meetings, following Hướng dẫn 12-HD/BTCTW and practice: kinds of
//! meeting and the one-regular-meeting-a-month rule ([`lifecycle`]), the lifecycle from draft to
//! an acknowledged report, content checks (duration, late publication) and the standard agenda
//! ([`content`]), who must attend ([`roster`]), the attendance ledger, its figures and absence
//! flags ([`attendance`]), opinions ([`comments`]), minutes and votes ([`minutes`]), ratings and
//! the report to the superior unit ([`report`]).
//!
//! What it leaves to callers: storage, the clock (`now` comes in), new ids, and loading the
//! roster candidates and ledgers it decides over.
//!
//! ```
//! use meetings::lifecycle::{MeetingStatus, Transition, transition};
//! assert_eq!(transition(MeetingStatus::Draft, Transition::Publish), Ok(MeetingStatus::Published));
//! assert!(transition(MeetingStatus::Draft, Transition::Open).is_err());
//! ```

pub mod attendance;
pub mod comments;
pub mod content;
pub mod lifecycle;
pub mod minutes;
pub mod report;
pub mod roster;

membership::id_type!(
    /// A meeting.
    MeetingId
);
membership::id_type!(
    /// An agenda item.
    AgendaItemId
);
membership::id_type!(
    /// A comment (opinion).
    CommentId
);
membership::id_type!(
    /// A motion put to the vote.
    MotionId
);
membership::id_type!(
    /// A report to the superior unit.
    ReportId
);
