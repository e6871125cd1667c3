//! A target for the engine's tests: canned answers by method and URL (404
//! for anything else), with every request kept for inspection.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use crate::http::{HttpRequest, HttpResponse, Transport, TransportError};

/// Canned answers and the requests that asked for them.
#[derive(Debug, Default)]
pub struct FakeTarget {
    answers: HashMap<(String, String), (u16, String)>,
    /// Every request, in order.
    pub sent: RefCell<Vec<HttpRequest>>,
}

impl FakeTarget {
    /// Answers `GET url` with 200 and `body`.
    pub fn page(self, url: &str, body: serde_json::Value) -> Self {
        self.answer("GET", url, 200, body)
    }

    /// Answers `method url` with `status` and `body` (JSON, or any text).
    pub fn answer(mut self, method: &str, url: &str, status: u16, body: impl ToString) -> Self {
        self.answers.insert(
            (method.to_string(), url.to_string()),
            (status, body.to_string()),
        );
        self
    }
}

impl Transport for FakeTarget {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        let (status, body) = self
            .answers
            .get(&(request.method.clone(), request.url.clone()))
            .cloned()
            .unwrap_or((404, "{}".to_string()));
        Ok(HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into_bytes(),
        })
    }

    async fn sleep(&self, _: Duration) {}
}
