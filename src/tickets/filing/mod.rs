//! Filing tickets, many per transaction. Each filing is *decided* on the reference rows
//! (filer, organization and contract, reporter, policy version, webhooks; cached under the
//! reference epoch, see [`reference`]): coverage and fee, deadlines, the first escalation
//! instant. Then the decided filings get their ids and numbers, their `created` (and
//! `fee_accepted`) events and their outbox messages, and are written together
//! ([`db::filings::write`]) — only if the epoch is still the one they were decided under;
//! otherwise they are decided again on fresh rows. A filing that is refused (a bad field, a
//! missing consent) is answered on its own and never holds up the others.
//!
//! [`queue`] runs this for HTTP requests, committing whatever arrived together; a single
//! filing ([`super::create::create`]) runs it for one.

pub mod queue;
pub mod reference;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::{Actor, Role};
use crate::db::filings::{FilingRows, IdReserve, WriteGate, Written};
use crate::db::organizations::Organization;
use crate::db::tickets::Ticket;
use crate::db::users::User;
use crate::db::webhooks::Webhook;
use crate::db::{self, DbConn};
use crate::sla::coverage::FeeQuote;
use crate::sla::{Money, Policy};

use super::create::{self, NewTicketRequest, Terms};
use super::deadlines::{self, Deadlines};
use super::events::EventKind;
use super::kinds::{Channel, Status};
use super::{Engine, TicketError, escalate, notices};

pub use reference::Reference;

/// Who files: a bearer token (checked again under the batch's epoch) or a known actor.
#[derive(Debug, Clone)]
pub enum Filer {
    /// The hash of the token the request came with.
    Token(String),
    /// An actor already established (CLI, demo, tests).
    Actor(Actor),
}

/// One filing to make.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Who files.
    pub filer: Filer,
    /// What they asked for.
    pub request: NewTicketRequest,
    /// When the request arrived.
    pub now: DateTime<Utc>,
}

/// A filed ticket, as stored, with its compiled policy.
#[derive(Debug, Clone)]
pub struct Filed {
    /// The ticket row.
    pub ticket: Ticket,
    /// Its policy version.
    pub policy: Arc<Policy>,
}

/// How often a batch is decided again after stale writes before it gives up (reference rows
/// changing faster than a batch can be written).
const MAX_ATTEMPTS: usize = 8;

/// Where a batch is written: the id reserve of the writer and the backend's write gate.
#[derive(Debug)]
pub struct Desk<'a> {
    /// Ids taken ahead.
    pub reserve: &'a mut IdReserve,
    /// Serialises writes where the backend needs it.
    pub gate: &'a WriteGate,
}

/// Files `submissions` together; one answer per submission, in order.
pub fn file_batch(
    conn: &mut DbConn,
    engine: &Engine,
    reference: &Reference,
    desk: &mut Desk<'_>,
    submissions: &[Submission],
) -> Vec<Result<Filed, TicketError>> {
    match try_batch(conn, engine, reference, desk, submissions) {
        Ok(answers) => answers,
        Err(_) if submissions.len() > 1 => {
            // One filing's row broke the shared write: file each on its own, so only that
            // one fails.
            submissions
                .iter()
                .flat_map(|s| file_batch(conn, engine, reference, desk, std::slice::from_ref(s)))
                .collect()
        }
        Err(error) => vec![Err(error)],
    }
}

fn try_batch(
    conn: &mut DbConn,
    engine: &Engine,
    reference: &Reference,
    desk: &mut Desk<'_>,
    submissions: &[Submission],
) -> Result<Vec<Result<Filed, TicketError>>, TicketError> {
    let mut epoch = reference.epoch(conn)?;
    for _ in 0..MAX_ATTEMPTS {
        let decided: Vec<Result<Decided, TicketError>> =
            submissions.iter().map(|s| decide(conn, engine, reference, epoch, s)).collect();
        let count = decided.iter().filter(|d| d.is_ok()).count();
        let ids = desk.reserve.take(conn, desk.gate, count)?;
        let mut ids_left = ids.iter();
        let mut rows = Vec::new();
        let answers: Vec<Result<Filed, TicketError>> = decided
            .into_iter()
            .map(|decided| {
                let decided = decided?;
                let id = *ids_left.next().ok_or(TicketError::Conflict("no id left".into()))?;
                let filing = render(engine, &decided, id)?;
                let filed = Filed { ticket: filing.ticket.clone(), policy: decided.policy };
                rows.push(filing);
                Ok(filed)
            })
            .collect();
        match db::filings::write(conn, desk.gate, desk.reserve, epoch, &rows) {
            Ok(Written::Stored) => return Ok(answers),
            Ok(Written::Stale) => {
                desk.reserve.give_back(ids);
                epoch = reference.renew(conn)?;
            }
            Err(e) => {
                if !db::is_unavailable(&e) {
                    // Nothing was written; the ids can go to the next filings.
                    desk.reserve.give_back(ids);
                }
                return Err(e.into());
            }
        }
    }
    Err(TicketError::Conflict("reference data kept changing; file again".into()))
}

/// A filing decided on the reference rows, waiting for its id.
struct Decided {
    actor: Actor,
    organization: Organization,
    reporter: Arc<User>,
    channel: Channel,
    reported_at: DateTime<Utc>,
    terms: Terms,
    policy: Arc<Policy>,
    quote: FeeQuote,
    fee: Option<Money>,
    deadlines: Deadlines,
    next_escalation_at: Option<DateTime<Utc>>,
    oncall: Vec<User>,
    webhooks: Arc<Vec<Webhook>>,
    request: NewTicketRequest,
    now: DateTime<Utc>,
}

/// The actor a filer stands for under `epoch`; a token that no longer admits anyone is
/// refused as unauthenticated.
fn actor(
    conn: &mut DbConn,
    reference: &Reference,
    epoch: i64,
    filer: &Filer,
    now: DateTime<Utc>,
) -> Result<Actor, TicketError> {
    match filer {
        Filer::Actor(actor) => Ok(actor.clone()),
        Filer::Token(hash) => {
            let holder = reference.holder(conn, epoch, hash)?;
            let holder = holder.filter(|h| h.admits(db::to_db(now)));
            let holder = holder.ok_or(TicketError::Unauthenticated)?;
            let role: Role =
                holder.user.role.parse().map_err(|_| TicketError::NotFound("user role"))?;
            let user = &holder.user;
            Ok(Actor { user_id: user.id, organization_id: user.organization_id, role })
        }
    }
}

fn decide(
    conn: &mut DbConn,
    engine: &Engine,
    reference: &Reference,
    epoch: i64,
    submission: &Submission,
) -> Result<Decided, TicketError> {
    let Submission { filer, request, now } = submission;
    let now = *now;
    let actor = actor(conn, reference, epoch, filer, now)?;
    create::validate_text(request)?;
    let organization_id = create::organization_id(&actor, request)?;
    let terms_of = reference.organization(conn, epoch, organization_id)?;
    let terms_of = create::check_organization(&actor, organization_id, terms_of)?;
    let reporter_id = request.reporter_id.unwrap_or(actor.user_id);
    let reporter = reference.user(conn, epoch, reporter_id)?;
    let reporter = create::check_reporter(&actor, request, organization_id, reporter)?;
    let channel = create::channel(&actor, request)?;
    let reported_at = create::reported_at(&actor, request, channel, now)?;

    let terms = match terms_of.in_force(db::to_db(reported_at)) {
        Some((contract, version)) => Terms {
            contract_id: Some(contract.id),
            oncall_24x7: contract.oncall_24x7,
            policy_version_id: *version,
        },
        None => {
            let basic = &engine.provider().spec.basic_policy;
            let version = reference.latest_version(conn, epoch, basic)?;
            let version = version.ok_or(TicketError::NotFound("basic policy"))?;
            Terms { contract_id: None, oncall_24x7: false, policy_version_id: version }
        }
    };
    let policy = engine.policy_version(conn, terms.policy_version_id)?;
    let quote = create::quote(engine, &policy, &terms, reported_at)?;
    let fee = create::fee(&quote, request)?;
    let history = create::fresh_history(reported_at, request.severity, request.category);
    let deadlines = deadlines::stamp(engine.sla(), &policy, &history, now)
        .map_err(|e| TicketError::time("reported_at", e))?;
    let thresholds = deadlines::thresholds(engine.sla(), &policy, &history, now)
        .map_err(|e| TicketError::time("reported_at", e))?;
    // Read fresh, not cached (it depends on the hour); the epoch covers roster changes.
    let oncall = match fee {
        Some(_) => notices::on_call_or_managers(conn, now)?,
        None => Vec::new(),
    };
    Ok(Decided {
        actor,
        organization: terms_of.organization.clone(),
        reporter,
        channel,
        reported_at,
        terms,
        policy,
        quote,
        fee,
        deadlines,
        next_escalation_at: escalate::next_instant(&thresholds),
        oncall,
        webhooks: reference.webhooks(conn, epoch)?,
        request: request.clone(),
        now,
    })
}

/// The rows of a decided filing numbered `id`.
fn render(engine: &Engine, d: &Decided, id: i64) -> Result<FilingRows, TicketError> {
    let at = db::to_db(d.now);
    let year = d.reported_at.with_timezone(&engine.provider().timezone).format("%Y");
    let fee = d.fee.as_ref();
    let ticket = Ticket {
        id,
        number: format!("T-{year}-{id:06}"),
        organization_id: d.organization.id,
        reporter_id: d.reporter.id,
        assignee_id: None,
        contract_id: d.terms.contract_id,
        policy_version_id: d.terms.policy_version_id,
        title: d.request.title.trim().to_owned(),
        description: d.request.description.clone(),
        severity: d.request.severity.as_str().to_owned(),
        category: d.request.category.as_str().to_owned(),
        channel: d.channel.as_str().to_owned(),
        status: Status::Open.as_str().to_owned(),
        reported_at: db::to_db(d.reported_at),
        created_at: at,
        updated_at: at,
        out_of_hours: d.quote.out_of_hours(),
        oncall_now: fee.is_some(),
        fee_minor: fee.map(|f| f.minor),
        fee_currency: fee.map(|f| f.currency.clone()),
        fee_accepted_by: fee.map(|_| d.actor.user_id),
        fee_accepted_at: fee.map(|_| at),
        response_due_at: d.deadlines.response_due_at.map(db::to_db),
        response_met_at: None,
        fix_start_due_at: d.deadlines.fix_start_due_at.map(db::to_db),
        fix_start_met_at: None,
        resolve_due_at: d.deadlines.resolve_due_at.map(db::to_db),
        resolved_at: None,
        closed_at: None,
        reopened_at: None,
        next_due_at: d.deadlines.next_due_at.map(db::to_db),
        next_escalation_at: d.next_escalation_at.map(db::to_db),
    };
    let created = serde_json::json!({
        "policy": d.policy.name,
        "policy_version_id": d.terms.policy_version_id,
        "reported_at": d.reported_at,
        "coverage": d.quote.coverage,
        "next_opening": d.quote.next_opening,
        "out_of_hours_choice": d.request.out_of_hours_choice.filter(|_| d.quote.out_of_hours()),
        "deadlines": d.deadlines,
    });
    let mut events = vec![event(id, d, EventKind::Created, created)];
    if let Some(fee) = fee {
        let accepted =
            serde_json::json!({"fee": fee, "accepted_by": d.actor.user_id, "accepted_at": d.now});
        events.push(event(id, d, EventKind::FeeAccepted, accepted));
    }
    let audience = notices::Audience {
        organization: &d.organization,
        reporter: &d.reporter,
        oncall: &d.oncall,
        webhooks: &d.webhooks,
    };
    let messages =
        notices::ticket_created(engine, &ticket, &audience, Some(d.quote.next_opening), d.now)?;
    Ok(FilingRows { ticket, events, messages })
}

fn event(
    ticket_id: i64,
    d: &Decided,
    kind: EventKind,
    data: serde_json::Value,
) -> db::events::NewEvent<'static> {
    db::events::NewEvent {
        ticket_id,
        at: db::to_db(d.now),
        actor_id: Some(d.actor.user_id),
        kind: kind.as_str(),
        public: kind.is_public(),
        body: None,
        data: Some(data.to_string()),
    }
}
