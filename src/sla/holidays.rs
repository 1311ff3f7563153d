//! Public holidays of Denmark and Norway, computed from their rules (DESIGN §3).
//!
//! Movable feasts hang off Easter Sunday, found with the anonymous Gregorian computus
//! (Meeus/Jones/Butcher). Christmas Eve, New Year's Eve and Grundlovsdag are *not* public
//! holidays; providers add such days to a calendar's `closed` list.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// A country's set of public holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HolidaySet {
    /// Denmark.
    #[serde(rename = "DK")]
    Dk,
    /// Norway.
    #[serde(rename = "NO")]
    No,
}

/// One public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Holiday {
    /// The local date.
    pub date: NaiveDate,
    /// Its name in the country's language.
    pub name: &'static str,
}

/// Where a holiday falls: a fixed day of the year, or days after Easter Sunday.
#[derive(Clone, Copy)]
enum Rule {
    Fixed(u32, u32),
    Easter(i64),
}

/// Danish rules; Store bededag was abolished after 2023 and is listed separately.
const DK_RULES: &[(&str, Rule)] = &[
    ("Nytårsdag", Rule::Fixed(1, 1)),
    ("Skærtorsdag", Rule::Easter(-3)),
    ("Langfredag", Rule::Easter(-2)),
    ("Påskedag", Rule::Easter(0)),
    ("2. påskedag", Rule::Easter(1)),
    ("Kristi himmelfartsdag", Rule::Easter(39)),
    ("Pinsedag", Rule::Easter(49)),
    ("2. pinsedag", Rule::Easter(50)),
    ("Juledag", Rule::Fixed(12, 25)),
    ("2. juledag", Rule::Fixed(12, 26)),
];

/// Store bededag: the fourth Friday after Easter, a holiday up to and including 2023.
const DK_STORE_BEDEDAG: (&str, Rule) = ("Store bededag", Rule::Easter(26));
const DK_STORE_BEDEDAG_LAST_YEAR: i32 = 2023;

const NO_RULES: &[(&str, Rule)] = &[
    ("Nyttårsdag", Rule::Fixed(1, 1)),
    ("Skjærtorsdag", Rule::Easter(-3)),
    ("Langfredag", Rule::Easter(-2)),
    ("1. påskedag", Rule::Easter(0)),
    ("2. påskedag", Rule::Easter(1)),
    ("1. mai", Rule::Fixed(5, 1)),
    ("17. mai", Rule::Fixed(5, 17)),
    ("Kristi himmelfartsdag", Rule::Easter(39)),
    ("1. pinsedag", Rule::Easter(49)),
    ("2. pinsedag", Rule::Easter(50)),
    ("1. juledag", Rule::Fixed(12, 25)),
    ("2. juledag", Rule::Fixed(12, 26)),
];

impl HolidaySet {
    /// Every set the engine knows, for error messages and listings.
    pub const ALL: [HolidaySet; 2] = [HolidaySet::Dk, HolidaySet::No];

    /// The set's code as written in calendars: `DK` or `NO`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            HolidaySet::Dk => "DK",
            HolidaySet::No => "NO",
        }
    }

    /// Parses a code as written in calendars (`DK`, `NO`; case-insensitive).
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|set| set.code().eq_ignore_ascii_case(code))
    }

    /// The holidays of `year`, sorted by date. Empty for a year chrono cannot represent.
    #[must_use]
    pub fn holidays(self, year: i32) -> Vec<Holiday> {
        let Some(easter) = easter_sunday(year) else {
            return Vec::new();
        };
        let rules: Vec<(&'static str, Rule)> = match self {
            HolidaySet::Dk => {
                let mut rules = DK_RULES.to_vec();
                if year <= DK_STORE_BEDEDAG_LAST_YEAR {
                    rules.push(DK_STORE_BEDEDAG);
                }
                rules
            }
            HolidaySet::No => NO_RULES.to_vec(),
        };
        let mut days: Vec<Holiday> = rules
            .into_iter()
            .filter_map(|(name, rule)| {
                let date = match rule {
                    Rule::Fixed(month, day) => NaiveDate::from_ymd_opt(year, month, day),
                    Rule::Easter(offset) => shift(easter, offset),
                }?;
                Some(Holiday { date, name })
            })
            .collect();
        days.sort_by_key(|holiday| holiday.date);
        days
    }
}

impl std::fmt::Display for HolidaySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

fn shift(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    let magnitude = Days::new(days.unsigned_abs());
    if days >= 0 { date.checked_add_days(magnitude) } else { date.checked_sub_days(magnitude) }
}

/// Easter Sunday of a Gregorian year (anonymous Gregorian algorithm).
#[must_use]
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
        .filter(|date| date.weekday() == chrono::Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn easter_matches_published_dates() {
        // Published Easter Sundays.
        for (y, m, d) in [
            (1900, 4, 15),
            (1943, 4, 25),
            (1961, 4, 2),
            (2000, 4, 23),
            (2008, 3, 23),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2100, 3, 28),
        ] {
            assert_eq!(easter_sunday(y), Some(date(y, m, d)), "Easter {y}");
        }
    }

    #[test]
    fn every_easter_from_1900_to_2200_is_a_sunday_in_march_or_april() {
        for year in 1900..=2200 {
            let easter = easter_sunday(year);
            assert!(
                easter.is_some_and(|e| (e >= date(year, 3, 22)) && (e <= date(year, 4, 25))),
                "{year}: {easter:?}"
            );
        }
    }
}
