//! # storage — sea-orm adapters for the handbook
//!
//! Connects to SQLite (the embedded default) or PostgreSQL, chosen by the scheme of
//! `DATABASE_URL`, applies migrations, and offers one module of repository functions per
//! aggregate. Every function takes any sea-orm connection, so a command runs all of its reads
//! and writes inside one [`Tx`]. Rows are re-parsed into domain types when read; database errors
//! become [`StoreError`] (unique and foreign-key violations are `Conflict`).
//!
//! sea-orm is named only here: the entities are private, callers see domain types and the
//! record structs below.

mod connect;
mod entities;
mod replica;

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod copy;
pub mod documents;
pub mod inbox;
pub mod listen;
pub mod meetings;
pub mod members;
pub mod notifications;
pub mod outbox;
pub mod positions;
pub mod report_figures;
pub mod reports;
pub mod study;
pub mod tasks;
pub mod testing;
pub mod units;

pub use connect::{ConnectError, Database, PoolStats, Tx};
pub use replica::ReplicaStatus;

/// The names of the migrations this release applies, oldest first.
pub fn known_migrations() -> Vec<String> {
    use migrations::MigratorTrait as _;
    migrations::Migrator::migrations().iter().map(|m| m.name().to_string()).collect()
}

/// A database URL with its password replaced by `***`, for messages, logs and printed
/// configurations.
pub fn redacted_url(url: &str) -> String {
    connect::redact(url)
}

use sea_orm::{DbErr, SqlErr};

/// What a repository call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write.
    #[error("conflict: {constraint}")]
    Conflict {
        /// Which constraint, as far as callers act on it.
        constraint: Constraint,
    },
    /// A versioned write found another version stored: the row changed since it was read.
    #[error("the row changed since it was read")]
    VersionMismatch,
    /// A stored row no longer parses into its domain type.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database refused a value the write carried (PostgreSQL's data exceptions, class 22:
    /// a NUL in text, a number or date out of its type's range; a NOT NULL or CHECK constraint;
    /// SQLite's "too big", datatype mismatch, CHECK and NOT NULL). The request was wrong, not
    /// the database: callers answer it as a client error, never as an outage. Input validation
    /// should have caught it first.
    #[error("the database refused a value: {0}")]
    Rejected(String),
    /// The database failed or is unreachable.
    #[error("database unavailable")]
    Unavailable(#[source] DbErr),
}

/// Whether the database refused the statement for a value it carried (see
/// [`StoreError::Rejected`]), from the SQLSTATE (PostgreSQL) or the extended result code (SQLite).
fn refused_value(err: &DbErr) -> bool {
    let sqlx = match err {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) => e,
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => return false,
        _ => return false,
    };
    let Some(code) = sqlx.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned()) else {
        return false;
    };
    // PostgreSQL: class 22 (data exception), 23502 not-null, 23514 check.
    // SQLite: 18 too big, 20 mismatch, 275 CHECK, 1299 NOT NULL, 3091 DATATYPE.
    code.starts_with("22") || matches!(code.as_str(), "23502" | "23514" | "18" | "20" | "275" | "1299" | "3091")
}

/// A unique constraint that callers turn into a specific answer. Storage recognises its own
/// constraints from the database's message (SQLite names the columns, PostgreSQL the constraint),
/// so no caller matches on names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    /// `members.citizen_id` (CCCD) is unique.
    CitizenId,
    /// `members.party_card_number` is unique.
    PartyCardNumber,
    /// `accounts.username` is unique.
    Username,
    /// A member has at most one account (`accounts.member_id`).
    AccountOfMember,
    /// One open holder of a secretary / deputy role per unit (`ux_positions_open_unique_role`).
    OpenPosition,
    /// A document number is unique per issuing unit (`ux_documents_issuer_number`).
    DocumentNumber,
    /// One regular meeting per unit per Vietnamese calendar month (`ux_meetings_regular_month`).
    RegularMeetingMonth,
    /// Any other unique or foreign-key constraint, as the database described it.
    Other(String),
}

impl Constraint {
    /// Recognises the constraint in a database error message.
    pub fn classify(message: &str) -> Self {
        let has = |needles: &[&str]| needles.iter().any(|n| message.contains(n));
        if has(&["members.citizen_id", "members_citizen_id_key"]) {
            Constraint::CitizenId
        } else if has(&["members.party_card_number", "members_party_card_number_key"]) {
            Constraint::PartyCardNumber
        } else if has(&["accounts.username", "accounts_username_key"]) {
            Constraint::Username
        } else if has(&["accounts.member_id", "accounts_member_id_key"]) {
            Constraint::AccountOfMember
        } else if has(&["ux_positions_open_unique_role", "positions.unit_id, positions.role"]) {
            Constraint::OpenPosition
        } else if has(&["ux_documents_issuer_number", "documents.issuer_unit_id, documents.number"]) {
            Constraint::DocumentNumber
        } else if has(&["ux_meetings_regular_month", "meetings.unit_id, meetings.regular_month"]) {
            Constraint::RegularMeetingMonth
        } else {
            Constraint::Other(message.to_string())
        }
    }
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Constraint::CitizenId => f.write_str("members.citizen_id"),
            Constraint::PartyCardNumber => f.write_str("members.party_card_number"),
            Constraint::Username => f.write_str("accounts.username"),
            Constraint::AccountOfMember => f.write_str("accounts.member_id"),
            Constraint::OpenPosition => f.write_str("ux_positions_open_unique_role"),
            Constraint::DocumentNumber => f.write_str("ux_documents_issuer_number"),
            Constraint::RegularMeetingMonth => f.write_str("ux_meetings_regular_month"),
            Constraint::Other(message) => f.write_str(message),
        }
    }
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) | Some(SqlErr::ForeignKeyConstraintViolation(detail)) => {
                StoreError::Conflict { constraint: Constraint::classify(&detail) }
            }
            _ => match err {
                DbErr::RecordNotFound(_) => StoreError::NotFound,
                ref other if refused_value(other) => StoreError::Rejected(other.to_string()),
                other => StoreError::Unavailable(other),
            },
        }
    }
}

pub(crate) fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

/// Inserts one row without reading it back (no `RETURNING`, no follow-up select).
pub(crate) async fn insert_row<C, A>(c: &C, model: A) -> StoreResult<()>
where
    C: sea_orm::ConnectionTrait,
    A: sea_orm::ActiveModelTrait + Send,
{
    use sea_orm::EntityTrait;
    A::Entity::insert(model).exec_without_returning(c).await?;
    Ok(())
}

/// Result of repository calls.
pub type StoreResult<T> = Result<T, StoreError>;
