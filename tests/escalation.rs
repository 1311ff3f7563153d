//! Escalation with an injected clock: a critical level-2 ticket filed Friday 19:00 Oslo time
//! warns, breaches and escalates to managers each at its exact computed instant, once;
//! pauses move the instants, resolving cancels them; a service that was down catches up on
//! start; three sweepers racing over 500 tickets record each escalation once; and the
//! messages go to whom DESIGN §6 says.

#[path = "support/app.rs"]
mod app;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier};

use app::{TestApp, oslo};
use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use frist::auth::{Actor, Role};
use frist::config::Config;
use frist::db::schema::{escalations, outbox, tickets};
use serde_json::json;

/// (clock, level, instant) of every escalation of a ticket, in instant order.
fn recorded(app: &TestApp, ticket: i64) -> Vec<(String, String, DateTime<Utc>)> {
    frist::db::escalations::for_ticket(&mut app.conn(), ticket)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|e| (e.clock, e.level, frist::db::from_db(e.due_at)))
        .collect()
}

fn next_escalation(app: &TestApp, ticket: i64) -> Option<DateTime<Utc>> {
    tickets::table
        .find(ticket)
        .select(tickets::next_escalation_at)
        .first::<Option<chrono::NaiveDateTime>>(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"))
        .map(frist::db::from_db)
}

fn esc(clock: &str, level: &str, at: DateTime<Utc>) -> (String, String, DateTime<Utc>) {
    (clock.to_owned(), level.to_owned(), at)
}

struct Setup {
    app: TestApp,
    customer: String,
    tech: String,
    tech_id: i64,
}

/// Friday 6 March 2026, 19:00 in Oslo: level-2's window (Mon–Fri 08–20) has an hour left.
fn friday_evening() -> Setup {
    let app = TestApp::start(oslo(2026, 3, 6, 19, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let (tech_id, tech) = app.staff(Role::Technician, "ole@frist.example");
    app.staff(Role::Manager, "mona@frist.example");
    Setup { app, customer, tech, tech_id }
}

/// Vagt, a technician, on call from Friday 6 March 16:00 to Monday 08:00 Oslo time, entered
/// by an admin through the API; returns Vagt's id.
fn weekend_on_call(app: &TestApp) -> i64 {
    let (oncall_id, _) = app.staff(Role::Technician, "vagt@frist.example");
    let (_, admin) = app.staff(Role::Admin, "ada@frist.example");
    let shift = app.post(
        &admin,
        "/api/v1/oncall",
        json!({"user_id": oncall_id, "starts_at": oslo(2026, 3, 6, 16, 0),
               "ends_at": oslo(2026, 3, 9, 8, 0), "note": "weekend"}),
    );
    assert_eq!(shift.status, 201, "{}", shift.json);
    oncall_id
}

fn file_critical(app: &TestApp, token: &str) -> i64 {
    let ticket = app.file(
        token,
        json!({"title": "Webshop down", "severity": "critical", "category": "functional_fault"}),
    );
    ticket["id"].as_i64().unwrap_or_default()
}

#[test]
fn warning_breach_and_manager_escalation_fire_at_their_instants_once() {
    let Setup { app, customer, .. } = friday_evening();
    let id = file_critical(&app, &customer);
    // Response 2 h: Fri 19–20 and Mon 08–09. 75 % = 90 min → Mon 08:30; 150 % → Mon 10:00.
    // Fix start 6 h: Fri 19–20 and Mon 08–13. 75 % → Mon 11:30; 150 % = 9 h → Mon 16:00.
    assert_eq!(next_escalation(&app, id), Some(oslo(2026, 3, 9, 8, 30)));

    for (at, fired) in [
        (oslo(2026, 3, 6, 19, 0), 0),
        (oslo(2026, 3, 7, 12, 0), 0),
        (oslo(2026, 3, 9, 8, 30), 0),
        (oslo(2026, 3, 9, 8, 31), 1),
        (oslo(2026, 3, 9, 8, 31), 0),
        (oslo(2026, 3, 9, 9, 5), 1),
        (oslo(2026, 3, 9, 9, 6), 0),
    ] {
        app.at(at);
        assert_eq!(app.sweep().fired.len(), fired, "sweep at {at}");
    }
    assert_eq!(
        recorded(&app, id),
        [
            esc("response", "warning", oslo(2026, 3, 9, 8, 30)),
            esc("response", "breach", oslo(2026, 3, 9, 9, 0)),
        ]
    );
    assert_eq!(next_escalation(&app, id), Some(oslo(2026, 3, 9, 10, 0)));

    // The rest of Monday in one late sweep: each at its own instant, not the sweep's.
    app.at(oslo(2026, 3, 9, 18, 0));
    assert_eq!(app.sweep().fired.len(), 4);
    app.at(oslo(2026, 3, 10, 9, 0));
    assert_eq!(app.sweep().fired.len(), 0, "nothing fires twice");
    assert_eq!(
        recorded(&app, id),
        [
            esc("response", "warning", oslo(2026, 3, 9, 8, 30)),
            esc("response", "breach", oslo(2026, 3, 9, 9, 0)),
            esc("response", "manager", oslo(2026, 3, 9, 10, 0)),
            esc("fix_start", "warning", oslo(2026, 3, 9, 11, 30)),
            esc("fix_start", "breach", oslo(2026, 3, 9, 13, 0)),
            esc("fix_start", "manager", oslo(2026, 3, 9, 16, 0)),
        ]
    );
    assert_eq!(next_escalation(&app, id), None);

    // Each is in the ticket's history (staff only) at its instant.
    let (_, admin) = app.staff(Role::Admin, "ada@frist.example");
    let events = app.get(&admin, &format!("/api/v1/tickets/{id}/events?limit=200"));
    let escalation_events: Vec<_> = events.json["items"]
        .as_array()
        .map(|items| items.iter().filter(|e| e["kind"] == "escalation").cloned().collect())
        .unwrap_or_default();
    assert_eq!(escalation_events.len(), 6, "{}", events.json);
    assert_eq!(escalation_events[0]["at"], "2026-03-09T07:30:00Z");
    let listed = app.get(&admin, &format!("/api/v1/tickets/{id}/escalations"));
    assert_eq!(listed.status, 200, "{}", listed.json);
    assert_eq!(listed.json["items"][5]["at"], "2026-03-09T15:00:00Z");
    let customer_view = app.get(&customer, &format!("/api/v1/tickets/{id}/escalations"));
    assert_eq!(customer_view.status, 403);
}

#[test]
fn a_pause_holds_the_thresholds_and_moves_them_by_the_paused_time() {
    let Setup { app, customer, tech, .. } = friday_evening();
    let id = file_critical(&app, &customer);
    app.at(oslo(2026, 3, 6, 19, 30));
    app.act(&tech, id, "wait", json!({}));
    assert_eq!(next_escalation(&app, id), None, "a paused ticket has no threshold ahead");

    // Monday 09:30: the original warning (08:30) and breach (09:00) have passed, paused.
    app.at(oslo(2026, 3, 9, 9, 30));
    assert_eq!(app.sweep().fired.len(), 0);
    // The customer answers at 10:00: 30 min were used on Friday before the pause, so the
    // warning (90 min) is an hour later, 11:00; the breach 11:30; managers 12:30.
    app.at(oslo(2026, 3, 9, 10, 0));
    app.act(&customer, id, "reply", json!({"body": "Here is the log."}));
    assert_eq!(next_escalation(&app, id), Some(oslo(2026, 3, 9, 11, 0)));
    app.at(oslo(2026, 3, 9, 10, 59));
    assert_eq!(app.sweep().fired.len(), 0);
    app.at(oslo(2026, 3, 9, 11, 45));
    assert_eq!(app.sweep().fired.len(), 2);
    assert_eq!(
        recorded(&app, id),
        [
            esc("response", "warning", oslo(2026, 3, 9, 11, 0)),
            esc("response", "breach", oslo(2026, 3, 9, 11, 30)),
        ]
    );
}

#[test]
fn resolving_cancels_what_has_not_fired_even_if_its_instant_passed() {
    let Setup { app, customer, tech, .. } = friday_evening();
    let early = file_critical(&app, &customer);
    let late = file_critical(&app, &customer);
    // Monday 08:45: the response warning (08:30) has passed, no sweep has run yet. A reply
    // meets the response clock of one ticket; the other is resolved outright.
    app.at(oslo(2026, 3, 9, 8, 45));
    app.act(&tech, early, "resolve", json!({}));
    assert_eq!(next_escalation(&app, early), None);
    app.act(&tech, late, "reply", json!({"body": "Looking at it."}));
    assert_eq!(next_escalation(&app, late), Some(oslo(2026, 3, 9, 11, 30)), "fix start remains");

    app.at(oslo(2026, 3, 10, 12, 0));
    app.sweep();
    assert_eq!(recorded(&app, early), []);
    let late_clocks: BTreeSet<String> = recorded(&app, late).into_iter().map(|e| e.0).collect();
    assert_eq!(late_clocks, BTreeSet::from(["fix_start".to_owned()]), "a met clock is quiet");
}

#[test]
fn after_downtime_every_passed_threshold_fires_once_at_its_instant() {
    let app = TestApp::start(oslo(2026, 3, 6, 19, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    app.staff(Role::Manager, "mona@frist.example");
    let id = file_critical(&app, &customer);
    let db = app.stop();

    // Monday 10:30 the service starts again: the response warning (08:30), breach (09:00)
    // and manager escalation (10:00) passed while it was down. The start-up sweep records
    // each once, at its own instant; the fix-start warning (11:30) is still ahead.
    let app = TestApp::start_with_jobs(oslo(2026, 3, 9, 10, 30), db, Config::default());
    assert_eq!(
        recorded(&app, id),
        [
            esc("response", "warning", oslo(2026, 3, 9, 8, 30)),
            esc("response", "breach", oslo(2026, 3, 9, 9, 0)),
            esc("response", "manager", oslo(2026, 3, 9, 10, 0)),
        ]
    );
    let fired_at: BTreeSet<DateTime<Utc>> = frist::db::escalations::for_ticket(&mut app.conn(), id)
        .unwrap_or_default()
        .into_iter()
        .map(|e| frist::db::from_db(e.fired_at))
        .collect();
    assert_eq!(fired_at, BTreeSet::from([oslo(2026, 3, 9, 10, 30)]), "recorded on start-up");
    assert_eq!(next_escalation(&app, id), Some(oslo(2026, 3, 9, 11, 30)));
    // A second instance starting now finds nothing left to do.
    assert_eq!(app.sweep().fired.len(), 0);
}

#[test]
fn three_sweepers_racing_over_500_tickets_record_each_escalation_once() {
    let app = TestApp::start(oslo(2026, 3, 6, 19, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (customer_id, _) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    app.staff(Role::Manager, "mona@frist.example");
    let actor = Actor { user_id: customer_id, organization_id: org, role: Role::Customer };
    let engine = app.engine();
    let request: frist::tickets::create::NewTicketRequest = serde_json::from_value(
        json!({"title": "Webshop down", "severity": "critical", "category": "functional_fault"}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = app.conn();
    conn.transaction::<_, frist::tickets::TicketError, _>(|conn| {
        for _ in 0..500 {
            frist::tickets::create::create(conn, &engine, &actor, &request, app.now())?;
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));

    // Monday 09:30: every ticket's response warning (08:30) and breach (09:00) are due, all
    // at once; three instances sweep concurrently, each with its own connection.
    let now = oslo(2026, 3, 9, 9, 30);
    let start = Arc::new(Barrier::new(3));
    let sweepers: Vec<_> = (0..3)
        .map(|_| {
            let start = Arc::clone(&start);
            let mut conn = app.conn();
            let engine = app.engine();
            std::thread::spawn(move || {
                start.wait();
                frist::jobs::sweep::tick(&mut conn, &engine, now)
                    .unwrap_or_else(|e| panic!("sweep: {e}"))
                    .fired
                    .len()
            })
        })
        .collect();
    let fired: Vec<usize> = sweepers.into_iter().map(|s| s.join().unwrap_or(0)).collect();
    assert_eq!(fired.iter().sum::<usize>(), 1000, "per sweeper: {fired:?}");

    let mut conn = app.conn();
    let rows: Vec<(i64, String, String)> = escalations::table
        .select((escalations::ticket_id, escalations::clock, escalations::level))
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    let distinct: BTreeSet<_> = rows.iter().cloned().collect();
    assert_eq!((rows.len(), distinct.len()), (1000, 1000));
    let messages: Vec<(Option<i64>, String)> = outbox::table
        .filter(outbox::topic.like("escalation.%"))
        .select((outbox::ticket_id, outbox::topic))
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut per: BTreeMap<(Option<i64>, String), usize> = BTreeMap::new();
    for message in messages {
        *per.entry(message).or_default() += 1;
    }
    assert_eq!(per.len(), 1000);
    assert!(per.values().all(|&n| n == 1), "a (ticket, level) with more than one message");
}

#[test]
fn breaches_reach_the_assignee_in_office_hours_and_the_on_call_technician_outside_them() {
    let Setup { app, customer, tech, tech_id } = friday_evening();
    let oncall_id = weekend_on_call(&app);
    let now_reply = app.get(&tech, "/api/v1/oncall/now");
    assert_eq!(now_reply.json["on_call"]["user_id"], oncall_id, "{}", now_reply.json);

    // The level-2 ticket of Friday 19:00, assigned to Ole, breaches Monday 09:00 (in hours).
    let monday = file_critical(&app, &customer);
    app.act(&tech, monday, "assign", json!({"user_id": tech_id}));
    // A level-3 customer (open every day 08–23): critical response 1 h, filed Saturday
    // 10:00, assigned to Ole, breaches at 11:00 — a Saturday, outside office hours.
    let org = app.customer_org("Døgn AS", Some("level-3"), false);
    let (_, weekend) = app.user(org, Role::Customer, "per@dogn.no");
    app.at(oslo(2026, 3, 7, 10, 0));
    let saturday = file_critical(&app, &weekend);
    app.act(&tech, saturday, "assign", json!({"user_id": tech_id}));

    let to = |ticket: i64, topic: &str| -> Vec<String> {
        outbox::table
            .filter(outbox::ticket_id.eq(ticket))
            .filter(outbox::topic.eq(topic))
            .filter(outbox::channel.eq("email"))
            .select(outbox::recipient)
            .order(outbox::recipient)
            .load(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    app.at(oslo(2026, 3, 7, 11, 5));
    app.sweep();
    assert_eq!(to(saturday, "escalation.breach"), ["vagt@frist.example"]);
    // Its fix start (4 h) breached at 14:00 on Saturday too, but it is swept Monday 09:05,
    // in office hours: that one goes to the assignee.
    app.at(oslo(2026, 3, 9, 9, 5));
    app.sweep();
    assert_eq!(to(saturday, "escalation.breach"), ["ole@frist.example", "vagt@frist.example"]);
    assert_eq!(to(monday, "escalation.breach"), ["ole@frist.example"]);
    assert_eq!(to(monday, "escalation.warning"), ["ole@frist.example"]);
    let subject: String = outbox::table
        .filter(outbox::ticket_id.eq(monday))
        .filter(outbox::topic.eq("escalation.breach"))
        .select(outbox::subject)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(subject.contains("BREACH") && subject.contains("T-2026-"), "{subject}");
    // Manager escalations go to the managers.
    app.at(oslo(2026, 3, 9, 10, 5));
    app.sweep();
    assert_eq!(to(monday, "escalation.manager"), ["mona@frist.example"]);
}

#[test]
fn a_customer_who_accepts_the_fee_alerts_the_on_call_technician_at_once() {
    // Saturday 7 March 2026, 10:00 Oslo: outside level-2's window.
    let app = TestApp::start(oslo(2026, 3, 7, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    weekend_on_call(&app);
    let waits = app.file(
        &customer,
        json!({"title": "Slow", "severity": "serious", "category": "functional_fault",
               "out_of_hours_choice": "wait"}),
    );
    let now = app.file(
        &customer,
        json!({"title": "Shop down", "severity": "critical", "category": "functional_fault",
               "out_of_hours_choice": "oncall_now",
               "fee_consent": {"minor": 500_000, "currency": "DKK"}}),
    );
    let alerts = |ticket: &serde_json::Value| -> Vec<String> {
        outbox::table
            .filter(outbox::ticket_id.eq(ticket["id"].as_i64().unwrap_or_default()))
            .filter(outbox::topic.eq("ticket.oncall_requested"))
            .select(outbox::recipient)
            .load(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(alerts(&now), ["vagt@frist.example"], "written with the ticket, before any sweep");
    assert!(alerts(&waits).is_empty(), "waiting for Monday alerts nobody");
}

#[test]
fn a_resolution_committing_while_the_sweep_runs_is_never_overtaken() {
    let Setup { app, customer, .. } = friday_evening();
    let id = file_critical(&app, &customer);
    // Monday 09:30: warning and breach are due. A resolution is in flight (its transaction
    // holds the ticket) when a sweep starts; whichever way they interleave, nothing may
    // escalate once the resolution has committed.
    let now = oslo(2026, 3, 9, 9, 30);
    let mut resolver = app.conn();
    let begin = match &resolver {
        frist::db::DbConn::Sqlite(_) => "BEGIN IMMEDIATE",
        frist::db::DbConn::Postgres(_) => "BEGIN",
    };
    resolver.batch_execute(begin).unwrap_or_else(|e| panic!("{e}"));
    diesel::update(tickets::table.find(id))
        .set((
            tickets::status.eq("resolved"),
            tickets::resolved_at.eq(Some(frist::db::to_db(oslo(2026, 3, 9, 8, 0)))),
            tickets::next_escalation_at.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(&mut resolver)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut sweeper = app.conn();
    let engine = app.engine();
    let sweep = std::thread::spawn(move || {
        frist::jobs::sweep::tick(&mut sweeper, &engine, now).map(|r| r.fired.len())
    });
    resolver.batch_execute("COMMIT").unwrap_or_else(|e| panic!("{e}"));
    let fired = sweep.join().unwrap_or_else(|_| panic!("sweep panicked"));
    assert_eq!(fired.ok(), Some(0));
    app.at(now);
    assert_eq!(app.sweep().fired.len(), 0);
    assert_eq!(recorded(&app, id), []);
}
