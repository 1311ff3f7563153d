//! What an edit of a policy would do if applied to the open tickets filed under it: which
//! clocks' deadlines would move, and which would become (or stop being) breached. Tickets
//! keep the policy version they were filed under, so this is a preview for the person
//! editing, not something saving does.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{self, DbConn};
use crate::sla::clock::ClockState;
use crate::sla::{ClockKind, Policy};

use super::actions::{history, pause};
use super::deadlines::{self, ClockView};
use super::{Engine, TicketError};

/// Open tickets looked at, at most.
pub const LIMIT: i64 = 5_000;

/// One clock whose deadline would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    /// The ticket.
    pub ticket_id: i64,
    /// Its number.
    pub number: String,
    /// Its organization.
    pub organization_id: i64,
    /// Which clock.
    pub clock: ClockKind,
    /// The deadline now (`None`: no target, or paused).
    pub due_before: Option<DateTime<Utc>>,
    /// The deadline under the edit.
    pub due_after: Option<DateTime<Utc>>,
    /// Breached now.
    pub breached_before: bool,
    /// Breached under the edit.
    pub breached_after: bool,
}

/// Every open ticket's clocks under its own version and under `candidate`, the changed ones.
pub fn policy_edit(
    conn: &mut DbConn,
    engine: &Engine,
    policy_id: i64,
    candidate: &Policy,
    now: DateTime<Utc>,
) -> Result<(usize, Vec<Moved>), TicketError> {
    let tickets = db::tickets::open_under_policy(conn, policy_id, LIMIT)?;
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let rows = db::pauses::for_tickets(conn, &ids)?;
    let mut moved = Vec::new();
    for ticket in &tickets {
        let pauses: Vec<_> = rows.iter().filter(|p| p.ticket_id == ticket.id).map(pause).collect();
        let current = engine.policy_version(conn, ticket.policy_version_id)?;
        let state = ticket.state();
        let history = history(ticket, &state, &pauses)?;
        let time = |e| TicketError::time("spec", e);
        let before = deadlines::clocks(engine.sla(), &current, &history, now).map_err(time)?;
        let after = deadlines::clocks(engine.sla(), candidate, &history, now).map_err(time)?;
        for clock in ClockKind::ALL {
            let find = |views: &[ClockView]| views.iter().find(|v| v.clock == clock).cloned();
            let (b, a) = (find(&before), find(&after));
            let due = |v: &Option<ClockView>| v.as_ref().and_then(|v| v.status.due_at);
            let breached = |v: &Option<ClockView>| {
                v.as_ref().is_some_and(|v| v.status.state == ClockState::Breached)
            };
            if due(&b) != due(&a) || breached(&b) != breached(&a) {
                moved.push(Moved {
                    ticket_id: ticket.id,
                    number: ticket.number.clone(),
                    organization_id: ticket.organization_id,
                    clock,
                    due_before: due(&b),
                    due_after: due(&a),
                    breached_before: breached(&b),
                    breached_after: breached(&a),
                });
            }
        }
    }
    Ok((tickets.len(), moved))
}
