//! `notifier` (long-running) and `notifier --once` (one pass, for cron).

fn main() {}
