//! The storage adapters' integration tests, built as one test binary (one link; each module below
//! was a binary of its own). Run on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set:
//! `cargo test -p storage --test suite`, or a module's tests by name, e.g. `… --test suite backup::`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod backup;
mod login_throttle;
mod store;
