//! PostgreSQL only: a statement that inserts notifications runs `pg_notify('handbook_inbox', …)`
//! naming the members whose inbox it wrote — their ids, comma separated, at most 200 per
//! notification (a fan-out chunk of 2,000 members sends ten), or one `*` when it wrote for more
//! than 20,000 members. An API node listens on the channel and wakes only those members' streams,
//! so a stream learns of an item the notifier or another node wrote within a round trip, and idle
//! streams no longer poll the database every few seconds. Read marks send nothing: a `NOTIFY`
//! serialises the commits of the transactions that send one, and read marks are frequent; the node
//! that takes a read mark wakes its own streams of the member, other nodes' streams see it at
//! their next look. SQLite: nothing (one process).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FUNCTION: &str = "CREATE OR REPLACE FUNCTION handbook_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched integer;
    payload text;
BEGIN
    SELECT count(DISTINCT member_id) INTO touched FROM changed;
    IF touched = 0 THEN
        RETURN NULL;
    ELSIF touched > 20000 THEN
        PERFORM pg_notify('handbook_inbox', '*');
        RETURN NULL;
    END IF;
    FOR payload IN
        SELECT string_agg(member_id::text, ',')
        FROM (SELECT member_id, (row_number() OVER (ORDER BY member_id) - 1) / 200 AS grp
              FROM (SELECT DISTINCT member_id FROM changed) d) g
        GROUP BY grp
    LOOP
        PERFORM pg_notify('handbook_inbox', payload);
    END LOOP;
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
        db.execute_unprepared(
            "CREATE TRIGGER notifications_inserted_notify AFTER INSERT ON notifications \
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
        db.execute_unprepared("DROP FUNCTION IF EXISTS handbook_inbox_notify()").await?;
        Ok(())
    }
}
