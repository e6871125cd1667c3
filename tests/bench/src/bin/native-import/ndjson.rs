//! The engine's records as NDJSON, one flat object a line, as the CLI and the
//! HTTP entry point write them.

use std::io::Write;

use connector_engine::service::lines::RecordJson;
use connector_engine::{Record, RecordSink};

/// Writes each batch it hears to `out`, a line a record.
#[derive(Debug)]
pub struct NdjsonSink<W: Write> {
    out: W,
    records: u64,
}

impl<W: Write> NdjsonSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        Self { out, records: 0 }
    }

    /// Flushes the output and returns how many records were written.
    pub fn finish(mut self) -> std::io::Result<u64> {
        self.out.flush()?;
        Ok(self.records)
    }
}

impl<W: Write> RecordSink for NdjsonSink<W> {
    fn emit(&mut self, batch: Vec<Record>) -> Result<(), String> {
        for record in &batch {
            serde_json::to_writer(&mut self.out, &RecordJson(record)).map_err(|e| e.to_string())?;
            self.out.write_all(b"\n").map_err(|e| e.to_string())?;
        }
        self.records += batch.len() as u64;
        Ok(())
    }

    /// Orphans are not part of the output; the summary counts them.
    fn orphans(&mut self, _links: Vec<connector_engine::Access>) -> Result<(), String> {
        Ok(())
    }

    /// The benchmark runs the native engine on full imports only, so the
    /// state it would start the next import from is not kept.
    fn state(&mut self, _chunk: String) -> Result<(), String> {
        Ok(())
    }
}
