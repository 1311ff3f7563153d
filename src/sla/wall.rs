//! Local wall-clock time and UTC instants in one time zone (DESIGN §3).
//!
//! Instants are Unix seconds (`i64`). `resolve` is DESIGN's `R`: the first instant whose wall
//! clock reads at least the given local time. A unique local time maps to its instant; one in
//! a DST gap maps to the transition; one in a fold maps to the earlier instant.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

const DAY: i64 = 86_400;

/// The UTC date-time of an instant, if chrono can represent it.
#[must_use]
pub fn naive_utc(secs: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(secs, 0).map(|t| t.naive_utc())
}

/// The zone's offset from UTC at an instant, in seconds (local minus UTC).
#[must_use]
pub fn offset_at(tz: &Tz, secs: i64) -> Option<i64> {
    let utc = naive_utc(secs)?;
    Some(i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()))
}

/// The local wall-clock time of an instant.
#[must_use]
pub fn local_at(tz: &Tz, secs: i64) -> Option<NaiveDateTime> {
    naive_utc(secs.checked_add(offset_at(tz, secs)?)?)
}

/// The local date of an instant.
#[must_use]
pub fn local_date(tz: &Tz, secs: i64) -> Option<NaiveDate> {
    local_at(tz, secs).map(|t| t.date())
}

/// `R(date, secs_after_midnight)`; `secs` may be a whole day (`24:00`, midnight after `date`).
#[must_use]
pub fn resolve_on(tz: &Tz, date: NaiveDate, secs: u32) -> Option<i64> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    resolve(tz, midnight.checked_add_signed(chrono::TimeDelta::seconds(i64::from(secs)))?)
}

/// `R(wall)`: the first instant whose local time is at least `wall`.
#[must_use]
pub fn resolve(tz: &Tz, wall: NaiveDateTime) -> Option<i64> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(a, b) => Some(a.timestamp().min(b.timestamp())),
        LocalResult::None => gap_end(tz, wall),
    }
}

/// The transition instant that ends the DST gap `wall` falls in.
///
/// With the offsets a day either side (`before` < `after` across a gap), the transition lies
/// in `(x - after, x - before]` where `x` is `wall` read as UTC; inside that bracket the wall
/// clock only jumps forward once, so a binary search finds the first instant past `wall`.
fn gap_end(tz: &Tz, wall: NaiveDateTime) -> Option<i64> {
    let x = wall.and_utc().timestamp();
    let before = offset_at(tz, x - DAY)?;
    let after = offset_at(tz, x + DAY)?;
    let reaches = |u: i64| local_at(tz, u).is_some_and(|local| local >= wall);
    let (mut lo, mut hi) = (x - after.max(before), x - after.min(before));
    if !reaches(hi) {
        return scan_gap(tz, wall);
    }
    // Invariant: reaches(hi); the answer is in (lo, hi].
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reaches(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    if reaches(hi - 1) {
        // Two transitions within a day of each other: fall back to the plain search.
        return scan_gap(tz, wall);
    }
    Some(hi)
}

/// A plain search, first by minutes and then by seconds, for the first instant whose wall
/// clock reaches `wall`. Only zones with transitions less than a day apart get here.
fn scan_gap(tz: &Tz, wall: NaiveDateTime) -> Option<i64> {
    let x = wall.and_utc().timestamp();
    let reaches = |u: i64| local_at(tz, u).is_some_and(|local| local >= wall);
    // No zone is more than 26 hours off UTC, so the answer is after x - 30 h.
    let mut u = x - 30 * 3600;
    let end = x + 30 * 3600;
    while u < end && !reaches(u + 60) {
        u += 60;
    }
    while u < end && !reaches(u) {
        u += 1;
    }
    (u < end).then_some(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(name: &str) -> Tz {
        name.parse().unwrap_or(Tz::UTC)
    }

    fn wall(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|date| date.and_hms_opt(h, mi, 0))
            .unwrap_or_default()
    }

    fn utc(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text).map(|t| t.timestamp()).unwrap_or_default()
    }

    #[test]
    fn a_time_in_the_spring_gap_resolves_to_the_transition() {
        let oslo = tz("Europe/Oslo");
        // 2026-03-29 02:30 does not exist in Oslo; clocks went from 02:00 CET to 03:00 CEST.
        assert_eq!(resolve(&oslo, wall(2026, 3, 29, 2, 30)), Some(utc("2026-03-29T01:00:00Z")));
        assert_eq!(resolve(&oslo, wall(2026, 3, 29, 2, 0)), Some(utc("2026-03-29T01:00:00Z")));
        assert_eq!(resolve(&oslo, wall(2026, 3, 29, 3, 0)), Some(utc("2026-03-29T01:00:00Z")));
    }

    #[test]
    fn a_time_in_the_autumn_fold_resolves_to_the_earlier_instant() {
        let oslo = tz("Europe/Oslo");
        assert_eq!(resolve(&oslo, wall(2026, 10, 25, 2, 30)), Some(utc("2026-10-25T00:30:00Z")));
    }

    #[test]
    fn lord_howe_has_a_half_hour_gap() {
        let lord_howe = tz("Australia/Lord_Howe");
        // 2026-10-04 02:00 +10:30 becomes 02:30 +11:00.
        assert_eq!(
            resolve(&lord_howe, wall(2026, 10, 4, 2, 15)),
            Some(utc("2026-10-03T15:30:00Z"))
        );
    }

    #[test]
    fn a_skipped_day_resolves_to_the_transition() {
        // Samoa skipped 2011-12-30 entirely.
        let apia = tz("Pacific/Apia");
        assert_eq!(resolve(&apia, wall(2011, 12, 30, 12, 0)), Some(utc("2011-12-30T10:00:00Z")));
    }
}
