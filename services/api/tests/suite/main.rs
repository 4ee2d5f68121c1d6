//! The API's integration tests, built as one test binary (one link instead of one per file; each
//! module below was a binary of its own). Run on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set: `cargo test -p api --test suite` (all), or a module's tests by
//! name, e.g. `cargo test -p api --test suite edge::`. `tests/logs.rs` stays a binary of its own:
//! it installs the process's tracing subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

mod backup;
mod contract;
mod copy_data;
mod documents;
mod edge;
mod general;
mod meetings;
mod notifications;
mod openapi;
mod points;
mod replica;
mod reports;
mod study;
mod tasks;
