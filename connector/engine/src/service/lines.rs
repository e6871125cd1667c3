//! The JSON the service answers with, in the shapes the CLI prints.
//!
//! An import answers with NDJSON, one object a line, as it reads (a line
//! with `record` is a record, whatever else it holds; look for it first):
//! - a record: `{"record": "account", "status": "active", …attributes}`, as
//!   the CLI's `--format ndjson` writes it;
//! - `{"progress": {"kind", "records", "pages"}}` after each page;
//! - `{"orphan": {…an access record}}` for a link whose account or
//!   entitlement is unknown;
//! - `{"state": "…"}`: the next piece of the new state. The pieces, joined
//!   in order, are the state to send with the next import;
//! - last, `{"finished": {…the summary}}`, or `{"error": {"status",
//!   "message"}}` when the run failed. Keep the state only after `finished`.

use serde::{Serialize, Serializer, ser::SerializeMap};
use serde_json::{Map, Value, json};

use super::Refusal;
use crate::describe::Descriptor;
use crate::error::ConnectorError;
use crate::import::events::Event;
use crate::model::{ImportSummary, KindCounts, Record, attributes_json};
use crate::provision::{Outcome, ProvisionOp, ProvisionResult};
use crate::target::ConnectionReport;

/// A record as one flat object: `record`, `status`, the entitlement type and
/// link ends where they apply, then the attributes by name. An attribute
/// named like one of those keys does not replace it, so a line with `record`
/// is always a record; an attribute given twice stands once, in its first
/// place, with its last value. It is written straight from the record, with
/// no object built in between.
#[derive(Debug, Clone, Copy)]
pub struct RecordJson<'a>(pub &'a Record);

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fixed: &[(&str, &str)] = match self.0 {
            Record::Account(account) => &[("record", "account"), ("status", account.status.name())],
            Record::Entitlement(entitlement) => &[
                ("record", "entitlement"),
                ("status", entitlement.status.name()),
                ("entType", &entitlement.ent_type),
            ],
            Record::Access(access) => &[
                ("record", "access"),
                ("status", access.status.name()),
                ("accountID", &access.account_id),
                ("entType", &access.ent_type),
                ("entitlementID", &access.entitlement_id),
            ],
        };
        let attributes = self.0.attributes();
        let mut object = serializer.serialize_map(None)?;
        for (name, text) in fixed {
            object.serialize_entry(name, text)?;
        }
        for (place, (name, _)) in attributes.iter().enumerate() {
            let named_before = fixed.iter().any(|(fixed, _)| fixed == name)
                || attributes[..place]
                    .iter()
                    .any(|(earlier, _)| earlier == name);
            if named_before {
                continue;
            }
            let last = attributes.iter().rev().find(|(other, _)| other == name);
            object.serialize_entry(name, &last.expect("an attribute finds itself").1)?;
        }
        object.end()
    }
}

/// An orphan's line.
#[derive(Serialize)]
struct OrphanLine<'a> {
    orphan: RecordJson<'a>,
}

/// Appends `value` to `out` as one line.
fn push_line(out: &mut String, value: &impl Serialize) {
    out.push_str(&serde_json::to_string(value).expect("a line is plain JSON"));
    out.push('\n');
}

/// Appends `event`'s lines to `out`.
pub fn write_event(out: &mut String, event: &Event) {
    match event {
        Event::Records(records) => {
            for record in records {
                push_line(out, &RecordJson(record));
            }
        }
        Event::Progress {
            kind,
            records,
            pages,
        } => push_line(
            out,
            &json!({"progress": {"kind": kind.as_str(), "records": records, "pages": pages}}),
        ),
        Event::Orphans(links) => {
            for link in links {
                let orphan = RecordJson(&Record::Access(link.clone()));
                push_line(out, &OrphanLine { orphan });
            }
        }
        Event::State(piece) => push_line(out, &json!({ "state": piece })),
    }
}

/// The last line of a successful import.
pub fn finished_line(summary: &ImportSummary) -> String {
    let counts = |c: &KindCounts| {
        json!({"present": c.present, "emitted": c.emitted, "created": c.created,
               "changed": c.changed, "gone": c.gone})
    };
    let finished = json!({"finished": {
        "accounts": counts(&summary.accounts),
        "entitlements": counts(&summary.entitlements),
        "access": counts(&summary.access),
        "pages": summary.pages,
        "orphans": summary.orphans,
    }});
    format!("{finished}\n")
}

/// The last line of a failed import.
pub fn failed_line(error: ConnectorError) -> String {
    format!("{}\n", Refusal::from(error).body())
}

/// The descriptor, as `confluent-connector describe` prints it.
pub fn descriptor_json(descriptor: &Descriptor) -> Value {
    json!({
        "name": descriptor.name,
        "version": descriptor.version,
        "operations": descriptor.operations.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "entitlementTypes": descriptor.entitlement_types,
        "accountAttributes": descriptor.account_attributes,
        "entitlementAttributes": descriptor.entitlement_attributes,
        "accessAttributes": descriptor.access_attributes,
    })
}

/// A connection report, as `confluent-connector check` prints it.
pub fn report_json(report: &ConnectionReport) -> Value {
    json!({"ok": true, "target": report.target, "details": attributes_json(&report.details)})
}

/// A provisioning result, as `confluent-connector provision` prints it.
pub fn result_json(operation: ProvisionOp, result: &ProvisionResult) -> Value {
    let calls: Vec<Value> = result
        .calls
        .iter()
        .map(|c| json!({"method": c.method, "url": c.url, "status": c.status, "durationMs": c.duration_ms}))
        .collect();
    let mut json = json!({
        "operation": operation.name(),
        "outcome": result.outcome.name(),
        "accountID": result.account_id,
        "attributes": attributes_json(&result.attributes),
        "calls": calls,
    });
    if result.outcome == Outcome::DryRun {
        let rendered = result.rendered.iter().map(|c| {
            let headers: Map<String, Value> = c
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
                .collect();
            json!({"method": c.method, "url": c.url, "headers": headers, "body": c.body})
        });
        json["rendered"] = rendered.collect();
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Access, Account, AttributeValue, ObjectKind, Status};

    fn account(id: &str) -> Record {
        Record::Account(Account {
            id: id.to_string(),
            status: Status::Suspended,
            attributes: vec![
                ("accountID".into(), AttributeValue::Text(id.into())),
                ("n".into(), AttributeValue::Integer(2)),
            ],
        })
    }

    fn lines(event: &Event) -> Vec<Value> {
        let mut out = String::new();
        write_event(&mut out, event);
        assert!(out.ends_with('\n'));
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn each_event_is_a_line_of_json_a_record_flat_as_the_cli_writes_it() {
        assert_eq!(
            vec![
                json!({"record": "account", "status": "suspended", "accountID": "u-1", "n": 2}),
                json!({"record": "account", "status": "suspended", "accountID": "u-2", "n": 2}),
            ],
            lines(&Event::Records(vec![account("u-1"), account("u-2")]))
        );
        let link = Access {
            id: "rb-1".into(),
            account_id: "u-9".into(),
            ent_type: "environment".into(),
            entitlement_id: "env-1".into(),
            status: Status::Active,
            attributes: vec![],
        };
        assert_eq!(
            vec![
                json!({"orphan": {"record": "access", "status": "active", "accountID": "u-9",
                "entType": "environment", "entitlementID": "env-1"}})
            ],
            lines(&Event::Orphans(vec![link]))
        );
        assert_eq!(
            vec![json!({"progress": {"kind": "access", "records": 3, "pages": 1}})],
            lines(&Event::Progress {
                kind: ObjectKind::Access,
                records: 3,
                pages: 1
            })
        );
        assert_eq!(
            vec![json!({"state": "#accounts\n=1\tx\n"})],
            lines(&Event::State("#accounts\n=1\tx\n".into()))
        );
    }

    #[test]
    fn an_attribute_cannot_pass_a_record_off_as_another_line() {
        let record = Record::Account(Account {
            id: "u-1".into(),
            status: Status::Active,
            attributes: vec![
                ("record".into(), AttributeValue::Text("state".into())),
                ("status".into(), AttributeValue::Text("gone".into())),
                ("state".into(), AttributeValue::Text("injected".into())),
            ],
        });
        let line = &lines(&Event::Records(vec![record]))[0];
        assert_eq!(
            ("account", "active"),
            (
                line["record"].as_str().unwrap(),
                line["status"].as_str().unwrap()
            )
        );
    }

    #[test]
    fn a_repeated_attribute_stands_once_with_its_last_value_in_its_first_place() {
        let text = |text: &str| AttributeValue::Text(text.into());
        let record = Record::Account(Account {
            id: "u-1".into(),
            status: Status::Active,
            attributes: vec![
                ("a".into(), text("1")),
                ("b".into(), AttributeValue::Integer(2)),
                ("a".into(), text("3")),
                ("c".into(), AttributeValue::Absent),
            ],
        });
        let mut out = String::new();
        write_event(&mut out, &Event::Records(vec![record]));
        assert_eq!(
            "{\"record\":\"account\",\"status\":\"active\",\"a\":\"3\",\"b\":2,\"c\":null}\n",
            out
        );
    }

    #[test]
    fn a_run_ends_in_finished_or_in_an_error_naming_its_status() {
        let mut summary = ImportSummary::default();
        summary.accounts.present = 7;
        let finished: Value = serde_json::from_str(&finished_line(&summary)).unwrap();
        assert_eq!(7, finished["finished"]["accounts"]["present"]);
        let failed = failed_line(ConnectorError::AuthFailed("401 from the target".into()));
        let failed: Value = serde_json::from_str(&failed).unwrap();
        assert_eq!(401, failed["error"]["status"]);
    }
}
