//! The monthly report over the JSON API and its downloads: a small November worked out by
//! hand, closed through the API; the JSON figures, the CSV in both profiles (a real CSV
//! parser, 22 columns, injection neutralised), the PDF read back with `pdftotext`, a
//! recompute after a policy edit as version 2 with version 1 byte-identical, breach causes,
//! and a customer refused (404) for another organization's month on every format.

#[path = "support/app.rs"]
mod app;

use app::{TestApp, oslo};
use frist::auth::Role;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A raw answer: status, headers of interest and the body's bytes.
struct Raw {
    status: u16,
    content_type: String,
    disposition: String,
    body: Vec<u8>,
}

fn raw(app: &TestApp, token: &str, path: &str) -> Raw {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let request = ureq::http::Request::builder()
        .method("GET")
        .uri(format!("{}{path}", app.base))
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut response = agent.run(request).unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let header = |name: &str| {
        response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let body = response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    Raw { status: response.status().as_u16(), content_type, disposition, body }
}

fn id_of(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id in {value}"))
}

/// The records of a CSV, checking every one has 22 fields.
fn records(bytes: &[u8], delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(bytes);
    let header: Vec<String> =
        reader.headers().unwrap_or_else(|e| panic!("{e}")).iter().map(str::to_owned).collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")).iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(header.len(), 22, "{header:?}");
    assert_eq!(header, frist::reports::export::COLUMNS.map(str::to_owned).to_vec());
    for row in &rows {
        assert_eq!(row.len(), 22, "{row:?}");
    }
    (header, rows)
}

/// `pdftotext` of a PDF, or `None` (with a note) where it is not installed.
fn pdf_text(bytes: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    match std::process::Command::new("pdftotext").arg(&path).arg("-").output() {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => panic!("pdftotext failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => {
            // CI installs poppler-utils: there a missing pdftotext is a failure, not a skip.
            assert!(std::env::var("CI").is_err(), "pdftotext is missing under CI");
            eprintln!("note: pdftotext is not installed; the PDF's text is not checked here");
            None
        }
    }
}

struct Month {
    app: TestApp,
    a_org: i64,
    a_customer: String,
    b_customer: String,
    tech: String,
    manager: String,
    admin: String,
    numbers: Vec<String>,
    ids: Vec<i64>,
}

/// November 2026 for Alfa AS on level-2 (weekdays 08–20 Oslo; serious 2 h / 12 h, critical
/// 2 h / 6 h):
///
/// | ticket | filed | response | fix start |
/// |---|---|---|---|
/// | 1 serious | Mon 2 Nov 09:00 | reply 10:00: met, 1 h | start 12:00: met |
/// | 2 serious | Tue 3 Nov 09:00, paused 09:30–10:30 | reply 12:30: breached, 2.5 h, 30 min over | start 13:00: met |
/// | 3 critical `=HYPERLINK(` | Wed 4 Nov 09:00 | reply 09:30: met, 30 min | never: breached at 15:00 |
/// | 4 serious | Mon 30 Nov 19:00 | due 1 Dec 09:00: pending | pending |
/// | 5 serious | Thu 5 Nov 09:00 | reply 09:15: met, 15 min | paused from 10:00: pending |
///
/// Response: 3 met, 1 breached, 1 pending: 75.0 %; median of 15, 30, 60, 150 min = 45 min,
/// 90th percentile 60 + 0.7 × 90 = 123 min. Fix start: 2 met, 1 breached, 2 pending: 66.7 %.
fn november() -> Month {
    let app = TestApp::start(oslo(2026, 11, 2, 8, 0));
    let a_org = app.customer_org("Alfa AS", Some("level-2"), false);
    let b_org = app.customer_org("Bravo AS", Some("level-2"), false);
    let (_, a_customer) = app.user(a_org, Role::Customer, "per@alfa.no");
    let (_, b_customer) = app.user(b_org, Role::Customer, "kari@bravo.no");
    let (_, tech) = app.staff(Role::Technician, "tech@frist.example");
    let (_, manager) = app.staff(Role::Manager, "manager@frist.example");
    let (_, admin) = app.staff(Role::Admin, "admin@frist.example");
    let mut numbers = Vec::new();
    let mut ids = Vec::new();
    let mut file = |at, title: &str, severity: &str| {
        app.at(at);
        let t = app.file(
            &a_customer,
            json!({"title": title, "description": "x", "severity": severity, "category": "functional_fault"}),
        );
        numbers.push(t["number"].as_str().unwrap_or_default().to_owned());
        ids.push(id_of(&t));
        id_of(&t)
    };
    let reply = json!({"body": "On it."});

    let t1 = file(oslo(2026, 11, 2, 9, 0), "Printer offline", "serious");
    app.at(oslo(2026, 11, 2, 10, 0));
    app.act(&tech, t1, "reply", reply.clone());
    app.at(oslo(2026, 11, 2, 12, 0));
    app.act(&tech, t1, "start_fix", json!({}));

    let t2 = file(oslo(2026, 11, 3, 9, 0), "VPN flaps", "serious");
    app.at(oslo(2026, 11, 3, 9, 30));
    app.act(&tech, t2, "wait", json!({}));
    app.at(oslo(2026, 11, 3, 10, 30));
    app.act(&a_customer, t2, "reply", json!({"body": "Here is the log."}));
    app.at(oslo(2026, 11, 3, 12, 30));
    app.act(&tech, t2, "reply", reply.clone());
    app.at(oslo(2026, 11, 3, 13, 0));
    app.act(&tech, t2, "start_fix", json!({}));

    let t3 = file(oslo(2026, 11, 4, 9, 0), "=HYPERLINK(\"http://evil.example\")", "critical");
    app.at(oslo(2026, 11, 4, 9, 30));
    app.act(&tech, t3, "reply", reply.clone());

    let t5 = file(oslo(2026, 11, 5, 9, 0), "Mail bounces", "serious");
    app.at(oslo(2026, 11, 5, 9, 15));
    app.act(&tech, t5, "reply", reply.clone());
    app.at(oslo(2026, 11, 5, 10, 0));
    app.act(&tech, t5, "wait", json!({}));

    file(oslo(2026, 11, 30, 19, 0), "Scanner slow", "serious");
    // Numbers in filing order: 1, 2, 3, 5, 4.
    Month { app, a_org, a_customer, b_customer, tech, manager, admin, numbers, ids }
}

fn tally(figures: &Value, clock: &str) -> (u64, u64, u64) {
    let t = &figures[clock];
    (
        t["met"].as_u64().unwrap_or(99),
        t["breached"].as_u64().unwrap_or(99),
        t["pending"].as_u64().unwrap_or(99),
    )
}

#[test]
fn a_closed_month_in_json_csv_and_pdf_and_its_recompute() {
    let m = november();
    let app = &m.app;
    let base = format!("/api/v1/reports/2026-11/organizations/{}", m.a_org);

    // Not over yet: refused, naming the month.
    app.at(oslo(2026, 11, 30, 23, 0));
    let early = app.post(&m.manager, "/api/v1/reports/2026-11/close", json!({}));
    assert_eq!((early.status, early.field()), (422, Some("month")), "{}", early.json);
    let so_far = app.get(&m.manager, &base);
    assert_eq!(so_far.status, 200, "{}", so_far.json);
    assert_eq!(so_far.json["state"]["state"], "so_far");
    assert_eq!(so_far.json["title"], "November 2026 so far");

    // 1 December 04:00: the month is over; a manager closes it.
    app.at(oslo(2026, 12, 1, 4, 0));
    let refused = app.post(&m.tech, "/api/v1/reports/2026-11/close", json!({}));
    assert_eq!(refused.status, 403, "{}", refused.json);
    let closed = app.request("POST", Some(&m.manager), "/api/v1/reports/2026-11/close", None);
    assert_eq!(closed.status, 201, "{}", closed.json);
    assert_eq!(closed.json["result"], "written");
    assert_eq!(closed.json["version"], 1);
    let again = app.post(&m.manager, "/api/v1/reports/2026-11/close", json!({"reason": "check"}));
    assert_eq!((again.status, &again.json["result"]), (200, &json!("unchanged")), "{}", again.json);

    // The JSON figures, as worked out above.
    let report = app.get(&m.manager, &base);
    assert_eq!(report.status, 200, "{}", report.json);
    let r = &report.json;
    assert_eq!(r["title"], "November 2026");
    assert_eq!(r["state"]["state"], "closed");
    assert_eq!(r["state"]["version"], 1);
    let f = &r["figures"];
    assert_eq!(tally(f, "response"), (3, 1, 1), "{f}");
    assert_eq!(tally(f, "fix_start"), (2, 1, 2), "{f}");
    assert_eq!(f["response"]["compliance"], 75.0);
    let fix = f["fix_start"]["compliance"].as_f64().unwrap_or_default();
    assert!((fix - 200.0 / 3.0).abs() < 1e-9, "{fix}");
    let secs = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    assert!((secs(&f["response"]["p50_secs"]) - 2700.0).abs() < 1e-6, "{f}");
    assert!((secs(&f["response"]["p90_secs"]) - 7380.0).abs() < 1e-6, "{f}");
    assert_eq!(f["filed"], 5);
    // Paused over the decided clocks: ticket 2's hour, on each of its two clocks.
    assert_eq!(
        f["response"]["paused_secs"].as_i64().unwrap_or(0)
            + f["fix_start"]["paused_secs"].as_i64().unwrap_or(0),
        7200,
        "{f}"
    );
    let rows = r["rows"].as_array().cloned().unwrap_or_default();
    let mut breached: Vec<(String, String)> = rows
        .iter()
        .filter(|row| row["outcome"] == "breached")
        .map(|row| {
            (
                row["ticket_number"].as_str().unwrap_or("").to_owned(),
                row["clock"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    breached.sort();
    let mut want = vec![
        (m.numbers[1].clone(), "response".to_owned()),
        (m.numbers[2].clone(), "fix_start".to_owned()),
    ];
    want.sort();
    assert_eq!(breached, want);
    let late = rows
        .iter()
        .find(|row| row["ticket_number"] == m.numbers[1].as_str() && row["clock"] == "response")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (late["used_secs"].as_i64(), late["overrun_secs"].as_i64()),
        (Some(9000), Some(1800)),
        "{late}"
    );
    assert!(!late["explanation"].as_str().unwrap_or_default().is_empty(), "{late}");
    let sha = r["csv_sha256"].as_str().unwrap_or_default().to_owned();
    assert_eq!(sha.len(), 64);

    // The customer reads its own month; the overview is for managers.
    let own = app.get(&m.a_customer, &base);
    assert_eq!(own.status, 200, "{}", own.json);
    assert_eq!(own.json["figures"], report.json["figures"]);
    assert_eq!(app.get(&m.a_customer, "/api/v1/reports?month=2026-11").status, 403);
    assert_eq!(app.get(&m.tech, &base).status, 403);
    let overview = app.get(&m.manager, "/api/v1/reports?month=2026-11");
    assert_eq!(overview.status, 200, "{}", overview.json);
    let orgs = overview.json["organizations"].as_array().cloned().unwrap_or_default();
    assert_eq!(orgs.len(), 2, "{}", overview.json);
    assert_eq!(overview.json["total"]["response"]["compliance"], 75.0);
    for bad in
        ["/api/v1/reports?month=2026-13", "/api/v1/reports", "/api/v1/reports/2026-13/versions"]
    {
        let reply = app.get(&m.manager, bad);
        assert_eq!((reply.status, reply.field()), (422, Some("month")), "{bad}: {}", reply.json);
    }
    let bad = app.get(&m.manager, &format!("/api/v1/reports/2026-13/organizations/{}", m.a_org));
    assert_eq!((bad.status, bad.field()), (422, Some("month")), "{}", bad.json);
    let none = app.get(&m.manager, &format!("{base}?version=7"));
    assert_eq!(none.status, 404, "{}", none.json);

    // The CSV, machine profile: what the footer's SHA-256 is of.
    let machine = raw(app, &m.manager, &format!("{base}.csv"));
    assert_eq!(machine.status, 200);
    assert_eq!(machine.content_type, "text/csv; charset=utf-8");
    assert_eq!(machine.disposition, "attachment; filename=\"frist-alfa-as-2026-11.csv\"");
    assert_eq!(hex::encode(Sha256::digest(&machine.body)), sha);
    let (_, csv_rows) = records(&machine.body, b',');
    assert_eq!(csv_rows.len(), rows.len());
    let title = csv_rows.iter().find(|row| row[1] == m.numbers[2]).map(|row| row[2].clone());
    assert_eq!(title.as_deref(), Some("'=HYPERLINK(\"http://evil.example\")"));
    assert!(csv_rows.iter().all(|row| row[15].parse::<i64>().is_ok()), "used_secs are integers");

    // Excel: BOM, `;`, the same columns, injection neutralised too.
    let excel = raw(app, &m.a_customer, &format!("{base}.csv?profile=excel"));
    assert_eq!(excel.status, 200);
    assert!(excel.body.starts_with(b"\xEF\xBB\xBF"), "no BOM");
    let (_, excel_rows) = records(&excel.body[3..], b';');
    assert_eq!(excel_rows.len(), rows.len());
    assert!(excel_rows.iter().any(|row| row[2].starts_with("'=")));
    let bad_profile = app.get(&m.manager, &format!("{base}.csv?profile=lotus"));
    assert_eq!((bad_profile.status, bad_profile.field()), (422, Some("profile")));

    // The PDF shows what the JSON shows.
    let pdf = raw(app, &m.a_customer, &format!("{base}.pdf"));
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type, "application/pdf");
    assert_eq!(pdf.disposition, "attachment; filename=\"frist-alfa-as-2026-11.pdf\"");
    assert!(pdf.body.starts_with(b"%PDF"));
    if let Some(text) = pdf_text(&pdf.body) {
        for needle in [
            "Alfa AS",
            "November 2026",
            "75.0 %",
            "66.7 %",
            "45 min",
            "2 h 3 min",
            &m.numbers[1],
            &m.numbers[2],
            "Version 1",
            &sha,
        ] {
            assert!(text.contains(needle), "{needle:?} not in the PDF:\n{text}");
        }
    }

    // A breach cause: set by a manager, counted in the report.
    let started = late["started_at"].clone();
    let cause = json!({"ticket_id": m.ids[1], "clock": "response", "started_at": started, "cause": "staffing"});
    let set =
        app.request("PUT", Some(&m.manager), "/api/v1/reports/causes", Some(&cause.to_string()));
    assert_eq!(set.status, 200, "{}", set.json);
    assert_eq!(set.json["cause"], "staffing");
    let by_customer =
        app.request("PUT", Some(&m.a_customer), "/api/v1/reports/causes", Some(&cause.to_string()));
    assert_eq!(by_customer.status, 403);
    for (field, body) in [
        (
            "cause",
            json!({"ticket_id": m.ids[1], "clock": "response", "started_at": started, "cause": "gremlins"}),
        ),
        (
            "clock",
            json!({"ticket_id": m.ids[1], "clock": "lunch", "started_at": started, "cause": "staffing"}),
        ),
        (
            "started_at",
            json!({"ticket_id": m.ids[0], "clock": "response", "started_at": started, "cause": "staffing"}),
        ),
        (
            "note",
            json!({"ticket_id": m.ids[1], "clock": "response", "started_at": started, "cause": "other"}),
        ),
    ] {
        let reply =
            app.request("PUT", Some(&m.manager), "/api/v1/reports/causes", Some(&body.to_string()));
        assert_eq!((reply.status, reply.field()), (422, Some(field)), "{body}: {}", reply.json);
    }
    let with_cause = app.get(&m.manager, &base);
    assert_eq!(with_cause.json["causes"], json!({"none": 1, "staffing": 1}));

    // A policy edit after the close, and the open ticket moved onto it: a recompute makes
    // version 2 listing that ticket; version 1 stays byte for byte what was sent.
    let policies = app.get(&m.admin, "/api/v1/policies?limit=100");
    let policy = policies.json["items"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "level-2").cloned())
        .unwrap_or_else(|| panic!("no level-2: {}", policies.json));
    let mut spec = policy["current_version"]["spec"].clone();
    spec["targets"]["serious"]["response"] = json!("3h");
    let edited = app.post(
        &m.admin,
        &format!("/api/v1/policies/{}/versions", id_of(&policy)),
        json!({"spec": spec}),
    );
    assert_eq!(edited.status, 201, "{}", edited.json);
    let contracts = app.get(&m.admin, "/api/v1/contracts?limit=100");
    let contract = contracts.json["items"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["organization_id"] == m.a_org).map(id_of))
        .unwrap_or_else(|| panic!("{}", contracts.json));
    app.act(&m.manager, m.ids[4], "change_contract", json!({"contract_id": contract}));
    let recomputed =
        app.post(&m.manager, "/api/v1/reports/2026-11/close", json!({"reason": "policy edit"}));
    assert_eq!(recomputed.status, 201, "{}", recomputed.json);
    assert_eq!(recomputed.json["version"], 2);
    let v2 = app.get(&m.manager, &base);
    assert_eq!(v2.json["title"], "November 2026, version 2");
    let changes = v2.json["changes"].as_array().cloned().unwrap_or_default();
    assert!(changes.iter().any(|c| c["ticket_number"] == m.numbers[4].as_str()), "{changes:?}");
    let versions = app.get(&m.manager, "/api/v1/reports/2026-11/versions");
    assert_eq!(versions.status, 200, "{}", versions.json);
    let listed = versions.json["versions"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        listed.iter().map(|v| v["version"].clone()).collect::<Vec<_>>(),
        vec![json!(2), json!(1)]
    );
    assert_eq!(listed[0]["reason"], "policy edit");
    assert!(!listed[0]["changes"].as_array().is_none_or(Vec::is_empty), "{}", versions.json);
    let v1_again = raw(app, &m.manager, &format!("{base}.csv?version=1"));
    assert_eq!(v1_again.body, machine.body, "version 1's CSV changed");
    let v2_csv = raw(app, &m.manager, &format!("{base}.csv"));
    assert_eq!(v2_csv.disposition, "attachment; filename=\"frist-alfa-as-2026-11-v2.csv\"");
    assert_ne!(v2_csv.body, machine.body);
    assert_eq!(
        hex::encode(Sha256::digest(&v2_csv.body)),
        v2.json["csv_sha256"].as_str().unwrap_or_default()
    );
    if let Some(text) = pdf_text(&raw(app, &m.manager, &format!("{base}.pdf")).body) {
        assert!(text.contains("version 2") && text.contains("Version 2"), "{text}");
    }

    // Every report route is in the API document, with its parameters.
    let doc = app.request("GET", None, "/api/v1/openapi.json", None);
    let csv_path = &doc.json["paths"]["/api/v1/reports/{month}/organizations/{id}.csv"]["get"];
    let names: Vec<&str> = csv_path["parameters"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["month", "id"], "{csv_path}");
    assert!(doc.json["components"]["schemas"]["SetCause"].is_object());

    // Another organization's customer: 404 on every format, by month and by version, for
    // a month closed, not closed, and not even a month.
    for month in ["2026-11", "2026-10", "2026-13"] {
        for suffix in ["", ".csv", ".pdf", ".csv?profile=excel"] {
            for version in ["", "version=1", "version=2"] {
                let sep = if version.is_empty() {
                    ""
                } else if suffix.contains('?') {
                    "&"
                } else {
                    "?"
                };
                let path = format!(
                    "/api/v1/reports/{month}/organizations/{}{suffix}{sep}{version}",
                    m.a_org
                );
                let reply = raw(app, &m.b_customer, &path);
                assert_eq!(reply.status, 404, "{path}: {}", String::from_utf8_lossy(&reply.body));
                assert!(!String::from_utf8_lossy(&reply.body).contains("Alfa"), "{path}");
            }
        }
    }
}
