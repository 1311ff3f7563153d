//! The pages over real HTTP, without a browser: CSRF on every form (walked from the page
//! table), organization isolation of every page, escaping of user text, sign-in, session
//! expiry, password change, and the security headers.

mod support {
    pub mod app;
    pub mod pages;
}

use chrono::Duration;
use frist::auth::Role;
use frist::web::pages::{Access, PAGES};
use serde_json::json;
use support::app::{TestApp, oslo};
use support::pages::PageClient;

const PASSWORD: &str = "a long password";

/// A customer organization (level-1) with a customer, a technician, and one ticket filed.
struct World {
    app: TestApp,
    customer: String,
    technician: String,
    admin: String,
    ticket: i64,
    other_ticket: i64,
}

fn world() -> World {
    // Thursday 10:00 in Oslo: inside level-1's hours.
    let app = TestApp::start(oslo(2026, 12, 3, 10, 0));
    let org = app.customer_org("Nordlys AS", Some("level-1"), false);
    let other = app.customer_org("Fjordnett AS", Some("level-1"), false);
    let (_, token) = app.user(org, Role::Customer, "ingrid@nordlys.example");
    let (_, other_token) = app.user(other, Role::Customer, "kari@fjordnett.example");
    app.staff(Role::Technician, "tech@frist.example");
    app.staff(Role::Admin, "admin@frist.example");
    let body = json!({"title": "Printer offline", "description": "Since 09:00", "severity": "serious", "category": "functional_fault"});
    let ticket = app.file(&token, body.clone())["id"].as_i64().unwrap_or_default();
    let other_ticket = app.file(&other_token, body)["id"].as_i64().unwrap_or_default();
    World {
        app,
        customer: "ingrid@nordlys.example".into(),
        technician: "tech@frist.example".into(),
        admin: "admin@frist.example".into(),
        ticket,
        other_ticket,
    }
}

/// Fields a form of `path` would plausibly carry, so only the token is wrong.
fn fields_for(path: &str) -> Vec<(&'static str, &'static str)> {
    match path {
        "/account/password" => {
            vec![
                ("current", PASSWORD),
                ("new", "another long password"),
                ("repeat", "another long password"),
            ]
        }
        "/portal/new" => vec![
            ("title", "Forged"),
            ("severity", "critical"),
            ("category", "question"),
            ("choice", "oncall_now"),
        ],
        "/desk/phone" => {
            vec![("title", "Forged"), ("severity", "critical"), ("category", "question")]
        }
        _ => vec![("body", "forged"), ("severity", "critical"), ("user_id", "me")],
    }
}

fn concrete(path: &str, ticket: i64, action: &str) -> String {
    path.replace("{id}", &ticket.to_string()).replace("{action}", action)
}

#[test]
fn every_form_refuses_a_missing_or_wrong_csrf_token_and_changes_nothing() {
    let w = world();
    let actions = [
        "reply",
        "note",
        "start_fix",
        "wait",
        "resume",
        "resolve",
        "reopen",
        "close",
        "change_severity",
        "assign",
    ];
    let mut checked = 0;
    for page in PAGES.iter().filter(|p| p.method == "POST") {
        if page.path == "/csp-report" {
            continue; // not a form: browsers post violation reports there
        }
        let email = match page.access {
            Access::Staff => &w.technician,
            Access::Admin => &w.admin,
            _ => &w.customer,
        };
        let targets: Vec<&str> =
            if page.path.contains("{action}") { actions.to_vec() } else { vec![""] };
        for action in targets {
            let path = concrete(page.path, w.ticket, action);
            let mut client = if page.path == "/login" {
                PageClient::new(&w.app.base)
            } else {
                PageClient::signed_in(&w.app.base, email, PASSWORD)
            };
            if page.path == "/login" {
                client.get("/login"); // the double-submit cookie is set
            }
            let before = (w.app.counts(), w.app.ticket_fingerprint());
            let mut fields = fields_for(page.path);
            if page.path == "/login" {
                fields = vec![("email", "ingrid@nordlys.example"), ("password", PASSWORD)];
            }
            for token in [None, Some("0123456789abcdef0123456789abcdef"), Some("")] {
                let mut sent = fields.clone();
                if let Some(token) = token {
                    sent.push(("csrf", token));
                }
                let answer = client.post(&path, &sent);
                assert_eq!(answer.status, 403, "POST {path} with token {token:?}: {}", answer.body);
                assert!(answer.body.contains("reload the page"), "{path}: {}", answer.body);
            }
            assert_eq!(
                (w.app.counts(), w.app.ticket_fingerprint()),
                before,
                "POST {path} changed something"
            );
            if page.path != "/login" {
                // Still signed in: the forged sign-out did not sign out.
                assert_eq!(client.get("/account").status, 200, "{path}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} forms checked");
    // Old password still valid after the forged password change.
    PageClient::signed_in(&w.app.base, &w.customer, PASSWORD);
}

#[test]
fn the_right_token_is_accepted() {
    let w = world();
    let mut client = PageClient::signed_in(&w.app.base, &w.technician, PASSWORD);
    let page = client.get(&format!("/desk/tickets/{}", w.ticket));
    assert_eq!(page.status, 200, "{}", page.body);
    let token = page.csrf();
    let answer = client
        .post(&format!("/desk/tickets/{}/reply", w.ticket), &[("csrf", &token), ("body", "On it")]);
    assert_eq!(answer.status, 303, "{}", answer.body);
    let mut customer = PageClient::signed_in(&w.app.base, &w.customer, PASSWORD);
    let page = customer.get(&format!("/portal/tickets/{}", w.ticket));
    assert!(page.body.contains("On it"), "{}", page.body);
    assert!(page.body.contains("Response: met"), "{}", page.body);
}

#[test]
fn sign_in_needs_its_own_token_and_the_right_password() {
    let w = world();
    let mut client = PageClient::new(&w.app.base);
    let form = client.get("/login");
    assert_eq!(form.status, 200);
    let token = form.csrf();
    let wrong = client
        .post("/login", &[("csrf", &token), ("email", &w.customer), ("password", "not it at all")]);
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("The e-mail or the password is wrong."));
    assert!(client.session().is_none());
    // A token from another browser's form does not fit this browser's cookie.
    let mut other = PageClient::new(&w.app.base);
    let foreign = other.get("/login").csrf();
    let forged = client
        .post("/login", &[("csrf", &foreign), ("email", &w.customer), ("password", PASSWORD)]);
    assert_eq!(forged.status, 403);
    let right =
        client.post("/login", &[("csrf", &token), ("email", &w.customer), ("password", PASSWORD)]);
    assert_eq!((right.status, right.location.as_deref()), (303, Some("/portal")));
    assert!(client.session().is_some());
}

#[test]
fn a_customer_sees_only_their_own_organization_and_never_the_desk() {
    let w = world();
    let mut client = PageClient::signed_in(&w.app.base, &w.customer, PASSWORD);
    let own = client.get(&format!("/portal/tickets/{}", w.ticket));
    assert_eq!(own.status, 200);
    let list = client.get("/portal");
    assert!(list.body.contains("Printer offline"));
    let numbers: Vec<i64> = vec![w.other_ticket, 1, 2, 12, 21, w.ticket + 1, w.other_ticket * 10];
    let mut technician = PageClient::signed_in(&w.app.base, &w.technician, PASSWORD);
    let before = (w.app.counts(), w.app.ticket_fingerprint());
    for page in PAGES.iter().filter(|p| p.method == "GET" && p.path.contains("{id}")) {
        for id in numbers.iter().filter(|id| **id != w.ticket) {
            let path = concrete(page.path, *id, "").replace("{clock}", "response");
            let answer = client.get(&path);
            assert_eq!(answer.status, 404, "GET {path}: {}", answer.body);
            assert!(!answer.body.contains("Printer offline"), "{path} leaked the other ticket");
        }
    }
    for page in PAGES
        .iter()
        .filter(|p| matches!(p.access, Access::Staff | Access::Admin) && p.method == "GET")
    {
        let path = concrete(page.path, 1, "");
        assert_eq!(client.get(&path).status, 404, "customer opened {path}");
        if page.access == Access::Admin {
            assert_eq!(technician.get(&path).status, 404, "technician opened {path}");
        }
    }
    let token = own.csrf();
    let other = format!("/portal/tickets/{}/reply", w.other_ticket);
    assert_eq!(client.post(&other, &[("csrf", &token), ("body", "hi")]).status, 404);
    assert_eq!((w.app.counts(), w.app.ticket_fingerprint()), before);
}

#[test]
fn user_text_is_escaped_on_every_page() {
    let app = TestApp::start(oslo(2026, 12, 3, 10, 0));
    let org = app.customer_org("<b>Org</b>", Some("level-1"), false);
    let (_, token) = app.user(org, Role::Customer, "x@org.example");
    app.staff(Role::Technician, "tech@frist.example");
    let corpus = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "{{7*7}}",
    ];
    let text = corpus.join(" ");
    let id = app.file(
        &token,
        json!({"title": text, "description": text, "severity": "serious", "category": "functional_fault"}),
    )["id"]
        .as_i64()
        .unwrap_or_default();
    app.act(&token, id, "reply", json!({"body": text}));
    let pages = [
        ("x@org.example", vec!["/portal".to_owned(), format!("/portal/tickets/{id}")]),
        (
            "tech@frist.example",
            vec![
                "/desk".to_owned(),
                "/desk/rows".to_owned(),
                format!("/desk/tickets/{id}"),
                "/desk/phone".to_owned(),
            ],
        ),
    ];
    for (email, paths) in pages {
        let mut client = PageClient::signed_in(&app.base, email, PASSWORD);
        for path in paths {
            let page = client.get(&path);
            assert_eq!(page.status, 200, "{path}");
            assert!(!page.body.contains("<script>alert"), "{path}: raw script");
            assert!(!page.body.contains("<img src=x"), "{path}: raw img");
            assert!(!page.body.contains("<b>Org</b>"), "{path}: raw organization name");
            if !path.starts_with("/desk/phone") {
                assert!(
                    page.body.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
                        || page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                    "{path}: the text is not shown: {}",
                    page.body
                );
                assert!(page.body.contains("{{7*7}}"), "{path}");
            }
            let csp = page.csp.unwrap_or_default();
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
                "{path}: {csp}"
            );
        }
    }
}

#[test]
fn a_session_ends_when_it_expires_and_on_sign_out() {
    let w = world();
    let mut client = PageClient::signed_in(&w.app.base, &w.customer, PASSWORD);
    assert_eq!(client.get("/portal").status, 200);
    w.app.at(w.app.now() + Duration::hours(13));
    let expired = client.get("/portal");
    assert_eq!((expired.status, expired.location.as_deref()), (303, Some("/login")));
    let mut client = PageClient::signed_in(&w.app.base, &w.customer, PASSWORD);
    let token = client.get("/account").csrf();
    let out = client.post("/logout", &[("csrf", &token)]);
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/login?signed_out=1")));
    assert_eq!(client.get("/portal").status, 303);
}

#[test]
fn a_password_is_changed_only_with_the_current_one() {
    let w = world();
    let mut client = PageClient::signed_in(&w.app.base, &w.customer, PASSWORD);
    let token = client.get("/account").csrf();
    let wrong = client.post(
        "/account/password",
        &[
            ("csrf", &token),
            ("current", "not my password"),
            ("new", "a new long password"),
            ("repeat", "a new long password"),
        ],
    );
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("This is not your current password."));
    let short = client.post(
        "/account/password",
        &[("csrf", &token), ("current", PASSWORD), ("new", "short"), ("repeat", "short")],
    );
    assert_eq!(short.status, 422);
    assert!(short.body.contains("at least 10 characters"), "{}", short.body);
    PageClient::signed_in(&w.app.base, &w.customer, PASSWORD);
    let done = client.post(
        "/account/password",
        &[
            ("csrf", &token),
            ("current", PASSWORD),
            ("new", "a new long password"),
            ("repeat", "a new long password"),
        ],
    );
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Your password is changed."));
    PageClient::signed_in(&w.app.base, &w.customer, "a new long password");
}

#[test]
fn filing_out_of_hours_asks_for_the_choice_and_shows_the_fee() {
    // Saturday 22:00 in Oslo: outside level-1 (Mon–Fri 08–20).
    let app = TestApp::start(oslo(2026, 12, 5, 22, 0));
    let org = app.customer_org("Nordlys AS", Some("level-1"), false);
    app.user(org, Role::Customer, "ingrid@nordlys.example");
    let mut client = PageClient::signed_in(&app.base, "ingrid@nordlys.example", PASSWORD);
    let form = client.get("/portal/new?severity=serious");
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("Outside your agreement hours (Mon–Fri 08:00-20:00)"),
        "{}",
        form.body
    );
    assert!(form.body.contains("Wait for Mon 7 Dec 08:00, no fee"), "{}", form.body);
    assert!(form.body.contains("DKK 5\u{a0}000 excl. VAT"), "{}", form.body);
    let token = form.csrf();
    let before = app.counts();
    let unchosen = client.post(
        "/portal/new",
        &[
            ("csrf", &token),
            ("title", "Down"),
            ("severity", "serious"),
            ("category", "functional_fault"),
        ],
    );
    assert_eq!(unchosen.status, 422);
    assert!(unchosen.body.contains("choice-error"), "{}", unchosen.body);
    assert_eq!(app.counts(), before, "nothing is filed without a choice");
    let filed = client.post(
        "/portal/new",
        &[
            ("csrf", &token),
            ("title", "Down"),
            ("severity", "serious"),
            ("category", "functional_fault"),
            ("choice", "wait"),
        ],
    );
    assert_eq!(filed.status, 303, "{}", filed.body);
    let page = client.get(filed.location.as_deref().unwrap_or("/"));
    assert!(page.body.contains("waiting for the next opening (no fee)"), "{}", page.body);
    assert!(page.body.contains("due Mon 7 Dec 10:00"), "{}", page.body);
}

#[test]
fn a_policy_edit_is_previewed_on_the_open_tickets_before_it_is_saved() {
    let w = world();
    // 11:30: the serious ticket filed at 10:00 has its response due at 12:00.
    w.app.at(oslo(2026, 12, 3, 11, 30));
    let mut conn = w.app.conn();
    let policy = frist::db::policies::find_by_name(&mut conn, "level-1")
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("level-1"));
    let current = frist::db::policies::latest_version(&mut conn, policy.id)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("version"));
    let mut spec: serde_json::Value =
        serde_json::from_str(&current.spec).unwrap_or_else(|e| panic!("{e}"));
    spec["targets"]["serious"]["response"] = json!("1h");
    let spec = spec.to_string();
    let mut admin = PageClient::signed_in(&w.app.base, &w.admin, PASSWORD);
    let page = admin.get(&format!("/admin/policies/{}", policy.id));
    assert_eq!(page.status, 200, "{}", page.body);
    let token = page.csrf();
    let before = (w.app.counts(), w.app.ticket_fingerprint());
    let path = format!("/admin/policies/{}", policy.id);
    let preview = admin.post(&path, &[("csrf", &token), ("spec", &spec), ("intent", "preview")]);
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("Of 2 open tickets under this policy, 2 clocks would move, and <strong>2 would become breached</strong>"), "{}", preview.body);
    assert!(
        preview.body.contains("T-2026-000001") && preview.body.contains("becomes breached"),
        "{}",
        preview.body
    );
    assert_eq!((w.app.counts(), w.app.ticket_fingerprint()), before, "a preview writes nothing");
    let bad =
        admin.post(&path, &[("csrf", &token), ("spec", "{\"targets\": 3}"), ("intent", "save")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("<strong>spec</strong>"), "{}", bad.body);
    let saved = admin.post(&path, &[("csrf", &token), ("spec", &spec), ("intent", "save")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = frist::db::policies::latest_version(&mut conn, policy.id)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("version"));
    assert_eq!(after.version, current.version + 1);
    assert_eq!(w.app.ticket_fingerprint(), before.1, "filed tickets keep their version");
}

#[test]
fn admin_pages_add_organizations_users_contracts_and_shifts_and_name_bad_fields() {
    let w = world();
    let mut admin = PageClient::signed_in(&w.app.base, &w.admin, PASSWORD);
    let token = admin.get("/admin").csrf();
    for path in [
        "/admin/organizations",
        "/admin/users",
        "/admin/contracts",
        "/admin/policies",
        "/admin/calendars",
        "/admin/oncall",
    ] {
        let page = admin.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
    }
    let bad = admin.post(
        "/admin/organizations",
        &[("csrf", &token), ("name", "Havblikk AS"), ("timezone", "Mars/Olympus")],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("<strong>timezone</strong>"), "{}", bad.body);
    assert!(bad.body.contains("value=\"Havblikk AS\""), "the form comes back filled in");
    let ok = admin.post(
        "/admin/organizations",
        &[("csrf", &token), ("name", "Havblikk AS"), ("timezone", "Europe/Oslo")],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let mut conn = w.app.conn();
    let org = frist::db::organizations::find_by_name(&mut conn, "Havblikk AS")
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("org"));
    let staff_in_customer = admin.post(
        "/admin/users",
        &[
            ("csrf", &token),
            ("organization_id", &org.id.to_string()),
            ("email", "sigrid@havblikk.example"),
            ("name", "Sigrid"),
            ("role", "technician"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(staff_in_customer.status, 422, "{}", staff_in_customer.body);
    let user = admin.post(
        "/admin/users",
        &[
            ("csrf", &token),
            ("organization_id", &org.id.to_string()),
            ("email", "sigrid@havblikk.example"),
            ("name", "Sigrid"),
            ("role", "customer"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(user.status, 303, "{}", user.body);
    let policy = frist::db::policies::find_by_name(&mut conn, "level-3")
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("level-3"));
    let contract = admin.post(
        "/admin/contracts",
        &[
            ("csrf", &token),
            ("organization_id", &org.id.to_string()),
            ("policy_id", &policy.id.to_string()),
            ("oncall_24x7", "yes"),
            ("valid_from", "2026-12-01"),
            ("notice_months", "3"),
        ],
    );
    assert_eq!(contract.status, 303, "{}", contract.body);
    let page = admin.get("/admin/contracts");
    assert!(page.body.contains("Havblikk AS") && page.body.contains("level-3"), "{}", page.body);
    // The new customer files under the new contract at once.
    PageClient::signed_in(&w.app.base, "sigrid@havblikk.example", PASSWORD);
    let bad_shift = admin.post(
        "/admin/oncall",
        &[("csrf", &token), ("user_id", "1"), ("starts_at", "tomorrow"), ("ends_at", "")],
    );
    assert_eq!(bad_shift.status, 422);
    assert!(bad_shift.body.contains("<strong>starts_at</strong>"), "{}", bad_shift.body);
}

#[test]
fn sign_in_is_refused_for_a_while_after_five_wrong_passwords() {
    let w = world();
    let mut client = PageClient::new(&w.app.base);
    let token = client.get("/login").csrf();
    for _ in 0..5 {
        let wrong = client.post(
            "/login",
            &[("csrf", &token), ("email", &w.customer), ("password", "guess guess guess")],
        );
        assert_eq!(wrong.status, 401);
    }
    // The right password is not even checked now, on the page and on the API.
    let right =
        client.post("/login", &[("csrf", &token), ("email", &w.customer), ("password", PASSWORD)]);
    assert_eq!(right.status, 429, "{}", right.body);
    assert!(
        right.body.contains("Too many failed sign-ins: try again in 15 min."),
        "{}",
        right.body
    );
    let api = w.app.request(
        "POST",
        None,
        "/api/v1/session",
        Some(&json!({"email": w.customer, "password": PASSWORD}).to_string()),
    );
    assert_eq!(api.status, 429, "{}", api.json);
    assert!(client.session().is_none());
    // Another address is not affected; after the window the right password works again.
    PageClient::signed_in(&w.app.base, &w.technician, PASSWORD);
    w.app.at(w.app.now() + Duration::minutes(15));
    PageClient::signed_in(&w.app.base, &w.customer, PASSWORD);
}
