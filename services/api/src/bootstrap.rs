//! First start: an empty database gets its root unit and an administrator.

use chrono::{DateTime, Utc};
use membership::{AccountId, UnitId, UnitKind, UnitName, Username};
use storage::accounts::AccountRecord;
use storage::units::UnitRecord;
use uuid::Uuid;

use crate::auth::{hash_password, new_token};
use crate::config::Config;

/// Creates the root unit (*Trung ương*) and the bootstrap administrator (with an administrator
/// grant on the root) if the database has no unit yet. With no configured password, one is
/// generated and printed once on standard output.
pub async fn ensure_bootstrap(db: &storage::Database, config: &Config, now: DateTime<Utc>) -> Result<bool, String> {
    if storage::units::any(db.conn()).await.map_err(|e| e.to_string())? {
        return Ok(false);
    }
    let username = Username::parse(&config.admin_username).map_err(|e| format!("HANDBOOK_ADMIN_USERNAME {e}"))?;
    let name = UnitName::parse(&config.root_name).map_err(|e| format!("HANDBOOK_ROOT_NAME {e}"))?;
    let (password, generated) = match &config.admin_password {
        Some(p) => (p.clone(), false),
        None => (new_token(), true),
    };
    let hash = hash_password(&password).map_err(|e| format!("{e:?}"))?;
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
    let tx = db.begin().await.map_err(|e| e.to_string())?;
    storage::units::insert(tx.conn(), &root).await.map_err(|e| e.to_string())?;
    storage::accounts::insert(tx.conn(), &account).await.map_err(|e| e.to_string())?;
    storage::accounts::grant_admin(tx.conn(), account.id, root.id, None, now).await.map_err(|e| e.to_string())?;
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
    .await
    .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    tracing::info!(username = %account.username, "created the root unit and the bootstrap administrator");
    if generated {
        println!(
            "Bootstrap administrator: username `{}`, password `{password}` (shown once; set HANDBOOK_ADMIN_PASSWORD to choose it)",
            account.username
        );
    }
    Ok(true)
}
