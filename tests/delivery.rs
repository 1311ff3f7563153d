//! The senders against real sockets: `Mailer` against a local SMTP sink, `Poster` against a
//! local HTTP receiver. What arrives, and how each failure is classified (temporary: retry;
//! permanent: park).

#[path = "support/mail_sink.rs"]
mod mail_sink;
#[path = "support/webhook_sink.rs"]
mod webhook_sink;

use std::net::TcpListener;
use std::time::Duration;

use frist::notify::smtp::{MailSettings, Mailer};
use frist::notify::webhook::{Poster, WebhookSettings, signature};
use frist::notify::{DeliveryError, Email, WebhookCall};
use mail_sink::MailSink;
use webhook_sink::WebhookSink;

const TIMEOUT: Duration = Duration::from_secs(2);

fn mailer(url: &str) -> Mailer {
    Mailer::new(&MailSettings {
        url: url.to_owned(),
        from: "Nordic IT support <support@nordic-it.example>".to_owned(),
        timeout: TIMEOUT,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn email(html: Option<&str>) -> Email {
    Email {
        to: "Kari Nordmann <kari@acme.example>".to_owned(),
        subject: "We have received your ticket T-2026-000123".to_owned(),
        text: "Hello Kari,\r\n\r\nWe have received your ticket.\r\n".to_owned(),
        html: html.map(str::to_owned),
        event_id: "01JEVENT000123".to_owned(),
    }
}

fn poster(allow_private: bool) -> Poster {
    Poster::new(&WebhookSettings { allow_private, timeout: TIMEOUT })
}

fn call(url: String) -> WebhookCall {
    WebhookCall {
        url,
        secret: "s3cret".to_owned(),
        event_id: "01JEVENT000456".to_owned(),
        topic: "ticket.created".to_owned(),
        body: r#"{"ticket":"T-2026-000123","severity":"critical"}"#.to_owned(),
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    listener.local_addr().unwrap_or_else(|e| panic!("{e}")).port()
}

#[test]
fn mail_arrives_with_both_parts_and_the_event_id() {
    let sink = MailSink::start();
    let html = "<p>Hello Kari,</p><p>We have received your ticket.</p>";
    mailer(&sink.url()).send(&email(Some(html))).unwrap_or_else(|e| panic!("{e}"));

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.rcpt_to, ["kari@acme.example"]);
    assert_eq!(message.mail_from, "support@nordic-it.example");
    assert_eq!(message.header("To").as_deref(), Some("\"Kari Nordmann\" <kari@acme.example>"));
    assert_eq!(
        message.header("Subject").as_deref(),
        Some("We have received your ticket T-2026-000123")
    );
    assert_eq!(message.header("Message-ID").as_deref(), Some("<01JEVENT000123@frist>"));
    assert_eq!(message.header("X-Frist-Event-Id").as_deref(), Some("01JEVENT000123"));
    let content_type = message.header("Content-Type").unwrap_or_default();
    assert!(content_type.starts_with("multipart/alternative"), "{content_type}");
    assert!(message.data.contains("Content-Type: text/plain; charset=utf-8"));
    assert!(message.data.contains("Content-Type: text/html; charset=utf-8"));
    assert!(message.data.contains("We have received your ticket."));
    assert!(message.data.contains(html));
}

#[test]
fn mail_without_html_is_text_only() {
    let sink = MailSink::start();
    mailer(&sink.url()).send(&email(None)).unwrap_or_else(|e| panic!("{e}"));
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let content_type = messages[0].header("Content-Type").unwrap_or_default();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(!messages[0].data.contains("text/html"));
}

#[test]
fn smtp_451_is_temporary_and_the_retry_gets_through() {
    let sink = MailSink::failing_data(1);
    let mailer = mailer(&sink.url());
    let first = mailer.send(&email(None));
    assert!(
        matches!(&first, Err(DeliveryError::Temporary(msg)) if msg.contains("451")),
        "{first:?}"
    );
    assert!(sink.messages().is_empty());
    mailer.send(&email(None)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn unreachable_relay_is_temporary() {
    let result = mailer(&format!("smtp://127.0.0.1:{}", closed_port())).send(&email(None));
    assert!(matches!(result, Err(DeliveryError::Temporary(_))), "{result:?}");
}

#[test]
fn silent_relay_times_out_as_temporary() {
    let sink = MailSink::hanging();
    let mailer = Mailer::new(&MailSettings {
        url: sink.url(),
        from: "support@nordic-it.example".to_owned(),
        timeout: Duration::from_millis(200),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let result = mailer.send(&email(None));
    assert!(matches!(result, Err(DeliveryError::Temporary(_))), "{result:?}");
    assert_eq!(sink.connections(), 1);
}

#[test]
fn invalid_recipient_is_permanent() {
    let sink = MailSink::start();
    let mut bad = email(None);
    bad.to = "kari at acme".to_owned();
    let result = mailer(&sink.url()).send(&bad);
    assert!(matches!(result, Err(DeliveryError::Permanent(_))), "{result:?}");
    assert_eq!(sink.connections(), 0);
}

#[test]
fn webhook_is_signed_and_labelled() {
    let sink = WebhookSink::start();
    let call = call(sink.url("/hooks/frist"));
    poster(true).send(&call).unwrap_or_else(|e| panic!("{e}"));

    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/hooks/frist");
    assert_eq!(request.body, call.body.as_bytes());
    assert_eq!(request.header("Content-Type"), Some("application/json"));
    assert_eq!(request.header("X-Frist-Event-Id"), Some("01JEVENT000456"));
    assert_eq!(request.header("X-Frist-Topic"), Some("ticket.created"));
    let expected = format!("sha256={}", signature("s3cret", &request.body));
    assert_eq!(request.header("X-Frist-Signature"), Some(expected.as_str()));
    assert_ne!(signature("other", &request.body), signature("s3cret", &request.body));
}

#[test]
fn webhook_5xx_is_temporary_until_it_succeeds() {
    let sink = WebhookSink::with_statuses(&[500, 503, 200]);
    let poster = poster(true);
    let call = call(sink.url("/"));
    for _ in 0..2 {
        let result = poster.send(&call);
        assert!(matches!(result, Err(DeliveryError::Temporary(_))), "{result:?}");
    }
    poster.send(&call).unwrap_or_else(|e| panic!("{e}"));
    let requests = sink.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.header("X-Frist-Event-Id") == Some("01JEVENT000456")));
}

#[test]
fn webhook_408_and_429_are_temporary() {
    let sink = WebhookSink::with_statuses(&[408, 429]);
    let poster = poster(true);
    for _ in 0..2 {
        let result = poster.send(&call(sink.url("/")));
        assert!(matches!(result, Err(DeliveryError::Temporary(_))), "{result:?}");
    }
}

#[test]
fn webhook_400_is_permanent() {
    let sink = WebhookSink::with_statuses(&[400]);
    let result = poster(true).send(&call(sink.url("/")));
    assert!(matches!(result, Err(DeliveryError::Permanent(_))), "{result:?}");
}

#[test]
fn webhook_redirect_is_permanent_and_not_followed() {
    let sink = WebhookSink::with_statuses(&[302, 200]);
    let result = poster(true).send(&call(sink.url("/hook")));
    assert!(
        matches!(&result, Err(DeliveryError::Permanent(msg)) if msg.contains("redirected")),
        "{result:?}"
    );
    let requests = sink.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].path, "/hook");
}

#[test]
fn webhook_to_loopback_is_refused_before_connecting() {
    let sink = WebhookSink::start();
    for url in [
        sink.url("/hook"),
        format!("http://localhost:{}/hook", sink.port()),
        format!("http://[::ffff:127.0.0.1]:{}/hook", sink.port()),
    ] {
        let result = poster(false).send(&call(url.clone()));
        assert!(
            matches!(&result, Err(DeliveryError::Permanent(msg)) if msg.contains("127.0.0.1") || msg.contains("::1")),
            "{url}: {result:?}"
        );
    }
    assert!(sink.requests().is_empty());
}

#[test]
fn webhook_unreachable_is_temporary() {
    let result = poster(true).send(&call(format!("http://127.0.0.1:{}/", closed_port())));
    assert!(matches!(result, Err(DeliveryError::Temporary(_))), "{result:?}");
}

#[test]
fn webhook_needs_an_http_url() {
    for url in ["ftp://hooks.example/x", "file:///etc/passwd", "hooks.example/x"] {
        let result = poster(false).send(&call(url.to_owned()));
        assert!(matches!(result, Err(DeliveryError::Permanent(_))), "{url}: {result:?}");
    }
}
