//! Monthly SLA reports: the overview, one organization's month as JSON, CSV (streamed) and
//! PDF, the versions of a month, closing a month and setting breach causes.
//!
//! A customer reads only its own organization's month; any other organization is a 404 on
//! every format, decided before anything else about the request (month, version, profile) is
//! looked at, so the answer says nothing about another organization. Technicians are refused
//! (403), like the other manager routes.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::reports::causes::{self, SetCause};
use crate::reports::csv::Profile;
use crate::reports::document;
use crate::reports::{export, pdf, read, snapshot};
use crate::sla::report::Month;

use super::super::AppState;
use super::super::auth::Signed;
use super::super::error::AppError;
use super::super::json::{Json, parse};

/// Bytes of CSV sent in one chunk of the streamed body.
const CHUNK: usize = 64 * 1024;
/// Chunks the writer may run ahead of a slow client.
const CHUNKS_AHEAD: usize = 4;

/// `?version=N`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// A closed month's version (default: the latest).
    pub version: Option<i32>,
}

/// `?month=YYYY-MM[&version=N]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// The month, `2026-11`.
    pub month: Option<String>,
    /// A closed month's version (default: the latest).
    pub version: Option<i32>,
}

/// `?profile=excel[&version=N]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvQuery {
    /// `machine` (default) or `excel`.
    pub profile: Option<String>,
    /// A closed month's version (default: the latest).
    pub version: Option<i32>,
}

/// Body of a close (optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Why it is recomputed (shown with the new version).
    #[serde(default)]
    pub reason: String,
}

/// A version of a month with the rows it changed.
#[derive(Debug, Serialize)]
pub struct VersionView {
    /// The version.
    #[serde(flatten)]
    pub summary: read::VersionSummary,
    /// The rows that differ from the version before (empty for version 1).
    pub changes: Vec<snapshot::RowChange>,
}

fn managers_only(actor: &Actor) -> Result<(), AppError> {
    if actor.is_manager() { Ok(()) } else { Err(AppError::forbidden("managers and admins only")) }
}

/// Who may read organization `id`'s month: customers their own (anything else is "not
/// found"), managers and admins every one.
fn may_read(actor: &Actor, id: i64) -> Result<(), AppError> {
    if !actor.is_staff() {
        return if actor.organization_id == id {
            Ok(())
        } else {
            Err(AppError::not_found("organization"))
        };
    }
    managers_only(actor)
}

fn month_of(text: &str) -> Result<Month, AppError> {
    Ok(text.parse::<Month>()?)
}

/// `GET /api/v1/reports?month=YYYY-MM`.
pub async fn overview(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    query: web::Query<OverviewQuery>,
) -> Result<HttpResponse, AppError> {
    managers_only(&actor)?;
    let query = query.into_inner();
    let month = month_of(
        query.month.as_deref().ok_or_else(|| AppError::field("month", "required, like 2026-11"))?,
    )?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let overview =
        state.db(move |c| Ok(read::overview(c, &engine, month, query.version, now)?)).await?;
    Ok(HttpResponse::Ok().json(overview))
}

async fn report(
    state: &AppState,
    month: Month,
    id: i64,
    version: Option<i32>,
) -> Result<read::MonthReport, AppError> {
    let now = state.clock.now();
    let engine = state.engine.clone();
    state.db(move |c| Ok(read::organization(c, &engine, month, id, version, now)?)).await
}

/// `GET /api/v1/reports/{month}/organizations/{id}`.
pub async fn organization(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<(String, i64)>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (month, id) = path.into_inner();
    may_read(&actor, id)?;
    let month = month_of(&month)?;
    let report = report(&state, month, id, query.version).await?;
    Ok(HttpResponse::Ok().json(report))
}

fn attachment(name: &str) -> (&'static str, String) {
    ("Content-Disposition", format!("attachment; filename=\"{name}\""))
}

/// `GET /api/v1/reports/{month}/organizations/{id}.pdf`.
pub async fn organization_pdf(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<(String, i64)>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (month, id) = path.into_inner();
    may_read(&actor, id)?;
    let month = month_of(&month)?;
    let report = report(&state, month, id, query.version).await?;
    let tz = state.engine.provider().timezone;
    let version = match &report.state {
        read::ReportState::Closed { version, .. } => Some(*version),
        _ => None,
    };
    let name = export::file_name(&report.figures.organization_name, month, version, "pdf");
    let bytes = web::block(move || pdf::render(&document::build(&report, tz)))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::field("format", format!("{e}: download the CSV instead")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(attachment(&name))
        .body(bytes))
}

/// Sends what the CSV writer writes, a chunk at a time, to the response body.
struct Chunks {
    buffer: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Chunks {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        // The receiver is gone when the client went away: stop writing.
        self.tx.blocking_send(Ok(chunk)).map_err(|_| std::io::ErrorKind::BrokenPipe.into())
    }
}

impl std::io::Write for Chunks {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// `GET /api/v1/reports/{month}/organizations/{id}.csv`: streamed, a page of rows at a time
/// from a blocking task, never held whole.
pub async fn organization_csv(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<(String, i64)>,
    query: web::Query<CsvQuery>,
) -> Result<HttpResponse, AppError> {
    let (month, id) = path.into_inner();
    may_read(&actor, id)?;
    let month = month_of(&month)?;
    let query = query.into_inner();
    let tz = state.engine.provider().timezone;
    let profile = match query.profile.as_deref() {
        None | Some("machine") => Profile::Machine,
        Some("excel") => Profile::Excel { timezone: tz },
        Some(other) => {
            return Err(AppError::field("profile", format!("{other:?}: use machine or excel")));
        }
    };
    let now = state.clock.now();
    let engine = state.engine.clone();
    let version = query.version;
    let pool = state.pool.clone();
    let (ready_tx, ready) = tokio::sync::oneshot::channel::<Result<String, AppError>>();
    let (tx, mut rx) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    // One blocking task and one connection: first every refusal (database away, no such
    // organization or version, a month not begun) is answered, before the 200 and the first
    // byte; then the rows are written a page at a time into the body.
    actix_web::rt::task::spawn_blocking(move || {
        let prepared = pool.get().map_err(|_| AppError::unavailable()).and_then(|mut conn| {
            let org = crate::db::organizations::find(&mut conn, id)?
                .filter(|o| !o.is_provider)
                .ok_or_else(|| AppError::not_found("organization"))?;
            let source = export::source(&mut conn, &engine, month, version, now)?;
            let name = export::file_name(&org.name, month, source.version(), "csv");
            Ok((conn, source, name))
        });
        let (mut conn, source) = match prepared {
            Ok((conn, source, name)) => {
                if ready_tx.send(Ok(name)).is_err() {
                    return;
                }
                (conn, source)
            }
            Err(error) => {
                let _ = ready_tx.send(Err(error));
                return;
            }
        };
        let failed = tx.clone();
        let out = Chunks { buffer: Vec::with_capacity(CHUNK), tx };
        if let Err(error) = export::write_csv(&mut conn, &engine, &source, Some(id), profile, out) {
            if failed.is_closed() {
                // The client went away: nothing is wrong on this side.
                tracing::debug!(%error, "report CSV download abandoned");
                return;
            }
            // Past the 200 the only way to say so is to break the body off.
            tracing::error!(%error, "streaming a report CSV");
            let _ = failed.blocking_send(Err(std::io::Error::other(error.to_string())));
        }
    });
    let name = ready.await.map_err(AppError::internal)??;
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment(&name))
        .streaming(body))
}

/// `GET /api/v1/reports/{month}/versions`: newest first, each with the rows it changed.
pub async fn versions(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    managers_only(&actor)?;
    let month = month_of(&path.into_inner())?;
    let views = state
        .db(move |conn| {
            let stored = crate::db::reports::versions(conn, &month.to_string())?;
            let mut views = Vec::with_capacity(stored.len());
            let mut before: Option<Vec<crate::reports::live::ClockRow>> = None;
            for v in stored {
                let rows = snapshot::stored_rows(conn, v.id, None)?;
                let changes =
                    before.as_ref().map(|b| snapshot::differences(b, &rows)).unwrap_or_default();
                views.push(VersionView {
                    summary: read::VersionSummary {
                        month: v.month,
                        version: v.version,
                        computed_at: crate::db::from_db(v.computed_at),
                        reason: v.reason,
                    },
                    changes,
                });
                before = Some(rows);
            }
            views.reverse();
            Ok(views)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "month": month, "versions": views })))
}

/// `POST /api/v1/reports/{month}/close`: 201 with the new version, or 200 when nothing
/// differs from the latest.
pub async fn close(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    path: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, AppError> {
    managers_only(&actor)?;
    let month = month_of(&path.into_inner())?;
    let request: CloseRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CloseRequest::default()
    } else {
        parse(&body)?
    };
    let now = state.clock.now();
    let engine = state.engine.clone();
    let by = actor.user_id;
    let closed = state
        .db(move |c| Ok(snapshot::close(c, &engine, month, now, Some(by), request.reason.trim())?))
        .await?;
    let mut response = match closed {
        snapshot::Closed::Written { .. } => HttpResponse::Created(),
        snapshot::Closed::Unchanged { .. } => HttpResponse::Ok(),
    };
    Ok(response.json(closed))
}

/// `PUT /api/v1/reports/causes`.
pub async fn set_cause(
    state: web::Data<AppState>,
    Signed(actor): Signed,
    body: Json<SetCause>,
) -> Result<HttpResponse, AppError> {
    managers_only(&actor)?;
    let request = body.into_inner()?;
    let now = state.clock.now();
    let by = actor.user_id;
    let cause = state.db(move |c| Ok(causes::set(c, &request, by, now)?)).await?;
    Ok(HttpResponse::Ok().json(cause))
}
