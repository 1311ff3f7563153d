//! The one route table: every URL of the service, with its method, who may call it and what
//! it takes. The server registers from it and the OpenAPI document is generated from it, so
//! the two cannot drift; tests walk it (the isolation matrix covers every route here).

use actix_web::http::Method;
use actix_web::web;

use super::api::{admin, oncall, outbox, reports, tickets};
use super::{auth, health, openapi};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// Any signed-in user (customers within their organization).
    Signed,
    /// Technicians, managers and admins.
    Staff,
    /// Managers and admins.
    Manager,
    /// Admins.
    Admin,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path, with `{name}` parameters.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// One line for the API document.
    pub summary: &'static str,
    /// Name of the request body's schema, if it takes one.
    pub body: Option<&'static str>,
}

macro_rules! route_table {
    ($( $method:ident $path:literal => $handler:path, $access:ident, $summary:literal $(, body = $body:ident)? ;)*) => {
        /// Every route of the service.
        pub const ROUTES: &[Route] = &[$(Route {
            method: stringify!($method),
            path: $path,
            access: Access::$access,
            summary: $summary,
            body: route_table!(@body $($body)?),
        }),*];

        fn handlers() -> Vec<(&'static str, actix_web::Route)> {
            vec![$(($path, web::method(Method::$method).to($handler))),*]
        }
    };
    (@body) => { None };
    (@body $body:ident) => { Some(stringify!($body)) };
}

route_table! {
    GET "/healthz" => health::healthz, Public, "The process is up";
    GET "/readyz" => health::readyz, Public, "The database is reachable (503 with Retry-After when not)";
    GET "/api/v1/openapi.json" => openapi::document, Public, "This API document";
    POST "/api/v1/session" => auth::sign_in, Public, "Sign in: sets the session cookie", body = SignIn;
    DELETE "/api/v1/session" => auth::sign_out, Signed, "Sign out: revokes this session or token";
    GET "/api/v1/me" => auth::who_am_i, Signed, "The signed-in user";
    POST "/api/v1/tokens" => auth::issue_token, Signed, "A new API token for the signed-in user", body = NewApiToken;
    GET "/api/v1/tickets" => tickets::list, Signed, "Tickets, nearest deadline first; filters status, severity, organization_id, assignee";
    POST "/api/v1/tickets" => tickets::create, Signed, "File a ticket", body = NewTicketRequest;
    POST "/api/v1/fee-preview" => tickets::fee_preview, Signed, "If filed now: covered or not, next opening, fee, deadlines", body = PreviewRequest;
    GET "/api/v1/tickets/{id}" => tickets::show, Signed, "One ticket with its clocks";
    GET "/api/v1/tickets/{id}/events" => tickets::events, Signed, "A ticket's events (customers see public ones)";
    POST "/api/v1/tickets/{id}/actions/{action}" => tickets::act, Signed, "reply, note, start_fix, wait, resume, resolve, reopen, close, change_severity, assign, change_contract", body = ActionBody;
    GET "/api/v1/tickets/{id}/explain/{clock}" => tickets::explain, Signed, "How a clock's deadline came out, step by step";
    GET "/api/v1/tickets/{id}/escalations" => tickets::escalations, Staff, "Escalations recorded for a ticket, at their computed instants";
    GET "/api/v1/organizations" => admin::list_organizations, Signed, "Organizations (customers: their own)";
    POST "/api/v1/organizations" => admin::create_organization, Admin, "Create an organization", body = NewOrganizationRequest;
    GET "/api/v1/organizations/{id}" => admin::show_organization, Signed, "One organization";
    GET "/api/v1/users" => admin::list_users, Signed, "Users (customers: their organization's)";
    POST "/api/v1/users" => admin::create_user, Admin, "Create a user", body = NewUserRequest;
    GET "/api/v1/users/{id}" => admin::show_user, Signed, "One user";
    GET "/api/v1/contracts" => admin::list_contracts, Signed, "Contracts (customers: their own)";
    POST "/api/v1/contracts" => admin::create_contract, Manager, "Create a contract", body = NewContractRequest;
    GET "/api/v1/contracts/{id}" => admin::show_contract, Signed, "One contract";
    GET "/api/v1/policies" => admin::list_policies, Signed, "Policies with their current version";
    POST "/api/v1/policies" => admin::create_policy, Admin, "Create a policy (version 1)", body = NewPolicyRequest;
    GET "/api/v1/policies/{id}" => admin::show_policy, Signed, "One policy with its current version";
    GET "/api/v1/policies/{id}/versions" => admin::policy_versions, Signed, "Every version of a policy";
    POST "/api/v1/policies/{id}/versions" => admin::create_policy_version, Admin, "Edit a policy: adds a version", body = PolicyVersionRequest;
    GET "/api/v1/calendars" => admin::list_calendars, Signed, "Named calendars";
    POST "/api/v1/calendars" => admin::create_calendar, Admin, "Create a calendar", body = NewCalendarRequest;
    GET "/api/v1/calendars/{id}" => admin::show_calendar, Signed, "One calendar";
    PUT "/api/v1/calendars/{id}" => admin::update_calendar, Admin, "Replace a calendar's spec", body = CalendarUpdateRequest;
    GET "/api/v1/oncall" => oncall::list, Staff, "The on-call roster: shifts ending after `from` (default now)";
    POST "/api/v1/oncall" => oncall::create, Admin, "Add an on-call shift", body = ShiftBody;
    GET "/api/v1/oncall/now" => oncall::now, Staff, "Who is on call now, and the on-call phone number";
    GET "/api/v1/oncall/{id}" => oncall::show, Staff, "One shift";
    PUT "/api/v1/oncall/{id}" => oncall::update, Admin, "Replace a shift", body = ShiftBody;
    DELETE "/api/v1/oncall/{id}" => oncall::delete, Admin, "Remove a shift";
    GET "/api/v1/webhooks" => outbox::list_webhooks, Admin, "Webhook endpoints";
    POST "/api/v1/webhooks" => outbox::create_webhook, Admin, "Add a webhook endpoint (the secret is shown once)", body = WebhookBody;
    PUT "/api/v1/webhooks/{id}" => outbox::update_webhook, Admin, "Change a webhook endpoint", body = WebhookBody;
    GET "/api/v1/outbox" => outbox::list_outbox, Admin, "Notifications: pending, parked or delivered";
    POST "/api/v1/outbox/{id}/retry" => outbox::retry, Admin, "Put a parked notification back in the queue";
    GET "/api/v1/reports" => reports::overview, Manager, "A month's SLA overview of every customer: ?month=YYYY-MM[&version=N]";
    GET "/api/v1/reports/{month}/versions" => reports::versions, Manager, "The versions of a closed month, newest first, each with the rows it changed";
    POST "/api/v1/reports/{month}/close" => reports::close, Manager, "Close a month, or recompute it as the next version (201; 200 when nothing differs); body optional", body = CloseRequest;
    PUT "/api/v1/reports/causes" => reports::set_cause, Manager, "Set the cause of a breached clock", body = SetCause;
    GET "/api/v1/reports/{month}/organizations/{id}.csv" => reports::organization_csv, Signed, "One organization's month as CSV, streamed: ?profile=excel, ?version=N";
    GET "/api/v1/reports/{month}/organizations/{id}.pdf" => reports::organization_pdf, Signed, "One organization's month as PDF: ?version=N";
    GET "/api/v1/reports/{month}/organizations/{id}" => reports::organization, Signed, "One organization's month (customers: their own): ?version=N";
}

/// Registers every route, one resource per path.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default()
            .error_handler(|_, _| super::error::AppError::not_found("record").into()),
    );
    cfg.app_data(web::QueryConfig::default().error_handler(|error, _| {
        super::error::AppError::field("query", error.to_string()).into()
    }));
    register(cfg, handlers());
}

/// Registers `handlers` with one resource per path (actix answers 405 for a path's other
/// methods).
pub fn register(cfg: &mut web::ServiceConfig, handlers: Vec<(&'static str, actix_web::Route)>) {
    let mut resources: Vec<(&'static str, actix_web::Resource)> = Vec::new();
    for (path, route) in handlers {
        match resources.iter().position(|(p, _)| *p == path) {
            Some(i) => {
                let (p, resource) = resources.remove(i);
                resources.insert(i, (p, resource.route(route)));
            }
            None => resources.push((path, web::resource(path).route(route))),
        }
    }
    for (_, resource) in resources {
        cfg.service(resource);
    }
}
