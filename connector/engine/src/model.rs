//! The records an import produces, mirroring the WIT `types` interface.

use serde::{Deserialize, Serialize};

/// One attribute value, typed by the mapping (`~#~char`, `~#~int`, …). In
/// JSON it is `null`, a string, a number or a boolean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// The source field was absent or null.
    Absent,
    /// `char`, `date` and `epochdate` values.
    Text(String),
    /// `int` values.
    Integer(i64),
    /// `bool` values.
    Boolean(bool),
}

impl From<&AttributeValue> for serde_json::Value {
    /// The value as JSON: `null`, a string, a number or a boolean.
    fn from(value: &AttributeValue) -> Self {
        match value {
            AttributeValue::Absent => Self::Null,
            AttributeValue::Text(text) => Self::String(text.clone()),
            AttributeValue::Integer(integer) => Self::from(*integer),
            AttributeValue::Boolean(boolean) => Self::Bool(*boolean),
        }
    }
}

impl AttributeValue {
    /// A host's JSON value as an attribute value: `null` is absent, and a
    /// number that is not a 64-bit integer is kept as its text; `None` for
    /// an object or a list, which no attribute value can hold.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        use serde_json::Value;
        Some(match value {
            Value::Null => Self::Absent,
            Value::String(text) => Self::Text(text.clone()),
            Value::Bool(boolean) => Self::Boolean(*boolean),
            Value::Number(number) => match number.as_i64() {
                Some(integer) => Self::Integer(integer),
                None => Self::Text(number.to_string()),
            },
            Value::Array(_) | Value::Object(_) => return None,
        })
    }
}

/// Named attribute values, in mapping order.
pub type Attributes = Vec<(String, AttributeValue)>;

/// `attributes` as a JSON object, each value as [`serde_json::Value`] has it.
pub fn attributes_json(attributes: &Attributes) -> serde_json::Map<String, serde_json::Value> {
    let field = |(name, value): &(String, AttributeValue)| (name.clone(), value.into());
    attributes.iter().map(field).collect()
}

/// Where an object stands after an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Present in the target system.
    Active,
    /// An account that disappeared.
    Suspended,
    /// An entitlement that disappeared.
    Inactive,
    /// An access link that disappeared.
    Removed,
}

impl Status {
    /// The status's name, as the WIT spells it.
    pub fn name(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Inactive => "inactive",
            Status::Removed => "removed",
        }
    }
}

/// A user or service account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The value of the document's `keyField`.
    pub id: String,
    /// Its status.
    pub status: Status,
    /// Mapped attributes.
    pub attributes: Attributes,
}

/// An organization, an environment, or another entitlement type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    /// The `entTypes` key, such as `environment`.
    pub ent_type: String,
    /// The value of the type's `keyField`.
    pub id: String,
    /// Its status.
    pub status: Status,
    /// Mapped attributes.
    pub attributes: Attributes,
}

/// A link between an account and an entitlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The link's own id in the target, such as a role binding's id.
    pub id: String,
    /// The account's id.
    pub account_id: String,
    /// The entitlement's type.
    pub ent_type: String,
    /// The entitlement's id.
    pub entitlement_id: String,
    /// Its status.
    pub status: Status,
    /// Attributes of the link, such as the role.
    pub attributes: Attributes,
}

/// One imported object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An account.
    Account(Account),
    /// An entitlement.
    Entitlement(Entitlement),
    /// An access link.
    Access(Access),
}

impl Record {
    /// What the record is.
    pub fn kind(&self) -> ObjectKind {
        match self {
            Record::Account(_) => ObjectKind::Accounts,
            Record::Entitlement(_) => ObjectKind::Entitlements,
            Record::Access(_) => ObjectKind::Access,
        }
    }

    /// The record's identity within its kind: the entitlement type (empty
    /// for the other kinds) and the id.
    pub fn key(&self) -> (&str, &str) {
        match self {
            Record::Account(a) => ("", &a.id),
            Record::Entitlement(e) => (&e.ent_type, &e.id),
            Record::Access(a) => ("", &a.id),
        }
    }

    /// The mapped attributes.
    pub fn attributes(&self) -> &Attributes {
        match self {
            Record::Account(a) => &a.attributes,
            Record::Entitlement(e) => &e.attributes,
            Record::Access(a) => &a.attributes,
        }
    }

    /// The same record with another status.
    pub fn with_status(mut self, status: Status) -> Self {
        match &mut self {
            Record::Account(a) => a.status = status,
            Record::Entitlement(e) => e.status = status,
            Record::Access(a) => a.status = status,
        }
        self
    }
}

/// Which objects an import brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// Users and service accounts.
    Accounts,
    /// Organizations and environments.
    Entitlements,
    /// Role bindings.
    Access,
}

impl ObjectKind {
    /// Every kind, in the order an import runs them.
    pub const ALL: [Self; 3] = [Self::Accounts, Self::Entitlements, Self::Access];

    /// The kind's name, as the WIT spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Accounts => "accounts",
            ObjectKind::Entitlements => "entitlements",
            ObjectKind::Access => "access",
        }
    }
}

/// What one import is asked to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportRequest {
    /// The kinds to import; they run accounts, then entitlements, then access.
    pub kinds: Vec<ObjectKind>,
    /// Emit only what changed since the state the import starts from.
    pub incremental: bool,
}

/// How one kind of object fared in an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCounts {
    /// Records the target returned.
    pub present: u64,
    /// Records emitted: present ones (all in a full import, only created
    /// and changed ones in an incremental one) and gone ones.
    pub emitted: u64,
    /// Present records the state did not have.
    pub created: u64,
    /// Present records whose attributes differ from the state's.
    pub changed: u64,
    /// Records of the state the target no longer returns, emitted as
    /// suspended, inactive or removed.
    pub gone: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Users and service accounts.
    pub accounts: KindCounts,
    /// Organizations and environments.
    pub entitlements: KindCounts,
    /// Access links.
    pub access: KindCounts,
    /// HTTP responses read.
    pub pages: u64,
    /// Access links whose account or entitlement is unknown. They are
    /// handed to [`RecordSink::orphans`], not emitted.
    pub orphans: u64,
}

impl ImportSummary {
    /// The counts of `kind`.
    pub fn counts_mut(&mut self, kind: ObjectKind) -> &mut KindCounts {
        match kind {
            ObjectKind::Accounts => &mut self.accounts,
            ObjectKind::Entitlements => &mut self.entitlements,
            ObjectKind::Access => &mut self.access,
        }
    }
}

/// Where imported records go, in bounded batches.
pub trait RecordSink {
    /// Accepts one batch; an error stops the import.
    fn emit(&mut self, batch: Vec<Record>) -> Result<(), String>;

    /// Accepts access links found orphaned; an error stops the import.
    fn orphans(&mut self, links: Vec<Access>) -> Result<(), String>;

    /// Accepts the next piece of the new state, once every record is out.
    /// The host keeps it only if the import then succeeds.
    fn state(&mut self, chunk: String) -> Result<(), String>;

    /// Hears how far an import has come: records the target returned and
    /// pages read so far for `kind`.
    fn progress(&mut self, kind: ObjectKind, records: u64, pages: u64) {
        let _ = (kind, records, pages);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn a_value_as_json_is_what_it_serializes_to() {
        for value in [
            AttributeValue::Absent,
            AttributeValue::Text("a \"b\"".into()),
            AttributeValue::Integer(-3),
            AttributeValue::Boolean(true),
        ] {
            assert_eq!(serde_json::to_value(&value).unwrap(), Value::from(&value));
            assert_eq!(
                Some(&value),
                AttributeValue::from_json(&Value::from(&value)).as_ref()
            );
        }
    }

    #[test]
    fn a_json_value_reads_as_an_attribute_unless_it_is_an_object_or_a_list() {
        let read = |json: Value| AttributeValue::from_json(&json);
        assert_eq!(
            Some(AttributeValue::Text("1.5".into())),
            read(serde_json::json!(1.5))
        );
        assert_eq!(None, read(serde_json::json!([1])));
        assert_eq!(None, read(serde_json::json!({"a": 1})));
    }
}
