//! Foundation: organisation tree (with closure table and dated parent links), members and their
//! lifecycle events, positions, accounts, administrator grants, sessions, audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 9] =
    ["audit_log", "sessions", "admin_grants", "accounts", "positions", "member_events", "members", "org_unit_links", "org_unit_closure"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("org_units")
                    .col(pk_uuid("id"))
                    .col(uuid_null("parent_id"))
                    .col(string_len("kind", 32))
                    .col(string_len("name", 200))
                    .col(integer("depth"))
                    .col(date("parent_since"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("org_units", "parent_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("org_units", "ix_org_units_parent", &["parent_id", "name"])).await?;

        // Closure table: one row per (ancestor, descendant) pair, depth 0 for the unit itself.
        manager
            .create_table(
                Table::create()
                    .table("org_unit_closure")
                    .col(uuid("ancestor_id"))
                    .col(uuid("descendant_id"))
                    .col(integer("depth"))
                    .primary_key(Index::create().col("ancestor_id").col("descendant_id"))
                    .foreign_key(&mut fk("org_unit_closure", "ancestor_id", "org_units"))
                    .foreign_key(&mut fk("org_unit_closure", "descendant_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("org_unit_closure", "ix_org_unit_closure_descendant", &["descendant_id", "depth"])).await?;

        // Parent links over time: [valid_from, valid_until) — valid_until NULL for the current link.
        manager
            .create_table(
                Table::create()
                    .table("org_unit_links")
                    .col(pk_uuid("id"))
                    .col(uuid("unit_id"))
                    .col(uuid("parent_id"))
                    .col(date("valid_from"))
                    .col(date_null("valid_until"))
                    .foreign_key(&mut fk("org_unit_links", "unit_id", "org_units"))
                    .foreign_key(&mut fk("org_unit_links", "parent_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("org_unit_links", "ix_org_unit_links_unit", &["unit_id", "valid_from"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("members")
                    .col(pk_uuid("id"))
                    .col(uuid("unit_id"))
                    .col(uuid_null("temporary_unit_id"))
                    .col(string_len("full_name", 100))
                    .col(date("date_of_birth"))
                    .col(string_len("sex", 8))
                    .col(date("admitted_on"))
                    .col(date_null("official_on"))
                    .col(string_len("standing", 16))
                    .col(date_null("exempt_since"))
                    .col(date("last_event_on"))
                    .col(string_len_null("party_card_number", 12).unique_key())
                    .col(string_len("citizen_id", 12).unique_key())
                    .col(string_len_null("phone", 10))
                    .col(string_len_null("email", 254))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("members", "unit_id", "org_units"))
                    .foreign_key(&mut fk("members", "temporary_unit_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("members", "ix_members_unit", &["unit_id", "id"])).await?;
        manager.create_index(index("members", "ix_members_temporary_unit", &["temporary_unit_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("member_events")
                    .col(pk_uuid("id"))
                    .col(uuid("member_id"))
                    .col(string_len("kind", 32))
                    .col(date("effective_on"))
                    .col(uuid_null("from_unit_id"))
                    .col(uuid_null("to_unit_id"))
                    .col(string_len_null("decision_number", 64))
                    .col(date_null("decision_date"))
                    .col(string_len_null("decision_issuer", 200))
                    .col(string_len_null("note", 1000))
                    .col(uuid_null("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut fk("member_events", "member_id", "members"))
                    .foreign_key(&mut fk("member_events", "from_unit_id", "org_units"))
                    .foreign_key(&mut fk("member_events", "to_unit_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("member_events", "ix_member_events_member", &["member_id", "effective_on"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("positions")
                    .col(pk_uuid("id"))
                    .col(uuid("unit_id"))
                    .col(uuid("member_id"))
                    .col(string_len("role", 32))
                    .col(date("from_date"))
                    .col(date_null("to_date"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("positions", "unit_id", "org_units"))
                    .foreign_key(&mut fk("positions", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("positions", "ix_positions_unit", &["unit_id", "role"])).await?;
        manager.create_index(index("positions", "ix_positions_member", &["member_id"])).await?;
        // Backstop for the domain rule "one open secretary / deputy per unit" against races.
        // Partial indexes are written the same way on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_positions_open_unique_role ON positions (unit_id, role) \
                 WHERE to_date IS NULL AND role IN ('secretary', 'deputy_secretary')",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("accounts")
                    .col(pk_uuid("id"))
                    .col(uuid_null("member_id").unique_key())
                    .col(string_len("username", 64).unique_key())
                    .col(string_len("password_hash", 200))
                    .col(boolean("must_change_password"))
                    .col(boolean("disabled"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("password_changed_at"))
                    .foreign_key(&mut fk("accounts", "member_id", "members"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("admin_grants")
                    .col(pk_uuid("id"))
                    .col(uuid("account_id"))
                    .col(uuid("unit_id"))
                    .col(uuid_null("granted_by"))
                    .col(timestamp_with_time_zone("granted_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("admin_grants", "account_id", "accounts"))
                    .foreign_key(&mut fk("admin_grants", "unit_id", "org_units"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("admin_grants", "ix_admin_grants_account", &["account_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(pk_uuid("id"))
                    .col(uuid("account_id"))
                    .col(string_len("token_hash", 64).unique_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(string_len_null("client_addr", 64))
                    .foreign_key(&mut fk("sessions", "account_id", "accounts"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("sessions", "ix_sessions_account", &["account_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(pk_uuid("id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(uuid_null("actor_account_id"))
                    .col(string_len("action", 64))
                    .col(string_len("target_type", 32))
                    .col(uuid_null("target_id"))
                    .col(uuid_null("unit_id"))
                    .col(string_len_null("client_addr", 64))
                    .col(text("details"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("audit_log", "ix_audit_log_unit", &["unit_id", "id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table("org_units").to_owned()).await?;
        Ok(())
    }
}
