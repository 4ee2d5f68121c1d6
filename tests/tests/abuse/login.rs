//! Abuse cases: login.

#[allow(unused_imports)]
use crate::support::*;
