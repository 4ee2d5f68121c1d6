//! # reports — what a report (*báo cáo*) is, independent of how it is computed or written
//!
//! - [`kind`]: the four kinds (cell month, activity roll-up, membership changes, member year
//!   sheet), the four formats (XLSX, CSV, HTML, PDF) and which periods and formats each kind takes.
//! - [`period`]: a month (`2026-10`), a quarter (`2026-Q4`) or a year (`2026`) in Vietnam's
//!   calendar, with its first and last day and its months.
//! - [`schedule`]: which scheduled reports are due at a moment (e.g. on the 6th at 07:00, last
//!   month's roll-up), so that `due` generates each once.
//! - [`figures`]: the pure figures reports share: attendance rate bands, the study-points target,
//!   age bands, safe ratios.
//!
//! Pure: no clock, no I/O; "now" and configuration are parameters.

pub mod figures;
pub mod kind;
pub mod period;
pub mod schedule;

pub use kind::{Format, ReportKind};
pub use period::{Period, PeriodError};
