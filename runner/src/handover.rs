//! Caps on one value the guest hands the host: an import event (a batch of
//! records or orphans), a provisioning result or a connection report.
//!
//! wasmtime copies a value out of the guest before the host can look at it,
//! so these caps do not stop that copy: the guest's memory cap bounds it, as
//! no value is much larger in the host than in the memory it came from. What
//! they stop is the host keeping, writing out and passing on a value far
//! larger than any connector sends: the operation fails as
//! [`RunError::Misbehaved`], saying what was too large and the cap.

use crate::bindings::types::{
    Access, Attribute, AttributeValue, ConnectionReport, ProvisionResult, Record,
};
use crate::error::RunError;

/// The most records (or orphans) one import event may carry: a hundred of
/// the largest page an API serves (1000 role bindings), where a connector
/// hands over a page or so at a time.
pub const MAX_BATCH_ITEMS: usize = 100_000;

/// The most text (names, values, ids) one value may carry, in bytes: twice
/// the largest response body the guest may read
/// ([`crate::Limits::max_response_bytes`] defaults to 32 MiB), as one page
/// cannot make much more text than it held.
pub const MAX_VALUE_TEXT_BYTES: usize = 64 << 20;

/// Checks a value of `items` items holding `text` bytes of text against
/// the caps; `what` names it in the error.
fn check(what: &str, items: usize, text: usize) -> Result<(), RunError> {
    if items > MAX_BATCH_ITEMS {
        return Err(RunError::Misbehaved(format!(
            "{what} holds {items} items; the host takes at most {MAX_BATCH_ITEMS} at once"
        )));
    }
    if text > MAX_VALUE_TEXT_BYTES {
        return Err(RunError::Misbehaved(format!(
            "{what} holds {text} bytes of text; the host takes at most {MAX_VALUE_TEXT_BYTES} \
             at once"
        )));
    }
    Ok(())
}

/// Checks one batch of an import's records.
pub(crate) fn check_records(batch: &[Record]) -> Result<(), RunError> {
    let text = batch.iter().map(record_text).sum();
    check("a batch of records", batch.len(), text)
}

/// Checks one batch of an import's orphaned access links.
pub(crate) fn check_orphans(batch: &[Access]) -> Result<(), RunError> {
    let text = batch.iter().map(access_text).sum();
    check("a batch of orphans", batch.len(), text)
}

/// Checks a provisioning result.
pub(crate) fn check_provision_result(result: &ProvisionResult) -> Result<(), RunError> {
    let calls = result
        .calls
        .iter()
        .map(|c| c.method.len() + c.url.len())
        .sum::<usize>();
    let rendered = result
        .rendered
        .iter()
        .map(|r| {
            let headers = r.headers.iter().map(|(n, v)| n.len() + v.len());
            r.method.len()
                + r.url.len()
                + headers.sum::<usize>()
                + r.body.as_ref().map_or(0, String::len)
        })
        .sum::<usize>();
    let text = result.account_id.as_ref().map_or(0, String::len)
        + attributes_text(&result.attributes)
        + calls
        + rendered;
    let items = result.attributes.len() + result.calls.len() + result.rendered.len();
    check("the provisioning result", items, text)
}

/// Checks a connection report.
pub(crate) fn check_connection_report(report: &ConnectionReport) -> Result<(), RunError> {
    let text = report.target.len() + attributes_text(&report.details);
    check("the connection report", report.details.len(), text)
}

fn record_text(record: &Record) -> usize {
    match record {
        Record::Account(a) => a.id.len() + attributes_text(&a.attributes),
        Record::Entitlement(e) => e.ent_type.len() + e.id.len() + attributes_text(&e.attributes),
        Record::Access(a) => access_text(a),
    }
}

fn access_text(access: &Access) -> usize {
    access.id.len()
        + access.account_id.len()
        + access.ent_type.len()
        + access.entitlement_id.len()
        + attributes_text(&access.attributes)
}

fn attributes_text(attributes: &[Attribute]) -> usize {
    attributes
        .iter()
        .map(|a| {
            a.name.len()
                + match &a.value {
                    AttributeValue::Text(text) => text.len(),
                    _ => 8,
                }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::types::{Account, Status};

    fn account(id: String) -> Record {
        Record::Account(Account {
            id,
            status: Status::Active,
            attributes: Vec::new(),
        })
    }

    #[test]
    fn a_batch_past_either_cap_is_refused_saying_which() {
        let page: Vec<Record> = (0..1000).map(|i| account(format!("u-{i}"))).collect();
        assert!(check_records(&page).is_ok());
        let many = vec![account(String::new()); MAX_BATCH_ITEMS + 1];
        let error = check_records(&many).unwrap_err().to_string();
        assert!(
            error.contains("100001 items") && error.contains("at most 100000"),
            "{error}"
        );
        let huge = [account("x".repeat(MAX_VALUE_TEXT_BYTES + 1))];
        let error = check_records(&huge).unwrap_err().to_string();
        assert!(error.contains("bytes of text"), "{error}");
    }
}
