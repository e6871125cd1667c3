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
            crate::access::import_role_bindings(
                transport,
                config,
                &run.retry,
                &mut *run.sink,
                &mut run.summary,
            )
            .await?;
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
        let Self {
            transport,
            config,
            sink,
            summary,
            retry,
        } = self;
        let first = with_largest_page_size(&url, &config.origin());
        let pages = fetch_pages(*transport, retry, first, &headers, |url, body| {
            let batch = map_page(call, url, body, make)?;
            emit(&mut **sink, summary, batch)
        })
        .await?;
        summary.pages += pages;
        Ok(())
    }
}

/// Counts a batch into `summary` and hands it to the sink.
pub(crate) fn emit(
    sink: &mut dyn RecordSink,
    summary: &mut ImportSummary,
    batch: Vec<Record>,
) -> Result<(), ConnectorError> {
    for record in &batch {
        match record {
            Record::Account(_) => summary.accounts += 1,
            Record::Entitlement(_) => summary.entitlements += 1,
            Record::Access(_) => summary.access += 1,
        }
    }
    if batch.is_empty() {
        return Ok(());
    }
    sink.emit(batch)
        .map_err(|e| ConnectorError::Transient(format!("the host refused a batch: {e}")))
}

/// GETs `first_url` and every page after it, handing each page's JSON to
/// `on_page`. Returns how many pages it read.
pub(crate) async fn fetch_pages<T: Transport>(
    transport: &T,
    retry: &RetryPolicy,
    first_url: String,
    headers: &[(String, String)],
    mut on_page: impl FnMut(&str, &Value) -> Result<(), ConnectorError>,
) -> Result<u64, ConnectorError> {
    let mut walker = PageWalker::new(&first_url)?;
    let mut pages = 0;
    let mut url = first_url;
    loop {
        let request = HttpRequest::get(&url, headers.to_vec());
        let response = send_idempotent(transport, retry, request).await?;
        pages += 1;
        let body: Value = serde_json::from_slice(&response.body).map_err(|e| {
            ConnectorError::InvalidResponse(format!("GET {url}: the body is not JSON: {e}"))
        })?;
        on_page(&url, &body)?;
        match walker.next(&body)? {
            Some(next) => url = next,
            None => return Ok(pages),
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;
    use crate::http::{HttpResponse, TransportError};

    /// Serves canned bodies by URL and records what was asked.
    #[derive(Default)]
    struct Canned {
        pages: HashMap<String, (u16, String)>,
        asked: RefCell<Vec<HttpRequest>>,
    }

    impl Canned {
        fn page(mut self, url: &str, body: serde_json::Value) -> Self {
            self.pages.insert(url.to_string(), (200, body.to_string()));
            self
        }
    }

    impl Transport for Canned {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.asked.borrow_mut().push(request.clone());
            let (status, body) = self
                .pages
                .get(&request.url)
                .cloned()
                .unwrap_or((404, String::new()));
            Ok(HttpResponse {
                status,
                headers: Vec::new(),
                body: body.into_bytes(),
            })
        }

        async fn sleep(&self, _: Duration) {}
    }

    #[derive(Default)]
    struct Collect(Vec<Vec<Record>>);

    impl RecordSink for Collect {
        fn emit(&mut self, batch: Vec<Record>) -> Result<(), String> {
            self.0.push(batch);
            Ok(())
        }
    }

    const BASE: &str = "http://sim:1";

    fn config() -> Config {
        Config::load(BASE, &[]).unwrap()
    }

    fn user(id: &str) -> serde_json::Value {
        serde_json::json!({"id": id, "full_name": format!("Name {id}"), "email": format!("{id}@x"), "kind": "User"})
    }

    #[tokio::test]
    async fn accounts_stream_page_by_page_with_the_seed_mapping() {
        let transport = Canned::default()
            .page(
                &format!("{BASE}/iam/v2/users?page_size=100"),
                serde_json::json!({"data": [user("u-1"), user("u-2")], "metadata": {"next": format!("{BASE}/iam/v2/users?page_token=p2")}}),
            )
            .page(&format!("{BASE}/iam/v2/users?page_token=p2"), serde_json::json!({"data": [user("u-3")], "metadata": {}}))
            .page(
                &format!("{BASE}/iam/v2/service-accounts?page_size=100"),
                serde_json::json!({"data": [{"id": "sa-1", "display_name": "svc", "description": "d", "kind": "ServiceAccount"}], "metadata": {}}),
            );
        let mut sink = Collect::default();
        let summary = import(&transport, &config(), ObjectKind::Accounts, &mut sink)
            .await
            .unwrap();

        assert_eq!(
            ImportSummary {
                accounts: 4,
                entitlements: 0,
                access: 0,
                pages: 3
            },
            summary
        );
        let sizes: Vec<usize> = sink.0.iter().map(Vec::len).collect();
        assert_eq!(vec![2, 1, 1], sizes, "one batch per page");
        let Record::Account(first) = &sink.0[0][0] else {
            panic!("not an account")
        };
        assert_eq!("u-1", first.id);
        assert_eq!(
            vec![
                ("accountID".to_string(), AttributeValue::Text("u-1".into())),
                ("name".to_string(), AttributeValue::Text("Name u-1".into())),
                (
                    "displayName".to_string(),
                    AttributeValue::Text("Name u-1".into())
                ),
                (
                    "customproperty2".to_string(),
                    AttributeValue::Text("u-1@x".into())
                ),
                (
                    "customproperty3".to_string(),
                    AttributeValue::Text("User".into())
                ),
            ],
            first.attributes
        );
        let auth: Vec<String> = transport
            .asked
            .borrow()
            .iter()
            .map(|r| {
                r.headers
                    .iter()
                    .find(|(n, _)| n == "Authorization")
                    .unwrap()
                    .1
                    .clone()
            })
            .collect();
        assert!(
            auth.iter()
                .all(|a| a == crate::template::ACCESS_TOKEN_PLACEHOLDER),
            "{auth:?}"
        );
    }

    #[tokio::test]
    async fn a_page_that_is_not_json_fails_the_import() {
        let mut transport = Canned::default();
        transport.pages.insert(
            format!("{BASE}/iam/v2/users?page_size=100"),
            (200, "<html>".into()),
        );
        let error = import(
            &transport,
            &config(),
            ObjectKind::Accounts,
            &mut Collect::default(),
        )
        .await
        .unwrap_err();
        assert!(error.to_string().starts_with("invalid response: GET http://sim:1/iam/v2/users?page_size=100: the body is not JSON"), "{error}");
    }

    #[tokio::test]
    async fn a_record_without_its_key_fails_the_import() {
        let transport = Canned::default().page(
            &format!("{BASE}/iam/v2/users?page_size=100"),
            serde_json::json!({"data": [{"full_name": "no id"}], "metadata": {}}),
        );
        let error = import(
            &transport,
            &config(),
            ObjectKind::Accounts,
            &mut Collect::default(),
        )
        .await
        .unwrap_err();
        assert!(
            error.to_string().contains("a record has no 'accountID'"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn server_errors_are_retried_then_reported() {
        let mut transport = Canned::default();
        transport.pages.insert(
            format!("{BASE}/org/v2/organizations?page_size=100"),
            (503, String::new()),
        );
        let error = import(
            &transport,
            &config(),
            ObjectKind::Entitlements,
            &mut Collect::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, ConnectorError::Transient(_)), "{error}");
        assert_eq!(
            RetryPolicy::default().attempts as usize,
            transport.asked.borrow().len()
        );
    }
}
