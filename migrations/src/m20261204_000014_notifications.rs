//! Notifications: the in-app inbox (one row per member and event), the e-mail and push deliveries
//! derived from it, members' notification preferences, and the leases workers hold. The outbox
//! gains what the notifier needs to consume it: an occurrence key (reminders are written once per
//! occurrence whatever the number of scans), the fan-out cursor of a large event processed in
//! chunks, and the failures of an event that cannot be processed.
//!
//! Instants that workers compare in SQL (`next_attempt_us`, `lease_until_us`, `until_us`) are
//! microseconds since the Unix epoch, so both backends compare them as numbers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("outbox_events").add_column(string_len_null("occurrence_key", 200)).to_owned()).await?;
        manager.alter_table(Table::alter().table("outbox_events").add_column(uuid_null("fanout_after")).to_owned()).await?;
        manager.alter_table(Table::alter().table("outbox_events").add_column(integer("attempts").default(0)).to_owned()).await?;
        manager.alter_table(Table::alter().table("outbox_events").add_column(text_null("last_error")).to_owned()).await?;
        manager.create_index(index("outbox_events", "ux_outbox_events_occurrence", &["occurrence_key"]).unique().to_owned()).await?;
        manager.create_index(index("outbox_events", "ix_outbox_events_created", &["created_at"])).await?;
        // The notifier claims the next unprocessed event (fewest failures, then oldest).
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX ix_outbox_events_unprocessed ON outbox_events (attempts, id) WHERE processed_at IS NULL")
            .await?;
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            // Wakes notifiers listening on `handbook_outbox` when a transaction that wrote events
            // commits (one notification per statement; PostgreSQL folds duplicates per transaction).
            let db = manager.get_connection();
            db.execute_unprepared(
                "CREATE OR REPLACE FUNCTION handbook_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN PERFORM pg_notify('handbook_outbox', ''); RETURN NULL; END $$",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events FOR EACH STATEMENT \
                 EXECUTE FUNCTION handbook_outbox_notify()",
            )
            .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("notifications")
                    .col(pk_uuid("id"))
                    .col(uuid("member_id"))
                    .col(uuid("event_id"))
                    .col(string_len("kind", 64))
                    .col(string_len("object_type", 32))
                    .col(uuid("object_id"))
                    .col(text("params"))
                    .col(boolean("urgent"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .foreign_key(&mut fk("notifications", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("notifications", "ux_notifications_event_member", &["event_id", "member_id"]).unique().to_owned())
            .await?;
        manager.create_index(index("notifications", "ix_notifications_member", &["member_id", "id"])).await?;
        // The unread count reads only the member's unread rows (a partial index on both backends).
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX ix_notifications_unread ON notifications (member_id) WHERE read_at IS NULL")
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("notification_deliveries")
                    .col(pk_uuid("id"))
                    .col(uuid("notification_id"))
                    .col(uuid("member_id"))
                    .col(string_len("channel", 16))
                    .col(string_len("status", 16))
                    .col(boolean("digest"))
                    .col(integer("attempts"))
                    .col(big_integer("next_attempt_us"))
                    .col(big_integer_null("lease_until_us"))
                    .col(string_len_null("leased_by", 100))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_deliveries_notification_id")
                            .from("notification_deliveries", "notification_id")
                            .to("notifications", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk("notification_deliveries", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("notification_deliveries", "ux_notification_deliveries_key", &["notification_id", "channel"]).unique().to_owned(),
            )
            .await?;
        // The notifier claims the earliest due pending deliveries: an ordered range of this index.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_notification_deliveries_due ON notification_deliveries (next_attempt_us, id) WHERE status = 'pending'",
            )
            .await?;
        manager.create_index(index("notification_deliveries", "ix_notification_deliveries_member", &["member_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("notification_preferences")
                    .col(uuid("member_id").primary_key())
                    .col(text("settings"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("notification_preferences", "member_id", "members"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("worker_leases")
                    .col(string_len("name", 64).primary_key())
                    .col(string_len("holder", 100))
                    .col(big_integer("until_us"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["worker_leases", "notification_preferences", "notification_deliveries", "notifications"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TRIGGER IF EXISTS outbox_events_notify ON outbox_events").await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS handbook_outbox_notify()").await?;
        }
        manager.drop_index(Index::drop().name("ix_outbox_events_unprocessed").table("outbox_events").to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_outbox_events_created").table("outbox_events").to_owned()).await?;
        manager.drop_index(Index::drop().name("ux_outbox_events_occurrence").table("outbox_events").to_owned()).await?;
        for col in ["last_error", "attempts", "fanout_after", "occurrence_key"] {
            manager.alter_table(Table::alter().table("outbox_events").drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
