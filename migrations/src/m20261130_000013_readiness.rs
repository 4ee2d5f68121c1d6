//! `readiness_probe`: one row the readiness check (`GET /ready`) rewrites, so that "ready" means
//! the database accepts a write (not only that it answers a read: a full disk or a read-only file
//! still answers `SELECT 1`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("readiness_probe")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(ColumnDef::new("checked_at").string().not_null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_raw(Statement::from_string(
            manager.get_database_backend(),
            "INSERT INTO readiness_probe (id, checked_at) VALUES (1, '')",
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("readiness_probe").to_owned()).await
    }
}
