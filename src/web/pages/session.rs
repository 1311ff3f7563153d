//! Who is looking at a page, and the forms they send.
//!
//! A [`Visitor`] is signed in with the session cookie (API tokens do not open pages). Every
//! form carries a CSRF token: for a signed-in visitor it is derived from their session secret
//! (so it needs no storage and dies with the session); the sign-in form, before any session
//! exists, uses a double-submit cookie. [`Submitted`] checks the token *before* it reads any
//! other field, so a forged or stale form is a 403 and nothing is done.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono_tz::Tz;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::auth::{Actor, Role, password, secret};
use crate::db;

use super::super::AppState;
use super::super::auth::{
    SESSION_COOKIE, open_session, removed_session_cookie, secure, session_cookie,
};
use super::super::error::AppError;
use super::render::{PageError, see_other};

/// Cookie of the sign-in form's CSRF token.
pub const CSRF_COOKIE: &str = "frist_csrf";

/// Largest form body.
pub const MAX_FORM: usize = 64 * 1024;

/// A signed-in visitor of a page.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// Who.
    pub actor: Actor,
    /// Their name.
    pub name: String,
    /// Their e-mail.
    pub email: String,
    /// Their organization's time zone (times are shown in it).
    pub timezone: Tz,
    /// The CSRF token of their forms.
    pub csrf: String,
    /// Hash of the session secret (for sign-out).
    pub session_hash: String,
}

impl Visitor {
    /// The frame every page template gets: title, who is signed in, the CSRF token.
    #[must_use]
    pub fn frame(&self, title: &str) -> Value {
        json!({
            "title": title,
            "csrf": self.csrf,
            "user": {
                "name": self.name,
                "email": self.email,
                "role": self.actor.role.as_str(),
                "staff": self.actor.is_staff(),
                "admin": self.actor.is_admin(),
            },
        })
    }

    /// Staff only, else 404 (a customer is not told the desk exists).
    pub fn staff(self) -> Result<Self, PageError> {
        if self.actor.is_staff() { Ok(self) } else { Err(PageError::not_found("page")) }
    }

    /// Customers only; staff use the desk.
    pub fn customer(self) -> Result<Self, PageError> {
        if self.actor.is_staff() { Err(PageError::not_found("page")) } else { Ok(self) }
    }
}

/// The frame of a page nobody is signed in to.
#[must_use]
pub fn anonymous_frame(title: &str, csrf: &str) -> Value {
    json!({ "title": title, "csrf": csrf, "user": null })
}

/// The CSRF token of a session secret.
fn csrf_of(session_secret: &str) -> String {
    secret::hash(&format!("csrf:{session_secret}"))[..32].to_owned()
}

/// Equal without telling by timing where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, PageError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(PageError::internal)
}

async fn visitor(req: HttpRequest) -> Result<Visitor, PageError> {
    let Some(secret_value) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Err(AppError::unauthorized().into());
    };
    let state = state_of(&req)?;
    let now = db::to_db(state.clock.now());
    let hash = secret::hash(&secret_value);
    let session_hash = hash.clone();
    let found = state
        .db(move |conn| {
            let Some((_, kind, user)) = db::tokens::user_for(conn, &hash, now)? else {
                return Ok(None);
            };
            if kind != "session" {
                return Ok(None);
            }
            let organization = db::organizations::find(conn, user.organization_id)?;
            Ok(Some((user, organization.map(|o| o.timezone))))
        })
        .await?;
    let Some((user, zone)) = found else { return Err(AppError::unauthorized().into()) };
    let role: Role = user.role.parse().map_err(AppError::internal)?;
    Ok(Visitor {
        actor: Actor { user_id: user.id, organization_id: user.organization_id, role },
        name: user.name,
        email: user.email,
        timezone: zone.and_then(|z| z.parse().ok()).unwrap_or(Tz::UTC),
        csrf: csrf_of(&secret_value),
        session_hash,
    })
}

type Pending<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, PageError>>>>;

impl FromRequest for Visitor {
    type Error = PageError;
    type Future = Pending<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(visitor(req))
    }
}

/// A form POST from a signed-in visitor, its CSRF token checked before anything else.
#[derive(Debug)]
pub struct Submitted<T> {
    /// Who sent it.
    pub visitor: Visitor,
    /// The form's fields.
    pub form: T,
}

/// The reason a form is refused for its token.
pub const CSRF_REFUSED: &str =
    "this form has expired or did not come from frist: reload the page and send it again";

fn form_fields(body: &[u8]) -> Result<Vec<(String, String)>, PageError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| PageError(AppError::new(StatusCode::BAD_REQUEST, format!("form: {e}"))))
}

fn token_in(fields: &[(String, String)]) -> Option<&str> {
    fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str())
}

/// Checks the form body: refuses a body over [`MAX_FORM`] or not `x-www-form-urlencoded`.
fn check_body(req: &HttpRequest, bytes: &web::Bytes) -> Result<(), PageError> {
    let kind = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !bytes.is_empty() && !kind.starts_with("application/x-www-form-urlencoded") {
        return Err(PageError(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the form as application/x-www-form-urlencoded",
        )));
    }
    if bytes.len() > MAX_FORM {
        return Err(PageError(AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "form too large")));
    }
    Ok(())
}

/// Parses the fields (except `csrf`) into `T`; a bad field is a 422 naming it.
pub fn parse_form<T: DeserializeOwned>(fields: Vec<(String, String)>) -> Result<T, PageError> {
    let rest: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "csrf").collect();
    let encoded = serde_urlencoded::to_string(&rest).map_err(|_| PageError::internal())?;
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let field = e.path().to_string();
        let message = e.inner().to_string();
        let field = if field == "." {
            message.split('`').nth(1).unwrap_or("form").to_owned()
        } else {
            field
        };
        PageError(AppError::field(field, message))
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Submitted<T> {
    type Error = PageError;
    type Future = Pending<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let visitor = visitor(req.clone()).await?;
            let bytes = web::Bytes::from_request(&req, &mut payload).await.map_err(|_| {
                PageError(AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "form too large"))
            })?;
            check_body(&req, &bytes)?;
            let fields = form_fields(&bytes)?;
            if !token_in(&fields).is_some_and(|t| same(t, &visitor.csrf)) {
                return Err(PageError::forbidden(CSRF_REFUSED));
            }
            Ok(Submitted { visitor, form: parse_form(fields)? })
        })
    }
}

/// `GET /`: the portal for customers, the manager's home for managers and admins, the desk
/// for technicians, else sign-in.
pub async fn home(req: HttpRequest) -> HttpResponse {
    match visitor(req).await {
        Ok(v) if v.actor.is_manager() => see_other("/manager"),
        Ok(v) if v.actor.is_staff() => see_other("/desk"),
        Ok(_) => see_other("/portal"),
        Err(_) => see_other("/login"),
    }
}

fn login_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let token = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| t.len() == 32)
        .unwrap_or_else(|| secret::generate().1[..32].to_owned());
    let data = json!({
        "page": anonymous_frame("Sign in", &token),
        "email": email,
        "error": error,
        "notice": notice,
    });
    let mut response = state.pages.page_with(status, "login", &data)?;
    let cookie = Cookie::build(CSRF_COOKIE, token)
        .path("/login")
        .http_only(true)
        .secure(secure(req, state))
        .same_site(SameSite::Strict)
        .finish();
    response.add_cookie(&cookie).map_err(|_| PageError::internal())?;
    Ok(response)
}

/// Query of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// Set after sign-out or when a session ran out.
    pub signed_out: Option<String>,
}

/// `GET /login`.
pub async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let notice = query.signed_out.as_ref().map(|_| "You are signed out.");
    login_page(&req, &state, StatusCode::OK, "", None, notice)
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
}

/// `POST /login`: checks the double-submit token, then the password; sets the session.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    bytes: web::Bytes,
) -> Result<HttpResponse, PageError> {
    check_body(&req, &bytes)?;
    let fields = form_fields(&bytes)?;
    let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned());
    if !matches!((cookie.as_deref(), token_in(&fields)), (Some(c), Some(t)) if c.len() == 32 && same(c, t))
    {
        return Err(PageError::forbidden(CSRF_REFUSED));
    }
    let form: LoginForm = parse_form(fields)?;
    let email = form.email.trim().to_owned();
    let opened = match open_session(&req, &state, email.clone(), form.password).await {
        Ok(opened) => opened,
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => {
            let message = format!(
                "Too many failed sign-ins: {}.",
                e.message.trim_start_matches("too many failed sign-ins: ")
            );
            return login_page(&req, &state, e.status, &email, Some(&message), None);
        }
        Err(e) => return Err(e.into()),
    };
    match opened {
        Some((user, token)) => {
            let to = match user.role.parse::<Role>() {
                Ok(Role::Customer) => "/portal",
                Ok(Role::Manager | Role::Admin) => "/manager",
                _ => "/desk",
            };
            let mut response = see_other(to);
            response
                .add_cookie(&session_cookie(&req, &state, token))
                .map_err(|_| PageError::internal())?;
            Ok(response)
        }
        None => login_page(
            &req,
            &state,
            StatusCode::UNAUTHORIZED,
            &email,
            Some("The e-mail or the password is wrong."),
            None,
        ),
    }
}

/// An empty form (CSRF token only).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// `POST /logout`: ends this session.
pub async fn logout(
    state: web::Data<AppState>,
    sent: Submitted<Empty>,
) -> Result<HttpResponse, PageError> {
    let now = db::to_db(state.clock.now());
    let hash = sent.visitor.session_hash;
    state.db(move |conn| Ok(db::tokens::revoke(conn, &hash, now)?)).await?;
    let mut response = see_other("/login?signed_out=1");
    response.add_cookie(&removed_session_cookie()).map_err(|_| PageError::internal())?;
    Ok(response)
}

fn account_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    errors: Value,
    done: bool,
) -> Result<HttpResponse, PageError> {
    let data = json!({
        "page": visitor.frame("Your account"),
        "errors": errors,
        "done": done,
    });
    state.pages.page_with(status, "account", &data)
}

/// `GET /account`.
pub async fn account(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    account_page(&state, &visitor, StatusCode::OK, json!({}), false)
}

/// The password form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordForm {
    /// The password now.
    pub current: String,
    /// The new one.
    pub new: String,
    /// The new one again.
    pub repeat: String,
}

/// `POST /account/password`: checks the current password, sets the new one.
pub async fn change_password(
    state: web::Data<AppState>,
    sent: Submitted<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let Submitted { visitor, form } = sent;
    let refuse = |field: &str, message: &str| {
        account_page(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ field: message }),
            false,
        )
    };
    if let Some(weakness) = password::weakness(&form.new) {
        return refuse("new", &format!("The new password {weakness}."));
    }
    if form.new != form.repeat {
        return refuse("repeat", "The two new passwords differ.");
    }
    let user_id = visitor.actor.user_id;
    let changed = state
        .db(move |conn| {
            let user =
                db::users::find(conn, user_id, None)?.ok_or_else(|| AppError::not_found("user"))?;
            let stored = user.password_hash.unwrap_or_default();
            if stored.is_empty() || !password::verify(&form.current, &stored) {
                return Ok(false);
            }
            let hash = password::hash(&form.new).map_err(AppError::internal)?;
            db::users::set_password(conn, user_id, &hash)?;
            Ok(true)
        })
        .await?;
    if !changed {
        return refuse("current", "This is not your current password.");
    }
    account_page(&state, &visitor, StatusCode::OK, json!({}), true)
}
