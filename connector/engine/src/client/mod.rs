//! The engine's one HTTP client: it owns the transport, the retry policy and
//! the target's reading of statuses and error bodies; it walks pages, reads
//! JSON, and, for a create whose response was lost, looks up what the create
//! made before it tries again.

pub mod credential;
pub mod pages;
pub mod peek;
pub mod recovery;
pub mod retry;
pub mod status;
pub mod transport;

use std::future::poll_fn;
use std::ops::ControlFlow;
use std::pin::pin;
use std::task::Poll;

use futures_util::future::{Either, LocalBoxFuture, ready, select};
use serde_json::Value;

pub use recovery::{Recovery, Search};
pub use retry::RetryPolicy;
pub use transport::{
    DynTransport, HttpRequest, HttpResponse, MAX_REQUEST_BODY, Transport, TransportError,
};

use crate::error::ConnectorError;
use crate::printable::quoted;
use crate::target::Target;
use pages::{Pager, Paging};

/// Sends the engine's requests to one target.
#[derive(Clone, Copy)]
pub struct Client<'a> {
    transport: &'a dyn DynTransport,
    target: &'a dyn Target,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("target", &self.target)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// What an exchange ended with.
#[derive(Debug)]
pub enum Exchange {
    /// The target's response (any status but a retryable one).
    Answered(HttpResponse),
    /// A create's response was lost and the object it made was found: a 200
    /// response holding it, as if the create had answered.
    Found(HttpResponse),
}

impl<'a> Client<'a> {
    /// A client of `target` over `transport`, with the default retry policy.
    pub fn new(transport: &'a dyn DynTransport, target: &'a dyn Target) -> Self {
        Self {
            transport,
            target,
            retry: RetryPolicy::default(),
        }
    }

    /// The same client over another transport (such as one that audits).
    pub fn over(self, transport: &'a dyn DynTransport) -> Self {
        Self { transport, ..self }
    }

    /// The target this client talks to.
    pub fn target(&self) -> &'a dyn Target {
        self.target
    }

    /// The transport this client sends through.
    pub fn transport(&self) -> &'a dyn DynTransport {
        self.transport
    }

    /// Sends `request`, retrying transient failures and rate limits, and
    /// fails on a status other than 2xx. For requests that are safe to send
    /// again: reads, and deletes by id.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, ConnectorError> {
        let (Exchange::Answered(response) | Exchange::Found(response)) =
            self.exchange(&request, None).await?;
        self.check_status(&request.method, &request.url, &response)?;
        Ok(response)
    }

    /// Sends `request` with the retries its method allows and returns the
    /// response whatever its status, unless that status is one to retry.
    /// A failure that may have left the request applied is retried only
    /// after `recovery` found nothing; a `POST` without one is not retried.
    pub async fn exchange(
        &self,
        request: &HttpRequest,
        recovery: Option<&Recovery>,
    ) -> Result<Exchange, ConnectorError> {
        let mut attempt = 1;
        loop {
            let failure = match self.transport.send_boxed(request.clone()).await {
                Err(e) => status::transport_failure(&request.method, &request.url, e),
                Ok(response) => match self.check_status(&request.method, &request.url, &response) {
                    Err(failure) if failure.is_retryable() => failure,
                    _ => return Ok(Exchange::Answered(response)),
                },
            };
            // A request refused (a denied origin, a request the host will
            // not send) or a response that cannot be read ends as it is.
            if !failure.is_retryable() {
                return Err(failure);
            }
            // The request may have been applied before the failure: a create
            // looks for what it would have made before it tries again.
            if let Some(recovery) = recovery {
                // Boxed: the lookup sends requests through this very method.
                if let Some(found) = Box::pin(self.recover(recovery)).await? {
                    return Ok(Exchange::Found(found));
                }
            } else if request.method == "POST" {
                return Err(failure.with_note(
                    "a POST with no way to look up what it made is not retried, as it may have been applied",
                ));
            }
            if attempt >= self.retry.attempts {
                return Err(failure);
            }
            self.transport
                .sleep_boxed(self.retry.delay(attempt, &failure))
                .await;
            attempt += 1;
        }
    }

    /// GETs `url` and reads its body as JSON.
    pub async fn get_json(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<Value, ConnectorError> {
        let response = self.send(HttpRequest::get(url, headers.to_vec())).await?;
        json_of(url, &response.body)
    }

    /// GETs `first_url` and every page after it as `paging` says, handing
    /// each page's URL and JSON to `on_page`, which returns how many records
    /// it held, or that no more pages are wanted. When a page names the one
    /// after it, that one is asked for before this one is parsed, and
    /// fetched while `on_page` works.
    pub async fn pages(
        &self,
        paging: &Paging,
        first_url: &str,
        headers: &[(String, String)],
        on_page: impl AsyncFnMut(&str, &Value) -> Result<ControlFlow<(), usize>, ConnectorError>,
    ) -> Result<(), ConnectorError> {
        self.walk(paging, first_url, headers, true, on_page).await
    }

    /// Walks the pages, fetching the next one ahead when `ahead` allows and
    /// the page names it.
    async fn walk(
        &self,
        paging: &Paging,
        first_url: &str,
        headers: &[(String, String)],
        ahead: bool,
        mut on_page: impl AsyncFnMut(&str, &Value) -> Result<ControlFlow<(), usize>, ConnectorError>,
    ) -> Result<(), ConnectorError> {
        let (mut pager, first) = Pager::start(paging, first_url)?;
        type Fetched = Result<(String, Vec<u8>), ConnectorError>;
        let fetch = |url: String| -> LocalBoxFuture<'_, Fetched> {
            Box::pin(async move {
                let response = self.send(HttpRequest::get(&url, headers.to_vec())).await?;
                Ok((url, response.body))
            })
        };
        let mut pending = Some(fetch(first));
        while let Some(fetching) = pending.take() {
            let (url, text) = fetching.await?;
            let Some(next) = ahead.then(|| pager.next_in_text(&url, &text)).flatten() else {
                let body = json_of(&url, &text)?;
                let ControlFlow::Continue(records) = on_page(&url, &body).await? else {
                    break;
                };
                pending = pager.next(&url, &body, records)?.map(fetch);
                continue;
            };
            let mut following = next?.map(fetch);
            // Polled once now, the next page's request is on its way while
            // this page is parsed and handled.
            if let Some(fetching) = &mut following
                && let Poll::Ready(fetched) =
                    poll_fn(|cx| Poll::Ready(fetching.as_mut().poll(cx))).await
            {
                *fetching = Box::pin(ready(fetched));
            }
            let body = json_of(&url, &text)?;
            let page = pin!(on_page(&url, &body));
            let flow = match following {
                None => page.await?,
                Some(following) => match select(following, page).await {
                    Either::Left((fetched, page)) => {
                        let flow = page.await?;
                        pending = Some(Box::pin(ready(fetched)));
                        flow
                    }
                    Either::Right((flow, following)) => {
                        pending = Some(following);
                        flow?
                    }
                },
            };
            if flow.is_break() {
                break;
            }
        }
        Ok(())
    }

    /// Walks one of the target's own lists from `first_url` and returns the
    /// items `keep` accepts, stopping after the first when `first_only`.
    pub async fn find_in_list(
        &self,
        first_url: &str,
        headers: &[(String, String)],
        first_only: bool,
        keep: impl Fn(&Value) -> bool,
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut found = Vec::new();
        self.walk(
            &Paging::Automatic,
            first_url,
            headers,
            false,
            async |_, body| {
                let items = self.target.list_items(body).map_or(&[][..], Vec::as_slice);
                for item in items.iter().filter(|item| keep(item)) {
                    found.push(item.clone());
                    if first_only {
                        return Ok(ControlFlow::Break(()));
                    }
                }
                Ok(ControlFlow::Continue(items.len()))
            },
        )
        .await?;
        Ok(found)
    }
}

/// The JSON body of the response to `GET url`.
fn json_of(url: &str, body: &[u8]) -> Result<Value, ConnectorError> {
    serde_json::from_slice(body).map_err(|e| {
        let url = quoted(url);
        ConnectorError::InvalidResponse(format!("GET {url}: the body is not JSON: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::confluent::Confluent;
    use crate::fake_target::FakeTarget;

    fn check(method: &str, url: &str, response: &HttpResponse) -> Result<(), ConnectorError> {
        Client::new(&FakeTarget::default(), &Confluent).check_status(method, url, response)
    }

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("retry-after".into(), "7".into())],
            body: body.into(),
        }
    }

    #[test]
    fn statuses_map_to_the_matching_error() {
        let failure = r#"{"errors":[{"status":"401","detail":"Valid authentication credentials must be provided"}]}"#;
        assert_eq!(
            Err(ConnectorError::AuthFailed(
                "GET u returned 401: Valid authentication credentials must be provided".into()
            )),
            check("GET", "u", &response(401, failure))
        );
        let rb = r#"{"error_code":40301,"message":"Either unauthorized"}"#;
        assert_eq!(
            Err(ConnectorError::Forbidden(
                "GET u returned 403: Either unauthorized".into()
            )),
            check("GET", "u", &response(403, rb))
        );
        assert!(matches!(
            check("GET", "u", &response(429, "")),
            Err(ConnectorError::RateLimited {
                retry_after_seconds: Some(7),
                ..
            })
        ));
        assert!(matches!(
            check("GET", "u", &response(503, "")),
            Err(ConnectorError::Transient(_))
        ));
        assert!(matches!(
            check("GET", "u", &response(404, "")),
            Err(ConnectorError::NotFound(_))
        ));
        assert!(matches!(
            check("GET", "u", &response(409, "")),
            Err(ConnectorError::Conflict(_))
        ));
        assert_eq!(Ok(()), check("GET", "u", &response(204, "")));
    }

    #[test]
    fn retry_delay_doubles_and_honours_retry_after_within_the_cap() {
        let policy = RetryPolicy::default();
        let transient = ConnectorError::Transient(String::new());
        assert_eq!(Duration::from_millis(500), policy.delay(1, &transient));
        assert_eq!(Duration::from_millis(1000), policy.delay(2, &transient));
        let limited = ConnectorError::RateLimited {
            retry_after_seconds: Some(3),
            detail: String::new(),
        };
        assert_eq!(Duration::from_secs(3), policy.delay(1, &limited));
        let long = ConnectorError::RateLimited {
            retry_after_seconds: Some(3600),
            detail: String::new(),
        };
        assert_eq!(policy.max_delay, policy.delay(1, &long));
    }

    #[tokio::test]
    async fn the_next_page_is_fetched_while_this_one_is_handled() {
        let page =
            |next: Option<&str>| serde_json::json!({"data": [1], "metadata": {"next": next}});
        let transport = FakeTarget::default()
            .page("http://t/l?p=1", page(Some("http://t/l?p=2")))
            .page("http://t/l?p=2", page(None));
        let client = Client::new(&transport, &Confluent);
        let mut fetched_while_handling = Vec::new();
        client
            .pages(&Paging::Automatic, "http://t/l?p=1", &[], async |url, _| {
                let sent = transport.sent.borrow().len();
                fetched_while_handling.push((url.to_string(), sent));
                Ok(ControlFlow::Continue(1))
            })
            .await
            .unwrap();
        assert_eq!(
            vec![
                ("http://t/l?p=1".to_string(), 2),
                ("http://t/l?p=2".to_string(), 2)
            ],
            fetched_while_handling
        );
    }
}
