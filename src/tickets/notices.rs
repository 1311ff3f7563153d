//! Who is told what: the notifications a use case writes into the outbox, in its own
//! transaction, so that a committed change always has its messages and a rolled-back one
//! never does. E-mails are rendered here (times in the reader's time zone); webhooks get a
//! JSON body per active endpoint. Delivery is `jobs::deliver`'s business.
//!
//! | cause | e-mail to | webhook topic |
//! |---|---|---|
//! | ticket filed | receipt to the reporting customer; on-call alert when the on-call technician was requested with the fee | `ticket.created` |
//! | technician's public reply, fix started, waiting on the customer, resolved, reopened | the reporting customer | `ticket.replied`, `ticket.status_changed`, `ticket.fix_started` |
//! | warning | the assignee (on call, if unassigned) | `escalation.warning` |
//! | breach | in office hours the assignee (and on call if unassigned); outside them the on-call technician | `escalation.breach` |
//! | manager escalation | the managers | `escalation.manager` |
//!
//! When nobody fits (no assignee, nobody on call), staff alerts go to the managers.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::json;

use crate::auth::Role;
use crate::db::organizations::Organization;
use crate::db::tickets::Ticket;
use crate::db::users::User;
use crate::db::webhooks::Webhook;
use crate::db::{self, DbConn};
use crate::sla::{ClockKind, Level, Money};

use super::deadlines::Threshold;
use super::{Engine, TicketError};

/// A change the reporting customer hears about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A technician replied (the first reply meets the response clock).
    Responded,
    /// Work on the fix started.
    FixStarted,
    /// The ticket waits on the customer; the clocks are paused.
    WaitingOnYou,
    /// Resolved.
    Resolved,
    /// Reopened.
    Reopened,
}

impl Change {
    fn topic(self) -> &'static str {
        match self {
            Change::Responded => "ticket.replied",
            Change::FixStarted => "ticket.fix_started",
            Change::WaitingOnYou | Change::Resolved | Change::Reopened => "ticket.status_changed",
        }
    }
}

/// What the reader of an e-mail needs to know about the ticket.
#[derive(Debug, Serialize)]
struct TicketData {
    number: String,
    title: String,
    severity: String,
    status: String,
    organization: String,
    reported_at: String,
}

/// Messages being collected for one cause.
struct Batch<'a> {
    engine: &'a Engine,
    ticket: &'a Ticket,
    now: DateTime<Utc>,
    messages: Vec<db::outbox::NewMessage>,
}

impl<'a> Batch<'a> {
    fn new(engine: &'a Engine, ticket: &'a Ticket, now: DateTime<Utc>) -> Self {
        Self { engine, ticket, now, messages: Vec::new() }
    }

    fn email(
        &mut self,
        topic: &str,
        template: &str,
        to: &User,
        data: &serde_json::Value,
    ) -> Result<(), TicketError> {
        let mut data = data.clone();
        if let Some(map) = data.as_object_mut() {
            map.insert("recipient".into(), json!({"name": to.name, "email": to.email}));
            map.insert("provider".into(), json!({"name": self.engine.provider().spec.name}));
        }
        let rendered = self
            .engine
            .renderer()
            .render(template, &data)
            .map_err(|e| TicketError::Notification(e.to_string()))?;
        self.messages.push(db::outbox::NewMessage {
            event_id: event_id(),
            channel: "email",
            topic: topic.to_owned(),
            ticket_id: Some(self.ticket.id),
            webhook_id: None,
            recipient: to.email.clone(),
            subject: rendered.subject,
            body: rendered.text,
            html: Some(rendered.html),
            created_at: db::to_db(self.now),
            next_attempt_at: db::to_db(self.now),
        });
        Ok(())
    }

    fn webhooks(
        &mut self,
        conn: &mut DbConn,
        topic: &str,
        data: serde_json::Value,
    ) -> Result<(), TicketError> {
        self.webhooks_to(&db::webhooks::active(conn)?, topic, &data);
        Ok(())
    }

    fn webhooks_to(&mut self, hooks: &[Webhook], topic: &str, data: &serde_json::Value) {
        for hook in hooks {
            let id = event_id();
            let body = json!({
                "event_id": id,
                "topic": topic,
                "occurred_at": self.now,
                "ticket": webhook_ticket(self.ticket),
                "data": data,
            });
            self.messages.push(db::outbox::NewMessage {
                event_id: id,
                channel: "webhook",
                topic: topic.to_owned(),
                ticket_id: Some(self.ticket.id),
                webhook_id: Some(hook.id),
                recipient: hook.url.clone(),
                subject: topic.to_owned(),
                body: body.to_string(),
                html: None,
                created_at: db::to_db(self.now),
                next_attempt_at: db::to_db(self.now),
            });
        }
    }

    fn write(self, conn: &mut DbConn) -> Result<usize, TicketError> {
        Ok(db::outbox::insert(conn, &self.messages)?)
    }
}

/// A new random event id (128 bits, hex).
fn event_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn webhook_ticket(t: &Ticket) -> serde_json::Value {
    let at = |v: Option<chrono::NaiveDateTime>| v.map(db::from_db);
    json!({
        "id": t.id,
        "number": t.number,
        "organization_id": t.organization_id,
        "title": t.title,
        "severity": t.severity,
        "category": t.category,
        "status": t.status,
        "assignee_id": t.assignee_id,
        "reported_at": db::from_db(t.reported_at),
        "response_due_at": at(t.response_due_at),
        "fix_start_due_at": at(t.fix_start_due_at),
        "resolve_due_at": at(t.resolve_due_at),
        "next_due_at": at(t.next_due_at),
    })
}

/// An instant as people in `tz` read it, e.g. "Mon 2 Mar 2026 10:00 CET".
#[must_use]
pub fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%a %-d %b %Y %H:%M %Z").to_string()
}

fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

fn ticket_data(t: &Ticket, organization: &str, tz: Tz) -> TicketData {
    TicketData {
        number: t.number.clone(),
        title: t.title.clone(),
        severity: t.severity.clone(),
        status: t.status.clone(),
        organization: organization.to_owned(),
        reported_at: local(db::from_db(t.reported_at), tz),
    }
}

fn clock_label(clock: ClockKind) -> &'static str {
    match clock {
        ClockKind::Response => "response",
        ClockKind::FixStart => "fix start",
        ClockKind::Resolve => "resolve",
    }
}

/// The ticket's organization (name, time zone) and its reporter if they are an active
/// customer of it (staff filing for themselves get no receipt), in one query.
fn organization_and_reporter(
    conn: &mut DbConn,
    t: &Ticket,
) -> Result<(String, Tz, Option<User>), TicketError> {
    let (org, reporter) = db::organizations::with_member(conn, t.organization_id, t.reporter_id)?
        .ok_or(TicketError::NotFound("organization"))?;
    let reporter = reporter.filter(|u| u.active && u.role == Role::Customer.as_str());
    Ok((org.name, zone(&org.timezone), reporter))
}

fn organization(conn: &mut DbConn, t: &Ticket) -> Result<(String, Tz), TicketError> {
    let org = db::organizations::find(conn, t.organization_id)?
        .ok_or(TicketError::NotFound("organization"))?;
    Ok((org.name, zone(&org.timezone)))
}

/// Who hears of a new ticket, as the filing read them.
#[derive(Debug)]
pub struct Audience<'a> {
    /// The ticket's organization (name and time zone for the receipt).
    pub organization: &'a Organization,
    /// The reporter: gets the receipt if an active customer; named in the on-call alert.
    pub reporter: &'a User,
    /// Staff to alert when the on-call technician was requested with the fee (the one on
    /// call, or the managers); ignored otherwise.
    pub oncall: &'a [User],
    /// Active webhook endpoints.
    pub webhooks: &'a [Webhook],
}

/// A ticket was filed: the receipt, the on-call alert when the fee was accepted, webhooks.
/// Pure: the caller read the audience.
pub fn ticket_created(
    engine: &Engine,
    ticket: &Ticket,
    audience: &Audience<'_>,
    next_opening: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Vec<db::outbox::NewMessage>, TicketError> {
    let org_name = &audience.organization.name;
    let tz = zone(&audience.organization.timezone);
    let fee = match (ticket.fee_minor, &ticket.fee_currency) {
        (Some(minor), Some(currency)) => {
            Some(format!("{} excl. VAT", Money { minor, currency: currency.clone() }))
        }
        _ => None,
    };
    let deadlines: Vec<_> = [
        ("Response", ticket.response_due_at),
        ("Fix started", ticket.fix_start_due_at),
        ("Resolved", ticket.resolve_due_at),
    ]
    .into_iter()
    .filter_map(|(label, due)| {
        due.map(|d| json!({"label": label, "due": local(db::from_db(d), tz)}))
    })
    .collect();
    let mut batch = Batch::new(engine, ticket, now);
    let reporter = audience.reporter;
    if reporter.active && reporter.role == Role::Customer.as_str() {
        let waiting = ticket.out_of_hours && !ticket.oncall_now;
        let data = json!({
            "ticket": ticket_data(ticket, org_name, tz),
            "deadlines": deadlines,
            "out_of_hours": ticket.out_of_hours,
            "next_opening": next_opening.filter(|_| waiting).map(|at| local(at, tz)),
            "fee": fee,
            "oncall_phone": engine.provider().spec.oncall_phone,
        });
        batch.email("ticket.created", "receipt", reporter, &data)?;
    }
    if ticket.oncall_now {
        let staff_tz = engine.provider().timezone;
        let data = json!({
            "ticket": ticket_data(ticket, org_name, staff_tz),
            "fee": fee,
            "reporter": {"name": reporter.name, "email": reporter.email},
        });
        for user in audience.oncall {
            batch.email("ticket.oncall_requested", "oncall_alert", user, &data)?;
        }
    }
    batch.webhooks_to(
        audience.webhooks,
        "ticket.created",
        &json!({"out_of_hours": ticket.out_of_hours, "oncall_now": ticket.oncall_now, "fee": fee}),
    );
    Ok(batch.messages)
}

/// The reporting customer hears of a change made by staff; webhooks hear of it too.
pub fn ticket_changed(
    conn: &mut DbConn,
    engine: &Engine,
    ticket: &Ticket,
    change: Change,
    message: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), TicketError> {
    let (org_name, tz, reporter) = organization_and_reporter(conn, ticket)?;
    let mut batch = Batch::new(engine, ticket, now);
    if let Some(reporter) = reporter {
        let data = json!({
            "ticket": ticket_data(ticket, &org_name, tz),
            "change": change,
            "message": message,
        });
        batch.email(change.topic(), "status", &reporter, &data)?;
    }
    batch.webhooks(conn, change.topic(), json!({"change": change, "message": message}))?;
    batch.write(conn)?;
    Ok(())
}

/// A clock reached an escalation level: staff are told, by level.
pub fn escalated(
    conn: &mut DbConn,
    engine: &Engine,
    ticket: &Ticket,
    threshold: &Threshold,
    now: DateTime<Utc>,
) -> Result<(), TicketError> {
    let (org_name, _) = organization(conn, ticket)?;
    let tz = engine.provider().timezone;
    let due = match threshold.clock {
        ClockKind::Response => ticket.response_due_at,
        ClockKind::FixStart => ticket.fix_start_due_at,
        ClockKind::Resolve => ticket.resolve_due_at,
    };
    let assignee = match ticket.assignee_id {
        Some(id) => db::users::find(conn, id, None)?,
        None => None,
    };
    let topic = format!("escalation.{}", threshold.level);
    let data = json!({
        "ticket": ticket_data(ticket, &org_name, tz),
        "level": threshold.level,
        "clock": clock_label(threshold.clock),
        "due": due.map(|d| local(db::from_db(d), tz)),
        "threshold_at": local(threshold.at, tz),
        "percent": threshold.percent,
        "assignee": assignee.as_ref().map(|u| u.name.clone()),
    });
    let mut batch = Batch::new(engine, ticket, now);
    for user in escalation_recipients(conn, engine, threshold.level, assignee, now)? {
        batch.email(&topic, "escalation", &user, &data)?;
    }
    batch.webhooks(
        conn,
        &topic,
        json!({
            "clock": threshold.clock,
            "level": threshold.level,
            "percent": threshold.percent,
            "threshold_at": threshold.at,
        }),
    )?;
    batch.write(conn)?;
    Ok(())
}

/// Staff to tell of an escalation at `now`, without duplicates.
fn escalation_recipients(
    conn: &mut DbConn,
    engine: &Engine,
    level: Level,
    assignee: Option<User>,
    now: DateTime<Utc>,
) -> Result<Vec<User>, TicketError> {
    let assignee = assignee.filter(|u| u.active);
    let mut to: Vec<User> = match level {
        Level::Manager => managers(conn)?,
        Level::Warning => match assignee {
            Some(user) => vec![user],
            None => on_call(conn, now)?.into_iter().collect(),
        },
        Level::Breach => {
            let in_office = engine.provider().office.is_open(now).unwrap_or(false);
            match (in_office, assignee) {
                (true, Some(user)) => vec![user],
                (true, None) => on_call(conn, now)?.into_iter().collect(),
                (false, assignee) => {
                    on_call(conn, now)?.into_iter().chain(assignee).take(1).collect()
                }
            }
        }
    };
    if to.is_empty() {
        to = managers(conn)?;
    }
    to.sort_by_key(|u| u.id);
    to.dedup_by_key(|u| u.id);
    Ok(to)
}

fn on_call(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Option<User>, TicketError> {
    Ok(db::oncall::on_call_at(conn, db::to_db(now))?.map(|(_, user)| user))
}

fn managers(conn: &mut DbConn) -> Result<Vec<User>, TicketError> {
    Ok(db::users::active_with_role(conn, Role::Manager.as_str())?)
}

/// Who to alert of an on-call request at `now`: the technician on call, else the managers.
pub fn on_call_or_managers(
    conn: &mut DbConn,
    now: DateTime<Utc>,
) -> Result<Vec<User>, TicketError> {
    match on_call(conn, now)? {
        Some(user) => Ok(vec![user]),
        None => managers(conn),
    }
}
