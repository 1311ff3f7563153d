//! Boots the real service on 127.0.0.1:0 with an injected clock and its own database: a
//! fresh SQLite file, or a fresh PostgreSQL database when `FRIST_TEST_POSTGRES` is set (a
//! server URL such as `postgres://postgres@127.0.0.1:5432`). The same tests run on both.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use frist::auth::Role;
use frist::clock::{Clock, FixedClock};
use frist::config::Config;
use frist::db::{self, DbConn, DbTarget};
use serde_json::Value;

/// The variable that switches the tests to PostgreSQL.
pub const POSTGRES_VAR: &str = "FRIST_TEST_POSTGRES";

/// A database of one test.
pub enum TestDb {
    /// A SQLite file in a temporary directory.
    Sqlite(tempfile::TempDir, String),
    /// A PostgreSQL database, dropped afterwards.
    Postgres { server: String, name: String },
    /// Handed on to another owner (see [`TestApp::stop`]).
    Moved,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    /// A fresh, empty database.
    pub fn new() -> Self {
        match std::env::var(POSTGRES_VAR).ok().filter(|v| !v.is_empty()) {
            Some(server) => {
                let server = server.trim_end_matches('/').to_owned();
                let name = format!(
                    "frist_t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    rand::random::<u32>()
                );
                let mut admin = PgConnection::establish(&format!("{server}/postgres"))
                    .unwrap_or_else(|e| panic!("{POSTGRES_VAR}={server}: {e}"));
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap_or_else(|e| panic!("{e}"));
                TestDb::Postgres { server, name }
            }
            None => {
                let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
                let path = dir.path().join("frist.db").display().to_string();
                TestDb::Sqlite(dir, path)
            }
        }
    }

    /// The `DATABASE_URL`.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite(_, path) => format!("sqlite://{path}"),
            TestDb::Postgres { server, name } => format!("{server}/{name}"),
            TestDb::Moved => panic!("this database was handed on"),
        }
    }

    /// A direct connection (for setting up and for checking what was written).
    pub fn connect(&self) -> DbConn {
        let target = DbTarget::parse(Some(&self.url())).unwrap_or_else(|e| panic!("{e}"));
        db::connect(&target).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { server, name } = self {
            if let Ok(mut admin) = PgConnection::establish(&format!("{server}/postgres")) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// The real app, running.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The injected clock.
    pub clock: Arc<FixedClock>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    agent: ureq::Agent,
    /// Content-Security-Policy violations the app was told of.
    pub csp_reports: Arc<frist::web::pages::security::CspReports>,
    /// Its database (dropped last).
    pub db: TestDb,
}

/// A response: status and JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub json: Value,
    /// `Retry-After`, when sent.
    pub retry_after: Option<String>,
}

impl Reply {
    /// The error's `field`.
    pub fn field(&self) -> Option<&str> {
        self.json["error"]["field"].as_str()
    }
}

/// An instant in Oslo local time.
pub fn oslo(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Oslo
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap_or_else(|| panic!("ambiguous local time"))
        .with_timezone(&Utc)
}

impl TestApp {
    /// Boots the app at `now`.
    pub fn start(now: DateTime<Utc>) -> Self {
        Self::start_with(now, TestDb::new(), Config::default())
    }

    /// Boots the app on an existing database with a config; no scheduled jobs (tests run
    /// the sweep and delivery passes themselves, at instants they choose).
    pub fn start_with(now: DateTime<Utc>, db: TestDb, config: Config) -> Self {
        Self::boot(now, db, config, false)
    }

    /// Boots the app with its scheduled jobs, as `frist serve` does; returns once the
    /// start-up sweep has run.
    pub fn start_with_jobs(now: DateTime<Utc>, db: TestDb, config: Config) -> Self {
        Self::boot(now, db, config, true)
    }

    fn boot(now: DateTime<Utc>, db: TestDb, config: Config, jobs: bool) -> Self {
        let clock = Arc::new(FixedClock::new(now));
        let config = Config { database_url: Some(db.url()), pool_size: Some(8), ..config };
        let state = frist::app::state(&config, clock.clone()).unwrap_or_else(|e| panic!("{e:#}"));
        let csp_reports = state.csp_reports.clone();
        let mut running =
            frist::app::bind("127.0.0.1:0", state.clone(), 2).unwrap_or_else(|e| panic!("{e:#}"));
        let server = running.take_server().unwrap_or_else(|| panic!("no server"));
        let worker = jobs.then(|| {
            frist::jobs::deliver::Worker::from_config(&config).unwrap_or_else(|e| panic!("{e}"))
        });
        let (ready, started) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let _ = actix_web::rt::System::new().block_on(async move {
                let jobs = match worker {
                    Some(worker) => Some(
                        frist::jobs::Jobs::start(state, worker)
                            .await
                            .unwrap_or_else(|e| panic!("{e:#}")),
                    ),
                    None => None,
                };
                let _ = ready.send(());
                let served = server.await;
                if let Some(jobs) = jobs {
                    jobs.stop().await;
                }
                served
            });
        });
        started.recv().unwrap_or_else(|e| panic!("the app did not start: {e}"));
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Self {
            base: format!("http://{}", running.addr),
            clock,
            handle: running.handle,
            thread: Some(thread),
            agent,
            csp_reports,
            db,
        }
    }

    /// An engine like the app's, for running use cases and jobs directly.
    pub fn engine(&self) -> frist::tickets::Engine {
        let sla = Config::default().load_sla().unwrap_or_else(|e| panic!("{e}"));
        let renderer = frist::notify::render::Renderer::new(None).unwrap_or_else(|e| panic!("{e}"));
        frist::tickets::Engine::new(sla, renderer)
    }

    /// One escalation sweep at the app's now, as the scheduled job runs it.
    pub fn sweep(&self) -> frist::jobs::sweep::Report {
        frist::jobs::sweep::tick(&mut self.conn(), &self.engine(), self.now())
            .unwrap_or_else(|e| panic!("sweep: {e}"))
    }

    /// Moves the clock.
    pub fn at(&self, now: DateTime<Utc>) {
        self.clock.set(now);
    }

    /// Now, per the app.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A direct connection.
    pub fn conn(&self) -> DbConn {
        self.db.connect()
    }

    /// Creates a customer organization with an optional contract on `policy`.
    pub fn customer_org(&self, name: &str, policy: Option<&str>, oncall_24x7: bool) -> i64 {
        let mut conn = self.conn();
        let now = self.now();
        let id = frist::accounts::add_organization(&mut conn, name, "Europe/Oslo", false, now)
            .unwrap_or_else(|e| panic!("{e}"));
        if let Some(policy) = policy {
            let policy = db::policies::find_by_name(&mut conn, policy)
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("no policy {policy}"));
            frist::accounts::add_contract(
                &mut conn,
                &frist::accounts::NewContract {
                    organization_id: id,
                    policy_id: policy.id,
                    oncall_24x7,
                    valid_from: Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).single().unwrap_or(now),
                    valid_to: None,
                    notice_months: 3,
                },
                now,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        id
    }

    /// The provider's organization.
    pub fn provider_org(&self) -> i64 {
        db::organizations::provider(&mut self.conn())
            .ok()
            .flatten()
            .map(|o| o.id)
            .unwrap_or_else(|| panic!("no provider"))
    }

    /// Creates a user and an API token; returns (user id, token).
    pub fn user(&self, organization_id: i64, role: Role, email: &str) -> (i64, String) {
        let mut conn = self.conn();
        let now = self.now();
        let id = frist::accounts::add_user(
            &mut conn,
            &frist::accounts::NewUser {
                organization_id,
                email,
                name: email,
                role,
                password: Some("a long password"),
            },
            now,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (_, token) = frist::accounts::issue_api_token(&mut conn, id, "test", now)
            .unwrap_or_else(|e| panic!("{e}"));
        (id, token)
    }

    /// A staff member with a token.
    pub fn staff(&self, role: Role, email: &str) -> (i64, String) {
        self.user(self.provider_org(), role, email)
    }

    /// Any request with an optional JSON body.
    pub fn request(
        &self,
        method: &str,
        token: Option<&str>,
        path: &str,
        body: Option<&str>,
    ) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let result = match body {
            Some(body) => {
                let request = builder
                    .header("content-type", "application/json")
                    .body(body.to_owned())
                    .unwrap_or_else(|e| panic!("{e}"));
                self.agent.run(request)
            }
            None => {
                let request = builder.body(()).unwrap_or_else(|e| panic!("{e}"));
                self.agent.run(request)
            }
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, json, retry_after }
    }

    /// GET.
    pub fn get(&self, token: &str, path: &str) -> Reply {
        self.request("GET", Some(token), path, None)
    }

    /// POST JSON.
    pub fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.request("POST", Some(token), path, Some(&body.to_string()))
    }

    /// Files a ticket and asserts 201.
    pub fn file(&self, token: &str, body: Value) -> Value {
        let reply = self.post(token, "/api/v1/tickets", body);
        assert_eq!(reply.status, 201, "{}", reply.json);
        reply.json
    }

    /// Runs an action and asserts 200.
    pub fn act(&self, token: &str, ticket: i64, action: &str, body: Value) -> Value {
        let reply = self.post(token, &format!("/api/v1/tickets/{ticket}/actions/{action}"), body);
        assert_eq!(reply.status, 200, "{action}: {}", reply.json);
        reply.json
    }

    /// Row counts of every table, to show nothing was written.
    pub fn counts(&self) -> Vec<(&'static str, i64)> {
        use diesel::prelude::*;
        use frist::db::schema::*;
        let mut conn = self.conn();
        let c = &mut conn;
        vec![
            ("organizations", organizations::table.count().get_result(c).unwrap_or(-1)),
            ("users", users::table.count().get_result(c).unwrap_or(-1)),
            ("auth_tokens", auth_tokens::table.count().get_result(c).unwrap_or(-1)),
            ("calendars", calendars::table.count().get_result(c).unwrap_or(-1)),
            ("policies", policies::table.count().get_result(c).unwrap_or(-1)),
            ("policy_versions", policy_versions::table.count().get_result(c).unwrap_or(-1)),
            ("contracts", contracts::table.count().get_result(c).unwrap_or(-1)),
            ("tickets", tickets::table.count().get_result(c).unwrap_or(-1)),
            ("ticket_events", ticket_events::table.count().get_result(c).unwrap_or(-1)),
            ("pauses", pauses::table.count().get_result(c).unwrap_or(-1)),
            ("escalations", escalations::table.count().get_result(c).unwrap_or(-1)),
            ("oncall_shifts", oncall_shifts::table.count().get_result(c).unwrap_or(-1)),
            ("webhooks", webhooks::table.count().get_result(c).unwrap_or(-1)),
            ("outbox", outbox::table.count().get_result(c).unwrap_or(-1)),
        ]
    }

    /// A fingerprint of all mutable ticket state, to show nothing changed.
    pub fn ticket_fingerprint(&self) -> Vec<String> {
        use diesel::prelude::*;
        use frist::db::schema::tickets;
        let mut conn = self.conn();
        tickets::table
            .order(tickets::id)
            .select(frist::db::tickets::Ticket::as_select())
            .load(&mut conn)
            .unwrap_or_default()
            .into_iter()
            .map(|t| format!("{t:?}"))
            .collect()
    }
}

impl TestApp {
    /// Stops the service (as a shutdown would) and keeps its database for another start.
    pub fn stop(mut self) -> TestDb {
        self.shutdown();
        std::mem::replace(&mut self.db, TestDb::Moved)
    }

    fn shutdown(&mut self) {
        let handle = self.handle.clone();
        let stopper = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(handle.stop(false));
        });
        let _ = stopper.join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The role names, for tables.
pub fn role_name(role: Role) -> &'static str {
    role.as_str()
}
