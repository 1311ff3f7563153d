//! What a report month reads from the tickets: met clock runs (written when a clock is
//! met), the facts of the tickets whose clocks fall in a month, the tickets filed and
//! reopened in it, and the escalations of its rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{escalations, met_clocks, ticket_events, tickets};

/// A met clock run.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = met_clocks)]
pub struct MetClock {
    /// The ticket.
    pub ticket_id: i64,
    /// `response`, `fix_start`, `resolve`.
    pub clock: String,
    /// The run's start.
    pub started_at: NaiveDateTime,
    /// Its deadline when met.
    pub due_at: NaiveDateTime,
    /// When met.
    pub met_at: NaiveDateTime,
    /// When its outcome was decided (met on time: met; late: due).
    pub decided_at: NaiveDateTime,
    /// Business seconds used, pauses excluded.
    pub used_secs: i64,
    /// Business seconds paused.
    pub paused_secs: i64,
}

/// Writes a met run (again, when a severity or contract change moved its deadline).
pub fn upsert_met(conn: &mut DbConn, row: &MetClock) -> QueryResult<usize> {
    let changes = (
        met_clocks::due_at.eq(row.due_at),
        met_clocks::met_at.eq(row.met_at),
        met_clocks::decided_at.eq(row.decided_at),
        met_clocks::used_secs.eq(row.used_secs),
        met_clocks::paused_secs.eq(row.paused_secs),
    );
    crate::on_backend!(conn, c => diesel::insert_into(met_clocks::table)
        .values(row)
        .on_conflict((met_clocks::ticket_id, met_clocks::clock, met_clocks::started_at))
        .do_update()
        .set(changes)
        .execute(c))
}

/// The met runs of one ticket.
pub fn met_of_ticket(conn: &mut DbConn, ticket_id: i64) -> QueryResult<Vec<MetClock>> {
    met_clocks::table
        .filter(met_clocks::ticket_id.eq(ticket_id))
        .select(MetClock::as_select())
        .load(conn)
}

/// `organization_id = org`, written so that no index on the organization is chosen for it:
/// a month's candidates are few beside an organization's whole history, and SQLite would
/// otherwise read every ticket the organization ever filed.
macro_rules! not_by_index {
    ($org:expr) => {
        (tickets::organization_id + 0_i64).eq($org)
    };
}

/// Runs `f` with PostgreSQL planning each statement for its actual parameters and without
/// JIT compilation. A month's queries take date ranges whose selectivity differs by orders
/// of magnitude between calls: after five runs on a pooled connection PostgreSQL may switch
/// to a cached generic plan that ignores the dates and scans every ticket (1.3 s instead of
/// 89 ms, measured at 2 000 000 tickets); and a whole month's rows look costly enough to
/// JIT-compile, which took 1.16 s of a 1.9 s read at 10 000 000 tickets.
fn with_custom_plans<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> QueryResult<T>,
) -> QueryResult<T> {
    let postgres = matches!(conn, DbConn::Postgres(_));
    if postgres {
        diesel::sql_query("SET plan_cache_mode = force_custom_plan").execute(conn)?;
        diesel::sql_query("SET jit = off").execute(conn)?;
    }
    let result = f(conn);
    if postgres {
        let reset = diesel::sql_query("RESET plan_cache_mode").execute(conn);
        let reset = reset.and(diesel::sql_query("RESET jit").execute(conn));
        if result.is_ok() {
            reset?;
        }
    }
    result
}

/// What a report needs of a ticket.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct TicketFacts {
    /// Id.
    pub id: i64,
    /// Human number.
    pub number: String,
    /// Organization.
    pub organization_id: i64,
    /// Policy version.
    pub policy_version_id: i64,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// Category.
    pub category: String,
    /// Status.
    pub status: String,
    /// Clock start.
    pub reported_at: NaiveDateTime,
    /// Last reopening.
    pub reopened_at: Option<NaiveDateTime>,
    /// Filed outside cover.
    pub out_of_hours: bool,
    /// Chose on-call now (fee).
    pub oncall_now: bool,
    /// Fee in minor units.
    pub fee_minor: Option<i64>,
    /// Fee currency.
    pub fee_currency: Option<String>,
    /// Response due.
    pub response_due_at: Option<NaiveDateTime>,
    /// Response met.
    pub response_met_at: Option<NaiveDateTime>,
    /// Fix start due.
    pub fix_start_due_at: Option<NaiveDateTime>,
    /// Fix start met.
    pub fix_start_met_at: Option<NaiveDateTime>,
}

/// Met runs decided at or after `from` that started before `cut`, with their tickets: the
/// month's met runs, and those still undecided at its cut. `org` narrows to one
/// organization.
pub fn met_since(
    conn: &mut DbConn,
    from: NaiveDateTime,
    cut: NaiveDateTime,
    org: Option<i64>,
) -> QueryResult<Vec<(MetClock, TicketFacts)>> {
    let mut query = met_clocks::table
        .inner_join(tickets::table)
        .filter(met_clocks::decided_at.ge(from))
        .filter(met_clocks::started_at.lt(cut))
        .select((MetClock::as_select(), TicketFacts::as_select()))
        .into_boxed();
    if let Some(org) = org {
        query = query.filter(not_by_index!(org));
    }
    with_custom_plans(conn, |c| query.load(c))
}

/// Tickets reported before `cut` with a clock still unmet whose due instant is at or after
/// `from` (breached in the month, or still running), or frozen by an open pause.
pub fn unmet_since(
    conn: &mut DbConn,
    from: NaiveDateTime,
    cut: NaiveDateTime,
    org: Option<i64>,
) -> QueryResult<Vec<TicketFacts>> {
    let mut query = tickets::table
        .filter(tickets::reported_at.lt(cut))
        .filter(
            tickets::response_met_at
                .is_null()
                .and(tickets::response_due_at.ge(from))
                .or(tickets::fix_start_met_at.is_null().and(tickets::fix_start_due_at.ge(from))),
        )
        .select(TicketFacts::as_select())
        .into_boxed();
    if let Some(org) = org {
        query = query.filter(not_by_index!(org));
    }
    let mut facts = with_custom_plans(conn, |c| query.load(c))?;
    let mut waiting = tickets::table
        .filter(tickets::status.eq("waiting_on_customer"))
        .filter(tickets::reported_at.lt(cut))
        .select(TicketFacts::as_select())
        .into_boxed();
    if let Some(org) = org {
        waiting = waiting.filter(not_by_index!(org));
    }
    let seen: std::collections::HashSet<i64> = facts.iter().map(|t| t.id).collect();
    facts.extend(
        with_custom_plans(conn, |c| waiting.load(c))?.into_iter().filter(|t| !seen.contains(&t.id)),
    );
    Ok(facts)
}

/// What the month's ticket-level figures need of a ticket filed in it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct Filed {
    /// Organization.
    pub organization_id: i64,
    /// Severity.
    pub severity: String,
    /// Category.
    pub category: String,
    /// Filed outside cover.
    pub out_of_hours: bool,
    /// Accepted the start-up fee.
    pub oncall_now: bool,
    /// Fee in minor units.
    pub fee_minor: Option<i64>,
    /// Fee currency.
    pub fee_currency: Option<String>,
}

/// Tickets reported in `[from, to)`.
pub fn filed_between(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
    org: Option<i64>,
) -> QueryResult<Vec<Filed>> {
    let mut query = tickets::table
        .filter(tickets::reported_at.ge(from))
        .filter(tickets::reported_at.lt(to))
        .select(Filed::as_select())
        .into_boxed();
    if let Some(org) = org {
        query = query.filter(not_by_index!(org));
    }
    with_custom_plans(conn, |c| query.load(c))
}

/// `(organization, ticket)` of the tickets reopened in `[from, to)`, each once.
pub fn reopened_between(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
    org: Option<i64>,
) -> QueryResult<Vec<(i64, i64)>> {
    let mut query = ticket_events::table
        .inner_join(tickets::table)
        .filter(ticket_events::kind.eq("reopened"))
        .filter(ticket_events::at.ge(from))
        .filter(ticket_events::at.lt(to))
        .select((tickets::organization_id, tickets::id))
        .distinct()
        .into_boxed();
    if let Some(org) = org {
        query = query.filter(not_by_index!(org));
    }
    with_custom_plans(conn, |c| query.load(c))
}

/// `(ticket, clock, clock start, level, its computed instant)` of an escalation (the
/// instant the threshold was reached, not when a sweep happened to record it).
pub type FiredRow = (i64, String, NaiveDateTime, String, NaiveDateTime);

/// The escalations of these tickets.
pub fn escalations_of(conn: &mut DbConn, ticket_ids: &[i64]) -> QueryResult<Vec<FiredRow>> {
    let mut out = Vec::new();
    for chunk in ticket_ids.chunks(5000) {
        out.extend(
            escalations::table
                .filter(escalations::ticket_id.eq_any(chunk))
                .order((escalations::ticket_id, escalations::due_at, escalations::id))
                .select((
                    escalations::ticket_id,
                    escalations::clock,
                    escalations::clock_started_at,
                    escalations::level,
                    escalations::due_at,
                ))
                .load::<FiredRow>(conn)?,
        );
    }
    Ok(out)
}
