//! The wasmtime side: one [`Engine`] configured for async, epoch
//! interruption and the component model, the component compiled once (or
//! loaded precompiled), and a linker pre-instantiated into an `InstancePre`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmtime::component::Linker;
use wasmtime::{Config, Engine};
use wasmtime_wasi_config::WasiConfig;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::bindings::IdentityConnectorPre;
use crate::cache::CompileError;
use crate::error::WasmtimeError;
use crate::files::{HostFileError, MAX_COMPONENT_BYTES, read_trusted_capped};
use crate::host::HostState;
use crate::limits::EPOCH_TICK;

/// Why a component could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read, or is not one the host trusts.
    #[error("while reading the component '{}'", .path.display())]
    Read {
        /// The component's path.
        path: PathBuf,
        /// Why it could not be read.
        source: HostFileError,
    },
    /// The file is not a component that compiles: not WebAssembly, cut
    /// short, or a core module.
    #[error("the component{} does not compile", at(.path))]
    Compile {
        /// The component's path, when it was loaded from a file.
        path: Option<PathBuf>,
        /// Why it does not compile.
        source: CompileError,
    },
    /// The component does not implement the `identity-connector` world: it
    /// lacks its exports, or imports what the host does not provide.
    #[error("the component{} does not implement the identity-connector world", at(.path))]
    World {
        /// The component's path, when it was loaded from a file.
        path: Option<PathBuf>,
        /// What wasmtime found missing.
        source: WasmtimeError,
    },
    /// The engine or the linker could not be set up.
    #[error(transparent)]
    Engine(WasmtimeError),
}

impl LoadError {
    /// Whether the component, rather than the host, is at fault: a file
    /// that cannot be read or trusted, that does not compile, or that is of
    /// another world.
    pub fn blames_the_component(&self) -> bool {
        !matches!(self, Self::Engine(_))
    }

    /// This error, naming the component's file `path`.
    fn at(self, path: &Path) -> Self {
        let path = Some(path.to_path_buf());
        match self {
            Self::Compile { source, .. } => Self::Compile { path, source },
            Self::World { source, .. } => Self::World { path, source },
            other => other,
        }
    }
}

/// ` 'PATH'` when there is a path.
fn at(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|path| format!(" '{}'", path.display()))
        .unwrap_or_default()
}

impl From<CompileError> for LoadError {
    fn from(source: CompileError) -> Self {
        Self::Compile { path: None, source }
    }
}

impl From<wasmtime::Error> for LoadError {
    fn from(error: wasmtime::Error) -> Self {
        Self::Engine(error.into())
    }
}

/// A compiled connector component, ready to instantiate many times.
pub struct ConnectorRuntime {
    engine: Engine,
    pre: IdentityConnectorPre<HostState>,
    /// The component's `wasi:http/incoming-handler`, when it exports one.
    proxy: Option<ProxyPre<HostState>>,
    ticker_stop: Arc<AtomicBool>,
    /// Whether the component came from the precompiled cache.
    pub cache_hit: bool,
}

impl ConnectorRuntime {
    /// Loads the component at `path`, through the cache in `cache_dir`
    /// (`None` compiles every time). The file must be one no other user
    /// could have changed: it runs with the host's credentials.
    pub fn load(path: &Path, cache_dir: Option<&Path>) -> Result<Self, LoadError> {
        let bytes =
            read_trusted_capped(path, "component", MAX_COMPONENT_BYTES).map_err(|source| {
                LoadError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        Self::from_bytes(&bytes, cache_dir).map_err(|error| error.at(path))
    }

    /// Loads a component from its bytes.
    pub fn from_bytes(bytes: &[u8], cache_dir: Option<&Path>) -> Result<Self, LoadError> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        let engine = Engine::new(&config)?;
        let (component, cache_hit) = match cache_dir {
            Some(dir) => crate::cache::load(&engine, bytes, dir)?,
            None => (crate::cache::compile(&engine, bytes)?, false),
        };
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        wasmtime_wasi_config::add_to_linker(&mut linker, |state: &mut HostState| {
            WasiConfig::from(state.config())
        })?;
        let world = |error: wasmtime::Error| LoadError::World {
            path: None,
            source: error.into(),
        };
        // A component that imports more than WASI (and wasi:config) is of
        // another world.
        let instance = linker.instantiate_pre(&component).map_err(world)?;
        let proxy = ProxyPre::new(instance.clone()).ok();
        let pre = IdentityConnectorPre::new(instance).map_err(world)?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), ticker_stop.clone());
        Ok(Self {
            engine,
            pre,
            proxy,
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

    /// The pre-instantiated HTTP entry point, when the component has one.
    pub(crate) fn proxy(&self) -> Option<&ProxyPre<HostState>> {
        self.proxy.as_ref()
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
