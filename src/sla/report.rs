//! The arithmetic of the monthly SLA report (DESIGN §10), pure: which month a clock's
//! outcome falls in, compliance, and percentiles.
//!
//! - A **month** is a calendar month in the provider's zone, from local 00:00 on the 1st to
//!   local 00:00 on the next 1st ([`Month::bounds`]).
//! - A clock is **decided** at its met instant when met on time, and at its due instant when
//!   breached (met late, or still unmet when the due instant passes); a clock not decided by
//!   the end of the month (running and not yet due, or frozen by a pause) is **pending**
//!   ([`decide`], [`place`]).
//! - **Compliance** = met on time / (met on time + breached); none decided gives `None`
//!   ("—"), never 100 % ([`compliance`]).
//! - **Percentiles** interpolate linearly between the two nearest ranks, as PostgreSQL's
//!   `percentile_cont` does ([`percentile_cont`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::error::FieldError;
use super::wall;

/// A calendar month, e.g. `2026-11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// The month of `year`-`month`; `None` outside 1..=12 or outside 1970..=9999.
    #[must_use]
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1..=12).contains(&month) && (1970..=9999).contains(&year)).then_some(Self { year, month })
    }

    /// The year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1..=12.
    #[must_use]
    pub fn month(self) -> u32 {
        self.month
    }

    /// The month in which `instant` falls in `tz`.
    #[must_use]
    pub fn containing(instant: DateTime<Utc>, tz: Tz) -> Self {
        let local = instant.with_timezone(&tz);
        Self { year: local.year(), month: local.month() }
    }

    /// The month after this one.
    #[must_use]
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { year: self.year, month: self.month + 1 }
        }
    }

    /// The month before this one.
    #[must_use]
    pub fn prev(self) -> Self {
        if self.month == 1 {
            Self { year: self.year - 1, month: 12 }
        } else {
            Self { year: self.year, month: self.month - 1 }
        }
    }

    /// The `n` months ending with this one, oldest first.
    #[must_use]
    pub fn last(self, n: usize) -> Vec<Month> {
        let mut months = Vec::with_capacity(n);
        let mut m = self;
        for _ in 0..n {
            months.push(m);
            m = m.prev();
        }
        months.reverse();
        months
    }

    /// The first day.
    #[must_use]
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    /// `[start, end)` in UTC: local 00:00 on the 1st to local 00:00 on the next 1st in `tz`
    /// (a midnight inside a DST gap is the first instant after the gap).
    #[must_use]
    pub fn bounds(self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (midnight(tz, self.first_day()), midnight(tz, self.next().first_day()))
    }

    /// Hours in the month in `tz` (October in Copenhagen: 745; March: 743).
    #[must_use]
    pub fn hours(self, tz: Tz) -> i64 {
        let (start, end) = self.bounds(tz);
        (end - start).num_hours()
    }

    /// "November 2026".
    #[must_use]
    pub fn title(self) -> String {
        format!("{} {}", self.first_day().format("%B"), self.year)
    }
}

fn midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    wall::resolve_on(&tz, date, 0)
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .unwrap_or_default()
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("month", format!("{s:?} is not a month like 2026-11"));
        let (year, month) = s.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How a clock's run came out in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Met on time.
    Met,
    /// Met late, or unmet past its due instant.
    Breached,
    /// Not decided by the end of the month: running and not yet due, or paused.
    Pending,
}

impl Outcome {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::Breached => "breached",
            Outcome::Pending => "pending",
        }
    }
}

impl FromStr for Outcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "met" => Ok(Outcome::Met),
            "breached" => Ok(Outcome::Breached),
            "pending" => Ok(Outcome::Pending),
            other => Err(format!("unknown outcome {other:?}")),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome a clock's run will have and the instant it is decided, as the run stands:
/// met on time at its met instant; breached at its due instant (met late, or unmet: if it
/// is still unmet then). `None` while its deadline is frozen by a pause (no due instant).
#[must_use]
pub fn decide(
    due_at: Option<DateTime<Utc>>,
    met_at: Option<DateTime<Utc>>,
) -> Option<(Outcome, DateTime<Utc>)> {
    match (due_at, met_at) {
        (Some(due), Some(met)) if met <= due => Some((Outcome::Met, met)),
        (Some(due), _) => Some((Outcome::Breached, due)),
        (None, Some(met)) => Some((Outcome::Met, met)),
        (None, None) => None,
    }
}

/// Where a run that started at `started_at` falls in the month `[start, end)` as known at
/// `as_of` (`as_of >= end` for a month that is over): `Some(outcome)` when it counts in this
/// month (decided in it, or pending at its end), `None` when it belongs to another month.
#[must_use]
pub fn place(
    started_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    met_at: Option<DateTime<Utc>>,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    as_of: DateTime<Utc>,
) -> Option<Outcome> {
    let cut = end.min(as_of);
    if started_at >= cut {
        return None;
    }
    // A met instant after the cut is not known at the cut.
    let met_at = met_at.filter(|&met| met < cut);
    match decide(due_at, met_at) {
        Some((outcome, at)) if at < cut => (at >= start).then_some(outcome),
        _ => Some(Outcome::Pending),
    }
}

/// Met on time as a share of the decided clocks, in percent; `None` when none was decided.
#[must_use]
pub fn compliance(met: u64, breached: u64) -> Option<f64> {
    let decided = met + breached;
    (decided > 0).then(|| met as f64 * 100.0 / decided as f64)
}

/// The `fraction` percentile (0.0..=1.0) of `sorted` (ascending) by linear interpolation
/// between the nearest ranks, exactly as PostgreSQL's `percentile_cont` computes it in
/// float8; `None` for no values.
#[must_use]
pub fn percentile_cont(sorted: &[f64], fraction: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = fraction.clamp(0.0, 1.0) * last as f64;
    let floor = position.floor();
    let lower = floor as usize;
    let first = sorted[lower];
    let Some(&second) = sorted.get(lower + 1) else { return Some(first) };
    if position == floor {
        return Some(first);
    }
    Some(first + (second - first) * (position - floor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).unwrap_or_default()
    }

    #[test]
    fn months_are_local_calendar_months() {
        let cph = chrono_tz::Europe::Copenhagen;
        let october = "2026-10".parse::<Month>().ok();
        assert_eq!(october.map(|m| m.hours(cph)), Some(745));
        assert_eq!("2026-03".parse::<Month>().ok().map(|m| m.hours(cph)), Some(743));
        assert_eq!("2026-11".parse::<Month>().ok().map(|m| m.hours(cph)), Some(720));
        let (start, end) = october.map(|m| m.bounds(cph)).unwrap_or_default();
        assert_eq!(start, utc("2026-09-30T22:00:00Z"));
        assert_eq!(end, utc("2026-10-31T23:00:00Z"));
        assert_eq!(Month::containing(utc("2026-10-31T23:00:00Z"), cph).to_string(), "2026-11");
        assert_eq!(Month::containing(utc("2026-10-31T22:59:59Z"), cph).to_string(), "2026-10");
        let december = Month::new(2026, 12);
        assert_eq!(december.map(|m| m.next().to_string()), Some("2027-01".into()));
        assert_eq!(Month::new(2027, 1).map(|m| m.prev().to_string()), Some("2026-12".into()));
        assert_eq!(december.map(Month::title), Some("December 2026".into()));
    }

    #[test]
    fn a_midnight_in_a_gap_is_the_first_instant_after_it() {
        // Cuba's clocks skip 00:00-01:00 on some spring dates; Havana moved on 2026-03-08.
        let tz = chrono_tz::America::Havana;
        let expected = tz.from_local_datetime(
            &NaiveDate::from_ymd_opt(2026, 3, 8)
                .unwrap_or_default()
                .and_hms_opt(1, 0, 0)
                .unwrap_or_default(),
        );
        let start = midnight(tz, NaiveDate::from_ymd_opt(2026, 3, 8).unwrap_or_default());
        assert_eq!(Some(start), expected.single().map(|t| t.to_utc()));
    }

    #[test]
    fn a_bad_month_names_the_field() {
        for bad in ["2026-13", "2026-1", "26-11", "november", "2026-00", ""] {
            let error = bad.parse::<Month>().err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.starts_with("month:"), "{bad}: {error}");
        }
    }

    #[test]
    fn outcomes_are_decided_at_the_met_or_due_instant() {
        let due = utc("2026-11-30T22:30:00Z");
        let on_time = utc("2026-11-30T22:00:00Z");
        let late = utc("2026-12-01T08:00:00Z");
        assert_eq!(decide(Some(due), Some(on_time)), Some((Outcome::Met, on_time)));
        assert_eq!(decide(Some(due), Some(due)), Some((Outcome::Met, due)));
        assert_eq!(decide(Some(due), Some(late)), Some((Outcome::Breached, due)));
        assert_eq!(decide(Some(due), None), Some((Outcome::Breached, due)));
        assert_eq!(decide(None, None), None);
    }

    #[test]
    fn a_clock_counts_in_the_month_it_was_decided() {
        let cph = chrono_tz::Europe::Copenhagen;
        let november = Month::new(2026, 11).map(|m| m.bounds(cph)).unwrap_or_default();
        let december = Month::new(2026, 12).map(|m| m.bounds(cph)).unwrap_or_default();
        let after = utc("2027-02-01T00:00:00Z");
        let started = utc("2026-11-30T20:00:00Z");
        // Due on the last day at 23:30 local, met on the 1st: breached in November.
        let due = utc("2026-11-30T22:30:00Z");
        let met = utc("2026-12-01T07:00:00Z");
        assert_eq!(place(started, Some(due), Some(met), november, after), Some(Outcome::Breached));
        assert_eq!(place(started, Some(due), Some(met), december, after), None);
        // Met on time on the 1st, due later: pending in November, met in December.
        let due = utc("2026-12-01T09:00:00Z");
        assert_eq!(place(started, Some(due), Some(met), november, after), Some(Outcome::Pending));
        assert_eq!(place(started, Some(due), Some(met), december, after), Some(Outcome::Met));
        // Paused across the month's end: pending, and not counted in December either until
        // it is decided.
        assert_eq!(place(started, None, None, november, after), Some(Outcome::Pending));
        assert_eq!(place(started, None, None, december, after), Some(Outcome::Pending));
        // Still unmet, not yet due at "now" in the month so far: pending; past due: breached.
        let now = utc("2026-12-01T08:30:00Z");
        assert_eq!(place(started, Some(due), None, december, now), Some(Outcome::Pending));
        let now = utc("2026-12-01T09:00:01Z");
        assert_eq!(place(started, Some(due), None, december, now), Some(Outcome::Breached));
        // Started after the month: not in it.
        assert_eq!(place(december.0, Some(due), None, november, after), None);
    }

    #[test]
    fn compliance_of_nothing_is_none_not_100() {
        assert_eq!(compliance(0, 0), None);
        assert_eq!(compliance(3, 1), Some(75.0));
        assert_eq!(compliance(0, 2), Some(0.0));
    }

    #[test]
    fn percentiles_match_postgresql() {
        // PostgreSQL 15 and SQLite 3.53 both give 8.5 and 12.899999999999993 here.
        let values = [1.0, 4.0, 6.0, 7.0, 8.0, 9.0, 11.0, 11.0, 11.0, 30.0];
        assert_eq!(percentile_cont(&values, 0.5), Some(8.5));
        assert_eq!(percentile_cont(&values, 0.9), Some(12.899_999_999_999_993));
        assert_eq!(percentile_cont(&[], 0.5), None);
        assert_eq!(percentile_cont(&[5.0], 0.9), Some(5.0));
        assert_eq!(percentile_cont(&[1.0, 2.0], 1.0), Some(2.0));
        assert_eq!(percentile_cont(&[1.0, 2.0], 0.0), Some(1.0));
    }
}
