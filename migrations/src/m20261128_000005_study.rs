//! Study: question bank (versioned), quizzes, attempts, the points ledger and its per-year totals.

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
                    .table("questions")
                    .col(pk_uuid("id"))
                    .col(uuid("document_id"))
                    .col(uuid("unit_id"))
                    .col(string_len("kind", 16))
                    .col(text("tags"))
                    .col(uuid("current_version_id"))
                    .col(integer("current_version"))
                    .col(boolean("answered"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("questions", "document_id", "documents"))
                    .foreign_key(&mut fk("questions", "unit_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("questions", "ix_questions_unit", &["unit_id"])).await?;
        manager.create_index(index("questions", "ix_questions_document", &["document_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("question_versions")
                    .col(pk_uuid("id"))
                    .col(uuid("question_id"))
                    .col(integer("version"))
                    .col(string_len("kind", 16))
                    .col(text("prompt"))
                    .col(text("options"))
                    .col(text("correct"))
                    .col(text("explanation"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("question_versions", "question_id", "questions"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("question_versions", "ix_question_versions_question", &["question_id", "version"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("quizzes")
                    .col(pk_uuid("id"))
                    .col(uuid("unit_id"))
                    .col(string_len("title", 300))
                    .col(text("description"))
                    .col(date("opens_on"))
                    .col(date("closes_on"))
                    .col(string_len("weekdays", 40))
                    .col(string_len_null("daily_from", 5))
                    .col(string_len_null("daily_to", 5))
                    .col(integer("time_limit_minutes"))
                    .col(integer("max_attempts"))
                    .col(string_len("attempt_period", 8))
                    .col(integer("points_per_correct"))
                    .col(integer("question_count"))
                    .col(string_len("selection", 8))
                    .col(text("tags"))
                    .col(text("document_ids"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("quizzes", "unit_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("quizzes", "ix_quizzes_unit", &["unit_id", "closes_on"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("quiz_questions")
                    .col(uuid("quiz_id"))
                    .col(uuid("question_id"))
                    .col(integer("position"))
                    .primary_key(Index::create().col("quiz_id").col("question_id"))
                    .foreign_key(&mut fk("quiz_questions", "quiz_id", "quizzes"))
                    .foreign_key(&mut fk("quiz_questions", "question_id", "questions"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("attempts")
                    .col(pk_uuid("id"))
                    .col(uuid("quiz_id"))
                    .col(uuid("member_id"))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone("deadline"))
                    .col(timestamp_with_time_zone_null("submitted_at"))
                    .col(text("question_ids"))
                    .col(text("version_ids"))
                    .col(text_null("answers"))
                    .col(integer_null("correct_count"))
                    .col(integer_null("points"))
                    .foreign_key(&mut fk("attempts", "quiz_id", "quizzes"))
                    .foreign_key(&mut fk("attempts", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("attempts", "ix_attempts_quiz_member", &["quiz_id", "member_id", "started_at"])).await?;
        manager.create_index(index("attempts", "ix_attempts_member", &["member_id", "started_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("points_ledger")
                    .col(pk_uuid("id"))
                    .col(uuid("member_id"))
                    .col(big_integer("points"))
                    .col(string_len("reason", 32))
                    .col(uuid("source_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(integer("year"))
                    .col(string_len_null("note", 1000))
                    .col(uuid_null("created_by"))
                    .foreign_key(&mut fk("points_ledger", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("points_ledger", "ux_points_ledger_award", &["reason", "source_id", "member_id"]).unique().to_owned())
            .await?;
        manager.create_index(index("points_ledger", "ix_points_ledger_member", &["member_id", "id"])).await?;

        // Totals per member and year (year 0: all time), kept in the same transaction as each
        // ledger entry; a test checks they equal the ledger's sums.
        manager
            .create_table(
                Table::create()
                    .table("member_points")
                    .col(uuid("member_id"))
                    .col(integer("year"))
                    .col(big_integer("total"))
                    .primary_key(Index::create().col("member_id").col("year"))
                    .foreign_key(&mut fk("member_points", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("member_points", "ix_member_points_year_total", &["year", "total"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["member_points", "points_ledger", "attempts", "quiz_questions", "quizzes", "question_versions", "questions"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
