//! Login, logout, password change, and "who am I".

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use membership::Username;
use membership::permission::MemberView as Visibility;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{ClientAddr, PendingCaller, check_password_policy, hash_password, new_token, token_hash, verify_password};
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
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When true, every endpoint except `/auth/password`, `/auth/logout` and `/me` answers 403
    /// `password_change_required` until the password is changed.
    pub must_change_password: bool,
}

/// Signs in. Wrong username, wrong password, a disabled account or a member who has left the
/// Party all give the same 401; too many failures per username
/// or per client address give 429 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(body): Json<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let username = body.username.trim().to_ascii_lowercase();
    if let Err(retry_after) = state.limiter.attempt(&username, addr.as_deref()) {
        return Err(ApiError::TooManyAttempts { retry_after });
    }
    let account = match Username::parse(&username) {
        Ok(u) => storage::accounts::find_by_username(state.db.conn(), u.as_str()).await?,
        Err(_) => None,
    };
    let password = body.password;
    let (account, ok) = {
        let hash = account.as_ref().map_or_else(|| state.dummy_hash.as_str().to_string(), |a| a.password_hash.clone());
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|e| ApiError::Internal(format!("verify task: {e}")))?;
        (account, ok)
    };
    // Members who have left the Party (removed, expelled, deceased) can no longer sign in.
    let member_active = match account.as_ref().and_then(|a| a.member_id) {
        Some(member) => storage::members::get(state.db.conn(), member).await?.state.standing.is_active(),
        None => true,
    };
    let account = match account {
        Some(a) if ok && !a.disabled && member_active => a,
        _ => return Err(ApiError::InvalidCredentials),
    };
    state.limiter.succeed(&username, addr.as_deref());
    let now = state.clock.now();
    let token = new_token();
    let expires_at = now + state.config.token_ttl;
    storage::accounts::insert_session(
        state.db.conn(),
        &storage::accounts::SessionRecord {
            id: Uuid::now_v7(),
            account_id: account.id,
            token_hash: token_hash(&token),
            created_at: now,
            expires_at,
            client_addr: addr,
        },
    )
    .await?;
    Ok(Json(LoginResponse {
        access_token: token,
        token_type: "Bearer".into(),
        expires_at,
        must_change_password: account.must_change_password,
    }))
}

/// Signs out: revokes the token used for this request.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem)))]
pub async fn logout(State(state): State<AppState>, caller: PendingCaller) -> ApiResult<StatusCode> {
    storage::accounts::revoke_session(state.db.conn(), caller.session_id, caller.now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Password change request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    /// The current (or initial) password.
    pub current_password: String,
    /// The new password: 8–128 characters, not only digits, not the username.
    pub new_password: String,
}

/// Changes the caller's password; other sessions of the account are revoked.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])), request_body = PasswordRequest,
    responses((status = 204), (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: PendingCaller,
    Json(body): Json<PasswordRequest>,
) -> ApiResult<StatusCode> {
    let key = format!("password:{}", caller.account.id);
    if let Err(retry_after) = state.limiter.attempt(&key, None) {
        return Err(ApiError::TooManyAttempts { retry_after });
    }
    check_password_policy(&body.new_password, &caller.account.username)?;
    if body.new_password == body.current_password {
        return Err(ApiError::Rule { code: "weak_password", detail: "the new password must differ from the current one".into() });
    }
    let stored = caller.account.password_hash.clone();
    let current = body.current_password;
    let new = body.new_password;
    let (ok, hash) = tokio::task::spawn_blocking(move || (verify_password(&current, &stored), hash_password(&new)))
        .await
        .map_err(|e| ApiError::Internal(format!("hash task: {e}")))?;
    if !ok {
        return Err(ApiError::Rule { code: "wrong_password", detail: "the current password is wrong".into() });
    }
    let hash = hash?;
    state.limiter.succeed(&key, None);
    let tx = state.db.begin().await?;
    storage::accounts::set_password(tx.conn(), caller.account.id, &hash, caller.now).await?;
    storage::accounts::revoke_other_sessions(tx.conn(), caller.account.id, caller.session_id, caller.now).await?;
    tx.commit().await?;
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
    let conn = state.db.conn();
    let today = membership::time::local_date(caller.now);
    let scopes = storage::accounts::admin_scopes(conn, caller.account.id).await?;
    let admin_units = storage::units::get_many(conn, &scopes).await?.iter().map(UnitView::from).collect();
    let (member, positions) = match caller.account.member_id {
        Some(id) => {
            let record = storage::members::get(conn, id).await?;
            let positions: Vec<PositionView> = storage::positions::for_members(conn, &[id])
                .await?
                .iter()
                .filter(|p| p.is_active_on(today))
                .map(PositionView::from)
                .collect();
            (Some(MemberView::new(&record, Visibility::Full, positions.clone())), positions)
        }
        None => (None, Vec::new()),
    };
    Ok(axum::Json(MeResponse {
        account: AccountView {
            id: caller.account.id.as_uuid(),
            username: caller.account.username.clone(),
            must_change_password: caller.account.must_change_password,
        },
        member,
        positions,
        admin_units,
    }))
}
