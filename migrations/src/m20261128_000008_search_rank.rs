//! Ranked postings for top-k search: every search term row carries its document's publication
//! time (`published_key`, microseconds since the Unix epoch, 0 while unpublished) and an index
//! orders each term's rows by (weight, publication) — the order of the search ranking — so that a
//! query reads the best postings first and stops as soon as no unread posting can enter the page.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::prelude::{ChronoDateTimeUtc, Uuid};
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("document_terms").add_column(big_integer("published_key").default(0)).to_owned()).await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let published = db
            .query_all_raw(Statement::from_string(backend, "SELECT id, published_at FROM documents WHERE published_at IS NOT NULL"))
            .await?;
        for row in published {
            let id: Uuid = row.try_get("", "id")?;
            let at: ChronoDateTimeUtc = row.try_get("", "published_at")?;
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "UPDATE document_terms SET published_key = $1 WHERE document_id = $2",
                vec![at.timestamp_micros().into(), id.into()],
            ))
            .await?;
        }
        manager
            .create_index(index("document_terms", "ix_document_terms_rank", &["term", "weight", "published_key", "document_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_document_terms_rank").table("document_terms").to_owned()).await?;
        manager.alter_table(Table::alter().table("document_terms").drop_column("published_key").to_owned()).await?;
        Ok(())
    }
}
