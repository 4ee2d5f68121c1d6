//! Issuing login accounts to members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use membership::MemberId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder};
use uuid::Uuid;

use app::accounts::IssueAccountError;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::state::AppState;
use crate::views::schema::{USERNAME_PATTERN, nullable_text, text};

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    /// Login name, 3–64 of `a-z 0-9 . _ -`; default: the member's party-card number.
    #[schema(schema_with = username_schema)]
    pub username: Option<String>,
    /// Initial password (8–128 characters); the member must change it at first login.
    #[schema(schema_with = initial_password_schema)]
    pub initial_password: String,
}

fn username_schema() -> Object {
    let (min, max) = (membership::Username::MIN, membership::Username::MAX);
    nullable_text(min, max)
        .pattern(Some(USERNAME_PATTERN))
        .description(Some(format!(
            "Login name, {min}–{max} of `a-z 0-9 . _ -` (stored lower-case); all digits only when it is the member's own \
             party-card number. Default: the member's party-card number."
        )))
        .examples(["an.nguyen"])
        .build()
}

/// The schema of a new password: the length [`app::accounts::check_password_policy`] checks.
pub(crate) fn new_password(what: &str) -> ObjectBuilder {
    let (min, max) = (app::accounts::PASSWORD_MIN_CHARS, app::accounts::PASSWORD_MAX_CHARS);
    text(min, max).description(Some(format!("{what}: {min}–{max} characters, not only digits, not the username.")))
}

fn initial_password_schema() -> Object {
    new_password("Initial password; the member must change it at first login").examples(["Khoi-tao-2026"]).build()
}

/// The issued account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountCreated {
    /// Account id.
    pub account_id: Uuid,
    /// The member.
    pub member_id: Uuid,
    /// Login name.
    pub username: String,
    /// Always true for issued accounts.
    pub must_change_password: bool,
}

/// Issues an account to a member (secretaries/deputies over the member's cell, and
/// administrators). One account per member; usernames are unique.
#[utoipa::path(post, path = "/api/v1/members/{id}/account", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Member id")), request_body = CreateAccount,
    responses((status = 201, body = AccountCreated), (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "`forbidden`: no right over the member's cell; `acting_on_self`: on oneself; `acting_on_superior`: the member holds a position the caller may not appoint to"), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 503, description = "`server_busy`: every password-hashing turn is taken; retry after `Retry-After`", body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateAccount>,
) -> ApiResult<impl IntoResponse> {
    let who = app::audit::Requester { actor: &caller.actor, client_addr: caller.addr.as_deref() };
    let account =
        app::accounts::issue_account(&state.ctx(), who, MemberId::from_uuid(id), body.username.as_deref(), &body.initial_password)
            .await
            .map_err(|e| match e {
                IssueAccountError::Forbidden => ApiError::Forbidden,
                IssueAccountError::Refused(e) => e.into(),
                IssueAccountError::MemberNotActive => {
                    ApiError::Conflict { code: "member_not_active", detail: "the member is no longer active".into() }
                }
                IssueAccountError::UsernameMissing => {
                    ApiError::field("username", "missing", "required when the member has no party-card number")
                }
                IssueAccountError::UsernameInvalid(e) => ApiError::field("username", e.code(), e.to_string()),
                IssueAccountError::UsernameReserved => {
                    ApiError::field("username", "reserved", "an all-digit username must be the member's own party-card number")
                }
                IssueAccountError::WeakPassword(_) => {
                    ApiError::field("initial_password", "weak_password", "8–128 characters, not only digits, not the username")
                }
                IssueAccountError::AccountExists => {
                    ApiError::Conflict { code: "account_exists", detail: "the member already has an account".into() }
                }
                IssueAccountError::UsernameTaken => ApiError::Conflict { code: "username_taken", detail: "the username is taken".into() },
                IssueAccountError::Busy => ApiError::Busy { retry_after: app::accounts::BUSY_RETRY_AFTER_SECS },
                IssueAccountError::Hash(e) => ApiError::Internal(e.to_string()),
                IssueAccountError::Store(e) => e.into(),
            })?;
    Ok((
        StatusCode::CREATED,
        axum::Json(AccountCreated {
            account_id: account.id.as_uuid(),
            member_id: id,
            username: account.username,
            must_change_password: true,
        }),
    ))
}
