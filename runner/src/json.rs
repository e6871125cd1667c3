//! The contract's records and attributes as JSON, as a host platform
//! exchanges them: an attribute value is `null`, a string, a number or a
//! boolean, and a record is one flat object.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::bindings::types::{Attribute, AttributeValue, Record};

impl From<&AttributeValue> for Value {
    fn from(value: &AttributeValue) -> Self {
        match value {
            AttributeValue::Absent => Self::Null,
            AttributeValue::Text(text) => Self::String(text.clone()),
            AttributeValue::Integer(integer) => Self::from(*integer),
            AttributeValue::Boolean(boolean) => Self::Bool(*boolean),
        }
    }
}

/// A JSON object or list, which no attribute value can hold.
#[derive(Debug, thiserror::Error)]
#[error("an object or a list is not an attribute value")]
pub struct NotAnAttributeValue;

impl TryFrom<&Value> for AttributeValue {
    type Error = NotAnAttributeValue;

    /// `null` is absent; a number that is not a 64-bit integer is kept as
    /// its text.
    fn try_from(value: &Value) -> Result<Self, Self::Error> {
        Ok(match value {
            Value::Null => Self::Absent,
            Value::String(text) => Self::Text(text.clone()),
            Value::Bool(boolean) => Self::Boolean(*boolean),
            Value::Number(number) => match number.as_i64() {
                Some(integer) => Self::Integer(integer),
                None => Self::Text(number.to_string()),
            },
            Value::Array(_) | Value::Object(_) => return Err(NotAnAttributeValue),
        })
    }
}

/// Attributes as a JSON object, by name.
pub fn attributes_json(attributes: &[Attribute]) -> Map<String, Value> {
    attributes
        .iter()
        .map(|a| (a.name.clone(), Value::from(&a.value)))
        .collect()
}

/// A record as one flat JSON object: `record`, `status`, the entitlement
/// type and link ids where they apply, then the attributes by name. An
/// attribute named like one of those keys does not replace it, so a line
/// with `record` is always a record; an attribute given twice stands once,
/// in its first place, with its last value. It is written straight from the
/// record, with no object built in between.
#[derive(Debug, Clone, Copy)]
pub struct RecordJson<'a>(pub &'a Record);

impl Serialize for AttributeValue {
    /// As JSON: `null`, a string, a number or a boolean.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AttributeValue::Absent => serializer.serialize_unit(),
            AttributeValue::Text(text) => serializer.serialize_str(text),
            AttributeValue::Integer(integer) => serializer.serialize_i64(*integer),
            AttributeValue::Boolean(boolean) => serializer.serialize_bool(*boolean),
        }
    }
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (fixed, attributes): (&[(&str, &str)], &[Attribute]) = match self.0 {
            Record::Account(account) => (
                &[("record", "account"), ("status", account.status.name())],
                &account.attributes,
            ),
            Record::Entitlement(entitlement) => (
                &[
                    ("record", "entitlement"),
                    ("status", entitlement.status.name()),
                    ("entType", &entitlement.ent_type),
                ],
                &entitlement.attributes,
            ),
            Record::Access(access) => (
                &[
                    ("record", "access"),
                    ("status", access.status.name()),
                    ("accountID", &access.account_id),
                    ("entType", &access.ent_type),
                    ("entitlementID", &access.entitlement_id),
                ],
                &access.attributes,
            ),
        };
        let mut object = serializer.serialize_map(None)?;
        for (name, text) in fixed {
            object.serialize_entry(name, text)?;
        }
        for (place, attribute) in attributes.iter().enumerate() {
            let name = &attribute.name;
            let named_before = fixed.iter().any(|(fixed, _)| fixed == name)
                || attributes[..place]
                    .iter()
                    .any(|earlier| earlier.name == *name);
            if named_before {
                continue;
            }
            let last = attributes.iter().rev().find(|other| other.name == *name);
            object.serialize_entry(name, &last.expect("an attribute finds itself").value)?;
        }
        object.end()
    }
}

/// A record as a JSON object, as [`RecordJson`] writes it.
pub fn record_json(record: &Record) -> Map<String, Value> {
    match serde_json::to_value(RecordJson(record)) {
        Ok(Value::Object(object)) => object,
        _ => unreachable!("a record is written as a JSON object"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn scalars_go_both_ways_and_objects_and_lists_are_refused() {
        for (json, value) in [
            (json!(null), AttributeValue::Absent),
            (json!("a"), AttributeValue::Text("a".into())),
            (json!(-3), AttributeValue::Integer(-3)),
            (json!(true), AttributeValue::Boolean(true)),
        ] {
            assert_eq!(json, Value::from(&value));
            let read = AttributeValue::try_from(&json).unwrap();
            assert_eq!(json, Value::from(&read));
        }
        let big = json!(1.5);
        assert!(matches!(
            AttributeValue::try_from(&big),
            Ok(AttributeValue::Text(t)) if t == "1.5"
        ));
        assert!(AttributeValue::try_from(&json!([1])).is_err());
        assert!(AttributeValue::try_from(&json!({"a": 1})).is_err());
    }

    fn attribute(name: &str, value: AttributeValue) -> Attribute {
        Attribute {
            name: name.to_string(),
            value,
        }
    }

    #[test]
    fn a_record_keeps_its_own_keys_and_each_attribute_once_its_last_value_in_its_first_place() {
        use crate::bindings::types::{Access, Status};
        let record = Record::Access(Access {
            id: "rb-1".into(),
            account_id: "u-1".into(),
            ent_type: "environment".into(),
            entitlement_id: "env-1".into(),
            status: Status::Active,
            attributes: vec![
                attribute("role", AttributeValue::Text("A".into())),
                attribute("status", AttributeValue::Text("odd".into())),
                attribute("count", AttributeValue::Integer(-2)),
                attribute("role", AttributeValue::Text("B".into())),
                attribute("gone", AttributeValue::Absent),
                attribute("ok", AttributeValue::Boolean(true)),
            ],
        });
        let written = serde_json::to_string(&RecordJson(&record)).unwrap();
        assert_eq!(
            r#"{"record":"access","status":"active","accountID":"u-1","entType":"environment","entitlementID":"env-1","role":"B","count":-2,"gone":null,"ok":true}"#,
            written
        );
        // The object form has the same names, values and order.
        let object = Value::Object(record_json(&record));
        assert_eq!(written, object.to_string());
    }
}
