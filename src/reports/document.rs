//! The PDF document of one organization's month and the command line's text report, built
//! from the same [`MonthReport`] the page and the JSON show, with the formatting helpers the
//! pages share.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

use crate::sla::ClockKind;
use crate::sla::report::Outcome;

use super::figures::{Group, Tally};
use super::live::ClockRow;
use super::pdf::{Block, Document};
use super::read::{MonthReport, ReportState, RowView};

/// What the report's footnote says: the rules the figures follow (README "Reports").
pub const RULES: &str = "How this report counts. A month is a calendar month in the \
provider's time zone, from local midnight on the 1st to local midnight on the next 1st. A \
clock counts in the month its outcome was decided: a clock met on time at its met instant, a \
breached clock (met late, or still unmet) at its due instant; a later pause or reply never \
turns a breach back. A clock not decided at the month's end (running and not yet due, or \
paused) is pending: listed, carried into the next month, never counted as met. Compliance = \
met on time / (met on time + breached); with no decided clocks it is shown as \"—\", not \
100 %. Durations are business time on the ticket's own policy version, pauses excluded; \
median and 90th percentile interpolate linearly between the nearest ranks, as PostgreSQL's \
percentile_cont does, over the decided clocks met before the month's end. A closed \
month is read only from its snapshot: later policy or ticket edits do not change it, and a \
recompute makes a numbered version listing the rows that differ.";

/// Compliance as shown everywhere: one decimal and " %", or "—" when nothing was decided.
#[must_use]
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.1} %"))
}

/// Business time as shown everywhere: "1 h 30 min", "2 h", "45 min", "30 s" (whole
/// minutes from one minute up, rounded to the nearest).
#[must_use]
pub fn duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let secs = secs.unsigned_abs();
    if secs < 60 {
        return format!("{sign}{secs} s");
    }
    let minutes = (secs + 30) / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{sign}{m} min"),
        (h, 0) => format!("{sign}{h} h"),
        (h, m) => format!("{sign}{h} h {m} min"),
    }
}

/// A percentile (fractional seconds) as [`duration`], or "—" when there is none.
#[must_use]
pub fn duration_of(secs: Option<f64>) -> String {
    #[allow(clippy::cast_possible_truncation)]
    secs.map_or_else(|| "—".to_owned(), |s| duration(s.round() as i64))
}

/// A clock's name for people.
#[must_use]
pub fn clock_label(clock: ClockKind) -> &'static str {
    match clock {
        ClockKind::Response => "Response",
        ClockKind::FixStart => "Fix start",
        ClockKind::Resolve => "Resolve",
    }
}

/// An amount in minor units: "DKK 5000.00".
#[must_use]
pub fn money(minor: i64, currency: &str) -> String {
    crate::sla::Money { minor, currency: currency.to_owned() }.to_string()
}

/// An instant as the report shows it: local wall time in `tz`, to the minute.
#[must_use]
pub fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The footer: "Version 2 · computed 2026-12-01T05:00:00Z · CSV SHA-256 …", or for a month
/// not closed "so far as of …".
#[must_use]
pub fn footer(report: &MonthReport) -> String {
    let sha = &report.csv_sha256;
    match &report.state {
        ReportState::Closed { version, computed_at, .. } => {
            format!("Version {version} · computed {} · CSV SHA-256 {sha}", rfc3339(*computed_at))
        }
        ReportState::SoFar { as_of } | ReportState::Open { as_of } => {
            format!("Not closed: so far as of {} · CSV SHA-256 {sha}", rfc3339(*as_of))
        }
    }
}

fn tally_cells(t: &Tally) -> Vec<String> {
    vec![
        t.met.to_string(),
        t.breached.to_string(),
        t.pending.to_string(),
        percent(t.compliance),
        duration_of(t.p50_secs),
        duration_of(t.p90_secs),
    ]
}

const TALLY_COLUMNS: [&str; 6] =
    ["Met", "Breached", "Pending", "Compliance", "Median", "90th pct."];

fn group_table(first: &str, groups: &[Group]) -> Block {
    let mut columns = vec![first.to_owned(), "Clock".to_owned()];
    columns.extend(TALLY_COLUMNS.iter().map(|c| (*c).to_owned()));
    let rows = groups
        .iter()
        .map(|g| {
            let mut row = vec![g.key.clone(), clock_label(g.clock).to_owned()];
            row.extend(tally_cells(&g.tally));
            row
        })
        .collect();
    Block::Table { columns, numeric: vec![false, false, true, true, true, true, true, true], rows }
}

fn count_table(what: &str, counts: &std::collections::BTreeMap<String, u64>) -> Block {
    Block::Table {
        columns: vec![what.to_owned(), "Tickets".to_owned()],
        numeric: vec![false, true],
        rows: counts.iter().map(|(k, v)| vec![k.clone(), v.to_string()]).collect(),
    }
}

fn due(row: &ClockRow, tz: Tz) -> String {
    row.due_at.map_or_else(|| "paused".to_owned(), |t| local(t, tz))
}

/// The explanation paragraph of one breach: the deadline step by step, the pauses, the
/// escalations and the cause.
fn breach_story(view: &RowView, tz: Tz) -> String {
    let row = &view.row;
    let mut text = format!(
        "{} {} ({}): target {}, due {}, {}.",
        row.ticket_number,
        clock_label(row.clock).to_lowercase(),
        row.title,
        row.target,
        due(row, tz),
        row.met_at.map_or_else(
            || "still open".to_owned(),
            |m| format!("met {} ({} late)", local(m, tz), duration(row.overrun_secs))
        ),
    );
    if !row.explanation.is_empty() {
        text.push('\n');
        text.push_str(row.explanation.trim_end());
    }
    for p in &row.pauses {
        text.push_str(&format!(
            "\nPaused {} – {} ({} business time).",
            local(p.from, tz),
            p.to.map_or_else(|| "end of month".to_owned(), |t| local(t, tz)),
            duration(p.business_secs)
        ));
    }
    for e in &row.escalations {
        text.push_str(&format!("\nEscalation {} at {}.", e.level, local(e.at, tz)));
    }
    if let Some(cause) = &view.cause {
        text.push_str(&format!("\nCause: {}", cause.label));
        if !cause.note.is_empty() {
            text.push_str(&format!(" — {}", cause.note));
        }
        text.push('.');
    }
    text
}

/// The PDF of one organization's month: the figures the page shows, in the same words.
#[must_use]
pub fn build(report: &MonthReport, tz: Tz) -> Document {
    let f = &report.figures;
    let (start, end) = report.month.bounds(tz);
    let last_day = end - chrono::Duration::days(1);
    let subtitle = format!(
        "Monthly SLA report, {} to {} ({tz})",
        start.with_timezone(&tz).format("%-d %B %Y"),
        last_day.with_timezone(&tz).format("%-d %B %Y"),
    );
    let mut blocks = vec![Block::Heading("Key figures".to_owned())];
    let mut columns = vec!["Clock".to_owned()];
    columns.extend(TALLY_COLUMNS.iter().map(|c| (*c).to_owned()));
    let clock_row = |clock: ClockKind, t: &Tally| {
        let mut row = vec![clock_label(clock).to_owned()];
        row.extend(tally_cells(t));
        row
    };
    blocks.push(Block::Table {
        columns,
        numeric: vec![false, true, true, true, true, true, true],
        rows: vec![
            clock_row(ClockKind::Response, &f.response),
            clock_row(ClockKind::FixStart, &f.fix_start),
        ],
    });
    blocks.push(Block::Figures(vec![
        ("Tickets filed".to_owned(), f.filed.to_string()),
        ("Breaches".to_owned(), f.breaches().to_string()),
        ("Pending at the month's end".to_owned(), f.pending().to_string()),
        ("Filed out of hours".to_owned(), f.out_of_hours.to_string()),
        ("Chose to wait".to_owned(), f.waited.to_string()),
        ("Accepted the start-up fee".to_owned(), f.accepted_fee.to_string()),
        ("Start-up fees".to_owned(), money(f.fees_minor, &f.currency)),
        ("Reopened".to_owned(), f.reopened.to_string()),
        ("Paused (decided clocks)".to_owned(), duration(f.paused_secs())),
    ]));

    let mut severities: Vec<String> = Vec::new();
    for g in &f.by_severity {
        if !severities.contains(&g.key) {
            severities.push(g.key.clone());
        }
    }
    if !severities.is_empty() {
        let sum = |pick: fn(&Tally) -> u64| -> Vec<f64> {
            #[allow(clippy::cast_precision_loss)]
            severities
                .iter()
                .map(|s| {
                    f.by_severity
                        .iter()
                        .filter(|g| &g.key == s)
                        .map(|g| pick(&g.tally))
                        .sum::<u64>() as f64
                })
                .collect()
        };
        blocks.push(Block::Bars {
            title: "Met, breached and pending per severity".to_owned(),
            labels: severities.clone(),
            series: vec![
                ("Met".to_owned(), sum(|t| t.met)),
                ("Breached".to_owned(), sum(|t| t.breached)),
                ("Pending".to_owned(), sum(|t| t.pending)),
            ],
            stacked: true,
            max: None,
            target: None,
            unit: String::new(),
        });
    }
    let decided: Vec<(ClockKind, f64)> =
        [(ClockKind::Response, &f.response), (ClockKind::FixStart, &f.fix_start)]
            .into_iter()
            .filter_map(|(c, t)| t.compliance.map(|v| (c, v)))
            .collect();
    if !decided.is_empty() {
        blocks.push(Block::Bars {
            title: "Compliance per clock".to_owned(),
            labels: decided.iter().map(|(c, _)| clock_label(*c).to_owned()).collect(),
            series: vec![(
                "Compliance".to_owned(),
                decided.iter().map(|(_, v)| (v * 10.0).round() / 10.0).collect(),
            )],
            stacked: false,
            max: Some(100.0),
            target: None,
            unit: "%".to_owned(),
        });
    }
    if !f.by_severity.is_empty() {
        blocks.push(Block::Heading("Per severity".to_owned()));
        blocks.push(group_table("Severity", &f.by_severity));
    }
    if !f.by_policy.is_empty() {
        blocks.push(Block::Heading("Per policy".to_owned()));
        blocks.push(group_table("Policy", &f.by_policy));
    }
    if f.filed > 0 {
        blocks.push(Block::Heading("Tickets filed".to_owned()));
        blocks.push(count_table("Severity", &f.filed_by_severity));
        blocks.push(count_table("Category", &f.filed_by_category));
    }

    let breaches: Vec<&RowView> = report.breaches().collect();
    blocks.push(Block::Heading(format!("Breaches ({})", breaches.len())));
    if breaches.is_empty() {
        blocks.push(Block::Paragraph("No clock breached its target.".to_owned()));
    } else {
        blocks.push(Block::Table {
            columns: ["Ticket", "Title", "Clock", "Target", "Due", "Met", "Overrun", "Cause"]
                .map(str::to_owned)
                .to_vec(),
            numeric: vec![false, false, false, true, false, false, true, false],
            rows: breaches
                .iter()
                .map(|v| {
                    let r = &v.row;
                    vec![
                        r.ticket_number.clone(),
                        r.title.clone(),
                        clock_label(r.clock).to_owned(),
                        r.target.clone(),
                        due(r, tz),
                        r.met_at.map_or_else(|| "open".to_owned(), |m| local(m, tz)),
                        duration(r.overrun_secs),
                        v.cause.as_ref().map_or_else(|| "—".to_owned(), |c| c.label.to_owned()),
                    ]
                })
                .collect(),
        });
        blocks.push(Block::Heading("Each breach explained".to_owned()));
        for v in &breaches {
            blocks.push(Block::Paragraph(breach_story(v, tz)));
        }
        if !report.causes.is_empty() {
            blocks.push(count_table("Cause", &report.causes));
        }
    }

    let pending: Vec<&RowView> = report.pending().collect();
    blocks.push(Block::Heading(format!("Pending at the month's end ({})", pending.len())));
    if pending.is_empty() {
        blocks.push(Block::Paragraph("No clock was pending.".to_owned()));
    } else {
        blocks.push(Block::Table {
            columns: ["Ticket", "Title", "Clock", "Target", "Due", "Used"]
                .map(str::to_owned)
                .to_vec(),
            numeric: vec![false, false, false, true, false, true],
            rows: pending
                .iter()
                .map(|v| {
                    let r = &v.row;
                    vec![
                        r.ticket_number.clone(),
                        r.title.clone(),
                        clock_label(r.clock).to_owned(),
                        r.target.clone(),
                        due(r, tz),
                        duration(r.used_secs),
                    ]
                })
                .collect(),
        });
    }

    if !report.changes.is_empty() {
        blocks.push(Block::Heading("Changes from the version before".to_owned()));
        blocks.push(Block::Table {
            columns: ["Ticket", "Clock", "What changed"].map(str::to_owned).to_vec(),
            numeric: vec![],
            rows: report
                .changes
                .iter()
                .map(|c| {
                    vec![c.ticket_number.clone(), clock_label(c.clock).to_owned(), c.why.join("; ")]
                })
                .collect(),
        });
    }
    if let ReportState::Closed { reason, version, .. } = &report.state {
        if *version > 1 && !reason.is_empty() {
            blocks.push(Block::Paragraph(format!("Recomputed because: {reason}")));
        }
    }
    blocks.push(Block::Paragraph(RULES.to_owned()));
    Document {
        title: format!("{} — {}", f.organization_name, report.title),
        subtitle,
        blocks,
        footer: footer(report),
    }
}

/// `true` when `row` breached: for the text report.
fn breached(row: &RowView) -> bool {
    row.row.outcome == Outcome::Breached
}

/// The plain-text report of one organization's month (the CLI's `--format text`).
#[must_use]
pub fn text(report: &MonthReport, tz: Tz) -> String {
    let f = &report.figures;
    let mut out = format!("{} — {}\n\n", f.organization_name, report.title);
    out.push_str("Clock       Met  Breached  Pending  Compliance  Median      90th pct.\n");
    for (clock, t) in [(ClockKind::Response, &f.response), (ClockKind::FixStart, &f.fix_start)] {
        out.push_str(&format!(
            "{:<10} {:>4} {:>9} {:>8} {:>11}  {:<10}  {}\n",
            clock_label(clock),
            t.met,
            t.breached,
            t.pending,
            percent(t.compliance),
            duration_of(t.p50_secs),
            duration_of(t.p90_secs),
        ));
    }
    out.push_str(&format!(
        "\nTickets filed: {}; out of hours: {} (waited {}, accepted the fee {}); fees: {}; \
         reopened: {}; paused: {}\n",
        f.filed,
        f.out_of_hours,
        f.waited,
        f.accepted_fee,
        money(f.fees_minor, &f.currency),
        f.reopened,
        duration(f.paused_secs())
    ));
    let breaches: Vec<&RowView> = report.rows.iter().filter(|r| breached(r)).collect();
    out.push_str(&format!("\nBreaches ({}):\n", breaches.len()));
    for v in breaches {
        for (i, line) in breach_story(v, tz).lines().enumerate() {
            out.push_str(if i == 0 { "- " } else { "    " });
            out.push_str(line);
            out.push('\n');
        }
    }
    let pending: Vec<&RowView> = report.pending().collect();
    out.push_str(&format!("\nPending at the month's end ({}):\n", pending.len()));
    for v in pending {
        let r = &v.row;
        out.push_str(&format!(
            "- {} {} ({}): target {}, due {}, used {}\n",
            r.ticket_number,
            clock_label(r.clock).to_lowercase(),
            r.title,
            r.target,
            due(r, tz),
            duration(r.used_secs)
        ));
    }
    if !report.changes.is_empty() {
        out.push_str("\nChanges from the version before:\n");
        for c in &report.changes {
            out.push_str(&format!(
                "- {} {}: {}\n",
                c.ticket_number,
                clock_label(c.clock).to_lowercase(),
                c.why.join("; ")
            ));
        }
    }
    out.push_str(&format!("\n{}\n", footer(report)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_percentages_read_as_on_the_page() {
        assert_eq!(duration(5400), "1 h 30 min");
        assert_eq!(duration(7200), "2 h");
        assert_eq!(duration(2700), "45 min");
        assert_eq!(duration(30), "30 s");
        assert_eq!(duration(89), "1 min");
        assert_eq!(duration(-90), "-2 min");
        assert_eq!(duration_of(None), "—");
        assert_eq!(percent(Some(87.5)), "87.5 %");
        assert_eq!(percent(Some(200.0 / 3.0)), "66.7 %");
        assert_eq!(percent(None), "—");
    }
}
