//! The wasmtime side: one [`Engine`] configured for async, epoch
//! interruption and the component model, the component compiled once (or
//! loaded precompiled), and a linker pre-instantiated into an `InstancePre`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine};

use crate::bindings::{IdentityConnector, IdentityConnectorPre};
use crate::files::{MAX_COMPONENT_BYTES, read_trusted_capped};
use crate::host::HostState;
use crate::limits::EPOCH_TICK;

/// A compiled connector component, ready to instantiate many times.
pub struct ConnectorRuntime {
    engine: Engine,
    pre: IdentityConnectorPre<HostState>,
    ticker_stop: Arc<AtomicBool>,
    /// Whether the component came from the precompiled cache.
    pub cache_hit: bool,
}

impl ConnectorRuntime {
    /// Loads the component at `path`, through the cache in `cache_dir`
    /// (`None` compiles every time). The file must be one no other user
    /// could have changed: it runs with the host's credentials.
    pub fn load(path: &Path, cache_dir: Option<&Path>) -> anyhow::Result<Self> {
        let bytes = read_trusted_capped(path, "component", MAX_COMPONENT_BYTES)
            .with_context(|| format!("while reading the component '{}'", path.display()))?;
        Self::from_bytes(&bytes, cache_dir)
    }

    /// Loads a component from its bytes.
    pub fn from_bytes(bytes: &[u8], cache_dir: Option<&Path>) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        let engine = Engine::new(&config)?;
        let (component, cache_hit) = match cache_dir {
            Some(dir) => crate::cache::load(&engine, bytes, dir)?,
            None => (wasmtime::component::Component::new(&engine, bytes)?, false),
        };
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        IdentityConnector::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        let pre = IdentityConnectorPre::new(linker.instantiate_pre(&component)?)
            .map_err(anyhow::Error::from)
            .context("the component does not implement the identity-connector world")?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), ticker_stop.clone());
        Ok(Self {
            engine,
            pre,
            ticker_stop,
            cache_hit,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The pre-instantiated component.
    pub(crate) fn pre(&self) -> &IdentityConnectorPre<HostState> {
        &self.pre
    }
}

impl std::fmt::Debug for ConnectorRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorRuntime")
            .field("cache_hit", &self.cache_hit)
            .finish_non_exhaustive()
    }
}

impl Drop for ConnectorRuntime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

fn spawn_epoch_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawning the epoch ticker");
}
