//! Escalations: one row per (ticket, clock run, level). The unique key makes a second firing
//! impossible, whatever the sweeps racing for it do.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{escalations, tickets};

/// An escalation row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = escalations)]
pub struct Escalation {
    /// Id.
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// `response`, `fix_start` or `resolve`.
    pub clock: String,
    /// `warning`, `breach` or `manager`.
    pub level: String,
    /// Start of the clock run it belongs to.
    pub clock_started_at: NaiveDateTime,
    /// The computed threshold instant: when it happened.
    pub due_at: NaiveDateTime,
    /// When a sweep recorded it.
    pub fired_at: NaiveDateTime,
}

/// A new escalation.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = escalations, treat_none_as_default_value = false)]
pub struct NewEscalation<'a> {
    /// The ticket.
    pub ticket_id: i64,
    /// Clock.
    pub clock: &'a str,
    /// Level.
    pub level: &'a str,
    /// Clock run.
    pub clock_started_at: NaiveDateTime,
    /// Threshold instant.
    pub due_at: NaiveDateTime,
    /// Sweep instant.
    pub fired_at: NaiveDateTime,
}

/// Records an escalation unless it exists; `true` when this call recorded it.
pub fn insert_once(conn: &mut DbConn, new: &NewEscalation<'_>) -> QueryResult<bool> {
    let inserted = crate::on_backend!(conn, c => diesel::insert_into(escalations::table)
        .values(new)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// A ticket's escalations, oldest first.
pub fn for_ticket(conn: &mut DbConn, ticket_id: i64) -> QueryResult<Vec<Escalation>> {
    escalations::table
        .filter(escalations::ticket_id.eq(ticket_id))
        .order((escalations::due_at, escalations::id))
        .select(Escalation::as_select())
        .load(conn)
}

/// Ids of tickets whose next escalation instant is before `now`, earliest first, at most
/// `limit`; on PostgreSQL the rows are locked and rows another sweep holds are skipped, so
/// concurrent sweeps share the work instead of queueing on it. Read through the partial
/// index on `next_escalation_at`: the cost follows the number of due tickets.
pub fn claim_due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
    let due = tickets::table
        .filter(tickets::next_escalation_at.is_not_null())
        .filter(tickets::next_escalation_at.lt(now))
        .order(tickets::next_escalation_at)
        .limit(limit)
        .select(tickets::id);
    match conn {
        DbConn::Postgres(c) => due.for_update().skip_locked().load(c),
        DbConn::Sqlite(c) => due.load(c),
    }
}

/// Sets a ticket's next escalation instant.
pub fn set_next(
    conn: &mut DbConn,
    ticket_id: i64,
    next: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(tickets::table.find(ticket_id))
        .set(tickets::next_escalation_at.eq(next))
        .execute(conn)
}
