//! The isolation matrix: for every route of the route table (walked, so a new route is covered
//! or fails this test), a customer of organization A who names organization B's ids — B's
//! real ids and look-alike ids such as 1, 2, 12, 21 that A cannot see — gets 404, never 403
//! or 200, and the database is unchanged. Lists show A none of B's rows. The provider's
//! staff work every organization. No or a bad token is 401 on every non-public route.

#[path = "support/app.rs"]
mod app;

use std::collections::BTreeSet;

use app::{TestApp, oslo};
use frist::auth::Role;
use frist::web::api::tickets::ACTIONS;
use frist::web::routes::{Access, ROUTES, Route};
use serde_json::{Value, json};

/// Look-alike ids: small numbers that exist in most databases.
const LOOK_ALIKES: [i64; 4] = [1, 2, 12, 21];
/// The clocks `{clock}` takes.
const CLOCKS: [&str; 3] = ["response", "fix_start", "resolve"];
/// The month `{month}` takes.
const MONTH: &str = "2026-03";

/// What a route's `{id}` names, from its path prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Organization data: a customer sees only its own; others' ids answer 404.
    Ticket,
    Organization,
    User,
    Contract,
    /// Not organization data: readable by every signed-in user; writes need admin (403 for a
    /// customer). These are `/api/v1/policies/{id}…` and `/api/v1/calendars/{id}…`.
    Shared,
    /// The provider's own records (on-call roster, webhooks, outbox): a customer gets 403
    /// whatever the id.
    StaffOnly,
}

/// The kind of a route with an `{id}`; `None` for a prefix this test does not know.
fn kind_of(path: &str) -> Option<Kind> {
    let prefixes = [
        ("/api/v1/tickets/{id}", Kind::Ticket),
        ("/api/v1/organizations/{id}", Kind::Organization),
        ("/api/v1/users/{id}", Kind::User),
        ("/api/v1/contracts/{id}", Kind::Contract),
        ("/api/v1/policies/{id}", Kind::Shared),
        ("/api/v1/calendars/{id}", Kind::Shared),
        ("/api/v1/oncall/{id}", Kind::StaffOnly),
        ("/api/v1/webhooks/{id}", Kind::StaffOnly),
        ("/api/v1/outbox/{id}", Kind::StaffOnly),
        ("/api/v1/reports/{month}/organizations/{id}", Kind::Organization),
        ("/api/v1/reports/{month}/organizations/{id}.csv", Kind::Organization),
        ("/api/v1/reports/{month}/organizations/{id}.pdf", Kind::Organization),
    ];
    prefixes.iter().find(|(p, _)| path == *p || path.starts_with(&format!("{p}/"))).map(|(_, k)| *k)
}

/// Routes without an `{id}`, each with how this test treats it. Any other route fails.
///
/// - `Public`: health, readiness, the API document and sign-in; no organization data.
/// - `SelfOnly`: the caller's own session, identity and tokens; take no foreign id
///   (skipped in the matrix; still 401 without a token).
/// - `List`: collections; checked below to hold none of B's rows for A.
/// - `Create`: writes that take ids in the body; A naming B's ids is refused, nothing written.
/// - `StaffOnly`: the provider's own records; a customer gets 403, nothing written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collection {
    Public,
    SelfOnly,
    List,
    Create,
    StaffOnly,
}

fn collection_of(route: &Route) -> Option<Collection> {
    use Collection::*;
    let known: &[(&str, &str, Collection)] = &[
        ("GET", "/healthz", Public),
        ("GET", "/readyz", Public),
        ("GET", "/api/v1/openapi.json", Public),
        ("POST", "/api/v1/session", Public),
        ("DELETE", "/api/v1/session", SelfOnly),
        ("GET", "/api/v1/me", SelfOnly),
        ("POST", "/api/v1/tokens", SelfOnly),
        ("GET", "/api/v1/tickets", List),
        ("POST", "/api/v1/tickets", Create),
        ("POST", "/api/v1/fee-preview", Create),
        ("GET", "/api/v1/organizations", List),
        ("POST", "/api/v1/organizations", Create),
        ("GET", "/api/v1/users", List),
        ("POST", "/api/v1/users", Create),
        ("GET", "/api/v1/contracts", List),
        ("POST", "/api/v1/contracts", Create),
        ("GET", "/api/v1/policies", List),
        ("POST", "/api/v1/policies", Create),
        ("GET", "/api/v1/calendars", List),
        ("POST", "/api/v1/calendars", Create),
        ("GET", "/api/v1/oncall", StaffOnly),
        ("POST", "/api/v1/oncall", StaffOnly),
        ("GET", "/api/v1/oncall/now", StaffOnly),
        ("GET", "/api/v1/webhooks", StaffOnly),
        ("POST", "/api/v1/webhooks", StaffOnly),
        ("GET", "/api/v1/outbox", StaffOnly),
        ("GET", "/api/v1/reports", StaffOnly),
        ("GET", "/api/v1/reports/{month}/versions", StaffOnly),
        ("POST", "/api/v1/reports/{month}/close", StaffOnly),
        ("PUT", "/api/v1/reports/causes", StaffOnly),
    ];
    known.iter().find(|(m, p, _)| *m == route.method && *p == route.path).map(|(_, _, c)| *c)
}

fn id_of(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id in {value}"))
}

fn items(reply: &app::Reply) -> Vec<Value> {
    reply.json["items"].as_array().cloned().unwrap_or_else(|| panic!("no items: {}", reply.json))
}

/// Every concrete path of a route: `{id}` from `ids`, `{action}` from ACTIONS, `{clock}` from
/// CLOCKS. Each with the action name it fills (for the body).
fn expand(path: &str, ids: &[i64]) -> Vec<(String, Option<&'static str>)> {
    let mut out = Vec::new();
    for id in ids {
        let with_id = path.replace("{id}", &id.to_string()).replace("{month}", MONTH);
        if with_id.contains("{action}") {
            for (action, _) in ACTIONS {
                out.push((with_id.replace("{action}", action), Some(*action)));
            }
        } else if with_id.contains("{clock}") {
            for clock in CLOCKS {
                out.push((with_id.replace("{clock}", clock), None));
            }
        } else {
            out.push((with_id, None));
        }
    }
    for (p, _) in &out {
        assert!(!p.contains('{'), "unfilled parameter in {p}: extend this test");
    }
    out
}

/// The set of `id`s of a list as `token` sees it.
fn visible(app: &TestApp, token: &str, path: &str) -> BTreeSet<i64> {
    let reply = app.get(token, path);
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.json);
    items(&reply).iter().map(id_of).collect()
}

struct World {
    app: TestApp,
    a_org: i64,
    a_customer: String,
    a_user_ids: Vec<i64>,
    b_org: i64,
    b_customer_id: i64,
    b_user_ids: Vec<i64>,
    b_tickets: Vec<i64>,
    b_contract: i64,
    tech_id: i64,
    staff_tokens: Vec<(Role, String)>,
    admin: String,
    policy_id: i64,
    policy_spec: Value,
}

fn world() -> World {
    // Wednesday 4 March 2026, 10:00 in Oslo: inside level-2's hours.
    let app = TestApp::start(oslo(2026, 3, 4, 10, 0));
    let b_org = app.customer_org("Bravo AS", Some("level-2"), false);
    let a_org = app.customer_org("Alfa AS", Some("level-2"), false);
    let (b_customer_id, b_customer) = app.user(b_org, Role::Customer, "kari@bravo.no");
    let (b_other_id, _) = app.user(b_org, Role::Customer, "ola@bravo.no");
    let (tech_id, tech) = app.staff(Role::Technician, "tech@frist.example");
    let (_, manager) = app.staff(Role::Manager, "manager@frist.example");
    let (_, admin) = app.staff(Role::Admin, "admin@frist.example");
    let (a_customer_id, a_customer) = app.user(a_org, Role::Customer, "per@alfa.no");
    let (a_other_id, _) = app.user(a_org, Role::Customer, "liv@alfa.no");

    // B's tickets first, so the low look-alike ids are B's real rows.
    let ticket = |title: &str| {
        id_of(&app.file(
            &b_customer,
            json!({"title": title, "description": "x", "severity": "serious", "category": "functional_fault"}),
        ))
    };
    let plain = ticket("Printer offline");
    let paused = ticket("VPN flaps");
    app.act(&tech, paused, "wait", json!({}));
    let busy = ticket("Mail bounces");
    app.act(&tech, busy, "reply", json!({"body": "Looking at it."}));
    app.act(&tech, busy, "note", json!({"body": "Internal."}));
    app.act(&b_customer, busy, "reply", json!({"body": "Thanks."}));
    app.act(&tech, busy, "assign", json!({"user_id": tech_id}));
    app.act(&tech, busy, "start_fix", json!({}));
    app.act(&tech, busy, "resolve", json!({}));
    // A has a ticket of its own too.
    app.file(
        &a_customer,
        json!({"title": "Alfa's own", "severity": "normal", "category": "question"}),
    );

    let b_contract = {
        let all = app.get(&admin, "/api/v1/contracts?limit=100");
        assert_eq!(all.status, 200, "{}", all.json);
        items(&all)
            .iter()
            .find(|c| c["organization_id"] == b_org)
            .map(id_of)
            .unwrap_or_else(|| panic!("no contract of B in {}", all.json))
    };
    let policies = app.get(&admin, "/api/v1/policies?limit=100");
    assert_eq!(policies.status, 200, "{}", policies.json);
    let policy = items(&policies)
        .into_iter()
        .find(|p| p["name"] == "level-2")
        .unwrap_or_else(|| panic!("no level-2 in {}", policies.json));
    let policy_spec = policy["current_version"]["spec"].clone();
    assert!(policy_spec.is_object(), "{policy}");
    World {
        policy_id: id_of(&policy),
        policy_spec,
        app,
        a_org,
        a_customer,
        a_user_ids: vec![a_customer_id, a_other_id],
        b_org,
        b_customer_id,
        b_user_ids: vec![b_customer_id, b_other_id],
        b_tickets: vec![plain, paused, busy],
        b_contract,
        tech_id,
        staff_tokens: vec![
            (Role::Technician, tech),
            (Role::Manager, manager),
            (Role::Admin, admin.clone()),
        ],
        admin,
    }
}

/// A valid body for a write (valid, so that the answer is decided by who asks and which id,
/// not by the body: see the report on extractor order).
fn body_for(w: &World, route: &Route, action: Option<&str>) -> Option<String> {
    if route.method == "GET" || route.method == "DELETE" {
        return None;
    }
    let calendar = json!({"timezone": "Europe/Oslo", "hours": {"mon": ["08:00-16:00"]}});
    let body = match (action, route.path) {
        (Some("reply") | Some("note"), _) => json!({"body": "x"}),
        (Some("change_severity"), _) => json!({"severity": "critical"}),
        (Some("assign"), _) => json!({"user_id": w.tech_id}),
        (Some("change_contract"), _) => json!({"contract_id": w.b_contract}),
        (Some(_), _) => json!({}),
        (None, "/api/v1/session") => {
            json!({"email": "kari@bravo.no", "password": "a long password"})
        }
        (None, "/api/v1/tokens") => json!({"name": "robot"}),
        (None, "/api/v1/tickets") => {
            json!({"title": "t", "severity": "serious", "category": "question"})
        }
        (None, "/api/v1/fee-preview") => json!({"severity": "critical"}),
        (None, "/api/v1/organizations") => json!({"name": "Charlie AS"}),
        (None, "/api/v1/users") => json!({"organization_id": w.b_org, "email": "x@bravo.no",
            "name": "X", "role": "customer", "password": "a long password"}),
        (None, "/api/v1/contracts") => {
            json!({"organization_id": w.b_org, "policy_id": w.policy_id})
        }
        (None, "/api/v1/policies") => json!({"name": "level-9", "spec": w.policy_spec}),
        (None, "/api/v1/policies/{id}/versions") => json!({"spec": w.policy_spec}),
        (None, "/api/v1/calendars") => json!({"name": "Office 2", "spec": calendar}),
        (None, "/api/v1/calendars/{id}") => json!({"spec": calendar}),
        (None, "/api/v1/oncall" | "/api/v1/oncall/{id}") => json!({"user_id": w.tech_id,
            "starts_at": "2026-03-02T07:00:00Z", "ends_at": "2026-03-09T07:00:00Z"}),
        (None, "/api/v1/webhooks" | "/api/v1/webhooks/{id}") => {
            json!({"url": "https://hooks.example.com/frist"})
        }
        (None, "/api/v1/outbox/{id}/retry") => json!({}),
        (None, "/api/v1/reports/{month}/close") => json!({"reason": "x"}),
        (None, "/api/v1/reports/causes") => {
            json!({"ticket_id": w.b_tickets[0], "clock": "response",
            "started_at": "2026-03-04T09:00:00Z", "cause": "staffing"})
        }
        (None, path) => panic!("{} {path}: no body known; extend body_for", route.method),
    };
    Some(body.to_string())
}

/// One request on a fresh connection (the server may close a connection whose request body
/// it did not read, and a pooled POST is not retried).
fn send(
    app: &TestApp,
    method: &str,
    token: Option<&str>,
    path: &str,
    body: Option<&str>,
) -> app::Reply {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut builder =
        ureq::http::Request::builder().method(method).uri(format!("{}{path}", app.base));
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let result = match body {
        Some(body) => agent.run(
            builder
                .header("content-type", "application/json")
                .body(body.to_owned())
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        None => agent.run(builder.body(()).unwrap_or_else(|e| panic!("{e}"))),
    };
    let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    app::Reply { status, json, retry_after: None }
}

#[test]
fn another_organizations_ids_answer_404_and_change_nothing() {
    let w = world();
    let app = &w.app;
    let a = w.a_customer.as_str();

    // What A can see, computed from A's own lists: look-alike ids among these are skipped.
    let a_tickets = visible(app, a, "/api/v1/tickets?status=all&limit=100");
    let a_orgs = visible(app, a, "/api/v1/organizations?limit=100");
    let a_users = visible(app, a, "/api/v1/users?limit=100");
    let a_contracts = visible(app, a, "/api/v1/contracts?limit=100");
    assert_eq!(a_orgs, BTreeSet::from([w.a_org]));
    assert_eq!(a_users, w.a_user_ids.iter().copied().collect::<BTreeSet<_>>());
    let ids_for = |real: &[i64], own: &BTreeSet<i64>| -> Vec<i64> {
        let mut ids: Vec<i64> = real.to_vec();
        for id in LOOK_ALIKES {
            if !own.contains(&id) && !ids.contains(&id) {
                ids.push(id);
            }
        }
        assert!(ids.iter().all(|id| !own.contains(id)), "{ids:?} overlaps A's {own:?}");
        ids
    };
    let ticket_ids = ids_for(&w.b_tickets, &a_tickets);
    let org_ids = ids_for(&[w.b_org], &a_orgs);
    let user_ids = ids_for(&w.b_user_ids, &a_users);
    let contract_ids = ids_for(&[w.b_contract], &a_contracts);

    // Shared resources: real ids from the lists, plus ids that do not exist.
    let policies = visible(app, a, "/api/v1/policies?limit=100");
    let mut calendars = visible(app, a, "/api/v1/calendars?limit=100");
    if calendars.is_empty() {
        let made = app.post(
            &w.admin,
            "/api/v1/calendars",
            json!({"name": "Office", "spec": {"timezone": "Europe/Oslo", "hours": {"mon": ["08:00-16:00"]}}}),
        );
        assert_eq!(made.status, 201, "{}", made.json);
        calendars.insert(id_of(&made.json));
    }
    assert!(!policies.is_empty(), "no policies to read");

    let before = (app.counts(), app.ticket_fingerprint());
    let mut failures = Vec::new();
    let mut sent = 0;
    for route in ROUTES {
        if !route.path.contains("{id}") {
            let collection = collection_of(route);
            assert!(
                collection.is_some(),
                "{} {} is not classified by this test: add it to collection_of",
                route.method,
                route.path
            );
            if collection == Some(Collection::StaffOnly) {
                let body = body_for(&w, route, None);
                let path = route.path.replace("{month}", MONTH);
                let reply = send(app, route.method, Some(a), &path, body.as_deref());
                sent += 1;
                if reply.status != 403 {
                    failures.push(format!(
                        "{} {}: {} (want 403): {}",
                        route.method, route.path, reply.status, reply.json
                    ));
                }
            }
            continue;
        }
        let kind = kind_of(route.path).unwrap_or_else(|| {
            panic!(
                "{} {} is not classified by this test: add it to kind_of",
                route.method, route.path
            )
        });
        let (ids, expected): (Vec<i64>, Box<dyn Fn(i64) -> u16>) = match kind {
            Kind::Ticket => (ticket_ids.clone(), Box::new(|_| 404)),
            Kind::Organization => (org_ids.clone(), Box::new(|_| 404)),
            Kind::User => (user_ids.clone(), Box::new(|_| 404)),
            Kind::Contract => (contract_ids.clone(), Box::new(|_| 404)),
            Kind::StaffOnly => (LOOK_ALIKES.to_vec(), Box::new(|_| 403)),
            Kind::Shared => {
                let real = if route.path.starts_with("/api/v1/policies") {
                    policies.clone()
                } else {
                    calendars.clone()
                };
                let mut ids: Vec<i64> = real.iter().copied().collect();
                ids.push(999_999);
                let is_write = route.method != "GET";
                assert!(
                    !is_write || route.access == Access::Admin,
                    "{} {}: a shared write that is not admin-only",
                    route.method,
                    route.path
                );
                (
                    ids,
                    Box::new(move |id| match (is_write, real.contains(&id)) {
                        (true, _) => 403,
                        (false, true) => 200,
                        (false, false) => 404,
                    }),
                )
            }
        };
        for id in &ids {
            for (path, action) in expand(route.path, &[*id]) {
                let body = body_for(&w, route, action);
                let reply = send(app, route.method, Some(a), &path, body.as_deref());
                sent += 1;
                let want = expected(*id);
                if reply.status != want {
                    failures.push(format!(
                        "{} {path}: {} (want {want}): {}",
                        route.method, reply.status, reply.json
                    ));
                }
            }
        }
    }

    // Writes without an `{id}` that name B's ids in the body: refused, nothing written.
    let b_writes: &[(&str, Value)] = &[
        (
            "/api/v1/tickets",
            json!({"title": "Into B", "severity": "serious", "category": "question",
                   "organization_id": w.b_org}),
        ),
        (
            "/api/v1/tickets",
            json!({"title": "As B's user", "severity": "serious", "category": "question",
                   "reporter_id": w.b_customer_id}),
        ),
        ("/api/v1/fee-preview", json!({"severity": "critical", "organization_id": w.b_org})),
        (
            "/api/v1/users",
            json!({"organization_id": w.b_org, "email": "x@bravo.no", "name": "X", "role": "customer",
                   "password": "a long password"}),
        ),
        ("/api/v1/contracts", json!({"organization_id": w.b_org, "policy_id": w.policy_id})),
        ("/api/v1/organizations", json!({"name": "Charlie AS"})),
    ];
    for (path, body) in b_writes {
        let reply = send(app, "POST", Some(a), path, Some(&body.to_string()));
        sent += 1;
        if !matches!(reply.status, 403 | 404 | 422) {
            failures.push(format!("POST {path} {body}: {}: {}", reply.status, reply.json));
        }
    }

    assert!(failures.is_empty(), "{} of {sent} requests:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(app.counts(), before.0, "the matrix wrote rows");
    assert_eq!(app.ticket_fingerprint(), before.1, "the matrix changed tickets");
    assert!(sent > 100, "only {sent} requests");
}

#[test]
fn lists_show_a_none_of_bs_rows_and_staff_see_every_organization() {
    let w = world();
    let app = &w.app;
    let a = w.a_customer.as_str();
    let b_users: BTreeSet<i64> = w.b_user_ids.iter().copied().collect();
    let b_tickets: BTreeSet<i64> = w.b_tickets.iter().copied().collect();

    for path in [
        "/api/v1/tickets?status=all&limit=100".to_owned(),
        format!("/api/v1/tickets?status=all&limit=100&organization_id={}", w.b_org),
        "/api/v1/organizations?limit=100".to_owned(),
        "/api/v1/users?limit=100".to_owned(),
        "/api/v1/contracts?limit=100".to_owned(),
    ] {
        let reply = app.get(a, &path);
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.json);
        for row in items(&reply) {
            let id = id_of(&row);
            let leaked = if path.starts_with("/api/v1/organizations") {
                id != w.a_org
            } else {
                row["organization_id"] != w.a_org
                    || (path.starts_with("/api/v1/users") && b_users.contains(&id))
                    || (path.starts_with("/api/v1/tickets") && b_tickets.contains(&id))
                    || (path.starts_with("/api/v1/contracts") && id == w.b_contract)
            };
            assert!(!leaked, "GET {path} shows A another organization's row: {row}");
        }
    }

    // The provider's staff work every organization.
    for (role, token) in &w.staff_tokens {
        for id in &w.b_tickets {
            let path = format!("/api/v1/tickets/{id}");
            let reply = app.get(token, &path);
            assert_eq!(reply.status, 200, "{} GET {path}: {}", role.as_str(), reply.json);
            assert_eq!(reply.json["organization_id"], w.b_org, "{}", reply.json);
        }
        let listed = visible(app, token, "/api/v1/tickets?status=all&limit=100");
        assert!(b_tickets.is_subset(&listed), "{}: {listed:?}", role.as_str());
    }
}

#[test]
fn no_token_or_a_bad_token_is_401_on_every_non_public_route() {
    let w = world();
    let app = &w.app;
    let before = (app.counts(), app.ticket_fingerprint());
    let mut failures = Vec::new();
    let mut sent = 0;
    for route in ROUTES.iter().filter(|r| r.access != Access::Public) {
        let id = match kind_of(route.path) {
            Some(Kind::Ticket) => w.b_tickets[0],
            Some(Kind::Organization) => w.b_org,
            Some(Kind::User) => w.b_customer_id,
            Some(Kind::Contract) => w.b_contract,
            Some(Kind::Shared | Kind::StaffOnly) | None => 1,
        };
        for (path, action) in expand(route.path, &[id]) {
            let body = body_for(&w, route, action);
            for token in [None, Some("not-a-token"), Some("frist_0000000000000000000000000000")] {
                let reply = send(app, route.method, token, &path, body.as_deref());
                sent += 1;
                if reply.status != 401 {
                    failures.push(format!(
                        "{} {path} token {token:?}: {}: {}",
                        route.method, reply.status, reply.json
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {sent} requests:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(app.counts(), before.0);
    assert_eq!(app.ticket_fingerprint(), before.1);
}
