//! Notifications for admins: webhook endpoints, and the outbox (what waits, what was
//! parked after too many failures, and retrying a parked message).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::webhooks::{self, WebhookRequest};
use crate::db;

use super::super::AppState;
use super::super::auth::Admin;
use super::super::error::AppError;
use super::super::json::Json;
use super::{Page, Paging};

fn webhook_json(w: &db::webhooks::Webhook, secret: Option<&str>) -> Value {
    let mut value = json!({"id": w.id, "url": w.url, "description": w.description,
           "active": w.active, "created_at": db::from_db(w.created_at)});
    if let Some(secret) = secret {
        value["secret"] = json!(secret);
    }
    value
}

fn message_json(m: &db::outbox::Message) -> Value {
    let at = |t: Option<chrono::NaiveDateTime>| t.map(db::from_db);
    json!({"id": m.id, "event_id": m.event_id, "channel": m.channel, "topic": m.topic,
           "ticket_id": m.ticket_id, "webhook_id": m.webhook_id, "recipient": m.recipient,
           "subject": m.subject, "created_at": db::from_db(m.created_at), "attempts": m.attempts,
           "next_attempt_at": db::from_db(m.next_attempt_at), "delivered_at": at(m.delivered_at),
           "parked_at": at(m.parked_at), "last_error": m.last_error})
}

/// `GET /api/v1/webhooks`.
pub async fn list_webhooks(
    state: web::Data<AppState>,
    Admin(_): Admin,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, AppError> {
    let (limit, after) = (paging.limit()?, paging.position()?);
    let rows = state.db(move |c| Ok(db::webhooks::list(c, after, limit)?)).await?;
    let items: Vec<Value> = rows.iter().map(|w| webhook_json(w, None)).collect();
    Ok(HttpResponse::Ok().json(Page::keyed(items, limit, |v| v["id"].as_i64().unwrap_or(0))))
}

/// A webhook endpoint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// `http://` or `https://` URL.
    pub url: String,
    /// Signing secret, at least 16 characters (generated and shown once when left out).
    #[serde(default)]
    pub secret: Option<String>,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Whether it gets events (default true).
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl WebhookBody {
    fn request(&self) -> WebhookRequest<'_> {
        WebhookRequest {
            url: &self.url,
            secret: self.secret.as_deref(),
            description: &self.description,
            active: self.active,
        }
    }
}

/// `POST /api/v1/webhooks`: 201 with the secret (shown this once).
pub async fn create_webhook(
    state: web::Data<AppState>,
    Admin(_): Admin,
    body: Json<WebhookBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let (row, secret) = state
        .db(move |c| {
            let (id, secret) = webhooks::add(c, &body.request(), now)?;
            let row = db::webhooks::find(c, id)?.ok_or_else(|| AppError::not_found("webhook"))?;
            Ok((row, secret))
        })
        .await?;
    Ok(HttpResponse::Created().json(webhook_json(&row, Some(&secret))))
}

/// `PUT /api/v1/webhooks/{id}`.
pub async fn update_webhook(
    state: web::Data<AppState>,
    Admin(_): Admin,
    path: web::Path<i64>,
    body: Json<WebhookBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let id = path.into_inner();
    let row = state
        .db(move |c| {
            webhooks::update(c, id, &body.request())?;
            db::webhooks::find(c, id)?.ok_or_else(|| AppError::not_found("webhook"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(webhook_json(&row, None)))
}

/// Query of the outbox.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// `pending` (default), `parked` or `delivered`.
    pub state: Option<String>,
    /// Page size.
    pub limit: Option<i64>,
    /// Cursor.
    pub cursor: Option<String>,
}

/// `GET /api/v1/outbox`.
pub async fn list_outbox(
    state: web::Data<AppState>,
    Admin(_): Admin,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let which = match query.state.as_deref() {
        None | Some("pending") => db::outbox::State::Pending,
        Some("parked") => db::outbox::State::Parked,
        Some("delivered") => db::outbox::State::Delivered,
        Some(other) => {
            return Err(AppError::field(
                "state",
                format!("{other:?}: use pending, parked or delivered"),
            ));
        }
    };
    let paging = Paging { limit: query.limit, cursor: query.cursor };
    let (limit, offset) = (paging.limit()?, paging.position()?);
    let rows = state.db(move |c| Ok(db::outbox::list(c, which, offset, limit)?)).await?;
    let items: Vec<Value> = rows.iter().map(message_json).collect();
    Ok(HttpResponse::Ok().json(Page::offset(items, offset, limit)))
}

/// `POST /api/v1/outbox/{id}/retry`: a parked message goes back in the queue, due now.
pub async fn retry(
    state: web::Data<AppState>,
    Admin(_): Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let now = state.clock.now();
    let row = state
        .db(move |c| {
            let message = db::outbox::find(c, id)?.ok_or_else(|| AppError::not_found("message"))?;
            if message.parked_at.is_none() {
                return Err(AppError::new(
                    actix_web::http::StatusCode::CONFLICT,
                    "only a parked message can be retried",
                ));
            }
            db::outbox::retry(c, id, db::to_db(now))?;
            db::outbox::find(c, id)?.ok_or_else(|| AppError::not_found("message"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(message_json(&row)))
}
