//! Booting the service: what `frist serve` runs and what the tests boot, the same way.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, DbTarget, PoolOptions};
use crate::notify::render::Renderer;
use crate::tickets::Engine;
use crate::tickets::filing::Reference;
use crate::tickets::filing::queue::FilingQueue;
use crate::web::{self, AppState, Settings};

/// Opens the database (creating and migrating it) and loads the configuration.
pub fn state(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let sla = config.load_sla()?;
    let target = DbTarget::parse(config.database_url.as_deref())?;
    let size = config.pool_size.unwrap_or(match target {
        DbTarget::Sqlite(_) => 8,
        DbTarget::Postgres(_) => 16,
    });
    let pool = db::pool(
        &target,
        PoolOptions { size, acquire_timeout: Duration::from_secs(config.db_timeout_secs) },
    );
    let mut conn = db::connect(&target)?;
    db::migrate(&mut conn)?;
    crate::accounts::bootstrap(&mut conn, &sla, clock.now())?;
    let engine = Arc::new(Engine::new(sla, Renderer::new(config.email_templates.as_deref())?));
    let reference = Arc::new(Reference::new());
    let filings = FilingQueue::start(pool.clone(), &target, engine.clone(), reference.clone())?;
    let pages = web::pages::Pages::new().map_err(|e| anyhow::anyhow!("page templates: {e}"))?;
    let changes = web::pages::live::Changes::start(pool.clone());
    Ok(AppState {
        pool,
        engine,
        clock,
        reference,
        filings: Arc::new(filings),
        pages: Arc::new(pages),
        changes: Arc::new(changes),
        login_throttle: Arc::default(),
        csp_reports: Arc::default(),
        settings: Settings {
            session_hours: config.session_hours,
            secure_cookies: config.secure_cookies,
        },
    })
}

/// A running server.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// To stop it.
    pub handle: ServerHandle,
    /// The server future; await it (or spawn it) to run.
    server: Option<Server>,
}

impl Running {
    /// The server future, to run on the current actix system.
    pub fn take_server(&mut self) -> Option<Server> {
        self.server.take()
    }
}

/// Binds `bind` (port 0 for any free port) and prepares the server.
pub fn bind(bind: &str, state: AppState, workers: usize) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(bind)
        .map_err(|e| anyhow::anyhow!("FRIST_BIND: cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr()?;
    let server = web::serve(listener, state, workers)?;
    Ok(Running { addr, handle: server.handle(), server: Some(server) })
}
