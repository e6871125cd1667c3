//! Writing imported records as NDJSON, JSON, CSV or a table, one batch at a
//! time, so output never waits for the whole result.

use std::io::Write;

use serde_json::{Map, Value};

use crate::bindings::types::{Attribute, AttributeValue, ObjectKind, Record, Status};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// One JSON array.
    Json,
    /// Comma-separated values with a header row.
    Csv,
    /// Aligned columns for a terminal.
    Table,
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Active => "active",
        Status::Suspended => "suspended",
        Status::Inactive => "inactive",
        Status::Removed => "removed",
    }
}

fn value_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::Absent => Value::Null,
        AttributeValue::Text(text) => Value::String(text.clone()),
        AttributeValue::Integer(i) => Value::from(*i),
        AttributeValue::Boolean(b) => Value::Bool(*b),
    }
}

/// A record as one flat JSON object: `record`, `status`, the entitlement
/// type and link ids where they apply, then the mapped attributes by name.
pub fn record_json(record: &Record) -> Map<String, Value> {
    let mut object = Map::new();
    let mut put = |name: &str, value: Value| {
        object.insert(name.to_string(), value);
    };
    let attributes: &[Attribute] = match record {
        Record::Account(account) => {
            put("record", "account".into());
            put("status", status_name(account.status).into());
            &account.attributes
        }
        Record::Entitlement(entitlement) => {
            put("record", "entitlement".into());
            put("status", status_name(entitlement.status).into());
            put("entType", entitlement.ent_type.clone().into());
            &entitlement.attributes
        }
        Record::Access(access) => {
            put("record", "access".into());
            put("status", status_name(access.status).into());
            put("accountID", access.account_id.clone().into());
            put("entType", access.ent_type.clone().into());
            put("entitlementID", access.entitlement_id.clone().into());
            &access.attributes
        }
    };
    object.extend(attributes_json(attributes));
    object
}

/// A kind's name in messages: `accounts`, `entitlements`, `access`.
pub fn kind_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Accounts => "accounts",
        ObjectKind::Entitlements => "entitlements",
        ObjectKind::Access => "access",
    }
}

/// Attributes as a JSON object, by name.
pub fn attributes_json(attributes: &[Attribute]) -> Map<String, Value> {
    attributes
        .iter()
        .map(|a| (a.name.clone(), value_json(&a.value)))
        .collect()
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// The widest a table column gets; longer values are cut.
const TABLE_CELL_MAX: usize = 40;

/// Writes records in one format.
pub struct RecordWriter {
    format: Format,
    out: Box<dyn Write + Send>,
    columns: Vec<String>,
    widths: Vec<usize>,
    written: u64,
}

impl std::fmt::Debug for RecordWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordWriter")
            .field("format", &self.format)
            .field("written", &self.written)
            .finish()
    }
}

impl RecordWriter {
    /// A writer to `out`. `columns` fixes the CSV and table columns.
    pub fn new(format: Format, out: Box<dyn Write + Send>, columns: Vec<String>) -> Self {
        Self {
            format,
            out,
            columns,
            widths: Vec::new(),
            written: 0,
        }
    }

    /// Writes one batch.
    pub fn write_batch(&mut self, batch: &[Record]) -> std::io::Result<()> {
        for record in batch {
            let object = record_json(record);
            match self.format {
                Format::Ndjson => {
                    serde_json::to_writer(&mut self.out, &object)?;
                    self.out.write_all(b"\n")?;
                }
                Format::Json => {
                    self.out
                        .write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut self.out, &object)?;
                }
                Format::Csv => {
                    let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
                    if self.written == 0 {
                        csv.write_record(&self.columns)?;
                    }
                    csv.write_record(self.columns.iter().map(|c| cell(object.get(c))))?;
                    let bytes = csv.into_inner().map_err(|e| e.into_error())?;
                    self.out.write_all(&bytes)?;
                }
                Format::Table => {
                    if self.written == 0 {
                        self.widths = self
                            .columns
                            .iter()
                            .map(|c| c.len().clamp(12, TABLE_CELL_MAX))
                            .collect();
                        let header: Vec<String> = self.columns.clone();
                        self.table_row(&header)?;
                    }
                    let row: Vec<String> =
                        self.columns.iter().map(|c| cell(object.get(c))).collect();
                    self.table_row(&row)?;
                }
            }
            self.written += 1;
        }
        self.out.flush()
    }

    fn table_row(&mut self, cells: &[String]) -> std::io::Result<()> {
        let mut line = String::new();
        for (cell, width) in cells.iter().zip(&self.widths) {
            let shown: String = if cell.chars().count() > *width {
                cell.chars().take(width - 1).chain(['…']).collect()
            } else {
                cell.clone()
            };
            line.push_str(&format!("{shown:<width$}  "));
        }
        writeln!(self.out, "{}", line.trim_end())
    }

    /// Closes the output (the JSON array's bracket).
    pub fn finish(mut self) -> std::io::Result<u64> {
        if self.format == Format::Json {
            self.out
                .write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()?;
        Ok(self.written)
    }
}
