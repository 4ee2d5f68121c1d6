//! Opinions (*ý kiến*) on a meeting or one of its agenda items: threaded, open from publication
//! until the minutes are approved, absent members included and marked. Each handler calls one use
//! case of `app::meetings::comments`.

use std::collections::HashMap;

use app::audit::Requester;
use app::meetings::comments::{self as opinions, CommentsError, NewComment, Opinions};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use meetings::comments::{AuthorPresence, CommentError, MAX_COMMENT_CHARS};
use meetings::{CommentId, MeetingId};
use membership::MemberId;
use serde::{Deserialize, Serialize};
use storage::meetings::CommentRecord;
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldIssue};
use crate::extract::{Json, Path};
use crate::state::AppState;
use crate::views::schema::{AuthorPresenceCode, text};

/// Longest reason for hiding an opinion, in characters.
pub const HIDE_REASON_MAX_CHARS: usize = 1000;

fn comment_body_schema() -> Object {
    text(1, MAX_COMMENT_CHARS)
        .description(Some(format!("Text, 1–{MAX_COMMENT_CHARS} characters.")))
        .examples(["Đề nghị bổ sung chỉ tiêu thu gom rác thải vào nhiệm vụ tháng này."])
        .build()
}

fn hide_reason_schema() -> Object {
    text(1, HIDE_REASON_MAX_CHARS).description(Some(format!("Why (1–{HIDE_REASON_MAX_CHARS} characters; audited)."))).build()
}

/// An opinion.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    /// Id.
    pub id: Uuid,
    /// Meeting.
    pub meeting_id: Uuid,
    /// Agenda item (absent: on the meeting as a whole).
    pub agenda_item_id: Option<Uuid>,
    /// The comment this one answers.
    pub parent_id: Option<Uuid>,
    /// Author.
    pub author_id: Uuid,
    /// Author's name.
    pub author_name: String,
    /// The author's attendance when writing: `present`, `absent`, `not_checked_in`.
    #[schema(value_type = AuthorPresenceCode)]
    pub author_presence: String,
    /// Text (absent when hidden, except for leaders).
    pub body: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last edit (earlier versions are kept).
    pub edited_at: Option<DateTime<Utc>>,
    /// Hidden by a leader.
    pub hidden: bool,
    /// Why it was hidden (leaders only).
    pub hidden_reason: Option<String>,
}

/// Opinions of a meeting; `absent_opinions` repeats those written by members absent at the time
/// (listed separately in the minutes).
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentList {
    /// All opinions, oldest first.
    pub items: Vec<CommentView>,
    /// Ids of the opinions written by absent members.
    pub absent_opinions: Vec<Uuid>,
}

fn view(c: &CommentRecord, names: &HashMap<MemberId, String>, leader: bool) -> CommentView {
    let hidden = c.hidden_at.is_some();
    CommentView {
        id: c.id.as_uuid(),
        meeting_id: c.meeting_id.as_uuid(),
        agenda_item_id: c.agenda_item_id.map(|a| a.as_uuid()),
        parent_id: c.parent_id.map(|p| p.as_uuid()),
        author_id: c.author_id.as_uuid(),
        author_name: names.get(&c.author_id).cloned().unwrap_or_default(),
        author_presence: c.author_presence.code().into(),
        body: if hidden && !leader { None } else { Some(c.body.clone()) },
        created_at: c.created_at,
        edited_at: c.edited_at,
        hidden,
        hidden_reason: if leader { c.hidden_reason.clone() } else { None },
    }
}

fn comment_error(e: CommentError) -> ApiError {
    match e {
        CommentError::Text(err) => ApiError::field("body", err.code(), err.to_string()),
        CommentError::BadParent => ApiError::field("parent_id", "bad_parent", e.to_string()),
        CommentError::NotAuthor => ApiError::Forbidden,
        CommentError::Closed | CommentError::EditWindowPassed | CommentError::Hidden => {
            ApiError::Conflict { code: e.code(), detail: e.to_string() }
        }
    }
}

fn comments_error(e: CommentsError<ApiError>) -> ApiError {
    match e {
        CommentsError::Forbidden => ApiError::Forbidden,
        CommentsError::Comment(e) => comment_error(e),
        CommentsError::AgendaItemNotFound => {
            ApiError::Validation(vec![FieldIssue::new("agenda_item_id", "not_found", "not an item of this meeting")])
        }
        CommentsError::Request(e) => e,
        CommentsError::Store(e) => ApiError::from(e),
    }
}

/// The one opinion a post or an edit returns.
fn single(o: &Opinions) -> ApiResult<CommentView> {
    o.comments.first().map(|c| view(c, &o.names, o.leader)).ok_or(ApiError::NotFound)
}

/// The opinions of a meeting (anyone who may see the meeting).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/comments", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = CommentList), (status = 403, body = crate::error::Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<CommentList>> {
    let o = opinions::list(&state.ctx(), &caller.actor, MeetingId::from_uuid(id)).await?;
    let absent_opinions = o
        .comments
        .iter()
        .filter(|c| c.author_presence == AuthorPresence::Absent && c.hidden_at.is_none())
        .map(|c| c.id.as_uuid())
        .collect();
    Ok(axum::Json(CommentList { items: o.comments.iter().map(|c| view(c, &o.names, o.leader)).collect(), absent_opinions }))
}

/// A new opinion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComment {
    /// Text, 1–5,000 characters.
    #[schema(schema_with = comment_body_schema)]
    pub body: String,
    /// The agenda item it is about (absent: the meeting as a whole).
    pub agenda_item_id: Option<Uuid>,
    /// The opinion it answers.
    pub parent_id: Option<Uuid>,
}

/// Posts an opinion (members of the cell, guests on the roster, and the cell's leaders), from
/// publication until the minutes are approved — absent members too.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/comments", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")), request_body = CreateComment,
    responses((status = 201, body = CommentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateComment>,
) -> ApiResult<impl IntoResponse> {
    let new = NewComment { body: body.body, agenda_item_id: body.agenda_item_id, parent_id: body.parent_id };
    let o = opinions::post(&state.ctx(), &caller.actor, MeetingId::from_uuid(id), new).await.map_err(comments_error)?;
    Ok((StatusCode::CREATED, axum::Json(single(&o)?)))
}

/// An edit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditComment {
    /// New text.
    #[schema(schema_with = comment_body_schema)]
    pub body: String,
}

/// Edits one's own opinion within 15 minutes of posting (the previous text is kept).
#[utoipa::path(patch, path = "/api/v1/comments/{id}", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Comment id")), request_body = EditComment,
    responses((status = 200, body = CommentView), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<EditComment>,
) -> ApiResult<axum::Json<CommentView>> {
    let o = opinions::edit(&state.ctx(), &caller.actor, CommentId::from_uuid(id), &body.body).await.map_err(comments_error)?;
    Ok(axum::Json(single(&o)?))
}

/// Hiding an opinion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideComment {
    /// Why (1–1000 characters; audited).
    #[schema(schema_with = hide_reason_schema)]
    pub reason: String,
}

/// Hides an opinion (the cell's secretary or deputy); it is kept, with who hid it and why.
#[utoipa::path(post, path = "/api/v1/comments/{id}/hide", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Comment id")), request_body = HideComment,
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn hide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<HideComment>,
) -> ApiResult<StatusCode> {
    let reason = membership::fields::normalize_text(&body.reason);
    let reason = if reason.is_empty() || reason.chars().count() > HIDE_REASON_MAX_CHARS {
        Err(ApiError::field(
            "reason",
            if reason.is_empty() { "empty" } else { "too_long" },
            format!("1 to {HIDE_REASON_MAX_CHARS} characters"),
        ))
    } else {
        Ok(reason)
    };
    let who = Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    opinions::hide(&state.ctx(), who, CommentId::from_uuid(id), reason).await.map_err(comments_error)?;
    Ok(StatusCode::NO_CONTENT)
}
