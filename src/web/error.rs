//! The one error type of the HTTP layer and its one mapping to statuses.
//!
//! | source | status |
//! |---|---|
//! | bad JSON, bad field, unknown field | 400 / 422 with `field` |
//! | no or bad credentials | 401 |
//! | role may not | 403 |
//! | not found, or another organization's | 404 |
//! | state conflict | 409 |
//! | body too large | 413 |
//! | database unreachable, pool exhausted | 503 with `Retry-After` |
//! | anything else | 500 (logged, not shown) |
//!
//! The body is always `{"error": {"status": …, "field": …?, "message": …}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::{self, DbError};
use crate::sla::FieldError;
use crate::tickets::TicketError;

/// Seconds a client should wait before retrying when the database is away.
pub const RETRY_AFTER_SECS: u32 = 5;

/// An error answered to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// The offending field, when one is to blame.
    pub field: Option<String>,
    /// What went wrong, for a person.
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    message: &'a str,
}

impl AppError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, field: None, message: message.into() }
    }

    /// A bad field (422).
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// Not signed in (401).
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "sign in or send an API token")
    }

    /// Role may not (403).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// Not found (404).
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// The database is out of reach (503).
    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "the database is unavailable; retry shortly")
    }

    /// Something unexpected (500); the detail goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {field}: {}", self.status.as_u16(), self.message),
            None => write!(f, "{}: {}", self.status.as_u16(), self.message),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", RETRY_AFTER_SECS.to_string()));
        }
        response.json(Body {
            error: Inner {
                status: self.status.as_u16(),
                field: self.field.as_deref(),
                message: &self.message,
            },
        })
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        let field = if error.field.is_empty() { None } else { Some(error.field.clone()) };
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, field, message: error.message }
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Pool(_) | DbError::Connect(_) | DbError::Unavailable(_) => Self::unavailable(),
            DbError::Query(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &error {
            Error::NotFound => Self::not_found("record"),
            _ if db::is_unavailable(&error) => Self::unavailable(),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => Self {
                status: StatusCode::CONFLICT,
                field: info.column_name().map(str::to_owned),
                message: "already exists".into(),
            },
            _ => Self::internal(error),
        }
    }
}

impl From<r2d2_error::PoolError> for AppError {
    fn from(_: r2d2_error::PoolError) -> Self {
        Self::unavailable()
    }
}

mod r2d2_error {
    pub use diesel::r2d2::PoolError;
}

impl From<TicketError> for AppError {
    fn from(error: TicketError) -> Self {
        match error {
            TicketError::Unauthenticated => Self::unauthorized(),
            TicketError::NotFound(what) => Self::not_found(what),
            TicketError::Forbidden(message) => Self::forbidden(message),
            TicketError::Invalid(e) => e.into(),
            TicketError::Conflict(message) => Self::new(StatusCode::CONFLICT, message),
            TicketError::Db(e) => e.into(),
            TicketError::Notification(message) => Self::internal(message),
        }
    }
}
