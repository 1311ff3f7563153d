//! The reference epoch (migration `create_reference_epoch`): a counter the database moves on
//! with every change to the rows a filing reads besides its request, so those rows can be
//! kept in memory and checked for freshness in the statement that writes the ticket.

use diesel::prelude::*;

use super::DbConn;
use super::schema::reference_epoch;

/// The current epoch. Read it *before* the rows to be cached: a change committed after
/// this read moves the epoch on, so the rows are never trusted past it.
pub fn epoch(conn: &mut DbConn) -> QueryResult<i64> {
    // One row: no LIMIT, whose bound value would make SQLite prepare it anew each time.
    reference_epoch::table.select(reference_epoch::epoch).get_result(conn)
}
