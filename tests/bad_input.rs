//! A table of bad requests: each answers a 4xx JSON error naming the field, and writes
//! nothing.

#[path = "support/app.rs"]
mod app;

use app::{TestApp, oslo};
use frist::auth::Role;
use serde_json::{Value, json};

/// One bad request and what it must answer.
struct Case {
    what: &'static str,
    method: &'static str,
    path: String,
    /// Raw body (sent as `application/json` unless `content_type` says otherwise).
    body: Option<String>,
    content_type: &'static str,
    status: u16,
    field: &'static str,
}

fn case(what: &'static str, path: &str, body: Value, status: u16, field: &'static str) -> Case {
    Case {
        what,
        method: "POST",
        path: path.to_owned(),
        body: Some(body.to_string()),
        content_type: "application/json",
        status,
        field,
    }
}

fn raw(what: &'static str, path: &str, body: String, status: u16, field: &'static str) -> Case {
    Case { body: Some(body), ..case(what, path, Value::Null, status, field) }
}

/// Sends on a fresh connection (a refused body may be left unread and the connection closed).
fn send(app: &TestApp, token: &str, c: &Case) -> app::Reply {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let builder = ureq::http::Request::builder()
        .method(c.method)
        .uri(format!("{}{}", app.base, c.path))
        .header("authorization", format!("Bearer {token}"));
    let result = match &c.body {
        Some(body) => agent.run(
            builder
                .header("content-type", c.content_type)
                .body(body.clone())
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        None => agent.run(builder.body(()).unwrap_or_else(|e| panic!("{e}"))),
    };
    let mut response =
        result.unwrap_or_else(|e| panic!("{}: {} {}: {e}", c.what, c.method, c.path));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    app::Reply { status, json, retry_after: None }
}

fn check(app: &TestApp, token: &str, cases: &[Case]) {
    let before = (app.counts(), app.ticket_fingerprint());
    let mut failures = Vec::new();
    for c in cases {
        let reply = send(app, token, c);
        let field = reply.field().unwrap_or("<none>");
        let matches =
            if c.field.ends_with('.') { field.starts_with(c.field) } else { field == c.field };
        if reply.status != c.status
            || !matches
            || reply.json["error"]["status"] != c.status
            || !reply.json["error"]["message"].is_string()
        {
            failures.push(format!(
                "{}: {} {} → {} field {field} (want {} field {}): {}",
                c.what, c.method, c.path, reply.status, c.status, c.field, reply.json
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {}:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert_eq!(app.counts(), before.0, "a refused request wrote rows");
    assert_eq!(app.ticket_fingerprint(), before.1, "a refused request changed a ticket");
}

fn ticket(extra: Value) -> Value {
    let mut body = json!({"title": "Webshop down", "description": "502", "severity": "serious",
                          "category": "functional_fault"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            if v.is_null() {
                body.remove(k);
            } else {
                body.insert(k.clone(), v.clone());
            }
        }
    }
    body
}

#[test]
fn bad_tickets_are_refused_naming_the_field() {
    let app = TestApp::start(oslo(2026, 3, 4, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let other = app.customer_org("Bravo AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let t = "/api/v1/tickets";
    let cases = vec![
        case("missing title", t, ticket(json!({"title": null})), 422, "title"),
        case("empty title", t, ticket(json!({"title": "   "})), 422, "title"),
        case("title of 201", t, ticket(json!({"title": "x".repeat(201)})), 422, "title"),
        case(
            "long description",
            t,
            ticket(json!({"description": "x".repeat(20_001)})),
            422,
            "description",
        ),
        case("severity urgent", t, ticket(json!({"severity": "urgent"})), 422, "severity"),
        case("bad category", t, ticket(json!({"category": "hardware"})), 422, "category"),
        case("another org", t, ticket(json!({"organization_id": other})), 422, "organization_id"),
        case(
            "response_due_at",
            t,
            ticket(json!({"response_due_at": "2026-03-04T12:00:00Z"})),
            422,
            "response_due_at",
        ),
        case(
            "created_at",
            t,
            ticket(json!({"created_at": "2026-03-04T09:00:00Z"})),
            422,
            "created_at",
        ),
        case("status", t, ticket(json!({"status": "closed"})), 422, "status"),
        case("number", t, ticket(json!({"number": "T-2026-000001"})), 422, "number"),
        case("fee_minor", t, ticket(json!({"fee_minor": 0})), 422, "fee_minor"),
        case(
            "reported_at by a customer",
            t,
            ticket(json!({"reported_at": "2026-03-04T09:00:00Z"})),
            422,
            "reported_at",
        ),
        raw("invalid JSON", t, r#"{"title": "x", "#.to_owned(), 400, "body"),
        case("an array", t, json!([]), 422, "body"),
        Case {
            content_type: "text/plain",
            ..case("wrong content-type", t, ticket(json!({})), 415, "content-type")
        },
        case("over 64 KiB", t, ticket(json!({"description": "x".repeat(70 * 1024)})), 413, "body"),
    ];
    check(&app, &customer, &cases);
}

#[test]
fn bad_actions_are_refused_naming_the_field() {
    let app = TestApp::start(oslo(2026, 3, 4, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (customer_id, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let (_, tech) = app.staff(Role::Technician, "ole@frist.example");
    let id = app.file(&customer, ticket(json!({})))["id"].as_i64().unwrap_or_default();
    let act = |name: &str| format!("/api/v1/tickets/{id}/actions/{name}");
    let cases = vec![
        case("empty reply", &act("reply"), json!({"body": ""}), 422, "body"),
        case(
            "severity urgent",
            &act("change_severity"),
            json!({"severity": "urgent"}),
            422,
            "severity",
        ),
        case(
            "assign to a customer",
            &act("assign"),
            json!({"user_id": customer_id}),
            422,
            "user_id",
        ),
    ];
    check(&app, &tech, &cases);
    // An unknown action is not found (no field to name).
    let before = app.counts();
    let unknown = app.post(&tech, &act("escalate"), json!({}));
    assert_eq!(unknown.status, 404, "{}", unknown.json);
    assert_eq!(unknown.json["error"]["status"], 404, "{}", unknown.json);
    assert_eq!(app.counts(), before);
}

#[test]
fn bad_admin_input_is_refused_naming_the_field() {
    let app = TestApp::start(oslo(2026, 3, 4, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let provider = app.provider_org();
    let (_, admin) = app.staff(Role::Admin, "admin@frist.example");
    let policies = app.get(&admin, "/api/v1/policies");
    let policy_id =
        policies.json["items"][0]["id"].as_i64().unwrap_or_else(|| panic!("{}", policies.json));
    let user = |extra: Value| {
        let mut body = json!({"organization_id": org, "email": "new@fjordfisk.no", "name": "New",
                              "role": "customer", "password": "a long password"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    };
    let cases = vec![
        case("bad e-mail", "/api/v1/users", user(json!({"email": "not-an-address"})), 422, "email"),
        case(
            "short password",
            "/api/v1/users",
            user(json!({"password": "short"})),
            422,
            "password",
        ),
        case(
            "customer in the provider",
            "/api/v1/users",
            user(json!({"organization_id": provider})),
            422,
            "role",
        ),
        case(
            "bad timezone",
            "/api/v1/organizations",
            json!({"name": "Nowhere AS", "timezone": "Mars/Olympus"}),
            422,
            "timezone",
        ),
        case(
            "valid_to before valid_from",
            "/api/v1/contracts",
            json!({"organization_id": org, "policy_id": policy_id,
                   "valid_from": "2026-06-01T00:00:00Z", "valid_to": "2026-01-01T00:00:00Z"}),
            422,
            "valid_to",
        ),
        case(
            "calendar hours backwards",
            "/api/v1/calendars",
            json!({"name": "Night", "spec": {"timezone": "Europe/Oslo", "hours": {"mon": ["20:00-08:00"]}}}),
            422,
            "spec.",
        ),
    ];
    check(&app, &admin, &cases);
}

#[test]
fn bad_queries_are_refused_naming_the_parameter() {
    let app = TestApp::start(oslo(2026, 3, 4, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let get = |what, path: &str, field| Case {
        method: "GET",
        body: None,
        ..case(what, path, Value::Null, 422, field)
    };
    let cases = vec![
        get("limit 0", "/api/v1/tickets?limit=0", "limit"),
        get("sort bogus", "/api/v1/tickets?sort=bogus", "sort"),
    ];
    check(&app, &customer, &cases);
}
