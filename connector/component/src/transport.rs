//! The engine's [`Transport`] over `wasi:http/outgoing-handler`, through wstd.

use std::time::Duration;

use connector_engine::{HttpRequest, HttpResponse, Transport, TransportError};
use wstd::http::error::{ErrorCode, HeaderError};
use wstd::http::{Body, Client, Request};

/// How long to wait for a connection, and for each part of a response. The
/// host clamps these to its own limits.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Sends requests through the host's `wasi:http`.
#[derive(Debug)]
pub struct WasiHttp {
    client: Client,
}

impl WasiHttp {
    /// A client with the connector's timeouts.
    pub fn new() -> Self {
        let mut client = Client::new();
        client.set_connect_timeout(TIMEOUT);
        client.set_first_byte_timeout(TIMEOUT);
        client.set_between_bytes_timeout(TIMEOUT);
        Self { client }
    }
}

impl Transport for WasiHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = Request::builder()
            .method(request.method.as_str())
            .uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let body = Body::from(request.body.unwrap_or_default());
        let outgoing = builder
            .body(body)
            .map_err(|e| TransportError::Refused(e.to_string()))?;
        let response = self
            .client
            .send(outgoing)
            .await
            .map_err(|e| classify(&request.url, e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .into_body()
            .bytes_contents()
            .await
            .map_err(|e| classify(&request.url, e))?
            .to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    async fn sleep(&self, duration: Duration) {
        wstd::task::sleep(duration.into()).await;
    }
}

/// Sorts a wstd error by its `wasi:http` error code, when it carries one.
/// The request-side codes, and a header `wasi:http` refuses, describe a
/// request that would fail the same way every time.
fn classify(url: &str, error: wstd::http::Error) -> TransportError {
    if error.downcast_ref::<HeaderError>().is_some() {
        return TransportError::Refused(format!("{error:#}"));
    }
    match error.downcast_ref::<ErrorCode>() {
        Some(ErrorCode::HttpRequestDenied) => TransportError::Denied(origin_of(url)),
        Some(
            ErrorCode::HttpRequestLengthRequired
            | ErrorCode::HttpRequestBodySize(_)
            | ErrorCode::HttpRequestMethodInvalid
            | ErrorCode::HttpRequestUriInvalid
            | ErrorCode::HttpRequestUriTooLong
            | ErrorCode::HttpRequestHeaderSectionSize(_)
            | ErrorCode::HttpRequestHeaderSize(_)
            | ErrorCode::HttpRequestTrailerSectionSize(_)
            | ErrorCode::HttpRequestTrailerSize(_),
        ) => TransportError::Refused(format!("{error:#}")),
        Some(
            ErrorCode::ConnectionTimeout
            | ErrorCode::ConnectionReadTimeout
            | ErrorCode::ConnectionWriteTimeout
            | ErrorCode::HttpResponseTimeout,
        ) => TransportError::Timeout(format!("{error:#}")),
        Some(ErrorCode::HttpResponseBodySize(_)) => TransportError::Protocol(format!(
            "the response body is larger than the host allows: {error:#}"
        )),
        // A body stream error reaches the guest as text only: wstd keeps
        // the `wasi:io` error's debug string and drops its `error-code`. A
        // body over the host's cap is not worth retrying.
        _ if format!("{error:#}").contains(BODY_CAP_MESSAGE) => TransportError::Protocol(format!(
            "the response body is larger than the host allows: {error:#}"
        )),
        _ => TransportError::Connection(format!("{error:#}")),
    }
}

/// How the host's `error-code::HTTP-response-body-size` reads as text.
const BODY_CAP_MESSAGE: &str = "HTTP response body size exceeds limit";

fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| url.to_string())
}
