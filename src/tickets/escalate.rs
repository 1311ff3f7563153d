//! Escalation of one ticket (DESIGN §6): fire every threshold its running clocks have passed
//! and that is not yet recorded, and store the next one on the ticket for the sweep.
//!
//! Exactly once: each firing inserts a row unique per (ticket, clock run, level), and its
//! event and notifications are written only when that insert took, in the same transaction.
//! The recorded instant is the computed threshold, not the time of the sweep, so a sweep
//! catching up after downtime records what happened when it happened.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::tickets::{Ticket, TicketState};
use crate::db::{self, DbConn, Scope};
use crate::sla::clock::Pause;
use crate::sla::{ClockKind, Level};

use super::actions::{history, pauses};
use super::deadlines::{self, Threshold};
use super::events::{self, EventKind};
use super::{Engine, TicketError, notices};

/// A threshold fired by [`escalate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fired {
    /// The ticket.
    pub ticket_id: i64,
    /// What fired.
    pub threshold: Threshold,
}

/// A recorded (clock run, level).
type Key = (ClockKind, Level, DateTime<Utc>);

fn key(t: &Threshold) -> Key {
    (t.clock, t.level, t.started_at)
}

/// The thresholds of a ticket in `state` with its `pauses` not yet recorded.
pub fn pending(
    conn: &mut DbConn,
    engine: &Engine,
    ticket: &Ticket,
    state: &TicketState,
    pauses: &[Pause],
    now: DateTime<Utc>,
) -> Result<Vec<Threshold>, TicketError> {
    let policy = engine.policy_version(conn, state.policy_version_id)?;
    let history = history(ticket, state, pauses)?;
    let thresholds = deadlines::thresholds(engine.sla(), &policy, &history, now)
        .map_err(|e| TicketError::time("reported_at", e))?;
    if thresholds.is_empty() {
        return Ok(thresholds);
    }
    let recorded: HashSet<Key> = db::escalations::for_ticket(conn, ticket.id)?
        .into_iter()
        .filter_map(|row| {
            let clock = parse_clock(&row.clock)?;
            let level = parse_level(&row.level)?;
            Some((clock, level, db::from_db(row.clock_started_at)))
        })
        .collect();
    Ok(thresholds.into_iter().filter(|t| !recorded.contains(&key(t))).collect())
}

/// The instant the sweep should next look at a ticket: its earliest unrecorded threshold
/// (one already passed, too, so that the next sweep fires it).
#[must_use]
pub fn next_instant(pending: &[Threshold]) -> Option<DateTime<Utc>> {
    pending.iter().map(|t| t.at).min()
}

/// Fires what ticket `ticket_id` has passed by `now`. Call inside a transaction that holds
/// the ticket (the sweep's claim locks it on PostgreSQL; SQLite writers are serialised), so
/// a resolution committed before cannot be overtaken: the ticket is read here, after it.
pub fn escalate(
    conn: &mut DbConn,
    engine: &Engine,
    ticket_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Fired>, TicketError> {
    let Some(ticket) = db::tickets::find(conn, ticket_id, Scope::All)? else {
        return Ok(Vec::new());
    };
    let state = ticket.state();
    let pauses = pauses(conn, ticket_id)?;
    let pending = pending(conn, engine, &ticket, &state, &pauses, now)?;
    let mut fired = Vec::new();
    let mut next: Option<DateTime<Utc>> = None;
    for threshold in pending {
        if threshold.at >= now {
            next = Some(next.map_or(threshold.at, |n| n.min(threshold.at)));
            continue;
        }
        let recorded = db::escalations::insert_once(
            conn,
            &db::escalations::NewEscalation {
                ticket_id,
                clock: threshold.clock.as_str(),
                level: threshold.level.as_str(),
                clock_started_at: db::to_db(threshold.started_at),
                due_at: db::to_db(threshold.at),
                fired_at: db::to_db(now),
            },
        )?;
        if !recorded {
            continue;
        }
        events::record(
            conn,
            ticket_id,
            threshold.at,
            None,
            EventKind::Escalation,
            None,
            Some(serde_json::json!({
                "clock": threshold.clock,
                "level": threshold.level,
                "percent": threshold.percent,
                "clock_started_at": threshold.started_at,
                "recorded_at": now,
            })),
        )?;
        notices::escalated(conn, engine, &ticket, &threshold, now)?;
        fired.push(Fired { ticket_id, threshold });
    }
    db::escalations::set_next(conn, ticket_id, next.map(db::to_db))?;
    Ok(fired)
}

fn parse_clock(text: &str) -> Option<ClockKind> {
    ClockKind::ALL.into_iter().find(|c| c.as_str() == text)
}

fn parse_level(text: &str) -> Option<Level> {
    Level::ALL.into_iter().find(|l| l.as_str() == text)
}
