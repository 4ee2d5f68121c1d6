//! Reports: requesting, generating and reading them.

pub mod figures;
