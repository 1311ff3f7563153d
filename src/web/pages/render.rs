//! Page templates (handlebars, HTML-escaped by default) and the page error.
//!
//! Templates never use `{{{…}}}`: every value is escaped, user text included; the one exception
//! is the report's SVG charts, drawn by our own code with their text escaped. Unlike the
//! e-mails, pages are not in strict mode: an optional value (an error next to a field, a
//! deadline a ticket does not have) may be absent and renders as nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use handlebars::Handlebars;
use serde::Serialize;

use crate::tickets::TicketError;

use super::super::error::AppError;

const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../../../templates/layouts/base.hbs")),
    ("clock", include_str!("../../../templates/partials/clock.hbs")),
    ("events", include_str!("../../../templates/partials/events.hbs")),
    ("pauses", include_str!("../../../templates/partials/pauses.hbs")),
    ("desk_rows", include_str!("../../../templates/partials/desk_rows.hbs")),
    ("form_error", include_str!("../../../templates/partials/form_error.hbs")),
    ("report_picker", include_str!("../../../templates/partials/report_picker.hbs")),
    ("report_tally", include_str!("../../../templates/partials/report_tally.hbs")),
    ("report_rows", include_str!("../../../templates/partials/report_rows.hbs")),
    ("login", include_str!("../../../templates/pages/login.hbs")),
    ("account", include_str!("../../../templates/pages/account.hbs")),
    ("portal_list", include_str!("../../../templates/pages/portal_list.hbs")),
    ("portal_new", include_str!("../../../templates/pages/portal_new.hbs")),
    ("portal_ticket", include_str!("../../../templates/pages/portal_ticket.hbs")),
    ("why", include_str!("../../../templates/pages/why.hbs")),
    ("desk", include_str!("../../../templates/pages/desk.hbs")),
    ("desk_ticket", include_str!("../../../templates/pages/desk_ticket.hbs")),
    ("phone", include_str!("../../../templates/pages/phone.hbs")),
    ("admin_index", include_str!("../../../templates/pages/admin_index.hbs")),
    ("admin_organizations", include_str!("../../../templates/pages/admin_organizations.hbs")),
    ("admin_users", include_str!("../../../templates/pages/admin_users.hbs")),
    ("admin_contracts", include_str!("../../../templates/pages/admin_contracts.hbs")),
    ("admin_policies", include_str!("../../../templates/pages/admin_policies.hbs")),
    ("admin_policy", include_str!("../../../templates/pages/admin_policy.hbs")),
    ("admin_calendars", include_str!("../../../templates/pages/admin_calendars.hbs")),
    ("admin_oncall", include_str!("../../../templates/pages/admin_oncall.hbs")),
    ("reports", include_str!("../../../templates/pages/reports.hbs")),
    ("reports_organization", include_str!("../../../templates/pages/reports_organization.hbs")),
    ("manager_home", include_str!("../../../templates/pages/manager_home.hbs")),
];

/// The compiled page templates.
#[derive(Debug)]
pub struct Pages {
    registry: Handlebars<'static>,
}

impl Pages {
    /// Compiles the embedded templates; a template that does not parse is an error at start.
    pub fn new() -> Result<Self, Box<handlebars::TemplateError>> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(false);
        registry.register_escape_fn(handlebars::html_escape);
        for (name, text) in TEMPLATES {
            registry.register_template_string(name, text).map_err(Box::new)?;
        }
        Ok(Self { registry })
    }

    /// Renders `name` with `data` into an HTML string.
    pub fn html(&self, name: &str, data: &impl Serialize) -> Result<String, PageError> {
        self.registry.render(name, data).map_err(|e| {
            tracing::error!(target: "frist::pages", "template {name}: {e}");
            PageError::internal()
        })
    }

    /// A 200 page.
    pub fn page(&self, name: &str, data: &impl Serialize) -> Result<HttpResponse, PageError> {
        self.page_with(StatusCode::OK, name, data)
    }

    /// A page with another status (a form shown again with its errors: 422).
    pub fn page_with(
        &self,
        status: StatusCode,
        name: &str,
        data: &impl Serialize,
    ) -> Result<HttpResponse, PageError> {
        let body = self.html(name, data)?;
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(body))
    }
}

/// 303 to `to` (after a form POST).
#[must_use]
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", to)).finish()
}

/// An error answered as a page: sign-in for 401, a short page for the rest.
#[derive(Debug, Clone)]
pub struct PageError(pub AppError);

impl PageError {
    /// 500 without detail.
    #[must_use]
    pub fn internal() -> Self {
        Self(AppError::internal("page"))
    }

    /// 404.
    #[must_use]
    pub fn not_found(what: &str) -> Self {
        Self(AppError::not_found(what))
    }

    /// 403.
    #[must_use]
    pub fn forbidden(message: &str) -> Self {
        Self(AppError::forbidden(message))
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        Self(error)
    }
}

impl From<TicketError> for PageError {
    fn from(error: TicketError) -> Self {
        Self(error.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.0.status;
        if status == StatusCode::UNAUTHORIZED {
            return see_other("/login");
        }
        let message = match (status.is_server_error(), &self.0.field) {
            (true, _) if status != StatusCode::SERVICE_UNAVAILABLE => {
                "Something went wrong on our side. Please try again.".to_owned()
            }
            (_, Some(field)) => format!("{field}: {}", self.0.message),
            _ => self.0.message.clone(),
        };
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{code} · frist</title><link rel=\"stylesheet\" href=\"/static/app.css\">\
             </head><body><main class=\"narrow\"><h1>{code} {reason}</h1><p role=\"alert\">{message}</p>\
             <p><a href=\"/\">Back to the start page</a></p></main></body></html>",
            code = status.as_u16(),
            reason = handlebars::html_escape(status.canonical_reason().unwrap_or("")),
            message = handlebars::html_escape(&message),
        );
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .insert_header(("Retry-After", super::super::error::RETRY_AFTER_SECS.to_string()));
        }
        response.content_type("text/html; charset=utf-8").body(body)
    }
}
