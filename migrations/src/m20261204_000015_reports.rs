//! Generated reports (*báo cáo*): one row per (kind, unit, period, format, subject) — requested
//! from the API or by the schedule, claimed by a report generator under a lease, and, once done,
//! pointing at its file with its SHA-256. Regenerating reuses the row; the file name carries the
//! checksum, so the row decides which file is current and a half-written file is never named.
//!
//! `lease_until_us` is microseconds since the Unix epoch (compared as a number on both backends).

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
                    .table("reports")
                    .col(pk_uuid("id"))
                    .col(string_len("kind", 32))
                    .col(uuid("unit_id"))
                    .col(string_len("period", 16))
                    .col(string_len("format", 8))
                    // The member whose own year sheet this is, or '' for the whole unit.
                    .col(string_len("subject", 36))
                    .col(string_len("status", 16))
                    .col(integer("progress"))
                    .col(uuid_null("requested_by"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(integer("attempts"))
                    // Asked for again while being generated: generated once more after this run.
                    .col(boolean("requested_again").default(false))
                    .col(string_len_null("leased_by", 100))
                    .col(big_integer_null("lease_until_us"))
                    .col(text_null("last_error"))
                    .col(string_len_null("file_name", 200))
                    .col(big_integer_null("size_bytes"))
                    .col(string_len_null("checksum", 64))
                    .col(string_len_null("content_key", 64))
                    .col(timestamp_with_time_zone_null("generated_at"))
                    .col(timestamp_with_time_zone_null("data_cutoff"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("reports", "unit_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("reports", "ux_reports_key", &["kind", "unit_id", "period", "format", "subject"]).unique().to_owned())
            .await?;
        manager.create_index(index("reports", "ix_reports_unit", &["unit_id", "kind", "period"])).await?;
        // Generators claim the oldest queued request: an ordered range of this index.
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX ix_reports_queued ON reports (requested_at, id) WHERE status = 'queued'")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("reports").to_owned()).await
    }
}
