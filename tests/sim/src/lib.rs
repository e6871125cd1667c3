//! A local Confluent Cloud management-API simulator.
//!
//! It serves the users, service accounts, invitations, organizations,
//! environments and role bindings of one organization, with the request and
//! response shapes, status codes and pagination of the published OpenAPI
//! specs, plus fault injection and inspection under `/_sim/`. Start it
//! in-process with [`Simulator::start`], or run the `confluent-sim` binary.
#![deny(missing_docs)]

pub mod api;
pub mod body;
pub mod crn;
pub mod errors;
pub mod faults;
pub mod model;
pub mod pagination;
pub mod scope_index;
pub mod scopes;
pub mod seed;
pub mod store;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::Context as _;
use axum::serve::ListenerExt as _;
use serde_json::Value;

pub use api::LoggedRequest;
pub use crn::CrnMatching;
pub use faults::Faults;
pub use scopes::{EveryScope, Scope};
pub use seed::SeedSpec;
pub use store::Store;

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The one accepted API key.
    pub api_key: String,
    /// Its secret.
    pub api_secret: String,
    /// What to seed.
    pub seed: SeedSpec,
    /// Faults from the start.
    pub faults: Faults,
    /// How `crn_pattern` selects role bindings; changeable while running.
    pub crn_matching: CrnMatching,
    /// Also seed the every-scope organization: an environment, a service
    /// account and one role binding at each scope (see [`EveryScope`]).
    pub every_scope: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: "SIMKEY".to_string(),
            api_secret: "sim-secret".to_string(),
            seed: SeedSpec::default(),
            faults: Faults::default(),
            crn_matching: CrnMatching::default(),
            every_scope: false,
        }
    }
}

/// A running simulator on its own thread and runtime. Dropping it stops it.
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<api::Shared>,
    url: String,
    every_scope: Option<EveryScope>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Seeds the data, binds the address and starts serving.
    pub fn start(config: SimConfig) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind(config.listen)
            .with_context(|| format!("while binding {}", config.listen))?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let mut store = Store::new(config.seed.seed);
        seed::seed(&mut store, &config.seed);
        let every_scope = config
            .every_scope
            .then(|| scopes::seed_every_scope(&mut store));
        let shared = Arc::new(api::Shared {
            store: Mutex::new(store),
            faults: Mutex::new(config.faults),
            crn_matching: Mutex::new(config.crn_matching),
            page_tokens: pagination::PageTokens::default(),
            limiter: Mutex::default(),
            log: Mutex::default(),
            connections: Default::default(),
            api_key: config.api_key,
            api_secret: config.api_secret,
            origin: url.clone(),
        });
        let (shutdown, thread) = serve(listener, shared.clone())?;
        Ok(Self {
            shared,
            url,
            every_scope,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// Kills the server as a crashed process dies, every open connection
    /// dropped mid-response, stays down for `down` (connections are
    /// refused), then serves again on the same address with the same data,
    /// as a restarted service would.
    pub fn restart(&mut self, down: std::time::Duration) -> anyhow::Result<()> {
        self.shutdown_now();
        std::thread::sleep(down);
        let address = self.url.trim_start_matches("http://");
        let listener = std::net::TcpListener::bind(address)
            .with_context(|| format!("while binding {address} again"))?;
        listener.set_nonblocking(true)?;
        let (shutdown, thread) = serve(listener, self.shared.clone())?;
        self.shutdown = Some(shutdown);
        self.thread = Some(thread);
        Ok(())
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The accepted API key.
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// The accepted API secret.
    pub fn api_secret(&self) -> &str {
        &self.shared.api_secret
    }

    /// Everything the simulator holds, as `/_sim/state` serves it.
    pub fn state(&self) -> Value {
        api::state_json(&self.shared)
    }

    /// The API requests served so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        api::lock(&self.shared.log).clone()
    }

    /// How many connections the simulator has accepted, across restarts.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Replaces the fault knobs.
    pub fn set_faults(&self, faults: Faults) {
        *api::lock(&self.shared.faults) = faults;
    }

    /// How `crn_pattern` selects role bindings now.
    pub fn crn_matching(&self) -> CrnMatching {
        *api::lock(&self.shared.crn_matching)
    }

    /// Changes how `crn_pattern` selects role bindings.
    pub fn set_crn_matching(&self, matching: CrnMatching) {
        *api::lock(&self.shared.crn_matching) = matching;
    }

    /// The every-scope organization's records, when
    /// [`SimConfig::every_scope`] seeded them.
    pub fn every_scope(&self) -> Option<&EveryScope> {
        self.every_scope.as_ref()
    }

    /// Runs `change` on the data, for tests that add, alter or delete records.
    pub fn with_store<R>(&self, change: impl FnOnce(&mut Store) -> R) -> R {
        self.shared.with_store(change)
    }

    /// Stops serving and waits for the server thread.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `shared` on `listener` from a thread and runtime of its own until
/// told to stop, when every connection is dropped at once.
fn serve(
    listener: std::net::TcpListener,
    shared: Arc<api::Shared>,
) -> anyhow::Result<(tokio::sync::oneshot::Sender<()>, JoinHandle<()>)> {
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = api::router(shared.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("confluent-sim")
        .enable_all()
        .build()
        .context("while starting the simulator's runtime")?;
    let thread = std::thread::Builder::new()
        .name("confluent-sim".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .expect("listener")
                    .tap_io(move |_| {
                        shared.connections.fetch_add(1, Ordering::Relaxed);
                    });
                tokio::select! {
                    _ = axum::serve(listener, router) => {}
                    _ = stopped => {}
                }
            });
            // Drops the connections' tasks mid-response.
            runtime.shutdown_background();
        })?;
    Ok((shutdown, thread))
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}
