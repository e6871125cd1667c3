//! A target for the engine's tests: canned answers by method and URL (404
//! for anything else), with every request kept for inspection. Each request
//! yields to the executor three times before it is answered, as a request on
//! a network takes more than a turn or two to be answered, so requests sent
//! concurrently are in flight together, and the most at once is counted.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::client::{HttpRequest, HttpResponse, Transport, TransportError};

/// A status, headers and body, or a transport failure.
type Canned = Result<(u16, Vec<(String, String)>, String), TransportError>;

/// Canned answers and the requests that asked for them.
#[derive(Debug, Default)]
pub struct FakeTarget {
    answers: HashMap<(String, String), (u16, String)>,
    failures: HashMap<(String, String), TransportError>,
    /// Outcomes served, first to last, before the steady ones above.
    first: RefCell<HashMap<(String, String), VecDeque<Canned>>>,
    /// Every request, in order.
    pub sent: RefCell<Vec<HttpRequest>>,
    in_flight: Cell<usize>,
    /// The most requests that were in flight at once.
    pub most_in_flight: Cell<usize>,
    /// Every wait asked for, in order; none is waited.
    pub slept: RefCell<Vec<Duration>>,
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

    /// Answers the next `method url` with `status` and `body` (or fails it
    /// with the error) before any later or steady answer.
    pub fn then(
        self,
        method: &str,
        url: &str,
        outcome: Result<(u16, &str), TransportError>,
    ) -> Self {
        self.queue(
            method,
            url,
            outcome.map(|(status, body)| (status, Vec::new(), body.to_string())),
        )
    }

    /// As [`FakeTarget::then`], an answer with response headers.
    pub fn then_with(
        self,
        method: &str,
        url: &str,
        (status, headers, body): (u16, &[(&str, &str)], &str),
    ) -> Self {
        let headers = headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        self.queue(method, url, Ok((status, headers, body.to_string())))
    }

    fn queue(self, method: &str, url: &str, outcome: Canned) -> Self {
        self.first
            .borrow_mut()
            .entry((method.to_string(), url.to_string()))
            .or_default()
            .push_back(outcome);
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
        let queued = self
            .first
            .borrow_mut()
            .get_mut(&key)
            .and_then(VecDeque::pop_front);
        if let Some(outcome) = queued.or_else(|| self.failures.get(&key).cloned().map(Err)) {
            let (status, headers, body) = outcome?;
            return Ok(HttpResponse {
                status,
                headers,
                body: body.into_bytes(),
            });
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

    async fn sleep(&self, duration: Duration) {
        self.slept.borrow_mut().push(duration);
    }

    /// The middle of the range, so that a jittered wait is half its cap.
    fn random(&self) -> u64 {
        u64::MAX / 2
    }
}
