//! `frist serve`, `frist migrate`, and the set-up commands `org add`, `user add`,
//! `token add` (the first admin is made here, never by a default password).

use std::io::{BufRead, Read, Write};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::accounts;
use crate::auth::Role;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::db::{self, DbTarget};

/// `frist org`.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create a customer organization, optionally with a contract; prints its id.
    Add(OrgAddArgs),
}

/// `frist org add`.
#[derive(Debug, Args)]
pub struct OrgAddArgs {
    /// Unique name.
    #[arg(long)]
    pub name: String,
    /// IANA time zone (default: the provider's).
    #[arg(long)]
    pub timezone: Option<String>,
    /// Give it a contract on this policy (e.g. level-2), valid from now.
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<String>,
    /// With --policy: 24/7 on-call cover.
    #[arg(long, requires = "policy")]
    pub oncall_24x7: bool,
}

/// `frist user`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints the id.
    Add(UserAddArgs),
}

/// `frist user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// E-mail address (the sign-in name).
    #[arg(long)]
    pub email: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// customer, technician, manager or admin.
    #[arg(long)]
    pub role: Role,
    /// Organization id (default: the provider's, for staff).
    #[arg(long)]
    pub org: Option<i64>,
    /// Read the password from the first line of stdin (otherwise: API tokens only).
    #[arg(long)]
    pub password_stdin: bool,
}

/// `frist token`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue an API token for a user; prints the secret once.
    Add(TokenAddArgs),
}

/// `frist token add`.
#[derive(Debug, Args)]
pub struct TokenAddArgs {
    /// The user's e-mail.
    #[arg(long)]
    pub email: String,
    /// A label.
    #[arg(long, default_value = "cli")]
    pub name: String,
}

/// The configured database, migrated and bootstrapped, with the loaded SLA configuration.
pub(crate) fn open(config: &Config) -> anyhow::Result<(db::DbConn, crate::sla::Sla)> {
    let sla = config.load_sla()?;
    let target = DbTarget::parse(config.database_url.as_deref())?;
    let mut conn = db::connect(&target)
        .with_context(|| format!("opening the {} database", target.backend_name()))?;
    db::migrate(&mut conn)?;
    accounts::bootstrap(&mut conn, &sla, SystemClock.now())?;
    Ok((conn, sla))
}

/// `frist serve`: runs until SIGINT/SIGTERM, then finishes in-flight requests, stops
/// claiming work and releases its claims.
pub fn serve(config: &Config) -> anyhow::Result<()> {
    let state = crate::app::state(config, Arc::new(SystemClock))?;
    let worker = config.jobs.then(|| crate::jobs::deliver::Worker::from_config(config));
    let worker = worker.transpose()?;
    let state_filings = state.filings.clone();
    let mut running = crate::app::bind(&config.bind, state.clone(), config.workers)?;
    tracing::info!(addr = %running.addr, "frist listening");
    let server = running.take_server().context("server already taken")?;
    actix_web::rt::System::new().block_on(async move {
        let jobs = match worker {
            Some(worker) => Some(crate::jobs::Jobs::start(state, worker).await?),
            None => None,
        };
        let served = server.await;
        // Every accepted filing is answered by now; the writers end on an empty queue.
        state_filings.stop();
        if let Some(jobs) = jobs {
            jobs.stop().await;
        }
        served.map_err(anyhow::Error::from)
    })
}

/// `frist migrate`.
pub fn migrate(config: &Config, stdout: &mut dyn Write) -> anyhow::Result<()> {
    open(config)?;
    writeln!(stdout, "database is up to date")?;
    Ok(())
}

/// `frist org add`.
pub fn org(command: &OrgCommand, config: &Config, stdout: &mut dyn Write) -> anyhow::Result<()> {
    let OrgCommand::Add(args) = command;
    let (mut conn, sla) = open(config)?;
    let now = SystemClock.now();
    let zone = args.timezone.clone().unwrap_or_else(|| sla.provider.spec.timezone.clone());
    let id = accounts::add_organization(&mut conn, &args.name, &zone, false, now)?;
    if let Some(policy) = &args.policy {
        let found = db::policies::find_by_name(&mut conn, policy)?
            .with_context(|| format!("--policy: no policy named {policy:?}"))?;
        accounts::add_contract(
            &mut conn,
            &accounts::NewContract {
                organization_id: id,
                policy_id: found.id,
                oncall_24x7: args.oncall_24x7,
                valid_from: now,
                valid_to: None,
                notice_months: 3,
            },
            now,
        )?;
    }
    writeln!(stdout, "{id}")?;
    Ok(())
}

/// `frist user add`.
pub fn user(
    command: &UserCommand,
    config: &Config,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
) -> anyhow::Result<()> {
    let UserCommand::Add(args) = command;
    let (mut conn, _) = open(config)?;
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::BufReader::new(stdin).read_line(&mut line)?;
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    let organization_id = match args.org {
        Some(id) => id,
        None => db::organizations::provider(&mut conn)?.context("no provider organization")?.id,
    };
    let id = accounts::add_user(
        &mut conn,
        &accounts::NewUser {
            organization_id,
            email: &args.email,
            name: &args.name,
            role: args.role,
            password: password.as_deref(),
        },
        SystemClock.now(),
    )?;
    writeln!(stdout, "{id}")?;
    Ok(())
}

/// `frist token add`.
pub fn token(
    command: &TokenCommand,
    config: &Config,
    stdout: &mut dyn Write,
) -> anyhow::Result<()> {
    let TokenCommand::Add(args) = command;
    let (mut conn, _) = open(config)?;
    let user = db::users::find_by_email(&mut conn, &args.email)?
        .with_context(|| format!("--email: no user {:?}", args.email))?;
    let (_, token) = accounts::issue_api_token(&mut conn, user.id, &args.name, SystemClock.now())?;
    writeln!(stdout, "{token}")?;
    Ok(())
}
