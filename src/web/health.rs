//! `/healthz` (the process answers) and `/readyz` (the database answers too).

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;

use super::AppState;
use super::error::AppError;

/// `GET /healthz`.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// `GET /readyz`: 503 with `Retry-After` while the database is unreachable.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state.db(|conn| conn.batch_execute("SELECT 1").map_err(|_| AppError::unavailable())).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}
