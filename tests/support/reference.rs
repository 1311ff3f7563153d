//! A slow, obviously-correct reference for business time (DESIGN §3), to check the engine
//! against in property tests and benchmarks.
//!
//! It shares no code with the engine's calendar: it reads the [`CalendarSpec`] itself and walks
//! local dates one at a time. For each business date it turns every weekly interval into UTC
//! bounds with its own `R(w) = min{u : wall(u) >= w}` and then consumes open time interval by
//! interval. Only the public-holiday rules come from the crate ([`HolidaySet::holidays`]).
//!
//! Instants are whole Unix seconds. An answer that would fall after the local year
//! [`LAST_YEAR`] does not exist (`None`), as the engine answers `BeyondRange` there.
//!
//! Include it with `#[path = "../tests/support/reference.rs"] mod reference;` (benches) or
//! `#[path = "support/reference.rs"] mod reference;` (tests).

#![allow(dead_code, reason = "shared by tests and benches, each of which uses a different part")]

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone};
use chrono_tz::Tz;
use frist::sla::{CalendarSpec, HolidaySet};

/// The last local year in which an answer may fall (the engine's supported range).
pub const LAST_YEAR: i32 = 2300;

/// The smallest `T` such that `[start, T)` holds `secs` seconds of open time; with `secs == 0`
/// the first open instant at or after `start`. `None` if there is no such `T` up to
/// [`LAST_YEAR`] (or `secs` is negative).
#[must_use]
pub fn due_secs(spec: &CalendarSpec, start: i64, secs: i64) -> Option<i64> {
    if secs < 0 {
        return None;
    }
    let mut model = Model::new(spec);
    let mut remaining = secs;
    let mut date = model.local_date(start).pred_opt()?;
    while date.year() <= LAST_YEAR {
        for (open, close) in model.open_intervals(date) {
            let from = open.max(start);
            if close <= from {
                // Over before `start`, or an interval swallowed by a DST gap.
                continue;
            }
            let length = close - from;
            if remaining <= length {
                return Some(from + remaining);
            }
            remaining -= length;
        }
        date = date.succ_opt()?;
    }
    None
}

/// The closing instant of the last interval of the `days`-th business date strictly after the
/// local date of `start`. `None` for `days < 1` or past [`LAST_YEAR`].
#[must_use]
pub fn due_business_days(spec: &CalendarSpec, start: i64, days: i64) -> Option<i64> {
    if days < 1 {
        return None;
    }
    let mut model = Model::new(spec);
    let mut date = model.local_date(start);
    let mut counted = 0;
    loop {
        date = date.succ_opt()?;
        if date.year() > LAST_YEAR {
            return None;
        }
        if model.is_business_date(date) {
            counted += 1;
            if counted == days {
                return model.open_intervals(date).last().map(|&(_, close)| close);
            }
        }
    }
}

/// Open time inside `[a, b)`, in seconds (0 when `b <= a`).
#[must_use]
pub fn elapsed(spec: &CalendarSpec, a: i64, b: i64) -> i64 {
    let mut model = Model::new(spec);
    let (first, last) = dates_around(&model, a, b);
    let mut total = 0;
    for date in first.iter_days().take_while(|&d| d <= last) {
        for (open, close) in model.open_intervals(date) {
            total += (close.min(b) - open.max(a)).max(0);
        }
    }
    total
}

/// Whether `t` is open time (an opening instant is, a closing instant is not).
#[must_use]
pub fn is_open(spec: &CalendarSpec, t: i64) -> bool {
    let mut model = Model::new(spec);
    let (first, last) = dates_around(&model, t, t);
    first
        .iter_days()
        .take_while(|&d| d <= last)
        .any(|date| model.open_intervals(date).iter().any(|&(open, close)| open <= t && t < close))
}

/// The first `count` stretches of open time at or after `from`, clipped to start at `from`,
/// one per non-empty interval (touching intervals are not merged), in order.
#[must_use]
pub fn open_pieces(spec: &CalendarSpec, from: i64, count: usize) -> Vec<(i64, i64)> {
    let mut model = Model::new(spec);
    let mut pieces = Vec::new();
    let Some(mut date) = model.local_date(from).pred_opt() else {
        return pieces;
    };
    while pieces.len() < count && date.year() <= LAST_YEAR {
        for (open, close) in model.open_intervals(date) {
            let open = open.max(from);
            if open < close && pieces.len() < count {
                pieces.push((open, close));
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    pieces
}

/// Whether a local date is a business date.
#[must_use]
pub fn is_business_date(spec: &CalendarSpec, date: NaiveDate) -> bool {
    Model::new(spec).is_business_date(date)
}

/// Local dates from the day before `a`'s to the day after `b`'s: every interval that can
/// meet `[a, b]` belongs to one of them.
fn dates_around(model: &Model, a: i64, b: i64) -> (NaiveDate, NaiveDate) {
    let first = model.local_date(a);
    let last = model.local_date(b.max(a));
    let before = first.pred_opt().unwrap_or(first);
    let after = last.succ_opt().unwrap_or(last);
    (before, after)
}

/// The calendar as the reference reads it.
struct Model {
    tz: Tz,
    /// Weekly intervals, Monday first, as seconds after local midnight (`24:00` = 86 400).
    week: [Vec<(i64, i64)>; 7],
    closed: HashSet<NaiveDate>,
    holiday_sets: Vec<HolidaySet>,
    open_on_holidays: bool,
    /// Holidays of every set, by year, filled on first use.
    holidays_by_year: HashMap<i32, HashSet<NaiveDate>>,
}

impl Model {
    /// Reads a spec; panics on one the engine would reject (a test input error).
    fn new(spec: &CalendarSpec) -> Self {
        let tz: Tz = spec
            .timezone
            .parse()
            .unwrap_or_else(|_| panic!("reference: unknown time zone {:?}", spec.timezone));
        let mut week: [Vec<(i64, i64)>; 7] = Default::default();
        for (slot, (_, intervals)) in week.iter_mut().zip(spec.hours.days()) {
            *slot = intervals.iter().map(|text| parse_interval(text)).collect();
        }
        let closed = spec
            .closed
            .iter()
            .map(|text| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .unwrap_or_else(|_| panic!("reference: bad closed date {text:?}"))
            })
            .collect();
        let holiday_sets = spec
            .holidays
            .iter()
            .map(|code| {
                HolidaySet::from_code(code)
                    .unwrap_or_else(|| panic!("reference: unknown holiday set {code:?}"))
            })
            .collect();
        Self {
            tz,
            week,
            closed,
            holiday_sets,
            open_on_holidays: spec.open_on_holidays,
            holidays_by_year: HashMap::new(),
        }
    }

    fn local_date(&self, t: i64) -> NaiveDate {
        wall_clock(self.tz, t).date()
    }

    fn weekly_intervals(&self, date: NaiveDate) -> &[(i64, i64)] {
        &self.week[date.weekday().num_days_from_monday() as usize]
    }

    fn is_holiday(&mut self, date: NaiveDate) -> bool {
        let sets = &self.holiday_sets;
        self.holidays_by_year
            .entry(date.year())
            .or_insert_with(|| {
                sets.iter()
                    .flat_map(|set| set.holidays(date.year()))
                    .map(|holiday| holiday.date)
                    .collect()
            })
            .contains(&date)
    }

    /// DESIGN §3: the weekday has intervals, the date is not closed, and it is not a holiday
    /// unless holidays are open.
    fn is_business_date(&mut self, date: NaiveDate) -> bool {
        !self.weekly_intervals(date).is_empty()
            && !self.closed.contains(&date)
            && (self.open_on_holidays || !self.is_holiday(date))
    }

    /// `[R(d, s), R(d, e))` for each interval of a business date (some may be empty, inside a
    /// DST gap); nothing for any other date.
    fn open_intervals(&mut self, date: NaiveDate) -> Vec<(i64, i64)> {
        if !self.is_business_date(date) {
            return Vec::new();
        }
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        let at = |secs: i64| resolve_in(self.tz, midnight + TimeDelta::seconds(secs));
        self.weekly_intervals(date).iter().map(|&(start, end)| (at(start), at(end))).collect()
    }
}

/// `"HH:MM-HH:MM"` as seconds after midnight.
fn parse_interval(text: &str) -> (i64, i64) {
    let clock = |part: &str| -> Option<i64> {
        let (hours, minutes) = part.split_once(':')?;
        Some(hours.parse::<i64>().ok()? * 3600 + minutes.parse::<i64>().ok()? * 60)
    };
    text.split_once('-')
        .and_then(|(start, end)| Some((clock(start)?, clock(end)?)))
        .unwrap_or_else(|| panic!("reference: bad interval {text:?}"))
}

/// The local wall-clock reading of an instant.
fn wall_clock(tz: Tz, t: i64) -> NaiveDateTime {
    DateTime::from_timestamp(t, 0)
        .unwrap_or_else(|| panic!("reference: instant {t} out of chrono's range"))
        .with_timezone(&tz)
        .naive_local()
}

/// `R(w) = min{u : wall(u) >= w}`: a unique local time is its instant, a time in a fold the
/// earlier instant, a time in a gap the first instant after the jump (found by scanning).
fn resolve_in(tz: Tz, wall: NaiveDateTime) -> i64 {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
        LocalResult::None => scan_for_wall(tz, wall),
    }
}

/// The first instant whose wall clock reads at least `wall`, by brute force: minutes forward
/// from well before any instant that could read `wall`, then one minute back and seconds
/// forward. No zone is 30 hours off UTC, so the scan starts before the answer.
fn scan_for_wall(tz: Tz, wall: NaiveDateTime) -> i64 {
    let reached = |u: i64| wall_clock(tz, u) >= wall;
    let as_utc = wall.and_utc().timestamp();
    let mut u = as_utc - 30 * 3600;
    assert!(!reached(u), "reference: scan for {wall} starts too late");
    while !reached(u) {
        u += 60;
        assert!(u <= as_utc + 30 * 3600, "reference: scan for {wall} never ends");
    }
    u -= 60;
    while !reached(u) {
        u += 1;
    }
    u
}
