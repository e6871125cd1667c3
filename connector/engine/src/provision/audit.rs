//! A transport that notes every exchange (method, URL, status, duration)
//! for the provisioning result, and nothing else.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use crate::client::{DynTransport, HttpRequest, HttpResponse, Transport, TransportError};
use crate::provision::HttpCall;

/// A transport that notes every exchange.
pub struct AuditedTransport<'a> {
    inner: &'a dyn DynTransport,
    calls: RefCell<Vec<HttpCall>>,
}

impl std::fmt::Debug for AuditedTransport<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditedTransport")
            .field("calls", &self.calls)
            .finish_non_exhaustive()
    }
}

impl<'a> AuditedTransport<'a> {
    /// Audits `inner`.
    pub fn new(inner: &'a dyn DynTransport) -> Self {
        Self {
            inner,
            calls: RefCell::new(Vec::new()),
        }
    }

    /// The exchanges so far.
    pub fn calls(&self) -> Vec<HttpCall> {
        self.calls.borrow().clone()
    }
}

impl Transport for AuditedTransport<'_> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (method, url) = (request.method.clone(), request.url.clone());
        let started = Instant::now();
        let outcome = self.inner.send_boxed(request).await;
        self.calls.borrow_mut().push(HttpCall {
            method,
            url,
            status: outcome.as_ref().ok().map(|r| r.status),
            duration_ms: started.elapsed().as_millis() as u64,
        });
        outcome
    }

    async fn sleep(&self, duration: Duration) {
        self.inner.sleep_boxed(duration).await;
    }

    fn random(&self) -> u64 {
        self.inner.random_number()
    }
}
