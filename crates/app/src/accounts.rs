//! Accounts: credentials (argon2id password hashes, random bearer tokens stored as SHA-256, the
//! password policy), issuing a member's account, administrator grants, and the audit log.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use membership::permission::{ActOnMemberError, Action, Actor};
use membership::{AccountId, FieldError, MemberId, UnitId, Username};
use sha2::{Digest, Sha256};
use storage::accounts::{AccountRecord, GrantRecord};
use storage::audit::AuditRecord;
use storage::{Constraint, StoreError};
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::{Ctx, allowed, may_act_on, unit_path};

// ---------------------------------------------------------------- credentials

/// Hashing a password failed (argon2 refused its parameters or the salt).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes). CPU-heavy: call it
/// from a blocking thread ([`hash_password_blocking`]).
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| HashError(e.to_string()))
}

/// [`hash_password`] on tokio's blocking pool, so that the executor keeps serving.
pub async fn hash_password_blocking(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|e| HashError(format!("hash task: {e}")))?
}

/// Verifies a password against a stored hash (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A new random bearer token (256 bits, base64url).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256 of a token, as stored (the token itself is never stored).
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A password the policy refuses, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the password must be {0}")]
pub struct WeakPassword(pub &'static str);

/// Password policy: 8–128 characters, not only digits, not the username.
pub fn check_password_policy(password: &str, username: &str) -> Result<(), WeakPassword> {
    let len = password.chars().count();
    if len < 8 {
        Err(WeakPassword("at least 8 characters"))
    } else if len > 128 {
        Err(WeakPassword("at most 128 characters"))
    } else if password.chars().all(|c| c.is_ascii_digit()) {
        Err(WeakPassword("not only digits"))
    } else if password.eq_ignore_ascii_case(username) {
        Err(WeakPassword("different from the username"))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------- sessions

/// A new session: the bearer token (given to the client once; only its hash is stored).
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The token.
    pub token: String,
    /// When it stops working.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// Whether the initial password must be changed before anything else.
    pub must_change_password: bool,
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong username or password, a disabled account or a member who has left the Party (never
    /// said which).
    #[error("wrong username or password")]
    InvalidCredentials,
    /// The verification task failed.
    #[error("password verification failed: {0}")]
    Verify(String),
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Signs in with a username (case-insensitive) and password and opens a session of `ttl`. An
/// unknown username is verified against `dummy_hash` so that both cases take the same time;
/// members who have left the Party (removed, expelled, deceased) cannot sign in.
pub async fn sign_in(
    ctx: &Ctx,
    username: &str,
    password: String,
    dummy_hash: &str,
    ttl: chrono::Duration,
    client_addr: Option<&str>,
) -> Result<NewSession, SignInError> {
    let account = match Username::parse(username) {
        Ok(u) => storage::accounts::find_by_username(ctx.db.conn(), u.as_str()).await?,
        Err(_) => None,
    };
    let hash = account.as_ref().map_or_else(|| dummy_hash.to_string(), |a| a.password_hash.clone());
    let ok =
        tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.map_err(|e| SignInError::Verify(e.to_string()))?;
    let member_active = match account.as_ref().and_then(|a| a.member_id) {
        Some(member) => storage::members::get(ctx.db.conn(), member).await?.state.standing.is_active(),
        None => true,
    };
    let account = match account {
        Some(a) if ok && !a.disabled && member_active => a,
        _ => return Err(SignInError::InvalidCredentials),
    };
    let now = ctx.clock.now();
    let token = new_token();
    let expires_at = now + ttl;
    storage::accounts::insert_session(
        ctx.db.conn(),
        &storage::accounts::SessionRecord {
            id: Uuid::now_v7(),
            account_id: account.id,
            token_hash: token_hash(&token),
            created_at: now,
            expires_at,
            client_addr: client_addr.map(str::to_string),
        },
    )
    .await?;
    Ok(NewSession { token, expires_at, must_change_password: account.must_change_password })
}

/// Signs out: revokes the session.
pub async fn sign_out(ctx: &Ctx, session: Uuid) -> Result<(), StoreError> {
    storage::accounts::revoke_session(ctx.db.conn(), session, ctx.clock.now()).await
}

/// Why a password change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    /// The new password breaks the policy.
    #[error(transparent)]
    Weak(WeakPassword),
    /// The new password is the current one.
    #[error("the new password must differ from the current one")]
    Unchanged,
    /// The current password is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Changes the password of `account` (the caller's own) and revokes its other sessions, in one
/// transaction; the session `keep` stays signed in.
pub async fn change_password(
    ctx: &Ctx,
    account: &AccountRecord,
    keep: Uuid,
    current: String,
    new: String,
) -> Result<(), ChangePasswordError> {
    check_password_policy(&new, &account.username).map_err(ChangePasswordError::Weak)?;
    if new == current {
        return Err(ChangePasswordError::Unchanged);
    }
    let stored = account.password_hash.clone();
    let (ok, hash) = tokio::task::spawn_blocking(move || (verify_password(&current, &stored), hash_password(&new)))
        .await
        .map_err(|e| HashError(format!("hash task: {e}")))?;
    if !ok {
        return Err(ChangePasswordError::WrongPassword);
    }
    let hash = hash?;
    let now = ctx.clock.now();
    let tx = ctx.db.begin().await?;
    storage::accounts::set_password(tx.conn(), account.id, &hash, now).await?;
    storage::accounts::revoke_other_sessions(tx.conn(), account.id, keep, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Who a signed-in account is: the units it administers, its member record and the positions
/// held today.
#[derive(Debug, Clone)]
pub struct Whoami {
    /// Units whose subtrees the account administers.
    pub admin_units: Vec<storage::units::UnitRecord>,
    /// The member behind the account.
    pub member: Option<storage::members::MemberRecord>,
    /// Positions held today.
    pub positions: Vec<membership::position::Position>,
}

/// The signed-in account's units, member record and positions today.
pub async fn whoami(ctx: &Ctx, account: &AccountRecord) -> Result<Whoami, StoreError> {
    let conn = ctx.db.conn();
    let today = ctx.clock.today();
    let scopes = storage::accounts::admin_scopes(conn, account.id).await?;
    let admin_units = storage::units::get_many(conn, &scopes).await?;
    let (member, positions) = match account.member_id {
        Some(id) => {
            let record = storage::members::get(conn, id).await?;
            let positions = storage::positions::for_members(conn, &[id]).await?.into_iter().filter(|p| p.is_active_on(today)).collect();
            (Some(record), positions)
        }
        None => (None, Vec::new()),
    };
    Ok(Whoami { admin_units, member, positions })
}

/// Who a live session belongs to.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The session.
    pub session_id: Uuid,
    /// Its account.
    pub account: AccountRecord,
    /// False when the member behind the account has left the Party (the session is refused).
    pub member_active: bool,
    /// Positions, grants and home cell, for the permission function.
    pub actor: Actor,
}

/// The session a token opens and the authorisation epoch, in one indexed query: `None` when the
/// token is unknown, expired or revoked. A caller may reuse what it loaded for this session while
/// the epoch is unchanged (the database advances it with every change to positions, grants,
/// accounts, members' cells or standing, and the tree).
pub async fn session_epoch(ctx: &Ctx, token_hash: &str) -> Result<Option<(Uuid, i64)>, StoreError> {
    Ok(storage::accounts::session_epoch(ctx.db.conn(), token_hash, ctx.clock.now()).await?.map(|(session, _, epoch)| (session, epoch)))
}

/// Loads the principal of a live session (read after [`session_epoch`], so it is at least as new
/// as the epoch it is cached with); `None` when the session is no longer live.
pub async fn principal(ctx: &Ctx, token_hash: &str) -> Result<Option<Principal>, StoreError> {
    let Some((session, account)) = storage::accounts::live_session(ctx.db.conn(), token_hash, ctx.clock.now()).await? else {
        return Ok(None);
    };
    let member_active = match account.member_id {
        Some(member) => storage::members::get(ctx.db.conn(), member).await?.state.standing.is_active(),
        None => true,
    };
    let actor = storage::accounts::load_actor(ctx.db.conn(), &account).await?;
    Ok(Some(Principal { session_id: session.id, account, member_active, actor }))
}

// ---------------------------------------------------------------- issuing accounts

/// Why an account was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueAccountError {
    /// The caller may not manage accounts over the member's cell.
    #[error("not permitted")]
    Forbidden,
    /// The caller manages accounts over the member's cell, but the member is the caller, or holds
    /// a position the caller may not appoint to.
    #[error(transparent)]
    Refused(ActOnMemberError),
    /// The member has left the Party.
    #[error("the member is no longer active")]
    MemberNotActive,
    /// No username given and the member has no party-card number to use.
    #[error("required when the member has no party-card number")]
    UsernameMissing,
    /// The username does not parse.
    #[error(transparent)]
    UsernameInvalid(FieldError),
    /// An all-digit username that is not the member's own party-card number.
    #[error("an all-digit username must be the member's own party-card number")]
    UsernameReserved,
    /// The initial password breaks the policy.
    #[error(transparent)]
    WeakPassword(WeakPassword),
    /// The member already has an account.
    #[error("the member already has an account")]
    AccountExists,
    /// Another account has the username.
    #[error("the username is taken")]
    UsernameTaken,
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// Storage (a missing member is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Issues a login account to a member (leaders over the member's cell, administrators): the
/// username defaults to the party-card number; the initial password must be changed at the first
/// sign-in. An account carries the member's positions, so issuing one to the holder of a position
/// needs the right to appoint to it (`membership::permission::authorize_on_member`: a cell
/// secretary cannot set the password of the commune secretary who belongs to the cell, nor of
/// the cell's deputy). Audited.
pub async fn issue_account(
    ctx: &Ctx,
    who: Requester<'_>,
    member_id: MemberId,
    username: Option<&str>,
    initial_password: &str,
) -> Result<AccountRecord, IssueAccountError> {
    let now = ctx.clock.now();
    let member = storage::members::get(ctx.db.conn(), member_id).await?;
    let path = storage::units::path(ctx.db.conn(), member.state.home_unit).await?;
    may_act_on(ctx, who.actor, Some(Action::ManageAccounts), member.id, &path).await?.map_err(|e| match e {
        ActOnMemberError::Denied(_) => IssueAccountError::Forbidden,
        e => IssueAccountError::Refused(e),
    })?;
    if !member.state.standing.is_active() {
        return Err(IssueAccountError::MemberNotActive);
    }
    let raw = match (username, &member.party_card_number) {
        (Some(u), _) => u.to_string(),
        (None, Some(card)) => card.as_str().to_string(),
        (None, None) => return Err(IssueAccountError::UsernameMissing),
    };
    let username = Username::parse(&raw).map_err(IssueAccountError::UsernameInvalid)?;
    // A party-card number as a login belongs to that card's holder only.
    if username.as_str().chars().all(|c| c.is_ascii_digit())
        && member.party_card_number.as_ref().map(|c| c.as_str()) != Some(username.as_str())
    {
        return Err(IssueAccountError::UsernameReserved);
    }
    check_password_policy(initial_password, username.as_str()).map_err(IssueAccountError::WeakPassword)?;
    if storage::accounts::for_member(ctx.db.conn(), member.id).await?.is_some() {
        return Err(IssueAccountError::AccountExists);
    }
    let hash = hash_password_blocking(initial_password.to_string()).await?;
    let account = AccountRecord {
        id: AccountId::from_uuid(Uuid::now_v7()),
        member_id: Some(member.id),
        username: username.as_str().to_string(),
        password_hash: hash,
        must_change_password: true,
        disabled: false,
        created_at: now,
    };
    let tx = ctx.db.begin().await?;
    storage::accounts::insert(tx.conn(), &account).await.map_err(|e| match e {
        StoreError::Conflict { constraint: Constraint::Username } => IssueAccountError::UsernameTaken,
        StoreError::Conflict { constraint: Constraint::AccountOfMember } => IssueAccountError::AccountExists,
        other => IssueAccountError::Store(other),
    })?;
    audit::record(
        &tx,
        who,
        now,
        "account.create",
        ("account", Some(account.id.as_uuid())),
        Some(member.state.home_unit),
        serde_json::json!({"member_id": member.id.as_uuid(), "username": account.username}),
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}

// ---------------------------------------------------------------- administrator grants

/// Why a grant operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// The caller does not administer the unit.
    #[error("not permitted")]
    Forbidden,
    /// The account to grant does not exist.
    #[error("no such account")]
    AccountNotFound,
    /// The grant is already revoked.
    #[error("the grant is already revoked")]
    AlreadyRevoked,
    /// Storage (a missing unit or grant is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Grants `account` the administration of `unit`'s subtree (administrators over that unit only).
pub async fn grant_admin(ctx: &Ctx, who: Requester<'_>, unit: UnitId, account: AccountId) -> Result<GrantRecord, GrantError> {
    let now = ctx.clock.now();
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, who.actor, Action::ManageAdmins, &path) {
        return Err(GrantError::Forbidden);
    }
    let account = match storage::accounts::get(ctx.db.conn(), account).await {
        Err(StoreError::NotFound) => return Err(GrantError::AccountNotFound),
        other => other?,
    };
    let tx = ctx.db.begin().await?;
    let id = storage::accounts::grant_admin(tx.conn(), account.id, unit, who.actor.account_id, now).await?;
    audit::record(
        &tx,
        who,
        now,
        "admin_grant.create",
        ("admin_grant", Some(id)),
        Some(unit),
        serde_json::json!({"account_id": account.id.as_uuid(), "username": account.username}),
    )
    .await?;
    let grant = storage::accounts::get_grant(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(grant)
}

/// The grants of a unit, revoked ones included (administrators over that unit only).
pub async fn unit_grants(ctx: &Ctx, actor: &Actor, unit: UnitId) -> Result<Vec<GrantRecord>, GrantError> {
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, actor, Action::ManageAdmins, &path) {
        return Err(GrantError::Forbidden);
    }
    Ok(storage::accounts::grants_for_unit(ctx.db.conn(), unit).await?)
}

/// Revokes a grant (administrators over the grant's unit).
pub async fn revoke_grant(ctx: &Ctx, who: Requester<'_>, id: Uuid) -> Result<GrantRecord, GrantError> {
    let now = ctx.clock.now();
    let grant = storage::accounts::get_grant(ctx.db.conn(), id).await?;
    let path = unit_path(ctx, grant.unit_id).await?;
    if !allowed(ctx, who.actor, Action::ManageAdmins, &path) {
        return Err(GrantError::Forbidden);
    }
    if grant.revoked_at.is_some() {
        return Err(GrantError::AlreadyRevoked);
    }
    let tx = ctx.db.begin().await?;
    storage::accounts::revoke_grant(tx.conn(), id, now).await?;
    audit::record(
        &tx,
        who,
        now,
        "admin_grant.revoke",
        ("admin_grant", Some(id)),
        Some(grant.unit_id),
        serde_json::json!({"account_id": grant.account_id.as_uuid()}),
    )
    .await?;
    let grant = storage::accounts::get_grant(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(grant)
}

// ---------------------------------------------------------------- audit log

/// Why the audit log cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditLogError {
    /// The caller may not read the audit of the unit (or administers nothing, when no unit is
    /// named).
    #[error("not permitted")]
    Forbidden,
    /// Storage (a missing unit is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A page of the audit log of a unit's subtree (default: the caller's first administered unit),
/// newest first, `before` the last id of the previous page; the flag says whether more follow.
pub async fn audit_log(
    ctx: &Ctx,
    actor: &Actor,
    unit: Option<UnitId>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<AuditRecord>, bool), AuditLogError> {
    let unit = match unit {
        Some(u) => u,
        None => *actor.admin_scopes.first().ok_or(AuditLogError::Forbidden)?,
    };
    let path = unit_path(ctx, unit).await?;
    if !allowed(ctx, actor, Action::ViewAudit, &path) {
        return Err(AuditLogError::Forbidden);
    }
    let mut rows = storage::audit::list_subtree(ctx.db.conn(), unit, before, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("mật khẩu dài").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu dài", &hash));
        assert!(!verify_password("mat khau dai", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn password_policy() {
        assert_eq!(check_password_policy("short", "user"), Err(WeakPassword("at least 8 characters")));
        assert_eq!(check_password_policy("1234567890", "user"), Err(WeakPassword("not only digits")));
        assert_eq!(check_password_policy("username1", "USERNAME1"), Err(WeakPassword("different from the username")));
        assert!(check_password_policy(&"x".repeat(129), "user").is_err());
        assert!(check_password_policy("a good one", "user").is_ok());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
