//! A month's rows as CSV: one column set, two profiles (machine: RFC 4180, UTC, integer
//! seconds; Excel for Danish and Norwegian: BOM, `;`, decimal comma, local time), written row
//! by row from the snapshot in pages or from the live rows, so a month of any size is never
//! held twice nor capped. The SHA-256 in a report's footer is of the machine profile of its
//! organization's rows.

use std::io::Write;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::db::{self, DbConn};
use crate::sla::report::Month;
use crate::tickets::{Engine, TicketError};

use super::csv::{Cell, CsvError, Profile, Writer};
use super::live::{self, ClockRow, Detail, Period};
use super::snapshot;

/// The columns, in order.
pub const COLUMNS: [&str; 22] = [
    "organization_id",
    "ticket",
    "title",
    "clock",
    "severity",
    "category",
    "policy",
    "policy_version",
    "target",
    "target_secs",
    "started_at",
    "due_at",
    "met_at",
    "outcome",
    "decided_at",
    "used_secs",
    "used_hours",
    "paused_secs",
    "overrun_secs",
    "escalations",
    "fee_minor",
    "fee_currency",
];

/// Writes the header.
pub fn header<W: Write>(out: &mut Writer<W>) -> Result<(), CsvError> {
    out.header(&COLUMNS)
}

/// Writes one row.
pub fn row<W: Write>(out: &mut Writer<W>, row: &ClockRow) -> Result<(), CsvError> {
    let instant = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or(Cell::Empty, Cell::Instant);
    let escalations: Vec<&str> = row.escalations.iter().map(|e| e.level.as_str()).collect();
    let escalations = escalations.join(" ");
    #[allow(clippy::cast_precision_loss)]
    let used_hours = row.used_secs as f64 / 3600.0;
    out.row(&[
        Cell::Int(row.organization_id),
        Cell::Label(&row.ticket_number),
        Cell::User(&row.title),
        Cell::Label(row.clock.as_str()),
        Cell::Label(&row.severity),
        Cell::Label(&row.category),
        Cell::User(&row.policy_name),
        Cell::Int(i64::from(row.policy_version)),
        Cell::Label(&row.target),
        Cell::Int(row.target_secs),
        Cell::Instant(row.started_at),
        instant(row.due_at),
        instant(row.met_at),
        Cell::Label(row.outcome.as_str()),
        instant(row.decided_at),
        Cell::Int(row.used_secs),
        Cell::Decimal(used_hours, 2),
        Cell::Int(row.paused_secs),
        Cell::Int(row.overrun_secs),
        Cell::Label(&escalations),
        row.fee.as_ref().map_or(Cell::Empty, |f| Cell::Int(f.minor)),
        row.fee.as_ref().map_or(Cell::Empty, |f| Cell::Label(&f.currency)),
    ])
}

/// The whole CSV of `rows` in `profile`.
pub fn to_bytes<'a>(
    rows: impl IntoIterator<Item = &'a ClockRow>,
    profile: Profile,
) -> Result<Vec<u8>, CsvError> {
    let mut out = Writer::new(Vec::new(), profile)?;
    header(&mut out)?;
    for r in rows {
        row(&mut out, r)?;
    }
    out.into_inner()
}

/// SHA-256, hex, of the machine profile of `rows`.
pub fn sha256<'a>(rows: impl IntoIterator<Item = &'a ClockRow>) -> Result<String, CsvError> {
    Ok(hex::encode(Sha256::digest(to_bytes(rows, Profile::Machine)?)))
}

/// Where a month's rows are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A closed month's snapshot version.
    Snapshot {
        /// The version's row id.
        report_id: i64,
        /// Its number.
        version: i32,
    },
    /// Computed live (the month so far, or a month over but not closed).
    Live(Period),
}

impl Source {
    /// The snapshot version, `None` when live.
    #[must_use]
    pub fn version(&self) -> Option<i32> {
        match self {
            Source::Snapshot { version, .. } => Some(*version),
            Source::Live(_) => None,
        }
    }
}

/// The source of `month` (a snapshot version, the latest when `version` is `None`, or live
/// when the month is not closed): 404 for a version that does not exist, 422 for a month that
/// has not begun.
pub fn source(
    conn: &mut DbConn,
    engine: &Engine,
    month: Month,
    version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Source, TicketError> {
    if let Some((v, _)) = super::read::version_of(conn, month, version)? {
        return Ok(Source::Snapshot { report_id: v.id, version: v.version });
    }
    let period = Period::new(month, engine.provider().timezone, now);
    if period.start > now {
        return Err(TicketError::invalid("month", format!("{month} has not begun")));
    }
    Ok(Source::Live(period))
}

/// `frist-alfa-as-2026-11-v2.csv`: the organization's name as a slug, the month, the
/// snapshot version when not the first, `-so-far` for a month not closed (`None`).
#[must_use]
pub fn file_name(
    organization: &str,
    month: Month,
    version: Option<i32>,
    extension: &str,
) -> String {
    let mut slug = String::new();
    for c in organization.to_lowercase().chars() {
        let c = match c {
            'æ' => "ae",
            'ø' => "oe",
            'å' => "aa",
            c if c.is_ascii_alphanumeric() => {
                slug.push(c);
                continue;
            }
            _ => "-",
        };
        if c != "-" || !(slug.is_empty() || slug.ends_with('-')) {
            slug.push_str(c);
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "organization" } else { slug };
    let suffix = match version {
        Some(1) => String::new(),
        Some(version) => format!("-v{version}"),
        None => "-so-far".to_owned(),
    };
    format!("frist-{slug}-{month}{suffix}.{extension}")
}

/// Snapshot rows read a page at a time.
const PAGE: i64 = 1000;

/// Writes the CSV of `org`'s rows (every organization's with `None`) from `source` to `out`,
/// a page of snapshot rows at a time; returns `out` flushed. The machine profile of one
/// organization's rows is byte for byte what its footer's SHA-256 is of.
pub fn write_csv<W: Write>(
    conn: &mut DbConn,
    engine: &Engine,
    source: &Source,
    org: Option<i64>,
    profile: Profile,
    out: W,
) -> Result<W, TicketError> {
    let failed = |e: super::csv::CsvError| TicketError::Notification(format!("writing CSV: {e}"));
    let mut writer = Writer::new(out, profile).map_err(failed)?;
    header(&mut writer).map_err(failed)?;
    match source {
        Source::Snapshot { report_id, .. } => {
            let mut after = 0;
            loop {
                let page = db::reports::rows(conn, *report_id, org, after, PAGE)?;
                let Some((last, _)) = page.last() else { break };
                after = *last;
                for (_, stored) in page {
                    row(&mut writer, &snapshot::from_snapshot(stored)?).map_err(failed)?;
                }
            }
        }
        Source::Live(period) => {
            for live_row in live::rows(conn, engine, period, org, Detail::Breaches)? {
                row(&mut writer, &live_row).map_err(failed)?;
            }
        }
    }
    writer.flush().map_err(failed)?;
    writer.into_inner().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_slugs_with_the_month_and_version() {
        let month: Month = "2026-11".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file_name("Alfa AS", month, Some(1), "csv"), "frist-alfa-as-2026-11.csv");
        assert_eq!(file_name("Bær & Ko", month, Some(2), "pdf"), "frist-baer-ko-2026-11-v2.pdf");
        assert_eq!(file_name("!!", month, Some(1), "csv"), "frist-organization-2026-11.csv");
        assert_eq!(file_name("A", month, None, "csv"), "frist-a-2026-11-so-far.csv");
    }
}
