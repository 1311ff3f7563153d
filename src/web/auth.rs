//! Who is asking: the `Signed` extractor reads an API token (`Authorization: Bearer …`) or
//! the session cookie, looks its hash up, and yields the [`Actor`]. Sign-in sets the cookie
//! (HttpOnly, SameSite=Lax, Secure behind TLS); sign-out revokes it.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::auth::{Actor, Role, password, secret};
use crate::db;

use super::error::AppError;
use super::json::Json;
use super::{AppState, SecureCookies};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "frist_session";

/// A signed-in caller of any role.
#[derive(Debug, Clone)]
pub struct Signed(pub Actor);

/// A signed-in admin.
#[derive(Debug, Clone)]
pub struct Admin(pub Actor);

fn bearer(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get("authorization").and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned());
    }
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned())
}

async fn actor(req: HttpRequest) -> Result<Actor, AppError> {
    let Some(token) = bearer(&req) else { return Err(AppError::unauthorized()) };
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("no state"))?;
    let now = state.clock.now();
    let hash = secret::hash(&token);
    let found =
        state.db(move |conn| Ok(db::tokens::user_for(conn, &hash, db::to_db(now))?)).await?;
    let Some((_, _, user)) = found else { return Err(AppError::unauthorized()) };
    let role: Role = user.role.parse().map_err(AppError::internal)?;
    Ok(Actor { user_id: user.id, organization_id: user.organization_id, role })
}

/// A caller let in on the reference cache ([`crate::tickets::filing::reference`]): the
/// token's holder as cached under the current reference epoch, read from the database on a
/// miss. For writes that check the epoch themselves (filing a ticket), which answer
/// [`crate::tickets::TicketError::Unauthenticated`] if the token stopped admitting its
/// holder meanwhile.
#[derive(Debug, Clone)]
pub struct Bearer {
    /// Who it is.
    pub actor: Actor,
    /// The hash of the token, for the write to check again.
    pub token_hash: String,
}

async fn bearer_actor(req: HttpRequest) -> Result<Bearer, AppError> {
    let Some(token) = bearer(&req) else { return Err(AppError::unauthorized()) };
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("no state"))?;
    let now = db::to_db(state.clock.now());
    let token_hash = secret::hash(&token);
    let holder = match state.reference.cached_holder(&token_hash) {
        Some(holder) => Some(holder),
        None => {
            let reference = state.reference.clone();
            let hash = token_hash.clone();
            state
                .db(move |conn| {
                    let epoch = reference.epoch(conn)?;
                    Ok(reference.holder(conn, epoch, &hash)?)
                })
                .await?
        }
    };
    let Some(holder) = holder.filter(|h| h.admits(now)) else {
        return Err(AppError::unauthorized());
    };
    let role: Role = holder.user.role.parse().map_err(AppError::internal)?;
    let user = &holder.user;
    let actor = Actor { user_id: user.id, organization_id: user.organization_id, role };
    Ok(Bearer { actor, token_hash })
}

impl FromRequest for Bearer {
    type Error = AppError;
    type Future = Pending<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(bearer_actor(req))
    }
}

type Pending<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, AppError>>>>;

impl FromRequest for Signed {
    type Error = AppError;
    type Future = Pending<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { actor(req).await.map(Signed) })
    }
}

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Pending<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let actor = actor(req).await?;
            if actor.is_admin() {
                Ok(Admin(actor))
            } else {
                Err(AppError::forbidden("admins only"))
            }
        })
    }
}

/// Sign-in request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// User id.
    pub id: i64,
    /// Organization.
    pub organization_id: i64,
    /// E-mail.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
}

fn me(user: &db::users::User) -> Result<Me, AppError> {
    Ok(Me {
        id: user.id,
        organization_id: user.organization_id,
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role.parse().map_err(AppError::internal)?,
    })
}

/// Checks `email` and `password` and opens a session: the user and the session's secret, or
/// `None` for a wrong e-mail, a wrong password or an inactive user (the same answer, and the
/// same argon2 work, for each). Too many failures for the address or from `req`'s peer: 429,
/// without checking ([`super::throttle`]).
pub async fn open_session(
    req: &HttpRequest,
    state: &AppState,
    email: String,
    password: String,
) -> Result<Option<(db::users::User, String)>, AppError> {
    let now = state.clock.now();
    let hours = state.settings.session_hours;
    let peer = req.peer_addr().map(|a| a.ip().to_string());
    let throttle = state.login_throttle.clone();
    if let Some(wait) = throttle.refused(&email, peer.as_deref(), now) {
        return Err(AppError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed sign-ins: try again in {} min", (wait + 59) / 60),
        ));
    }
    let address = email.clone();
    let opened = state
        .db(move |conn| {
            let user = db::users::find_by_email(conn, email.trim())?;
            let stored = user.as_ref().and_then(|u| u.password_hash.clone());
            let valid =
                password::verify(&password, stored.as_deref().unwrap_or(password::dummy_hash()));
            match user {
                Some(user) if valid && stored.is_some() && user.active => {
                    let (token, hash) = secret::generate();
                    db::tokens::insert(
                        conn,
                        &db::tokens::NewToken {
                            user_id: user.id,
                            kind: "session",
                            token_hash: &hash,
                            name: "session",
                            created_at: db::to_db(now),
                            expires_at: Some(db::to_db(now + Duration::hours(hours))),
                        },
                    )?;
                    Ok(Some((user, token)))
                }
                _ => Ok(None),
            }
        })
        .await?;
    match &opened {
        Some(_) => throttle.succeeded(&address),
        None => throttle.failed(&address, peer.as_deref(), now),
    }
    Ok(opened)
}

/// Whether cookies set on this request get `Secure`.
pub fn secure(req: &HttpRequest, state: &AppState) -> bool {
    match state.settings.secure_cookies {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => req.connection_info().scheme() == "https",
    }
}

/// The session cookie for `token` (HttpOnly, SameSite=Lax, Secure behind TLS).
pub fn session_cookie(req: &HttpRequest, state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(secure(req, state))
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::hours(state.settings.session_hours))
        .finish()
}

/// The cookie that removes the session cookie.
#[must_use]
pub fn removed_session_cookie() -> Cookie<'static> {
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    gone
}

/// `POST /api/v1/session`: checks the password and sets the session cookie.
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<SignIn>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let Some((user, token)) = open_session(&req, &state, body.email, body.password).await? else {
        return Err(AppError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "e-mail or password is wrong",
        ));
    };
    let cookie = session_cookie(&req, &state, token);
    Ok(HttpResponse::Ok().cookie(cookie).json(me(&user)?))
}

/// `DELETE /api/v1/session`: revokes the session or token used for this request.
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    _: Signed,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    if let Some(token) = bearer(&req) {
        let hash = secret::hash(&token);
        state.db(move |conn| Ok(db::tokens::revoke(conn, &hash, db::to_db(now))?)).await?;
    }
    Ok(HttpResponse::NoContent().cookie(removed_session_cookie()).finish())
}

/// `GET /api/v1/me`.
pub async fn who_am_i(
    state: web::Data<AppState>,
    Signed(actor): Signed,
) -> Result<HttpResponse, AppError> {
    let user = state
        .db(move |conn| Ok(db::users::find(conn, actor.user_id, None)?))
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    Ok(HttpResponse::Ok().json(me(&user)?))
}

/// Request for a new API token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    /// A label, e.g. the integration's name (1–100 characters).
    pub name: String,
}

/// A new API token, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    /// Token id.
    pub id: i64,
    /// The secret: send as `Authorization: Bearer …`. Stored only as a hash.
    pub token: String,
}

/// `POST /api/v1/tokens`: an API token for the signed-in user.
pub async fn issue_token(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    body: Json<NewApiToken>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner()?;
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "must be 1–100 characters"));
    }
    let now = state.clock.now();
    let (id, token) = state
        .db(move |conn| Ok(crate::accounts::issue_api_token(conn, actor.user_id, &name, now)?))
        .await?;
    Ok(HttpResponse::Created().json(IssuedToken { id, token }))
}
