//! E-mail over SMTP: [`SmtpConfig`] read from the environment and [`SmtpTransport`], the e-mail
//! channel's [`Transport`].
//!
//! A message becomes one e-mail to the member's address: `multipart/alternative` with a plain-text
//! and an HTML part rendered from the templates under `services/notifier/templates/` (Vietnamese,
//! UTF-8), `Subject` = the item's Vietnamese title (or the digest's heading), `Message-ID:
//! <{key}@{domain of the From address}>` from the delivery key (a resend after a crash carries the
//! same id, so mail clients and the receiver can recognise it), `Date` from the injected clock,
//! `Auto-Submitted: auto-generated` (no vacation replies), and a footer link to the member's
//! notification preferences.
//!
//! Failures: a refused or timed-out connection, a TLS failure or an SMTP 4xx reply is
//! [`SendError::Temporary`]; an SMTP 5xx reply (550 recipient rejected, 554 message refused) is
//! [`SendError::Permanent`] — except the authentication replies (530, 534, 535, 538), which say the
//! notifier's credentials are wrong, not the message, and stay temporary so that deliveries wait
//! for the fix instead of being dead-lettered. A member without an address, or with one that is
//! not an e-mail address, is permanent.

use std::fmt;
use std::time::{Duration, SystemTime};

use app::clock::SharedClock;
use app::notify::transport::{Message, MessageItem, SendError, SendFuture, Transport};
use chrono::{DateTime, Utc};
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use membership::time::VIETNAM;

/// `HANDBOOK_SMTP_HOST`: the SMTP server; the e-mail channel is off when it is unset.
pub const HOST_VAR: &str = "HANDBOOK_SMTP_HOST";
/// `HANDBOOK_SMTP_PORT`: the server's port (default by security: 587, 465 or 25).
pub const PORT_VAR: &str = "HANDBOOK_SMTP_PORT";
/// `HANDBOOK_SMTP_SECURITY`: `starttls` (default), `tls` or `none`.
pub const SECURITY_VAR: &str = "HANDBOOK_SMTP_SECURITY";
/// `HANDBOOK_SMTP_USER`: the user name to authenticate with (optional, with the password).
pub const USER_VAR: &str = "HANDBOOK_SMTP_USER";
/// `HANDBOOK_SMTP_PASSWORD`: the password (required with the user).
pub const PASSWORD_VAR: &str = "HANDBOOK_SMTP_PASSWORD";
/// `HANDBOOK_SMTP_FROM`: the sender, e.g. `Sổ tay đảng viên <no-reply@example.vn>`.
pub const FROM_VAR: &str = "HANDBOOK_SMTP_FROM";
/// `HANDBOOK_SMTP_TIMEOUT_SECS`: the timeout of the connection and of each SMTP command.
pub const TIMEOUT_VAR: &str = "HANDBOOK_SMTP_TIMEOUT_SECS";
/// `HANDBOOK_PUBLIC_URL`: the server's public base URL, for the links in e-mails.
pub const PUBLIC_URL_VAR: &str = "HANDBOOK_PUBLIC_URL";

/// The default of `HANDBOOK_SMTP_TIMEOUT_SECS`.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// The API path of the member's notification preferences (the footer's link).
pub const PREFERENCES_PATH: &str = "/api/v1/me/notification-preferences";

/// A variable of a channel's configuration is missing or malformed (shared by the SMTP and the
/// webhook configuration). The message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A variable another one requires is not set.
    #[error("{var} is required {because}")]
    Missing {
        /// The missing variable.
        var: &'static str,
        /// Why it is required, e.g. "when HANDBOOK_SMTP_HOST is set".
        because: String,
    },
    /// A variable's value is not acceptable.
    #[error("{var}={value:?} is not valid: expected {expected}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Its value (never a secret's).
        value: String,
        /// What would be accepted.
        expected: String,
    },
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with `STARTTLS`, which is required (default port 587).
    StartTls,
    /// TLS from the first byte, "SMTPS" (default port 465).
    Tls,
    /// No encryption (default port 25): only for a relay on the same machine or in tests.
    None,
}

impl Security {
    /// Parses `starttls`, `tls` or `none` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "starttls" => Some(Self::StartTls),
            "tls" => Some(Self::Tls),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// The port used when `HANDBOOK_SMTP_PORT` is unset.
    pub fn default_port(self) -> u16 {
        match self {
            Self::StartTls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }
}

/// The e-mail channel's configuration.
#[derive(Clone)]
pub struct SmtpConfig {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<(String, String)>,
    from: Mailbox,
    timeout: Duration,
    public_url: String,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("password", &self.credentials.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .field("public_url", &self.public_url)
            .finish()
    }
}

impl SmtpConfig {
    /// Reads the configuration through `lookup` (`std::env::var(..).ok()` in the binary, a map in
    /// tests). `Ok(None)` when `HANDBOOK_SMTP_HOST` is unset or empty: the e-mail channel is off
    /// and its deliveries wait. Empty values count as unset.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let get = |var: &str| lookup(var).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let Some(host) = get(HOST_VAR) else { return Ok(None) };
        let with_host = format!("when {HOST_VAR} is set");

        let security = match get(SECURITY_VAR) {
            None => Security::StartTls,
            Some(text) => Security::parse(&text).ok_or_else(|| ConfigError::Invalid {
                var: SECURITY_VAR,
                value: text,
                expected: "`starttls`, `tls` or `none`".into(),
            })?,
        };
        let port = match get(PORT_VAR) {
            None => security.default_port(),
            Some(text) => text.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| ConfigError::Invalid {
                var: PORT_VAR,
                value: text,
                expected: "a port number from 1 to 65535".into(),
            })?,
        };
        let credentials = match (get(USER_VAR), lookup(PASSWORD_VAR).filter(|p| !p.is_empty())) {
            (None, None) => None,
            (Some(user), Some(password)) => Some((user, password)),
            (Some(_), None) => {
                return Err(ConfigError::Missing { var: PASSWORD_VAR, because: format!("when {USER_VAR} is set") });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Missing { var: USER_VAR, because: format!("when {PASSWORD_VAR} is set") });
            }
        };
        let from_text = get(FROM_VAR).ok_or_else(|| ConfigError::Missing { var: FROM_VAR, because: with_host.clone() })?;
        let from = from_text.parse::<Mailbox>().map_err(|e| ConfigError::Invalid {
            var: FROM_VAR,
            value: from_text.clone(),
            expected: format!("an address such as `Sổ tay đảng viên <no-reply@example.vn>` ({e})"),
        })?;
        let timeout = Duration::from_secs(positive_secs(&get, TIMEOUT_VAR, DEFAULT_TIMEOUT_SECS)?);
        let public_url = public_url(&get, &with_host)?;
        Ok(Some(Self { host, port, security, credentials, from, timeout, public_url }))
    }

    /// The server's host name.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How the connection is protected.
    pub fn security(&self) -> Security {
        self.security
    }

    /// The sender.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// The connection and command timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The public base URL (no trailing `/`).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }
}

/// Reads a positive number of seconds, or `default` when unset.
pub(crate) fn positive_secs(get: &impl Fn(&str) -> Option<String>, var: &'static str, default: u64) -> Result<u64, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(text) => text.parse::<u64>().ok().filter(|s| (1..=3600).contains(s)).ok_or_else(|| ConfigError::Invalid {
            var,
            value: text,
            expected: "a whole number of seconds from 1 to 3600".into(),
        }),
    }
}

/// Reads `HANDBOOK_PUBLIC_URL`: required, `http://` or `https://`, without a trailing `/`.
fn public_url(get: &impl Fn(&str) -> Option<String>, because: &str) -> Result<String, ConfigError> {
    let text = get(PUBLIC_URL_VAR).ok_or_else(|| ConfigError::Missing { var: PUBLIC_URL_VAR, because: because.to_string() })?;
    let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace) => {
            Ok(text.trim_end_matches('/').to_string())
        }
        _ => Err(ConfigError::Invalid {
            var: PUBLIC_URL_VAR,
            value: text.clone(),
            expected: "the server's public base URL, such as `https://sotay.example.vn`".into(),
        }),
    }
}

/// The e-mail channel: sends each [`Message`] as one e-mail through the configured SMTP server
/// (one connection per message; the notifier sends few, and a fresh connection has no stale
/// state to recover from).
pub struct SmtpTransport {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    message_id_domain: String,
    public_url: String,
    clock: SharedClock,
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTransport").field("from", &self.from.to_string()).field("public_url", &self.public_url).finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// Builds the transport (no connection is made until the first send). Fails only when the
    /// TLS parameters cannot be built for `HANDBOOK_SMTP_HOST`.
    pub fn new(config: SmtpConfig, clock: SharedClock) -> Result<Self, ConfigError> {
        let tls_error = |e: lettre::transport::smtp::Error| ConfigError::Invalid {
            var: HOST_VAR,
            value: config.host.clone(),
            expected: format!("a host name TLS can be set up for ({e})"),
        };
        let builder = match config.security {
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(tls_error)?,
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(tls_error)?,
            Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone()),
        };
        let mut builder = builder.port(config.port).timeout(Some(config.timeout));
        if let Some((user, password)) = config.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        let message_id_domain = config.from.email.domain().to_string();
        Ok(Self { mailer: builder.build(), from: config.from, message_id_domain, public_url: config.public_url, clock })
    }

    /// Builds the e-mail for `message` as it would be sent (used by [`Transport::send`]; public
    /// so that callers can preview it).
    pub fn build_email(&self, message: &Message) -> Result<lettre::Message, SendError> {
        let address = message.email.as_deref().map(str::trim).filter(|a| !a.is_empty());
        let Some(address) = address else { return Err(SendError::Permanent("no e-mail address".into())) };
        let address = address
            .parse::<Address>()
            .map_err(|e| SendError::Permanent(format!("the member's e-mail address {address:?} is not valid: {e}")))?;
        let rendered = render_message(message, &self.public_url, self.clock.now())?;
        lettre::Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, address))
            .subject(rendered.subject)
            .message_id(Some(message_id(message, &self.message_id_domain)))
            .date(SystemTime::from(self.clock.now()))
            .header(AutoSubmitted)
            .multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html))
            .map_err(|e| SendError::Permanent(format!("the e-mail could not be built: {e}")))
    }
}

impl Transport for SmtpTransport {
    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(async move {
            let email = self.build_email(message)?;
            self.mailer.send(email).await.map(|_| ()).map_err(classify)
        })
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): vacation responders and other automatic answerers
/// do not reply to the notifier's mail.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// `<{key}@{domain}>`: the same for every attempt of a delivery.
pub fn message_id(message: &Message, domain: &str) -> String {
    format!("<{}@{}>", message.key, domain)
}

/// Sorts an SMTP failure into temporary or permanent (see the module's documentation).
fn classify(error: lettre::transport::smtp::Error) -> SendError {
    const AUTHENTICATION: [&str; 4] = ["530", "534", "535", "538"];
    let text = error.to_string();
    match error.status() {
        Some(code) if error.is_permanent() && !AUTHENTICATION.contains(&code.to_string().as_str()) => {
            SendError::Permanent(format!("SMTP server refused: {text}"))
        }
        Some(_) => SendError::Temporary(format!("SMTP server answered: {text}")),
        None if error.is_timeout() => SendError::Temporary(format!("SMTP timeout: {text}")),
        None => SendError::Temporary(format!("SMTP connection failed: {text}")),
    }
}

/// An e-mail's rendered texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The `Subject`.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

const EMAIL_TXT: &str = include_str!("../templates/email.txt");
const EMAIL_HTML: &str = include_str!("../templates/email.html");
const DIGEST_TXT: &str = include_str!("../templates/digest.txt");
const DIGEST_HTML: &str = include_str!("../templates/digest.html");
const DIGEST_ITEM_TXT: &str = include_str!("../templates/digest_item.txt");
const DIGEST_ITEM_HTML: &str = include_str!("../templates/digest_item.html");

/// Renders the subject and both parts of `message` (links absolute under `public_url`).
pub fn render_message(message: &Message, public_url: &str, now: DateTime<Utc>) -> Result<Rendered, SendError> {
    let preferences_link = format!("{public_url}{PREFERENCES_PATH}");
    let link = |item: &MessageItem| format!("{public_url}/api/v1{}", item.link);
    if !message.digest {
        let [item] = message.items.as_slice() else {
            return Err(SendError::Permanent(format!("a single message carries {} items", message.items.len())));
        };
        let created_at = vietnam_time(item.created_at);
        let vars = [
            ("title", Value::Text(&item.title)),
            ("body", Value::Text(&item.body)),
            ("created_at", Value::Text(&created_at)),
            ("link", Value::Text(&link(item))),
            ("preferences_link", Value::Text(&preferences_link)),
        ];
        return Ok(Rendered {
            subject: one_line(&item.title),
            text: render(EMAIL_TXT, &vars, Escape::None),
            html: render(EMAIL_HTML, &vars, Escape::Html),
        });
    }
    if message.items.is_empty() {
        return Err(SendError::Permanent("a digest without items".into()));
    }
    let heading = format!("Bản tin thông báo ngày {} ({})", now.with_timezone(&VIETNAM).format("%d/%m/%Y"), message.items.len());
    let (mut text_items, mut html_items) = (String::new(), String::new());
    for (i, item) in message.items.iter().enumerate() {
        let (number, created_at, link) = ((i + 1).to_string(), vietnam_time(item.created_at), link(item));
        let vars = [
            ("number", Value::Text(&number)),
            ("title", Value::Text(&item.title)),
            ("body", Value::Text(&item.body)),
            ("created_at", Value::Text(&created_at)),
            ("link", Value::Text(&link)),
        ];
        text_items.push_str(&render(DIGEST_ITEM_TXT, &vars, Escape::None));
        html_items.push_str(&render(DIGEST_ITEM_HTML, &vars, Escape::Html));
    }
    let vars = |items: &str| {
        [
            ("heading", Value::Text(&heading)),
            ("preferences_link", Value::Text(&preferences_link)),
            ("items", Value::Safe(items.to_string())),
        ]
    };
    Ok(Rendered {
        subject: format!("Bản tin thông báo hằng ngày ({})", message.items.len()),
        text: render(DIGEST_TXT, &vars(&text_items), Escape::None),
        html: render(DIGEST_HTML, &vars(&html_items), Escape::Html),
    })
}

/// `14:30 ngày 05/12/2026` in Vietnam's time.
fn vietnam_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&VIETNAM).format("%H:%M ngày %d/%m/%Y").to_string()
}

/// A subject is one line: line breaks become spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A value substituted into a template.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    /// Text: HTML-escaped in an HTML template.
    Text(&'a str),
    /// A fragment already rendered for the template's format (inserted as is).
    Safe(String),
}

/// How [`render`] escapes [`Value::Text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// A plain-text template.
    None,
    /// An HTML template: `&`, `<`, `>`, `"` and `'` become entities.
    Html,
}

/// Replaces each `{{name}}` of `template` by its value in `vars`; a placeholder without a value
/// is left as it is (the templates' tests check that none is left).
pub fn render(template: &str, vars: &[(&str, Value<'_>)], escape: Escape) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        let name = after[..end].trim();
        match vars.iter().find(|(n, _)| *n == name) {
            Some((_, Value::Text(text))) if escape == Escape::Html => out.push_str(&escape_html(text)),
            Some((_, Value::Text(text))) => out.push_str(text),
            Some((_, Value::Safe(fragment))) => out.push_str(fragment),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Escapes text for HTML content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    const BASE: [(&str, &str); 3] = [
        (HOST_VAR, "smtp.example.vn"),
        (FROM_VAR, "Sổ tay đảng viên <no-reply@example.vn>"),
        (PUBLIC_URL_VAR, "https://sotay.example.vn/"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut pairs: Vec<_> = BASE.iter().copied().filter(|(k, _)| !extra.iter().any(|(e, _)| e == k)).collect();
        pairs.extend_from_slice(extra);
        pairs
    }

    #[test]
    fn no_host_means_no_email_channel() {
        assert_eq!(SmtpConfig::from_env(env(&[])).unwrap().map(|c| c.host), None);
        assert!(SmtpConfig::from_env(env(&[(HOST_VAR, "  ")])).unwrap().is_none());
    }

    #[test]
    fn defaults_follow_the_security() {
        let config = SmtpConfig::from_env(env(&BASE)).unwrap().unwrap();
        assert_eq!((config.security(), config.port()), (Security::StartTls, 587));
        assert_eq!(config.timeout(), Duration::from_secs(DEFAULT_TIMEOUT_SECS));
        assert_eq!(config.public_url(), "https://sotay.example.vn");
        assert_eq!(config.from().email.to_string(), "no-reply@example.vn");
        assert_eq!(config.from().name.as_deref(), Some("Sổ tay đảng viên"));
        for (security, port) in [("TLS", 465), ("none", 25), ("starttls", 587)] {
            let config = SmtpConfig::from_env(env(&with(&[(SECURITY_VAR, security)]))).unwrap().unwrap();
            assert_eq!(config.port(), port, "{security}");
        }
        let config = SmtpConfig::from_env(env(&with(&[(PORT_VAR, "2525"), (TIMEOUT_VAR, "5")]))).unwrap().unwrap();
        assert_eq!((config.port(), config.timeout()), (2525, Duration::from_secs(5)));
    }

    #[test]
    fn other_bad_values_name_their_variable() {
        for (extra, var) in [
            (vec![(TIMEOUT_VAR, "0")], TIMEOUT_VAR),
            (vec![(TIMEOUT_VAR, "soon")], TIMEOUT_VAR),
            (vec![(USER_VAR, "mailer")], PASSWORD_VAR),
            (vec![(PASSWORD_VAR, "secret")], USER_VAR),
            (vec![(PUBLIC_URL_VAR, "sotay.example.vn")], PUBLIC_URL_VAR),
            (vec![(PUBLIC_URL_VAR, "")], PUBLIC_URL_VAR),
        ] {
            let err = SmtpConfig::from_env(env(&with(&extra))).unwrap_err();
            assert!(err.to_string().starts_with(var), "{extra:?}: {err}");
        }
    }

    #[test]
    fn the_password_is_not_in_the_debug_output() {
        let config = SmtpConfig::from_env(env(&with(&[(USER_VAR, "mailer"), (PASSWORD_VAR, "hunter2-secret")]))).unwrap().unwrap();
        let debug = format!("{config:?}");
        assert!(debug.contains("mailer") && !debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn render_substitutes_and_escapes_only_html() {
        let vars = [("a", Value::Text("<b>&\"'")), ("b", Value::Safe("<i>".into()))];
        assert_eq!(render("{{a}}|{{ b }}|{{c}}|{{", &vars, Escape::Html), "&lt;b&gt;&amp;&quot;&#39;|<i>|{{c}}|{{");
        assert_eq!(render("{{a}}|{{b}}", &vars, Escape::None), "<b>&\"'|<i>");
    }

    fn item(title: &str) -> MessageItem {
        MessageItem {
            notification_id: uuid::Uuid::nil(),
            kind: notifications::Kind::MeetingPublished,
            title: title.into(),
            body: "Chi bộ họp lúc 8:00 <sáng> & bàn \"kế hoạch\"".into(),
            title_en: "Meeting".into(),
            body_en: "Body".into(),
            link: "/meetings/1".into(),
            created_at: Utc.with_ymd_and_hms(2026, 12, 4, 17, 30, 0).unwrap(),
            urgent: false,
        }
    }

    #[test]
    fn every_placeholder_of_every_template_is_filled() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 17, 30, 0).unwrap();
        let mut message = Message {
            key: uuid::Uuid::nil(),
            delivery_ids: vec![],
            member_id: membership::MemberId::from_uuid(uuid::Uuid::nil()),
            email: Some("a@example.vn".into()),
            digest: false,
            items: vec![item("Họp chi bộ tháng 12")],
            attempt: 1,
        };
        let single = render_message(&message, "https://s.vn", now).unwrap();
        message.digest = true;
        message.items.push(item("Tài liệu mới"));
        let digest = render_message(&message, "https://s.vn", now).unwrap();
        assert_eq!(single.subject, "Họp chi bộ tháng 12");
        assert_eq!(digest.subject, "Bản tin thông báo hằng ngày (2)");
        for part in [&single.text, &single.html, &digest.text, &digest.html] {
            assert!(!part.contains("{{"), "{part}");
            assert!(part.contains("https://s.vn/api/v1/me/notification-preferences"), "{part}");
            assert!(part.contains("https://s.vn/api/v1/meetings/1"), "{part}");
            assert!(part.contains("00:30 ngày 05/12/2026"), "{part}");
        }
        assert!(single.html.contains("8:00 &lt;sáng&gt; &amp; bàn &quot;kế hoạch&quot;"), "{}", single.html);
        assert!(single.text.contains("8:00 <sáng> & bàn \"kế hoạch\""), "{}", single.text);
        assert!(digest.html.contains("Bản tin thông báo ngày 05/12/2026 (2)"), "{}", digest.html);
    }
}
