//! Storage: the one place that knows SQL dialects.
//!
//! [`DbConn`] is a `diesel::MultiConnection` over SQLite (the embedded default) and
//! PostgreSQL, chosen by the URL scheme in [`DbTarget::parse`]. Queries are written once
//! against it; where the dialects differ (an insert that returns its id) the code branches
//! with [`on_backend!`] here in `db/` and nowhere else. Instants are stored as UTC
//! `TIMESTAMP`s ([`to_db`], [`from_db`]); enums as text guarded by CHECK constraints.

pub mod calendars;
pub mod contracts;
pub mod escalations;
pub mod events;
pub mod filings;
pub mod oncall;
pub mod organizations;
pub mod outbox;
pub mod pauses;
pub mod policies;
pub mod reference;
pub mod report_month;
pub mod reports;
pub mod schema;
pub mod tickets;
pub mod tokens;
pub mod users;
pub mod webhooks;

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

mod multi {
    use diesel::pg::PgConnection;
    use diesel::sqlite::SqliteConnection;

    /// A connection to either backend.
    #[derive(diesel::MultiConnection)]
    pub enum DbConn {
        /// The embedded default.
        Sqlite(SqliteConnection),
        /// The production backend.
        Postgres(PgConnection),
    }
}

pub use multi::DbConn;

/// Runs the same diesel expression on whichever backend `$conn` is, for the few statements
/// the multi-connection cannot express (such as `RETURNING`).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Postgres($c) => $body,
        }
    };
}

/// A pool of connections.
pub type Pool = r2d2::Pool<Manager>;

/// A connection checked out of the pool.
pub type PooledConn = r2d2::PooledConnection<Manager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTarget {
    /// A SQLite file (created when missing).
    Sqlite(String),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

/// The database could not be reached, set up or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// `DATABASE_URL` has a scheme frist does not speak.
    #[error("DATABASE_URL: unsupported scheme in {0:?} (use sqlite://PATH or postgres://…)")]
    Scheme(String),
    /// Connecting failed.
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] ConnectionError),
    /// The pool could not hand out a connection in time.
    #[error("database unavailable: {0}")]
    Pool(#[from] r2d2::PoolError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    /// The database cannot take work now (unreachable, or the service is stopping).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Running migrations failed.
    #[error("migrations failed: {0}")]
    Migration(String),
}

impl DbTarget {
    /// Reads `DATABASE_URL`: unset means the SQLite file `frist.db` in the working directory;
    /// `sqlite://PATH` (`sqlite:///abs/path`) a SQLite file; `postgres://…` or
    /// `postgresql://…` PostgreSQL.
    pub fn parse(url: Option<&str>) -> Result<Self, DbError> {
        let Some(url) = url.filter(|u| !u.is_empty()) else {
            return Ok(Self::Sqlite("frist.db".to_owned()));
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err(DbError::Scheme(url.to_owned()));
            }
            return Ok(Self::Sqlite(path.to_owned()));
        }
        Err(DbError::Scheme(url.to_owned()))
    }

    /// Which backend, for logs and messages.
    #[must_use]
    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// Opens connections for the pool and sets them up: on SQLite WAL, `synchronous=FULL`,
/// foreign keys and a busy timeout on every connection.
#[derive(Debug, Clone)]
pub struct Manager {
    target: DbTarget,
}

impl Manager {
    /// A manager for `target`.
    #[must_use]
    pub fn new(target: DbTarget) -> Self {
        Self { target }
    }
}

/// Opens one connection to `target`, set up as the pool would.
pub fn connect(target: &DbTarget) -> Result<DbConn, ConnectionError> {
    match target {
        DbTarget::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)?;
            // The busy timeout first: switching to WAL needs the database lock, which another
            // process opening or closing (a checkpoint on the last close) may hold a moment.
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConn::Sqlite(conn))
        }
        DbTarget::Postgres(url) => {
            let url = with_connect_timeout(url);
            Ok(DbConn::Postgres(PgConnection::establish(&url)?))
        }
    }
}

/// A lost server must not hold a request for libpq's default (no) timeout.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout=3")
}

/// A pooled connection: the connection, when it was last known good, and whether a query
/// on it found the database unreachable.
pub struct PoolConn {
    conn: DbConn,
    checked: Instant,
    broken: bool,
}

impl PoolConn {
    /// Marks the connection as lost (a query found the database unreachable): the pool drops
    /// it instead of handing it out again.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }
}

impl std::fmt::Debug for PoolConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolConn").field("broken", &self.broken).finish_non_exhaustive()
    }
}

impl std::ops::Deref for PoolConn {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for PoolConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// A connection handed out within this long of its last check is not pinged again: under
/// load that saves a round trip per request, and a connection lost meanwhile fails its
/// query, is marked broken and dropped.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

impl ManageConnection for Manager {
    type Connection = PoolConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PoolConn, r2d2::Error> {
        let conn = connect(&self.target).map_err(r2d2::Error::ConnectionError)?;
        Ok(PoolConn { conn, checked: Instant::now(), broken: false })
    }

    fn is_valid(&self, conn: &mut PoolConn) -> Result<(), r2d2::Error> {
        if conn.checked.elapsed() >= PING_AFTER_IDLE {
            conn.conn.ping().map_err(r2d2::Error::QueryError)?;
        }
        conn.checked = Instant::now();
        Ok(())
    }

    fn has_broken(&self, conn: &mut PoolConn) -> bool {
        conn.broken || conn.conn.is_broken()
    }
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub size: u32,
    /// How long a caller waits for a connection before the request gets a 503.
    pub acquire_timeout: Duration,
}

/// Builds a pool without connecting yet, so the service starts and recovers by itself when
/// the database comes and goes.
#[must_use]
pub fn pool(target: &DbTarget, options: PoolOptions) -> Pool {
    r2d2::Pool::builder()
        .max_size(options.size.max(1))
        .min_idle(Some(0))
        .connection_timeout(options.acquire_timeout)
        .test_on_check_out(true)
        .build_unchecked(Manager::new(target.clone()))
}

/// Brings the schema up to date. On PostgreSQL an advisory lock keeps two starting
/// instances from migrating at once.
pub fn migrate(conn: &mut DbConn) -> Result<(), DbError> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Postgres(c) => {
            c.batch_execute("SELECT pg_advisory_lock(7245031)")?;
            let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
            c.batch_execute("SELECT pg_advisory_unlock(7245031)")?;
            result
        }
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    Ok(())
}

/// Runs `f` in one transaction; anything it returns as an error rolls everything back.
/// Inside a transaction already, it runs in a savepoint.
///
/// On SQLite the transaction begins `IMMEDIATE`: a deferred one that reads first and then
/// writes gets `SQLITE_BUSY` at once (the busy timeout does not apply to that upgrade) when
/// another writer is active, so concurrent writers would fail instead of waiting.
pub fn transaction<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let DbConn::Sqlite(sqlite) = conn else { return conn.transaction(f) };
    match AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE") {
        Ok(()) => {}
        Err(diesel::result::Error::AlreadyInTransaction) => return conn.transaction(f),
        Err(e) => return Err(e.into()),
    }
    type Manager = <DbConn as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            Manager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// An instant as stored: UTC without offset.
#[must_use]
pub fn to_db(instant: DateTime<Utc>) -> NaiveDateTime {
    instant.naive_utc()
}

/// An instant as read back.
#[must_use]
pub fn from_db(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// `true` when an error means the database is out of reach rather than the query wrong.
#[must_use]
pub fn is_unavailable(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(kind, info) => {
            matches!(
                kind,
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
            ) || info.message().contains("database is locked")
        }
        Error::BrokenTransactionManager => true,
        _ => false,
    }
}

/// Whose rows a query may touch: everything (staff) or one organization (a customer).
/// Every query of customer data takes one, so isolation holds where data is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Provider staff: all organizations.
    All,
    /// A customer: their own organization only.
    Organization(i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_picks_the_backend() {
        assert_eq!(DbTarget::parse(None).ok(), Some(DbTarget::Sqlite("frist.db".into())));
        assert_eq!(
            DbTarget::parse(Some("sqlite:///var/lib/frist.db")).ok(),
            Some(DbTarget::Sqlite("/var/lib/frist.db".into()))
        );
        assert_eq!(
            DbTarget::parse(Some("postgres://u@h/db")).ok(),
            Some(DbTarget::Postgres("postgres://u@h/db".into()))
        );
        let error = DbTarget::parse(Some("mysql://x")).err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.starts_with("DATABASE_URL: unsupported scheme")));
        assert_eq!(
            with_connect_timeout("postgres://h/db?x=1"),
            "postgres://h/db?x=1&connect_timeout=3"
        );
    }
}
