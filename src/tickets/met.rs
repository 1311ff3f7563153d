//! Met clock runs, recorded for the monthly report when a clock is met (and again when a
//! severity or contract change moves a met clock's deadline): the business time the run used
//! and was paused, so a report reads them instead of walking the engine per row.

use chrono::{DateTime, Utc};

use crate::db::report_month::MetClock;
use crate::db::tickets::{Ticket, TicketState};
use crate::db::{self, DbConn};
use crate::sla::clock::Pause;
use crate::sla::report::decide;

use super::actions::history;
use super::{Engine, TicketError, deadlines};

/// Writes a row for every met clock of the ticket in `state`.
pub fn record(
    conn: &mut DbConn,
    engine: &Engine,
    ticket: &Ticket,
    state: &TicketState,
    pauses: &[Pause],
    now: DateTime<Utc>,
) -> Result<(), TicketError> {
    if state.response_met_at.is_none()
        && state.fix_start_met_at.is_none()
        && state.resolved_at.is_none()
    {
        return Ok(());
    }
    let policy = engine.policy_version(conn, state.policy_version_id)?;
    let history = history(ticket, state, pauses)?;
    let views = deadlines::clocks(engine.sla(), &policy, &history, now)
        .map_err(|e| TicketError::time("reported_at", e))?;
    for view in views {
        let (Some(met), Some(due)) = (view.met_at, view.status.due_at) else { continue };
        let Some((_, decided)) = decide(Some(due), Some(met)) else { continue };
        db::report_month::upsert_met(
            conn,
            &MetClock {
                ticket_id: ticket.id,
                clock: view.clock.as_str().to_owned(),
                started_at: db::to_db(view.started_at),
                due_at: db::to_db(due),
                met_at: db::to_db(met),
                decided_at: db::to_db(decided),
                used_secs: view.status.used_secs.max(0),
                paused_secs: view.status.paused_secs.max(0),
            },
        )?;
    }
    Ok(())
}
