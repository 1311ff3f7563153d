//! The manager's pages (managers and admins; anyone else gets 404): the home they land on
//! after sign-in (this month so far per customer, the breaches that need a cause, the pending
//! clocks at risk), the month's overview over all customers, one organization's month with
//! the cause forms, and closing or recomputing a month.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::reports::causes::{self, Cause, SetCause};
use crate::reports::read::{self, Overview, RowView};
use crate::reports::snapshot::{self, Closed};
use crate::sla::ClockKind;
use crate::sla::report::{Month, Outcome};

use super::super::AppState;
use super::super::error::AppError;
use super::format;
use super::render::{PageError, see_other};
use super::reports::{self as view, Reader, month_named};
use super::session::{Submitted, Visitor};

/// Rows listed at most in each list of the manager's home.
pub const HOME_LIMIT: usize = 200;

impl Visitor {
    /// Managers and admins only, else 404 (technicians and customers are not told it exists).
    pub fn manager(self) -> Result<Self, PageError> {
        if self.actor.is_manager() { Ok(self) } else { Err(PageError::not_found("page")) }
    }
}

/// What a close did, read back from the redirect's query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `2026-11` (the overview; the current month when absent).
    pub month: Option<String>,
    /// A snapshot version (an organization's page).
    pub version: Option<i32>,
    /// A version just written…
    pub closed: Option<i32>,
    /// …with this many rows differing from the one before.
    pub changed: Option<usize>,
    /// Nothing differed: this version stands.
    pub unchanged: Option<i32>,
}

impl ReportQuery {
    fn notice(&self) -> Option<String> {
        match (self.closed, self.changed, self.unchanged) {
            (Some(1), _, _) => Some("Version 1 written: the month is closed.".to_owned()),
            (Some(v), Some(k), _) => Some(format!("Version {v} written, {k} rows differ.")),
            (_, _, Some(v)) => Some(format!("Nothing differs; version {v} stands.")),
            _ => None,
        }
    }
}

/// A refused form's field and message, or the error itself when it is not the form's fault.
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

fn overview_link(m: Month) -> String {
    format!("/reports?month={m}")
}

fn organization_link(m: Month, org: i64) -> String {
    format!("/reports/{m}/organizations/{org}")
}

async fn overview_page(
    state: &AppState,
    visitor: &Visitor,
    month: Option<Month>,
    notice: Option<String>,
    error: Value,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let engine = state.engine.clone();
    let tz = visitor.timezone;
    let mut data = state
        .db(move |conn| {
            let current = view::current_month(&engine, now);
            let month = month.unwrap_or(current);
            let overview = read::overview(conn, &engine, month, None, now)?;
            let closed = read::closed_months(conn)?;
            let organizations: Vec<Value> = overview
                .organizations
                .iter()
                .map(|f| {
                    let mut row = view::figures(f);
                    row["href"] = json!(organization_link(month, f.organization_id));
                    row
                })
                .collect();
            Ok(json!({
                "month": month.to_string(),
                "title": overview.title,
                "state": view::state_words(&overview.state, tz, now),
                "organizations": organizations,
                "total": view::figures(&overview.total),
                "months": view::picker(current, month, &closed, overview_link),
                "rules": view::RULES,
            }))
        })
        .await?;
    let title = format!("SLA reports · {}", data["title"].as_str().unwrap_or(""));
    data["page"] = visitor.frame(&title);
    data["notice"] = json!(notice);
    let status = status_of(&error);
    data["error"] = error;
    state.pages.page_with(status, "reports", &data)
}

/// `GET /reports?month=YYYY-MM`: every customer's month (the current one by default).
pub async fn overview(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.manager()?;
    let month = query.month.as_deref().filter(|m| !m.is_empty()).map(month_named).transpose()?;
    overview_page(&state, &visitor, month, query.notice(), Value::Null).await
}

async fn organization_page(
    state: &AppState,
    visitor: &Visitor,
    (month, org, version): (Month, i64, Option<i32>),
    notice: Option<String>,
    error: Value,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let engine = state.engine.clone();
    let tz = visitor.timezone;
    let mut data = state
        .db(move |conn| {
            let report = read::organization(conn, &engine, month, org, version, now)?;
            let points = view::trend(conn, &engine, &report, org, now)?;
            let closed = read::closed_months(conn)?;
            let current = view::current_month(&engine, now);
            let versions: Vec<Value> = read::versions(conn, month)?
                .into_iter()
                .map(|v| {
                    json!({"version": v.version, "computed": format::local(v.computed_at, tz, now),
                        "reason": v.reason, "href": format!("{}?version={}", organization_link(month, org), v.version)})
                })
                .collect();
            let mut data = view::report_view(&report, &points, Reader::Manager, tz, now);
            data["months"] = json!(view::picker(current, month, &closed, |m| organization_link(m, org)));
            data["versions"] = json!(versions);
            data["overview"] = json!(overview_link(month));
            Ok(data)
        })
        .await?;
    let title = format!(
        "{} · {}",
        data["figures"]["name"].as_str().unwrap_or(""),
        data["title"].as_str().unwrap_or("")
    );
    data["page"] = visitor.frame(&title);
    data["notice"] = json!(notice);
    let status = status_of(&error);
    data["error"] = error;
    state.pages.page_with(status, "reports_organization", &data)
}

/// `GET /reports/{month}/organizations/{id}?version=N`: one organization's month.
pub async fn organization(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.manager()?;
    let (month, org) = path.into_inner();
    let month = month_named(&month)?;
    let org = org.parse::<i64>().map_err(|_| PageError::not_found("organization"))?;
    organization_page(&state, &visitor, (month, org, query.version), query.notice(), Value::Null)
        .await
}

/// The cause form of one breach.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseForm {
    /// The report's month (to come back to).
    #[serde(default)]
    pub month: String,
    /// The report's organization (to come back to).
    #[serde(default)]
    pub organization_id: String,
    /// The ticket.
    #[serde(default)]
    pub ticket_id: String,
    /// `response` or `fix_start`.
    #[serde(default)]
    pub clock: String,
    /// The run's start, RFC 3339.
    #[serde(default)]
    pub started_at: String,
    /// One of [`Cause::ALL`].
    #[serde(default)]
    pub cause: String,
    /// Free text; required for `other`.
    #[serde(default)]
    pub note: String,
}

fn request_of(form: &CauseForm) -> Result<SetCause, AppError> {
    let ticket_id = form
        .ticket_id
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::field("ticket_id", "a ticket id"))?;
    let clock = [ClockKind::Response, ClockKind::FixStart]
        .into_iter()
        .find(|c| c.as_str() == form.clock)
        .ok_or_else(|| AppError::field("clock", "response or fix_start"))?;
    let started_at = DateTime::parse_from_rfc3339(form.started_at.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| AppError::field("started_at", "the run's start as the report lists it"))?;
    let cause = if form.cause.is_empty() {
        return Err(AppError::field("cause", "choose a cause"));
    } else {
        form.cause.parse::<Cause>().map_err(|e| AppError::field("cause", e))?
    };
    Ok(SetCause { ticket_id, clock, started_at, cause, note: form.note.clone() })
}

/// `POST /reports/causes`: sets a breach's cause, back to the report; refused: the report
/// again (422) with the field named.
pub async fn set_cause(
    state: web::Data<AppState>,
    sent: Submitted<CauseForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.manager()?;
    let month = month_named(&form.month)?;
    let org = form
        .organization_id
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::field("organization_id", "an organization id"))?;
    let now = state.clock.now();
    let by = visitor.actor.user_id;
    let done = match request_of(&form) {
        Ok(request) => {
            state.db(move |conn| Ok(causes::set(conn, &request, by, now).map(|_| request)?)).await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(request) => Ok(see_other(&format!(
            "{}#{}",
            organization_link(month, org),
            view::anchor(request.ticket_id, request.clock, request.started_at)
        ))),
        Err(e) => organization_page(&state, &visitor, (month, org, None), None, refusal(e)?).await,
    }
}

/// The close (recompute) form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseForm {
    /// Why it is recomputed (kept with the version).
    #[serde(default)]
    pub reason: String,
    /// The organization page it was sent from, if any (to come back to).
    #[serde(default)]
    pub organization_id: String,
}

/// `POST /reports/{month}/close`: closes the month, or recomputes it as a new version when
/// anything differs; a month not over is refused with the field named.
pub async fn close(
    state: web::Data<AppState>,
    path: web::Path<String>,
    sent: Submitted<CloseForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let visitor = visitor.manager()?;
    let month = month_named(&path.into_inner())?;
    let org = match form.organization_id.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .map_err(|_| AppError::field("organization_id", "an organization id"))?,
        ),
    };
    let now = state.clock.now();
    let engine = state.engine.clone();
    let by = visitor.actor.user_id;
    let reason = form.reason.trim().to_owned();
    let done = state
        .db(move |conn| Ok(snapshot::close(conn, &engine, month, now, Some(by), &reason)?))
        .await;
    let back = match org {
        Some(org) => format!("{}?", organization_link(month, org)),
        None => format!("{}&", overview_link(month)),
    };
    match done {
        Ok(Closed::Written { version, changed, .. }) => {
            Ok(see_other(&format!("{back}closed={version}&changed={changed}")))
        }
        Ok(Closed::Unchanged { version }) => Ok(see_other(&format!("{back}unchanged={version}"))),
        Err(e) => {
            let error = refusal(e)?;
            match org {
                Some(org) => {
                    organization_page(&state, &visitor, (month, org, None), None, error).await
                }
                None => overview_page(&state, &visitor, Some(month), None, error).await,
            }
        }
    }
}

/// The breaches of `overview`'s month without a cause, as the home lists them.
fn needing_cause(
    conn: &mut crate::db::DbConn,
    engine: &crate::tickets::Engine,
    overview: &Overview,
    (tz, now): (chrono_tz::Tz, DateTime<Utc>),
    out: &mut Vec<Value>,
) -> Result<(), AppError> {
    for f in overview.organizations.iter().filter(|f| f.breaches() > 0) {
        let report =
            read::organization(conn, engine, overview.month, f.organization_id, None, now)?;
        push_uncaused(overview, report.breaches(), (tz, now), out);
    }
    Ok(())
}

/// The breaches among `rows` without a cause, as the home lists them (at most
/// [`HOME_LIMIT`] in all).
fn push_uncaused<'a>(
    overview: &Overview,
    rows: impl Iterator<Item = &'a RowView>,
    (tz, now): (chrono_tz::Tz, DateTime<Utc>),
    out: &mut Vec<Value>,
) {
    let month = overview.month;
    for b in rows.filter(|b| b.row.outcome == Outcome::Breached && b.cause.is_none()) {
        if out.len() >= HOME_LIMIT {
            return;
        }
        let r = &b.row;
        out.push(json!({
            "month": month.title(),
            "organization": organization_name(overview, r.organization_id),
            "number": r.ticket_number,
            "title": r.title,
            "clock": format::clock_label(r.clock),
            "due": r.due_at.map(|d| format::local(d, tz, now)),
            "overrun": format::business(r.overrun_secs),
            "href": format!("{}#{}", organization_link(month, r.organization_id), view::anchor(r.ticket_id, r.clock, r.started_at)),
        }));
    }
}

fn organization_name(overview: &Overview, id: i64) -> String {
    overview
        .organizations
        .iter()
        .find(|f| f.organization_id == id)
        .map(|f| f.organization_name.clone())
        .unwrap_or_default()
}

/// `GET /manager`: the manager's home.
pub async fn home(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, PageError> {
    let visitor = visitor.manager()?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let tz = visitor.timezone;
    let mut data = state
        .db(move |conn| {
            // One computation of the month so far serves the figures, the breaches and the
            // clocks at risk.
            let (overview, rows) = read::so_far(conn, &engine, now)?;
            let current = overview.month;
            let last = read::overview(conn, &engine, current.prev(), None, now)?;
            let mut causes = Vec::new();
            push_uncaused(&overview, rows.iter(), (tz, now), &mut causes);
            needing_cause(conn, &engine, &last, (tz, now), &mut causes)?;
            let mut risky: Vec<_> =
                rows.iter().map(|r| &r.row).filter(|r| view::at_risk(r, now)).collect();
            risky.sort_by_key(|r| (r.due_at.is_none(), r.due_at));
            let name = |id: i64| organization_name(&overview, id);
            let at_risk: Vec<Value> = risky
                .iter()
                .take(HOME_LIMIT)
                .map(|r| {
                    #[allow(clippy::cast_precision_loss)]
                    let used = if r.target_secs > 0 { r.used_secs as f64 * 100.0 / r.target_secs as f64 } else { 0.0 };
                    json!({
                        "organization": name(r.organization_id),
                        "number": r.ticket_number,
                        "title": r.title,
                        "href": format!("/desk/tickets/{}", r.ticket_id),
                        "clock": format::clock_label(r.clock),
                        "due": r.due_at.map(|d| format::local(d, tz, now)),
                        "used": format!("{} of {} ({used:.0} %)", format::business(r.used_secs), format::business(r.target_secs)),
                    })
                })
                .collect();
            let organizations: Vec<Value> = overview
                .organizations
                .iter()
                .map(|f| {
                    let mut row = view::figures(f);
                    row["href"] = json!(organization_link(current, f.organization_id));
                    row
                })
                .collect();
            Ok(json!({
                "title": overview.title,
                "state": view::state_words(&overview.state, tz, now),
                "organizations": organizations,
                "total": view::figures(&overview.total),
                "needs_cause": causes,
                "at_risk": at_risk,
                "overview": overview_link(current),
            }))
        })
        .await?;
    data["page"] = visitor.frame("Manager");
    state.pages.page("manager_home", &data)
}
