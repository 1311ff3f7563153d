//! A compiled calendar and exact business-time arithmetic on it (DESIGN §3).
//!
//! Open time is precomputed per local year, lazily, as sorted UTC spans with the open seconds
//! before each span. `due`, `elapsed`, `is_open` and `next_open` are then two binary searches
//! inside a year's spans plus, for long targets, a hop over whole years by their totals: the
//! cost does not grow with the length of the target.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use super::error::{FieldError, TimeError};
use super::holidays::Holiday;
use super::spec::{CalendarSpec, DayInterval, ValidSpec};
use super::target::Target;
use super::wall;

/// The first local year with precomputed open time (a start in UTC 1900 may be local 1899).
const FIRST_YEAR: i32 = 1899;
/// The last local year with precomputed open time; deadlines past it are [`TimeError::BeyondRange`].
const LAST_YEAR: i32 = 2300;
/// Seconds in an average Gregorian year.
const AVERAGE_YEAR: i64 = 31_556_952;
/// Seconds in a day.
const DAY: i64 = 86_400;
/// Starts are accepted from 1900-01-01T00:00:00Z ...
const MIN_START: i64 = -2_208_988_800;
/// ... to 2200-12-31T23:59:59Z.
const MAX_START: i64 = 7_289_654_399;

/// A validated calendar ready for arithmetic. Cheap to share between threads.
#[derive(Debug)]
pub struct Calendar {
    spec: CalendarSpec,
    valid: ValidSpec,
    has_open_time: bool,
    years: Box<[OnceLock<YearBlock>]>,
}

/// Why a local date is or is not a business date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// Open per the weekly hours.
    Business,
    /// The weekday has no open hours.
    NoHours,
    /// A public holiday, with its name.
    Holiday(&'static str),
    /// Listed in the calendar's `closed` dates.
    Closed,
}

/// Open time of one local year: sorted, disjoint UTC spans.
#[derive(Debug)]
struct YearBlock {
    /// `R(Y-01-01 00:00)`: blocks of consecutive years tile the time line.
    lo: i64,
    /// `R((Y+1)-01-01 00:00)`.
    hi: i64,
    spans: Vec<OpenSpan>,
    /// For each whole day `k` after `lo`, the first span ending after `lo + k days`: a search
    /// starts there and steps over at most a day's spans.
    day_index: Vec<u32>,
    /// Open seconds in the whole year.
    total: i64,
    /// Business dates of the year (days since CE) with their closing instants.
    business_days: Vec<(i32, i64)>,
}

/// One stretch of open time `[start, end)`, and the open seconds of its year before it.
#[derive(Debug, Clone, Copy)]
struct OpenSpan {
    start: i64,
    end: i64,
    before: i64,
}

impl OpenSpan {
    /// Open seconds of the year up to this span's end.
    fn reach(self) -> i64 {
        self.before + (self.end - self.start)
    }
}

impl YearBlock {
    fn new(
        lo: i64,
        hi: i64,
        spans: Vec<OpenSpan>,
        total: i64,
        business_days: Vec<(i32, i64)>,
    ) -> Self {
        let days = usize::try_from((hi - lo) / DAY + 1).unwrap_or(0);
        let mut day_index = Vec::with_capacity(days);
        let mut i = 0;
        for k in 0..days as i64 {
            let day_start = lo + k * DAY;
            while i < spans.len() && spans[i].end <= day_start {
                i += 1;
            }
            day_index.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        Self { lo, hi, spans, day_index, total, business_days }
    }

    /// Index of the first span that ends after `t`, for `lo <= t < hi`.
    fn first_ending_after(&self, t: i64) -> usize {
        let day = usize::try_from((t - self.lo) / DAY).unwrap_or(0);
        let mut i = self.day_index.get(day).map_or(0, |&i| i as usize);
        while self.spans.get(i).is_some_and(|span| span.end <= t) {
            i += 1;
        }
        i
    }

    /// Open seconds of the block before `t`.
    fn position(&self, t: i64) -> i64 {
        self.position_from(self.first_ending_after(t), t)
    }

    /// Open seconds of the block before `t`, given `i = first_ending_after(t)`.
    fn position_from(&self, i: usize, t: i64) -> i64 {
        match self.spans.get(i) {
            Some(span) => span.before + (t - span.start).max(0),
            None => self.total,
        }
    }

    /// The smallest instant, in a span at or after index `from`, with `position == target`
    /// (`target <= total`). Ends exactly on a closing instant rather than at the next opening.
    /// Gallops from `from`, so a short target costs a step or two and a long one a log.
    fn instant_at(&self, from: usize, target: i64) -> i64 {
        let spans = &self.spans;
        let last = spans.len() - 1;
        let (mut lo, mut step) = (from, 1);
        // Invariant: every span before `lo` has reach < target.
        let mut hi = loop {
            let probe = (lo + step - 1).min(last);
            if spans[probe].reach() >= target || probe == last {
                break probe;
            }
            lo = probe + 1;
            step *= 2;
        };
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if spans[mid].reach() >= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let span = spans[hi];
        span.start + (target - span.before)
    }
}

impl Calendar {
    /// Validates and compiles a calendar.
    pub fn new(spec: CalendarSpec) -> Result<Self, FieldError> {
        let valid = spec.validate()?;
        let has_open_time = valid.week.iter().any(|day| !day.is_empty());
        let years = (FIRST_YEAR..=LAST_YEAR).map(|_| OnceLock::new()).collect();
        Ok(Self { spec, valid, has_open_time, years })
    }

    /// The calendar as written.
    #[must_use]
    pub fn spec(&self) -> &CalendarSpec {
        &self.spec
    }

    /// The calendar's time zone.
    #[must_use]
    pub fn timezone(&self) -> Tz {
        self.valid.tz
    }

    /// The open intervals of a weekday, local wall-clock.
    #[must_use]
    pub fn hours(&self, weekday: Weekday) -> &[DayInterval] {
        self.valid.day(weekday)
    }

    /// Whether any weekday has open hours at all.
    #[must_use]
    pub fn has_open_time(&self) -> bool {
        self.has_open_time
    }

    /// The deadline for `target` from `start` (DESIGN §3).
    pub fn due(&self, start: DateTime<Utc>, target: Target) -> Result<DateTime<Utc>, TimeError> {
        match target {
            Target::Minutes(minutes) => {
                let secs = minutes.checked_mul(60).ok_or(TimeError::BeyondRange)?;
                self.due_secs(start, secs)
            }
            Target::BusinessDays(days) => self.due_business_days(start, days),
        }
    }

    /// The smallest instant `T` such that `[start, T)` holds `secs` seconds of open time.
    /// With `secs == 0` it is the first open instant at or after `start`.
    ///
    /// Deadlines are whole seconds: from a start with a fraction of a second the answer is
    /// the exact deadline rounded up, except that an open start is its own next opening.
    pub fn due_secs(&self, start: DateTime<Utc>, secs: i64) -> Result<DateTime<Utc>, TimeError> {
        let exact = start;
        let start = self.checked_start(start)?;
        if secs < 0 {
            return Err(TimeError::Negative);
        }
        if secs == 0 && exact.timestamp() != start && self.is_open(exact)? {
            return Ok(exact);
        }
        let (mut year, mut block) = self.block_containing(start)?;
        let mut from = block.first_ending_after(start);
        let mut position = block.position_from(from, start);
        let mut need = secs;
        loop {
            if from < block.spans.len() && need <= block.total - position {
                return self.answer(block.instant_at(from, position + need));
            }
            need -= block.total - position;
            year += 1;
            block = self.block(year)?;
            from = 0;
            position = 0;
        }
    }

    /// The closing instant of the last interval of the `days`-th business date strictly after
    /// the local date of `start` ("within 7 working days").
    pub fn due_business_days(
        &self,
        start: DateTime<Utc>,
        days: i64,
    ) -> Result<DateTime<Utc>, TimeError> {
        let start = self.checked_start(start)?;
        if days < 0 {
            return Err(TimeError::Negative);
        }
        if days == 0 {
            return Err(TimeError::ZeroBusinessDays);
        }
        let date = wall::local_date(&self.valid.tz, start).ok_or(TimeError::OutOfRange(start))?;
        let mut year = date.year();
        let mut block = self.block(year)?;
        let today = date.num_days_from_ce();
        let mut next = block.business_days.partition_point(|&(day, _)| day <= today);
        let mut need = usize::try_from(days).map_err(|_| TimeError::BeyondRange)?;
        loop {
            let available = block.business_days.len() - next;
            if need <= available {
                return self.answer(block.business_days[next + need - 1].1);
            }
            need -= available;
            year += 1;
            block = self.block(year)?;
            next = 0;
        }
    }

    /// Open time in `[a, b)`, in seconds.
    pub fn elapsed(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Result<i64, TimeError> {
        if b < a {
            return Err(TimeError::EndBeforeStart);
        }
        let a = self.checked_start(a)?;
        let b = seconds_ceil(b);
        let (year_a, block_a) = self.block_containing(a)?;
        let (year_b, block_b) = self.block_containing(b)?;
        let mut total = block_b.position(b) - block_a.position(a);
        for year in year_a..year_b {
            total += self.block(year)?.total;
        }
        Ok(total)
    }

    /// Whether `t` is inside open time (a closing instant is not).
    /// Accepts any instant from 1900 up to the end of the supported range (2300), so that
    /// an answer of `next_open` can be asked about.
    pub fn is_open(&self, t: DateTime<Utc>) -> Result<bool, TimeError> {
        if !self.has_open_time {
            return Err(TimeError::NoOpenTime);
        }
        // Open time begins and ends on whole seconds: a fraction is decided by its second.
        let t = t.timestamp();
        if t < MIN_START {
            return Err(TimeError::OutOfRange(t));
        }
        let (_, block) = self.block_containing(t)?;
        Ok(block.spans.get(block.first_ending_after(t)).is_some_and(|span| span.start <= t))
    }

    /// The first open instant at or after `t`: `t` itself when it is open.
    pub fn next_open(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, TimeError> {
        self.due_secs(t, 0)
    }

    /// Whether a local date is a business date, and if not, why.
    #[must_use]
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        let holidays = self.holidays_of(date.year());
        self.classify(date, &holidays)
    }

    /// The open spans of a local date as UTC instants; empty on a non-business date.
    #[must_use]
    pub fn open_spans_on(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if self.day_kind(date) != DayKind::Business {
            return Vec::new();
        }
        self.resolved_intervals(date)
            .into_iter()
            .filter(|(a, b)| b > a)
            .filter_map(|(a, b)| Some((instant(a).ok()?, instant(b).ok()?)))
            .collect()
    }

    fn classify(&self, date: NaiveDate, holidays: &[Holiday]) -> DayKind {
        if self.valid.day(date.weekday()).is_empty() {
            DayKind::NoHours
        } else if self.valid.closed.contains(&date) {
            DayKind::Closed
        } else if let Some(holiday) =
            holidays.iter().find(|h| h.date == date).filter(|_| !self.valid.open_on_holidays)
        {
            DayKind::Holiday(holiday.name)
        } else {
            DayKind::Business
        }
    }

    fn holidays_of(&self, year: i32) -> Vec<Holiday> {
        let mut all: Vec<Holiday> =
            self.valid.holidays.iter().flat_map(|set| set.holidays(year)).collect();
        all.sort_by_key(|h| h.date);
        all
    }

    /// `[R(d, s), R(d, e))` for each weekly interval of the date's weekday; may be empty
    /// (an interval wholly inside a DST gap).
    fn resolved_intervals(&self, date: NaiveDate) -> Vec<(i64, i64)> {
        let tz = &self.valid.tz;
        self.valid
            .day(date.weekday())
            .iter()
            .filter_map(|iv| {
                let a = wall::resolve_on(tz, date, iv.start)?;
                let b = wall::resolve_on(tz, date, iv.end)?;
                Some((a, b))
            })
            .collect()
    }

    /// The start as whole Unix seconds (a fraction counts as the next second), in range.
    fn checked_start(&self, t: DateTime<Utc>) -> Result<i64, TimeError> {
        if !self.has_open_time {
            return Err(TimeError::NoOpenTime);
        }
        let secs = seconds_ceil(t);
        if (MIN_START..=MAX_START).contains(&secs) {
            Ok(secs)
        } else {
            Err(TimeError::OutOfRange(secs))
        }
    }

    /// A deadline, if it lies inside the table: the very end of the last year is refused too,
    /// so that every answer can be fed back to `elapsed` and `is_open`.
    fn answer(&self, secs: i64) -> Result<DateTime<Utc>, TimeError> {
        if secs >= self.block(LAST_YEAR)?.hi {
            return Err(TimeError::BeyondRange);
        }
        instant(secs)
    }

    /// The block of the local year that contains instant `t`.
    fn block_containing(&self, t: i64) -> Result<(i32, &YearBlock), TimeError> {
        // An estimate within a year of the truth; the block bounds settle it.
        let mut year =
            i32::try_from(1970 + t.div_euclid(AVERAGE_YEAR)).map_err(|_| TimeError::BeyondRange)?;
        loop {
            let block = self.block(year)?;
            if t < block.lo {
                year -= 1;
            } else if t >= block.hi {
                year += 1;
            } else {
                return Ok((year, block));
            }
        }
    }

    fn block(&self, year: i32) -> Result<&YearBlock, TimeError> {
        // Starts are checked, so only a deadline past LAST_YEAR can leave the table.
        let cell = usize::try_from(year - FIRST_YEAR)
            .ok()
            .and_then(|index| self.years.get(index))
            .ok_or(TimeError::BeyondRange)?;
        Ok(cell.get_or_init(|| self.build_year(year)))
    }

    fn build_year(&self, year: i32) -> YearBlock {
        let tz = &self.valid.tz;
        let new_year =
            |y| NaiveDate::from_ymd_opt(y, 1, 1).and_then(|d| wall::resolve_on(tz, d, 0));
        // Both years lie well inside chrono's range by construction of FIRST/LAST_YEAR.
        let lo = new_year(year).unwrap_or(i64::MIN);
        let hi = new_year(year + 1).unwrap_or(i64::MAX);
        let holidays = self.holidays_of(year);
        let mut spans: Vec<OpenSpan> = Vec::new();
        let mut business_days = Vec::new();
        let mut total = 0;
        let first = NaiveDate::from_ymd_opt(year, 1, 1);
        for date in first.into_iter().flat_map(|d| d.iter_days()).take_while(|d| d.year() == year) {
            if self.classify(date, &holidays) != DayKind::Business {
                continue;
            }
            let resolved = self.resolved_intervals(date);
            let last_interval = self.valid.day(date.weekday()).last();
            let close = last_interval.and_then(|iv| wall::resolve_on(tz, date, iv.end));
            if let Some(close) = close {
                business_days.push((date.num_days_from_ce(), close));
            }
            for (start, end) in resolved.into_iter().filter(|(a, b)| b > a) {
                match spans.last_mut() {
                    Some(last) if last.end == start => last.end = end,
                    _ => spans.push(OpenSpan { start, end, before: total }),
                }
                total += end - start;
            }
        }
        YearBlock::new(lo, hi, spans, total, business_days)
    }
}

/// Whole Unix seconds of an instant, a fraction counting as the next second.
fn seconds_ceil(t: DateTime<Utc>) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

fn instant(secs: i64) -> Result<DateTime<Utc>, TimeError> {
    DateTime::from_timestamp(secs, 0).ok_or(TimeError::BeyondRange)
}
