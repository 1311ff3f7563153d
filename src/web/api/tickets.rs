//! Ticket routes.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::db::tickets::{Filter, Sort};
use crate::sla::{ClockKind, Severity};
use crate::tickets::actions::{self, Action};
use crate::tickets::create::{self, NewTicketRequest};
use crate::tickets::filing::{Filer, Submission};
use crate::tickets::kinds::{Category, Status};
use crate::tickets::view;

use super::super::AppState;
use super::super::auth::{Bearer, Signed};
use super::super::error::AppError;
use super::super::json::{Json, parse};
use super::{Page, Paging};

/// Query of the ticket list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated statuses (default: open and waiting_on_customer).
    pub status: Option<String>,
    /// One severity.
    pub severity: Option<Severity>,
    /// One organization (staff).
    pub organization_id: Option<i64>,
    /// A user id, or `none` for unassigned.
    pub assignee: Option<String>,
    /// `next_due` (default) or `newest`.
    pub sort: Option<String>,
    /// Page size.
    pub limit: Option<i64>,
    /// Cursor.
    pub cursor: Option<String>,
}

/// `GET /api/v1/tickets`.
pub async fn list(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let paging = Paging { limit: query.limit, cursor: query.cursor.clone() };
    let (limit, offset) = (paging.limit()?, paging.position()?);
    let statuses = match query.status.as_deref() {
        None => {
            vec![Status::Open.as_str().to_owned(), Status::WaitingOnCustomer.as_str().to_owned()]
        }
        Some("all") => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|s| s.trim().parse::<Status>().map(|s| s.as_str().to_owned()))
            .collect::<Result<_, _>>()
            .map_err(|e| AppError::field("status", e))?,
    };
    let assignee_id = match query.assignee.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(id) => Some(Some(
            id.parse::<i64>().map_err(|_| AppError::field("assignee", "a user id or none"))?,
        )),
    };
    let sort = match query.sort.as_deref() {
        None | Some("next_due") => Sort::NextDue,
        Some("newest") => Sort::Newest,
        Some(other) => {
            return Err(AppError::field("sort", format!("{other:?}: use next_due or newest")));
        }
    };
    let filter = Filter {
        statuses,
        severity: query.severity.map(|s| s.as_str().to_owned()),
        organization_id: query.organization_id,
        assignee_id,
    };
    let now = state.clock.now();
    let engine = state.engine.clone();
    let items = state
        .db(move |conn| Ok(view::list(conn, &engine, &actor, &filter, sort, (offset, limit), now)?))
        .await?;
    Ok(HttpResponse::Ok().json(Page::offset(items, offset, limit)))
}

/// `POST /api/v1/tickets`: 201 with the ticket, once it is committed (group commit: see
/// [`crate::tickets::filing::queue`]).
pub async fn create(
    state: web::Data<AppState>,
    bearer: Bearer,
    request: Json<NewTicketRequest>,
) -> Result<HttpResponse, AppError> {
    let request = request.into_inner()?;
    let now = state.clock.now();
    let submission = Submission { filer: Filer::Token(bearer.token_hash), request, now };
    let filed = state.filings.file(submission).await?;
    let ticket = view::of_filed(&state.engine, filed, now)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/tickets/{}", ticket.id)))
        .json(ticket))
}

/// Body of the fee preview.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// Severity the filer would choose.
    #[schema(value_type = String)]
    pub severity: Severity,
    /// Category (default `functional_fault`).
    #[serde(default)]
    pub category: Option<Category>,
    /// Staff: for which organization.
    #[serde(default)]
    pub organization_id: Option<i64>,
}

/// `POST /api/v1/fee-preview`.
pub async fn fee_preview(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    request: Json<PreviewRequest>,
) -> Result<HttpResponse, AppError> {
    let request = request.into_inner()?;
    let organization_id = match (actor.is_staff(), request.organization_id) {
        (false, None) => actor.organization_id,
        (false, Some(id)) if id == actor.organization_id => id,
        (false, Some(_)) => {
            return Err(AppError::field(
                "organization_id",
                "customers preview for their own organization",
            ));
        }
        (true, Some(id)) => id,
        (true, None) => return Err(AppError::field("organization_id", "required for staff")),
    };
    let now = state.clock.now();
    let engine = state.engine.clone();
    let preview = state
        .db(move |conn| {
            if crate::db::organizations::find(conn, organization_id)?.is_none() {
                return Err(AppError::field(
                    "organization_id",
                    format!("no organization {organization_id}"),
                ));
            }
            Ok(create::preview(
                conn,
                &engine,
                organization_id,
                request.severity,
                request.category.unwrap_or(Category::FunctionalFault),
                now,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(preview))
}

/// `GET /api/v1/tickets/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let now = state.clock.now();
    let engine = state.engine.clone();
    let ticket = state.db(move |conn| Ok(view::show(conn, &engine, &actor, id, now)?)).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

/// `GET /api/v1/tickets/{id}/events`.
pub async fn events(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<i64>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (limit, after) = (paging.limit()?, paging.position()?);
    let items = state.db(move |conn| Ok(view::events(conn, &actor, id, after, limit)?)).await?;
    Ok(HttpResponse::Ok().json(Page::keyed(items, limit, |e| e.id)))
}

/// Body of an action: the action's own fields (`body`, `severity`, `user_id`,
/// `contract_id`), or `{}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ActionBody {
    /// Text, for reply and note.
    pub body: Option<String>,
    /// For change_severity.
    #[schema(value_type = Option<String>)]
    pub severity: Option<Severity>,
    /// For assign (`null` unassigns).
    pub user_id: Option<i64>,
    /// For change_contract.
    pub contract_id: Option<i64>,
}

/// `POST /api/v1/tickets/{id}/actions/{action}`: 200 with the ticket after the action.
pub async fn act(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<(i64, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (id, name) = path.into_inner();
    let mut fields = if body.is_empty() {
        serde_json::Map::new()
    } else {
        match parse::<serde_json::Value>(&body)? {
            serde_json::Value::Object(map) => map,
            _ => return Err(AppError::field("body", "must be a JSON object")),
        }
    };
    if fields.contains_key("action") {
        return Err(AppError::field("action", "the action is named in the URL"));
    }
    let own_field = match ACTIONS.iter().find(|(n, _)| *n == name) {
        Some((_, field)) => *field,
        None => return Err(AppError::not_found("action")),
    };
    fields.insert("action".into(), serde_json::Value::String(name));
    let action: Action = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| field_error(&e.to_string(), own_field))?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let ticket = state
        .db(move |conn| {
            actions::apply(conn, &engine, &actor, id, &action, now)?;
            Ok(view::show(conn, &engine, &actor, id, now)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ticket))
}

/// Every action with the one field it takes (`""`: none).
pub const ACTIONS: &[(&str, &str)] = &[
    ("reply", "body"),
    ("note", "body"),
    ("start_fix", ""),
    ("wait", ""),
    ("resume", ""),
    ("resolve", ""),
    ("reopen", ""),
    ("close", ""),
    ("change_severity", "severity"),
    ("assign", "user_id"),
    ("change_contract", "contract_id"),
];

/// A field error from serde's message about an action body: the field it quotes, else the
/// action's own field.
fn field_error(message: &str, own_field: &str) -> AppError {
    let message = message.split(" at line ").next().unwrap_or(message).to_owned();
    let quoted = message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("unknown field") || message.starts_with("missing field"));
    let field = quoted.unwrap_or(if own_field.is_empty() { "body" } else { own_field });
    AppError::field(field, message.clone())
}

/// `GET /api/v1/tickets/{id}/explain/{clock}`.
pub async fn explain(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, clock) = path.into_inner();
    let clock = ClockKind::ALL
        .into_iter()
        .find(|c| c.as_str() == clock)
        .ok_or_else(|| AppError::not_found("clock"))?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let explanation = state
        .db(move |conn| Ok(view::explain_clock(conn, &engine, &actor, id, clock, now)?))
        .await?;
    let text = explanation.to_string();
    Ok(HttpResponse::Ok().json(serde_json::json!({"explanation": explanation, "text": text})))
}

/// `GET /api/v1/tickets/{id}/escalations`: the escalations recorded for a ticket (staff).
pub async fn escalations(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let rows = state
        .db(move |conn| {
            let ticket = crate::db::tickets::find(conn, id, actor.scope())?
                .ok_or_else(|| AppError::not_found("ticket"))?;
            if !actor.is_staff() {
                return Err(AppError::forbidden("staff only"));
            }
            Ok(crate::db::escalations::for_ticket(conn, ticket.id)?)
        })
        .await?;
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|e| {
            serde_json::json!({"id": e.id, "clock": e.clock, "level": e.level,
                "clock_started_at": crate::db::from_db(e.clock_started_at),
                "at": crate::db::from_db(e.due_at), "recorded_at": crate::db::from_db(e.fired_at)})
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}
