//! The progress line on a terminal's stderr: records and pages per kind,
//! redrawn at most ten times a second.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connector_runner::ProgressFn;
use connector_runner::output::kind_name;
use connector_runner::types::{ObjectKind, Progress};

const REDRAW_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
struct Counts {
    /// (kind, records, pages), in the order the kinds first reported.
    kinds: Vec<(ObjectKind, u64, u64)>,
    drawn_at: Option<Instant>,
}

/// A progress line that import reports update.
#[derive(Debug, Clone)]
pub struct ProgressLine {
    counts: Arc<Mutex<Counts>>,
}

impl ProgressLine {
    /// An empty progress line.
    pub fn start() -> Self {
        Self {
            counts: Arc::default(),
        }
    }

    /// The callback the host calls after each page.
    pub fn reporter(&self) -> ProgressFn {
        let counts = self.counts.clone();
        Arc::new(move |progress: &Progress| {
            let mut counts = counts.lock().unwrap_or_else(|e| e.into_inner());
            match counts.kinds.iter_mut().find(|(k, ..)| *k == progress.kind) {
                Some(entry) => *entry = (progress.kind, progress.records, progress.pages),
                None => counts
                    .kinds
                    .push((progress.kind, progress.records, progress.pages)),
            }
            if counts
                .drawn_at
                .is_none_or(|at| at.elapsed() >= REDRAW_EVERY)
            {
                counts.drawn_at = Some(Instant::now());
                draw(&counts.kinds);
            }
        })
    }

    /// Draws the final counts and ends the line.
    pub fn finish(self) {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if !counts.kinds.is_empty() {
            draw(&counts.kinds);
            eprintln!();
        }
    }
}

fn draw(kinds: &[(ObjectKind, u64, u64)]) {
    let parts: Vec<String> = kinds
        .iter()
        .map(|(kind, records, pages)| format!("{} {records} ({pages} pages)", kind_name(*kind)))
        .collect();
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "\r\x1b[2Kimporting: {}", parts.join(", "));
    let _ = stderr.flush();
}
