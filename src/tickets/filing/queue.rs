//! Group commit for filings over HTTP: requests queue here, and writer threads take
//! whatever has arrived (up to [`MAX_BATCH`]) and file it in one transaction, answering
//! each request once its ticket is committed (durably: the commit's fsync or WAL flush is
//! behind every 201). One filer alone is written at once; under load the filings that
//! arrive while a write is in flight share the next one, so a commit's cost is shared.
//!
//! Two writers: one batch is decided and rendered while the other is being written.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::db::DbTarget;
use crate::db::filings::{IdReserve, WriteGate};
use crate::db::{self, Pool};

use super::{Desk, Filed, Reference, Submission, file_batch};
use crate::tickets::{Engine, TicketError};

/// Most filings written in one transaction.
pub const MAX_BATCH: usize = 64;

/// Writer threads: while one batch is being written (on SQLite, behind the write gate),
/// the next is decided and rendered.
pub const WRITERS: usize = 2;

type Answer = Result<Filed, TicketError>;

struct Pending {
    submission: Submission,
    answer: oneshot::Sender<Answer>,
}

#[derive(Default)]
struct Line {
    waiting: VecDeque<Pending>,
    closed: bool,
}

struct Shared {
    line: Mutex<Line>,
    arrived: Condvar,
    pool: Pool,
    engine: Arc<Engine>,
    reference: Arc<Reference>,
    gate: WriteGate,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Line> {
        self.line.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next batch; `None` once closed and drained.
    fn next_batch(&self) -> Option<Vec<Pending>> {
        let mut line = self.lock();
        loop {
            if !line.waiting.is_empty() {
                let n = line.waiting.len().min(MAX_BATCH);
                return Some(line.waiting.drain(..n).collect());
            }
            if line.closed {
                return None;
            }
            line = self.arrived.wait(line).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The queue and its writers. Dropping it (the last clone of the app state) closes the
/// queue: the writers file what is queued, then end.
pub struct FilingQueue {
    shared: Arc<Shared>,
    writers: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for FilingQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilingQueue").finish_non_exhaustive()
    }
}

impl FilingQueue {
    /// Starts [`WRITERS`] writer threads over `pool`, a pool of `target`.
    pub fn start(
        pool: Pool,
        target: &DbTarget,
        engine: Arc<Engine>,
        reference: Arc<Reference>,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            line: Mutex::new(Line::default()),
            arrived: Condvar::new(),
            pool,
            engine,
            reference,
            gate: WriteGate::for_target(target),
        });
        let mut handles = Vec::new();
        for n in 0..WRITERS {
            let shared = Arc::clone(&shared);
            let handle = std::thread::Builder::new()
                .name(format!("frist-filing-{n}"))
                .spawn(move || write_batches(&shared))?;
            handles.push(handle);
        }
        Ok(Self { shared, writers: Mutex::new(handles) })
    }

    /// Files `submission` with whatever else is queued; answers once it is committed.
    pub async fn file(&self, submission: Submission) -> Answer {
        let (answer, answered) = oneshot::channel();
        {
            let mut line = self.shared.lock();
            if line.closed {
                return Err(stopping());
            }
            line.waiting.push_back(Pending { submission, answer });
        }
        self.shared.arrived.notify_one();
        answered.await.unwrap_or_else(|_| Err(stopping()))
    }

    /// Closes the queue, lets the writers file what is queued, and waits for them.
    pub fn stop(&self) {
        self.shared.lock().closed = true;
        self.shared.arrived.notify_all();
        let handles =
            std::mem::take(&mut *self.writers.lock().unwrap_or_else(PoisonError::into_inner));
        for handle in handles {
            if handle.join().is_err() {
                tracing::error!("a filing writer panicked");
            }
        }
    }
}

impl Drop for FilingQueue {
    fn drop(&mut self) {
        // Not joined here: a drop may run on an async worker; the writers finish by themselves.
        self.shared.lock().closed = true;
        self.shared.arrived.notify_all();
    }
}

fn stopping() -> TicketError {
    TicketError::Db(db::DbError::Unavailable("the service is stopping".into()))
}

fn write_batches(shared: &Shared) {
    let mut reserve = IdReserve::new(IdReserve::BLOCK);
    while let Some(batch) = shared.next_batch() {
        let (submissions, answers): (Vec<Submission>, Vec<oneshot::Sender<Answer>>) =
            batch.into_iter().map(|p| (p.submission, p.answer)).unzip();
        let results = match shared.pool.get() {
            Ok(mut conn) => {
                let mut desk = Desk { reserve: &mut reserve, gate: &shared.gate };
                let results = file_batch(
                    &mut conn,
                    &shared.engine,
                    &shared.reference,
                    &mut desk,
                    &submissions,
                );
                if results.iter().any(is_unavailable) {
                    conn.mark_broken();
                }
                results
            }
            Err(e) => submissions.iter().map(|_| Err(unavailable(&e))).collect(),
        };
        for (answer, result) in answers.into_iter().zip(results) {
            // A requester that went away (client closed the connection) needs no answer.
            let _ = answer.send(result);
        }
    }
}

fn is_unavailable(result: &Answer) -> bool {
    match result {
        Err(TicketError::Db(db::DbError::Query(e))) => db::is_unavailable(e),
        Err(TicketError::Db(db::DbError::Pool(_) | db::DbError::Unavailable(_))) => true,
        _ => false,
    }
}

fn unavailable(error: &diesel::r2d2::PoolError) -> TicketError {
    TicketError::Db(db::DbError::Unavailable(error.to_string()))
}
