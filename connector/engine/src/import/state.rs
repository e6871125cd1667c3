//! The import state: a snapshot of what the last successful import returned,
//! so the next one can tell what was created, changed or has gone.
//!
//! The host stores it as an opaque JSON text and hands it back; only the
//! connector reads it. Each kind's section is present once that kind has been
//! imported, so a snapshot can say "no accounts" apart from "accounts never
//! imported".

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::ConnectorError;
use crate::model::{
    Access, Account, AttributeValue, Attributes, Entitlement, ObjectKind, Record, Status,
};

/// The version of the state format this connector reads and writes.
pub const STATE_FORMAT: u32 = 1;

/// A record's identity within its kind: (entitlement type or empty, id).
pub type RecordKey = (String, String);

/// One kind's records, by key, in the order the target returned them.
pub type Section = IndexMap<RecordKey, Record>;

/// What the last successful import returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    base_url: String,
    sections: BTreeMap<ObjectKind, Section>,
}

impl Snapshot {
    /// An empty snapshot for the target at `base_url`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_string(),
            sections: BTreeMap::new(),
        }
    }

    /// Reads a snapshot an earlier import of the target at `base_url` wrote.
    /// A text that is not one, or that belongs to another target, is an
    /// error: never a silent fresh start.
    pub fn parse(text: &str, base_url: &str) -> Result<Self, ConnectorError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let stored: StoredState = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let at = e.path().to_string();
            let at = if at == "." {
                String::new()
            } else {
                format!(" at {at}")
            };
            ConnectorError::InvalidState(format!("the state is corrupt{at}: {}", e.inner()))
        })?;
        if stored.format != STATE_FORMAT {
            return Err(ConnectorError::InvalidState(format!(
                "the state has format {}; this connector reads format {STATE_FORMAT}",
                stored.format
            )));
        }
        if stored.base_url != base_url {
            return Err(ConnectorError::InvalidState(format!(
                "the state belongs to {}, not {base_url}",
                stored.base_url
            )));
        }
        Ok(stored.into_snapshot())
    }

    /// The snapshot as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&StoredState::from_snapshot(self))
            .expect("a snapshot is plain JSON data")
    }

    /// The records of `kind`, if that kind has been imported.
    pub fn section(&self, kind: ObjectKind) -> Option<&Section> {
        self.sections.get(&kind)
    }

    /// Replaces the records of `kind`.
    pub fn set_section(&mut self, kind: ObjectKind, section: Section) {
        self.sections.insert(kind, section);
    }
}

/// The JSON shape of a snapshot.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredState {
    format: u32,
    base_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    accounts: Option<IndexMap<String, StoredAttributes>>,
    /// By entitlement type, then id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    entitlements: Option<IndexMap<String, IndexMap<String, StoredAttributes>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access: Option<IndexMap<String, StoredAccess>>,
}

type StoredAttributes = IndexMap<String, AttributeValue>;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredAccess {
    account_id: String,
    ent_type: String,
    entitlement_id: String,
    attributes: StoredAttributes,
}

fn stored(attributes: &Attributes) -> StoredAttributes {
    attributes.iter().cloned().collect()
}

fn unstored(attributes: StoredAttributes) -> Attributes {
    attributes.into_iter().collect()
}

impl StoredState {
    fn from_snapshot(snapshot: &Snapshot) -> Self {
        let records = |kind| snapshot.section(kind).map(|s| s.values());
        Self {
            format: STATE_FORMAT,
            base_url: snapshot.base_url.clone(),
            accounts: records(ObjectKind::Accounts).map(|records| {
                records
                    .filter_map(|r| match r {
                        Record::Account(a) => Some((a.id.clone(), stored(&a.attributes))),
                        _ => None,
                    })
                    .collect()
            }),
            entitlements: records(ObjectKind::Entitlements).map(|records| {
                let mut by_type: IndexMap<String, IndexMap<String, StoredAttributes>> =
                    IndexMap::new();
                for record in records {
                    if let Record::Entitlement(e) = record {
                        by_type
                            .entry(e.ent_type.clone())
                            .or_default()
                            .insert(e.id.clone(), stored(&e.attributes));
                    }
                }
                by_type
            }),
            access: records(ObjectKind::Access).map(|records| {
                records
                    .filter_map(|r| match r {
                        Record::Access(a) => Some((
                            a.id.clone(),
                            StoredAccess {
                                account_id: a.account_id.clone(),
                                ent_type: a.ent_type.clone(),
                                entitlement_id: a.entitlement_id.clone(),
                                attributes: stored(&a.attributes),
                            },
                        )),
                        _ => None,
                    })
                    .collect()
            }),
        }
    }

    fn into_snapshot(self) -> Snapshot {
        let mut snapshot = Snapshot::new(&self.base_url);
        let section = |records: Vec<Record>| records.into_iter().map(|r| (r.key(), r)).collect();
        if let Some(accounts) = self.accounts {
            let records = accounts
                .into_iter()
                .map(|(id, attributes)| {
                    Record::Account(Account {
                        id,
                        status: Status::Active,
                        attributes: unstored(attributes),
                    })
                })
                .collect();
            snapshot.set_section(ObjectKind::Accounts, section(records));
        }
        if let Some(entitlements) = self.entitlements {
            let records = entitlements
                .into_iter()
                .flat_map(|(ent_type, by_id)| {
                    by_id.into_iter().map(move |(id, attributes)| {
                        Record::Entitlement(Entitlement {
                            ent_type: ent_type.clone(),
                            id,
                            status: Status::Active,
                            attributes: unstored(attributes),
                        })
                    })
                })
                .collect();
            snapshot.set_section(ObjectKind::Entitlements, section(records));
        }
        if let Some(access) = self.access {
            let records = access
                .into_iter()
                .map(|(id, link)| {
                    Record::Access(Access {
                        id,
                        account_id: link.account_id,
                        ent_type: link.ent_type,
                        entitlement_id: link.entitlement_id,
                        status: Status::Active,
                        attributes: unstored(link.attributes),
                    })
                })
                .collect();
            snapshot.set_section(ObjectKind::Access, section(records));
        }
        snapshot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://sim:1";

    fn sample() -> Snapshot {
        let mut snapshot = Snapshot::new(BASE);
        let account = Record::Account(Account {
            id: "u-1".into(),
            status: Status::Active,
            attributes: vec![
                ("accountID".into(), AttributeValue::Text("u-1".into())),
                ("age".into(), AttributeValue::Integer(3)),
                ("on".into(), AttributeValue::Boolean(true)),
                ("gone".into(), AttributeValue::Absent),
            ],
        });
        snapshot.set_section(
            ObjectKind::Accounts,
            [(account.key(), account)].into_iter().collect(),
        );
        let link = Record::Access(Access {
            id: "rb-1".into(),
            account_id: "u-1".into(),
            ent_type: "environment".into(),
            entitlement_id: "env-1".into(),
            status: Status::Active,
            attributes: vec![("role_name".into(), AttributeValue::Text("R".into()))],
        });
        snapshot.set_section(
            ObjectKind::Access,
            [(link.key(), link)].into_iter().collect(),
        );
        snapshot
    }

    #[test]
    fn a_snapshot_round_trips_with_its_attribute_types() {
        let snapshot = sample();
        let text = snapshot.to_json();
        assert_eq!(snapshot, Snapshot::parse(&text, BASE).unwrap());
        assert!(text.contains(r#""age":3,"on":true,"gone":null"#), "{text}");
        assert_eq!(
            None,
            Snapshot::parse(&text, BASE)
                .unwrap()
                .section(ObjectKind::Entitlements)
        );
    }

    #[test]
    fn a_corrupt_state_is_an_error_that_says_where() {
        let error = Snapshot::parse("{\"format\":1,\"base_url\":", BASE).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("invalid state: the state is corrupt"),
            "{error}"
        );
        let text = sample().to_json().replace(r#""age":3"#, r#""age":[3]"#);
        let error = Snapshot::parse(&text, BASE).unwrap_err().to_string();
        assert!(error.contains("at accounts.u-1.age"), "{error}");
    }

    #[test]
    fn a_state_of_another_target_or_format_is_refused() {
        let text = sample().to_json();
        let error = Snapshot::parse(&text, "http://other:2")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("belongs to http://sim:1, not http://other:2"),
            "{error}"
        );
        let error = Snapshot::parse(&text.replace("\"format\":1", "\"format\":9"), BASE)
            .unwrap_err()
            .to_string();
        assert!(error.contains("format 9"), "{error}");
    }
}
