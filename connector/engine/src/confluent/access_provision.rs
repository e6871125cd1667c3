//! Access provisioning: Confluent access is role bindings.
//!
//! The seed configures no `AddAccessJSON` or `RemoveAccessJSON`, so this
//! built-in default fills them:
//! - add: `POST /iam/v2/role-bindings` with principal `User:<accountID>`, the
//!   request's role and the entitlement's CRN (an organization, or an
//!   environment under the organization); one that exists already is
//!   reported as such;
//! - remove: list the bindings by principal, role and CRN, keep those whose
//!   CRN is exactly the entitlement's (the list filter also matches narrower
//!   scopes), and `DELETE` each; none is "already absent".
//!
//! The role always comes from the request: no role is ever assumed, so there
//! is never a silent admin grant.

use serde_json::{Value, json};

use crate::client::{Client, HttpRequest};
use crate::confluent::access_import::{ENVIRONMENT, ORGANIZATION};
use crate::confluent::{api_headers, crn, role_bindings_url};
use crate::dialect::documents::Config;
use crate::dialect::provision_doc::ContentType;
use crate::dialect::urls::path_segment;
use crate::error::ConnectorError;
use crate::model::AttributeValue;
use crate::printable::printable;
use crate::provision::judge::{CallRules, send_call};
use crate::provision::{
    AuditedTransport, Outcome, ProvisionRequest, ProvisionResult, RenderedCall, rendered_call,
};

/// An access request checked, with the CRN it binds and the calls a dry run
/// rendered so far.
struct Scoped {
    account_id: String,
    role: String,
    crn: String,
    rendered: Vec<RenderedCall>,
}

impl Scoped {
    /// Checks `request` and works out the CRN: the organization's, or the
    /// environment's under the organization, whose id the organizations list
    /// gives (a dry run renders that call instead).
    async fn new(
        client: &Client<'_>,
        config: &Config,
        request: &ProvisionRequest,
        operation: &str,
    ) -> Result<Self, ConnectorError> {
        let missing = |what: &str| {
            ConnectorError::Config(format!("{operation} needs {what}; the request has none"))
        };
        let ent_type = request
            .ent_type
            .as_deref()
            .ok_or_else(|| missing("an entitlement type"))?;
        if ent_type != ORGANIZATION && ent_type != ENVIRONMENT {
            return Err(ConnectorError::Config(format!(
                "{operation}: '{ent_type}' is not an entitlement type of role bindings; expected {ORGANIZATION} or {ENVIRONMENT}"
            )));
        }
        let account_id = request
            .account_id
            .clone()
            .ok_or_else(|| missing("an account id"))?;
        let entitlement_id = request
            .entitlement_id
            .as_deref()
            .ok_or_else(|| missing("an entitlement id"))?;
        let role = request
            .role
            .clone()
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| missing("a role (no role is ever assumed)"))?;
        // Both ids go into a CRN or a principal as one segment each.
        crn::check_id("the account id", &account_id)
            .and_then(|()| crn::check_id("the entitlement id", entitlement_id))
            .map_err(|e| ConnectorError::Config(format!("{operation}: {e}")))?;
        let mut rendered = Vec::new();
        let crn = if ent_type == ORGANIZATION {
            crn::organization(entitlement_id)
        } else {
            let organizations = HttpRequest::get(
                format!("{}/org/v2/organizations", config.base_url()),
                api_headers(),
            );
            let organization = if request.dry_run {
                rendered.push(rendered_call(&organizations));
                "<organization id>".to_string()
            } else {
                let url = organizations.url.clone();
                let response = client.send(organizations).await?;
                let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                body.pointer("/data/0/id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| "no organization".to_string())
                    .and_then(|id| crn::check_id("the organization id", id).map(|()| id))
                    .map_err(|e| ConnectorError::InvalidResponse(format!("GET {url}: {e}")))?
                    .to_string()
            };
            crn::environment(&organization, entitlement_id)
        };
        Ok(Self {
            account_id,
            role,
            crn,
            rendered,
        })
    }

    /// The result: the account, the role, the CRN and the bindings touched.
    fn finish(
        self,
        outcome: Outcome,
        binding_ids: &[String],
        audited: &AuditedTransport<'_>,
    ) -> ProvisionResult {
        let ids = (!binding_ids.is_empty()).then(|| ("roleBindingID", binding_ids.join(",")));
        let attributes = ids
            .into_iter()
            .chain([("role_name", self.role), ("crn_pattern", self.crn)])
            .map(|(name, value)| (name.to_string(), AttributeValue::Text(value)))
            .collect();
        ProvisionResult {
            account_id: Some(self.account_id),
            attributes,
            outcome,
            calls: audited.calls(),
            rendered: self.rendered,
        }
    }
}

/// Grants the request's role on its entitlement.
pub async fn add_access(
    client: Client<'_>,
    config: &Config,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let audited = AuditedTransport::new(client.transport());
    let client = client.over(&audited);
    let mut scoped = Scoped::new(&client, config, request, "add-access").await?;
    let mut headers = api_headers();
    headers.push(("Content-Type".into(), ContentType::Json.mime().into()));
    let body = json!({
        "principal": crn::principal(&scoped.account_id),
        "role_name": scoped.role,
        "crn_pattern": scoped.crn,
    });
    let post = HttpRequest {
        method: "POST".into(),
        url: format!("{}/iam/v2/role-bindings", config.base_url()),
        headers,
        body: Some(body.to_string().into_bytes()),
    };
    if request.dry_run {
        scoped.rendered.push(rendered_call(&post));
        return Ok(scoped.finish(Outcome::DryRun, &[], &audited));
    }
    let rules = CallRules::default();
    let (response, outcome) = send_call(&client, &rules, post, Some(ContentType::Json)).await?;
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let ids = Vec::from_iter(body["id"].as_str().map(str::to_string));
    Ok(scoped.finish(outcome, &ids, &audited))
}

/// Revokes the request's role on its entitlement.
pub async fn remove_access(
    client: Client<'_>,
    config: &Config,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let audited = AuditedTransport::new(client.transport());
    let client = client.over(&audited);
    let mut scoped = Scoped::new(&client, config, request, "remove-access").await?;
    let principal = crn::principal(&scoped.account_id);
    let filters = [
        ("principal", principal.as_str()),
        ("role_name", &scoped.role),
        ("crn_pattern", &scoped.crn),
    ];
    let first = role_bindings_url(config, &filters)?;
    // `segment` is an id encoded by `path_segment`, or a dry run's placeholder.
    let delete = |segment: &str| HttpRequest {
        method: "DELETE".into(),
        url: format!("{}/iam/v2/role-bindings/{segment}", config.base_url()),
        headers: api_headers(),
        body: None,
    };
    if request.dry_run {
        let placeholder = "<id of each binding whose CRN is exactly the entitlement's>";
        let calls = [HttpRequest::get(&first, api_headers()), delete(placeholder)];
        scoped.rendered.extend(calls.iter().map(rendered_call));
        return Ok(scoped.finish(Outcome::DryRun, &[], &audited));
    }
    let field = |item: &Value, name: &str| item[name].as_str().unwrap_or_default().to_string();
    let matches: Vec<String> = client
        .find_in_list(&first, &api_headers(), false, |item| {
            filters
                .iter()
                .all(|(name, value)| field(item, name) == *value)
        })
        .await?
        .iter()
        .map(|item| field(item, "id"))
        .collect();
    // Every id is checked before the first DELETE: one that is not a single
    // path segment would send a DELETE somewhere else, so none is sent.
    let segments = matches
        .iter()
        .map(|id| {
            path_segment(id).map_err(|e| {
                ConnectorError::InvalidResponse(format!(
                    "GET {first}: the id of a matching role binding, '{}', {e}; nothing was deleted",
                    printable(id)
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut outcome = Outcome::AlreadyAbsent;
    for segment in &segments {
        let (_, deleted) = send_call(&client, &CallRules::default(), delete(segment), None).await?;
        if deleted == Outcome::Done {
            outcome = Outcome::Done;
        }
    }
    Ok(scoped.finish(outcome, &matches, &audited))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confluent::Confluent;
    use crate::fake_target::FakeTarget;

    const BASE: &str = "http://sim:1";
    const ORGS: &str = "http://sim:1/org/v2/organizations";

    fn config() -> Config {
        Config::load(&Confluent, BASE, &[]).unwrap()
    }

    async fn add_access(
        transport: &FakeTarget,
        config: &Config,
        request: &ProvisionRequest,
    ) -> Result<ProvisionResult, ConnectorError> {
        super::add_access(
            Client::new(transport, &Confluent, &config.retry),
            config,
            request,
        )
        .await
    }

    async fn remove_access(
        transport: &FakeTarget,
        config: &Config,
        request: &ProvisionRequest,
    ) -> Result<ProvisionResult, ConnectorError> {
        super::remove_access(
            Client::new(transport, &Confluent, &config.retry),
            config,
            request,
        )
        .await
    }

    fn request(
        account: &str,
        ent_type: &str,
        entitlement: &str,
        dry_run: bool,
    ) -> ProvisionRequest {
        ProvisionRequest {
            account_id: Some(account.into()),
            ent_type: Some(ent_type.into()),
            entitlement_id: Some(entitlement.into()),
            role: Some("EnvironmentAdmin".into()),
            dry_run,
            ..ProvisionRequest::default()
        }
    }

    fn organization(id: &str) -> FakeTarget {
        FakeTarget::default().page(ORGS, json!({"data": [{"id": id}]}))
    }

    #[tokio::test]
    async fn a_binding_id_that_is_not_one_path_segment_deletes_nothing() {
        let list = "http://sim:1/iam/v2/role-bindings?principal=User%3Asa-1&role_name=EnvironmentAdmin&crn_pattern=crn%3A%2F%2Fconfluent.cloud%2Forganization%3Do-1%2Fenvironment%3Denv-1&page_size=1000";
        let binding = |id: &str| {
            json!({"id": id, "principal": "User:sa-1", "role_name": "EnvironmentAdmin",
                "crn_pattern": "crn://confluent.cloud/organization=o-1/environment=env-1"})
        };
        for id in ["..", ".", ""] {
            let transport = organization("o-1").page(
                list,
                json!({"data": [binding("rb-fine"), binding(id)], "metadata": {}}),
            );
            let error = remove_access(
                &transport,
                &config(),
                &request("sa-1", "environment", "env-1", false),
            )
            .await
            .unwrap_err();
            assert!(
                matches!(&error, ConnectorError::InvalidResponse(m) if m.contains("nothing was deleted")),
                "{id:?}: {error}"
            );
            assert!(
                transport.sent.borrow().iter().all(|r| r.method == "GET"),
                "{id:?}: {:?}",
                transport.sent.borrow()
            );
        }
        // Other ids are encoded into their one segment: a path or a query in
        // one goes nowhere else.
        for (id, segment) in [
            (
                "../service-accounts/sa-victim",
                "..%2Fservice-accounts%2Fsa-victim",
            ),
            ("x?force=true&cascade=1", "x%3Fforce%3Dtrue%26cascade%3D1"),
        ] {
            let delete = format!("http://sim:1/iam/v2/role-bindings/{segment}");
            let transport = organization("o-1")
                .page(list, json!({"data": [binding(id)], "metadata": {}}))
                .answer("DELETE", &delete, 204, "");
            let result = remove_access(
                &transport,
                &config(),
                &request("sa-1", "environment", "env-1", false),
            )
            .await
            .unwrap();
            assert_eq!(Outcome::Done, result.outcome);
            assert_eq!(delete, transport.sent.borrow().last().unwrap().url);
        }
    }

    #[tokio::test]
    async fn ids_that_would_change_the_crn_or_the_principal_are_refused_before_anything_is_sent() {
        let cases = [
            (
                "sa-1",
                "environment",
                "env-1/cloud-cluster=lkc-x/kafka=lkc-x/topic=*",
                "the entitlement id",
            ),
            (
                "sa-1",
                "organization",
                "o-1/environment=env-2",
                "the entitlement id",
            ),
            ("sa-1", "environment", "", "the entitlement id"),
            ("sa-1,User:sa-2", "environment", "env-1", "the account id"),
            ("sa 1", "environment", "env-1", "the account id"),
            ("..", "organization", "o-1", "the account id"),
        ];
        for (account, ent_type, entitlement, field) in cases {
            for dry_run in [false, true] {
                for remove in [false, true] {
                    let transport = organization("o-1");
                    let request = request(account, ent_type, entitlement, dry_run);
                    let error = if remove {
                        remove_access(&transport, &config(), &request).await
                    } else {
                        add_access(&transport, &config(), &request).await
                    }
                    .unwrap_err();
                    assert!(
                        matches!(&error, ConnectorError::Config(m) if m.contains(&format!("{field} '"))),
                        "{account} {entitlement}: {error}"
                    );
                    assert!(transport.sent.borrow().is_empty());
                }
            }
        }
    }

    #[tokio::test]
    async fn an_organization_id_that_is_not_one_segment_is_the_target_s_fault() {
        let transport = organization("o-1/environment=env-9");
        let error = add_access(
            &transport,
            &config(),
            &request("sa-1", "environment", "env-1", false),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&error, ConnectorError::InvalidResponse(m) if m.contains("the organization id 'o-1/environment=env-9'")),
            "{error}"
        );
        assert_eq!(
            1,
            transport.sent.borrow().len(),
            "only the organizations list"
        );
    }
}
