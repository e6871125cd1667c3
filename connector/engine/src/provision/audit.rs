//! A transport that notes every exchange (method, URL, status, duration)
//! for the provisioning result, and nothing else.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use crate::client::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::provision::HttpCall;

/// A transport that notes every exchange.
#[derive(Debug)]
pub struct AuditedTransport<'a, T> {
    inner: &'a T,
    calls: RefCell<Vec<HttpCall>>,
}

impl<'a, T: Transport> AuditedTransport<'a, T> {
    /// Audits `inner`.
    pub fn new(inner: &'a T) -> Self {
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

impl<T: Transport> Transport for AuditedTransport<'_, T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (method, url) = (request.method.clone(), request.url.clone());
        let started = Instant::now();
        let outcome = self.inner.send(request).await;
        self.calls.borrow_mut().push(HttpCall {
            method,
            url,
            status: outcome.as_ref().ok().map(|r| r.status),
            duration_ms: started.elapsed().as_millis() as u64,
        });
        outcome
    }

    async fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration).await;
    }
}
