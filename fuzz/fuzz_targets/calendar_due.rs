//! Fuzzes the business-time engine: any calendar JSON, any start, any amount.
//!
//! Input layout (see README.md): `<calendar JSON> 0x00 <tail>`. The JSON part is everything
//! before the first NUL byte (JSON text never contains a raw NUL); with no NUL the whole input
//! is the calendar and the tail is empty. The tail is read little-endian, zero-padded if short:
//!
//! | bytes  | field                                                     |
//! |--------|-----------------------------------------------------------|
//! | 0..8   | start, Unix seconds (`i64`)                               |
//! | 8..12  | start, nanoseconds (`u32`)                                |
//! | 12..20 | minutes to add (`i64`)                                    |
//! | 20..28 | business days to add (`i64`)                              |
//! | 28..36 | second instant for `elapsed`, Unix seconds (`i64`)        |
//! | 36..40 | second instant, nanoseconds (`u32`)                       |
//! | 40     | flags: bit 0 raw start, 1 raw minutes, 2 raw days, 3 raw second instant |
//!
//! Without its raw flag each number is folded into a useful range: instants into
//! 1900..2200 plus three days either side, minutes into ±10^8, days into -5..=150 000,
//! nanoseconds below 10^9. With the flag the value is used as it is (extreme values, leap
//! second nanoseconds) and only "no panic" is checked for it.

#![no_main]

use chrono::{DateTime, TimeDelta, Utc};
use frist::sla::{Calendar, CalendarSpec, Target, TimeError};
use libfuzzer_sys::fuzz_target;

/// 1900-01-01T00:00:00Z and 2200-12-31T23:59:59Z, the engine's accepted starts.
const MIN_START: i64 = -2_208_988_800;
const MAX_START: i64 = 7_289_654_399;
/// How far outside the accepted range folded instants may fall.
const MARGIN: i64 = 3 * 86_400;
const MAX_MINUTES: i64 = 100_000_000;
const MAX_DAYS: i64 = 150_000;

struct Tail<'a>(&'a [u8]);

impl Tail<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, b) in out.iter_mut().enumerate() {
            *b = self.0.get(at + i).copied().unwrap_or(0);
        }
        out
    }
    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.bytes(at))
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.bytes(at))
    }
    fn u8(&self, at: usize) -> u8 {
        self.0.get(at).copied().unwrap_or(0)
    }
}

/// `v` if it lies in `lo..=hi`, else `v` wrapped into that range.
fn fold(v: i64, lo: i64, hi: i64) -> i64 {
    if (lo..=hi).contains(&v) {
        return v;
    }
    let width = i128::from(hi) - i128::from(lo) + 1;
    let wrapped = (i128::from(v) - i128::from(lo)).rem_euclid(width) + i128::from(lo);
    i64::try_from(wrapped).unwrap_or(lo)
}

fn instant(secs: i64, nanos: u32, raw: bool) -> Option<DateTime<Utc>> {
    if raw {
        DateTime::from_timestamp(secs, nanos)
    } else {
        DateTime::from_timestamp(
            fold(secs, MIN_START - MARGIN, MAX_START + MARGIN),
            nanos % 1_000_000_000,
        )
    }
}

/// Whole Unix seconds, a fraction counting as the next second (the engine's own rounding).
fn ceil_secs(t: DateTime<Utc>) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

fn in_range(t: DateTime<Utc>) -> bool {
    (MIN_START..=MAX_START).contains(&ceil_secs(t))
}

fuzz_target!(|data: &[u8]| {
    let (json, tail) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Tail(&data[i + 1..])),
        None => (data, Tail(&[])),
    };
    // Invalid calendars must be rejected with an error, never a panic.
    let Ok(spec) = serde_json::from_slice::<CalendarSpec>(json) else {
        return;
    };
    let Ok(calendar) = Calendar::new(spec) else {
        return;
    };

    let flags = tail.u8(40);
    let raw_start = flags & 1 != 0;
    let raw_minutes = flags & 2 != 0;
    let raw_days = flags & 4 != 0;
    let raw_other = flags & 8 != 0;

    let Some(start) = instant(tail.i64(0), tail.u32(8), raw_start) else {
        return;
    };
    let minutes = if raw_minutes {
        tail.i64(12)
    } else {
        fold(tail.i64(12), -MAX_MINUTES, MAX_MINUTES)
    };
    let days = if raw_days {
        tail.i64(20)
    } else {
        fold(tail.i64(20), -5, MAX_DAYS)
    };
    let other = instant(tail.i64(28), tail.u32(36), raw_other);

    let checked = calendar.has_open_time() && in_range(start);
    let s = ceil_secs(start);

    // is_open and next_open agree: the first open instant at or after start is start itself
    // exactly when start is open. Sub-second instants are decided by their whole second, so
    // an open start with a fraction is its own next opening; every other answer is a whole
    // second, no earlier than the start.
    let open = calendar.is_open(start);
    let next = calendar.next_open(start);
    if checked {
        let open = open.unwrap_or_else(|e| panic!("is_open({start}) failed: {e}"));
        match next {
            Ok(n) => {
                assert!(
                    n.timestamp() >= start.timestamp(),
                    "next_open({start}) = {n} is before the start"
                );
                assert_eq!(open, n == start, "is_open({start}) vs next_open = {n}");
                // A deadline may lie past 2200, where is_open may refuse; never say "closed".
                match calendar.is_open(n) {
                    Ok(o) => assert!(o, "next_open({start}) = {n} is not open"),
                    Err(e) => assert!(!in_range(n), "is_open(next_open({start}) = {n}): {e}"),
                }
                assert_eq!(calendar.elapsed(start, n), Ok(0), "open time before next_open");
            }
            Err(e) => assert_eq!(e, TimeError::BeyondRange, "next_open({start})"),
        }
    }

    // due in minutes: after the start, exactly `minutes` of open time, and the smallest such.
    let due = calendar.due(start, Target::Minutes(minutes));
    if checked && !raw_minutes {
        match due {
            Ok(t) => {
                assert!(minutes >= 0, "due({start}, {minutes}m) = {t} for a negative amount");
                assert!(
                    t.timestamp() >= start.timestamp(),
                    "due({start}, {minutes}m) = {t} is before the start"
                );
                assert_eq!(
                    calendar.elapsed(start, t),
                    Ok(minutes * 60),
                    "elapsed(start, due({start}, {minutes}m) = {t})"
                );
                if minutes > 0 {
                    let just_before = t - TimeDelta::seconds(1);
                    assert_eq!(
                        calendar.elapsed(start, just_before),
                        Ok(minutes * 60 - 1),
                        "due({start}, {minutes}m) = {t} is not the smallest such instant"
                    );
                } else {
                    assert_eq!(next, Ok(t), "due({start}, 0m) differs from next_open");
                }
                // Open time is additive over a point in between.
                if let Some(b) = other.filter(|&b| b >= start && b <= t) {
                    if let (Ok(x), Ok(y)) = (calendar.elapsed(start, b), calendar.elapsed(b, t)) {
                        assert_eq!(x + y, minutes * 60, "elapsed split at {b}");
                    }
                }
            }
            Err(e) if minutes < 0 => assert_eq!(e, TimeError::Negative),
            Err(e) => assert_eq!(e, TimeError::BeyondRange, "due({start}, {minutes}m)"),
        }
    }

    // due in business days: strictly after the start, monotone in the number of days.
    let due_days = calendar.due(start, Target::BusinessDays(days));
    if checked && !raw_days {
        match due_days {
            Ok(t) => {
                assert!(days >= 1, "due({start}, {days}bd) = {t}");
                assert!(t.timestamp() > s, "due({start}, {days}bd) = {t} is not after the start");
                if let Ok(u) = calendar.due(start, Target::BusinessDays(days + 1)) {
                    assert!(u >= t, "due({start}, {}bd) = {u} before {days}bd = {t}", days + 1);
                }
            }
            Err(e) if days < 0 => assert_eq!(e, TimeError::Negative),
            Err(e) if days == 0 => assert_eq!(e, TimeError::ZeroBusinessDays),
            Err(e) => assert_eq!(e, TimeError::BeyondRange, "due({start}, {days}bd)"),
        }
    }

    // elapsed between two arbitrary instants: never more than the wall time between them.
    if let Some(b) = other {
        let forward = calendar.elapsed(start, b);
        let backward = calendar.elapsed(b, start);
        if checked && !raw_other && b >= start {
            if let Ok(e) = forward {
                assert!(e >= 0 && e <= ceil_secs(b) - s, "elapsed({start}, {b}) = {e}");
            }
        }
        if b != start {
            assert!(
                forward == Err(TimeError::EndBeforeStart)
                    || backward == Err(TimeError::EndBeforeStart),
                "elapsed in both directions between {start} and {b}"
            );
        }
        let _ = calendar.is_open(b);
        let _ = calendar.next_open(b);
    }
});
