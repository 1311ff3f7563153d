//! Admin pages: organizations, users and roles, contracts, policies (an edit adds a version,
//! with a what-if preview over the open tickets first), calendars and the on-call roster.
//! Each page lists what there is and carries the form to add more; a refused form comes
//! back filled in, with the field named.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts;
use crate::auth::Role;
use crate::db;
use crate::db::Scope;
use crate::sla::{CalendarSpec, Policy, PolicySpec};
use crate::tickets::whatif;

use super::super::AppState;
use super::super::error::AppError;
use super::format;
use super::render::{PageError, see_other};
use super::session::{Submitted, Visitor};

/// Rows listed per page.
pub const LIMIT: i64 = 1_000;

impl Visitor {
    /// Admins only, else 404.
    pub fn admin(self) -> Result<Self, PageError> {
        if self.actor.is_admin() { Ok(self) } else { Err(PageError::not_found("page")) }
    }
}

/// A refused form: its field and message for the page, or the error itself.
fn refusal(error: AppError) -> Result<Value, PageError> {
    if error.status.is_client_error() && error.status != StatusCode::NOT_FOUND {
        Ok(json!({"field": error.field, "message": error.message}))
    } else {
        Err(error.into())
    }
}

fn status_of(error: &Value) -> StatusCode {
    if error.is_null() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    template: &str,
    title: &str,
    mut data: Value,
    error: Value,
) -> Result<HttpResponse, PageError> {
    data["page"] = visitor.frame(title);
    let status = status_of(&error);
    data["error"] = error;
    state.pages.page_with(status, template, &data)
}

fn local_input(at: NaiveDateTime, tz: Tz) -> String {
    db::from_db(at).with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

fn parse_local(field: &str, text: &str, tz: Tz) -> Result<DateTime<Utc>, AppError> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map(|d| d.and_time(Default::default()))
        })
        .map_err(|_| {
            AppError::field(
                field,
                "a date (2027-01-01) or a local date and time (2027-01-01T08:00)",
            )
        })?;
    tz.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc)).ok_or_else(|| {
        AppError::field(field, "that local time does not exist (clocks went forward)")
    })
}

/// `GET /admin`.
pub async fn index(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.admin()?;
    render(&state, &visitor, "admin_index", "Admin", json!({}), Value::Null).await
}

// ---- organizations ------------------------------------------------------------------------

/// The organization form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationForm {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// IANA time zone.
    #[serde(default)]
    pub timezone: String,
}

async fn organizations_page(
    state: &AppState,
    visitor: &Visitor,
    form: OrganizationForm,
    error: Value,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let tz = visitor.timezone;
    let rows = state
        .db(move |conn| {
            Ok(db::organizations::list(conn, None, 0, LIMIT)?
                .into_iter()
                .map(|o| json!({"id": o.id, "name": o.name, "timezone": o.timezone,
                    "provider": o.is_provider, "created": format::local(db::from_db(o.created_at), tz, now)}))
                .collect::<Vec<_>>())
        })
        .await?;
    let timezone =
        if form.timezone.is_empty() { "Europe/Oslo".to_owned() } else { form.timezone.clone() };
    let data = json!({"organizations": rows, "form": {"name": form.name, "timezone": timezone}});
    render(state, visitor, "admin_organizations", "Organizations", data, error).await
}

/// `GET /admin/organizations`.
pub async fn organizations(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.admin()?;
    organizations_page(&state, &visitor, OrganizationForm::default(), Value::Null).await
}

/// `POST /admin/organizations`.
pub async fn add_organization(
    state: web::Data<AppState>,
    sent: Submitted<OrganizationForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.admin()?;
    let now = state.clock.now();
    let f = form.clone();
    let done = state
        .db(move |conn| {
            Ok(accounts::add_organization(conn, &f.name, f.timezone.trim(), false, now)?)
        })
        .await;
    match done {
        Ok(_) => Ok(see_other("/admin/organizations")),
        Err(e) => organizations_page(&state, &visitor, form, refusal(e)?).await,
    }
}

// ---- users --------------------------------------------------------------------------------

/// The new-user form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserForm {
    /// Organization id.
    #[serde(default)]
    pub organization_id: String,
    /// E-mail.
    #[serde(default)]
    pub email: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Role.
    #[serde(default)]
    pub role: String,
    /// Initial password (empty: API tokens only).
    #[serde(default)]
    pub password: String,
}

async fn users_page(
    state: &AppState,
    visitor: &Visitor,
    form: UserForm,
    error: Value,
) -> Result<HttpResponse, PageError> {
    let f = form.clone();
    let (users, organizations) = state
        .db(move |conn| {
            let organizations = db::organizations::list(conn, None, 0, LIMIT)?;
            let name = |id: i64| organizations.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default();
            let recipients = db::reports::recipient_ids(conn)?;
            let users: Vec<Value> = db::users::list(conn, None, 0, 10 * LIMIT)?
                .into_iter()
                .map(|u| {
                    let roles: Vec<Value> = Role::ALL
                        .iter()
                        .map(|r| json!({"value": r.as_str(), "selected": r.as_str() == u.role}))
                        .collect();
                    json!({"id": u.id, "name": u.name, "email": u.email, "role": u.role,
                        "roles": roles, "active": u.active, "organization": name(u.organization_id),
                        "customer": u.role == Role::Customer.as_str(),
                        "recipient": recipients.contains(&u.id)})
                })
                .collect();
            let organizations: Vec<Value> = organizations
                .iter()
                .map(|o| json!({"id": o.id, "name": o.name, "selected": o.id.to_string() == f.organization_id}))
                .collect();
            Ok((users, organizations))
        })
        .await?;
    let roles: Vec<Value> = Role::ALL
        .iter()
        .map(|r| json!({"value": r.as_str(), "selected": r.as_str() == form.role}))
        .collect();
    let data = json!({"users": users, "organizations": organizations, "roles": roles,
        "form": {"email": form.email, "name": form.name}});
    render(state, visitor, "admin_users", "Users and roles", data, error).await
}

/// `GET /admin/users`.
pub async fn users(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.admin()?;
    users_page(&state, &visitor, UserForm::default(), Value::Null).await
}

fn role_named(text: &str) -> Result<Role, AppError> {
    text.parse::<Role>().map_err(|e| AppError::field("role", e))
}

/// `POST /admin/users`.
pub async fn add_user(
    state: web::Data<AppState>,
    sent: Submitted<UserForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.admin()?;
    let now = state.clock.now();
    let f = form.clone();
    let done = state
        .db(move |conn| {
            let organization_id = f
                .organization_id
                .parse::<i64>()
                .map_err(|_| AppError::field("organization_id", "choose an organization"))?;
            let role = role_named(&f.role)?;
            let password = (!f.password.is_empty()).then_some(f.password.as_str());
            let new = accounts::NewUser {
                organization_id,
                email: &f.email,
                name: &f.name,
                role,
                password,
            };
            Ok(accounts::add_user(conn, &new, now)?)
        })
        .await;
    match done {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e) => users_page(&state, &visitor, form, refusal(e)?).await,
    }
}

/// The role form of one user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleForm {
    /// New role.
    pub role: String,
    /// `yes` to let them sign in.
    #[serde(default)]
    pub active: Option<String>,
    /// `yes` to send them their organization's monthly report (customers).
    #[serde(default)]
    pub recipient: Option<String>,
}

/// `POST /admin/users/{id}`: role and access.
pub async fn set_role(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    sent: Submitted<RoleForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.admin()?;
    let id = path.into_inner();
    let by = visitor.actor.user_id;
    let state_now = state.clock.now();
    let done = state
        .db(move |conn| {
            let role = role_named(&form.role)?;
            let active = form.active.as_deref() == Some("yes");
            // Only customers are marked: the provider's managers get every report anyway.
            let recipient = role == Role::Customer && form.recipient.as_deref() == Some("yes");
            let now = db::to_db(state_now);
            Ok(crate::tickets::transaction(conn, |conn| {
                accounts::set_role(conn, id, role, active, by)?;
                db::reports::set_recipient(conn, id, recipient, now)?;
                Ok(())
            })?)
        })
        .await;
    match done {
        Ok(()) => Ok(see_other("/admin/users")),
        Err(e) => users_page(&state, &visitor, UserForm::default(), refusal(e)?).await,
    }
}

// ---- contracts ----------------------------------------------------------------------------

/// The contract form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractForm {
    /// Organization id.
    #[serde(default)]
    pub organization_id: String,
    /// Policy id.
    #[serde(default)]
    pub policy_id: String,
    /// `yes` for 24/7 on-call cover.
    #[serde(default)]
    pub oncall_24x7: Option<String>,
    /// Start (local date or date and time).
    #[serde(default)]
    pub valid_from: String,
    /// End, exclusive (empty: open-ended).
    #[serde(default)]
    pub valid_to: String,
    /// Notice in months.
    #[serde(default)]
    pub notice_months: String,
}

async fn contracts_page(
    state: &AppState,
    visitor: &Visitor,
    form: ContractForm,
    error: Value,
) -> Result<HttpResponse, PageError> {
    let tz = visitor.timezone;
    let f = form.clone();
    let now = state.clock.now();
    let data = state
        .db(move |conn| {
            let organizations = db::organizations::list(conn, None, 0, LIMIT)?;
            let policies = db::policies::list(conn, 0, LIMIT)?;
            let org_name = |id: i64| organizations.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default();
            let policy_name = |id: i64| policies.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_default();
            let contracts: Vec<Value> = db::contracts::list(conn, Scope::All, 0, 10 * LIMIT)?
                .into_iter()
                .map(|c| json!({"id": c.id, "organization": org_name(c.organization_id), "policy": policy_name(c.policy_id),
                    "oncall_24x7": c.oncall_24x7, "from": format::local(db::from_db(c.valid_from), tz, now),
                    "to": c.valid_to.map(|t| format::local(db::from_db(t), tz, now)), "notice_months": c.notice_months}))
                .collect();
            let organizations: Vec<Value> = organizations
                .iter()
                .filter(|o| !o.is_provider)
                .map(|o| json!({"id": o.id, "name": o.name, "selected": o.id.to_string() == f.organization_id}))
                .collect();
            let policies: Vec<Value> = policies
                .iter()
                .map(|p| json!({"id": p.id, "name": p.name, "selected": p.id.to_string() == f.policy_id}))
                .collect();
            Ok(json!({"contracts": contracts, "organizations": organizations, "policies": policies}))
        })
        .await?;
    let mut data = data;
    let from = if form.valid_from.is_empty() {
        now.with_timezone(&tz).format("%Y-%m-%d").to_string()
    } else {
        form.valid_from.clone()
    };
    data["form"] = json!({"oncall_24x7": form.oncall_24x7.as_deref() == Some("yes"), "valid_from": from,
        "valid_to": form.valid_to, "notice_months": if form.notice_months.is_empty() { "3".to_owned() } else { form.notice_months.clone() }});
    render(state, visitor, "admin_contracts", "Contracts", data, error).await
}

/// `GET /admin/contracts`.
pub async fn contracts(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.admin()?;
    contracts_page(&state, &visitor, ContractForm::default(), Value::Null).await
}

/// `POST /admin/contracts`.
pub async fn add_contract(
    state: web::Data<AppState>,
    sent: Submitted<ContractForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.admin()?;
    let now = state.clock.now();
    let tz = visitor.timezone;
    let f = form.clone();
    let done = state
        .db(move |conn| {
            let id = |field: &str, text: &str| {
                text.parse::<i64>().map_err(|_| AppError::field(field, "choose one"))
            };
            let new =
                accounts::NewContract {
                    organization_id: id("organization_id", &f.organization_id)?,
                    policy_id: id("policy_id", &f.policy_id)?,
                    oncall_24x7: f.oncall_24x7.as_deref() == Some("yes"),
                    valid_from: parse_local("valid_from", &f.valid_from, tz)?,
                    valid_to: match f.valid_to.trim() {
                        "" => None,
                        to => Some(parse_local("valid_to", to, tz)?),
                    },
                    notice_months: f.notice_months.trim().parse().map_err(|_| {
                        AppError::field("notice_months", "a whole number of months")
                    })?,
                };
            Ok(accounts::add_contract(conn, &new, now)?)
        })
        .await;
    match done {
        Ok(_) => Ok(see_other("/admin/contracts")),
        Err(e) => contracts_page(&state, &visitor, form, refusal(e)?).await,
    }
}

// ---- policies -----------------------------------------------------------------------------

/// `GET /admin/policies`.
pub async fn policies(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.admin()?;
    let rows = state
        .db(move |conn| {
            let mut rows = Vec::new();
            for p in db::policies::list(conn, 0, LIMIT)? {
                let version = db::policies::latest_version(conn, p.id)?.map_or(0, |v| v.version);
                rows.push(json!({"id": p.id, "name": p.name, "version": version}));
            }
            Ok(rows)
        })
        .await?;
    render(&state, &visitor, "admin_policies", "Policies", json!({"policies": rows}), Value::Null)
        .await
}

/// The policy edit form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyForm {
    /// The policy's spec as JSON.
    pub spec: String,
    /// `preview` (what would move) or `save` (add the version).
    pub intent: String,
}

fn parse_spec(name: &str, text: &str) -> Result<Policy, AppError> {
    let spec: PolicySpec = serde_json::from_str(text)
        .map_err(|e| AppError::field("spec", format!("not a policy: {e}")))?;
    Policy::new(name, spec).map_err(|e| AppError::field(format!("spec.{}", e.field), e.message))
}

async fn policy_page(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
    spec: Option<String>,
    preview: Option<Value>,
    error: Value,
) -> Result<HttpResponse, PageError> {
    let tz = visitor.timezone;
    let now = state.clock.now();
    let mut data = state
        .db(move |conn| {
            let policy = db::policies::find(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
            let versions = db::policies::versions(conn, id)?;
            let current = versions.iter().max_by_key(|v| v.version).map(|v| v.spec.clone()).unwrap_or_default();
            let pretty = serde_json::from_str::<Value>(&current)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or(current);
            let versions: Vec<Value> = versions
                .iter()
                .rev()
                .map(|v| json!({"version": v.version, "created": format::local(db::from_db(v.created_at), tz, now)}))
                .collect();
            Ok(json!({"policy": {"id": policy.id, "name": policy.name}, "versions": versions, "spec": pretty}))
        })
        .await?;
    if let Some(spec) = spec {
        data["spec"] = json!(spec);
    }
    data["preview"] = preview.unwrap_or(Value::Null);
    let title = format!("Policy {}", data["policy"]["name"].as_str().unwrap_or(""));
    render(state, visitor, "admin_policy", &title, data, error).await
}

/// `GET /admin/policies/{id}`.
pub async fn policy(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.admin()?;
    policy_page(&state, &visitor, path.into_inner(), None, None, Value::Null).await
}

/// `POST /admin/policies/{id}`: preview what the edit would move, or save it as a version.
pub async fn edit_policy(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    sent: Submitted<PolicyForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.admin()?;
    let id = path.into_inner();
    let now = state.clock.now();
    let tz = visitor.timezone;
    let engine = state.engine.clone();
    let by = visitor.actor.user_id;
    let text = form.spec.clone();
    let save = match form.intent.as_str() {
        "save" => true,
        "preview" => false,
        _ => return Err(AppError::field("intent", "preview or save").into()),
    };
    let done = state
        .db(move |conn| {
            let policy = db::policies::find(conn, id)?.ok_or_else(|| AppError::not_found("policy"))?;
            let candidate = parse_spec(&policy.name, &text)?;
            if save {
                accounts::add_policy_version(conn, id, &candidate.spec, Some(by), now)?;
                return Ok(None);
            }
            let (looked, moved) = whatif::policy_edit(conn, &engine, id, &candidate, now)?;
            let rows: Vec<Value> = moved
                .iter()
                .map(|m| json!({"id": m.ticket_id, "number": m.number, "clock": format::clock_label(m.clock),
                    "before": m.due_before.map(|d| format::local(d, tz, now)),
                    "after": m.due_after.map(|d| format::local(d, tz, now)),
                    "breached_before": m.breached_before, "breached_after": m.breached_after,
                    "newly_breached": m.breached_after && !m.breached_before}))
                .collect();
            let newly = moved.iter().filter(|m| m.breached_after && !m.breached_before).count();
            Ok(Some(json!({"looked": looked, "count": rows.len(), "moved": rows, "newly_breached": newly})))
        })
        .await;
    match done {
        Ok(None) => Ok(see_other(&format!("/admin/policies/{id}"))),
        Ok(Some(preview)) => {
            policy_page(&state, &visitor, id, Some(form.spec), Some(preview), Value::Null).await
        }
        Err(e) => {
            let error = refusal(e)?;
            policy_page(&state, &visitor, id, Some(form.spec), None, error).await
        }
    }
}

// ---- calendars ----------------------------------------------------------------------------

/// The calendar form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarForm {
    /// Name (new calendars).
    #[serde(default)]
    pub name: String,
    /// The spec as JSON.
    #[serde(default)]
    pub spec: String,
}

async fn calendars_page(
    state: &AppState,
    visitor: &Visitor,
    form: CalendarForm,
    error: Value,
) -> Result<HttpResponse, PageError> {
    let rows = state
        .db(move |conn| {
            Ok(db::calendars::list(conn, 0, LIMIT)?
                .into_iter()
                .map(|c| {
                    let pretty = serde_json::from_str::<Value>(&c.spec)
                        .and_then(|v| serde_json::to_string_pretty(&v))
                        .unwrap_or(c.spec);
                    json!({"id": c.id, "name": c.name, "spec": pretty})
                })
                .collect::<Vec<_>>())
        })
        .await?;
    let data = json!({"calendars": rows, "form": {"name": form.name, "spec": form.spec}});
    render(state, visitor, "admin_calendars", "Calendars", data, error).await
}

/// `GET /admin/calendars`.
pub async fn calendars(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.admin()?;
    calendars_page(&state, &visitor, CalendarForm::default(), Value::Null).await
}

fn calendar_spec(text: &str) -> Result<CalendarSpec, AppError> {
    let spec: CalendarSpec = serde_json::from_str(text)
        .map_err(|e| AppError::field("spec", format!("not a calendar: {e}")))?;
    crate::sla::calendar::Calendar::new(spec.clone())
        .map_err(|e| AppError::field(format!("spec.{}", e.field), e.message))?;
    Ok(spec)
}

/// `POST /admin/calendars`: a new named calendar.
pub async fn add_calendar(
    state: web::Data<AppState>,
    sent: Submitted<CalendarForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.admin()?;
    let now = state.clock.now();
    let f = form.clone();
    let done = state
        .db(move |conn| Ok(accounts::add_calendar(conn, &f.name, &calendar_spec(&f.spec)?, now)?))
        .await;
    match done {
        Ok(_) => Ok(see_other("/admin/calendars")),
        Err(e) => calendars_page(&state, &visitor, form, refusal(e)?).await,
    }
}

/// `POST /admin/calendars/{id}`: replaces a calendar's spec.
pub async fn update_calendar(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    sent: Submitted<CalendarForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.admin()?;
    let id = path.into_inner();
    let now = state.clock.now();
    let f = form.clone();
    let done = state
        .db(move |conn| Ok(accounts::update_calendar(conn, id, &calendar_spec(&f.spec)?, now)?))
        .await;
    match done {
        Ok(()) => Ok(see_other("/admin/calendars")),
        Err(e) => calendars_page(&state, &visitor, CalendarForm::default(), refusal(e)?).await,
    }
}

// ---- on-call roster -----------------------------------------------------------------------

/// The shift form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftForm {
    /// Staff user id.
    #[serde(default)]
    pub user_id: String,
    /// Start, local.
    #[serde(default)]
    pub starts_at: String,
    /// End, local.
    #[serde(default)]
    pub ends_at: String,
    /// Note.
    #[serde(default)]
    pub note: String,
}

async fn roster_page(
    state: &AppState,
    visitor: &Visitor,
    form: ShiftForm,
    error: Value,
) -> Result<HttpResponse, PageError> {
    let tz = visitor.timezone;
    let now = state.clock.now();
    let provider = visitor.actor.organization_id;
    let f = form.clone();
    let (shifts, staff) = state
        .db(move |conn| {
            let staff = db::users::list(conn, Some(provider), 0, LIMIT)?;
            let name = |id: i64| staff.iter().find(|u| u.id == id).map(|u| u.name.clone()).unwrap_or_default();
            let shifts: Vec<Value> = db::oncall::list(conn, db::to_db(now), 0, LIMIT)?
                .into_iter()
                .map(|s| json!({"id": s.id, "name": name(s.user_id), "note": s.note,
                    "from": format::local(db::from_db(s.starts_at), tz, now),
                    "to": format::local(db::from_db(s.ends_at), tz, now),
                    "now": db::from_db(s.starts_at) <= now && now < db::from_db(s.ends_at)}))
                .collect();
            let staff: Vec<Value> = staff
                .iter()
                .filter(|u| u.active)
                .map(|u| json!({"id": u.id, "name": u.name, "selected": u.id.to_string() == f.user_id}))
                .collect();
            Ok((shifts, staff))
        })
        .await?;
    let start = if form.starts_at.is_empty() {
        local_input(db::to_db(now), tz)
    } else {
        form.starts_at.clone()
    };
    let data = json!({"shifts": shifts, "staff": staff, "timezone": tz.name(),
        "form": {"starts_at": start, "ends_at": form.ends_at, "note": form.note}});
    render(state, visitor, "admin_oncall", "On-call roster", data, error).await
}

/// `GET /admin/oncall`.
pub async fn roster(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.admin()?;
    roster_page(&state, &visitor, ShiftForm::default(), Value::Null).await
}

/// `POST /admin/oncall`: adds a shift.
pub async fn add_shift(
    state: web::Data<AppState>,
    sent: Submitted<ShiftForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.admin()?;
    let now = state.clock.now();
    let tz = visitor.timezone;
    let f = form.clone();
    let done = state
        .db(move |conn| {
            let shift = accounts::oncall::ShiftRequest {
                user_id: f
                    .user_id
                    .parse()
                    .map_err(|_| AppError::field("user_id", "choose who is on call"))?,
                starts_at: parse_local("starts_at", &f.starts_at, tz)?,
                ends_at: parse_local("ends_at", &f.ends_at, tz)?,
                note: &f.note,
            };
            Ok(accounts::oncall::add_shift(conn, &shift, now)?)
        })
        .await;
    match done {
        Ok(_) => Ok(see_other("/admin/oncall")),
        Err(e) => roster_page(&state, &visitor, form, refusal(e)?).await,
    }
}

/// `POST /admin/oncall/{id}/delete`: removes a shift.
pub async fn delete_shift(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    sent: Submitted<super::session::Empty>,
) -> Result<HttpResponse, PageError> {
    let visitor = sent.visitor.admin()?;
    let id = path.into_inner();
    let done = state.db(move |conn| Ok(accounts::oncall::delete_shift(conn, id)?)).await;
    match done {
        Ok(()) => Ok(see_other("/admin/oncall")),
        Err(e) => roster_page(&state, &visitor, ShiftForm::default(), refusal(e)?).await,
    }
}
