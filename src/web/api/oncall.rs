//! The on-call roster: staff read it (and "who is on call now"); admins change it.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::oncall::{self, ShiftRequest};
use crate::auth::Actor;
use crate::db;

use super::super::AppState;
use super::super::auth::{Admin, Signed};
use super::super::error::AppError;
use super::super::json::Json;
use super::{Page, Paging};

fn staff(actor: &Actor) -> Result<(), AppError> {
    if actor.is_staff() { Ok(()) } else { Err(AppError::forbidden("staff only")) }
}

fn shift_json(s: &db::oncall::Shift, user: Option<&db::users::User>) -> Value {
    json!({"id": s.id, "user_id": s.user_id, "user_name": user.map(|u| u.name.clone()),
           "starts_at": db::from_db(s.starts_at), "ends_at": db::from_db(s.ends_at),
           "note": s.note, "created_at": db::from_db(s.created_at)})
}

/// Query of the roster.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterQuery {
    /// Shifts ending after this instant (default: now).
    pub from: Option<DateTime<Utc>>,
    /// Page size.
    pub limit: Option<i64>,
    /// Cursor.
    pub cursor: Option<String>,
}

/// `GET /api/v1/oncall`.
pub async fn list(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    query: web::Query<RosterQuery>,
) -> Result<HttpResponse, AppError> {
    staff(&actor)?;
    let query = query.into_inner();
    let paging = Paging { limit: query.limit, cursor: query.cursor };
    let (limit, offset) = (paging.limit()?, paging.position()?);
    let from = db::to_db(query.from.unwrap_or_else(|| state.clock.now()));
    let rows = state.db(move |c| Ok(db::oncall::list(c, from, offset, limit)?)).await?;
    let items: Vec<Value> = rows.iter().map(|s| shift_json(s, None)).collect();
    Ok(HttpResponse::Ok().json(Page::offset(items, offset, limit)))
}

/// `GET /api/v1/oncall/now`: who is on call now (`null` when nobody), and the phone number
/// customers are given.
pub async fn now(
    state: web::Data<AppState>,
    Signed(actor): Signed,
) -> Result<HttpResponse, AppError> {
    staff(&actor)?;
    let now = state.clock.now();
    let found = state.db(move |c| Ok(db::oncall::on_call_at(c, db::to_db(now))?)).await?;
    let phone = state.engine.provider().spec.oncall_phone.clone();
    let on_call = found.map(|(shift, user)| {
        json!({"user_id": user.id, "name": user.name, "email": user.email,
               "shift": shift_json(&shift, Some(&user))})
    });
    Ok(HttpResponse::Ok().json(json!({"at": now, "on_call": on_call, "oncall_phone": phone})))
}

/// A shift.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftBody {
    /// The staff member on call.
    pub user_id: i64,
    /// Start (inclusive).
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: DateTime<Utc>,
    /// End (exclusive).
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: DateTime<Utc>,
    /// Free text.
    #[serde(default)]
    pub note: String,
}

impl ShiftBody {
    fn request(&self) -> ShiftRequest<'_> {
        ShiftRequest {
            user_id: self.user_id,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            note: &self.note,
        }
    }
}

/// `POST /api/v1/oncall`.
pub async fn create(
    state: web::Data<AppState>,
    Admin(_): Admin,
    body: Json<ShiftBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let row = state
        .db(move |c| {
            let id = oncall::add_shift(c, &body.request(), now)?;
            db::oncall::find(c, id)?.ok_or_else(|| AppError::not_found("shift"))
        })
        .await?;
    Ok(HttpResponse::Created().json(shift_json(&row, None)))
}

/// `GET /api/v1/oncall/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    staff(&actor)?;
    let id = path.into_inner();
    let row = state
        .db(move |c| Ok(db::oncall::find(c, id)?))
        .await?
        .ok_or_else(|| AppError::not_found("shift"))?;
    Ok(HttpResponse::Ok().json(shift_json(&row, None)))
}

/// `PUT /api/v1/oncall/{id}`.
pub async fn update(
    state: web::Data<AppState>,
    Admin(_): Admin,
    path: web::Path<i64>,
    body: Json<ShiftBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let id = path.into_inner();
    let row = state
        .db(move |c| {
            oncall::update_shift(c, id, &body.request())?;
            db::oncall::find(c, id)?.ok_or_else(|| AppError::not_found("shift"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(shift_json(&row, None)))
}

/// `DELETE /api/v1/oncall/{id}`.
pub async fn delete(
    state: web::Data<AppState>,
    Admin(_): Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    state.db(move |c| Ok(oncall::delete_shift(c, id)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}
