//! The reference rows a filing reads besides its request — the filer's token and user, the
//! organization with its contracts, the reporter, the basic policy's version, the webhook
//! endpoints — kept in memory under the reference epoch they were read at.
//!
//! Rows are read only after the epoch they are filed under (the epoch is read first), and a
//! filing's write checks that the epoch is still current ([`crate::db::filings::write`]).
//! So a cached row may be *used* after it changed elsewhere, but a ticket decided on it is
//! never *stored*: the write comes back stale, the cache starts over at the new epoch and
//! the filing is decided again.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::contracts::Contract;
use crate::db::organizations::Organization;
use crate::db::users::User;
use crate::db::webhooks::Webhook;
use crate::db::{self, DbConn};

/// Most entries kept per kind; a full map starts over (tokens are the many).
const MAX_ENTRIES: usize = 10_000;

/// A token's holder.
#[derive(Debug, Clone)]
pub struct Holder {
    /// The token's expiry (`None`: never).
    pub expires_at: Option<NaiveDateTime>,
    /// Its user, active or not.
    pub user: User,
}

impl Holder {
    /// The token admits its holder at `now`.
    #[must_use]
    pub fn admits(&self, now: NaiveDateTime) -> bool {
        self.user.active && self.expires_at.is_none_or(|until| until > now)
    }
}

/// An organization with all its contracts, each with its policy's latest version id.
#[derive(Debug, Clone)]
pub struct OrganizationTerms {
    /// The organization.
    pub organization: Organization,
    /// Its contracts.
    pub contracts: Vec<(Contract, i64)>,
}

impl OrganizationTerms {
    /// The contract in force at `at` (the most recently started one, then the newest) with
    /// its policy's latest version id: the same choice as
    /// [`db::contracts::in_force_with_version`].
    #[must_use]
    pub fn in_force(&self, at: NaiveDateTime) -> Option<&(Contract, i64)> {
        self.contracts
            .iter()
            .filter(|(c, _)| c.valid_from <= at && c.valid_to.is_none_or(|to| to > at))
            .max_by_key(|(c, _)| (c.valid_from, c.id))
    }
}

#[derive(Debug, Default)]
struct Rows {
    epoch: Option<i64>,
    holders: HashMap<String, Arc<Holder>>,
    organizations: HashMap<i64, Arc<OrganizationTerms>>,
    users: HashMap<i64, Arc<User>>,
    basic_version: HashMap<String, i64>,
    webhooks: Option<Arc<Vec<Webhook>>>,
}

impl Rows {
    fn start_over(&mut self, epoch: i64) {
        *self = Rows { epoch: Some(epoch), ..Rows::default() };
    }
}

/// The cache; shared by the request handlers and the filing writers.
#[derive(Debug, Default)]
pub struct Reference {
    rows: Mutex<Rows>,
}

impl Reference {
    /// An empty cache (the epoch is read on first use).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Rows> {
        self.rows.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The epoch the cached rows belong to, read from the database the first time.
    pub fn epoch(&self, conn: &mut DbConn) -> QueryResult<i64> {
        if let Some(epoch) = self.lock().epoch {
            return Ok(epoch);
        }
        self.renew(conn)
    }

    /// Reads the epoch again (after a stale write); if it moved on, the cached rows go.
    pub fn renew(&self, conn: &mut DbConn) -> QueryResult<i64> {
        let current = db::reference::epoch(conn)?;
        let mut rows = self.lock();
        match rows.epoch {
            Some(epoch) if epoch >= current => Ok(epoch),
            _ => {
                rows.start_over(current);
                Ok(current)
            }
        }
    }

    /// A cached row, or `load`ed and kept if the cache is still at `epoch`.
    fn through<K, V>(
        &self,
        conn: &mut DbConn,
        epoch: i64,
        key: &K,
        map: fn(&mut Rows) -> &mut HashMap<K, V>,
        load: impl FnOnce(&mut DbConn) -> QueryResult<Option<V>>,
    ) -> QueryResult<Option<V>>
    where
        K: Hash + Eq + Clone,
        V: Clone,
    {
        if let Some(found) = map(&mut self.lock()).get(key) {
            return Ok(Some(found.clone()));
        }
        let loaded = load(conn)?;
        if let Some(value) = &loaded {
            let mut rows = self.lock();
            if rows.epoch == Some(epoch) {
                let entries = map(&mut rows);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
                entries.insert(key.clone(), value.clone());
            }
        }
        Ok(loaded)
    }

    /// The holder of an unrevoked token with this hash.
    pub fn holder(
        &self,
        conn: &mut DbConn,
        epoch: i64,
        token_hash: &str,
    ) -> QueryResult<Option<Arc<Holder>>> {
        self.through(
            conn,
            epoch,
            &token_hash.to_owned(),
            |r| &mut r.holders,
            |conn| {
                Ok(db::tokens::holder(conn, token_hash)?
                    .map(|(expires_at, user)| Arc::new(Holder { expires_at, user })))
            },
        )
    }

    /// The holder of a token if cached, without touching the database.
    #[must_use]
    pub fn cached_holder(&self, token_hash: &str) -> Option<Arc<Holder>> {
        self.lock().holders.get(token_hash).cloned()
    }

    /// An organization with its contracts.
    pub fn organization(
        &self,
        conn: &mut DbConn,
        epoch: i64,
        id: i64,
    ) -> QueryResult<Option<Arc<OrganizationTerms>>> {
        self.through(
            conn,
            epoch,
            &id,
            |r| &mut r.organizations,
            |conn| {
                let Some(organization) = db::organizations::find(conn, id)? else {
                    return Ok(None);
                };
                let contracts = db::contracts::of_organization_with_versions(conn, id)?;
                Ok(Some(Arc::new(OrganizationTerms { organization, contracts })))
            },
        )
    }

    /// A user by id.
    pub fn user(&self, conn: &mut DbConn, epoch: i64, id: i64) -> QueryResult<Option<Arc<User>>> {
        self.through(
            conn,
            epoch,
            &id,
            |r| &mut r.users,
            |conn| Ok(db::users::find(conn, id, None)?.map(Arc::new)),
        )
    }

    /// The latest version id of the policy called `name` (the basic policy).
    pub fn latest_version(
        &self,
        conn: &mut DbConn,
        epoch: i64,
        name: &str,
    ) -> QueryResult<Option<i64>> {
        self.through(
            conn,
            epoch,
            &name.to_owned(),
            |r| &mut r.basic_version,
            |conn| match db::policies::find_by_name(conn, name)? {
                Some(policy) => db::policies::latest_version_id(conn, policy.id),
                None => Ok(None),
            },
        )
    }

    /// The active webhook endpoints.
    pub fn webhooks(&self, conn: &mut DbConn, epoch: i64) -> QueryResult<Arc<Vec<Webhook>>> {
        if let Some(hooks) = &self.lock().webhooks {
            return Ok(Arc::clone(hooks));
        }
        let hooks = Arc::new(db::webhooks::active(conn)?);
        let mut rows = self.lock();
        if rows.epoch == Some(epoch) {
            rows.webhooks = Some(Arc::clone(&hooks));
        }
        Ok(hooks)
    }
}
