//! `frist demo`: fills a fresh database with realistic demo data — the provider's staff,
//! five customers (level-1, level-2, level-3, basic and a level-2 with 24/7 cover) and a few
//! hundred tickets over the last four months, driven through the real use cases on a
//! simulated clock, so replies, pauses, breaches and out-of-hours fees are what the service
//! itself would have recorded. Deterministic for a given `--seed` and start instant.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use clap::Args;
use diesel::Connection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::accounts;
use crate::auth::{Actor, Role};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::db::{self, DbConn, DbTarget, Scope};
use crate::notify::render::Renderer;
use crate::sla::Severity;
use crate::sla::coverage::{Coverage, OutOfHoursChoice};
use crate::tickets::actions::{self, Action};
use crate::tickets::create::{self, NewTicketRequest};
use crate::tickets::kinds::{Category, Channel};
use crate::tickets::{Engine, TicketError};

/// The demo admin's e-mail; its presence means demo data exists.
pub const ADMIN_EMAIL: &str = "admin@frist.example";

/// How far back the simulated history starts.
const HISTORY_DAYS: i64 = 120;

/// `frist demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The password of every demo account (demo data only: never use these accounts in
    /// production).
    #[arg(long, default_value = "demo-password")]
    pub password: String,
    /// How many tickets to file over the last four months.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub tickets: u32,
    /// Seed of the random choices (the same seed gives the same history).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

/// A demo customer.
struct CustomerSpec {
    name: &'static str,
    timezone: &'static str,
    domain: &'static str,
    policy: Option<&'static str>,
    oncall_24x7: bool,
    users: [(&'static str, &'static str); 2],
    /// Relative share of the tickets.
    weight: u32,
}

const CUSTOMERS: [CustomerSpec; 5] = [
    CustomerSpec {
        name: "Nordlys Regnskap AS",
        timezone: "Europe/Oslo",
        domain: "nordlys-regnskap.example",
        policy: Some("level-1"),
        oncall_24x7: false,
        users: [("ingrid", "Ingrid Solberg"), ("ola", "Ola Haugen")],
        weight: 22,
    },
    CustomerSpec {
        name: "Bølgen Byg ApS",
        timezone: "Europe/Copenhagen",
        domain: "boelgen-byg.example",
        policy: Some("level-2"),
        oncall_24x7: false,
        users: [("mette", "Mette Kjær"), ("rasmus", "Rasmus Holm")],
        weight: 22,
    },
    CustomerSpec {
        name: "Fjordnett AS",
        timezone: "Europe/Oslo",
        domain: "fjordnett.example",
        policy: Some("level-3"),
        oncall_24x7: false,
        users: [("kari", "Kari Nordmann"), ("lars", "Lars Bakken")],
        weight: 26,
    },
    CustomerSpec {
        name: "Kløverhuset ApS",
        timezone: "Europe/Copenhagen",
        domain: "kloeverhuset.example",
        policy: None,
        oncall_24x7: false,
        users: [("sofie", "Sofie Lund"), ("anders", "Anders Møller")],
        weight: 10,
    },
    CustomerSpec {
        name: "Havblikk Logistikk AS",
        timezone: "Europe/Oslo",
        domain: "havblikk.example",
        policy: Some("level-2"),
        oncall_24x7: true,
        users: [("sigrid", "Sigrid Eide"), ("henrik", "Henrik Dahl")],
        weight: 20,
    },
];

const STAFF: [(&str, &str, Role); 5] = [
    (ADMIN_EMAIL, "Astrid Admin", Role::Admin),
    ("manager@frist.example", "Morten Berg", Role::Manager),
    ("tech1@frist.example", "Jonas Vik", Role::Technician),
    ("tech2@frist.example", "Freja Nielsen", Role::Technician),
    ("tech3@frist.example", "Emil Strand", Role::Technician),
];

const TITLES: [(Category, &[&str]); 5] = [
    (
        Category::Outage,
        &[
            "Web shop returns 502 Bad Gateway",
            "Mail server not accepting connections",
            "Hosted ERP unreachable",
            "VPN gateway down",
            "DNS not resolving our domain",
        ],
    ),
    (
        Category::CustomerOutage,
        &[
            "Office network down after power cut",
            "File server not responding",
            "Printer fleet offline on 2nd floor",
            "Warehouse scanners cannot connect",
            "Firewall rebooting in a loop",
        ],
    ),
    (
        Category::FunctionalFault,
        &[
            "Invoices export with wrong VAT",
            "Calendar invites arrive twice",
            "Login page loops back to sign-in",
            "Backup job reports warnings",
            "Search in the portal finds nothing",
            "Reports time out after the update",
            "Shared mailbox not syncing on phones",
        ],
    ),
    (
        Category::Question,
        &[
            "How do we add a new employee?",
            "Can we get a second admin account?",
            "Which ports must be open for the new app?",
            "Licence renewal — what do we need to do?",
            "Is the backup retention 30 or 90 days?",
        ],
    ),
    (
        Category::Other,
        &[
            "Please order two new laptops",
            "Move the meeting-room screen",
            "Update our contact person",
            "Certificate renewal reminder",
        ],
    ),
];

/// What the run created, for the summary.
#[derive(Default)]
struct Tally {
    by_status: BTreeMap<String, u32>,
    by_severity: BTreeMap<String, u32>,
    tickets: u32,
    response_breached: u32,
    replied_late: u32,
    fix_start_breached: u32,
    out_of_hours: u32,
    fees: u32,
    fee_minor: i64,
    currency: String,
    pauses: u32,
    reopened: u32,
    events: u32,
}

/// A customer as created.
struct Customer {
    id: i64,
    users: Vec<Actor>,
    weight: u32,
}

/// `frist demo`.
pub fn run(args: &DemoArgs, config: &Config, stdout: &mut dyn Write) -> anyhow::Result<()> {
    if let Some(why) = crate::auth::password::weakness(&args.password) {
        bail!("--password {why}");
    }
    let sla = config.load_sla()?;
    let target = DbTarget::parse(config.database_url.as_deref())?;
    let mut conn = db::connect(&target)
        .with_context(|| format!("opening the {} database", target.backend_name()))?;
    db::migrate(&mut conn)?;
    let now = SystemClock.now();
    accounts::bootstrap(&mut conn, &sla, now)?;
    refuse_if_present(&mut conn)?;

    let engine = Engine::new(sla, Renderer::new(config.email_templates.as_deref())?);
    let started = std::time::Instant::now();
    // One transaction: a failure leaves no half-loaded demo behind (and SQLite syncs once).
    let tally = conn.transaction::<_, anyhow::Error, _>(|conn| {
        refuse_if_present(conn)?;
        let mut sim = Sim { conn, engine: &engine, now, rng: StdRng::seed_from_u64(args.seed) };
        sim.load(args)
    })?;
    // What a running service would have done meanwhile: the escalations the open tickets
    // have passed, recorded at their instants. The history's e-mails count as sent; the
    // sweep's wait in the outbox for the first `serve` with FRIST_SMTP_URL.
    let swept = crate::jobs::sweep::tick(&mut conn, &engine, now)?;
    db::outbox::mark_delivered_before(&mut conn, db::to_db(now))?;
    let closed = close_past_months(&mut conn, &engine, now)?;
    summary(stdout, args, &tally, swept.fired.len(), started.elapsed())?;
    if let (Some(first), Some(last)) = (closed.first(), closed.last()) {
        writeln!(stdout, "reports: {} past months closed, {first} to {last}", closed.len())?;
    }
    Ok(())
}

/// Closes every month of the history that is over, oldest first, as the scheduled close
/// would have, so the reports are there at once. (The scheduled job mails only the months
/// that ended in the last few weeks, so the old ones are not sent on the first `serve`.)
fn close_past_months(
    conn: &mut DbConn,
    engine: &Engine,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<crate::sla::report::Month>> {
    let months = crate::jobs::reports::closable(conn, engine.provider().timezone, now, 0)?;
    for &month in &months {
        crate::reports::snapshot::close(conn, engine, month, now, None, "")
            .with_context(|| format!("closing {month}"))?;
    }
    Ok(months)
}

fn refuse_if_present(conn: &mut DbConn) -> anyhow::Result<()> {
    if db::users::find_by_email(conn, ADMIN_EMAIL)?.is_some() {
        bail!(
            "demo data already exists ({ADMIN_EMAIL} is registered); `frist demo` loads it \
             only once — use a fresh database (DATABASE_URL) to load it again"
        );
    }
    Ok(())
}

/// The simulation: the real use cases at simulated instants.
struct Sim<'a> {
    conn: &'a mut DbConn,
    engine: &'a Engine,
    /// The real now: nothing happens after it.
    now: DateTime<Utc>,
    rng: StdRng,
}

/// One ticket's life so far.
struct Life {
    id: i64,
    /// When the last step happened.
    at: DateTime<Utc>,
    /// False once a step would lie in the future: the ticket stays as it is.
    live: bool,
    /// Steps left before the ticket stalls where it is (recent tickets still in progress).
    steps_left: u32,
}

impl Sim<'_> {
    fn load(&mut self, args: &DemoArgs) -> anyhow::Result<Tally> {
        let start = self.now - Duration::days(HISTORY_DAYS);
        let since = start - Duration::days(30);
        let provider =
            db::organizations::provider(self.conn)?.context("no provider organization")?;

        let mut staff = Vec::new();
        for (email, name, role) in STAFF {
            let id = self.user(provider.id, email, name, role, &args.password, since)?;
            staff.push(Actor { user_id: id, organization_id: provider.id, role });
        }
        let manager = staff[1].clone();
        let techs: Vec<Actor> = staff[2..].to_vec();
        self.roster(&techs, since)?;

        let mut customers = Vec::new();
        for spec in &CUSTOMERS {
            let id = accounts::add_organization(self.conn, spec.name, spec.timezone, false, since)?;
            if let Some(policy) = spec.policy {
                let found = db::policies::find_by_name(self.conn, policy)?
                    .with_context(|| format!("no policy named {policy:?} in the configuration"))?;
                accounts::add_contract(
                    self.conn,
                    &accounts::NewContract {
                        organization_id: id,
                        policy_id: found.id,
                        oncall_24x7: spec.oncall_24x7,
                        valid_from: since,
                        valid_to: None,
                        notice_months: 3,
                    },
                    since,
                )?;
            }
            let mut users = Vec::new();
            for (local, name) in spec.users {
                let email = format!("{local}@{}", spec.domain);
                let user = self.user(id, &email, name, Role::Customer, &args.password, since)?;
                users.push(Actor { user_id: user, organization_id: id, role: Role::Customer });
            }
            customers.push(Customer { id, users, weight: spec.weight });
        }

        let mut filings: Vec<DateTime<Utc>> =
            (0..args.tickets).map(|_| self.filing_instant(start)).collect();
        filings.sort();
        let mut tally =
            Tally { currency: self.engine.provider().spec.currency.clone(), ..Tally::default() };
        let last = filings.len().saturating_sub(2);
        for (index, filed) in filings.into_iter().enumerate() {
            let customer = self.pick_customer(&customers);
            let tech = techs[self.rng.random_range(0..techs.len())].clone();
            let fresh = index >= last;
            self.ticket(customer, &tech, &manager, filed, fresh, &mut tally)?;
        }
        Ok(tally)
    }

    /// A weekly on-call rotation among the technicians, Monday 08:00 to Monday 08:00 in
    /// the provider's zone, from `since` until four weeks ahead.
    fn roster(&mut self, techs: &[Actor], since: DateTime<Utc>) -> anyhow::Result<()> {
        let tz = self.engine.provider().timezone;
        let first = since.with_timezone(&tz).date_naive();
        let monday = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
        let until = self.now + Duration::weeks(4);
        for (week, start_day) in (0i64..).map(|w| (w, monday + Duration::weeks(w))) {
            let at = |day: chrono::NaiveDate| {
                tz.from_local_datetime(&day.and_hms_opt(8, 0, 0).unwrap_or_default())
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
            };
            let (Some(starts_at), Some(ends_at)) =
                (at(start_day), at(start_day + Duration::weeks(1)))
            else {
                continue;
            };
            if starts_at > until {
                break;
            }
            let index = usize::try_from(week).unwrap_or(0) % techs.len().max(1);
            let Some(tech) = techs.get(index) else { break };
            accounts::oncall::add_shift(
                self.conn,
                &accounts::oncall::ShiftRequest {
                    user_id: tech.user_id,
                    starts_at,
                    ends_at,
                    note: "weekly on-call rotation",
                },
                since,
            )?;
        }
        Ok(())
    }

    fn user(
        &mut self,
        organization_id: i64,
        email: &str,
        name: &str,
        role: Role,
        password: &str,
        at: DateTime<Utc>,
    ) -> Result<i64, TicketError> {
        accounts::add_user(
            self.conn,
            &accounts::NewUser { organization_id, email, name, role, password: Some(password) },
            at,
        )
    }

    /// A filing instant in `[start, now − 10 min]`: mostly weekday office hours, some
    /// evenings, nights and weekends.
    fn filing_instant(&mut self, start: DateTime<Utc>) -> DateTime<Utc> {
        let span = (self.now - Duration::minutes(10) - start).num_seconds().max(1);
        loop {
            let at = start + Duration::seconds(self.rng.random_range(0..span));
            let local = at.with_timezone(&chrono_tz::Europe::Oslo);
            let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
            let hour = local.hour();
            let chance = match (weekend, hour) {
                (false, 8..=16) => 1.0,
                (false, 7 | 17..=21) => 0.25,
                (true, 9..=21) => 0.08,
                _ => 0.03,
            };
            if self.rng.random_bool(chance) {
                return at;
            }
        }
    }

    fn pick_customer<'c>(&mut self, customers: &'c [Customer]) -> &'c Customer {
        let total: u32 = customers.iter().map(|c| c.weight).sum();
        let mut roll = self.rng.random_range(0..total.max(1));
        for customer in customers {
            if roll < customer.weight {
                return customer;
            }
            roll -= customer.weight;
        }
        &customers[0]
    }

    fn minutes(&mut self, low: i64, high: i64) -> Duration {
        Duration::minutes(self.rng.random_range(low..=high))
    }

    /// Files one ticket at `filed` and lives its life up to now.
    fn ticket(
        &mut self,
        customer: &Customer,
        tech: &Actor,
        manager: &Actor,
        filed: DateTime<Utc>,
        fresh: bool,
        tally: &mut Tally,
    ) -> anyhow::Result<()> {
        let reporter = customer.users[self.rng.random_range(0..customer.users.len())].clone();
        let severity = match self.rng.random_range(0..100) {
            0..10 => Severity::Critical,
            10..40 => Severity::Serious,
            _ => Severity::Normal,
        };
        let category = match self.rng.random_range(0..100) {
            0..8 => Category::Outage,
            8..20 => Category::CustomerOutage,
            20..62 => Category::FunctionalFault,
            62..88 => Category::Question,
            _ => Category::Other,
        };
        let titles = TITLES.iter().find(|(c, _)| *c == category).map_or(&[][..], |(_, t)| *t);
        let title = titles.get(self.rng.random_range(0..titles.len().max(1))).unwrap_or(&"Help");

        // A third come in by phone, logged by the technician a few minutes after the call.
        let phone = self.rng.random_bool(0.3);
        let reported_at = if phone { filed - self.minutes(2, 15) } else { filed };
        let quote =
            create::preview(self.conn, self.engine, customer.id, severity, category, reported_at)?
                .quote;
        let urgent = severity != Severity::Normal;
        let (choice, consent) = match &quote.oncall_fee {
            None => (None, None),
            // The first out-of-hours filer always calls out the on-call technician, so every
            // demo shows a fee.
            Some(fee)
                if tally.fees == 0 || self.rng.random_bool(if urgent { 0.35 } else { 0.04 }) =>
            {
                (Some(OutOfHoursChoice::OncallNow), Some(fee.clone()))
            }
            Some(_) => (Some(OutOfHoursChoice::Wait), None),
        };
        let request = NewTicketRequest {
            title: (*title).to_owned(),
            description: format!(
                "{title}. Reported by {} — demo data.",
                if phone { "phone" } else { "the customer" }
            ),
            severity,
            category,
            organization_id: phone.then_some(customer.id),
            reporter_id: phone.then_some(reporter.user_id),
            channel: Some(if phone {
                Channel::Phone
            } else if self.rng.random_bool(0.3) {
                Channel::Email
            } else {
                Channel::Portal
            }),
            reported_at: phone.then_some(reported_at),
            out_of_hours_choice: choice,
            fee_consent: consent,
        };
        let filer = if phone { tech } else { &reporter };
        let id = create::create(self.conn, self.engine, filer, &request, filed)
            .with_context(|| format!("filing demo ticket {title:?} at {filed}"))?
            .id;
        tally.events += 1;

        // Worked at once, night or not: 24/7 cover, or the fee was accepted.
        let on_call = quote.coverage == Coverage::OnCall24x7
            || request.out_of_hours_choice == Some(OutOfHoursChoice::OncallNow);
        let waits = request.out_of_hours_choice == Some(OutOfHoursChoice::Wait);
        // The clocks start now, or at the next opening for those who chose to wait.
        let base = if waits { quote.next_opening.max(filed) } else { filed };
        // Of the last two weeks' tickets, many are still being worked on.
        let recent = self.now - filed < Duration::days(14);
        // The newest two have just come in: untouched or only assigned.
        let steps_left = if fresh {
            self.rng.random_range(0..2)
        } else if recent && self.rng.random_bool(0.5) {
            self.rng.random_range(0..7)
        } else {
            u32::MAX
        };
        let mut life = Life { id, at: filed, live: true, steps_left };
        self.lifecycle(&mut life, &reporter, tech, manager, base, on_call, severity, tally)?;

        let row = db::tickets::find(self.conn, id, Scope::All)?.context("demo ticket vanished")?;
        tally.tickets += 1;
        *tally.by_status.entry(row.status.clone()).or_default() += 1;
        *tally.by_severity.entry(row.severity.clone()).or_default() += 1;
        let now = db::to_db(self.now);
        if row.response_met_at.zip(row.response_due_at).is_some_and(|(met, due)| met > due) {
            tally.replied_late += 1;
        }
        if late(row.response_met_at, row.response_due_at, now) {
            tally.response_breached += 1;
        }
        if late(row.fix_start_met_at, row.fix_start_due_at, now) {
            tally.fix_start_breached += 1;
        }
        tally.out_of_hours += u32::from(row.out_of_hours);
        if let Some(minor) = row.fee_minor {
            tally.fees += 1;
            tally.fee_minor += minor;
        }
        tally.reopened += u32::from(row.reopened_at.is_some());
        Ok(())
    }

    /// Reply, perhaps wait on the customer, start the fix, resolve, perhaps reopen, close —
    /// each step only while it lies in the past.
    #[expect(clippy::too_many_arguments, reason = "one ticket's cast")]
    fn lifecycle(
        &mut self,
        life: &mut Life,
        reporter: &Actor,
        tech: &Actor,
        manager: &Actor,
        base: DateTime<Utc>,
        on_call: bool,
        severity: Severity,
        tally: &mut Tally,
    ) -> anyhow::Result<()> {
        let assign_at = base + self.minutes(1, 20);
        let assign = Action::Assign { user_id: Some(tech.user_id) };
        let assigner = if self.rng.random_bool(0.5) { manager } else { tech };
        self.step(life, assigner, &assign, assign_at, tally)?;

        // First response: usually well inside the target, sometimes late.
        let row = self.row(life.id)?;
        // Until one reply has been late, the next one with a target is (every demo shows one).
        let late = if tally.replied_late == 0 { 1.0 } else { 0.12 };
        let reply_at = self.by_deadline(life.at, row.response_due_at, late, (20, 600));
        let reply_at = if on_call { reply_at } else { self.daytime(reply_at) };
        let reply = Action::Reply {
            body: "Thanks — we are looking into it and will get back to you shortly.".into(),
        };
        self.step(life, tech, &reply, reply_at, tally)?;
        if self.rng.random_bool(0.3) {
            let at = life.at + self.minutes(5, 90);
            let note = Action::Note { body: "Checked the logs; see the attached trace.".into() };
            self.step(life, tech, &note, at, tally)?;
        }

        // Waiting on the customer.
        let mut resolved_while_waiting = false;
        if self.rng.random_bool(0.3) {
            let at = life.at + self.minutes(5, 120);
            if self.step(life, tech, &Action::Wait, at, tally)? {
                tally.pauses += 1;
            }
            let roll = self.rng.random_range(0..100);
            if roll < 70 {
                let at = self.later(life.at, 45, 2 * 24 * 60);
                let answer =
                    Action::Reply { body: "Here is the information you asked for.".into() };
                self.step(life, reporter, &answer, at, tally)?;
            } else if roll < 88 {
                let at = self.later(life.at, 24 * 60, 4 * 24 * 60);
                self.step(life, tech, &Action::Resume, at, tally)?;
            } else {
                let at = self.later(life.at, 5 * 24 * 60, 7 * 24 * 60);
                resolved_while_waiting = self.step(life, tech, &Action::Resolve, at, tally)?;
            }
        }

        if !resolved_while_waiting {
            self.fix_and_resolve(life, tech, on_call, severity, tally)?;
        }

        if self.rng.random_bool(0.07) {
            let at = self.later(life.at, 2 * 60, 2 * 24 * 60);
            if self.step(life, reporter, &Action::Reopen, at, tally)? {
                let again =
                    Action::Reply { body: "It is happening again since this morning.".into() };
                let at = life.at + self.minutes(1, 5);
                self.step(life, reporter, &again, at, tally)?;
                self.fix_and_resolve(life, tech, on_call, severity, tally)?;
            }
        }

        // Most resolved tickets are closed a few days later.
        if self.rng.random_bool(0.9) {
            let closer = if self.rng.random_bool(0.3) { reporter } else { tech };
            let at = self.later(life.at, 24 * 60, 6 * 24 * 60);
            self.step(life, closer, &Action::Close, at, tally)?;
        }
        Ok(())
    }

    fn fix_and_resolve(
        &mut self,
        life: &mut Life,
        tech: &Actor,
        on_call: bool,
        severity: Severity,
        tally: &mut Tally,
    ) -> anyhow::Result<()> {
        let row = self.row(life.id)?;
        let fix_at = self.by_deadline(life.at, row.fix_start_due_at, 0.08, (30, 2 * 24 * 60));
        let fix_at = if on_call { fix_at } else { self.daytime(fix_at) };
        self.step(life, tech, &Action::StartFix, fix_at, tally)?;
        let work = match severity {
            Severity::Critical => self.minutes(20, 4 * 60),
            Severity::Serious => self.minutes(60, 24 * 60),
            Severity::Normal => self.minutes(2 * 60, 4 * 24 * 60),
        };
        let resolve_at = self.daytime(life.at + work);
        let done = Action::Reply { body: "Fixed: the cause was found and corrected.".into() };
        self.step(life, tech, &done, resolve_at, tally)?;
        let at = life.at + self.minutes(1, 3);
        self.step(life, tech, &Action::Resolve, at, tally)?;
        Ok(())
    }

    fn row(&mut self, id: i64) -> anyhow::Result<db::tickets::Ticket> {
        db::tickets::find(self.conn, id, Scope::All)?.context("demo ticket vanished")
    }

    /// An instant after `from`: a fraction of the way to `due` (past it with chance
    /// `late`), or `fallback` minutes on when there is no deadline.
    fn by_deadline(
        &mut self,
        from: DateTime<Utc>,
        due: Option<NaiveDateTime>,
        late: f64,
        fallback: (i64, i64),
    ) -> DateTime<Utc> {
        match due.map(db::from_db) {
            Some(due) if due > from => {
                let span = (due - from).num_seconds() as f64;
                let fraction = if self.rng.random_bool(late) {
                    self.rng.random_range(1.1..2.5)
                } else {
                    self.rng.random_range(0.05..0.85)
                };
                from + Duration::seconds((span * fraction) as i64)
            }
            Some(_) => from + self.minutes(5, 90),
            None => from + self.minutes(fallback.0, fallback.1),
        }
    }

    /// `low` to `high` minutes after `from`, moved out of the night.
    fn later(&mut self, from: DateTime<Utc>, low: i64, high: i64) -> DateTime<Utc> {
        let at = from + self.minutes(low, high);
        self.daytime(at)
    }

    /// Staff do not work at night unless on call: moves 22:00–07:00 to the next morning.
    fn daytime(&mut self, at: DateTime<Utc>) -> DateTime<Utc> {
        let tz: Tz = chrono_tz::Europe::Oslo;
        let local = at.with_timezone(&tz);
        let hour = local.hour();
        if (7..22).contains(&hour) {
            return at;
        }
        let day =
            if hour >= 22 { local.date_naive() + Duration::days(1) } else { local.date_naive() };
        let morning = day.and_hms_opt(7, 30, 0).and_then(|m| m.and_local_timezone(tz).earliest());
        match morning {
            Some(m) => m.with_timezone(&Utc) + self.minutes(0, 90),
            None => at,
        }
    }

    /// Applies `action` at `at` (at least a minute after the previous step) unless that
    /// lies in the future; returns whether it happened.
    fn step(
        &mut self,
        life: &mut Life,
        actor: &Actor,
        action: &Action,
        at: DateTime<Utc>,
        tally: &mut Tally,
    ) -> anyhow::Result<bool> {
        if !life.live || life.steps_left == 0 {
            return Ok(false);
        }
        let at = at.max(life.at + Duration::minutes(1));
        if at > self.now {
            life.live = false;
            return Ok(false);
        }
        actions::apply(self.conn, self.engine, actor, life.id, action, at)
            .with_context(|| format!("demo ticket {}: {} at {at}", life.id, action.name()))?;
        life.at = at;
        life.steps_left = life.steps_left.saturating_sub(1);
        tally.events += 1;
        Ok(true)
    }
}

/// Met after the deadline, or not met and the deadline passed.
fn late(met: Option<NaiveDateTime>, due: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    match (met, due) {
        (Some(met), Some(due)) => met > due,
        (None, Some(due)) => due < now,
        _ => false,
    }
}

fn summary(
    out: &mut dyn Write,
    args: &DemoArgs,
    tally: &Tally,
    escalations: usize,
    took: std::time::Duration,
) -> anyhow::Result<()> {
    let staff = STAFF.len();
    let customers: usize = CUSTOMERS.iter().map(|c| c.users.len()).sum();
    writeln!(out, "demo data loaded in {:.1} s (seed {})", took.as_secs_f64(), args.seed)?;
    writeln!(out)?;
    writeln!(out, "organizations: 1 provider, {} customers", CUSTOMERS.len())?;
    for spec in &CUSTOMERS {
        let policy = match (spec.policy, spec.oncall_24x7) {
            (Some(p), true) => format!("{p} + 24/7 on-call"),
            (Some(p), false) => p.to_owned(),
            (None, _) => "no contract (basic)".to_owned(),
        };
        writeln!(out, "  {:<24} {:<18} {policy}", spec.name, spec.timezone)?;
    }
    writeln!(
        out,
        "users: {} (1 admin, 1 manager, {} technicians, {customers} customer users)",
        staff + customers,
        staff - 2
    )?;
    let statuses: Vec<String> = tally.by_status.iter().map(|(s, n)| format!("{s} {n}")).collect();
    let severities: Vec<String> =
        tally.by_severity.iter().map(|(s, n)| format!("{s} {n}")).collect();
    writeln!(out, "tickets: {} over the last {HISTORY_DAYS} days", tally.tickets)?;
    writeln!(out, "  by status:   {}", statuses.join(", "))?;
    writeln!(out, "  by severity: {}", severities.join(", "))?;
    writeln!(
        out,
        "  breaches: response {}, fix start {}; escalations recorded by the sweep: {escalations}",
        tally.response_breached, tally.fix_start_breached
    )?;
    writeln!(
        out,
        "  out of hours {}, on-call fees {} ({} total), pauses {}, reopened {}",
        tally.out_of_hours,
        tally.fees,
        crate::sla::Money { minor: tally.fee_minor, currency: tally.currency.clone() },
        tally.pauses,
        tally.reopened
    )?;
    writeln!(out, "  {} filings and actions", tally.events)?;
    writeln!(out)?;
    writeln!(out, "sign in (every account's password: {}):", args.password)?;
    for (email, name, role) in STAFF {
        writeln!(out, "  {email:<36} {:<11} {name}", role.as_str())?;
    }
    for spec in &CUSTOMERS {
        for (local, name) in spec.users {
            let email = format!("{local}@{}", spec.domain);
            writeln!(out, "  {email:<36} {:<11} {name} ({})", "customer", spec.name)?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "WARNING: these are demo accounts with a shared, printed password. Never load demo \
         data into a production database."
    )?;
    Ok(())
}
