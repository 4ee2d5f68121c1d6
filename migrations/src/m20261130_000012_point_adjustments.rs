//! Manual point adjustments, bounded and reviewable:
//!
//! - `points_ledger.unit_id`: the member's home cell when a leader's adjustment was written (NULL
//!   for every other entry), so that the superior levels list the adjustments made under them,
//!   where they were made, even after the member transfers; indexed with the id for the
//!   newest-first pages. Existing adjustments are backfilled with the member's current cell.
//! - `point_adjustment_totals(member_id, year, points)`: the sum of the absolute values of a
//!   member's adjustments in a Vietnamese calendar year, the figure the yearly cap is checked
//!   against by one conditional upsert in the transaction of the adjustment. Backfilled from the
//!   ledger.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager.alter_table(Table::alter().table("points_ledger").add_column(uuid_null("unit_id")).to_owned()).await?;
        db.execute_unprepared(
            "UPDATE points_ledger SET unit_id = (SELECT m.unit_id FROM members m WHERE m.id = points_ledger.member_id) \
             WHERE reason = 'adjustment'",
        )
        .await?;
        manager.create_index(index("points_ledger", "ix_points_ledger_unit", &["unit_id", "id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("point_adjustment_totals")
                    .col(uuid("member_id"))
                    .col(integer("year"))
                    .col(big_integer("points"))
                    .primary_key(Index::create().col("member_id").col("year"))
                    .foreign_key(&mut fk("point_adjustment_totals", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "INSERT INTO point_adjustment_totals (member_id, year, points) \
             SELECT member_id, year, SUM(ABS(points)) FROM points_ledger WHERE reason = 'adjustment' GROUP BY member_id, year",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("point_adjustment_totals").to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_points_ledger_unit").table("points_ledger").to_owned()).await?;
        manager.alter_table(Table::alter().table("points_ledger").drop_column("unit_id").to_owned()).await?;
        Ok(())
    }
}
