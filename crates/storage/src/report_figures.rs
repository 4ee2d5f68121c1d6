//! The set-based queries behind the reports' figures (cell month, activity roll-up, membership
//! changes, member year sheet).
