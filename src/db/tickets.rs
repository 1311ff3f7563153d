//! Tickets with their stored deadlines. Every read takes a [`Scope`], so a customer's
//! queries cannot reach another organization's rows whatever the handler does.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::tickets;
use super::{DbConn, Scope};

/// A ticket row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub struct Ticket {
    /// Id.
    pub id: i64,
    /// Human number, e.g. `T-2026-000123`.
    pub number: String,
    /// Customer organization.
    pub organization_id: i64,
    /// Who reported it.
    pub reporter_id: i64,
    /// Technician working on it.
    pub assignee_id: Option<i64>,
    /// Contract in force when filed (`None`: basic policy).
    pub contract_id: Option<i64>,
    /// Policy version its deadlines come from.
    pub policy_version_id: i64,
    /// Short title.
    pub title: String,
    /// Description.
    pub description: String,
    /// `critical`, `serious`, `normal`.
    pub severity: String,
    /// `outage`, `customer_outage`, `functional_fault`, `question`, `other`.
    pub category: String,
    /// `portal`, `email`, `phone`, `api`.
    pub channel: String,
    /// `open`, `waiting_on_customer`, `resolved`, `closed`.
    pub status: String,
    /// When the clocks start.
    pub reported_at: NaiveDateTime,
    /// When the row was written.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
    /// Filed outside cover.
    pub out_of_hours: bool,
    /// The filer chose the on-call technician now (fee accepted).
    pub oncall_now: bool,
    /// Start-up fee in minor units.
    pub fee_minor: Option<i64>,
    /// Fee currency.
    pub fee_currency: Option<String>,
    /// Who accepted the fee.
    pub fee_accepted_by: Option<i64>,
    /// When the fee was accepted.
    pub fee_accepted_at: Option<NaiveDateTime>,
    /// Response deadline (`None`: no target, or paused).
    pub response_due_at: Option<NaiveDateTime>,
    /// First public technician reply.
    pub response_met_at: Option<NaiveDateTime>,
    /// Fix-start deadline.
    pub fix_start_due_at: Option<NaiveDateTime>,
    /// When the fix started.
    pub fix_start_met_at: Option<NaiveDateTime>,
    /// Resolve deadline, where the policy has one.
    pub resolve_due_at: Option<NaiveDateTime>,
    /// When resolved.
    pub resolved_at: Option<NaiveDateTime>,
    /// When closed.
    pub closed_at: Option<NaiveDateTime>,
    /// Last reopening: the fix-start clock runs again from here.
    pub reopened_at: Option<NaiveDateTime>,
    /// Nearest deadline of a running clock (for sorting).
    pub next_due_at: Option<NaiveDateTime>,
    /// Next escalation threshold not yet fired (the sweep reads only tickets past theirs).
    pub next_escalation_at: Option<NaiveDateTime>,
}

/// The mutable part of a ticket, written back whole by the use cases.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = tickets, treat_none_as_null = true)]
pub struct TicketState {
    /// Assignee.
    pub assignee_id: Option<i64>,
    /// Contract.
    pub contract_id: Option<i64>,
    /// Policy version.
    pub policy_version_id: i64,
    /// Severity.
    pub severity: String,
    /// Status.
    pub status: String,
    /// Last change.
    pub updated_at: NaiveDateTime,
    /// Response deadline.
    pub response_due_at: Option<NaiveDateTime>,
    /// Response met.
    pub response_met_at: Option<NaiveDateTime>,
    /// Fix-start deadline.
    pub fix_start_due_at: Option<NaiveDateTime>,
    /// Fix started.
    pub fix_start_met_at: Option<NaiveDateTime>,
    /// Resolve deadline.
    pub resolve_due_at: Option<NaiveDateTime>,
    /// Resolved.
    pub resolved_at: Option<NaiveDateTime>,
    /// Closed.
    pub closed_at: Option<NaiveDateTime>,
    /// Last reopening.
    pub reopened_at: Option<NaiveDateTime>,
    /// Nearest running deadline.
    pub next_due_at: Option<NaiveDateTime>,
    /// Next escalation threshold not yet fired.
    pub next_escalation_at: Option<NaiveDateTime>,
}

impl Ticket {
    /// The mutable part, for a use case to change and write back.
    #[must_use]
    pub fn state(&self) -> TicketState {
        TicketState {
            assignee_id: self.assignee_id,
            contract_id: self.contract_id,
            policy_version_id: self.policy_version_id,
            severity: self.severity.clone(),
            status: self.status.clone(),
            updated_at: self.updated_at,
            response_due_at: self.response_due_at,
            response_met_at: self.response_met_at,
            fix_start_due_at: self.fix_start_due_at,
            fix_start_met_at: self.fix_start_met_at,
            resolve_due_at: self.resolve_due_at,
            resolved_at: self.resolved_at,
            closed_at: self.closed_at,
            reopened_at: self.reopened_at,
            next_due_at: self.next_due_at,
            next_escalation_at: self.next_escalation_at,
        }
    }
}

impl Ticket {
    /// The ticket with `state` written over its mutable part.
    #[must_use]
    pub fn with_state(&self, state: &TicketState) -> Ticket {
        let state = state.clone();
        Ticket {
            assignee_id: state.assignee_id,
            contract_id: state.contract_id,
            policy_version_id: state.policy_version_id,
            severity: state.severity,
            status: state.status,
            updated_at: state.updated_at,
            response_due_at: state.response_due_at,
            response_met_at: state.response_met_at,
            fix_start_due_at: state.fix_start_due_at,
            fix_start_met_at: state.fix_start_met_at,
            resolve_due_at: state.resolve_due_at,
            resolved_at: state.resolved_at,
            closed_at: state.closed_at,
            reopened_at: state.reopened_at,
            next_due_at: state.next_due_at,
            next_escalation_at: state.next_escalation_at,
            ..self.clone()
        }
    }
}

/// Writes the mutable state back.
pub fn update_state(conn: &mut DbConn, id: i64, state: &TicketState) -> QueryResult<usize> {
    diesel::update(tickets::table.find(id)).set(state).execute(conn)
}

/// One ticket by id within `scope`.
pub fn find(conn: &mut DbConn, id: i64, scope: Scope) -> QueryResult<Option<Ticket>> {
    let mut query =
        tickets::table.filter(tickets::id.eq(id)).select(Ticket::as_select()).into_boxed();
    if let Scope::Organization(org) = scope {
        query = query.filter(tickets::organization_id.eq(org));
    }
    query.first(conn).optional()
}

/// One ticket by id within `scope`, locked for update on PostgreSQL (SQLite serialises
/// writers anyway), so two use cases on one ticket cannot interleave.
pub fn find_for_update(conn: &mut DbConn, id: i64, scope: Scope) -> QueryResult<Option<Ticket>> {
    match conn {
        DbConn::Postgres(c) => {
            let query = tickets::table.filter(tickets::id.eq(id)).select(Ticket::as_select());
            match scope {
                Scope::All => query.for_update().first(c).optional(),
                Scope::Organization(org) => {
                    query.filter(tickets::organization_id.eq(org)).for_update().first(c).optional()
                }
            }
        }
        DbConn::Sqlite(_) => find(conn, id, scope),
    }
}

/// How to order a ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Nearest running deadline first; tickets without one last.
    NextDue,
    /// Newest first.
    Newest,
}

/// Filters for a ticket list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these statuses.
    pub statuses: Vec<String>,
    /// Only this severity.
    pub severity: Option<String>,
    /// Only this organization (staff filter; a customer's scope applies regardless).
    pub organization_id: Option<i64>,
    /// Only this assignee; `Some(None)` means unassigned.
    pub assignee_id: Option<Option<i64>>,
}

/// A page of tickets within `scope`. `offset` pages simply and stays correct under sorts on
/// nullable columns; lists are bounded by `limit`.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    filter: &Filter,
    sort: Sort,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Ticket>> {
    let mut query = tickets::table.select(Ticket::as_select()).into_boxed();
    if let Scope::Organization(org) = scope {
        query = query.filter(tickets::organization_id.eq(org));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(tickets::organization_id.eq(org));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(tickets::status.eq_any(filter.statuses.clone()));
    }
    if let Some(severity) = &filter.severity {
        query = query.filter(tickets::severity.eq(severity.clone()));
    }
    match filter.assignee_id {
        Some(Some(user)) => query = query.filter(tickets::assignee_id.eq(user)),
        Some(None) => query = query.filter(tickets::assignee_id.is_null()),
        None => {}
    }
    query = match sort {
        Sort::NextDue => query.order((
            tickets::next_due_at.is_null(),
            tickets::next_due_at.asc(),
            tickets::id.asc(),
        )),
        Sort::Newest => query.order(tickets::id.desc()),
    };
    query.offset(offset).limit(limit).load(conn)
}

/// Open and waiting tickets filed under any version of `policy_id` (at most `limit`).
pub fn open_under_policy(
    conn: &mut DbConn,
    policy_id: i64,
    limit: i64,
) -> QueryResult<Vec<Ticket>> {
    use super::schema::policy_versions;
    tickets::table
        .inner_join(policy_versions::table)
        .filter(policy_versions::policy_id.eq(policy_id))
        .filter(tickets::status.eq_any(["open", "waiting_on_customer"]))
        .order(tickets::id)
        .limit(limit)
        .select(Ticket::as_select())
        .load(conn)
}
