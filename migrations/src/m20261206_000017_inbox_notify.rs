//! PostgreSQL only: a statement that inserts notifications or updates them (read marks) runs
//! `pg_notify('handbook_inbox', …)` naming the members whose inbox changed — their ids, comma
//! separated, when the statement touched at most 100 members, `*` otherwise (a broadcast). An
//! API node listens on the channel and wakes only those members' notification streams, so a
//! stream learns of an item the notifier or another node wrote within a round trip, and idle
//! streams no longer poll the database every few seconds. SQLite: nothing (one process).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FUNCTION: &str = "CREATE OR REPLACE FUNCTION handbook_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched integer;
    payload text;
BEGIN
    SELECT count(*) INTO touched FROM (SELECT DISTINCT member_id FROM changed LIMIT 101) s;
    IF touched = 0 THEN
        RETURN NULL;
    ELSIF touched > 100 THEN
        payload := '*';
    ELSE
        SELECT string_agg(DISTINCT member_id::text, ',') INTO payload FROM changed;
    END IF;
    PERFORM pg_notify('handbook_inbox', payload);
    RETURN NULL;
END $$";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(FUNCTION).await?;
        // A trigger with a transition table has one event, hence two triggers.
        db.execute_unprepared(
            "CREATE TRIGGER notifications_inserted_notify AFTER INSERT ON notifications \
             REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION handbook_inbox_notify()",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER notifications_updated_notify AFTER UPDATE ON notifications \
             REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION handbook_inbox_notify()",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP TRIGGER IF EXISTS notifications_inserted_notify ON notifications").await?;
        db.execute_unprepared("DROP TRIGGER IF EXISTS notifications_updated_notify ON notifications").await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS handbook_inbox_notify()").await?;
        Ok(())
    }
}
