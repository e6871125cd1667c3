//! `colsToPropsMap` over arbitrary JSON: one mapping entry, a `dateFormat`
//! and a record, and also every entry of the seed's import document over
//! the same record.
//!
//! The input is three parts: the entry (`path~#~type`) on the first line,
//! the `dateFormat` pattern (or nothing) on the second, and the record's
//! JSON. Properties: nothing panics (a pattern is compiled and then used to
//! write dates); a column is absent exactly when the record has nothing (or
//! `null`) at its path; a value has its column's type; a `char` column is
//! the value's text and an `int` column holding a whole JSON number is that
//! number.

use std::sync::LazyLock;

use connector_engine::AttributeValue;
use connector_engine::confluent::DEFAULT_DOCUMENTS;
use connector_engine::dialect::dates::DateFormat;
use connector_engine::dialect::expr::text_of;
use connector_engine::dialect::mapping::{ColumnMapping, ValueType, lookup, parse_mapping};
use serde_json::Value;

use crate::first_line;

/// Maps the record in `data` through the entry and pattern it starts with.
pub fn check(data: &[u8]) {
    let (spec, rest) = first_line(data);
    let (pattern, record) = first_line(rest);
    let (Ok(spec), Ok(pattern)) = (std::str::from_utf8(spec), std::str::from_utf8(pattern)) else {
        return;
    };
    let Ok(record) = serde_json::from_slice::<Value>(record) else {
        return;
    };
    let date_format = match pattern {
        "" => None,
        pattern => DateFormat::parse(pattern).ok(),
    };
    if let Ok(mut column) = parse_mapping("fuzzed", spec) {
        column.date_format = date_format.clone();
        apply(&column, &record);
    }
    for column in SEED_COLUMNS.iter() {
        let column = ColumnMapping {
            date_format: date_format.clone(),
            ..column.clone()
        };
        apply(&column, &record);
    }
}

/// Applies `column` to `record` and checks what it gave.
fn apply(column: &ColumnMapping, record: &Value) {
    let found = lookup(record, &column.source).filter(|value| !value.is_null());
    let Ok(mapped) = column.apply(record) else {
        assert!(found.is_some(), "only a value can have the wrong type");
        return;
    };
    let Some(value) = found else {
        assert_eq!(AttributeValue::Absent, mapped);
        return;
    };
    match (column.value_type, &mapped) {
        (ValueType::Char, AttributeValue::Text(text)) => assert_eq!(&text_of(value), text),
        (ValueType::Int, AttributeValue::Integer(n)) => {
            if let Some(whole) = value.as_i64() {
                assert_eq!(whole, *n);
            }
        }
        (ValueType::Bool, AttributeValue::Boolean(_)) => {}
        (ValueType::Date | ValueType::EpochDate, AttributeValue::Text(_)) => {}
        (value_type, mapped) => panic!("a {value_type:?} column gave {mapped:?}"),
    }
}

/// Every `colsToPropsMap` entry of the seed's import document.
static SEED_COLUMNS: LazyLock<Vec<ColumnMapping>> = LazyLock::new(|| {
    let (_, text) = DEFAULT_DOCUMENTS
        .iter()
        .find(|(name, _)| *name == "ImportAccountEntJSON")
        .expect("the seed has an import document");
    let mut columns = Vec::new();
    collect(&serde_json::from_str(text).unwrap(), &mut columns);
    assert!(!columns.is_empty());
    columns
});

/// The entries of each `colsToPropsMap` object inside `value`.
fn collect(value: &Value, out: &mut Vec<ColumnMapping>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                match (key.as_str(), member) {
                    ("colsToPropsMap", Value::Object(map)) => {
                        out.extend(map.iter().filter_map(|(target, spec)| {
                            parse_mapping(target, spec.as_str()?).ok()
                        }));
                    }
                    _ => collect(member, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
        _ => {}
    }
}
