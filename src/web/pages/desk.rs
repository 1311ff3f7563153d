//! The technician desk: the queue (one row per running clock, nearest deadline first, live),
//! the staff ticket page (timeline, internal notes, every deadline explained, fee and
//! consent), one- and two-click actions, and logging a phone ticket.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Actor;
use crate::db::tickets::{Filter, Sort};
use crate::db::{self, DbConn};
use crate::sla::coverage::OutOfHoursChoice;
use crate::sla::{ClockKind, Severity};
use crate::tickets::Engine;
use crate::tickets::actions::{self, Action};
use crate::tickets::create::NewTicketRequest;
use crate::tickets::filing::{Filer, Submission};
use crate::tickets::kinds::{Category, Channel, Status};
use crate::tickets::view::{self, EventView};

use super::super::AppState;
use super::super::error::AppError;
use super::format;
use super::portal::{explanation, money_words};
use super::render::{PageError, see_other};
use super::session::{Submitted, Visitor};

/// Tickets read for the queue.
pub const QUEUE_LIMIT: i64 = 300;

/// People's names by id.
pub type Names = HashMap<i64, String>;

/// The names of everybody who wrote `events`.
pub fn names(conn: &mut DbConn, events: &[EventView]) -> Result<Names, AppError> {
    let mut ids: Vec<i64> = events.iter().filter_map(|e| e.actor_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(db::users::names(conn, &ids)?.into_iter().collect())
}

/// A name for a page: "System" for none.
#[must_use]
pub fn name_of(names: &Names, who: Option<i64>) -> String {
    match who {
        None => "System".to_owned(),
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("user {id}")),
    }
}

/// A page frame that loads `scripts` from `/static/`.
#[must_use]
pub fn with_scripts(mut frame: Value, scripts: &[&str]) -> Value {
    frame["scripts"] = json!(scripts);
    frame
}

/// A ticket as a page shows it: the view, its fields for the template (statuses worded for
/// the visitor), its events in words (the visitor's share of them) and its pause ledger.
pub fn read_ticket(
    conn: &mut DbConn,
    engine: &Engine,
    visitor: &Visitor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(view::TicketView, Value, Vec<Value>, Vec<Value>), AppError> {
    let (actor, tz) = (&visitor.actor, visitor.timezone);
    let t = view::show(conn, engine, actor, id, now)?;
    let policy = engine.policy_version(conn, t.policy_version_id)?;
    let events = view::events(conn, actor, id, 0, EVENTS_LIMIT)?;
    let names = names(conn, &events)?;
    let name = |who: Option<i64>| name_of(&names, who);
    let events: Vec<Value> = events.iter().map(|e| format::event(e, &name, tz, now)).collect();
    let pauses = db::pauses::for_tickets(conn, &[t.id])?;
    let shown = format::ticket(&t, &policy.calendar, tz, !actor.is_staff(), now);
    Ok((t, shown, events, format::pauses(&pauses, tz, now)))
}

/// Events shown on a ticket page, at most.
pub const EVENTS_LIMIT: i64 = 1_000;

/// Filters of the queue.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskQuery {
    /// `me`, `none` (unassigned) or empty.
    #[serde(default)]
    pub assignee: Option<String>,
    /// An organization id, or empty.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// A severity, or empty.
    #[serde(default)]
    pub severity: Option<String>,
}

impl DeskQuery {
    fn filter(&self, actor: &Actor) -> Result<Filter, PageError> {
        let assignee_id = match self.assignee.as_deref().unwrap_or("") {
            "" => None,
            "me" => Some(Some(actor.user_id)),
            "none" => Some(None),
            _ => return Err(AppError::field("assignee", "use me, none or nothing").into()),
        };
        let organization_id = match self.organization_id.as_deref().unwrap_or("") {
            "" => None,
            id => Some(
                id.parse::<i64>()
                    .map_err(|_| AppError::field("organization_id", "an organization id"))?,
            ),
        };
        let severity = match self.severity.as_deref().unwrap_or("") {
            "" => None,
            s => Some(
                Severity::ALL
                    .into_iter()
                    .find(|x| x.as_str() == s)
                    .ok_or_else(|| AppError::field("severity", "critical, serious or normal"))?
                    .as_str()
                    .to_owned(),
            ),
        };
        Ok(Filter {
            statuses: vec![
                Status::Open.as_str().to_owned(),
                Status::WaitingOnCustomer.as_str().to_owned(),
            ],
            severity,
            organization_id,
            assignee_id,
        })
    }

    /// The query string, to come back to the same view after an action.
    fn back(&self) -> String {
        let pairs = [
            ("assignee", self.assignee.clone().unwrap_or_default()),
            ("organization_id", self.organization_id.clone().unwrap_or_default()),
            ("severity", self.severity.clone().unwrap_or_default()),
        ];
        let kept: Vec<(&str, String)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        match serde_urlencoded::to_string(kept) {
            Ok(q) if !q.is_empty() => format!("/desk?{q}"),
            _ => "/desk".to_owned(),
        }
    }
}

/// The queue's rows: one per unmet clock of an open or waiting ticket, nearest first
/// (paused clocks, which have no deadline, last).
fn queue(
    conn: &mut DbConn,
    engine: &Engine,
    visitor: &Visitor,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Vec<Value>, AppError> {
    let actor = visitor.actor.clone();
    let tickets = view::list(conn, engine, &actor, filter, Sort::NextDue, (0, QUEUE_LIMIT), now)?;
    let distinct = |mut ids: Vec<i64>| {
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let orgs = distinct(tickets.iter().map(|t| t.organization_id).collect());
    let organizations: Names = db::organizations::names(conn, &orgs)?.into_iter().collect();
    let people = distinct(tickets.iter().filter_map(|t| t.assignee_id).collect());
    let staff: Names = db::users::names(conn, &people)?.into_iter().collect();
    let mut rows = Vec::new();
    for t in &tickets {
        let policy = engine.policy_version(conn, t.policy_version_id)?;
        let shown = format::ticket(t, &policy.calendar, visitor.timezone, false, now);
        let Some(clocks) = shown["clocks"].as_array() else { continue };
        // Every clock not met yet of these open or waiting tickets: running, or paused.
        for (clock, _) in clocks.iter().zip(&t.clocks).filter(|(_, view)| view.met_at.is_none()) {
            rows.push(json!({
                "ticket": shown,
                "clock": clock,
                "organization": organizations.get(&t.organization_id).cloned().unwrap_or_default(),
                "assignee": t.assignee_id.map(|id| name_of(&staff, Some(id))),
                "mine": t.assignee_id == Some(actor.user_id),
                "can_start_fix": t.status == "open" && t.clocks.iter().any(|c| c.clock == ClockKind::FixStart && c.met_at.is_none()),
            }));
        }
    }
    rows.sort_by_key(|r| {
        (r["clock"]["due_epoch"].as_i64().is_none(), r["clock"]["due_epoch"].as_i64().unwrap_or(0))
    });
    Ok(rows)
}

fn rows_data(
    conn: &mut DbConn,
    engine: &Engine,
    visitor: &Visitor,
    query: &DeskQuery,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Value, AppError> {
    let seen = db::events::newest_id(conn)?;
    Ok(json!({
        "rows": queue(conn, engine, visitor, filter, now)?,
        "csrf": visitor.csrf,
        "back": query.back(),
        "now_epoch": now.timestamp(),
        "seen": seen,
    }))
}

/// `GET /desk`: the queue, who is on call, the filters.
pub async fn dashboard(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<DeskQuery>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.staff()?;
    let query = query.into_inner();
    let filter = query.filter(&visitor.actor)?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let who = visitor.clone();
    let q = query.clone();
    let (rows, organizations, on_call) = state
        .db(move |conn| {
            let rows = rows_data(conn, &engine, &who, &q, &filter, now)?;
            let organizations: Vec<Value> = db::organizations::list(conn, None, 0, 10_000)?
                .into_iter()
                .filter(|o| !o.is_provider)
                .map(|o| json!({"id": o.id.to_string(), "name": o.name,
                    "selected": q.organization_id.as_deref() == Some(o.id.to_string().as_str())}))
                .collect();
            let on_call = db::oncall::on_call_at(conn, db::to_db(now))?.map(|(shift, user)| {
                json!({"name": user.name, "until": format::local(db::from_db(shift.ends_at), who.timezone, now)})
            });
            Ok((rows, organizations, on_call))
        })
        .await?;
    let severity = query.severity.clone().unwrap_or_default();
    let severities: Vec<Value> = format::SEVERITIES
        .iter()
        .map(|(v, label, _)| json!({"value": v, "label": label, "selected": *v == severity}))
        .collect();
    let assignee = query.assignee.clone().unwrap_or_default();
    let data = json!({
        "page": with_scripts(visitor.frame("Desk"), &["desk.js"]),
        "rows": rows,
        "organizations": organizations,
        "severities": severities,
        "mine": assignee == "me",
        "unassigned": assignee == "none",
        "on_call": on_call,
        "phone": state.engine.provider().spec.oncall_phone,
    });
    state.pages.page("desk", &data)
}

/// `GET /desk/rows`: the queue's rows alone, for the live update.
pub async fn rows(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<DeskQuery>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.staff()?;
    let query = query.into_inner();
    let filter = query.filter(&visitor.actor)?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let who = visitor.clone();
    let data = state.db(move |conn| rows_data(conn, &engine, &who, &query, &filter, now)).await?;
    state.pages.page("desk_rows", &data)
}

/// `GET /desk/tickets/{id}`: everything about one ticket.
pub async fn ticket(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.staff()?;
    let id = path.into_inner();
    let now = state.clock.now();
    let engine = state.engine.clone();
    let who = visitor.clone();
    let mut data = state
        .db(move |conn| {
            let actor = who.actor.clone();
            let (t, mut shown, events, pauses) = read_ticket(conn, &engine, &who, id, now)?;
            if let Some(clocks) = shown["clocks"].as_array_mut() {
                for (clock, view) in clocks.iter_mut().zip(&t.clocks) {
                    clock["why"] = json!(explanation(conn, &engine, &actor, id, view.clock, now)?);
                }
            }
            let organization = db::organizations::find(conn, t.organization_id)?;
            let reporter = db::users::find(conn, t.reporter_id, None)?;
            let staff = db::users::list(conn, Some(who.actor.organization_id), 0, 1_000)?;
            let staff: Vec<Value> = staff
                .into_iter()
                .filter(|u| u.active)
                .map(|u| json!({"id": u.id, "name": u.name, "selected": Some(u.id) == t.assignee_id}))
                .collect();
            let fee_by = match t.fee_accepted_by {
                Some(id) => db::users::find(conn, id, None)?.map(|u| u.name),
                None => None,
            };
            Ok(json!({
                "ticket": shown,
                "organization": organization.map(|o| o.name),
                "reporter": reporter.map(|u| json!({"name": u.name, "email": u.email})),
                "events": events,
                "pauses": pauses,
                "staff": staff,
                "fee_accepted_by": fee_by,
                "severities": format::SEVERITIES.iter().map(|(v, l, _)| json!({"value": v, "label": l, "selected": *v == t.severity})).collect::<Vec<_>>(),
                "open": t.status == "open",
                "waiting": t.status == "waiting_on_customer",
                "resolved": t.status == "resolved",
                "closed": t.status == "closed",
            }))
        })
        .await?;
    let title = format!(
        "{} · {}",
        data["ticket"]["number"].as_str().unwrap_or(""),
        data["ticket"]["title"].as_str().unwrap_or("")
    );
    data["page"] = visitor.frame(&title);
    data["back"] = json!(format!("/desk/tickets/{id}"));
    state.pages.page("desk_ticket", &data)
}

/// An action's form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActForm {
    /// Text of a reply or note.
    #[serde(default)]
    pub body: Option<String>,
    /// New severity.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Assignee: a user id, `me` or `none`.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Where to go afterwards (a path under `/desk`).
    #[serde(default)]
    pub back: Option<String>,
}

fn action(name: &str, form: &ActForm, actor: &Actor) -> Result<Action, PageError> {
    let body =
        || form.body.clone().ok_or_else(|| PageError(AppError::field("body", "write something")));
    Ok(match name {
        "reply" => Action::Reply { body: body()? },
        "note" => Action::Note { body: body()? },
        "start_fix" => Action::StartFix,
        "wait" => Action::Wait,
        "resume" => Action::Resume,
        "resolve" => Action::Resolve,
        "reopen" => Action::Reopen,
        "close" => Action::Close,
        "change_severity" => Action::ChangeSeverity {
            severity: form
                .severity
                .ok_or_else(|| PageError(AppError::field("severity", "choose one")))?,
        },
        "assign" => Action::Assign {
            user_id: match form.user_id.as_deref().unwrap_or("") {
                "me" => Some(actor.user_id),
                "none" | "" => None,
                id => Some(
                    id.parse().map_err(|_| AppError::field("user_id", "a user id, me or none"))?,
                ),
            },
        },
        _ => return Err(PageError::not_found("action")),
    })
}

/// A safe place to go back to: a path under `/desk`, nothing else.
fn back_to(back: Option<&str>, id: i64) -> String {
    match back {
        Some(b)
            if (b == "/desk" || b.starts_with("/desk?") || b.starts_with("/desk/"))
                && !b.contains("//")
                && !b.contains('\\') =>
        {
            b.to_owned()
        }
        _ => format!("/desk/tickets/{id}"),
    }
}

/// `POST /desk/tickets/{id}/{action}`: runs one action, then back to where it came from.
pub async fn act(
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    sent: Submitted<ActForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.staff()?;
    let (id, name) = path.into_inner();
    let actor = visitor.actor.clone();
    let act = action(&name, &form, &actor)?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    state.db(move |conn| Ok(actions::apply(conn, &engine, &actor, id, &act, now)?)).await?;
    state.changes.poke();
    Ok(see_other(&back_to(form.back.as_deref(), id)))
}

/// The phone-ticket form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneForm {
    /// The customer's user who called (`"org:user"` ids).
    #[serde(default)]
    pub caller: String,
    /// When they called, local time (`YYYY-MM-DDTHH:MM`).
    #[serde(default)]
    pub called_at: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Severity.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Category.
    #[serde(default)]
    pub category: Option<Category>,
    /// The caller's choice out of hours.
    #[serde(default)]
    pub choice: Option<OutOfHoursChoice>,
    /// The caller accepted the start-up fee (`yes`).
    #[serde(default)]
    pub fee_accepted: Option<String>,
}

async fn phone_page(
    state: &AppState,
    visitor: &Visitor,
    form: PhoneForm,
    errors: Value,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let callers = state
        .db(move |conn| {
            let organizations: HashMap<i64, String> =
                db::organizations::list(conn, None, 0, 10_000)?
                    .into_iter()
                    .filter(|o| !o.is_provider)
                    .map(|o| (o.id, o.name))
                    .collect();
            let mut callers: Vec<(String, String, String)> =
                db::users::list(conn, None, 0, 100_000)?
                    .into_iter()
                    .filter(|u| u.active && organizations.contains_key(&u.organization_id))
                    .map(|u| {
                        let org =
                            organizations.get(&u.organization_id).cloned().unwrap_or_default();
                        (format!("{}:{}", u.organization_id, u.id), org, u.name)
                    })
                    .collect();
            callers.sort_by(|a, b| (&a.1, &a.2).cmp(&(&b.1, &b.2)));
            Ok(callers)
        })
        .await?;
    let callers: Vec<Value> = callers
        .into_iter()
        .map(|(value, org, name)| json!({"value": value, "label": format!("{org} — {name}"), "selected": value == form.caller}))
        .collect();
    let severity = form.severity.map_or("normal", Severity::as_str);
    let category = form.category.map_or("functional_fault", Category::as_str);
    let called_at = if form.called_at.is_empty() {
        now.with_timezone(&visitor.timezone).format("%Y-%m-%dT%H:%M").to_string()
    } else {
        form.called_at.clone()
    };
    let data = json!({
        "page": visitor.frame("Log a phone ticket"),
        "callers": callers,
        "form": {
            "title": form.title, "description": form.description, "called_at": called_at,
            "wait": form.choice == Some(OutOfHoursChoice::Wait),
            "oncall_now": form.choice == Some(OutOfHoursChoice::OncallNow),
            "fee_accepted": form.fee_accepted.as_deref() == Some("yes"),
        },
        "timezone": visitor.timezone.name(),
        "severities": format::SEVERITIES.iter().map(|(v, l, h)| json!({"value": v, "label": l, "help": h, "checked": *v == severity})).collect::<Vec<_>>(),
        "categories": format::CATEGORIES.iter().map(|(v, l)| json!({"value": v, "label": l, "selected": *v == category})).collect::<Vec<_>>(),
        "fee": money_words(&state.engine.provider().startup_fee()),
        "errors": errors,
    });
    state.pages.page_with(status, "phone", &data)
}

/// `GET /desk/phone`.
pub async fn phone_form(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.staff()?;
    phone_page(&state, &visitor, PhoneForm::default(), json!({}), StatusCode::OK).await
}

fn called_at(text: &str, tz: chrono_tz::Tz) -> Result<DateTime<Utc>, AppError> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M").map_err(|_| {
        AppError::field("called_at", "a local date and time, e.g. 2026-12-05T22:10")
    })?;
    tz.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc)).ok_or_else(|| {
        AppError::field("called_at", "that local time does not exist (clocks went forward)")
    })
}

/// `POST /desk/phone`: files the ticket for the caller, back-dated to the call.
pub async fn phone(
    state: web::Data<AppState>,
    sent: Submitted<PhoneForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.staff()?;
    let again = |errors: Value| {
        phone_page(&state, &visitor, form.clone(), errors, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let Some((organization_id, reporter_id)) = form
        .caller
        .split_once(':')
        .and_then(|(o, u)| Some((o.parse::<i64>().ok()?, u.parse::<i64>().ok()?)))
    else {
        return again(json!({"caller": "Choose who called."})).await;
    };
    let reported_at = match called_at(&form.called_at, visitor.timezone) {
        Ok(at) => at,
        Err(e) => return again(json!({"called_at": e.message})).await,
    };
    let (Some(severity), Some(category)) = (form.severity, form.category) else {
        return again(json!({"severity": "Choose the severity and the category."})).await;
    };
    let fee_consent = (form.choice == Some(OutOfHoursChoice::OncallNow)
        && form.fee_accepted.as_deref() == Some("yes"))
    .then(|| state.engine.provider().startup_fee());
    let request = NewTicketRequest {
        title: form.title.clone(),
        description: form.description.clone(),
        severity,
        category,
        organization_id: Some(organization_id),
        reporter_id: Some(reporter_id),
        channel: Some(Channel::Phone),
        reported_at: Some(reported_at),
        out_of_hours_choice: form.choice,
        fee_consent,
    };
    let now = state.clock.now();
    let submission = Submission { filer: Filer::Token(visitor.session_hash.clone()), request, now };
    match state.filings.file(submission).await {
        Ok(filed) => {
            state.changes.poke();
            Ok(see_other(&format!("/desk/tickets/{}", filed.ticket.id)))
        }
        Err(error) => {
            let error = AppError::from(error);
            let field = match error.field.as_deref() {
                Some("out_of_hours_choice" | "fee_consent") => "choice",
                Some("reported_at") => "called_at",
                Some("organization_id" | "reporter_id") => "caller",
                Some(other) => other,
                None => return Err(error.into()),
            };
            again(json!({ field: error.message })).await
        }
    }
}
