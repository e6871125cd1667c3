//! The mapping from HTTP outcomes to [`ConnectorError`].

use serde_json::Value;

use crate::client::{Client, HttpResponse, TransportError};
use crate::error::ConnectorError;
use crate::printable::printable;

/// Turns a transport failure into a connector error, naming the request.
pub fn transport_failure(method: &str, url: &str, error: TransportError) -> ConnectorError {
    let detail = format!("{method} {url}: {error}");
    match error {
        TransportError::Denied(origin) => ConnectorError::EgressDenied(origin),
        TransportError::Timeout(_) | TransportError::Connection(_) => {
            ConnectorError::Transient(detail)
        }
        TransportError::Refused(_) => ConnectorError::Config(detail),
        TransportError::Protocol(_) => ConnectorError::InvalidResponse(detail),
    }
}

impl Client<'_> {
    /// Checks a response's status, turning failures into the matching error
    /// with the detail the target reads from the error body.
    pub fn check_status(
        &self,
        method: &str,
        url: &str,
        response: &HttpResponse,
    ) -> Result<(), ConnectorError> {
        let status = response.status;
        if (200..300).contains(&status) {
            return Ok(());
        }
        let said = serde_json::from_slice::<Value>(&response.body)
            .ok()
            .and_then(|json| Some(format!(": {}", printable(self.target.error_detail(&json)?))))
            .unwrap_or_default();
        let detail = format!("{method} {url} returned {status}{said}");
        Err(match status {
            401 => ConnectorError::AuthFailed(detail),
            403 => ConnectorError::Forbidden(detail),
            404 => ConnectorError::NotFound(detail),
            409 => ConnectorError::Conflict(detail),
            429 => ConnectorError::RateLimited {
                retry_after_seconds: response
                    .header("retry-after")
                    .and_then(|v| v.trim().parse().ok()),
                detail,
            },
            408 | 500..=599 => ConnectorError::Transient(detail),
            400 | 422 => {
                ConnectorError::Config(format!("the target rejected the request: {detail}"))
            }
            _ => ConnectorError::InvalidResponse(detail),
        })
    }
}
