//! The monthly close and the report e-mail on the 1st (DESIGN §10), hourly and once at
//! start-up, so a service that was down on the 1st catches up on any later day.
//!
//! - **Close.** A month is over for the close on the 1st of the next month at local 03:00
//!   (provider time zone), so late sweeps and e-mails are in. Every month that is over and
//!   not closed, oldest first from the month of the oldest ticket, is closed
//!   ([`reports::snapshot::close`]) as version 1. Two instances racing: the check and the
//!   close run in one transaction, and the unique (month, version) lets only one write it; the
//!   other finds it closed (SQLite: it waits for the writer and then sees it; PostgreSQL: its
//!   insert fails on the unique index and it writes nothing).
//! - **Mail.** From the report hour (`FRIST_REPORT_HOUR`, default 06:00, never before the
//!   close) on the 1st of the next month, each customer's report of a closed month's latest
//!   version goes to the provider's managers and the customer's marked report recipients,
//!   through the outbox: exactly once per (organization, month, version), because a unique
//!   row is claimed in the same transaction that writes the messages, and each message's
//!   event id (`report:{org}:{month}:v{version}:{email}`) is unique in the outbox too.
//!   Only months that ended within the last [`MAIL_WITHIN_DAYS`] days are mailed: a first
//!   start on an old database (or `frist demo`, which closes its past months) closes the
//!   old months without mailing reports nobody waits for any more.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::auth::Role;
use crate::config::Config;
use crate::db::{self, DbConn, DbError};
use crate::notify::smtp::Attachment;
use crate::reports::mail::{Audience, Prepared};
use crate::reports::snapshot::{self, Closed};
use crate::sla::report::Month;
use crate::tickets::{Engine, TicketError};

/// The local hour on the 1st from which the month before is closed.
pub const CLOSE_HOUR: u32 = 3;

/// Reports of months that ended longer ago than this are not mailed (see the module doc).
pub const MAIL_WITHIN_DAYS: i64 = 62;

/// The outbox topic of the report mail.
pub const TOPIC: &str = "report.monthly";

/// What the report mail needs of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `FRIST_REPORT_HOUR`: the local hour from which the mail goes out on the 1st.
    pub report_hour: u32,
    /// `FRIST_PUBLIC_URL`: the base of the links in the mail.
    pub public_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_config(&Config::default())
    }
}

impl Settings {
    /// The settings as configured.
    #[must_use]
    pub fn from_config(config: &Config) -> Self {
        Self { report_hour: config.report_hour, public_url: config.public_url.clone() }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Months found over and not closed.
    pub due: Vec<Month>,
    /// Months this pass closed, with the version written.
    pub closed: Vec<(Month, i32)>,
    /// Months another instance closed meanwhile.
    pub closed_elsewhere: usize,
    /// (organization, month, version) reports found not mailed yet.
    pub to_mail: usize,
    /// Of those, claimed and queued by this pass.
    pub mailed: usize,
    /// Messages written to the outbox.
    pub messages: usize,
    /// Closes and mails that failed (logged; tried again next hour).
    pub failed: usize,
}

/// Local `hour`:00 on the 1st of the month after `month`, as a wall time in the provider's
/// zone (compared with the local wall time of now: no DST change falls on a 1st).
fn on_first_after(month: Month, hour: u32) -> NaiveDateTime {
    month.next().first_day().and_hms_opt(hour, 0, 0).unwrap_or_default()
}

/// The months over at `now` for a close at local `hour` on the next 1st and not closed yet,
/// oldest first: from the month of the oldest ticket (the month before the last one over
/// when there are no tickets).
pub fn closable(
    conn: &mut DbConn,
    tz: Tz,
    now: DateTime<Utc>,
    hour: u32,
) -> Result<Vec<Month>, TicketError> {
    let local = now.with_timezone(&tz).naive_local();
    let current = Month::containing(now, tz);
    let last_over = if local >= on_first_after(current.prev(), hour) {
        current.prev()
    } else {
        current.prev().prev()
    };
    let first = match db::reports::first_reported(conn)? {
        Some(at) => Month::containing(db::from_db(at), tz),
        None => last_over,
    };
    let closed: HashSet<String> =
        db::reports::closed_months(conn)?.into_iter().map(|(month, _)| month).collect();
    let mut out = Vec::new();
    let mut month = first;
    while month <= last_over {
        if !closed.contains(&month.to_string()) {
            out.push(month);
        }
        month = month.next();
    }
    Ok(out)
}

/// One pass at `now`: closes what is due, then queues the mails that are due.
pub fn tick(
    conn: &mut DbConn,
    engine: &Engine,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Report, TicketError> {
    let tz = engine.provider().timezone;
    let mut report = Report { due: closable(conn, tz, now, CLOSE_HOUR)?, ..Report::default() };
    for month in report.due.clone() {
        match close_once(conn, engine, month, now) {
            Ok(Some(version)) => report.closed.push((month, version)),
            Ok(None) => report.closed_elsewhere += 1,
            Err(error) => {
                report.failed += 1;
                tracing::error!(%month, %error, "closing the month failed; retrying next hour");
            }
        }
    }
    mail_due(conn, engine, settings, now, &mut report)?;
    if !report.due.is_empty() || report.to_mail > 0 {
        tracing::info!(
            found = report.due.len(),
            closed = report.closed.len(),
            closed_elsewhere = report.closed_elsewhere,
            reports_found = report.to_mail,
            reports_mailed = report.mailed,
            messages = report.messages,
            failed = report.failed,
            "monthly reports"
        );
    }
    Ok(report)
}

/// Closes `month` unless it is closed: the version written, or `None` when another instance
/// closed it first.
fn close_once(
    conn: &mut DbConn,
    engine: &Engine,
    month: Month,
    now: DateTime<Utc>,
) -> Result<Option<i32>, TicketError> {
    let result = db::transaction(conn, |conn| {
        if !db::reports::versions(conn, &month.to_string())?.is_empty() {
            return Ok(None);
        }
        match snapshot::close(conn, engine, month, now, None, "")? {
            Closed::Written { version, .. } => Ok(Some(version)),
            Closed::Unchanged { .. } => Ok(None),
        }
    });
    match result {
        Err(TicketError::Db(DbError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )))) => Ok(None),
        other => other,
    }
}

/// Queues the mail of every closed month's latest version that is due and not mailed.
fn mail_due(
    conn: &mut DbConn,
    engine: &Engine,
    settings: &Settings,
    now: DateTime<Utc>,
    report: &mut Report,
) -> Result<(), TicketError> {
    let tz = engine.provider().timezone;
    let local = now.with_timezone(&tz).naive_local();
    let hour = settings.report_hour.max(CLOSE_HOUR);
    let provider = db::organizations::provider(conn)?.map(|o| o.id);
    let managers: Vec<(String, String)> =
        db::users::active_with_role(conn, Role::Manager.as_str())?
            .into_iter()
            .filter(|u| Some(u.organization_id) == provider)
            .map(|u| (u.name, u.email))
            .collect();
    // Newest first: the months past the window end the loop.
    for (month, _) in crate::reports::read::closed_months(conn)? {
        let (_, end) = month.bounds(tz);
        if end < now - Duration::days(MAIL_WITHIN_DAYS) {
            break;
        }
        if local < on_first_after(month, hour) {
            continue;
        }
        let key = month.to_string();
        let Some(latest) = db::reports::versions(conn, &key)?.into_iter().last() else { continue };
        let version = latest.version;
        let mailed: HashSet<i64> =
            db::reports::mailed_organizations(conn, &key, version)?.into_iter().collect();
        for org in db::reports::organizations(conn, latest.id, None)? {
            if mailed.contains(&org.organization_id) {
                continue;
            }
            report.to_mail += 1;
            match mail_one(
                conn,
                engine,
                settings,
                &managers,
                month,
                version,
                org.organization_id,
                now,
            ) {
                Ok(Some(n)) => {
                    report.mailed += 1;
                    report.messages += n;
                }
                Ok(None) => {}
                Err(error) => {
                    report.failed += 1;
                    tracing::error!(
                        %month, version, organization = org.organization_id, %error,
                        "queueing the report mail failed; retrying next hour"
                    );
                }
            }
        }
    }
    Ok(())
}

/// Claims and queues one organization's mail in one transaction: the messages written, or
/// `None` when it was claimed already.
#[allow(clippy::too_many_arguments)]
fn mail_one(
    conn: &mut DbConn,
    engine: &Engine,
    settings: &Settings,
    managers: &[(String, String)],
    month: Month,
    version: i32,
    org: i64,
    now: DateTime<Utc>,
) -> Result<Option<usize>, TicketError> {
    let key = month.to_string();
    db::transaction(conn, |conn| {
        if !db::reports::claim_mail(conn, org, &key, version, db::to_db(now))? {
            return Ok(None);
        }
        let mut recipients: Vec<(Audience, String, String)> = managers
            .iter()
            .map(|(name, email)| (Audience::Manager, name.clone(), email.clone()))
            .collect();
        for (name, email) in db::reports::recipients_of(conn, org)? {
            recipients.push((Audience::Customer, name, email));
        }
        let mut seen = HashSet::new();
        recipients.retain(|(_, _, email)| seen.insert(email.to_lowercase()));
        if recipients.is_empty() {
            return Ok(Some(0));
        }
        let prepared = Prepared::read(conn, engine, month, org, version, now)?;
        let attachments = Attachment::to_json(&prepared.attachments);
        for (audience, name, email) in &recipients {
            let mail = prepared.render(engine, *audience, (name, email), &settings.public_url)?;
            let message = db::outbox::NewMessage {
                event_id: format!("report:{org}:{key}:v{version}:{}", email.to_lowercase()),
                channel: "email",
                topic: TOPIC.to_owned(),
                ticket_id: None,
                webhook_id: None,
                recipient: email.clone(),
                subject: mail.subject,
                body: mail.text,
                html: Some(mail.html),
                created_at: db::to_db(now),
                next_attempt_at: db::to_db(now),
            };
            db::outbox::insert_with_attachments(conn, &message, Some(&attachments))?;
        }
        Ok(Some(recipients.len()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_at_an_hour_is_local_wall_time() {
        let november = Month::new(2026, 11).unwrap_or_else(|| panic!("month"));
        assert_eq!(on_first_after(november, 3).to_string(), "2026-12-01 03:00:00");
        let december = Month::new(2026, 12).unwrap_or_else(|| panic!("month"));
        assert_eq!(on_first_after(december, 6).to_string(), "2027-01-01 06:00:00");
    }
}
