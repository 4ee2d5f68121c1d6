//! HTTP handlers, one module per resource. Each parses the request, calls one use case of the
//! application layer (`app`), maps its typed error to a problem and renders the view.

pub mod accounts;
pub mod admins;
pub mod audit;
pub mod auth;
pub mod comments;
pub mod documents;
pub mod generated_reports;
pub mod meetings;
pub mod members;
pub mod notifications;
pub mod positions;
pub mod reports;
pub mod study;
pub mod system;
pub mod tasks;
pub mod units;
