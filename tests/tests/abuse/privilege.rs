//! Abuse cases: privilege.

#[allow(unused_imports)]
use crate::support::*;
