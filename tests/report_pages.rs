//! The report pages over real HTTP: a manager lands on their home, reads the month's overview
//! and an organization's month (breach explained, charts, footer hash), sets a cause and
//! closes the month; customers read only their own organization's report in the portal, and
//! neither they nor technicians open the manager's pages.

mod support {
    pub mod app;
    pub mod pages;
}

use frist::auth::Role;
use serde_json::json;
use support::app::{TestApp, oslo};
use support::pages::{Answer, PageClient};

const PASSWORD: &str = "a long password";

struct World {
    app: TestApp,
    nordlys: i64,
    fjordnett: i64,
    late: i64,
}

/// November 2026 on level-1 (weekdays 08–20, serious: response 2 h): Nordlys's ticket is
/// answered three hours late (a breach), Fjordnett's on time; a Nordlys ticket filed on the
/// 30th at 19:30 is due on 1 December (pending in November). Now: Thursday 3 December 10:00,
/// and a ticket filed at 09:00 is due at 11:00 (at risk).
fn world() -> World {
    let app = TestApp::start(oslo(2026, 11, 2, 10, 0));
    let nordlys = app.customer_org("Nordlys AS", Some("level-1"), false);
    let fjordnett = app.customer_org("Fjordnett AS", Some("level-1"), false);
    let (_, customer) = app.user(nordlys, Role::Customer, "ingrid@nordlys.example");
    let (_, other) = app.user(fjordnett, Role::Customer, "kari@fjordnett.example");
    let (_, tech) = app.staff(Role::Technician, "tech@frist.example");
    app.staff(Role::Manager, "boss@frist.example");
    let ticket = |token: &str, title: &str| {
        let body = json!({"title": title, "description": "Since 09:00", "severity": "serious", "category": "functional_fault"});
        app.file(token, body)["id"].as_i64().unwrap_or_default()
    };
    let late = ticket(&customer, "Printer offline");
    let on_time = ticket(&other, "Mail bounces");
    app.at(oslo(2026, 11, 2, 10, 30));
    app.act(&tech, on_time, "reply", json!({"body": "On it"}));
    app.at(oslo(2026, 11, 2, 15, 0));
    app.act(&tech, late, "reply", json!({"body": "Sorry, looking now"}));
    app.at(oslo(2026, 11, 30, 19, 30));
    ticket(&customer, "VPN slow");
    app.at(oslo(2026, 12, 3, 9, 0));
    ticket(&customer, "Disk full");
    app.at(oslo(2026, 12, 3, 10, 0));
    World { app, nordlys, fjordnett, late }
}

fn ok(answer: Answer, what: &str) -> Answer {
    assert_eq!(answer.status, 200, "{what}: {}", answer.body);
    answer
}

/// The value of the first hidden field `name` on the page.
fn hidden(page: &Answer, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.body.find(&marker).unwrap_or_else(|| panic!("no {name}")) + marker.len();
    let end = page.body[start..].find('"').unwrap_or_else(|| panic!("bad {name}")) + start;
    page.body[start..end].to_owned()
}

#[test]
fn a_manager_lands_on_their_home_reads_the_month_sets_a_cause_and_closes_it() {
    let w = world();
    let mut client = PageClient::new(&w.app.base);
    let token = client.get("/login").csrf();
    let signed = client.post(
        "/login",
        &[("csrf", &token), ("email", "boss@frist.example"), ("password", PASSWORD)],
    );
    assert_eq!((signed.status, signed.location.as_deref()), (303, Some("/manager")));
    assert_eq!(client.get("/").location.as_deref(), Some("/manager"));
    let home = ok(client.get("/manager"), "home");
    assert!(home.body.contains("Breaches that need a cause"), "{}", home.body);
    assert!(home.body.contains("Printer offline"), "the late ticket needs a cause: {}", home.body);
    let risk = &home.body[home.body.find("Pending clocks at risk").unwrap_or(0)..];
    assert!(risk.contains("Disk full"), "due within 24 h: {risk}");
    assert!(!risk.contains("Printer offline"));

    let overview = ok(client.get("/reports?month=2026-11"), "overview");
    assert!(overview.body.contains("November 2026 (not closed yet)"), "{}", overview.body);
    let link = format!("/reports/2026-11/organizations/{}", w.nordlys);
    assert!(overview.body.contains(&link), "{}", overview.body);
    assert!(overview.body.contains("Fjordnett AS"));
    assert!(overview.body.contains("All customers"));
    // Fjordnett's one response was on time: 100.0 %; Nordlys: 0 of 1.
    assert!(
        overview.body.contains("100.0 %") && overview.body.contains("0.0 %"),
        "{}",
        overview.body
    );

    let page = ok(client.get(&link), "organization");
    assert!(page.body.contains("Printer offline"));
    assert!(page.body.contains(&format!("/desk/tickets/{}", w.late)), "ticket links to the desk");
    assert!(page.body.contains("<pre class=\"explanation\">"), "explanation shown");
    assert!(page.body.contains("<svg"), "charts inlined");
    assert!(page.body.contains("VPN slow"), "the pending ticket is listed");
    assert!(page.body.contains("3 h 00 min business time"), "the overrun: {}", page.body);
    let hash_at = page.body.find("<code class=\"hash\">").unwrap_or_else(|| panic!("no hash"));
    let hash = &page.body[hash_at + 19..hash_at + 19 + 64];
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "footer hash {hash}");
    assert!(page.body.contains("No cause set yet 2"), "two breaches without cause: {}", page.body);
    assert!(page.body.contains("percentile_cont"), "the rules footnote");

    // A bad cause is refused with the field named, and nothing is set.
    let csrf = page.csrf();
    let started = hidden(&page, "started_at");
    let ticket = w.late.to_string();
    let org = w.nordlys.to_string();
    let form = |cause: &'static str, note: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("month", "2026-11".to_owned()),
            ("organization_id", org.clone()),
            ("ticket_id", ticket.clone()),
            ("clock", "response".to_owned()),
            ("started_at", started.clone()),
            ("cause", cause.to_owned()),
            ("note", note.to_owned()),
        ]
    };
    let send = |client: &mut PageClient, fields: Vec<(&'static str, String)>| {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        client.post("/reports/causes", &refs)
    };
    let refused = send(&mut client, form("other", ""));
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("<strong>note</strong>"), "{}", refused.body);
    let refused = send(&mut client, form("weather", ""));
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("<strong>cause</strong>"));
    let set = send(&mut client, form("staffing", "two people ill"));
    assert_eq!(set.status, 303, "{}", set.body);
    assert!(set.location.as_deref().unwrap_or("").starts_with(&link));
    let page = ok(client.get(&link), "organization after the cause");
    assert!(page.body.contains("Staffing 1"), "{}", page.body);
    assert!(page.body.contains("No cause set yet 1"));
    assert!(page.body.contains("Staffing: two people ill"));

    // The current month is not over: refused, naming the month.
    let refused = client.post("/reports/2026-12/close", &[("csrf", &csrf), ("reason", "")]);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("<strong>month</strong>"), "{}", refused.body);
    // November closes as version 1; closing again changes nothing.
    let closed = client.post("/reports/2026-11/close", &[("csrf", &csrf), ("reason", "")]);
    assert_eq!(closed.status, 303, "{}", closed.body);
    let back = closed.location.unwrap_or_default();
    let overview = ok(client.get(&back), "overview after the close");
    assert!(overview.body.contains("Version 1 written"), "{}", overview.body);
    assert!(overview.body.contains("Version 1, computed"), "{}", overview.body);
    let again = client.post(
        "/reports/2026-11/close",
        &[("csrf", &csrf), ("reason", "check"), ("organization_id", &org)],
    );
    assert_eq!(again.status, 303, "{}", again.body);
    let page = ok(client.get(&again.location.unwrap_or_default()), "organization after recompute");
    assert!(page.body.contains("Nothing differs; version 1 stands."), "{}", page.body);
    assert!(page.body.contains("Printer offline"), "read from the snapshot");
    let csv = format!("/api/v1/reports/2026-11/organizations/{}.csv?version&#x3D;1", w.nordlys);
    assert!(page.body.contains(&csv), "downloads of the version shown");
    // The footer's hash is the hash of the CSV the page links to.
    let hash_at = page.body.find("<code class=\"hash\">").unwrap_or(0) + 19;
    let footer = page.body[hash_at..hash_at + 64].to_owned();
    let download = client.get(&csv.replace("&#x3D;", "="));
    assert_eq!(download.status, 200, "{}", download.body);
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(download.body.as_bytes())), footer);
    assert!(page.body.contains("Staffing 1"));
}

#[test]
fn customers_read_only_their_own_report_and_technicians_none() {
    let w = world();
    let mut customer = PageClient::signed_in(&w.app.base, "ingrid@nordlys.example", PASSWORD);
    let own = ok(customer.get("/portal/reports/2026-11"), "portal report");
    assert!(own.body.contains("Nordlys AS"));
    assert!(own.body.contains("Printer offline"));
    assert!(own.body.contains("<svg"));
    assert!(own.body.contains(&format!("/portal/tickets/{}", w.late)));
    assert!(!own.body.contains("Fjordnett"), "another organization leaked");
    assert!(!own.body.contains("All customers"), "provider-wide figures shown");
    assert!(!own.body.contains("/desk/tickets/"), "internal links shown");
    assert!(!own.body.contains("/reports/causes"), "a cause form shown");
    assert!(!own.body.contains("/close\""), "a recompute form shown");
    ok(customer.get("/portal/reports"), "portal, current month");
    ok(customer.get("/portal/reports?month=2026-11"), "portal, by query");
    let bad = customer.get("/portal/reports/2026-13");
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("month"), "{}", bad.body);
    let other = format!("/reports/2026-11/organizations/{}", w.fjordnett);
    let own_staff = format!("/reports/2026-11/organizations/{}", w.nordlys);
    for path in ["/reports", "/reports?month=2026-11", "/manager", &other, &own_staff] {
        let answer = customer.get(path);
        assert_eq!(answer.status, 404, "customer opened {path}");
        assert!(!answer.body.contains("Fjordnett"), "{path} leaked");
    }
    let mut technician = PageClient::signed_in(&w.app.base, "tech@frist.example", PASSWORD);
    assert_eq!(technician.get("/").location.as_deref(), Some("/desk"));
    for path in ["/reports", "/manager", &other] {
        assert_eq!(technician.get(path).status, 404, "technician opened {path}");
    }
    let token = technician.get("/desk").csrf();
    let before = w.app.counts();
    let refused = technician.post("/reports/2026-11/close", &[("csrf", &token)]);
    assert_eq!(refused.status, 404);
    assert_eq!(w.app.counts(), before);
}

#[test]
fn an_admin_marks_a_customer_as_a_report_recipient() {
    let app = TestApp::start(oslo(2026, 12, 3, 10, 0));
    let org = app.customer_org("Nordlys AS", Some("level-1"), false);
    let (ingrid, _) = app.user(org, Role::Customer, "ingrid@nordlys.example");
    app.staff(Role::Admin, "admin@frist.example");
    let mut admin = PageClient::signed_in(&app.base, "admin@frist.example", PASSWORD);
    assert_eq!(admin.get("/").location.as_deref(), Some("/manager"));
    let page = ok(admin.get("/admin/users"), "users");
    assert!(page.body.contains("receives monthly reports"));
    let token = page.csrf();
    let path = format!("/admin/users/{ingrid}");
    let fields = [("csrf", token.as_str()), ("role", "customer"), ("active", "yes")];
    let on = admin.post(&path, &[fields[0], fields[1], fields[2], ("recipient", "yes")]);
    assert_eq!(on.status, 303, "{}", on.body);
    let recipients = || frist::db::reports::recipient_ids(&mut app.conn()).unwrap_or_default();
    assert_eq!(recipients(), vec![ingrid]);
    assert!(
        ok(admin.get("/admin/users"), "users").body.contains("value=\"yes\" checked> receives")
    );
    let off = admin.post(&path, &fields);
    assert_eq!(off.status, 303, "{}", off.body);
    assert_eq!(recipients(), Vec::<i64>::new());
    // Without the token nothing changes.
    let forged =
        admin.post(&path, &[("role", "customer"), ("active", "yes"), ("recipient", "yes")]);
    assert_eq!(forged.status, 403);
    assert_eq!(recipients(), Vec::<i64>::new());
}
