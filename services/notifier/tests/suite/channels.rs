//! The notifier's two channels against real peers: a real SMTP server (aiosmtpd, started from
//! `tests/smtp_sink.py`; the tests fail, not skip, when it is not installed — CI installs it) and
//! a local HTTP server that plays the push gateway and checks the signature.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::clock::{Clock, FixedClock, SharedClock};
use app::notify::transport::{Message, MessageItem, SendError, Transport};
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use notifications::Kind;
use notifier::smtp::{SmtpConfig, SmtpTransport};
use notifier::webhook::{WebhookConfig, WebhookTransport};
use serde_json::Value;
use uuid::Uuid;

use crate::support::{SmtpSink, free_port};

const FROM: &str = "Sổ tay đảng viên <no-reply@example.vn>";
const PUBLIC_URL: &str = "https://sotay.example.vn";
const SECRET: &str = "a-webhook-secret-of-some-length";

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).unwrap()))
}

fn item(title: &str, body: &str, link: &str, kind: Kind, urgent: bool) -> MessageItem {
    MessageItem {
        notification_id: Uuid::now_v7(),
        kind,
        title: title.into(),
        body: body.into(),
        title_en: format!("EN {title}"),
        body_en: format!("EN {body}"),
        link: link.into(),
        created_at: Utc.with_ymd_and_hms(2026, 12, 4, 7, 59, 30).unwrap(),
        urgent,
    }
}

fn message(email: Option<&str>, items: Vec<MessageItem>) -> Message {
    Message {
        key: Uuid::now_v7(),
        delivery_ids: vec![Uuid::now_v7()],
        member_id: membership::MemberId::from_uuid(Uuid::now_v7()),
        email: email.map(str::to_string),
        digest: items.len() > 1,
        items,
        attempt: 1,
    }
}

// ----- Configuration ----------------------------------------------------------------------------

fn smtp_env(overrides: &[(&'static str, Option<&'static str>)]) -> impl Fn(&str) -> Option<String> {
    let mut map: HashMap<&str, &str> =
        HashMap::from([("HANDBOOK_SMTP_HOST", "smtp.example.vn"), ("HANDBOOK_SMTP_FROM", FROM), ("HANDBOOK_PUBLIC_URL", PUBLIC_URL)]);
    for (k, v) in overrides {
        match v {
            Some(v) => map.insert(k, v),
            None => map.remove(k),
        };
    }
    move |k| map.get(k).map(|v| v.to_string())
}

#[test]
fn smtp_configuration_without_from_is_refused() {
    let err = SmtpConfig::from_env(smtp_env(&[("HANDBOOK_SMTP_FROM", None)])).unwrap_err();
    assert_eq!(err.to_string(), "HANDBOOK_SMTP_FROM is required when HANDBOOK_SMTP_HOST is set");
    let err = SmtpConfig::from_env(smtp_env(&[("HANDBOOK_SMTP_FROM", Some("no-reply at example.vn"))])).unwrap_err();
    assert!(err.to_string().starts_with("HANDBOOK_SMTP_FROM=\"no-reply at example.vn\" is not valid"), "{err}");
    // Without a host the channel is simply off, whatever else is set.
    assert!(SmtpConfig::from_env(smtp_env(&[("HANDBOOK_SMTP_HOST", None), ("HANDBOOK_SMTP_FROM", None)])).unwrap().is_none());
    assert!(SmtpConfig::from_env(smtp_env(&[])).unwrap().is_some());
}

#[test]
fn smtp_configuration_with_a_bad_port_is_refused() {
    for port in ["0", "65536", "smtp", "-25", "25.0"] {
        let err = SmtpConfig::from_env(smtp_env(&[("HANDBOOK_SMTP_PORT", Some(port))])).unwrap_err();
        assert_eq!(err.to_string(), format!("HANDBOOK_SMTP_PORT={port:?} is not valid: expected a port number from 1 to 65535"));
    }
}

#[test]
fn smtp_configuration_with_a_bad_security_is_refused() {
    for security in ["ssl", "STARTTLS1", "yes"] {
        let err = SmtpConfig::from_env(smtp_env(&[("HANDBOOK_SMTP_SECURITY", Some(security))])).unwrap_err();
        assert_eq!(err.to_string(), format!("HANDBOOK_SMTP_SECURITY={security:?} is not valid: expected `starttls`, `tls` or `none`"));
    }
    let config = SmtpConfig::from_env(smtp_env(&[("HANDBOOK_SMTP_SECURITY", Some("TLS"))])).unwrap().unwrap();
    assert_eq!((config.security(), config.port()), (notifier::smtp::Security::Tls, 465));
}

#[test]
fn webhook_configuration_needs_its_secret() {
    let env = |pairs: &[(&'static str, &'static str)]| {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        move |k: &str| map.get(k).map(|v| v.to_string())
    };
    let err = WebhookConfig::from_env(env(&[("HANDBOOK_PUSH_WEBHOOK_URL", "https://push.example.vn/handbook")])).unwrap_err();
    assert_eq!(err.to_string(), "HANDBOOK_PUSH_WEBHOOK_SECRET is required when HANDBOOK_PUSH_WEBHOOK_URL is set");
    let err = WebhookConfig::from_env(env(&[
        ("HANDBOOK_PUSH_WEBHOOK_URL", "https://push.example.vn/handbook"),
        ("HANDBOOK_PUSH_WEBHOOK_SECRET", SECRET),
        ("HANDBOOK_PUSH_WEBHOOK_TIMEOUT_SECS", "ten"),
    ]))
    .unwrap_err();
    assert!(err.to_string().starts_with("HANDBOOK_PUSH_WEBHOOK_TIMEOUT_SECS=\"ten\" is not valid"), "{err}");
    assert!(WebhookConfig::from_env(env(&[("HANDBOOK_PUSH_WEBHOOK_SECRET", SECRET)])).unwrap().is_none());
}

// ----- SMTP -------------------------------------------------------------------------------------

fn smtp_transport(port: u16, clock: SharedClock) -> SmtpTransport {
    let env: HashMap<&str, String> = HashMap::from([
        ("HANDBOOK_SMTP_HOST", "127.0.0.1".to_string()),
        ("HANDBOOK_SMTP_PORT", port.to_string()),
        ("HANDBOOK_SMTP_SECURITY", "none".to_string()),
        ("HANDBOOK_SMTP_FROM", FROM.to_string()),
        ("HANDBOOK_SMTP_TIMEOUT_SECS", "5".to_string()),
        ("HANDBOOK_PUBLIC_URL", format!("{PUBLIC_URL}/")),
    ]);
    let config = SmtpConfig::from_env(|k| env.get(k).cloned()).unwrap().unwrap();
    SmtpTransport::new(config, clock).unwrap()
}

fn text(value: &Value, pointer: &str) -> String {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no {pointer} in {value:#}")).replace("\r\n", "\n")
}

#[tokio::test]
async fn an_email_reaches_a_real_smtp_server_in_vietnamese_with_both_parts() {
    let sink = SmtpSink::start(&[]);
    let clock = clock();
    let transport = smtp_transport(sink.port, clock.clone());
    let title = "Họp chi bộ tháng 12 <Chi bộ 3> & \"khẩn\"";
    let body = "Chi bộ họp lúc 8 giờ sáng thứ Bảy, ngày 05/12/2026.\nĐề nghị đồng chí có mặt đúng giờ <b>không đến muộn</b>.";
    let msg = message(Some("dong.chi.an@example.vn"), vec![item(title, body, "/meetings/42", Kind::MeetingPublished, false)]);

    transport.send(&msg).await.unwrap();

    let received = sink.received();
    assert_eq!(received.len(), 1, "{received:#?}");
    let mail = &received[0];
    assert_eq!(mail["mail_from"], "no-reply@example.vn");
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["dong.chi.an@example.vn"]));
    assert_eq!(text(mail, "/headers/to"), "dong.chi.an@example.vn");
    assert_eq!(text(mail, "/headers/from"), FROM);
    assert_eq!(text(mail, "/headers/subject"), title, "the subject is the Vietnamese title, decoded");
    assert_eq!(text(mail, "/headers/message-id"), format!("<{}@example.vn>", msg.key), "derived from the delivery key");
    assert_eq!(text(mail, "/headers/date"), "Fri, 04 Dec 2026 08:00:00 +0000", "the injected clock's instant");
    assert_eq!(text(mail, "/headers/auto-submitted"), "auto-generated");
    assert_eq!(mail["content_type"], "multipart/alternative");

    let plain = text(mail, "/parts/text~1plain");
    let html = text(mail, "/parts/text~1html");
    let preferences = "https://sotay.example.vn/api/v1/me/notification-preferences";
    let link = "https://sotay.example.vn/api/v1/meetings/42";
    // Plain text: as written.
    assert!(plain.contains(title), "{plain}");
    assert!(plain.contains(body), "{plain}");
    assert!(plain.contains(link) && plain.contains(preferences), "{plain}");
    assert!(plain.contains("Thay đổi cách nhận thông báo"), "{plain}");
    assert!(plain.contains("14:59 ngày 04/12/2026"), "created_at in Vietnam's time: {plain}");
    // HTML: every substituted value escaped.
    assert!(html.contains("Họp chi bộ tháng 12 &lt;Chi bộ 3&gt; &amp; &quot;khẩn&quot;"), "{html}");
    assert!(html.contains("Đề nghị đồng chí có mặt đúng giờ &lt;b&gt;không đến muộn&lt;/b&gt;."), "{html}");
    assert!(!html.contains("<b>không"), "{html}");
    assert!(html.contains(&format!("<a href=\"{link}\">Xem chi tiết</a>")), "{html}");
    assert!(html.contains(&format!("<a href=\"{preferences}\">Thay đổi cách nhận thông báo</a>")), "{html}");
    assert!(!plain.contains("{{") && !html.contains("{{"));
    // The raw message is 7-bit clean: Vietnamese text travels encoded.
    assert!(text(mail, "/raw").is_ascii(), "{}", text(mail, "/raw"));

    // A retry of the same delivery carries the same Message-ID.
    let retry = Message { attempt: 2, ..msg.clone() };
    transport.send(&retry).await.unwrap();
    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert_eq!(text(&received[1], "/headers/message-id"), format!("<{}@example.vn>", msg.key));
}

#[tokio::test]
async fn a_digest_lists_every_item_under_one_subject() {
    let sink = SmtpSink::start(&[]);
    let transport = smtp_transport(sink.port, clock());
    let msg = message(
        Some("bi.thu@example.vn"),
        vec![
            item("Tài liệu mới: Nghị quyết số 12", "Đồng chí có tài liệu mới cần đọc.", "/documents/7", Kind::DocumentPublished, false),
            item("Lịch họp chi bộ", "Chi bộ họp ngày 10/12.", "/meetings/9", Kind::MeetingPublished, false),
        ],
    );
    transport.send(&msg).await.unwrap();
    let received = sink.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(text(mail, "/headers/subject"), "Bản tin thông báo hằng ngày (2)");
    for part in [text(mail, "/parts/text~1plain"), text(mail, "/parts/text~1html")] {
        for expected in [
            "Tài liệu mới: Nghị quyết số 12",
            "Đồng chí có tài liệu mới cần đọc.",
            "https://sotay.example.vn/api/v1/documents/7",
            "Lịch họp chi bộ",
            "https://sotay.example.vn/api/v1/meetings/9",
            "https://sotay.example.vn/api/v1/me/notification-preferences",
        ] {
            assert!(part.contains(expected), "{expected} missing from {part}");
        }
    }
}

#[tokio::test]
async fn a_rejected_recipient_is_permanent_and_a_deferred_one_temporary() {
    let sink = SmtpSink::start(&["--reject", "khong.ton.tai@example.vn", "--tempfail", "hop.thu.day@example.vn"]);
    let transport = smtp_transport(sink.port, clock());
    let one = || vec![item("Họp chi bộ", "Nội dung", "/meetings/1", Kind::MeetingPublished, false)];

    let err = transport.send(&message(Some("khong.ton.tai@example.vn"), one())).await.unwrap_err();
    assert!(matches!(&err, SendError::Permanent(text) if text.contains("550")), "{err:?}");
    let err = transport.send(&message(Some("hop.thu.day@example.vn"), one())).await.unwrap_err();
    assert!(matches!(&err, SendError::Temporary(text) if text.contains("451")), "{err:?}");
    assert!(sink.received().is_empty());
    // The server itself is fine.
    transport.send(&message(Some("co.that@example.vn"), one())).await.unwrap();
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn no_address_is_permanent_and_a_server_down_temporary() {
    let one = || vec![item("Họp chi bộ", "Nội dung", "/meetings/1", Kind::MeetingPublished, false)];
    let transport = smtp_transport(free_port(), clock());
    assert_eq!(transport.send(&message(None, one())).await, Err(SendError::Permanent("no e-mail address".into())));
    let err = transport.send(&message(Some("not-an-address"), one())).await.unwrap_err();
    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");

    let err = transport.send(&message(Some("dong.chi@example.vn"), one())).await.unwrap_err();
    assert!(matches!(err, SendError::Temporary(_)), "connection refused: {err:?}");
}

// ----- Webhook ----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Bytes,
    signature_valid: bool,
}

/// A push gateway: verifies the signature (401 when it does not match), records each request
/// and answers the scripted statuses in turn (then 200).
struct Receiver {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn hmac_hex(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<sha2_digest011::Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

async fn receiver(script: &[u16]) -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<u16>>()));
    let (log, statuses) = (received.clone(), script);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let (log, statuses) = (log.clone(), statuses.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let (log, statuses) = (log.clone(), statuses.clone());
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await?.to_bytes();
                        let headers: HashMap<String, String> = parts
                            .headers
                            .iter()
                            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("<not text>").to_string()))
                            .collect();
                        let expected = format!("sha256={}", hmac_hex(SECRET.as_bytes(), &body));
                        let signature_valid = headers.get("x-signature") == Some(&expected);
                        log.lock().unwrap().push(Received {
                            method: parts.method.to_string(),
                            path: parts.uri.to_string(),
                            headers,
                            body,
                            signature_valid,
                        });
                        let status = if signature_valid { statuses.lock().unwrap().pop_front().unwrap_or(200) } else { 401 };
                        Ok::<_, hyper::Error>(
                            Response::builder()
                                .status(StatusCode::from_u16(status).unwrap())
                                .body(Full::new(Bytes::from(format!("status {status}"))))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    Receiver { addr, received, task }
}

fn webhook_transport(url: &str, timeout_secs: &str, clock: SharedClock) -> WebhookTransport {
    let env: HashMap<&str, String> = HashMap::from([
        ("HANDBOOK_PUSH_WEBHOOK_URL", url.to_string()),
        ("HANDBOOK_PUSH_WEBHOOK_SECRET", SECRET.to_string()),
        ("HANDBOOK_PUSH_WEBHOOK_TIMEOUT_SECS", timeout_secs.to_string()),
    ]);
    let config = WebhookConfig::from_env(|k| env.get(k).cloned()).unwrap().unwrap();
    WebhookTransport::new(config, clock).unwrap()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test]
async fn the_webhook_is_signed_and_a_500_then_200_is_temporary_then_delivered() {
    let gateway = receiver(&[500]).await;
    let clock = clock();
    let transport = webhook_transport(&format!("http://{}/hooks/handbook?v=1", gateway.addr), "5", clock.clone());
    let first =
        message(None, vec![item("Cuộc họp bị huỷ", "Cuộc họp chi bộ ngày 05/12 bị huỷ.", "/meetings/42", Kind::MeetingCancelled, true)]);

    let err = transport.send(&first).await.unwrap_err();
    assert!(matches!(&err, SendError::Temporary(text) if text.contains("500")), "{err:?}");
    clock.advance(chrono::Duration::minutes(5));
    let retry = Message { attempt: 2, ..first.clone() };
    transport.send(&retry).await.unwrap();

    let received = gateway.received.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    for (request, attempt, at) in [
        (&received[0], 1, Utc.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).unwrap()),
        (&received[1], 2, Utc.with_ymd_and_hms(2026, 12, 4, 8, 5, 0).unwrap()),
    ] {
        assert!(request.signature_valid, "X-Signature verifies with the secret: {request:?}");
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/hooks/handbook?v=1"));
        assert_eq!(request.headers["content-type"], "application/json");
        assert_eq!(request.headers["host"], gateway.addr.to_string());
        assert_eq!(request.headers["idempotency-key"], first.key.to_string());
        assert_eq!(request.headers["x-handbook-timestamp"], at.timestamp().to_string());
        let signature = &request.headers["x-signature"];
        assert!(signature.len() == 71 && signature[7..].chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)), "{signature}");

        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["id"], first.key.to_string());
        assert_eq!(body["member_id"], first.member_id.to_string());
        assert_eq!(body["digest"], false);
        assert_eq!(body["attempt"], attempt);
        assert_eq!(body["sent_at"], rfc3339(at));
        let sent_at = DateTime::parse_from_rfc3339(body["sent_at"].as_str().unwrap()).unwrap();
        assert_eq!(sent_at.timestamp().to_string(), request.headers["x-handbook-timestamp"], "the signed body covers the timestamp");
        let item = &first.items[0];
        assert_eq!(
            body["items"],
            serde_json::json!([{
                "notification_id": item.notification_id.to_string(),
                "kind": "meeting.cancelled",
                "title": "Cuộc họp bị huỷ",
                "body": "Cuộc họp chi bộ ngày 05/12 bị huỷ.",
                "title_en": "EN Cuộc họp bị huỷ",
                "body_en": "EN Cuộc họp chi bộ ngày 05/12 bị huỷ.",
                "link": "/meetings/42",
                "created_at": "2026-12-04T07:59:30Z",
                "urgent": true,
            }])
        );
    }
    // A tampered body would not verify.
    let mut tampered = received[0].body.to_vec();
    tampered[10] ^= 1;
    assert_ne!(format!("sha256={}", hmac_hex(SECRET.as_bytes(), &tampered)), received[0].headers["x-signature"]);
    assert_eq!(clock.now(), Utc.with_ymd_and_hms(2026, 12, 4, 8, 5, 0).unwrap());
}

#[tokio::test]
async fn a_400_is_permanent_a_429_temporary() {
    let gateway = receiver(&[400, 429]).await;
    let transport = webhook_transport(&format!("http://{}/", gateway.addr), "5", clock());
    let msg = message(None, vec![item("Họp chi bộ", "Nội dung", "/meetings/1", Kind::MeetingPublished, false)]);
    let err = transport.send(&msg).await.unwrap_err();
    assert!(matches!(&err, SendError::Permanent(text) if text.contains("400")), "{err:?}");
    let err = transport.send(&msg).await.unwrap_err();
    assert!(matches!(&err, SendError::Temporary(text) if text.contains("429")), "{err:?}");
    assert_eq!(gateway.received.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn an_unreachable_or_silent_gateway_is_temporary() {
    let msg = message(None, vec![item("Họp chi bộ", "Nội dung", "/meetings/1", Kind::MeetingPublished, false)]);
    let transport = webhook_transport(&format!("http://127.0.0.1:{}/", free_port()), "5", clock());
    let err = transport.send(&msg).await.unwrap_err();
    assert!(matches!(err, SendError::Temporary(_)), "connection refused: {err:?}");

    // https: the TLS handshake with a peer that speaks plain HTTP fails, temporarily.
    let plain = receiver(&[]).await;
    let transport = webhook_transport(&format!("https://{}/", plain.addr), "5", clock());
    let err = transport.send(&msg).await.unwrap_err();
    assert!(matches!(&err, SendError::Temporary(text) if text.contains("TLS")), "{err:?}");
    assert!(plain.received.lock().unwrap().is_empty());

    // Accepts the connection and never answers: the timeout ends the send.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let transport = webhook_transport(&format!("http://{addr}/"), "1", clock());
    let started = Instant::now();
    let err = transport.send(&msg).await.unwrap_err();
    assert!(matches!(&err, SendError::Temporary(text) if text.contains("timed out")), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    holder.abort();
}
