//! Durability under load and failure, over real HTTP: 50 concurrent filings each get their
//! own id, number, deadlines and `created` event; every ticket acknowledged with 201 survives
//! a `kill -9` of the real binary; and a database that goes away answers 503 with
//! `Retry-After` (not a hang), then recovers by itself. Runs on SQLite and, with
//! `FRIST_TEST_POSTGRES`, on PostgreSQL.

#[path = "support/app.rs"]
mod app;
#[path = "support/mail_sink.rs"]
mod mail_sink;

use std::collections::HashSet;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use app::{TestApp, TestDb, oslo};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use frist::auth::Role;
use serde_json::{Value, json};

fn instant(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().and_then(|s| s.parse().ok())
}

/// `T-2026-` followed by exactly six digits.
fn is_number_2026(number: &str) -> bool {
    number
        .strip_prefix("T-2026-")
        .is_some_and(|d| d.len() == 6 && d.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn fifty_concurrent_filings_each_get_their_own_number_deadlines_and_event() {
    // Wednesday 4 March 2026, 10:00 Oslo: inside level-2's window (Mon–Fri 08–20).
    let app = TestApp::start(oslo(2026, 3, 4, 10, 0));
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");

    let replies: Vec<(&str, app::Reply)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let severity = if i % 2 == 0 { "critical" } else { "serious" };
                let (app, customer) = (&app, &customer);
                s.spawn(move || {
                    let reply = app.post(
                        customer,
                        "/api/v1/tickets",
                        json!({"title": format!("Concurrent {i}"), "description": "load", "severity": severity, "category": "functional_fault"}),
                    );
                    (severity, reply)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panic!("client thread panicked")))
            .collect()
    });

    // Level-2 from Wed 10:00: response 2 h for both; fix start 6 h (critical) → 16:00, 12 h
    // (serious) → Wed 10–20 (10 h) + Thu 08–10 → Thu 10:00.
    let mut ids = HashSet::new();
    let mut numbers = HashSet::new();
    for (severity, reply) in &replies {
        assert_eq!(reply.status, 201, "{severity}: {}", reply.json);
        let ticket = &reply.json;
        assert_eq!(ticket["severity"], *severity, "{ticket}");
        ids.insert(ticket["id"].as_i64().unwrap_or_else(|| panic!("no id: {ticket}")));
        let number = ticket["number"].as_str().unwrap_or_default().to_owned();
        assert!(is_number_2026(&number), "{number:?}");
        numbers.insert(number);
        assert_eq!(instant(&ticket["response_due_at"]), Some(oslo(2026, 3, 4, 12, 0)), "{ticket}");
        let fix_start = match *severity {
            "critical" => oslo(2026, 3, 4, 16, 0),
            _ => oslo(2026, 3, 5, 10, 0),
        };
        assert_eq!(instant(&ticket["fix_start_due_at"]), Some(fix_start), "{ticket}");
    }
    assert_eq!(ids.len(), 50, "distinct ids");
    assert_eq!(numbers.len(), 50, "distinct numbers");

    use frist::db::schema::{ticket_events, tickets};
    let mut conn = app.conn();
    let stored: i64 =
        tickets::table.count().get_result(&mut conn).unwrap_or_else(|e| panic!("{e}"));
    let created: i64 = ticket_events::table
        .filter(ticket_events::kind.eq("created"))
        .count()
        .get_result(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    let created_tickets: i64 = ticket_events::table
        .filter(ticket_events::kind.eq("created"))
        .select(diesel::dsl::count_distinct(ticket_events::ticket_id))
        .get_result(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((stored, created, created_tickets), (50, 50, 50));
}

// ---------------------------------------------------------------------------------------
// The real binary.

/// A `frist serve` child; killed (SIGKILL) when dropped so a failing test leaves nothing.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// Runs a set-up command against `url`; returns its trimmed stdout.
fn cli(url: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_frist"))
        .args(args)
        .env("DATABASE_URL", url)
        .env_remove("FRIST_CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("spawn frist {args:?}: {e}"));
    assert!(output.status.success(), "frist {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Migrates, adds a level-3 customer with 24/7 cover (filing at any hour needs no
/// out-of-hours choice) and its user `email` with the CLI; returns the user's API token.
fn customer_token(url: &str, email: &str) -> String {
    cli(url, &["migrate"]);
    let org = cli(
        url,
        &["org", "add", "--name", "Fjord Fisk AS", "--policy", "level-3", "--oncall-24x7"],
    );
    cli(
        url,
        &["user", "add", "--email", email, "--name", "Kari", "--role", "customer", "--org", &org],
    );
    cli(url, &["token", "add", "--email", email])
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    listener.local_addr().unwrap_or_else(|e| panic!("{e}")).port()
}

/// Starts `frist serve` on a free port and waits (at most 30 s) until `/readyz` is 200.
fn serve(url: &str) -> Server {
    serve_with(url, &[])
}

/// `serve` with extra environment variables.
fn serve_with(url: &str, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_frist"))
        .arg("serve")
        .envs(env.iter().copied())
        .env("DATABASE_URL", url)
        .env("FRIST_BIND", format!("127.0.0.1:{port}"))
        .env_remove("FRIST_CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn frist serve: {e}"));
    let mut server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let agent = agent();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("frist serve exited early: {status}");
        }
        if let Ok(r) = agent.get(format!("{}/readyz", server.base)).call() {
            if r.status().as_u16() == 200 {
                return server;
            }
        }
        assert!(Instant::now() < deadline, "frist serve not ready within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn get_json(agent: &ureq::Agent, token: &str, url: &str) -> (u16, Value) {
    let mut response = agent
        .get(url)
        .header("authorization", format!("Bearer {token}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[test]
fn every_acknowledged_ticket_survives_kill_9() {
    let db = TestDb::new();
    let url = db.url();
    let token = customer_token(&url, "kari@fjordfisk.no");
    assert!(!token.is_empty());

    let mut server = serve(&url);
    let create_url = format!("{}/api/v1/tickets", server.base);
    let acked: Mutex<Vec<(i64, String)>> = Mutex::new(Vec::new());
    let acked_count = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let other_status = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);

    std::thread::scope(|s| {
        for client in 0..4 {
            let (acked, acked_count, failed, other_status, stop) =
                (&acked, &acked_count, &failed, &other_status, &stop);
            let (create_url, token) = (&create_url, &token);
            s.spawn(move || {
                let agent = agent();
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let body = json!({"title": format!("client {client} #{n}"), "severity": "critical", "category": "outage"});
                    let sent = agent
                        .post(create_url)
                        .header("authorization", format!("Bearer {token}"))
                        .send_json(&body);
                    match sent {
                        Ok(mut response) if response.status().as_u16() == 201 => {
                            // Acknowledged only once the whole body is read.
                            let Ok(text) = response.body_mut().read_to_string() else {
                                failed.fetch_add(1, Ordering::SeqCst);
                                continue;
                            };
                            let ticket: Value = serde_json::from_str(&text).unwrap_or_default();
                            let id = ticket["id"].as_i64().unwrap_or_else(|| panic!("201 without id: {text}"));
                            let number = ticket["number"].as_str().unwrap_or_default().to_owned();
                            acked.lock().unwrap_or_else(|e| e.into_inner()).push((id, number));
                            acked_count.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(_) => {
                            other_status.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(_) => {
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
        // Kill while the clients are still sending.
        let deadline = Instant::now() + Duration::from_secs(60);
        while acked_count.load(Ordering::SeqCst) < 40 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let before_kill = acked_count.load(Ordering::SeqCst);
        server.child.kill().unwrap_or_else(|e| panic!("kill -9: {e}"));
        let _ = server.child.wait();
        // Let every client see the dead server at least once before stopping them.
        let failed_at_kill = failed.load(Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(30);
        while failed.load(Ordering::SeqCst) < failed_at_kill + 4 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        stop.store(true, Ordering::SeqCst);
        assert!(before_kill >= 40, "only {before_kill} tickets acknowledged in 60 s");
    });
    drop(server);

    let acked = acked.into_inner().unwrap_or_else(|e| e.into_inner());
    let failed = failed.load(Ordering::SeqCst);
    let other = other_status.load(Ordering::SeqCst);
    println!(
        "kill -9 ({}): {} tickets acknowledged with 201, {failed} requests failed at or after the kill, {other} other statuses",
        url.split(':').next().unwrap_or_default(),
        acked.len()
    );
    assert_eq!(other, 0, "every answered request was a 201");
    let ids: HashSet<i64> = acked.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), acked.len(), "distinct ids");

    // Restart on the same database: every acknowledged ticket and its event is there.
    let server = serve(&url);
    let agent = agent();
    for (id, number) in &acked {
        let (status, ticket) =
            get_json(&agent, &token, &format!("{}/api/v1/tickets/{id}", server.base));
        assert_eq!(status, 200, "acknowledged ticket {id} lost: {ticket}");
        assert_eq!(ticket["number"].as_str(), Some(number.as_str()), "{ticket}");
        let (status, events) = get_json(
            &agent,
            &token,
            &format!("{}/api/v1/tickets/{id}/events?limit=200", server.base),
        );
        assert_eq!(status, 200, "{events}");
        let kinds: Vec<&str> = events["items"]
            .as_array()
            .map(|items| items.iter().filter_map(|e| e["kind"].as_str()).collect())
            .unwrap_or_default();
        assert!(kinds.contains(&"created"), "ticket {id} has no created event: {events}");
    }
    // And the restarted server still files tickets.
    let mut response = agent
        .post(&format!("{}/api/v1/tickets", server.base))
        .header("authorization", format!("Bearer {token}"))
        .send_json(json!({"title": "after restart", "severity": "critical", "category": "outage"}))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = response.body_mut().read_to_string().unwrap_or_default();
    assert_eq!(response.status().as_u16(), 201, "{text}");
    drop(server);
    drop(db);
}

// ---------------------------------------------------------------------------------------
// The database goes away.

/// Runs SQL on the PostgreSQL server's maintenance database.
fn pg_admin(server: &str, sql: &str) {
    use diesel::connection::SimpleConnection;
    let mut admin = diesel::PgConnection::establish(&format!("{server}/postgres"))
        .unwrap_or_else(|e| panic!("{e}"));
    admin.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Re-allows connections when dropped, so the harness can drop the database even when an
/// assertion failed while it was locked out.
struct Reallow {
    server: String,
    name: String,
}

impl Drop for Reallow {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        if let Ok(mut admin) = diesel::PgConnection::establish(&format!("{}/postgres", self.server))
        {
            let _ = admin
                .batch_execute(&format!("ALTER DATABASE {} ALLOW_CONNECTIONS true", self.name));
        }
    }
}

#[test]
fn an_unreachable_database_answers_503_with_retry_after_then_recovers() {
    let db = TestDb::new();
    let (server, name) = match &db {
        TestDb::Postgres { server, name } => (server.clone(), name.clone()),
        TestDb::Sqlite(..) | TestDb::Moved => {
            // As root, file permissions do not lock SQLite out, and a locked file is not an
            // unreachable database; there is no honest equivalent, so this runs on PostgreSQL.
            println!("skipped on SQLite: set FRIST_TEST_POSTGRES to run it on PostgreSQL");
            return;
        }
    };
    let app = TestApp::start_with(
        oslo(2026, 3, 4, 10, 0),
        db,
        frist::config::Config { db_timeout_secs: 3, ..frist::config::Config::default() },
    );
    let org = app.customer_org("Fjord Fisk AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "kari@fjordfisk.no");
    app.file(&customer, json!({"title": "before", "severity": "critical", "category": "outage"}));
    assert_eq!(app.request("GET", None, "/readyz", None).status, 200);

    let reallow = Reallow { server: server.clone(), name: name.clone() };
    pg_admin(
        &server,
        &format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid();"
        ),
    );

    // Each request returns (no hang) with 503 and Retry-After.
    for path in ["/readyz", "/api/v1/tickets"] {
        let reply = app.request("GET", Some(&customer), path, None);
        assert_eq!(reply.status, 503, "{path}: {}", reply.json);
        assert_eq!(reply.retry_after.as_deref(), Some("5"), "{path}");
        assert_eq!(reply.json["error"]["status"], 503, "{path}: {}", reply.json);
    }
    let reply = app.post(
        &customer,
        "/api/v1/tickets",
        json!({"title": "during", "severity": "critical", "category": "outage"}),
    );
    assert_eq!(reply.status, 503, "{}", reply.json);
    assert!(reply.retry_after.is_some());

    pg_admin(&server, &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    drop(reallow);
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.request("GET", None, "/readyz", None).status != 200 {
        assert!(Instant::now() < deadline, "/readyz not 200 again within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    app.file(&customer, json!({"title": "after", "severity": "critical", "category": "outage"}));
    let list = app.get(&customer, "/api/v1/tickets");
    assert_eq!(list.status, 200, "{}", list.json);
}

#[test]
fn a_receipt_committed_before_a_kill_9_is_delivered_after_the_restart() {
    let db = TestDb::new();
    let url = db.url();
    let email = "kari@fjordfisk.no";
    let token = customer_token(&url, email);

    // The first server's mail relay accepts connections and never answers: the worker has
    // claimed the receipt and is inside the send when the process is killed.
    let stuck = mail_sink::MailSink::hanging();
    let stuck_url = stuck.url();
    let lease = [("FRIST_SMTP_URL", stuck_url.as_str()), ("FRIST_OUTBOX_LEASE_SECS", "2")];
    let mut server = serve_with(&url, &lease);
    let mut response = agent()
        .post(format!("{}/api/v1/tickets", server.base))
        .header("authorization", format!("Bearer {token}"))
        .send_json(json!({"title": "Printer on fire", "severity": "critical", "category": "functional_fault"}))
        .unwrap_or_else(|e| panic!("POST: {e}"));
    assert_eq!(response.status().as_u16(), 201);
    let ticket: Value =
        serde_json::from_str(&response.body_mut().read_to_string().unwrap_or_default())
            .unwrap_or_default();
    let number = ticket["number"].as_str().unwrap_or_default().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while stuck.connections() == 0 {
        assert!(Instant::now() < deadline, "the worker never tried to send the receipt");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.child.kill().unwrap_or_else(|e| panic!("kill -9: {e}"));
    let _ = server.child.wait();
    drop(server);

    // Restarted with a working relay: the claim lapses with its lease and the receipt goes
    // out, once.
    let relay = mail_sink::MailSink::start();
    let relay_url = relay.url();
    let _server = serve_with(
        &url,
        &[("FRIST_SMTP_URL", relay_url.as_str()), ("FRIST_OUTBOX_LEASE_SECS", "2")],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while relay.messages().is_empty() {
        assert!(Instant::now() < deadline, "the receipt was not delivered after the restart");
        std::thread::sleep(Duration::from_millis(50));
    }
    let messages = relay.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].rcpt_to, [email]);
    assert!(messages[0].data.contains(&number), "the receipt names {number}");
}

#[test]
fn sigterm_stops_cleanly_and_answers_what_it_accepted() {
    let db = TestDb::new();
    let url = db.url();
    let token = customer_token(&url, "kari@fjordfisk.no");
    let mut server = serve(&url);
    let base = server.base.clone();
    // A request sent just before the signal still gets its answer.
    let client = std::thread::spawn(move || {
        agent()
            .post(format!("{base}/api/v1/tickets"))
            .header("authorization", format!("Bearer {token}"))
            .send_json(json!({"title": "Late call", "severity": "critical", "category": "outage"}))
            .map(|r| r.status().as_u16())
    });
    let signal = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("kill -TERM: {e}"));
    assert!(signal.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        assert!(Instant::now() < deadline, "frist serve did not stop within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
    // Either the request was answered (201) or it arrived after the listener closed.
    match client.join().unwrap_or_else(|_| panic!("client panicked")) {
        Ok(code) => assert_eq!(code, 201),
        Err(error) => println!("request after the listener closed: {error}"),
    }
}
