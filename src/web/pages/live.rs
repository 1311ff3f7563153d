//! Live updates for the desk: every change to a ticket writes an event, so the newest event
//! id says "something changed". One thread per process watches it (every
//! [`POLL`], or at once when this process changed something), and every open dashboard
//! hears of it over server-sent events and fetches its rows again. Changes made by other
//! instances, the API or the escalation sweep arrive the same way.

use std::convert::Infallible;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use tokio::sync::watch;

use crate::db::Pool;

use super::super::AppState;
use super::render::PageError;
use super::session::Visitor;

/// How often the newest event id is read.
pub const POLL: Duration = Duration::from_millis(250);

/// How often an idle stream sends a comment, so proxies keep it open.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The newest ticket event id, watched.
#[derive(Debug)]
pub struct Changes {
    latest: Arc<watch::Sender<i64>>,
    poke: Mutex<Option<mpsc::Sender<()>>>,
}

fn newest(pool: &Pool) -> Option<i64> {
    let mut conn = pool.get().ok()?;
    crate::db::events::newest_id(&mut conn).ok()
}

impl Changes {
    /// Starts watching.
    #[must_use]
    pub fn start(pool: Pool) -> Self {
        let latest = Arc::new(watch::Sender::new(newest(&pool).unwrap_or(0)));
        let (poke, woken) = mpsc::channel::<()>();
        let sender = latest.clone();
        std::thread::Builder::new()
            .name("frist-changes".into())
            .spawn(move || {
                while !matches!(woken.recv_timeout(POLL), Err(RecvTimeoutError::Disconnected)) {
                    if let Some(id) = newest(&pool) {
                        sender.send_if_modified(|seen| {
                            let moved = id > *seen;
                            if moved {
                                *seen = id;
                            }
                            moved
                        });
                    }
                }
            })
            .map_err(|e| tracing::error!(target: "frist::live", "cannot watch changes: {e}"))
            .ok();
        Self { latest, poke: Mutex::new(Some(poke)) }
    }

    /// Look now: this process just changed something.
    pub fn poke(&self) {
        if let Some(poke) =
            self.poke.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_ref()
        {
            let _ = poke.send(());
        }
    }

    /// Listens for changes.
    #[must_use]
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.latest.subscribe()
    }

    /// Stops watching (the thread ends at its next wake-up).
    pub fn stop(&self) {
        self.poke.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    }
}

impl Drop for Changes {
    fn drop(&mut self) {
        self.stop();
    }
}

fn changed(id: i64) -> web::Bytes {
    web::Bytes::from(format!("event: changed\ndata: {id}\n\n"))
}

/// `GET /desk/live`: `changed` events carrying the newest event id; the first one at once.
pub async fn stream(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    visitor.staff()?;
    let mut receiver = state.changes.subscribe();
    let first = *receiver.borrow_and_update();
    let head = futures_util::stream::once(async move {
        Ok::<_, Infallible>(web::Bytes::from(format!(
            "retry: 2000\nevent: changed\ndata: {first}\n\n"
        )))
    });
    let rest = futures_util::stream::unfold(receiver, |mut receiver| async move {
        tokio::select! {
            moved = receiver.changed() => match moved {
                Ok(()) => {
                    let id = *receiver.borrow_and_update();
                    Some((Ok::<_, Infallible>(changed(id)), receiver))
                }
                Err(_) => None,
            },
            () = tokio::time::sleep(KEEP_ALIVE) => {
                Some((Ok(web::Bytes::from_static(b": keep-alive\n\n")), receiver))
            }
        }
    });
    use futures_util::StreamExt;
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(head.chain(rest)))
}
