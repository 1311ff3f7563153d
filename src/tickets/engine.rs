//! The SLA configuration as the lifecycle needs it: the provider profile from the config
//! file, and compiled policy versions from the database, cached (versions never change).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::db::{self, DbConn};
use crate::notify::render::Renderer;
use crate::sla::{Policy, PolicySpec, Provider, Sla};

use super::TicketError;

/// Compiled policies by version id, the provider, and the e-mail templates.
#[derive(Debug)]
pub struct Engine {
    sla: Sla,
    versions: RwLock<HashMap<i64, Arc<Policy>>>,
    renderer: Renderer,
}

/// Most compiled versions kept; versions are few, this only bounds a pathological case.
const MAX_CACHED: usize = 4096;

impl Engine {
    /// An engine over the loaded configuration and e-mail templates.
    #[must_use]
    pub fn new(sla: Sla, renderer: Renderer) -> Self {
        Self { sla, versions: RwLock::new(HashMap::new()), renderer }
    }

    /// The e-mail templates.
    #[must_use]
    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    /// The configuration (provider, shipped policies).
    #[must_use]
    pub fn sla(&self) -> &Sla {
        &self.sla
    }

    /// The provider profile.
    #[must_use]
    pub fn provider(&self) -> &Provider {
        &self.sla.provider
    }

    /// The compiled policy of a stored version.
    pub fn policy_version(&self, conn: &mut DbConn, id: i64) -> Result<Arc<Policy>, TicketError> {
        if let Some(policy) = self.read_cache().get(&id) {
            return Ok(Arc::clone(policy));
        }
        let version =
            db::policies::find_version(conn, id)?.ok_or(TicketError::NotFound("policy version"))?;
        let policy_name =
            db::policies::find(conn, version.policy_id)?.map(|p| p.name).unwrap_or_default();
        let spec: PolicySpec = serde_json::from_str(&version.spec)
            .map_err(|e| TicketError::invalid("policy.spec", e.to_string()))?;
        let policy = Arc::new(Policy::new(policy_name, spec)?);
        let mut cache = self.versions.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(id, Arc::clone(&policy));
        Ok(policy)
    }

    fn read_cache(&self) -> std::sync::RwLockReadGuard<'_, HashMap<i64, Arc<Policy>>> {
        self.versions.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
