//! The one way out: a small [`Transport`] trait the wasm glue implements over
//! `wasi:http`, and the mapping from HTTP outcomes to [`ConnectorError`].

pub mod pages;

use std::future::Future;
use std::time::Duration;

use crate::error::ConnectorError;
use crate::printable::printable;

/// An HTTP request the connector wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ….
    pub method: String,
    /// An absolute URL.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// A GET of `url` with `headers`.
    pub fn get(url: impl Into<String>, headers: Vec<(String, String)>) -> Self {
        Self {
            method: "GET".to_string(),
            url: url.into(),
            headers,
            body: None,
        }
    }
}

/// The largest request body the host sends (1 MiB); the connector refuses
/// to render a larger one rather than have the host refuse it.
pub const MAX_REQUEST_BODY: usize = 1 << 20;

/// A complete HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The host refused the destination.
    #[error("request to {0} was denied by the host")]
    Denied(String),
    /// A connect, first-byte or between-bytes timeout.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The connection failed or broke, including mid-body.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The host refused to send the request as it was built: a header it
    /// forbids, a body over its cap, an invalid URI or method. Sending it
    /// again would fail the same way.
    #[error("the host refused the request: {0}")]
    Refused(String),
    /// The response could not be read.
    #[error("{0}")]
    Protocol(String),
}

/// Sends HTTP requests. The component implements it over `wasi:http`; tests
/// implement it in memory.
pub trait Transport {
    /// Sends `request` and reads the whole response.
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>>;

    /// Waits `duration` (between retries).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;
}

/// The headers of the connector's own Confluent calls (the built-in access
/// import and provisioning, the connection check): the credential
/// placeholder the host replaces, and `Accept: application/json`.
pub fn api_headers() -> Vec<(String, String)> {
    vec![
        (
            "Authorization".to_string(),
            crate::dialect::template::ACCESS_TOKEN_PLACEHOLDER.to_string(),
        ),
        ("Accept".to_string(), "application/json".to_string()),
    ]
}

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

/// Checks a response's status, turning failures into the matching error.
pub fn check_status(
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
        error_detail(&response.body)
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

/// The error text a Confluent body carries: `errors[0].detail` in the
/// `Failure` shape, or `message` in the role-binding shape.
fn error_detail(body: &[u8]) -> String {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::new();
    };
    let text = json
        .pointer("/errors/0/detail")
        .or_else(|| json.pointer("/errors/0/title"))
        .or_else(|| json.get("message"))
        .and_then(|v| v.as_str());
    text.map(|t| format!(": {}", printable(t)))
        .unwrap_or_default()
}

/// How often, and how patiently, idempotent requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait before the first retry; it doubles each time.
    pub base_delay: Duration,
    /// No wait is longer, whatever `Retry-After` says.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts over about 3.5 s: enough for a 5xx blip or a one-second
    /// rate-limit window, short enough to fail fast when the target is down.
    fn default() -> Self {
        Self {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based) after `error`.
    pub fn delay(&self, retry: u32, error: &ConnectorError) -> Duration {
        let backoff = self
            .base_delay
            .saturating_mul(1 << retry.saturating_sub(1).min(16));
        let asked = match error {
            ConnectorError::RateLimited {
                retry_after_seconds: Some(s),
                ..
            } => Duration::from_secs(u64::from(*s)),
            _ => Duration::ZERO,
        };
        backoff.max(asked).min(self.max_delay)
    }
}

/// Sends an idempotent request, retrying transient failures and rate limits.
pub async fn send_idempotent<T: Transport>(
    transport: &T,
    policy: &RetryPolicy,
    request: HttpRequest,
) -> Result<HttpResponse, ConnectorError> {
    let mut attempt = 1;
    loop {
        let outcome = match transport.send(request.clone()).await {
            Ok(response) => {
                check_status(&request.method, &request.url, &response).map(|()| response)
            }
            Err(error) => Err(transport_failure(&request.method, &request.url, error)),
        };
        match outcome {
            Err(error) if error.is_retryable() && attempt < policy.attempts => {
                transport.sleep(policy.delay(attempt, &error)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("retry-after".into(), "7".into())],
            body: body.into(),
        }
    }

    #[test]
    fn statuses_map_to_the_matching_error() {
        let failure = r#"{"errors":[{"status":"401","detail":"Valid authentication credentials must be provided"}]}"#;
        assert_eq!(
            Err(ConnectorError::AuthFailed(
                "GET u returned 401: Valid authentication credentials must be provided".into()
            )),
            check_status("GET", "u", &response(401, failure))
        );
        let rb = r#"{"error_code":40301,"message":"Either unauthorized"}"#;
        assert_eq!(
            Err(ConnectorError::Forbidden(
                "GET u returned 403: Either unauthorized".into()
            )),
            check_status("GET", "u", &response(403, rb))
        );
        assert!(matches!(
            check_status("GET", "u", &response(429, "")),
            Err(ConnectorError::RateLimited {
                retry_after_seconds: Some(7),
                ..
            })
        ));
        assert!(matches!(
            check_status("GET", "u", &response(503, "")),
            Err(ConnectorError::Transient(_))
        ));
        assert!(matches!(
            check_status("GET", "u", &response(404, "")),
            Err(ConnectorError::NotFound(_))
        ));
        assert!(matches!(
            check_status("GET", "u", &response(409, "")),
            Err(ConnectorError::Conflict(_))
        ));
        assert_eq!(Ok(()), check_status("GET", "u", &response(204, "")));
    }

    #[test]
    fn retry_delay_doubles_and_honours_retry_after_within_the_cap() {
        let policy = RetryPolicy::default();
        let transient = ConnectorError::Transient(String::new());
        assert_eq!(Duration::from_millis(500), policy.delay(1, &transient));
        assert_eq!(Duration::from_millis(1000), policy.delay(2, &transient));
        let limited = ConnectorError::RateLimited {
            retry_after_seconds: Some(3),
            detail: String::new(),
        };
        assert_eq!(Duration::from_secs(3), policy.delay(1, &limited));
        let long = ConnectorError::RateLimited {
            retry_after_seconds: Some(3600),
            detail: String::new(),
        };
        assert_eq!(policy.max_delay, policy.delay(1, &long));
    }
}
