//! Meetings: meetings with agenda, attendance ledger, opinions (with edit history), minutes,
//! motions and ballots, ratings, reports to the superior unit, calendar feed tokens; and the
//! transactional outbox that notifications are read from.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 11] = [
    "calendar_feeds",
    "meeting_reports",
    "meeting_ratings",
    "ballots",
    "motions",
    "comment_edits",
    "comments",
    "attendance",
    "agenda_items",
    "meetings",
    "outbox_events",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox_events")
                    .col(pk_uuid("id"))
                    .col(string_len("kind", 64))
                    .col(string_len("aggregate_type", 32))
                    .col(uuid("aggregate_id"))
                    .col(uuid_null("unit_id"))
                    .col(text("payload"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("processed_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("outbox_events", "ix_outbox_events_pending", &["processed_at", "id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("meetings")
                    .col(pk_uuid("id"))
                    .col(uuid("unit_id"))
                    .col(string_len("kind", 32))
                    .col(boolean("combined_thematic"))
                    .col(string_len("title", 300))
                    .col(string_len("status", 32))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(integer("planned_minutes"))
                    .col(string_len_null("location", 300))
                    .col(string_len_null("online_link", 500))
                    .col(text("notes"))
                    .col(integer("version"))
                    .col(boolean("late_publication"))
                    .col(boolean("short_duration_confirmed"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(timestamp_with_time_zone_null("opened_at"))
                    .col(timestamp_with_time_zone_null("ended_at"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(string_len_null("cancel_reason", 1000))
                    .col(text_null("minutes_text"))
                    .col(text_null("resolution_text"))
                    .col(uuid_null("chair_id"))
                    .col(uuid_null("minutes_taker_id"))
                    .col(timestamp_with_time_zone_null("actual_started_at"))
                    .col(timestamp_with_time_zone_null("actual_ended_at"))
                    .col(timestamp_with_time_zone_null("minutes_approved_at"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("meetings", "unit_id", "org_units"))
                    .foreign_key(&mut fk("meetings", "chair_id", "members"))
                    .foreign_key(&mut fk("meetings", "minutes_taker_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("meetings", "ix_meetings_unit_start", &["unit_id", "starts_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("agenda_items")
                    .col(pk_uuid("id"))
                    .col(uuid("meeting_id"))
                    .col(integer("position"))
                    .col(string_len("title", 300))
                    .col(text("description"))
                    .col(string_len_null("presenter", 200))
                    .col(integer_null("planned_minutes"))
                    .foreign_key(&mut fk("agenda_items", "meeting_id", "meetings"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("agenda_items", "ix_agenda_items_meeting", &["meeting_id", "position"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("attendance")
                    .col(uuid("meeting_id"))
                    .col(uuid("member_id"))
                    .col(string_len("role", 16))
                    .col(boolean("official"))
                    .col(string_len("status", 32))
                    .col(timestamp_with_time_zone_null("checked_in_at"))
                    .col(string_len_null("reason", 1000))
                    .col(uuid_null("recorded_by"))
                    .col(timestamp_with_time_zone_null("recorded_at"))
                    .primary_key(Index::create().col("meeting_id").col("member_id"))
                    .foreign_key(&mut fk("attendance", "meeting_id", "meetings"))
                    .foreign_key(&mut fk("attendance", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("attendance", "ix_attendance_member", &["member_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("comments")
                    .col(pk_uuid("id"))
                    .col(uuid("meeting_id"))
                    .col(uuid_null("agenda_item_id"))
                    .col(uuid_null("parent_id"))
                    .col(uuid("author_id"))
                    .col(string_len("author_presence", 16))
                    .col(text("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("edited_at"))
                    .col(timestamp_with_time_zone_null("hidden_at"))
                    .col(uuid_null("hidden_by"))
                    .col(string_len_null("hidden_reason", 1000))
                    .foreign_key(&mut fk("comments", "meeting_id", "meetings"))
                    .foreign_key(&mut fk("comments", "agenda_item_id", "agenda_items"))
                    .foreign_key(&mut fk("comments", "parent_id", "comments"))
                    .foreign_key(&mut fk("comments", "author_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("comments", "ix_comments_meeting", &["meeting_id", "id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("comment_edits")
                    .col(pk_uuid("id"))
                    .col(uuid("comment_id"))
                    .col(text("previous_body"))
                    .col(timestamp_with_time_zone("edited_at"))
                    .foreign_key(&mut fk("comment_edits", "comment_id", "comments"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("comment_edits", "ix_comment_edits_comment", &["comment_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("motions")
                    .col(pk_uuid("id"))
                    .col(uuid("meeting_id"))
                    .col(string_len("title", 500))
                    .col(boolean("by_ballot"))
                    .col(integer("agree"))
                    .col(integer("disagree"))
                    .col(integer("other"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("motions", "meeting_id", "meetings"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("motions", "ix_motions_meeting", &["meeting_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("ballots")
                    .col(uuid("motion_id"))
                    .col(uuid("member_id"))
                    .col(string_len("vote", 16))
                    .col(timestamp_with_time_zone("cast_at"))
                    .primary_key(Index::create().col("motion_id").col("member_id"))
                    .foreign_key(&mut fk("ballots", "motion_id", "motions"))
                    .foreign_key(&mut fk("ballots", "member_id", "members"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("meeting_ratings")
                    .col(uuid("meeting_id"))
                    .col(uuid("member_id"))
                    .col(small_integer("preparation"))
                    .col(small_integer("content"))
                    .col(small_integer("discussion"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("meeting_id").col("member_id"))
                    .foreign_key(&mut fk("meeting_ratings", "meeting_id", "meetings"))
                    .foreign_key(&mut fk("meeting_ratings", "member_id", "members"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("meeting_reports")
                    .col(pk_uuid("id"))
                    .col(uuid("meeting_id"))
                    .col(uuid("unit_id"))
                    .col(uuid("parent_unit_id"))
                    .col(string_len("status", 16))
                    .col(timestamp_with_time_zone("sent_at"))
                    .col(uuid_null("sent_by"))
                    .col(boolean("late"))
                    .col(string_len("month", 7))
                    .col(text("summary"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(uuid_null("decided_by"))
                    .col(string_len_null("decision_comment", 2000))
                    .foreign_key(&mut fk("meeting_reports", "meeting_id", "meetings"))
                    .foreign_key(&mut fk("meeting_reports", "unit_id", "org_units"))
                    .foreign_key(&mut fk("meeting_reports", "parent_unit_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("meeting_reports", "ix_meeting_reports_meeting", &["meeting_id"])).await?;
        manager.create_index(index("meeting_reports", "ix_meeting_reports_unit_month", &["unit_id", "month"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("calendar_feeds")
                    .col(uuid("member_id").primary_key())
                    .col(string_len("token_hash", 64).unique_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("calendar_feeds", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
