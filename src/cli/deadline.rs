//! `frist deadline` for one start: prints the due instant, or the explanation.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};

use super::DeadlineArgs;
use crate::config::Config;
use crate::sla::explain::explain_due;
use crate::sla::{Calendar, CalendarSpec, ClockKind, Target, parse};

pub(super) fn run(args: &DeadlineArgs, config: &Config, out: &mut dyn Write) -> anyhow::Result<()> {
    let start =
        args.start.as_deref().ok_or_else(|| anyhow!("--start is required (or use --batch)"))?;
    let start = parse_start(start).map_err(|e| anyhow!("--start: {e}"))?;
    let (calendar, target) = match (&args.calendar, &args.policy) {
        (Some(path), None) => {
            let target = args.add.ok_or_else(|| anyhow!("--add is required with --calendar"))?;
            (load_calendar(path)?, target)
        }
        (None, Some(name)) => {
            let sla = config.load_sla()?;
            let policy = sla.policy(name).ok_or_else(|| {
                anyhow!(
                    "--policy: no policy named {name:?} (known: {})",
                    sla.policies.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })?;
            let target = match (args.add, args.severity) {
                (Some(target), _) => target,
                (None, Some(severity)) => {
                    let clock = args.clock.map_or(ClockKind::Response, ClockKind::from);
                    policy.target(severity.into(), clock).ok_or_else(|| {
                        anyhow!(
                            "policy {name} has no {clock} target for {} tickets",
                            crate::sla::Severity::from(severity)
                        )
                    })?
                }
                (None, None) => bail!("--add or --severity is required with --policy"),
            };
            (Calendar::new(policy.spec.calendar.clone())?, target)
        }
        _ => bail!("one of --calendar FILE or --policy NAME is required (or use --batch)"),
    };
    if args.explain {
        let explanation = explain_due(&calendar, start, target)?;
        if args.json {
            serde_json::to_writer_pretty(&mut *out, &explanation)?;
            writeln!(out)?;
        } else {
            writeln!(out, "{explanation}")?;
        }
    } else {
        let due = calendar.due(start, target)?;
        writeln!(out, "{}", format_instant(due))?;
    }
    Ok(())
}

/// Reads a calendar file: TOML for `.toml`, JSON otherwise.
fn load_calendar(path: &Path) -> anyhow::Result<Calendar> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--calendar: cannot read {}", path.display()))?;
    let is_toml = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("toml"));
    let spec: Result<CalendarSpec, _> =
        if is_toml { parse::from_toml(&text) } else { parse::from_json(&text) };
    let spec = spec.map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Calendar::new(spec).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Parses an RFC 3339 instant with an explicit offset.
pub(super) fn parse_start(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("invalid instant {text:?} (expected RFC 3339 with offset, e.g. 2026-03-27T19:30:00+01:00)"))
}

/// UTC, RFC 3339, whole seconds (a fraction rounds up: never before the exact answer), `Z`.
pub(super) fn format_instant(t: DateTime<Utc>) -> String {
    let whole = t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0);
    DateTime::from_timestamp(whole, 0).unwrap_or(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Target for the CLI's `--add`.
impl clap::builder::ValueParserFactory for Target {
    type Parser = clap::builder::ValueParser;
    fn value_parser() -> Self::Parser {
        clap::builder::ValueParser::new(|text: &str| text.parse::<Target>())
    }
}
