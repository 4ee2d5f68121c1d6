//! Minutes, their approval, motions and votes, and the members' ratings of a meeting.
//!
//! The approval moves the meeting through the domain's [`Meeting`](meetings::lifecycle::Meeting)
//! transition; minutes, motions and ratings are saved with their audit records in one
//! transaction.

use meetings::attendance::LedgerRow;
use meetings::lifecycle::{InvalidTransition, MeetingStatus};
use meetings::minutes::{self, Minutes, MinutesError, Tally, Vote, VoteError};
use meetings::{MeetingId, MotionId};
use membership::permission::{Action, Actor};
use storage::StoreError;
use storage::meetings::{AgendaRecord, MeetingRecord, MotionRecord};
use uuid::Uuid;

use super::{ViewMeetingError, apply, state_of, visible_meeting};
use crate::audit::{self, Requester};
use crate::{Ctx, allowed};

/// Why minutes, a motion, a vote or a rating cannot be recorded or read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError<E> {
    /// The caller may not see the meeting, manage it, or (rating) is not on its roster.
    #[error("not permitted")]
    Forbidden,
    /// The request itself was refused by the caller's parser.
    #[error("the request was refused")]
    Request(E),
    /// The lifecycle refuses the approval.
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    /// The minutes can no longer be changed in this status.
    #[error("minutes of a {} meeting cannot be changed", .0.code())]
    MinutesLocked(MeetingStatus),
    /// Motions are recorded only while the meeting is open or ended.
    #[error("motions are recorded while the meeting is open or ended")]
    MotionsClosed,
    /// Voting is closed.
    #[error("voting is closed")]
    VotingClosed,
    /// The minutes are refused.
    #[error(transparent)]
    Minutes(MinutesError),
    /// The minutes must be written before they are approved.
    #[error("write the minutes before approving them")]
    MinutesMissing,
    /// The counts of a motion are refused.
    #[error(transparent)]
    Tally(VoteError),
    /// The motion is voted by count, not by ballot.
    #[error("this motion is voted by count")]
    VotedByCount,
    /// Only members present at the meeting may vote.
    #[error("only members present at the meeting may vote")]
    NotPresent,
    /// The member has already voted on this motion.
    #[error("the member has already voted on this motion")]
    AlreadyVoted,
    /// A meeting is rated after it ends.
    #[error("a meeting is rated after it ends")]
    NotEnded,
    /// The member has already rated the meeting.
    #[error("the meeting has already been rated by this member")]
    AlreadyRated,
    /// Storage (a missing meeting or motion is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<E> From<ViewMeetingError> for RecordError<E> {
    fn from(e: ViewMeetingError) -> Self {
        match e {
            ViewMeetingError::Forbidden => RecordError::Forbidden,
            ViewMeetingError::Store(e) => RecordError::Store(e),
        }
    }
}

async fn managed<E>(ctx: &Ctx, actor: &Actor, id: MeetingId) -> Result<MeetingRecord, RecordError<E>> {
    let (meeting, access) = visible_meeting(ctx, actor, id).await?;
    if access.manage { Ok(meeting) } else { Err(RecordError::Forbidden) }
}

/// Members who attended (present or late).
pub fn attended_count(ledger: &[LedgerRow]) -> u32 {
    u32::try_from(ledger.iter().filter(|r| r.status.attended()).count()).unwrap_or(u32::MAX)
}

/// Writes the minutes (the cell's secretary or deputy; open or ended meetings, until approved);
/// chair and minutes-taker must have attended. Returns the meeting with its agenda.
pub async fn write<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: MeetingId,
    m: Minutes,
) -> Result<(MeetingRecord, Vec<AgendaRecord>), RecordError<E>> {
    let now = ctx.clock.now();
    let mut meeting = managed(ctx, who.actor, id).await?;
    if !meeting.status.minutes_editable() {
        return Err(RecordError::MinutesLocked(meeting.status));
    }
    let ledger = storage::meetings::ledger(ctx.db.conn(), meeting.id).await?;
    minutes::check_minutes(&m, |who| ledger.iter().any(|r| r.member_id == who && r.status.attended())).map_err(RecordError::Minutes)?;
    let version = meeting.version;
    meeting.minutes = Some(m);
    meeting.updated_at = now;
    let tx = ctx.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    audit::record(&tx, who, now, "meeting.minutes", ("meeting", Some(meeting.id.as_uuid())), Some(meeting.unit_id), serde_json::json!({}))
        .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    let agenda = storage::meetings::agenda(ctx.db.conn(), meeting.id).await?;
    Ok((meeting, agenda))
}

/// Approves the minutes: minutes, ledger and opinions are locked. Returns the meeting with its
/// agenda.
pub async fn approve<E>(ctx: &Ctx, who: Requester<'_>, id: MeetingId) -> Result<(MeetingRecord, Vec<AgendaRecord>), RecordError<E>> {
    let now = ctx.clock.now();
    let mut meeting = managed(ctx, who.actor, id).await?;
    let next = state_of(&meeting).approve_minutes(now)?;
    minutes::check_approvable(meeting.minutes.as_ref()).map_err(|_| RecordError::MinutesMissing)?;
    let version = meeting.version;
    apply(&mut meeting, next, now);
    let tx = ctx.db.begin().await?;
    storage::meetings::update(tx.conn(), &meeting, version).await?;
    audit::record(
        &tx,
        who,
        now,
        "meeting.approve_minutes",
        ("meeting", Some(meeting.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    meeting.version = version + 1;
    let agenda = storage::meetings::agenda(ctx.db.conn(), meeting.id).await?;
    Ok((meeting, agenda))
}

/// A motion as parsed by the caller.
#[derive(Debug, Clone)]
pub struct NewMotion {
    /// What is voted on.
    pub title: String,
    /// Per-member ballots.
    pub by_ballot: bool,
    /// Counts (zero with ballots).
    pub tally: Tally,
}

/// A motion with the number of members who attended (for its adoption).
#[derive(Debug, Clone)]
pub struct CountedMotion {
    /// The motion.
    pub motion: MotionRecord,
    /// Members who attended the meeting.
    pub attended: u32,
}

/// Adds a motion (the cell's secretary or deputy; open or ended meetings); `input` is the caller's
/// parse, reported once the caller is known to be allowed and the meeting to take motions.
pub async fn add_motion<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    id: MeetingId,
    input: Result<NewMotion, E>,
) -> Result<CountedMotion, RecordError<E>> {
    let now = ctx.clock.now();
    let meeting = managed(ctx, who.actor, id).await?;
    if !meeting.status.minutes_editable() {
        return Err(RecordError::MotionsClosed);
    }
    let new = input.map_err(RecordError::Request)?;
    let ledger = storage::meetings::ledger(ctx.db.conn(), meeting.id).await?;
    let attended = attended_count(&ledger);
    minutes::check_tally(&new.tally, attended).map_err(RecordError::Tally)?;
    let motion = MotionRecord {
        id: MotionId::from_uuid(Uuid::now_v7()),
        meeting_id: meeting.id,
        title: new.title,
        by_ballot: new.by_ballot,
        tally: new.tally,
        created_at: now,
    };
    let tx = ctx.db.begin().await?;
    storage::meetings::insert_motion(tx.conn(), &motion).await?;
    audit::record(
        &tx,
        who,
        now,
        "meeting.motion",
        ("motion", Some(motion.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"title": motion.title}),
    )
    .await?;
    tx.commit().await?;
    Ok(CountedMotion { motion, attended })
}

/// Casts the caller's ballot on a motion voted by ballot (members who attended; once); `vote` is
/// the caller's parse, reported once the caller is known to see the meeting.
pub async fn vote<E>(ctx: &Ctx, actor: &Actor, id: MotionId, vote: Result<Vote, E>) -> Result<CountedMotion, RecordError<E>> {
    let now = ctx.clock.now();
    let mut motion = storage::meetings::get_motion(ctx.db.conn(), id).await?;
    let (meeting, _) = visible_meeting(ctx, actor, motion.meeting_id).await?;
    let member = actor.member_id.ok_or(RecordError::Forbidden)?;
    let vote = vote.map_err(RecordError::Request)?;
    if !motion.by_ballot {
        return Err(RecordError::VotedByCount);
    }
    if !meeting.status.minutes_editable() {
        return Err(RecordError::VotingClosed);
    }
    let ledger = storage::meetings::ledger(ctx.db.conn(), meeting.id).await?;
    if !ledger.iter().any(|r| r.member_id == member && r.status.attended()) {
        return Err(RecordError::NotPresent);
    }
    let tx = ctx.db.begin().await?;
    motion.tally = storage::meetings::cast_ballot(tx.conn(), motion.id, member, vote, now).await.map_err(|e| match e {
        StoreError::Conflict { .. } => RecordError::AlreadyVoted,
        other => RecordError::Store(other),
    })?;
    tx.commit().await?;
    Ok(CountedMotion { motion, attended: attended_count(&ledger) })
}

/// The motions of a meeting (anyone who may see it) and the number of members who attended.
pub async fn motions(ctx: &Ctx, actor: &Actor, id: MeetingId) -> Result<(Vec<MotionRecord>, u32), ViewMeetingError> {
    let (meeting, _) = visible_meeting(ctx, actor, id).await?;
    let ledger = storage::meetings::ledger(ctx.db.conn(), meeting.id).await?;
    let motions = storage::meetings::motions_of(ctx.db.conn(), meeting.id).await?;
    Ok((motions, attended_count(&ledger)))
}

/// Rates a meeting once, after it ended (members on its roster); `scores` (preparation, content,
/// discussion) is the caller's parse, reported once the caller may rate.
pub async fn rate<E>(ctx: &Ctx, actor: &Actor, id: MeetingId, scores: Result<[u8; 3], E>) -> Result<(), RecordError<E>> {
    let now = ctx.clock.now();
    let (meeting, _) = visible_meeting(ctx, actor, id).await?;
    let member = actor.member_id.ok_or(RecordError::Forbidden)?;
    if storage::meetings::ledger_row(ctx.db.conn(), meeting.id, member).await?.is_none() {
        return Err(RecordError::Forbidden);
    }
    if !meeting.status.has_ended() {
        return Err(RecordError::NotEnded);
    }
    let scores = scores.map_err(RecordError::Request)?;
    storage::meetings::insert_rating(ctx.db.conn(), meeting.id, member, scores, now).await.map_err(|e| match e {
        StoreError::Conflict { .. } => RecordError::AlreadyRated,
        other => RecordError::Store(other),
    })
}

/// The number of ratings and the averages (preparation, content, discussion): the cell's
/// leaders and above.
pub async fn ratings(ctx: &Ctx, actor: &Actor, id: MeetingId) -> Result<(u32, [f64; 3]), ViewMeetingError> {
    let (meeting, access) = visible_meeting(ctx, actor, id).await?;
    if !allowed(ctx, actor, Action::ViewMemberPrivate, &access.path) {
        return Err(ViewMeetingError::Forbidden);
    }
    Ok(storage::meetings::rating_summary(ctx.db.conn(), meeting.id).await?)
}
