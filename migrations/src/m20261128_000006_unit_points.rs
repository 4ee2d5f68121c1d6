//! Per-ancestor point totals: one row per (unit on the member's chain, member, year) so that a
//! member's rank in any unit is an index range count. Backfilled from `member_points`.

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
                    .table("unit_points")
                    .col(uuid("ancestor_id"))
                    .col(uuid("member_id"))
                    .col(integer("year"))
                    .col(big_integer("total"))
                    .primary_key(Index::create().col("ancestor_id").col("year").col("member_id"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("unit_points", "ix_unit_points_rank", &["ancestor_id", "year", "total"])).await?;
        manager.create_index(index("unit_points", "ix_unit_points_member", &["member_id"])).await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO unit_points (ancestor_id, member_id, year, total) \
                 SELECT c.ancestor_id, mp.member_id, mp.year, mp.total FROM member_points mp \
                 JOIN members m ON m.id = mp.member_id JOIN org_unit_closure c ON c.descendant_id = m.unit_id \
                 WHERE m.standing IN ('probationary', 'official')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("unit_points").to_owned()).await?;
        Ok(())
    }
}
