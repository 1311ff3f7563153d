//! Filing a ticket: the request, the rules that decide it (who may file for whom, back-dating,
//! the policy version from the contract in force, coverage and the start-up fee only with
//! recorded consent) and the fee preview. [`super::filing`] applies them and writes the
//! ticket with its events and receipt in one transaction.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::db::{self, DbConn};
use crate::sla::coverage::{self, FeeQuote, OutOfHoursChoice};
use crate::sla::{Money, Policy, Severity};

use crate::db::users::User;

use super::deadlines::{self, History};
use super::filing::{self, reference::OrganizationTerms};
use super::kinds::{Category, Channel};
use super::{Engine, TicketError};

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
    preview_under(engine, &policy, &terms, severity, category, now)
}

/// [`preview`] under terms and their policy already read.
pub fn preview_under(
    engine: &Engine,
    policy: &Policy,
    terms: &Terms,
    severity: Severity,
    category: Category,
    now: DateTime<Utc>,
) -> Result<FeePreview, TicketError> {
    let quote = quote(engine, policy, terms, now)?;
    let history = fresh_history(now, severity, category);
    let deadlines = deadlines::stamp(engine.sla(), policy, &history, now)
        .map_err(|e| TicketError::time("reported_at", e))?;
    Ok(FeePreview {
        quote,
        policy: policy.name.clone(),
        deadlines,
        oncall_phone: engine.provider().spec.oncall_phone.clone(),
    })
}

pub(super) fn quote(
    engine: &Engine,
    policy: &Policy,
    terms: &Terms,
    at: DateTime<Utc>,
) -> Result<FeeQuote, TicketError> {
    coverage::quote(&policy.calendar, terms.oncall_24x7, at, &engine.provider().startup_fee())
        .map_err(|e| TicketError::time("reported_at", e))
}

pub(super) fn fresh_history(
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

/// Files a ticket for `actor` in a transaction of its own; returns it as stored.
pub fn create(
    conn: &mut DbConn,
    engine: &Engine,
    actor: &Actor,
    request: &NewTicketRequest,
    now: DateTime<Utc>,
) -> Result<db::tickets::Ticket, TicketError> {
    let submission = filing::Submission {
        filer: filing::Filer::Actor(actor.clone()),
        request: request.clone(),
        now,
    };
    let reference = filing::Reference::new();
    let mut reserve = db::filings::IdReserve::new(1);
    let gate = db::filings::WriteGate::open();
    let mut desk = filing::Desk { reserve: &mut reserve, gate: &gate };
    let mut answers =
        filing::file_batch(conn, engine, &reference, &mut desk, std::slice::from_ref(&submission));
    match answers.pop() {
        Some(answer) => answer.map(|filed| filed.ticket),
        None => Err(TicketError::Conflict("the filing was not written".into())),
    }
}

pub(super) fn validate_text(request: &NewTicketRequest) -> Result<(), TicketError> {
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

/// The organization the ticket is for: the customer's own, or the one staff name.
pub(super) fn organization_id(
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
    request
        .organization_id
        .ok_or_else(|| TicketError::invalid("organization_id", "required when staff file a ticket"))
}

/// The organization as found: staff must name a customer organization that exists.
pub(super) fn check_organization<T: std::ops::Deref<Target = OrganizationTerms>>(
    actor: &Actor,
    id: i64,
    found: Option<T>,
) -> Result<T, TicketError> {
    match found {
        Some(org) if !org.organization.is_provider || !actor.is_staff() => Ok(org),
        Some(_) => Err(TicketError::invalid("organization_id", "must be a customer organization")),
        None if actor.is_staff() => {
            Err(TicketError::invalid("organization_id", format!("no organization {id}")))
        }
        None => Err(TicketError::NotFound("organization")),
    }
}

/// The reporter as found: the filer, or (staff only) a user of the organization.
pub(super) fn check_reporter<T: std::ops::Deref<Target = User>>(
    actor: &Actor,
    request: &NewTicketRequest,
    organization_id: i64,
    found: Option<T>,
) -> Result<T, TicketError> {
    match request.reporter_id {
        None => found.ok_or(TicketError::NotFound("user")),
        Some(_) if !actor.is_staff() => {
            Err(TicketError::invalid("reporter_id", "only staff may file for someone else"))
        }
        Some(id) => match found {
            Some(user) if user.organization_id == organization_id => Ok(user),
            _ => Err(TicketError::invalid(
                "reporter_id",
                format!("no user {id} in organization {organization_id}"),
            )),
        },
    }
}

pub(super) fn channel(actor: &Actor, request: &NewTicketRequest) -> Result<Channel, TicketError> {
    match (actor.is_staff(), request.channel) {
        (true, None) => Ok(Channel::Phone),
        (false, None) => Ok(Channel::Portal),
        (false, Some(Channel::Phone)) => {
            Err(TicketError::invalid("channel", "phone tickets are logged by a technician"))
        }
        (_, Some(channel)) => Ok(channel),
    }
}

pub(super) fn reported_at(
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
pub(super) fn fee(
    quote: &FeeQuote,
    request: &NewTicketRequest,
) -> Result<Option<Money>, TicketError> {
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
