//! `frist report`: a month's SLA report as text, CSV, JSON or PDF, for one organization or
//! (text, JSON, CSV) all of them; `frist report close` closes a month or recomputes it.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::db::{self, DbConn};
use crate::notify::render::Renderer;
use crate::reports::csv::Profile;
use crate::reports::{document, export, pdf, read, snapshot};
use crate::sla::report::Month;
use crate::tickets::{Engine, TicketError};

/// `frist report`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReportArgs {
    /// Close a month instead of showing one.
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    /// The month, e.g. 2026-11 (a calendar month in the provider's time zone).
    #[arg(long, value_parser = parse_month, required = true)]
    pub month: Option<Month>,
    /// One organization, by id or by name (default: the overview of every customer).
    #[arg(long, value_name = "ID|NAME")]
    pub org: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// With --format csv: the Excel profile (BOM, `;`, decimal comma, local time).
    #[arg(long, value_enum)]
    pub profile: Option<ProfileArg>,
    /// A closed month's version (default: the latest).
    #[arg(long, value_name = "N")]
    pub version: Option<i32>,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `frist report close`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Close a month that is over, or recompute it as the next version if closed.
    Close(CloseArgs),
}

/// `frist report close`.
#[derive(Debug, Args)]
pub struct CloseArgs {
    /// The month, e.g. 2026-11.
    #[arg(long, value_parser = parse_month)]
    pub month: Month,
    /// Why it is recomputed (shown with the new version).
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable plain-text report.
    Text,
    /// The rows (every customer's without --org).
    Csv,
    /// The report, or the overview, as JSON.
    Json,
    /// One organization's PDF (needs --org).
    Pdf,
}

/// `--profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// RFC 4180, `,`, UTC, integer seconds.
    Machine,
    /// Danish and Norwegian Excel.
    Excel,
}

fn parse_month(text: &str) -> Result<Month, String> {
    text.parse::<Month>().map_err(|e| e.message)
}

fn open(config: &Config) -> anyhow::Result<(DbConn, Engine)> {
    let (conn, sla) = super::service::open(config)?;
    let engine = Engine::new(sla, Renderer::new(config.email_templates.as_deref())?);
    Ok((conn, engine))
}

/// A use case's refusal, naming the flag it is about.
fn flagged(error: TicketError) -> anyhow::Error {
    match error {
        TicketError::Invalid(e) if e.field == "month" => anyhow::anyhow!("--month: {}", e.message),
        TicketError::Invalid(e) if e.field == "reason" => {
            anyhow::anyhow!("--reason: {}", e.message)
        }
        TicketError::NotFound("report version") => {
            anyhow::anyhow!("--version: the month has no such version")
        }
        TicketError::NotFound("organization") => anyhow::anyhow!("--org: no such customer"),
        other => anyhow::Error::from(other),
    }
}

/// The customer organization `--org` names (an id, or else a name).
fn organization(conn: &mut DbConn, text: &str) -> anyhow::Result<db::organizations::Organization> {
    let found = match text.parse::<i64>() {
        Ok(id) => db::organizations::find(conn, id)?,
        Err(_) => db::organizations::find_by_name(conn, text)?,
    };
    found
        .filter(|o| !o.is_provider)
        .with_context(|| format!("--org: no customer organization {text:?} (an id or a name)"))
}

/// `frist report`.
pub fn run(args: &ReportArgs, config: &Config, stdout: &mut dyn Write) -> anyhow::Result<()> {
    if let Some(ReportCommand::Close(close)) = &args.command {
        return run_close(close, config, stdout);
    }
    let month = args.month.context("--month is required")?;
    if args.profile.is_some() && args.format != Format::Csv {
        bail!("--profile: only with --format csv");
    }
    if args.format == Format::Pdf && args.org.is_none() {
        bail!("--format pdf: needs --org (a PDF is one organization's month)");
    }
    let (mut conn, engine) = open(config)?;
    let conn = &mut conn;
    let now = SystemClock.now();
    let tz = engine.provider().timezone;
    let org = args.org.as_deref().map(|o| organization(conn, o)).transpose()?;
    let org_id = org.as_ref().map(|o| o.id);
    match (args.format, org_id) {
        (Format::Csv, _) => {
            let profile = match args.profile {
                Some(ProfileArg::Excel) => Profile::Excel { timezone: tz },
                _ => Profile::Machine,
            };
            let source =
                export::source(conn, &engine, month, args.version, now).map_err(flagged)?;
            with_output(args.output.as_ref(), stdout, |out| {
                export::write_csv(conn, &engine, &source, org_id, profile, out)
                    .map(drop)
                    .map_err(flagged)
            })
        }
        (Format::Pdf, Some(id)) => {
            let report =
                read::organization(conn, &engine, month, id, args.version, now).map_err(flagged)?;
            let bytes = pdf::render(&document::build(&report, tz))?;
            let version = match report.state {
                read::ReportState::Closed { version, .. } => Some(version),
                _ => None,
            };
            let to_stdout = args.output.is_none() && !std::io::stdout().is_terminal();
            if to_stdout {
                stdout.write_all(&bytes)?;
                return Ok(());
            }
            let path = args.output.clone().unwrap_or_else(|| {
                PathBuf::from(export::file_name(
                    &report.figures.organization_name,
                    month,
                    version,
                    "pdf",
                ))
            });
            std::fs::write(&path, &bytes)
                .with_context(|| format!("--output: writing {}", path.display()))?;
            writeln!(stdout, "{}", path.display())?;
            Ok(())
        }
        (Format::Text | Format::Json, Some(id)) => {
            let report =
                read::organization(conn, &engine, month, id, args.version, now).map_err(flagged)?;
            let text = match args.format {
                Format::Json => serde_json::to_string_pretty(&report)? + "\n",
                _ => document::text(&report, tz),
            };
            with_output(args.output.as_ref(), stdout, |out| Ok(out.write_all(text.as_bytes())?))
        }
        (_, None) => {
            let overview =
                read::overview(conn, &engine, month, args.version, now).map_err(flagged)?;
            let text = match args.format {
                Format::Json => serde_json::to_string_pretty(&overview)? + "\n",
                _ => overview_text(&overview),
            };
            with_output(args.output.as_ref(), stdout, |out| Ok(out.write_all(text.as_bytes())?))
        }
    }
}

/// Runs `write` on `--output`'s file, or on stdout.
fn with_output(
    output: Option<&PathBuf>,
    stdout: &mut dyn Write,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match output {
        None => write(stdout),
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("--output: creating {}", path.display()))?;
            let mut out = BufWriter::new(file);
            write(&mut out)?;
            out.flush().with_context(|| format!("--output: writing {}", path.display()))?;
            Ok(())
        }
    }
}

/// The overview as a plain-text table.
fn overview_text(overview: &read::Overview) -> String {
    use document::percent;
    let mut out = format!("{} — all customers\n\n", overview.title);
    out.push_str(&format!(
        "{:<32} {:>10} {:>10} {:>9} {:>8} {:>16}\n",
        "Organization", "Response", "Fix start", "Breaches", "Pending", "Fees"
    ));
    for f in overview.organizations.iter().chain(std::iter::once(&overview.total)) {
        out.push_str(&format!(
            "{:<32} {:>10} {:>10} {:>9} {:>8} {:>16}\n",
            f.organization_name,
            percent(f.response.compliance),
            percent(f.fix_start.compliance),
            f.breaches(),
            f.pending(),
            document::money(f.fees_minor, &f.currency),
        ));
    }
    out
}

fn run_close(args: &CloseArgs, config: &Config, stdout: &mut dyn Write) -> anyhow::Result<()> {
    let (mut conn, engine) = open(config)?;
    let closed = snapshot::close(
        &mut conn,
        &engine,
        args.month,
        SystemClock.now(),
        None,
        args.reason.trim(),
    )
    .map_err(flagged)?;
    match closed {
        snapshot::Closed::Written { version, rows, changed } => writeln!(
            stdout,
            "{}: version {version} written ({rows} rows, {changed} changed)",
            args.month
        )?,
        snapshot::Closed::Unchanged { version } => {
            writeln!(stdout, "{}: unchanged, version {version} stands", args.month)?;
        }
    }
    Ok(())
}
