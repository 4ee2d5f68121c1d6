//! Accounts: credentials (argon2id password hashes under a process-wide bound, random bearer
//! tokens stored as SHA-256, the password policy), sign-in with its throttle ([`throttle`]),
//! sessions, issuing a member's account, administrator grants, and the audit log.

pub mod throttle;

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use membership::permission::{ActOnMemberError, Action, Actor};
use membership::{AccountId, FieldError, MemberId, UnitId, Username};
use sha2::{Digest, Sha256};
use storage::accounts::{AccountRecord, GrantRecord};
use storage::audit::AuditRecord;
use storage::{Constraint, StoreError};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::audit::{self, Requester};
use crate::{Ctx, allowed, may_act_on, unit_path};
use throttle::{Keys, LoginPolicy, Verdict};

// ---------------------------------------------------------------- credentials

/// Hashing a password failed (argon2 refused its parameters or the salt, or the hashing task
/// died).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl From<argon2::password_hash::Error> for HashError {
    fn from(e: argon2::password_hash::Error) -> Self {
        HashError(e.to_string())
    }
}

impl From<argon2::Error> for HashError {
    fn from(e: argon2::Error) -> Self {
        HashError(e.to_string())
    }
}

/// Stored hashes asking for more memory than this (in 1 KiB blocks: 256 MiB) are never
/// computed: they count as a wrong password. Hashes made here take 19 MiB.
const MAX_VERIFY_BLOCKS: usize = 256 * 1024;

fn grow(memory: &mut Vec<Block>, blocks: usize) {
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
}

/// The PHC string of an argon2id hash made with `params`.
fn phc(params: &Params, salt: Salt<'_>, output: &[u8]) -> Result<String, HashError> {
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params)?,
        salt: Some(salt),
        hash: Some(Output::new(output)?),
    };
    Ok(hash.to_string())
}

/// Hashes `password` with argon2id (default parameters: 19 MiB, 2 passes, 1 lane) in `memory`,
/// which is grown to the 19 MiB it needs and can be reused.
fn hash_in(password: &[u8], memory: &mut Vec<Block>) -> Result<String, HashError> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let raw_salt = salt.decode_b64(&mut salt_bytes)?;
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let blocks = params.block_count();
    grow(memory, blocks);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()).hash_password_into_with_memory(
        password,
        raw_salt,
        &mut output,
        &mut memory[..blocks],
    )?;
    phc(&params, salt.as_salt(), &output)
}

/// Whether `password` matches the PHC string `stored` (false for a malformed hash, an
/// algorithm other than argon2, or a memory cost above 256 MiB), computed in `memory`; the
/// comparison is constant-time.
fn verify_in(password: &[u8], stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else { return false };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let blocks = params.block_count();
    if blocks > MAX_VERIFY_BLOCKS {
        return false;
    }
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let Ok(raw_salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let mut output = vec![0u8; expected.len()];
    grow(memory, blocks);
    if Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, raw_salt, &mut output, &mut memory[..blocks])
        .is_err()
    {
        return false;
    }
    Output::new(&output).is_ok_and(|computed| computed == expected)
}

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes) in memory of its own.
/// CPU- and memory-heavy and unbounded: for start-up work (bootstrap, demo data); use cases hash
/// through [`PasswordHashing`].
pub fn hash_password(password: &str) -> Result<String, HashError> {
    hash_in(password.as_bytes(), &mut Vec::new())
}

/// Verifies a password against a stored hash (false for a malformed hash) in memory of its own,
/// outside any bound: for tools and benchmarks; use cases verify through [`PasswordHashing`].
pub fn verify_password(password: &str, hash: &str) -> bool {
    verify_in(password.as_bytes(), hash, &mut Vec::new())
}

/// The bound on password hashing in this process. Each argon2 computation needs 19 MiB and a
/// core for tens of milliseconds; unbounded, a crowd of failed sign-ins allocates 19 MiB each at
/// once. Here at most `concurrency` computations run at a time, on the blocking pool, each in one
/// of at most `concurrency` memory areas that are kept and reused — so the memory spent on
/// hashing never exceeds `concurrency` × 19 MiB however many requests arrive. A caller waits for
/// a turn at most `wait` (in arrival order) and is then told [`HashingError::Busy`]; nothing else
/// queues. A computation keeps its turn until it ends, even when its caller has gone away.
#[derive(Debug, Clone)]
pub struct PasswordHashing {
    inner: Arc<HashingInner>,
}

#[derive(Debug)]
struct HashingInner {
    permits: Arc<Semaphore>,
    memory: std::sync::Mutex<Vec<Vec<Block>>>,
    concurrency: usize,
    wait: Duration,
    /// Callers waiting for a turn now.
    waiting: std::sync::atomic::AtomicUsize,
}

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// Every turn stayed taken for the whole wait: answer "busy, retry shortly".
    #[error("password hashing is at capacity")]
    Busy,
    /// The computation failed.
    #[error(transparent)]
    Failed(#[from] HashError),
}

/// Seconds a caller told [`HashingError::Busy`] should wait before retrying.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

impl PasswordHashing {
    /// At most `concurrency` (at least 1) computations at once; callers wait at most `wait` for
    /// a turn.
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            inner: Arc::new(HashingInner {
                permits: Arc::new(Semaphore::new(concurrency)),
                memory: std::sync::Mutex::new(Vec::new()),
                concurrency,
                wait,
                waiting: std::sync::atomic::AtomicUsize::new(0),
            }),
        }
    }

    /// The number of cores, for [`PasswordHashing::new`].
    pub fn cores() -> usize {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    }

    /// How many computations may run at once.
    pub fn concurrency(&self) -> usize {
        self.inner.concurrency
    }

    /// How many computations run now (turns taken).
    pub fn running(&self) -> usize {
        self.inner.concurrency.saturating_sub(self.inner.permits.available_permits())
    }

    /// How many callers wait for a turn now (the queue, bounded in time by `wait`).
    pub fn waiting(&self) -> usize {
        self.inner.waiting.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `job` with a memory area on the blocking pool once a turn is free.
    async fn run<T: Send + 'static>(&self, job: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static) -> Result<T, HashingError> {
        let queued = Queued::new(&self.inner.waiting);
        let acquired = tokio::time::timeout(self.inner.wait, self.inner.permits.clone().acquire_owned()).await;
        drop(queued);
        let permit = match acquired {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => return Err(HashingError::Busy),
        };
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            // Dropped last: the memory is back in the pool before the next turn starts.
            let _turn = permit;
            let mut memory = inner.memory.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default();
            let result = job(&mut memory);
            inner.memory.lock().unwrap_or_else(PoisonError::into_inner).push(memory);
            result
        })
        .await
        .map_err(|e| HashingError::Failed(HashError(format!("hash task: {e}"))))
    }

    /// Hashes a password (argon2id, 19 MiB, 2 passes).
    pub async fn hash(&self, password: String) -> Result<String, HashingError> {
        Ok(self.run(move |memory| hash_in(password.as_bytes(), memory)).await??)
    }

    /// Whether `password` matches the PHC string `stored`.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, HashingError> {
        self.run(move |memory| verify_in(password.as_bytes(), &stored, memory)).await
    }
}

/// A place in the hashing queue, counted while it lives (also when the waiting future is
/// dropped).
struct Queued<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Queued<'a> {
    fn new(count: &'a std::sync::atomic::AtomicUsize) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// One attempt at a time per key (an (account, address) pair, an account's password changes):
/// later attempts wait for the earlier one to be counted, so parallel guesses cannot all be
/// checked before the first failure is recorded. A key holds at most [`Gates::MAX_QUEUE`]
/// waiters, each waiting at most [`Gates::WAIT`]; waiting costs no hashing memory. Per process:
/// with several instances, each lets one attempt per key through at a time.
#[derive(Debug, Default)]
struct Gates {
    /// Per key: its lock and how many attempts wait for it or hold it.
    entries: std::sync::Mutex<std::collections::HashMap<String, (GateLock, usize)>>,
}

type GateLock = Arc<tokio::sync::Mutex<()>>;

/// A place at a key's gate, waiting or holding it: given back (and the key forgotten when
/// nobody else is there) on drop — also when the waiting future is dropped because its request
/// went away.
struct Place<'a> {
    gates: &'a Gates,
    key: String,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut entries = self.gates.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = entries.get_mut(&self.key) {
            entry.1 = entry.1.saturating_sub(1);
            if entry.1 == 0 {
                entries.remove(&self.key);
            }
        }
    }
}

/// A held gate.
struct Turn<'a> {
    // Released before the place is given back.
    _held: tokio::sync::OwnedMutexGuard<()>,
    _place: Place<'a>,
}

impl Gates {
    /// Waiters per key beyond which an attempt is answered "busy" at once.
    const MAX_QUEUE: usize = 256;
    /// The longest wait for a key.
    const WAIT: Duration = Duration::from_secs(30);

    /// Waits for the key's turn; `None` when too many wait already or the wait ran out.
    async fn enter(&self, key: &str) -> Option<Turn<'_>> {
        let lock = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = entries.entry(key.to_string()).or_insert_with(|| (Arc::default(), 0));
            if entry.1 >= Self::MAX_QUEUE {
                return None;
            }
            entry.1 += 1;
            entry.0.clone()
        };
        let place = Place { gates: self, key: key.to_string() };
        let held = tokio::time::timeout(Self::WAIT, lock.lock_owned()).await.ok()?;
        Some(Turn { _held: held, _place: place })
    }
}

/// The process's password work, shared by every use case that checks or makes a password hash
/// (sign-in, password change, issuing an account): the [`PasswordHashing`] bound, the sign-in
/// throttle's [`LoginPolicy`], the gates that let one attempt per (account, address) check its
/// password at a time, and the dummy hash checked for unknown usernames.
#[derive(Debug)]
pub struct Passwords {
    /// The bound on hashing.
    pub hashing: PasswordHashing,
    /// The throttle's limits.
    pub policy: LoginPolicy,
    gates: Gates,
    /// A well-formed hash with the default parameters that no password matches: checking an
    /// unknown username against it costs what checking a real account costs.
    dummy_hash: String,
}

impl Passwords {
    /// The password work of a process.
    pub fn new(hashing: PasswordHashing, policy: LoginPolicy) -> Self {
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        OsRng.fill_bytes(&mut output);
        let salt = SaltString::generate(&mut OsRng);
        // Formatting a PHC string from valid default parameters cannot fail; if it ever did, a
        // real hash of a random secret serves as well.
        let dummy_hash = phc(&Params::default(), salt.as_salt(), &output).or_else(|_| hash_password(&new_token())).unwrap_or_default();
        Self { hashing, policy, gates: Gates::default(), dummy_hash }
    }
}

impl Default for Passwords {
    /// One hashing turn per core, half a second's wait for one, the default throttle.
    fn default() -> Self {
        Self::new(PasswordHashing::new(PasswordHashing::cores(), Duration::from_millis(500)), LoginPolicy::default())
    }
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

/// Shortest password a new or changed password may be, in characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password a new or changed password may be, in characters.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Password policy: [`PASSWORD_MIN_CHARS`]–[`PASSWORD_MAX_CHARS`] characters, not only digits,
/// not the username.
pub fn check_password_policy(password: &str, username: &str) -> Result<(), WeakPassword> {
    let len = password.chars().count();
    if len < PASSWORD_MIN_CHARS {
        Err(WeakPassword("at least 8 characters"))
    } else if len > PASSWORD_MAX_CHARS {
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
    /// This address failed too often on this account, or on accounts in general: refused
    /// without checking the password (see [`throttle`]).
    #[error("too many failed attempts; retry in {retry_after} s")]
    Throttled {
        /// Seconds until an attempt is accepted again.
        retry_after: u64,
    },
    /// No hashing turn came free in time ([`PasswordHashing`]), or too many attempts wait on this
    /// account and address: retry after [`BUSY_RETRY_AFTER_SECS`].
    #[error("busy")]
    Busy,
    /// The verification task failed.
    #[error("password verification failed: {0}")]
    Verify(String),
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<HashingError> for SignInError {
    fn from(e: HashingError) -> Self {
        match e {
            HashingError::Busy => SignInError::Busy,
            HashingError::Failed(e) => SignInError::Verify(e.to_string()),
        }
    }
}

/// The throttle's verdict on an attempt with `keys`, from the stored counters.
async fn sign_in_verdict(ctx: &Ctx, keys: &Keys) -> Result<Verdict, StoreError> {
    let windows = storage::accounts::failure_windows(ctx.db.conn(), &keys.all()).await?;
    Ok(ctx.passwords.policy.sign_in(&keys.failures(&windows), ctx.clock.now().timestamp_micros()))
}

/// Counts a failure under `keys` in one transaction.
async fn count_failure(ctx: &Ctx, keys: &[&str]) -> Result<(), StoreError> {
    let now_us = ctx.clock.now().timestamp_micros();
    let tx = ctx.db.begin().await?;
    storage::accounts::count_failure(tx.conn(), keys, now_us, ctx.passwords.policy.expired_at(now_us)).await?;
    tx.commit().await
}

/// Signs in with a username (as typed: trimmed, lower case) and password from `client_addr`
/// and opens a session of `ttl`.
///
/// The throttle ([`throttle`]) answers first: an address that failed too often on this account,
/// or on accounts in general, is refused at once ([`SignInError::Throttled`]); an account under
/// attack from many addresses makes every attempt wait a few seconds, never refusing it. Then
/// one attempt per (account, address) at a time checks its password, within the process's
/// [`PasswordHashing`] bound ([`SignInError::Busy`] when no turn comes free in time). A failure
/// is counted for the pair, the address and the account; a success clears the pair's count. An
/// unknown username is checked against a dummy hash and counted like any other, so neither the
/// time taken nor the throttle tells whether it exists; members who have left the Party
/// (removed, expelled, deceased) cannot sign in.
pub async fn sign_in(
    ctx: &Ctx,
    username: &str,
    password: String,
    ttl: chrono::Duration,
    client_addr: Option<&str>,
) -> Result<NewSession, SignInError> {
    let keys = Keys::sign_in(username, client_addr);
    // A refused address is answered before it waits for anything.
    match sign_in_verdict(ctx, &keys).await? {
        Verdict::Refuse { retry_after } => return Err(SignInError::Throttled { retry_after }),
        Verdict::Go { delay } if !delay.is_zero() => tokio::time::sleep(delay).await,
        Verdict::Go { .. } => {}
    }
    let _turn = ctx.passwords.gates.enter(&keys.account_address).await.ok_or(SignInError::Busy)?;
    // The attempts ahead of this one in the gate may have been counted meanwhile.
    if let Verdict::Refuse { retry_after } = sign_in_verdict(ctx, &keys).await? {
        return Err(SignInError::Throttled { retry_after });
    }
    let account = match Username::parse(username) {
        Ok(u) => storage::accounts::find_by_username(ctx.db.conn(), u.as_str()).await?,
        Err(_) => None,
    };
    let hash = account.as_ref().map_or_else(|| ctx.passwords.dummy_hash.clone(), |a| a.password_hash.clone());
    let ok = ctx.passwords.hashing.verify(password, hash).await?;
    let member_active = match account.as_ref().and_then(|a| a.member_id) {
        Some(member) => storage::members::get(ctx.db.conn(), member).await?.state.standing.is_active(),
        None => true,
    };
    let account = match account {
        Some(a) if ok && !a.disabled && member_active => a,
        _ => {
            count_failure(ctx, &keys.all()).await?;
            return Err(SignInError::InvalidCredentials);
        }
    };
    let now = ctx.clock.now();
    let token = new_token();
    let expires_at = now + ttl;
    let tx = ctx.db.begin().await?;
    storage::accounts::clear_failures(tx.conn(), &[&keys.account_address]).await?;
    storage::accounts::insert_session(
        tx.conn(),
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
    tx.commit().await?;
    Ok(NewSession { token, expires_at, must_change_password: account.must_change_password })
}

/// Deletes the throttle counters whose window is over; returns how many. Run periodically by
/// the server (expired counters are ignored anyway; this only keeps the table small).
pub async fn purge_login_failures(ctx: &Ctx) -> Result<u64, StoreError> {
    let now_us = ctx.clock.now().timestamp_micros();
    storage::accounts::purge_failures(ctx.db.conn(), ctx.passwords.policy.expired_at(now_us)).await
}

/// Signs out: revokes the session.
pub async fn sign_out(ctx: &Ctx, session: Uuid) -> Result<(), StoreError> {
    storage::accounts::revoke_session(ctx.db.conn(), session, ctx.clock.now()).await
}

/// Signs out everywhere: revokes every session of `account`, the caller's included, and the
/// calendar feed token of its member (a lost phone's calendar subscription stops too), in one
/// transaction.
pub async fn sign_out_everywhere(ctx: &Ctx, account: &AccountRecord) -> Result<(), StoreError> {
    let now = ctx.clock.now();
    let tx = ctx.db.begin().await?;
    storage::accounts::revoke_all_sessions(tx.conn(), account.id, now).await?;
    if let Some(member) = account.member_id {
        storage::meetings::delete_feed_token(tx.conn(), member).await?;
    }
    tx.commit().await
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
    /// Too many wrong current passwords: refused without checking.
    #[error("too many failed attempts; retry in {retry_after} s")]
    Throttled {
        /// Seconds until an attempt is accepted again.
        retry_after: u64,
    },
    /// No hashing turn came free in time: retry after [`BUSY_RETRY_AFTER_SECS`].
    #[error("busy")]
    Busy,
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<HashingError> for ChangePasswordError {
    fn from(e: HashingError) -> Self {
        match e {
            HashingError::Busy => ChangePasswordError::Busy,
            HashingError::Failed(e) => ChangePasswordError::Hash(e),
        }
    }
}

/// Changes the password of `account` (the caller's own), in one transaction with what it
/// revokes: the account's other sessions (the session `keep` stays signed in) and its member's
/// calendar feed token. Wrong current passwords are counted per account; after
/// [`LoginPolicy::per_password_change`] in a window the change is refused without checking.
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
    let key = throttle::password_change_key(account.id.as_uuid());
    let _turn = ctx.passwords.gates.enter(&key).await.ok_or(ChangePasswordError::Busy)?;
    let windows = storage::accounts::failure_windows(ctx.db.conn(), &[&key]).await?;
    let counted = windows.first().map(|(_, w)| *w);
    if let Verdict::Refuse { retry_after } = ctx.passwords.policy.password_change(counted, ctx.clock.now().timestamp_micros()) {
        return Err(ChangePasswordError::Throttled { retry_after });
    }
    let stored = account.password_hash.clone();
    // One turn for both computations: the new hash is made only for the right current password.
    let hashed = ctx
        .passwords
        .hashing
        .run(move |memory| verify_in(current.as_bytes(), &stored, memory).then(|| hash_in(new.as_bytes(), memory)))
        .await?;
    let Some(hash) = hashed else {
        count_failure(ctx, &[&key]).await?;
        return Err(ChangePasswordError::WrongPassword);
    };
    let hash = hash?;
    let now = ctx.clock.now();
    let tx = ctx.db.begin().await?;
    storage::accounts::set_password(tx.conn(), account.id, &hash, now).await?;
    storage::accounts::revoke_other_sessions(tx.conn(), account.id, keep, now).await?;
    storage::accounts::clear_failures(tx.conn(), &[&key]).await?;
    if let Some(member) = account.member_id {
        storage::meetings::delete_feed_token(tx.conn(), member).await?;
    }
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
    /// No hashing turn came free in time: retry after [`BUSY_RETRY_AFTER_SECS`].
    #[error("busy")]
    Busy,
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// Storage (a missing member is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<HashingError> for IssueAccountError {
    fn from(e: HashingError) -> Self {
        match e {
            HashingError::Busy => IssueAccountError::Busy,
            HashingError::Failed(e) => IssueAccountError::Hash(e),
        }
    }
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
    let hash = ctx.passwords.hashing.hash(initial_password.to_string()).await?;
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
    // The audit listing may lag (a read replica, when configured).
    let mut rows = storage::audit::list_subtree(ctx.db.reader(), unit, before, limit + 1).await?;
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
    fn hashes_are_standard_argon2id_phc_strings() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Made here, checked by the argon2 crate's own verifier, and the other way round: hashes
        // stored before the pooled memory existed keep working.
        let ours = hash_password("mật khẩu dài").unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        assert!(Argon2::default().verify_password("mật khẩu dài".as_bytes(), &PasswordHash::new(&ours).unwrap()).is_ok());
        let theirs = Argon2::default().hash_password(b"another one", &SaltString::generate(&mut OsRng)).unwrap().to_string();
        assert!(verify_password("another one", &theirs));
        assert!(!verify_password("another two", &theirs));
        // Other parameters and algorithms are honoured, absurd memory costs refused.
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x10, Params::new(64, 1, 1, None).unwrap())
            .hash_password(b"small", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify_password("small", &argon2i));
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(!verify_password("anything", huge));
        // The dummy hash is well-formed, with the real cost, and matches nothing.
        let dummy = Passwords::default().dummy_hash;
        assert!(PasswordHash::new(&dummy).is_ok());
        assert!(dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{dummy}");
        assert!(!verify_password("", &dummy));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashing_runs_at_most_its_concurrency_in_at_most_as_many_memory_areas() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let hashing = PasswordHashing::new(2, Duration::from_secs(30));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..12)
            .map(|_| {
                let (hashing, running, most) = (hashing.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    hashing
                        .run(move |memory| {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            grow(memory, 1024);
                            std::thread::sleep(Duration::from_millis(20));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "never more than the concurrency at once");
        let areas = hashing.inner.memory.lock().unwrap();
        assert!(!areas.is_empty() && areas.len() <= 2, "{} memory areas", areas.len());
        assert!(areas.iter().all(|a| a.len() == 1024), "areas are reused, not reallocated");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_waits_at_most_the_wait_and_a_turn_outlives_its_caller() {
        let hashing = PasswordHashing::new(1, Duration::from_millis(50));
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = hashing.clone();
        let caller = tokio::spawn(async move {
            holder
                .run(move |_| {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                })
                .await
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap()).await.unwrap();
        // The caller gives up (a client that disconnects); its computation still holds the turn.
        caller.abort();
        assert!(matches!(hashing.verify("x".into(), "y".into()).await, Err(HashingError::Busy)));
        release_tx.send(()).unwrap();
        assert!(matches!(hashing.verify("x".into(), "not a hash".into()).await, Ok(false)), "the turn is back once it ends");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_running_and_waiting_counts_follow_the_turns() {
        let hashing = PasswordHashing::new(1, Duration::from_secs(5));
        assert_eq!((hashing.running(), hashing.waiting()), (0, 0));
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = hashing.clone();
        let first = tokio::spawn(async move {
            holder
                .run(move |_| {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                })
                .await
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap()).await.unwrap();
        let queued = hashing.clone();
        let second = tokio::spawn(async move { queued.run(|_| ()).await });
        while hashing.waiting() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!((hashing.running(), hashing.waiting()), (1, 1), "one computing, one queued");
        release_tx.send(()).unwrap();
        first.await.unwrap().unwrap();
        second.await.unwrap().unwrap();
        assert_eq!((hashing.running(), hashing.waiting()), (0, 0));
        // A caller that gives up while queued leaves the queue.
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = hashing.clone();
        let first = tokio::spawn(async move {
            holder
                .run(move |_| {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                })
                .await
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap()).await.unwrap();
        let queued = hashing.clone();
        let gone = tokio::spawn(async move { queued.run(|_| ()).await });
        while hashing.waiting() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        gone.abort();
        let _ = gone.await;
        assert_eq!(hashing.waiting(), 0, "the dropped caller is no longer counted");
        release_tx.send(()).unwrap();
        first.await.unwrap().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn gates_let_one_attempt_per_key_through_at_a_time() {
        let gates = Gates::default();
        let first = gates.enter("p:one").await.unwrap();
        let other = gates.enter("p:two").await;
        assert!(other.is_some(), "other keys are not held up");
        let second = tokio::time::timeout(Duration::from_millis(50), gates.enter("p:one")).await;
        assert!(second.is_err(), "the same key waits");
        drop(first);
        assert!(gates.enter("p:one").await.is_some());
        drop(other);
        assert!(gates.entries.lock().unwrap().is_empty(), "released gates are forgotten");
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
