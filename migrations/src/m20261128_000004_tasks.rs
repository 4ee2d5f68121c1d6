//! Tasks: tasks, their assignees and their history of updates.

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
                    .table("tasks")
                    .col(pk_uuid("id"))
                    .col(uuid("unit_id"))
                    .col(string_len("title", 300))
                    .col(text("description"))
                    .col(uuid_null("assigner_member_id"))
                    .col(uuid("assigner_account_id"))
                    .col(uuid_null("source_meeting_id"))
                    .col(uuid_null("review_meeting_id"))
                    .col(date("due_on"))
                    .col(string_len("priority", 16))
                    .col(string_len("status", 32))
                    .col(small_integer("percent"))
                    .col(string_len_null("rating", 16))
                    .col(string_len_null("evaluation_comment", 2000))
                    .col(uuid_null("evaluated_by"))
                    .col(timestamp_with_time_zone_null("evaluated_at"))
                    .col(timestamp_with_time_zone_null("submitted_at"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(string_len_null("cancel_reason", 1000))
                    .col(timestamp_with_time_zone_null("due_soon_notified_at"))
                    .col(timestamp_with_time_zone_null("overdue_notified_at"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("tasks", "unit_id", "org_units"))
                    .foreign_key(&mut fk("tasks", "source_meeting_id", "meetings"))
                    .foreign_key(&mut fk("tasks", "review_meeting_id", "meetings"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("tasks", "ix_tasks_unit_due", &["unit_id", "due_on"])).await?;
        manager.create_index(index("tasks", "ix_tasks_review_meeting", &["review_meeting_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("task_assignees")
                    .col(uuid("task_id"))
                    .col(uuid("member_id"))
                    .primary_key(Index::create().col("task_id").col("member_id"))
                    .foreign_key(&mut fk("task_assignees", "task_id", "tasks"))
                    .foreign_key(&mut fk("task_assignees", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("task_assignees", "ix_task_assignees_member", &["member_id", "task_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("task_updates")
                    .col(pk_uuid("id"))
                    .col(uuid("task_id"))
                    .col(string_len("kind", 16))
                    .col(uuid_null("author_member_id"))
                    .col(uuid("author_account_id"))
                    .col(small_integer_null("percent"))
                    .col(text("note"))
                    .col(string_len_null("attachment_ref", 500))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("task_updates", "task_id", "tasks"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("task_updates", "ix_task_updates_task", &["task_id", "id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["task_updates", "task_assignees", "tasks"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
