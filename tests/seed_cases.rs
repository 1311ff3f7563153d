//! Deadlines worked out by hand from the seeds' terms (DESIGN §1, §3–§5), checked against the
//! engine with the shipped default configuration.

use chrono::{DateTime, Utc};
use frist::config::Config;
use frist::sla::ClockKind::{FixStart, Response};
use frist::sla::Severity::{Critical, Normal, Serious};
use frist::sla::clock::{ClockInput, ClockState, Pause, evaluate};
use frist::sla::coverage::{Coverage, OutOfHoursChoice, quote};
use frist::sla::explain::{Step, explain_due};
use frist::sla::{Calendar, CalendarSpec, ClockKind, Severity, Sla, Target};

fn sla() -> Sla {
    match Config::default().load_sla() {
        Ok(sla) => sla,
        Err(e) => panic!("default configuration: {e}"),
    }
}

fn at(text: &str) -> DateTime<Utc> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => t.with_timezone(&Utc),
        Err(e) => panic!("{text}: {e}"),
    }
}

/// Asserts the deadline of a policy's clock for a ticket reported at `reported`.
#[track_caller]
fn assert_due(
    sla: &Sla,
    policy: &str,
    severity: Severity,
    clock: ClockKind,
    reported: &str,
    expected: &str,
) {
    assert_eq!(
        due(sla, policy, severity, clock, reported),
        at(expected),
        "{policy} {severity} {clock} from {reported}"
    );
}

/// The deadline of a policy's clock for a ticket reported at `reported`.
fn due(
    sla: &Sla,
    policy: &str,
    severity: Severity,
    clock: ClockKind,
    reported: &str,
) -> DateTime<Utc> {
    let Some(policy) = sla.policy(policy) else { panic!("no policy {policy}") };
    let Some(target) = policy.target(severity, clock) else { panic!("no target") };
    match policy.calendar.due(at(reported), target) {
        Ok(due) => due,
        Err(e) => panic!("{e}"),
    }
}

fn calendar(json: &str) -> Calendar {
    let spec: CalendarSpec = match serde_json::from_str(json) {
        Ok(spec) => spec,
        Err(e) => panic!("{e}"),
    };
    match Calendar::new(spec) {
        Ok(calendar) => calendar,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn level_1_critical_reported_friday_evening_oslo() {
    let sla = sla();
    // Friday 2026-03-27 19:30 CET: 30 min left on Friday; the weekend is closed and DST
    // starts on Sunday, so Monday opens 08:00 CEST (06:00Z).
    let reported = "2026-03-27T19:30:00+01:00";
    // Response 2 h: 30 min Friday + 90 min Monday -> Monday 09:30 CEST.
    assert_due(&sla, "level-1", Critical, Response, reported, "2026-03-30T09:30:00+02:00");
    // Fix start 8 h: 30 min Friday + 7 h 30 Monday -> Monday 15:30 CEST.
    assert_due(&sla, "level-1", Critical, FixStart, reported, "2026-03-30T15:30:00+02:00");
    // Serious fix start 24 h: 30 min Fri, 12 h Mon, 11 h 30 Tue -> Tuesday 19:30.
    assert_due(&sla, "level-1", Serious, FixStart, reported, "2026-03-31T19:30:00+02:00");
}

#[test]
fn level_2_serious_reported_the_day_before_skjaertorsdag() {
    let sla = sla();
    // Wednesday 2026-04-01 15:00; Thursday (Skjærtorsdag), Friday (Langfredag), the weekend
    // and Monday (2. påskedag) are closed in Norway.
    let reported = "2026-04-01T15:00:00+02:00";
    assert_due(&sla, "level-2", Serious, Response, reported, "2026-04-01T17:00:00+02:00");
    // Fix start 12 h: 5 h on Wednesday, then 7 h from Tuesday 08:00.
    assert_due(&sla, "level-2", Serious, FixStart, reported, "2026-04-07T15:00:00+02:00");
}

#[test]
fn level_3_on_17_may_runs_but_level_1_does_not() {
    let sla = sla();
    // 17 May 2026 is a Sunday and a public holiday; level 3 is open every day 08–23.
    let reported = "2026-05-17T22:30:00+02:00";
    assert_due(&sla, "level-3", Critical, Response, reported, "2026-05-18T08:30:00+02:00");
    assert_due(&sla, "level-3", Critical, FixStart, reported, "2026-05-18T11:30:00+02:00");
    let daytime = "2026-05-17T10:00:00+02:00";
    assert_due(&sla, "level-3", Critical, Response, daytime, "2026-05-17T11:00:00+02:00");
    // Level 1 is closed on the holiday and opens Monday 08:00.
    assert_due(&sla, "level-1", Critical, Response, daytime, "2026-05-18T10:00:00+02:00");
}

#[test]
fn dk_office_ticket_at_friday_15_31_is_out_of_hours() {
    let sla = sla();
    let office = &sla.provider.office;
    let fee = sla.provider.startup_fee();
    // Friday 2026-11-20 15:31: the office closed at 15:30.
    let filed = at("2026-11-20T15:31:00+01:00");
    let Ok(quote_without) = quote(office, false, filed, &fee) else { panic!() };
    assert_eq!(quote_without.coverage, Coverage::OutOfHours);
    assert_eq!(quote_without.next_opening, at("2026-11-23T07:30:00+01:00"));
    assert_eq!(
        quote_without.fee_for(OutOfHoursChoice::OncallNow).map(|m| m.to_string()),
        Some("DKK 5000.00".to_owned())
    );
    assert_eq!(quote_without.fee_for(OutOfHoursChoice::Wait), None);
    // A 24/7 customer never pays.
    let Ok(quote_24x7) = quote(office, true, filed, &fee) else { panic!() };
    assert_eq!(quote_24x7.coverage, Coverage::OnCall24x7);
    assert_eq!(quote_24x7.fee_for(OutOfHoursChoice::OncallNow), None);
    // One minute earlier it is inside office hours.
    let Ok(inside) = quote(office, false, at("2026-11-20T15:29:00+01:00"), &fee) else { panic!() };
    assert_eq!(inside.coverage, Coverage::InsideServiceWindow);
    // Seed 004: an outage of a provider-owned service, fix started within 4 business hours:
    // from Monday 07:30 -> 11:30.
    assert_eq!(office.due(filed, Target::Minutes(240)), Ok(at("2026-11-23T11:30:00+01:00")));
}

#[test]
fn seven_business_days_across_easter_and_christmas() {
    let sla = sla();
    // Basic: fix started within 7 working days. From Wednesday before Easter 2026: Apr 7, 8,
    // 9, 10, 13, 14, 15 -> close of Apr 15 (15:00).
    assert_due(
        &sla,
        "basic",
        Normal,
        FixStart,
        "2026-04-01T10:00:00+02:00",
        "2026-04-15T15:00:00+02:00",
    );
    // From Tuesday 2026-12-22: Dec 23, 24 (not a public holiday), 28, 29, 30, 31, then 1 Jan
    // is Nyttårsdag and the weekend follows: Jan 4 is the 7th.
    assert_due(
        &sla,
        "basic",
        Normal,
        FixStart,
        "2026-12-22T12:00:00+01:00",
        "2027-01-04T15:00:00+01:00",
    );
    // With Christmas Eve and New Year's Eve closed, two more dates are needed.
    let closed = calendar(
        r#"{"timezone":"Europe/Oslo","holidays":["NO"],"closed":["2026-12-24","2026-12-31"],
        "hours":{"mon":["09:00-15:00"],"tue":["09:00-15:00"],"wed":["09:00-15:00"],"thu":["09:00-15:00"],"fri":["09:00-15:00"]}}"#,
    );
    assert_eq!(
        closed.due(at("2026-12-22T12:00:00+01:00"), Target::BusinessDays(7)),
        Ok(at("2027-01-06T15:00:00+01:00"))
    );
    // The offset written in the start does not matter, only its local date in Oslo.
    assert_eq!(
        closed.due(at("2026-12-22T23:30:00-10:00"), Target::BusinessDays(1)),
        Ok(at("2026-12-28T15:00:00+01:00"))
    );
}

#[test]
fn twenty_four_business_hours_across_the_spring_change_end_at_13_local() {
    // DESIGN §3: a 24/7 calendar, from Saturday 2026-03-28 12:00 Oslo time, ends Sunday 13:00.
    let always = calendar(
        r#"{"timezone":"Europe/Oslo","hours":{"mon":["00:00-24:00"],"tue":["00:00-24:00"],
        "wed":["00:00-24:00"],"thu":["00:00-24:00"],"fri":["00:00-24:00"],"sat":["00:00-24:00"],"sun":["00:00-24:00"]}}"#,
    );
    assert_eq!(
        always.due(at("2026-03-28T12:00:00+01:00"), Target::Minutes(24 * 60)),
        Ok(at("2026-03-29T13:00:00+02:00"))
    );
    // The spring day holds 23 hours, the autumn day 25.
    assert_eq!(
        always.elapsed(at("2026-03-29T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00")),
        Ok(23 * 3600)
    );
    assert_eq!(
        always.elapsed(at("2026-10-25T00:00:00+02:00"), at("2026-10-26T00:00:00+01:00")),
        Ok(25 * 3600)
    );
}

#[test]
fn an_interval_inside_the_fold_counts_real_time() {
    // Oslo 01:00-04:00 is open 2 h on the spring day and 4 h on the autumn day.
    let night = calendar(r#"{"timezone":"Europe/Oslo","hours":{"sun":["01:00-04:00"]}}"#);
    assert_eq!(
        night.elapsed(at("2026-03-29T00:00:00+01:00"), at("2026-03-29T12:00:00+02:00")),
        Ok(2 * 3600)
    );
    assert_eq!(
        night.elapsed(at("2026-10-25T00:00:00+02:00"), at("2026-10-25T12:00:00+01:00")),
        Ok(4 * 3600)
    );
    // During the repeated hour the clock is open by its UTC bounds.
    assert_eq!(night.is_open(at("2026-10-25T02:30:00+01:00")), Ok(true));
    // An interval wholly inside the spring gap holds nothing.
    let gap =
        calendar(r#"{"timezone":"Europe/Oslo","hours":{"sun":["02:00-02:30","05:00-06:00"]}}"#);
    assert_eq!(
        gap.due(at("2026-03-29T00:00:00+01:00"), Target::Minutes(10)),
        Ok(at("2026-03-29T05:10:00+02:00"))
    );
}

#[test]
fn a_closing_instant_is_not_open() {
    let sla = sla();
    let Some(level_1) = sla.policy("level-1") else { panic!() };
    let cal = &level_1.calendar;
    // One hour from 19:00 ends at the 20:00 close, not at Monday's opening.
    assert_eq!(
        cal.due(at("2026-03-27T19:00:00+01:00"), Target::Minutes(60)),
        Ok(at("2026-03-27T20:00:00+01:00"))
    );
    // Zero from the closing instant is the next opening.
    assert_eq!(
        cal.due(at("2026-03-27T20:00:00+01:00"), Target::Minutes(0)),
        Ok(at("2026-03-30T08:00:00+02:00"))
    );
    assert_eq!(cal.is_open(at("2026-03-27T20:00:00+01:00")), Ok(false));
    assert_eq!(cal.is_open(at("2026-03-27T19:59:59+01:00")), Ok(true));
    // A fraction of a second after the start counts as the next whole second.
    assert_eq!(
        cal.due(at("2026-03-27T18:00:00.250+01:00"), Target::Minutes(60)),
        Ok(at("2026-03-27T19:00:01+01:00"))
    );
}

#[test]
fn a_pause_opened_this_very_second_already_freezes_the_clock() {
    let sla = sla();
    let Some(level_1) = sla.policy("level-1") else { panic!() };
    let pauses = [Pause { from: at("2026-03-02T09:30:00+01:00"), to: None }];
    let input = ClockInput {
        reported_at: at("2026-03-02T09:00:00+01:00"),
        target: Target::Minutes(120),
        pauses: &pauses,
        met_at: None,
        now: at("2026-03-02T09:30:00+01:00"),
        warning_percent: 75,
    };
    let Ok(status) = evaluate(&level_1.calendar, &input) else { panic!() };
    assert_eq!(status.state, ClockState::Paused);
    assert_eq!(status.due_at, None);
    // A closed pause of no length moves nothing.
    let pauses = [Pause {
        from: at("2026-03-02T09:30:00+01:00"),
        to: Some(at("2026-03-02T09:30:00+01:00")),
    }];
    let Ok(status) = evaluate(&level_1.calendar, &ClockInput { pauses: &pauses, ..input }) else {
        panic!()
    };
    assert_eq!(status.due_at, Some(at("2026-03-02T11:00:00+01:00")));
    // A pause that ended before the clock started (a reopened ticket) moves nothing either.
    let pauses = [Pause {
        from: at("2026-03-02T08:00:00+01:00"),
        to: Some(at("2026-03-02T08:30:00+01:00")),
    }];
    let Ok(status) = evaluate(&level_1.calendar, &ClockInput { pauses: &pauses, ..input }) else {
        panic!()
    };
    assert_eq!(status.due_at, Some(at("2026-03-02T11:00:00+01:00")));
}

#[test]
fn a_wait_on_the_customer_moves_the_deadline_by_the_business_time_paused() {
    let sla = sla();
    let Some(level_1) = sla.policy("level-1") else { panic!() };
    let cal = &level_1.calendar;
    // Critical, Monday 2026-03-02 09:00; response due 11:00. Waiting 09:30-10:30 moves it to 12:00.
    let pauses = [Pause {
        from: at("2026-03-02T09:30:00+01:00"),
        to: Some(at("2026-03-02T10:30:00+01:00")),
    }];
    let input = ClockInput {
        reported_at: at("2026-03-02T09:00:00+01:00"),
        target: Target::Minutes(120),
        pauses: &pauses,
        met_at: None,
        now: at("2026-03-02T11:30:00+01:00"),
        warning_percent: 75,
    };
    let Ok(status) = evaluate(cal, &input) else { panic!() };
    assert_eq!(status.due_at, Some(at("2026-03-02T12:00:00+01:00")));
    assert_eq!(status.base_due_at, at("2026-03-02T11:00:00+01:00"));
    assert_eq!(status.paused_secs, 3600);
    assert_eq!(status.used_secs, 90 * 60);
    assert_eq!(status.remaining_secs, 30 * 60);
    assert_eq!(status.state, ClockState::Warning);
    // Met at 11:45 -> met in time, though after the base deadline.
    let Ok(met) =
        evaluate(cal, &ClockInput { met_at: Some(at("2026-03-02T11:45:00+01:00")), ..input })
    else {
        panic!()
    };
    assert_eq!(met.state, ClockState::Met);
    // Unmet at 12:00:01 -> breached.
    let Ok(late) = evaluate(cal, &ClockInput { now: at("2026-03-02T12:00:01+01:00"), ..input })
    else {
        panic!()
    };
    assert_eq!(late.state, ClockState::Breached);
    // Still waiting at 11:30: paused, no deadline, 30 minutes used.
    let open = [Pause { from: at("2026-03-02T09:30:00+01:00"), to: None }];
    let Ok(paused) = evaluate(cal, &ClockInput { pauses: &open, ..input }) else { panic!() };
    assert_eq!(paused.state, ClockState::Paused);
    assert_eq!(paused.due_at, None);
    assert_eq!(paused.used_secs, 30 * 60);
    // A wait over the weekend counts only its business time: Fri 19:45-20:00 and Mon 08:00-09:00.
    let weekend = [Pause {
        from: at("2026-03-06T19:45:00+01:00"),
        to: Some(at("2026-03-09T09:00:00+01:00")),
    }];
    let friday = ClockInput {
        reported_at: at("2026-03-06T19:30:00+01:00"),
        pauses: &weekend,
        now: at("2026-03-09T09:00:00+01:00"),
        ..input
    };
    let Ok(moved) = evaluate(cal, &friday) else { panic!() };
    assert_eq!(moved.paused_secs, 75 * 60);
    assert_eq!(moved.due_at, Some(at("2026-03-09T10:45:00+01:00")));
}

#[test]
fn explain_walks_the_arithmetic_and_sums_to_the_target() {
    let sla = sla();
    let Some(level_2) = sla.policy("level-2") else { panic!() };
    let Ok(explanation) =
        explain_due(&level_2.calendar, at("2026-04-01T15:00:00+02:00"), Target::Minutes(720))
    else {
        panic!()
    };
    let open: i64 = explanation
        .steps
        .iter()
        .map(|step| match step {
            Step::Open { secs, .. } => *secs,
            _ => 0,
        })
        .sum();
    assert_eq!(open, 720 * 60);
    let skipped: Vec<String> = explanation
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::Skipped { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        skipped,
        [
            "public holiday: Skjærtorsdag",
            "public holiday: Langfredag",
            "no open hours on Sat",
            "no open hours on Sun",
            "public holiday: 2. påskedag"
        ]
    );
    let text = explanation.to_string();
    assert!(text.contains("Due: Tue 2026-04-07 15:00 (+02:00) = 2026-04-07T13:00:00Z"), "{text}");
}

#[test]
fn explain_shows_pauses_and_business_days() {
    use frist::sla::explain::explain_clock;
    let sla = sla();
    let Some(level_1) = sla.policy("level-1") else { panic!() };
    let pauses = [Pause {
        from: at("2026-03-02T09:30:00+01:00"),
        to: Some(at("2026-03-02T10:30:00+01:00")),
    }];
    let input = ClockInput {
        reported_at: at("2026-03-02T09:00:00+01:00"),
        target: Target::Minutes(120),
        pauses: &pauses,
        met_at: None,
        now: at("2026-03-02T10:45:00+01:00"),
        warning_percent: 75,
    };
    let Ok(explanation) = explain_clock(&level_1.calendar, &input) else { panic!() };
    let text = explanation.to_string();
    assert!(
        text.contains("waiting on customer Mon 2026-03-02 09:30 (+01:00) to Mon 2026-03-02 10:30 (+01:00): 1h paused; due was Mon 2026-03-02 11:00 (+01:00), due moves to Mon 2026-03-02 12:00 (+01:00)"),
        "{text}"
    );
    assert!(text.ends_with("Due: Mon 2026-03-02 12:00 (+01:00) = 2026-03-02T11:00:00Z"), "{text}");

    let Some(basic) = sla.policy("basic") else { panic!() };
    let Ok(days) =
        explain_due(&basic.calendar, at("2026-04-01T10:00:00+02:00"), Target::BusinessDays(7))
    else {
        panic!()
    };
    let counted: Vec<String> = days
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::BusinessDay { date, .. } => Some(date.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        counted,
        [
            "2026-04-07",
            "2026-04-08",
            "2026-04-09",
            "2026-04-10",
            "2026-04-13",
            "2026-04-14",
            "2026-04-15"
        ]
    );
    // A long target is summarised, and still names its end.
    let Ok(long) =
        explain_due(&basic.calendar, at("2026-04-01T10:00:00+02:00"), Target::BusinessDays(400))
    else {
        panic!()
    };
    assert!(long.steps.len() < 80, "{} steps", long.steps.len());
    assert!(matches!(long.steps.last(), Some(Step::BusinessDay { number: 400, .. })));
    let Ok(long_minutes) =
        explain_due(&basic.calendar, at("2026-04-01T10:00:00+02:00"), Target::Minutes(500_000))
    else {
        panic!()
    };
    let total = long_minutes.steps.iter().rev().find_map(|step| match step {
        Step::Open { total_secs, .. } | Step::Omitted { total_secs, .. } => Some(*total_secs),
        _ => None,
    });
    assert_eq!(total, Some(500_000 * 60));
}

#[test]
fn an_outage_of_a_provider_owned_service_has_fix_started_within_4_hours() {
    // Seed 004: the rule replaces a longer target, and never lengthens a shorter one.
    let sla = sla();
    let fix_start = |policy: &str, severity, owned_outage| {
        let Some(policy) = sla.policy(policy) else { panic!("no policy {policy}") };
        sla.fix_start_target(policy, severity, owned_outage)
    };
    assert_eq!(fix_start("basic", Normal, false), Some(Target::BusinessDays(7)));
    assert_eq!(fix_start("basic", Normal, true), Some(Target::Minutes(240)));
    assert_eq!(fix_start("level-2", Critical, true), Some(Target::Minutes(240)));
    assert_eq!(fix_start("level-2", Critical, false), Some(Target::Minutes(360)));
    assert_eq!(fix_start("level-3", Critical, true), Some(Target::Minutes(240)));
    assert_eq!(fix_start("level-3", Serious, true), Some(Target::Minutes(240)));
    assert_eq!(fix_start("level-1", Normal, true), Some(Target::Minutes(240)));
}

#[test]
fn a_clock_met_while_waiting_is_met_and_a_wait_after_the_deadline_changes_nothing() {
    let sla = sla();
    let Some(level_1) = sla.policy("level-1") else { panic!() };
    let cal = &level_1.calendar;
    // Response due 11:00; the ticket waits from 09:30 and a technician answers at 11:15.
    let waiting = [Pause { from: at("2026-03-02T09:30:00+01:00"), to: None }];
    let input = ClockInput {
        reported_at: at("2026-03-02T09:00:00+01:00"),
        target: Target::Minutes(120),
        pauses: &waiting,
        met_at: Some(at("2026-03-02T11:15:00+01:00")),
        now: at("2026-03-02T15:00:00+01:00"),
        warning_percent: 75,
    };
    let Ok(status) = evaluate(cal, &input) else { panic!() };
    assert_eq!(status.state, ClockState::Met);
    assert_eq!(status.used_secs, 30 * 60);
    // A wait that begins after the deadline has passed does not un-breach it.
    let late_wait = [Pause { from: at("2026-03-02T11:30:00+01:00"), to: None }];
    let Ok(late) = evaluate(cal, &ClockInput { pauses: &late_wait, met_at: None, ..input }) else {
        panic!()
    };
    assert_eq!(late.state, ClockState::Breached);
    assert_eq!(late.due_at, Some(at("2026-03-02T11:00:00+01:00")));
    // A pause that ends before it begins is rejected.
    let backwards = [Pause {
        from: at("2026-03-02T10:00:00+01:00"),
        to: Some(at("2026-03-02T09:45:00+01:00")),
    }];
    assert!(evaluate(cal, &ClockInput { pauses: &backwards, ..input }).is_err());
}

#[test]
fn a_deadline_at_the_very_end_of_the_supported_range_is_refused() {
    // Found by fuzzing: the answer used to be 2301-01-01T00:00:00Z, which elapsed refused.
    let always = calendar(
        r#"{"timezone":"UTC","hours":{"mon":["00:00-24:00"],"tue":["00:00-24:00"],
        "wed":["00:00-24:00"],"thu":["00:00-24:00"],"fri":["00:00-24:00"],"sat":["00:00-24:00"],
        "sun":["00:00-24:00"]}}"#,
    );
    let start = at("2200-12-31T23:59:00Z");
    let to_the_end = 52_594_561;
    assert_eq!(
        always.due(start, Target::Minutes(to_the_end)),
        Err(frist::sla::TimeError::BeyondRange)
    );
    assert_eq!(
        always.due(start, Target::BusinessDays(36_524)),
        Err(frist::sla::TimeError::BeyondRange)
    );
    let Ok(last) = always.due(start, Target::Minutes(to_the_end - 1)) else { panic!() };
    assert_eq!(always.elapsed(start, last), Ok((to_the_end - 1) * 60));
}
