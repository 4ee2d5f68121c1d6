//! Deferred point totals: `point_totals_pending(ledger_id, member_id, year, points, queued_at)`,
//! one row per ledger entry of a first read or an attendance whose totals (`member_points`,
//! `unit_points` and, through its triggers, `unit_point_counts`) are not applied yet. The request
//! writes the ledger row and this row in one transaction; the API process's applier deletes a
//! batch of these rows and applies their summed points in one transaction, so each entry is
//! counted in the totals exactly once, whatever is killed when. A member's own total reads
//! `member_points` plus their pending rows (indexed on `member_id`).

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
                    .table("point_totals_pending")
                    .col(uuid("ledger_id").primary_key())
                    .col(uuid("member_id"))
                    .col(integer("year"))
                    .col(big_integer("points"))
                    .col(timestamp_with_time_zone("queued_at"))
                    .foreign_key(&mut fk("point_totals_pending", "ledger_id", "points_ledger"))
                    .foreign_key(&mut fk("point_totals_pending", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("point_totals_pending", "ix_point_totals_pending_member", &["member_id", "year"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("point_totals_pending").to_owned()).await?;
        Ok(())
    }
}
