//! Reading a month: one organization's report, or the overview of all of them. A closed
//! month is read from its snapshot (the latest version, or the one asked for); any other
//! month is computed live, "so far" for the current one.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{self, DbConn};
use crate::sla::report::{Month, Outcome};
use crate::tickets::{Engine, TicketError};

use super::causes::{self, CauseView};
use super::export;
use super::figures::Figures;
use super::live::{self, ClockRow, Detail, Period};
use super::snapshot::{self, RowChange};

/// Where a month's figures come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReportState {
    /// The current month, computed live up to `as_of`.
    SoFar {
        /// The instant the figures stand at.
        as_of: DateTime<Utc>,
    },
    /// A month that is over but not closed yet, computed live.
    Open {
        /// The instant it was computed.
        as_of: DateTime<Utc>,
    },
    /// A closed month, read from a snapshot version.
    Closed {
        /// The version shown.
        version: i32,
        /// The newest version.
        latest: i32,
        /// When the version was computed.
        computed_at: DateTime<Utc>,
        /// Why it was recomputed (empty for version 1).
        reason: String,
    },
}

/// A row with its cause.
#[derive(Debug, Clone, Serialize)]
pub struct RowView {
    /// The row.
    #[serde(flatten)]
    pub row: ClockRow,
    /// Its cause, when breached and one was set.
    pub cause: Option<CauseView>,
}

/// One organization's month.
#[derive(Debug, Clone, Serialize)]
pub struct MonthReport {
    /// `2026-11`.
    pub month: Month,
    /// "November 2026", "November 2026, version 2", "December 2026 so far".
    pub title: String,
    /// Where it comes from.
    pub state: ReportState,
    /// The figures.
    pub figures: Figures,
    /// Every row, ordered by ticket and clock.
    pub rows: Vec<RowView>,
    /// Breaches per cause (`none` for those without one yet).
    pub causes: BTreeMap<String, u64>,
    /// SHA-256 of its CSV (machine profile).
    pub csv_sha256: String,
    /// For an amendment: the rows that differ from the version before.
    pub changes: Vec<RowChange>,
}

impl MonthReport {
    /// The breached rows.
    pub fn breaches(&self) -> impl Iterator<Item = &RowView> {
        self.rows.iter().filter(|r| r.row.outcome == Outcome::Breached)
    }

    /// The pending rows.
    pub fn pending(&self) -> impl Iterator<Item = &RowView> {
        self.rows.iter().filter(|r| r.row.outcome == Outcome::Pending)
    }
}

/// All organizations' month.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// `2026-11`.
    pub month: Month,
    /// Its title.
    pub title: String,
    /// Where it comes from.
    pub state: ReportState,
    /// Per organization, by name.
    pub organizations: Vec<Figures>,
    /// Added up.
    pub total: Figures,
}

/// A version of a month (for the month picker and the API).
#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    /// `2026-11`.
    pub month: String,
    /// Number.
    pub version: i32,
    /// When computed.
    pub computed_at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

fn title(month: Month, state: &ReportState) -> String {
    match state {
        ReportState::SoFar { .. } => format!("{} so far", month.title()),
        ReportState::Open { .. } => format!("{} (not closed yet)", month.title()),
        ReportState::Closed { version: 1, .. } => month.title(),
        ReportState::Closed { version, .. } => format!("{}, version {version}", month.title()),
    }
}

/// The snapshot version to read, if the month is closed: the one asked for, or the latest.
pub(super) fn version_of(
    conn: &mut DbConn,
    month: Month,
    wanted: Option<i32>,
) -> Result<Option<(db::reports::ReportVersion, i32)>, TicketError> {
    let versions = db::reports::versions(conn, &month.to_string())?;
    let Some(latest) = versions.last().map(|v| v.version) else {
        return match wanted {
            Some(_) => Err(TicketError::NotFound("report version")),
            None => Ok(None),
        };
    };
    let chosen = match wanted {
        Some(n) => versions.into_iter().find(|v| v.version == n),
        None => versions.into_iter().last(),
    };
    chosen.map(|v| Some((v, latest))).ok_or(TicketError::NotFound("report version"))
}

fn closed_state(v: &db::reports::ReportVersion, latest: i32) -> ReportState {
    ReportState::Closed {
        version: v.version,
        latest,
        computed_at: db::from_db(v.computed_at),
        reason: v.reason.clone(),
    }
}

fn live_state(period: &Period, now: DateTime<Utc>) -> ReportState {
    if period.is_over() {
        ReportState::Open { as_of: now }
    } else {
        ReportState::SoFar { as_of: now }
    }
}

/// The versions of every closed month, newest first.
pub fn versions(conn: &mut DbConn, month: Month) -> Result<Vec<VersionSummary>, TicketError> {
    Ok(db::reports::versions(conn, &month.to_string())?
        .into_iter()
        .rev()
        .map(|v| VersionSummary {
            month: v.month,
            version: v.version,
            computed_at: db::from_db(v.computed_at),
            reason: v.reason,
        })
        .collect())
}

/// One organization's month: from its snapshot when closed, live otherwise.
pub fn organization(
    conn: &mut DbConn,
    engine: &Engine,
    month: Month,
    org: i64,
    version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<MonthReport, TicketError> {
    let organization = db::organizations::find(conn, org)?
        .filter(|o| !o.is_provider)
        .ok_or(TicketError::NotFound("organization"))?;
    let (state, figures, rows, changes, stored_sha) = match version_of(conn, month, version)? {
        Some((v, latest)) => {
            let stored = db::reports::organizations(conn, v.id, Some(org))?;
            // The hash written at the close is of exactly these rows' CSV.
            let stored_sha = stored.first().map(|s| s.csv_sha256.clone());
            let figures = match stored.first() {
                Some(s) => serde_json::from_str(&s.figures)
                    .map_err(|e| TicketError::invalid("figures", e.to_string()))?,
                None => Figures {
                    organization_id: org,
                    organization_name: organization.name.clone(),
                    ..Figures::default()
                },
            };
            let rows = snapshot::stored_rows(conn, v.id, Some(org))?;
            let changes = amendment_changes(conn, month, v.version, org, &rows)?;
            (closed_state(&v, latest), figures, rows, changes, stored_sha)
        }
        None => {
            let period = Period::new(month, engine.provider().timezone, now);
            if period.start > now {
                return Err(TicketError::invalid("month", format!("{month} has not begun")));
            }
            let rows = live::rows(conn, engine, &period, Some(org), Detail::Breaches)?;
            let activity = live::activity(conn, &period, Some(org))?;
            let refs: Vec<&ClockRow> = rows.iter().collect();
            let currency = engine.provider().spec.currency.clone();
            let figures = Figures::of(org, &organization.name, &refs, &activity, &currency);
            (live_state(&period, now), figures, rows, Vec::new(), None)
        }
    };
    let csv_sha256 = match stored_sha {
        Some(sha) => sha,
        None => {
            export::sha256(rows.iter()).map_err(|e| TicketError::Notification(e.to_string()))?
        }
    };
    let (rows, counts) = with_causes(conn, rows)?;
    Ok(MonthReport {
        month,
        title: title(month, &state),
        state,
        figures,
        rows,
        causes: counts,
        csv_sha256,
        changes,
    })
}

/// The rows with the causes set on their breaches, and the breaches per cause (`none` for
/// those without one yet).
fn with_causes(
    conn: &mut DbConn,
    rows: Vec<ClockRow>,
) -> Result<(Vec<RowView>, BTreeMap<String, u64>), TicketError> {
    let ids: Vec<i64> =
        rows.iter().filter(|r| r.outcome == Outcome::Breached).map(|r| r.ticket_id).collect();
    let mut causes_set = causes::of_tickets(conn, &ids)?;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let rows = rows
        .into_iter()
        .map(|row| {
            let cause = (row.outcome == Outcome::Breached)
                .then(|| causes_set.remove(&(row.ticket_id, row.clock, row.started_at)))
                .flatten();
            if row.outcome == Outcome::Breached {
                let key = cause.as_ref().map_or("none", |c| c.cause.as_str());
                *counts.entry(key.to_owned()).or_default() += 1;
            }
            RowView { row, cause }
        })
        .collect();
    Ok((rows, counts))
}

/// The rows of version `version` that differ from the version before, within `org`.
fn amendment_changes(
    conn: &mut DbConn,
    month: Month,
    version: i32,
    org: i64,
    rows: &[ClockRow],
) -> Result<Vec<RowChange>, TicketError> {
    if version <= 1 {
        return Ok(Vec::new());
    }
    let Some((before, _)) = version_of(conn, month, Some(version - 1))? else {
        return Ok(Vec::new());
    };
    let before = snapshot::stored_rows(conn, before.id, Some(org))?;
    Ok(snapshot::differences(&before, rows))
}

/// Every customer organization's month.
pub fn overview(
    conn: &mut DbConn,
    engine: &Engine,
    month: Month,
    version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Overview, TicketError> {
    let currency = engine.provider().spec.currency.clone();
    let (state, organizations) = match version_of(conn, month, version)? {
        Some((v, latest)) => {
            let mut organizations = Vec::new();
            for stored in db::reports::organizations(conn, v.id, None)? {
                organizations.push(
                    serde_json::from_str::<Figures>(&stored.figures)
                        .map_err(|e| TicketError::invalid("figures", e.to_string()))?,
                );
            }
            (closed_state(&v, latest), organizations)
        }
        None => {
            let (overview, _) = live_overview(conn, engine, month, now)?;
            return Ok(overview);
        }
    };
    let total = Figures::total(&organizations, &currency);
    Ok(Overview { month, title: title(month, &state), state, organizations, total })
}

/// A month that is not closed, computed live: every customer's figures, and the rows they
/// come from.
fn live_overview(
    conn: &mut DbConn,
    engine: &Engine,
    month: Month,
    now: DateTime<Utc>,
) -> Result<(Overview, Vec<ClockRow>), TicketError> {
    let currency = engine.provider().spec.currency.clone();
    let period = Period::new(month, engine.provider().timezone, now);
    if period.start > now {
        return Err(TicketError::invalid("month", format!("{month} has not begun")));
    }
    let rows = live::rows(conn, engine, &period, None, Detail::Breaches)?;
    let activity = live::activity(conn, &period, None)?;
    let mut by_org: HashMap<i64, Vec<&ClockRow>> = HashMap::new();
    for row in &rows {
        by_org.entry(row.organization_id).or_default().push(row);
    }
    let organizations: Vec<Figures> = snapshot::customers(conn)?
        .into_iter()
        .map(|(id, name)| {
            let own = by_org.remove(&id).unwrap_or_default();
            Figures::of(id, &name, &own, &activity, &currency)
        })
        .collect();
    let state = live_state(&period, now);
    let total = Figures::total(&organizations, &currency);
    let overview = Overview { month, title: title(month, &state), state, organizations, total };
    Ok((overview, rows))
}

/// The current month so far over all customers, with its rows and their causes: what the
/// manager's home shows, from one computation of the month.
pub fn so_far(
    conn: &mut DbConn,
    engine: &Engine,
    now: DateTime<Utc>,
) -> Result<(Overview, Vec<RowView>), TicketError> {
    let month = Month::containing(now, engine.provider().timezone);
    let (overview, rows) = live_overview(conn, engine, month, now)?;
    let (rows, _) = with_causes(conn, rows)?;
    Ok((overview, rows))
}

/// The closed months, newest first, with their latest version.
pub fn closed_months(conn: &mut DbConn) -> Result<Vec<(Month, i32)>, TicketError> {
    Ok(db::reports::closed_months(conn)?
        .into_iter()
        .filter_map(|(m, v)| m.parse::<Month>().ok().map(|m| (m, v)))
        .collect())
}
