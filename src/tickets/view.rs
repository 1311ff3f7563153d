//! Reading tickets: what the API shows of a ticket (its stored deadlines and each clock's
//! state now), its events, and the step-by-step explanation of a deadline.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::Actor;
use crate::db::tickets::{Filter, Sort, Ticket};
use crate::db::{self, DbConn};
use crate::sla::clock::{ClockInput, Pause};
use crate::sla::explain::{self, Explanation};
use crate::sla::{ClockKind, Money};

use super::actions::{compute_views, history, pause, pauses};
use super::deadlines::ClockView;
use super::filing::Filed;
use super::{Engine, TicketError};

/// A ticket as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    /// Id.
    pub id: i64,
    /// Human number.
    pub number: String,
    /// Customer organization.
    pub organization_id: i64,
    /// Reporter.
    pub reporter_id: i64,
    /// Assignee.
    pub assignee_id: Option<i64>,
    /// Contract (`null`: basic policy).
    pub contract_id: Option<i64>,
    /// Policy version.
    pub policy_version_id: i64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Severity.
    pub severity: String,
    /// Category.
    pub category: String,
    /// Channel.
    pub channel: String,
    /// Status.
    pub status: String,
    /// Clock start.
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: DateTime<Utc>,
    /// Row written.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
    /// Filed outside cover.
    pub out_of_hours: bool,
    /// The on-call technician was requested with the fee accepted.
    pub oncall_now: bool,
    /// Start-up fee, if accepted.
    #[schema(value_type = Option<Object>)]
    pub fee: Option<Money>,
    /// Who accepted the fee.
    pub fee_accepted_by: Option<i64>,
    /// When.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub fee_accepted_at: Option<DateTime<Utc>>,
    /// Stored response deadline.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub response_due_at: Option<DateTime<Utc>>,
    /// Response met.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub response_met_at: Option<DateTime<Utc>>,
    /// Stored fix-start deadline.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub fix_start_due_at: Option<DateTime<Utc>>,
    /// Fix started.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub fix_start_met_at: Option<DateTime<Utc>>,
    /// Stored resolve deadline.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolve_due_at: Option<DateTime<Utc>>,
    /// Resolved.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Last reopening.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reopened_at: Option<DateTime<Utc>>,
    /// Nearest running deadline.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_due_at: Option<DateTime<Utc>>,
    /// Each clock with its state now (ok, warning, breached, met, paused).
    #[schema(value_type = Vec<Object>)]
    pub clocks: Vec<ClockView>,
}

/// An event as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    /// Id.
    pub id: i64,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// Who (`null`: the system).
    pub actor_id: Option<i64>,
    /// What.
    pub kind: String,
    /// Visible to the customer.
    pub public: bool,
    /// Text.
    pub body: Option<String>,
    /// Detail.
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// One ticket within `actor`'s reach.
pub fn show(
    conn: &mut DbConn,
    engine: &Engine,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<TicketView, TicketError> {
    let ticket =
        db::tickets::find(conn, id, actor.scope())?.ok_or(TicketError::NotFound("ticket"))?;
    let pauses = pauses(conn, ticket.id)?;
    of(conn, engine, ticket, &pauses, now)
}

/// A page of tickets within `actor`'s reach.
pub fn list(
    conn: &mut DbConn,
    engine: &Engine,
    actor: &Actor,
    filter: &Filter,
    sort: Sort,
    (offset, limit): (i64, i64),
    now: DateTime<Utc>,
) -> Result<Vec<TicketView>, TicketError> {
    let tickets = db::tickets::list(conn, actor.scope(), filter, sort, offset, limit)?;
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let mut pauses: HashMap<i64, Vec<Pause>> = HashMap::new();
    for row in db::pauses::for_tickets(conn, &ids)? {
        pauses.entry(row.ticket_id).or_default().push(pause(&row));
    }
    tickets
        .into_iter()
        .map(|ticket| {
            let pauses = pauses.remove(&ticket.id).unwrap_or_default();
            of(conn, engine, ticket, &pauses, now)
        })
        .collect()
}

/// A page of a ticket's events; customers see public events only.
pub fn events(
    conn: &mut DbConn,
    actor: &Actor,
    ticket_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<EventView>, TicketError> {
    let ticket = db::tickets::find(conn, ticket_id, actor.scope())?
        .ok_or(TicketError::NotFound("ticket"))?;
    Ok(db::events::list(conn, ticket.id, !actor.is_staff(), after_id, limit)?
        .into_iter()
        .map(|e| EventView {
            id: e.id,
            at: db::from_db(e.at),
            actor_id: e.actor_id,
            kind: e.kind,
            public: e.public,
            body: e.body,
            data: e.data.and_then(|d| serde_json::from_str(&d).ok()),
        })
        .collect())
}

/// How one clock's deadline came out, step by step.
pub fn explain_clock(
    conn: &mut DbConn,
    engine: &Engine,
    actor: &Actor,
    ticket_id: i64,
    clock: ClockKind,
    now: DateTime<Utc>,
) -> Result<Explanation, TicketError> {
    let ticket = db::tickets::find(conn, ticket_id, actor.scope())?
        .ok_or(TicketError::NotFound("ticket"))?;
    let policy = engine.policy_version(conn, ticket.policy_version_id)?;
    let pauses = pauses(conn, ticket.id)?;
    let state = ticket.state();
    let history = history(&ticket, &state, &pauses)?;
    let views = super::deadlines::clocks(engine.sla(), &policy, &history, now)
        .map_err(|e| TicketError::time("reported_at", e))?;
    let view = views.into_iter().find(|v| v.clock == clock).ok_or_else(|| {
        TicketError::invalid("clock", format!("this ticket has no {clock} target"))
    })?;
    let target =
        super::deadlines::target(engine.sla(), &policy, &history, clock).ok_or_else(|| {
            TicketError::invalid("clock", format!("this ticket has no {clock} target"))
        })?;
    let input = ClockInput {
        reported_at: view.started_at,
        target,
        pauses: &pauses,
        met_at: view.met_at,
        now,
        warning_percent: policy.spec.thresholds.warning_percent,
    };
    explain::explain_clock(&policy.calendar, &input).map_err(|e| TicketError::time("clock", e))
}

/// The view of a ticket just filed (no pauses yet; its policy at hand).
pub fn of_filed(
    engine: &Engine,
    filed: Filed,
    now: DateTime<Utc>,
) -> Result<TicketView, TicketError> {
    let history = history(&filed.ticket, &filed.ticket.state(), &[])?;
    let clocks = super::deadlines::clocks(engine.sla(), &filed.policy, &history, now)
        .map_err(|e| TicketError::time("reported_at", e))?;
    Ok(with_clocks(filed.ticket, clocks))
}

/// The view of a stored ticket with its `pauses`.
pub fn of(
    conn: &mut DbConn,
    engine: &Engine,
    t: Ticket,
    pauses: &[Pause],
    now: DateTime<Utc>,
) -> Result<TicketView, TicketError> {
    let clocks = compute_views(conn, engine, &t, pauses, now)?;
    Ok(with_clocks(t, clocks))
}

fn with_clocks(t: Ticket, clocks: Vec<super::deadlines::ClockView>) -> TicketView {
    let fee = match (t.fee_minor, t.fee_currency.clone()) {
        (Some(minor), Some(currency)) => Some(Money { minor, currency }),
        _ => None,
    };
    let at = |v: Option<chrono::NaiveDateTime>| v.map(db::from_db);
    TicketView {
        id: t.id,
        number: t.number,
        organization_id: t.organization_id,
        reporter_id: t.reporter_id,
        assignee_id: t.assignee_id,
        contract_id: t.contract_id,
        policy_version_id: t.policy_version_id,
        title: t.title,
        description: t.description,
        severity: t.severity,
        category: t.category,
        channel: t.channel,
        status: t.status,
        reported_at: db::from_db(t.reported_at),
        created_at: db::from_db(t.created_at),
        updated_at: db::from_db(t.updated_at),
        out_of_hours: t.out_of_hours,
        oncall_now: t.oncall_now,
        fee,
        fee_accepted_by: t.fee_accepted_by,
        fee_accepted_at: at(t.fee_accepted_at),
        response_due_at: at(t.response_due_at),
        response_met_at: at(t.response_met_at),
        fix_start_due_at: at(t.fix_start_due_at),
        fix_start_met_at: at(t.fix_start_met_at),
        resolve_due_at: at(t.resolve_due_at),
        resolved_at: at(t.resolved_at),
        closed_at: at(t.closed_at),
        reopened_at: at(t.reopened_at),
        next_due_at: at(t.next_due_at),
        clocks,
    }
}
