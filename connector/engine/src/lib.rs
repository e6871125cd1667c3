//! The Confluent Cloud identity connector's logic, free of any WebAssembly or
//! HTTP runtime: the Saviynt-style config dialect, binding templates,
//! attribute mapping, pagination, import and connection checks. It reaches
//! the network only through the [`http::Transport`] its caller provides.
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
pub mod provision;
pub mod target;

pub use client::{HttpRequest, HttpResponse, Transport, TransportError};
pub use dialect::documents::Config;
pub use error::{ConfigError, ConnectorError};
pub use model::{
    Access, Account, AttributeValue, Entitlement, ImportRequest, ImportSummary, KindCounts,
    ObjectKind, Record, RecordSink, Status,
};
