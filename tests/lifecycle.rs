//! The ticket lifecycle over real HTTP against the real app, with an injected clock:
//! deadlines stamped at filing, pauses moving them, a severity change recomputing them from
//! `reported_at`, reopen restarting fix start, the out-of-hours fee only with consent, and
//! phone tickets back-dated (never forward).

#[path = "support/app.rs"]
mod app;

use app::{TestApp, oslo};
use chrono::{DateTime, Utc};
use frist::auth::Role;
use serde_json::{Value, json};

fn instant(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().and_then(|s| s.parse().ok())
}

fn clock_state(ticket: &Value, clock: &str) -> String {
    ticket["clocks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["clock"] == clock))
        .map(|c| c["status"]["state"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

fn event_kinds(app: &TestApp, token: &str, id: i64) -> Vec<String> {
    let reply = app.get(token, &format!("/api/v1/tickets/{id}/events?limit=200"));
    assert_eq!(reply.status, 200, "{}", reply.json);
    reply.json["items"]
        .as_array()
        .map(|items| {
            items.iter().map(|e| e["kind"].as_str().unwrap_or_default().to_owned()).collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_level_2_ticket_through_its_whole_life() {
    // Wednesday 4 March 2026, 10:00 in Oslo (CET): inside level-2's window Mon–Fri 08–20.
    let app = TestApp::start(oslo(2026, 3, 4, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (customer_id, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let (tech_id, tech) = app.staff(Role::Technician, "ole@frist.example");

    let ticket = app.file(
        &customer,
        json!({"title": "Webshop down", "description": "502 on every page", "severity": "critical", "category": "functional_fault"}),
    );
    let id = ticket["id"].as_i64().unwrap_or_default();
    assert!(
        ticket["number"].as_str().is_some_and(|n| n.starts_with("T-2026-") && n.len() == 13),
        "{ticket}"
    );
    assert_eq!(ticket["status"], "open");
    assert_eq!(ticket["out_of_hours"], false);
    assert_eq!(ticket["reporter_id"], customer_id);
    // critical on level-2: response 2 h, fix start 6 h of business time.
    assert_eq!(instant(&ticket["response_due_at"]), Some(oslo(2026, 3, 4, 12, 0)));
    assert_eq!(instant(&ticket["fix_start_due_at"]), Some(oslo(2026, 3, 4, 16, 0)));
    assert_eq!(instant(&ticket["next_due_at"]), Some(oslo(2026, 3, 4, 12, 0)));
    assert_eq!(clock_state(&ticket, "response"), "ok");

    // 10:30 waiting on the customer: running clocks stand still, no stored deadline.
    app.at(oslo(2026, 3, 4, 10, 30));
    let paused = app.act(&tech, id, "wait", json!({}));
    assert_eq!(paused["status"], "waiting_on_customer");
    assert_eq!(paused["response_due_at"], Value::Null);
    assert_eq!(clock_state(&paused, "response"), "paused");
    // The customer's reply at 11:30 resumes: both deadlines move by the hour paused.
    app.at(oslo(2026, 3, 4, 11, 30));
    let resumed = app.act(&customer, id, "reply", json!({"body": "The log is attached."}));
    assert_eq!(resumed["status"], "open");
    assert_eq!(instant(&resumed["response_due_at"]), Some(oslo(2026, 3, 4, 13, 0)));
    assert_eq!(instant(&resumed["fix_start_due_at"]), Some(oslo(2026, 3, 4, 17, 0)));
    assert_eq!(resumed["response_met_at"], Value::Null, "a customer's reply meets nothing");

    // 12:00 the technician's first public reply meets the response clock.
    app.at(oslo(2026, 3, 4, 12, 0));
    let replied = app.act(&tech, id, "reply", json!({"body": "We are on it."}));
    assert_eq!(instant(&replied["response_met_at"]), Some(oslo(2026, 3, 4, 12, 0)));
    assert_eq!(clock_state(&replied, "response"), "met");
    assert_eq!(instant(&replied["next_due_at"]), Some(oslo(2026, 3, 4, 17, 0)));
    // An internal note is staff-only and invisible to the customer.
    app.act(&tech, id, "note", json!({"body": "Suspect the load balancer."}));
    let forbidden =
        app.post(&customer, &format!("/api/v1/tickets/{id}/actions/note"), json!({"body": "x"}));
    assert_eq!(forbidden.status, 403);

    // 12:10 downgraded to serious: recomputed from reported_at with the pause: fix start 12 h
    // = Wed 10:00–20:00 (10 h) + Thu 08:00–10:00, plus the paused hour → Thu 11:00.
    app.at(oslo(2026, 3, 4, 12, 10));
    let serious = app.act(&tech, id, "change_severity", json!({"severity": "serious"}));
    assert_eq!(serious["severity"], "serious");
    assert_eq!(instant(&serious["fix_start_due_at"]), Some(oslo(2026, 3, 5, 11, 0)));
    assert_eq!(
        instant(&serious["response_met_at"]),
        Some(oslo(2026, 3, 4, 12, 0)),
        "met stays met"
    );

    app.at(oslo(2026, 3, 4, 13, 0));
    let fixing = app.act(&tech, id, "start_fix", json!({}));
    assert_eq!(instant(&fixing["fix_start_met_at"]), Some(oslo(2026, 3, 4, 13, 0)));
    assert_eq!(fixing["next_due_at"], Value::Null);
    let again = app.post(&tech, &format!("/api/v1/tickets/{id}/actions/start_fix"), json!({}));
    assert_eq!(again.status, 409);

    app.act(&tech, id, "assign", json!({"user_id": tech_id}));
    app.at(oslo(2026, 3, 4, 14, 0));
    let resolved = app.act(&tech, id, "resolve", json!({}));
    assert_eq!(resolved["status"], "resolved");

    // 15:00 the customer reopens: no new response clock; fix start runs again from now:
    // 12 h = Wed 15:00–20:00 (5 h) + Thu 08:00–15:00 (7 h).
    app.at(oslo(2026, 3, 4, 15, 0));
    let reopened = app.act(&customer, id, "reopen", json!({}));
    assert_eq!(reopened["status"], "open");
    assert_eq!(reopened["fix_start_met_at"], Value::Null);
    assert_eq!(instant(&reopened["fix_start_due_at"]), Some(oslo(2026, 3, 5, 15, 0)));
    assert_eq!(instant(&reopened["response_met_at"]), Some(oslo(2026, 3, 4, 12, 0)));

    app.at(oslo(2026, 3, 4, 16, 0));
    app.act(&tech, id, "resolve", json!({}));
    let closed = app.act(&customer, id, "close", json!({}));
    assert_eq!(closed["status"], "closed");
    let late = app.post(
        &customer,
        &format!("/api/v1/tickets/{id}/actions/reply"),
        json!({"body": "hello?"}),
    );
    assert_eq!(late.status, 409);

    // The audit trail: every change wrote its event; the customer does not see the note.
    let staff_view = event_kinds(&app, &tech, id);
    for kind in [
        "created",
        "paused",
        "resumed",
        "comment_public",
        "comment_internal",
        "severity_changed",
        "fix_started",
        "assigned",
        "reopened",
        "deadline_recomputed",
        "status_changed",
    ] {
        assert!(staff_view.iter().any(|k| k == kind), "missing {kind} in {staff_view:?}");
    }
    let customer_view = event_kinds(&app, &customer, id);
    assert!(
        !customer_view.iter().any(|k| k == "comment_internal" || k == "assigned"),
        "{customer_view:?}"
    );

    // Explain shows the arithmetic of the response clock.
    let explained = app.get(&tech, &format!("/api/v1/tickets/{id}/explain/response"));
    assert_eq!(explained.status, 200, "{}", explained.json);
    assert!(explained.json["text"].as_str().is_some_and(|t| !t.is_empty()));
}

#[test]
fn out_of_hours_tickets_need_a_choice_and_a_fee_needs_consent() {
    // Saturday 7 March 2026, 12:00 Oslo: outside level-1's window.
    let app = TestApp::start(oslo(2026, 3, 7, 12, 0));
    let org = app.customer_org("Nordlys AS", Some("level-1"), false);
    let (customer_id, customer) = app.user(org, Role::Customer, "per@nordlys.no");
    let base = json!({"title": "Mail is down", "severity": "critical", "category": "outage"});

    let preview = app.post(&customer, "/api/v1/fee-preview", json!({"severity": "critical"}));
    assert_eq!(preview.status, 200, "{}", preview.json);
    assert_eq!(preview.json["quote"]["coverage"], "out_of_hours");
    assert_eq!(instant(&preview.json["quote"]["next_opening"]), Some(oslo(2026, 3, 9, 8, 0)));
    assert_eq!(preview.json["quote"]["oncall_fee"], json!({"minor": 500000, "currency": "DKK"}));
    assert_eq!(
        instant(&preview.json["deadlines"]["response_due_at"]),
        Some(oslo(2026, 3, 9, 10, 0))
    );

    let before = app.counts();
    let mut no_choice = base.clone();
    no_choice["description"] = json!("x");
    let refused = app.post(&customer, "/api/v1/tickets", no_choice);
    assert_eq!(
        (refused.status, refused.field()),
        (422, Some("out_of_hours_choice")),
        "{}",
        refused.json
    );
    let mut no_consent = base.clone();
    no_consent["out_of_hours_choice"] = json!("oncall_now");
    let refused = app.post(&customer, "/api/v1/tickets", no_consent.clone());
    assert_eq!((refused.status, refused.field()), (422, Some("fee_consent")));
    no_consent["fee_consent"] = json!({"minor": 100, "currency": "DKK"});
    let refused = app.post(&customer, "/api/v1/tickets", no_consent.clone());
    assert_eq!((refused.status, refused.field()), (422, Some("fee_consent")));
    assert_eq!(app.counts(), before, "refusals write nothing");

    let mut waiting = base.clone();
    waiting["out_of_hours_choice"] = json!("wait");
    let waited = app.file(&customer, waiting);
    assert_eq!(waited["out_of_hours"], true);
    assert_eq!(waited["fee"], Value::Null);
    assert_eq!(instant(&waited["response_due_at"]), Some(oslo(2026, 3, 9, 10, 0)));

    no_consent["fee_consent"] = json!({"minor": 500000, "currency": "DKK"});
    let paid = app.file(&customer, no_consent);
    assert_eq!(paid["oncall_now"], true);
    assert_eq!(paid["fee"], json!({"minor": 500000, "currency": "DKK"}));
    assert_eq!(paid["fee_accepted_by"], customer_id);
    assert_eq!(instant(&paid["fee_accepted_at"]), Some(oslo(2026, 3, 7, 12, 0)));
    let id = paid["id"].as_i64().unwrap_or_default();
    assert!(event_kinds(&app, &customer, id).iter().any(|k| k == "fee_accepted"));

    // A 24/7 customer is covered: no choice asked, never a fee.
    let always = app.customer_org("Døgnvakt AS", Some("level-1"), true);
    let (_, always_user) = app.user(always, Role::Customer, "vakt@dognvakt.no");
    let covered = app.file(&always_user, base.clone());
    assert_eq!(covered["out_of_hours"], false);
    assert_eq!(covered["fee"], Value::Null);
}

#[test]
fn phone_tickets_are_back_dated_by_staff_only_and_never_forward() {
    let app = TestApp::start(oslo(2026, 3, 4, 10, 0));
    let org = app.customer_org("Kyst AS", Some("level-2"), false);
    let (caller, customer) = app.user(org, Role::Customer, "kim@kyst.no");
    let (_, tech) = app.staff(Role::Technician, "tech@frist.example");
    let call = json!({"title": "Phone: VPN down", "severity": "critical", "category": "customer_outage",
        "organization_id": org, "reporter_id": caller, "channel": "phone"});

    let mut back = call.clone();
    back["reported_at"] = json!(oslo(2026, 3, 4, 9, 30));
    let ticket = app.file(&tech, back);
    assert_eq!(instant(&ticket["reported_at"]), Some(oslo(2026, 3, 4, 9, 30)));
    assert_eq!(instant(&ticket["response_due_at"]), Some(oslo(2026, 3, 4, 11, 30)));
    assert_eq!(ticket["channel"], "phone");

    let mut forward = call.clone();
    forward["reported_at"] = json!(oslo(2026, 3, 4, 10, 5));
    let refused = app.post(&tech, "/api/v1/tickets", forward);
    assert_eq!((refused.status, refused.field()), (422, Some("reported_at")));

    let own = json!({"title": "x", "severity": "serious", "category": "question", "reported_at": oslo(2026, 3, 4, 9, 0)});
    let refused = app.post(&customer, "/api/v1/tickets", own);
    assert_eq!((refused.status, refused.field()), (422, Some("reported_at")));
}
