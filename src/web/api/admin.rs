//! Organizations, users, contracts, policies (with versions) and calendars. Reads of
//! organization data go through the caller's scope; writes need the role in the route table.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts;
use crate::auth::Role;
use crate::db::{self, Scope};
use crate::sla::{CalendarSpec, PolicySpec};
use crate::tickets::TicketError;

use super::super::AppState;
use super::super::auth::{Admin, Signed};
use super::super::error::AppError;
use super::super::json::Json;
use super::{Page, Paging};

fn at(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    db::from_db(t)
}

fn organization_json(o: &db::organizations::Organization) -> Value {
    json!({"id": o.id, "name": o.name, "timezone": o.timezone, "is_provider": o.is_provider, "created_at": at(o.created_at)})
}

fn user_json(u: &db::users::User) -> Value {
    json!({"id": u.id, "organization_id": u.organization_id, "email": u.email, "name": u.name,
           "role": u.role, "active": u.active, "created_at": at(u.created_at)})
}

fn contract_json(c: &db::contracts::Contract) -> Value {
    json!({"id": c.id, "organization_id": c.organization_id, "policy_id": c.policy_id,
           "oncall_24x7": c.oncall_24x7, "valid_from": at(c.valid_from), "valid_to": c.valid_to.map(at),
           "notice_months": c.notice_months, "created_at": at(c.created_at)})
}

fn version_json(v: &db::policies::PolicyVersion) -> Value {
    json!({"id": v.id, "policy_id": v.policy_id, "version": v.version,
           "spec": serde_json::from_str::<Value>(&v.spec).unwrap_or(Value::Null),
           "created_at": at(v.created_at), "created_by": v.created_by})
}

fn calendar_json(c: &db::calendars::CalendarRow) -> Value {
    json!({"id": c.id, "name": c.name, "spec": serde_json::from_str::<Value>(&c.spec).unwrap_or(Value::Null),
           "created_at": at(c.created_at), "updated_at": at(c.updated_at)})
}

fn only_own(actor: &crate::auth::Actor) -> Option<i64> {
    (!actor.is_staff()).then_some(actor.organization_id)
}

/// `GET /api/v1/organizations`.
pub async fn list_organizations(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, AppError> {
    let (limit, after) = (paging.limit()?, paging.position()?);
    let rows =
        state.db(move |c| Ok(db::organizations::list(c, only_own(&actor), after, limit)?)).await?;
    let items: Vec<Value> = rows.iter().map(organization_json).collect();
    Ok(HttpResponse::Ok().json(Page::keyed(items, limit, |v| v["id"].as_i64().unwrap_or(0))))
}

/// New organization.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganizationRequest {
    /// Unique name.
    pub name: String,
    /// IANA time zone its people read times in (default Europe/Copenhagen).
    #[serde(default)]
    pub timezone: Option<String>,
}

/// `POST /api/v1/organizations`.
pub async fn create_organization(
    state: web::Data<AppState>,
    Admin(_): Admin,
    body: Json<NewOrganizationRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let zone = body.timezone.unwrap_or_else(|| state.engine.provider().spec.timezone.clone());
    let org = state
        .db(move |c| {
            let id = accounts::add_organization(c, &body.name, &zone, false, now)?;
            db::organizations::find(c, id)?.ok_or_else(|| AppError::not_found("organization"))
        })
        .await?;
    Ok(HttpResponse::Created().json(organization_json(&org)))
}

/// `GET /api/v1/organizations/{id}`.
pub async fn show_organization(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    if only_own(&actor).is_some_and(|own| own != id) {
        return Err(AppError::not_found("organization"));
    }
    let org = state
        .db(move |c| Ok(db::organizations::find(c, id)?))
        .await?
        .ok_or_else(|| AppError::not_found("organization"))?;
    Ok(HttpResponse::Ok().json(organization_json(&org)))
}

/// `GET /api/v1/users`.
pub async fn list_users(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, AppError> {
    let (limit, after) = (paging.limit()?, paging.position()?);
    let rows = state.db(move |c| Ok(db::users::list(c, only_own(&actor), after, limit)?)).await?;
    let items: Vec<Value> = rows.iter().map(user_json).collect();
    Ok(HttpResponse::Ok().json(Page::keyed(items, limit, |v| v["id"].as_i64().unwrap_or(0))))
}

/// New user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Organization (staff: the provider's).
    pub organization_id: i64,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Initial password (at least 10 characters); omit for API-token-only users.
    #[serde(default)]
    pub password: Option<String>,
}

/// `POST /api/v1/users`.
pub async fn create_user(
    state: web::Data<AppState>,
    Admin(_): Admin,
    body: Json<NewUserRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let user = state
        .db(move |c| {
            let new = accounts::NewUser {
                organization_id: body.organization_id,
                email: &body.email,
                name: &body.name,
                role: body.role,
                password: body.password.as_deref(),
            };
            let id = accounts::add_user(c, &new, now)?;
            db::users::find(c, id, None)?.ok_or_else(|| AppError::not_found("user"))
        })
        .await?;
    Ok(HttpResponse::Created().json(user_json(&user)))
}

/// `GET /api/v1/users/{id}`.
pub async fn show_user(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user = state
        .db(move |c| Ok(db::users::find(c, id, only_own(&actor))?))
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    Ok(HttpResponse::Ok().json(user_json(&user)))
}

/// `GET /api/v1/contracts`.
pub async fn list_contracts(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, AppError> {
    let (limit, after) = (paging.limit()?, paging.position()?);
    let rows = state.db(move |c| Ok(db::contracts::list(c, actor.scope(), after, limit)?)).await?;
    let items: Vec<Value> = rows.iter().map(contract_json).collect();
    Ok(HttpResponse::Ok().json(Page::keyed(items, limit, |v| v["id"].as_i64().unwrap_or(0))))
}

/// New contract.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContractRequest {
    /// Customer organization.
    pub organization_id: i64,
    /// Policy.
    pub policy_id: i64,
    /// 24/7 on-call cover (no start-up fee).
    #[serde(default)]
    pub oncall_24x7: bool,
    /// Start of validity (default: now).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_from: Option<DateTime<Utc>>,
    /// End of validity, exclusive.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_to: Option<DateTime<Utc>>,
    /// Notice period in months (default 3).
    #[serde(default)]
    pub notice_months: Option<i32>,
}

/// `POST /api/v1/contracts`.
pub async fn create_contract(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    body: Json<NewContractRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    if !actor.is_manager() {
        return Err(AppError::forbidden("managers and admins only"));
    }
    let now = state.clock.now();
    let contract = state
        .db(move |c| {
            let new = accounts::NewContract {
                organization_id: body.organization_id,
                policy_id: body.policy_id,
                oncall_24x7: body.oncall_24x7,
                valid_from: body.valid_from.unwrap_or(now),
                valid_to: body.valid_to,
                notice_months: body.notice_months.unwrap_or(3),
            };
            let id = accounts::add_contract(c, &new, now)?;
            db::contracts::find(c, id, Scope::All)?.ok_or_else(|| AppError::not_found("contract"))
        })
        .await?;
    Ok(HttpResponse::Created().json(contract_json(&contract)))
}

/// `GET /api/v1/contracts/{id}`.
pub async fn show_contract(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let contract = state
        .db(move |c| Ok(db::contracts::find(c, id, actor.scope())?))
        .await?
        .ok_or_else(|| AppError::not_found("contract"))?;
    Ok(HttpResponse::Ok().json(contract_json(&contract)))
}

fn policy_with_current(c: &mut db::DbConn, p: &db::policies::Policy) -> Result<Value, AppError> {
    let current = db::policies::latest_version(c, p.id)?;
    Ok(json!({"id": p.id, "name": p.name, "created_at": at(p.created_at),
              "current_version": current.as_ref().map(version_json)}))
}

/// `GET /api/v1/policies`.
pub async fn list_policies(
    state: web::Data<AppState>,
    _: Signed,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, AppError> {
    let (limit, after) = (paging.limit()?, paging.position()?);
    let items = state
        .db(move |c| {
            let rows = db::policies::list(c, after, limit)?;
            rows.iter().map(|p| policy_with_current(c, p)).collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::keyed(items, limit, |v| v["id"].as_i64().unwrap_or(0))))
}

/// New policy.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPolicyRequest {
    /// Unique name.
    pub name: String,
    /// Calendar, targets and thresholds (the shape of `config/default.toml`'s policies).
    #[schema(value_type = Object)]
    pub spec: PolicySpec,
}

/// `POST /api/v1/policies`.
pub async fn create_policy(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    body: Json<NewPolicyRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let policy = state
        .db(move |c| {
            let id = accounts::add_policy(c, &body.name, &body.spec, Some(actor.user_id), now)?;
            let p = db::policies::find(c, id)?.ok_or_else(|| AppError::not_found("policy"))?;
            policy_with_current(c, &p)
        })
        .await?;
    Ok(HttpResponse::Created().json(policy))
}

/// `GET /api/v1/policies/{id}`.
pub async fn show_policy(
    state: web::Data<AppState>,
    _: Signed,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let policy = state
        .db(move |c| {
            let p = db::policies::find(c, id)?.ok_or_else(|| AppError::not_found("policy"))?;
            policy_with_current(c, &p)
        })
        .await?;
    Ok(HttpResponse::Ok().json(policy))
}

/// `GET /api/v1/policies/{id}/versions`.
pub async fn policy_versions(
    state: web::Data<AppState>,
    _: Signed,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let items = state
        .db(move |c| {
            db::policies::find(c, id)?.ok_or_else(|| AppError::not_found("policy"))?;
            Ok(db::policies::versions(c, id)?.iter().map(version_json).collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}

/// A policy edit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyVersionRequest {
    /// The new spec.
    #[schema(value_type = Object)]
    pub spec: PolicySpec,
}

/// `POST /api/v1/policies/{id}/versions`.
pub async fn create_policy_version(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    path: web::Path<i64>,
    body: Json<PolicyVersionRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let id = path.into_inner();
    let now = state.clock.now();
    let version = state
        .db(move |c| {
            let vid = accounts::add_policy_version(c, id, &body.spec, Some(actor.user_id), now)?;
            db::policies::find_version(c, vid)?
                .ok_or_else(|| AppError::from(TicketError::NotFound("policy version")))
        })
        .await?;
    Ok(HttpResponse::Created().json(version_json(&version)))
}

/// `GET /api/v1/calendars`.
pub async fn list_calendars(
    state: web::Data<AppState>,
    _: Signed,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, AppError> {
    let (limit, after) = (paging.limit()?, paging.position()?);
    let rows = state.db(move |c| Ok(db::calendars::list(c, after, limit)?)).await?;
    let items: Vec<Value> = rows.iter().map(calendar_json).collect();
    Ok(HttpResponse::Ok().json(Page::keyed(items, limit, |v| v["id"].as_i64().unwrap_or(0))))
}

/// New calendar.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCalendarRequest {
    /// Unique name.
    pub name: String,
    /// DESIGN §3 calendar.
    #[schema(value_type = Object)]
    pub spec: CalendarSpec,
}

/// `POST /api/v1/calendars`.
pub async fn create_calendar(
    state: web::Data<AppState>,
    Admin(_): Admin,
    body: Json<NewCalendarRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let row = state
        .db(move |c| {
            let id = accounts::add_calendar(c, &body.name, &body.spec, now)?;
            db::calendars::find(c, id)?.ok_or_else(|| AppError::not_found("calendar"))
        })
        .await?;
    Ok(HttpResponse::Created().json(calendar_json(&row)))
}

/// `GET /api/v1/calendars/{id}`.
pub async fn show_calendar(
    state: web::Data<AppState>,
    _: Signed,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let row = state
        .db(move |c| Ok(db::calendars::find(c, id)?))
        .await?
        .ok_or_else(|| AppError::not_found("calendar"))?;
    Ok(HttpResponse::Ok().json(calendar_json(&row)))
}

/// Calendar replacement.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarUpdateRequest {
    /// The new spec.
    #[schema(value_type = Object)]
    pub spec: CalendarSpec,
}

/// `PUT /api/v1/calendars/{id}`.
pub async fn update_calendar(
    state: web::Data<AppState>,
    Admin(_): Admin,
    path: web::Path<i64>,
    body: Json<CalendarUpdateRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let id = path.into_inner();
    let now = state.clock.now();
    let row = state
        .db(move |c| {
            accounts::update_calendar(c, id, &body.spec, now)?;
            db::calendars::find(c, id)?.ok_or_else(|| AppError::not_found("calendar"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(calendar_json(&row)))
}
