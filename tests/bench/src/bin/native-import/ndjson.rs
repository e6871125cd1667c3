//! The engine's records as NDJSON, one flat object a line, as the CLI writes
//! them: `record`, `status`, the entitlement type and link ids where they
//! apply, then the attributes by name.

use std::io::Write;

use connector_engine::model::attributes_json;
use connector_engine::{Record, RecordSink, Status};
use serde_json::{Map, Value};

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
            serde_json::to_writer(&mut self.out, &record_json(record))
                .map_err(|e| e.to_string())?;
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

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Active => "active",
        Status::Suspended => "suspended",
        Status::Inactive => "inactive",
        Status::Removed => "removed",
    }
}

fn record_json(record: &Record) -> Map<String, Value> {
    let mut object = Map::new();
    let mut put = |name: &str, value: Value| {
        object.insert(name.to_string(), value);
    };
    match record {
        Record::Account(account) => {
            put("record", "account".into());
            put("status", status_name(account.status).into());
        }
        Record::Entitlement(entitlement) => {
            put("record", "entitlement".into());
            put("status", status_name(entitlement.status).into());
            put("entType", entitlement.ent_type.clone().into());
        }
        Record::Access(access) => {
            put("record", "access".into());
            put("status", status_name(access.status).into());
            put("accountID", access.account_id.clone().into());
            put("entType", access.ent_type.clone().into());
            put("entitlementID", access.entitlement_id.clone().into());
        }
    }
    object.extend(attributes_json(record.attributes()));
    object
}
