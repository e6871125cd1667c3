//! The contract's records and attributes as JSON, as a host platform
//! exchanges them: an attribute value is `null`, a string, a number or a
//! boolean, and a record is one flat object.

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
/// type and link ids where they apply, then the attributes by name.
pub fn record_json(record: &Record) -> Map<String, Value> {
    let mut object = Map::new();
    let mut put = |name: &str, value: Value| {
        object.insert(name.to_string(), value);
    };
    let attributes: &[Attribute] = match record {
        Record::Account(account) => {
            put("record", "account".into());
            put("status", account.status.name().into());
            &account.attributes
        }
        Record::Entitlement(entitlement) => {
            put("record", "entitlement".into());
            put("status", entitlement.status.name().into());
            put("entType", entitlement.ent_type.clone().into());
            &entitlement.attributes
        }
        Record::Access(access) => {
            put("record", "access".into());
            put("status", access.status.name().into());
            put("accountID", access.account_id.clone().into());
            put("entType", access.ent_type.clone().into());
            put("entitlementID", access.entitlement_id.clone().into());
            &access.attributes
        }
    };
    object.extend(attributes_json(attributes));
    object
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
}
