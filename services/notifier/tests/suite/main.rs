//! The notifier's integration tests, built as one test binary (one link; each module below was a
//! binary of its own): `cargo test -p notifier --test suite`, or a module's tests by name.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

mod channels;
mod worker;
