//! How often, and how patiently, a request is tried again.

use std::time::Duration;

use crate::error::ConnectorError;

/// How often, and how patiently, idempotent requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait before the first retry; it doubles each time.
    pub base_delay: Duration,
    /// No wait is longer, whatever `Retry-After` says.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts over about 3.5 s: enough for a 5xx blip or a one-second
    /// rate-limit window, short enough to fail fast when the target is down.
    fn default() -> Self {
        Self {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based) after `error`.
    pub fn delay(&self, retry: u32, error: &ConnectorError) -> Duration {
        let backoff = self
            .base_delay
            .saturating_mul(1 << retry.saturating_sub(1).min(16));
        let asked = match error {
            ConnectorError::RateLimited {
                retry_after_seconds: Some(s),
                ..
            } => Duration::from_secs(u64::from(*s)),
            _ => Duration::ZERO,
        };
        backoff.max(asked).min(self.max_delay)
    }
}
