//! Outbound HTTP connections, kept open and reused between the guest's
//! requests.
//!
//! `wasmtime-wasi-http`'s own sender opens a connection for every request,
//! and over TLS shakes hands on it: two or three round trips before each
//! request leaves, so a list of a thousand pages would pay for a thousand
//! connections. [`Connections`] keeps them open per origin (hyper-util's
//! pool) for every operation of one host, and a list pays for one.
//!
//! Each request keeps the timeouts the guest asked for, as the host clamped
//! them: opening a connection is bounded by the connect timeout, the wait for
//! the response head by the connect and first-byte timeouts together (a
//! request may or may not need a new connection), and every wait for more of
//! the body by the between-bytes timeout.

use std::error::Error as _;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::{Instant, Sleep};
use wasmtime_wasi_http::{Error, WasiBody};

/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most idle connections kept per origin: the connector has a few dozen
/// requests open at most (see [`crate::egress::MAX_REQUESTS_OPEN`]).
const MAX_IDLE_PER_ORIGIN: usize = 16;

/// The timeouts of one request.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Opening a connection, TLS included.
    pub connect: Duration,
    /// From sending the request to the response head.
    pub first_byte: Duration,
    /// Between two pieces of the response body.
    pub between_bytes: Duration,
}

/// The open connections of one host, over HTTP/1.1 with or without TLS.
#[derive(Clone)]
pub struct Connections {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections").finish_non_exhaustive()
    }
}

impl Connections {
    /// A pool whose connections open within `connect_timeout` at most,
    /// trusting the Mozilla root certificates (`webpki-roots`), as
    /// `wasmtime-wasi-http` does.
    pub fn new(connect_timeout: Duration) -> Self {
        let mut http = HttpConnector::new();
        // The scheme is the grants' business; this connector serves both.
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        let https = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("ring supports the default TLS versions")
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(IDLE_TIMEOUT)
            .pool_max_idle_per_host(MAX_IDLE_PER_ORIGIN)
            .build(https);
        Self { client }
    }

    /// Sends `request`, whose URI is absolute, on an open connection to its
    /// origin or a new one; the response's body fails with
    /// `connection-read-timeout` when a wait for more of it outlasts
    /// `timeouts.between_bytes`.
    pub async fn send(
        &self,
        request: hyper::Request<Full<Bytes>>,
        timeouts: Timeouts,
    ) -> Result<hyper::Response<WasiBody>, Error> {
        let head = tokio::time::timeout(
            timeouts.connect.saturating_add(timeouts.first_byte),
            self.client.request(request),
        );
        let response = head
            .await
            .map_err(|_| Error::ConnectionReadTimeout)?
            .map_err(|error| client_error(&error))?;
        Ok(response.map(|body| BetweenBytes::new(body, timeouts.between_bytes).boxed_unsync()))
    }
}

/// What the guest is told of a request that got no response: a connection
/// that could not be opened, or whose TLS handshake failed, as
/// `wasmtime-wasi-http` reports them (from their `io::Error`), anything else
/// as a protocol error.
fn client_error(error: &hyper_util::client::legacy::Error) -> Error {
    tracing::debug!("outbound request failed: {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            let copy = std::io::Error::new(io.kind(), io.to_string());
            return match io.kind() {
                _ if from_tls(cause) => Error::Tls(copy),
                std::io::ErrorKind::TimedOut => Error::ConnectionTimeout,
                _ => Error::Connect(copy),
            };
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>()
            && (hyper.is_canceled() || hyper.is_closed() || hyper.is_incomplete_message())
        {
            return Error::ConnectionTerminated;
        }
        source = cause.source();
    }
    if error.is_connect() {
        return Error::ConnectionRefused;
    }
    Error::HttpProtocolError
}

/// Whether `error` is rustls's, or an `io::Error` wrapping one (whose
/// `source` skips the error it wraps).
fn from_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.is::<rustls::Error>() {
        return true;
    }
    let wrapped = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref());
    wrapped.is_some_and(|inner| from_tls(inner))
}

/// A response body that fails when a wait for its next frame outlasts
/// `limit`.
struct BetweenBytes {
    body: Incoming,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl BetweenBytes {
    fn new(body: Incoming, limit: Duration) -> Self {
        Self {
            body,
            limit,
            deadline: Box::pin(tokio::time::sleep(limit)),
        }
    }
}

impl Body for BetweenBytes {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let next = Instant::now() + this.limit;
                this.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) if error.is_timeout() => {
                Poll::Ready(Some(Err(Error::HttpResponseTimeout)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(Error::Hyper(error)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                ready!(this.deadline.as_mut().poll(cx));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};

    use super::*;

    const PATIENT: Duration = Duration::from_secs(5);

    /// Timeouts no test here waits out.
    const PATIENT_TIMEOUTS: Timeouts = Timeouts {
        connect: PATIENT,
        first_byte: PATIENT,
        between_bytes: PATIENT,
    };

    /// A server on loopback that answers its one connection with `head`
    /// and `body`, then holds it open without a word more. It answers once
    /// it has read a whole request head or, unless `after_head`, any bytes
    /// at all (a TLS handshake has no head).
    fn answering_once(after_head: bool, head: &'static str, body: &'static str) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buffer = [0; 1024];
            let has_head = |request: &[u8]| request.windows(4).any(|w| w == b"\r\n\r\n");
            while request.is_empty() || after_head && !has_head(&request) {
                let n = stream.read(&mut buffer).unwrap();
                request.extend_from_slice(&buffer[..n]);
            }
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(body.as_bytes()).unwrap();
            std::thread::sleep(PATIENT);
        });
        url
    }

    fn get(url: &str) -> hyper::Request<Full<Bytes>> {
        hyper::Request::get(url).body(Full::default()).unwrap()
    }

    #[tokio::test]
    async fn a_body_that_stops_coming_fails_after_the_between_bytes_timeout() {
        let url = answering_once(true, "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n", "12");
        let timeouts = Timeouts {
            between_bytes: Duration::from_millis(100),
            ..PATIENT_TIMEOUTS
        };
        let response = Connections::new(PATIENT)
            .send(get(&url), timeouts)
            .await
            .unwrap();
        let error = response.into_body().collect().await.unwrap_err();
        assert!(matches!(error, Error::ConnectionReadTimeout), "{error:?}");
    }

    #[tokio::test]
    async fn a_head_that_does_not_come_fails_after_the_first_byte_timeout() {
        let url = answering_once(true, "", "");
        let timeouts = Timeouts {
            connect: Duration::from_millis(50),
            first_byte: Duration::from_millis(50),
            ..PATIENT_TIMEOUTS
        };
        let error = Connections::new(PATIENT)
            .send(get(&url), timeouts)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::ConnectionReadTimeout), "{error:?}");
    }

    #[tokio::test]
    async fn a_server_that_does_not_speak_tls_fails_the_handshake() {
        let url = answering_once(false, "HTTP/1.1 400 Bad Request\r\n\r\n", "");
        let url = url.replace("http://", "https://");
        let error = Connections::new(PATIENT)
            .send(get(&url), PATIENT_TIMEOUTS)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Tls(_)), "{error:?}");
    }

    #[tokio::test]
    async fn a_refused_connection_is_reported_as_one() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let error = Connections::new(PATIENT)
            .send(get(&url), PATIENT_TIMEOUTS)
            .await
            .unwrap_err();
        match error {
            Error::Connect(io) => {
                assert_eq!(std::io::ErrorKind::ConnectionRefused, io.kind(), "{io}")
            }
            other => panic!("expected a connect error, got {other:?}"),
        }
    }
}
