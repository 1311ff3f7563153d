//! Property tests: the business-time engine against the slow reference of DESIGN §3
//! (`tests/support/reference.rs`), over random calendars in several zones, starts near DST
//! transitions, holidays, closed dates and odd weekly hours.

#[path = "support/reference.rs"]
mod reference;

use chrono::{DateTime, Days, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use frist::sla::clock::{ClockInput, Pause, evaluate, threshold_at};
use frist::sla::{Calendar, CalendarSpec, DayKind, Target, TimeError, WeekHours};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError};

const ZONES: [&str; 6] = [
    "Europe/Oslo",
    "Europe/Copenhagen",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
];

/// The engine accepts starts from 1900-01-01T00:00:00Z ...
const MIN_START: i64 = -2_208_988_800;
/// ... to 2200-12-31T23:59:59Z.
const MAX_START: i64 = 7_289_654_399;
const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// Weekly days worth trying as they are: DST hours, midnight edges, split and touching days.
const PRESET_DAYS: &[&[&str]] = &[
    &["08:00-20:00"],
    &["00:00-24:00"],
    &["00:00-08:00", "08:00-12:00", "13:00-24:00"],
    &["01:00-04:00"],
    &["02:00-03:00"],
    &["02:15-02:45"],
    &["02:00-02:30"],
    &["01:00-03:00"],
    &["01:30-02:00"],
    &["00:00-02:30", "03:00-24:00"],
    &["02:30-24:00"],
    &["00:00-01:00"],
    &["23:00-24:00"],
    &["01:59-02:01", "02:59-03:01"],
    &["00:00-02:00", "02:00-03:00"],
    &["07:30-16:00"],
    &["07:30-15:30"],
    &["08:00-23:00"],
    &["09:00-15:00"],
];

/// Interval ends that meet DST changes in the chosen zones, midnight, and ordinary hours.
const INTERESTING_MINUTES: &[u32] = &[
    0, 60, 90, 119, 120, 121, 135, 150, 165, 180, 240, 450, 480, 720, 930, 960, 1200, 1380, 1439,
    1440,
];

/// The weeks of the default calendars (DESIGN §4) and a 24/7 week.
fn default_like_weeks() -> Vec<[Vec<String>; 7]> {
    let days = |list: [&[&str]; 7]| list.map(strings);
    vec![
        days([
            &["08:00-20:00"],
            &["08:00-20:00"],
            &["08:00-20:00"],
            &["08:00-20:00"],
            &["08:00-20:00"],
            &[],
            &[],
        ]),
        days([&["08:00-23:00"]; 7]),
        days([
            &["07:30-16:00"],
            &["07:30-16:00"],
            &["07:30-16:00"],
            &["07:30-16:00"],
            &["07:30-15:30"],
            &[],
            &[],
        ]),
        days([&["00:00-24:00"]; 7]),
    ]
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Sorted, disjoint, sometimes touching intervals between random boundary points.
fn random_day() -> impl Strategy<Value = Vec<String>> {
    let point = prop_oneof![
        2 => prop::sample::select(INTERESTING_MINUTES),
        1 => 0u32..=1440,
    ];
    (prop::collection::vec(point, 2..=6), prop::collection::vec(any::<bool>(), 5)).prop_map(
        |(mut points, keep)| {
            points.sort_unstable();
            points.dedup();
            let pairs: Vec<(u32, u32)> = points.windows(2).map(|w| (w[0], w[1])).collect();
            let mut day: Vec<String> = pairs
                .iter()
                .zip(&keep)
                .filter(|(_, keep)| **keep)
                .map(|((start, end), _)| format!("{}-{}", clock(*start), clock(*end)))
                .collect();
            if day.is_empty()
                && let Some((start, end)) = pairs.first()
            {
                day.push(format!("{}-{}", clock(*start), clock(*end)));
            }
            day
        },
    )
}

fn day_hours() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        3 => Just(Vec::new()),
        4 => prop::sample::select(PRESET_DAYS).prop_map(strings),
        3 => random_day(),
    ]
}

fn week() -> impl Strategy<Value = [Vec<String>; 7]> {
    prop_oneof![
        6 => prop::array::uniform7(day_hours()),
        1 => prop::sample::select(default_like_weeks()),
    ]
}

fn week_hours([mon, tue, wed, thu, fri, sat, sun]: [Vec<String>; 7]) -> WeekHours {
    WeekHours { mon, tue, wed, thu, fri, sat, sun }
}

/// Where a start comes from: near one of the zone's offset changes in `year`, near the usual
/// DST dates, or anywhere in the year.
#[derive(Debug, Clone)]
struct StartPlan {
    year: i32,
    kind: u8,
    pick: usize,
    day_shift: i64,
    /// Seconds from a transition (any sign) or after local midnight (non-negative).
    offset: i64,
}

fn start_plan() -> impl Strategy<Value = StartPlan> {
    let offset = prop_oneof![
        3 => 0..5 * HOUR,
        2 => 0..DAY,
        1 => -3 * HOUR..3 * HOUR,
    ];
    (1900i32..=2200, 0u8..10, 0usize..1000, -3i64..=3, offset).prop_map(
        |(year, kind, pick, day_shift, offset)| StartPlan { year, kind, pick, day_shift, offset },
    )
}

fn utc_offset(tz: Tz, t: i64) -> i64 {
    let utc = DateTime::from_timestamp(t, 0).unwrap_or_default().naive_utc();
    i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc())
}

/// The instants in (about) `year` at which the zone's UTC offset changes.
fn transitions(tz: Tz, year: i32) -> Vec<i64> {
    let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) else {
        return Vec::new();
    };
    let noon = first.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let begin = noon.timestamp() - DAY;
    let mut found = Vec::new();
    for day in 0..368 {
        let (mut lo, mut hi) = (begin + day * DAY, begin + (day + 1) * DAY);
        if utc_offset(tz, lo) == utc_offset(tz, hi) {
            continue;
        }
        // Invariant: the offset at `lo` is the old one, at `hi` the new one.
        let old = utc_offset(tz, lo);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if utc_offset(tz, mid) == old {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        found.push(hi);
    }
    found
}

/// A start instant in the engine's range, following `plan` in zone `tz`.
fn start_instant(tz: Tz, plan: &StartPlan) -> i64 {
    let near_transition = || {
        let list = transitions(tz, plan.year);
        let at = list.get(plan.pick % list.len().max(1))?;
        Some(at + plan.day_shift * DAY + plan.offset)
    };
    let local_midnight = |month: u32, day: u32, extra_days: i64| {
        let date = NaiveDate::from_ymd_opt(plan.year, month, day).unwrap_or_default();
        let date = if extra_days >= 0 {
            date.checked_add_days(Days::new(extra_days.unsigned_abs()))
        } else {
            date.checked_sub_days(Days::new(extra_days.unsigned_abs()))
        };
        let as_utc =
            date.unwrap_or_default().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp();
        as_utc - utc_offset(tz, as_utc)
    };
    let seasonal = || {
        // Late March, late October, early November, early April, early October: the DST
        // changes of the zones under test; and the turn of the year, where blocks meet.
        let anchors = [(3, 28), (10, 28), (11, 3), (4, 3), (10, 4), (12, 30)];
        let (month, day) = anchors[plan.pick % anchors.len()];
        local_midnight(month, day, plan.day_shift) + plan.offset
    };
    let anywhere = || local_midnight(1, 1, (plan.pick % 366) as i64) + plan.offset;
    let start = match plan.kind {
        0..=4 => near_transition().unwrap_or_else(seasonal),
        5..=7 => seasonal(),
        _ => anywhere(),
    };
    start.clamp(MIN_START, MAX_START)
}

/// A random calendar with a start near it.
#[derive(Debug, Clone)]
struct Case {
    spec: CalendarSpec,
    start: i64,
}

impl Case {
    fn calendar(&self) -> Result<Calendar, TestCaseError> {
        Calendar::new(self.spec.clone())
            .map_err(|e| TestCaseError::fail(format!("generated spec rejected: {e}")))
    }

    /// The case as text for a failure message: spec JSON and start.
    fn show(&self) -> String {
        format!(
            "spec {} start {} ({})",
            serde_json::to_string(&self.spec).unwrap_or_default(),
            self.start,
            at(self.start).to_rfc3339()
        )
    }
}

fn case() -> impl Strategy<Value = Case> {
    let holidays = prop::sample::select(vec![vec![], vec!["DK"], vec!["NO"], vec!["DK", "NO"]]);
    (
        prop::sample::select(&ZONES[..]),
        week(),
        holidays,
        any::<bool>(),
        prop::collection::vec(-2i64..40, 0..4),
        start_plan(),
    )
        .prop_map(|(zone, mut week, holidays, open_on_holidays, closed, plan)| {
            let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
            let start = start_instant(tz, &plan);
            if week.iter().all(Vec::is_empty) {
                week[0] = strings(&["08:00-20:00"]);
            }
            let start_day = DateTime::from_timestamp(start, 0).unwrap_or_default().date_naive();
            let closed = closed
                .into_iter()
                .map(|shift| {
                    let day = start_day + chrono::TimeDelta::days(shift);
                    day.format("%Y-%m-%d").to_string()
                })
                .collect();
            Case {
                spec: CalendarSpec {
                    timezone: zone.to_owned(),
                    hours: week_hours(week),
                    holidays: holidays.into_iter().map(str::to_owned).collect(),
                    closed,
                    open_on_holidays,
                },
                start,
            }
        })
}

/// Business seconds to add: mostly small, often whole quarters and hours, up to 60 days.
fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        1 => Just(0),
        4 => 1..=2 * HOUR,
        3 => (1..=48i64).prop_map(|k| k * 15 * MINUTE),
        2 => (1..=200i64).prop_map(|k| k * HOUR),
        1 => 0..=60 * DAY,
    ]
}

/// A span length for `elapsed`: empty, short, or up to four months.
fn span() -> impl Strategy<Value = i64> {
    prop_oneof![
        1 => Just(0),
        3 => 1..=6 * HOUR,
        3 => 0..=30 * DAY,
        1 => 0..=120 * DAY,
    ]
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn secs_of(result: Result<DateTime<Utc>, TimeError>) -> Result<i64, TimeError> {
    result.map(|t| t.timestamp())
}

/// Amounts that end exactly on a closing instant of the first few open stretches after
/// `start`, and a second either side.
fn boundary_amounts(case: &Case) -> Vec<i64> {
    let mut amounts = Vec::new();
    let mut consumed = 0;
    for (open, close) in reference::open_pieces(&case.spec, case.start, 4) {
        consumed += close - open;
        amounts.extend([consumed - 1, consumed, consumed + 1]);
    }
    amounts
}

/// `cases` cases per property, or `PROPTEST_CASES` when set (for a longer hunt).
fn config(cases: u32) -> Config {
    let cases =
        std::env::var("PROPTEST_CASES").ok().and_then(|text| text.parse().ok()).unwrap_or(cases);
    Config {
        cases,
        max_shrink_iters: 2_000,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(3072))]

    /// `due_secs` is the reference's answer, never before the start, holds exactly the target,
    /// and grows with the target; `next_open` is `due_secs(t, 0)`.
    #[test]
    fn due_secs_matches_the_reference(
        case in case(),
        random_amounts in prop::collection::vec(amount(), 1..=5),
    ) {
        let calendar = case.calendar()?;
        let start = case.start;
        let mut amounts = random_amounts;
        amounts.extend(boundary_amounts(&case));
        amounts.sort_unstable();
        amounts.dedup();
        let mut previous: Option<Result<i64, TimeError>> = None;
        for &secs in &amounts {
            let due = secs_of(calendar.due_secs(at(start), secs));
            let expected = reference::due_secs(&case.spec, start, secs).ok_or(TimeError::BeyondRange);
            prop_assert_eq!(due, expected, "due_secs({}) for {}", secs, case.show());
            if let Ok(due) = due {
                prop_assert!(due >= start);
                prop_assert_eq!(calendar.elapsed(at(start), at(due)), Ok(secs),
                    "elapsed to due_secs({}) for {}", secs, case.show());
                if secs % MINUTE == 0 {
                    prop_assert_eq!(secs_of(calendar.due(at(start), Target::Minutes(secs / MINUTE))), Ok(due));
                }
            }
            if let Some(previous) = previous {
                match (previous, due) {
                    (Ok(earlier), Ok(later)) => prop_assert!(earlier <= later, "not monotone at {} for {}", secs, case.show()),
                    (Err(_), Ok(_)) => prop_assert!(false, "an answer after BeyondRange at {} for {}", secs, case.show()),
                    _ => {}
                }
            }
            previous = Some(due);
        }
        let first_open = secs_of(calendar.next_open(at(start)));
        prop_assert_eq!(first_open, secs_of(calendar.due_secs(at(start), 0)));
        // `is_open` takes instants up to 2200 only.
        if let Some(first_open) = first_open.ok().filter(|&t| t <= MAX_START) {
            prop_assert_eq!(calendar.is_open(at(first_open)), Ok(true), "next_open for {}", case.show());
        }
    }

    /// `due` in business days is the reference's answer and grows with the count.
    #[test]
    fn due_business_days_matches_the_reference(
        case in case(),
        counts in prop::collection::vec(1i64..=40, 1..=4),
    ) {
        let calendar = case.calendar()?;
        let start = case.start;
        let mut counts = counts;
        counts.sort_unstable();
        let mut previous: Option<i64> = None;
        for &days in &counts {
            let due = secs_of(calendar.due_business_days(at(start), days));
            let expected = reference::due_business_days(&case.spec, start, days).ok_or(TimeError::BeyondRange);
            prop_assert_eq!(due, expected, "due_business_days({}) for {}", days, case.show());
            prop_assert_eq!(secs_of(calendar.due(at(start), Target::BusinessDays(days))), due);
            if let (Some(earlier), Ok(later)) = (previous, due) {
                prop_assert!(earlier <= later, "not monotone at {} for {}", days, case.show());
            }
            previous = due.ok();
        }
        prop_assert_eq!(calendar.due_business_days(at(start), 0), Err(TimeError::ZeroBusinessDays));
        prop_assert_eq!(calendar.due_business_days(at(start), -1), Err(TimeError::Negative));
    }

    /// `elapsed` is the reference's answer, adds up over a split, and refuses a reversed span.
    #[test]
    fn elapsed_matches_the_reference(
        case in case(),
        lengths in prop::collection::vec(span(), 1..=3),
        split in 0.0f64..=1.0,
    ) {
        let calendar = case.calendar()?;
        let a = case.start;
        let mut ends: Vec<i64> = lengths.iter().map(|length| a + length).collect();
        for (open, close) in reference::open_pieces(&case.spec, a, 3) {
            ends.extend([open, open + 1, close - 1, close, close + 1]);
        }
        for &b in &ends {
            let elapsed = calendar.elapsed(at(a), at(b));
            prop_assert_eq!(elapsed, Ok(reference::elapsed(&case.spec, a, b)),
                "elapsed to {} for {}", b, case.show());
            // The engine takes span starts up to 2200 only.
            let middle = (a + ((b - a) as f64 * split) as i64).min(MAX_START);
            let parts = calendar
                .elapsed(at(a), at(middle))
                .and_then(|first| Ok(first + calendar.elapsed(at(middle), at(b))?));
            prop_assert_eq!(parts, elapsed, "split at {} of [{}, {}) for {}", middle, a, b, case.show());
            if b > a {
                prop_assert_eq!(calendar.elapsed(at(b), at(a)), Err(TimeError::EndBeforeStart));
            }
        }
    }

    /// `is_open`, `next_open` and `day_kind` agree with the reference around the start and at
    /// the edges of the open stretches near it.
    #[test]
    fn is_open_and_next_open_match_the_reference(
        case in case(),
        nudges in prop::collection::vec(-2 * DAY..2 * DAY, 1..=3),
    ) {
        let calendar = case.calendar()?;
        let mut instants: Vec<i64> = nudges.iter().map(|nudge| case.start + nudge).collect();
        instants.push(case.start);
        for (open, close) in reference::open_pieces(&case.spec, case.start - DAY, 4) {
            instants.extend([open - 1, open, open + 1, close - 1, close]);
        }
        for &t in instants.iter().filter(|t| (MIN_START..=MAX_START).contains(*t)) {
            prop_assert_eq!(calendar.is_open(at(t)), Ok(reference::is_open(&case.spec, t)),
                "is_open({}) for {}", t, case.show());
            let expected = reference::due_secs(&case.spec, t, 0).ok_or(TimeError::BeyondRange);
            prop_assert_eq!(secs_of(calendar.next_open(at(t))), expected,
                "next_open({}) for {}", t, case.show());
        }
        let tz: Tz = case.spec.timezone.parse().unwrap_or(Tz::UTC);
        let start_date = at(case.start).with_timezone(&tz).date_naive();
        for date in start_date.iter_days().take(10) {
            prop_assert_eq!(calendar.day_kind(date) == DayKind::Business,
                reference::is_business_date(&case.spec, date),
                "day_kind({}) for {}", date, case.show());
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// A week without open hours answers every question with `NoOpenTime`, at once.
    #[test]
    fn a_calendar_without_hours_has_no_open_time(
        case in case(),
        secs in prop_oneof![Just(0i64), 1..=DAY, Just(600_000_000)],
        days in 1i64..=40,
    ) {
        let mut spec = case.spec.clone();
        spec.hours = WeekHours::default();
        let calendar = Calendar::new(spec).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let start = at(case.start);
        prop_assert_eq!(calendar.due_secs(start, secs), Err(TimeError::NoOpenTime));
        prop_assert_eq!(calendar.due(start, Target::Minutes(secs / MINUTE)), Err(TimeError::NoOpenTime));
        prop_assert_eq!(calendar.due(start, Target::Minutes(10_000_000)), Err(TimeError::NoOpenTime));
        prop_assert_eq!(calendar.due_business_days(start, days), Err(TimeError::NoOpenTime));
        prop_assert_eq!(calendar.due(start, Target::BusinessDays(days)), Err(TimeError::NoOpenTime));
        prop_assert_eq!(calendar.next_open(start), Err(TimeError::NoOpenTime));
        prop_assert_eq!(calendar.is_open(start), Err(TimeError::NoOpenTime));
        prop_assert_eq!(calendar.elapsed(start, at(case.start + secs)), Err(TimeError::NoOpenTime));
    }
}

/// The default-like calendars of DESIGN §4.
fn default_calendars() -> Vec<CalendarSpec> {
    let weeks = default_like_weeks();
    let spec =
        |zone: &str, week: &[Vec<String>; 7], holidays: &[&str], open_on_holidays| CalendarSpec {
            timezone: zone.to_owned(),
            hours: week_hours(week.clone()),
            holidays: strings(holidays),
            closed: Vec::new(),
            open_on_holidays,
        };
    vec![
        spec("Europe/Oslo", &weeks[0], &["NO"], false),
        spec("Europe/Oslo", &weeks[1], &[], true),
        spec("Europe/Copenhagen", &weeks[2], &["DK"], false),
    ]
}

/// Ten million minutes, the largest target a test asks for.
const HUGE_MINUTES: i64 = 10_000_000;

proptest! {
    #![proptest_config(config(16))]

    /// Ten million minutes on a default calendar either lands where exactly that much open
    /// time has passed (the reference agrees) or is past the supported range.
    #[test]
    fn huge_targets_on_default_calendars(
        which in 0usize..3,
        plan in start_plan(),
    ) {
        let spec = default_calendars().swap_remove(which);
        let calendar = Calendar::new(spec.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let tz: Tz = spec.timezone.parse().unwrap_or(Tz::UTC);
        let start = start_instant(tz, &plan);
        let due = secs_of(calendar.due(at(start), Target::Minutes(HUGE_MINUTES)));
        match due {
            Ok(due) => prop_assert_eq!(calendar.elapsed(at(start), at(due)), Ok(HUGE_MINUTES * MINUTE)),
            Err(error) => prop_assert_eq!(error, TimeError::BeyondRange),
        }
        let expected = reference::due_secs(&spec, start, HUGE_MINUTES * MINUTE).ok_or(TimeError::BeyondRange);
        prop_assert_eq!(due, expected, "start {}", start);
    }

    /// Half an hour a week cannot hold ten million minutes before the range ends: an error,
    /// not a hang.
    #[test]
    fn a_huge_target_on_a_sparse_calendar_is_beyond_range(plan in start_plan()) {
        let spec = CalendarSpec {
            timezone: "America/New_York".to_owned(),
            hours: WeekHours { sun: strings(&["02:00-02:30"]), ..WeekHours::default() },
            holidays: Vec::new(),
            closed: Vec::new(),
            open_on_holidays: false,
        };
        let calendar = Calendar::new(spec).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let start = at(start_instant(Tz::America__New_York, &plan));
        prop_assert_eq!(calendar.due(start, Target::Minutes(HUGE_MINUTES)), Err(TimeError::BeyondRange));
        prop_assert_eq!(calendar.due(start, Target::BusinessDays(HUGE_MINUTES)), Err(TimeError::BeyondRange));
    }
}

proptest! {
    #![proptest_config(config(384))]

    /// Open-time bounds are whole seconds, so an instant with a fraction of a second is open
    /// exactly when its whole second is, and if it is open it is its own next opening (to
    /// the second).
    #[test]
    fn a_fraction_of_a_second_is_decided_like_its_whole_second(
        case in case(),
        nanos in 1u32..1_000_000_000,
    ) {
        let calendar = case.calendar()?;
        let mut instants = vec![case.start];
        for (open, close) in reference::open_pieces(&case.spec, case.start - DAY, 2) {
            instants.extend([open - 1, close - 1]);
        }
        for &whole in instants.iter().filter(|t| (MIN_START..MAX_START).contains(*t)) {
            let t = DateTime::from_timestamp(whole, nanos).unwrap_or_default();
            let open = reference::is_open(&case.spec, whole);
            prop_assert_eq!(calendar.is_open(t), Ok(open), "is_open({}) for {}", t, case.show());
            if open {
                let next = secs_of(calendar.next_open(t));
                prop_assert!(next.is_ok_and(|next| next <= whole + 1),
                    "next_open({}) = {:?} for {}", t, next, case.show());
            }
        }
    }
}

/// Closed pauses after `start`: offsets and lengths in seconds, in any order.
fn pauses_after(start: i64) -> impl Strategy<Value = Vec<Pause>> {
    prop::collection::vec((0..=10 * DAY, 0..=3 * DAY), 0..4).prop_map(move |spans| {
        spans
            .into_iter()
            .map(|(offset, length)| Pause {
                from: at(start + offset),
                to: Some(at(start + offset + length)),
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(config(512))]

    /// The 100 % threshold of a running clock is its deadline as `evaluate` moves it by
    /// the same pauses; a still-open pause means no threshold lies ahead.
    #[test]
    fn the_full_threshold_is_the_deadline(
        case in case(),
        minutes in 1i64..=3_000,
        pauses in pauses_after(0),
        now_after in 0..=20 * DAY,
        open_pause in any::<bool>(),
    ) {
        let calendar = case.calendar()?;
        let mut pauses: Vec<Pause> = pauses
            .into_iter()
            .map(|p| Pause {
                from: at(case.start + p.from.timestamp()),
                to: p.to.map(|to| at(case.start + to.timestamp())),
            })
            .collect();
        let now = at(case.start + now_after);
        if open_pause {
            pauses.push(Pause { from: now, to: None });
        }
        let input = ClockInput {
            reported_at: at(case.start),
            target: Target::Minutes(minutes),
            pauses: &pauses,
            met_at: None,
            now,
            warning_percent: 75,
        };
        let (Ok(status), Ok(full)) = (evaluate(&calendar, &input), threshold_at(&calendar, &input, 100))
        else {
            return Ok(());
        };
        prop_assert_eq!(full, status.due_at, "{} pauses {:?} now {}", case.show(), pauses, now);
        if open_pause {
            // A wait that began before the deadline freezes it; one that began after it
            // comes too late to matter.
            let closed = &pauses[..pauses.len() - 1];
            let without = threshold_at(&calendar, &ClockInput { pauses: closed, ..input }, 100);
            let expected = match without {
                Ok(Some(due)) if now < due => None,
                Ok(other) => other,
                Err(_) => return Ok(()),
            };
            prop_assert_eq!(full, expected, "{} now {}", case.show(), now);
        }
    }

    /// Without pauses, a clock has used `percent` of its target at its threshold and not a
    /// second before.
    #[test]
    fn a_threshold_is_the_first_instant_at_that_share(
        case in case(),
        minutes in 1i64..=3_000,
        percent in prop::sample::select(vec![1u32, 50, 75, 99, 100, 150, 200]),
    ) {
        let calendar = case.calendar()?;
        let input = ClockInput {
            reported_at: at(case.start),
            target: Target::Minutes(minutes),
            pauses: &[],
            met_at: None,
            now: at(case.start),
            warning_percent: 75,
        };
        let Ok(Some(t)) = threshold_at(&calendar, &input, percent) else { return Ok(()) };
        let Ok(status) = evaluate(&calendar, &input) else { return Ok(()) };
        let used_at = |now: DateTime<Utc>| evaluate(&calendar, &ClockInput { now, ..input })
            .map(|s| s.used_secs);
        let share = status.budget_secs * i64::from(percent);
        prop_assert!(used_at(t).is_ok_and(|used| used * 100 >= share),
            "{}: {} % at {}", case.show(), percent, t);
        prop_assert!(used_at(t - chrono::TimeDelta::seconds(1)).is_ok_and(|used| used * 100 < share),
            "{}: {} % already before {}", case.show(), percent, t);
    }
}
