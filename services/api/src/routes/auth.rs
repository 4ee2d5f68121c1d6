//! Login, logout, password change, and "who am I".

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use membership::permission::MemberView as Visibility;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use app::accounts::{ChangePasswordError, SignInError};

use crate::auth::{ClientAddr, PendingCaller};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::views::{MemberView, PositionView, UnitView};

/// Login request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username: the party-card number or the login chosen when the account was issued.
    #[schema(example = "admin")]
    pub username: String,
    /// Password.
    #[schema(example = "admin-password")]
    pub password: String,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Opaque bearer token: send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(schema_with = token_type_schema)]
    pub token_type: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When true, every endpoint except `/auth/password`, `/auth/logout` and `/me` answers 403
    /// `password_change_required` until the password is changed.
    pub must_change_password: bool,
}

fn token_type_schema() -> utoipa::openapi::schema::Object {
    crate::views::schema::code_list("Always `Bearer`.", [TOKEN_TYPE])
}

/// The type of every token this API issues.
const TOKEN_TYPE: &str = "Bearer";

/// Signs in. Wrong username, wrong password, a disabled account or a member who has left the
/// Party all give the same 401. Failures are counted per (account, client address), per address
/// and per account, in the database: an address with 5 failures on an account in 15 minutes, or
/// 30 on any accounts, gets 429 with `Retry-After` (other addresses are not affected: the owner
/// still signs in); an account with 10 or more failures from all addresses together answers
/// after a delay of 1–8 s, never refusing the right password. 503 `server_busy` with
/// `Retry-After` when the server is checking as many passwords as it can.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 429, description = "`too_many_attempts`: this address failed too often on this account, or on accounts in general; retry after `Retry-After`", body = crate::error::Problem), (status = 503, description = "`server_busy`: every password-checking turn is taken; retry after `Retry-After`", body = crate::error::Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(body): Json<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let username = body.username.trim().to_ascii_lowercase();
    let session = app::accounts::sign_in(&state.ctx(), &username, body.password, state.config.token_ttl, addr.as_deref()).await.map_err(
        |e| match e {
            SignInError::InvalidCredentials => ApiError::InvalidCredentials,
            SignInError::Throttled { retry_after } => ApiError::TooManyAttempts { retry_after },
            SignInError::Busy => ApiError::Busy { retry_after: app::accounts::BUSY_RETRY_AFTER_SECS },
            SignInError::Verify(e) => ApiError::Internal(format!("verify task: {e}")),
            SignInError::Store(e) => e.into(),
        },
    )?;
    Ok(Json(LoginResponse {
        access_token: session.token,
        token_type: TOKEN_TYPE.into(),
        expires_at: session.expires_at,
        must_change_password: session.must_change_password,
    }))
}

/// Signs out: revokes the token used for this request.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem)))]
pub async fn logout(State(state): State<AppState>, caller: PendingCaller) -> ApiResult<StatusCode> {
    app::accounts::sign_out(&state.ctx(), caller.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signs out everywhere: revokes every session of the account, this one included, and the
/// member's calendar feed token (`POST /me/calendar-token` makes a new one).
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem)))]
pub async fn logout_all(State(state): State<AppState>, caller: PendingCaller) -> ApiResult<StatusCode> {
    app::accounts::sign_out_everywhere(&state.ctx(), &caller.account).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Password change request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    /// The current (or initial) password.
    pub current_password: String,
    /// The new password: 8–128 characters, not only digits, not the username.
    #[schema(schema_with = new_password_schema)]
    pub new_password: String,
}

fn new_password_schema() -> utoipa::openapi::schema::Object {
    crate::routes::accounts::new_password("The new password").build()
}

/// Changes the caller's password; the account's other sessions and the member's calendar feed
/// token are revoked. After 5 wrong current passwords in 15 minutes the change is refused (429
/// with `Retry-After`) until the window closes.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])), request_body = PasswordRequest,
    responses((status = 204), (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 429, description = "`too_many_attempts`: too many wrong current passwords; retry after `Retry-After`", body = crate::error::Problem), (status = 503, description = "`server_busy`: every password-hashing turn is taken; retry after `Retry-After`", body = crate::error::Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: PendingCaller,
    Json(body): Json<PasswordRequest>,
) -> ApiResult<StatusCode> {
    app::accounts::change_password(&state.ctx(), &caller.account, caller.session_id, body.current_password, body.new_password)
        .await
        .map_err(|e| match e {
            ChangePasswordError::Weak(e) => ApiError::Rule { code: "weak_password", detail: e.to_string() },
            ChangePasswordError::Unchanged => {
                ApiError::Rule { code: "weak_password", detail: "the new password must differ from the current one".into() }
            }
            ChangePasswordError::WrongPassword => ApiError::Rule { code: "wrong_password", detail: "the current password is wrong".into() },
            ChangePasswordError::Throttled { retry_after } => ApiError::TooManyAttempts { retry_after },
            ChangePasswordError::Busy => ApiError::Busy { retry_after: app::accounts::BUSY_RETRY_AFTER_SECS },
            ChangePasswordError::Hash(e) => ApiError::Internal(e.to_string()),
            ChangePasswordError::Store(e) => e.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// Id.
    pub id: Uuid,
    /// Username.
    pub username: String,
    /// Whether the initial password must still be changed.
    pub must_change_password: bool,
}

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    /// The account.
    pub account: AccountView,
    /// The caller's own member record (full view), if the account belongs to a member.
    pub member: Option<MemberView>,
    /// Positions active today.
    pub positions: Vec<PositionView>,
    /// Units whose subtrees the account administers.
    pub admin_units: Vec<UnitView>,
}

/// The caller's account, member record and active positions. Allowed before the initial
/// password is changed.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = crate::error::Problem)))]
pub async fn me(State(state): State<AppState>, caller: PendingCaller) -> ApiResult<axum::Json<MeResponse>> {
    let me = app::accounts::whoami(&state.ctx(), &caller.account).await?;
    let positions: Vec<PositionView> = me.positions.iter().map(PositionView::from).collect();
    Ok(axum::Json(MeResponse {
        account: AccountView {
            id: caller.account.id.as_uuid(),
            username: caller.account.username.clone(),
            must_change_password: caller.account.must_change_password,
        },
        member: me.member.as_ref().map(|m| MemberView::new(m, Visibility::Full, positions.clone())),
        positions,
        admin_units: me.admin_units.iter().map(UnitView::from).collect(),
    }))
}
