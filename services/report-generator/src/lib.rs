//! # report-generator — the handbook's report worker
//!
//! A thin binary over the application layer (`app::reports`): `run` writes one report to a file,
//! `due` queues what the schedule says is due and generates everything queued, `serve` does both
//! on its own clock and keeps generating requested reports until stopped.

pub mod config;
pub mod serve;
