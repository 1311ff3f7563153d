//! Scheduled work (DESIGN §6, §8, §10): the escalation sweep every minute and once at
//! start-up, outbox delivery every few seconds, and the monthly close and report mail every
//! hour and once at start-up, on tokio-cron-scheduler.
//!
//! Each job is a plain function that takes a connection and `now` ([`sweep::tick`],
//! [`deliver::Worker::tick`], [`reports::tick`]), so tests call them directly with an injected clock; here
//! they are run on the blocking pool, never two passes of one job at once. Several
//! instances may run them against one database: claims (`SKIP LOCKED`, leases) share the
//! work and unique rows keep it exactly-once.

pub mod deliver;
pub mod reports;
pub mod sweep;

use std::sync::Arc;

use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::web::AppState;

/// The sweep's schedule: second 0 of every minute.
pub const SWEEP_SCHEDULE: &str = "0 * * * * *";
/// Delivery's schedule: every two seconds (it reads one index when there is nothing to do).
pub const DELIVERY_SCHEDULE: &str = "*/2 * * * * *";
/// The monthly close and report mail: five past every hour (the close waits for local
/// 03:00 on the 1st, the mail for the report hour; a missed hour is caught up next time).
pub const REPORTS_SCHEDULE: &str = "0 5 * * * *";

/// The running jobs of this process.
pub struct Jobs {
    scheduler: JobScheduler,
    state: AppState,
    worker: Arc<deliver::Worker>,
    sweeping: Arc<Mutex<()>>,
    delivering: Arc<Mutex<()>>,
    reporting: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").field("worker", &self.worker.id()).finish_non_exhaustive()
    }
}

/// Runs one sweep on the blocking pool, unless one is running.
pub async fn sweep_once(state: &AppState, guard: &Mutex<()>) {
    let Ok(_running) = guard.try_lock() else { return };
    let pool = state.pool.clone();
    let engine = Arc::clone(&state.engine);
    let now = state.clock.now();
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<sweep::Report> {
        let mut conn = pool.get()?;
        Ok(sweep::tick(&mut conn, &engine, now)?)
    })
    .await;
    match result {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::warn!(%error, "sweep failed; the next one catches up"),
        Err(error) => tracing::error!(%error, "sweep panicked"),
    }
}

/// Runs one delivery pass on the blocking pool, unless one is running.
pub async fn deliver_once(state: &AppState, worker: &Arc<deliver::Worker>, guard: &Mutex<()>) {
    let Ok(_running) = guard.try_lock() else { return };
    let pool = state.pool.clone();
    let worker = Arc::clone(worker);
    let now = state.clock.now();
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<deliver::Report> {
        let mut conn = pool.get()?;
        Ok(worker.tick(&mut conn, now)?)
    })
    .await;
    match result {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::warn!(%error, "delivery pass failed; trying again shortly"),
        Err(error) => tracing::error!(%error, "delivery pass panicked"),
    }
}

/// Runs one pass of the monthly close and report mail on the blocking pool, unless one is
/// running.
pub async fn reports_once(state: &AppState, settings: &reports::Settings, guard: &Mutex<()>) {
    let Ok(_running) = guard.try_lock() else { return };
    let pool = state.pool.clone();
    let engine = Arc::clone(&state.engine);
    let settings = settings.clone();
    let now = state.clock.now();
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<reports::Report> {
        let mut conn = pool.get()?;
        Ok(reports::tick(&mut conn, &engine, &settings, now)?)
    })
    .await;
    match result {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, "monthly reports failed; the next hour catches up")
        }
        Err(error) => tracing::error!(%error, "monthly reports panicked"),
    }
}

impl Jobs {
    /// Sweeps and closes and mails the months due once (catching up after downtime), then
    /// starts the schedules.
    pub async fn start(state: AppState, worker: deliver::Worker) -> anyhow::Result<Self> {
        let worker = Arc::new(worker);
        let sweeping = Arc::new(Mutex::new(()));
        let delivering = Arc::new(Mutex::new(()));
        let reporting = Arc::new(Mutex::new(()));
        if !worker.sends_email() {
            tracing::warn!("FRIST_SMTP_URL is not set: e-mails wait in the outbox until it is");
        }
        sweep_once(&state, &sweeping).await;
        let report_settings = worker.reports().clone();
        reports_once(&state, &report_settings, &reporting).await;

        let scheduler = JobScheduler::new().await?;
        let (s, guard) = (state.clone(), Arc::clone(&sweeping));
        scheduler
            .add(Job::new_async(SWEEP_SCHEDULE, move |_, _| {
                let (s, guard) = (s.clone(), Arc::clone(&guard));
                Box::pin(async move { sweep_once(&s, &guard).await })
            })?)
            .await?;
        let (s, w, guard) = (state.clone(), Arc::clone(&worker), Arc::clone(&delivering));
        scheduler
            .add(Job::new_async(DELIVERY_SCHEDULE, move |_, _| {
                let (s, w, guard) = (s.clone(), Arc::clone(&w), Arc::clone(&guard));
                Box::pin(async move { deliver_once(&s, &w, &guard).await })
            })?)
            .await?;
        let (s, guard) = (state.clone(), Arc::clone(&reporting));
        scheduler
            .add(Job::new_async(REPORTS_SCHEDULE, move |_, _| {
                let (s, r, guard) = (s.clone(), report_settings.clone(), Arc::clone(&guard));
                Box::pin(async move { reports_once(&s, &r, &guard).await })
            })?)
            .await?;
        scheduler.start().await?;
        tracing::info!(
            worker = worker.id(),
            "jobs started: sweep every minute, delivery every 2 s, monthly reports hourly"
        );
        Ok(Self { scheduler, state, worker, sweeping, delivering, reporting })
    }

    /// Stops claiming work, lets the passes in flight finish the message each is sending,
    /// and gives back the messages this worker still holds.
    pub async fn stop(mut self) {
        self.worker.stop();
        if let Err(error) = self.scheduler.shutdown().await {
            tracing::warn!(%error, "stopping the scheduler");
        }
        let _sweep = self.sweeping.lock().await;
        let _delivery = self.delivering.lock().await;
        let _reports = self.reporting.lock().await;
        let pool = self.state.pool.clone();
        let worker = Arc::clone(&self.worker);
        let released = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
            let mut conn = pool.get()?;
            Ok(worker.release(&mut conn)?)
        })
        .await;
        match released {
            Ok(Ok(n)) => tracing::info!(released = n, "jobs stopped"),
            Ok(Err(error)) => tracing::warn!(%error, "could not release claims; they lapse"),
            Err(error) => tracing::warn!(%error, "releasing claims panicked"),
        }
    }
}
