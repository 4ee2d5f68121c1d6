//! First start: an empty database gets its root unit and an administrator
//! (`app::bootstrap`); a generated password is shown once on standard output.

use chrono::{DateTime, Utc};

use crate::config::Config;

/// Creates the root unit (*Trung ương*) and the bootstrap administrator if the database has no
/// unit yet; true when it did. With no configured password, one is generated and printed once.
pub async fn ensure_bootstrap(db: &storage::Database, config: &Config, now: DateTime<Utc>) -> Result<bool, String> {
    let settings = app::bootstrap::BootstrapSettings {
        admin_username: config.admin_username.clone(),
        admin_password: config.admin_password.clone(),
        root_name: config.root_name.clone(),
    };
    let Some(done) = app::bootstrap::ensure_bootstrap(db, &settings, now).await.map_err(|e| e.to_string())? else {
        return Ok(false);
    };
    if let Some(password) = done.generated_password {
        println!(
            "Bootstrap administrator: username `{}`, password `{password}` (shown once; set HANDBOOK_ADMIN_PASSWORD to choose it)",
            done.username
        );
    }
    Ok(true)
}
