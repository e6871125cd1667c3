//! Hosts identity-connector components under wasmtime.
//!
//! The guest gets no filesystem, environment, sockets, stdin or stdout; its
//! only way out is `wasi:http`, through [`egress::EgressHooks`], which allows
//! granted origins only and injects the credentials that the guest never
//! holds. Each operation runs in a fresh instance under a memory cap, an
//! epoch deadline and a wall-clock timeout. [`ConnectorHost`] is the
//! embedding API; the `confluent-connector` CLI is a thin layer over it.
#![deny(missing_docs)]

#[expect(
    missing_docs,
    reason = "generated from the WIT, whose comments document it"
)]
pub mod bindings;
pub mod cache;
pub mod connector;
pub mod credentials;
pub mod documents;
pub mod egress;
pub mod error;
pub mod files;
pub mod grants;
pub mod host;
pub mod limits;
pub mod output;
pub mod provision_json;
pub mod runtime;
mod screen;
mod sink_impl;
pub mod state;
pub mod text;

pub use bindings::types;
pub use connector::{ConnectorHost, HostSettings, ProvisionOp};
pub use credentials::Credentials;
pub use error::RunError;
pub use grants::{BaseUrl, Origin, PathPrefix};
pub use host::{ImportSink, ProgressFn};
pub use limits::Limits;
pub use runtime::ConnectorRuntime;
