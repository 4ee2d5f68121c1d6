//! Notifications: from the outbox to members' inboxes, e-mail and push.

pub mod inbox;
pub mod transport;
