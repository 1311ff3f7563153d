//! A calendar as people write it (DESIGN §3), and its validation.
//!
//! The same shape is read from JSON (API, CLI) and TOML (configuration). Validation turns it
//! into [`ValidSpec`], whose every part is checked; each rejection names the field and quotes
//! the value.

use std::collections::BTreeSet;

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::error::FieldError;
use super::holidays::HolidaySet;

/// Seconds in a day; `24:00` is this many seconds after midnight.
pub const DAY_SECS: u32 = 86_400;

/// A calendar as written: time zone, weekly open hours, holidays, closed dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// IANA time zone name, e.g. `Europe/Oslo`.
    pub timezone: String,
    /// Open hours per weekday as `"HH:MM-HH:MM"` local wall-clock intervals.
    pub hours: WeekHours,
    /// Public-holiday sets that close the calendar: `DK`, `NO`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Extra closed local dates, `YYYY-MM-DD` (closed even when `open_on_holidays`).
    #[serde(default)]
    pub closed: Vec<String>,
    /// Whether public holidays are open like any other day.
    #[serde(default)]
    pub open_on_holidays: bool,
}

/// Open intervals for each weekday; a missing day is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(missing_docs, reason = "the fields are the weekdays")]
pub struct WeekHours {
    #[serde(default)]
    pub mon: Vec<String>,
    #[serde(default)]
    pub tue: Vec<String>,
    #[serde(default)]
    pub wed: Vec<String>,
    #[serde(default)]
    pub thu: Vec<String>,
    #[serde(default)]
    pub fri: Vec<String>,
    #[serde(default)]
    pub sat: Vec<String>,
    #[serde(default)]
    pub sun: Vec<String>,
}

impl WeekHours {
    /// The seven days Monday first, with their field names.
    #[must_use]
    pub fn days(&self) -> [(&'static str, &[String]); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}

/// One open interval of a day, in seconds after local midnight; `end` may be [`DAY_SECS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayInterval {
    /// Opening, seconds after midnight.
    pub start: u32,
    /// Closing, seconds after midnight (exclusive).
    pub end: u32,
}

impl std::fmt::Display for DayInterval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", hhmm(self.start), hhmm(self.end))
    }
}

/// `HH:MM` for seconds after midnight.
#[must_use]
pub fn hhmm(secs: u32) -> String {
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// A calendar whose every field has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSpec {
    /// The time zone.
    pub tz: Tz,
    /// Open intervals, Monday first, sorted and disjoint.
    pub week: [Vec<DayInterval>; 7],
    /// Holiday sets, without repeats.
    pub holidays: Vec<HolidaySet>,
    /// Closed local dates.
    pub closed: BTreeSet<NaiveDate>,
    /// Whether holidays are open.
    pub open_on_holidays: bool,
}

impl ValidSpec {
    /// The open intervals of a weekday.
    #[must_use]
    pub fn day(&self, weekday: Weekday) -> &[DayInterval] {
        &self.week[weekday.num_days_from_monday() as usize]
    }
}

impl CalendarSpec {
    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<ValidSpec, FieldError> {
        let tz: Tz = self.timezone.parse().map_err(|_| {
            FieldError::new("timezone", format!("unknown time zone {:?}", self.timezone))
        })?;
        let mut week: [Vec<DayInterval>; 7] = Default::default();
        for (slot, (name, intervals)) in week.iter_mut().zip(self.hours.days()) {
            *slot = parse_day(intervals).map_err(|e| e.within(name).within("hours"))?;
        }
        let mut holidays = Vec::new();
        for (i, code) in self.holidays.iter().enumerate() {
            let set = HolidaySet::from_code(code).ok_or_else(|| {
                FieldError::new(
                    format!("holidays[{i}]"),
                    format!("unknown holiday set {code:?} (expected DK or NO)"),
                )
            })?;
            if !holidays.contains(&set) {
                holidays.push(set);
            }
        }
        let mut closed = BTreeSet::new();
        for (i, text) in self.closed.iter().enumerate() {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .filter(|_| text.len() == 10)
                .ok_or_else(|| {
                    FieldError::new(
                        format!("closed[{i}]"),
                        format!("invalid date {text:?} (expected YYYY-MM-DD)"),
                    )
                })?;
            closed.insert(date);
        }
        Ok(ValidSpec { tz, week, holidays, closed, open_on_holidays: self.open_on_holidays })
    }
}

/// Parses one weekday's intervals, checking order and overlap.
fn parse_day(intervals: &[String]) -> Result<Vec<DayInterval>, FieldError> {
    let mut parsed: Vec<DayInterval> = Vec::with_capacity(intervals.len());
    for (i, text) in intervals.iter().enumerate() {
        let field = format!("[{i}]");
        let interval = parse_interval(text).map_err(|message| FieldError::new(&field, message))?;
        if let Some(previous) = parsed.last() {
            if interval.start < previous.start {
                return Err(FieldError::new(
                    field,
                    format!("interval {interval} is out of order: it starts before {previous}"),
                ));
            }
            if interval.start < previous.end {
                return Err(FieldError::new(
                    field,
                    format!("interval {interval} overlaps {previous}"),
                ));
            }
        }
        parsed.push(interval);
    }
    Ok(parsed)
}

/// Parses `"HH:MM-HH:MM"`; the end may be `24:00`.
fn parse_interval(text: &str) -> Result<DayInterval, String> {
    let malformed = || format!("malformed interval {text:?} (expected HH:MM-HH:MM)");
    let (start, end) = text.split_once('-').ok_or_else(malformed)?;
    let start = parse_clock(start).ok_or_else(malformed)?;
    let end = parse_clock(end).ok_or_else(malformed)?;
    if start == DAY_SECS {
        return Err(format!("start 24:00 in {text:?}: a day's last opening is 23:59"));
    }
    if end < start {
        return Err(format!("end {} is before start {}", hhmm(end), hhmm(start)));
    }
    if end == start {
        return Err(format!("end {} equals start {}", hhmm(end), hhmm(start)));
    }
    Ok(DayInterval { start, end })
}

/// Parses `HH:MM` (two digits each, `00:00` to `24:00`) into seconds after midnight.
fn parse_clock(text: &str) -> Option<u32> {
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return None;
    }
    let digit = |i: usize| {
        let b = bytes[i];
        b.is_ascii_digit().then(|| u32::from(b - b'0'))
    };
    let hours = digit(0)? * 10 + digit(1)?;
    let minutes = digit(3)? * 10 + digit(4)?;
    let valid = (hours < 24 && minutes < 60) || (hours == 24 && minutes == 0);
    valid.then_some(hours * 3600 + minutes * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mon: &[&str]) -> CalendarSpec {
        CalendarSpec {
            timezone: "Europe/Oslo".into(),
            hours: WeekHours {
                mon: mon.iter().map(|s| (*s).to_owned()).collect(),
                ..WeekHours::default()
            },
            holidays: vec!["NO".into()],
            closed: vec![],
            open_on_holidays: false,
        }
    }

    fn error(spec: &CalendarSpec) -> String {
        spec.validate().err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn accepts_split_days_and_a_24_00_end() {
        let valid = spec(&["00:00-08:00", "08:00-12:00", "13:00-24:00"]).validate();
        let week = valid.map(|v| v.week[0].clone()).unwrap_or_default();
        assert_eq!(
            week,
            vec![
                DayInterval { start: 0, end: 8 * 3600 },
                DayInterval { start: 8 * 3600, end: 12 * 3600 },
                DayInterval { start: 13 * 3600, end: DAY_SECS },
            ]
        );
    }

    #[test]
    fn rejections_name_the_field_and_the_value() {
        assert_eq!(error(&spec(&["08:00-07:00"])), "hours.mon[0]: end 07:00 is before start 08:00");
        assert_eq!(error(&spec(&["08:00-08:00"])), "hours.mon[0]: end 08:00 equals start 08:00");
        assert_eq!(
            error(&spec(&["8-20"])),
            "hours.mon[0]: malformed interval \"8-20\" (expected HH:MM-HH:MM)"
        );
        assert_eq!(
            error(&spec(&["08:00-24:01"])),
            "hours.mon[0]: malformed interval \"08:00-24:01\" (expected HH:MM-HH:MM)"
        );
        assert_eq!(
            error(&spec(&["08:60-09:00"])),
            "hours.mon[0]: malformed interval \"08:60-09:00\" (expected HH:MM-HH:MM)"
        );
        assert_eq!(
            error(&spec(&["08:00-12:00", "11:00-13:00"])),
            "hours.mon[1]: interval 11:00-13:00 overlaps 08:00-12:00"
        );
        assert_eq!(
            error(&spec(&["12:00-13:00", "08:00-09:00"])),
            "hours.mon[1]: interval 08:00-09:00 is out of order: it starts before 12:00-13:00"
        );
        let mut bad_zone = spec(&[]);
        bad_zone.timezone = "Europe/Osl".into();
        assert_eq!(error(&bad_zone), "timezone: unknown time zone \"Europe/Osl\"");
        let mut bad_set = spec(&[]);
        bad_set.holidays = vec!["NO".into(), "SE".into()];
        assert_eq!(error(&bad_set), "holidays[1]: unknown holiday set \"SE\" (expected DK or NO)");
        let mut bad_date = spec(&[]);
        bad_date.closed = vec!["2026-02-30".into()];
        assert_eq!(
            error(&bad_date),
            "closed[0]: invalid date \"2026-02-30\" (expected YYYY-MM-DD)"
        );
    }

    #[test]
    fn touching_intervals_are_allowed() {
        assert!(spec(&["08:00-12:00", "12:00-13:00"]).validate().is_ok());
    }

    #[test]
    fn json_and_toml_have_the_same_shape() {
        let json = r#"{"timezone":"Europe/Oslo","hours":{"mon":["08:00-20:00"],"sat":[]},
                       "holidays":["NO"],"closed":["2026-12-24"],"open_on_holidays":false}"#;
        let toml_text = r#"
            timezone = "Europe/Oslo"
            holidays = ["NO"]
            closed = ["2026-12-24"]
            open_on_holidays = false
            [hours]
            mon = ["08:00-20:00"]
            sat = []
        "#;
        let from_json: Option<CalendarSpec> = serde_json::from_str(json).ok();
        let from_toml: Option<CalendarSpec> = toml::from_str(toml_text).ok();
        assert!(from_json.is_some());
        assert_eq!(from_json, from_toml);
    }

    #[test]
    fn unknown_weekday_is_rejected_by_name() {
        let json = r#"{"timezone":"UTC","hours":{"mnd":["08:00-20:00"]}}"#;
        let err = serde_json::from_str::<CalendarSpec>(json)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown field `mnd`"), "{err}");
    }
}
