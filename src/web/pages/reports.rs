//! How a month's SLA report reads on a page: the figures per clock, severity and policy, every
//! breach explained, the pending clocks, an amendment's differing rows, the charts and the
//! rules footnote. Managers read it with the cause forms and the ticket links of the desk
//! ([`super::manager`]); customers read their own organization's, read-only, in the portal
//! ([`super::portal_reports`], no organization id in the URL at all).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::db::DbConn;
use crate::reports::causes::Cause;
use crate::reports::charts::{self, OutcomeBar, TrendPoint};
use crate::reports::figures::{Figures, Group, Tally};
use crate::reports::read::{self, MonthReport, ReportState, RowView};
use crate::sla::report::{Month, Outcome};
use crate::sla::{ClockKind, Money};
use crate::tickets::{Engine, TicketError};

use super::super::error::AppError;
use super::format;
use super::portal::money_words;

/// The compliance the trend chart's target line marks, in percent. Contracts promise each
/// clock its own target; this line is the share a provider aims to keep (not configurable yet).
pub const COMPLIANCE_TARGET: f64 = 95.0;

/// Months the picker and the trend chart go back.
pub const MONTHS_BACK: usize = 12;

/// Who reads a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The provider's managers and admins: every organization, cause forms, escalations.
    Manager,
    /// A customer: their own organization, read-only.
    Customer,
}

/// A month named in a URL; a bad one is a 422 naming `month`.
pub fn month_named(text: &str) -> Result<Month, AppError> {
    text.trim().parse::<Month>().map_err(|e| TicketError::from(e).into())
}

/// The month shown when none is asked for: the current one in the provider's zone.
#[must_use]
pub fn current_month(engine: &Engine, now: DateTime<Utc>) -> Month {
    Month::containing(now, engine.provider().timezone)
}

/// The rules every report states, the same text as the PDF's.
pub use crate::reports::document::{RULES, percent};

/// A percentile in business time, or `—`.
#[must_use]
pub fn business_opt(secs: Option<f64>) -> String {
    #[allow(clippy::cast_possible_truncation)]
    secs.map_or_else(|| "—".to_owned(), |s| format::business(s.round() as i64))
}

/// A clock's tally as a table row.
#[must_use]
pub fn tally(label: &str, t: &Tally) -> Value {
    json!({
        "label": label,
        "met": t.met,
        "breached": t.breached,
        "pending": t.pending,
        "compliance": percent(t.compliance),
        "p50": business_opt(t.p50_secs),
        "p90": business_opt(t.p90_secs),
        "paused": format::business(t.paused_secs),
    })
}

fn groups(groups: &[Group]) -> Vec<Value> {
    groups
        .iter()
        .map(|g| {
            let mut row = tally(format::clock_label(g.clock), &g.tally);
            row["key"] = json!(g.key);
            row
        })
        .collect()
}

fn counted(map: &BTreeMap<String, u64>, label: impl Fn(&str) -> String) -> Vec<Value> {
    map.iter().map(|(k, n)| json!({"label": label(k), "count": n})).collect()
}

fn category_label(key: &str) -> String {
    format::CATEGORIES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or_else(|| key.replace('_', " "), |(_, label)| (*label).to_owned())
}

/// The money of a figure set's fees.
#[must_use]
pub fn fees(f: &Figures) -> String {
    money_words(&Money { minor: f.fees_minor, currency: f.currency.clone() })
}

/// An organization's figures for the overview table and the report's head.
#[must_use]
pub fn figures(f: &Figures) -> Value {
    json!({
        "id": f.organization_id,
        "name": f.organization_name,
        "response": tally("Response", &f.response),
        "fix_start": tally("Fix start", &f.fix_start),
        "breaches": f.breaches(),
        "pending": f.pending(),
        "paused": format::business(f.paused_secs()),
        "filed": f.filed,
        "out_of_hours": f.out_of_hours,
        "waited": f.waited,
        "accepted_fee": f.accepted_fee,
        "fees": fees(f),
        "reopened": f.reopened,
    })
}

/// The state of a month in words.
#[must_use]
pub fn state_words(state: &ReportState, tz: Tz, now: DateTime<Utc>) -> Value {
    match state {
        ReportState::SoFar { as_of } => json!({
            "text": format!("So far, as of {}; computed live.", format::local(*as_of, tz, now)),
            "closed": false, "over": false,
        }),
        ReportState::Open { as_of } => json!({
            "text": format!("Not closed yet; computed live at {}.", format::local(*as_of, tz, now)),
            "closed": false, "over": true,
        }),
        ReportState::Closed { version, latest, computed_at, reason } => json!({
            "text": format!("Version {version}, computed {}.", format::local(*computed_at, tz, now)),
            "closed": true, "over": true,
            "version": version, "latest": latest, "older": version < latest,
            "reason": (!reason.is_empty()).then_some(reason),
        }),
    }
}

/// The month picker: the last [`MONTHS_BACK`] months and every closed month, newest first,
/// each linked with `link(month)`.
#[must_use]
pub fn picker(
    current: Month,
    shown: Month,
    closed: &[(Month, i32)],
    link: impl Fn(Month) -> String,
) -> Vec<Value> {
    let mut months: Vec<Month> = current.last(MONTHS_BACK);
    months.extend(closed.iter().map(|(m, _)| *m).filter(|m| *m <= current));
    months.sort_unstable();
    months.dedup();
    months.reverse();
    months
        .into_iter()
        .map(|m| {
            let version = closed.iter().find(|(c, _)| *c == m).map(|(_, v)| *v);
            let note = match version {
                Some(1) => "closed".to_owned(),
                Some(v) => format!("closed, version {v}"),
                None if m == current => "so far".to_owned(),
                None => "not closed".to_owned(),
            };
            json!({"month": m.to_string(), "title": m.title(), "note": note,
                "href": link(m), "current": m == shown})
        })
        .collect()
}

fn pauses(row: &RowView, tz: Tz, now: DateTime<Utc>) -> Vec<Value> {
    row.row
        .pauses
        .iter()
        .map(|p| {
            json!({
                "from": format::local(p.from, tz, now),
                "to": p.to.map(|t| format::local(t, tz, now)),
                "lasted": format::business(p.business_secs),
            })
        })
        .collect()
}

fn escalation_label(level: &str) -> String {
    match level {
        "warning" => "warning".to_owned(),
        "breach" => "breach notice".to_owned(),
        "manager" => "manager alert".to_owned(),
        other => other.replace('_', " "),
    }
}

/// The id of a breach on the organization page, for links to it.
#[must_use]
pub fn anchor(ticket_id: i64, clock: ClockKind, started_at: DateTime<Utc>) -> String {
    format!("breach-{ticket_id}-{}-{}", clock.as_str(), started_at.timestamp())
}

/// A row of the breach or pending list.
fn row(r: &RowView, reader: Reader, tz: Tz, now: DateTime<Utc>) -> Value {
    let c = &r.row;
    let link = match reader {
        Reader::Manager => format!("/desk/tickets/{}", c.ticket_id),
        Reader::Customer => format!("/portal/tickets/{}", c.ticket_id),
    };
    let escalations: Vec<Value> = match reader {
        Reader::Manager => c
            .escalations
            .iter()
            .map(|e| json!({"level": escalation_label(&e.level), "at": format::local(e.at, tz, now)}))
            .collect(),
        Reader::Customer => Vec::new(),
    };
    let chosen = r.cause.as_ref().map(|v| v.cause);
    let options: Vec<Value> = Cause::ALL
        .iter()
        .map(|k| json!({"value": k.as_str(), "label": k.label(), "selected": Some(*k) == chosen}))
        .collect();
    json!({
        "anchor": match c.outcome {
            Outcome::Pending => format!("pending-{}-{}-{}", c.ticket_id, c.clock.as_str(), c.started_at.timestamp()),
            _ => anchor(c.ticket_id, c.clock, c.started_at),
        },
        "pending_row": c.outcome == Outcome::Pending,
        "ticket_id": c.ticket_id,
        "number": c.ticket_number,
        "title": c.title,
        "link": link,
        "severity": c.severity,
        "clock": c.clock.as_str(),
        "clock_label": format::clock_label(c.clock),
        "target": format!("{} ({} business time)", c.target, format::business(c.target_secs)),
        "started": format::local(c.started_at, tz, now),
        "started_at": c.started_at.to_rfc3339(),
        "due": c.due_at.map(|d| format::local(d, tz, now)),
        "met": c.met_at.map(|m| format::local(m, tz, now)),
        "used": format::business(c.used_secs),
        "overrun": format::business(c.overrun_secs),
        "explanation": c.explanation,
        "pauses": pauses(r, tz, now),
        "escalations": escalations,
        "cause": r.cause.as_ref().map(|v| json!({"label": v.label, "note": v.note})),
        "causes": options,
        "note": r.cause.as_ref().map(|v| v.note.clone()).unwrap_or_default(),
    })
}

/// Chart data read from other months: the trend of compliance over the months up to `month`.
/// Closed months are read from their snapshot; months not closed are gaps, except the one
/// shown (already computed) and the current month.
pub fn trend(
    conn: &mut DbConn,
    engine: &Engine,
    report: &MonthReport,
    org: i64,
    now: DateTime<Utc>,
) -> Result<Vec<TrendPoint>, TicketError> {
    let closed = read::closed_months(conn)?;
    let current = current_month(engine, now);
    let mut points = Vec::with_capacity(MONTHS_BACK);
    for m in report.month.last(MONTHS_BACK) {
        let label = m.first_day().format("%b %Y").to_string();
        let figures = if m == report.month {
            Some(report.figures.clone())
        } else if m == current || closed.iter().any(|(c, _)| *c == m) {
            Some(read::organization(conn, engine, m, org, None, now)?.figures)
        } else {
            None
        };
        points.push(TrendPoint {
            label,
            response: figures.as_ref().and_then(|f| f.response.compliance),
            fix_start: figures.as_ref().and_then(|f| f.fix_start.compliance),
        });
    }
    Ok(points)
}

fn svg(drawn: Result<String, charts::ChartError>) -> Option<String> {
    drawn.map_err(|e| tracing::warn!(target: "frist::pages", "chart: {e}")).ok()
}

/// The four charts, each with its heading and a text alternative.
fn charts_of(report: &MonthReport, points: &[TrendPoint]) -> Vec<Value> {
    let trend_text: Vec<String> = points
        .iter()
        .filter(|p| p.response.is_some() || p.fix_start.is_some())
        .map(|p| {
            format!(
                "{}: response {}, fix start {}",
                p.label,
                percent(p.response),
                percent(p.fix_start)
            )
        })
        .collect();
    let mut by_severity: Vec<(String, OutcomeBar)> = Vec::new();
    for g in &report.figures.by_severity {
        let index = match by_severity.iter().position(|(k, _)| *k == g.key) {
            Some(i) => i,
            None => {
                let bar = OutcomeBar { label: g.key.clone(), met: 0, breached: 0, pending: 0 };
                by_severity.push((g.key.clone(), bar));
                by_severity.len() - 1
            }
        };
        let bar = &mut by_severity[index].1;
        let n = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        bar.met = bar.met.saturating_add(n(g.tally.met));
        bar.breached = bar.breached.saturating_add(n(g.tally.breached));
        bar.pending = bar.pending.saturating_add(n(g.tally.pending));
    }
    let bars: Vec<OutcomeBar> = by_severity.into_iter().map(|(_, b)| b).collect();
    let bars_text: Vec<String> = bars
        .iter()
        .map(|b| {
            format!("{}: {} met, {} breached, {} pending", b.label, b.met, b.breached, b.pending)
        })
        .collect();
    let response: Vec<&RowView> = report
        .rows
        .iter()
        .filter(|r| r.row.clock == ClockKind::Response && r.row.met_at.is_some())
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let minutes: Vec<f64> = response.iter().map(|r| r.row.used_secs as f64 / 60.0).collect();
    let target = most_common(
        report
            .rows
            .iter()
            .filter(|r| r.row.clock == ClockKind::Response)
            .map(|r| r.row.target_secs),
    );
    #[allow(clippy::cast_precision_loss)]
    let target_minutes = target.map(|t| t as f64 / 60.0);
    let within = match target {
        Some(t) => response.iter().filter(|r| r.row.used_secs <= t).count(),
        None => 0,
    };
    let causes: Vec<(String, u32)> = report
        .causes
        .iter()
        .map(|(k, n)| (cause_label(k), u32::try_from(*n).unwrap_or(u32::MAX)))
        .collect();
    let causes_text: Vec<String> = causes.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    vec![
        json!({"id": "chart-trend", "heading": "Compliance per clock, last 12 months",
            "svg": svg(charts::compliance_trend(points, Some(COMPLIANCE_TARGET))),
            "text": format!("Target {COMPLIANCE_TARGET:.0} %. {}; months not closed yet, or without decided clocks, are not drawn.", trend_text.join("; "))}),
        json!({"id": "chart-severity", "heading": "Met, breached and pending per severity",
            "svg": svg(charts::outcomes_by_severity(&bars)),
            "text": if bars_text.is_empty() { "No clocks this month.".to_owned() } else { format!("{}.", bars_text.join("; ")) }}),
        json!({"id": "chart-response", "heading": "Time to response, business minutes",
        "svg": svg(charts::response_histogram(&minutes, target_minutes)),
        "text": match target_minutes {
            Some(t) => format!("Responses in the month: {}, {within} of them within the target of {t:.0} minutes.", minutes.len()),
            None => "No responses in the month.".to_owned(),
        }}),
        json!({"id": "chart-causes", "heading": "Breach causes",
            "svg": svg(charts::causes(&causes)),
            "text": if causes_text.is_empty() { "No breaches.".to_owned() } else { format!("{}.", causes_text.join("; ")) }}),
    ]
}

fn most_common(values: impl Iterator<Item = i64>) -> Option<i64> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for v in values.filter(|v| *v > 0) {
        *counts.entry(v).or_default() += 1;
    }
    // Ties go to the shorter target (the stricter promise).
    counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(v, _)| v)
}

/// A cause's label; `none` reads "No cause set yet".
#[must_use]
pub fn cause_label(key: &str) -> String {
    match key.parse::<Cause>() {
        Ok(cause) => cause.label().to_owned(),
        Err(_) => "No cause set yet".to_owned(),
    }
}

/// Everything the organization page shows of `report`.
#[must_use]
pub fn report_view(
    report: &MonthReport,
    points: &[TrendPoint],
    reader: Reader,
    tz: Tz,
    now: DateTime<Utc>,
) -> Value {
    let f = &report.figures;
    let breaches: Vec<Value> = report.breaches().map(|r| row(r, reader, tz, now)).collect();
    let pending: Vec<Value> = report.pending().map(|r| row(r, reader, tz, now)).collect();
    let changes: Vec<Value> = report
        .changes
        .iter()
        .map(|c| {
            json!({"number": c.ticket_number, "ticket_id": c.ticket_id,
                "clock": format::clock_label(c.clock), "why": c.why.join("; ")})
        })
        .collect();
    let org = f.organization_id;
    let base = format!("/api/v1/reports/{}/organizations/{org}", report.month);
    let version = match report.state {
        ReportState::Closed { version, .. } => Some(version),
        _ => None,
    };
    json!({
        "month": report.month.to_string(),
        "title": report.title,
        "state": state_words(&report.state, tz, now),
        "figures": figures(f),
        "tables": {
            "clocks": {"caption": "Per clock", "keyed": null,
                "rows": [tally("Response", &f.response), tally("Fix start", &f.fix_start)]},
            "severity": {"caption": "Per severity", "keyed": "Severity",
                "rows": groups(&f.by_severity)},
            "policy": {"caption": "Per policy version", "keyed": "Policy",
                "rows": groups(&f.by_policy)},
        },
        "filed_by_severity": counted(&f.filed_by_severity, str::to_owned),
        "filed_by_category": counted(&f.filed_by_category, category_label),
        "breaches": breaches,
        "pending": pending,
        "changes": changes,
        "causes": counted(&report.causes, cause_label),
        "charts": charts_of(report, points),
        "csv_sha256": report.csv_sha256,
        "rules": RULES,
        "timezone": tz.name(),
        // The version shown, so the file downloaded is the one whose hash the footer carries.
        "downloads": match version {
            Some(v) => json!({
                "csv": format!("{base}.csv?version={v}"),
                "excel": format!("{base}.csv?profile=excel&version={v}"),
                "pdf": format!("{base}.pdf?version={v}"),
            }),
            None => json!({
                "csv": format!("{base}.csv"),
                "excel": format!("{base}.csv?profile=excel"),
                "pdf": format!("{base}.pdf"),
            }),
        },
        "manager": reader == Reader::Manager,
    })
}

/// `true` when a pending row is at risk at `now`: due within a day, or more than three
/// quarters of its target used.
#[must_use]
pub fn at_risk(row: &crate::reports::live::ClockRow, now: DateTime<Utc>) -> bool {
    row.outcome == Outcome::Pending
        && (row.due_at.is_some_and(|d| d >= now && d <= now + Duration::hours(24))
            || (row.target_secs > 0 && row.used_secs * 4 > row.target_secs * 3))
}
