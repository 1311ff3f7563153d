//! HTTP: the one route table ([`routes`]), thin handlers (`api/`), sign-in ([`auth`]), the
//! error mapping ([`error`]) and the server itself. Handlers extract, authorise, call a use
//! case on the blocking pool, and answer.

pub mod api;
pub mod auth;
pub mod error;
pub mod health;
pub mod json;
pub mod openapi;
pub mod pages;
pub mod routes;
pub mod throttle;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::{App, HttpServer, middleware, web};

use crate::clock::Clock;
use crate::db::{DbConn, Pool};
use crate::tickets::Engine;
use crate::tickets::filing::Reference;
use crate::tickets::filing::queue::FilingQueue;

use self::error::AppError;

pub use crate::config::SecureCookies;

/// Settings the handlers read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Session lifetime in hours.
    pub session_hours: i64,
    /// Cookie `Secure` policy.
    pub secure_cookies: SecureCookies,
}

/// Everything a handler may use; no globals.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Database connections.
    pub pool: Pool,
    /// Policies and provider.
    pub engine: Arc<Engine>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Reference rows (tokens, organizations, contracts…) kept under the reference epoch.
    pub reference: Arc<Reference>,
    /// Group commit of new tickets.
    pub filings: Arc<FilingQueue>,
    /// Page templates.
    pub pages: Arc<pages::Pages>,
    /// The newest ticket change, for live pages.
    pub changes: Arc<pages::live::Changes>,
    /// Failed sign-ins, for throttling.
    pub login_throttle: Arc<throttle::LoginThrottle>,
    /// Content-Security-Policy violations reported by browsers.
    pub csp_reports: Arc<pages::security::CspReports>,
    /// Settings.
    pub settings: Settings,
}

impl AppState {
    /// Runs `f` with a pooled connection on the blocking pool. A pool that cannot hand out a
    /// connection within its timeout means the database is away: 503.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(|_| AppError::unavailable())?;
            let result = f(&mut conn);
            if result.as_ref().is_err_and(|e| e.status == StatusCode::SERVICE_UNAVAILABLE) {
                conn.mark_broken();
            }
            result
        })
        .await
        .map_err(AppError::internal)?
    }
}

/// Starts the server on `listener` with `workers` threads (0: one per core).
pub fn serve(listener: TcpListener, state: AppState, workers: usize) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(json::MAX_BODY))
            .wrap(
                middleware::DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "same-origin"))
                    .add(("Content-Security-Policy", pages::security::CSP))
                    .add(("X-Frame-Options", "DENY")),
            )
            .wrap(middleware::Logger::new("%r %s %Dms").log_target("frist::http"))
            .configure(routes::configure)
            .configure(pages::configure)
            .default_service(web::to(not_found))
    })
    .shutdown_timeout(10);
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.listen(listener)?.run())
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::not_found("route"))
}
