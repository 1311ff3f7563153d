//! The monthly report's rows: met clock runs (written when a clock is met), the facts of the
//! tickets a month reads, and the immutable snapshots of closed months with their causes,
//! recipients and mail guards.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{
    breach_causes, escalations, met_clocks, report_mails, report_organizations, report_recipients,
    report_rows, report_versions, ticket_events, tickets, users,
};

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

/// A version of a closed month.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = report_versions)]
pub struct ReportVersion {
    /// Id.
    pub id: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// 1 for the close, then each recompute.
    pub version: i32,
    /// When computed.
    pub computed_at: NaiveDateTime,
    /// Who asked for it (`None`: the scheduled close).
    pub computed_by: Option<i64>,
    /// Why it was recomputed.
    pub reason: String,
}

/// Adds a version and returns its id; a second writer of the same (month, version) gets a
/// unique violation.
pub fn insert_version(
    conn: &mut DbConn,
    month: &str,
    version: i32,
    at: NaiveDateTime,
    by: Option<i64>,
    reason: &str,
) -> QueryResult<i64> {
    let values = (
        report_versions::month.eq(month),
        report_versions::version.eq(version),
        report_versions::computed_at.eq(at),
        report_versions::computed_by.eq(by),
        report_versions::reason.eq(reason),
    );
    crate::on_backend!(conn, c => diesel::insert_into(report_versions::table)
        .values(values)
        .returning(report_versions::id)
        .get_result(c))
}

/// Every version of a month, oldest first.
pub fn versions(conn: &mut DbConn, month: &str) -> QueryResult<Vec<ReportVersion>> {
    report_versions::table
        .filter(report_versions::month.eq(month))
        .order(report_versions::version)
        .select(ReportVersion::as_select())
        .load(conn)
}

/// Every closed month's latest version number, newest month first.
pub fn closed_months(conn: &mut DbConn) -> QueryResult<Vec<(String, i32)>> {
    let rows: Vec<(String, Option<i32>)> = report_versions::table
        .group_by(report_versions::month)
        .select((report_versions::month, diesel::dsl::max(report_versions::version)))
        .order(report_versions::month.desc())
        .load(conn)?;
    Ok(rows.into_iter().map(|(m, v)| (m, v.unwrap_or(1))).collect())
}

/// A snapshot row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_rows)]
pub struct SnapshotRow {
    /// The version.
    pub report_id: i64,
    /// Organization.
    pub organization_id: i64,
    /// Ticket.
    pub ticket_id: i64,
    /// Ticket number.
    pub ticket_number: String,
    /// Ticket title.
    pub title: String,
    /// Clock.
    pub clock: String,
    /// Severity.
    pub severity: String,
    /// Category.
    pub category: String,
    /// Policy name.
    pub policy_name: String,
    /// Policy version number.
    pub policy_version: i32,
    /// Policy version id.
    pub policy_version_id: i64,
    /// Target as written.
    pub target: String,
    /// Target in business seconds.
    pub target_secs: i64,
    /// Run start.
    pub started_at: NaiveDateTime,
    /// Deadline.
    pub due_at: Option<NaiveDateTime>,
    /// Met.
    pub met_at: Option<NaiveDateTime>,
    /// `met`, `breached`, `pending`.
    pub outcome: String,
    /// When decided.
    pub decided_at: Option<NaiveDateTime>,
    /// Business seconds used.
    pub used_secs: i64,
    /// Business seconds paused.
    pub paused_secs: i64,
    /// Business seconds past the deadline.
    pub overrun_secs: i64,
    /// The deadline's explanation.
    pub explanation: String,
    /// Pauses, JSON.
    pub pauses: String,
    /// Escalations, JSON.
    pub escalations: String,
    /// Fee.
    pub fee_minor: Option<i64>,
    /// Fee currency.
    pub fee_currency: Option<String>,
}

/// Writes snapshot rows in batches.
pub fn insert_rows(conn: &mut DbConn, rows: &[SnapshotRow]) -> QueryResult<usize> {
    let mut n = 0;
    // 27 columns a row; SQLite binds at most 32 766 parameters a statement.
    for chunk in rows.chunks(1000) {
        n += crate::on_backend!(conn, c => diesel::insert_into(report_rows::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(n)
}

/// The rows of a version, of one organization or all, in a stable order.
pub fn rows(
    conn: &mut DbConn,
    report_id: i64,
    org: Option<i64>,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, SnapshotRow)>> {
    let mut query = report_rows::table
        .filter(report_rows::report_id.eq(report_id))
        .filter(report_rows::id.gt(after_id))
        .order(report_rows::id)
        .limit(limit)
        .select((report_rows::id, SnapshotRow::as_select()))
        .into_boxed();
    if let Some(org) = org {
        query = query.filter(report_rows::organization_id.eq(org));
    }
    query.load(conn)
}

/// An organization's figures in a version.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_organizations)]
pub struct SnapshotOrganization {
    /// The version.
    pub report_id: i64,
    /// Organization.
    pub organization_id: i64,
    /// Its name then.
    pub organization_name: String,
    /// The figures, JSON.
    pub figures: String,
    /// SHA-256 of its CSV (machine profile), hex.
    pub csv_sha256: String,
}

/// Writes the organizations of a version.
pub fn insert_organizations(
    conn: &mut DbConn,
    rows: &[SnapshotOrganization],
) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in rows.chunks(1000) {
        n += crate::on_backend!(conn, c => diesel::insert_into(report_organizations::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(n)
}

/// The organizations of a version (one, or all), by name.
pub fn organizations(
    conn: &mut DbConn,
    report_id: i64,
    org: Option<i64>,
) -> QueryResult<Vec<SnapshotOrganization>> {
    let mut query = report_organizations::table
        .filter(report_organizations::report_id.eq(report_id))
        .order((report_organizations::organization_name, report_organizations::organization_id))
        .select(SnapshotOrganization::as_select())
        .into_boxed();
    if let Some(org) = org {
        query = query.filter(report_organizations::organization_id.eq(org));
    }
    query.load(conn)
}

/// A breach cause.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = breach_causes)]
pub struct Cause {
    /// Ticket.
    pub ticket_id: i64,
    /// Clock.
    pub clock: String,
    /// Run start.
    pub started_at: NaiveDateTime,
    /// The cause.
    pub cause: String,
    /// Free text (required for `other`).
    pub note: String,
    /// Who set it.
    pub set_by: Option<i64>,
    /// When.
    pub set_at: NaiveDateTime,
}

/// Sets (or replaces) the cause of a breached run.
pub fn set_cause(conn: &mut DbConn, cause: &Cause) -> QueryResult<usize> {
    let changes = (
        breach_causes::cause.eq(&cause.cause),
        breach_causes::note.eq(&cause.note),
        breach_causes::set_by.eq(cause.set_by),
        breach_causes::set_at.eq(cause.set_at),
    );
    crate::on_backend!(conn, c => diesel::insert_into(breach_causes::table)
        .values(cause)
        .on_conflict((breach_causes::ticket_id, breach_causes::clock, breach_causes::started_at))
        .do_update()
        .set(changes)
        .execute(c))
}

/// The causes set on these tickets' runs.
pub fn causes_of(conn: &mut DbConn, ticket_ids: &[i64]) -> QueryResult<Vec<Cause>> {
    let mut out = Vec::new();
    for chunk in ticket_ids.chunks(5000) {
        out.extend(
            breach_causes::table
                .filter(breach_causes::ticket_id.eq_any(chunk))
                .select(Cause::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Marks or unmarks a user as a report recipient.
pub fn set_recipient(
    conn: &mut DbConn,
    user_id: i64,
    on: bool,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    if on {
        crate::on_backend!(conn, c => diesel::insert_into(report_recipients::table)
            .values((report_recipients::user_id.eq(user_id), report_recipients::added_at.eq(at)))
            .on_conflict_do_nothing()
            .execute(c))
    } else {
        diesel::delete(report_recipients::table.filter(report_recipients::user_id.eq(user_id)))
            .execute(conn)
    }
}

/// The ids of the users marked as report recipients.
pub fn recipient_ids(conn: &mut DbConn) -> QueryResult<Vec<i64>> {
    report_recipients::table.select(report_recipients::user_id).load(conn)
}

/// `(name, e-mail)` of the active report recipients of an organization.
pub fn recipients_of(conn: &mut DbConn, org: i64) -> QueryResult<Vec<(String, String)>> {
    report_recipients::table
        .inner_join(users::table)
        .filter(users::organization_id.eq(org))
        .filter(users::active.eq(true))
        .order(users::email)
        .select((users::name, users::email))
        .load(conn)
}

/// Claims the mail of (organization, month, version): `false` when it was claimed before
/// (by another instance, or before a restart).
pub fn claim_mail(
    conn: &mut DbConn,
    org: i64,
    month: &str,
    version: i32,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let values = (
        report_mails::organization_id.eq(org),
        report_mails::month.eq(month),
        report_mails::version.eq(version),
        report_mails::queued_at.eq(at),
    );
    let n = crate::on_backend!(conn, c => diesel::insert_into(report_mails::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// When the oldest ticket was reported, if there is one: where the scheduled close starts.
pub fn first_reported(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    tickets::table.select(diesel::dsl::min(tickets::reported_at)).first(conn)
}

/// The organizations whose mail of (month, version) was claimed already.
pub fn mailed_organizations(conn: &mut DbConn, month: &str, version: i32) -> QueryResult<Vec<i64>> {
    report_mails::table
        .filter(report_mails::month.eq(month))
        .filter(report_mails::version.eq(version))
        .select(report_mails::organization_id)
        .load(conn)
}
