//! Accounts, administrator grants, login sessions, and loading an [`Actor`] for authorisation.

use chrono::{DateTime, NaiveDate, Utc};
use membership::permission::{Actor, HeldPosition};
use membership::{AccountId, MemberId, UnitId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::entities::{accounts, admin_grants, login_throttle, sessions};
use crate::{StoreError, StoreResult, insert_row, members, positions, units};

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// Id.
    pub id: AccountId,
    /// The member behind the account (none for stand-alone administrators).
    pub member_id: Option<MemberId>,
    /// Login name (lower-case).
    pub username: String,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    /// Whether the password must be changed before anything else.
    pub must_change_password: bool,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

fn to_record(m: accounts::Model) -> AccountRecord {
    AccountRecord {
        id: AccountId::from_uuid(m.id),
        member_id: m.member_id.map(MemberId::from_uuid),
        username: m.username,
        password_hash: m.password_hash,
        must_change_password: m.must_change_password,
        disabled: m.disabled,
        created_at: m.created_at,
    }
}

fn to_active(a: &AccountRecord) -> accounts::ActiveModel {
    accounts::ActiveModel {
        id: Set(a.id.as_uuid()),
        member_id: Set(a.member_id.map(|m| m.as_uuid())),
        username: Set(a.username.clone()),
        password_hash: Set(a.password_hash.clone()),
        must_change_password: Set(a.must_change_password),
        disabled: Set(a.disabled),
        created_at: Set(a.created_at),
        password_changed_at: Set(None),
    }
}

/// Inserts an account; a taken username or a member who already has an account is a `Conflict`.
pub async fn insert<C: ConnectionTrait>(c: &C, a: &AccountRecord) -> StoreResult<()> {
    insert_row(c, to_active(a)).await
}

/// Inserts many accounts (demo data).
pub async fn insert_many<C: ConnectionTrait>(c: &C, batch: &[AccountRecord]) -> StoreResult<()> {
    for chunk in batch.chunks(1000) {
        accounts::Entity::insert_many(chunk.iter().map(to_active)).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Finds an account by (lower-case) username.
pub async fn find_by_username<C: ConnectionTrait>(c: &C, username: &str) -> StoreResult<Option<AccountRecord>> {
    Ok(accounts::Entity::find().filter(accounts::Column::Username.eq(username)).one(c).await?.map(to_record))
}

/// Loads one account.
pub async fn get<C: ConnectionTrait>(c: &C, id: AccountId) -> StoreResult<AccountRecord> {
    accounts::Entity::find_by_id(id.as_uuid()).one(c).await?.map(to_record).ok_or(StoreError::NotFound)
}

/// The account of a member, if any.
pub async fn for_member<C: ConnectionTrait>(c: &C, member: MemberId) -> StoreResult<Option<AccountRecord>> {
    Ok(accounts::Entity::find().filter(accounts::Column::MemberId.eq(member.as_uuid())).one(c).await?.map(to_record))
}

/// Replaces the password hash and clears the must-change flag.
pub async fn set_password<C: ConnectionTrait>(c: &C, id: AccountId, hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
    accounts::Entity::update_many()
        .set(accounts::ActiveModel {
            password_hash: Set(hash.to_string()),
            must_change_password: Set(false),
            password_changed_at: Set(Some(at)),
            ..Default::default()
        })
        .filter(accounts::Column::Id.eq(id.as_uuid()))
        .exec(c)
        .await?;
    Ok(())
}

/// An administrator grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    /// Id.
    pub id: Uuid,
    /// The account.
    pub account_id: AccountId,
    /// The unit whose subtree it administers.
    pub unit_id: UnitId,
    /// Who granted it.
    pub granted_by: Option<AccountId>,
    /// When.
    pub granted_at: DateTime<Utc>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

fn grant_record(g: admin_grants::Model) -> GrantRecord {
    GrantRecord {
        id: g.id,
        account_id: AccountId::from_uuid(g.account_id),
        unit_id: UnitId::from_uuid(g.unit_id),
        granted_by: g.granted_by.map(AccountId::from_uuid),
        granted_at: g.granted_at,
        revoked_at: g.revoked_at,
    }
}

/// Grants of one unit (revoked ones included).
pub async fn grants_for_unit<C: ConnectionTrait>(c: &C, unit: UnitId) -> StoreResult<Vec<GrantRecord>> {
    let rows = admin_grants::Entity::find().filter(admin_grants::Column::UnitId.eq(unit.as_uuid())).all(c).await?;
    Ok(rows.into_iter().map(grant_record).collect())
}

/// One grant.
pub async fn get_grant<C: ConnectionTrait>(c: &C, id: Uuid) -> StoreResult<GrantRecord> {
    admin_grants::Entity::find_by_id(id).one(c).await?.map(grant_record).ok_or(StoreError::NotFound)
}

/// Revokes a grant; `NotFound` if it does not exist or is already revoked.
pub async fn revoke_grant<C: ConnectionTrait>(c: &C, id: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
    let result = admin_grants::Entity::update_many()
        .set(admin_grants::ActiveModel { revoked_at: Set(Some(at)), ..Default::default() })
        .filter(admin_grants::Column::Id.eq(id))
        .filter(admin_grants::Column::RevokedAt.is_null())
        .exec(c)
        .await?;
    if result.rows_affected == 1 { Ok(()) } else { Err(StoreError::NotFound) }
}

/// Grants administration of `unit`'s subtree to an account; returns the grant id.
pub async fn grant_admin<C: ConnectionTrait>(
    c: &C,
    account: AccountId,
    unit: UnitId,
    granted_by: Option<AccountId>,
    at: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    insert_row(
        c,
        admin_grants::ActiveModel {
            id: Set(id),
            account_id: Set(account.as_uuid()),
            unit_id: Set(unit.as_uuid()),
            granted_by: Set(granted_by.map(|a| a.as_uuid())),
            granted_at: Set(at),
            revoked_at: Set(None),
        },
    )
    .await?;
    Ok(id)
}

/// Units whose subtrees the account administers (unrevoked grants).
pub async fn admin_scopes<C: ConnectionTrait>(c: &C, account: AccountId) -> StoreResult<Vec<UnitId>> {
    let rows = admin_grants::Entity::find()
        .filter(admin_grants::Column::AccountId.eq(account.as_uuid()))
        .filter(admin_grants::Column::RevokedAt.is_null())
        .all(c)
        .await?;
    Ok(rows.into_iter().map(|g| UnitId::from_uuid(g.unit_id)).collect())
}

/// A login session (bearer token, stored as its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Id.
    pub id: Uuid,
    /// The account.
    pub account_id: AccountId,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Client address at login.
    pub client_addr: Option<String>,
}

/// Stores a new session.
pub async fn insert_session<C: ConnectionTrait>(c: &C, s: &SessionRecord) -> StoreResult<()> {
    insert_row(
        c,
        sessions::ActiveModel {
            id: Set(s.id),
            account_id: Set(s.account_id.as_uuid()),
            token_hash: Set(s.token_hash.clone()),
            created_at: Set(s.created_at),
            expires_at: Set(s.expires_at),
            revoked_at: Set(None),
            client_addr: Set(s.client_addr.clone()),
        },
    )
    .await
}

/// A live session's id and account with the current authorisation epoch, in one indexed read:
/// what a request needs to decide whether a cached actor is still current. The epoch advances
/// (by database triggers) with every committed change to positions, administration grants,
/// accounts' status, members' standing or cell, and the unit tree.
pub async fn session_epoch<C: ConnectionTrait>(c: &C, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<(Uuid, AccountId, i64)>> {
    let row = c
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            c.get_database_backend(),
            "SELECT s.id AS id, s.account_id AS account_id, e.value AS epoch FROM sessions s, auth_epoch e \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND e.id = 1",
            vec![token_hash.into(), now.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((row.try_get("", "id")?, AccountId::from_uuid(row.try_get("", "account_id")?), row.try_get("", "epoch")?)))
}

/// The current authorisation epoch (see [`session_epoch`]).
pub async fn auth_epoch<C: ConnectionTrait>(c: &C) -> StoreResult<i64> {
    let row = c
        .query_one_raw(sea_orm::Statement::from_string(c.get_database_backend(), "SELECT value FROM auth_epoch WHERE id = 1"))
        .await?
        .ok_or_else(|| StoreError::NotFound)?;
    Ok(row.try_get("", "value")?)
}

/// The live session with this token hash (not revoked, not expired at `now`) and its account.
pub async fn live_session<C: ConnectionTrait>(
    c: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(SessionRecord, AccountRecord)>> {
    let Some(s) = sessions::Entity::find()
        .filter(sessions::Column::TokenHash.eq(token_hash))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .one(c)
        .await?
    else {
        return Ok(None);
    };
    let Some(account) = accounts::Entity::find_by_id(s.account_id).one(c).await?.map(to_record) else {
        return Ok(None);
    };
    if account.disabled {
        return Ok(None);
    }
    let session = SessionRecord {
        id: s.id,
        account_id: AccountId::from_uuid(s.account_id),
        token_hash: s.token_hash,
        created_at: s.created_at,
        expires_at: s.expires_at,
        client_addr: s.client_addr,
    };
    Ok(Some((session, account)))
}

/// Revokes one session.
pub async fn revoke_session<C: ConnectionTrait>(c: &C, id: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
    sessions::Entity::update_many()
        .set(sessions::ActiveModel { revoked_at: Set(Some(at)), ..Default::default() })
        .filter(sessions::Column::Id.eq(id))
        .exec(c)
        .await?;
    Ok(())
}

/// Revokes every session of an account except `keep` (after a password change).
pub async fn revoke_other_sessions<C: ConnectionTrait>(c: &C, account: AccountId, keep: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
    sessions::Entity::update_many()
        .set(sessions::ActiveModel { revoked_at: Set(Some(at)), ..Default::default() })
        .filter(sessions::Column::AccountId.eq(account.as_uuid()))
        .filter(sessions::Column::Id.ne(keep))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(c)
        .await?;
    Ok(())
}

/// Revokes every live session of an account ("sign out everywhere").
pub async fn revoke_all_sessions<C: ConnectionTrait>(c: &C, account: AccountId, at: DateTime<Utc>) -> StoreResult<()> {
    sessions::Entity::update_many()
        .set(sessions::ActiveModel { revoked_at: Set(Some(at)), ..Default::default() })
        .filter(sessions::Column::AccountId.eq(account.as_uuid()))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(c)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- failed sign-in counters

/// The failures counted under one throttle key in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureWindow {
    /// When the window opened (at its first failure), microseconds since the Unix epoch.
    pub start_us: i64,
    /// Failures counted in it.
    pub failures: u32,
}

/// The stored windows of `keys` (absent keys have none). Expired windows are returned too: the
/// caller decides what a window's age means.
pub async fn failure_windows<C: ConnectionTrait>(c: &C, keys: &[&str]) -> StoreResult<Vec<(String, FailureWindow)>> {
    let rows = login_throttle::Entity::find().filter(login_throttle::Column::Key.is_in(keys.iter().copied())).all(c).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.key, FailureWindow { start_us: r.window_start_us, failures: u32::try_from(r.failures).unwrap_or(0) }))
        .collect())
}

/// Counts one failure under each of `keys`, atomically per key (concurrent failures on several
/// instances are all counted): a window that opened at or before `expired_at_us` restarts at
/// `now_us` with this failure, otherwise the failure is added to it. Keys are written in sorted
/// order, so concurrent callers lock them in the same order.
pub async fn count_failure<C: ConnectionTrait>(c: &C, keys: &[&str], now_us: i64, expired_at_us: i64) -> StoreResult<()> {
    let mut sorted: Vec<&str> = keys.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for key in sorted {
        c.execute_raw(sea_orm::Statement::from_sql_and_values(
            c.get_database_backend(),
            "INSERT INTO login_throttle (key, window_start_us, failures) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_throttle.window_start_us <= $3 THEN 1 ELSE login_throttle.failures + 1 END, \
             window_start_us = CASE WHEN login_throttle.window_start_us <= $3 THEN excluded.window_start_us \
             ELSE login_throttle.window_start_us END",
            vec![key.into(), now_us.into(), expired_at_us.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Forgets the failures counted under `keys`.
pub async fn clear_failures<C: ConnectionTrait>(c: &C, keys: &[&str]) -> StoreResult<()> {
    login_throttle::Entity::delete_many().filter(login_throttle::Column::Key.is_in(keys.iter().copied())).exec(c).await?;
    Ok(())
}

/// Deletes the windows that opened at or before `expired_at_us`; returns how many.
pub async fn purge_failures<C: ConnectionTrait>(c: &C, expired_at_us: i64) -> StoreResult<u64> {
    let result = login_throttle::Entity::delete_many().filter(login_throttle::Column::WindowStartUs.lte(expired_at_us)).exec(c).await?;
    Ok(result.rows_affected)
}

/// Everything the permission function needs about the account: its administrator scopes, its
/// member, the ancestry of the member's home cell (if the member is active) and the member's
/// positions.
pub async fn load_actor<C: ConnectionTrait>(c: &C, account: &AccountRecord) -> StoreResult<Actor> {
    let admin_scopes = admin_scopes(c, account.id).await?;
    let mut actor = Actor { account_id: Some(account.id), member_id: account.member_id, admin_scopes, ..Actor::default() };
    if let Some(member_id) = account.member_id {
        let member = members::get(c, member_id).await?;
        if member.state.standing.is_active() {
            actor.home_path = units::path(c, member.state.home_unit).await?;
            actor.positions = positions::for_members(c, &[member_id])
                .await?
                .into_iter()
                .map(|p| HeldPosition { unit_id: p.unit_id, role: p.role, from: p.from, to: p.to })
                .collect();
        }
    }
    Ok(actor)
}

/// Today in Vietnam for `now` (re-exported helper for callers that only have storage in scope).
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    membership::time::local_date(now)
}
