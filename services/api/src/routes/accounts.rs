//! Issuing login accounts to members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use membership::permission::Action;
use membership::{AccountId, MemberId, Username};
use serde::{Deserialize, Serialize};
use storage::accounts::AccountRecord;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Caller, check_password_policy, hash_password};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::routes::audit;
use crate::state::AppState;

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    /// Login name, 3–64 of `a-z 0-9 . _ -`; default: the member's party-card number.
    #[schema(example = "an.nguyen")]
    pub username: Option<String>,
    /// Initial password (8–128 characters); the member must change it at first login.
    #[schema(example = "Khoi-tao-2026")]
    pub initial_password: String,
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
    responses((status = 201, body = AccountCreated), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateAccount>,
) -> ApiResult<impl IntoResponse> {
    let member = storage::members::get(state.db.conn(), MemberId::from_uuid(id)).await?;
    let path = storage::units::path(state.db.conn(), member.state.home_unit).await?;
    caller.require(Action::ManageAccounts, &path)?;
    // An account carries the member's positions: issuing one needs the same right over every unit
    // where the member holds a position (a cell secretary cannot set the password of the commune
    // secretary who belongs to the cell).
    let today = caller.today();
    for p in storage::positions::for_members(state.db.conn(), &[member.id]).await?.iter().filter(|p| p.is_active_on(today)) {
        let unit_path = storage::units::path(state.db.conn(), p.unit_id).await?;
        caller.require(Action::ManageAccounts, &unit_path)?;
    }
    if !member.state.standing.is_active() {
        return Err(ApiError::Conflict { code: "member_not_active", detail: "the member is no longer active".into() });
    }
    let raw = match (&body.username, &member.party_card_number) {
        (Some(u), _) => u.clone(),
        (None, Some(card)) => card.as_str().to_string(),
        (None, None) => {
            return Err(ApiError::field("username", "missing", "required when the member has no party-card number"));
        }
    };
    let username = Username::parse(&raw).map_err(|e| ApiError::field("username", e.code(), e.to_string()))?;
    // A party-card number as a login belongs to that card's holder only.
    if username.as_str().chars().all(|c| c.is_ascii_digit())
        && member.party_card_number.as_ref().map(|c| c.as_str()) != Some(username.as_str())
    {
        return Err(ApiError::field("username", "reserved", "an all-digit username must be the member's own party-card number"));
    }
    check_password_policy(&body.initial_password, username.as_str())
        .map_err(|_| ApiError::field("initial_password", "weak_password", "8–128 characters, not only digits, not the username"))?;
    if storage::accounts::for_member(state.db.conn(), member.id).await?.is_some() {
        return Err(ApiError::Conflict { code: "account_exists", detail: "the member already has an account".into() });
    }
    let password = body.initial_password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(format!("hash task: {e}")))??;
    let account = AccountRecord {
        id: AccountId::from_uuid(Uuid::now_v7()),
        member_id: Some(member.id),
        username: username.as_str().to_string(),
        password_hash: hash,
        must_change_password: true,
        disabled: false,
        created_at: caller.now,
    };
    let tx = state.db.begin().await?;
    storage::accounts::insert(tx.conn(), &account).await.map_err(|e| match e {
        storage::StoreError::Conflict { constraint: storage::Constraint::Username } => {
            ApiError::Conflict { code: "username_taken", detail: "the username is taken".into() }
        }
        storage::StoreError::Conflict { constraint: storage::Constraint::AccountOfMember } => {
            ApiError::Conflict { code: "account_exists", detail: "the member already has an account".into() }
        }
        other => ApiError::from(other),
    })?;
    audit(
        &tx,
        &caller,
        "account.create",
        ("account", Some(account.id.as_uuid())),
        Some(member.state.home_unit),
        serde_json::json!({"member_id": member.id.as_uuid(), "username": account.username}),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(AccountCreated {
            account_id: account.id.as_uuid(),
            member_id: member.id.as_uuid(),
            username: account.username,
            must_change_password: true,
        }),
    ))
}
