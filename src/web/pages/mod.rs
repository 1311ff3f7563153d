//! The pages people use: the customer portal, the technician desk (dashboard, ticket page,
//! phone tickets) and sign-in. Server-rendered with handlebars from `templates/` (embedded),
//! with a little JavaScript from `static/` for the live parts; every page works without it.
//!
//! Pages call the same use cases as the API. They have their own route table
//! ([`PAGES`]), walked by the CSRF and isolation tests. Every form carries a CSRF token
//! ([`session`]); every answer carries a strict Content-Security-Policy ([`security`]).

pub mod admin;
pub mod assets;
pub mod desk;
pub mod format;
pub mod live;
pub mod manager;
pub mod portal;
pub mod portal_reports;
pub mod render;
pub mod reports;
pub mod security;
pub mod session;

use actix_web::http::Method;
use actix_web::web;

pub use self::render::{PageError, Pages};

/// Who may open a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in, assets).
    Public,
    /// Any signed-in user.
    Signed,
    /// Customers (staff are sent to the desk).
    Customer,
    /// Technicians, managers and admins.
    Staff,
    /// Managers and admins (technicians get 404, like customers).
    Manager,
    /// Admins.
    Admin,
}

/// One page route.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// HTTP method.
    pub method: &'static str,
    /// Path, with `{name}` parameters.
    pub path: &'static str,
    /// Who may open it.
    pub access: Access,
}

macro_rules! page_table {
    ($( $method:ident $path:literal => $handler:path, $access:ident ;)*) => {
        /// Every page route.
        pub const PAGES: &[Page] = &[$(Page {
            method: stringify!($method),
            path: $path,
            access: Access::$access,
        }),*];

        fn handlers() -> Vec<(&'static str, actix_web::Route)> {
            vec![$(($path, web::method(Method::$method).to($handler))),*]
        }
    };
}

page_table! {
    GET "/" => session::home, Public;
    GET "/login" => session::login_form, Public;
    POST "/login" => session::login, Public;
    POST "/logout" => session::logout, Signed;
    GET "/account" => session::account, Signed;
    POST "/account/password" => session::change_password, Signed;
    GET "/portal" => portal::tickets, Customer;
    GET "/portal/new" => portal::new_form, Customer;
    POST "/portal/new" => portal::file, Customer;
    GET "/portal/tickets/{id}" => portal::ticket, Customer;
    POST "/portal/tickets/{id}/reply" => portal::reply, Customer;
    GET "/portal/tickets/{id}/why/{clock}" => portal::why, Customer;
    GET "/portal/reports" => portal_reports::portal, Customer;
    GET "/portal/reports/{month}" => portal_reports::portal_month, Customer;
    GET "/desk" => desk::dashboard, Staff;
    GET "/desk/rows" => desk::rows, Staff;
    GET "/desk/live" => live::stream, Staff;
    GET "/desk/phone" => desk::phone_form, Staff;
    POST "/desk/phone" => desk::phone, Staff;
    GET "/desk/tickets/{id}" => desk::ticket, Staff;
    POST "/desk/tickets/{id}/{action}" => desk::act, Staff;
    GET "/manager" => manager::home, Manager;
    GET "/reports" => manager::overview, Manager;
    GET "/reports/{month}/organizations/{id}" => manager::organization, Manager;
    POST "/reports/causes" => manager::set_cause, Manager;
    POST "/reports/{month}/close" => manager::close, Manager;
    GET "/admin" => admin::index, Admin;
    GET "/admin/organizations" => admin::organizations, Admin;
    POST "/admin/organizations" => admin::add_organization, Admin;
    GET "/admin/users" => admin::users, Admin;
    POST "/admin/users" => admin::add_user, Admin;
    POST "/admin/users/{id}" => admin::set_role, Admin;
    GET "/admin/contracts" => admin::contracts, Admin;
    POST "/admin/contracts" => admin::add_contract, Admin;
    GET "/admin/policies" => admin::policies, Admin;
    GET "/admin/policies/{id}" => admin::policy, Admin;
    POST "/admin/policies/{id}" => admin::edit_policy, Admin;
    GET "/admin/calendars" => admin::calendars, Admin;
    POST "/admin/calendars" => admin::add_calendar, Admin;
    POST "/admin/calendars/{id}" => admin::update_calendar, Admin;
    GET "/admin/oncall" => admin::roster, Admin;
    POST "/admin/oncall" => admin::add_shift, Admin;
    POST "/admin/oncall/{id}/delete" => admin::delete_shift, Admin;
    GET "/static/{file}" => assets::serve, Public;
    POST "/csp-report" => security::csp_report, Public;
}

/// Registers every page route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    super::routes::register(cfg, handlers());
}
