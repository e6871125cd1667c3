//! The connector's errors. [`ConnectorError`] mirrors the WIT
//! `connector-error` variant case for case.

use std::fmt;

use crate::printable::printable;

/// Why a connector operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorError {
    /// A configuration document is malformed or inconsistent.
    #[error("config error: {0}")]
    Config(String),
    /// The target rejected the credentials (HTTP 401).
    #[error("authentication failed: {0}")]
    AuthFailed(String),
    /// The credentials lack a permission (HTTP 403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The target has no such object (HTTP 404).
    #[error("not found: {0}")]
    NotFound(String),
    /// The object clashes with an existing one (HTTP 409).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The target asked the connector to slow down (HTTP 429).
    #[error("rate limited: {detail}")]
    RateLimited {
        /// Seconds the target asked to wait, when it said.
        retry_after_seconds: Option<u32>,
        /// What was rate limited.
        detail: String,
    },
    /// A failure that may pass: a 5xx, a timeout, a reset connection.
    #[error("transient failure: {0}")]
    Transient(String),
    /// The host refused a request to an origin it has not granted.
    #[error("egress denied: {0}")]
    EgressDenied(String),
    /// The target answered with something the connector cannot read.
    #[error("invalid response: {0}")]
    InvalidResponse(String),
    /// The connector does not support this operation.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The import state handed in is not one this connector wrote for this
    /// target.
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// An import would mark more objects gone than the configured threshold
    /// allows; it emitted no suspension, inactivation or removal.
    #[error("threshold exceeded: {0}")]
    ThresholdExceeded(String),
}

impl ConnectorError {
    /// Whether retrying the same request may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient(_) | Self::RateLimited { .. })
    }

    /// The same error, its message followed by `note`.
    pub fn with_note(mut self, note: &str) -> Self {
        let message = match &mut self {
            Self::Config(m)
            | Self::AuthFailed(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Transient(m)
            | Self::EgressDenied(m)
            | Self::InvalidResponse(m)
            | Self::Unsupported(m)
            | Self::InvalidState(m)
            | Self::ThresholdExceeded(m)
            | Self::RateLimited { detail: m, .. } => m,
        };
        message.push_str("; ");
        message.push_str(note);
        self
    }
}

/// A problem in one configuration document, located by its JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The document's parameter name, such as `ImportAccountEntJSON`.
    pub document: String,
    /// Where in the document, such as `accountParams.call.call1.listField`.
    pub path: String,
    /// What was wrong and what was expected.
    pub message: String,
}

impl ConfigError {
    /// A problem at `path` in `document`.
    pub fn new(document: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            document: document.to_string(),
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    /// The path is a document's keys, written as they are but for control
    /// characters, which are escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}: {}", self.document, self.message)
        } else {
            let path = printable(&self.path);
            write!(f, "{}: at {path}: {}", self.document, self.message)
        }
    }
}

impl From<ConfigError> for ConnectorError {
    fn from(error: ConfigError) -> Self {
        Self::Config(error.to_string())
    }
}
