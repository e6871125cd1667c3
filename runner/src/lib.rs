//! Hosts identity-connector components under wasmtime.
//!
//! The guest gets no filesystem, sockets or stdin, and no environment but
//! the base URL when it serves HTTP ([`serve`]); its stdout and stderr go to
//! a capped log ([`guest_log`]). Its only way out is `wasi:http`, through
//! [`egress::EgressHooks`], which allows granted origins only, caps the
//! requests open at once and injects the credentials that the guest never
//! holds. Each operation runs in a fresh instance under a memory cap, an
//! epoch deadline and a wall-clock timeout, and what it hands the host is
//! capped too ([`handover`]). [`ConnectorHost`] is the
//! embedding API; the `confluent-connector` CLI is a layer over it, with
//! its output formats, its provisioning request document and its progress
//! line.
#![deny(missing_docs)]

#[expect(
    missing_docs,
    reason = "generated from the WIT, whose comments document it"
)]
pub mod bindings;
pub mod cache;
mod connections;
pub mod connector;
pub mod credentials;
pub mod documents;
pub mod egress;
pub mod error;
pub mod files;
pub mod grants;
pub mod guest_log;
pub mod handover;
pub mod host;
mod import;
pub mod json;
pub mod limits;
pub mod runtime;
mod screen;
pub mod serve;
pub mod state;
pub mod text;

pub use bindings::types;
pub use bindings::types::ProvisionOperation;
pub use connector::{ConnectorHost, HostSettings};
pub use credentials::Credentials;
pub use error::RunError;
pub use grants::{BaseUrl, Origin, PathPrefix};
pub use host::{ImportSink, OrphansFn, ProgressFn};
pub use import::ImportState;
pub use limits::Limits;
pub use runtime::ConnectorRuntime;
