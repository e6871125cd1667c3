//! The Confluent Cloud identity connector's logic, free of any WebAssembly or
//! HTTP runtime: the Saviynt-style config dialect, binding templates,
//! attribute mapping, pagination, import and connection checks. It reaches
//! the network only through the [`http::Transport`] its caller provides.
#![deny(missing_docs)]

pub mod access;
pub mod access_provision;
pub mod changes;
pub mod check;
pub mod crn;
pub mod dates;
pub mod describe;
pub mod documents;
pub mod error;
pub mod expr;
#[cfg(test)]
mod fake_target;
pub mod http;
pub mod idempotency;
pub mod import;
pub mod import_doc;
pub mod mapping;
pub mod model;
pub mod operations;
pub mod pagination;
pub mod printable;
pub mod provision;
pub mod provision_doc;
pub mod request_headers;
pub mod state;
pub mod status_rules;
pub mod template;
pub mod urls;

pub use documents::Config;
pub use error::{ConfigError, ConnectorError};
pub use http::{HttpRequest, HttpResponse, Transport, TransportError};
pub use model::{
    Access, Account, AttributeValue, Entitlement, ImportRequest, ImportSummary, KindCounts,
    ObjectKind, Record, RecordSink, Status,
};
