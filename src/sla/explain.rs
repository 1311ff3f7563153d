//! Explain a deadline: the arithmetic step by step, as data and as text (DESIGN §4).
//!
//! The walk here is deliberately plain, date by date, and independent of the year tables that
//! make `due` fast: what it shows a person is recomputed, and its sum is the target.

use std::fmt;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Timelike, Utc};
use serde::Serialize;

use super::calendar::{Calendar, DayKind};
use super::clock::{ClockInput, PauseEffect, evaluate};
use super::error::TimeError;
use super::target::Target;
use super::wall;

/// Dates listed one by one before the walk skips ahead to the end.
const LISTED_DATES: usize = 45;
/// Dates listed before the deadline after a skip.
const TAIL_DATES: u64 = 7;

/// How a deadline came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The calendar's time zone.
    pub timezone: String,
    /// The weekly hours, one entry per weekday with hours, e.g. `mon 08:00-20:00`.
    pub window: Vec<String>,
    /// Holiday sets, and whether holidays are open.
    pub holidays: String,
    /// The clock's start, in the calendar's zone.
    pub start: DateTime<FixedOffset>,
    /// The target.
    pub target: Target,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The deadline before pauses.
    pub base_due: DateTime<FixedOffset>,
    /// The deadline after pauses; `None` while paused.
    pub due: Option<DateTime<FixedOffset>>,
}

/// One step of the arithmetic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// The start is outside open time; counting begins at the next opening.
    StartsClosed {
        /// The next opening.
        next_open: DateTime<FixedOffset>,
    },
    /// Open time consumed on a date.
    Open {
        /// Local date.
        date: NaiveDate,
        /// From.
        from: DateTime<FixedOffset>,
        /// To.
        to: DateTime<FixedOffset>,
        /// Business seconds in this stretch.
        secs: i64,
        /// Business seconds so far.
        total_secs: i64,
    },
    /// A date that is not a business date.
    Skipped {
        /// Local date.
        date: NaiveDate,
        /// Why: no hours that weekday, a named holiday, or a closed date.
        reason: String,
    },
    /// A business date counted towards a business-day target.
    BusinessDay {
        /// Which one (1-based).
        number: i64,
        /// Local date.
        date: NaiveDate,
        /// Its closing instant.
        closes: DateTime<FixedOffset>,
    },
    /// A long stretch summarised.
    Omitted {
        /// First date left out.
        from: NaiveDate,
        /// Last date left out.
        to: NaiveDate,
        /// Business seconds in those dates.
        secs: i64,
        /// Business seconds so far.
        total_secs: i64,
    },
    /// A wait on the customer that moved the deadline.
    Pause {
        /// Wait began.
        from: DateTime<FixedOffset>,
        /// Wait ended; `None` while waiting.
        to: Option<DateTime<FixedOffset>>,
        /// Business seconds paused.
        business_secs: i64,
        /// Deadline before.
        due_before: DateTime<FixedOffset>,
        /// Deadline after; `None` while waiting.
        due_after: Option<DateTime<FixedOffset>>,
    },
}

/// Explains `due(start, target)` without pauses.
pub fn explain_due(
    calendar: &Calendar,
    start: DateTime<Utc>,
    target: Target,
) -> Result<Explanation, TimeError> {
    let due = calendar.due(start, target)?;
    let walker = Walker { calendar, start, due };
    let steps = match target {
        Target::Minutes(_) => walker.open_time()?,
        Target::BusinessDays(days) => walker.business_days(days)?,
    };
    let local = |t| in_zone(calendar, t);
    Ok(Explanation {
        timezone: calendar.spec().timezone.clone(),
        window: window(calendar),
        holidays: holidays(calendar),
        start: local(start),
        target,
        steps,
        base_due: local(due),
        due: Some(local(due)),
    })
}

/// Explains a clock with its pauses.
pub fn explain_clock(
    calendar: &Calendar,
    input: &ClockInput<'_>,
) -> Result<Explanation, TimeError> {
    let mut explanation = explain_due(calendar, input.reported_at, input.target)?;
    let status = evaluate(calendar, input)?;
    let local = |t| in_zone(calendar, t);
    explanation.steps.extend(status.pauses.iter().map(|effect: &PauseEffect| Step::Pause {
        from: local(effect.pause.from),
        to: effect.pause.to.map(local),
        business_secs: effect.business_secs,
        due_before: local(effect.due_before),
        due_after: effect.due_after.map(local),
    }));
    explanation.due = status.due_at.map(local);
    Ok(explanation)
}

struct Walker<'a> {
    calendar: &'a Calendar,
    start: DateTime<Utc>,
    due: DateTime<Utc>,
}

impl Walker<'_> {
    fn local_date(&self, t: DateTime<Utc>) -> Result<NaiveDate, TimeError> {
        wall::local_date(&self.calendar.timezone(), t.timestamp()).ok_or(TimeError::BeyondRange)
    }

    fn open_time(&self) -> Result<Vec<Step>, TimeError> {
        let calendar = self.calendar;
        let local = |t| in_zone(calendar, t);
        let mut steps = Vec::new();
        if !calendar.is_open(self.start)? {
            steps.push(Step::StartsClosed { next_open: local(calendar.next_open(self.start)?) });
        }
        let mut date = self.local_date(self.start)?;
        let last = self.local_date(self.due)?;
        let mut total = 0;
        let mut listed = 0;
        while date <= last {
            if listed == LISTED_DATES && last_minus(last, TAIL_DATES) > date {
                let resume = last_minus(last, TAIL_DATES);
                let from = first_instant(calendar, date).max(self.start);
                let until = first_instant(calendar, resume).max(from);
                let secs = calendar.elapsed(from, until)?;
                total += secs;
                steps.push(Step::Omitted {
                    from: date,
                    to: resume.pred_opt().unwrap_or(resume),
                    secs,
                    total_secs: total,
                });
                date = resume;
            }
            listed += 1;
            match calendar.day_kind(date) {
                DayKind::Business => {
                    for (a, b) in calendar.open_spans_on(date) {
                        let (from, to) = (a.max(self.start), b.min(self.due));
                        if to > from {
                            let secs = (to - from).num_seconds();
                            total += secs;
                            steps.push(Step::Open {
                                date,
                                from: local(from),
                                to: local(to),
                                secs,
                                total_secs: total,
                            });
                        }
                    }
                }
                other => steps.push(Step::Skipped { date, reason: reason(other, date) }),
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        Ok(steps)
    }

    fn business_days(&self, days: i64) -> Result<Vec<Step>, TimeError> {
        let calendar = self.calendar;
        let mut steps = Vec::new();
        let mut date = self.local_date(self.start)?;
        let last = self.local_date(self.due)?;
        let mut number = 0;
        while number < days {
            let Some(next) = date.succ_opt() else { break };
            date = next;
            if steps.len() == LISTED_DATES && days - number > 7 {
                // Jump to the last seven business dates.
                let skip_to = days - 7;
                let resume = self.local_date(calendar.due_business_days(self.start, skip_to)?)?;
                steps.push(Step::Omitted { from: date, to: resume, secs: 0, total_secs: 0 });
                number = skip_to;
                date = resume;
                continue;
            }
            match calendar.day_kind(date) {
                DayKind::Business => {
                    number += 1;
                    steps.push(Step::BusinessDay {
                        number,
                        date,
                        closes: in_zone(calendar, calendar.due_business_days(self.start, number)?),
                    });
                }
                other => steps.push(Step::Skipped { date, reason: reason(other, date) }),
            }
            if date > last {
                break;
            }
        }
        Ok(steps)
    }
}

fn last_minus(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days)).unwrap_or(date)
}

/// The first instant of a local date (its midnight, or the end of a gap over it).
fn first_instant(calendar: &Calendar, date: NaiveDate) -> DateTime<Utc> {
    wall::resolve_on(&calendar.timezone(), date, 0)
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .unwrap_or_default()
}

fn reason(kind: DayKind, date: NaiveDate) -> String {
    match kind {
        DayKind::Business => "business date".to_owned(),
        DayKind::NoHours => format!("no open hours on {}", date.weekday()),
        DayKind::Holiday(name) => format!("public holiday: {name}"),
        DayKind::Closed => "closed date".to_owned(),
    }
}

fn in_zone(calendar: &Calendar, t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&calendar.timezone()).fixed_offset()
}

fn window(calendar: &Calendar) -> Vec<String> {
    calendar
        .spec()
        .hours
        .days()
        .iter()
        .filter(|(_, intervals)| !intervals.is_empty())
        .map(|(day, intervals)| format!("{day} {}", intervals.join(", ")))
        .collect()
}

fn holidays(calendar: &Calendar) -> String {
    let spec = calendar.spec();
    let sets = if spec.holidays.is_empty() {
        "no public holidays".to_owned()
    } else {
        format!("public holidays {}", spec.holidays.join(", "))
    };
    let open =
        if spec.open_on_holidays && !spec.holidays.is_empty() { " (open on holidays)" } else { "" };
    let closed = if spec.closed.is_empty() {
        String::new()
    } else {
        format!("; closed {}", spec.closed.join(", "))
    };
    format!("{sets}{open}{closed}")
}

/// `2h30m`, `45m`, `0m`; seconds when there are any.
fn business(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut text = String::new();
    if h > 0 {
        text.push_str(&format!("{h}h"));
    }
    if m > 0 || (h == 0 && s == 0) {
        text.push_str(&format!("{m}m"));
    }
    if s > 0 {
        text.push_str(&format!("{s}s"));
    }
    text
}

fn when(t: &DateTime<FixedOffset>) -> String {
    format!("{} {} ({})", t.format("%a %Y-%m-%d"), clock_time(t), t.format("%:z"))
}

/// `HH:MM`, with `:SS` only when the seconds are not zero.
fn clock_time(t: &DateTime<FixedOffset>) -> String {
    if t.second() == 0 { t.format("%H:%M").to_string() } else { t.format("%H:%M:%S").to_string() }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Calendar: {}; {}", self.timezone, self.holidays)?;
        writeln!(f, "Open: {}", self.window.join("; "))?;
        writeln!(f, "Start: {}", when(&self.start))?;
        match self.target {
            Target::Minutes(minutes) => {
                writeln!(f, "Target: {} of business time", business(minutes * 60))?;
            }
            Target::BusinessDays(days) => writeln!(
                f,
                "Target: close of business date {days} after {}",
                self.start.date_naive()
            )?,
        }
        for step in &self.steps {
            match step {
                Step::StartsClosed { next_open } => {
                    writeln!(f, "  closed at the start; opens {}", when(next_open))?;
                }
                Step::Open { from, to, secs, total_secs, .. } => writeln!(
                    f,
                    "  {} to {}: {} (total {})",
                    when(from),
                    clock_time(to),
                    business(*secs),
                    business(*total_secs)
                )?,
                Step::Skipped { date, reason } => {
                    writeln!(f, "  {} {date}: skipped, {reason}", date.weekday())?;
                }
                Step::BusinessDay { number, date, closes } => writeln!(
                    f,
                    "  {} {date}: business date {number}, closes {}",
                    date.weekday(),
                    when(closes)
                )?,
                Step::Omitted { from, to, secs, total_secs } if *total_secs > 0 => writeln!(
                    f,
                    "  {from} to {to}: {} in dates not listed (total {})",
                    business(*secs),
                    business(*total_secs)
                )?,
                Step::Omitted { from, to, .. } => {
                    writeln!(f, "  {from} to {to}: dates not listed")?;
                }
                Step::Pause { from, to, business_secs, due_before, due_after } => {
                    let until = to.as_ref().map_or_else(|| "now (still waiting)".to_owned(), when);
                    let moved = due_after.as_ref().map_or_else(
                        || "clock paused".to_owned(),
                        |d| format!("due moves to {}", when(d)),
                    );
                    writeln!(
                        f,
                        "  waiting on customer {} to {until}: {} paused; due was {}, {moved}",
                        when(from),
                        business(*business_secs),
                        when(due_before)
                    )?;
                }
            }
        }
        match &self.due {
            Some(due) => write!(
                f,
                "Due: {} = {}",
                when(due),
                due.with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ")
            ),
            None => write!(f, "Due: paused (was {})", when(&self.base_due)),
        }
    }
}
