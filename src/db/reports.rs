//! The immutable snapshots of closed months (versions, rows, organizations' figures), breach
//! causes, report recipients and the guards of the report mail.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{
    breach_causes, report_mails, report_organizations, report_recipients, report_rows,
    report_versions, tickets, users,
};

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
