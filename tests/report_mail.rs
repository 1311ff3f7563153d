//! The monthly close and the report e-mail on the 1st: two instances racing close the month
//! once and queue one mail per recipient; an instance started after the 1st catches up
//! once; nothing is closed before 03:00 nor mailed before the report hour; old months are
//! closed but not mailed; the delivered mail carries the PDF and the CSV and a table of the
//! figures, no SVG. On PostgreSQL when `FRIST_TEST_POSTGRES` is set.

#[path = "support/app.rs"]
mod app;
#[path = "support/mail_sink.rs"]
mod mail_sink;

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use app::{TestApp, TestDb, oslo};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use frist::auth::Role;
use frist::config::Config;
use frist::db::schema::{organizations, outbox, report_versions};
use frist::jobs::reports::{self, Settings};
use mail_sink::MailSink;
use serde_json::json;

/// A customer with a marked report recipient and an unmarked user, a manager, a technician,
/// and two critical outages in November 2026: one response met on time, one late; both
/// fixes started in time.
fn november(config: Config) -> TestApp {
    // Tuesday 10 November 2026, 10:00 Oslo.
    let app = TestApp::start_with(oslo(2026, 11, 10, 10, 0), TestDb::new(), config);
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (kari, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    app.user(org, Role::Customer, "ola@fjordfisk.no");
    app.staff(Role::Manager, "mona@frist.example");
    let (_, tech) = app.staff(Role::Technician, "tech@frist.example");
    frist::db::reports::set_recipient(&mut app.conn(), kari, true, frist::db::to_db(app.now()))
        .unwrap_or_else(|e| panic!("{e}"));
    let body = json!({"title": "Webshop down", "severity": "critical", "category": "outage"});
    let on_time = app.file(&customer, body.clone())["id"].as_i64().unwrap_or_default();
    let late = app.file(&customer, body)["id"].as_i64().unwrap_or_default();
    app.at(oslo(2026, 11, 10, 10, 30));
    app.act(&tech, on_time, "reply", json!({"body": "Looking at it."}));
    app.at(oslo(2026, 11, 10, 11, 0));
    app.act(&tech, on_time, "start_fix", json!({}));
    // The fix starts in time (outage: 4 h, due 14:00), the reply comes late (due 12:00).
    app.at(oslo(2026, 11, 10, 13, 30));
    app.act(&tech, late, "start_fix", json!({}));
    app.at(oslo(2026, 11, 10, 14, 0));
    app.act(&tech, late, "reply", json!({"body": "Sorry for the wait."}));
    app
}

fn tick(app: &TestApp, now: DateTime<Utc>) -> reports::Report {
    reports::tick(&mut app.conn(), &app.engine(), &Settings::default(), now)
        .unwrap_or_else(|e| panic!("reports: {e}"))
}

/// (month, version) of every closed version.
fn versions(app: &TestApp) -> Vec<(String, i32)> {
    report_versions::table
        .order((report_versions::month, report_versions::version))
        .select((report_versions::month, report_versions::version))
        .load(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// (recipient, event id) of the queued report mails.
fn report_mails(app: &TestApp) -> Vec<(String, String)> {
    outbox::table
        .filter(outbox::topic.eq(reports::TOPIC))
        .order(outbox::recipient)
        .select((outbox::recipient, outbox::event_id))
        .load(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn recipients(app: &TestApp) -> Vec<String> {
    report_mails(app).into_iter().map(|(to, _)| to).collect()
}

fn org_id(app: &TestApp) -> i64 {
    organizations::table
        .filter(organizations::is_provider.eq(false))
        .select(organizations::id)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"))
}

const EXPECTED: [&str; 2] = ["kari@fjordfisk.no", "mona@frist.example"];

#[test]
fn two_instances_racing_on_the_first_close_once_and_mail_once() {
    let app = november(Config::default());
    let now = oslo(2026, 12, 1, 6, 30);
    let start = Arc::new(Barrier::new(2));
    let instances: Vec<_> = (0..2)
        .map(|_| {
            let start = Arc::clone(&start);
            let mut conn = app.conn();
            let engine = app.engine();
            std::thread::spawn(move || {
                start.wait();
                reports::tick(&mut conn, &engine, &Settings::default(), now)
                    .unwrap_or_else(|e| panic!("reports: {e}"))
            })
        })
        .collect();
    let done: Vec<reports::Report> =
        instances.into_iter().map(|i| i.join().unwrap_or_else(|_| panic!("panicked"))).collect();

    assert_eq!(versions(&app), [("2026-11".to_owned(), 1)]);
    let closed: usize = done.iter().map(|r| r.closed.len()).sum();
    let elsewhere: usize = done.iter().map(|r| r.closed_elsewhere).sum();
    assert_eq!((closed, elsewhere), (1, 1), "{done:?}");
    assert!(done.iter().all(|r| r.failed == 0), "{done:?}");
    let mailed: usize = done.iter().map(|r| r.mailed).sum();
    assert_eq!(mailed, 1, "{done:?}");

    // One message per recipient: the manager and the marked customer user, not Ola.
    let mails = report_mails(&app);
    assert_eq!(recipients(&app), EXPECTED);
    let org = org_id(&app);
    let ids: BTreeSet<String> = mails.into_iter().map(|(_, id)| id).collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            format!("report:{org}:2026-11:v1:kari@fjordfisk.no"),
            format!("report:{org}:2026-11:v1:mona@frist.example"),
        ])
    );
}

#[test]
fn an_instance_started_after_the_first_catches_up_once() {
    let app = november(Config::default());
    // Down over the 1st; started on Thursday the 3rd.
    let first = tick(&app, oslo(2026, 12, 3, 10, 0));
    assert_eq!(first.closed.len(), 1, "{first:?}");
    assert_eq!((first.mailed, first.messages), (1, 2), "{first:?}");
    assert_eq!(versions(&app), [("2026-11".to_owned(), 1)]);
    assert_eq!(recipients(&app), EXPECTED);

    let again = tick(&app, oslo(2026, 12, 3, 11, 5));
    assert!(again.due.is_empty() && again.closed.is_empty(), "{again:?}");
    assert_eq!((again.to_mail, again.messages), (0, 0), "{again:?}");
    assert_eq!(recipients(&app), EXPECTED);
}

#[test]
fn nothing_before_three_closed_before_the_report_hour_mailed_after() {
    let app = november(Config::default());
    let early = tick(&app, oslo(2026, 12, 1, 2, 59));
    assert!(early.due.is_empty(), "{early:?}");
    assert!(versions(&app).is_empty());

    let closing = tick(&app, oslo(2026, 12, 1, 3, 0));
    assert_eq!(closing.closed, [("2026-11".parse().unwrap_or_else(|e| panic!("{e}")), 1)]);
    assert!(recipients(&app).is_empty(), "mailed before the report hour");
    tick(&app, oslo(2026, 12, 1, 5, 59));
    assert!(recipients(&app).is_empty(), "mailed before the report hour");

    tick(&app, oslo(2026, 12, 1, 6, 0));
    assert_eq!(recipients(&app), EXPECTED);
    assert_eq!(versions(&app), [("2026-11".to_owned(), 1)]);

    let subjects = |app: &TestApp| -> Vec<String> {
        outbox::table
            .filter(outbox::topic.eq(reports::TOPIC))
            .order(outbox::id)
            .select(outbox::subject)
            .load(&mut app.conn())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let sent = subjects(&app);
    assert!(sent.iter().all(|s| s == "SLA report November 2026 — Fjord Fisk AS"), "{sent:?}");

    // A recompute that changes something is version 2: mailed once, as an amendment.
    diesel::update(organizations::table.find(org_id(&app)))
        .set(organizations::name.eq("Fjord Fisk ASA"))
        .execute(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
    let engine = app.engine();
    let november = "2026-11".parse().unwrap_or_else(|e| panic!("{e}"));
    let recompute = |reason: &str| {
        frist::reports::snapshot::close(
            &mut app.conn(),
            &engine,
            november,
            oslo(2026, 12, 2, 9, 0),
            None,
            reason,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    assert!(matches!(
        recompute("renamed"),
        frist::reports::snapshot::Closed::Written { version: 2, .. }
    ));
    tick(&app, oslo(2026, 12, 2, 10, 5));
    tick(&app, oslo(2026, 12, 2, 11, 5));
    let sent = subjects(&app);
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert!(
        sent[2..].iter().all(|s| s == "SLA report November 2026, version 2 — Fjord Fisk ASA"),
        "{sent:?}"
    );
    // Recomputing with nothing changed writes no version and mails nothing.
    assert!(matches!(
        recompute("again"),
        frist::reports::snapshot::Closed::Unchanged { version: 2 }
    ));
    tick(&app, oslo(2026, 12, 2, 12, 5));
    assert_eq!(subjects(&app).len(), 4);
}

#[test]
fn months_that_ended_long_ago_are_closed_but_not_mailed() {
    let app = november(Config::default());
    // Mid-February 2027: November ended 76 days ago, December 45, January 14.
    let report = tick(&app, oslo(2027, 2, 15, 9, 0));
    let months: Vec<String> = report.closed.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(months, ["2026-11", "2026-12", "2027-01"]);
    let mails = report_mails(&app);
    assert!(mails.iter().all(|(_, id)| !id.contains(":2026-11:")), "{mails:?}");
    assert!(mails.iter().any(|(_, id)| id.contains(":2026-12:")), "{mails:?}");
    assert!(mails.iter().any(|(_, id)| id.contains(":2027-01:")), "{mails:?}");
    assert_eq!(mails.len(), 4);
}

#[test]
fn with_no_tickets_the_month_before_is_closed() {
    let app = TestApp::start(oslo(2026, 12, 10, 10, 0));
    app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let report = tick(&app, app.now());
    assert_eq!(versions(&app), [("2026-11".to_owned(), 1)], "{report:?}");
}

/// A leaf MIME part: its headers (unfolded, as one string) and its decoded body.
struct Part {
    headers: String,
    body: Vec<u8>,
}

fn header_value(headers: &str, name: &str) -> Option<String> {
    headers.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

fn decode_qp(data: &str) -> Vec<u8> {
    let joined = data.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// The leaf parts of a MIME entity, depth first.
fn parts(entity: &str) -> Vec<Part> {
    let (head, body) = entity.split_once("\r\n\r\n").unwrap_or((entity, ""));
    let headers = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let content_type = header_value(&headers, "Content-Type").unwrap_or_default();
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        let boundary = content_type
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .map(|b| b.trim_matches('"').to_owned())
            .unwrap_or_else(|| panic!("no boundary in {content_type}"));
        let delimiter = format!("--{boundary}");
        let mut out = Vec::new();
        for (i, chunk) in body.split(delimiter.as_str()).enumerate() {
            if i == 0 || chunk.starts_with("--") {
                continue;
            }
            let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
            let chunk = chunk.strip_suffix("\r\n").unwrap_or(chunk);
            out.extend(parts(chunk));
        }
        return out;
    }
    let encoding =
        header_value(&headers, "Content-Transfer-Encoding").unwrap_or_default().to_lowercase();
    let body = match encoding.as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_else(|e| panic!("base64: {e}"))
        }
        "quoted-printable" => decode_qp(body),
        _ => body.as_bytes().to_vec(),
    };
    vec![Part { headers, body }]
}

#[test]
fn the_delivered_mail_has_the_figures_the_pdf_and_the_csv() {
    let sink = MailSink::start();
    let config = Config { smtp_url: Some(sink.url()), ..Config::default() };
    let app = november(config.clone());
    // Earlier mails (receipts, replies) go out first, so only the reports are left.
    let worker =
        frist::jobs::deliver::Worker::from_config(&config).unwrap_or_else(|e| panic!("{e}"));
    worker.tick(&mut app.conn(), app.now()).unwrap_or_else(|e| panic!("{e}"));
    let before = sink.messages().len();

    let now = oslo(2026, 12, 1, 6, 5);
    tick(&app, now);
    let pass = worker.tick(&mut app.conn(), now).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pass.delivered, 2, "{pass:?}");
    let delivered: Vec<_> = sink.messages().into_iter().skip(before).collect();
    let kari = delivered
        .iter()
        .find(|m| m.rcpt_to == ["kari@fjordfisk.no"])
        .unwrap_or_else(|| panic!("no mail to Kari"));
    assert_eq!(kari.header("Auto-Submitted").as_deref(), Some("auto-generated"));
    let org = org_id(&app);
    assert_eq!(
        kari.header("X-Frist-Event-Id"),
        Some(format!("report:{org}:2026-11:v1:kari@fjordfisk.no"))
    );

    let parts = parts(&kari.data);
    let of_type = |t: &str| {
        parts.iter().find(|p| {
            header_value(&p.headers, "Content-Type")
                .is_some_and(|c| c.to_ascii_lowercase().starts_with(t))
        })
    };
    let html = of_type("text/html").unwrap_or_else(|| panic!("no HTML part"));
    let html = String::from_utf8_lossy(&html.body);
    assert!(html.contains("<table"), "{html}");
    assert!(html.contains("50.0 %"), "the response compliance: {html}");
    assert!(html.contains("100.0 %"), "the fix-start compliance: {html}");
    assert!(html.contains("/portal/reports/2026-11"), "{html}");
    assert!(!html.to_ascii_lowercase().contains("<svg"), "{html}");
    let text = of_type("text/plain").unwrap_or_else(|| panic!("no text part"));
    assert!(String::from_utf8_lossy(&text.body).contains("Compliance:     50.0 %"));

    let pdf = of_type("application/pdf").unwrap_or_else(|| panic!("no PDF attached"));
    assert!(pdf.body.starts_with(b"%PDF"), "not a PDF");
    assert!(pdf.headers.contains("attachment"), "{}", pdf.headers);
    let csv = of_type("text/csv").unwrap_or_else(|| panic!("no CSV attached"));
    let csv = String::from_utf8_lossy(&csv.body);
    let header = frist::reports::export::COLUMNS.join(",");
    assert!(csv.starts_with(&header), "{csv}");
    // Two tickets, two clocks each.
    assert_eq!(csv.lines().count(), 5, "{csv}");

    let mona = delivered
        .iter()
        .find(|m| m.rcpt_to == ["mona@frist.example"])
        .unwrap_or_else(|| panic!("no mail to the manager"));
    let html = parts_html(&mona.data);
    assert!(html.contains(&format!("/reports/2026-11/organizations/{org}")), "{html}");
}

fn parts_html(data: &str) -> String {
    parts(data)
        .into_iter()
        .filter(|p| header_value(&p.headers, "Content-Type").is_some_and(|c| c.contains("html")))
        .map(|p| String::from_utf8_lossy(&p.body).into_owned())
        .collect()
}
