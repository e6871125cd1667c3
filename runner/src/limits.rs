//! The limits a guest runs under.

use std::time::Duration;

/// Memory, time and size limits for one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most linear memory the guest may grow to, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock deadline for a whole operation (an import, a check).
    pub operation_timeout: Duration,
    /// The longest any single connect, first-byte or between-bytes wait may
    /// be, whatever the guest asks for.
    pub request_timeout: Duration,
    /// The largest response body the guest may receive, in bytes.
    pub max_response_bytes: usize,
}

impl Default for Limits {
    /// 256 MiB holds a 1000-record page many times over; 30 minutes covers a
    /// full import of a large organization at Confluent's rate limits; 60 s
    /// per wait is generous for one API call; 32 MiB is far above the largest
    /// page (1000 role bindings are about 600 KiB).
    fn default() -> Self {
        Self {
            memory_bytes: 256 << 20,
            operation_timeout: Duration::from_secs(30 * 60),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 32 << 20,
        }
    }
}

/// How often the epoch ticks; guest code is interrupted at most this late.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

impl Limits {
    /// The operation deadline in epoch ticks.
    pub fn deadline_ticks(&self) -> u64 {
        (self.operation_timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }

    /// Clamps a guest-requested timeout to the host's maximum.
    pub fn clamp(&self, requested: Option<Duration>) -> Duration {
        requested.map_or(self.request_timeout, |t| t.min(self.request_timeout))
    }
}
