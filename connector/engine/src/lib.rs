//! The identity connector's logic, free of any WebAssembly or HTTP runtime.
//!
//! | folder | what it holds |
//! |---|---|
//! | [`dialect`] | the Saviynt-style documents and their language: import and provisioning documents, status rules, templates, expressions, mapping, dates |
//! | [`import`] | the import run, change tracking against the state, and the state |
//! | [`provision`] | the operation dispatcher, the plan runner, rendering and dry runs, response judging, the audit list |
//! | [`client`] | the one HTTP client: transport, retries, status mapping, paging, JSON, lost-create recovery |
//! | [`confluent`] | every fact about Confluent Cloud, as the [`target::Target`] the engine serves |
//!
//! The engine reaches the network only through the [`client::Transport`]
//! its caller provides.
#![deny(missing_docs)]

pub mod client;
pub mod confluent;
pub mod describe;
pub mod dialect;
pub mod error;
#[cfg(test)]
mod fake_target;
pub mod import;
pub mod model;
pub mod printable;
pub mod provided;
pub mod provision;
pub mod service;
pub mod target;

pub use client::{HttpRequest, HttpResponse, Transport, TransportError};
pub use dialect::documents::Config;
pub use error::{ConfigError, ConnectorError};
pub use model::{
    Access, Account, AttributeValue, Entitlement, ImportRequest, ImportSummary, KindCounts,
    ObjectKind, Record, RecordSink, Status,
};
