//! Abuse cases: input.

#[allow(unused_imports)]
use crate::support::*;
