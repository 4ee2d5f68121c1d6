//! The push gateway's webhook: [`WebhookConfig`] read from the environment and
//! [`WebhookTransport`], the push channel's [`Transport`].
//!
//! Each message is one `POST` of a JSON body to `HANDBOOK_PUSH_WEBHOOK_URL` (http or https; TLS by
//! rustls with the webpki root store), over a connection of its own:
//!
//! ```json
//! { "id": "<delivery key>", "member_id": "…", "digest": false, "sent_at": "2026-12-04T08:00:00Z",
//!   "attempt": 1,
//!   "items": [{ "notification_id": "…", "kind": "meeting.published", "title": "…", "body": "…",
//!               "title_en": "…", "body_en": "…", "link": "/meetings/…",
//!               "created_at": "2026-12-04T07:59:58Z", "urgent": false }] }
//! ```
//!
//! with the headers `Content-Type: application/json`, `X-Signature: sha256=<lowercase hex
//! HMAC-SHA256 of the exact body bytes keyed with HANDBOOK_PUSH_WEBHOOK_SECRET>`,
//! `X-Handbook-Timestamp: <unix seconds>` (the same instant as the body's `sent_at`, so the signature
//! covers it) and `Idempotency-Key: <id>`. A receiver verifies the signature over the raw body
//! before parsing it, refuses a `sent_at` older than about five minutes (a replay), and
//! deduplicates by `id`: a retry, or a resend after the notifier crashed mid-send, carries the same
//! `id` (with a later `sent_at` and a new signature). `link` is the object's API path relative to
//! `/api/v1`.
//!
//! Answers: 2xx is delivered; 408, 429, 5xx, a refused connection and a timeout are
//! [`SendError::Temporary`]; any other status (400, 401, 403, 404, 410, …) is
//! [`SendError::Permanent`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use app::clock::SharedClock;
use app::notify::transport::{Message, SendError, SendFuture, Transport};
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue, USER_AGENT};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use sha2_digest011::Sha256;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

pub use crate::smtp::ConfigError;
use crate::smtp::positive_secs;

/// `HANDBOOK_PUSH_WEBHOOK_URL`: the push gateway's endpoint; the push channel is off when unset.
pub const URL_VAR: &str = "HANDBOOK_PUSH_WEBHOOK_URL";
/// `HANDBOOK_PUSH_WEBHOOK_SECRET`: the HMAC key shared with the gateway (required with the URL).
pub const SECRET_VAR: &str = "HANDBOOK_PUSH_WEBHOOK_SECRET";
/// `HANDBOOK_PUSH_WEBHOOK_TIMEOUT_SECS`: the timeout of one POST, connection included.
pub const TIMEOUT_VAR: &str = "HANDBOOK_PUSH_WEBHOOK_TIMEOUT_SECS";

/// The default of `HANDBOOK_PUSH_WEBHOOK_TIMEOUT_SECS`.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;
/// The shortest accepted secret, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// The signature header: `sha256=<lowercase hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "x-signature";
/// The timestamp header: unix seconds, equal to the body's `sent_at`.
pub const TIMESTAMP_HEADER: &str = "x-handbook-timestamp";
/// The idempotency header: the delivery key, equal to the body's `id`.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// Where the webhook points, split for the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    https: bool,
    host: String,
    port: u16,
    authority: String,
    path_and_query: String,
}

/// The push channel's configuration.
#[derive(Clone)]
pub struct WebhookConfig {
    url: String,
    endpoint: Endpoint,
    secret: String,
    timeout: Duration,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig").field("url", &self.url).field("secret", &"<redacted>").field("timeout", &self.timeout).finish()
    }
}

impl WebhookConfig {
    /// Reads the configuration through `lookup`. `Ok(None)` when `HANDBOOK_PUSH_WEBHOOK_URL` is
    /// unset or empty: the push channel is off and its deliveries wait.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let get = |var: &str| lookup(var).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let Some(url) = get(URL_VAR) else { return Ok(None) };
        let endpoint = parse_endpoint(&url).ok_or_else(|| ConfigError::Invalid {
            var: URL_VAR,
            value: url.clone(),
            expected: "an http:// or https:// URL with a host, such as `https://push.example.vn/handbook`".into(),
        })?;
        let secret = lookup(SECRET_VAR)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ConfigError::Missing { var: SECRET_VAR, because: format!("when {URL_VAR} is set") })?;
        if secret.len() < MIN_SECRET_LEN {
            return Err(ConfigError::Invalid {
                var: SECRET_VAR,
                value: "<redacted>".into(),
                expected: format!("a secret of at least {MIN_SECRET_LEN} bytes"),
            });
        }
        let timeout = Duration::from_secs(positive_secs(&get, TIMEOUT_VAR, DEFAULT_TIMEOUT_SECS)?);
        Ok(Some(Self { url, endpoint, secret, timeout }))
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The timeout of one POST.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

fn parse_endpoint(url: &str) -> Option<Endpoint> {
    let uri: Uri = url.parse().ok()?;
    let https = match uri.scheme_str()? {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_string();
    if host.is_empty() {
        return None;
    }
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    Some(Endpoint { https, host, port, authority: authority.as_str().to_string(), path_and_query })
}

/// The push channel: one signed `POST` per [`Message`].
pub struct WebhookTransport {
    endpoint: Endpoint,
    secret: String,
    timeout: Duration,
    tls: Option<TlsConnector>,
    clock: SharedClock,
}

impl fmt::Debug for WebhookTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookTransport").field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

impl WebhookTransport {
    /// Builds the transport (no connection is made until the first send); for an https URL, the
    /// TLS client with the webpki roots.
    pub fn new(config: WebhookConfig, clock: SharedClock) -> Result<Self, ConfigError> {
        let tls = if config.endpoint.https {
            let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            let mut tls = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| ConfigError::Invalid { var: URL_VAR, value: config.url.clone(), expected: format!("TLS ({e})") })?
                .with_root_certificates(roots)
                .with_no_client_auth();
            tls.alpn_protocols = vec![b"http/1.1".to_vec()];
            Some(TlsConnector::from(Arc::new(tls)))
        } else {
            None
        };
        Ok(Self { endpoint: config.endpoint, secret: config.secret, timeout: config.timeout, tls, clock })
    }

    /// The body and headers of the POST for `message` at `now` (public so that the contract can
    /// be checked without a network).
    pub fn signed_request(&self, message: &Message, now: DateTime<Utc>) -> SignedBody {
        signed_body(message, now, self.secret.as_bytes())
    }

    async fn post(&self, message: &Message) -> Result<(), SendError> {
        let signed = self.signed_request(message, self.clock.now());
        let tcp = TcpStream::connect((self.endpoint.host.as_str(), self.endpoint.port))
            .await
            .map_err(|e| SendError::Temporary(format!("webhook connection failed: {e}")))?;
        match &self.tls {
            None => self.exchange(tcp, message, signed).await,
            Some(tls) => {
                let name = ServerName::try_from(self.endpoint.host.clone())
                    .map_err(|e| SendError::Temporary(format!("webhook host is not a TLS server name: {e}")))?;
                let stream =
                    tls.connect(name, tcp).await.map_err(|e| SendError::Temporary(format!("webhook TLS handshake failed: {e}")))?;
                self.exchange(stream, message, signed).await
            }
        }
    }

    async fn exchange<S>(&self, stream: S, message: &Message, signed: SignedBody) -> Result<(), SendError>
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let temporary = |e: hyper::Error| SendError::Temporary(format!("webhook request failed: {e}"));
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(temporary)?;
        let connection = tokio::spawn(connection);
        let header =
            |value: &str| HeaderValue::from_str(value).map_err(|e| SendError::Permanent(format!("webhook header value {value:?}: {e}")));
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.endpoint.path_and_query.as_str())
            .header(HOST, header(&self.endpoint.authority)?)
            .header(USER_AGENT, concat!("handbook-notifier/", env!("CARGO_PKG_VERSION")))
            .header(CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, header(&signed.signature)?)
            .header(TIMESTAMP_HEADER, signed.timestamp.to_string())
            .header(IDEMPOTENCY_HEADER, message.key.to_string())
            .body(Full::new(Bytes::from(signed.body)))
            .map_err(|e| SendError::Permanent(format!("webhook request could not be built: {e}")))?;
        let response = sender.send_request(request).await.map_err(temporary)?;
        let status = response.status();
        // A few bytes of the answer, for the log; the rest is not read.
        let detail = match Limited::new(response.into_body(), 512).collect().await {
            Ok(body) => String::from_utf8_lossy(&body.to_bytes()).trim().chars().take(200).collect::<String>(),
            Err(_) => String::new(),
        };
        drop(sender);
        connection.abort();
        classify(status, &detail)
    }
}

impl Transport for WebhookTransport {
    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(async move {
            match tokio::time::timeout(self.timeout, self.post(message)).await {
                Ok(result) => result,
                Err(_) => Err(SendError::Temporary(format!("webhook timed out after {} s", self.timeout.as_secs()))),
            }
        })
    }
}

/// Sorts an answer's status (see the module's documentation).
pub fn classify(status: StatusCode, detail: &str) -> Result<(), SendError> {
    let text = if detail.is_empty() { format!("webhook answered {status}") } else { format!("webhook answered {status}: {detail}") };
    if status.is_success() {
        Ok(())
    } else if status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Err(SendError::Temporary(text))
    } else {
        Err(SendError::Permanent(text))
    }
}

/// A webhook body with its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBody {
    /// The exact bytes sent.
    pub body: Vec<u8>,
    /// The `X-Signature` value: `sha256=<lowercase hex>`.
    pub signature: String,
    /// The `X-Handbook-Timestamp` value: unix seconds of `sent_at`.
    pub timestamp: i64,
}

#[derive(Serialize)]
struct Payload<'a> {
    id: String,
    member_id: String,
    digest: bool,
    sent_at: String,
    attempt: u32,
    items: Vec<PayloadItem<'a>>,
}

#[derive(Serialize)]
struct PayloadItem<'a> {
    notification_id: String,
    kind: &'static str,
    title: &'a str,
    body: &'a str,
    title_en: &'a str,
    body_en: &'a str,
    link: &'a str,
    created_at: String,
    urgent: bool,
}

/// Serialises `message` as sent at `now` (to the second) and signs the bytes with `secret`.
pub fn signed_body(message: &Message, now: DateTime<Utc>, secret: &[u8]) -> SignedBody {
    let payload = Payload {
        id: message.key.to_string(),
        member_id: message.member_id.to_string(),
        digest: message.digest,
        sent_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        attempt: message.attempt,
        items: message
            .items
            .iter()
            .map(|item| PayloadItem {
                notification_id: item.notification_id.to_string(),
                kind: item.kind.code(),
                title: &item.title,
                body: &item.body,
                title_en: &item.title_en,
                body_en: &item.body_en,
                link: &item.link,
                created_at: app::clock::format_instant(item.created_at),
                urgent: item.urgent,
            })
            .collect(),
    };
    // Serialising plain strings, numbers and booleans cannot fail.
    let body = serde_json::to_vec(&payload).unwrap_or_default();
    SignedBody { signature: sign(secret, &body), body, timestamp: now.timestamp() }
}

/// `sha256=` and the lowercase hex HMAC-SHA256 of `body` keyed with `secret`: the `X-Signature`
/// value a receiver recomputes over the raw body and compares in constant time.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for byte in digest.iter() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    const SECRET: &str = "0123456789abcdef-secret";

    #[test]
    fn no_url_means_no_push_channel() {
        assert!(WebhookConfig::from_env(env(&[])).unwrap().is_none());
        assert!(WebhookConfig::from_env(env(&[(SECRET_VAR, SECRET)])).unwrap().is_none());
    }

    #[test]
    fn the_url_is_split_for_the_connection() {
        let config = WebhookConfig::from_env(env(&[(URL_VAR, "https://push.example.vn/hooks/handbook?v=1"), (SECRET_VAR, SECRET)]))
            .unwrap()
            .unwrap();
        assert_eq!(
            config.endpoint,
            Endpoint {
                https: true,
                host: "push.example.vn".into(),
                port: 443,
                authority: "push.example.vn".into(),
                path_and_query: "/hooks/handbook?v=1".into()
            }
        );
        assert_eq!(config.timeout(), Duration::from_secs(DEFAULT_TIMEOUT_SECS));
        let config =
            WebhookConfig::from_env(env(&[(URL_VAR, "http://127.0.0.1:9000"), (SECRET_VAR, SECRET), (TIMEOUT_VAR, "3")])).unwrap().unwrap();
        assert_eq!((config.endpoint.https, config.endpoint.port, config.endpoint.path_and_query.as_str()), (false, 9000, "/"));
        assert_eq!(config.timeout(), Duration::from_secs(3));
        assert!(!format!("{config:?}").contains(SECRET));
    }

    #[test]
    fn bad_values_are_refused_naming_the_variable() {
        for (pairs, var) in [
            (vec![(URL_VAR, "http://push.example.vn/")], SECRET_VAR),
            (vec![(URL_VAR, "http://push.example.vn/"), (SECRET_VAR, "short")], SECRET_VAR),
            (vec![(URL_VAR, "ftp://push.example.vn/"), (SECRET_VAR, SECRET)], URL_VAR),
            (vec![(URL_VAR, "push.example.vn/hook"), (SECRET_VAR, SECRET)], URL_VAR),
            (vec![(URL_VAR, "http://user:pw@push.example.vn/"), (SECRET_VAR, SECRET)], URL_VAR),
            (vec![(URL_VAR, "http://push.example.vn/"), (SECRET_VAR, SECRET), (TIMEOUT_VAR, "0")], TIMEOUT_VAR),
        ] {
            let err = WebhookConfig::from_env(env(&pairs)).unwrap_err();
            assert!(err.to_string().starts_with(var), "{pairs:?}: {err}");
            assert!(!err.to_string().contains("short"), "a secret is never echoed: {err}");
        }
    }

    #[test]
    fn the_signature_is_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn statuses_are_sorted() {
        for (status, expected) in [
            (200, "ok"),
            (202, "ok"),
            (204, "ok"),
            (408, "temporary"),
            (429, "temporary"),
            (500, "temporary"),
            (503, "temporary"),
            (400, "permanent"),
            (401, "permanent"),
            (404, "permanent"),
            (410, "permanent"),
            (301, "permanent"),
        ] {
            let got = match classify(StatusCode::from_u16(status).unwrap(), "") {
                Ok(()) => "ok",
                Err(SendError::Temporary(_)) => "temporary",
                Err(SendError::Permanent(_)) => "permanent",
            };
            assert_eq!(got, expected, "{status}");
        }
    }
}
