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

pub mod accounts;
pub mod audit;
pub mod documents;
pub mod meetings;
pub mod members;
pub mod outbox;
pub mod positions;
pub mod study;
pub mod tasks;
pub mod testing;
pub mod units;

pub use connect::{ConnectError, Database, Tx};

use sea_orm::{DbErr, SqlErr};

/// What a repository call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write; `detail` names the constraint or
    /// column as the database reported it.
    #[error("conflict: {detail}")]
    Conflict {
        /// The database's description of the violated constraint.
        detail: String,
    },
    /// A stored row no longer parses into its domain type.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database failed or is unreachable.
    #[error("database unavailable")]
    Unavailable(#[source] DbErr),
}

impl StoreError {
    /// Whether this is a conflict on a constraint or column whose name contains `needle`.
    pub fn is_conflict_on(&self, needle: &str) -> bool {
        matches!(self, StoreError::Conflict { detail } if detail.contains(needle))
    }
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) | Some(SqlErr::ForeignKeyConstraintViolation(detail)) => {
                StoreError::Conflict { detail }
            }
            _ => match err {
                DbErr::RecordNotFound(_) => StoreError::NotFound,
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
