//! Outbox delivery: claim due messages for a lease, send each, mark it delivered, or record
//! the failure and try again later with exponential backoff; after too many failures (or one
//! that can never succeed) park it where an admin sees it and can retry it.
//!
//! At least once, never lost: a message leaves the queue only when a sender said it was
//! delivered. A worker killed mid-send leaves its claim to lapse after the lease, and the
//! message goes out again with the same event id, so receivers can drop the duplicate.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::db::outbox::{AfterFailure, Message};
use crate::db::{self, DbConn, DbError};
use crate::notify::smtp::{Attachment, MailSettings, Mailer};
use crate::notify::webhook::{Poster, WebhookSettings};
use crate::notify::{DeliveryError, Email, WebhookCall};

/// Retry settings.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Failed attempts before a message is parked.
    pub max_attempts: i32,
    /// Wait after the first failure; doubles with each further one.
    pub backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// How long a claim holds.
    pub lease: Duration,
}

impl Retry {
    /// When to try again after the `failures`-th failure (1-based).
    #[must_use]
    pub fn wait_after(&self, failures: i32) -> Duration {
        let doublings = u32::try_from(failures.saturating_sub(1)).unwrap_or(0).min(20);
        let wait = self.backoff.num_seconds().saturating_mul(1_i64 << doublings);
        Duration::seconds(wait).min(self.max_backoff)
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Messages claimed.
    pub claimed: usize,
    /// Delivered.
    pub delivered: usize,
    /// Failed, to be tried again.
    pub retrying: usize,
    /// Parked.
    pub parked: usize,
}

/// A delivery worker: its identity (claims carry it) and its senders.
#[derive(Debug)]
pub struct Worker {
    id: String,
    mailer: Option<Mailer>,
    poster: Poster,
    retry: Retry,
    stopping: AtomicBool,
    /// The monthly report mail's settings: built from the same configuration as the
    /// senders, so the jobs started with this worker write what it can send.
    reports: super::reports::Settings,
}

/// Most messages claimed in one pass.
pub const BATCH: i64 = 50;

impl Worker {
    /// A worker with these senders; without a mailer, e-mails stay queued until one is
    /// configured.
    #[must_use]
    pub fn new(mailer: Option<Mailer>, poster: Poster, retry: Retry) -> Self {
        let id = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
        Self {
            id,
            mailer,
            poster,
            retry,
            stopping: AtomicBool::new(false),
            reports: super::reports::Settings::default(),
        }
    }

    /// The same worker with these report mail settings.
    #[must_use]
    pub fn with_reports(mut self, reports: super::reports::Settings) -> Self {
        self.reports = reports;
        self
    }

    /// The report mail settings ([`Worker::from_config`] reads them from the configuration).
    #[must_use]
    pub fn reports(&self) -> &super::reports::Settings {
        &self.reports
    }

    /// A worker as the configuration says.
    pub fn from_config(config: &Config) -> Result<Self, DeliveryError> {
        let mailer = match &config.smtp_url {
            Some(url) => Some(Mailer::new(&MailSettings {
                url: url.clone(),
                from: config.mail_from.clone(),
                timeout: std::time::Duration::from_secs(20),
            })?),
            None => None,
        };
        let poster = Poster::new(&WebhookSettings {
            allow_private: config.webhook_allow_private,
            timeout: std::time::Duration::from_secs(10),
        });
        let retry = Retry {
            max_attempts: config.outbox_max_attempts,
            backoff: Duration::seconds(config.outbox_backoff_secs),
            max_backoff: Duration::hours(1),
            lease: Duration::seconds(config.outbox_lease_secs),
        };
        Ok(Self::new(mailer, poster, retry)
            .with_reports(super::reports::Settings::from_config(config)))
    }

    /// The id its claims carry.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether e-mail can be sent.
    #[must_use]
    pub fn sends_email(&self) -> bool {
        self.mailer.is_some()
    }

    /// One pass at `now`: claims up to [`BATCH`] due messages and tries each once.
    pub fn tick(&self, conn: &mut DbConn, now: DateTime<Utc>) -> Result<Report, DbError> {
        let channel = if self.mailer.is_some() { None } else { Some("webhook") };
        let lease_until = db::to_db(now + self.retry.lease);
        let claimed =
            db::outbox::claim(conn, &self.id, db::to_db(now), lease_until, BATCH, channel)?;
        let mut report = Report { claimed: claimed.len(), ..Report::default() };
        for message in claimed {
            // Shutting down: what is left stays claimed until `release` gives it back.
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            let outcome = self.send(conn, &message);
            match outcome {
                Ok(()) => {
                    db::outbox::mark_delivered(conn, message.id, &self.id, db::to_db(now))?;
                    report.delivered += 1;
                }
                Err(error) => {
                    let failures = message.attempts.saturating_add(1);
                    let give_up = matches!(error, DeliveryError::Permanent(_))
                        || failures >= self.retry.max_attempts;
                    let then = if give_up {
                        report.parked += 1;
                        AfterFailure::Park(db::to_db(now))
                    } else {
                        report.retrying += 1;
                        AfterFailure::RetryAt(db::to_db(now + self.retry.wait_after(failures)))
                    };
                    tracing::warn!(
                        id = message.id, topic = %message.topic, to = %message.recipient,
                        attempt = failures, parked = give_up, %error, "delivery failed"
                    );
                    db::outbox::mark_failed(conn, message.id, &self.id, &error.to_string(), then)?;
                }
            }
        }
        if report.claimed > 0 {
            tracing::info!(
                claimed = report.claimed,
                delivered = report.delivered,
                retrying = report.retrying,
                parked = report.parked,
                "outbox pass"
            );
        }
        Ok(report)
    }

    fn send(&self, conn: &mut DbConn, message: &Message) -> Result<(), DeliveryError> {
        match message.channel.as_str() {
            "email" => {
                let mailer = self
                    .mailer
                    .as_ref()
                    .ok_or_else(|| DeliveryError::Temporary("FRIST_SMTP_URL is not set".into()))?;
                let attachments = match &message.attachments {
                    Some(json) => Attachment::from_json(json)?,
                    None => Vec::new(),
                };
                let email = Email {
                    to: message.recipient.clone(),
                    subject: message.subject.clone(),
                    text: message.body.clone(),
                    html: message.html.clone(),
                    event_id: message.event_id.clone(),
                };
                mailer.send_with(&email, &attachments)
            }
            "webhook" => {
                let endpoint = match message.webhook_id {
                    Some(id) => db::webhooks::find(conn, id)
                        .map_err(|e| DeliveryError::Temporary(e.to_string()))?,
                    None => None,
                };
                let endpoint = endpoint.filter(|e| e.active).ok_or_else(|| {
                    DeliveryError::Permanent("the webhook endpoint is gone or inactive".into())
                })?;
                self.poster.send(&WebhookCall {
                    url: endpoint.url,
                    secret: endpoint.secret,
                    event_id: message.event_id.clone(),
                    topic: message.topic.clone(),
                    body: message.body.clone(),
                })
            }
            other => Err(DeliveryError::Permanent(format!("unknown channel {other:?}"))),
        }
    }

    /// Stops sending: a pass in progress finishes the message it is sending and leaves the
    /// rest of its batch for [`Worker::release`].
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Gives back what this worker holds (graceful shutdown): another worker may take it
    /// at once instead of after the lease.
    pub fn release(&self, conn: &mut DbConn) -> Result<usize, DbError> {
        Ok(db::outbox::release(conn, &self.id)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let retry = Retry {
            max_attempts: 10,
            backoff: Duration::seconds(30),
            max_backoff: Duration::hours(1),
            lease: Duration::seconds(60),
        };
        let waits: Vec<i64> = (1..=9).map(|n| retry.wait_after(n).num_seconds()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        // Ten attempts span more than an hour of a receiver being down.
        assert!(waits.iter().sum::<i64>() > 3 * 3600);
    }
}
