//! E-mail over SMTP with lettre's blocking transport.
//!
//! One connection per message (no pool): the outbox job sends a handful of messages a
//! minute, and a fresh connection never carries a half-broken session into the next send.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Message, SmtpTransport, Transport};

use super::{DeliveryError, Email};

/// The header that carries the outbox event id, so a receiver can drop duplicates.
const EVENT_ID_HEADER: HeaderName = HeaderName::new_from_ascii_str("X-Frist-Event-Id");

/// RFC 3834: every mail frist sends is machine-made, so auto-responders stay quiet and
/// frist's own inbound mail never mistakes it for a person's.
const AUTO_SUBMITTED_HEADER: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");

/// A file attached to an e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name, e.g. `sla-report-2026-11.pdf`.
    pub name: String,
    /// MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// An attachment as the outbox stores it (`outbox.attachments`, a JSON list).
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    name: String,
    content_type: String,
    base64: String,
}

impl Attachment {
    /// The JSON list the outbox stores: `[{"name", "content_type", "base64"}]`.
    #[must_use]
    pub fn to_json(attachments: &[Attachment]) -> String {
        let stored: Vec<Stored> = attachments
            .iter()
            .map(|a| Stored {
                name: a.name.clone(),
                content_type: a.content_type.clone(),
                base64: base64::engine::general_purpose::STANDARD.encode(&a.bytes),
            })
            .collect();
        serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Reads the outbox's JSON list; a list that cannot be read can never be sent.
    pub fn from_json(text: &str) -> Result<Vec<Attachment>, DeliveryError> {
        let bad = |why: String| DeliveryError::Permanent(format!("attachments: {why}"));
        let stored: Vec<Stored> = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        stored
            .into_iter()
            .map(|s| {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s.base64.as_bytes())
                    .map_err(|e| bad(format!("{}: {e}", s.name)))?;
                Ok(Attachment { name: s.name, content_type: s.content_type, bytes })
            })
            .collect()
    }
}

/// Where and as whom e-mail is sent.
#[derive(Clone)]
pub struct MailSettings {
    /// The relay (`FRIST_SMTP_URL`): `smtp://host:1025` (plain, for local catchers),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://host:465`.
    pub url: String,
    /// The `From` address (`FRIST_MAIL_FROM`), e.g. `frist <support@example.com>`.
    pub from: String,
    /// Connect and command timeout.
    pub timeout: Duration,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("url", &redact_password(&self.url))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The URL with the password of `user:password@` replaced, for logs.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// Sends [`Email`]s through one configured relay.
#[derive(Debug, Clone)]
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
}

impl Mailer {
    /// Builds a mailer; fails with [`DeliveryError::Permanent`] naming the setting when the
    /// relay URL or the `From` address cannot be used.
    pub fn new(settings: &MailSettings) -> Result<Mailer, DeliveryError> {
        // lettre's messages do not echo the URL, so the password stays out of logs.
        let transport = SmtpTransport::from_url(&settings.url)
            .map_err(|err| {
                DeliveryError::Permanent(format!("FRIST_SMTP_URL is not usable: {err}"))
            })?
            .timeout(Some(settings.timeout))
            .build();
        let from = settings.from.parse::<Mailbox>().map_err(|err| {
            DeliveryError::Permanent(format!(
                "FRIST_MAIL_FROM {:?} is not an e-mail address: {err}",
                settings.from
            ))
        })?;
        Ok(Mailer { transport, from })
    }

    /// Sends one e-mail and waits for the relay's answer.
    pub fn send(&self, email: &Email) -> Result<(), DeliveryError> {
        self.send_with(email, &[])
    }

    /// Sends one e-mail with files attached (none: as [`Mailer::send`]).
    pub fn send_with(
        &self,
        email: &Email,
        attachments: &[Attachment],
    ) -> Result<(), DeliveryError> {
        let message = self.build(email, attachments)?;
        self.transport.send(&message).map(|_| ()).map_err(|err| classify(&err, &email.event_id))
    }

    /// A multipart/alternative message (or plain text alone), inside a multipart/mixed one
    /// when files are attached, with the event id in its `Message-ID` and
    /// `X-Frist-Event-Id`, marked `Auto-Submitted: auto-generated`.
    fn build(&self, email: &Email, attachments: &[Attachment]) -> Result<Message, DeliveryError> {
        let to = email.to.parse::<Mailbox>().map_err(|err| {
            DeliveryError::Permanent(format!(
                "recipient {:?} is not an e-mail address: {err}",
                email.to
            ))
        })?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.as_str())
            .message_id(Some(message_id(&email.event_id)));
        let cannot = |err: String| {
            DeliveryError::Permanent(format!("e-mail {} cannot be built: {err}", email.event_id))
        };
        let built = match (&email.html, attachments.is_empty()) {
            (Some(html), true) => builder
                .multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone())),
            (None, true) => builder.singlepart(SinglePart::plain(email.text.clone())),
            (html, false) => {
                let mut mixed = match html {
                    Some(html) => MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
                        email.text.clone(),
                        html.clone(),
                    )),
                    None => MultiPart::mixed().singlepart(SinglePart::plain(email.text.clone())),
                };
                for file in attachments {
                    let content_type = ContentType::parse(&file.content_type)
                        .map_err(|err| cannot(format!("{}: {err}", file.name)))?;
                    mixed = mixed.singlepart(
                        lettre::message::Attachment::new(file.name.clone())
                            .body(file.bytes.clone(), content_type),
                    );
                }
                builder.multipart(mixed)
            }
        };
        let mut message = built.map_err(|err| cannot(err.to_string()))?;
        let headers = message.headers_mut();
        headers.insert_raw(HeaderValue::new(EVENT_ID_HEADER, email.event_id.clone()));
        headers.insert_raw(HeaderValue::new(AUTO_SUBMITTED_HEADER, "auto-generated".to_owned()));
        Ok(message)
    }
}

/// `<{event_id}@frist>`, with anything that may not stand in a message id replaced, so the
/// same event always yields the same id.
fn message_id(event_id: &str) -> String {
    let local: String = event_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-+=".contains(c) { c } else { '-' })
        .collect();
    format!("<{local}@frist>")
}

/// A 5xx reply will never succeed; a 4xx, a lost connection, a timeout or a TLS hiccup may.
fn classify(err: &lettre::transport::smtp::Error, event_id: &str) -> DeliveryError {
    let message = format!("e-mail {event_id}: {err}");
    if err.is_permanent() {
        DeliveryError::Permanent(message)
    } else {
        DeliveryError::Temporary(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, from: &str) -> MailSettings {
        MailSettings { url: url.to_owned(), from: from.to_owned(), timeout: Duration::from_secs(1) }
    }

    #[test]
    fn bad_settings_name_the_variable() {
        let Err(DeliveryError::Permanent(msg)) = Mailer::new(&settings("ftp://x", "a@b.example"))
        else {
            panic!("bad URL accepted");
        };
        assert!(msg.contains("FRIST_SMTP_URL"), "{msg}");
        let Err(DeliveryError::Permanent(msg)) =
            Mailer::new(&settings("smtp://127.0.0.1:1025", "not an address"))
        else {
            panic!("bad From accepted");
        };
        assert!(msg.contains("FRIST_MAIL_FROM"), "{msg}");
    }

    #[test]
    fn schemes_are_accepted() {
        for url in [
            "smtp://127.0.0.1:1025",
            "smtp://user:pass@mail.example:587?tls=required",
            "smtps://mail.example:465",
        ] {
            assert!(Mailer::new(&settings(url, "frist <a@b.example>")).is_ok(), "{url}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!(
            "{:?}",
            settings("smtp://user:p%40ss@mail.example:587?tls=required", "a@b.example")
        );
        assert!(shown.contains("smtp://user:***@mail.example:587?tls=required"), "{shown}");
        assert!(!shown.contains("p%40ss"));
        assert_eq!(redact_password("smtp://127.0.0.1:1025"), "smtp://127.0.0.1:1025");
    }

    #[test]
    fn message_id_keeps_plain_ids_and_cleans_others() {
        assert_eq!(message_id("01J9-abc_1"), "<01J9-abc_1@frist>");
        assert_eq!(message_id("a b>c"), "<a-b-c@frist>");
    }

    #[test]
    fn attachments_round_trip_through_the_outbox_json() -> Result<(), DeliveryError> {
        let files = vec![
            Attachment {
                name: "a.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: b"%PDF-1.7\n\x00\xff".to_vec(),
            },
            Attachment {
                name: "a.csv".into(),
                content_type: "text/csv".into(),
                bytes: b"x\r\n".to_vec(),
            },
        ];
        assert_eq!(Attachment::from_json(&Attachment::to_json(&files))?, files);
        assert!(matches!(Attachment::from_json("{"), Err(DeliveryError::Permanent(_))));
        Ok(())
    }

    #[test]
    fn mixed_message_keeps_the_alternative_and_the_headers() -> Result<(), DeliveryError> {
        let mailer = Mailer::new(&settings("smtp://127.0.0.1:1", "a@b.example"))?;
        let email = Email {
            to: "kari@example.com".to_owned(),
            subject: "s".to_owned(),
            text: "plain".to_owned(),
            html: Some("<p>html</p>".to_owned()),
            event_id: "report:1:2026-11:v1:kari@example.com".to_owned(),
        };
        let file = Attachment {
            name: "r.csv".into(),
            content_type: "text/csv; charset=utf-8".into(),
            bytes: b"a,b\r\n".to_vec(),
        };
        let formatted =
            String::from_utf8_lossy(&mailer.build(&email, &[file])?.formatted()).into_owned();
        assert!(formatted.contains("multipart/mixed"), "{formatted}");
        assert!(formatted.contains("multipart/alternative"), "{formatted}");
        assert!(formatted.contains("filename=\"r.csv\""), "{formatted}");
        assert!(formatted.contains("Auto-Submitted: auto-generated"), "{formatted}");
        assert!(formatted.contains("X-Frist-Event-Id: report:1:2026-11:v1:kari@example.com"));
        let plain = String::from_utf8_lossy(&mailer.build(&email, &[])?.formatted()).into_owned();
        assert!(!plain.contains("multipart/mixed"), "{plain}");
        assert!(plain.contains("Auto-Submitted: auto-generated"), "{plain}");
        Ok(())
    }

    #[test]
    fn invalid_recipient_is_permanent() -> Result<(), DeliveryError> {
        let mailer = Mailer::new(&settings("smtp://127.0.0.1:1", "a@b.example"))?;
        let email = Email {
            to: "nobody".to_owned(),
            subject: "s".to_owned(),
            text: "t".to_owned(),
            html: None,
            event_id: "e1".to_owned(),
        };
        assert!(matches!(mailer.send(&email), Err(DeliveryError::Permanent(_))));
        Ok(())
    }
}
