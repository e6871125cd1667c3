//! The one way out: a small [`Transport`] trait that the wasm glue implements
//! over `wasi:http`, and the request and response it carries.

use std::future::Future;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;

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
    /// The request never reached the server: its name did not resolve, or
    /// the connection was refused or not made in time. Sending it again is
    /// safe, whatever its method.
    #[error("could not connect: {0}")]
    Unreached(String),
    /// The connection failed or broke after the request may have been sent,
    /// including mid-body.
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

    /// A uniformly random number, for the jitter of retry waits. The
    /// component draws it from `wasi:random`.
    fn random(&self) -> u64;
}

/// [`Transport`] behind a pointer, so that the engine's parts share one
/// client without each being generic over the transport.
pub trait DynTransport {
    /// Sends `request` and reads the whole response.
    fn send_boxed(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'_, Result<HttpResponse, TransportError>>;

    /// Waits `duration`.
    fn sleep_boxed(&self, duration: Duration) -> LocalBoxFuture<'_, ()>;

    /// A uniformly random number.
    fn random_number(&self) -> u64;
}

impl<T: Transport> DynTransport for T {
    fn send_boxed(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.send(request))
    }

    fn sleep_boxed(&self, duration: Duration) -> LocalBoxFuture<'_, ()> {
        Box::pin(self.sleep(duration))
    }

    fn random_number(&self) -> u64 {
        self.random()
    }
}
