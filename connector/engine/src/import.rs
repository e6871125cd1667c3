//! Import: runs the document's calls, walks their pages, maps each record
//! and streams the results to the sink one page at a time.

use serde_json::Value;

use crate::documents::Config;
use crate::error::ConnectorError;
use crate::http::{HttpRequest, RetryPolicy, Transport, send_idempotent};
use crate::import_doc::CallPlan;
use crate::mapping::lookup;
use crate::model::{
    Account, AttributeValue, Attributes, Entitlement, ImportSummary, ObjectKind, Record,
    RecordSink, Status,
};
use crate::pagination::{PageWalker, with_largest_page_size};
use crate::template::{Bindings, verbatim};

/// Imports one kind of object, streaming records to `sink`.
pub async fn import<T: Transport>(
    transport: &T,
    config: &Config,
    kind: ObjectKind,
    sink: &mut dyn RecordSink,
) -> Result<ImportSummary, ConnectorError> {
    let mut run = ImportRun {
        transport,
        config,
        sink,
        summary: ImportSummary::default(),
        retry: RetryPolicy::default(),
    };
    match kind {
        ObjectKind::Accounts => {
            for call in &config.import.account_calls {
                run.walk(call, &|id, attributes| {
                    Record::Account(Account {
                        id,
                        status: Status::Active,
                        attributes,
                    })
                })
                .await?;
            }
        }
        ObjectKind::Entitlements => {
            for ent_type in &config.import.ent_types {
                for call in &ent_type.calls {
                    run.walk(call, &|id, attributes| {
                        Record::Entitlement(Entitlement {
                            ent_type: ent_type.name.clone(),
                            id,
                            status: Status::Active,
                            attributes,
                        })
                    })
                    .await?;
                }
            }
        }
        ObjectKind::Access => {
            return Err(ConnectorError::Unsupported(
                "access import (role bindings) is not built yet".into(),
            ));
        }
    }
    Ok(run.summary)
}

struct ImportRun<'a, T> {
    transport: &'a T,
    config: &'a Config,
    sink: &'a mut dyn RecordSink,
    summary: ImportSummary,
    retry: RetryPolicy,
}

impl<T: Transport> ImportRun<'_, T> {
    /// Fetches every page of one call and emits its records.
    async fn walk(
        &mut self,
        call: &CallPlan,
        make: &dyn Fn(String, Attributes) -> Record,
    ) -> Result<(), ConnectorError> {
        let bindings = Bindings::default();
        let config_error = |e: String| ConnectorError::Config(format!("{}: {e}", call.path));
        let url = self
            .config
            .resolve_url(&call.url.render(&bindings, verbatim).map_err(config_error)?);
        let mut url = with_largest_page_size(&url, &self.config.origin());
        let headers = call
            .headers
            .iter()
            .map(|(name, value)| {
                Ok((
                    name.clone(),
                    value.render(&bindings, verbatim).map_err(config_error)?,
                ))
            })
            .collect::<Result<Vec<_>, ConnectorError>>()?;
        let mut walker = PageWalker::new(&url)?;
        loop {
            let response = send_idempotent(
                self.transport,
                &self.retry,
                HttpRequest::get(&url, headers.clone()),
            )
            .await?;
            self.summary.pages += 1;
            let body: Value = serde_json::from_slice(&response.body).map_err(|e| {
                ConnectorError::InvalidResponse(format!("GET {url}: the body is not JSON: {e}"))
            })?;
            let batch = map_page(call, &url, &body, make)?;
            for record in &batch {
                match record {
                    Record::Account(_) => self.summary.accounts += 1,
                    Record::Entitlement(_) => self.summary.entitlements += 1,
                    Record::Access(_) => self.summary.access += 1,
                }
            }
            if !batch.is_empty() {
                self.sink.emit(batch).map_err(|e| {
                    ConnectorError::Transient(format!("the host refused a batch: {e}"))
                })?;
            }
            match walker.next(&body)? {
                Some(next) => url = next,
                None => return Ok(()),
            }
        }
    }
}

/// Maps one page's records.
fn map_page(
    call: &CallPlan,
    url: &str,
    body: &Value,
    make: &dyn Fn(String, Attributes) -> Record,
) -> Result<Vec<Record>, ConnectorError> {
    let invalid = |what: String| ConnectorError::InvalidResponse(format!("GET {url}: {what}"));
    let list = match lookup(body, &call.list_field) {
        Some(Value::Array(list)) => list,
        _ => {
            return Err(invalid(format!(
                "the listField of {} is not a list",
                call.path
            )));
        }
    };
    list.iter()
        .map(|item| {
            let attributes = call
                .columns
                .iter()
                .map(|column| Ok((column.target.clone(), column.apply(item).map_err(&invalid)?)))
                .collect::<Result<Attributes, ConnectorError>>()?;
            let id = match attributes
                .iter()
                .find(|(name, _)| *name == call.key_field)
                .map(|(_, v)| v)
            {
                Some(AttributeValue::Text(id)) if !id.is_empty() => id.clone(),
                Some(AttributeValue::Integer(id)) => id.to_string(),
                _ => {
                    return Err(invalid(format!(
                        "a record has no '{}': {item}",
                        call.key_field
                    )));
                }
            };
            Ok(make(id, attributes))
        })
        .collect()
}
