//! The engine's one HTTP client: it owns the transport, the retry policy and
//! the target's reading of statuses and error bodies; it walks pages, reads
//! JSON, and, for a create whose response was lost, looks up what the create
//! made before it tries again.

pub mod credential;
pub mod pages;
pub mod peek;
pub mod projection;
pub mod recovery;
pub mod retry;
pub mod status;
pub mod transport;

use std::future::poll_fn;
use std::ops::ControlFlow;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use futures_util::future::{Either, LocalBoxFuture, ready, select};
use serde_json::Value;

pub use recovery::{Recovery, Search};
pub use retry::{Pace, Pacing, RetryPolicy};
pub use transport::{
    DynTransport, HttpRequest, HttpResponse, MAX_REQUEST_BODY, Transport, TransportError,
};

use crate::error::ConnectorError;
use crate::printable::quoted;
use crate::target::Target;
use pages::{Pager, Paging};
use projection::{Page, Projection};
use retry::{Tries, Verdict};

/// Sends the engine's requests to one target.
#[derive(Clone)]
pub struct Client<'a> {
    transport: &'a dyn DynTransport,
    target: &'a dyn Target,
    policy: &'a RetryPolicy,
    pace: Rc<Pace>,
}

impl std::fmt::Debug for Client<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("target", &self.target)
            .field("policy", &self.policy)
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
    /// A client of `target` over `transport`, retrying as `policy` says.
    pub fn new(
        transport: &'a dyn DynTransport,
        target: &'a dyn Target,
        policy: &'a RetryPolicy,
    ) -> Self {
        Self {
            transport,
            target,
            policy,
            pace: Rc::default(),
        }
    }

    /// The same client, keeping its pace, over another transport (such as
    /// one that audits).
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

    /// Sends `request` with the retries the policy and its method allow,
    /// and returns the response whatever its status, unless that status is
    /// one to retry. A failure after which the request may have been applied
    /// is retried only after `recovery` found nothing; a `POST` without one
    /// is then not retried. A 401, a 429 and a failure to connect leave
    /// nothing applied, and are retried whatever the method.
    pub async fn exchange(
        &self,
        request: &HttpRequest,
        recovery: Option<&Recovery>,
    ) -> Result<Exchange, ConnectorError> {
        let mut tries = Tries::default();
        loop {
            let pause = self.pace.before_send(self.policy.pacing);
            if !pause.is_zero() {
                self.transport.sleep_boxed(pause).await;
            }
            let (failure, status, unapplied) =
                match self.transport.send_boxed(request.clone()).await {
                    Err(e) => {
                        let unsent = matches!(e, TransportError::Unreached(_));
                        let failure = status::transport_failure(&request.method, &request.url, e);
                        // A request refused (a denied origin, a request the
                        // host will not send) or a response that cannot be
                        // read ends as it is.
                        if !failure.is_retryable() {
                            return Err(failure);
                        }
                        (failure, None, unsent)
                    }
                    Ok(response) => {
                        self.pace.after_response(&response, self.policy.max_delay);
                        match self.check_status(&request.method, &request.url, &response) {
                            Err(failure) if self.may_retry(&failure, response.status) => (
                                failure,
                                Some(response.status),
                                matches!(response.status, 401 | 429),
                            ),
                            _ => return Ok(Exchange::Answered(response)),
                        }
                    }
                };
            // The request may have been applied before the failure: a create
            // looks for what it would have made before it tries again.
            if !unapplied {
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
            }
            let random = self.transport.random_number();
            match self.policy.verdict(&failure, status, &mut tries, random) {
                Verdict::RetryAfter(wait) => self.transport.sleep_boxed(wait).await,
                Verdict::GiveUp if tries == Tries::default() => return Err(failure),
                Verdict::GiveUp => {
                    let retries = tries.auth + tries.other;
                    return Err(
                        failure.with_note(&format!("still failing after {retries} retries"))
                    );
                }
                Verdict::TooLong(asked) => {
                    return Err(failure.with_note(&format!(
                        "the target asked to wait {} s, longer than the {} s this connector waits; try again later",
                        asked.as_secs(),
                        self.policy.max_delay.as_secs()
                    )));
                }
            }
        }
    }

    /// Whether a response that failed with `failure` is one to send again.
    fn may_retry(&self, failure: &ConnectorError, status: u16) -> bool {
        self.policy.is_retryable(failure, Some(status))
            || matches!(failure, ConnectorError::AuthFailed(_)) && self.policy.auth_retries > 0
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
    /// it held, or that no more pages are wanted. Of each page's JSON, only
    /// what `reads` names (and what the pager reads) is kept, the list it
    /// reads as rows beside the rest ([`Page`]). When a page
    /// names the one after it, that one is asked for before this one is
    /// parsed, and fetched while `on_page` works.
    pub async fn pages(
        &self,
        paging: &Paging,
        first_url: &str,
        headers: &[(String, String)],
        reads: &Projection,
        on_page: impl AsyncFnMut(&str, &mut Page) -> Result<ControlFlow<(), usize>, ConnectorError>,
    ) -> Result<(), ConnectorError> {
        self.walk(paging, first_url, headers, reads, true, on_page)
            .await
    }

    /// Walks the pages, fetching the next one ahead when `ahead` allows and
    /// the page names it.
    async fn walk(
        &self,
        paging: &Paging,
        first_url: &str,
        headers: &[(String, String)],
        reads: &Projection,
        ahead: bool,
        mut on_page: impl AsyncFnMut(&str, &mut Page) -> Result<ControlFlow<(), usize>, ConnectorError>,
    ) -> Result<(), ConnectorError> {
        let (mut pager, first) = Pager::start(paging, first_url)?;
        let reads = pager.reading(reads);
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
                let mut page = page_of(&url, &text, &reads)?;
                let ControlFlow::Continue(records) = on_page(&url, &mut page).await? else {
                    break;
                };
                pending = pager.next(&url, &page.body, records)?.map(fetch);
                continue;
            };
            let mut following = next.map(fetch);
            // Polled once now, the next page's request is on its way while
            // this page is parsed and handled.
            if let Some(fetching) = &mut following
                && let Poll::Ready(fetched) =
                    poll_fn(|cx| Poll::Ready(fetching.as_mut().poll(cx))).await
            {
                *fetching = Box::pin(ready(fetched));
            }
            let mut page = page_of(&url, &text, &reads)?;
            if let Some(instead) = pager.correction(&url, &page.body)? {
                following = instead.map(fetch);
            }
            let page = pin!(on_page(&url, &mut page));
            let flow = match following {
                None => page.await?,
                Some(following) => match select(following, page).await {
                    Either::Left((fetched, page)) => {
                        pending = Some(Box::pin(ready(fetched)));
                        page.await?
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
            &Projection::everything(),
            false,
            async |_, page| {
                let items = self.target.list_items(&page.body);
                let items = items.map_or(&[][..], Vec::as_slice);
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
    serde_json::from_slice(body).map_err(|e| not_json(url, e))
}

/// What `reads` names of the JSON body of the page at `url`.
fn page_of(url: &str, body: &[u8], reads: &Projection) -> Result<Page, ConnectorError> {
    reads.parse_page(body).map_err(|e| not_json(url, e))
}

fn not_json(url: &str, error: serde_json::Error) -> ConnectorError {
    let url = quoted(url);
    ConnectorError::InvalidResponse(format!("GET {url}: the body is not JSON: {error}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::confluent::Confluent;
    use crate::fake_target::FakeTarget;

    fn check(method: &str, url: &str, response: &HttpResponse) -> Result<(), ConnectorError> {
        Client::new(&FakeTarget::default(), &Confluent, &RetryPolicy::default())
            .check_status(method, url, response)
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

    const URL: &str = "http://t/iam/v2/service-accounts";

    fn post() -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            ..HttpRequest::get(URL, Vec::new())
        }
    }

    async fn exchange(
        transport: &FakeTarget,
        policy: &RetryPolicy,
        request: HttpRequest,
    ) -> Result<u16, ConnectorError> {
        let client = Client::new(transport, &Confluent, policy);
        match client.exchange(&request, None).await? {
            Exchange::Answered(response) | Exchange::Found(response) => Ok(response.status),
        }
    }

    #[tokio::test]
    async fn a_post_refused_unapplied_is_retried_and_one_maybe_applied_is_not() {
        let policy = RetryPolicy {
            auth_retries: 1,
            ..RetryPolicy::default()
        };
        let transport = FakeTarget::default()
            .then("POST", URL, Ok((429, "")))
            .then("POST", URL, Ok((401, "")))
            .then(
                "POST",
                URL,
                Err(TransportError::Unreached("refused".into())),
            )
            .answer("POST", URL, 201, "{}");
        assert_eq!(Ok(201), exchange(&transport, &policy, post()).await);
        assert_eq!(4, transport.sent.borrow().len());

        let transport = FakeTarget::default()
            .then("POST", URL, Err(TransportError::Connection("reset".into())))
            .answer("POST", URL, 201, "{}");
        let error = exchange(&transport, &policy, post()).await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("is not retried, as it may have been applied")
        );
        assert_eq!(1, transport.sent.borrow().len());
    }

    #[tokio::test]
    async fn a_refused_credential_is_retried_up_to_the_count_then_reported() {
        let policy = RetryPolicy {
            auth_retries: 3,
            ..RetryPolicy::default()
        };
        let transport = FakeTarget::default().answer("GET", URL, 401, "{}");
        let error = exchange(&transport, &policy, HttpRequest::get(URL, Vec::new()))
            .await
            .unwrap_err();
        assert!(matches!(error, ConnectorError::AuthFailed(_)), "{error}");
        assert!(
            error.to_string().ends_with("still failing after 3 retries"),
            "{error}"
        );
        assert_eq!(4, transport.sent.borrow().len());
        // The jittered backoff: half of 0.5, 1 and 2 s.
        let slept: Vec<_> = transport
            .slept
            .borrow()
            .iter()
            .map(Duration::as_millis)
            .collect();
        assert_eq!(vec![250, 500, 1000], slept);
    }

    #[tokio::test]
    async fn an_auth_error_code_in_the_body_counts_as_a_401() {
        let policy = RetryPolicy {
            auth_error_codes: Some(("error.code".into(), vec!["TokenExpired".into()])),
            ..RetryPolicy::default()
        };
        let transport =
            FakeTarget::default().answer("GET", URL, 400, r#"{"error":{"code":"TokenExpired"}}"#);
        let client = Client::new(&transport, &Confluent, &policy);
        let error = client
            .send(HttpRequest::get(URL, Vec::new()))
            .await
            .unwrap_err();
        assert!(matches!(error, ConnectorError::AuthFailed(_)), "{error}");
    }

    #[tokio::test]
    async fn a_rate_limit_without_retry_after_waits_for_the_reset_and_a_long_one_fails_fast() {
        let policy = RetryPolicy::default();
        let check = |headers: &[(&str, &str)]| {
            let response = HttpResponse {
                status: 429,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                body: Vec::new(),
            };
            Client::new(&FakeTarget::default(), &Confluent, &policy)
                .check_status("GET", URL, &response)
        };
        let Err(ConnectorError::RateLimited {
            retry_after_seconds,
            ..
        }) = check(&[("x-ratelimit-reset", "4")])
        else {
            panic!("a 429 is rate limited");
        };
        assert_eq!(Some(4), retry_after_seconds);

        let transport = FakeTarget::default()
            .then_with("GET", URL, (429, &[("x-ratelimit-reset", "4")], ""))
            .then_with(
                "GET",
                URL,
                (
                    200,
                    &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "2")],
                    "{}",
                ),
            )
            .answer("GET", URL, 200, "{}");
        let client = Client::new(&transport, &Confluent, &policy);
        client
            .send(HttpRequest::get(URL, Vec::new()))
            .await
            .unwrap();
        client
            .send(HttpRequest::get(URL, Vec::new()))
            .await
            .unwrap();
        let slept: Vec<_> = transport
            .slept
            .borrow()
            .iter()
            .map(Duration::as_secs)
            .collect();
        assert_eq!(
            vec![4, 2],
            slept,
            "the reset was waited, then the spent budget's"
        );

        let transport = FakeTarget::default()
            .then_with("GET", URL, (429, &[("retry-after", "3600")], ""))
            .answer("GET", URL, 200, "{}");
        let error = exchange(&transport, &policy, HttpRequest::get(URL, Vec::new()))
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("longer than the 30 s"),
            "{error}"
        );
        assert_eq!(1, transport.sent.borrow().len());
    }

    #[tokio::test]
    async fn configured_pacing_pauses_the_client() {
        let policy = RetryPolicy {
            pacing: Some(Pacing {
                every: 2,
                wait: Duration::from_secs(7),
            }),
            ..RetryPolicy::default()
        };
        let transport = FakeTarget::default().answer("GET", URL, 200, "{}");
        let client = Client::new(&transport, &Confluent, &policy);
        for _ in 0..3 {
            client
                .send(HttpRequest::get(URL, Vec::new()))
                .await
                .unwrap();
        }
        assert_eq!(vec![Duration::from_secs(7)], *transport.slept.borrow());
    }

    /// Walks the automatic list from `http://t/l?p=1` on `transport`, and
    /// returns each page's URL with how many requests had been sent when it
    /// was handled.
    async fn walked(transport: &FakeTarget) -> Vec<(String, usize)> {
        let policy = RetryPolicy::default();
        let client = Client::new(transport, &Confluent, &policy);
        let mut handled = Vec::new();
        client
            .pages(
                &Paging::Automatic,
                "http://t/l?p=1",
                &[],
                &Projection::everything(),
                async |url, _| {
                    handled.push((url.to_string(), transport.sent.borrow().len()));
                    Ok(ControlFlow::Continue(1))
                },
            )
            .await
            .unwrap();
        handled
    }

    #[tokio::test]
    async fn the_next_page_is_fetched_while_this_one_is_handled() {
        let page =
            |next: Option<&str>| serde_json::json!({"data": [1], "metadata": {"next": next}});
        let transport = FakeTarget::default()
            .page("http://t/l?p=1", page(Some("http://t/l?p=2")))
            .page("http://t/l?p=2", page(None));
        assert_eq!(
            vec![
                ("http://t/l?p=1".to_string(), 2),
                ("http://t/l?p=2".to_string(), 2)
            ],
            walked(&transport).await
        );
    }

    #[tokio::test]
    async fn a_page_that_names_its_next_link_again_is_followed_by_the_last() {
        // The peek stops at the first `metadata`; the whole parse, where the
        // last repeat wins, decides. One page moves its link, one names
        // first a link the pager refuses, and one ends the list on a second
        // thought.
        let pages = [
            (
                "http://t/l?p=1",
                r#"{"metadata": {"next": "http://t/l?p=x"}, "data": [1], "metadata": {"next": "http://t/l?p=2"}}"#,
            ),
            (
                "http://t/l?p=2",
                r#"{"metadata": {"next": "http://elsewhere/l"}, "data": [2], "metadata": {"next": "http://t/l?p=3"}}"#,
            ),
            (
                "http://t/l?p=3",
                r#"{"metadata": {"next": "http://t/l?p=y"}, "data": [3], "metadata": {}}"#,
            ),
        ];
        let transport = pages.iter().fold(FakeTarget::default(), |t, (url, text)| {
            t.answer("GET", url, 200, text)
        });
        let handled: Vec<String> = walked(&transport)
            .await
            .into_iter()
            .map(|(url, _)| url)
            .collect();
        assert_eq!(
            vec!["http://t/l?p=1", "http://t/l?p=2", "http://t/l?p=3"],
            handled
        );
    }
}
