//! A month's rows as CSV: one column set, two profiles (machine: RFC 4180, UTC, integer
//! seconds; Excel for Danish and Norwegian: BOM, `;`, decimal comma, local time). The
//! SHA-256 in a report's footer is of the machine profile of its organization's rows.

use std::io::Write;

use sha2::{Digest, Sha256};

use super::csv::{Cell, CsvError, Profile, Writer};
use super::live::ClockRow;

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
