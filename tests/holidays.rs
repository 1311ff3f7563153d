//! Public holidays checked against the published calendars of Denmark and Norway.

use chrono::NaiveDate;
use frist::sla::HolidaySet;

fn listed(set: HolidaySet, year: i32) -> Vec<(String, &'static str)> {
    set.holidays(year).into_iter().map(|h| (h.date.to_string(), h.name)).collect()
}

fn expected(year: i32, days: &[(u32, u32, &'static str)]) -> Vec<(String, &'static str)> {
    days.iter()
        .map(|&(m, d, name)| {
            (NaiveDate::from_ymd_opt(year, m, d).map(|x| x.to_string()).unwrap_or_default(), name)
        })
        .collect()
}

#[test]
fn denmark_2023_still_has_store_bededag() {
    assert_eq!(
        listed(HolidaySet::Dk, 2023),
        expected(
            2023,
            &[
                (1, 1, "Nytårsdag"),
                (4, 6, "Skærtorsdag"),
                (4, 7, "Langfredag"),
                (4, 9, "Påskedag"),
                (4, 10, "2. påskedag"),
                (5, 5, "Store bededag"),
                (5, 18, "Kristi himmelfartsdag"),
                (5, 28, "Pinsedag"),
                (5, 29, "2. pinsedag"),
                (12, 25, "Juledag"),
                (12, 26, "2. juledag"),
            ]
        )
    );
}

#[test]
fn denmark_2024_and_2027_have_no_store_bededag() {
    assert_eq!(
        listed(HolidaySet::Dk, 2024),
        expected(
            2024,
            &[
                (1, 1, "Nytårsdag"),
                (3, 28, "Skærtorsdag"),
                (3, 29, "Langfredag"),
                (3, 31, "Påskedag"),
                (4, 1, "2. påskedag"),
                (5, 9, "Kristi himmelfartsdag"),
                (5, 19, "Pinsedag"),
                (5, 20, "2. pinsedag"),
                (12, 25, "Juledag"),
                (12, 26, "2. juledag"),
            ]
        )
    );
    assert_eq!(
        listed(HolidaySet::Dk, 2027),
        expected(
            2027,
            &[
                (1, 1, "Nytårsdag"),
                (3, 25, "Skærtorsdag"),
                (3, 26, "Langfredag"),
                (3, 28, "Påskedag"),
                (3, 29, "2. påskedag"),
                (5, 6, "Kristi himmelfartsdag"),
                (5, 16, "Pinsedag"),
                (5, 17, "2. pinsedag"),
                (12, 25, "Juledag"),
                (12, 26, "2. juledag"),
            ]
        )
    );
}

#[test]
fn norway_2025_and_2026() {
    assert_eq!(
        listed(HolidaySet::No, 2025),
        expected(
            2025,
            &[
                (1, 1, "Nyttårsdag"),
                (4, 17, "Skjærtorsdag"),
                (4, 18, "Langfredag"),
                (4, 20, "1. påskedag"),
                (4, 21, "2. påskedag"),
                (5, 1, "1. mai"),
                (5, 17, "17. mai"),
                (5, 29, "Kristi himmelfartsdag"),
                (6, 8, "1. pinsedag"),
                (6, 9, "2. pinsedag"),
                (12, 25, "1. juledag"),
                (12, 26, "2. juledag"),
            ]
        )
    );
    assert_eq!(
        listed(HolidaySet::No, 2026),
        expected(
            2026,
            &[
                (1, 1, "Nyttårsdag"),
                (4, 2, "Skjærtorsdag"),
                (4, 3, "Langfredag"),
                (4, 5, "1. påskedag"),
                (4, 6, "2. påskedag"),
                (5, 1, "1. mai"),
                (5, 14, "Kristi himmelfartsdag"),
                (5, 17, "17. mai"),
                (5, 24, "1. pinsedag"),
                (5, 25, "2. pinsedag"),
                (12, 25, "1. juledag"),
                (12, 26, "2. juledag"),
            ]
        )
    );
}

#[test]
fn christmas_eve_new_years_eve_and_grundlovsdag_are_not_public_holidays() {
    for year in 1900..=2200 {
        for set in HolidaySet::ALL {
            let days: Vec<String> =
                set.holidays(year).iter().map(|h| h.date.format("%m-%d").to_string()).collect();
            for not_a_holiday in ["12-24", "12-31"] {
                assert!(
                    !days.contains(&not_a_holiday.to_owned()),
                    "{set} {year} lists {not_a_holiday}"
                );
            }
            // Grundlovsdag (5 June) is not a holiday; 2. pinsedag can fall on that date.
            assert!(
                set.holidays(year).iter().all(|h| h.date.format("%m-%d").to_string() != "06-05"
                    || h.name.to_lowercase().contains("pinse")),
                "{set} {year} lists Grundlovsdag"
            );
            // Two feasts may share a date (Kristi himmelfartsdag on 1 May 1913): both are listed.
            assert!(days.windows(2).all(|w| w[0] <= w[1]), "{set} {year} unsorted: {days:?}");
        }
    }
}
