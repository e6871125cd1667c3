//! Writing imported records as NDJSON, JSON, CSV or a table, one batch at a
//! time, so output never waits for the whole result.
//!
//! NDJSON and JSON carry values exactly, with every character a terminal
//! would act on written as a `\uXXXX` escape ([`write_json`]). A table and
//! CSV are read by people and spreadsheets: their control characters are
//! escaped ([`escape_controls`]) and a CSV cell that would start a formula is
//! quoted.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::bindings::types::{Attribute, AttributeValue, ObjectKind, Record, Status};
use crate::text::{escape_controls, needs_escaping};

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

/// A value as a table cell: text as it is with its control characters
/// escaped, other values as JSON.
fn table_cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => escape_controls(text).into_owned(),
        Some(other) => other.to_string(),
    }
}

/// JSON text that serde_json wrote, with every character [`needs_escaping`]
/// names (the line breaks of an indented layout aside) written as its
/// `\uXXXX` escape. Outside its strings JSON text is printable ASCII and
/// layout, and serde_json has already escaped the C0 controls inside them,
/// so each such character is inside a string, and the value read back is
/// exactly the value written.
fn terminal_safe(json: String) -> String {
    if !json.chars().any(|c| c != '\n' && needs_escaping(c)) {
        return json;
    }
    let mut safe = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c != '\n' && needs_escaping(c) {
            for unit in c.encode_utf16(&mut [0; 2]) {
                safe.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            safe.push(c);
        }
    }
    safe
}

/// `value` as one line of compact, terminal-safe JSON.
pub fn json_line(value: &impl Serialize) -> io::Result<String> {
    Ok(terminal_safe(serde_json::to_string(value)?))
}

/// Writes `value` as compact, terminal-safe JSON (no line break after it).
pub fn write_json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    out.write_all(json_line(value)?.as_bytes())
}

/// Writes `value` as indented, terminal-safe JSON and a line break.
pub fn write_json_pretty(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        terminal_safe(serde_json::to_string_pretty(value)?)
    )
}

/// The first characters that make a spreadsheet read a cell as a formula
/// (OWASP's CSV-injection list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text as a CSV cell: a single quote before a leading formula character, so
/// a spreadsheet shows the text instead of evaluating it, and control
/// characters escaped.
fn csv_text(text: &str) -> String {
    let quote = if text.starts_with(FORMULA_STARTS) {
        "'"
    } else {
        ""
    };
    format!("{quote}{}", escape_controls(text))
}

/// A value as a CSV cell: text through [`csv_text`], other values (numbers,
/// booleans) as JSON, which no spreadsheet takes for a formula.
fn csv_cell(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => csv_text(text),
        other => table_cell(other),
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
                    write_json(&mut self.out, &object)?;
                    self.out.write_all(b"\n")?;
                }
                Format::Json => {
                    self.out
                        .write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
                    write_json(&mut self.out, &object)?;
                }
                Format::Csv => {
                    let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
                    if self.written == 0 {
                        csv.write_record(self.columns.iter().map(|c| csv_text(c)))?;
                    }
                    csv.write_record(self.columns.iter().map(|c| csv_cell(object.get(c))))?;
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
                        let header: Vec<String> = self
                            .columns
                            .iter()
                            .map(|c| escape_controls(c).into_owned())
                            .collect();
                        self.table_row(&header)?;
                    }
                    let row: Vec<String> = self
                        .columns
                        .iter()
                        .map(|c| table_cell(object.get(c)))
                        .collect();
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::bindings::types::Account;
    use crate::text::needs_escaping;

    /// Output the test can read after the writer is done with it.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    const HOSTILE_NAME: &str = "\x1b[31mAda\x07\nerror: forged\u{202e}";

    fn account(name: &str, note: &str) -> Record {
        let text = |name: &str, value: &str| Attribute {
            name: name.into(),
            value: AttributeValue::Text(value.into()),
        };
        Record::Account(Account {
            id: "u-1".into(),
            status: Status::Active,
            attributes: vec![
                text("accountID", "u-1"),
                text("name", name),
                text("note", note),
                Attribute {
                    name: "balance".into(),
                    value: AttributeValue::Integer(-5),
                },
            ],
        })
    }

    fn written(format: Format, records: &[Record]) -> String {
        let out = Captured::default();
        let columns = ["record", "accountID", "name", "note", "balance"].map(String::from);
        let mut writer = RecordWriter::new(format, Box::new(out.clone()), columns.to_vec());
        writer.write_batch(records).unwrap();
        writer.finish().unwrap();
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn csv_text_quotes_every_formula_start_and_nothing_else() {
        for (raw, cell) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\\t=1"),
            ("\r=1", "'\\r=1"),
            ("Ada", "Ada"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(cell, csv_text(raw), "{raw:?}");
        }
    }

    #[test]
    fn table_and_csv_escape_control_characters_and_csv_quotes_formulas() {
        let records = [account(HOSTILE_NAME, "=HYPERLINK(\"http://evil\",\"x\")")];
        let table = written(Format::Table, &records);
        let csv = written(Format::Csv, &records);
        for shown in [&table, &csv] {
            let lines = shown.lines();
            assert!(
                lines.flat_map(str::chars).all(|c| !needs_escaping(c)),
                "{shown:?}"
            );
        }
        assert_eq!(2, table.lines().count(), "{table}");
        assert!(table.contains("\\u{1b}[31mA…"), "{table}");
        assert!(
            csv.contains("\\u{1b}[31mAda\\u{7}\\nerror: forged\\u{202e}"),
            "{csv}"
        );
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
        assert_eq!(1, rows.len());
        assert_eq!("'=HYPERLINK(\"http://evil\",\"x\")", &rows[0][3]);
        assert_eq!("-5", &rows[0][4], "a number is not a formula");
    }

    #[test]
    fn ndjson_and_json_keep_values_exact() {
        let records = [account(HOSTILE_NAME, "=1+1")];
        let ndjson = written(Format::Ndjson, &records);
        let line: Value = serde_json::from_str(ndjson.trim_end()).unwrap();
        assert_eq!(HOSTILE_NAME, line["name"]);
        assert_eq!("=1+1", line["note"]);
        let json: Value = serde_json::from_str(&written(Format::Json, &records)).unwrap();
        assert_eq!(HOSTILE_NAME, json[0]["name"]);
    }

    /// Every character a terminal acts on: C0, DEL, C1, the line and
    /// paragraph separators, the bidirectional and zero-width characters.
    fn terminal_controls() -> String {
        (0u32..=0x1f)
            .chain(0x7f..=0x9f)
            .chain([0x061c, 0x2028, 0x2029, 0xfeff])
            .chain(0x200b..=0x200f)
            .chain(0x202a..=0x202e)
            .chain(0x2066..=0x2069)
            .filter_map(char::from_u32)
            .collect()
    }

    #[test]
    fn ndjson_and_json_write_terminal_controls_as_escapes_that_decode_exactly() {
        let controls = terminal_controls();
        assert!(controls.chars().all(needs_escaping));
        let hostile = format!("{controls}é 東京 🦀 \"quoted\" back\\slash");
        let records = [account(&hostile, &controls)];
        for format in [Format::Ndjson, Format::Json] {
            let shown = written(format, &records);
            let raw: Vec<char> = shown
                .chars()
                .filter(|&c| needs_escaping(c) && c != '\n')
                .collect();
            assert!(raw.is_empty(), "{format:?} wrote {raw:?} as it is");
            for c in controls.chars().filter(|&c| c > '\u{1f}') {
                let escape = format!("\\u{:04x}", c as u32);
                assert!(
                    shown.contains(&escape),
                    "{format:?}: no {escape} in {shown}"
                );
            }
            let decoded: Value = serde_json::from_str(&shown).unwrap();
            let object = match format {
                Format::Ndjson => decoded,
                _ => decoded[0].clone(),
            };
            assert_eq!(Value::Object(record_json(&records[0])), object);
        }
    }

    #[test]
    fn pretty_json_escapes_the_same_characters_and_keeps_its_layout() {
        let value = serde_json::json!({"name": "a\u{9b}b\u{202e}c\u{2028}", "n": [1]});
        let mut out = Vec::new();
        write_json_pretty(&mut out, &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.chars().any(|c| c != '\n' && needs_escaping(c)),
            "{text:?}"
        );
        assert!(
            text.contains("\\u009b") && text.contains("\\u202e"),
            "{text}"
        );
        assert_eq!(value, serde_json::from_str::<Value>(&text).unwrap());
        assert!(text.starts_with("{\n  \"name\""), "{text}");
    }

    #[test]
    fn attribute_names_are_escaped_too() {
        let mut out = Vec::new();
        let object = Map::from_iter([("name\u{9b}31m\u{202e}".to_string(), Value::from(1))]);
        write_json(&mut out, &object).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(r#"{"name\u009b31m\u202e":1}"#, text);
        assert_eq!(
            Value::Object(object),
            serde_json::from_str::<Value>(&text).unwrap()
        );
    }
}
