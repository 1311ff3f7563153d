//! Escalation sweep cost against table size (DESIGN §6, §9): a sweep tick must cost what its
//! due tickets cost, whatever the number of open tickets.
//!
//! Loads N tickets (20 % open) straight into a fresh database, each open one exactly at the
//! warning threshold of a 24/7 policy's 4-hour response clock at one of N/5/200 consecutive
//! minutes, so each one-minute tick finds about 200 due tickets. Then runs `jobs::sweep::tick`
//! (the function the scheduled job runs) for consecutive minutes and reports the median and
//! 90th-percentile tick time.
//!
//! Run: `cargo bench --bench sweep -- --tickets 1000000 --db sqlite` (a temporary file) or
//! `--db postgres://postgres@127.0.0.1:5432` (the database `frist_sweep_bench` there is
//! dropped and recreated). `--ticks 20` sets the number of ticks.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use frist::auth::Role;
use frist::db::{self, DbConn, DbTarget};
use frist::tickets::Engine;

/// Due tickets per one-minute tick.
const PER_TICK: i64 = 200;

struct Args {
    tickets: i64,
    db: String,
    ticks: i64,
}

fn args() -> Args {
    let mut args = Args { tickets: 1_000_000, db: "sqlite".into(), ticks: 20 };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--tickets" => args.tickets = it.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--db" => args.db = it.next().unwrap_or_default(),
            "--ticks" => args.ticks = it.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            _ => {} // cargo bench passes --bench
        }
    }
    assert!(args.tickets >= 5 * PER_TICK, "--tickets must be at least {}", 5 * PER_TICK);
    assert!((1..60).contains(&args.ticks), "--ticks 1–59 (the breach comes an hour later)");
    args
}

/// A fresh database: its URL, and the temporary directory that holds a SQLite file.
fn fresh(db: &str) -> (String, Option<tempfile::TempDir>) {
    if db == "sqlite" {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("sqlite://{}", dir.path().join("sweep.db").display());
        return (url, Some(dir));
    }
    let server = db.trim_end_matches('/');
    let mut admin = PgConnection::establish(&format!("{server}/postgres"))
        .unwrap_or_else(|e| panic!("{server}: {e}"));
    // Two calls: several statements in one go would run as one transaction, which
    // DROP DATABASE refuses.
    for sql in [
        "DROP DATABASE IF EXISTS frist_sweep_bench WITH (FORCE)",
        "CREATE DATABASE frist_sweep_bench",
    ] {
        admin.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    (format!("{server}/frist_sweep_bench"), None)
}

fn main() {
    let args = args();
    let (url, _dir) = fresh(&args.db);
    let target = DbTarget::parse(Some(&url)).unwrap_or_else(|e| panic!("{e}"));
    let mut conn = db::connect(&target).unwrap_or_else(|e| panic!("{e}"));
    db::migrate(&mut conn).unwrap_or_else(|e| panic!("{e}"));
    let sla = frist::config::Config::default().load_sla().unwrap_or_else(|e| panic!("{e}"));
    let t0: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).single().unwrap_or_default();
    let setup_at = t0 - chrono::Duration::days(60);
    frist::accounts::bootstrap(&mut conn, &sla, setup_at).unwrap_or_else(|e| panic!("{e}"));

    let spec = serde_json::json!({
        "description": "bench: every hour of every day",
        "calendar": {"timezone": "UTC", "hours": {
            "mon": ["00:00-24:00"], "tue": ["00:00-24:00"], "wed": ["00:00-24:00"],
            "thu": ["00:00-24:00"], "fri": ["00:00-24:00"], "sat": ["00:00-24:00"],
            "sun": ["00:00-24:00"]}},
        "targets": {"critical": {"response": "4h", "fix_start": "8h"}}
    });
    let spec: frist::sla::PolicySpec =
        serde_json::from_value(spec).unwrap_or_else(|e| panic!("{e}"));
    let policy = frist::accounts::add_policy(&mut conn, "bench-247", &spec, None, setup_at)
        .unwrap_or_else(|e| panic!("{e}"));
    let version = db::policies::latest_version_id(&mut conn, policy)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no version of the bench policy"));
    let org = frist::accounts::add_organization(&mut conn, "Bench A/S", "UTC", false, setup_at)
        .unwrap_or_else(|e| panic!("{e}"));
    let user = frist::accounts::add_user(
        &mut conn,
        &frist::accounts::NewUser {
            organization_id: org,
            email: "bench@example.com",
            name: "Bench",
            role: Role::Customer,
            password: None,
        },
        setup_at,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let provider = db::organizations::provider(&mut conn)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no provider"))
        .id;
    frist::accounts::add_user(
        &mut conn,
        &frist::accounts::NewUser {
            organization_id: provider,
            email: "manager@example.com",
            name: "Manager",
            role: Role::Manager,
            password: None,
        },
        setup_at,
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let loading = Instant::now();
    load(&mut conn, &args, org, user, version, t0);
    let loaded = loading.elapsed();

    let renderer = frist::notify::render::Renderer::new(None).unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::new(sla, renderer);
    let mut times = Vec::new();
    let mut fired = 0;
    for k in 1..=args.ticks {
        let now = t0 + chrono::Duration::minutes(k);
        let started = Instant::now();
        let report = frist::jobs::sweep::tick(&mut conn, &engine, now)
            .unwrap_or_else(|e| panic!("sweep: {e}"));
        times.push(started.elapsed());
        fired += report.fired.len();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let p90 = times[(times.len() * 9 / 10).min(times.len() - 1)];
    println!(
        "{} {} tickets ({} open), loaded in {:.0} s: {} ticks, {} escalations ({:.0} per tick); \
         tick median {:.1} ms, p90 {:.1} ms",
        target.backend_name(),
        args.tickets,
        args.tickets / 5,
        loaded.as_secs_f64(),
        args.ticks,
        fired,
        fired as f64 / args.ticks as f64,
        ms(median),
        ms(p90),
    );
}

/// Inserts the tickets in one statement per million rows. Open ticket `j` (every fifth) sits
/// at the warning threshold (3 h into its 4 h response) at minute `j mod M` after `t0`, where
/// M spreads the open tickets at 200 a minute; the others were closed a month earlier.
fn load(conn: &mut DbConn, args: &Args, org: i64, user: i64, version: i64, t0: DateTime<Utc>) {
    let minutes = (args.tickets / 5 / PER_TICK).max(1);
    let t0 = t0.format("%Y-%m-%d %H:%M:%S").to_string();
    let chunk = 1_000_000;
    let (pg, fast) = match conn {
        DbConn::Postgres(_) => (true, "SET synchronous_commit = off"),
        DbConn::Sqlite(_) => (false, "PRAGMA synchronous = OFF"),
    };
    conn.batch_execute(fast).unwrap_or_else(|e| panic!("{e}"));
    let mut from = 1;
    while from <= args.tickets {
        let to = (from + chunk - 1).min(args.tickets);
        let sql = if pg {
            format!(
                "INSERT INTO tickets (number, organization_id, reporter_id, policy_version_id, \
                 title, description, severity, category, channel, status, reported_at, \
                 created_at, updated_at, out_of_hours, oncall_now, response_due_at, \
                 fix_start_due_at, next_due_at, next_escalation_at, resolved_at, closed_at) \
                 SELECT 'B-' || i, {org}, {user}, {version}, 'Bench ' || i, '', 'critical', \
                 'functional_fault', 'portal', CASE WHEN open THEN 'open' ELSE 'closed' END, \
                 at, at, at, false, false, at + interval '4 hours', at + interval '8 hours', \
                 CASE WHEN open THEN at + interval '4 hours' END, \
                 CASE WHEN open THEN at + interval '3 hours' END, \
                 CASE WHEN NOT open THEN at + interval '1 hour' END, \
                 CASE WHEN NOT open THEN at + interval '2 hours' END \
                 FROM (SELECT i, i % 5 = 0 AS open, CASE WHEN i % 5 = 0 THEN \
                 TIMESTAMP '{t0}' + ((i / 5) % {minutes}) * interval '1 minute' \
                 + ((i / 5) * 7 % 60) * interval '1 second' - interval '3 hours' \
                 ELSE TIMESTAMP '{t0}' - interval '30 days' END AS at \
                 FROM generate_series({from}, {to}) AS i) s"
            )
        } else {
            format!(
                "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}), \
                 s AS (SELECT i, i % 5 = 0 AS open, CASE WHEN i % 5 = 0 THEN \
                 datetime('{t0}', '+' || ((i / 5) % {minutes}) || ' minutes', \
                 '+' || ((i / 5) * 7 % 60) || ' seconds', '-3 hours') \
                 ELSE datetime('{t0}', '-30 days') END AS at FROM n) \
                 INSERT INTO tickets (number, organization_id, reporter_id, policy_version_id, \
                 title, description, severity, category, channel, status, reported_at, \
                 created_at, updated_at, out_of_hours, oncall_now, response_due_at, \
                 fix_start_due_at, next_due_at, next_escalation_at, resolved_at, closed_at) \
                 SELECT 'B-' || i, {org}, {user}, {version}, 'Bench ' || i, '', 'critical', \
                 'functional_fault', 'portal', CASE WHEN open THEN 'open' ELSE 'closed' END, \
                 at, at, at, 0, 0, datetime(at, '+4 hours'), datetime(at, '+8 hours'), \
                 CASE WHEN open THEN datetime(at, '+4 hours') END, \
                 CASE WHEN open THEN datetime(at, '+3 hours') END, \
                 CASE WHEN NOT open THEN datetime(at, '+1 hours') END, \
                 CASE WHEN NOT open THEN datetime(at, '+2 hours') END FROM s"
            )
        };
        conn.batch_execute(&sql).unwrap_or_else(|e| panic!("loading {from}–{to}: {e}"));
        eprintln!("loaded {to} tickets");
        from = to + 1;
    }
    let (analyze, durable) = if pg {
        ("VACUUM ANALYZE tickets", "SET synchronous_commit = on")
    } else {
        ("ANALYZE", "PRAGMA synchronous = FULL")
    };
    conn.batch_execute(analyze).unwrap_or_else(|e| panic!("{e}"));
    conn.batch_execute(durable).unwrap_or_else(|e| panic!("{e}"));
}
