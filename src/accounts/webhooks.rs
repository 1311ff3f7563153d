//! Webhook endpoints: where events are posted. The URL must be http(s); whether it may
//! point into private networks is decided when sending (`FRIST_WEBHOOK_ALLOW_PRIVATE`).

use chrono::{DateTime, Utc};

use crate::db::{self, DbConn};
use crate::tickets::{TicketError, transaction};

/// Shortest secret: 16 characters.
pub const MIN_SECRET: usize = 16;

/// An endpoint as asked for; a missing secret is generated (and shown once).
#[derive(Debug, Clone)]
pub struct WebhookRequest<'a> {
    /// Target URL.
    pub url: &'a str,
    /// Signing secret.
    pub secret: Option<&'a str>,
    /// Description.
    pub description: &'a str,
    /// Active.
    pub active: bool,
}

fn check_url(url: &str) -> Result<(), TicketError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| TicketError::invalid("url", "must start with http:// or https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.len() > 2000 || url.chars().any(char::is_whitespace) {
        return Err(TicketError::invalid("url", format!("{url:?} is not a URL frist can post to")));
    }
    Ok(())
}

fn secret(given: Option<&str>) -> Result<String, TicketError> {
    match given {
        Some(s) if s.chars().count() < MIN_SECRET => {
            Err(TicketError::invalid("secret", format!("must be at least {MIN_SECRET} characters")))
        }
        Some(s) => Ok(s.to_owned()),
        None => Ok(crate::auth::secret::generate().0),
    }
}

/// Adds an endpoint; returns its id and secret.
pub fn add(
    conn: &mut DbConn,
    request: &WebhookRequest<'_>,
    now: DateTime<Utc>,
) -> Result<(i64, String), TicketError> {
    check_url(request.url)?;
    let secret = secret(request.secret)?;
    transaction(conn, |conn| {
        let id = db::webhooks::insert(
            conn,
            &db::webhooks::WebhookForm {
                url: request.url,
                secret: &secret,
                description: request.description.trim(),
                active: request.active,
            },
            db::to_db(now),
        )?;
        Ok((id, secret.clone()))
    })
}

/// Changes an endpoint; a missing secret keeps the old one.
pub fn update(conn: &mut DbConn, id: i64, request: &WebhookRequest<'_>) -> Result<(), TicketError> {
    check_url(request.url)?;
    transaction(conn, |conn| {
        let old = db::webhooks::find(conn, id)?.ok_or(TicketError::NotFound("webhook"))?;
        let secret = match request.secret {
            Some(_) => secret(request.secret)?,
            None => old.secret,
        };
        db::webhooks::update(
            conn,
            id,
            &db::webhooks::WebhookForm {
                url: request.url,
                secret: &secret,
                description: request.description.trim(),
                active: request.active,
            },
        )?;
        Ok(())
    })
}
