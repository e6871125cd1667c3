//! The store state of one guest instance: an empty WASI context, the
//! `wasi:http` context with its [`EgressHooks`], memory limits, and where
//! imported batches go.

use tokio::sync::mpsc;
use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::types::Record;
use crate::egress::EgressHooks;

/// The most the guest may write to stderr per operation; it is a log, not a
/// data channel.
pub const STDERR_CAPACITY: usize = 1 << 20;

/// Per-instance host state.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    pub(crate) hooks: EgressHooks,
    pub(crate) limits: StoreLimits,
    pub(crate) batches: Option<mpsc::Sender<Vec<Record>>>,
    pub(crate) stderr: MemoryOutputPipe,
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState").finish_non_exhaustive()
    }
}

impl HostState {
    /// State with no filesystem, environment, sockets, stdin or stdout; the
    /// guest's stderr is captured for the log.
    pub fn new(
        hooks: EgressHooks,
        limits: StoreLimits,
        batches: Option<mpsc::Sender<Vec<Record>>>,
    ) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let wasi = WasiCtx::builder().stderr(stderr.clone()).build();
        Self {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks,
            limits,
            batches,
            stderr,
        }
    }

    /// Sends what the guest wrote to stderr into the log, a line at a time.
    pub fn log_guest_stderr(&self) {
        let text = self.stderr.contents();
        for line in String::from_utf8_lossy(&text)
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            tracing::info!(target: "guest", "{line}");
        }
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
