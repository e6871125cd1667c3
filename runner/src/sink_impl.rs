//! The host side of the WIT `sink` interface: batches go to the embedder's
//! bounded channel, so a slow reader slows the guest instead of piling up.

use crate::bindings::identity::connector::{sink, types};
use crate::bindings::types::Record;
use crate::host::HostState;

impl types::Host for HostState {}

impl sink::Host for HostState {
    async fn emit(&mut self, batch: Vec<Record>) -> Result<(), String> {
        let Some(batches) = &self.batches else {
            return Err("this operation does not take records".to_string());
        };
        batches
            .send(batch)
            .await
            .map_err(|_| "the host stopped reading records".to_string())
    }
}
