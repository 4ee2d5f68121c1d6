//! Database schema migrations for the handbook, written with sea-orm-migration so that the same
//! migration runs on SQLite and PostgreSQL. One structural change per statement (SQLite cannot
//! combine ALTERs). The API applies pending migrations at start-up; `api migrate` applies them
//! from the command line.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_foundation;
mod m20261128_000002_meetings;
mod m20261128_000003_documents;
mod m20261128_000004_tasks;
mod m20261128_000005_study;
mod m20261128_000006_unit_points;
mod m20261128_000007_auth_epoch;
mod m20261128_000008_search_rank;
mod m20261128_000009_rank_counts;
mod m20261128_000010_regular_month;
mod m20261130_000011_login_throttle;
mod m20261130_000012_point_adjustments;
mod m20261130_000013_readiness;
mod m20261204_000014_notifications;
mod m20261204_000015_reports;
mod m20261206_000016_points_pending;
mod m20261206_000017_inbox_notify;
mod util;

/// All migrations, in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_foundation::Migration),
            Box::new(m20261128_000002_meetings::Migration),
            Box::new(m20261128_000003_documents::Migration),
            Box::new(m20261128_000004_tasks::Migration),
            Box::new(m20261128_000005_study::Migration),
            Box::new(m20261128_000006_unit_points::Migration),
            Box::new(m20261128_000007_auth_epoch::Migration),
            Box::new(m20261128_000008_search_rank::Migration),
            Box::new(m20261128_000009_rank_counts::Migration),
            Box::new(m20261128_000010_regular_month::Migration),
            Box::new(m20261130_000011_login_throttle::Migration),
            Box::new(m20261130_000012_point_adjustments::Migration),
            Box::new(m20261130_000013_readiness::Migration),
            Box::new(m20261204_000014_notifications::Migration),
            Box::new(m20261204_000015_reports::Migration),
            Box::new(m20261206_000016_points_pending::Migration),
            Box::new(m20261206_000017_inbox_notify::Migration),
        ]
    }
}
