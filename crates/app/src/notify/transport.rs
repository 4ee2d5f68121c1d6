//! What the notifier hands to a channel: a [`Message`] (one inbox item, or a member's daily digest
//! of several) and the [`Transport`] trait the SMTP and webhook adapters of `services/notifier`
//! implement. The application layer decides what to send and when; a transport only sends.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use membership::MemberId;
use notifications::Kind;
use uuid::Uuid;

/// One item of a message, with its texts already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageItem {
    /// The inbox item's id.
    pub notification_id: Uuid,
    /// Its kind.
    pub kind: Kind,
    /// Vietnamese title.
    pub title: String,
    /// Vietnamese body.
    pub body: String,
    /// English title (the push gateway may choose by the device's language).
    pub title_en: String,
    /// English body.
    pub body_en: String,
    /// The object's API path relative to `/api/v1`, e.g. `/meetings/{id}`.
    pub link: String,
    /// When the item was created.
    pub created_at: DateTime<Utc>,
    /// Urgent kind (cancelled or moved meeting, extraordinary meeting).
    pub urgent: bool,
}

/// What one send carries: a single item, or (`digest`) the member's low-urgency items of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The delivery key: the delivery's id (the first delivery's for a digest). Stable across
    /// retries, so the receiver can recognise a repeat: the e-mail's `Message-ID`, the webhook's
    /// `id`.
    pub key: Uuid,
    /// The deliveries this send completes (several for a digest).
    pub delivery_ids: Vec<Uuid>,
    /// The recipient.
    pub member_id: MemberId,
    /// The recipient's e-mail address (for the e-mail channel).
    pub email: Option<String>,
    /// A daily digest.
    pub digest: bool,
    /// The items (one unless `digest`).
    pub items: Vec<MessageItem>,
    /// This send's attempt number, from 1.
    pub attempt: u32,
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (connection refused, timeout, SMTP 4xx, HTTP 5xx or 429).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Will fail the same way again (SMTP 5xx for the recipient, HTTP 4xx): dead-lettered at once.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// A future a transport returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// A channel's sender.
pub trait Transport: Send + Sync {
    /// Sends one message. `Ok` means the receiving server accepted it.
    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a>;
}

/// The transports configured for this notifier; a channel without one keeps its deliveries
/// pending (they go out once it is configured) — nothing is dropped for want of configuration.
#[derive(Default)]
pub struct Transports {
    /// E-mail over SMTP.
    pub email: Option<Box<dyn Transport>>,
    /// The push gateway's webhook.
    pub push: Option<Box<dyn Transport>>,
}

impl std::fmt::Debug for Transports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transports").field("email", &self.email.is_some()).field("push", &self.push.is_some()).finish()
    }
}
