//! The store state of one guest instance (an empty WASI context with its
//! [`GuestLog`], the `wasi:http` context with its [`EgressHooks`], memory
//! limits), and where an import's results go.

use std::sync::Arc;

use tokio::sync::mpsc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_config::WasiConfigVariables;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::types::{Access, Progress, Record};
use crate::egress::EgressHooks;
use crate::guest_log::GuestLog;
use crate::limits::GuestLimiter;

/// Hears an import's progress after each page.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Hears access links whose account or entitlement is unknown, in batches
/// after the last records.
pub type OrphansFn = Arc<dyn Fn(&[Access]) + Send + Sync>;

/// Where an import's records, progress and orphans go.
#[derive(Clone)]
pub struct ImportSink {
    /// Batches of records, in a bounded channel: a slow reader pauses the
    /// import.
    pub batches: mpsc::Sender<Vec<Record>>,
    /// Progress reports, if anyone listens.
    pub progress: Option<ProgressFn>,
    /// Orphaned access links, if anyone listens.
    pub orphans: Option<OrphansFn>,
}

impl ImportSink {
    /// Records to `batches`, no progress, no orphans.
    pub fn new(batches: mpsc::Sender<Vec<Record>>) -> Self {
        Self {
            batches,
            progress: None,
            orphans: None,
        }
    }
}

impl std::fmt::Debug for ImportSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSink")
            .field("progress", &self.progress.is_some())
            .field("orphans", &self.orphans.is_some())
            .finish_non_exhaustive()
    }
}

/// Per-instance host state.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    pub(crate) hooks: EgressHooks,
    pub(crate) limits: GuestLimiter,
    pub(crate) log: GuestLog,
    /// What the guest's `wasi:config/store` holds.
    pub(crate) config: WasiConfigVariables,
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState").finish_non_exhaustive()
    }
}

impl HostState {
    /// State with no filesystem, environment, sockets or stdin, and an
    /// empty configuration store; the guest's stdout and stderr go to a
    /// [`GuestLog`] for the host's log.
    pub fn new(hooks: EgressHooks, limits: GuestLimiter) -> Self {
        Self::with_config(hooks, limits, WasiConfigVariables::new())
    }

    /// The same, with `config` in the guest's `wasi:config/store`.
    pub fn with_config(
        hooks: EgressHooks,
        limits: GuestLimiter,
        config: WasiConfigVariables,
    ) -> Self {
        let log = GuestLog::new();
        let wasi = WasiCtx::builder()
            .stdout(log.clone())
            .stderr(log.clone())
            .build();
        Self {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks,
            limits,
            log,
            config,
        }
    }

    /// What the guest's `wasi:config/store` holds, for a host's linker
    /// (`wasmtime_wasi_config::add_to_linker`).
    pub fn config(&self) -> &WasiConfigVariables {
        &self.config
    }

    /// Sends what the guest wrote to stdout and stderr into the host's log
    /// ([`GuestLog::log`]).
    pub fn log_guest_output(&self) {
        self.log.log();
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
