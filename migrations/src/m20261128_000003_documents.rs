//! Documents: documents with their audience, the search term index, read receipts, bookmarks,
//! attachments.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("documents")
                    .col(pk_uuid("id"))
                    .col(uuid("issuer_unit_id"))
                    .col(string_len("kind", 32))
                    .col(string_len_null("number", 40))
                    .col(string_len("title", 500))
                    .col(text("summary"))
                    .col(text("body"))
                    .col(date_null("issued_on"))
                    .col(date_null("effective_on"))
                    .col(text("tags"))
                    .col(string_len("roles", 200))
                    .col(string_len("status", 16))
                    .col(boolean("required"))
                    .col(date_null("read_deadline"))
                    .col(timestamp_with_time_zone_null("escalated_at"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(timestamp_with_time_zone_null("withdrawn_at"))
                    .col(string_len_null("withdraw_reason", 1000))
                    .col(integer("version"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("documents", "issuer_unit_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("documents", "ux_documents_issuer_number", &["issuer_unit_id", "number"]).unique().to_owned()).await?;
        manager.create_index(index("documents", "ix_documents_status_published", &["status", "published_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("document_audience")
                    .col(uuid("document_id"))
                    .col(uuid("unit_id"))
                    .primary_key(Index::create().col("document_id").col("unit_id"))
                    .foreign_key(&mut fk("document_audience", "document_id", "documents"))
                    .foreign_key(&mut fk("document_audience", "unit_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("document_audience", "ix_document_audience_unit", &["unit_id", "document_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("document_terms")
                    .col(string_len("term", 64))
                    .col(uuid("document_id"))
                    .col(string_len("exact", 64))
                    .col(integer("weight"))
                    .primary_key(Index::create().col("term").col("document_id").col("exact"))
                    .foreign_key(&mut fk("document_terms", "document_id", "documents"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("document_terms", "ix_document_terms_document", &["document_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("read_receipts")
                    .col(uuid("document_id"))
                    .col(uuid("member_id"))
                    .col(timestamp_with_time_zone("first_read_at"))
                    .primary_key(Index::create().col("document_id").col("member_id"))
                    .foreign_key(&mut fk("read_receipts", "document_id", "documents"))
                    .foreign_key(&mut fk("read_receipts", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("read_receipts", "ix_read_receipts_member", &["member_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("bookmarks")
                    .col(uuid("member_id"))
                    .col(uuid("document_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("member_id").col("document_id"))
                    .foreign_key(&mut fk("bookmarks", "member_id", "members"))
                    .foreign_key(&mut fk("bookmarks", "document_id", "documents"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("attachments")
                    .col(pk_uuid("id"))
                    .col(uuid("document_id"))
                    .col(string_len("file_name", 200))
                    .col(string_len("mime", 100))
                    .col(big_integer("size"))
                    .col(string_len("sha256", 64))
                    .col(string_len("storage_key", 200))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("attachments", "document_id", "documents"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("attachments", "ix_attachments_document", &["document_id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["attachments", "bookmarks", "read_receipts", "document_terms", "document_audience", "documents"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
