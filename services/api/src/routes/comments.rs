//! Opinions (*ý kiến*) on a meeting or one of its agenda items: threaded, open from publication
//! until the minutes are approved, absent members included and marked.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use meetings::comments::{self, AuthorPresence, CommentError};
use meetings::{AgendaItemId, CommentId};
use membership::MemberId;
use membership::permission::Action;
use serde::{Deserialize, Serialize};
use storage::meetings::CommentRecord;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldIssue};
use crate::extract::{Json, Path};
use crate::routes::audit;
use crate::routes::meetings::visible_meeting;
use crate::state::AppState;

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
    #[schema(example = "absent")]
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

/// The opinions of a meeting (anyone who may see the meeting).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/comments", tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Meeting id")),
    responses((status = 200, body = CommentList), (status = 403, body = crate::error::Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<axum::Json<CommentList>> {
    let (meeting, access) = visible_meeting(&state, &caller, id).await?;
    let leader = access.manage || caller.may(Action::ViewMemberPrivate, &access.path);
    let rows = storage::meetings::comments_of(state.db.conn(), meeting.id).await?;
    let mut authors: Vec<MemberId> = rows.iter().map(|c| c.author_id).collect();
    authors.sort();
    authors.dedup();
    let names: HashMap<MemberId, String> = storage::members::get_many(state.db.conn(), &authors)
        .await?
        .into_iter()
        .map(|m| (m.id, m.full_name.as_str().to_string()))
        .collect();
    let absent_opinions =
        rows.iter().filter(|c| c.author_presence == AuthorPresence::Absent && c.hidden_at.is_none()).map(|c| c.id.as_uuid()).collect();
    Ok(axum::Json(CommentList { items: rows.iter().map(|c| view(c, &names, leader)).collect(), absent_opinions }))
}

/// A new opinion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComment {
    /// Text, 1–5,000 characters.
    #[schema(example = "Đề nghị bổ sung chỉ tiêu thu gom rác thải vào nhiệm vụ tháng này.")]
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
    let (meeting, access) = visible_meeting(&state, &caller, id).await?;
    let author = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    let row = storage::meetings::ledger_row(state.db.conn(), meeting.id, author).await?;
    let member = storage::members::get(state.db.conn(), author).await?;
    let belongs = member.state.home_unit == meeting.unit_id || member.state.temporary_host == Some(meeting.unit_id) || row.is_some();
    if !(belongs || access.manage) {
        return Err(ApiError::Forbidden);
    }
    comments::check_post(meeting.status).map_err(comment_error)?;
    let text = comments::parse_text(&body.body).map_err(comment_error)?;
    let agenda_item_id = match body.agenda_item_id {
        Some(item) => {
            let agenda = storage::meetings::agenda(state.db.conn(), meeting.id).await?;
            if !agenda.iter().any(|a| a.id.as_uuid() == item) {
                return Err(ApiError::Validation(vec![FieldIssue::new("agenda_item_id", "not_found", "not an item of this meeting")]));
            }
            Some(AgendaItemId::from_uuid(item))
        }
        None => None,
    };
    let parent_id = match body.parent_id {
        Some(p) => {
            let parent = storage::meetings::get_comment(state.db.conn(), CommentId::from_uuid(p))
                .await
                .map_err(|_| comment_error(CommentError::BadParent))?;
            if parent.meeting_id != meeting.id {
                return Err(comment_error(CommentError::BadParent));
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
        created_at: caller.now,
        edited_at: None,
        hidden_at: None,
        hidden_by: None,
        hidden_reason: None,
    };
    storage::meetings::insert_comment(state.db.conn(), &record).await?;
    let names = HashMap::from([(author, member.full_name.as_str().to_string())]);
    Ok((StatusCode::CREATED, axum::Json(view(&record, &names, access.manage))))
}

/// An edit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditComment {
    /// New text.
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
    let mut comment = storage::meetings::get_comment(state.db.conn(), CommentId::from_uuid(id)).await?;
    let (meeting, access) = visible_meeting(&state, &caller, comment.meeting_id.as_uuid()).await?;
    let editor = caller.actor.member_id.ok_or(ApiError::Forbidden)?;
    comments::check_edit(meeting.status, comment.author_id, editor, comment.created_at, comment.hidden_at.is_some(), caller.now)
        .map_err(comment_error)?;
    let text = comments::parse_text(&body.body).map_err(comment_error)?;
    let tx = state.db.begin().await?;
    storage::meetings::edit_comment(tx.conn(), &comment, &text, caller.now).await?;
    tx.commit().await?;
    comment.body = text;
    comment.edited_at = Some(caller.now);
    let name = storage::members::get(state.db.conn(), editor).await?.full_name.as_str().to_string();
    Ok(axum::Json(view(&comment, &HashMap::from([(editor, name)]), access.manage)))
}

/// Hiding an opinion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideComment {
    /// Why (1–1000 characters; audited).
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
    let comment = storage::meetings::get_comment(state.db.conn(), CommentId::from_uuid(id)).await?;
    let (meeting, access) = visible_meeting(&state, &caller, comment.meeting_id.as_uuid()).await?;
    if !access.manage {
        return Err(ApiError::Forbidden);
    }
    let reason = membership::fields::normalize_text(&body.reason);
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(ApiError::field("reason", if reason.is_empty() { "empty" } else { "too_long" }, "1 to 1000 characters"));
    }
    let tx = state.db.begin().await?;
    storage::meetings::hide_comment(tx.conn(), comment.id, caller.account.id, &reason, caller.now).await.map_err(|e| match e {
        storage::StoreError::NotFound => comment_error(CommentError::Hidden),
        other => ApiError::from(other),
    })?;
    audit(
        &tx,
        &caller,
        "comment.hide",
        ("comment", Some(comment.id.as_uuid())),
        Some(meeting.unit_id),
        serde_json::json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
