//! The escalation sweep (DESIGN §6): every minute, and once at start-up to catch up after
//! downtime, fire the thresholds that due tickets have passed.
//!
//! It reads only tickets whose stored next escalation instant has passed (a partial index),
//! a batch per transaction; on PostgreSQL the batch is locked with `SKIP LOCKED`, so several
//! instances share the work, and the unique escalation row is the final guard.

use chrono::{DateTime, Duration, Utc};

use crate::db::{self, DbConn};
use crate::tickets::escalate::{self, Fired};
use crate::tickets::{Engine, TicketError, transaction};

/// Tickets per transaction.
pub const BATCH: i64 = 100;

/// How long a ticket whose escalation failed waits before the next try (it must not hold up
/// the rest, nor be lost).
const RETRY_FAILED: i64 = 5;

/// What one sweep did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Tickets whose instant had passed.
    pub due: usize,
    /// Thresholds fired.
    pub fired: Vec<Fired>,
    /// Tickets that failed (logged; tried again in a few minutes).
    pub failed: usize,
}

/// Sweeps at `now`: batches of due tickets until none is left.
pub fn tick(conn: &mut DbConn, engine: &Engine, now: DateTime<Utc>) -> Result<Report, TicketError> {
    let mut report = Report::default();
    loop {
        let claimed = transaction(conn, |conn| {
            let ids = db::escalations::claim_due(conn, db::to_db(now), BATCH)?;
            let mut fired = Vec::new();
            let mut failed = 0;
            for &id in &ids {
                match one(conn, engine, id, now) {
                    Ok(f) => fired.extend(f),
                    Err(error) => {
                        failed += 1;
                        tracing::error!(ticket = id, %error, "escalation failed; retrying later");
                        let later = now + Duration::minutes(RETRY_FAILED);
                        db::escalations::set_next(conn, id, Some(db::to_db(later)))?;
                    }
                }
            }
            Ok((ids.len(), fired, failed))
        })?;
        let (count, fired, failed) = claimed;
        report.due += count;
        report.fired.extend(fired);
        report.failed += failed;
        if count < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            break;
        }
    }
    if report.due > 0 {
        tracing::info!(
            due = report.due,
            fired = report.fired.len(),
            failed = report.failed,
            "sweep"
        );
    }
    Ok(report)
}

/// One ticket in a savepoint, so its failure leaves the batch's other work standing.
fn one(
    conn: &mut DbConn,
    engine: &Engine,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Fired>, TicketError> {
    use diesel::Connection;
    conn.transaction(|conn| escalate::escalate(conn, engine, id, now))
}
