//! The abuse suite: each test is an attack or a crowd, run against the real server over TCP on
//! the embedded SQLite default and, when `TEST_DATABASE_URL` is set, on PostgreSQL. Each one
//! failed before the fix it guards. docs/SECURITY.md lists them.

mod crowd;
mod input;
mod login;
mod privilege;
mod quiz;
mod storage;
