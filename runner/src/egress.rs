//! The `wasi:http` hooks: every outbound request from the guest passes here.
//!
//! A request leaves only when the [`Grants`] admit it, and then with its
//! target rebuilt from what they checked. On the credential origin's granted
//! paths the hook sets `Authorization` from the host's credentials, replacing
//! whatever the guest wrote; on any other origin it strips `Authorization`. Guest
//! timeouts are clamped and response bodies capped. Denials are recorded on
//! the host side, because the guest does not always see them as such.

use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{AUTHORIZATION, HOST, HeaderValue};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::credentials::Credentials;
use crate::grants::Grants;
use crate::limits::Limits;

/// What the hooks enforce; shared by every request of an operation.
#[derive(Debug, Clone)]
pub struct EgressPolicy {
    /// Where the guest may go, and which requests carry the credentials.
    pub grants: Grants,
    /// The credentials; `None` sends requests without `Authorization`.
    pub credentials: Option<Credentials>,
    /// Timeouts and body cap.
    pub limits: Limits,
}

/// Destinations the guest tried to reach and was refused, in order.
#[derive(Debug, Clone, Default)]
pub struct Denials(Arc<Mutex<Vec<String>>>);

impl Denials {
    fn record(&self, origin: String) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(origin);
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

async fn buffer_body(request: hyper::Request<WasiBody>) -> Result<hyper::Request<WasiBody>, Error> {
    let (parts, body) = request.into_parts();
    let bytes = Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
        .map_err(|error| match error.downcast::<Error>() {
            Ok(error) => *error,
            Err(_) => Error::HttpRequestBodySize(Some(MAX_REQUEST_BYTES as u64)),
        })?
        .to_bytes();
    let body = Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync();
    Ok(hyper::Request::from_parts(parts, body))
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
            let mut request = buffer_body(request).await?;
            let admitted = match policy.grants.admit(request.uri()) {
                Ok(admitted) => admitted,
                Err(refusal) => {
                    let shown = refusal.to_string();
                    tracing::warn!("egress denied: {shown}");
                    denials.record(shown);
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
            Ok((response, Box::new(io) as IoFuture))
        })
    }
}
