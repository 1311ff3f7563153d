//! `frist report` as a user runs it, through the real binary, on a month the test app built
//! and closed: the text report, CSV and PDF files, the overview as JSON, `report close`, and
//! errors that name the flag.

#[path = "support/app.rs"]
mod app;

use std::process::{Command, Output, Stdio};

use app::{TestApp, oslo};
use frist::auth::Role;
use serde_json::{Value, json};

fn frist(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frist"))
        .args(args)
        .env_remove("FRIST_CONFIG")
        .env("DATABASE_URL", app.db.url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("run frist: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// October 2026 for Fjord AS on level-2: one serious ticket answered in time (met), one
/// answered 1 h late (breached): response compliance 50.0 %.
fn october() -> (TestApp, i64, Vec<String>) {
    let app = TestApp::start(oslo(2026, 10, 5, 8, 0));
    let org = app.customer_org("Fjord AS", Some("level-2"), false);
    app.customer_org("Other AS", Some("level-2"), false);
    let (_, customer) = app.user(org, Role::Customer, "per@fjord.no");
    let (_, tech) = app.staff(Role::Technician, "tech@frist.example");
    let (_, manager) = app.staff(Role::Manager, "manager@frist.example");
    let mut numbers = Vec::new();
    for (day, answer) in [(5, (10, 0)), (6, (12, 0))] {
        app.at(oslo(2026, 10, day, 9, 0));
        let t = app.file(
            &customer,
            json!({"title": format!("Ticket of the {day}th"), "severity": "serious", "category": "functional_fault"}),
        );
        numbers.push(t["number"].as_str().unwrap_or_default().to_owned());
        app.at(oslo(2026, 10, day, answer.0, answer.1));
        app.act(&tech, t["id"].as_i64().unwrap_or_default(), "reply", json!({"body": "Done."}));
    }
    app.at(oslo(2026, 11, 1, 4, 0));
    let closed = app.post(&manager, "/api/v1/reports/2026-10/close", json!({}));
    assert_eq!(closed.status, 201, "{}", closed.json);
    (app, org, numbers)
}

#[test]
fn the_report_as_text_csv_json_and_pdf_and_closing_from_the_command_line() {
    let (app, org, numbers) = october();
    let id = org.to_string();

    // Text, by name.
    let out = frist(&app, &["report", "--month", "2026-10", "--org", "Fjord AS"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    for needle in ["Fjord AS — October 2026", "50.0 %", &numbers[1], "1 h late", "Version 1"] {
        assert!(report.contains(needle), "{needle:?} not in:\n{report}");
    }

    // CSV to a file, by id: the same bytes the API serves, 22 columns a row.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let csv_path = dir.path().join("october.csv");
    let csv_arg = csv_path.display().to_string();
    let out = frist(
        &app,
        &["report", "--month", "2026-10", "--org", &id, "--format", "csv", "--output", &csv_arg],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&csv_path).unwrap_or_else(|e| panic!("{e}"));
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    assert_eq!(reader.headers().map(|h| h.len()).ok(), Some(22));
    let rows: Vec<csv::StringRecord> =
        reader.records().map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect();
    assert!(rows.len() >= 2 && rows.iter().all(|r| r.len() == 22), "{rows:?}");
    let json_report: Value = {
        let out = frist(&app, &["report", "--month", "2026-10", "--org", &id, "--format", "json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"))
    };
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&bytes)),
        json_report["csv_sha256"].as_str().unwrap_or_default()
    );
    assert_eq!(json_report["figures"]["response"]["compliance"], 50.0);

    // Excel profile to stdout.
    let out = frist(
        &app,
        &["report", "--month", "2026-10", "--org", &id, "--format", "csv", "--profile", "excel"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        out.stdout.starts_with(b"\xEF\xBB\xBForganization_id;ticket;"),
        "{}",
        text(&out.stdout)
    );

    // Every customer's rows without --org; the overview as JSON.
    let out = frist(&app, &["report", "--month", "2026-10", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(csv::Reader::from_reader(out.stdout.as_slice()).records().count(), rows.len());
    let out = frist(&app, &["report", "--month", "2026-10", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let overview: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(overview["organizations"].as_array().map(Vec::len), Some(2), "{overview}");
    let out = frist(&app, &["report", "--month", "2026-10"]);
    assert!(text(&out.stdout).contains("Fjord AS"), "{}", text(&out.stdout));

    // PDF: to stdout when it is not a terminal, or to --output.
    let out = frist(&app, &["report", "--month", "2026-10", "--org", &id, "--format", "pdf"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.starts_with(b"%PDF"));
    let pdf_path = dir.path().join("october.pdf");
    let pdf_arg = pdf_path.display().to_string();
    let out = frist(
        &app,
        &["report", "--month", "2026-10", "--org", &id, "--format", "pdf", "--output", &pdf_arg],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read(&pdf_path).is_ok_and(|b| b.starts_with(b"%PDF")));

    // Closing again changes nothing; a month not over is refused, naming the flag.
    let out = frist(&app, &["report", "close", "--month", "2026-10"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("unchanged, version 1 stands"), "{}", text(&out.stdout));

    for (args, flag) in [
        (vec!["report", "--month", "2026-13"], "--month"),
        (vec!["report", "close", "--month", "2999-01"], "--month"),
        (vec!["report", "--month", "2026-10", "--format", "pdf"], "--org"),
        (vec!["report", "--month", "2026-10", "--org", "Nobody AS"], "--org"),
        (vec!["report", "--month", "2026-10", "--org", &id, "--version", "9"], "--version"),
        (vec!["report", "--month", "2026-10", "--profile", "excel"], "--profile"),
    ] {
        let out = frist(&app, &args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(text(&out.stderr).contains(flag), "{args:?}: {}", text(&out.stderr));
    }
}
