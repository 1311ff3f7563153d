//! Pause-aware evaluation of one SLA clock (DESIGN §4).
//!
//! A clock starts at `reported_at` with a target of business time. Each pause (waiting on the
//! customer) that begins before the deadline moves the deadline by the business time it
//! lasted; a pause still open freezes the clock. A met clock is judged against the deadline as
//! it stood when it was met.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::calendar::Calendar;
use super::error::TimeError;
use super::target::Target;

/// A span in which the ticket waited on the customer; `to == None` while still waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pause {
    /// When the wait began.
    pub from: DateTime<Utc>,
    /// When it ended, if it has.
    pub to: Option<DateTime<Utc>>,
}

/// Everything a clock's state depends on.
#[derive(Debug, Clone, Copy)]
pub struct ClockInput<'a> {
    /// When the clock started.
    pub reported_at: DateTime<Utc>,
    /// The business time it has.
    pub target: Target,
    /// Waits on the customer, in any order.
    pub pauses: &'a [Pause],
    /// When the clock was met, if it was.
    pub met_at: Option<DateTime<Utc>>,
    /// The evaluation instant.
    pub now: DateTime<Utc>,
    /// Share of the target at which a running clock turns to warning.
    pub warning_percent: u32,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Running, less than the warning share used.
    Ok,
    /// Running, at least the warning share used.
    Warning,
    /// Met late, or unmet past its deadline.
    Breached,
    /// Met in time.
    Met,
    /// Frozen while the ticket waits on the customer.
    Paused,
}

/// How one pause moved the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PauseEffect {
    /// The pause.
    pub pause: Pause,
    /// Business seconds it lasted (so far, if still open).
    pub business_secs: i64,
    /// The deadline before it.
    pub due_before: DateTime<Utc>,
    /// The deadline after it; `None` while it is open.
    pub due_after: Option<DateTime<Utc>>,
}

/// The evaluated clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockStatus {
    /// Where it stands.
    pub state: ClockState,
    /// The deadline with pauses applied; `None` while paused.
    pub due_at: Option<DateTime<Utc>>,
    /// The deadline without pauses.
    pub base_due_at: DateTime<Utc>,
    /// The target as business seconds (for business days: the open time up to the base due).
    pub budget_secs: i64,
    /// Business seconds used, pauses excluded, up to the met instant or now.
    pub used_secs: i64,
    /// `budget - used`; negative once overdue.
    pub remaining_secs: i64,
    /// Business seconds spent paused.
    pub paused_secs: i64,
    /// The pauses that moved (or froze) the deadline.
    pub pauses: Vec<PauseEffect>,
}

/// Evaluates a clock on a calendar.
pub fn evaluate(calendar: &Calendar, input: &ClockInput<'_>) -> Result<ClockStatus, TimeError> {
    let base_due_at = calendar.due(input.reported_at, input.target)?;
    let budget_secs = calendar.elapsed(input.reported_at, base_due_at)?;
    // The clock stops when met; nothing after that moves it.
    let stop = input.met_at.unwrap_or(input.now).max(input.reported_at);
    let pauses = effective_pauses(input.pauses, input.reported_at, stop, input.met_at.is_some())?;

    let moved = move_by_pauses(calendar, base_due_at, &pauses, stop)?;
    let (due, frozen, paused_secs, effects) =
        (moved.due, moved.frozen, moved.paused_secs, moved.effects);

    let used_secs = calendar.elapsed(input.reported_at, stop)? - paused_secs;
    let state = match input.met_at {
        Some(met) if met <= due => ClockState::Met,
        Some(_) => ClockState::Breached,
        None if frozen => ClockState::Paused,
        None if input.now > due => ClockState::Breached,
        None if used_secs * 100 >= budget_secs * i64::from(input.warning_percent) => {
            ClockState::Warning
        }
        None => ClockState::Ok,
    };
    Ok(ClockStatus {
        state,
        due_at: (!frozen || input.met_at.is_some()).then_some(due),
        base_due_at,
        budget_secs,
        used_secs,
        remaining_secs: budget_secs - used_secs,
        paused_secs,
        pauses: effects,
    })
}

/// The instant at which a running clock will have used `percent` of its target (100: its
/// deadline; 75: the warning; 150: the manager escalation), with the pauses so far applied.
/// `None` when the clock is met or frozen by an open pause: no threshold lies ahead of it as
/// things stand. The instant is the first at which `used * 100 >= budget * percent`.
pub fn threshold_at(
    calendar: &Calendar,
    input: &ClockInput<'_>,
    percent: u32,
) -> Result<Option<DateTime<Utc>>, TimeError> {
    if input.met_at.is_some() {
        return Ok(None);
    }
    let base_due_at = calendar.due(input.reported_at, input.target)?;
    let base = if percent == 100 {
        base_due_at
    } else {
        let budget_secs = calendar.elapsed(input.reported_at, base_due_at)?;
        let share = (budget_secs * i64::from(percent) + 99) / 100;
        calendar.due_secs(input.reported_at, share)?
    };
    let stop = input.now.max(input.reported_at);
    let pauses = effective_pauses(input.pauses, input.reported_at, stop, false)?;
    let moved = move_by_pauses(calendar, base, &pauses, stop)?;
    Ok((!moved.frozen).then_some(moved.due))
}

/// A deadline after the pauses that began before it.
struct Moved {
    due: DateTime<Utc>,
    frozen: bool,
    paused_secs: i64,
    effects: Vec<PauseEffect>,
}

/// Moves `due` by each pause (sorted, merged) that begins before it, by the business time
/// the pause lasted; an open pause (lasting until `stop`) freezes it.
fn move_by_pauses(
    calendar: &Calendar,
    mut due: DateTime<Utc>,
    pauses: &[Pause],
    stop: DateTime<Utc>,
) -> Result<Moved, TimeError> {
    let mut frozen = false;
    let mut paused_secs = 0;
    let mut effects = Vec::new();
    for &pause in pauses {
        if pause.from >= due {
            break;
        }
        let end = pause.to.unwrap_or(stop);
        let business_secs = calendar.elapsed(pause.from, end)?;
        paused_secs += business_secs;
        let still_open = pause.to.is_none();
        let due_after = if still_open {
            frozen = true;
            None
        } else if business_secs > 0 {
            Some(calendar.due_secs(due, business_secs)?)
        } else {
            Some(due)
        };
        effects.push(PauseEffect { pause, business_secs, due_before: due, due_after });
        match due_after {
            Some(after) => due = after,
            None => break,
        }
    }
    Ok(Moved { due, frozen, paused_secs, effects })
}

/// Pauses sorted, clipped to `[reported_at, stop]`, overlaps merged; an open pause is
/// closed at `stop` only when the clock was met (then it no longer matters).
fn effective_pauses(
    pauses: &[Pause],
    reported_at: DateTime<Utc>,
    stop: DateTime<Utc>,
    met: bool,
) -> Result<Vec<Pause>, TimeError> {
    let mut sorted: Vec<Pause> = Vec::with_capacity(pauses.len());
    for pause in pauses {
        if pause.to.is_some_and(|to| to < pause.from) {
            return Err(TimeError::EndBeforeStart);
        }
        // A pause that ended before the clock started moves nothing (a reopened ticket's
        // fix-start clock starts after earlier pauses).
        if pause.to.is_some_and(|to| to <= reported_at) {
            continue;
        }
        let from = pause.from.max(reported_at);
        // A pause still open freezes the clock from its first instant, even when that is now.
        let open_now = pause.to.is_none() && !met;
        if from > stop || (from == stop && !open_now) {
            continue;
        }
        let to = match pause.to {
            Some(to) => Some(to.min(stop)),
            None if met => Some(stop),
            None => None,
        };
        sorted.push(Pause { from, to });
    }
    sorted.sort_by_key(|p| p.from);
    let mut merged: Vec<Pause> = Vec::with_capacity(sorted.len());
    for pause in sorted {
        match merged.last_mut() {
            Some(last) if last.to.is_none_or(|to| pause.from <= to) => {
                last.to = match (last.to, pause.to) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => merged.push(pause),
        }
    }
    Ok(merged)
}
