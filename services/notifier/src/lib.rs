//! # notifier — the handbook's notification worker
//!
//! A thin binary over the application layer (`app::notify`): it reads its configuration from the
//! environment, runs the notifier's passes on the clock (reminder scans, outbox events → inbox
//! items and deliveries, sending, pruning), and adapts two channels — e-mail over SMTP
//! ([`smtp`]) and the push gateway's webhook ([`webhook`]) — to `app::notify::transport::Transport`.

pub mod config;
pub mod run;
pub mod smtp;
pub mod webhook;

use app::clock::SharedClock;
use app::notify::transport::Transports;
use notifications::Channel;

/// The transports configured in the environment (read through `lookup`): SMTP when
/// `HANDBOOK_SMTP_HOST` is set, the webhook when `HANDBOOK_PUSH_WEBHOOK_URL` is.
pub fn transports(lookup: &impl Fn(&str) -> Option<String>, clock: &SharedClock) -> Result<Transports, String> {
    let mut out = Transports::default();
    if let Some(config) = smtp::SmtpConfig::from_env(lookup).map_err(|e| e.to_string())? {
        out.email = Some(Box::new(smtp::SmtpTransport::new(config, clock.clone()).map_err(|e| e.to_string())?));
    }
    if let Some(config) = webhook::WebhookConfig::from_env(lookup).map_err(|e| e.to_string())? {
        out.push = Some(Box::new(webhook::WebhookTransport::new(config, clock.clone()).map_err(|e| e.to_string())?));
    }
    Ok(out)
}

/// The channels `transports` can send on.
pub fn channels(transports: &Transports) -> Vec<Channel> {
    let mut out = Vec::new();
    if transports.email.is_some() {
        out.push(Channel::Email);
    }
    if transports.push.is_some() {
        out.push(Channel::Push);
    }
    out
}
