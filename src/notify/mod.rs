//! Sending what the outbox holds: e-mail over SMTP and signed JSON webhooks, and rendering
//! e-mails from the handlebars templates in `templates/emails/`.
//!
//! Nothing here touches the database or decides who is told what: `tickets/` writes
//! messages into the outbox in the transaction of their cause, and `jobs/` claims them and
//! hands each to a sender here. A sender either delivers or says why not
//! ([`DeliveryError`]); retries, backoff and parking belong to the job.

pub mod render;
pub mod smtp;
pub mod webhook;

/// An e-mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML alternative, if any.
    pub html: Option<String>,
    /// Stable id of this message (the outbox event id); becomes the `Message-ID`'s local
    /// part, so a resend after a crash is recognisable.
    pub event_id: String,
}

/// A webhook call ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookCall {
    /// Target URL.
    pub url: String,
    /// The endpoint's secret: signs the body.
    pub secret: String,
    /// Stable id of this event (`X-Frist-Event-Id`), the same on every retry.
    pub event_id: String,
    /// What happened, e.g. `ticket.created` (`X-Frist-Topic`).
    pub topic: String,
    /// The JSON body, exactly as signed.
    pub body: String,
}

/// Why a message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again later (connection refused, timeout, 5xx, SMTP 4xx).
    #[error("{0}")]
    Temporary(String),
    /// Will never succeed as addressed (bad address, refused target, 4xx other than 408/429);
    /// the message is parked at once.
    #[error("{0}")]
    Permanent(String),
}
