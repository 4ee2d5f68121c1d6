//! One regular meeting per cell per Vietnamese calendar month, enforced by the database:
//! `meetings.regular_month` holds the month a regular meeting takes (`year * 100 + month` of its
//! start in Asia/Ho_Chi_Minh, a fixed UTC+07:00), NULL for other kinds and for cancelled regular
//! meetings (a cancelled meeting frees its month), and `ux_meetings_regular_month` makes
//! (unit_id, regular_month) unique — NULLs never collide, on SQLite and PostgreSQL alike — so two
//! concurrent creations cannot both succeed. Backfilled in Rust from `starts_at`.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::prelude::{ChronoDateTimeUtc, Uuid};
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `year * 100 + month` of an instant in Vietnam (UTC+07:00, no daylight saving since 1975).
fn month_key(at: ChronoDateTimeUtc) -> i32 {
    let local = (at + Duration::hours(7)).date_naive();
    local.year() * 100 + <i32 as TryFrom<u32>>::try_from(local.month()).unwrap_or(0)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        // Read and check before changing anything: SQLite does not roll the ALTER back.
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, unit_id, starts_at FROM meetings WHERE kind = 'regular' AND status <> 'cancelled' ORDER BY id",
            ))
            .await?;
        let mut taken: BTreeMap<(Uuid, i32), Uuid> = BTreeMap::new();
        let mut by_key: BTreeMap<i32, Vec<Uuid>> = BTreeMap::new();
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let unit: Uuid = row.try_get("", "unit_id")?;
            let key = month_key(row.try_get("", "starts_at")?);
            if let Some(first) = taken.insert((unit, key), id) {
                return Err(DbErr::Migration(format!(
                    "unit {unit} has two regular meetings in month {key} ({first} and {id}); cancel one of them, then migrate again"
                )));
            }
            by_key.entry(key).or_default().push(id);
        }
        manager.alter_table(Table::alter().table("meetings").add_column(integer_null("regular_month")).to_owned()).await?;
        for (key, ids) in by_key {
            for chunk in ids.chunks(500) {
                manager
                    .exec_stmt(
                        Query::update()
                            .table("meetings")
                            .value("regular_month", key)
                            .and_where(Expr::col("id").is_in(chunk.iter().copied()))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        let mut unique = index("meetings", "ux_meetings_regular_month", &["unit_id", "regular_month"]);
        unique.unique();
        manager.create_index(unique).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ux_meetings_regular_month").table("meetings").to_owned()).await?;
        manager.alter_table(Table::alter().table("meetings").drop_column("regular_month").to_owned()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn month_keys_follow_vietnams_calendar() {
        let at = |y, mo, d, h| chrono::Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).single().map(month_key);
        assert_eq!(at(2026, 11, 30, 16), Some(202611));
        assert_eq!(at(2026, 11, 30, 17), Some(202612), "17:00 UTC is midnight in Vietnam");
        assert_eq!(at(2026, 12, 31, 17), Some(202701));
    }
}
