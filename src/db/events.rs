//! Ticket events: the append-only audit trail (the database refuses updates and deletes).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::ticket_events;

/// An event row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = ticket_events)]
pub struct Event {
    /// Id (orders events).
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// When it happened.
    pub at: NaiveDateTime,
    /// Who did it (`None` for the system).
    pub actor_id: Option<i64>,
    /// What happened.
    pub kind: String,
    /// Customers see public events only.
    pub public: bool,
    /// Text (comments).
    pub body: Option<String>,
    /// Structured detail as JSON.
    pub data: Option<String>,
}

/// A new event.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ticket_events, treat_none_as_default_value = false)]
pub struct NewEvent<'a> {
    /// The ticket.
    pub ticket_id: i64,
    /// When.
    pub at: NaiveDateTime,
    /// Who.
    pub actor_id: Option<i64>,
    /// What.
    pub kind: &'a str,
    /// Visible to the customer.
    pub public: bool,
    /// Text.
    pub body: Option<&'a str>,
    /// JSON detail.
    pub data: Option<String>,
}

/// Appends one event.
pub fn insert(conn: &mut DbConn, new: &NewEvent<'_>) -> QueryResult<usize> {
    diesel::insert_into(ticket_events::table).values(new).execute(conn)
}

/// A page of a ticket's events in order; `public_only` for customers.
pub fn list(
    conn: &mut DbConn,
    ticket_id: i64,
    public_only: bool,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let mut query = ticket_events::table
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .filter(ticket_events::id.gt(after_id))
        .order(ticket_events::id)
        .limit(limit)
        .select(Event::as_select())
        .into_boxed();
    if public_only {
        query = query.filter(ticket_events::public.eq(true));
    }
    query.load(conn)
}

/// The newest event's id (0 when there is none): it moves whenever any ticket changes.
pub fn newest_id(conn: &mut DbConn) -> QueryResult<i64> {
    ticket_events::table
        .select(diesel::dsl::max(ticket_events::id))
        .get_result::<Option<i64>>(conn)
        .map(|id| id.unwrap_or(0))
}
