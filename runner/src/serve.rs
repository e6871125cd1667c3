//! Serving the component's HTTP entry point (`wasi:http/incoming-handler`)
//! under the host's protections: each request runs in a fresh sandboxed
//! store, with the same grants, credential injection and limits as every
//! other operation. The guest reads the base URL, and the documents the
//! host was configured with, from its `wasi:config/store`, and never holds
//! the credential.

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use wasmtime::Store;
use wasmtime_wasi_config::WasiConfigVariables;
use wasmtime_wasi_http::WasiHttpView as _;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::connector::ConnectorHost;
use crate::egress::{Denials, EgressHooks};
use crate::error::RunError;
use crate::host::HostState;
use crate::limits::GuestLimiter;

/// The key in the guest's `wasi:config/store` that names the base URL.
const BASE_URL_KEY: &str = "confluent_base_url";
/// The key that holds the service token a request must carry.
const SERVICE_TOKEN_KEY: &str = "service_token";
/// The key that holds the documents, a JSON object of each one's JSON text
/// by name; a request's own replace them by name.
const DOCUMENTS_KEY: &str = "documents";

impl ConnectorHost {
    /// What the guest's `wasi:config/store` holds for a request: the base
    /// URL, and the host's documents and service token, if it has them.
    fn store_config(&self) -> WasiConfigVariables {
        let mut config = WasiConfigVariables::new();
        config.insert(BASE_URL_KEY, self.config.base_url.as_str());
        if let Some(token) = &self.service_token {
            config.insert(SERVICE_TOKEN_KEY, &*token.0);
        }
        if !self.config.documents.is_empty() {
            let documents = self.config.documents.iter();
            let by_name: serde_json::Map<String, serde_json::Value> = documents
                .map(|document| (document.name.clone(), document.json.clone().into()))
                .collect();
            config.insert(
                DOCUMENTS_KEY,
                serde_json::Value::Object(by_name).to_string(),
            );
        }
        config
    }

    /// Serves `request` through the component's HTTP entry point. The
    /// response comes back once the guest has set it; its body streams
    /// while the guest writes it, until the operation's deadline.
    pub async fn serve_http(
        &self,
        request: hyper::Request<Incoming>,
    ) -> Result<hyper::Response<HyperOutgoingBody>, RunError> {
        let host_error = |error: wasmtime::Error| RunError::Host(error.into());
        let proxy = self.runtime.proxy().cloned().ok_or_else(|| {
            RunError::Misbehaved("the component has no wasi:http/incoming-handler".to_string())
        })?;
        // What the client sends reaches the guest, which must never hold the
        // secret: headers are screened whole, the body as it streams.
        let request = match self.policy.screen() {
            Some(screen) if screen.finds_in_headers(request.headers()) => {
                return Err(RunError::SecretInInput(
                    "the HTTP request's headers".to_string(),
                ));
            }
            Some(screen) => request.map(|body| {
                screen.body(body.map_err(Into::into).boxed_unsync(), || {
                    tracing::warn!("an HTTP request's body held the API secret and was withheld");
                })
            }),
            None => request.map(|body| body.map_err(Into::into).boxed_unsync()),
        };
        let hooks = EgressHooks::new(self.policy.clone(), Denials::default());
        let state =
            HostState::with_config(hooks, GuestLimiter::new(&self.limits), self.store_config());
        let mut store = Store::new(self.runtime.engine(), state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(self.limits.deadline_ticks());
        store.epoch_deadline_trap();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let mut http = store.data_mut().http();
        let incoming = http
            .new_incoming_request(Scheme::Http, request)
            .map_err(host_error)?;
        let outparam = http.new_response_outparam(sender).map_err(host_error)?;
        let timeout = self.limits.operation_timeout;
        // The guest goes on writing the body after it has set the response.
        let handled = tokio::spawn(async move {
            let instance = proxy.instantiate_async(&mut store).await?;
            let handler = instance.wasi_http_incoming_handler();
            let outcome =
                tokio::time::timeout(timeout, handler.call_handle(&mut store, incoming, outparam))
                    .await;
            store.data().log_guest_output();
            let memory_cap_hit = store.data().limits.memory_cap_hit();
            Ok::<_, wasmtime::Error>((outcome.map(|result| result.err()), memory_cap_hit))
        });
        match receiver.await {
            Ok(Ok(response)) => {
                // The body streams on; how the guest ended goes to the log,
                // as the client sees only a stream without its last line.
                tokio::spawn(async move {
                    let ending = match handled.await {
                        Ok(Ok((Ok(None), _))) => return,
                        Ok(Ok((Err(_), _))) => format!("it ran past its deadline of {timeout:?}"),
                        Ok(Ok((Ok(Some(trap)), _))) => format!("it trapped: {}", trap.root_cause()),
                        Ok(Err(error)) => error.to_string(),
                        Err(join) => join.to_string(),
                    };
                    let ending = crate::text::escape_controls(&ending);
                    tracing::warn!("the HTTP entry point's answer was cut short: {ending}");
                });
                Ok(response)
            }
            Ok(Err(code)) => Err(RunError::Misbehaved(format!(
                "the component answered with the error {code:?}"
            ))),
            Err(_) => Err(match handled.await {
                Ok(Ok((Err(_), _))) => RunError::DeadlineExceeded(timeout),
                Ok(Ok((Ok(Some(trap)), memory_cap_hit))) => {
                    self.classify_trap(trap, memory_cap_hit)
                }
                Ok(Ok((Ok(None), _))) => {
                    RunError::Misbehaved("the component set no response".to_string())
                }
                Ok(Err(error)) => host_error(error),
                Err(join) => RunError::Misbehaved(join.to_string()),
            }),
        }
    }
}

/// A JSON error response, in the shape the component gives its own:
/// `{"error": {"status", "message"}}`.
pub fn error_response(status: u16, message: &str) -> hyper::Response<HyperOutgoingBody> {
    let body = serde_json::json!({"error": {"status": status, "message": message}}).to_string();
    let body = Full::new(Bytes::from(body))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}
