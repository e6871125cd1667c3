//! `colsToPropsMap`: `"<target>": "<source path>~#~<type>"`.
//!
//! A source path is dotted (`metadata.created_at`), may index arrays
//! (`emails[0].value`), and writes a literal dot in a field name as `~dot#`.

use serde_json::Value;

use chrono::SecondsFormat;

use crate::dialect::dates::{DateFormat, read_date, read_epoch};
use crate::dialect::expr::text_of;
use crate::model::AttributeValue;

/// The separator between a source path and its type.
const TYPE_SEPARATOR: &str = "~#~";
/// How a literal dot inside one field name is written.
const LITERAL_DOT: &str = "~dot#";

/// One step of a source path or of an expression's property path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object field.
    Field(String),
    /// An array index.
    Index(usize),
}

/// How a source value is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Text.
    Char,
    /// A whole number.
    Int,
    /// `true` or `false`.
    Bool,
    /// A date-time, written in the document's `dateFormat` (kept as the
    /// source writes it when there is none).
    Date,
    /// Seconds (or milliseconds) since the epoch, written in the document's
    /// `dateFormat` (RFC 3339 when there is none).
    EpochDate,
}

/// One parsed mapping entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    /// The attribute name the host sees.
    pub target: String,
    /// Where to read it.
    pub source: Vec<Segment>,
    /// How to type it.
    pub value_type: ValueType,
    /// How `date` and `epochdate` values are written.
    pub date_format: Option<DateFormat>,
}

/// Parses one `colsToPropsMap` entry; the error says what was expected.
pub fn parse_mapping(target: &str, spec: &str) -> Result<ColumnMapping, String> {
    let (path, type_name) = match spec.split_once(TYPE_SEPARATOR) {
        Some((path, type_name)) => (path, type_name.trim_end_matches(TYPE_SEPARATOR)),
        None => (spec, "char"),
    };
    let value_type = match type_name.trim().to_ascii_lowercase().as_str() {
        "char" | "" => ValueType::Char,
        "int" | "integer" | "number" => ValueType::Int,
        "bool" | "boolean" => ValueType::Bool,
        "date" => ValueType::Date,
        "epochdate" => ValueType::EpochDate,
        other => {
            return Err(format!(
                "unknown type '{other}' in '{spec}'; expected char, int, bool, date or epochdate"
            ));
        }
    };
    Ok(ColumnMapping {
        target: target.to_string(),
        source: parse_path(path)?,
        value_type,
        date_format: None,
    })
}

/// Parses a source path such as `emails[0].value` or `a~dot#b.c`.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let path = path.trim();
    if path.is_empty() {
        return Err("the source path is empty; expected a field name such as 'id'".to_string());
    }
    let mut segments = Vec::new();
    for part in path.split('.') {
        let part = part.replace(LITERAL_DOT, ".");
        let (name, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if name.is_empty() && rest.is_empty() {
            return Err(format!(
                "'{path}' has an empty field name; expected names separated by '.'"
            ));
        }
        if !name.is_empty() {
            segments.push(Segment::Field(name.to_string()));
        }
        while let Some(inside) = rest.strip_prefix('[') {
            let (index, after) = inside
                .split_once(']')
                .ok_or_else(|| format!("'{path}' has an unclosed '['"))?;
            let index = index
                .trim()
                .parse()
                .map_err(|_| format!("'{path}' has a non-numeric index '{index}'"))?;
            segments.push(Segment::Index(index));
            rest = after;
        }
        if !rest.is_empty() {
            return Err(format!(
                "'{path}' has '{rest}' after an index; expected '.' or '['"
            ));
        }
    }
    Ok(segments)
}

/// Follows `path` into `value`.
pub fn lookup<'v>(value: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, segment| match segment {
        Segment::Field(name) => value.get(name),
        Segment::Index(index) => value.get(*index),
    })
}

impl ColumnMapping {
    /// Reads and types this column from one source record.
    pub fn apply(&self, record: &Value) -> Result<AttributeValue, String> {
        self.convert(lookup(record, &self.source).cloned())
    }

    /// Types the value this column `found` at its source path, taking its
    /// text rather than copying it.
    pub fn convert(&self, found: Option<Value>) -> Result<AttributeValue, String> {
        let Some(value) = found.filter(|v| !v.is_null()) else {
            return Ok(AttributeValue::Absent);
        };
        let mismatch = |expected: &str, value: &Value| {
            format!("'{}' expected {expected}, got {value}", self.target)
        };
        let whole_number = |value: &Value| match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        Ok(match self.value_type {
            ValueType::Char => AttributeValue::Text(match value {
                Value::String(text) => text,
                other => text_of(&other),
            }),
            ValueType::Date => AttributeValue::Text(match (value, &self.date_format) {
                (Value::String(text), None) => text,
                (Value::String(text), Some(format)) => format
                    .write(read_date(&text).ok_or_else(|| mismatch("a date-time", &text.into()))?),
                (other, _) => return Err(mismatch("a date-time", &other)),
            }),
            ValueType::EpochDate => {
                let instant = whole_number(&value)
                    .and_then(read_epoch)
                    .ok_or_else(|| mismatch("seconds or milliseconds since the epoch", &value))?;
                AttributeValue::Text(match &self.date_format {
                    Some(format) => format.write(instant),
                    None => instant.to_rfc3339_opts(SecondsFormat::Secs, true),
                })
            }
            ValueType::Int => AttributeValue::Integer(
                whole_number(&value).ok_or_else(|| mismatch("a whole number", &value))?,
            ),
            ValueType::Bool => AttributeValue::Boolean(match &value {
                Value::Bool(b) => *b,
                Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return Err(mismatch("true or false", &value)),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str) -> Segment {
        Segment::Field(name.to_string())
    }

    #[test]
    fn paths_parse() {
        let cases: &[(&str, Vec<Segment>)] = &[
            ("id", vec![field("id")]),
            (
                "metadata.created_at",
                vec![field("metadata"), field("created_at")],
            ),
            (
                "emails[0].value",
                vec![field("emails"), Segment::Index(0), field("value")],
            ),
            ("a~dot#b.c", vec![field("a.b"), field("c")]),
            (
                "m[1][2]",
                vec![field("m"), Segment::Index(1), Segment::Index(2)],
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Ok(expected.clone()), parse_path(input), "{input}");
        }
        for bad in ["", "a..b", "a[", "a[x]", "a[0]b"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mappings_parse_types() {
        assert_eq!(
            ValueType::Char,
            parse_mapping("t", "id~#~char").unwrap().value_type
        );
        assert_eq!(
            ValueType::Int,
            parse_mapping("t", "n~#~int").unwrap().value_type
        );
        assert_eq!(
            ValueType::Bool,
            parse_mapping("t", "b~#~bool").unwrap().value_type
        );
        assert_eq!(
            ValueType::Date,
            parse_mapping("t", "d~#~date").unwrap().value_type
        );
        assert_eq!(
            ValueType::Char,
            parse_mapping("t", "id").unwrap().value_type
        );
        let error = parse_mapping("t", "id~#~float").unwrap_err();
        assert!(error.contains("unknown type 'float'"), "{error}");
    }

    #[test]
    fn values_are_read_and_typed() {
        let record = json!({
            "id": "u-1", "n": 3, "ns": "4", "b": true, "emails": [{"value": "a@b"}],
            "a.b": {"c": "dotted"}, "none": null,
        });
        let apply = |spec: &str| parse_mapping("t", spec).unwrap().apply(&record);
        assert_eq!(Ok(AttributeValue::Text("u-1".into())), apply("id~#~char"));
        assert_eq!(Ok(AttributeValue::Integer(3)), apply("n~#~int"));
        assert_eq!(Ok(AttributeValue::Integer(4)), apply("ns~#~int"));
        assert_eq!(Ok(AttributeValue::Boolean(true)), apply("b~#~bool"));
        assert_eq!(
            Ok(AttributeValue::Text("a@b".into())),
            apply("emails[0].value~#~char")
        );
        assert_eq!(
            Ok(AttributeValue::Text("dotted".into())),
            apply("a~dot#b.c~#~char")
        );
        assert_eq!(Ok(AttributeValue::Absent), apply("none~#~char"));
        assert_eq!(Ok(AttributeValue::Absent), apply("missing~#~char"));
        assert!(apply("id~#~int").is_err());
    }

    #[test]
    fn dates_are_written_in_the_date_format() {
        let record =
            json!({"at": "2023-11-14T22:13:20.5Z", "epoch": 1_700_000_000, "ms": "1700000000000"});
        let apply = |spec: &str, format: Option<&str>| {
            let mut column = parse_mapping("t", spec).unwrap();
            column.date_format = format.map(|f| DateFormat::parse(f).unwrap());
            column.apply(&record)
        };
        let text = |s: &str| Ok(AttributeValue::Text(s.to_string()));
        assert_eq!(text("2023-11-14T22:13:20.5Z"), apply("at~#~date", None));
        assert_eq!(
            text("14/11/2023 22:13"),
            apply("at~#~date", Some("dd/MM/yyyy HH:mm"))
        );
        assert_eq!(
            text("2023-11-14T22:13:20Z"),
            apply("epoch~#~epochdate", None)
        );
        assert_eq!(
            text("2023-11-14"),
            apply("ms~#~epochdate", Some("yyyy-MM-dd"))
        );
        let error = apply("epoch~#~date", Some("yyyy")).unwrap_err();
        assert!(error.contains("'t' expected a date-time"), "{error}");
    }
}
