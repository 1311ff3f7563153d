//! The deadlines stored on a ticket, computed from its history by the engine: reported_at,
//! the policy version, severity and category, pauses, met instants, reopening and status.
//! Pure: the caller passes `now` (it only matters for a pause still open).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::sla::clock::{self, ClockInput, ClockStatus, Pause};
use crate::sla::{ClockKind, Level, Policy, Severity, Sla, Target, TimeError};

/// What the deadlines of one ticket depend on.
#[derive(Debug, Clone)]
pub struct History<'a> {
    /// Clock start.
    pub reported_at: DateTime<Utc>,
    /// Severity.
    pub severity: Severity,
    /// An outage of a service the provider owns (seed 004's 4 h fix-start rule).
    pub provider_owned_outage: bool,
    /// Last reopening: fix start runs again from here.
    pub reopened_at: Option<DateTime<Utc>>,
    /// Waiting-on-customer spans.
    pub pauses: &'a [Pause],
    /// When response was met.
    pub response_met_at: Option<DateTime<Utc>>,
    /// When the fix started.
    pub fix_start_met_at: Option<DateTime<Utc>>,
    /// When resolved (stops the resolve clock).
    pub resolved_at: Option<DateTime<Utc>>,
    /// Open or waiting (clocks run); resolved and closed tickets have no running clock.
    pub active: bool,
}

/// One clock of a ticket: its target and its state now.
#[derive(Debug, Clone, Serialize)]
pub struct ClockView {
    /// Which clock.
    pub clock: ClockKind,
    /// The target, e.g. `2h`.
    pub target: String,
    /// Where it starts (reported_at, or the reopening for fix start).
    pub started_at: DateTime<Utc>,
    /// Engine result.
    pub status: ClockStatus,
    /// When it was met.
    pub met_at: Option<DateTime<Utc>>,
}

/// The stored deadline columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    /// Response due (`None`: no target, or paused).
    pub response_due_at: Option<DateTime<Utc>>,
    /// Fix start due.
    pub fix_start_due_at: Option<DateTime<Utc>>,
    /// Resolve due.
    pub resolve_due_at: Option<DateTime<Utc>>,
    /// Nearest deadline of a clock still running.
    pub next_due_at: Option<DateTime<Utc>>,
}

/// The target of each clock for this ticket.
#[must_use]
pub fn target(
    sla: &Sla,
    policy: &Policy,
    history: &History<'_>,
    kind: ClockKind,
) -> Option<Target> {
    match kind {
        ClockKind::FixStart => {
            sla.fix_start_target(policy, history.severity, history.provider_owned_outage)
        }
        other => policy.target(history.severity, other),
    }
}

/// The engine's input for each clock of the ticket that has a target, at `now`.
fn inputs<'a>(
    sla: &Sla,
    policy: &Policy,
    history: &History<'a>,
    now: DateTime<Utc>,
) -> impl Iterator<Item = (ClockKind, Target, ClockInput<'a>)> {
    let pauses = history.pauses;
    let warning_percent = policy.spec.thresholds.warning_percent;
    ClockKind::ALL.into_iter().filter_map(move |kind| {
        let target = target(sla, policy, history, kind)?;
        let (reported_at, met_at) = match kind {
            ClockKind::Response => (history.reported_at, history.response_met_at),
            ClockKind::FixStart => {
                (history.reopened_at.unwrap_or(history.reported_at), history.fix_start_met_at)
            }
            ClockKind::Resolve => (history.reported_at, history.resolved_at),
        };
        Some((
            kind,
            target,
            ClockInput { reported_at, target, pauses, met_at, now, warning_percent },
        ))
    })
}

/// An instant at which a running clock reaches an escalation level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Threshold {
    /// Which clock.
    pub clock: ClockKind,
    /// Which level.
    pub level: Level,
    /// Start of the clock run (identifies the run: fix start runs again after a reopening).
    pub started_at: DateTime<Utc>,
    /// The computed instant.
    pub at: DateTime<Utc>,
    /// The share of the target used at that instant.
    pub percent: u32,
}

/// Every escalation threshold of the clocks still running, as the pauses so far leave them:
/// none for a closed or resolved ticket, a met clock, or a clock frozen by an open pause.
pub fn thresholds(
    sla: &Sla,
    policy: &Policy,
    history: &History<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Threshold>, TimeError> {
    let mut out = Vec::new();
    if !history.active {
        return Ok(out);
    }
    for (clock, _, input) in inputs(sla, policy, history, now) {
        for level in Level::ALL {
            let percent = level.percent(&policy.spec.thresholds);
            if let Some(at) = clock::threshold_at(&policy.calendar, &input, percent)? {
                out.push(Threshold { clock, level, started_at: input.reported_at, at, percent });
            }
        }
    }
    Ok(out)
}

/// Every clock with a target, evaluated at `now`.
pub fn clocks(
    sla: &Sla,
    policy: &Policy,
    history: &History<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<ClockView>, TimeError> {
    let mut views = Vec::new();
    for (kind, target, input) in inputs(sla, policy, history, now) {
        views.push(ClockView {
            clock: kind,
            target: target.to_string(),
            started_at: input.reported_at,
            status: clock::evaluate(&policy.calendar, &input)?,
            met_at: input.met_at,
        });
    }
    Ok(views)
}

/// The deadline columns for this history.
pub fn stamp(
    sla: &Sla,
    policy: &Policy,
    history: &History<'_>,
    now: DateTime<Utc>,
) -> Result<Deadlines, TimeError> {
    let mut deadlines = Deadlines::default();
    for view in clocks(sla, policy, history, now)? {
        let due = view.status.due_at;
        match view.clock {
            ClockKind::Response => deadlines.response_due_at = due,
            ClockKind::FixStart => deadlines.fix_start_due_at = due,
            ClockKind::Resolve => deadlines.resolve_due_at = due,
        }
        if history.active && view.met_at.is_none() {
            deadlines.next_due_at = match (deadlines.next_due_at, due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    Ok(deadlines)
}
