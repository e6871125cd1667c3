//! The limits a guest runs under.

use std::time::Duration;

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

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

/// The longest operation deadline a host may set: a week.
pub const MAX_OPERATION_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);
/// The most memory a guest may be given: all a 32-bit linear memory holds.
pub const MAX_MEMORY_BYTES: u64 = 4 << 30;

/// Limits out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid limits: {0}")]
pub struct LimitsError(String);

impl Limits {
    /// Checks that every limit is in range: no zero, no deadline past
    /// [`MAX_OPERATION_TIMEOUT`], no memory past [`MAX_MEMORY_BYTES`].
    pub fn check(&self) -> Result<(), LimitsError> {
        let error = |what: String| Err(LimitsError(what));
        if self.memory_bytes == 0 || self.memory_bytes as u64 > MAX_MEMORY_BYTES {
            return error(format!(
                "the memory cap must be between 1 byte and {} MiB",
                MAX_MEMORY_BYTES >> 20
            ));
        }
        if self.operation_timeout.is_zero() || self.operation_timeout > MAX_OPERATION_TIMEOUT {
            return error(format!(
                "the operation timeout must be between 1 ms and {} s",
                MAX_OPERATION_TIMEOUT.as_secs()
            ));
        }
        if self.request_timeout.is_zero() {
            return error("the request timeout must be positive".into());
        }
        if self.max_response_bytes == 0 {
            return error("the response body cap must be positive".into());
        }
        Ok(())
    }

    /// The operation deadline in epoch ticks (at least one), saturating
    /// rather than wrapping.
    pub fn deadline_ticks(&self) -> u64 {
        let ticks = self.operation_timeout.as_millis() / EPOCH_TICK.as_millis();
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }

    /// Clamps a guest-requested timeout to the host's maximum.
    pub fn clamp(&self, requested: Option<Duration>) -> Duration {
        requested.map_or(self.request_timeout, |t| t.min(self.request_timeout))
    }
}

/// The store's resource limiter: wasmtime's [`StoreLimits`] under
/// [`Limits::memory_bytes`], which also notes when the guest asked for more
/// memory than its cap, so the trap that follows is known for what it is
/// without reading its message, and the most memory it was given.
#[derive(Debug)]
pub struct GuestLimiter {
    limits: StoreLimits,
    memory_cap: usize,
    memory_cap_hit: bool,
    peak_memory: usize,
}

impl GuestLimiter {
    /// A limiter for one instance under `limits`: a growth past the memory
    /// cap traps.
    pub fn new(limits: &Limits) -> Self {
        Self {
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .instances(64)
                .tables(64)
                .memories(16)
                .trap_on_grow_failure(true)
                .build(),
            memory_cap: limits.memory_bytes,
            memory_cap_hit: false,
            peak_memory: 0,
        }
    }

    /// Whether the guest asked to grow past its memory cap.
    pub fn memory_cap_hit(&self) -> bool {
        self.memory_cap_hit
    }

    /// The most linear memory the guest has held, in bytes.
    pub fn peak_memory(&self) -> usize {
        self.peak_memory
    }
}

impl ResourceLimiter for GuestLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.memory_cap_hit = true;
        }
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            self.peak_memory = self.peak_memory.max(desired);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growing_past_the_memory_cap_is_noted_and_refused() {
        let limits = Limits {
            memory_bytes: 1 << 20,
            ..Limits::default()
        };
        let mut limiter = GuestLimiter::new(&limits);
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert!(!limiter.memory_cap_hit());
        assert!(limiter.memory_growing(1 << 20, 2 << 20, None).is_err());
        assert!(limiter.memory_cap_hit());
        assert_eq!(
            1 << 20,
            limiter.peak_memory(),
            "a refused growth is no peak"
        );
    }

    #[test]
    fn limits_out_of_range_are_refused_and_ticks_never_wrap() {
        assert_eq!(Ok(()), Limits::default().check());
        let huge = Limits {
            operation_timeout: Duration::from_secs(184_467_440_737_095_517),
            ..Limits::default()
        };
        assert!(huge.check().is_err());
        assert_eq!(u64::MAX, huge.deadline_ticks(), "saturates, never wraps");
        for bad in [
            Limits {
                memory_bytes: usize::try_from(MAX_MEMORY_BYTES + 1).unwrap(),
                ..Limits::default()
            },
            Limits {
                memory_bytes: 0,
                ..Limits::default()
            },
            Limits {
                operation_timeout: Duration::ZERO,
                ..Limits::default()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        let week = Limits {
            operation_timeout: MAX_OPERATION_TIMEOUT,
            ..Limits::default()
        };
        assert_eq!(Ok(()), week.check());
        assert_eq!(60_480_000, week.deadline_ticks());
    }
}
