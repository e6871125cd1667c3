//! Why an operation on a hosted connector failed.

use std::time::Duration;

use crate::bindings::types::ConnectorError;

/// A failed operation: the connector's own error, or something the host saw.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The connector returned an error.
    #[error("{}", describe_connector_error(.0))]
    Connector(ConnectorError),
    /// The guest tried to reach an origin that is not granted.
    #[error("egress denied: {0}")]
    EgressDenied(String),
    /// The operation ran past its deadline.
    #[error("the operation exceeded its deadline of {0:?}")]
    DeadlineExceeded(Duration),
    /// The guest trapped, for example by running out of memory.
    #[error("the connector trapped: {0}")]
    Trap(String),
    /// The host settings are unusable: a base URL or limits out of shape.
    #[error("{0}")]
    Settings(#[from] SettingsError),
    /// Text meant for the guest (a document, the import state, a request)
    /// holds the API secret; it is never handed over.
    #[error(
        "{0} holds the API secret; it is never handed to the connector. Check that no \
         credentials file was given in its place"
    )]
    SecretInInput(String),
    /// The import state could not be read or written.
    #[error("the import state: {0}")]
    State(std::io::Error),
    /// The connector broke the contract, such as an import that ended
    /// without finishing.
    #[error("the connector misbehaved: {0}")]
    Misbehaved(String),
    /// The host could not set up or run the operation.
    #[error(transparent)]
    Host(WasmtimeError),
}

/// An error wasmtime reported, with its causes: the library's errors carry
/// it boxed, as a standard error.
pub type WasmtimeError = Box<dyn std::error::Error + Send + Sync>;

/// Why [`crate::HostSettings`] were refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The base URL is not scheme, host, port and a plain path.
    #[error(transparent)]
    BaseUrl(#[from] crate::grants::GrantError),
    /// A limit is out of range.
    #[error(transparent)]
    Limits(#[from] crate::limits::LimitsError),
}

/// Renders a WIT connector error as a one-line message.
pub fn describe_connector_error(error: &ConnectorError) -> String {
    match error {
        ConnectorError::Config(m) => format!("config error: {m}"),
        ConnectorError::AuthFailed(m) => format!("authentication failed: {m}"),
        ConnectorError::Forbidden(m) => format!("forbidden: {m}"),
        ConnectorError::NotFound(m) => format!("not found: {m}"),
        ConnectorError::Conflict(m) => format!("conflict: {m}"),
        ConnectorError::RateLimited(r) => match r.retry_after_seconds {
            Some(s) => format!("rate limited (retry after {s} s): {}", r.detail),
            None => format!("rate limited: {}", r.detail),
        },
        ConnectorError::Transient(m) => format!("transient failure: {m}"),
        ConnectorError::EgressDenied(m) => format!("egress denied: {m}"),
        ConnectorError::InvalidResponse(m) => format!("invalid response: {m}"),
        ConnectorError::Unsupported(m) => format!("unsupported: {m}"),
        ConnectorError::InvalidState(m) => format!("invalid state: {m}"),
        ConnectorError::ThresholdExceeded(m) => format!("threshold exceeded: {m}"),
    }
}
