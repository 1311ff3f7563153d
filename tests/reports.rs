//! The monthly SLA report over a hand-built month: October 2026 in the provider's zone
//! (Europe/Copenhagen: 1 October 00:00 CEST to 1 November 00:00 CET, 745 hours, the clocks
//! going back on Sunday 25 October), five customer organizations on five policies, 32
//! tickets filed and worked over real HTTP with an injected clock. Every figure is worked out
//! by hand below; the percentiles are checked against a sort-and-interpolate of our own.
//! Then the month is closed, edited under (a policy edit, a late reply, a severity change),
//! read back byte-identical, recomputed as version 2 with its differing rows, and a third
//! close changes nothing.
//!
//! All local times are Oslo's, which is Copenhagen's: CEST (UTC+2) up to Sunday 25 October
//! 03:00, CET (UTC+1) after.

#[path = "support/app.rs"]
mod app;

use std::collections::BTreeMap;

use app::{TestApp, oslo};
use chrono::{DateTime, Utc};
use frist::auth::Role;
use frist::reports::csv::Profile;
use frist::reports::figures::{Figures, Tally};
use frist::reports::live::ClockRow;
use frist::reports::snapshot::Closed;
use frist::reports::{export, read, snapshot};
use frist::sla::ClockKind;
use frist::sla::report::{Month, Outcome};
use serde_json::{Value, json};

const R: ClockKind = ClockKind::Response;
const F: ClockKind = ClockKind::FixStart;
const MET: Outcome = Outcome::Met;
const BR: Outcome = Outcome::Breached;
const PEND: Outcome = Outcome::Pending;
const H: i64 = 3600;
const MIN: i64 = 60;
/// The start-up fee in the default config: 5 000 DKK.
const FEE: i64 = 500_000;

/// An instant in Oslo local time in 2026.
fn o(mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    oslo(2026, mo, d, h, mi)
}

fn october() -> Month {
    Month::new(2026, 10).unwrap_or_else(|| panic!("no October"))
}

fn november() -> Month {
    Month::new(2026, 11).unwrap_or_else(|| panic!("no November"))
}

/// How a ticket filed out of hours chose.
#[derive(Clone, Copy, PartialEq)]
enum Choice {
    InHours,
    Wait,
    Fee,
}

struct World {
    app: TestApp,
    engine: frist::tickets::Engine,
    tech: String,
    admin: String,
    /// Customer token per organization letter.
    customers: BTreeMap<char, String>,
    /// Organization id per letter.
    orgs: BTreeMap<char, i64>,
    /// Ticket id per key ("A1").
    tickets: BTreeMap<&'static str, i64>,
}

impl World {
    fn at(&self, at: DateTime<Utc>) {
        self.app.at(at);
    }

    fn file(&mut self, key: &'static str, severity: &str, category: &str, choice: Choice) {
        let org = key.chars().next().unwrap_or('?');
        let token = self.customers.get(&org).unwrap_or_else(|| panic!("no customer {org}"));
        let mut body = json!({"title": key, "description": "hand-built month",
            "severity": severity, "category": category});
        match choice {
            Choice::InHours => {}
            Choice::Wait => body["out_of_hours_choice"] = json!("wait"),
            Choice::Fee => {
                body["out_of_hours_choice"] = json!("oncall_now");
                body["fee_consent"] = json!({"minor": FEE, "currency": "DKK"});
            }
        }
        let ticket = self.app.file(token, body);
        assert_eq!(ticket["out_of_hours"], choice != Choice::InHours, "{key}: {ticket}");
        let id = ticket["id"].as_i64().unwrap_or_else(|| panic!("{ticket}"));
        self.tickets.insert(key, id);
    }

    fn id(&self, key: &str) -> i64 {
        *self.tickets.get(key).unwrap_or_else(|| panic!("no ticket {key}"))
    }

    fn act(&self, key: &str, action: &str, body: Value) -> Value {
        self.app.act(&self.tech, self.id(key), action, body)
    }

    fn reply(&self, key: &str) {
        self.act(key, "reply", json!({"body": "We are on it."}));
    }

    fn start_fix(&self, key: &str) {
        self.act(key, "start_fix", json!({}));
    }

    fn sweep(&self, at: DateTime<Utc>, fired: usize) {
        self.at(at);
        let report = self.app.sweep();
        assert_eq!(report.fired.len(), fired, "sweep at {at}: {:?}", report.fired);
    }

    fn org(&self, letter: char) -> i64 {
        *self.orgs.get(&letter).unwrap_or_else(|| panic!("no org {letter}"))
    }

    fn report(&self, month: Month, letter: char, version: Option<i32>) -> read::MonthReport {
        read::organization(
            &mut self.app.conn(),
            &self.engine,
            month,
            self.org(letter),
            version,
            self.app.now(),
        )
        .unwrap_or_else(|e| panic!("report {month} {letter}: {e}"))
    }

    fn key_of(&self, ticket: i64) -> &'static str {
        self.tickets
            .iter()
            .find(|(_, id)| **id == ticket)
            .map(|(k, _)| *k)
            .unwrap_or_else(|| panic!("unknown ticket {ticket}"))
    }
}

/// A policy with a round-the-clock window and one closed date (Friday 16 October, standing
/// in for a holiday: neither Denmark nor Norway has one in October).
fn round_the_clock() -> Value {
    let day = json!(["00:00-24:00"]);
    json!({
        "description": "Round the clock, closed on 16 October",
        "calendar": {"timezone": "Europe/Oslo",
            "hours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day},
            "closed": ["2026-10-16"]},
        "targets": {"critical": {"response": "2h", "fix_start": "4h"},
                    "serious": {"response": "4h", "fix_start": "8h"}}
    })
}

fn world() -> World {
    let app = TestApp::start(o(9, 30, 12, 0));
    let (_, tech) = app.staff(Role::Technician, "tess@frist.example");
    let (_, admin) = app.staff(Role::Admin, "ada@frist.example");
    app.staff(Role::Manager, "mona@frist.example");
    let created = app.post(
        &admin,
        "/api/v1/policies",
        json!({"name": "round-the-clock", "spec": round_the_clock()}),
    );
    assert_eq!(created.status, 201, "{}", created.json);
    let mut orgs = BTreeMap::new();
    let mut customers = BTreeMap::new();
    for (letter, name, policy) in [
        ('A', "Alfa AS", Some("level-1")),
        ('B', "Bravo AS", Some("level-2")),
        ('C', "Charlie AS", Some("level-3")),
        ('D', "Delta AS", Some("round-the-clock")),
        ('E', "Echo AS", None),
    ] {
        let id = app.customer_org(name, policy, false);
        let (_, token) = app.user(
            id,
            Role::Customer,
            &format!("kari@{}.no", name.to_lowercase().replace(' ', "")),
        );
        orgs.insert(letter, id);
        customers.insert(letter, token);
    }
    let engine = app.engine();
    World { app, engine, tech, admin, customers, orgs, tickets: BTreeMap::new() }
}

/// Files and works the 32 tickets of October, in time order, with the escalation sweeps.
///
/// Policies: A = level-1 (Mon–Fri 08–20; critical 2h/8h, serious 2h/24h, normal: none),
/// B = level-2 (Mon–Fri 08–20; critical 2h/6h, serious 2h/12h), C = level-3 (daily 08–23;
/// critical 1h/4h, serious 2h/6h), D = round-the-clock (24/7 but closed 16 Oct; critical
/// 2h/4h, serious 4h/8h), E = basic (no contract; Mon–Fri 09–15; fix start 7bd).
fn build_october(w: &mut World) {
    let ff = "functional_fault";
    // Thu 1 Oct 08:00 B1 serious: reply 08:20, fix 12:00 (due 20:00).
    w.at(o(10, 1, 8, 0));
    w.file("B1", "serious", ff, Choice::InHours);
    w.at(o(10, 1, 8, 20));
    w.reply("B1");
    w.at(o(10, 1, 12, 0));
    w.start_fix("B1");
    // Thu 1 Oct 15:00 B2 critical: response due 17:00, replied 18:00; fix due Fri 09:00,
    // started Fri 10:00.
    w.at(o(10, 1, 15, 0));
    w.file("B2", "critical", "customer_outage", Choice::InHours);
    w.at(o(10, 1, 18, 0));
    w.reply("B2");
    w.at(o(10, 2, 10, 0));
    w.start_fix("B2");
    // Sat 3 Oct 10:00 C1 critical: reply 10:40, fix 13:00 (due 14:00).
    w.at(o(10, 3, 10, 0));
    w.file("C1", "critical", "customer_outage", Choice::InHours);
    w.at(o(10, 3, 10, 40));
    w.reply("C1");
    w.at(o(10, 3, 13, 0));
    w.start_fix("C1");
    // Sun 4 Oct 22:30 C2 serious (in hours: level-3 closes at 23:00).
    w.at(o(10, 4, 22, 30));
    w.file("C2", "serious", ff, Choice::InHours);
    // Mon 5 Oct 08:00 B3 critical: reply 08:05, fix 08:10.
    w.at(o(10, 5, 8, 0));
    w.file("B3", "critical", ff, Choice::InHours);
    w.at(o(10, 5, 8, 5));
    w.reply("B3");
    w.at(o(10, 5, 8, 10));
    w.start_fix("B3");
    w.at(o(10, 5, 8, 30));
    w.reply("C2");
    w.at(o(10, 5, 9, 0));
    w.file("A1", "critical", ff, Choice::InHours);
    w.at(o(10, 5, 10, 0));
    w.file("E1", "normal", ff, Choice::InHours);
    w.at(o(10, 5, 10, 30));
    w.reply("A1");
    w.at(o(10, 5, 12, 0));
    w.start_fix("A1");
    w.at(o(10, 5, 13, 0));
    w.act("A1", "resolve", json!({}));
    w.at(o(10, 5, 14, 0));
    w.start_fix("C2");
    // Tue 6 Oct.
    w.at(o(10, 6, 10, 0));
    w.file("B4", "serious", ff, Choice::InHours);
    w.at(o(10, 6, 11, 59));
    w.reply("B4");
    w.at(o(10, 6, 14, 0));
    w.file("A2", "serious", ff, Choice::InHours);
    w.at(o(10, 6, 17, 0));
    w.reply("A2");
    w.at(o(10, 6, 21, 0));
    w.start_fix("B4");
    // Wed 7 Oct.
    w.at(o(10, 7, 10, 0));
    w.start_fix("A2");
    w.at(o(10, 7, 11, 0));
    w.file("A3", "critical", ff, Choice::InHours);
    // A3's response warning 12:30, breach 13:00, manager 14:00; fix warning 17:00, breach
    // 19:00: five at once; its fix manager escalation (12 h: Thu 11:00) the next day.
    w.sweep(o(10, 7, 21, 0), 5);
    w.at(o(10, 8, 10, 0));
    w.start_fix("E1");
    w.sweep(o(10, 8, 12, 0), 1);
    w.at(o(10, 8, 19, 30));
    w.file("A4", "critical", ff, Choice::InHours);
    w.at(o(10, 9, 8, 15));
    w.reply("A4");
    w.at(o(10, 9, 9, 0));
    w.start_fix("A4");
    // Sat 10 Oct: out of level-1's hours.
    w.at(o(10, 10, 11, 0));
    w.file("A5", "critical", ff, Choice::Wait);
    w.at(o(10, 10, 12, 0));
    w.file("A6", "critical", ff, Choice::Fee);
    // Mon 12 Oct.
    w.at(o(10, 12, 8, 30));
    w.reply("A6");
    w.at(o(10, 12, 9, 0));
    w.reply("A5");
    w.at(o(10, 12, 9, 30));
    w.start_fix("A6");
    w.at(o(10, 12, 10, 0));
    w.file("A7", "normal", "question", Choice::InHours);
    w.at(o(10, 12, 11, 0));
    w.start_fix("A5");
    // Tue 13 Oct A8 serious, waiting on the customer 09:30–10:30.
    w.at(o(10, 13, 9, 0));
    w.file("A8", "serious", ff, Choice::InHours);
    w.at(o(10, 13, 9, 30));
    w.act("A8", "wait", json!({}));
    w.at(o(10, 13, 10, 30));
    w.act("A8", "resume", json!({}));
    w.at(o(10, 13, 11, 45));
    w.reply("A8");
    // Wed 14 Oct.
    w.at(o(10, 14, 9, 0));
    w.start_fix("A8");
    w.file("B5", "critical", ff, Choice::InHours);
    w.at(o(10, 14, 9, 30));
    w.act("B5", "wait", json!({}));
    w.at(o(10, 14, 9, 45));
    w.act("B5", "resume", json!({}));
    w.at(o(10, 14, 10, 0));
    w.file("A9", "critical", ff, Choice::InHours);
    w.at(o(10, 14, 10, 30));
    w.reply("A9");
    w.at(o(10, 14, 11, 0));
    w.start_fix("A9");
    w.at(o(10, 14, 11, 30));
    w.reply("B5");
    w.at(o(10, 14, 12, 0));
    w.act("A9", "resolve", json!({}));
    w.at(o(10, 14, 15, 0));
    w.start_fix("B5");
    // Thu 15 Oct: the customer reopens A9; fix start runs again (8 h: due 18:00).
    w.at(o(10, 15, 10, 0));
    let reopened = w.app.act(&w.customers[&'A'], w.id("A9"), "reopen", json!({}));
    assert_eq!(reopened["status"], "open");
    w.at(o(10, 15, 13, 0));
    w.start_fix("A9");
    // Thu 15 Oct 23:00 D1 critical, across the closed Friday.
    w.at(o(10, 15, 23, 0));
    w.file("D1", "critical", "other", Choice::InHours);
    w.at(o(10, 16, 12, 0));
    w.reply("D1");
    w.at(o(10, 17, 2, 0));
    w.start_fix("D1");
    // Sun 18 Oct: out of level-2's hours.
    w.at(o(10, 18, 10, 0));
    w.file("B6", "serious", ff, Choice::Wait);
    w.at(o(10, 18, 11, 0));
    w.file("B7", "critical", ff, Choice::Fee);
    w.at(o(10, 18, 11, 10));
    w.reply("B7");
    w.at(o(10, 18, 11, 30));
    w.start_fix("B7");
    // Mon 19 Oct.
    w.at(o(10, 19, 9, 0));
    w.file("A10", "critical", ff, Choice::InHours);
    w.at(o(10, 19, 10, 0));
    w.reply("A10");
    w.file("E2", "serious", ff, Choice::InHours);
    w.file("D4", "serious", ff, Choice::InHours);
    w.at(o(10, 19, 10, 30));
    w.reply("B6");
    w.at(o(10, 19, 11, 0));
    w.reply("D4");
    w.at(o(10, 19, 12, 0));
    w.start_fix("B6");
    w.at(o(10, 19, 15, 0));
    let changed = w.act("A10", "change_severity", json!({"severity": "serious"}));
    // Recomputed from reported_at: 24 h = Mon 09–20 (11 h) + Tue (12 h) + Wed 08–09.
    assert_eq!(changed["fix_start_due_at"], json!(o(10, 21, 9, 0)), "{changed}");
    w.at(o(10, 19, 17, 0));
    w.start_fix("D4");
    w.at(o(10, 20, 10, 0));
    w.start_fix("A10");
    // Tue 20 Oct 23:30: out of level-3's hours.
    w.at(o(10, 20, 23, 30));
    w.file("C4", "critical", ff, Choice::Wait);
    w.at(o(10, 21, 8, 45));
    w.reply("C4");
    w.at(o(10, 21, 11, 0));
    w.start_fix("C4");
    w.at(o(10, 22, 6, 0));
    w.file("C5", "critical", ff, Choice::Fee);
    w.at(o(10, 22, 6, 30));
    w.reply("C5");
    w.at(o(10, 22, 8, 30));
    w.start_fix("C5");
    // The DST weekend.
    w.at(o(10, 23, 19, 0));
    w.file("A11", "critical", ff, Choice::InHours);
    w.at(o(10, 24, 22, 30));
    w.file("C3", "critical", ff, Choice::InHours);
    // Sun 25 Oct 01:30 CEST = Sat 23:30 UTC; the day has 25 hours.
    w.at(o(10, 25, 1, 30));
    w.file("D2", "serious", ff, Choice::InHours);
    let d2 = w.app.get(&w.tech, &format!("/api/v1/tickets/{}", w.id("D2")));
    // 4 h of a round-the-clock window is 4 real hours: 03:30 UTC = 04:30 CET, not 05:30.
    assert_eq!(d2.json["response_due_at"], json!(o(10, 25, 4, 30)), "{}", d2.json);
    w.at(o(10, 25, 4, 0));
    w.reply("D2");
    w.at(o(10, 25, 8, 10));
    w.reply("C3");
    w.at(o(10, 25, 9, 0));
    w.start_fix("D2");
    w.at(o(10, 25, 12, 0));
    w.start_fix("C3");
    // A11's response warning (Mon 08:30 CET) and breach (09:00).
    w.sweep(o(10, 26, 9, 20), 2);
    w.at(o(10, 26, 9, 30));
    w.reply("A11");
    w.at(o(10, 26, 14, 0));
    w.start_fix("A11");
    // The month's end.
    w.at(o(10, 29, 19, 0));
    w.file("B8", "critical", ff, Choice::InHours);
    w.at(o(10, 30, 10, 0));
    w.file("A12", "serious", ff, Choice::InHours);
    w.at(o(10, 30, 11, 0));
    w.act("A12", "wait", json!({}));
    // B8: response warning 08:30, breach 09:00, manager 10:00, fix warning 11:30, breach
    // 13:00, manager 16:00; E2: warning Tue 27 09:15, breach Wed 28 15:00.
    w.sweep(o(10, 30, 16, 30), 8);
    w.at(o(10, 31, 21, 30));
    w.file("D3", "critical", ff, Choice::InHours);
    w.at(o(10, 31, 22, 30));
    w.file("C6", "critical", ff, Choice::InHours);
    // Sun 1 Nov 00:30 CET: D3's response (due Sat 23:30) met on the 1st; its fix (due 01:30)
    // started at 01:00.
    w.at(o(11, 1, 0, 30));
    w.reply("D3");
    w.at(o(11, 1, 1, 0));
    w.start_fix("D3");
}

/// One expected row: ticket, clock, outcome, business seconds to the met instant (when met
/// within the month), business seconds paused (counted for decided rows only).
type Want = (&'static str, ClockKind, Outcome, Option<i64>, i64);

/// The rows of October per organization, worked out by hand.
fn october_rows(letter: char) -> Vec<Want> {
    match letter {
        // level-1, Mon–Fri 08–20.
        'A' => vec![
            // Mon 5 Oct 09:00 critical: response due 11:00, replied 10:30 → 1h30m.
            ("A1", R, MET, Some(90 * MIN), 0),
            // fix due 17:00, started 12:00 → 3h.
            ("A1", F, MET, Some(3 * H), 0),
            // Tue 6 Oct 14:00 serious: response due 16:00, replied 17:00 → breached, 3h used.
            ("A2", R, BR, Some(3 * H), 0),
            // fix 24h: Tue 14–20 (6h) + Wed (12h) + Thu 08–14 → due Thu 14:00; started
            // Wed 10:00 → 6h + 2h = 8h.
            ("A2", F, MET, Some(8 * H), 0),
            // Wed 7 Oct 11:00 critical, never answered: breached at 13:00 and 19:00, open.
            ("A3", R, BR, None, 0),
            ("A3", F, BR, None, 0),
            // Thu 8 Oct 19:30: response due Fri 09:30, replied Fri 08:15 → 30m + 15m.
            ("A4", R, MET, Some(45 * MIN), 0),
            // fix due Fri 15:30, started Fri 09:00 → 30m + 1h.
            ("A4", F, MET, Some(90 * MIN), 0),
            // Sat 10 Oct 11:00, chose to wait: clocks from Mon 08:00; replied 09:00 → 1h.
            ("A5", R, MET, Some(H), 0),
            // fix started Mon 11:00 → 3h.
            ("A5", F, MET, Some(3 * H), 0),
            // Sat 10 Oct 12:00, accepted the fee: replied Mon 08:30 → 30m; fix Mon 09:30.
            ("A6", R, MET, Some(30 * MIN), 0),
            ("A6", F, MET, Some(90 * MIN), 0),
            // A7 (normal) has no target on level-1: no rows.
            // Tue 13 Oct 09:00 serious, paused 09:30–10:30: response due 12:00, replied
            // 11:45 → 2h45m − 1h = 1h45m.
            ("A8", R, MET, Some(105 * MIN), H),
            // fix due Thu 10:00 (base 09:00 + 1h); started Wed 09:00 → 11h + 1h − 1h.
            ("A8", F, MET, Some(11 * H), H),
            // Wed 14 Oct 10:00 critical: replied 10:30, fix 11:00, resolved 12:00 …
            ("A9", R, MET, Some(30 * MIN), 0),
            ("A9", F, MET, Some(H), 0),
            // … reopened Thu 15 Oct 10:00: fix again due 18:00, started 13:00 → 3h.
            ("A9", F, MET, Some(3 * H), 0),
            // Mon 19 Oct 09:00 critical, replied 10:00 → 1h; changed to serious at 15:00:
            // fix due Wed 09:00 (critical would have been 17:00), started Tue 10:00 →
            // Mon 11h + Tue 2h = 13h.
            ("A10", R, MET, Some(H), 0),
            ("A10", F, MET, Some(13 * H), 0),
            // Fri 23 Oct 19:00 CEST: response due Mon 26 09:00 CET (1h + 1h), replied 09:30
            // → breached, 2h30m.
            ("A11", R, BR, Some(150 * MIN), 0),
            // fix due Mon 15:00 CET, started 14:00 → 1h + 6h.
            ("A11", F, MET, Some(7 * H), 0),
            // Fri 30 Oct 10:00 serious, waiting from 11:00 into November: pending.
            ("A12", R, PEND, None, 0),
            ("A12", F, PEND, None, 0),
        ],
        // level-2, Mon–Fri 08–20.
        'B' => vec![
            // Thu 1 Oct 08:00 serious: replied 08:20; fix (due 20:00) started 12:00.
            ("B1", R, MET, Some(20 * MIN), 0),
            ("B1", F, MET, Some(4 * H), 0),
            // Thu 1 Oct 15:00 critical: due 17:00, replied 18:00 → 3h; fix due Fri 09:00
            // (5h + 1h), started Fri 10:00 → 7h.
            ("B2", R, BR, Some(3 * H), 0),
            ("B2", F, BR, Some(7 * H), 0),
            // Mon 5 Oct 08:00: replied 08:05, fix 08:10.
            ("B3", R, MET, Some(5 * MIN), 0),
            ("B3", F, MET, Some(10 * MIN), 0),
            // Tue 6 Oct 10:00 serious: replied 11:59 → 1h59m; fix due Wed 10:00, started
            // Tue 21:00 (after hours) → 10h.
            ("B4", R, MET, Some(119 * MIN), 0),
            ("B4", F, MET, Some(10 * H), 0),
            // Wed 14 Oct 09:00 critical, paused 09:30–09:45: response due 11:15, replied
            // 11:30 → 2h30m − 15m; fix due 15:15, started 15:00 → 6h − 15m.
            ("B5", R, BR, Some(135 * MIN), 15 * MIN),
            ("B5", F, MET, Some(345 * MIN), 15 * MIN),
            // Sun 18 Oct 10:00, chose to wait: response due Mon 10:00, replied 10:30 →
            // 2h30m; fix due Mon 20:00, started 12:00 → 4h.
            ("B6", R, BR, Some(150 * MIN), 0),
            ("B6", F, MET, Some(4 * H), 0),
            // Sun 18 Oct 11:00, accepted the fee: replied 11:10 and fix 11:30 on the Sunday:
            // no business time used.
            ("B7", R, MET, Some(0), 0),
            ("B7", F, MET, Some(0), 0),
            // Thu 29 Oct 19:00 critical, unanswered in October: response due Fri 09:00, fix
            // due Fri 13:00: both breached, open.
            ("B8", R, BR, None, 0),
            ("B8", F, BR, None, 0),
        ],
        // level-3, every day 08–23.
        'C' => vec![
            // Sat 3 Oct 10:00 critical: replied 10:40; fix (due 14:00) 13:00.
            ("C1", R, MET, Some(40 * MIN), 0),
            ("C1", F, MET, Some(3 * H), 0),
            // Sun 4 Oct 22:30 serious: response due Mon 09:30 (30m + 1h30m), replied 08:30 →
            // 1h; fix due Mon 13:30, started 14:00 → 6h30m.
            ("C2", R, MET, Some(H), 0),
            ("C2", F, BR, Some(390 * MIN), 0),
            // Sat 24 Oct 22:30 CEST critical, across the DST change: response due Sun 08:30
            // CET, replied 08:10 → 40m; fix due 11:30 CET, started 12:00 → 4h30m.
            ("C3", R, MET, Some(40 * MIN), 0),
            ("C3", F, BR, Some(270 * MIN), 0),
            // Tue 20 Oct 23:30, chose to wait: from Wed 08:00; replied 08:45, fix 11:00.
            ("C4", R, MET, Some(45 * MIN), 0),
            ("C4", F, MET, Some(3 * H), 0),
            // Thu 22 Oct 06:00, accepted the fee: replied 06:30 (before opening: 0), fix
            // 08:30 → 30m.
            ("C5", R, MET, Some(0), 0),
            ("C5", F, MET, Some(30 * MIN), 0),
            // Sat 31 Oct 22:30 critical: response due Sun 1 Nov 08:30, fix 11:30: pending.
            ("C6", R, PEND, None, 0),
            ("C6", F, PEND, None, 0),
        ],
        // round-the-clock, closed Fri 16 Oct.
        'D' => vec![
            // Thu 15 Oct 23:00 critical: response 2h = Thu 23–24 + Sat 00–01 → Sat 01:00;
            // replied Fri 12:00 (closed) → 1h. Fix due Sat 03:00, started 02:00 → 3h.
            ("D1", R, MET, Some(H), 0),
            ("D1", F, MET, Some(3 * H), 0),
            // Sun 25 Oct 01:30 CEST serious: response due 04:30 CET, replied 04:00 CET →
            // 3h30m real; fix due 08:30 CET, started 09:00 CET → 8h30m.
            ("D2", R, MET, Some(210 * MIN), 0),
            ("D2", F, BR, Some(510 * MIN), 0),
            // Sat 31 Oct 21:30 critical: response due 23:30 on the last day, met on the 1st
            // at 00:30 → breached in October, "open" at the month's end; fix due Sun 01:30,
            // pending.
            ("D3", R, BR, None, 0),
            ("D3", F, PEND, None, 0),
            // Mon 19 Oct 10:00 serious: replied 11:00; fix started 17:00.
            ("D4", R, MET, Some(H), 0),
            ("D4", F, MET, Some(7 * H), 0),
        ],
        // basic, Mon–Fri 09–15: fix start only.
        'E' => vec![
            // Mon 5 Oct 10:00: 7bd → Wed 14 Oct 15:00; started Thu 8 Oct 10:00 → 5h + 6h +
            // 6h + 1h.
            ("E1", F, MET, Some(18 * H), 0),
            // Mon 19 Oct 10:00: due Wed 28 Oct 15:00, never started.
            ("E2", F, BR, None, 0),
        ],
        _ => Vec::new(),
    }
}

/// Our own percentile: sort the business seconds, position = f × (n − 1), interpolate.
fn interpolate(values: &[i64], f: f64) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let position = f * (n - 1) as f64;
    let lo = position.floor() as usize;
    let hi = position.ceil() as usize;
    Some(v[lo] as f64 + (v[hi] - v[lo]) as f64 * (position - lo as f64))
}

/// A tally worked out by hand: met, breached, pending, compliance %, p50, p90 (seconds),
/// paused seconds of the decided clocks.
struct Hand {
    met: u64,
    breached: u64,
    pending: u64,
    compliance: Option<f64>,
    p50: Option<f64>,
    p90: Option<f64>,
    paused: i64,
}

fn close_to(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-6,
        (None, None) => true,
        _ => false,
    }
}

fn check_tally(what: &str, tally: &Tally, hand: &Hand, wants: &[Want], clock: ClockKind) {
    assert_eq!(
        (tally.met, tally.breached, tally.pending, tally.paused_secs),
        (hand.met, hand.breached, hand.pending, hand.paused),
        "{what}: {tally:?}"
    );
    assert!(close_to(tally.compliance, hand.compliance), "{what}: {tally:?}");
    // The hand figures agree with a sort-and-interpolate of the hand rows …
    let durations: Vec<i64> =
        wants.iter().filter(|w| w.1 == clock && w.2 != PEND).filter_map(|w| w.3).collect();
    assert!(close_to(interpolate(&durations, 0.5), hand.p50), "{what}: hand p50 {durations:?}");
    assert!(close_to(interpolate(&durations, 0.9), hand.p90), "{what}: hand p90 {durations:?}");
    // … and the report's are exactly the interpolation's.
    assert_eq!(tally.p50_secs, interpolate(&durations, 0.5), "{what}: p50");
    assert_eq!(tally.p90_secs, interpolate(&durations, 0.9), "{what}: p90");
}

/// The hand tallies of October: (response, fix start) per organization.
fn october_tallies(letter: char) -> (Hand, Hand) {
    match letter {
        'A' => (
            // Met A1 A4 A5 A6 A8 A9 A10, breached A2 A3 A11, pending A12: 7/10 = 70 %.
            // Sorted: 1800 1800 2700 3600 3600 5400 6300 9000 10800 (A3 never met):
            // p50 at 4 → 3600; p90 at 7.2 → 9000 + 0.2 × 1800 = 9360. Paused: A8's hour.
            Hand {
                met: 7,
                breached: 3,
                pending: 1,
                compliance: Some(70.0),
                p50: Some(3600.0),
                p90: Some(9360.0),
                paused: H,
            },
            // Met A1 A2 A4 A5 A6 A8 A9 A9' A10 A11, breached A3, pending A12: 10/11.
            // Sorted: 3600 5400 5400 10800 10800 10800 25200 28800 39600 46800: p50 at 4.5 →
            // 10800; p90 at 8.1 → 39600 + 0.1 × 7200 = 40320.
            Hand {
                met: 10,
                breached: 1,
                pending: 1,
                compliance: Some(1000.0 / 11.0),
                p50: Some(10800.0),
                p90: Some(40320.0),
                paused: H,
            },
        ),
        'B' => (
            // Met B1 B3 B4 B7, breached B2 B5 B6 B8: 50 %. Sorted: 0 300 1200 7140 8100 9000
            // 10800: p50 at 3 → 7140; p90 at 5.4 → 9000 + 0.4 × 1800 = 9720. Paused: B5 15m.
            Hand {
                met: 4,
                breached: 4,
                pending: 0,
                compliance: Some(50.0),
                p50: Some(7140.0),
                p90: Some(9720.0),
                paused: 15 * MIN,
            },
            // Met B1 B3 B4 B5 B6 B7, breached B2 B8: 75 %. Sorted: 0 600 14400 14400 20700
            // 25200 36000: p50 14400; p90 at 5.4 → 25200 + 0.4 × 10800 = 29520.
            Hand {
                met: 6,
                breached: 2,
                pending: 0,
                compliance: Some(75.0),
                p50: Some(14400.0),
                p90: Some(29520.0),
                paused: 15 * MIN,
            },
        ),
        'C' => (
            // Met C1–C5, pending C6: 100 %. Sorted: 0 2400 2400 2700 3600: p50 2400; p90 at
            // 3.6 → 2700 + 0.6 × 900 = 3240.
            Hand {
                met: 5,
                breached: 0,
                pending: 1,
                compliance: Some(100.0),
                p50: Some(2400.0),
                p90: Some(3240.0),
                paused: 0,
            },
            // Met C1 C4 C5, breached C2 C3, pending C6: 60 %. Sorted: 1800 10800 10800 16200
            // 23400: p50 10800; p90 at 3.6 → 16200 + 0.6 × 7200 = 20520.
            Hand {
                met: 3,
                breached: 2,
                pending: 1,
                compliance: Some(60.0),
                p50: Some(10800.0),
                p90: Some(20520.0),
                paused: 0,
            },
        ),
        'D' => (
            // Met D1 D2 D4, breached D3 (met only on the 1st): 75 %. Sorted: 3600 3600
            // 12600: p50 3600; p90 at 1.8 → 3600 + 0.8 × 9000 = 10800.
            Hand {
                met: 3,
                breached: 1,
                pending: 0,
                compliance: Some(75.0),
                p50: Some(3600.0),
                p90: Some(10800.0),
                paused: 0,
            },
            // Met D1 D4, breached D2, pending D3: 2/3. Sorted: 10800 25200 30600: p50 25200;
            // p90 at 1.8 → 25200 + 0.8 × 5400 = 29520.
            Hand {
                met: 2,
                breached: 1,
                pending: 1,
                compliance: Some(200.0 / 3.0),
                p50: Some(25200.0),
                p90: Some(29520.0),
                paused: 0,
            },
        ),
        _ => (
            // Basic has no response clock: nothing decided → "—", not 100 %.
            Hand {
                met: 0,
                breached: 0,
                pending: 0,
                compliance: None,
                p50: None,
                p90: None,
                paused: 0,
            },
            // E1 met (64800), E2 breached: 50 %.
            Hand {
                met: 1,
                breached: 1,
                pending: 0,
                compliance: Some(50.0),
                p50: Some(64800.0),
                p90: Some(64800.0),
                paused: 0,
            },
        ),
    }
}

/// Filed in October per organization: total, by severity, by category, out of hours,
/// waited, accepted the fee, fees (minor), reopened.
type FiledHand =
    (u64, &'static [(&'static str, u64)], &'static [(&'static str, u64)], u64, u64, u64, i64, u64);

fn october_filed(letter: char) -> FiledHand {
    match letter {
        // A1–A12; severities as they stand (A10 went critical → serious); A5 waited, A6 paid;
        // A9 reopened.
        'A' => (
            12,
            &[("critical", 7), ("normal", 1), ("serious", 4)],
            &[("functional_fault", 11), ("question", 1)],
            2,
            1,
            1,
            FEE,
            1,
        ),
        'B' => (
            8,
            &[("critical", 5), ("serious", 3)],
            &[("customer_outage", 1), ("functional_fault", 7)],
            2,
            1,
            1,
            FEE,
            0,
        ),
        'C' => (
            6,
            &[("critical", 5), ("serious", 1)],
            &[("customer_outage", 1), ("functional_fault", 5)],
            2,
            1,
            1,
            FEE,
            0,
        ),
        'D' => (
            4,
            &[("critical", 2), ("serious", 2)],
            &[("functional_fault", 3), ("other", 1)],
            0,
            0,
            0,
            0,
            0,
        ),
        _ => (2, &[("normal", 1), ("serious", 1)], &[("functional_fault", 2)], 0, 0, 0, 0, 0),
    }
}

fn check_filed(letter: char, figures: &Figures) {
    let (filed, by_severity, by_category, ooh, waited, fee, fees, reopened) = october_filed(letter);
    let map = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    };
    assert_eq!(figures.filed, filed, "{letter}");
    assert_eq!(figures.filed_by_severity, map(by_severity), "{letter}");
    assert_eq!(figures.filed_by_category, map(by_category), "{letter}");
    assert_eq!(
        (figures.out_of_hours, figures.waited, figures.accepted_fee, figures.fees_minor),
        (ooh, waited, fee, fees),
        "{letter}"
    );
    assert_eq!(figures.currency, "DKK");
    assert_eq!(figures.reopened, reopened, "{letter}");
}

/// The report's rows as (ticket, clock, outcome, used to the met instant, paused when
/// decided), in ticket and run order.
fn as_wants(w: &World, rows: &[&ClockRow]) -> Vec<Want> {
    let mut rows: Vec<&ClockRow> = rows.to_vec();
    rows.sort_by_key(|r| (r.ticket_id, r.clock, r.started_at));
    rows.iter()
        .map(|r| {
            let paused = if r.outcome == PEND { 0 } else { r.paused_secs };
            (w.key_of(r.ticket_id), r.clock, r.outcome, r.met_at.map(|_| r.used_secs), paused)
        })
        .collect()
}

fn sorted_wants(w: &World, mut wants: Vec<Want>) -> Vec<Want> {
    // Stable: a ticket's second fix-start run stays after its first.
    wants.sort_by_key(|x| (w.id(x.0), x.1));
    wants
}

fn row<'a>(report: &'a read::MonthReport, w: &World, key: &str, clock: ClockKind) -> &'a ClockRow {
    let id = w.id(key);
    report
        .rows
        .iter()
        .map(|r| &r.row)
        .find(|r| r.ticket_id == id && r.clock == clock)
        .unwrap_or_else(|| panic!("no row {key} {clock:?}"))
}

fn fired(row: &ClockRow) -> Vec<(String, DateTime<Utc>)> {
    row.escalations.iter().map(|e| (e.level.clone(), e.at)).collect()
}

fn levels(pairs: &[(&str, DateTime<Utc>)]) -> Vec<(String, DateTime<Utc>)> {
    pairs.iter().map(|(l, t)| ((*l).to_owned(), *t)).collect()
}

/// A breach row as the issue lists it: target, due, met or open, overrun, explanation.
fn check_breach(
    report: &read::MonthReport,
    w: &World,
    key: &str,
    clock: ClockKind,
    due: DateTime<Utc>,
    met: Option<DateTime<Utc>>,
    overrun: i64,
) {
    let r = row(report, w, key, clock);
    assert_eq!(r.outcome, BR, "{key} {clock:?}");
    assert_eq!((r.due_at, r.met_at, r.decided_at), (Some(due), met, Some(due)), "{key} {clock:?}");
    assert_eq!(r.overrun_secs, overrun, "{key} {clock:?}");
    assert!(!r.explanation.is_empty(), "{key} {clock:?}: no explanation");
}

/// Everything that must agree between two readings of one month: figures and rows.
fn comparable(report: &read::MonthReport) -> Value {
    json!({"title": report.title, "figures": report.figures, "rows": report.rows,
        "causes": report.causes, "csv_sha256": report.csv_sha256, "changes": report.changes})
}

fn csv(report: &read::MonthReport) -> Vec<u8> {
    export::to_bytes(report.rows.iter().map(|r| &r.row), Profile::Machine)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_hand_built_october_is_counted_closed_and_stays_as_sent() {
    let mut w = world();
    assert_eq!(october().hours(w.engine.provider().timezone), 745);
    build_october(&mut w);

    // Sunday 1 November 04:00: October is over (live, not closed yet).
    w.at(o(11, 1, 4, 0));
    let mut live = BTreeMap::new();
    for letter in ['A', 'B', 'C', 'D', 'E'] {
        let report = w.report(october(), letter, None);
        assert!(matches!(report.state, read::ReportState::Open { .. }), "{:?}", report.state);
        let rows: Vec<&ClockRow> = report.rows.iter().map(|r| &r.row).collect();
        let wants = sorted_wants(&w, october_rows(letter));
        assert_eq!(as_wants(&w, &rows), wants, "rows of {letter}");
        let (response, fix_start) = october_tallies(letter);
        check_tally(&format!("{letter} response"), &report.figures.response, &response, &wants, R);
        check_tally(
            &format!("{letter} fix start"),
            &report.figures.fix_start,
            &fix_start,
            &wants,
            F,
        );
        check_filed(letter, &report.figures);
        // Every breach is explained; the causes are still to be set.
        for breach in report.breaches() {
            assert!(!breach.row.explanation.is_empty(), "{letter}: {:?}", breach.row);
            assert!(breach.cause.is_none());
        }
        let breaches = report.breaches().count() as u64;
        assert_eq!(report.causes.get("none").copied().unwrap_or(0), breaches, "{letter}");
        live.insert(letter, report);
    }

    // Per severity (Alfa, Bravo): rows take the severity as it stands.
    let by_severity = |report: &read::MonthReport| -> Vec<(String, ClockKind, u64, u64, u64)> {
        report
            .figures
            .by_severity
            .iter()
            .map(|g| (g.key.clone(), g.clock, g.tally.met, g.tally.breached, g.tally.pending))
            .collect()
    };
    let s = |k: &str, c, m, b, p| (k.to_owned(), c, m, b, p);
    assert_eq!(
        by_severity(&live[&'A']),
        [
            // Critical: A1 A3 A4 A5 A6 A9 A11; fix A9 twice.
            s("critical", R, 5, 2, 0),
            s("critical", F, 7, 1, 0),
            // Serious: A2 A8 A10 A12.
            s("serious", R, 2, 1, 1),
            s("serious", F, 3, 0, 1),
        ]
    );
    assert_eq!(
        by_severity(&live[&'B']),
        [
            s("critical", R, 2, 3, 0),
            s("critical", F, 3, 2, 0),
            s("serious", R, 2, 1, 0),
            s("serious", F, 3, 0, 0)
        ]
    );
    let policy_keys: Vec<&str> =
        live[&'D'].figures.by_policy.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(policy_keys, ["round-the-clock v1", "round-the-clock v1"]);

    // The breaches, row by row: due, met or open, overrun in business time.
    let (a, b, c, d, e) = (&live[&'A'], &live[&'B'], &live[&'C'], &live[&'D'], &live[&'E']);
    check_breach(a, &w, "A2", R, o(10, 6, 16, 0), Some(o(10, 6, 17, 0)), H);
    // A3 open at the month's end: Wed 11–20 (9h) + Thu, Fri (24h) + three weeks (180h) =
    // 213h used; overrun 211h and 205h.
    check_breach(a, &w, "A3", R, o(10, 7, 13, 0), None, 211 * H);
    check_breach(a, &w, "A3", F, o(10, 7, 19, 0), None, 205 * H);
    check_breach(a, &w, "A11", R, o(10, 26, 9, 0), Some(o(10, 26, 9, 30)), 30 * MIN);
    check_breach(b, &w, "B2", R, o(10, 1, 17, 0), Some(o(10, 1, 18, 0)), H);
    check_breach(b, &w, "B2", F, o(10, 2, 9, 0), Some(o(10, 2, 10, 0)), H);
    check_breach(b, &w, "B5", R, o(10, 14, 11, 15), Some(o(10, 14, 11, 30)), 15 * MIN);
    check_breach(b, &w, "B6", R, o(10, 19, 10, 0), Some(o(10, 19, 10, 30)), 30 * MIN);
    // B8: Thu 19–20 + Fri 08–20 = 13h used by the month's end.
    check_breach(b, &w, "B8", R, o(10, 30, 9, 0), None, 11 * H);
    check_breach(b, &w, "B8", F, o(10, 30, 13, 0), None, 7 * H);
    check_breach(c, &w, "C2", F, o(10, 5, 13, 30), Some(o(10, 5, 14, 0)), 30 * MIN);
    check_breach(c, &w, "C3", F, o(10, 25, 11, 30), Some(o(10, 25, 12, 0)), 30 * MIN);
    check_breach(d, &w, "D2", F, o(10, 25, 8, 30), Some(o(10, 25, 9, 0)), 30 * MIN);
    // Due on the last day at 23:30, met on the 1st at 00:30: breached in October, open at
    // its end; 2h30m used by midnight.
    check_breach(d, &w, "D3", R, o(10, 31, 23, 30), None, 30 * MIN);
    // E2: Mon 19 10–15 (5h) + 4 × 6h + 5 × 6h = 59h used; 7bd = 47h; overrun 12h.
    check_breach(e, &w, "E2", F, o(10, 28, 15, 0), None, 12 * H);
    assert_eq!(row(e, &w, "E2", F).target_secs, 47 * H);

    // The pauses of a breach, and of a pending row across the month's end.
    let b5 = row(b, &w, "B5", R);
    assert_eq!(b5.pauses.len(), 1, "{b5:?}");
    assert_eq!((b5.pauses[0].from, b5.pauses[0].to), (o(10, 14, 9, 30), Some(o(10, 14, 9, 45))));
    assert_eq!(b5.pauses[0].business_secs, 15 * MIN);
    let a12 = row(a, &w, "A12", R);
    assert_eq!((a12.due_at, a12.decided_at), (None, None), "{a12:?}");
    assert_eq!(a12.pauses.len(), 1, "{a12:?}");
    assert_eq!((a12.pauses[0].from, a12.pauses[0].to), (o(10, 30, 11, 0), None));

    // The escalations that fired, at their computed instants (not the sweeps').
    assert_eq!(
        fired(row(a, &w, "A3", R)),
        levels(&[
            ("warning", o(10, 7, 12, 30)),
            ("breach", o(10, 7, 13, 0)),
            ("manager", o(10, 7, 14, 0))
        ])
    );
    assert_eq!(
        fired(row(a, &w, "A3", F)),
        levels(&[
            ("warning", o(10, 7, 17, 0)),
            ("breach", o(10, 7, 19, 0)),
            ("manager", o(10, 8, 11, 0))
        ])
    );
    assert_eq!(
        fired(row(a, &w, "A11", R)),
        levels(&[("warning", o(10, 26, 8, 30)), ("breach", o(10, 26, 9, 0))])
    );
    assert_eq!(
        fired(row(b, &w, "B8", F)),
        levels(&[
            ("warning", o(10, 30, 11, 30)),
            ("breach", o(10, 30, 13, 0)),
            ("manager", o(10, 30, 16, 0))
        ])
    );
    assert_eq!(
        fired(row(e, &w, "E2", F)),
        levels(&[("warning", o(10, 27, 9, 15)), ("breach", o(10, 28, 15, 0))])
    );
    assert!(fired(row(b, &w, "B2", R)).is_empty(), "no sweep ran while B2 was late");

    // The overview adds the organizations up.
    let overview = read::overview(&mut w.app.conn(), &w.engine, october(), None, w.app.now())
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> =
        overview.organizations.iter().map(|f| f.organization_name.as_str()).collect();
    assert_eq!(names, ["Alfa AS", "Bravo AS", "Charlie AS", "Delta AS", "Echo AS"]);
    let t = &overview.total;
    // Response: met 7+4+5+3 = 19, breached 3+4+0+1 = 8, pending 1+1 = 2.
    assert_eq!((t.response.met, t.response.breached, t.response.pending), (19, 8, 2));
    // Fix start: met 10+6+3+2+1 = 22, breached 1+2+2+1+1 = 7, pending 1+1+1 = 3.
    assert_eq!((t.fix_start.met, t.fix_start.breached, t.fix_start.pending), (22, 7, 3));
    assert!(close_to(t.response.compliance, Some(1900.0 / 27.0)));
    assert!(close_to(t.fix_start.compliance, Some(2200.0 / 29.0)));
    assert_eq!(
        (t.filed, t.out_of_hours, t.waited, t.accepted_fee, t.fees_minor),
        (32, 6, 3, 3, 3 * FEE)
    );
    assert_eq!((t.reopened, t.paused_secs()), (1, 2 * H + 30 * MIN));
    for (figures, letter) in overview.organizations.iter().zip(['A', 'B', 'C', 'D', 'E']) {
        assert_eq!(figures, &live[&letter].figures, "overview of {letter}");
    }

    // November so far carries October's pending rows: A12 (still waiting), C6 (not due
    // yet), and D3's fix start, met at 01:00 on the 1st (3h30m) — but not D3's response,
    // decided (breached) in October.
    let nov_a = w.report(november(), 'A', None);
    assert_eq!(nov_a.title, "November 2026 so far");
    let nov =
        |r: &read::MonthReport| as_wants(&w, &r.rows.iter().map(|r| &r.row).collect::<Vec<_>>());
    assert_eq!(nov(&nov_a), [("A12", R, PEND, None, 0), ("A12", F, PEND, None, 0)]);
    assert_eq!(
        nov(&w.report(november(), 'C', None)),
        [("C6", R, PEND, None, 0), ("C6", F, PEND, None, 0)]
    );
    assert_eq!(nov(&w.report(november(), 'D', None)), [("D3", F, MET, Some(210 * MIN), 0)]);
    assert_eq!(nov_a.figures.response.compliance, None, "nothing decided yet: —");

    // Close October at 04:00 on the 1st: 23 + 16 + 12 + 8 + 2 rows.
    let closed = snapshot::close(&mut w.app.conn(), &w.engine, october(), w.app.now(), None, "")
        .unwrap_or_else(|e| panic!("close: {e}"));
    assert_eq!(closed, Closed::Written { version: 1, rows: 61, changed: 0 });
    let mut sent = BTreeMap::new();
    for letter in ['A', 'B', 'C', 'D', 'E'] {
        let report = w.report(october(), letter, None);
        assert_eq!(report.title, "October 2026");
        assert!(matches!(report.state, read::ReportState::Closed { version: 1, latest: 1, .. }));
        // The snapshot gives the figures the live computation gave just before.
        assert_eq!(report.figures, live[&letter].figures, "closed {letter}");
        assert_eq!(report.csv_sha256, live[&letter].csv_sha256, "closed CSV of {letter}");
        let rows: Vec<&ClockRow> = report.rows.iter().map(|r| &r.row).collect();
        assert_eq!(as_wants(&w, &rows), sorted_wants(&w, october_rows(letter)), "closed {letter}");
        for (closed_row, live_row) in report.breaches().zip(live[&letter].breaches()) {
            assert_eq!(closed_row.row, live_row.row, "breach rows are identical");
        }
        // The snapshot explains every row, met ones too.
        assert!(report.rows.iter().all(|r| !r.row.explanation.is_empty()), "{letter}");
        sent.insert(letter, (comparable(&report), csv(&report)));
    }
    let closed_overview =
        read::overview(&mut w.app.conn(), &w.engine, october(), None, w.app.now())
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(closed_overview.total, overview.total);

    // After the close: a policy edit (level-1's critical response 2h → 1h) …
    w.at(o(11, 2, 8, 0));
    let policies = w.app.get(&w.admin, "/api/v1/policies?limit=100");
    let level_1 = policies.json["items"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "level-1"))
        .cloned()
        .unwrap_or_else(|| panic!("{}", policies.json));
    let mut spec = level_1["current_version"]["spec"].clone();
    spec["targets"]["critical"]["response"] = json!("1h");
    let edited = w.app.post(
        &w.admin,
        &format!("/api/v1/policies/{}/versions", level_1["id"]),
        json!({"spec": spec}),
    );
    assert!(edited.status == 200 || edited.status == 201, "{}", edited.json);
    // … C6 (pending in October) downgraded to serious: response 2h → Sun 09:30, fix 6h →
    // Sun 13:30 …
    let c6 = w.act("C6", "change_severity", json!({"severity": "serious"}));
    assert_eq!(c6["fix_start_due_at"], json!(o(11, 1, 13, 30)), "{c6}");
    // … B8's late reply, A12's customer back (resumed) and answered.
    w.at(o(11, 2, 9, 0));
    w.reply("B8");
    w.at(o(11, 2, 10, 0));
    w.app.act(&w.customers[&'A'], w.id("A12"), "reply", json!({"body": "Here it is."}));
    w.at(o(11, 2, 10, 30));
    w.reply("A12");

    // The closed month reads exactly as sent: same JSON, same CSV bytes and digest.
    w.at(o(11, 2, 12, 0));
    for letter in ['A', 'B', 'C', 'D', 'E'] {
        let report = w.report(october(), letter, None);
        assert_eq!((comparable(&report), csv(&report)), sent[&letter], "October of {letter} moved");
    }

    // A recompute makes version 2, listing the rows that differ and why.
    let recomputed = snapshot::close(
        &mut w.app.conn(),
        &w.engine,
        october(),
        w.app.now(),
        None,
        "C6 was not critical",
    )
    .unwrap_or_else(|e| panic!("recompute: {e}"));
    let Closed::Written { version: 2, rows: 61, changed } = recomputed else {
        panic!("{recomputed:?}")
    };
    let v2 = w.report(october(), 'C', Some(2));
    assert_eq!(v2.title, "October 2026, version 2");
    assert!(
        matches!(&v2.state, read::ReportState::Closed { version: 2, latest: 2, reason, .. } if reason == "C6 was not critical")
    );
    let listed: Vec<(&str, ClockKind)> =
        v2.changes.iter().map(|c| (w.key_of(c.ticket_id), c.clock)).collect();
    assert_eq!(listed, [("C6", R), ("C6", F)], "{:?}", v2.changes);
    for change in &v2.changes {
        assert!(change.why.contains(&"severity critical → serious".to_owned()), "{change:?}");
        assert!(change.why.iter().any(|why| why.starts_with("target ")), "{change:?}");
        assert!(change.why.iter().any(|why| why.starts_with("due ")), "{change:?}");
    }
    assert_eq!(changed, 2, "only C6's rows differ");
    // Still pending in October: a severity change after the month does not decide it.
    assert_eq!(row(&v2, &w, "C6", F).outcome, PEND);
    assert_eq!(row(&v2, &w, "C6", F).due_at, Some(o(11, 1, 13, 30)));
    // Other organizations' version 2 lists nothing; version 1 reads as it did.
    assert!(w.report(october(), 'A', Some(2)).changes.is_empty());
    for letter in ['A', 'B', 'C', 'D', 'E'] {
        let v1 = w.report(october(), letter, Some(1));
        let mut expected = sent[&letter].clone();
        // Read by number, version 1 now knows it is not the latest; nothing else moves.
        assert!(matches!(v1.state, read::ReportState::Closed { version: 1, latest: 2, .. }));
        expected.0["title"] = json!("October 2026");
        assert_eq!((comparable(&v1), csv(&v1)), expected, "version 1 of {letter}");
    }
    // The latest is version 2.
    assert_eq!(w.report(october(), 'C', None).title, "October 2026, version 2");

    // Nothing changed since: a third close writes nothing.
    w.at(o(11, 2, 13, 0));
    let again =
        snapshot::close(&mut w.app.conn(), &w.engine, october(), w.app.now(), None, "again")
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, Closed::Unchanged { version: 2 });
    let versions = read::versions(&mut w.app.conn(), october()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
}

#[test]
fn a_month_without_decided_clocks_is_a_dash_and_an_unfinished_month_does_not_close() {
    // Wednesday 30 September 2026, 10:00 in Oslo.
    let app = TestApp::start(o(9, 30, 10, 0));
    let org = app.customer_org("Quiet AS", Some("level-1"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@quiet.no");
    let engine = app.engine();
    // Filed in September with a week of fix start ahead: pending when September ends.
    let ticket = app
        .file(&customer, json!({"title": "Slow", "severity": "serious", "category": "question"}));
    let id = ticket["id"].as_i64().unwrap_or_default();
    app.at(o(9, 30, 11, 0));
    let (_, tech) = app.staff(Role::Technician, "tess@frist.example");
    app.act(&tech, id, "reply", json!({"body": "Looking."}));

    // October so far, on the 1st at 10:00: nothing decided yet (the response was met in
    // September; the fix start is still running) → compliance "—", not 100 %.
    app.at(o(10, 1, 10, 0));
    let report = read::organization(&mut app.conn(), &engine, october(), org, None, app.now())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.title, "October 2026 so far");
    assert_eq!(report.figures.response, Tally::default());
    let fix = &report.figures.fix_start;
    assert_eq!((fix.met, fix.breached, fix.pending, fix.compliance), (0, 0, 1, None));
    assert_eq!((fix.p50_secs, fix.p90_secs), (None, None));
    let overview = read::overview(&mut app.conn(), &engine, october(), None, app.now())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(overview.total.response.compliance, None);
    assert_eq!(overview.total.fix_start.compliance, None);

    // September is decided (the response, met in 1h) but October is not over: closing it is
    // refused, naming the month, and nothing is written.
    let refused = snapshot::close(&mut app.conn(), &engine, october(), app.now(), None, "")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(refused.starts_with("month:"), "{refused}");
    assert!(read::closed_months(&mut app.conn()).unwrap_or_else(|e| panic!("{e}")).is_empty());
    // The last instant of October is still October: not over either.
    let last = o(11, 1, 0, 0) - chrono::Duration::seconds(1);
    let refused = snapshot::close(&mut app.conn(), &engine, october(), last, None, "").err();
    assert!(refused.is_some_and(|e| e.to_string().starts_with("month:")));
    // September closes; its report is not a dash: one met response.
    let september = Month::new(2026, 9).unwrap_or_else(|| panic!("no September"));
    let closed = snapshot::close(&mut app.conn(), &engine, september, app.now(), None, "")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(closed, Closed::Written { version: 1, .. }), "{closed:?}");
    let report = read::organization(&mut app.conn(), &engine, september, org, None, app.now())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.figures.response.met, report.figures.response.compliance), (1, Some(100.0)));
    assert_eq!(report.figures.fix_start.pending, 1);
}
