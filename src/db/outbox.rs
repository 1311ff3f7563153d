//! The notification outbox: messages written in the transaction of their cause, claimed by a
//! delivery worker for a lease, then marked delivered, retried later, or parked.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::DbConn;
use super::schema::outbox;

/// An outbox row.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = outbox)]
pub struct Message {
    /// Id.
    pub id: i64,
    /// Stable id sent with every attempt (`X-Frist-Event-Id`, `Message-ID`).
    pub event_id: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// What happened, e.g. `ticket.created`, `escalation.breach`.
    pub topic: String,
    /// The ticket it is about, if any.
    pub ticket_id: Option<i64>,
    /// The endpoint, for webhooks.
    pub webhook_id: Option<i64>,
    /// E-mail address or webhook URL.
    pub recipient: String,
    /// Subject (e-mail) or topic (webhook).
    pub subject: String,
    /// Text body, or the JSON payload.
    pub body: String,
    /// HTML alternative of an e-mail.
    pub html: Option<String>,
    /// When it was written.
    pub created_at: NaiveDateTime,
    /// Failed attempts so far.
    pub attempts: i32,
    /// Not before.
    pub next_attempt_at: NaiveDateTime,
    /// The worker holding it.
    pub claimed_by: Option<String>,
    /// Until when the claim holds (a crashed worker's claim lapses).
    pub claimed_until: Option<NaiveDateTime>,
    /// Delivered.
    pub delivered_at: Option<NaiveDateTime>,
    /// Given up on after too many failures; an admin may retry it.
    pub parked_at: Option<NaiveDateTime>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Files attached to an e-mail, JSON: `[{"name", "content_type", "base64"}]`.
    pub attachments: Option<String>,
}

/// A new message.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct NewMessage {
    /// Stable id.
    pub event_id: String,
    /// `email` or `webhook`.
    pub channel: &'static str,
    /// Topic.
    pub topic: String,
    /// Ticket.
    pub ticket_id: Option<i64>,
    /// Endpoint.
    pub webhook_id: Option<i64>,
    /// Address or URL.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// HTML.
    pub html: Option<String>,
    /// Written at.
    pub created_at: NaiveDateTime,
    /// First attempt.
    pub next_attempt_at: NaiveDateTime,
}

/// Appends messages.
pub fn insert(conn: &mut DbConn, messages: &[NewMessage]) -> QueryResult<usize> {
    let mut written = 0;
    for message in messages {
        written += diesel::insert_into(outbox::table).values(message).execute(conn)?;
    }
    Ok(written)
}

/// Appends one message with attachments (JSON, as [`Message::attachments`]).
pub fn insert_with_attachments(
    conn: &mut DbConn,
    message: &NewMessage,
    attachments: Option<&str>,
) -> QueryResult<usize> {
    diesel::insert_into(outbox::table)
        .values((message, outbox::attachments.eq(attachments)))
        .execute(conn)
}

/// Claims up to `limit` messages due at `now` (of `channel` only, if given) for `worker`
/// until `lease_until`, in one statement. Messages another worker holds under a live lease are left alone; on
/// PostgreSQL rows being claimed concurrently are skipped rather than waited for.
pub fn claim(
    conn: &mut DbConn,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
    channel: Option<&str>,
) -> QueryResult<Vec<Message>> {
    const PENDING: &str = "delivered_at IS NULL AND parked_at IS NULL \
        AND next_attempt_at <= {now} AND (claimed_until IS NULL OR claimed_until < {now}) \
        AND ({channel} IS NULL OR channel = {channel}) \
        ORDER BY next_attempt_at, id LIMIT {limit}";
    match conn {
        DbConn::Postgres(c) => {
            let pending = PENDING
                .replace("{now}", "$3")
                .replace("{limit}", "$4")
                .replace("{channel}", "$5::text");
            diesel::sql_query(format!(
                "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN \
                 (SELECT id FROM outbox WHERE {pending} FOR UPDATE SKIP LOCKED) RETURNING *"
            ))
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<Nullable<Text>, _>(channel)
            .load(c)
        }
        DbConn::Sqlite(c) => {
            let pending =
                PENDING.replace("{now}", "?3").replace("{limit}", "?4").replace("{channel}", "?5");
            diesel::sql_query(format!(
                "UPDATE outbox SET claimed_by = ?1, claimed_until = ?2 WHERE id IN \
                 (SELECT id FROM outbox WHERE {pending}) RETURNING *"
            ))
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<Nullable<Text>, _>(channel)
            .load(c)
        }
    }
}

/// Marks a claimed message delivered; 0 when `worker` no longer holds it.
pub fn mark_delivered(
    conn: &mut DbConn,
    id: i64,
    worker: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::claimed_by.eq(worker)))
        .set((
            outbox::delivered_at.eq(at),
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this instant.
    RetryAt(NaiveDateTime),
    /// Give up; an admin may retry it.
    Park(NaiveDateTime),
}

/// Records a failed attempt of a claimed message and releases it.
pub fn mark_failed(
    conn: &mut DbConn,
    id: i64,
    worker: &str,
    error: &str,
    then: AfterFailure,
) -> QueryResult<usize> {
    let (next, parked) = match then {
        AfterFailure::RetryAt(at) => (Some(at), None),
        AfterFailure::Park(at) => (None, Some(at)),
    };
    let target = outbox::table.find(id).filter(outbox::claimed_by.eq(worker));
    let released = (
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::last_error.eq(error),
        outbox::claimed_by.eq(None::<String>),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
    );
    match next {
        Some(at) => {
            diesel::update(target).set((released, outbox::next_attempt_at.eq(at))).execute(conn)
        }
        None => diesel::update(target).set((released, outbox::parked_at.eq(parked))).execute(conn),
    }
}

/// Releases every message `worker` holds but has not finished (graceful shutdown).
pub fn release(conn: &mut DbConn, worker: &str) -> QueryResult<usize> {
    diesel::update(
        outbox::table.filter(outbox::claimed_by.eq(worker)).filter(outbox::delivered_at.is_null()),
    )
    .set((outbox::claimed_by.eq(None::<String>), outbox::claimed_until.eq(None::<NaiveDateTime>)))
    .execute(conn)
}

/// Puts a parked message back in the queue, due at `at`; 0 when it is not parked.
pub fn retry(conn: &mut DbConn, id: i64, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::parked_at.is_not_null()))
        .set((
            outbox::parked_at.eq(None::<NaiveDateTime>),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(at),
        ))
        .execute(conn)
}

/// Which messages to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not yet delivered, not parked.
    Pending,
    /// Parked after too many failures.
    Parked,
    /// Delivered.
    Delivered,
}

/// A page of messages in `state`, newest first.
pub fn list(conn: &mut DbConn, state: State, offset: i64, limit: i64) -> QueryResult<Vec<Message>> {
    let query = outbox::table.select(Message::as_select()).into_boxed();
    let query = match state {
        State::Pending => {
            query.filter(outbox::delivered_at.is_null()).filter(outbox::parked_at.is_null())
        }
        State::Parked => query.filter(outbox::parked_at.is_not_null()),
        State::Delivered => query.filter(outbox::delivered_at.is_not_null()),
    };
    query.order(outbox::id.desc()).offset(offset).limit(limit).load(conn)
}

/// One message.
pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Message>> {
    outbox::table.find(id).select(Message::as_select()).first(conn).optional()
}

/// Marks every message written before `at` and still pending as delivered when it was
/// written: for loaded history (`frist demo`), whose e-mails belong to the past.
pub fn mark_delivered_before(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::created_at.lt(at))
            .filter(outbox::delivered_at.is_null())
            .filter(outbox::parked_at.is_null()),
    )
    .set(outbox::delivered_at.eq(outbox::created_at.nullable()))
    .execute(conn)
}
