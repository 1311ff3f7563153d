//! Pauses: spans in which a ticket waited on the customer and its clocks stood still.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::pauses;

/// A pause row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = pauses)]
pub struct PauseRow {
    /// Id.
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// Start.
    pub started_at: NaiveDateTime,
    /// End; `None` while waiting (at most one per ticket, by a unique index).
    pub ended_at: Option<NaiveDateTime>,
    /// Who paused.
    pub started_by: Option<i64>,
    /// Who resumed.
    pub ended_by: Option<i64>,
}

/// Opens a pause.
pub fn open(
    conn: &mut DbConn,
    ticket_id: i64,
    at: NaiveDateTime,
    by: Option<i64>,
) -> QueryResult<usize> {
    diesel::insert_into(pauses::table)
        .values((
            pauses::ticket_id.eq(ticket_id),
            pauses::started_at.eq(at),
            pauses::started_by.eq(by),
        ))
        .execute(conn)
}

/// Closes the open pause of a ticket; returns how many rows changed (0 or 1).
pub fn close(
    conn: &mut DbConn,
    ticket_id: i64,
    at: NaiveDateTime,
    by: Option<i64>,
) -> QueryResult<usize> {
    diesel::update(
        pauses::table.filter(pauses::ticket_id.eq(ticket_id)).filter(pauses::ended_at.is_null()),
    )
    .set((pauses::ended_at.eq(at), pauses::ended_by.eq(by)))
    .execute(conn)
}

/// A ticket's pauses, oldest first.
pub fn for_ticket(conn: &mut DbConn, ticket_id: i64) -> QueryResult<Vec<PauseRow>> {
    pauses::table
        .filter(pauses::ticket_id.eq(ticket_id))
        .order((pauses::started_at, pauses::id))
        .select(PauseRow::as_select())
        .load(conn)
}

/// The pauses of several tickets (a page of a list) in one query, oldest first.
pub fn for_tickets(conn: &mut DbConn, ticket_ids: &[i64]) -> QueryResult<Vec<PauseRow>> {
    pauses::table
        .filter(pauses::ticket_id.eq_any(ticket_ids))
        .order((pauses::ticket_id, pauses::started_at, pauses::id))
        .select(PauseRow::as_select())
        .load(conn)
}
