//! Fault injection: latency, rate limiting, server errors, broken bodies and
//! bent pagination links. Set at start-up and changed at run time through
//! `PUT /_sim/faults`.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Every fault knob. The default injects nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay added to every API request.
    pub latency_ms: Option<Latency>,
    /// The delay is spent after the request was carried out, before the
    /// response, as with a slow gateway; by default it comes first.
    pub latency_after_apply: bool,
    /// Requests per second allowed per API key; the rest get 429.
    pub rate_limit: Option<u32>,
    /// Fraction (0–1) of requests answered with a server error.
    pub error_rate: f64,
    /// The next this many requests get a server error, whatever
    /// `error_rate` says; the count goes down with each.
    pub error_burst: u32,
    /// The statuses server errors are drawn from; empty means 500, 502 and 503.
    pub error_statuses: Vec<u16>,
    /// Server errors are answered after the request was carried out, as when
    /// a gateway loses the response, instead of before.
    pub error_after_apply: bool,
    /// Server errors carry the HTML page a proxy sends (`text/html`), not
    /// the API's JSON error shape.
    pub html_errors: bool,
    /// Fraction of responses whose connection is reset in the middle of the body.
    pub reset_rate: f64,
    /// Fraction of responses whose body is cut short (a valid, shorter response).
    pub truncate_rate: f64,
    /// Fraction of responses whose body is replaced by HTML, not JSON,
    /// keeping their status (200 for a successful read).
    pub not_json_rate: f64,
    /// The JSON bodies the API answers (not injected errors) grow by this
    /// many bytes of padding, in a field of their own, to try a client's cap
    /// on the size of a response.
    pub padding_bytes: usize,
    /// Every `metadata.next` points back at the page just served.
    pub loop_next: bool,
    /// Every `metadata.next` is written on this origin instead.
    pub next_origin: Option<String>,
    /// Only paths starting with this prefix get the latency, error, reset,
    /// truncate and not-JSON faults; unset means every API path.
    pub path_prefix: Option<String>,
    /// Only this HTTP method gets those faults; unset means every method.
    pub method: Option<String>,
}

impl Faults {
    /// Whether the latency, status and body faults apply to this request.
    pub fn targets(&self, method: &str, path: &str) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|prefix| path.starts_with(prefix))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }

    /// A server-error status to inject: one of a burst when `in_burst`,
    /// otherwise drawn at `error_rate`.
    pub fn draw_error(&self, in_burst: bool) -> Option<u16> {
        if !in_burst && !draw(self.error_rate) {
            return None;
        }
        let statuses: &[u16] = if self.error_statuses.is_empty() {
            &[500, 502, 503]
        } else {
            &self.error_statuses
        };
        Some(statuses[fastrand::usize(..statuses.len())])
    }

    /// A body fault to inject, if one is drawn.
    pub fn draw_body_fault(&self) -> Option<BodyFault> {
        if draw(self.reset_rate) {
            Some(BodyFault::Reset)
        } else if draw(self.truncate_rate) {
            Some(BodyFault::Truncate)
        } else if draw(self.not_json_rate) {
            Some(BodyFault::NotJson)
        } else {
            None
        }
    }

    /// The delay for one request.
    pub fn draw_latency(&self) -> Option<Duration> {
        let latency = self.latency_ms?;
        Some(Duration::from_millis(fastrand::u64(
            latency.min..=latency.max,
        )))
    }
}

fn draw(rate: f64) -> bool {
    rate > 0.0 && fastrand::f64() < rate
}

/// What happens to a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFault {
    /// The connection drops halfway through the body.
    Reset,
    /// The body stops halfway, with a matching `Content-Length`.
    Truncate,
    /// The body is an HTML error page.
    NotJson,
}

/// A fixed (`50`) or random (`10-100`) delay in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// Shortest delay.
    pub min: u64,
    /// Longest delay.
    pub max: u64,
}

impl FromStr for Latency {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let number = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("latency '{text}' is not N or MIN-MAX milliseconds"))
        };
        let (min, max) = match text.split_once('-') {
            Some((min, max)) => (number(min)?, number(max)?),
            None => (number(text)?, number(text)?),
        };
        if min > max {
            return Err(format!(
                "latency '{text}' has its minimum above its maximum"
            ));
        }
        Ok(Self { min, max })
    }
}

/// The width of a rate-limit window.
const WINDOW: Duration = Duration::from_secs(1);

/// Counts requests per API key in fixed one-second windows.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: HashMap<String, (Instant, u32)>,
}

/// The rate-limit headers for one response, and whether it is refused.
#[derive(Debug, Clone, Copy)]
pub struct RateDecision {
    /// `X-RateLimit-Limit`.
    pub limit: u32,
    /// `X-RateLimit-Remaining`.
    pub remaining: u32,
    /// `X-RateLimit-Reset`, seconds from now (not epoch), as the spec says.
    pub reset_seconds: u64,
    /// Whether to answer 429 with `Retry-After`.
    pub refused: bool,
}

/// The limit reported when none is set: high enough never to bind.
pub const UNLIMITED: u32 = 1_000_000;

impl RateLimiter {
    /// Counts one request for `key` against `limit` per second.
    pub fn check(&mut self, key: &str, limit: Option<u32>) -> RateDecision {
        let limit = limit.unwrap_or(UNLIMITED);
        let now = Instant::now();
        let (start, count) = self.windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        let left = WINDOW.saturating_sub(now.duration_since(*start));
        let reset_seconds = left.as_millis().div_ceil(1000).max(1) as u64;
        if *count >= limit {
            return RateDecision {
                limit,
                remaining: 0,
                reset_seconds,
                refused: true,
            };
        }
        *count += 1;
        RateDecision {
            limit,
            remaining: limit - *count,
            reset_seconds,
            refused: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_parses_fixed_and_ranges() {
        assert_eq!(Ok(Latency { min: 50, max: 50 }), "50".parse());
        assert_eq!(Ok(Latency { min: 10, max: 100 }), "10-100".parse());
        assert!("100-10".parse::<Latency>().is_err());
        assert!("fast".parse::<Latency>().is_err());
    }

    #[test]
    fn rate_limiter_refuses_past_the_limit_per_key() {
        let mut limiter = RateLimiter::default();
        assert_eq!(1, limiter.check("k", Some(2)).remaining);
        assert!(!limiter.check("k", Some(2)).refused);
        let third = limiter.check("k", Some(2));
        assert!(third.refused);
        assert!(third.reset_seconds >= 1);
        assert!(!limiter.check("other", Some(2)).refused);
    }
}
