//! The customer's monthly reports in the portal: their own organization's month, read-only.
//! The organization comes from the signed-in customer, never from the request, so another
//! organization's report cannot be asked for at all.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::reports::read;
use crate::sla::report::Month;

use super::super::AppState;
use super::render::PageError;
use super::reports::{Reader, current_month, month_named, picker, report_view, trend};
use super::session::Visitor;

/// Query of the portal's report page.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalQuery {
    /// `2026-11`; the current month when absent.
    pub month: Option<String>,
    /// A snapshot version; the latest when absent.
    pub version: Option<i32>,
}

async fn portal_page(
    state: &AppState,
    visitor: Visitor,
    month: Option<Month>,
    version: Option<i32>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.customer()?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    // The customer's own organization, and nothing else: no id comes from the request.
    let org = visitor.actor.organization_id;
    let tz = visitor.timezone;
    let mut data = state
        .db(move |conn| {
            let current = current_month(&engine, now);
            let month = month.unwrap_or(current);
            let report = read::organization(conn, &engine, month, org, version, now)?;
            let points = trend(conn, &engine, &report, org, now)?;
            let closed = read::closed_months(conn)?;
            let mut data = report_view(&report, &points, Reader::Customer, tz, now);
            data["months"] =
                json!(picker(current, month, &closed, |m| format!("/portal/reports/{m}")));
            Ok(data)
        })
        .await?;
    let title = format!("SLA report · {}", data["title"].as_str().unwrap_or(""));
    data["page"] = visitor.frame(&title);
    state.pages.page("reports_organization", &data)
}

/// `GET /portal/reports?month=`: the customer's organization's month (current by default).
pub async fn portal(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<PortalQuery>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.customer()?;
    let month = query.month.as_deref().filter(|m| !m.is_empty()).map(month_named).transpose()?;
    portal_page(&state, visitor, month, query.version).await
}

/// Query of a portal month.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// A snapshot version; the latest when absent.
    pub version: Option<i32>,
}

/// `GET /portal/reports/{month}`.
pub async fn portal_month(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, PageError> {
    let visitor = visitor.customer()?;
    let month = month_named(&path.into_inner())?;
    portal_page(&state, visitor, Some(month), query.version).await
}
