//! Raw `wasi:http` exchanges, built exactly as the probe writes them: no
//! client library between the probe and the host to tidy a header or a URL.

use wasip2::http::outgoing_handler::{self, FutureIncomingResponse};
use wasip2::http::types::{ErrorCode, Fields, IncomingResponse, OutgoingRequest, Scheme};
use wasip2::io::streams::StreamError;

/// The most of a response body the probe reads.
const MAX_BODY: usize = 1 << 20;

/// A GET of `url` (split as written, never normalised) with `headers`,
/// sent: the pending response, or why `wasi:http` refused to build or send
/// it.
pub fn send_get(url: &str, headers: &[(&str, &[u8])]) -> Result<FutureIncomingResponse, String> {
    let fields = Fields::new();
    for (name, value) in headers {
        fields
            .append(name, value)
            .map_err(|e| format!("the header {name} was refused: {e}"))?;
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url} has no scheme"))?;
    let scheme = match scheme {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => Scheme::Other(other.to_string()),
    };
    let at = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(at);
    let path = if path.is_empty() { "/" } else { path };
    let request = OutgoingRequest::new(fields);
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| "the scheme was refused".to_string())?;
    request
        .set_authority(Some(authority))
        .map_err(|()| format!("the authority {authority} was refused"))?;
    request
        .set_path_with_query(Some(path))
        .map_err(|()| format!("the path {path} was refused"))?;
    outgoing_handler::handle(request, None).map_err(|code| code.to_string())
}

/// Waits for `pending`: the response, or the error code the host gave.
pub fn response(pending: &FutureIncomingResponse) -> Result<IncomingResponse, ErrorCode> {
    pending.subscribe().block();
    match pending.get() {
        Some(Ok(outcome)) => outcome,
        Some(Err(())) | None => Err(ErrorCode::InternalError(Some(
            "the response was taken already".into(),
        ))),
    }
}

/// A GET of `url` with `headers`, to the end: its status and body, or why
/// it failed.
pub fn get(url: &str, headers: &[(&str, &[u8])]) -> Result<(u16, Vec<u8>), String> {
    let pending = send_get(url, headers)?;
    let response = response(&pending).map_err(|code| code.to_string())?;
    let status = response.status();
    let body = response
        .consume()
        .map_err(|()| "the body was taken already".to_string())?;
    let stream = body
        .stream()
        .map_err(|()| "the body stream was taken already".to_string())?;
    let mut read = Vec::new();
    while read.len() < MAX_BODY {
        match stream.blocking_read(64 << 10) {
            Ok(bytes) => read.extend_from_slice(&bytes),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(error)) => {
                let code = wasip2::http::types::http_error_code(&error);
                return Err(format!(
                    "status {status}, then reading the body failed: {}",
                    code.map_or_else(|| error.to_debug_string(), |c| c.to_string())
                ));
            }
        }
    }
    Ok((status, read))
}
