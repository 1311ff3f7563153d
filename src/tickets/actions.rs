//! The lifecycle after filing: replies, notes, fix start, waiting and resuming, resolving,
//! reopening, closing, severity, assignment and contract changes. Each is one transaction
//! that loads the ticket within the caller's scope (so another organization's ticket is
//! "not found"), checks role and state, changes it, recomputes the deadlines from the
//! ticket's whole history when they can move, and writes its events.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::{Actor, Role};
use crate::db::tickets::{Ticket, TicketState};
use crate::db::{self, DbConn};
use crate::sla::Severity;
use crate::sla::clock::Pause;

use super::create::MAX_TEXT;
use super::deadlines::{self, Deadlines, History};
use super::events::{self, EventKind};
use super::kinds::{Category, Status, parse_stored};
use super::notices::{self, Change};
use super::{Engine, TicketError, escalate, met, transaction};

/// A lifecycle action, as the API accepts it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// A reply the customer sees; a technician's first one meets the response clock; a
    /// customer's reply to a ticket waiting on them resumes it.
    Reply {
        /// Text.
        body: String,
    },
    /// A note for staff only.
    Note {
        /// Text.
        body: String,
    },
    /// Fix started: meets the fix-start clock.
    StartFix,
    /// Waiting on the customer: running clocks pause.
    Wait,
    /// Clocks run again; deadlines move by the paused business time.
    Resume,
    /// Fixed.
    Resolve,
    /// Not fixed after all: fix start runs again from now.
    Reopen,
    /// Done for good.
    Close,
    /// New severity: deadlines recomputed from `reported_at`.
    ChangeSeverity {
        /// The new severity.
        #[schema(value_type = String)]
        severity: Severity,
    },
    /// New assignee (`null` unassigns).
    Assign {
        /// A staff user, or `null`.
        user_id: Option<i64>,
    },
    /// Another contract of the same organization: deadlines recomputed from `reported_at`
    /// under its policy's current version.
    ChangeContract {
        /// The contract.
        contract_id: i64,
    },
}

impl Action {
    /// The action's name as written in the API.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Action::Reply { .. } => "reply",
            Action::Note { .. } => "note",
            Action::StartFix => "start_fix",
            Action::Wait => "wait",
            Action::Resume => "resume",
            Action::Resolve => "resolve",
            Action::Reopen => "reopen",
            Action::Close => "close",
            Action::ChangeSeverity { .. } => "change_severity",
            Action::Assign { .. } => "assign",
            Action::ChangeContract { .. } => "change_contract",
        }
    }
}

/// One ticket being changed inside a transaction.
struct Work<'a> {
    conn: &'a mut DbConn,
    engine: &'a Engine,
    actor: &'a Actor,
    now: DateTime<Utc>,
    ticket: Ticket,
    state: TicketState,
    /// What the reporting customer is to hear of, once the change is written.
    notices: Vec<(Change, Option<String>)>,
}

/// Applies `action` to ticket `ticket_id` for `actor` at `now`.
pub fn apply(
    conn: &mut DbConn,
    engine: &Engine,
    actor: &Actor,
    ticket_id: i64,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<(), TicketError> {
    transaction(conn, |conn| {
        let ticket = db::tickets::find_for_update(conn, ticket_id, actor.scope())?
            .ok_or(TicketError::NotFound("ticket"))?;
        let state = ticket.state();
        let mut work = Work { conn, engine, actor, now, ticket, state, notices: Vec::new() };
        match action {
            Action::Reply { body } => work.reply(body)?,
            Action::Note { body } => work.note(body)?,
            Action::StartFix => work.start_fix()?,
            Action::Wait => work.wait()?,
            Action::Resume => work.resume(None)?,
            Action::Resolve => work.resolve()?,
            Action::Reopen => work.reopen()?,
            Action::Close => work.close()?,
            Action::ChangeSeverity { severity } => work.change_severity(*severity)?,
            Action::Assign { user_id } => work.assign(*user_id)?,
            Action::ChangeContract { contract_id } => work.change_contract(*contract_id)?,
        }
        work.state.updated_at = db::to_db(now);
        db::tickets::update_state(work.conn, work.ticket.id, &work.state)?;
        if !work.notices.is_empty() {
            let current = work.ticket.with_state(&work.state);
            for (change, message) in &work.notices {
                notices::ticket_changed(
                    work.conn,
                    engine,
                    &current,
                    *change,
                    message.as_deref(),
                    now,
                )?;
            }
        }
        Ok(())
    })
}

impl Work<'_> {
    fn status(&self) -> Result<Status, TicketError> {
        parse_stored("status", &self.state.status)
    }

    fn require_staff(&self, what: &str) -> Result<(), TicketError> {
        if self.actor.is_staff() {
            Ok(())
        } else {
            Err(TicketError::Forbidden(format!("only staff may {what}")))
        }
    }

    fn require_status(&self, allowed: &[Status], what: &str) -> Result<Status, TicketError> {
        let status = self.status()?;
        if allowed.contains(&status) {
            Ok(status)
        } else {
            Err(TicketError::Conflict(format!(
                "cannot {what} a ticket that is {}",
                status.as_str()
            )))
        }
    }

    fn event(
        &mut self,
        kind: EventKind,
        body: Option<&str>,
        data: Option<serde_json::Value>,
    ) -> Result<(), TicketError> {
        events::record(
            self.conn,
            self.ticket.id,
            self.now,
            Some(self.actor.user_id),
            kind,
            body,
            data,
        )
    }

    fn set_status(&mut self, to: Status) -> Result<(), TicketError> {
        let from = self.state.status.clone();
        self.state.status = to.as_str().to_owned();
        self.event(
            EventKind::StatusChanged,
            None,
            Some(serde_json::json!({"from": from, "to": to.as_str()})),
        )
    }

    fn reply(&mut self, body: &str) -> Result<(), TicketError> {
        let body = text("body", body)?;
        let status = self.require_status(
            &[Status::Open, Status::WaitingOnCustomer, Status::Resolved],
            "reply to",
        )?;
        self.event(EventKind::CommentPublic, Some(body), None)?;
        if self.actor.is_staff() {
            self.notify(Change::Responded, Some(body));
            if self.state.response_met_at.is_none() && status != Status::Resolved {
                self.state.response_met_at = Some(db::to_db(self.now));
                self.recompute("response met by the first public reply")?;
            }
        } else if status == Status::WaitingOnCustomer {
            self.resume(Some("the customer replied"))?;
        }
        Ok(())
    }

    fn note(&mut self, body: &str) -> Result<(), TicketError> {
        self.require_staff("write internal notes")?;
        let body = text("body", body)?;
        self.require_status(
            &[Status::Open, Status::WaitingOnCustomer, Status::Resolved],
            "add a note to",
        )?;
        self.event(EventKind::CommentInternal, Some(body), None)
    }

    fn start_fix(&mut self) -> Result<(), TicketError> {
        self.require_staff("start the fix")?;
        self.require_status(&[Status::Open], "start the fix on")?;
        if self.state.fix_start_met_at.is_some() {
            return Err(TicketError::Conflict("the fix has already started".into()));
        }
        self.state.fix_start_met_at = Some(db::to_db(self.now));
        self.event(EventKind::FixStarted, None, None)?;
        self.notify(Change::FixStarted, None);
        self.recompute("fix started")
    }

    fn wait(&mut self) -> Result<(), TicketError> {
        self.require_staff("wait on the customer")?;
        self.require_status(&[Status::Open], "wait on the customer for")?;
        db::pauses::open(self.conn, self.ticket.id, db::to_db(self.now), Some(self.actor.user_id))?;
        self.set_status(Status::WaitingOnCustomer)?;
        self.event(EventKind::Paused, None, None)?;
        self.notify(Change::WaitingOnYou, None);
        self.recompute("waiting on the customer: running clocks paused")
    }

    fn resume(&mut self, reason: Option<&str>) -> Result<(), TicketError> {
        if reason.is_none() {
            self.require_staff("resume the clocks")?;
        }
        self.require_status(&[Status::WaitingOnCustomer], "resume")?;
        db::pauses::close(
            self.conn,
            self.ticket.id,
            db::to_db(self.now),
            Some(self.actor.user_id),
        )?;
        self.set_status(Status::Open)?;
        self.event(EventKind::Resumed, reason, None)?;
        self.recompute(reason.unwrap_or("resumed: deadlines moved by the paused business time"))
    }

    fn resolve(&mut self) -> Result<(), TicketError> {
        self.require_staff("resolve tickets")?;
        let status = self.require_status(&[Status::Open, Status::WaitingOnCustomer], "resolve")?;
        if status == Status::WaitingOnCustomer {
            db::pauses::close(
                self.conn,
                self.ticket.id,
                db::to_db(self.now),
                Some(self.actor.user_id),
            )?;
        }
        self.state.resolved_at = Some(db::to_db(self.now));
        self.set_status(Status::Resolved)?;
        self.notify(Change::Resolved, None);
        self.recompute("resolved: no clock runs")
    }

    fn reopen(&mut self) -> Result<(), TicketError> {
        self.require_status(&[Status::Resolved], "reopen")?;
        self.state.resolved_at = None;
        self.state.fix_start_met_at = None;
        let reopened = db::to_db(self.now);
        self.state.reopened_at = Some(reopened);
        self.set_status(Status::Open)?;
        self.event(EventKind::Reopened, None, None)?;
        if self.actor.is_staff() {
            self.notify(Change::Reopened, None);
        }
        self.recompute("reopened: fix start runs again from now; no new response clock")
    }

    fn close(&mut self) -> Result<(), TicketError> {
        self.require_status(&[Status::Resolved], "close")?;
        self.state.closed_at = Some(db::to_db(self.now));
        self.set_status(Status::Closed)
    }

    fn change_severity(&mut self, severity: Severity) -> Result<(), TicketError> {
        self.require_staff("change the severity")?;
        self.require_status(&[Status::Open, Status::WaitingOnCustomer], "change the severity of")?;
        let from = self.state.severity.clone();
        if from == severity.as_str() {
            return Err(TicketError::invalid("severity", format!("is already {severity}")));
        }
        self.state.severity = severity.as_str().to_owned();
        self.event(
            EventKind::SeverityChanged,
            None,
            Some(serde_json::json!({"from": from, "to": severity})),
        )?;
        self.recompute(&format!(
            "severity changed from {from} to {severity}: recomputed from reported_at"
        ))
    }

    fn assign(&mut self, user_id: Option<i64>) -> Result<(), TicketError> {
        self.require_staff("assign tickets")?;
        self.require_status(
            &[Status::Open, Status::WaitingOnCustomer, Status::Resolved],
            "assign",
        )?;
        if let Some(id) = user_id {
            let user = db::users::find(self.conn, id, None)?
                .ok_or_else(|| TicketError::invalid("user_id", format!("no user {id}")))?;
            let role: Role =
                user.role.parse().map_err(|e: String| TicketError::invalid("user_id", e))?;
            if !role.is_staff() || !user.active {
                return Err(TicketError::invalid(
                    "user_id",
                    format!("user {id} is not active staff"),
                ));
            }
        }
        let from = self.state.assignee_id;
        self.state.assignee_id = user_id;
        self.event(
            EventKind::Assigned,
            None,
            Some(serde_json::json!({"from": from, "to": user_id})),
        )
    }

    fn change_contract(&mut self, contract_id: i64) -> Result<(), TicketError> {
        if !self.actor.is_manager() {
            return Err(TicketError::Forbidden(
                "only managers and admins may change contracts".into(),
            ));
        }
        self.require_status(&[Status::Open, Status::WaitingOnCustomer], "change the contract of")?;
        let contract = db::contracts::find(
            self.conn,
            contract_id,
            db::Scope::Organization(self.ticket.organization_id),
        )?
        .ok_or_else(|| {
            TicketError::invalid(
                "contract_id",
                format!("no contract {contract_id} of this organization"),
            )
        })?;
        let version = db::policies::latest_version(self.conn, contract.policy_id)?
            .ok_or(TicketError::NotFound("policy version"))?;
        let from = self.state.contract_id;
        self.state.contract_id = Some(contract.id);
        self.state.policy_version_id = version.id;
        self.event(
            EventKind::ContractChanged,
            None,
            Some(serde_json::json!({"from": from, "to": contract.id, "policy_version_id": version.id})),
        )?;
        self.recompute("contract changed: recomputed from reported_at under the new policy")
    }

    fn notify(&mut self, change: Change, message: Option<&str>) {
        self.notices.push((change, message.map(str::to_owned)));
    }

    /// Recomputes the stored deadlines and the next escalation instant from the whole
    /// history; records an event with the reason when a deadline moved.
    fn recompute(&mut self, reason: &str) -> Result<(), TicketError> {
        let before = stored(&self.state);
        let pauses = pauses(self.conn, self.ticket.id)?;
        let after = compute(self.conn, self.engine, &self.ticket, &self.state, &pauses, self.now)?;
        self.state.response_due_at = after.response_due_at.map(db::to_db);
        self.state.fix_start_due_at = after.fix_start_due_at.map(db::to_db);
        self.state.resolve_due_at = after.resolve_due_at.map(db::to_db);
        self.state.next_due_at = after.next_due_at.map(db::to_db);
        let pending = escalate::pending(
            self.conn,
            self.engine,
            &self.ticket,
            &self.state,
            &pauses,
            self.now,
        )?;
        self.state.next_escalation_at = escalate::next_instant(&pending).map(db::to_db);
        met::record(self.conn, self.engine, &self.ticket, &self.state, &pauses, self.now)?;
        if before != after {
            self.event(
                EventKind::DeadlineRecomputed,
                Some(reason),
                Some(serde_json::json!({"before": before, "after": after})),
            )?;
        }
        Ok(())
    }
}

fn text<'a>(field: &str, body: &'a str) -> Result<&'a str, TicketError> {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return Err(TicketError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > MAX_TEXT {
        return Err(TicketError::invalid(field, format!("must be at most {MAX_TEXT} characters")));
    }
    Ok(trimmed)
}

fn stored(state: &TicketState) -> Deadlines {
    Deadlines {
        response_due_at: state.response_due_at.map(db::from_db),
        fix_start_due_at: state.fix_start_due_at.map(db::from_db),
        resolve_due_at: state.resolve_due_at.map(db::from_db),
        next_due_at: state.next_due_at.map(db::from_db),
    }
}

/// The ticket's pauses as the engine takes them.
pub fn pauses(conn: &mut DbConn, ticket_id: i64) -> Result<Vec<Pause>, TicketError> {
    Ok(db::pauses::for_ticket(conn, ticket_id)?.iter().map(pause).collect())
}

/// A stored pause as the engine takes it.
pub fn pause(row: &db::pauses::PauseRow) -> Pause {
    Pause { from: db::from_db(row.started_at), to: row.ended_at.map(db::from_db) }
}

/// The engine's input for a ticket in `state`.
pub fn history<'a>(
    ticket: &Ticket,
    state: &TicketState,
    pauses: &'a [Pause],
) -> Result<History<'a>, TicketError> {
    let status: Status = parse_stored("status", &state.status)?;
    let category: Category = parse_stored("category", &ticket.category)?;
    Ok(History {
        reported_at: db::from_db(ticket.reported_at),
        severity: parse_stored::<SeverityText>("severity", &state.severity)?.0,
        provider_owned_outage: category == Category::Outage,
        reopened_at: state.reopened_at.map(db::from_db),
        pauses,
        response_met_at: state.response_met_at.map(db::from_db),
        fix_start_met_at: state.fix_start_met_at.map(db::from_db),
        resolved_at: state.resolved_at.map(db::from_db),
        active: matches!(status, Status::Open | Status::WaitingOnCustomer),
    })
}

/// The deadlines the engine gives for a ticket in `state` with its `pauses` at `now`.
pub fn compute(
    conn: &mut DbConn,
    engine: &Engine,
    ticket: &Ticket,
    state: &TicketState,
    pauses: &[Pause],
    now: DateTime<Utc>,
) -> Result<Deadlines, TicketError> {
    let policy = engine.policy_version(conn, state.policy_version_id)?;
    let history = history(ticket, state, pauses)?;
    deadlines::stamp(engine.sla(), &policy, &history, now)
        .map_err(|e| TicketError::time("reported_at", e))
}

/// Every clock of a ticket with its `pauses` and its state at `now`.
pub fn compute_views(
    conn: &mut DbConn,
    engine: &Engine,
    ticket: &Ticket,
    pauses: &[Pause],
    now: DateTime<Utc>,
) -> Result<Vec<deadlines::ClockView>, TicketError> {
    let policy = engine.policy_version(conn, ticket.policy_version_id)?;
    let state = ticket.state();
    let history = history(ticket, &state, pauses)?;
    deadlines::clocks(engine.sla(), &policy, &history, now)
        .map_err(|e| TicketError::time("reported_at", e))
}

/// A severity read from its stored text.
struct SeverityText(Severity);

impl std::str::FromStr for SeverityText {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .map(SeverityText)
            .ok_or_else(|| format!("unknown severity {s:?}"))
    }
}
