//! # app — the application layer of the electronic Party-member handbook
//!
//! The one place the binaries (`api`, and the workers that build on it) get what every use case
//! needs from outside the domain. Today that is the **clock**: every reader of "now" — request
//! handlers, authentication, scheduled jobs, the demo and benchmark generators — takes it from one
//! injected [`Clock`](clock::Clock), so that tests pin it and "today" is always Vietnam's date of
//! the same instant.
//!
//! ```
//! use app::clock::{Clock, FixedClock};
//! use chrono::{TimeZone, Utc};
//!
//! // 17:00 UTC on 31 January is already 1 February in Vietnam.
//! let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 31, 17, 0, 0).unwrap());
//! assert_eq!(clock.today().to_string(), "2026-02-01");
//! clock.advance(chrono::Duration::hours(7));
//! assert_eq!(clock.now().to_rfc3339(), "2026-02-01T00:00:00+00:00");
//! ```

pub mod clock;
