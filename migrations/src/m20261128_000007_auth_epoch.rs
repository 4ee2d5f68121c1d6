//! The authorisation epoch: a one-row counter that database triggers advance whenever something
//! an authenticated caller's permissions are computed from changes (positions, administration
//! grants, the account's status, the member's standing or cell, the unit tree). The API caches
//! each session's actor together with the epoch it was computed at and recomputes it as soon as
//! the epoch moves, so a cached permission is never older than the last committed change, on any
//! number of API instances. Triggers rather than calls in the storage code: no write path, bulk
//! load or future function can forget to advance it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, trigger name suffix, event).
const WATCHED: [(&str, &str, &str); 12] = [
    ("positions", "ins", "INSERT"),
    ("positions", "upd", "UPDATE"),
    ("positions", "del", "DELETE"),
    ("admin_grants", "ins", "INSERT"),
    ("admin_grants", "upd", "UPDATE"),
    ("admin_grants", "del", "DELETE"),
    ("accounts", "upd", "UPDATE OF member_id, username, password_hash, must_change_password, disabled"),
    ("accounts", "del", "DELETE"),
    ("members", "upd", "UPDATE OF unit_id, standing"),
    ("members", "del", "DELETE"),
    ("org_unit_closure", "ins", "INSERT"),
    ("org_unit_closure", "del", "DELETE"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE TABLE auth_epoch (id integer NOT NULL PRIMARY KEY, value bigint NOT NULL)").await?;
        db.execute_unprepared("INSERT INTO auth_epoch (id, value) VALUES (1, 1)").await?;
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION bump_auth_epoch() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN UPDATE auth_epoch SET value = value + 1 WHERE id = 1; RETURN NULL; END $$",
                )
                .await?;
                for (table, suffix, event) in WATCHED {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER tr_{table}_{suffix}_auth_epoch AFTER {event} ON {table} \
                         FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_epoch()"
                    ))
                    .await?;
                }
            }
            _ => {
                for (table, suffix, event) in WATCHED {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER tr_{table}_{suffix}_auth_epoch AFTER {event} ON {table} \
                         BEGIN UPDATE auth_epoch SET value = value + 1 WHERE id = 1; END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, suffix, _) in WATCHED {
            let on = if manager.get_database_backend() == DatabaseBackend::Postgres { format!(" ON {table}") } else { String::new() };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS tr_{table}_{suffix}_auth_epoch{on}")).await?;
        }
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS bump_auth_epoch()").await?;
        }
        db.execute_unprepared("DROP TABLE auth_epoch").await?;
        Ok(())
    }
}
