//! How often, how patiently and how fast requests are sent: the retry
//! policy that `ConnectionJSON` configures, and the pace a run keeps.

use std::cell::Cell;
use std::time::Duration;

use crate::client::HttpResponse;
use crate::error::ConnectorError;

/// How failed requests are retried, and how a run is paced. The defaults
/// follow Confluent's advice (capped exponential backoff with full jitter)
/// and its Terraform provider (4 retries, waits capped at 30 s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt, for a 5xx, a 408, a 429, a broken
    /// connection or a status in `retry_statuses`.
    pub retries: u32,
    /// The cap of the first backoff; each retry doubles it.
    pub base_delay: Duration,
    /// No wait is longer. A target that asks for a longer one (a 429's
    /// `Retry-After`) gets no retry: the run fails at once and says so.
    pub max_delay: Duration,
    /// Retries after a 401 (Saviynt's `maxRefreshTryCount`): a Cloud API key
    /// that was just created answers 401 until it has propagated.
    pub auth_retries: u32,
    /// Statuses retried as a 5xx is (Saviynt's `retryFailureStatusCode`).
    pub retry_statuses: Vec<u16>,
    /// Where an error body names its error code (Saviynt's `errorPath`,
    /// dotted), and the codes there that mean the credential was refused
    /// (`authError` and `expiryError`): such a response counts as a 401.
    pub auth_error_codes: Option<(String, Vec<String>)>,
    /// A pause after every so many requests (Saviynt's `apiRateLimitConfig`).
    pub pacing: Option<Pacing>,
}

/// Saviynt's `apiRateLimitConfig`: wait `wait` after every `every` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Requests between pauses (`retryAfterCalls`).
    pub every: u32,
    /// The pause (`retryWaitSeconds`).
    pub wait: Duration,
}

impl Default for RetryPolicy {
    /// Four retries, waits drawn up to 0.5, 1, 2 and 4 s (at most 7.5 s in
    /// all): enough for a 5xx burst or a one-second rate-limit window, short
    /// enough to fail fast when the target is down. No 401 is retried unless
    /// `ConnectionJSON` says so (the seed's says 5).
    fn default() -> Self {
        Self {
            retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            auth_retries: 0,
            retry_statuses: Vec::new(),
            auth_error_codes: None,
            pacing: None,
        }
    }
}

/// Whether a failed request may be tried again, and after how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Give up: the budget for this kind of failure is spent.
    GiveUp,
    /// Give up: the target asked for a wait longer than `max_delay`.
    TooLong(Duration),
}

/// How many retries one request has had, by kind of failure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tries {
    /// Retries after a 401.
    pub auth: u32,
    /// Retries after anything else.
    pub other: u32,
}

impl RetryPolicy {
    /// Whether, and when, to retry after `failure`, the response's
    /// `status` (none for a transport failure), given the retries so far
    /// (which this counts) and `random`, a uniformly random number for the
    /// jitter.
    pub fn verdict(
        &self,
        failure: &ConnectorError,
        status: Option<u16>,
        tries: &mut Tries,
        random: u64,
    ) -> Verdict {
        if matches!(failure, ConnectorError::AuthFailed(_)) {
            if tries.auth >= self.auth_retries {
                return Verdict::GiveUp;
            }
            tries.auth += 1;
            return Verdict::RetryAfter(self.backoff(tries.auth, random));
        }
        if !self.is_retryable(failure, status) || tries.other >= self.retries {
            return Verdict::GiveUp;
        }
        tries.other += 1;
        match failure {
            ConnectorError::RateLimited {
                retry_after_seconds: Some(seconds),
                ..
            } => {
                let asked = Duration::from_secs(u64::from(*seconds));
                if asked > self.max_delay {
                    Verdict::TooLong(asked)
                } else {
                    // A little jitter keeps clients that were refused
                    // together from coming back together.
                    Verdict::RetryAfter(asked + jitter(self.base_delay / 10, random))
                }
            }
            _ => Verdict::RetryAfter(self.backoff(tries.other, random)),
        }
    }

    /// Whether `failure` (with the response's `status`) is worth another
    /// attempt of the same request.
    pub fn is_retryable(&self, failure: &ConnectorError, status: Option<u16>) -> bool {
        failure.is_retryable() || status.is_some_and(|s| self.retry_statuses.contains(&s))
    }

    /// Full jitter: a wait drawn uniformly up to the capped exponential
    /// backoff of retry number `retry` (1-based).
    fn backoff(&self, retry: u32, random: u64) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1 << retry.saturating_sub(1).min(16))
            .min(self.max_delay);
        jitter(ceiling, random)
    }
}

/// A duration drawn uniformly from zero to `ceiling` by `random`.
fn jitter(ceiling: Duration, random: u64) -> Duration {
    // The top 53 bits give a uniform fraction in [0, 1).
    let fraction = (random >> 11) as f64 / (1u64 << 53) as f64;
    ceiling.mul_f64(fraction)
}

/// The pace one run keeps: the pauses `apiRateLimitConfig` asks for, and
/// the one the target's `X-RateLimit-*` headers call for when its budget is
/// spent, taken before the next request rather than after a 429.
#[derive(Debug, Default)]
pub struct Pace {
    sent: Cell<u64>,
    pause: Cell<Duration>,
}

impl Pace {
    /// How long to wait before the next request, which this counts.
    pub fn before_send(&self, pacing: Option<Pacing>) -> Duration {
        let sent = self.sent.get();
        self.sent.set(sent + 1);
        let configured = pacing
            .filter(|p| p.every > 0 && sent > 0 && sent.is_multiple_of(u64::from(p.every)))
            .map_or(Duration::ZERO, |p| p.wait);
        configured.max(self.pause.take())
    }

    /// Reads the target's rate-limit headers: when `X-RateLimit-Remaining`
    /// says the window's budget is spent, the next request waits for
    /// `X-RateLimit-Reset` (seconds from now, as Confluent sends it).
    pub fn after_response(&self, response: &HttpResponse, max_delay: Duration) {
        let number = |name| {
            response
                .header(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if response.status != 429
            && number("x-ratelimit-remaining") == Some(0)
            && let Some(reset) = number("x-ratelimit-reset")
        {
            self.pause.set(Duration::from_secs(reset).min(max_delay));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transient() -> ConnectorError {
        ConnectorError::Transient(String::new())
    }

    fn limited(seconds: Option<u32>) -> ConnectorError {
        ConnectorError::RateLimited {
            retry_after_seconds: seconds,
            detail: String::new(),
        }
    }

    #[test]
    fn backoff_is_jittered_up_to_a_doubling_cap() {
        let policy = RetryPolicy::default();
        let mut tries = Tries::default();
        for ceiling_ms in [500, 1000, 2000, 4000] {
            let ceiling = Duration::from_millis(ceiling_ms);
            let Verdict::RetryAfter(wait) =
                policy.verdict(&transient(), Some(503), &mut tries, u64::MAX)
            else {
                panic!("retry {ceiling_ms} ms is left");
            };
            assert!(wait <= ceiling && wait > ceiling - Duration::from_millis(1));
        }
        assert_eq!(
            Verdict::GiveUp,
            policy.verdict(&transient(), Some(503), &mut tries, 0)
        );
        let mut fresh = Tries::default();
        assert_eq!(
            Verdict::RetryAfter(Duration::ZERO),
            policy.verdict(&transient(), None, &mut fresh, 0),
            "the least random number waits not at all"
        );
    }

    #[test]
    fn the_cap_bounds_late_retries() {
        let policy = RetryPolicy {
            retries: 20,
            ..RetryPolicy::default()
        };
        let mut tries = Tries {
            other: 15,
            ..Tries::default()
        };
        let Verdict::RetryAfter(wait) = policy.verdict(&transient(), None, &mut tries, u64::MAX)
        else {
            panic!("a retry is left");
        };
        assert!(wait <= policy.max_delay && wait > Duration::from_secs(29));
    }

    #[test]
    fn a_rate_limit_waits_as_asked_unless_that_is_too_long() {
        let policy = RetryPolicy::default();
        let mut tries = Tries::default();
        let Verdict::RetryAfter(wait) = policy.verdict(&limited(Some(3)), Some(429), &mut tries, 0)
        else {
            panic!("a 429 is retried");
        };
        assert_eq!(Duration::from_secs(3), wait);
        assert_eq!(
            Verdict::TooLong(Duration::from_secs(3600)),
            policy.verdict(&limited(Some(3600)), Some(429), &mut tries, 0)
        );
    }

    #[test]
    fn a_401_is_retried_only_up_to_the_refresh_count() {
        let refused = ConnectorError::AuthFailed(String::new());
        let mut tries = Tries::default();
        assert_eq!(
            Verdict::GiveUp,
            RetryPolicy::default().verdict(&refused, Some(401), &mut tries, 0)
        );
        let policy = RetryPolicy {
            auth_retries: 2,
            ..RetryPolicy::default()
        };
        for _ in 0..2 {
            assert!(matches!(
                policy.verdict(&refused, Some(401), &mut tries, 0),
                Verdict::RetryAfter(_)
            ));
        }
        assert_eq!(
            Verdict::GiveUp,
            policy.verdict(&refused, Some(401), &mut tries, 0)
        );
        assert_eq!(0, tries.other, "401s spend their own budget");
    }

    #[test]
    fn other_4xx_are_retried_only_when_configured() {
        let forbidden = ConnectorError::Forbidden(String::new());
        let mut tries = Tries::default();
        assert_eq!(
            Verdict::GiveUp,
            RetryPolicy::default().verdict(&forbidden, Some(403), &mut tries, 0)
        );
        let policy = RetryPolicy {
            retry_statuses: vec![403],
            ..RetryPolicy::default()
        };
        assert!(matches!(
            policy.verdict(&forbidden, Some(403), &mut tries, 0),
            Verdict::RetryAfter(_)
        ));
    }

    fn limited_response(status: u16, remaining: &str, reset: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![
                ("x-ratelimit-remaining".into(), remaining.into()),
                ("x-ratelimit-reset".into(), reset.into()),
            ],
            body: Vec::new(),
        }
    }

    #[test]
    fn a_spent_budget_pauses_the_next_request_until_the_reset() {
        let pace = Pace::default();
        let cap = Duration::from_secs(30);
        assert_eq!(Duration::ZERO, pace.before_send(None));
        pace.after_response(&limited_response(200, "3", "1"), cap);
        assert_eq!(Duration::ZERO, pace.before_send(None));
        pace.after_response(&limited_response(200, "0", "2"), cap);
        assert_eq!(Duration::from_secs(2), pace.before_send(None));
        assert_eq!(Duration::ZERO, pace.before_send(None), "paused once");
        pace.after_response(&limited_response(200, "0", "99999"), cap);
        assert_eq!(cap, pace.before_send(None));
    }

    #[test]
    fn configured_pacing_pauses_after_every_so_many_requests() {
        let pacing = Some(Pacing {
            every: 2,
            wait: Duration::from_secs(5),
        });
        let pace = Pace::default();
        let waits: Vec<_> = (0..5).map(|_| pace.before_send(pacing).as_secs()).collect();
        assert_eq!(vec![0, 0, 5, 0, 5], waits);
    }
}
