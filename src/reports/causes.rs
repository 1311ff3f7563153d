//! Breach causes: why a clock breached, set by a manager after the fact. A cause annotates a
//! breach; it is not part of a month's snapshot (setting one changes no figure a customer
//! was sent), and each month's report counts the causes of its breaches.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::{self, DbConn};
use crate::sla::ClockKind;
use crate::tickets::{TicketError, transaction};

/// Why a clock breached.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Waiting on a supplier or another third party.
    ThirdParty,
    /// Filed with a severity that turned out wrong.
    SeverityMisjudged,
    /// Not enough people.
    Staffing,
    /// The customer could not be reached.
    CustomerUnreachable,
    /// Anything else (a note says what).
    Other,
}

impl Cause {
    /// Every cause, in display order.
    pub const ALL: [Cause; 5] = [
        Cause::ThirdParty,
        Cause::SeverityMisjudged,
        Cause::Staffing,
        Cause::CustomerUnreachable,
        Cause::Other,
    ];

    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::ThirdParty => "third_party",
            Cause::SeverityMisjudged => "severity_misjudged",
            Cause::Staffing => "staffing",
            Cause::CustomerUnreachable => "customer_unreachable",
            Cause::Other => "other",
        }
    }

    /// For people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Cause::ThirdParty => "Third party",
            Cause::SeverityMisjudged => "Severity misjudged",
            Cause::Staffing => "Staffing",
            Cause::CustomerUnreachable => "Customer unreachable",
            Cause::Other => "Other",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cause {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Cause::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            format!("unknown cause {s:?} (one of {})", Cause::ALL.map(Cause::as_str).join(", "))
        })
    }
}

/// A cause as set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CauseView {
    /// The cause.
    pub cause: Cause,
    /// Its label.
    pub label: &'static str,
    /// The note.
    pub note: String,
    /// Who set it.
    pub set_by: Option<i64>,
    /// When.
    pub set_at: DateTime<Utc>,
}

/// A run of a clock: (ticket, clock, start).
pub type RunKey = (i64, ClockKind, DateTime<Utc>);

/// What a manager sets.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCause {
    /// The ticket.
    pub ticket_id: i64,
    /// `response` or `fix_start`.
    #[schema(value_type = String)]
    pub clock: ClockKind,
    /// The run's start (as the report lists it).
    pub started_at: DateTime<Utc>,
    /// The cause.
    pub cause: Cause,
    /// Free text; required for `other`.
    #[serde(default)]
    pub note: String,
}

/// Sets the cause of a breached run (a manager's use case).
pub fn set(
    conn: &mut DbConn,
    request: &SetCause,
    by: i64,
    now: DateTime<Utc>,
) -> Result<CauseView, TicketError> {
    let note = request.note.trim();
    if request.cause == Cause::Other && note.is_empty() {
        return Err(TicketError::invalid("note", "says what the cause was when it is \"other\""));
    }
    if note.chars().count() > 2000 {
        return Err(TicketError::invalid("note", "must be at most 2000 characters"));
    }
    transaction(conn, |conn| {
        let ticket = db::tickets::find(conn, request.ticket_id, db::Scope::All)?
            .ok_or_else(|| TicketError::invalid("ticket_id", "no such ticket"))?;
        if !breached_run(conn, &ticket, request, now)? {
            return Err(TicketError::invalid(
                "started_at",
                format!(
                    "ticket {} has no breached {} clock that started then",
                    ticket.number, request.clock
                ),
            ));
        }
        db::reports::set_cause(
            conn,
            &db::reports::Cause {
                ticket_id: ticket.id,
                clock: request.clock.as_str().to_owned(),
                started_at: db::to_db(request.started_at),
                cause: request.cause.as_str().to_owned(),
                note: note.to_owned(),
                set_by: Some(by),
                set_at: db::to_db(now),
            },
        )?;
        Ok(CauseView {
            cause: request.cause,
            label: request.cause.label(),
            note: note.to_owned(),
            set_by: Some(by),
            set_at: now,
        })
    })
}

/// `true` when the ticket's run of `clock` that started at `started_at` (whole seconds) is
/// breached: met late, or unmet past its due instant.
fn breached_run(
    conn: &mut DbConn,
    ticket: &db::tickets::Ticket,
    request: &SetCause,
    now: DateTime<Utc>,
) -> Result<bool, TicketError> {
    let whole = |t: chrono::NaiveDateTime| db::from_db(t).timestamp();
    let wanted = request.started_at.timestamp();
    let met = db::report_month::met_of_ticket(conn, ticket.id)?;
    let late = met.iter().any(|run| {
        run.ticket_id == ticket.id
            && run.clock == request.clock.as_str()
            && whole(run.started_at) == wanted
            && run.met_at > run.due_at
    });
    if late {
        return Ok(true);
    }
    let (start, due, met_at) = match request.clock {
        ClockKind::Response => (ticket.reported_at, ticket.response_due_at, ticket.response_met_at),
        _ => (
            ticket.reopened_at.unwrap_or(ticket.reported_at),
            ticket.fix_start_due_at,
            ticket.fix_start_met_at,
        ),
    };
    Ok(whole(start) == wanted && met_at.is_none() && due.is_some_and(|d| db::from_db(d) < now))
}

/// The causes set on these tickets' runs.
pub fn of_tickets(
    conn: &mut DbConn,
    ticket_ids: &[i64],
) -> Result<HashMap<RunKey, CauseView>, TicketError> {
    let mut out = HashMap::new();
    for c in db::reports::causes_of(conn, ticket_ids)? {
        let (Ok(cause), Some(clock)) =
            (c.cause.parse::<Cause>(), ClockKind::ALL.into_iter().find(|k| k.as_str() == c.clock))
        else {
            continue;
        };
        let started = db::from_db(c.started_at);
        let started = DateTime::from_timestamp(started.timestamp(), 0).unwrap_or(started);
        out.insert(
            (c.ticket_id, clock, started),
            CauseView {
                cause,
                label: cause.label(),
                note: c.note,
                set_by: c.set_by,
                set_at: db::from_db(c.set_at),
            },
        );
    }
    Ok(out)
}
