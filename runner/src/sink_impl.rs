//! The host side of the WIT `sink` interface: batches go to the embedder's
//! bounded channel, so a slow reader slows the guest instead of piling up.

use crate::bindings::identity::connector::{sink, types};
use crate::bindings::types::{Progress, Record};
use crate::host::HostState;

impl types::Host for HostState {}

impl sink::Host for HostState {
    async fn emit(&mut self, batch: Vec<Record>) -> Result<(), String> {
        let Some(import) = &self.import else {
            return Err("this operation does not take records".to_string());
        };
        import
            .batches
            .send(batch)
            .await
            .map_err(|_| "the host stopped reading records".to_string())
    }

    async fn report_progress(&mut self, progress: Progress) {
        if let Some(report) = self.import.as_ref().and_then(|i| i.progress.as_ref()) {
            report(&progress);
        }
    }
}
