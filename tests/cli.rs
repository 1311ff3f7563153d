//! The command line as a user runs it: `frist deadline` (one call and `--batch`) and
//! `frist holidays`, through the real binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const LEVEL_1: &str = r#"{"timezone":"Europe/Oslo","hours":{"mon":["08:00-20:00"],"tue":["08:00-20:00"],"wed":["08:00-20:00"],"thu":["08:00-20:00"],"fri":["08:00-20:00"],"sat":[],"sun":[]},"holidays":["NO"],"closed":["2026-12-24"],"open_on_holidays":false}"#;

fn frist(args: &[&str], stdin: &str) -> Output {
    let mut child = match Command::new(env!("CARGO_BIN_EXE_frist"))
        .args(args)
        .env_remove("FRIST_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!("spawn frist: {e}"),
    };
    if let Some(mut input) = child.stdin.take() {
        // Write from a thread so a full stdout pipe cannot deadlock the test.
        let text = stdin.to_owned();
        std::thread::spawn(move || input.write_all(text.as_bytes()));
    }
    match child.wait_with_output() {
        Ok(output) => output,
        Err(e) => panic!("wait for frist: {e}"),
    }
}

/// Runs frist with whitespace-separated arguments and no input.
fn frist_words(args: &str) -> Output {
    frist(&args.split_whitespace().collect::<Vec<_>>(), "")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn batch_answers_every_line_in_order_and_goes_on_after_bad_ones() {
    let input = [
        format!(r#"{{"id": 17, "calendar": {LEVEL_1}, "start": "2026-03-27T19:30:00+01:00", "add": {{"minutes": 120}}}}"#),
        format!(r#"{{"id": 18, "calendar": {LEVEL_1}, "start": "2026-03-27T19:30:00+01:00", "add": {{"business_days": 7}}}}"#),
        r#"{"id": 19, "calendar": {"timezone":"Europe/Oslo","hours":{"mon":["08:00-07:00"]}}, "start": "2026-03-27T19:30:00+01:00", "add": {"minutes": 1}}"#.to_owned(),
        "not json".to_owned(),
        r#"{"id": "s-1", "policy": "level-3", "start": "2026-05-17T22:30:00+02:00", "add": "1h"}"#.to_owned(),
        r#"{"id": 20, "calendar": {"timezone":"Mars/Olympus","hours":{}}, "start": "2026-01-01T00:00:00Z", "add": {"minutes": 1}}"#.to_owned(),
        r#"{"id": 21, "calendar": {"timezone":"UTC","hours":{}}, "start": "2026-01-01T00:00:00Z", "add": {"minutes": 1}}"#.to_owned(),
        format!(r#"{{"id": 22, "calendar": {LEVEL_1}, "start": "2026-03-27 19:30", "add": {{"minutes": 1}}}}"#),
        format!(r#"{{"id": 23, "calendar": {LEVEL_1}, "start": "2026-03-27T19:30:00Z", "add": {{"minutes": -5}}}}"#),
        format!(r#"{{"id": 24, "calendar": {LEVEL_1}, "start": "2026-03-27T19:30:00Z", "add": {{"hours": 5}}}}"#),
        format!(r#"{{"id": 25, "calendar": {LEVEL_1}, "start": "1850-01-01T00:00:00Z", "add": {{"minutes": 5}}}}"#),
        format!(r#"{{"id": 26, "calendar": {LEVEL_1}, "start": "2026-03-27T19:30:00Z", "add": {{"minutes": 5}}, "extra": true}}"#),
        String::new(),
        format!(r#"{{"id": 27, "calendar": {LEVEL_1}, "start": "2026-03-27T19:30:00.5+01:00", "add": {{"minutes": 0}}}}"#),
    ]
    .join("\n");
    let output = frist(&["deadline", "--batch"], &input);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or(serde_json::Value::Null))
        .collect();
    let expected = [
        r#"{"id":17,"due":"2026-03-30T07:30:00Z"}"#,
        r#"{"id":18,"due":"2026-04-10T18:00:00Z"}"#,
        r#"{"id":19,"error":"calendar.hours.mon[0]: end 07:00 is before start 08:00"}"#,
        r#"{"id":null,"error":"line is not valid JSON: expected ident"}"#,
        r#"{"id":"s-1","due":"2026-05-18T06:30:00Z"}"#,
        r#"{"id":20,"error":"calendar.timezone: unknown time zone \"Mars/Olympus\""}"#,
        r#"{"id":21,"error":"calendar has no open time"}"#,
        r#"{"id":22,"error":"start: invalid instant \"2026-03-27 19:30\" (expected RFC 3339 with offset, e.g. 2026-03-27T19:30:00+01:00)"}"#,
        r#"{"id":23,"error":"add.minutes: -5 must not be negative"}"#,
        r#"{"id":24,"error":"add: expected {\"minutes\": N}, {\"business_days\": N} or \"2h\"/\"7bd\", got {\"hours\": 5}"}"#,
        r#"{"id":25,"error":"instant 1850-01-01T00:00:00Z is outside the supported range (years 1900 to 2200)"}"#,
        r#"{"id":26,"error":"line is not a valid request: unknown field `extra`, expected one of `id`, `calendar`, `policy`, `start`, `add`"}"#,
        r#"{"id":null,"error":"empty line (expected a JSON object)"}"#,
        r#"{"id":27,"due":"2026-03-27T18:30:01Z"}"#,
    ];
    let expected: Vec<serde_json::Value> =
        expected.iter().map(|line| serde_json::from_str(line).unwrap_or_default()).collect();
    assert_eq!(lines, expected);
}

#[test]
fn batch_output_is_utc_whole_seconds_with_z() {
    let line = format!(
        r#"{{"id": 1, "calendar": {LEVEL_1}, "start": "2026-06-01T10:00:00.999-04:00", "add": {{"minutes": 61}}}}"#
    );
    let output = frist(&["deadline", "--batch"], &line);
    // 14:00:00.999Z rounds up to 14:00:01Z, plus 61 minutes.
    assert_eq!(stdout(&output), "{\"id\":1,\"due\":\"2026-06-01T15:01:01Z\"}\n");
}

#[test]
fn one_call_prints_the_due_instant() {
    let dir = std::env::temp_dir().join(format!("frist-cli-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("level-1.json");
    assert!(std::fs::write(&path, LEVEL_1).is_ok());
    let path = path.to_string_lossy().into_owned();
    let output = frist(
        &["deadline", "--calendar", &path, "--start", "2026-03-27T19:30:00+01:00", "--add", "2h"],
        "",
    );
    assert_eq!(stdout(&output), "2026-03-30T07:30:00Z\n", "{}", stderr(&output));
    let output = frist_words(
        "deadline --policy basic --start 2026-04-01T10:00:00+02:00 --severity normal --clock fix-start",
    );
    assert_eq!(stdout(&output), "2026-04-15T13:00:00Z\n", "{}", stderr(&output));
    let output = frist_words(
        "deadline --policy level-1 --start 2026-03-27T19:30:00+01:00 --add 2h --explain",
    );
    let text = stdout(&output);
    assert!(text.contains("Sat 2026-03-28: skipped, no open hours on Sat"), "{text}");
    assert!(
        text.ends_with("Due: Mon 2026-03-30 09:30 (+02:00) = 2026-03-30T07:30:00Z\n"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_are_named() {
    let output =
        frist_words("deadline --policy level-9 --start 2026-03-27T19:30:00+01:00 --add 2h");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--policy: no policy named \"level-9\""),
        "{}",
        stderr(&output)
    );
    let output = frist_words("deadline --policy level-1 --start yesterday --add 2h");
    assert!(
        stderr(&output).contains("--start: invalid instant \"yesterday\""),
        "{}",
        stderr(&output)
    );
    let output = frist(
        &[
            "deadline",
            "--policy",
            "level-1",
            "--start",
            "2026-03-27T19:30:00+01:00",
            "--add",
            "2 hours",
        ],
        "",
    );
    assert!(stderr(&output).contains("invalid duration \"2 hours\""), "{}", stderr(&output));
    let output = frist_words("holidays --country SE --year 2027");
    assert!(stderr(&output).contains("unknown country \"SE\""), "{}", stderr(&output));
}

#[test]
fn holidays_prints_json_lines() {
    let output = frist_words("holidays --country DK --year 2027");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(lines[1], r#"{"date":"2027-03-25","name":"Skærtorsdag"}"#);
}

#[test]
fn batch_answers_each_line_before_the_next_arrives() {
    use std::io::{BufRead, BufReader};
    let mut child = match Command::new(env!("CARGO_BIN_EXE_frist"))
        .args(["deadline", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!("spawn frist: {e}"),
    };
    let (Some(mut input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
        panic!("no pipes");
    };
    let mut output = BufReader::new(output);
    for (id, minutes, due) in [(1, 30, "2026-03-27T19:00:00Z"), (2, 60, "2026-03-30T06:30:00Z")] {
        let line = format!(
            r#"{{"id":{id},"policy":"level-1","start":"2026-03-27T19:30:00+01:00","add":{{"minutes":{minutes}}}}}"#
        );
        assert!(writeln!(input, "{line}").is_ok());
        assert!(input.flush().is_ok());
        // The answer arrives while stdin is still open: the batch does not wait for the end.
        let mut answer = String::new();
        assert!(output.read_line(&mut answer).is_ok());
        assert_eq!(answer, format!("{{\"id\":{id},\"due\":\"{due}\"}}\n"));
    }
    drop(input);
    assert!(child.wait().is_ok_and(|status| status.success()));
}
