//! Filing under the reference cache and group commit: a change to the rows a filing reads
//! (contract, policy version, token, user) made elsewhere — another connection, as another
//! instance or the CLI would — applies to the very next filing, although the service had
//! those rows cached; a batch answers each filing on its own; numbers run on without gaps
//! while the service runs.

#[path = "support/app.rs"]
mod support;

use chrono::Duration;
use diesel::prelude::*;
use frist::auth::{Actor, Role};
use frist::db;
use frist::db::filings::{IdReserve, WriteGate};
use frist::tickets::TicketError;
use frist::tickets::create::NewTicketRequest;
use frist::tickets::filing::{self, Desk, Filer, Reference, Submission};
use serde_json::{Value, json};
use support::{TestApp, oslo};

fn ticket_body(title: &str) -> Value {
    json!({"title": title, "severity": "critical", "category": "functional_fault"})
}

fn ticket_count(app: &TestApp) -> i64 {
    use frist::db::schema::tickets;
    tickets::table.count().get_result(&mut app.conn()).unwrap_or_else(|e| panic!("{e}"))
}

fn policy_id(app: &TestApp, name: &str) -> i64 {
    db::policies::find_by_name(&mut app.conn(), name)
        .ok()
        .flatten()
        .map(|p| p.id)
        .unwrap_or_else(|| panic!("no policy {name}"))
}

#[test]
fn a_contract_made_elsewhere_applies_to_the_next_filing_though_the_terms_were_cached() {
    // Tuesday 10:00 Oslo: inside every window, so no out-of-hours choice is needed.
    let app = TestApp::start(oslo(2026, 3, 10, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, token) = app.user(org, Role::Customer, "kari@fjordfisk.no");

    let first = app.post(&token, "/api/v1/tickets", ticket_body("Webshop down"));
    assert_eq!(first.status, 201, "{}", first.json);
    let level2_contract = first.json["contract_id"].as_i64();
    // level-2 critical: response 2 h, fix start 6 h.
    assert_eq!(first.json["fix_start_due_at"], "2026-03-10T15:00:00Z");

    // Another connection upgrades the customer to level-3 (critical fix start 4 h),
    // valid from an hour ago: the service still holds the level-2 terms in memory.
    let level3 = policy_id(&app, "level-3");
    let upgraded = frist::accounts::add_contract(
        &mut app.conn(),
        &frist::accounts::NewContract {
            organization_id: org,
            policy_id: level3,
            oncall_24x7: false,
            valid_from: app.now() - Duration::hours(1),
            valid_to: None,
            notice_months: 3,
        },
        app.now(),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let second = app.post(&token, "/api/v1/tickets", ticket_body("Webshop down again"));
    assert_eq!(second.status, 201, "{}", second.json);
    assert_eq!(second.json["contract_id"].as_i64(), Some(upgraded));
    assert_ne!(second.json["contract_id"].as_i64(), level2_contract);
    assert_eq!(second.json["fix_start_due_at"], "2026-03-10T13:00:00Z");
}

#[test]
fn a_policy_edited_elsewhere_gives_the_next_filing_the_new_version() {
    let app = TestApp::start(oslo(2026, 3, 10, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, token) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let first = app.post(&token, "/api/v1/tickets", ticket_body("Webshop down"));
    assert_eq!(first.status, 201, "{}", first.json);

    // The edit: level-2 critical fix start 3 h instead of 6 h.
    let level2 = policy_id(&app, "level-2");
    let mut conn = app.conn();
    let current = db::policies::latest_version(&mut conn, level2)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no version"));
    let mut spec: Value = serde_json::from_str(&current.spec).unwrap_or_else(|e| panic!("{e}"));
    spec["targets"]["critical"]["fix_start"] = json!("3h");
    let spec = serde_json::from_value(spec).unwrap_or_else(|e| panic!("{e}"));
    let version = frist::accounts::add_policy_version(&mut conn, level2, &spec, None, app.now())
        .unwrap_or_else(|e| panic!("{e}"));

    let second = app.post(&token, "/api/v1/tickets", ticket_body("Webshop down again"));
    assert_eq!(second.status, 201, "{}", second.json);
    assert_eq!(second.json["policy_version_id"].as_i64(), Some(version));
    assert_eq!(second.json["fix_start_due_at"], "2026-03-10T12:00:00Z");
    // The first ticket keeps the version it was filed under.
    let id = first.json["id"].as_i64().unwrap_or_default();
    let again = app.get(&token, &format!("/api/v1/tickets/{id}"));
    assert_eq!(again.json["policy_version_id"], first.json["policy_version_id"]);
    assert_eq!(again.json["fix_start_due_at"], "2026-03-10T15:00:00Z");
}

#[test]
fn a_token_revoked_or_a_user_deactivated_elsewhere_files_nothing_though_cached() {
    let app = TestApp::start(oslo(2026, 3, 10, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, revoked) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let (ola, deactivated) = app.user(org, Role::Customer, "ola@fjordfisk.no");
    for token in [&revoked, &deactivated] {
        assert_eq!(app.post(token, "/api/v1/tickets", ticket_body("Webshop down")).status, 201);
    }
    let before = ticket_count(&app);

    let mut conn = app.conn();
    let hash = frist::auth::secret::hash(&revoked);
    db::tokens::revoke(&mut conn, &hash, db::to_db(app.now())).unwrap_or_else(|e| panic!("{e}"));
    db::users::update_role(&mut conn, ola, Role::Customer.as_str(), false)
        .unwrap_or_else(|e| panic!("{e}"));

    for token in [&revoked, &deactivated] {
        let refused = app.post(token, "/api/v1/tickets", ticket_body("Webshop down again"));
        assert_eq!(refused.status, 401, "{}", refused.json);
    }
    assert_eq!(ticket_count(&app), before);
}

#[test]
fn a_batch_answers_each_filing_on_its_own_and_numbers_run_on() {
    let app = TestApp::start(oslo(2026, 3, 10, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (kari, _) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let actor = Actor { user_id: kari, organization_id: org, role: Role::Customer };
    let request = |body: Value| -> NewTicketRequest {
        serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"))
    };
    let submit = |body: Value| Submission {
        filer: Filer::Actor(actor.clone()),
        request: request(body),
        now: app.now(),
    };
    let batch = [
        submit(ticket_body("Webshop down")),
        submit(json!({"title": "  ", "severity": "critical", "category": "functional_fault"})),
        submit(json!({"title": "Mail slow", "severity": "serious", "category": "functional_fault",
                      "organization_id": org + 1000})),
        submit(ticket_body("Payments failing")),
    ];
    let engine = app.engine();
    let reference = Reference::new();
    let mut reserve = IdReserve::new(IdReserve::BLOCK);
    let target = db::DbTarget::parse(Some(&app.db.url())).unwrap_or_else(|e| panic!("{e}"));
    let gate = WriteGate::for_target(&target);
    let mut desk = Desk { reserve: &mut reserve, gate: &gate };
    let mut conn = app.conn();
    let answers = filing::file_batch(&mut conn, &engine, &reference, &mut desk, &batch);

    assert_eq!(answers.len(), 4);
    let field = |i: usize| match &answers[i] {
        Err(TicketError::Invalid(e)) => e.field.clone(),
        other => panic!("answer {i}: {other:?}"),
    };
    assert_eq!(field(1), "title");
    assert_eq!(field(2), "organization_id");
    let filed: Vec<_> = [0, 3]
        .iter()
        .map(|&i| match &answers[i] {
            Ok(filed) => filed.ticket.clone(),
            Err(e) => panic!("answer {i}: {e}"),
        })
        .collect();
    assert_eq!(filed[1].id, filed[0].id + 1, "the ids of one batch follow each other");
    assert_eq!(filed[0].number, format!("T-2026-{:06}", filed[0].id));
    assert_eq!(ticket_count(&app), 2);

    // Stored as answered, each with its `created` event and receipt.
    for ticket in &filed {
        let stored = db::tickets::find(&mut conn, ticket.id, db::Scope::All)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("ticket {} not stored", ticket.id));
        assert_eq!(stored.number, ticket.number);
        assert_eq!(stored.fix_start_due_at, ticket.fix_start_due_at);
        let events =
            db::events::list(&mut conn, ticket.id, false, 0, 10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["created"]);
    }

    // The next batch continues where this one stopped: the reserve holds the next ids.
    let next = filing::file_batch(
        &mut conn,
        &engine,
        &reference,
        &mut desk,
        &[submit(ticket_body("Printer on fire"))],
    );
    match &next[..] {
        [Ok(filed_next)] => assert_eq!(filed_next.ticket.id, filed[1].id + 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_write_under_a_moved_epoch_is_stale_and_decided_again() {
    let app = TestApp::start(oslo(2026, 3, 10, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (kari, _) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let actor = Actor { user_id: kari, organization_id: org, role: Role::Customer };
    let engine = app.engine();
    let reference = Reference::new();
    let mut conn = app.conn();
    let epoch = reference.epoch(&mut conn).unwrap_or_else(|e| panic!("{e}"));
    // Cache the organization's terms under this epoch…
    let cached = reference.organization(&mut conn, epoch, org).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cached.map(|t| t.contracts.len()), Some(1));

    // …then end the contract elsewhere: the epoch moves on (the basic policy applies now).
    use frist::db::schema::contracts;
    diesel::update(contracts::table.filter(contracts::organization_id.eq(org)))
        .set(contracts::valid_to.eq(Some(db::to_db(app.now() - Duration::minutes(1)))))
        .execute(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(db::reference::epoch(&mut conn).unwrap_or_else(|e| panic!("{e}")) > epoch);

    let mut reserve = IdReserve::new(1);
    let gate = WriteGate::open();
    let mut desk = Desk { reserve: &mut reserve, gate: &gate };
    let submission = Submission {
        filer: Filer::Actor(actor),
        request: serde_json::from_value(ticket_body("Webshop down"))
            .unwrap_or_else(|e| panic!("{e}")),
        now: app.now(),
    };
    let answers = filing::file_batch(&mut conn, &engine, &reference, &mut desk, &[submission]);
    match &answers[..] {
        [Ok(filed)] => {
            assert_eq!(filed.ticket.contract_id, None, "filed under the basic policy");
            assert_eq!(filed.policy.name, "basic");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ticket_count(&app), 1);
}
