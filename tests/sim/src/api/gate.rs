//! The gate every request except `/health` passes: auth, then for the API the
//! rate limit, latency and faults, and the request log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;

use super::{Shared, lock};
use crate::errors::{ApiError, proxy_error_html, proxy_error_page};
use crate::faults::BodyFault;

/// One logged API request.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    /// `GET`, `POST`, ….
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// The status answered.
    pub status: u16,
    /// When it arrived, RFC 3339 to the microsecond.
    pub time: String,
    /// How long it took to answer, in milliseconds.
    pub duration_ms: u64,
    /// The same, in microseconds.
    pub duration_us: u64,
}

/// The request log keeps at most this many entries, the newest.
const LOG_CAPACITY: usize = 200_000;

/// The longest request target (path and query) served; a longer one gets 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Every request except `/health` passes here: auth, then (for the API, not
/// `/_sim/`) the rate limit, latency and faults, and the request log.
pub(super) async fn gate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(String::new, |pq| pq.to_string());
    let control = request.uri().path().starts_with("/_sim/");

    let mut response = if path.len() > MAX_URI_BYTES {
        ApiError::uri_too_long(MAX_URI_BYTES).into_response()
    } else if !authorized(&shared, request.headers()) {
        ApiError::unauthenticated().into_response()
    } else if control {
        next.run(request).await
    } else {
        serve_api(&shared, request, next).await
    };
    response.headers_mut().insert(
        "x-request-id",
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("uuid"),
    );

    if !control {
        let mut log = lock(&shared.log);
        if log.len() >= LOG_CAPACITY {
            log.drain(..LOG_CAPACITY / 10);
        }
        log.push(LoggedRequest {
            method,
            path,
            status: response.status().as_u16(),
            time,
            duration_ms: started.elapsed().as_millis() as u64,
            duration_us: started.elapsed().as_micros() as u64,
        });
    }
    response
}

pub(super) async fn serve_api(shared: &Shared, request: Request, next: Next) -> Response {
    let faults = lock(&shared.faults).clone();
    let decision = lock(&shared.limiter).check(&shared.api_key, faults.rate_limit);
    let mut response = if decision.refused {
        let mut response = ApiError::rate_limited().into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, decision.reset_seconds.into());
        response
    } else {
        let targeted = faults.targets(request.method().as_str(), request.uri().path());
        let delay = targeted.then(|| faults.draw_latency()).flatten();
        if let Some(delay) = delay.filter(|_| !faults.latency_after_apply) {
            wait(delay).await;
        }
        let server_error = |status: u16| {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if faults.html_errors {
                proxy_error_page(status)
            } else {
                ApiError::server_error(status).into_response()
            }
        };
        let in_burst = targeted && take_one_of_burst(shared);
        match targeted.then(|| faults.draw_error(in_burst)).flatten() {
            Some(status) if faults.error_after_apply => {
                next.run(request).await;
                server_error(status)
            }
            Some(status) => server_error(status),
            None => {
                let response = next.run(request).await;
                if let Some(delay) = delay.filter(|_| faults.latency_after_apply) {
                    wait(delay).await;
                }
                match targeted.then(|| faults.draw_body_fault()).flatten() {
                    Some(fault) => break_body(response, fault).await,
                    None if targeted && faults.padding_bytes > 0 => {
                        pad_body(response, faults.padding_bytes).await
                    }
                    None => response,
                }
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", decision.limit.into());
    headers.insert("x-ratelimit-remaining", decision.remaining.into());
    headers.insert("x-ratelimit-reset", decision.reset_seconds.into());
    response
}

/// Waits `delay` to within about a tenth of a millisecond. The runtime's
/// timer fires on whole milliseconds, late by up to one and a half, which at
/// 20 ms of latency would be 7% of every page; its last two milliseconds are
/// slept on a blocking thread, whose sleep is precise.
async fn wait(delay: Duration) {
    const COARSE_PART_ENDS: Duration = Duration::from_millis(2);
    let deadline = Instant::now() + delay;
    if let Some(coarse) = delay.checked_sub(COARSE_PART_ENDS) {
        tokio::time::sleep(coarse).await;
    }
    let rest = deadline.saturating_duration_since(Instant::now());
    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
}

/// Whether a burst of server errors is under way, counting this request
/// against it.
fn take_one_of_burst(shared: &Shared) -> bool {
    let mut faults = lock(&shared.faults);
    let in_burst = faults.error_burst > 0;
    faults.error_burst = faults.error_burst.saturating_sub(1);
    in_burst
}

/// The same JSON object with a `_padding` field of `bytes` spaces first.
async fn pad_body(response: Response, bytes: usize) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(rest) = body.strip_prefix(b"{") else {
        return Response::from_parts(parts, Body::from(body));
    };
    let separator: &[u8] = if rest.starts_with(b"}") { b"" } else { b"," };
    let padded = [
        b"{\"_padding\":\"".as_slice(),
        &vec![b' '; bytes],
        b"\"",
        separator,
        rest,
    ]
    .concat();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, padded.len().into());
    Response::from_parts(parts, Body::from(padded))
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = BASE64.decode(encoded.trim()) else {
        return false;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return false;
    };
    decoded.split_once(':') == Some((shared.api_key.as_str(), shared.api_secret.as_str()))
}

pub(super) async fn break_body(response: Response, fault: BodyFault) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let half = bytes.slice(..bytes.len() / 2);
    match fault {
        BodyFault::Truncate => {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, half.len().into());
            Response::from_parts(parts, Body::from(half))
        }
        BodyFault::NotJson => {
            let html = Bytes::from(proxy_error_html(StatusCode::BAD_GATEWAY));
            parts
                .headers
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            parts
                .headers
                .insert(header::CONTENT_LENGTH, html.len().into());
            Response::from_parts(parts, Body::from(html))
        }
        BodyFault::Reset => {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, bytes.len().into());
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "simulated reset",
                )),
            ];
            Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
        }
    }
}
