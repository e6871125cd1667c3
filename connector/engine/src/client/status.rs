//! The mapping from HTTP outcomes to [`ConnectorError`].

use serde_json::Value;

use crate::client::{HttpResponse, TransportError};
use crate::error::ConnectorError;
use crate::printable::printable;
use crate::target::Target;

/// Turns a transport failure into a connector error, naming the request.
pub fn transport_failure(method: &str, url: &str, error: TransportError) -> ConnectorError {
    match error {
        TransportError::Denied(origin) => ConnectorError::EgressDenied(origin),
        TransportError::Timeout(_) | TransportError::Connection(_) => {
            ConnectorError::Transient(format!("{method} {url}: {error}"))
        }
        TransportError::Refused(_) => ConnectorError::Config(format!("{method} {url}: {error}")),
        TransportError::Protocol(_) => {
            ConnectorError::InvalidResponse(format!("{method} {url}: {error}"))
        }
    }
}

/// Checks a response's status, turning failures into the matching error
/// with the detail `target` reads from the error body.
pub fn check_status(
    target: &dyn Target,
    method: &str,
    url: &str,
    response: &HttpResponse,
) -> Result<(), ConnectorError> {
    let status = response.status;
    if (200..300).contains(&status) {
        return Ok(());
    }
    let detail = format!(
        "{method} {url} returned {status}{}",
        error_detail(target, &response.body)
    );
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
        400 | 422 => ConnectorError::Config(format!("the target rejected the request: {detail}")),
        _ => ConnectorError::InvalidResponse(detail),
    })
}

/// The error text the target's error body carries, if any.
fn error_detail(target: &dyn Target, body: &[u8]) -> String {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    target
        .error_detail(&json)
        .map(|t| format!(": {}", printable(t)))
        .unwrap_or_default()
}
