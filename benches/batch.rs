//! Throughput and memory of `frist deadline --batch` on 1 000 000 lines (DESIGN §8.1).
//!
//! Streams generated lines (four calendars written inline, policies by name, random starts
//! through 1990–2060, minute and business-day targets) into the release binary, counts the
//! answers, and reads the process's peak resident memory (`VmHWM`, Linux) after 100 000 lines
//! and after all of them: equal figures mean the batch does not grow with its input.
//! Run: `cargo bench --bench batch` (`FRIST_BATCH_LINES` changes the count).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

const CALENDARS: [&str; 4] = [
    r#"{"timezone":"Europe/Oslo","hours":{"mon":["08:00-20:00"],"tue":["08:00-20:00"],"wed":["08:00-20:00"],"thu":["08:00-20:00"],"fri":["08:00-20:00"],"sat":[],"sun":[]},"holidays":["NO"],"closed":["2026-12-24"],"open_on_holidays":false}"#,
    r#"{"timezone":"Europe/Copenhagen","hours":{"mon":["07:30-16:00"],"tue":["07:30-16:00"],"wed":["07:30-16:00"],"thu":["07:30-16:00"],"fri":["07:30-15:30"]},"holidays":["DK"]}"#,
    r#"{"timezone":"America/New_York","hours":{"mon":["09:00-12:00","13:00-17:00"],"tue":["09:00-12:00","13:00-17:00"],"wed":["09:00-17:00"],"thu":["09:00-17:00"],"fri":["09:00-17:00"]}}"#,
    r#"{"timezone":"Australia/Lord_Howe","hours":{"sat":["00:00-24:00"],"sun":["00:00-24:00"]}}"#,
];
const POLICIES: [&str; 4] = ["level-1", "level-2", "level-3", "basic"];

/// A small deterministic generator (xorshift), so every run feeds the same lines.
struct Lines(u64);

impl Lines {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn line(&mut self, id: u64) -> String {
        let start = 631_152_000 + (self.next() % 2_209_075_200) as i64;
        let start =
            chrono::DateTime::from_timestamp(start, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
        let add = match self.next() % 4 {
            0 => format!(r#"{{"business_days":{}}}"#, 1 + self.next() % 10),
            _ => format!(r#"{{"minutes":{}}}"#, self.next() % 120_000),
        };
        let which = self.next() % 8;
        let source = match which {
            0..4 => format!(r#""calendar":{}"#, CALENDARS[which as usize]),
            _ => format!(r#""policy":"{}""#, POLICIES[which as usize - 4]),
        };
        format!(r#"{{"id":{id},{source},"start":"{start}","add":{add}}}"#)
    }
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let total: u64 =
        std::env::var("FRIST_BATCH_LINES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let checkpoint = total / 10;
    let mut child = match Command::new(env!("CARGO_BIN_EXE_frist"))
        .args(["deadline", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!("cannot start frist: {e}"),
    };
    let pid = child.id();
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        panic!("no pipes to frist");
    };
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let mut input = BufWriter::with_capacity(1 << 16, stdin);
        let mut lines = Lines(0x9E37_79B9_7F4A_7C15);
        for id in 0..total {
            if writeln!(input, "{}", lines.line(id)).is_err() {
                return;
            }
        }
        let _ = input.flush();
        // Keep stdin open until the reader has measured the still-running process.
        let _ = done_rx.recv();
    });
    let began = Instant::now();
    let mut answers = BufReader::with_capacity(1 << 16, stdout);
    let (mut count, mut errors, mut rss_at_checkpoint) = (0u64, 0u64, None);
    let mut line = String::new();
    while count < total {
        line.clear();
        match answers.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        count += 1;
        errors += u64::from(line.contains("\"error\""));
        if count == checkpoint {
            rss_at_checkpoint = peak_rss_kib(pid);
        }
    }
    let seconds = began.elapsed().as_secs_f64();
    let rss_at_end = peak_rss_kib(pid);
    let _ = done_tx.send(());
    let _ = writer.join();
    let _ = child.wait();
    println!(
        "batch: {count} lines answered ({errors} errors) in {seconds:.2} s = {:.0} lines/s",
        count as f64 / seconds
    );
    println!(
        "batch: peak RSS {} KiB after {checkpoint} lines, {} KiB after {count} lines",
        rss_at_checkpoint.map_or("?".to_owned(), |k| k.to_string()),
        rss_at_end.map_or("?".to_owned(), |k| k.to_string()),
    );
    assert_eq!(count, total, "every line gets an answer");
}
