//! The engine's [`Transport`] over `wasi:http/outgoing-handler` and
//! `wasi:clocks`, waiting through the [`executor`](crate::executor), so a
//! request in flight or a retry timer survives between export calls.

use std::time::Duration;

use connector_engine::client::credential::Credentialed;
use connector_engine::{ConnectorError, HttpRequest, HttpResponse, Transport, TransportError};
use url::{Position, Url};
use wasip2::clocks::monotonic_clock;
use wasip2::http::outgoing_handler::{self, FutureIncomingResponse};
use wasip2::http::types::{
    ErrorCode, Fields, HeaderError, IncomingBody, IncomingResponse, Method, OutgoingBody,
    OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::streams::StreamError;

use crate::executor::wait;
use crate::host_settings;

/// How long to wait for a connection, and for each part of a response. The
/// host clamps these to its own limits.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The most read from a response body at a time.
const READ_SIZE: u64 = 64 << 10;

/// Sends requests through the host's `wasi:http`.
#[derive(Debug, Default)]
pub struct WasiHttp;

/// The transport for `config`: the host's `wasi:http`, with the credential
/// the host handed the guest, if any, added for the target's own APIs under
/// the base URL. A host that injects the credential itself (this project's
/// runner) hands none, and nothing is added.
pub fn for_config(
    config: &connector_engine::Config,
) -> Result<Credentialed<WasiHttp>, ConnectorError> {
    let provided = host_settings::read()?;
    let credential = provided.credential(config.target(), config.base_url());
    Ok(Credentialed::new(WasiHttp, credential))
}

impl Transport for WasiHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        exchange(&request)
            .await
            .map_err(|e| classify(&request.url, e))
    }

    async fn sleep(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        wait(monotonic_clock::subscribe_duration(nanos)).await;
    }

    fn random(&self) -> u64 {
        wasip2::random::random::get_random_u64()
    }
}

/// Why an exchange failed: what `wasi:http` said, and what was being done.
#[derive(Debug)]
enum Failure {
    /// The request could not be built as it was: `wasi:http` refused a
    /// header, the method, the URL or a part of it.
    Refused(String),
    /// `wasi:http` gave an error code.
    Code(ErrorCode, &'static str),
    /// Anything else, as text.
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(text) | Self::Other(text) => f.write_str(text),
            Self::Code(code, "") => write!(f, "{code}"),
            Self::Code(code, doing) => write!(f, "{doing}: {code}"),
        }
    }
}

/// Sends `request`, writes its body, and reads the whole response.
async fn exchange(request: &HttpRequest) -> Result<HttpResponse, Failure> {
    let outgoing = outgoing(request)?;
    let body = outgoing.body().expect("an outgoing body is taken once");
    let pending = outgoing_handler::handle(outgoing, Some(options()))
        .map_err(|code| Failure::Code(code, ""))?;
    let sent = send_body(body, request.body.as_deref().unwrap_or_default()).await;
    // The host's answer says more than a body that could not be written: a
    // denied request closes the body stream before anything is sent.
    let response = response(&pending).await?;
    sent?;
    read(response).await
}

/// The request as `wasi:http` takes it.
fn outgoing(request: &HttpRequest) -> Result<OutgoingRequest, Failure> {
    let headers = Fields::new();
    for (name, value) in &request.headers {
        headers
            .append(name, value.as_bytes())
            .map_err(|e| header_refused(name, e))?;
    }
    let outgoing = OutgoingRequest::new(headers);
    // Parsed as the host's egress check parses it; the fragment is never sent.
    let url = Url::parse(&request.url)
        .map_err(|e| Failure::Refused(format!("not an absolute URL: {e}")))?;
    let scheme = match url.scheme() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => Scheme::Other(other.to_string()),
    };
    let authority = &url[Position::BeforeHost..Position::AfterPort];
    let path = &url[Position::BeforePath..Position::AfterQuery];
    outgoing
        .set_method(&method(&request.method))
        .map_err(|()| refused("method", &request.method))?;
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|()| refused("scheme", url.scheme()))?;
    outgoing
        .set_authority(Some(authority))
        .map_err(|()| refused("authority", authority))?;
    outgoing
        .set_path_with_query(Some(path))
        .map_err(|()| refused("path and query", path))?;
    Ok(outgoing)
}

/// The connector's timeouts as request options.
fn options() -> RequestOptions {
    let options = RequestOptions::new();
    let nanos = u64::try_from(TIMEOUT.as_nanos()).unwrap_or(u64::MAX);
    // A host that does not take an option keeps its own timeout.
    let _ = options.set_connect_timeout(Some(nanos));
    let _ = options.set_first_byte_timeout(Some(nanos));
    let _ = options.set_between_bytes_timeout(Some(nanos));
    options
}

/// The `wasi:http` method for `name`.
fn method(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_string()),
    }
}

fn refused(what: &str, value: &str) -> Failure {
    Failure::Refused(format!("{what} rejected by wasi-http: {value:?}"))
}

/// A header `wasi:http` refuses, named without its value, which may be a
/// credential a document carries.
fn header_refused(name: &str, error: HeaderError) -> Failure {
    Failure::Refused(format!("wasi rejected header `{name}`: {error}"))
}

/// Writes `bytes` as the request body and finishes it.
async fn send_body(body: OutgoingBody, mut bytes: &[u8]) -> Result<(), Failure> {
    let stream = body
        .write()
        .expect("an outgoing body's stream is taken once");
    while !bytes.is_empty() {
        let room = stream.check_write().map_err(stream_error)?;
        if room == 0 {
            wait(stream.subscribe()).await;
            continue;
        }
        let (now, later) =
            bytes.split_at(bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX)));
        stream.write(now).map_err(stream_error)?;
        bytes = later;
    }
    drop(stream);
    OutgoingBody::finish(body, None).map_err(|code| Failure::Code(code, "finishing outgoing body"))
}

/// The response, once its head has come.
async fn response(pending: &FutureIncomingResponse) -> Result<IncomingResponse, Failure> {
    wait(pending.subscribe()).await;
    match pending.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(Failure::Code(code, "")),
        Some(Err(())) | None => unreachable!("a ready response is taken once"),
    }
}

/// The response's status, headers and whole body.
async fn read(response: IncomingResponse) -> Result<HttpResponse, Failure> {
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    let incoming = response.consume().expect("a response is consumed once");
    let body = read_body(&incoming).await?;
    let trailers = IncomingBody::finish(incoming);
    wait(trailers.subscribe()).await;
    match trailers.get() {
        Some(Ok(Ok(_))) => {}
        Some(Ok(Err(code))) => return Err(Failure::Code(code, "reading incoming body trailers")),
        Some(Err(())) | None => unreachable!("ready trailers are taken once"),
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Reads `incoming` to its end.
async fn read_body(incoming: &IncomingBody) -> Result<Vec<u8>, Failure> {
    let stream = incoming
        .stream()
        .expect("an incoming body's stream is taken once");
    let mut body = Vec::new();
    loop {
        match stream.read(READ_SIZE) {
            Ok(bytes) if bytes.is_empty() => wait(stream.subscribe()).await,
            Ok(bytes) => body.extend_from_slice(&bytes),
            Err(StreamError::Closed) => return Ok(body),
            Err(StreamError::LastOperationFailed(error)) => {
                return Err(Failure::Other(format!(
                    "reading incoming body stream: {}",
                    error.to_debug_string()
                )));
            }
        }
    }
}

/// A stream failure while writing the body.
fn stream_error(error: StreamError) -> Failure {
    match error {
        StreamError::Closed => Failure::Other("connection reset".to_string()),
        StreamError::LastOperationFailed(error) => Failure::Other(error.to_debug_string()),
    }
}

/// Sorts a failure by its `wasi:http` error code, when it carries one. The
/// request-side codes, and a header `wasi:http` refuses, describe a request
/// that would fail the same way every time, as does one that could not be
/// built.
fn classify(url: &str, failure: Failure) -> TransportError {
    let text = failure.to_string();
    let code = match failure {
        Failure::Refused(_) => return TransportError::Refused(text),
        Failure::Code(code, _) => Some(code),
        Failure::Other(_) => None,
    };
    match code {
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
        ) => TransportError::Refused(text),
        // Before a connection, or refused by the host's cap on requests in
        // flight, nothing was sent.
        Some(
            ErrorCode::DnsTimeout
            | ErrorCode::DnsError(_)
            | ErrorCode::DestinationNotFound
            | ErrorCode::DestinationUnavailable
            | ErrorCode::DestinationIpUnroutable
            | ErrorCode::ConnectionRefused
            | ErrorCode::ConnectionTimeout
            | ErrorCode::ConnectionLimitReached,
        ) => TransportError::Unreached(text),
        Some(
            ErrorCode::ConnectionReadTimeout
            | ErrorCode::ConnectionWriteTimeout
            | ErrorCode::HttpResponseTimeout,
        ) => TransportError::Timeout(text),
        Some(ErrorCode::HttpResponseBodySize(_)) => TransportError::Protocol(format!(
            "the response body is larger than the host allows: {text}"
        )),
        // A body stream error reaches the guest as text only: its `wasi:io`
        // error's debug string, without the `error-code`. A body over the
        // host's cap is not worth retrying.
        _ if text.contains(BODY_CAP_MESSAGE) => TransportError::Protocol(format!(
            "the response body is larger than the host allows: {text}"
        )),
        _ => TransportError::Connection(text),
    }
}

/// How the host's `error-code::HTTP-response-body-size` reads as text.
const BODY_CAP_MESSAGE: &str = "HTTP response body size exceeds limit";

fn origin_of(url: &str) -> String {
    Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| url.to_string())
}
