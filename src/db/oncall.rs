//! The on-call roster: shifts of staff members; "on call now" is the latest-starting shift
//! that covers the instant.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{oncall_shifts, users};
use super::users::User;

/// A shift row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = oncall_shifts)]
pub struct Shift {
    /// Id.
    pub id: i64,
    /// The staff member on call.
    pub user_id: i64,
    /// Start (inclusive).
    pub starts_at: NaiveDateTime,
    /// End (exclusive).
    pub ends_at: NaiveDateTime,
    /// Free text, e.g. "weekend cover".
    pub note: String,
    /// Creation instant.
    pub created_at: NaiveDateTime,
}

/// A new or replaced shift.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = oncall_shifts)]
pub struct ShiftForm<'a> {
    /// Staff member.
    pub user_id: i64,
    /// Start.
    pub starts_at: NaiveDateTime,
    /// End.
    pub ends_at: NaiveDateTime,
    /// Note.
    pub note: &'a str,
}

/// Inserts and returns the new id.
pub fn insert(conn: &mut DbConn, form: &ShiftForm<'_>, at: NaiveDateTime) -> QueryResult<i64> {
    crate::on_backend!(conn, c => diesel::insert_into(oncall_shifts::table)
        .values((form, oncall_shifts::created_at.eq(at)))
        .returning(oncall_shifts::id)
        .get_result(c))
}

/// Replaces a shift; returns the rows changed (0: no such shift).
pub fn update(conn: &mut DbConn, id: i64, form: &ShiftForm<'_>) -> QueryResult<usize> {
    diesel::update(oncall_shifts::table.find(id)).set(form).execute(conn)
}

/// Deletes a shift; returns the rows deleted.
pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(oncall_shifts::table.find(id)).execute(conn)
}

/// One shift.
pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Shift>> {
    oncall_shifts::table.find(id).select(Shift::as_select()).first(conn).optional()
}

/// Shifts that end after `from`, by start, a page at a time.
pub fn list(
    conn: &mut DbConn,
    from: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Shift>> {
    oncall_shifts::table
        .filter(oncall_shifts::ends_at.gt(from))
        .order((oncall_shifts::starts_at, oncall_shifts::id))
        .offset(offset)
        .limit(limit)
        .select(Shift::as_select())
        .load(conn)
}

/// Who is on call at `at`, with their shift: the active staff member whose covering shift
/// started last.
pub fn on_call_at(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<Option<(Shift, User)>> {
    oncall_shifts::table
        .inner_join(users::table)
        .filter(oncall_shifts::starts_at.le(at))
        .filter(oncall_shifts::ends_at.gt(at))
        .filter(users::active.eq(true))
        .order((oncall_shifts::starts_at.desc(), oncall_shifts::id.desc()))
        .select((Shift::as_select(), User::as_select()))
        .first(conn)
        .optional()
}
