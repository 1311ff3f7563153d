//! A month's clock rows computed from the tickets as they stand: the one computation behind
//! the month so far, the close (snapshot) and every recompute.
//!
//! Candidates come from indexes, never a scan of every ticket: met runs decided since the
//! month's start ([`db::report_month::met_since`]), unmet clocks due since then or frozen by a
//! pause ([`db::report_month::unmet_since`]). Each is placed by [`crate::sla::report::place`].
//! Met runs carry the business time stored when they were met; the engine is walked only
//! for breached and pending rows (overrun, time used at the month's end), and for every row
//! when a snapshot wants the explanation text.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::report_month::{MetClock, TicketFacts};
use crate::db::{self, DbConn};
use crate::sla::clock::{ClockInput, Pause, evaluate};
use crate::sla::explain::explain_clock;
use crate::sla::report::{Month, Outcome, place};
use crate::sla::{ClockKind, Money, Policy, Severity, Target};
use crate::tickets::{Engine, TicketError};

/// The clocks a report counts.
pub const CLOCKS: [ClockKind; 2] = [ClockKind::Response, ClockKind::FixStart];

/// A month and the instant it is read at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The month.
    pub month: Month,
    /// Local 00:00 on the 1st, UTC.
    pub start: DateTime<Utc>,
    /// Local 00:00 on the next 1st, UTC.
    pub end: DateTime<Utc>,
    /// The instant the figures stand at: the end, or now for the month so far.
    pub cut: DateTime<Utc>,
}

impl Period {
    /// `month` in `tz`, read at `now`.
    #[must_use]
    pub fn new(month: Month, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Self {
        let (start, end) = month.bounds(tz);
        Self { month, start, end, cut: end.min(now) }
    }

    /// `true` once the month is over at `cut`.
    #[must_use]
    pub fn is_over(&self) -> bool {
        self.cut >= self.end
    }
}

/// How much of each row to work out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Explanations for breached rows only (pages of the month so far).
    Breaches,
    /// Explanations for every row (a snapshot).
    Full,
}

/// A pause as a report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PauseSpan {
    /// Began.
    pub from: DateTime<Utc>,
    /// Ended (`None`: still waiting at the month's end).
    pub to: Option<DateTime<Utc>>,
    /// Business seconds it paused the clock.
    pub business_secs: i64,
}

/// An escalation as a report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Fired {
    /// `warning`, `breach`, `manager`.
    pub level: String,
    /// When it fired (its computed instant).
    pub at: DateTime<Utc>,
}

/// One ticket x clock run in a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockRow {
    /// Organization.
    pub organization_id: i64,
    /// Ticket.
    pub ticket_id: i64,
    /// Ticket number.
    pub ticket_number: String,
    /// Ticket title.
    pub title: String,
    /// Clock.
    pub clock: ClockKind,
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
    /// Target as written (`2h`, `7bd`).
    pub target: String,
    /// Target in business seconds.
    pub target_secs: i64,
    /// Run start.
    pub started_at: DateTime<Utc>,
    /// Deadline (`None`: frozen by a pause at the month's end).
    pub due_at: Option<DateTime<Utc>>,
    /// Met (before the month's end), if it was.
    pub met_at: Option<DateTime<Utc>>,
    /// Outcome in this month.
    pub outcome: Outcome,
    /// When decided (`None`: pending).
    pub decided_at: Option<DateTime<Utc>>,
    /// Business seconds used, pauses excluded (to the met instant, or the month's end).
    pub used_secs: i64,
    /// Business seconds paused.
    pub paused_secs: i64,
    /// Business seconds past the deadline (0 unless breached).
    pub overrun_secs: i64,
    /// The deadline's explanation, step by step (empty when not worked out).
    pub explanation: String,
    /// Pauses of the run.
    pub pauses: Vec<PauseSpan>,
    /// Escalations of the run.
    pub escalations: Vec<Fired>,
    /// Start-up fee of the ticket.
    pub fee: Option<Money>,
}

impl ClockRow {
    /// Whole seconds everywhere: what is shown, stored and compared (PostgreSQL keeps
    /// microseconds, SQLite nanoseconds; the outcome was decided on the exact instants).
    fn truncate_to_seconds(&mut self) {
        let whole = |t: DateTime<Utc>| DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t);
        self.started_at = whole(self.started_at);
        self.due_at = self.due_at.map(whole);
        self.met_at = self.met_at.map(whole);
        self.decided_at = self.decided_at.map(whole);
        for p in &mut self.pauses {
            p.from = whole(p.from);
            p.to = p.to.map(whole);
        }
        for e in &mut self.escalations {
            e.at = whole(e.at);
        }
    }
}

/// What the month's ticket-level figures are made of, by organization.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    /// Tickets reported in the month.
    pub filed: HashMap<i64, Vec<db::report_month::Filed>>,
    /// Tickets reopened in the month, each once.
    pub reopened: HashMap<i64, u64>,
}

impl Activity {
    /// The tickets `org` filed in the month.
    #[must_use]
    pub fn filed_by(&self, org: i64) -> &[db::report_month::Filed] {
        self.filed.get(&org).map_or(&[], Vec::as_slice)
    }

    /// How many tickets of `org` were reopened in the month.
    #[must_use]
    pub fn reopened_by(&self, org: i64) -> u64 {
        self.reopened.get(&org).copied().unwrap_or_default()
    }
}

/// A compiled policy version with its name and number.
#[derive(Debug, Clone)]
pub struct VersionInfo {
    /// Compiled.
    pub policy: Arc<Policy>,
    /// Version number.
    pub version: i32,
}

/// Policy versions read once per computation.
#[derive(Debug, Default)]
pub struct Versions(HashMap<i64, VersionInfo>);

impl Versions {
    /// The version `id`.
    pub fn get(
        &mut self,
        conn: &mut DbConn,
        engine: &Engine,
        id: i64,
    ) -> Result<VersionInfo, TicketError> {
        if let Some(info) = self.0.get(&id) {
            return Ok(info.clone());
        }
        let policy = engine.policy_version(conn, id)?;
        let version = db::policies::find_version(conn, id)?.map(|v| v.version).unwrap_or_default();
        let info = VersionInfo { policy, version };
        self.0.insert(id, info.clone());
        Ok(info)
    }
}

/// A placed run before the engine fills in what it must.
struct Candidate<'a> {
    facts: &'a TicketFacts,
    clock: ClockKind,
    started_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    met_at: Option<DateTime<Utc>>,
    outcome: Outcome,
    stored: Option<(i64, i64)>,
}

/// The month's rows (within `org`, if given), ordered by ticket number and clock.
pub fn rows(
    conn: &mut DbConn,
    engine: &Engine,
    period: &Period,
    org: Option<i64>,
    detail: Detail,
) -> Result<Vec<ClockRow>, TicketError> {
    let (from, cut) = (db::to_db(period.start), db::to_db(period.cut));
    let met = db::report_month::met_since(conn, from, cut, org)?;
    let unmet = db::report_month::unmet_since(conn, from, cut, org)?;
    let mut versions = Versions::default();
    let mut candidates = Vec::new();
    let mut seen: HashSet<(i64, ClockKind, DateTime<Utc>)> = HashSet::new();
    for (run, facts) in &met {
        if let Some(c) = placed_met(run, facts, period) {
            seen.insert((facts.id, c.clock, c.started_at));
            candidates.push(c);
        }
    }
    for facts in &unmet {
        for clock in CLOCKS {
            let Some(c) = placed_unmet(conn, engine, &mut versions, facts, clock, period)? else {
                continue;
            };
            if seen.insert((facts.id, clock, c.started_at)) {
                candidates.push(c);
            }
        }
    }
    let needs_engine = |c: &Candidate<'_>| detail == Detail::Full || c.outcome != Outcome::Met;
    let walked: Vec<i64> =
        candidates.iter().filter(|c| needs_engine(c)).map(|c| c.facts.id).collect();
    let mut pauses = pauses_of(conn, &walked)?;
    // As known at the cut: a pause that ended after it was still open then, so it freezes
    // the clock (no due instant) rather than moving it by a pause clipped at the cut. A
    // month recomputed after the wait ended must read as the one closed while it lasted.
    for pause in pauses.values_mut().flatten() {
        pause.to = pause.to.filter(|&to| to <= period.cut);
    }
    let fired = escalations_of(conn, &walked)?;
    let mut out = Vec::with_capacity(candidates.len());
    for c in candidates {
        let info = versions.get(conn, engine, c.facts.policy_version_id)?;
        let walk = needs_engine(&c);
        let none = Vec::new();
        let ticket_pauses = if walk { pauses.get(&c.facts.id).unwrap_or(&none) } else { &none };
        let mut row = build(engine, &info, c, ticket_pauses, period, walk)?;
        if walk {
            row.escalations = fired
                .get(&(row.ticket_id, row.clock.as_str().to_owned(), row.started_at))
                .cloned()
                .unwrap_or_default();
        }
        out.push(row);
    }
    for row in &mut out {
        row.truncate_to_seconds();
    }
    out.sort_by(|a, b| {
        (a.organization_id, &a.ticket_number, a.clock, a.started_at).cmp(&(
            b.organization_id,
            &b.ticket_number,
            b.clock,
            b.started_at,
        ))
    });
    Ok(out)
}

/// The tickets filed and reopened in the month (within `org`).
pub fn activity(
    conn: &mut DbConn,
    period: &Period,
    org: Option<i64>,
) -> Result<Activity, TicketError> {
    let (from, cut) = (db::to_db(period.start), db::to_db(period.cut));
    let mut activity = Activity::default();
    for filed in db::report_month::filed_between(conn, from, cut, org)? {
        activity.filed.entry(filed.organization_id).or_default().push(filed);
    }
    for (org, _) in db::report_month::reopened_between(conn, from, cut, org)? {
        *activity.reopened.entry(org).or_default() += 1;
    }
    Ok(activity)
}

fn placed_met<'a>(
    run: &MetClock,
    facts: &'a TicketFacts,
    period: &Period,
) -> Option<Candidate<'a>> {
    let clock = clock_kind(&run.clock)?;
    if !CLOCKS.contains(&clock) {
        return None;
    }
    let started_at = db::from_db(run.started_at);
    let due_at = Some(db::from_db(run.due_at));
    let met_at = Some(db::from_db(run.met_at)).filter(|&m| m < period.cut);
    let outcome = place(started_at, due_at, met_at, (period.start, period.end), period.cut)?;
    let stored = met_at.map(|_| (run.used_secs, run.paused_secs));
    Some(Candidate { facts, clock, started_at, due_at, met_at, outcome, stored })
}

fn placed_unmet<'a>(
    conn: &mut DbConn,
    engine: &Engine,
    versions: &mut Versions,
    facts: &'a TicketFacts,
    clock: ClockKind,
    period: &Period,
) -> Result<Option<Candidate<'a>>, TicketError> {
    let reported = db::from_db(facts.reported_at);
    let (started_at, due_at, met_at) = match clock {
        ClockKind::Response => (reported, facts.response_due_at, facts.response_met_at),
        _ => (
            facts.reopened_at.map_or(reported, db::from_db),
            facts.fix_start_due_at,
            facts.fix_start_met_at,
        ),
    };
    if met_at.is_some() {
        return Ok(None);
    }
    if due_at.is_none() {
        // Frozen by a pause, or no target at all: only the first counts, as pending.
        let info = versions.get(conn, engine, facts.policy_version_id)?;
        if facts.status != "waiting_on_customer" || target_of(engine, &info, facts, clock).is_none()
        {
            return Ok(None);
        }
    }
    let due_at = due_at.map(db::from_db);
    let Some(outcome) = place(started_at, due_at, None, (period.start, period.end), period.cut)
    else {
        return Ok(None);
    };
    Ok(Some(Candidate { facts, clock, started_at, due_at, met_at: None, outcome, stored: None }))
}

/// The target of a ticket's clock under its policy version.
pub fn target_of(
    engine: &Engine,
    info: &VersionInfo,
    facts: &TicketFacts,
    clock: ClockKind,
) -> Option<Target> {
    let severity = Severity::ALL.into_iter().find(|s| s.as_str() == facts.severity)?;
    match clock {
        ClockKind::FixStart => {
            engine.sla().fix_start_target(&info.policy, severity, facts.category == "outage")
        }
        other => info.policy.target(severity, other),
    }
}

fn build(
    engine: &Engine,
    info: &VersionInfo,
    c: Candidate<'_>,
    pauses: &[Pause],
    period: &Period,
    walk: bool,
) -> Result<ClockRow, TicketError> {
    let time = |e| TicketError::time("reported_at", e);
    let target = target_of(engine, info, c.facts, c.clock)
        .ok_or_else(|| TicketError::invalid("severity", "the policy has no target for it"))?;
    let calendar = &info.policy.calendar;
    let input = ClockInput {
        reported_at: c.started_at,
        target,
        pauses,
        met_at: c.met_at,
        now: period.cut,
        warning_percent: info.policy.spec.thresholds.warning_percent,
    };
    let mut row = ClockRow {
        organization_id: c.facts.organization_id,
        ticket_id: c.facts.id,
        ticket_number: c.facts.number.clone(),
        title: c.facts.title.clone(),
        clock: c.clock,
        severity: c.facts.severity.clone(),
        category: c.facts.category.clone(),
        policy_name: info.policy.name.clone(),
        policy_version: info.version,
        policy_version_id: c.facts.policy_version_id,
        target: target.to_string(),
        target_secs: 0,
        started_at: c.started_at,
        due_at: c.due_at,
        met_at: c.met_at,
        outcome: c.outcome,
        decided_at: None,
        used_secs: 0,
        paused_secs: 0,
        overrun_secs: 0,
        explanation: String::new(),
        pauses: Vec::new(),
        escalations: Vec::new(),
        fee: match (c.facts.fee_minor, &c.facts.fee_currency) {
            (Some(minor), Some(currency)) => Some(Money { minor, currency: currency.clone() }),
            _ => None,
        },
    };
    if walk {
        let status = evaluate(calendar, &input).map_err(time)?;
        row.target_secs = status.budget_secs;
        row.used_secs = status.used_secs.max(0);
        row.paused_secs = status.paused_secs.max(0);
        row.due_at = status.due_at;
        row.pauses = status
            .pauses
            .iter()
            .map(|p| PauseSpan {
                from: p.pause.from,
                to: p.pause.to.filter(|&to| to <= period.cut),
                business_secs: p.business_secs,
            })
            .collect();
        row.explanation = explain_clock(calendar, &input).map_err(time)?.to_string();
    } else {
        let base = calendar.due(c.started_at, target).map_err(time)?;
        row.target_secs = calendar.elapsed(c.started_at, base).map_err(time)?;
        (row.used_secs, row.paused_secs) = c.stored.unwrap_or_default();
    }
    if row.outcome == Outcome::Breached {
        row.overrun_secs = (row.used_secs - row.target_secs).max(0);
    }
    row.decided_at = match row.outcome {
        Outcome::Met => row.met_at,
        Outcome::Breached => row.due_at,
        Outcome::Pending => None,
    };
    Ok(row)
}

fn clock_kind(name: &str) -> Option<ClockKind> {
    ClockKind::ALL.into_iter().find(|k| k.as_str() == name)
}

fn pauses_of(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, Vec<Pause>>, TicketError> {
    let mut unique: Vec<i64> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut out: HashMap<i64, Vec<Pause>> = HashMap::new();
    for chunk in unique.chunks(5000) {
        for row in db::pauses::for_tickets(conn, chunk)? {
            out.entry(row.ticket_id).or_default().push(crate::tickets::actions::pause(&row));
        }
    }
    Ok(out)
}

type FiredKey = (i64, String, DateTime<Utc>);

fn escalations_of(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<HashMap<FiredKey, Vec<Fired>>, TicketError> {
    let mut unique: Vec<i64> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut out: HashMap<FiredKey, Vec<Fired>> = HashMap::new();
    for (ticket, clock, started, level, fired) in db::report_month::escalations_of(conn, &unique)? {
        out.entry((ticket, clock, db::from_db(started)))
            .or_default()
            .push(Fired { level, at: db::from_db(fired) });
    }
    Ok(out)
}
