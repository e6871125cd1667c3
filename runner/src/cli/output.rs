//! Writing imported records as NDJSON, JSON, CSV or a table, one batch at a
//! time, so output never waits for the whole result.
//!
//! NDJSON and JSON carry values exactly, with every character a terminal
//! would act on written as a `\uXXXX` escape ([`write_json`]). A table and
//! CSV are read by people and spreadsheets: their control characters are
//! escaped ([`escape_controls`]) and a CSV cell that would start a formula is
//! quoted.

use std::io::{self, Write};

use comfy_table::{ColumnConstraint, ContentLineStyle, Row, Table, TableStyle, Width};
use serde::Serialize;
use serde_json::Value;

use connector_runner::bindings::types::Record;
use connector_runner::json::{RecordJson, record_json};
use connector_runner::text::{escape_controls, needs_escaping};

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
    // Printable ASCII, the common case, is checked a byte at a time.
    let printable_ascii = json.bytes().all(|b| matches!(b, b' '..=b'~' | b'\n'));
    if printable_ascii || !json.chars().any(|c| c != '\n' && needs_escaping(c)) {
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

/// The narrowest and the widest a table column gets; longer values are cut.
const TABLE_CELL_MIN: usize = 12;
const TABLE_CELL_MAX: usize = 40;

/// A table without borders, its columns a space apart (after each cell's
/// own space of padding).
const TABLE_STYLE: TableStyle = TableStyle::new()
    .header_lines(ContentLineStyle::none().junction(' '))
    .content_lines(ContentLineStyle::none().junction(' '));

/// `cell` cut to `width` characters, its last one `…` when it was longer.
fn cut(cell: String, width: usize) -> String {
    if cell.chars().count() > width {
        cell.chars().take(width - 1).chain(['…']).collect()
    } else {
        cell
    }
}

/// Where records go.
enum Sink {
    /// NDJSON, JSON and tables.
    Text(Box<dyn Write + Send>),
    /// CSV, through one writer for the whole output.
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
}

/// Writes records in one format.
pub struct RecordWriter {
    format: Format,
    sink: Sink,
    columns: Vec<String>,
    /// Each table column's width: its name's, within the bounds.
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
        let sink = match format {
            Format::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
            _ => Sink::Text(out),
        };
        let widths = columns
            .iter()
            .map(|c| c.len().clamp(TABLE_CELL_MIN, TABLE_CELL_MAX))
            .collect();
        Self {
            format,
            sink,
            columns,
            widths,
            written: 0,
        }
    }

    /// Writes one batch.
    pub fn write_batch(&mut self, batch: &[Record]) -> io::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let first = self.written == 0;
        let objects = || batch.iter().map(record_json);
        match &mut self.sink {
            Sink::Csv(csv) => {
                if first {
                    csv.write_record(self.columns.iter().map(|c| csv_text(c)))?;
                }
                for object in objects() {
                    csv.write_record(self.columns.iter().map(|c| csv_cell(object.get(c))))?;
                }
                csv.flush()?;
            }
            Sink::Text(out) => match self.format {
                Format::Table => {
                    let rows = objects().map(|object| {
                        self.columns
                            .iter()
                            .map(|c| table_cell(object.get(c)))
                            .collect()
                    });
                    let header = first.then(|| {
                        self.columns
                            .iter()
                            .map(|c| escape_controls(c).into_owned())
                            .collect()
                    });
                    writeln!(out, "{}", table(&self.widths, header, rows).trim_fmt())?;
                }
                _ => {
                    for (n, record) in batch.iter().enumerate() {
                        if self.format == Format::Json {
                            let first_record = first && n == 0;
                            out.write_all(if first_record { b"[\n" } else { b",\n" })?;
                        }
                        write_json(out, &RecordJson(record))?;
                        if self.format == Format::Ndjson {
                            out.write_all(b"\n")?;
                        }
                    }
                }
            },
        }
        self.written += batch.len() as u64;
        self.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Text(out) => out.flush(),
            Sink::Csv(csv) => csv.flush(),
        }
    }

    /// Closes the output (the JSON array's bracket).
    pub fn finish(mut self) -> io::Result<u64> {
        if let (Format::Json, Sink::Text(out)) = (self.format, &mut self.sink) {
            out.write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        self.flush()?;
        Ok(self.written)
    }
}

/// Rows (and the header, if given) as a table of columns `widths` wide,
/// each cell on one line, cut to its column's width.
fn table(
    widths: &[usize],
    header: Option<Vec<String>>,
    rows: impl Iterator<Item = Vec<String>>,
) -> Table {
    let row = |cells: Vec<String>| {
        let cells = cells.into_iter().zip(widths).map(|(c, &w)| cut(c, w));
        let mut row = Row::from(cells);
        // A cell of wide characters may still be wider than its column.
        row.max_height(1);
        row
    };
    let mut table = Table::new();
    table.load_style(TABLE_STYLE).set_truncation_indicator("…");
    if let Some(header) = header {
        table.set_header(row(header));
    }
    table.add_rows(rows.map(row));
    for (column, &width) in table.column_iter_mut().zip(widths) {
        column.set_padding((0, 1));
        let width = u16::try_from(width + 1).unwrap_or(u16::MAX);
        column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(width)));
    }
    table
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::Map;

    use super::*;
    use connector_runner::bindings::types::{Account, Attribute, AttributeValue, Status};
    use connector_runner::text::needs_escaping;

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
    fn a_table_keeps_each_record_on_one_line_with_its_columns_aligned() {
        let first = [account("Ada Byron Lovelace", "東京東京東京東京東京東京")];
        let out = Captured::default();
        let columns = ["record", "accountID", "name", "note", "balance"].map(String::from);
        let mut writer = RecordWriter::new(Format::Table, Box::new(out.clone()), columns.to_vec());
        writer.write_batch(&first).unwrap();
        writer.write_batch(&[account("Grace", "x")]).unwrap();
        writer.finish().unwrap();
        let table = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(3, lines.len(), "{table}");
        assert!(
            lines[0].starts_with("record        accountID     name"),
            "{table}"
        );
        assert!(lines[1].contains("Ada Byron L…  東京"), "{table}");
        assert!(
            lines[2].starts_with("account       u-1           Grace         x"),
            "{table}"
        );
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
