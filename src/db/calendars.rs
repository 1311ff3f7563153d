//! Named calendars (a library policies and offices draw on); `spec` is the §3 JSON.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::calendars;

/// A calendar row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = calendars)]
pub struct CalendarRow {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// `CalendarSpec` JSON.
    pub spec: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

/// Inserts and returns the new id.
pub fn insert(conn: &mut DbConn, name: &str, spec: &str, now: NaiveDateTime) -> QueryResult<i64> {
    crate::on_backend!(conn, c => diesel::insert_into(calendars::table)
        .values((
            calendars::name.eq(name),
            calendars::spec.eq(spec),
            calendars::created_at.eq(now),
            calendars::updated_at.eq(now),
        ))
        .returning(calendars::id)
        .get_result(c))
}

/// Replaces the spec; returns rows changed.
pub fn update(conn: &mut DbConn, id: i64, spec: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(calendars::table.find(id))
        .set((calendars::spec.eq(spec), calendars::updated_at.eq(now)))
        .execute(conn)
}

/// One by id.
pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<CalendarRow>> {
    calendars::table.find(id).select(CalendarRow::as_select()).first(conn).optional()
}

/// One by name.
pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<CalendarRow>> {
    calendars::table
        .filter(calendars::name.eq(name))
        .select(CalendarRow::as_select())
        .first(conn)
        .optional()
}

/// A page by id.
pub fn list(conn: &mut DbConn, after_id: i64, limit: i64) -> QueryResult<Vec<CalendarRow>> {
    calendars::table
        .filter(calendars::id.gt(after_id))
        .order(calendars::id)
        .limit(limit)
        .select(CalendarRow::as_select())
        .load(conn)
}
