//! Notifications end to end: the outbox written with the ticket, delivered by the worker to
//! a real local SMTP server and webhook receiver; retries with backoff under the injected
//! clock keep the event id; a receiver that never recovers parks the message, and an admin
//! puts it back.

#[path = "support/app.rs"]
mod app;
#[path = "support/mail_sink.rs"]
mod mail_sink;
#[path = "support/webhook_sink.rs"]
mod webhook_sink;

use app::{TestApp, TestDb, oslo};
use chrono::Duration;
use diesel::prelude::*;
use frist::auth::Role;
use frist::config::Config;
use frist::db::schema::outbox;
use frist::jobs::deliver::{Report, Worker};
use mail_sink::MailSink;
use serde_json::json;
use webhook_sink::WebhookSink;

fn worker(config: &Config) -> Worker {
    Worker::from_config(config).unwrap_or_else(|e| panic!("{e}"))
}

/// The message with quoted-printable undone (soft line breaks joined, `=XX` decoded).
fn readable(data: &str) -> String {
    let joined = data.replace("=\r\n", "").replace("=\n", "");
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
    String::from_utf8_lossy(&out).into_owned()
}

fn pass(app: &TestApp, worker: &Worker) -> Report {
    worker.tick(&mut app.conn(), app.now()).unwrap_or_else(|e| panic!("delivery: {e}"))
}

#[test]
fn the_receipt_reaches_the_customer_with_deadlines_in_their_time_zone() {
    let sink = MailSink::start();
    let config = Config { smtp_url: Some(sink.url()), ..Config::default() };
    // Wednesday 4 March 2026, 10:00 Oslo.
    let app = TestApp::start_with(oslo(2026, 3, 4, 10, 0), TestDb::new(), config.clone());
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let ticket = app.file(
        &customer,
        json!({"title": "Webshop <down>", "severity": "critical", "category": "functional_fault"}),
    );
    let number = ticket["number"].as_str().unwrap_or_default().to_owned();
    // Nothing is sent inside the request: the receipt waits in the outbox.
    assert!(sink.messages().is_empty());

    let report = pass(&app, &worker(&config));
    assert_eq!((report.claimed, report.delivered), (1, 1), "{report:?}");
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let mail = &messages[0];
    assert_eq!(mail.rcpt_to, ["kari@fjordfisk.no"]);
    let subject = mail.header("Subject").unwrap_or_default();
    assert!(subject.contains(&number), "{subject}");
    // Response due 12:00, fix start 16:00 Oslo time, as the customer reads them.
    let text = readable(&mail.data);
    assert!(text.contains("Wed 4 Mar 2026 12:00 CET"), "{text}");
    assert!(text.contains("Wed 4 Mar 2026 16:00 CET"), "{text}");
    // The title is text in the plain part and escaped in the HTML part.
    assert!(text.contains("Webshop <down>") && text.contains("Webshop &lt;down&gt;"), "{text}");
    let event_id: String = outbox::table
        .select(outbox::event_id)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mail.header("X-Frist-Event-Id").as_deref(), Some(event_id.as_str()));
    // Delivered once: another pass sends nothing.
    assert_eq!(pass(&app, &worker(&config)).claimed, 0);
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn an_out_of_hours_receipt_tells_when_the_clock_starts_and_the_status_mails_follow() {
    let sink = MailSink::start();
    let config = Config { smtp_url: Some(sink.url()), ..Config::default() };
    // Saturday 7 March 2026, 10:00 Oslo: level-2 is closed until Monday 08:00.
    let app = TestApp::start_with(oslo(2026, 3, 7, 10, 0), TestDb::new(), config.clone());
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    let (_, tech) = app.staff(Role::Technician, "ole@frist.example");
    let ticket = app.file(
        &customer,
        json!({"title": "Mail is slow", "severity": "serious", "category": "functional_fault",
               "out_of_hours_choice": "wait"}),
    );
    let id = ticket["id"].as_i64().unwrap_or_default();
    app.at(oslo(2026, 3, 9, 8, 15));
    app.act(&tech, id, "reply", json!({"body": "We are looking at the mail server."}));
    app.act(&tech, id, "wait", json!({}));
    let worker = worker(&config);
    assert_eq!(pass(&app, &worker).delivered, 3);
    let texts: Vec<String> = sink.messages().iter().map(|m| readable(&m.data)).collect();
    assert!(texts[0].contains("the clocks start at Mon 9 Mar 2026 08:00 CET"), "{}", texts[0]);
    assert!(texts[0].contains("+45 70 00 00 00"), "the on-call number: {}", texts[0]);
    assert!(texts[1].contains("We are looking at the mail server."), "{}", texts[1]);
    assert!(texts[2].contains("paused"), "{}", texts[2]);
}

#[test]
fn webhooks_are_signed_and_retried_with_backoff_under_one_event_id() {
    let receiver = WebhookSink::with_statuses(&[500, 500, 500, 200]);
    let config = Config { webhook_allow_private: true, ..Config::default() };
    let app = TestApp::start_with(oslo(2026, 3, 4, 10, 0), TestDb::new(), config.clone());
    let (_, admin) = app.staff(Role::Admin, "ada@frist.example");
    let secret = "a-shared-secret-of-32-characters";
    let hook = app.post(
        &admin,
        "/api/v1/webhooks",
        json!({"url": receiver.url("/frist"), "secret": secret, "description": "PagerDuty bridge"}),
    );
    assert_eq!(hook.status, 201, "{}", hook.json);
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    app.file(&customer, json!({"title": "Down", "severity": "critical", "category": "outage"}));

    // Fails at 10:00, 10:00:30 and 10:01:30 (30 s, then 60 s, then 120 s of backoff), and
    // succeeds at 10:03:30; a pass before a retry is due claims nothing.
    let worker = worker(&config);
    let t0 = app.now();
    for (after, claimed, delivered) in
        [(0, 1, 0), (29, 0, 0), (30, 1, 0), (89, 0, 0), (90, 1, 0), (210, 1, 1), (4000, 0, 0)]
    {
        app.at(t0 + Duration::seconds(after));
        let report = pass(&app, &worker);
        assert_eq!((report.claimed, report.delivered), (claimed, delivered), "at +{after}s");
    }
    let requests = receiver.requests();
    assert_eq!(requests.len(), 4);
    let event_ids: Vec<_> = requests.iter().map(|r| r.header("X-Frist-Event-Id")).collect();
    assert!(event_ids[0].is_some() && event_ids.iter().all(|id| *id == event_ids[0]));
    for request in &requests {
        let expected =
            format!("sha256={}", frist::notify::webhook::signature(secret, &request.body));
        assert_eq!(request.header("X-Frist-Signature"), Some(expected.as_str()));
        assert_eq!(request.header("X-Frist-Topic"), Some("ticket.created"));
    }
    let body: serde_json::Value =
        serde_json::from_slice(&requests[3].body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body["topic"], "ticket.created");
    assert_eq!(body["event_id"].as_str(), event_ids[0]);
    assert_eq!(body["ticket"]["severity"], "critical");
}

#[test]
fn a_message_that_keeps_failing_is_parked_and_an_admin_can_retry_it() {
    let receiver = WebhookSink::with_statuses(&[503, 503, 200]);
    let config =
        Config { webhook_allow_private: true, outbox_max_attempts: 2, ..Config::default() };
    let app = TestApp::start_with(oslo(2026, 3, 4, 10, 0), TestDb::new(), config.clone());
    let (_, admin) = app.staff(Role::Admin, "ada@frist.example");
    let hook = app.post(&admin, "/api/v1/webhooks", json!({"url": receiver.url("/in")}));
    assert_eq!(hook.status, 201, "{}", hook.json);
    assert!(hook.json["secret"].as_str().is_some_and(|s| s.len() >= 16), "generated, shown once");
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    app.file(&customer, json!({"title": "Down", "severity": "serious", "category": "question"}));

    let worker = worker(&config);
    assert_eq!(pass(&app, &worker).retrying, 1);
    app.at(app.now() + Duration::minutes(5));
    assert_eq!(pass(&app, &worker).parked, 1);
    app.at(app.now() + Duration::hours(5));
    assert_eq!(pass(&app, &worker).claimed, 0, "a parked message is not retried by itself");

    let parked = app.get(&admin, "/api/v1/outbox?state=parked");
    assert_eq!(parked.status, 200, "{}", parked.json);
    let item = &parked.json["items"][0];
    assert_eq!(item["attempts"], 2);
    assert!(item["last_error"].as_str().is_some_and(|e| e.contains("503")), "{item}");
    let id = item["id"].as_i64().unwrap_or_default();
    let retried = app.post(&admin, &format!("/api/v1/outbox/{id}/retry"), json!({}));
    assert_eq!(retried.status, 200, "{}", retried.json);
    let again = app.post(&admin, &format!("/api/v1/outbox/{id}/retry"), json!({}));
    assert_eq!(again.status, 409, "only parked messages: {}", again.json);
    assert_eq!(pass(&app, &worker).delivered, 1);
    assert_eq!(receiver.requests().len(), 3);
}

#[test]
fn a_webhook_into_a_private_network_is_refused_unless_allowed() {
    let receiver = WebhookSink::start();
    let config = Config::default();
    let app = TestApp::start_with(oslo(2026, 3, 4, 10, 0), TestDb::new(), config.clone());
    let (_, admin) = app.staff(Role::Admin, "ada@frist.example");
    let hook = app.post(&admin, "/api/v1/webhooks", json!({"url": receiver.url("/in")}));
    assert_eq!(hook.status, 201, "{}", hook.json);
    let bad = app.post(&admin, "/api/v1/webhooks", json!({"url": "ftp://example.com/x"}));
    assert_eq!((bad.status, bad.field()), (422, Some("url")), "{}", bad.json);
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    app.file(&customer, json!({"title": "Down", "severity": "serious", "category": "question"}));

    let report = pass(&app, &worker(&config));
    assert_eq!(report.parked, 1, "refused at once, never retried: {report:?}");
    assert!(receiver.requests().is_empty(), "nothing reached the loopback receiver");
    let error: Option<String> = outbox::table
        .filter(outbox::channel.eq("webhook"))
        .select(outbox::last_error)
        .first(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(error.is_some_and(|e| e.contains("127.0.0.1")), "names the address");
}

#[test]
fn a_stopping_worker_finishes_the_message_in_flight_and_gives_back_the_rest() {
    let receiver = WebhookSink::gated();
    let config = Config { webhook_allow_private: true, ..Config::default() };
    let app = TestApp::start_with(oslo(2026, 3, 4, 10, 0), TestDb::new(), config.clone());
    let (_, admin) = app.staff(Role::Admin, "ada@frist.example");
    let hook = app.post(&admin, "/api/v1/webhooks", json!({"url": receiver.url("/in")}));
    assert_eq!(hook.status, 201, "{}", hook.json);
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    for title in ["One", "Two", "Three"] {
        app.file(&customer, json!({"title": title, "severity": "serious", "category": "question"}));
    }

    // A pass claims all three and is inside the first send (its answer held) when the
    // shutdown begins.
    let stopping = std::sync::Arc::new(worker(&config));
    let (pass_worker, mut conn, now) = (std::sync::Arc::clone(&stopping), app.conn(), app.now());
    let running = std::thread::spawn(move || pass_worker.tick(&mut conn, now));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while receiver.requests().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the pass never sent anything");
        std::thread::yield_now();
    }
    stopping.stop();
    receiver.open();
    let report = running.join().unwrap_or_else(|_| panic!("pass panicked"));
    let report = report.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.claimed, report.delivered), (3, 1), "{report:?}");
    let held: i64 = outbox::table
        .filter(outbox::claimed_by.eq(stopping.id()))
        .count()
        .get_result(&mut app.conn())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(held, 2, "the two not sent are still claimed");
    assert_eq!(stopping.release(&mut app.conn()).ok(), Some(2));
    // Another worker (a new id) takes them at once, without waiting for the lease.
    let report = pass(&app, &worker(&config));
    assert_eq!((report.claimed, report.delivered), (2, 2));
    assert_eq!(receiver.requests().len(), 3);
}
