//! `frist demo` through the real binary: it loads a living database (every role, open and
//! closed tickets, fees, pauses, breaches) and refuses a second time without changing
//! anything. On PostgreSQL when `FRIST_TEST_POSTGRES` is set.

#[path = "support/app.rs"]
mod app;

use std::process::{Command, Output};

use diesel::dsl::count_star;
use diesel::prelude::*;
use frist::db::DbConn;
use frist::db::schema::{
    organizations, pauses, report_organizations, report_rows, report_versions, ticket_events,
    tickets, users,
};

fn demo(url: &str, tickets: &str) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_frist"))
        .args(["demo", "--tickets", tickets])
        .env("DATABASE_URL", url)
        .env_remove("FRIST_CONFIG")
        .output()
    {
        Ok(output) => output,
        Err(e) => panic!("run frist demo: {e}"),
    }
}

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("{e}"))
}

/// Row counts of every table the demo writes.
fn counts(conn: &mut DbConn) -> [i64; 5] {
    [
        ok(organizations::table.select(count_star()).first(conn)),
        ok(users::table.select(count_star()).first(conn)),
        ok(tickets::table.select(count_star()).first(conn)),
        ok(ticket_events::table.select(count_star()).first(conn)),
        ok(pauses::table.select(count_star()).first(conn)),
    ]
}

#[test]
fn demo_loads_a_living_database_once() {
    let db = app::TestDb::new();
    let url = db.url();

    let first = demo(&url, "60");
    let stdout = String::from_utf8_lossy(&first.stdout);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "demo failed: {stdout}\n{stderr}");
    assert!(stdout.contains("admin@frist.example"), "{stdout}");
    assert!(stdout.contains("demo-password"), "{stdout}");
    assert!(stdout.contains("WARNING"), "{stdout}");

    let mut conn = db.connect();
    let customers: i64 = ok(organizations::table
        .filter(organizations::is_provider.eq(false))
        .select(count_star())
        .first(&mut conn));
    assert!(customers >= 5, "{customers} customer organizations");

    let roles: Vec<String> = ok(users::table.select(users::role).distinct().load(&mut conn));
    for role in ["admin", "manager", "technician", "customer"] {
        assert!(roles.iter().any(|r| r == role), "no {role} among {roles:?}");
    }

    let statuses: Vec<String> = ok(tickets::table.select(tickets::status).load(&mut conn));
    assert!(statuses.len() >= 60, "{} tickets", statuses.len());
    assert!(statuses.iter().any(|s| s == "closed"), "none closed: {statuses:?}");
    assert!(
        statuses.iter().any(|s| s == "open" || s == "waiting_on_customer"),
        "none open: {statuses:?}"
    );

    let fees: i64 = ok(tickets::table
        .filter(tickets::fee_minor.is_not_null())
        .select(count_star())
        .first(&mut conn));
    assert!(fees >= 1, "no ticket with an on-call fee");

    let paused: i64 = ok(pauses::table.select(count_star()).first(&mut conn));
    assert!(paused >= 1, "no pause");

    let breached: i64 = ok(tickets::table
        .filter(tickets::response_met_at.gt(tickets::response_due_at))
        .select(count_star())
        .first(&mut conn));
    assert!(breached >= 1, "no response breach");

    // The past months are closed, oldest first, so the reports are there at once.
    let versions: Vec<(i64, String, i32)> = ok(report_versions::table
        .order(report_versions::id)
        .select((report_versions::id, report_versions::month, report_versions::version))
        .load(&mut conn));
    assert!(versions.len() >= 3, "closed months: {versions:?}");
    assert!(versions.iter().all(|(_, _, v)| *v == 1), "{versions:?}");
    let months: Vec<&String> = versions.iter().map(|(_, m, _)| m).collect();
    let mut sorted = months.clone();
    sorted.sort();
    assert_eq!(months, sorted, "closed oldest first");
    let rows: i64 = ok(report_rows::table.select(count_star()).first(&mut conn));
    assert!(rows >= 1, "no report rows");
    let reported: i64 = ok(report_organizations::table.select(count_star()).first(&mut conn));
    assert!(reported >= 5 * 3, "{reported} organization reports");
    assert!(stdout.contains("past months closed"), "{stdout}");

    let before = counts(&mut conn);
    let second = demo(&url, "60");
    assert!(!second.status.success(), "a second demo run succeeded");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(counts(&mut conn), before, "the refused run changed the database");
}
