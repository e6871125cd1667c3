//! A target for the engine's tests: canned answers by method and URL (404
//! for anything else), with every request kept for inspection. Each request
//! yields to the executor three times before it is answered, as a request on
//! a network takes more than a turn or two to be answered, so requests sent
//! concurrently are in flight together, and the most at once is counted.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use crate::client::{HttpRequest, HttpResponse, Transport, TransportError};

/// Canned answers and the requests that asked for them.
#[derive(Debug, Default)]
pub struct FakeTarget {
    answers: HashMap<(String, String), (u16, String)>,
    failures: HashMap<(String, String), TransportError>,
    /// Every request, in order.
    pub sent: RefCell<Vec<HttpRequest>>,
    in_flight: Cell<usize>,
    /// The most requests that were in flight at once.
    pub most_in_flight: Cell<usize>,
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

    /// Fails `method url` with `error`, as a transport would.
    pub fn fail(mut self, method: &str, url: &str, error: TransportError) -> Self {
        self.failures
            .insert((method.to_string(), url.to_string()), error);
        self
    }
}

impl Transport for FakeTarget {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        self.in_flight.set(self.in_flight.get() + 1);
        self.most_in_flight
            .set(self.most_in_flight.get().max(self.in_flight.get()));
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        self.in_flight.set(self.in_flight.get() - 1);
        let key = (request.method.clone(), request.url.clone());
        if let Some(error) = self.failures.get(&key) {
            return Err(error.clone());
        }
        let (status, body) = self
            .answers
            .get(&key)
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
