//! Monthly report cost on a provider-sized database (issue 12, DESIGN §7, §10): closing a
//! month, the closed month's overview over all organizations, one organization's closed
//! month, and the current month so far.
//!
//! Builds (once, then keeps) a database of N tickets over 50 months ending with the current
//! one, 200 customer organizations of uneven size, all on the shipped `level-3` policy
//! (every day 08–23 Oslo time, critical 1 h / 4 h, serious 2 h / 6 h, 4 h fix start for
//! outages): most clocks met on time, some met late, a few recent ones still unmet (breached
//! or running), a few waiting on the customer (an open pause, no fix start deadline), a few
//! with a closed pause, and on each month's last evening tickets whose clocks run across the
//! month's end, the later ones filed out of hours (half of them accepting the start-up fee).
//! Every met clock has its `met_clocks` row (due, met, decided, business time used and
//! paused) consistent with the ticket; the bench checks it against the engine's own walk
//! (the snapshot's rows) and reports any row that differs.
//!
//! The data is generated in SQL (one statement per month and table), with instants chosen
//! so that business time is wall time (UTC 07:00–21:00 lies inside 08–23 Oslo time all
//! year), except for the month-end evening, whose local 22:00 and next-morning 08:00 are
//! worked out here with chrono-tz.
//!
//! Run: `cargo bench --bench reports`. Environment:
//! - `FRIST_BENCH_TICKETS` tickets (default 10 000 000);
//! - `FRIST_BENCH_DB` `sqlite`, a `postgres://…` server URL, or `both` (default: SQLite,
//!   then PostgreSQL at `postgres://postgres@127.0.0.1:5432`);
//! - `FRIST_BENCH_RUNS` runs of each read (default 5; closes run 2 times).
//!
//! The database is kept between runs, keyed by N and the migrations' text: the SQLite file
//! `target/bench-reports/reports-N-HASH.db`, the PostgreSQL database
//! `frist_bench_reports_N_HASH` (others with the same N are dropped when a new one is built).
//! Its "now" is the instant it was built, so reruns measure the same months.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection};
use frist::auth::Role;
use frist::db::{self, DbConn, DbTarget};
use frist::reports::{read, snapshot};
use frist::sla::report::Month;
use frist::tickets::Engine;
use sha2::{Digest, Sha256};

const ORGANIZATIONS: i64 = 200;
const MONTHS: i64 = 50;
const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";

/// Multipliers of the 32-bit hashes each ticket's choices are drawn from (Knuth's
/// multiplicative hashing; the high bits are used).
const HASHES: [u64; 12] = [
    2_654_435_761,
    2_246_822_519,
    3_266_489_917,
    668_265_263,
    374_761_393,
    1_103_515_245,
    2_166_136_261,
    1_597_334_677,
    3_812_015_801,
    2_869_860_233,
    1_540_483_477,
    961_748_941,
];

fn env_i64(name: &str, default: i64) -> i64 {
    match std::env::var(name) {
        Ok(v) => v.replace(['_', ' '], "").parse().unwrap_or_else(|e| panic!("{name}={v}: {e}")),
        Err(_) => default,
    }
}

fn main() {
    let tickets = env_i64("FRIST_BENCH_TICKETS", 10_000_000);
    let runs = env_i64("FRIST_BENCH_RUNS", 5).max(1) as usize;
    assert!(tickets >= 10_000, "FRIST_BENCH_TICKETS must be at least 10 000");
    let targets: Vec<String> = match std::env::var("FRIST_BENCH_DB").unwrap_or_default().as_str() {
        "" | "both" => vec!["sqlite".into(), POSTGRES.into()],
        one => vec![one.into()],
    };
    let mut table = Vec::new();
    for target in targets {
        table.extend(bench(&target, tickets, runs));
    }
    println!();
    println!("| tickets | backend | measurement | median | min | max | rows | target |");
    println!("|---:|---|---|---:|---:|---:|---:|---:|");
    for line in &table {
        println!("{line}");
    }
}

/// The schema's fingerprint: a kept database is rebuilt when a migration changes.
fn migrations_hash(backend: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path().join("up.sql")))
        .collect();
    names.sort();
    let mut hash = Sha256::new();
    for name in names {
        hash.update(std::fs::read(&name).unwrap_or_default());
    }
    hex::encode(hash.finalize())[..8].to_owned()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The URL of the kept database for `target` and N, and whether it must be built.
fn kept(target: &str, tickets: i64) -> (String, bool) {
    if target == "sqlite" {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-reports");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let stem = format!("reports-{tickets}-{}", migrations_hash("sqlite"));
        let path = dir.join(format!("{stem}.db"));
        let built = path.exists() && {
            let url = format!("sqlite://{}", path.display());
            let target = DbTarget::parse(Some(&url)).unwrap_or_else(|e| panic!("{e}"));
            let mut conn = db::connect(&target).unwrap_or_else(|e| panic!("{e}"));
            built_at(&mut conn).is_some()
        };
        if !built {
            // An older build of the same size, or an interrupted one.
            let prefix = format!("reports-{tickets}-");
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with(&prefix) {
                    std::fs::remove_file(entry.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
                }
            }
        }
        return (format!("sqlite://{}", path.display()), !built);
    }
    let server = target.trim_end_matches('/');
    let name = format!("frist_bench_reports_{tickets}_{}", migrations_hash("postgres"));
    let mut admin = PgConnection::establish(&format!("{server}/postgres"))
        .unwrap_or_else(|e| panic!("{server}: {e}"));
    let existing: Vec<Name> = diesel::sql_query(format!(
        "SELECT datname AS name FROM pg_database WHERE datname LIKE 'frist_bench_reports_{tickets}_%'"
    ))
    .load(&mut admin)
    .unwrap_or_else(|e| panic!("{e}"));
    let url = format!("{server}/{name}");
    if existing.iter().any(|e| e.name == name) {
        let target = DbTarget::parse(Some(&url)).unwrap_or_else(|e| panic!("{e}"));
        let mut conn = db::connect(&target).unwrap_or_else(|e| panic!("{e}"));
        if built_at(&mut conn).is_some() {
            return (url, false);
        }
    }
    for old in existing {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", old.name);
        admin.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let sql = format!("CREATE DATABASE {name}");
    admin.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    (url, true)
}

/// The instant a finished build stood at.
fn built_at(conn: &mut DbConn) -> Option<DateTime<Utc>> {
    let rows: Vec<Number> = match conn {
        DbConn::Postgres(c) => diesel::sql_query("SELECT built_at AS n FROM bench_built").load(c),
        DbConn::Sqlite(c) => diesel::sql_query("SELECT built_at AS n FROM bench_built").load(c),
    }
    .ok()?;
    rows.first().and_then(|r| DateTime::from_timestamp(r.n, 0))
}

fn bench(target: &str, tickets: i64, runs: usize) -> Vec<String> {
    let (url, build) = kept(target, tickets);
    let target = DbTarget::parse(Some(&url)).unwrap_or_else(|e| panic!("{e}"));
    let backend = target.backend_name();
    let mut conn = db::connect(&target).unwrap_or_else(|e| panic!("{e}"));
    db::migrate(&mut conn).unwrap_or_else(|e| panic!("{e}"));
    let sla = frist::config::Config::default().load_sla().unwrap_or_else(|e| panic!("{e}"));
    if build {
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_default();
        let started = Instant::now();
        load(&mut conn, &sla, tickets, now);
        eprintln!("{backend}: built {tickets} tickets in {:.0} s", started.elapsed().as_secs_f64());
    } else {
        eprintln!("{backend}: reusing {url}");
    }
    let now = built_at(&mut conn).unwrap_or_else(|| panic!("the build did not finish"));
    let renderer = frist::notify::render::Renderer::new(None).unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::new(sla, renderer);
    let tz = engine.provider().timezone;
    let current = Month::containing(now, tz);
    let closed = current.prev();
    let key = closed.to_string();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut out = Vec::new();
    let mut line = |what: &str, times: &mut Vec<Duration>, rows: usize, goal: &str| {
        times.sort();
        let median = times[times.len() / 2];
        let text = format!(
            "| {tickets} | {backend} | {what} | {:.1} ms | {:.1} ms | {:.1} ms | {rows} | {goal} |",
            ms(median),
            ms(times[0]),
            ms(times[times.len() - 1]),
        );
        eprintln!("{text}");
        out.push(text);
    };

    // The largest organization (the report of one organization is as slow as its biggest).
    let largest: Vec<Number> = match &mut conn {
        DbConn::Postgres(c) => diesel::sql_query(LARGEST).load(c),
        DbConn::Sqlite(c) => diesel::sql_query(LARGEST).load(c),
    }
    .unwrap_or_else(|e| panic!("{e}"));
    let largest = largest.first().map_or(0, |r| r.n);
    let typical: Vec<Number> = match &mut conn {
        DbConn::Postgres(c) => diesel::sql_query(TYPICAL).load(c),
        DbConn::Sqlite(c) => diesel::sql_query(TYPICAL).load(c),
    }
    .unwrap_or_else(|e| panic!("{e}"));
    let typical = typical.first().map_or(0, |r| r.n);

    // A month over but not closed: the live computation at its fullest, as the month so far
    // is on its last evening.
    drop_versions(&mut conn, &key);
    let mut times = Vec::new();
    let mut orgs = 0;
    for _ in 0..runs.min(3) {
        let started = Instant::now();
        let o = read::overview(&mut conn, &engine, closed, None, now)
            .unwrap_or_else(|e| panic!("live overview: {e}"));
        times.push(started.elapsed());
        orgs = o.organizations.len();
        assert_eq!(o.total.organization_id, 0, "the total is no organization");
    }
    line(&format!("{closed} live, not closed (overview)"), &mut times, orgs, "—");

    let mut times = Vec::new();
    let mut written = 0;
    for k in 0..2 {
        if k > 0 {
            drop_versions(&mut conn, &key);
        }
        let started = Instant::now();
        let result = snapshot::close(&mut conn, &engine, closed, now, None, "")
            .unwrap_or_else(|e| panic!("close: {e}"));
        times.push(started.elapsed());
        if let snapshot::Closed::Written { rows, .. } = result {
            written = rows;
        }
    }
    line(&format!("close {closed}"), &mut times, written, "—");
    check(&mut conn, &key);

    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let o = read::overview(&mut conn, &engine, closed, None, now)
            .unwrap_or_else(|e| panic!("overview: {e}"));
        times.push(started.elapsed());
        orgs = o.organizations.len();
    }
    line(&format!("{closed} overview (closed)"), &mut times, orgs, "≤ 200 ms");

    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let r = read::organization(&mut conn, &engine, closed, largest, None, now)
            .unwrap_or_else(|e| panic!("organization: {e}"));
        times.push(started.elapsed());
        rows = r.rows.len();
    }
    line(&format!("{closed} largest organization (closed)"), &mut times, rows, "≤ 20 ms");

    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let r = read::organization(&mut conn, &engine, closed, typical, None, now)
            .unwrap_or_else(|e| panic!("organization: {e}"));
        times.push(started.elapsed());
        rows = r.rows.len();
    }
    line(&format!("{closed} median organization (closed)"), &mut times, rows, "≤ 20 ms");

    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let o = read::overview(&mut conn, &engine, current, None, now)
            .unwrap_or_else(|e| panic!("so far: {e}"));
        times.push(started.elapsed());
        orgs = o.organizations.len();
    }
    line(&format!("{current} so far (overview, live)"), &mut times, orgs, "≤ 500 ms");

    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let r = read::organization(&mut conn, &engine, current, largest, None, now)
            .unwrap_or_else(|e| panic!("so far: {e}"));
        times.push(started.elapsed());
        rows = r.rows.len();
    }
    line(&format!("{current} so far, largest organization"), &mut times, rows, "—");
    out
}

const TYPICAL: &str = "SELECT organization_id AS n FROM tickets \
    GROUP BY organization_id ORDER BY count(*), organization_id LIMIT 1 OFFSET 100";
const LARGEST: &str = "SELECT organization_id AS n FROM tickets \
    GROUP BY organization_id ORDER BY count(*) DESC, organization_id LIMIT 1";

/// Removes the versions a previous run wrote, so each close is the month's first.
fn drop_versions(conn: &mut DbConn, month: &str) {
    let of = format!("(SELECT id FROM report_versions WHERE month = '{month}')");
    conn.batch_execute(&format!(
        "DELETE FROM report_rows WHERE report_id IN {of}; \
         DELETE FROM report_organizations WHERE report_id IN {of}; \
         DELETE FROM report_mails WHERE month = '{month}'; \
         DELETE FROM report_versions WHERE month = '{month}';"
    ))
    .unwrap_or_else(|e| panic!("dropping {month}: {e}"));
}

/// The generated data against the engine: the snapshot's rows are the engine's walk of every
/// clock (due, business time used and paused), the met rows must agree with `met_clocks`.
fn check(conn: &mut DbConn, month: &str) {
    let count = |conn: &mut DbConn, sql: &str| -> i64 {
        let rows: Vec<Number> = match conn {
            DbConn::Postgres(c) => diesel::sql_query(sql).load(c),
            DbConn::Sqlite(c) => diesel::sql_query(sql).load(c),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.first().map_or(0, |r| r.n)
    };
    let version =
        format!("r.report_id = (SELECT max(id) FROM report_versions WHERE month = '{month}')");
    let differ = count(
        conn,
        &format!(
            "SELECT count(*) AS n FROM report_rows r JOIN met_clocks m \
             ON m.ticket_id = r.ticket_id AND m.clock = r.clock AND m.started_at = r.started_at \
             WHERE {version} AND r.met_at IS NOT NULL AND (r.due_at IS NULL OR r.due_at <> m.due_at \
             OR r.used_secs <> m.used_secs OR r.paused_secs <> m.paused_secs \
             OR r.decided_at <> m.decided_at)"
        ),
    );
    let mut by = Vec::new();
    for outcome in ["met", "breached", "pending"] {
        let n = count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM report_rows r WHERE {version} AND r.outcome = '{outcome}'"
            ),
        );
        by.push(format!("{n} {outcome}"));
    }
    eprintln!("{month} snapshot: {}; met rows differing from met_clocks: {differ}", by.join(", "));
    assert_eq!(differ, 0, "generated met_clocks rows disagree with the engine");
}

/// Epoch seconds of `date` at local `hour`:00 in Oslo (the policy's calendar).
fn oslo(date: NaiveDate, hour: u32) -> i64 {
    let local = date.and_hms_opt(hour, 0, 0).unwrap_or_default();
    chrono_tz::Europe::Oslo
        .from_local_datetime(&local)
        .single()
        .unwrap_or_else(|| panic!("{local} is ambiguous in Oslo"))
        .timestamp()
}

/// One month of generated tickets.
struct Slice {
    /// First ticket id.
    base: i64,
    /// Tickets.
    n: i64,
    /// Epoch of UTC midnight on the 1st.
    day0: i64,
    /// Business seconds of the normal slots (UTC 07:00–13:00 each day, up to now).
    slots: i64,
    /// Tickets on the last evening (0 for the current month).
    evening: i64,
    /// Local 22:00 on the last day, and 08:00 on the next 1st.
    e22: i64,
    s08: i64,
}

fn slices(tickets: i64, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Vec<Slice> {
    let current = Month::containing(now, tz);
    let mut months = vec![current];
    for _ in 1..MONTHS {
        let first = months[0].prev();
        months.insert(0, first);
    }
    let slot = |day0: i64, days: i64| -> i64 {
        (0..days).map(|d| (now.timestamp() - (day0 + d * 86_400 + 25_200)).clamp(0, 21_600)).sum()
    };
    let days_of = |m: Month| -> i64 {
        let first = m.first_day();
        (m.next().first_day() - first).num_days()
    };
    let cur_day0 =
        current.first_day().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp();
    let cur_slots = slot(cur_day0, days_of(current));
    let fraction = cur_slots as f64 / (days_of(current) * 21_600) as f64;
    let full = (tickets as f64 / ((MONTHS - 1) as f64 + fraction)) as i64;
    let mut out = Vec::new();
    let mut base = 1;
    for (k, m) in months.iter().enumerate() {
        let last = k as i64 == MONTHS - 1;
        let n = if last { tickets - full * (MONTHS - 1) } else { full };
        let day0 = m.first_day().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp();
        let days = days_of(*m);
        let last_day = m.next().first_day().pred_opt().unwrap_or_default();
        out.push(Slice {
            base,
            n,
            day0,
            slots: if last { cur_slots } else { days * 21_600 },
            evening: if last { 0 } else { n / 200 },
            e22: oslo(last_day, 22),
            s08: oslo(m.next().first_day(), 8),
        });
        base += n;
    }
    out
}

/// Builds the database: organizations and users through the app, tickets and their rows in
/// SQL, then the indexes and statistics.
fn load(conn: &mut DbConn, sla: &frist::sla::Sla, tickets: i64, now: DateTime<Utc>) {
    let setup_at = now - chrono::Duration::days(31 * (MONTHS + 1));
    frist::accounts::bootstrap(conn, sla, setup_at).unwrap_or_else(|e| panic!("{e}"));
    let policy = db::policies::find_by_name(conn, "level-3")
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the shipped policy level-3 is missing"));
    let version = db::policies::latest_version_id(conn, policy.id)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("level-3 has no version"));
    let (mut first_org, mut first_user) = (0, 0);
    for k in 0..ORGANIZATIONS {
        let tz = if k % 3 == 0 { "Europe/Oslo" } else { "Europe/Copenhagen" };
        let org = frist::accounts::add_organization(
            conn,
            &format!("Customer {k:03} A/S"),
            tz,
            false,
            setup_at,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let user = frist::accounts::add_user(
            conn,
            &frist::accounts::NewUser {
                organization_id: org,
                email: &format!("it@customer{k:03}.example"),
                name: &format!("IT {k:03}"),
                role: Role::Customer,
                password: None,
            },
            setup_at,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        if k == 0 {
            (first_org, first_user) = (org, user);
        }
        // The SQL maps an organization's index to its ids by offset.
        assert_eq!((org - first_org, user - first_user), (k, k), "ids are not consecutive");
    }

    let pg = matches!(conn, DbConn::Postgres(_));
    conn.batch_execute(if pg {
        // Generated rows are valid by construction: no foreign key triggers while loading.
        "SET synchronous_commit = off; SET session_replication_role = replica; \
         SET maintenance_work_mem = '512MB'"
    } else {
        "PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -1000000"
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let indexes = drop_indexes(conn);
    let tz = sla.provider.timezone;
    let dialect = Dialect { pg };
    for s in slices(tickets, now, tz) {
        if s.n == 0 || s.slots == 0 {
            continue;
        }
        let with = generator(&dialect, &s, now.timestamp(), version, first_org, first_user);
        for insert in inserts(&dialect, now.timestamp()) {
            let sql = format!("{with} {insert}");
            conn.batch_execute(&sql).unwrap_or_else(|e| panic!("loading: {e}\n{sql}"));
        }
        eprintln!("loaded tickets {}–{}", s.base, s.base + s.n - 1);
    }
    for sql in &indexes {
        conn.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // One statement a call: VACUUM refuses to run in the transaction a batch makes.
    let finish: &[&str] = if pg {
        &[
            "SELECT setval('tickets_id_seq', (SELECT max(id) FROM tickets))",
            "SET session_replication_role = DEFAULT",
            "VACUUM ANALYZE",
        ]
    } else {
        &["ANALYZE", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = FULL"]
    };
    for sql in finish {
        conn.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn.batch_execute(&format!(
        "CREATE TABLE bench_built (tickets BIGINT NOT NULL, built_at BIGINT NOT NULL); \
         INSERT INTO bench_built VALUES ({tickets}, {})",
        now.timestamp()
    ))
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Drops the secondary indexes of the loaded tables (built again after loading, which is
/// much faster than keeping them up to date row by row); returns their definitions.
fn drop_indexes(conn: &mut DbConn) -> Vec<String> {
    let tables = "'tickets', 'met_clocks', 'pauses', 'escalations'";
    let defs: Vec<(String, String)> = match conn {
        DbConn::Postgres(c) => {
            #[derive(QueryableByName)]
            struct Def {
                #[diesel(sql_type = Text)]
                name: String,
                #[diesel(sql_type = Text)]
                def: String,
            }
            diesel::sql_query(format!(
                "SELECT indexname AS name, indexdef AS def FROM pg_indexes \
                 WHERE tablename IN ({tables}) \
                 AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            ))
            .load::<Def>(c)
            .map(|v| v.into_iter().map(|d| (d.name, d.def)).collect())
        }
        DbConn::Sqlite(c) => {
            #[derive(QueryableByName)]
            struct Def {
                #[diesel(sql_type = Text)]
                name: String,
                #[diesel(sql_type = Text)]
                def: String,
            }
            diesel::sql_query(format!(
                "SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name IN ({tables}) AND sql IS NOT NULL"
            ))
            .load::<Def>(c)
            .map(|v| v.into_iter().map(|d| (d.name, d.def)).collect())
        }
    }
    .unwrap_or_else(|e| panic!("{e}"));
    for (name, _) in &defs {
        conn.batch_execute(&format!("DROP INDEX {name}")).unwrap_or_else(|e| panic!("{e}"));
    }
    defs.into_iter().map(|(_, def)| def).collect()
}

struct Dialect {
    pg: bool,
}

impl Dialect {
    /// Epoch seconds to a stored instant.
    fn ts(&self, e: &str) -> String {
        if self.pg {
            format!("(TIMESTAMP 'epoch' + ({e}) * INTERVAL '1 second')")
        } else {
            format!("datetime({e}, 'unixepoch')")
        }
    }

    fn greatest(&self, a: &str, b: &str) -> String {
        if self.pg { format!("GREATEST({a}, {b})") } else { format!("max({a}, {b})") }
    }
}

/// The `WITH` clause whose `g` has one row per ticket of the slice, instants in epoch
/// seconds. Business time used `u` maps to an instant by `f(u)`: wall time from the report
/// within its day, or, on the last evening, up to local 23:00 and then from 08:00 on the 1st.
fn generator(d: &Dialect, s: &Slice, now: i64, version: i64, org0: i64, user0: i64) -> String {
    let (from, to) = (s.base, s.base + s.n - 1);
    let series = if d.pg {
        format!("WITH s(i) AS (SELECT generate_series({from}::bigint, {to}::bigint))")
    } else {
        format!(
            "WITH RECURSIVE s(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM s WHERE i < {to})"
        )
    };
    let x = |k: usize| format!("(((i * {}) % 4294967296) / 4096)", HASHES[k]);
    let f = |u: &str| {
        format!("(CASE WHEN ({u}) < seg1 THEN rep + ({u}) ELSE {} + ({u}) - seg1 END)", s.s08)
    };
    let (base, n, evening, day0, slots, e22) = (s.base, s.n, s.evening, s.day0, s.slots, s.e22);
    let recent = now - 60 * 86_400;
    let used_f_on_time = "(tf * (200 + ff * 750 / 1000) / 1000)";
    // Each level is evaluated once: without the fence both planners inline the levels into
    // one another, repeating every expression where it is used (exponential in the depth).
    let fence = if d.pg { " OFFSET 0" } else { " LIMIT -1 OFFSET 0" };
    format!(
        "{series},
        l1 AS (SELECT i, i - {base} AS j, {x0} AS x0, {x1} AS x1, {x2} AS x2, {x3} AS x3,
               {x4} AS x4, {x5} AS x5, {x6} AS x6, {x7} AS x7, {x8} AS x8, {x9} AS x9,
               {x10} AS x10, {x11} AS x11 FROM s{fence}),
        l2 AS (SELECT i, (x0 % 200) * (x1 % 200) / 200 AS org,
               CASE WHEN j >= {n} - {evening} THEN 1 + j % 2 ELSE 0 END AS grp,
               CASE WHEN x3 % 100 < 20 THEN 'critical' WHEN x3 % 100 < 85 THEN 'serious'
                    ELSE 'normal' END AS sev,
               CASE WHEN x4 % 100 < 8 THEN 'outage' WHEN x4 % 100 < 18 THEN 'customer_outage'
                    WHEN x4 % 100 < 63 THEN 'functional_fault' WHEN x4 % 100 < 88 THEN 'question'
                    ELSE 'other' END AS cat,
               x2, x5 % 1000 AS oc, x6 % 1000 AS fr, x7 % 1000 AS ff, 60 + x8 % 5340 AS ov,
               x9 % 1000 AS un, x10 % 100 AS pz, 300 + x11 % 1500 AS p FROM l1{fence}),
        l3 AS (SELECT l2.*,
               CASE grp WHEN 0 THEN {day0} + (x2 % {slots}) / 21600 * 86400 + 25200
                                    + (x2 % {slots}) % 21600
                        WHEN 1 THEN {e22} + 60 + x2 % 3480
                        ELSE {e22} + 3600 + x2 % 3600 END AS rep,
               CASE sev WHEN 'critical' THEN 3600 WHEN 'serious' THEN 7200 END AS tr,
               CASE sev WHEN 'critical' THEN 14400
                        WHEN 'serious' THEN CASE WHEN cat = 'outage' THEN 14400 ELSE 21600 END
                        END AS tf FROM l2{fence}),
        l4 AS (SELECT l3.*,
               CASE grp WHEN 0 THEN 1000000000 WHEN 1 THEN {e22} + 3600 - rep ELSE 0 END AS seg1,
               CASE WHEN oc BETWEEN 900 AND 949 OR oc BETWEEN 980 AND 989 THEN tr + ov
                    ELSE tr * (100 + fr * 850 / 1000) / 1000 END AS used_r,
               CASE WHEN rep >= {recent} AND grp = 0 AND un < 3 THEN 1 ELSE 0 END AS wait0,
               CASE WHEN rep >= {recent} AND un BETWEEN 3 AND 6 THEN 1 ELSE 0 END AS unmet_f,
               CASE WHEN rep >= {recent} AND un = 6 THEN 1 ELSE 0 END AS unmet_r FROM l3{fence}),
        l5 AS (SELECT l4.*,
               {used_f} AS used_f,
               CASE WHEN wait0 = 1 AND rep + used_r + 60 < {now} THEN 1 ELSE 0 END AS waiting
               FROM l4{fence}),
        l6 AS (SELECT l5.*,
               CASE WHEN pz < 3 AND grp = 0 AND waiting = 0 AND rep < {now} - 86400 THEN p
                    ELSE 0 END AS pe FROM l5{fence}),
        l7 AS (SELECT l6.*, {due_r} AS due_r, {met_r0} AS met_r0,
               {due_f} + pe AS due_f0, {met_f0} + pe AS met_f0,
               {warn_r} AS warn_r,
               {warn_f} + CASE WHEN tf * 3 / 4 > used_r THEN pe ELSE 0 END AS warn_f FROM l6{fence}),
        l8 AS (SELECT l7.*,
               CASE WHEN unmet_r = 1 OR met_r0 > {now} THEN NULL ELSE met_r0 END AS met_r,
               CASE WHEN waiting = 1 THEN NULL ELSE due_f0 END AS due_f FROM l7{fence}),
        l9 AS (SELECT l8.*,
               CASE WHEN waiting = 1 OR unmet_f = 1 OR met_f0 > {now} OR met_r IS NULL
                    THEN NULL ELSE met_f0 END AS met_f FROM l8{fence}),
        g AS (SELECT l9.*, {org0} + org AS org_id, {user0} + org AS user_id, {version} AS pv,
               CASE WHEN sev = 'normal' THEN CASE WHEN rep < {now} - 1209600 THEN 'closed'
                                                  ELSE 'resolved' END
                    WHEN waiting = 1 THEN 'waiting_on_customer'
                    WHEN met_r IS NULL OR met_f IS NULL THEN 'open'
                    WHEN met_f < {now} - 1209600 THEN 'closed' ELSE 'resolved' END AS status,
               CASE WHEN grp = 2 AND ff % 2 = 0 THEN 1 ELSE 0 END AS fee FROM l9{fence})",
        fence = fence,
        x0 = x(0),
        x1 = x(1),
        x2 = x(2),
        x3 = x(3),
        x4 = x(4),
        x5 = x(5),
        x6 = x(6),
        x7 = x(7),
        x8 = x(8),
        x9 = x(9),
        x10 = x(10),
        x11 = x(11),
        used_f = d.greatest(
            "used_r + 60",
            &format!(
                "CASE WHEN oc BETWEEN 950 AND 989 THEN tf + ov ELSE {used_f_on_time} END"
            )
        ),
        due_r = f("tr"),
        met_r0 = f("used_r"),
        due_f = f("tf"),
        met_f0 = f("used_f"),
        warn_r = f("tr * 3 / 4"),
        warn_f = f("tf * 3 / 4"),
    )
}

/// The statements that load a slice from `g`: tickets, met clock runs, pauses, escalations.
fn inserts(d: &Dialect, now: i64) -> Vec<String> {
    let t = |e: &str| d.ts(e);
    let fin = "COALESCE(met_f, rep)";
    let tickets = format!(
        "INSERT INTO tickets (id, number, organization_id, reporter_id, policy_version_id, \
         title, description, severity, category, channel, status, reported_at, created_at, \
         updated_at, out_of_hours, oncall_now, fee_minor, fee_currency, fee_accepted_by, \
         fee_accepted_at, response_due_at, response_met_at, fix_start_due_at, \
         fix_start_met_at, resolved_at, closed_at, next_due_at) \
         SELECT i, 'R-' || i, org_id, user_id, pv, 'Bench ticket ' || i, '', sev, cat, \
         CASE i % 4 WHEN 0 THEN 'portal' WHEN 1 THEN 'email' WHEN 2 THEN 'phone' ELSE 'api' END, \
         status, {rep}, {rep}, {rep}, grp = 2, fee = 1, \
         CASE WHEN fee = 1 THEN 500000 END, CASE WHEN fee = 1 THEN 'DKK' END, \
         CASE WHEN fee = 1 THEN user_id END, CASE WHEN fee = 1 THEN {rep} END, \
         {due_r}, {met_r}, {due_f}, {met_f}, \
         CASE WHEN status IN ('resolved', 'closed') THEN {resolved} END, \
         CASE WHEN status = 'closed' THEN {closed} END, \
         CASE WHEN status = 'open' THEN {next} END FROM g",
        rep = t("rep"),
        due_r = t("due_r"),
        met_r = t("met_r"),
        due_f = t("due_f"),
        met_f = t("met_f"),
        resolved = t(fin),
        closed = t(&format!("{fin} + 86400")),
        next = t("CASE WHEN met_r IS NULL THEN due_r ELSE due_f END"),
    );
    let met = format!(
        "INSERT INTO met_clocks (ticket_id, clock, started_at, due_at, met_at, decided_at, \
         used_secs, paused_secs) \
         SELECT i, 'response', {rep}, {due_r}, {met_r}, {dec_r}, used_r, 0 FROM g \
         WHERE tr IS NOT NULL AND met_r IS NOT NULL \
         UNION ALL SELECT i, 'fix_start', {rep}, {due_f}, {met_f}, {dec_f}, used_f, pe FROM g \
         WHERE tf IS NOT NULL AND met_f IS NOT NULL",
        rep = t("rep"),
        due_r = t("due_r"),
        met_r = t("met_r"),
        dec_r = t("CASE WHEN met_r <= due_r THEN met_r ELSE due_r END"),
        due_f = t("due_f"),
        met_f = t("met_f"),
        dec_f = t("CASE WHEN met_f <= due_f THEN met_f ELSE due_f END"),
    );
    let pauses = format!(
        "INSERT INTO pauses (ticket_id, started_at, ended_at, started_by, ended_by) \
         SELECT i, {p_from}, {p_to}, user_id, user_id FROM g WHERE tf IS NOT NULL AND pe > 0 \
         UNION ALL SELECT i, {w_from}, NULL, user_id, NULL FROM g \
         WHERE tf IS NOT NULL AND waiting = 1",
        p_from = t("rep + used_r + 1"),
        p_to = t("rep + used_r + 1 + pe"),
        w_from = t("rep + used_r + 60"),
    );
    // Warning at 75 % when reached, breach at the due instant when passed unmet.
    let fired = |clock: &str, due: &str, met: &str, warn: &str| {
        format!(
            "SELECT i, '{clock}', 'warning', {rep}, {due_t}, {warn_t} FROM g \
             WHERE {due} IS NOT NULL AND {warn} <= COALESCE({met}, {now}) \
             UNION ALL SELECT i, '{clock}', 'breach', {rep}, {due_t}, {due_t} FROM g \
             WHERE {due} IS NOT NULL AND {due} <= COALESCE({met} - 1, {now})",
            rep = t("rep"),
            due_t = t(due),
            warn_t = t(warn),
        )
    };
    let escalations = format!(
        "INSERT INTO escalations (ticket_id, clock, level, clock_started_at, due_at, fired_at) \
         {} UNION ALL {}",
        fired("response", "due_r", "met_r", "warn_r"),
        fired("fix_start", "due_f", "met_f", "warn_f"),
    );
    vec![tickets, met, pauses, escalations]
}
