//! The `wasi:http` hooks: every outbound request from the guest passes here.
//!
//! A request leaves only when the [`Grants`] admit it, and then with its
//! target rebuilt from what they checked. On the credential origin's granted
//! paths the hook sets `Authorization` from the host's credentials, replacing
//! whatever the guest wrote; on any other origin it strips `Authorization`.
//! No request that carries the secret leaves, and no credentialed response
//! that echoes it reaches the guest ([`crate::screen`]). Guest
//! timeouts are clamped and response bodies capped. Denials are recorded on
//! the host side, because the guest does not always see them as such.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{AUTHORIZATION, HOST, HeaderValue};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::credentials::Credentials;
use crate::grants::Grants;
use crate::limits::Limits;
use crate::screen::Screen;

/// What the hooks enforce; shared by every request of an operation.
#[derive(Debug, Clone)]
pub struct EgressPolicy {
    grants: Grants,
    credentials: Option<Credentials>,
    /// The forms of the credentials' secret, made once.
    screen: Option<Screen>,
    limits: Limits,
}

impl EgressPolicy {
    /// Requests go where `grants` allow; `credentials` (`None`: requests go
    /// without `Authorization`) go with those that the grants credential;
    /// `limits` give the timeouts and the body cap.
    pub fn new(grants: Grants, credentials: Option<Credentials>, limits: Limits) -> Self {
        Self {
            grants,
            screen: credentials.as_ref().map(Screen::new),
            credentials,
            limits,
        }
    }

    /// The credentials the host injects, if any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// The screen for the credentials' secret, if there are credentials.
    pub(crate) fn screen(&self) -> Option<&Screen> {
        self.screen.as_ref()
    }
}

/// Destinations the guest tried to reach and was refused, in order.
#[derive(Debug, Clone, Default)]
pub struct Denials(Arc<Mutex<Vec<String>>>);

impl Denials {
    /// Logs and keeps a refusal of `what`.
    fn record(&self, what: String) {
        tracing::warn!("egress denied: {what}");
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(what);
    }

    /// The first refused destination, if any.
    pub fn first(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .first()
            .cloned()
    }
}

/// The hooks, kept apart from the store state as wasmtime recommends.
#[derive(Debug, Clone)]
pub struct EgressHooks {
    policy: Arc<EgressPolicy>,
    denials: Denials,
}

impl EgressHooks {
    /// Hooks enforcing `policy`, recording refusals in `denials`.
    pub fn new(policy: Arc<EgressPolicy>, denials: Denials) -> Self {
        Self { policy, denials }
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;

/// The largest request body a guest may send: management-API bodies are a
/// few hundred bytes, so 1 MiB only stops abuse.
const MAX_REQUEST_BYTES: usize = 1 << 20;

/// The request with its whole body read, and that body.
async fn buffer_body(
    request: hyper::Request<WasiBody>,
) -> Result<(hyper::Request<WasiBody>, Bytes), Error> {
    let (parts, body) = request.into_parts();
    let bytes = Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
        .map_err(|error| match error.downcast::<Error>() {
            Ok(error) => *error,
            Err(_) => Error::HttpRequestBodySize(Some(MAX_REQUEST_BYTES as u64)),
        })?
        .to_bytes();
    let body = Full::new(bytes.clone())
        .map_err(|never| match never {})
        .boxed_unsync();
    Ok((hyper::Request::from_parts(parts, body), bytes))
}

/// Whether the guest's request carries a form of the secret anywhere: it
/// can only have one from a response that escaped the screen, and it never
/// leaves with it.
fn carries_secret(screen: &Screen, request: &hyper::Request<WasiBody>, body: &[u8]) -> bool {
    screen.finds(request.uri().to_string().as_bytes())
        || screen.finds_in_headers(request.headers())
        || screen.finds(body)
}

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: hyper::Request<WasiBody>,
        options: Option<RequestOptions>,
        _io: IoFuture,
    ) -> Box<dyn Future<Output = Result<(hyper::Response<WasiBody>, IoFuture), Error>> + Send> {
        let policy = self.policy.clone();
        let denials = self.denials.clone();
        Box::new(async move {
            // Read the guest's whole request body before anything else. The
            // guest writes it while it waits for the response; answering (or
            // denying) first would break its write, and it would see a reset
            // connection instead of the real outcome.
            let (mut request, body) = buffer_body(request).await?;
            if let Some(screen) = &policy.screen
                && carries_secret(screen, &request, &body)
            {
                denials.record("a request carrying the host's credential".to_string());
                return Err(Error::HttpRequestDenied);
            }
            let admitted = match policy.grants.admit(request.uri()) {
                Ok(admitted) => admitted,
                Err(refusal) => {
                    denials.record(refusal.to_string());
                    return Err(Error::HttpRequestDenied);
                }
            };
            tracing::debug!(
                method = %request.method(),
                origin = %admitted.origin,
                path = admitted.uri.path(),
                "outbound request"
            );
            // What leaves is what was checked: the target rebuilt from the
            // parsed scheme, host, port, path and query, and its own `Host`.
            *request.uri_mut() = admitted.uri;
            let headers = request.headers_mut();
            headers.insert(
                HOST,
                HeaderValue::from_str(&admitted.host).map_err(|_| Error::HttpRequestUriInvalid)?,
            );
            headers.remove(AUTHORIZATION);
            if admitted.credentialed
                && let Some(credentials) = &policy.credentials
            {
                let mut value =
                    HeaderValue::from_str(&credentials.authorization()).map_err(|_| {
                        Error::InternalError(Some(
                            "credentials are not a valid header value".into(),
                        ))
                    })?;
                value.set_sensitive(true);
                headers.insert(AUTHORIZATION, value);
            }
            let limits = policy.limits;
            let options = options.unwrap_or_default();
            let options = RequestOptions {
                connect_timeout: Some(limits.clamp(options.connect_timeout)),
                first_byte_timeout: Some(limits.clamp(options.first_byte_timeout)),
                between_bytes_timeout: Some(limits.clamp(options.between_bytes_timeout)),
            };
            let target = format!("{}{}", admitted.origin, request.uri().path());
            let (response, io) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            let cap = limits.max_response_bytes;
            let response = response.map(|body| {
                Limited::new(body, cap)
                    .map_err(move |error| match error.downcast::<Error>() {
                        Ok(error) => *error,
                        Err(_) => Error::HttpResponseBodySize(Some(cap as u64)),
                    })
                    .boxed_unsync()
            });
            // A credentialed response that echoes the credential never
            // reaches the guest, headers or body.
            let withheld = format!("the response of {target} held the host's credential; withheld");
            let response = match policy.screen.as_ref().filter(|_| admitted.credentialed) {
                Some(screen) if screen.finds_in_headers(response.headers()) => {
                    denials.record(withheld);
                    return Err(Error::HttpRequestDenied);
                }
                Some(screen) => {
                    response.map(|body| screen.body(body, move || denials.record(withheld.clone())))
                }
                None => response,
            };
            Ok((response, Box::new(io) as IoFuture))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_carrying_the_secret_anywhere_is_recognised() {
        let credentials = Credentials::new("KEY1", "ab+cd/ef==SECRETxyz");
        let screen = Screen::new(&credentials);
        let request = |uri: &str, header: &str| {
            hyper::Request::builder()
                .uri(uri)
                .header("x-note", header)
                .body(
                    Full::new(Bytes::new())
                        .map_err(|never| match never {})
                        .boxed_unsync(),
                )
                .unwrap()
        };
        let clean = request("http://h/iam/v2/users", "nothing");
        assert!(!carries_secret(&screen, &clean, b"{}"));
        let base64 = &credentials.authorization()["Basic ".len()..];
        assert!(carries_secret(
            &screen,
            &request(&format!("http://h/x?k={base64}"), "n"),
            b""
        ));
        assert!(carries_secret(
            &screen,
            &request("http://h/x", "ab+cd/ef==SECRETxyz"),
            b""
        ));
        assert!(carries_secret(
            &screen,
            &clean,
            b"{\"s\":\"ab+cd\\/ef==SECRETxyz\"}"
        ));
    }
}
