//! The ticket lifecycle: one function per use case, one transaction each. Every change
//! writes its event; every decision about time comes from [`crate::sla`].
//!
//! Errors: [`TicketError`] says what went wrong in the caller's terms (not found, not
//! allowed, bad field, conflict); `web/` maps it to a status once.

pub mod actions;
pub mod create;
pub mod deadlines;
pub mod engine;
pub mod escalate;
pub mod events;
pub mod filing;
pub mod kinds;
pub mod met;
pub mod notices;
pub mod view;
pub mod whatif;

use crate::db::{self, DbConn};
use crate::sla::{FieldError, TimeError};

pub use engine::Engine;

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    /// Nothing with that id within the caller's reach (another organization's rows are
    /// indistinguishable from missing ones).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The credentials no longer admit anyone (a token revoked or expired, a user
    /// deactivated, since the request was let in).
    #[error("not signed in")]
    Unauthenticated,
    /// The caller's role may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A field is invalid; names it.
    #[error("{0}")]
    Invalid(FieldError),
    /// The ticket is in a state where this makes no sense.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed or is unreachable.
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// A notification could not be rendered (a broken e-mail template).
    #[error("notification: {0}")]
    Notification(String),
}

impl From<diesel::result::Error> for TicketError {
    fn from(error: diesel::result::Error) -> Self {
        TicketError::Db(db::DbError::Query(error))
    }
}

impl From<FieldError> for TicketError {
    fn from(error: FieldError) -> Self {
        TicketError::Invalid(error)
    }
}

impl TicketError {
    /// A bad field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        TicketError::Invalid(FieldError::new(field, message))
    }

    /// An engine refusal on a field (a deadline beyond the calendar's range, a calendar
    /// without open time).
    pub fn time(field: &str, error: TimeError) -> Self {
        TicketError::Invalid(FieldError::new(field, error.to_string()))
    }
}

/// Runs `f` in one transaction ([`db::transaction`]); anything it returns as an error rolls
/// everything back.
pub fn transaction<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, TicketError>,
) -> Result<T, TicketError> {
    db::transaction(conn, f)
}
