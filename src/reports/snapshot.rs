//! Closing a month: one immutable row per ticket x clock decided in it plus the pending
//! ones, and the figures of every customer organization, as version 1; closing again (a
//! recompute) adds the next version when anything differs, never overwriting.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::reports::{SnapshotOrganization, SnapshotRow};
use crate::db::{self, DbConn};
use crate::sla::report::{Month, Outcome};
use crate::sla::{ClockKind, Money};
use crate::tickets::{Engine, TicketError, transaction};

use super::export;
use super::figures::Figures;
use super::live::{self, ClockRow, Detail, Period};

/// What a close did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Closed {
    /// A new version was written.
    Written {
        /// Its number.
        version: i32,
        /// Rows in it.
        rows: usize,
        /// Rows that differ from the version before (0 for version 1).
        changed: usize,
    },
    /// Nothing differs from the latest version, which stands.
    Unchanged {
        /// The latest version.
        version: i32,
    },
}

/// Closes `month` (or recomputes it, when closed) at `now`.
pub fn close(
    conn: &mut DbConn,
    engine: &Engine,
    month: Month,
    now: DateTime<Utc>,
    by: Option<i64>,
    reason: &str,
) -> Result<Closed, TicketError> {
    let tz = engine.provider().timezone;
    let period = Period::new(month, tz, now);
    if !period.is_over() {
        return Err(TicketError::invalid("month", format!("{month} is not over yet")));
    }
    if reason.chars().count() > 2000 {
        return Err(TicketError::invalid("reason", "must be at most 2000 characters"));
    }
    let rows = live::rows(conn, engine, &period, None, Detail::Full)?;
    let activity = live::activity(conn, &period, None)?;
    let currency = engine.provider().spec.currency.clone();
    let organizations = customers(conn)?;
    let mut by_org: BTreeMap<i64, Vec<&ClockRow>> = BTreeMap::new();
    for row in &rows {
        by_org.entry(row.organization_id).or_default().push(row);
    }
    let mut orgs = Vec::new();
    for (id, name) in &organizations {
        let own = by_org.get(id).cloned().unwrap_or_default();
        let figures = Figures::of(*id, name, &own, &activity, &currency);
        let sha = export::sha256(own.iter().copied())
            .map_err(|e| TicketError::Notification(e.to_string()))?;
        let figures = serde_json::to_string(&figures)
            .map_err(|e| TicketError::Notification(e.to_string()))?;
        orgs.push((*id, name.clone(), figures, sha));
    }
    let key = month.to_string();
    transaction(conn, |conn| {
        let versions = db::reports::versions(conn, &key)?;
        let version = versions.last().map_or(1, |v| v.version + 1);
        let mut changed = 0;
        if let Some(latest) = versions.last() {
            let before = stored_rows(conn, latest.id, None)?;
            changed = differences(&before, &rows).len();
            let before_orgs = db::reports::organizations(conn, latest.id, None)?;
            let same_orgs = before_orgs.len() == orgs.len()
                && before_orgs.iter().zip(&orgs).all(|(b, (id, name, figures, sha))| {
                    b.organization_id == *id
                        && &b.organization_name == name
                        && &b.figures == figures
                        && &b.csv_sha256 == sha
                });
            if changed == 0 && same_orgs {
                return Ok(Closed::Unchanged { version: latest.version });
            }
        }
        let id = db::reports::insert_version(conn, &key, version, db::to_db(now), by, reason)?;
        let snapshot: Vec<SnapshotRow> = rows.iter().map(|r| to_snapshot(id, r)).collect();
        db::reports::insert_rows(conn, &snapshot)?;
        let orgs: Vec<SnapshotOrganization> = orgs
            .iter()
            .map(|(org, name, figures, sha)| SnapshotOrganization {
                report_id: id,
                organization_id: *org,
                organization_name: name.clone(),
                figures: figures.clone(),
                csv_sha256: sha.clone(),
            })
            .collect();
        db::reports::insert_organizations(conn, &orgs)?;
        Ok(Closed::Written { version, rows: rows.len(), changed })
    })
}

/// The customer organizations, `(id, name)`, by name.
pub fn customers(conn: &mut DbConn) -> Result<Vec<(i64, String)>, TicketError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = db::organizations::list(conn, None, after, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        out.extend(page.into_iter().filter(|o| !o.is_provider).map(|o| (o.id, o.name)));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// The rows of a stored version (of one organization, or all), in their stored order.
pub fn stored_rows(
    conn: &mut DbConn,
    report_id: i64,
    org: Option<i64>,
) -> Result<Vec<ClockRow>, TicketError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = db::reports::rows(conn, report_id, org, after, 5000)?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (_, row) in page {
            out.push(from_snapshot(row)?);
        }
    }
    Ok(out)
}

/// A row as stored.
#[must_use]
pub fn to_snapshot(report_id: i64, r: &ClockRow) -> SnapshotRow {
    SnapshotRow {
        report_id,
        organization_id: r.organization_id,
        ticket_id: r.ticket_id,
        ticket_number: r.ticket_number.clone(),
        title: r.title.clone(),
        clock: r.clock.as_str().to_owned(),
        severity: r.severity.clone(),
        category: r.category.clone(),
        policy_name: r.policy_name.clone(),
        policy_version: r.policy_version,
        policy_version_id: r.policy_version_id,
        target: r.target.clone(),
        target_secs: r.target_secs,
        started_at: db::to_db(r.started_at),
        due_at: r.due_at.map(db::to_db),
        met_at: r.met_at.map(db::to_db),
        outcome: r.outcome.as_str().to_owned(),
        decided_at: r.decided_at.map(db::to_db),
        used_secs: r.used_secs,
        paused_secs: r.paused_secs,
        overrun_secs: r.overrun_secs,
        explanation: r.explanation.clone(),
        pauses: serde_json::to_string(&r.pauses).unwrap_or_else(|_| "[]".into()),
        escalations: serde_json::to_string(&r.escalations).unwrap_or_else(|_| "[]".into()),
        fee_minor: r.fee.as_ref().map(|f| f.minor),
        fee_currency: r.fee.as_ref().map(|f| f.currency.clone()),
    }
}

/// A stored row read back.
pub fn from_snapshot(r: SnapshotRow) -> Result<ClockRow, TicketError> {
    let bad = |field: &str, e: String| TicketError::invalid(field, e);
    let clock = ClockKind::ALL
        .into_iter()
        .find(|k| k.as_str() == r.clock)
        .ok_or_else(|| bad("clock", format!("unknown clock {:?}", r.clock)))?;
    let outcome: Outcome = r.outcome.parse().map_err(|e| bad("outcome", e))?;
    Ok(ClockRow {
        organization_id: r.organization_id,
        ticket_id: r.ticket_id,
        ticket_number: r.ticket_number,
        title: r.title,
        clock,
        severity: r.severity,
        category: r.category,
        policy_name: r.policy_name,
        policy_version: r.policy_version,
        policy_version_id: r.policy_version_id,
        target: r.target,
        target_secs: r.target_secs,
        started_at: db::from_db(r.started_at),
        due_at: r.due_at.map(db::from_db),
        met_at: r.met_at.map(db::from_db),
        outcome,
        decided_at: r.decided_at.map(db::from_db),
        used_secs: r.used_secs,
        paused_secs: r.paused_secs,
        overrun_secs: r.overrun_secs,
        explanation: r.explanation,
        pauses: serde_json::from_str(&r.pauses).map_err(|e| bad("pauses", e.to_string()))?,
        escalations: serde_json::from_str(&r.escalations)
            .map_err(|e| bad("escalations", e.to_string()))?,
        fee: match (r.fee_minor, r.fee_currency) {
            (Some(minor), Some(currency)) => Some(Money { minor, currency }),
            _ => None,
        },
    })
}

/// A row that differs between two versions, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowChange {
    /// Organization.
    pub organization_id: i64,
    /// Ticket number.
    pub ticket_number: String,
    /// Ticket.
    pub ticket_id: i64,
    /// Clock.
    pub clock: ClockKind,
    /// What changed, one phrase a field: `outcome met → breached`, `added`, `removed`.
    pub why: Vec<String>,
}

type RowKey = (i64, ClockKind, DateTime<Utc>);

/// The rows of `after` that differ from `before`, by (ticket, clock, run start).
#[must_use]
pub fn differences(before: &[ClockRow], after: &[ClockRow]) -> Vec<RowChange> {
    let key = |r: &ClockRow| -> RowKey { (r.ticket_id, r.clock, r.started_at) };
    let old: HashMap<RowKey, &ClockRow> = before.iter().map(|r| (key(r), r)).collect();
    let new: HashMap<RowKey, &ClockRow> = after.iter().map(|r| (key(r), r)).collect();
    let change = |r: &ClockRow, why: Vec<String>| RowChange {
        organization_id: r.organization_id,
        ticket_number: r.ticket_number.clone(),
        ticket_id: r.ticket_id,
        clock: r.clock,
        why,
    };
    let mut out = Vec::new();
    for r in after {
        match old.get(&key(r)) {
            None => out.push(change(r, vec!["added".to_owned()])),
            Some(b) => {
                let why = row_changes(b, r);
                if !why.is_empty() {
                    out.push(change(r, why));
                }
            }
        }
    }
    for r in before {
        if !new.contains_key(&key(r)) {
            out.push(change(r, vec!["removed".to_owned()]));
        }
    }
    out.sort_by(|a, b| (&a.ticket_number, a.clock).cmp(&(&b.ticket_number, b.clock)));
    out
}

fn row_changes(a: &ClockRow, b: &ClockRow) -> Vec<String> {
    let t = |v: Option<DateTime<Utc>>| {
        v.map_or_else(|| "none".to_owned(), |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    };
    let mut why = Vec::new();
    let mut field = |name: &str, x: String, y: String| {
        if x != y {
            why.push(format!("{name} {x} → {y}"));
        }
    };
    field("outcome", a.outcome.to_string(), b.outcome.to_string());
    field(
        "policy",
        format!("{} v{}", a.policy_name, a.policy_version),
        format!("{} v{}", b.policy_name, b.policy_version),
    );
    field("severity", a.severity.clone(), b.severity.clone());
    field("target", a.target.clone(), b.target.clone());
    field("due", t(a.due_at), t(b.due_at));
    field("met", t(a.met_at), t(b.met_at));
    field("used", a.used_secs.to_string(), b.used_secs.to_string());
    field("paused", a.paused_secs.to_string(), b.paused_secs.to_string());
    field("overrun", a.overrun_secs.to_string(), b.overrun_secs.to_string());
    if a.explanation != b.explanation && why.is_empty() {
        why.push("explanation".to_owned());
    }
    if a.escalations != b.escalations {
        why.push("escalations".to_owned());
    }
    if a.title != b.title {
        why.push("title".to_owned());
    }
    if a.fee != b.fee {
        why.push("fee".to_owned());
    }
    why
}
