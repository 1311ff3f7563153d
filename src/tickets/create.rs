//! Filing a ticket: choose the policy version from the contract in force, decide coverage
//! and the start-up fee (only with recorded consent), stamp the deadlines and the first
//! escalation instant, number it, write the `created` (and `fee_accepted`) events and queue
//! the receipt — in one transaction.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::db::{self, DbConn};
use crate::sla::coverage::{self, FeeQuote, OutOfHoursChoice};
use crate::sla::{Money, Policy, Severity};

use super::deadlines::{self, History};
use super::events::{self, EventKind};
use super::kinds::{Category, Channel, Status};
use super::{Engine, TicketError, escalate, notices, transaction};

/// How far back a technician may date a phone ticket.
pub const MAX_BACKDATE_HOURS: i64 = 72;
/// Longest title.
pub const MAX_TITLE: usize = 200;
/// Longest description or comment.
pub const MAX_TEXT: usize = 20_000;

/// A request to file a ticket. Unknown fields are refused, so nobody can set the
/// organization, deadlines or timestamps by adding them.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketRequest {
    /// Short title (1–200 characters).
    pub title: String,
    /// What is wrong (up to 20 000 characters).
    #[serde(default)]
    pub description: String,
    /// `critical`, `serious` or `normal`.
    #[schema(value_type = String)]
    pub severity: Severity,
    /// `outage` (a service the provider runs), `customer_outage`, `functional_fault`,
    /// `question`, `other`.
    pub category: Category,
    /// Staff only: the customer organization.
    #[serde(default)]
    pub organization_id: Option<i64>,
    /// Staff only: the customer's user who reported it (default: the staff member).
    #[serde(default)]
    pub reporter_id: Option<i64>,
    /// How it came in; customers `portal` (default), `email` or `api`; staff `phone` (default).
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Staff, phone tickets only: back-date the clocks to the call (never forward).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reported_at: Option<DateTime<Utc>>,
    /// Required when filed out of hours: `wait` or `oncall_now`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub out_of_hours_choice: Option<OutOfHoursChoice>,
    /// With `oncall_now`: the fee as shown, accepted by the filer.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub fee_consent: Option<Money>,
}

/// Where a new ticket's clocks come from.
#[derive(Debug, Clone)]
pub struct Terms {
    /// The contract in force (`None`: basic policy).
    pub contract_id: Option<i64>,
    /// 24/7 cover.
    pub oncall_24x7: bool,
    /// Stored version.
    pub policy_version_id: i64,
}

/// What filing now would mean: coverage, next opening, fee and deadlines.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeePreview {
    /// Inside the window, 24/7 cover, or out of hours.
    #[schema(value_type = Object)]
    pub quote: FeeQuote,
    /// The policy.
    pub policy: String,
    /// Deadlines if the filer waits (the clocks start at the next opening).
    #[schema(value_type = Object)]
    pub deadlines: deadlines::Deadlines,
    /// The on-call phone number.
    pub oncall_phone: String,
}

/// The contract in force for `organization_id` at `at` and its current policy version.
pub fn terms(
    conn: &mut DbConn,
    engine: &Engine,
    organization_id: i64,
    at: DateTime<Utc>,
) -> Result<Terms, TicketError> {
    if let Some((contract, policy_version_id)) =
        db::contracts::in_force_with_version(conn, organization_id, db::to_db(at))?
    {
        return Ok(Terms {
            contract_id: Some(contract.id),
            oncall_24x7: contract.oncall_24x7,
            policy_version_id,
        });
    }
    let name = &engine.provider().spec.basic_policy;
    let basic =
        db::policies::find_by_name(conn, name)?.ok_or(TicketError::NotFound("basic policy"))?;
    let policy_version_id = db::policies::latest_version_id(conn, basic.id)?
        .ok_or(TicketError::NotFound("policy version"))?;
    Ok(Terms { contract_id: None, oncall_24x7: false, policy_version_id })
}

/// Coverage and deadlines if `actor`'s organization (or `organization_id`, for staff) filed
/// now with `severity` and `category`.
pub fn preview(
    conn: &mut DbConn,
    engine: &Engine,
    organization_id: i64,
    severity: Severity,
    category: Category,
    now: DateTime<Utc>,
) -> Result<FeePreview, TicketError> {
    let terms = terms(conn, engine, organization_id, now)?;
    let policy = engine.policy_version(conn, terms.policy_version_id)?;
    let quote = quote(engine, &policy, &terms, now)?;
    let history = fresh_history(now, severity, category);
    let deadlines = deadlines::stamp(engine.sla(), &policy, &history, now)
        .map_err(|e| TicketError::time("reported_at", e))?;
    Ok(FeePreview {
        quote,
        policy: policy.name.clone(),
        deadlines,
        oncall_phone: engine.provider().spec.oncall_phone.clone(),
    })
}

fn quote(
    engine: &Engine,
    policy: &Policy,
    terms: &Terms,
    at: DateTime<Utc>,
) -> Result<FeeQuote, TicketError> {
    coverage::quote(&policy.calendar, terms.oncall_24x7, at, &engine.provider().startup_fee())
        .map_err(|e| TicketError::time("reported_at", e))
}

fn fresh_history(
    reported_at: DateTime<Utc>,
    severity: Severity,
    category: Category,
) -> History<'static> {
    History {
        reported_at,
        severity,
        provider_owned_outage: category == Category::Outage,
        reopened_at: None,
        pauses: &[],
        response_met_at: None,
        fix_start_met_at: None,
        resolved_at: None,
        active: true,
    }
}

/// Files a ticket for `actor`; returns it as stored.
pub fn create(
    conn: &mut DbConn,
    engine: &Engine,
    actor: &Actor,
    request: &NewTicketRequest,
    now: DateTime<Utc>,
) -> Result<db::tickets::Ticket, TicketError> {
    validate_text(request)?;
    transaction(conn, |conn| {
        let organization_id = organization(conn, actor, request)?;
        let reporter_id = reporter(conn, actor, request, organization_id)?;
        let channel = channel(actor, request)?;
        let reported_at = reported_at(actor, request, channel, now)?;

        let terms = terms(conn, engine, organization_id, reported_at)?;
        let policy = engine.policy_version(conn, terms.policy_version_id)?;
        let quote = quote(engine, &policy, &terms, reported_at)?;
        let fee = fee(&quote, request)?;
        let history = fresh_history(reported_at, request.severity, request.category);
        let deadlines = deadlines::stamp(engine.sla(), &policy, &history, now)
            .map_err(|e| TicketError::time("reported_at", e))?;
        let thresholds = deadlines::thresholds(engine.sla(), &policy, &history, now)
            .map_err(|e| TicketError::time("reported_at", e))?;

        let placeholder = format!("pending-{}", crate::auth::secret::generate().1);
        let at = db::to_db(now);
        let id = db::tickets::insert(
            conn,
            &db::tickets::NewTicket {
                number: &placeholder,
                organization_id,
                reporter_id,
                assignee_id: None,
                contract_id: terms.contract_id,
                policy_version_id: terms.policy_version_id,
                title: request.title.trim(),
                description: &request.description,
                severity: request.severity.as_str(),
                category: request.category.as_str(),
                channel: channel.as_str(),
                status: Status::Open.as_str(),
                reported_at: db::to_db(reported_at),
                created_at: at,
                updated_at: at,
                out_of_hours: quote.out_of_hours(),
                oncall_now: fee.is_some(),
                fee_minor: fee.as_ref().map(|f| f.minor),
                fee_currency: fee.as_ref().map(|f| f.currency.as_str()),
                fee_accepted_by: fee.as_ref().map(|_| actor.user_id),
                fee_accepted_at: fee.as_ref().map(|_| at),
                response_due_at: deadlines.response_due_at.map(db::to_db),
                fix_start_due_at: deadlines.fix_start_due_at.map(db::to_db),
                resolve_due_at: deadlines.resolve_due_at.map(db::to_db),
                next_due_at: deadlines.next_due_at.map(db::to_db),
                next_escalation_at: escalate::next_instant(&thresholds).map(db::to_db),
            },
        )?;
        let year = reported_at.with_timezone(&engine.provider().timezone).format("%Y");
        let ticket = db::tickets::set_number(conn, id, &format!("T-{year}-{id:06}"))?;
        events::record(
            conn,
            id,
            now,
            Some(actor.user_id),
            EventKind::Created,
            None,
            Some(serde_json::json!({
                "policy": policy.name,
                "policy_version_id": terms.policy_version_id,
                "reported_at": reported_at,
                "coverage": quote.coverage,
                "next_opening": quote.next_opening,
                "out_of_hours_choice": request.out_of_hours_choice.filter(|_| quote.out_of_hours()),
                "deadlines": deadlines,
            })),
        )?;
        if let Some(fee) = &fee {
            events::record(
                conn,
                id,
                now,
                Some(actor.user_id),
                EventKind::FeeAccepted,
                None,
                Some(
                    serde_json::json!({"fee": fee, "accepted_by": actor.user_id, "accepted_at": now}),
                ),
            )?;
        }
        notices::ticket_created(conn, engine, &ticket, Some(quote.next_opening), now)?;
        Ok(ticket)
    })
}

fn validate_text(request: &NewTicketRequest) -> Result<(), TicketError> {
    let title = request.title.trim();
    if title.is_empty() {
        return Err(TicketError::invalid("title", "must not be empty"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(TicketError::invalid(
            "title",
            format!("must be at most {MAX_TITLE} characters"),
        ));
    }
    if request.description.chars().count() > MAX_TEXT {
        return Err(TicketError::invalid(
            "description",
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

fn organization(
    conn: &mut DbConn,
    actor: &Actor,
    request: &NewTicketRequest,
) -> Result<i64, TicketError> {
    if !actor.is_staff() {
        if request.organization_id.is_some_and(|id| id != actor.organization_id) {
            return Err(TicketError::invalid(
                "organization_id",
                "customers file for their own organization",
            ));
        }
        return Ok(actor.organization_id);
    }
    let id = request.organization_id.ok_or_else(|| {
        TicketError::invalid("organization_id", "required when staff file a ticket")
    })?;
    match db::organizations::find(conn, id)? {
        Some(org) if !org.is_provider => Ok(org.id),
        Some(_) => Err(TicketError::invalid("organization_id", "must be a customer organization")),
        None => Err(TicketError::invalid("organization_id", format!("no organization {id}"))),
    }
}

fn reporter(
    conn: &mut DbConn,
    actor: &Actor,
    request: &NewTicketRequest,
    organization_id: i64,
) -> Result<i64, TicketError> {
    match request.reporter_id {
        None => Ok(actor.user_id),
        Some(_) if !actor.is_staff() => {
            Err(TicketError::invalid("reporter_id", "only staff may file for someone else"))
        }
        Some(id) => match db::users::find(conn, id, Some(organization_id))? {
            Some(user) => Ok(user.id),
            None => Err(TicketError::invalid(
                "reporter_id",
                format!("no user {id} in organization {organization_id}"),
            )),
        },
    }
}

fn channel(actor: &Actor, request: &NewTicketRequest) -> Result<Channel, TicketError> {
    match (actor.is_staff(), request.channel) {
        (true, None) => Ok(Channel::Phone),
        (false, None) => Ok(Channel::Portal),
        (false, Some(Channel::Phone)) => {
            Err(TicketError::invalid("channel", "phone tickets are logged by a technician"))
        }
        (_, Some(channel)) => Ok(channel),
    }
}

fn reported_at(
    actor: &Actor,
    request: &NewTicketRequest,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, TicketError> {
    let Some(at) = request.reported_at else { return Ok(now) };
    if !actor.is_staff() {
        return Err(TicketError::invalid("reported_at", "only a technician may set it"));
    }
    if channel != Channel::Phone {
        return Err(TicketError::invalid(
            "reported_at",
            "only phone tickets are back-dated to the call",
        ));
    }
    if at > now {
        return Err(TicketError::invalid(
            "reported_at",
            format!("{at} is in the future; back-date only"),
        ));
    }
    if now - at > Duration::hours(MAX_BACKDATE_HOURS) {
        return Err(TicketError::invalid(
            "reported_at",
            format!("{at} is more than {MAX_BACKDATE_HOURS} h ago"),
        ));
    }
    Ok(at.trunc_subsecs(0))
}

/// The fee to charge: only out of hours, only with `oncall_now`, only with consent to the
/// exact amount quoted.
fn fee(quote: &FeeQuote, request: &NewTicketRequest) -> Result<Option<Money>, TicketError> {
    let Some(quoted) = &quote.oncall_fee else { return Ok(None) };
    let choice = request.out_of_hours_choice.ok_or_else(|| {
        TicketError::invalid(
            "out_of_hours_choice",
            format!(
                "filed out of hours: choose \"wait\" (no fee; clocks start at the next opening, {}) \
                 or \"oncall_now\" (start-up fee {quoted} excl. VAT)",
                quote.next_opening.format("%Y-%m-%dT%H:%M:%SZ"),
            ),
        )
    })?;
    match (choice, &request.fee_consent) {
        (OutOfHoursChoice::Wait, _) => Ok(None),
        (OutOfHoursChoice::OncallNow, Some(consent)) if consent == quoted => {
            Ok(Some(quoted.clone()))
        }
        (OutOfHoursChoice::OncallNow, Some(consent)) => Err(TicketError::invalid(
            "fee_consent",
            format!("accepted {consent}, but the start-up fee is {quoted}"),
        )),
        (OutOfHoursChoice::OncallNow, None) => Err(TicketError::invalid(
            "fee_consent",
            format!("required with oncall_now: accept the start-up fee {quoted} excl. VAT"),
        )),
    }
}
