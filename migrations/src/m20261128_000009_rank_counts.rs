//! Rank counts: how many members of each unit's subtree have each yearly total,
//! `unit_point_counts(ancestor_id, year, total, members)`, so that a member's rank is a sum over
//! the distinct totals above theirs (a few hundred rows) instead of a count over every member
//! above them (up to the province's 150,000). Kept equal to `unit_points` by row triggers, so no
//! write path can forget it; backfilled from `unit_points`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ADD_NEW: &str = "INSERT INTO unit_point_counts (ancestor_id, year, total, members) VALUES (NEW.ancestor_id, NEW.year, NEW.total, 1) \
     ON CONFLICT (ancestor_id, year, total) DO UPDATE SET members = unit_point_counts.members + 1";
const REMOVE_OLD: &str =
    "UPDATE unit_point_counts SET members = members - 1 WHERE ancestor_id = OLD.ancestor_id AND year = OLD.year AND total = OLD.total";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE unit_point_counts (ancestor_id uuid NOT NULL, year integer NOT NULL, total bigint NOT NULL, \
             members bigint NOT NULL, PRIMARY KEY (ancestor_id, year, total))",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO unit_point_counts (ancestor_id, year, total, members) \
             SELECT ancestor_id, year, total, COUNT(*) FROM unit_points GROUP BY ancestor_id, year, total",
        )
        .await?;
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION count_unit_points() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                     IF TG_OP IN ('UPDATE', 'DELETE') THEN {REMOVE_OLD}; END IF; \
                     IF TG_OP IN ('UPDATE', 'INSERT') THEN {ADD_NEW}; END IF; \
                     RETURN NULL; END $$"
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER tr_unit_points_counts AFTER INSERT OR UPDATE OR DELETE ON unit_points \
                     FOR EACH ROW EXECUTE FUNCTION count_unit_points()",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER tr_unit_points_counts_ins AFTER INSERT ON unit_points BEGIN {ADD_NEW}; END"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER tr_unit_points_counts_upd AFTER UPDATE ON unit_points BEGIN {REMOVE_OLD}; {ADD_NEW}; END"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER tr_unit_points_counts_del AFTER DELETE ON unit_points BEGIN {REMOVE_OLD}; END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS tr_unit_points_counts ON unit_points").await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS count_unit_points()").await?;
        } else {
            for suffix in ["ins", "upd", "del"] {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS tr_unit_points_counts_{suffix}")).await?;
            }
        }
        db.execute_unprepared("DROP TABLE unit_point_counts").await?;
        Ok(())
    }
}
