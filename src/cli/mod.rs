//! The command line: `frist deadline`, `frist holidays` (DESIGN §8, §8.1).

mod batch;
mod deadline;
mod demo;
mod holidays;
mod report;
mod service;

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::sla::{ClockKind, HolidaySet, Severity, Target};

pub use batch::run_batch;

/// frist: SLA and support-ticket tracker.
#[derive(Debug, Parser)]
#[command(name = "frist", version, about)]
pub struct Cli {
    /// SLA configuration file (TOML with [provider] and [policies.*]); overrides FRIST_CONFIG.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute a deadline in business time (one call, or JSON lines with --batch).
    Deadline(DeadlineArgs),
    /// List a country's public holidays of a year as JSON lines.
    Holidays(HolidaysArgs),
    /// Run the HTTP service (creates and migrates the database on first start).
    Serve,
    /// Create or migrate the database and exit.
    Migrate,
    /// Organizations.
    #[command(subcommand)]
    Org(service::OrgCommand),
    /// Users (the first admin: `frist user add --role admin --email … --name … --password-stdin`).
    #[command(subcommand)]
    User(service::UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(service::TokenCommand),
    /// Load realistic demo data (idempotent: refuses if demo data exists).
    Demo(demo::DemoArgs),
    /// A month's SLA report (`--month 2026-11 [--org ID|NAME] [--format text|csv|json|pdf]`),
    /// or `report close --month …` to close a month.
    Report(report::ReportArgs),
}

/// `frist deadline`.
#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// Read JSON lines on stdin, write one JSON line per input line on stdout.
    #[arg(long, conflicts_with_all = ["calendar", "policy", "start", "add", "explain"])]
    pub batch: bool,
    /// Calendar file, JSON or TOML (by extension).
    #[arg(long, value_name = "FILE", conflicts_with = "policy")]
    pub calendar: Option<PathBuf>,
    /// Use this policy's service window (e.g. level-1).
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,
    /// Start instant, RFC 3339 with offset (e.g. 2026-03-27T19:30:00+01:00).
    #[arg(long, value_name = "INSTANT")]
    pub start: Option<String>,
    /// Business time to add: 2h, 90m, 1h30m or 7bd.
    #[arg(long, value_name = "DURATION", conflicts_with = "clock")]
    pub add: Option<Target>,
    /// With --policy: take the target of this severity ...
    #[arg(long, value_enum, requires = "policy")]
    pub severity: Option<SeverityArg>,
    /// ... and this clock (default response).
    #[arg(long, value_enum, requires = "severity")]
    pub clock: Option<ClockArg>,
    /// Show the arithmetic step by step.
    #[arg(long)]
    pub explain: bool,
    /// Print the explanation as JSON instead of text.
    #[arg(long, requires = "explain")]
    pub json: bool,
}

/// Severity on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
#[expect(missing_docs, reason = "the variants are the severities")]
pub enum SeverityArg {
    Critical,
    Serious,
    Normal,
}

/// Clock on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
#[expect(missing_docs, reason = "the variants are the clocks")]
pub enum ClockArg {
    Response,
    FixStart,
    Resolve,
}

impl From<SeverityArg> for Severity {
    fn from(arg: SeverityArg) -> Self {
        match arg {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::Serious => Severity::Serious,
            SeverityArg::Normal => Severity::Normal,
        }
    }
}

impl From<ClockArg> for ClockKind {
    fn from(arg: ClockArg) -> Self {
        match arg {
            ClockArg::Response => ClockKind::Response,
            ClockArg::FixStart => ClockKind::FixStart,
            ClockArg::Resolve => ClockKind::Resolve,
        }
    }
}

/// `frist holidays`.
#[derive(Debug, Args)]
pub struct HolidaysArgs {
    /// DK or NO.
    #[arg(long, value_parser = parse_country)]
    pub country: HolidaySet,
    /// The year, 1900 to 2200.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=2200))]
    pub year: i32,
}

fn parse_country(text: &str) -> Result<HolidaySet, String> {
    HolidaySet::from_code(text)
        .ok_or_else(|| format!("unknown country {text:?} (expected DK or NO)"))
}

/// Runs a parsed command with the given standard streams.
pub fn run(
    cli: Cli,
    env: &Config,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut config = env.clone();
    if let Some(path) = cli.config {
        config.sla_config = Some(path);
    }
    match cli.command {
        Command::Deadline(args) if args.batch => {
            let sla = config.load_sla()?;
            run_batch(&sla, stdin, stdout)?;
        }
        Command::Deadline(args) => deadline::run(&args, &config, stdout)?,
        Command::Holidays(args) => holidays::run(&args, stdout)?,
        Command::Serve => service::serve(&config)?,
        Command::Migrate => service::migrate(&config, stdout)?,
        Command::Org(command) => service::org(&command, &config, stdout)?,
        Command::User(command) => service::user(&command, &config, stdin, stdout)?,
        Command::Token(command) => service::token(&command, &config, stdout)?,
        Command::Demo(args) => demo::run(&args, &config, stdout)?,
        Command::Report(args) => report::run(&args, &config, stdout)?,
    }
    Ok(())
}
