//! Writing filed tickets: many at once, each with its events and outbox messages, in one
//! transaction, and only if the reference rows they were decided on are still current
//! (the [`super::reference`] epoch).
//!
//! The ids come from the ticket sequence ahead of time ([`IdReserve`]), so the ticket numbers
//! and the messages that quote them are made before the write.
//!
//! PostgreSQL: the write is one statement (data-modifying CTEs over `unnest`ed column
//! arrays, the epoch check in the same statement) in autocommit: one round trip and one WAL
//! flush for the whole batch.
//!
//! SQLite: the write takes the database lock (`BEGIN IMMEDIATE`), checks the epoch, inserts
//! and commits: one fsync for the whole batch.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};

use super::events::NewEvent;
use super::outbox::NewMessage;
use super::schema::{reference_epoch, ticket_events, tickets};
use super::tickets::Ticket;
use super::{DbConn, DbTarget};

/// One filed ticket as it is to be stored.
#[derive(Debug, Clone)]
pub struct FilingRows {
    /// The ticket, complete with id and number.
    pub ticket: Ticket,
    /// Its first events (`created`, and `fee_accepted` with a fee).
    pub events: Vec<NewEvent<'static>>,
    /// Its notifications (receipt, on-call alert, webhooks).
    pub messages: Vec<NewMessage>,
}

/// What became of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Committed.
    Stored,
    /// The reference epoch moved on since the rows were decided: nothing was written;
    /// decide again on fresh reference rows.
    Stale,
}

/// Ticket ids taken from the database's ticket sequence ahead of use, so a filing's number
/// (and the messages that quote it) can be made before its write. PostgreSQL: `nextval` of
/// the `tickets.id` sequence. SQLite: the table's `AUTOINCREMENT` counter in
/// `sqlite_sequence`, moved on in a transaction of its own (SQLite then never gives those
/// ids to another insert, in this process or another). Ids a stale write did not use are
/// used again; ids still held when the process stops are never used, so ticket numbers may
/// skip up to [`IdReserve::BLOCK`] − 1 at a restart, as a sequence's own cache would.
#[derive(Debug)]
pub struct IdReserve {
    ids: VecDeque<i64>,
    block: i64,
}

impl IdReserve {
    /// Ids a writer fetches per round trip (PostgreSQL) or per commit (SQLite) at least.
    pub const BLOCK: i64 = 16;

    /// A reserve that fetches at least `block` ids at a time (1: exactly what is needed,
    /// for a one-off filing).
    #[must_use]
    pub fn new(block: i64) -> Self {
        Self { ids: VecDeque::new(), block: block.max(1) }
    }

    /// Takes `n` ids, fetching more first if needed (behind `gate`: on SQLite a reservation
    /// is a write).
    pub fn take(&mut self, conn: &mut DbConn, gate: &WriteGate, n: usize) -> QueryResult<Vec<i64>> {
        if self.ids.len() < n {
            let missing = i64::try_from(n - self.ids.len()).unwrap_or(i64::MAX);
            let block = missing.max(self.block);
            let ids = gate
                .run(conn, |conn| super::transaction(conn, |conn| next_ticket_ids(conn, block)))?;
            self.ids.extend(ids);
        }
        Ok(self.ids.drain(..n).collect())
    }

    /// Ids held for the filings to come.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// No ids held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Gives back ids a stale write did not use, to be taken first next time.
    pub fn give_back(&mut self, ids: Vec<i64>) {
        for id in ids.into_iter().rev() {
            self.ids.push_front(id);
        }
    }
}

#[derive(QueryableByName)]
struct NextId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// `n` fresh ids; on SQLite call it inside a write transaction.
fn next_ticket_ids(conn: &mut DbConn, n: i64) -> QueryResult<Vec<i64>> {
    if let DbConn::Postgres(pg) = conn {
        let rows: Vec<NextId> =
            diesel::sql_query("SELECT nextval('tickets_id_seq') AS id FROM generate_series(1, $1)")
                .bind::<BigInt, _>(n)
                .load(pg)?;
        return Ok(rows.into_iter().map(|r| r.id).collect());
    }
    {
        // The counter row exists once the table had a row; make sure it does.
        diesel::sql_query(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'tickets', \
             (SELECT COALESCE(MAX(id), 0) FROM tickets) \
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tickets')",
        )
        .execute(conn)?;
        let last: NextId = diesel::sql_query(
            "UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(id), 0) \
             FROM tickets)) + ? WHERE name = 'tickets' RETURNING seq AS id",
        )
        .bind::<BigInt, _>(n)
        .get_result(conn)?;
        Ok((last.id - n + 1..=last.id).collect())
    }
}

/// Where filings are written. SQLite: one connection of its own, behind a mutex, so the
/// process's filing writes queue on the mutex instead of in SQLite's busy handler (which
/// sleeps in steps of milliseconds), and the connection's page cache stays warm from one
/// write to the next (a connection drops its cache when another one wrote in between).
/// PostgreSQL: the caller's connection; writers run side by side.
pub struct WriteGate(Option<SqliteWriter>);

struct SqliteWriter {
    target: DbTarget,
    conn: Mutex<Option<DbConn>>,
}

impl std::fmt::Debug for WriteGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("WriteGate").field(&self.0.is_some()).finish()
    }
}

impl WriteGate {
    /// No gate: writes go to the caller's connection (a single writer).
    #[must_use]
    pub fn open() -> Self {
        Self(None)
    }

    /// The gate for `target`'s backend.
    #[must_use]
    pub fn for_target(target: &DbTarget) -> Self {
        match target {
            DbTarget::Sqlite(_) => {
                Self(Some(SqliteWriter { target: target.clone(), conn: Mutex::new(None) }))
            }
            DbTarget::Postgres(_) => Self(None),
        }
    }

    /// Runs `f` on the writing connection: the gate's own (opened on first use; if it
    /// cannot be opened, the caller's), else `conn`.
    fn run<T>(
        &self,
        conn: &mut DbConn,
        f: impl FnOnce(&mut DbConn) -> QueryResult<T>,
    ) -> QueryResult<T> {
        let Some(writer) = &self.0 else { return f(conn) };
        let mut own = writer.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if own.is_none() {
            *own = super::connect(&writer.target).ok();
        }
        let Some(own_conn) = own.as_mut() else { return f(conn) };
        let result = f(own_conn);
        if result.as_ref().is_err_and(super::is_unavailable) {
            *own = None;
        }
        result
    }
}

/// Writes `rows`, decided under `epoch`, in one transaction. Returns [`Written::Stale`],
/// with nothing written, if the epoch moved on. On SQLite the same transaction tops the
/// `reserve` up for the next batch (as many ids as this one used, at least a block), so
/// reserving costs no commit of its own under load.
pub fn write(
    conn: &mut DbConn,
    gate: &WriteGate,
    reserve: &mut IdReserve,
    epoch: i64,
    rows: &[FilingRows],
) -> QueryResult<Written> {
    if rows.is_empty() {
        return Ok(Written::Stored);
    }
    if let DbConn::Postgres(pg) = conn {
        return match PgFiling::new(epoch, rows).execute(pg)? {
            0 => Ok(Written::Stale),
            _ => Ok(Written::Stored),
        };
    }
    let held = reserve.ids.len();
    let written = gate.run(conn, |conn| {
        super::transaction(conn, |conn| {
            // One row: no LIMIT, whose bound value would make SQLite prepare it anew each time.
            let current: i64 =
                reference_epoch::table.select(reference_epoch::epoch).get_result(conn)?;
            if current != epoch {
                return Ok(Written::Stale);
            }
            for filing in rows {
                diesel::insert_into(tickets::table).values(&filing.ticket).execute(conn)?;
                for event in &filing.events {
                    diesel::insert_into(ticket_events::table).values(event).execute(conn)?;
                }
                super::outbox::insert(conn, &filing.messages)?;
            }
            let want = rows.len().max(usize::try_from(reserve.block).unwrap_or(usize::MAX));
            if reserve.ids.len() < want {
                let more = i64::try_from(want - reserve.ids.len()).unwrap_or(i64::MAX);
                reserve.ids.extend(next_ticket_ids(conn, more)?);
            }
            Ok(Written::Stored)
        })
    });
    if written.is_err() {
        // The top-up was rolled back with the rest: those ids are not ours.
        reserve.ids.truncate(held);
    }
    written
}

/// The PostgreSQL write of a batch: one statement with a fixed text whatever the batch size
/// (the rows travel as one array per column), so it is prepared once per connection.
struct PgFiling {
    epoch: i64,
    events: EventColumns,
    messages: MessageColumns,
    tickets: TicketColumns,
}

fn column<R, T>(rows: &[R], f: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

struct EventColumns {
    ticket_id: Vec<i64>,
    at: Vec<NaiveDateTime>,
    actor_id: Vec<Option<i64>>,
    kind: Vec<&'static str>,
    public: Vec<bool>,
    body: Vec<Option<&'static str>>,
    data: Vec<Option<String>>,
}

struct MessageColumns {
    event_id: Vec<String>,
    channel: Vec<&'static str>,
    topic: Vec<String>,
    ticket_id: Vec<Option<i64>>,
    webhook_id: Vec<Option<i64>>,
    recipient: Vec<String>,
    subject: Vec<String>,
    body: Vec<String>,
    html: Vec<Option<String>>,
    created_at: Vec<NaiveDateTime>,
    next_attempt_at: Vec<NaiveDateTime>,
}

struct TicketColumns {
    id: Vec<i64>,
    number: Vec<String>,
    organization_id: Vec<i64>,
    reporter_id: Vec<i64>,
    assignee_id: Vec<Option<i64>>,
    contract_id: Vec<Option<i64>>,
    policy_version_id: Vec<i64>,
    title: Vec<String>,
    description: Vec<String>,
    severity: Vec<String>,
    category: Vec<String>,
    channel: Vec<String>,
    status: Vec<String>,
    reported_at: Vec<NaiveDateTime>,
    created_at: Vec<NaiveDateTime>,
    updated_at: Vec<NaiveDateTime>,
    out_of_hours: Vec<bool>,
    oncall_now: Vec<bool>,
    fee_minor: Vec<Option<i64>>,
    fee_currency: Vec<Option<String>>,
    fee_accepted_by: Vec<Option<i64>>,
    fee_accepted_at: Vec<Option<NaiveDateTime>>,
    response_due_at: Vec<Option<NaiveDateTime>>,
    response_met_at: Vec<Option<NaiveDateTime>>,
    fix_start_due_at: Vec<Option<NaiveDateTime>>,
    fix_start_met_at: Vec<Option<NaiveDateTime>>,
    resolve_due_at: Vec<Option<NaiveDateTime>>,
    resolved_at: Vec<Option<NaiveDateTime>>,
    closed_at: Vec<Option<NaiveDateTime>>,
    reopened_at: Vec<Option<NaiveDateTime>>,
    next_due_at: Vec<Option<NaiveDateTime>>,
    next_escalation_at: Vec<Option<NaiveDateTime>>,
}

impl PgFiling {
    fn new(epoch: i64, rows: &[FilingRows]) -> Self {
        let events: Vec<&NewEvent<'static>> = rows.iter().flat_map(|r| &r.events).collect();
        let messages: Vec<&NewMessage> = rows.iter().flat_map(|r| &r.messages).collect();
        let t: Vec<&Ticket> = rows.iter().map(|r| &r.ticket).collect();
        Self {
            epoch,
            events: EventColumns {
                ticket_id: column(&events, |e| e.ticket_id),
                at: column(&events, |e| e.at),
                actor_id: column(&events, |e| e.actor_id),
                kind: column(&events, |e| e.kind),
                public: column(&events, |e| e.public),
                body: column(&events, |e| e.body),
                data: column(&events, |e| e.data.clone()),
            },
            messages: MessageColumns {
                event_id: column(&messages, |m| m.event_id.clone()),
                channel: column(&messages, |m| m.channel),
                topic: column(&messages, |m| m.topic.clone()),
                ticket_id: column(&messages, |m| m.ticket_id),
                webhook_id: column(&messages, |m| m.webhook_id),
                recipient: column(&messages, |m| m.recipient.clone()),
                subject: column(&messages, |m| m.subject.clone()),
                body: column(&messages, |m| m.body.clone()),
                html: column(&messages, |m| m.html.clone()),
                created_at: column(&messages, |m| m.created_at),
                next_attempt_at: column(&messages, |m| m.next_attempt_at),
            },
            tickets: TicketColumns {
                id: column(&t, |t| t.id),
                number: column(&t, |t| t.number.clone()),
                organization_id: column(&t, |t| t.organization_id),
                reporter_id: column(&t, |t| t.reporter_id),
                assignee_id: column(&t, |t| t.assignee_id),
                contract_id: column(&t, |t| t.contract_id),
                policy_version_id: column(&t, |t| t.policy_version_id),
                title: column(&t, |t| t.title.clone()),
                description: column(&t, |t| t.description.clone()),
                severity: column(&t, |t| t.severity.clone()),
                category: column(&t, |t| t.category.clone()),
                channel: column(&t, |t| t.channel.clone()),
                status: column(&t, |t| t.status.clone()),
                reported_at: column(&t, |t| t.reported_at),
                created_at: column(&t, |t| t.created_at),
                updated_at: column(&t, |t| t.updated_at),
                out_of_hours: column(&t, |t| t.out_of_hours),
                oncall_now: column(&t, |t| t.oncall_now),
                fee_minor: column(&t, |t| t.fee_minor),
                fee_currency: column(&t, |t| t.fee_currency.clone()),
                fee_accepted_by: column(&t, |t| t.fee_accepted_by),
                fee_accepted_at: column(&t, |t| t.fee_accepted_at),
                response_due_at: column(&t, |t| t.response_due_at),
                response_met_at: column(&t, |t| t.response_met_at),
                fix_start_due_at: column(&t, |t| t.fix_start_due_at),
                fix_start_met_at: column(&t, |t| t.fix_start_met_at),
                resolve_due_at: column(&t, |t| t.resolve_due_at),
                resolved_at: column(&t, |t| t.resolved_at),
                closed_at: column(&t, |t| t.closed_at),
                reopened_at: column(&t, |t| t.reopened_at),
                next_due_at: column(&t, |t| t.next_due_at),
                next_escalation_at: column(&t, |t| t.next_escalation_at),
            },
        }
    }
}

/// Pushes `, `-separated bind parameters of the given SQL types.
macro_rules! binds {
    ($out:ident, $($ty:ty => $value:expr),+ $(,)?) => {{
        let mut first = true;
        $(
            if !std::mem::take(&mut first) {
                $out.push_sql(", ");
            }
            $out.push_bind_param::<$ty, _>($value)?;
        )+
    }};
}

type Ids = Array<BigInt>;
type NullIds = Array<Nullable<BigInt>>;
type Texts = Array<Text>;
type NullTexts = Array<Nullable<Text>>;
type Instants = Array<Timestamp>;
type NullInstants = Array<Nullable<Timestamp>>;
type Flags = Array<Bool>;

impl QueryFragment<Pg> for PgFiling {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // Every part inserts only while the epoch is the one the batch was decided under;
        // the row count of the final INSERT tells which. The events and messages name
        // tickets inserted by the same statement: foreign keys are checked at its end.
        out.push_sql("WITH fresh AS (SELECT 1 FROM reference_epoch WHERE id = 1 AND epoch = ");
        out.push_bind_param::<BigInt, _>(&self.epoch)?;
        let e = &self.events;
        out.push_sql(
            "), events AS (INSERT INTO ticket_events \
             (ticket_id, at, actor_id, kind, public, body, data) SELECT * FROM unnest(",
        );
        binds!(out,
            Ids => &e.ticket_id, Instants => &e.at, NullIds => &e.actor_id, Texts => &e.kind,
            Flags => &e.public, NullTexts => &e.body, NullTexts => &e.data,
        );
        let m = &self.messages;
        out.push_sql(
            ") WHERE EXISTS (SELECT 1 FROM fresh)), messages AS (INSERT INTO outbox \
             (event_id, channel, topic, ticket_id, webhook_id, recipient, subject, body, html, \
             created_at, next_attempt_at) SELECT * FROM unnest(",
        );
        binds!(out,
            Texts => &m.event_id, Texts => &m.channel, Texts => &m.topic,
            NullIds => &m.ticket_id, NullIds => &m.webhook_id, Texts => &m.recipient,
            Texts => &m.subject, Texts => &m.body, NullTexts => &m.html,
            Instants => &m.created_at, Instants => &m.next_attempt_at,
        );
        let t = &self.tickets;
        out.push_sql(
            ") WHERE EXISTS (SELECT 1 FROM fresh)) INSERT INTO tickets (id, number, \
             organization_id, reporter_id, assignee_id, contract_id, policy_version_id, title, \
             description, severity, category, channel, status, reported_at, created_at, \
             updated_at, out_of_hours, oncall_now, fee_minor, fee_currency, fee_accepted_by, \
             fee_accepted_at, response_due_at, response_met_at, fix_start_due_at, \
             fix_start_met_at, resolve_due_at, resolved_at, closed_at, reopened_at, next_due_at, \
             next_escalation_at) SELECT * FROM unnest(",
        );
        binds!(out,
            Ids => &t.id, Texts => &t.number, Ids => &t.organization_id, Ids => &t.reporter_id,
            NullIds => &t.assignee_id, NullIds => &t.contract_id, Ids => &t.policy_version_id,
            Texts => &t.title, Texts => &t.description, Texts => &t.severity,
            Texts => &t.category, Texts => &t.channel, Texts => &t.status,
            Instants => &t.reported_at, Instants => &t.created_at, Instants => &t.updated_at,
            Flags => &t.out_of_hours, Flags => &t.oncall_now, NullIds => &t.fee_minor,
            NullTexts => &t.fee_currency, NullIds => &t.fee_accepted_by,
            NullInstants => &t.fee_accepted_at, NullInstants => &t.response_due_at,
            NullInstants => &t.response_met_at, NullInstants => &t.fix_start_due_at,
            NullInstants => &t.fix_start_met_at, NullInstants => &t.resolve_due_at,
            NullInstants => &t.resolved_at, NullInstants => &t.closed_at,
            NullInstants => &t.reopened_at, NullInstants => &t.next_due_at,
            NullInstants => &t.next_escalation_at,
        );
        out.push_sql(") WHERE EXISTS (SELECT 1 FROM fresh)");
        Ok(())
    }
}

impl QueryId for PgFiling {
    type QueryId = PgFiling;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl RunQueryDsl<PgConnection> for PgFiling {}
