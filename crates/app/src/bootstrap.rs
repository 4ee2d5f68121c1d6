//! First start: an empty database gets its root unit (*Trung ương*) and an administrator.

use chrono::{DateTime, Utc};
use membership::{AccountId, FieldError, UnitId, UnitKind, UnitName, Username};
use storage::StoreError;
use storage::accounts::AccountRecord;
use storage::units::UnitRecord;
use uuid::Uuid;

use crate::accounts::{HashError, hash_password, new_token};

/// What the first start creates.
#[derive(Debug, Clone)]
pub struct BootstrapSettings {
    /// Username of the administrator.
    pub admin_username: String,
    /// Its password; generated when absent.
    pub admin_password: Option<String>,
    /// Name of the root unit.
    pub root_name: String,
}

/// What a first start did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootstrapped {
    /// The administrator's username.
    pub username: String,
    /// The generated password, when none was configured (to show once).
    pub generated_password: Option<String>,
}

/// Why the first start failed.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The configured username does not parse.
    #[error("HANDBOOK_ADMIN_USERNAME {0}")]
    Username(FieldError),
    /// The configured root name does not parse.
    #[error("HANDBOOK_ROOT_NAME {0}")]
    RootName(FieldError),
    /// Hashing the password failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates the root unit and the bootstrap administrator (with an administrator grant on the
/// root), audited, if the database has no unit yet; `None` when it already has one.
pub async fn ensure_bootstrap(
    db: &storage::Database,
    settings: &BootstrapSettings,
    now: DateTime<Utc>,
) -> Result<Option<Bootstrapped>, BootstrapError> {
    if storage::units::any(db.conn()).await? {
        return Ok(None);
    }
    let username = Username::parse(&settings.admin_username).map_err(BootstrapError::Username)?;
    let name = UnitName::parse(&settings.root_name).map_err(BootstrapError::RootName)?;
    let (password, generated) = match &settings.admin_password {
        Some(p) => (p.clone(), false),
        None => (new_token(), true),
    };
    let hash = hash_password(&password)?;
    let root = UnitRecord {
        id: UnitId::from_uuid(Uuid::now_v7()),
        parent_id: None,
        kind: UnitKind::Central,
        name: name.as_str().to_string(),
        depth: 0,
        parent_since: membership::time::local_date(now),
        created_at: now,
    };
    let account = AccountRecord {
        id: AccountId::from_uuid(Uuid::now_v7()),
        member_id: None,
        username: username.as_str().to_string(),
        password_hash: hash,
        must_change_password: false,
        disabled: false,
        created_at: now,
    };
    let tx = db.begin().await?;
    storage::units::insert(tx.conn(), &root).await?;
    storage::accounts::insert(tx.conn(), &account).await?;
    storage::accounts::grant_admin(tx.conn(), account.id, root.id, None, now).await?;
    storage::audit::record(
        tx.conn(),
        &storage::audit::AuditRecord {
            id: Uuid::now_v7(),
            at: now,
            actor: None,
            action: "system.bootstrap".into(),
            target_type: "account".into(),
            target_id: Some(account.id.as_uuid()),
            unit_id: Some(root.id),
            client_addr: None,
            details: serde_json::json!({"username": account.username, "root": root.name}),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(username = %account.username, "created the root unit and the bootstrap administrator");
    Ok(Some(Bootstrapped { username: account.username, generated_password: generated.then_some(password) }))
}
