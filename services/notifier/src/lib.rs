//! # notifier — the handbook's notification worker
//!
//! A thin binary over the application layer (`app::notify`): it reads its configuration from the
//! environment, runs the notifier's passes on the clock (reminder scans, outbox events → inbox
//! items and deliveries, sending, pruning), and adapts two channels — e-mail over SMTP
//! ([`smtp`]) and the push gateway's webhook ([`webhook`]) — to `app::notify::transport::Transport`.

pub mod smtp;
pub mod webhook;
