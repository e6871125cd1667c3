//! The guest's stdout and stderr: one log per operation, kept up to a
//! budget.
//!
//! Every write succeeds at once, so a chatty guest is never stopped or
//! broken by its own log; past [`GUEST_LOG_BUDGET`] bytes what it writes is
//! counted and dropped, never held. When the operation ends, the host logs
//! what was kept a line at a time, with control characters escaped (a guest
//! cannot forge a log line or steer the terminal), and then says once how
//! much was dropped.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// The most the guest's stdout and stderr together may put in the log per
/// operation: a log is for a person to read, not a data channel, and a
/// connector writes a few lines at most (a panic message and its context).
pub const GUEST_LOG_BUDGET: usize = 64 << 10;

/// How much a single write may hand over; the guest is told it may always
/// write this much.
const WRITE_PERMIT: usize = 64 << 10;

/// What the guest wrote: the first [`GUEST_LOG_BUDGET`] bytes, and how many
/// more were dropped. Clones share the same log.
#[derive(Debug, Clone, Default)]
pub struct GuestLog(Arc<Mutex<Kept>>);

#[derive(Debug, Default)]
struct Kept {
    bytes: Vec<u8>,
    dropped: u64,
}

impl GuestLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps what fits of `bytes` under the budget and counts the rest.
    fn take(&self, bytes: &[u8]) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let room = GUEST_LOG_BUDGET.saturating_sub(kept.bytes.len());
        let keep = bytes.len().min(room);
        kept.bytes.extend_from_slice(&bytes[..keep]);
        kept.dropped += (bytes.len() - keep) as u64;
    }

    /// The bytes kept, at most [`GUEST_LOG_BUDGET`].
    pub fn kept(&self) -> Vec<u8> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .bytes
            .clone()
    }

    /// The bytes written past the budget, and dropped.
    pub fn dropped(&self) -> u64 {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).dropped
    }

    /// Sends what was kept into the host's log, a line at a time with
    /// control characters escaped, and then, if anything was dropped, one
    /// warning that says how much.
    pub fn log(&self) {
        let kept = self.kept();
        for line in String::from_utf8_lossy(&kept)
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            tracing::info!(target: "guest", "{}", crate::text::escape_controls(line));
        }
        let dropped = self.dropped();
        if dropped > 0 {
            tracing::warn!(
                target: "guest",
                "the connector wrote {dropped} bytes more to stdout and stderr than the \
                 {GUEST_LOG_BUDGET} bytes the host keeps of an operation; they were dropped"
            );
        }
    }
}

impl IsTerminal for GuestLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestLog {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for GuestLog {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.take(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestLog {
    async fn ready(&mut self) {}
}

impl AsyncWrite for GuestLog {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.take(bytes);
        Poll::Ready(Ok(bytes.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_past_the_budget_are_accepted_counted_and_dropped() {
        let log = GuestLog::new();
        let mut stream = log.p2_stream();
        let chunk = Bytes::from(vec![b'x'; WRITE_PERMIT]);
        for _ in 0..3 {
            assert_eq!(WRITE_PERMIT, stream.check_write().unwrap());
            stream.write(chunk.clone()).unwrap();
        }
        assert_eq!(GUEST_LOG_BUDGET, log.kept().len());
        assert_eq!((3 * WRITE_PERMIT - GUEST_LOG_BUDGET) as u64, log.dropped());
    }
}
