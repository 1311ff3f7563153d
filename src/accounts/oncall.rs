//! The on-call roster: shifts of active staff members, and who is on call at an instant.

use chrono::{DateTime, Duration, Utc};

use crate::auth::Role;
use crate::db::{self, DbConn};
use crate::tickets::{TicketError, transaction};

/// Longest shift accepted (a typo of a year is refused).
pub const MAX_SHIFT_DAYS: i64 = 31;
/// Longest note.
pub const MAX_NOTE: usize = 500;

/// A shift as asked for.
#[derive(Debug, Clone)]
pub struct ShiftRequest<'a> {
    /// The staff member.
    pub user_id: i64,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End (after the start).
    pub ends_at: DateTime<Utc>,
    /// Note.
    pub note: &'a str,
}

fn check(conn: &mut DbConn, shift: &ShiftRequest<'_>) -> Result<(), TicketError> {
    if shift.ends_at <= shift.starts_at {
        return Err(TicketError::invalid("ends_at", "must be after starts_at"));
    }
    if shift.ends_at - shift.starts_at > Duration::days(MAX_SHIFT_DAYS) {
        return Err(TicketError::invalid(
            "ends_at",
            format!("a shift lasts at most {MAX_SHIFT_DAYS} days"),
        ));
    }
    if shift.note.chars().count() > MAX_NOTE {
        return Err(TicketError::invalid("note", format!("must be at most {MAX_NOTE} characters")));
    }
    let user = db::users::find(conn, shift.user_id, None)?
        .ok_or_else(|| TicketError::invalid("user_id", format!("no user {}", shift.user_id)))?;
    let role: Role = user.role.parse().map_err(|e: String| TicketError::invalid("user_id", e))?;
    if !role.is_staff() || !user.active {
        return Err(TicketError::invalid(
            "user_id",
            format!("user {} is not active staff", shift.user_id),
        ));
    }
    Ok(())
}

fn form<'a>(shift: &ShiftRequest<'a>) -> db::oncall::ShiftForm<'a> {
    db::oncall::ShiftForm {
        user_id: shift.user_id,
        starts_at: db::to_db(shift.starts_at),
        ends_at: db::to_db(shift.ends_at),
        note: shift.note.trim(),
    }
}

/// Adds a shift; returns its id.
pub fn add_shift(
    conn: &mut DbConn,
    shift: &ShiftRequest<'_>,
    now: DateTime<Utc>,
) -> Result<i64, TicketError> {
    transaction(conn, |conn| {
        check(conn, shift)?;
        Ok(db::oncall::insert(conn, &form(shift), db::to_db(now))?)
    })
}

/// Replaces a shift.
pub fn update_shift(
    conn: &mut DbConn,
    id: i64,
    shift: &ShiftRequest<'_>,
) -> Result<(), TicketError> {
    transaction(conn, |conn| {
        check(conn, shift)?;
        match db::oncall::update(conn, id, &form(shift))? {
            0 => Err(TicketError::NotFound("shift")),
            _ => Ok(()),
        }
    })
}

/// Removes a shift.
pub fn delete_shift(conn: &mut DbConn, id: i64) -> Result<(), TicketError> {
    transaction(conn, |conn| match db::oncall::delete(conn, id)? {
        0 => Err(TicketError::NotFound("shift")),
        _ => Ok(()),
    })
}
