//! The customer portal: the organization's tickets, filing a ticket with severity guidance
//! and the out-of-hours fee preview, a ticket with its deadlines in plain words, the pause
//! ledger and the public replies, and the reply form.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::db::tickets::{Filter, Sort};
use crate::db::{self, DbConn};
use crate::sla::coverage::OutOfHoursChoice;
use crate::sla::{ClockKind, Money, Severity};
use crate::tickets::actions::{self, Action};
use crate::tickets::create::{self, FeePreview, NewTicketRequest};
use crate::tickets::filing::{Filer, Submission};
use crate::tickets::kinds::Category;
use crate::tickets::view;
use crate::tickets::{Engine, TicketError};

use super::super::AppState;
use super::super::error::AppError;
use super::format;
use super::render::{PageError, see_other};
use super::session::{Submitted, Visitor};

/// Tickets on the list page.
pub const LIST_LIMIT: i64 = 200;

/// `GET /portal`: the organization's tickets, newest first.
pub async fn tickets(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.customer()?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let actor = visitor.actor.clone();
    let tz = visitor.timezone;
    let items = state
        .db(move |conn| {
            let filter = Filter::default();
            let list =
                view::list(conn, &engine, &actor, &filter, Sort::Newest, (0, LIST_LIMIT), now)?;
            let mut items = Vec::with_capacity(list.len());
            for t in &list {
                let policy = engine.policy_version(conn, t.policy_version_id)?;
                items.push(format::ticket(t, &policy.calendar, tz, true, now));
            }
            Ok(items)
        })
        .await?;
    let data = json!({ "page": visitor.frame("Your tickets"), "tickets": items });
    state.pages.page("portal_list", &data)
}

/// Query of the new-ticket page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewQuery {
    /// Severity to preview.
    pub severity: Option<Severity>,
}

fn severities(chosen: &str) -> Vec<Value> {
    format::SEVERITIES
        .iter()
        .map(|(value, label, help)| {
            json!({"value": value, "label": label, "help": help, "checked": *value == chosen})
        })
        .collect()
}

fn categories(chosen: &str) -> Vec<Value> {
    format::CATEGORIES
        .iter()
        .map(|(value, label)| json!({"value": value, "label": label, "selected": *value == chosen}))
        .collect()
}

/// The fee preview in plain words, for the filing forms.
#[must_use]
pub fn preview_words(
    preview: &FeePreview,
    calendar: &crate::sla::calendar::Calendar,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Value {
    let quote = &preview.quote;
    let hours = calendar_words(calendar);
    json!({
        "out_of_hours": quote.out_of_hours(),
        "coverage": quote.coverage,
        "hours": hours,
        "next_opening": format::local(quote.next_opening, tz, now),
        "response_due": preview.deadlines.response_due_at.map(|d| format::local(d, tz, now)),
        "fix_start_due": preview.deadlines.fix_start_due_at.map(|d| format::local(d, tz, now)),
        "fee": quote.oncall_fee.as_ref().map(money_words),
        "fee_minor": quote.oncall_fee.as_ref().map(|m| m.minor),
        "fee_currency": quote.oncall_fee.as_ref().map(|m| m.currency.clone()),
        "phone": preview.oncall_phone,
        "policy": preview.policy,
    })
}

/// `DKK 5 000 excl. VAT`.
#[must_use]
pub fn money_words(money: &Money) -> String {
    let whole = money.minor / 100;
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    let cents = money.minor.abs() % 100;
    let sign = if money.minor < 0 { "-" } else { "" };
    if cents == 0 {
        format!("{} {sign}{grouped} excl. VAT", money.currency)
    } else {
        format!("{} {sign}{grouped}.{cents:02} excl. VAT", money.currency)
    }
}

/// `Mon–Fri 08:00–20:00`, from the calendar's weekly hours.
#[must_use]
pub fn calendar_words(calendar: &crate::sla::calendar::Calendar) -> String {
    use chrono::Weekday;
    const DAYS: [(Weekday, &str); 7] = [
        (Weekday::Mon, "Mon"),
        (Weekday::Tue, "Tue"),
        (Weekday::Wed, "Wed"),
        (Weekday::Thu, "Thu"),
        (Weekday::Fri, "Fri"),
        (Weekday::Sat, "Sat"),
        (Weekday::Sun, "Sun"),
    ];
    let mut runs: Vec<(usize, usize, String)> = Vec::new();
    for (i, (day, _)) in DAYS.iter().enumerate() {
        let hours: Vec<String> = calendar.hours(*day).iter().map(ToString::to_string).collect();
        let text = hours.join(", ");
        if text.is_empty() {
            continue;
        }
        match runs.last_mut() {
            Some((_, end, t)) if *end + 1 == i && *t == text => *end = i,
            _ => runs.push((i, i, text)),
        }
    }
    let parts: Vec<String> = runs
        .into_iter()
        .map(|(a, b, text)| {
            if a == b {
                format!("{} {text}", DAYS[a].1)
            } else {
                format!("{}–{} {text}", DAYS[a].1, DAYS[b].1)
            }
        })
        .collect();
    if parts.is_empty() { "no opening hours".to_owned() } else { parts.join("; ") }
}

fn preview_for(
    conn: &mut DbConn,
    engine: &Engine,
    organization_id: i64,
    severity: Severity,
    category: Category,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Value, TicketError> {
    let terms = create::terms(conn, engine, organization_id, now)?;
    let policy = engine.policy_version(conn, terms.policy_version_id)?;
    let preview = create::preview_under(engine, &policy, &terms, severity, category, now)?;
    Ok(preview_words(&preview, &policy.calendar, tz, now))
}

/// What the new-ticket form was filled with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTicketForm {
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
    /// `wait` or `oncall_now`, when out of hours.
    #[serde(default)]
    pub choice: Option<OutOfHoursChoice>,
    /// The fee shown, in minor units (sent back as consent with `oncall_now`).
    #[serde(default)]
    pub fee_minor: Option<i64>,
    /// Its currency.
    #[serde(default)]
    pub fee_currency: Option<String>,
}

async fn new_page(
    state: &AppState,
    visitor: &Visitor,
    form: NewTicketForm,
    errors: Value,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let engine = state.engine.clone();
    let organization_id = visitor.actor.organization_id;
    let severity = form.severity.unwrap_or(Severity::Normal);
    let category = form.category.unwrap_or(Category::FunctionalFault);
    let tz = visitor.timezone;
    let preview = state
        .db(move |conn| {
            Ok(preview_for(conn, &engine, organization_id, severity, category, tz, now)?)
        })
        .await?;
    let data = json!({
        "page": super::desk::with_scripts(visitor.frame("New ticket"), &["new.js"]),
        "form": {
            "title": form.title,
            "description": form.description,
            "wait": form.choice == Some(OutOfHoursChoice::Wait),
            "oncall_now": form.choice == Some(OutOfHoursChoice::OncallNow),
        },
        "severities": severities(severity.as_str()),
        "categories": categories(category.as_str()),
        "critical": severity == Severity::Critical,
        "preview": preview,
        "errors": errors,
    });
    state.pages.page_with(status, "portal_new", &data)
}

/// `GET /portal/new`.
pub async fn new_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.customer()?;
    let form = NewTicketForm { severity: query.severity, ..NewTicketForm::default() };
    new_page(&state, &visitor, form, json!({}), StatusCode::OK).await
}

/// An error about one field, for the form to show next to it.
fn field_errors(error: &AppError) -> Option<Value> {
    let field = error.field.as_deref()?;
    let field = match field {
        "out_of_hours_choice" => "choice",
        "fee_consent" => "choice",
        other => other,
    };
    Some(json!({ field: error.message }))
}

/// `POST /portal/new`: files the ticket; the form again with its errors (422) if refused.
pub async fn file(
    state: web::Data<AppState>,
    sent: Submitted<NewTicketForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.customer()?;
    let missing = |field: &str, message: &str| json!({ field: message });
    let errors = if form.severity.is_none() {
        Some(missing("severity", "Choose how bad it is."))
    } else if form.category.is_none() {
        Some(missing("category", "Choose what kind of problem it is."))
    } else {
        None
    };
    if let Some(errors) = errors {
        return new_page(&state, &visitor, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let fee_consent = match (form.choice, form.fee_minor, form.fee_currency.clone()) {
        (Some(OutOfHoursChoice::OncallNow), Some(minor), Some(currency)) => {
            Some(Money { minor, currency })
        }
        _ => None,
    };
    let request = NewTicketRequest {
        title: form.title.clone(),
        description: form.description.clone(),
        severity: form.severity.unwrap_or(Severity::Normal),
        category: form.category.unwrap_or(Category::FunctionalFault),
        organization_id: None,
        reporter_id: None,
        channel: None,
        reported_at: None,
        out_of_hours_choice: form.choice,
        fee_consent,
    };
    let now = state.clock.now();
    let submission = Submission { filer: Filer::Token(visitor.session_hash.clone()), request, now };
    match state.filings.file(submission).await {
        Ok(filed) => {
            state.changes.poke();
            Ok(see_other(&format!("/portal/tickets/{}", filed.ticket.id)))
        }
        Err(error) => {
            let error = AppError::from(error);
            match field_errors(&error) {
                Some(errors) => {
                    new_page(&state, &visitor, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
                }
                None => Err(error.into()),
            }
        }
    }
}

/// Everything the customer's ticket page shows.
fn ticket_data(
    conn: &mut DbConn,
    engine: &Engine,
    visitor: &Visitor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Value, AppError> {
    let (_, ticket, events, pauses) = super::desk::read_ticket(conn, engine, visitor, id, now)?;
    Ok(json!({ "ticket": ticket, "events": events, "pauses": pauses }))
}

async fn ticket_page(
    state: &AppState,
    visitor: Visitor,
    id: i64,
    reply: (&str, Option<String>),
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let engine = state.engine.clone();
    let who = visitor.clone();
    let mut data = state.db(move |conn| ticket_data(conn, &engine, &who, id, now)).await?;
    let title = format!(
        "{} · {}",
        data["ticket"]["number"].as_str().unwrap_or(""),
        data["ticket"]["title"].as_str().unwrap_or("")
    );
    data["page"] = visitor.frame(&title);
    data["reply"] = json!({ "body": reply.0, "error": reply.1 });
    state.pages.page_with(status, "portal_ticket", &data)
}

/// `GET /portal/tickets/{id}`.
pub async fn ticket(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.customer()?;
    ticket_page(&state, visitor, path.into_inner(), ("", None), StatusCode::OK).await
}

/// The reply form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyForm {
    /// Text.
    pub body: String,
}

/// `POST /portal/tickets/{id}/reply`.
pub async fn reply(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    sent: Submitted<ReplyForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.customer()?;
    let id = path.into_inner();
    let now = state.clock.now();
    let engine = state.engine.clone();
    let actor = visitor.actor.clone();
    let action = Action::Reply { body: form.body.clone() };
    let done =
        state.db(move |conn| Ok(actions::apply(conn, &engine, &actor, id, &action, now)?)).await;
    match done {
        Ok(()) => {
            state.changes.poke();
            Ok(see_other(&format!("/portal/tickets/{id}#replies")))
        }
        Err(error) if error.field.is_some() => {
            let message = error.message.clone();
            ticket_page(
                &state,
                visitor,
                id,
                (&form.body, Some(message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

/// The clock named in a path.
pub fn clock_named(name: &str) -> Result<ClockKind, PageError> {
    ClockKind::ALL
        .into_iter()
        .find(|c| c.as_str() == name)
        .ok_or_else(|| PageError::not_found("clock"))
}

/// The explanation of one clock, as lines of plain text.
pub fn explanation(
    conn: &mut DbConn,
    engine: &Engine,
    actor: &crate::auth::Actor,
    id: i64,
    clock: ClockKind,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    let explained = view::explain_clock(conn, engine, actor, id, clock, now)?;
    Ok(explained.to_string().lines().map(str::to_owned).collect())
}

/// `GET /portal/tickets/{id}/why/{clock}`: how a deadline came out, step by step.
pub async fn why(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.customer()?;
    let (id, name) = path.into_inner();
    let clock = clock_named(&name)?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let actor = visitor.actor.clone();
    let (number, lines) = state
        .db(move |conn| {
            let t = db::tickets::find(conn, id, actor.scope())?
                .ok_or_else(|| AppError::not_found("ticket"))?;
            Ok((t.number, explanation(conn, &engine, &actor, id, clock, now)?))
        })
        .await?;
    let data = json!({
        "page": visitor.frame(&format!("Why this deadline · {number}")),
        "number": number,
        "id": id,
        "clock": format::clock_label(clock),
        "lines": lines,
        "back": format!("/portal/tickets/{id}"),
    });
    state.pages.page("why", &data)
}
