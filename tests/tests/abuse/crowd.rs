//! Abuse cases: crowd.

#[allow(unused_imports)]
use crate::support::*;
