//! The `wasi:http` hooks: every outbound request from the guest passes here.
//!
//! A request leaves only when the [`Grants`] admit it, and then with its
//! target rebuilt from what they checked. On the credential origin's granted
//! paths the hook sets `Authorization` from the host's credentials, replacing
//! whatever the guest wrote; on any other origin it strips `Authorization`.
//! No request that carries the secret leaves, and no credentialed response
//! that echoes it reaches the guest ([`crate::screen`]). The `Host` header is
//! always the admitted origin's, and `Proxy-Authorization` never leaves
//! (`wasi:http` already refuses both to the guest; the hook makes sure).
//! Guest timeouts are clamped, response bodies capped, and at most
//! [`MAX_REQUESTS_OPEN`] requests of an operation are open at once. Denials
//! are recorded on the host side, because the guest does not always see them
//! as such.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::HeaderMap;
use hyper::header::{AUTHORIZATION, HOST, HeaderValue, PROXY_AUTHORIZATION};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::connections::{Connections, Timeouts};
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
    /// The connections kept open between requests.
    connections: Connections,
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
            connections: Connections::new(limits.request_timeout),
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

/// The most requests one operation may have open at once: sent, and not
/// yet done with (the guest has not read the response body to its end or
/// dropped the response; its connection then goes back to the pool, or
/// closes if the body was dropped unread). The connector
/// keeps a few dozen at most (four lists of a kind, sixteen entitlement
/// lists, their dependent calls and the next pages asked for ahead), so this
/// only stops a flood.
///
/// A request past the cap is refused at once with `connection-limit-reached`
/// rather than made to wait: a queue would hold each waiting request, its
/// headers and a task in the host for as long as the guest liked, and a
/// guest this far past any real need is broken or hostile. Nothing of a
/// refused request is kept, and no socket is opened for it.
pub const MAX_REQUESTS_OPEN: usize = 64;

/// The open requests of one operation, counted against
/// [`MAX_REQUESTS_OPEN`].
#[derive(Debug, Clone, Default)]
struct OpenRequests {
    open: Arc<AtomicUsize>,
    /// Whether a refusal was logged already: one line per operation.
    warned: Arc<AtomicBool>,
}

/// One open request's place under the cap, given back when it is dropped.
#[derive(Debug)]
struct OpenRequest(Arc<AtomicUsize>);

impl Drop for OpenRequest {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl OpenRequests {
    /// A place for one more request, or `None` when [`MAX_REQUESTS_OPEN`]
    /// are open already.
    fn enter(&self) -> Option<OpenRequest> {
        let entered = self
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < MAX_REQUESTS_OPEN).then_some(open + 1)
            })
            .is_ok();
        if entered {
            return Some(OpenRequest(self.open.clone()));
        }
        if !self.warned.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                "the connector opened more than {MAX_REQUESTS_OPEN} requests at once; \
                 the excess is refused with connection-limit-reached"
            );
        }
        None
    }
}

/// The hooks, kept apart from the store state as wasmtime recommends. Each
/// operation has its own, and with them its own count of open requests.
#[derive(Debug, Clone)]
pub struct EgressHooks {
    policy: Arc<EgressPolicy>,
    denials: Denials,
    open: OpenRequests,
}

impl EgressHooks {
    /// Hooks enforcing `policy`, recording refusals in `denials`.
    pub fn new(policy: Arc<EgressPolicy>, denials: Denials) -> Self {
        Self {
            policy,
            denials,
            open: OpenRequests::default(),
        }
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;

/// The largest request body a guest may send: management-API bodies are a
/// few hundred bytes, so 1 MiB only stops abuse.
const MAX_REQUEST_BYTES: usize = 1 << 20;

/// The request with its whole body read, and that body.
async fn buffer_body(
    request: hyper::Request<WasiBody>,
) -> Result<(hyper::Request<Full<Bytes>>, Bytes), Error> {
    let (parts, body) = request.into_parts();
    let bytes = Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
        .map_err(|error| match error.downcast::<Error>() {
            Ok(error) => *error,
            Err(_) => Error::HttpRequestBodySize(Some(MAX_REQUEST_BYTES as u64)),
        })?
        .to_bytes();
    Ok((
        hyper::Request::from_parts(parts, Full::new(bytes.clone())),
        bytes,
    ))
}

/// Whether the guest's request carries a form of the secret anywhere: it
/// can only have one from a response that escaped the screen, and it never
/// leaves with it.
fn carries_secret<B>(screen: &Screen, request: &hyper::Request<B>, body: &[u8]) -> bool {
    screen.finds(request.uri().to_string().as_bytes())
        || screen.finds_in_headers(request.headers())
        || screen.finds(body)
}

/// Sets the headers that leave with an admitted request: `Host` is the
/// admitted origin's, whatever the guest wrote; `Proxy-Authorization` is
/// removed; `Authorization` is removed, and set to `authorization` when the
/// request carries the credentials.
fn set_outgoing_headers(
    headers: &mut HeaderMap,
    host: &str,
    authorization: Option<HeaderValue>,
) -> Result<(), Error> {
    headers.insert(
        HOST,
        HeaderValue::from_str(host).map_err(|_| Error::HttpRequestUriInvalid)?,
    );
    headers.remove(PROXY_AUTHORIZATION);
    headers.remove(AUTHORIZATION);
    if let Some(mut value) = authorization {
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    Ok(())
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
        // Counted here, as `handle` is called, so a guest that fires
        // thousands at once is refused past the cap before any is sent.
        let open = self.open.enter();
        Box::new(async move {
            let Some(open) = open else {
                return Err(Error::ConnectionLimitReached);
            };
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
            let authorization = match policy
                .credentials
                .as_ref()
                .filter(|_| admitted.credentialed)
            {
                Some(credentials) => Some(
                    HeaderValue::from_str(&credentials.authorization()).map_err(|_| {
                        Error::InternalError(Some(
                            "credentials are not a valid header value".into(),
                        ))
                    })?,
                ),
                None => None,
            };
            set_outgoing_headers(request.headers_mut(), &admitted.host, authorization)?;
            let limits = policy.limits;
            let options = options.unwrap_or_default();
            let timeouts = Timeouts {
                connect: limits.clamp(options.connect_timeout),
                first_byte: limits.clamp(options.first_byte_timeout),
                between_bytes: limits.clamp(options.between_bytes_timeout),
            };
            let target = format!("{}{}", admitted.origin, request.uri().path());
            let response = policy.connections.send(request, timeouts).await?;
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
            // The request stays open, and counted, until the guest has
            // read its response body or dropped the response.
            let response = response.map(|body| {
                body.map_frame(move |frame| {
                    let _counted = &open;
                    frame
                })
                .boxed_unsync()
            });
            // The pool's own tasks drive the connection.
            let io: IoFuture = Box::new(std::future::ready(Ok(())));
            Ok((response, io))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_and_credentials_headers_are_the_hosts_own() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("elsewhere.example"));
        headers.insert(PROXY_AUTHORIZATION, HeaderValue::from_static("Basic cA=="));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic Zw=="));
        set_outgoing_headers(&mut headers, "127.0.0.1:8080", None).unwrap();
        assert_eq!("127.0.0.1:8080", headers[HOST]);
        assert!(!headers.contains_key(PROXY_AUTHORIZATION));
        assert!(!headers.contains_key(AUTHORIZATION));
        let injected = HeaderValue::from_static("Basic aG9zdA==");
        set_outgoing_headers(&mut headers, "h", Some(injected)).unwrap();
        assert_eq!("Basic aG9zdA==", headers[AUTHORIZATION]);
        assert!(headers[AUTHORIZATION].is_sensitive());
    }

    #[test]
    fn requests_past_the_cap_are_refused_until_one_closes() {
        let requests = OpenRequests::default();
        let mut open: Vec<OpenRequest> = (0..MAX_REQUESTS_OPEN)
            .map(|_| requests.enter().unwrap())
            .collect();
        assert!(requests.enter().is_none());
        open.pop();
        assert!(
            requests.enter().is_some(),
            "a closed request frees its place"
        );
    }

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
