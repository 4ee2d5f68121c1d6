//! Opinions (*ý kiến*) on a meeting or one of its agenda items: reading them, posting (members of
//! the cell, guests on the roster and the cell's leaders, absent members included and marked),
//! editing one's own within the window, and hiding one (audited).

use std::collections::HashMap;

use meetings::comments::{self, CommentError};
use meetings::{AgendaItemId, CommentId, MeetingId};
use membership::MemberId;
use membership::permission::{Action, Actor};
use storage::StoreError;
use storage::meetings::CommentRecord;
use uuid::Uuid;

use super::{ViewMeetingError, visible_meeting};
use crate::audit::{self, Requester};
use crate::{Ctx, allowed};

/// Opinions with their authors' names, and whether the reader is one of the cell's leaders (who
/// see hidden text and reasons).
#[derive(Debug, Clone)]
pub struct Opinions {
    /// The opinions, oldest first.
    pub comments: Vec<CommentRecord>,
    /// Names of their authors.
    pub names: HashMap<MemberId, String>,
    /// The reader is a leader of the cell.
    pub leader: bool,
}

/// Why an opinion cannot be posted, edited or hidden.
#[derive(Debug, thiserror::Error)]
pub enum CommentsError<E> {
    /// The caller may not see the meeting, is not of the cell, or may not moderate.
    #[error("not permitted")]
    Forbidden,
    /// The domain refuses (closed, window passed, hidden, bad text or parent, not the author).
    #[error(transparent)]
    Comment(CommentError),
    /// The agenda item named is not an item of the meeting.
    #[error("not an item of this meeting")]
    AgendaItemNotFound,
    /// The request itself was refused by the caller's parser.
    #[error("the request was refused")]
    Request(E),
    /// Storage (a missing meeting or comment is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<E> From<ViewMeetingError> for CommentsError<E> {
    fn from(e: ViewMeetingError) -> Self {
        match e {
            ViewMeetingError::Forbidden => CommentsError::Forbidden,
            ViewMeetingError::Store(e) => CommentsError::Store(e),
        }
    }
}

/// The opinions of a meeting (anyone who may see the meeting).
pub async fn list(ctx: &Ctx, actor: &Actor, id: MeetingId) -> Result<Opinions, ViewMeetingError> {
    let (meeting, access) = visible_meeting(ctx, actor, id).await?;
    let leader = access.manage || allowed(ctx, actor, Action::ViewMemberPrivate, &access.path);
    let comments = storage::meetings::comments_of(ctx.db.conn(), meeting.id).await?;
    let mut authors: Vec<MemberId> = comments.iter().map(|c| c.author_id).collect();
    authors.sort();
    authors.dedup();
    let names =
        storage::members::get_many(ctx.db.conn(), &authors).await?.into_iter().map(|m| (m.id, m.full_name.as_str().to_string())).collect();
    Ok(Opinions { comments, names, leader })
}

/// A new opinion as the caller sent it.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// Text (checked here).
    pub body: String,
    /// The agenda item it is about.
    pub agenda_item_id: Option<Uuid>,
    /// The opinion it answers.
    pub parent_id: Option<Uuid>,
}

/// Posts an opinion from publication until the minutes are approved; the author's attendance at
/// the time is recorded with it. Returns it as the single-opinion [`Opinions`].
pub async fn post<E>(ctx: &Ctx, actor: &Actor, id: MeetingId, new: NewComment) -> Result<Opinions, CommentsError<E>> {
    let now = ctx.clock.now();
    let (meeting, access) = visible_meeting(ctx, actor, id).await?;
    let author = actor.member_id.ok_or(CommentsError::Forbidden)?;
    let row = storage::meetings::ledger_row(ctx.db.conn(), meeting.id, author).await?;
    let member = storage::members::get(ctx.db.conn(), author).await?;
    let belongs = member.state.home_unit == meeting.unit_id || member.state.temporary_host == Some(meeting.unit_id) || row.is_some();
    if !(belongs || access.manage) {
        return Err(CommentsError::Forbidden);
    }
    comments::check_post(meeting.status).map_err(CommentsError::Comment)?;
    let text = comments::parse_text(&new.body).map_err(CommentsError::Comment)?;
    let agenda_item_id = match new.agenda_item_id {
        Some(item) => {
            let agenda = storage::meetings::agenda(ctx.db.conn(), meeting.id).await?;
            if !agenda.iter().any(|a| a.id.as_uuid() == item) {
                return Err(CommentsError::AgendaItemNotFound);
            }
            Some(AgendaItemId::from_uuid(item))
        }
        None => None,
    };
    let parent_id = match new.parent_id {
        Some(p) => {
            let parent = storage::meetings::get_comment(ctx.db.conn(), CommentId::from_uuid(p))
                .await
                .map_err(|_| CommentsError::Comment(CommentError::BadParent))?;
            if parent.meeting_id != meeting.id {
                return Err(CommentsError::Comment(CommentError::BadParent));
            }
            Some(parent.id)
        }
        None => None,
    };
    let record = CommentRecord {
        id: CommentId::from_uuid(Uuid::now_v7()),
        meeting_id: meeting.id,
        agenda_item_id,
        parent_id,
        author_id: author,
        author_presence: comments::author_presence(meeting.status, row.as_ref()),
        body: text,
        created_at: now,
        edited_at: None,
        hidden_at: None,
        hidden_by: None,
        hidden_reason: None,
    };
    storage::meetings::insert_comment(ctx.db.conn(), &record).await?;
    let names = HashMap::from([(author, member.full_name.as_str().to_string())]);
    Ok(Opinions { comments: vec![record], names, leader: access.manage })
}

/// Edits one's own opinion within the window (the previous text is kept). Returns it as the
/// single-opinion [`Opinions`].
pub async fn edit<E>(ctx: &Ctx, actor: &Actor, id: CommentId, body: &str) -> Result<Opinions, CommentsError<E>> {
    let now = ctx.clock.now();
    let mut comment = storage::meetings::get_comment(ctx.db.conn(), id).await?;
    let (meeting, access) = visible_meeting(ctx, actor, comment.meeting_id).await?;
    let editor = actor.member_id.ok_or(CommentsError::Forbidden)?;
    comments::check_edit(meeting.status, comment.author_id, editor, comment.created_at, comment.hidden_at.is_some(), now)
        .map_err(CommentsError::Comment)?;
    let text = comments::parse_text(body).map_err(CommentsError::Comment)?;
    let tx = ctx.db.begin().await?;
    storage::meetings::edit_comment(tx.conn(), &comment, &text, now).await?;
    tx.commit().await?;
    comment.body = text;
    comment.edited_at = Some(now);
    let name = storage::members::get(ctx.db.conn(), editor).await?.full_name.as_str().to_string();
    Ok(Opinions { comments: vec![comment], names: HashMap::from([(editor, name)]), leader: access.manage })
}

/// Hides an opinion (the cell's secretary or deputy) for `reason` (the caller's parse, reported
/// once the caller is known to be allowed); it is kept, with who hid it and why, and audited.
pub async fn hide<E>(ctx: &Ctx, who: Requester<'_>, id: CommentId, reason: Result<String, E>) -> Result<(), CommentsError<E>> {
    let now = ctx.clock.now();
    let comment = storage::meetings::get_comment(ctx.db.conn(), id).await?;
    let (meeting, access) = visible_meeting(ctx, who.actor, comment.meeting_id).await?;
    if !access.manage {
        return Err(CommentsError::Forbidden);
    }
    let reason = reason.map_err(CommentsError::Request)?;
    let by = who.actor.account_id.ok_or(CommentsError::Forbidden)?;
    let tx = ctx.db.begin().await?;
    storage::meetings::hide_comment(tx.conn(), comment.id, by, &reason, now).await.map_err(|e| match e {
        StoreError::NotFound => CommentsError::Comment(CommentError::Hidden),
        other => CommentsError::Store(other),
    })?;
    audit::record(
        &tx,
        who,
        now,
        "comment.hide",
        ("comment", Some(comment.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
