//! Failed sign-in counters shared by every API instance and kept across restarts. One row per
//! throttled subject — an (account, client address) pair, a client address, an account, or an
//! account's password changes — keyed by a scope letter and the SHA-256 of the subject, so that
//! neither usernames nor addresses are stored in clear and a key has a fixed length. A row counts
//! the failures of a window that opened with the first failure (`window_start_us`, microseconds
//! since the Unix epoch, so that both backends compare it as a number); an expired window restarts
//! at the next failure, and the server purges expired rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("login_throttle")
                    .col(string_len("key", 80).primary_key())
                    .col(big_integer("window_start_us"))
                    .col(integer("failures"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("login_throttle", "ix_login_throttle_window", &["window_start_us"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("login_throttle").to_owned()).await?;
        Ok(())
    }
}
