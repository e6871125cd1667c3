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
        TransportError::Timeout(_)
        | TransportError::Unreached(_)
        | TransportError::Connection(_) => ConnectorError::Transient(detail),
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
        let json = serde_json::from_slice::<Value>(&response.body).ok();
        let said = json
            .as_ref()
            .and_then(|json| Some(format!(": {}", printable(self.target.error_detail(json)?))))
            .unwrap_or_default();
        let detail = format!("{method} {url} returned {status}{said}");
        let names_auth_error = json.is_some_and(|json| self.names_auth_error(&json));
        Err(match status {
            401 => ConnectorError::AuthFailed(detail),
            _ if names_auth_error => ConnectorError::AuthFailed(detail),
            403 => ConnectorError::Forbidden(detail),
            404 => ConnectorError::NotFound(detail),
            409 => ConnectorError::Conflict(detail),
            // Confluent sends `X-RateLimit-Reset` in seconds from now, as
            // `Retry-After` counts them.
            429 => ConnectorError::RateLimited {
                retry_after_seconds: ["retry-after", "x-ratelimit-reset"]
                    .iter()
                    .find_map(|name| response.header(name)?.trim().parse().ok()),
                detail,
            },
            408 | 500..=599 => ConnectorError::Transient(detail),
            400 | 422 => {
                ConnectorError::Config(format!("the target rejected the request: {detail}"))
            }
            _ => ConnectorError::InvalidResponse(detail),
        })
    }

    /// Whether an error body names, at the policy's `errorPath`, one of the
    /// codes that mean the credential was refused.
    fn names_auth_error(&self, json: &Value) -> bool {
        let Some((path, codes)) = &self.policy.auth_error_codes else {
            return false;
        };
        let found = path.split('.').try_fold(json, |value, key| value.get(key));
        match found {
            Some(Value::String(code)) => codes.contains(code),
            Some(Value::Number(code)) => codes.contains(&code.to_string()),
            _ => false,
        }
    }
}
