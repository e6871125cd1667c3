//! The progress line on a terminal's stderr: records and pages per kind,
//! redrawn at most ten times a second.

use std::sync::{Arc, Mutex};

use connector_runner::ProgressFn;
use connector_runner::types::{ObjectKind, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the line may be redrawn, a second.
const REDRAWS_PER_SECOND: u8 = 10;

/// A progress line that import reports update.
#[derive(Debug, Clone)]
pub struct ProgressLine {
    bar: ProgressBar,
    /// (kind, records, pages), in the order the kinds first reported.
    kinds: Arc<Mutex<Vec<(ObjectKind, u64, u64)>>>,
}

impl ProgressLine {
    /// An empty progress line on stderr, drawn once a report comes.
    pub fn start() -> Self {
        let target = ProgressDrawTarget::stderr_with_hz(REDRAWS_PER_SECOND);
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(ProgressStyle::with_template("importing: {msg}").expect("a fixed template"));
        Self {
            bar,
            kinds: Arc::default(),
        }
    }

    /// The callback the host calls after each page.
    pub fn reporter(&self) -> ProgressFn {
        let line = self.clone();
        Arc::new(move |progress: &Progress| {
            let mut kinds = line.kinds.lock().unwrap_or_else(|e| e.into_inner());
            let counts = (progress.kind, progress.records, progress.pages);
            match kinds.iter_mut().find(|(k, ..)| *k == progress.kind) {
                Some(entry) => *entry = counts,
                None => kinds.push(counts),
            }
            line.bar.set_message(message(&kinds));
        })
    }

    /// Draws the final counts and ends the line; without any, draws nothing.
    pub fn finish(self) {
        let kinds = self.kinds.lock().unwrap_or_else(|e| e.into_inner());
        if kinds.is_empty() {
            self.bar.finish_and_clear();
        } else {
            self.bar.finish();
        }
    }
}

/// `accounts 370 (4 pages), entitlements 13 (2 pages)`.
fn message(kinds: &[(ObjectKind, u64, u64)]) -> String {
    let parts: Vec<String> = kinds
        .iter()
        .map(|(kind, records, pages)| format!("{kind} {records} ({pages} pages)"))
        .collect();
    parts.join(", ")
}
