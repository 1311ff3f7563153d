//! `frist deadline --batch`: JSON lines in, one JSON line out per input line, in order
//! (DESIGN §8.1).
//!
//! ```text
//! in : {"id": 17, "calendar": {…}, "start": "2026-03-27T19:30:00+01:00", "add": {"minutes": 120}}
//! out: {"id": 17, "due": "2026-03-30T07:30:00Z"}
//! ```
//!
//! A line may name a configured policy instead of a calendar (`"policy": "level-1"`), and
//! `add` may be written `"2h"`. A bad line gets an `error` line and the batch goes on. Lines
//! stream: memory stays flat however long the input, and output is flushed whenever the input
//! has nothing more buffered, so a caller can talk to the batch one line at a time.

use std::io::{BufRead, BufReader, Read, Write};
use std::num::NonZeroUsize;
use std::sync::Arc;

use lru::LruCache;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::deadline::{format_instant, parse_start};
use crate::sla::{Calendar, CalendarSpec, FieldError, Sla, Target, parse};

/// Distinct calendars kept compiled at once.
const CACHE_SIZE: NonZeroUsize = NonZeroUsize::MIN.saturating_add(31);
/// The longest input line accepted; longer ones get an error line.
const MAX_LINE: usize = 1 << 20;

/// One input line, every field kept raw so that each is checked on its own and the id is
/// echoed even when another field is bad.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    calendar: Option<&'a RawValue>,
    #[serde(borrow, default)]
    policy: Option<&'a RawValue>,
    #[serde(borrow, default)]
    start: Option<&'a RawValue>,
    #[serde(borrow, default)]
    add: Option<&'a RawValue>,
}

/// Just the id, for echoing it on a line that is otherwise unreadable.
#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
}

/// `add` as an object.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum Add {
    Minutes(i64),
    BusinessDays(i64),
}

/// Compiled calendars by their JSON text, and errors for calendars already found bad.
struct Calendars<'a> {
    sla: &'a Sla,
    cache: LruCache<String, Result<Arc<Calendar>, FieldError>>,
}

impl Calendars<'_> {
    fn get(&mut self, raw: &RawValue) -> Result<Arc<Calendar>, FieldError> {
        if let Some(found) = self.cache.get(raw.get()) {
            return found.clone();
        }
        let compiled = compile(raw).map(Arc::new);
        self.cache.put(raw.get().to_owned(), compiled.clone());
        compiled
    }

    fn policy(&self, raw: &RawValue) -> Result<&Calendar, FieldError> {
        let name: String = serde_json::from_str(raw.get()).map_err(|_| {
            FieldError::new("policy", format!("expected a policy name, got {}", raw.get()))
        })?;
        self.sla
            .policy(&name)
            .map(|policy| &policy.calendar)
            .ok_or_else(|| FieldError::new("policy", format!("no policy named {name:?}")))
    }
}

fn compile(raw: &RawValue) -> Result<Calendar, FieldError> {
    let spec: CalendarSpec = parse::from_json(raw.get()).map_err(|e| e.within("calendar"))?;
    Calendar::new(spec).map_err(|e| e.within("calendar"))
}

/// Runs the batch until end of input.
pub fn run_batch(sla: &Sla, input: &mut dyn Read, out: &mut dyn Write) -> std::io::Result<()> {
    let mut calendars = Calendars { sla, cache: LruCache::new(CACHE_SIZE) };
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut buffer = Vec::new();
    loop {
        if input.buffer().is_empty() {
            // The next read may block: let the caller see every answer so far.
            out.flush()?;
        }
        let (id, result) = match read_line(&mut input, &mut buffer)? {
            Got::End => break,
            Got::TooLong => (None, Err(format!("line is longer than {MAX_LINE} bytes"))),
            Got::Line => match std::str::from_utf8(&buffer) {
                Ok(text) => evaluate(&mut calendars, text.trim_end_matches(['\n', '\r'])),
                Err(_) => (None, Err("line is not valid UTF-8".to_owned())),
            },
        };
        write_answer(out, id, result)?;
    }
    out.flush()
}

/// What reading one line gave.
enum Got {
    End,
    Line,
    TooLong,
}

/// Reads one line into `buffer`, at most [`MAX_LINE`] bytes of it; the rest of an overlong
/// line is read and dropped so that memory stays bounded.
fn read_line(input: &mut dyn BufRead, buffer: &mut Vec<u8>) -> std::io::Result<Got> {
    buffer.clear();
    let limit = MAX_LINE as u64 + 1;
    if Read::take(&mut *input, limit).read_until(b'\n', buffer)? == 0 {
        return Ok(Got::End);
    }
    if buffer.len() <= MAX_LINE || buffer.ends_with(b"\n") {
        return Ok(Got::Line);
    }
    loop {
        buffer.clear();
        let n = Read::take(&mut *input, limit).read_until(b'\n', buffer)?;
        if n == 0 || buffer.ends_with(b"\n") {
            buffer.clear();
            return Ok(Got::TooLong);
        }
    }
}

fn write_answer(
    out: &mut dyn Write,
    id: Option<&RawValue>,
    result: Result<String, String>,
) -> std::io::Result<()> {
    let id = id.map_or("null", RawValue::get);
    match result {
        Ok(due) => writeln!(out, "{{\"id\":{id},\"due\":\"{due}\"}}"),
        Err(message) => {
            let message = serde_json::Value::String(message);
            writeln!(out, "{{\"id\":{id},\"error\":{message}}}")
        }
    }
}

/// The due instant of one line, or the error; and the line's id if it has one.
fn evaluate<'a>(
    calendars: &mut Calendars<'_>,
    text: &'a str,
) -> (Option<&'a RawValue>, Result<String, String>) {
    if text.trim().is_empty() {
        return (None, Err("empty line (expected a JSON object)".to_owned()));
    }
    let line: Line<'a> = match serde_json::from_str(text) {
        Ok(line) => line,
        Err(e) => {
            let id = serde_json::from_str::<IdOnly<'a>>(text).ok().and_then(|only| only.id);
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or_default();
            let what = if e.is_data() { "a valid request" } else { "valid JSON" };
            return (id, Err(format!("line is not {what}: {message}")));
        }
    };
    let id = line.id;
    (id, due(calendars, &line).map_err(|e| e.to_string()))
}

fn due(calendars: &mut Calendars<'_>, line: &Line<'_>) -> Result<String, FieldError> {
    let start = line.start.ok_or_else(|| FieldError::new("start", "missing"))?;
    let start: &str = serde_json::from_str(start.get()).map_err(|_| {
        FieldError::new("start", format!("expected an RFC 3339 string, got {}", start.get()))
    })?;
    let start = parse_start(start).map_err(|e| FieldError::new("start", e))?;
    let add = line.add.ok_or_else(|| FieldError::new("add", "missing"))?;
    let target = parse_add(add)?;
    let owned;
    let calendar: &Calendar = match (line.calendar, line.policy) {
        (Some(raw), None) => {
            owned = calendars.get(raw)?;
            &owned
        }
        (None, Some(raw)) => calendars.policy(raw)?,
        (Some(_), Some(_)) => {
            return Err(FieldError::new("policy", "give either calendar or policy, not both"));
        }
        (None, None) => return Err(FieldError::new("calendar", "missing")),
    };
    let due = calendar.due(start, target).map_err(|e| FieldError::new("", e.to_string()))?;
    Ok(format_instant(due))
}

fn parse_add(raw: &RawValue) -> Result<Target, FieldError> {
    let expected = || {
        FieldError::new(
            "add",
            format!(
                "expected {{\"minutes\": N}}, {{\"business_days\": N}} or \"2h\"/\"7bd\", got {}",
                raw.get()
            ),
        )
    };
    if let Ok(text) = serde_json::from_str::<&str>(raw.get()) {
        return text.parse().map_err(|e| FieldError::new("add", e));
    }
    match serde_json::from_str::<Add>(raw.get()).map_err(|_| expected())? {
        Add::Minutes(n) if n < 0 => {
            Err(FieldError::new("add.minutes", format!("{n} must not be negative")))
        }
        Add::BusinessDays(n) if n < 1 => {
            Err(FieldError::new("add.business_days", format!("{n} must be at least 1")))
        }
        Add::Minutes(n) => Ok(Target::Minutes(n)),
        Add::BusinessDays(n) => Ok(Target::BusinessDays(n)),
    }
}
