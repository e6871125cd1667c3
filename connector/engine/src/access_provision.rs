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

use crate::access::{ENVIRONMENT, ORGANIZATION};
use crate::documents::Config;
use crate::error::ConnectorError;
use crate::http::{HttpRequest, RetryPolicy, Transport, api_headers, send_idempotent};
use crate::model::AttributeValue;
use crate::pagination::{find_in_list, with_largest_page_size};
use crate::provision::{
    AuditedTransport, CallRules, Outcome, ProvisionRequest, ProvisionResult, RenderedCall,
    rendered_call, send_call,
};
use crate::provision_doc::ContentType;

/// What an access request names.
struct Grant {
    account_id: String,
    ent_type: String,
    entitlement_id: String,
    role: String,
}

fn grant(request: &ProvisionRequest, operation: &str) -> Result<Grant, ConnectorError> {
    let missing = |what: &str| {
        ConnectorError::Config(format!("{operation} needs {what}; the request has none"))
    };
    let ent_type = request
        .ent_type
        .clone()
        .ok_or_else(|| missing("an entitlement type"))?;
    if ent_type != ORGANIZATION && ent_type != ENVIRONMENT {
        return Err(ConnectorError::Config(format!(
            "{operation}: '{ent_type}' is not an entitlement type of role bindings; expected {ORGANIZATION} or {ENVIRONMENT}"
        )));
    }
    Ok(Grant {
        account_id: request
            .account_id
            .clone()
            .ok_or_else(|| missing("an account id"))?,
        ent_type,
        entitlement_id: request
            .entitlement_id
            .clone()
            .ok_or_else(|| missing("an entitlement id"))?,
        role: request
            .role
            .clone()
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| missing("a role (no role is ever assumed)"))?,
    })
}

/// An access request checked, with the CRN it binds and the audit so far.
struct Scoped<'t, T> {
    grant: Grant,
    crn: String,
    transport: AuditedTransport<'t, T>,
    rendered: Vec<RenderedCall>,
    dry_run: bool,
}

impl<'t, T: Transport> Scoped<'t, T> {
    /// Checks `request` and works out the CRN: the organization's, or the
    /// environment's under the organization, whose id the organizations list
    /// gives (a dry run renders that call instead).
    async fn new(
        transport: &'t T,
        config: &Config,
        request: &ProvisionRequest,
        operation: &str,
    ) -> Result<Self, ConnectorError> {
        let grant = grant(request, operation)?;
        let transport = AuditedTransport::new(transport);
        let mut rendered = Vec::new();
        let organization = if grant.ent_type == ORGANIZATION {
            grant.entitlement_id.clone()
        } else {
            let organizations = HttpRequest::get(
                format!("{}/org/v2/organizations", config.base_url()),
                api_headers(),
            );
            if request.dry_run {
                rendered.push(rendered_call(&organizations));
                "<organization id>".to_string()
            } else {
                let url = organizations.url.clone();
                let response =
                    send_idempotent(&transport, &RetryPolicy::default(), organizations).await?;
                let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                body.pointer("/data/0/id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        ConnectorError::InvalidResponse(format!("GET {url}: no organization"))
                    })?
                    .to_string()
            }
        };
        let mut crn = format!("crn://confluent.cloud/organization={organization}");
        if grant.ent_type == ENVIRONMENT {
            crn.push_str(&format!("/environment={}", grant.entitlement_id));
        }
        Ok(Self {
            grant,
            crn,
            transport,
            rendered,
            dry_run: request.dry_run,
        })
    }

    /// The result: the account, the role, the CRN and the bindings touched.
    fn finish(self, outcome: Outcome, binding_ids: &[String]) -> ProvisionResult {
        let text = |s: &str| AttributeValue::Text(s.to_string());
        let mut attributes = Vec::new();
        if !binding_ids.is_empty() {
            attributes.push(("roleBindingID".to_string(), text(&binding_ids.join(","))));
        }
        attributes.push(("role_name".to_string(), text(&self.grant.role)));
        attributes.push(("crn_pattern".to_string(), text(&self.crn)));
        ProvisionResult {
            account_id: Some(self.grant.account_id),
            attributes,
            outcome,
            calls: self.transport.calls(),
            rendered: self.rendered,
        }
    }
}

/// Grants the request's role on its entitlement.
pub async fn add_access<T: Transport>(
    transport: &T,
    config: &Config,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let mut scoped = Scoped::new(transport, config, request, "add-access").await?;
    let mut headers = api_headers();
    headers.push(("Content-Type".into(), ContentType::Json.mime().into()));
    let post = HttpRequest {
        method: "POST".into(),
        url: format!("{}/iam/v2/role-bindings", config.base_url()),
        headers,
        body: Some(
            json!({
                "principal": format!("User:{}", scoped.grant.account_id),
                "role_name": scoped.grant.role,
                "crn_pattern": scoped.crn,
            })
            .to_string()
            .into_bytes(),
        ),
    };
    if scoped.dry_run {
        scoped.rendered.push(rendered_call(&post));
        return Ok(scoped.finish(Outcome::DryRun, &[]));
    }
    let rules = CallRules {
        place: "add-access",
        success: None,
        unsuccess: None,
    };
    let (response, outcome) =
        send_call(&scoped.transport, &rules, post, Some(ContentType::Json)).await?;
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let id: Vec<String> = body
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .into_iter()
        .collect();
    Ok(scoped.finish(outcome, &id))
}

/// Revokes the request's role on its entitlement.
pub async fn remove_access<T: Transport>(
    transport: &T,
    config: &Config,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let mut scoped = Scoped::new(transport, config, request, "remove-access").await?;
    let principal = format!("User:{}", scoped.grant.account_id);
    let mut list = url::Url::parse(&format!("{}/iam/v2/role-bindings", config.base_url()))
        .map_err(|e| ConnectorError::Config(format!("base URL: {e}")))?;
    list.query_pairs_mut()
        .append_pair("principal", &principal)
        .append_pair("role_name", &scoped.grant.role)
        .append_pair("crn_pattern", &scoped.crn);
    let first = with_largest_page_size(list.as_str(), &config.origin());
    let delete = |id: &str| HttpRequest {
        method: "DELETE".into(),
        url: format!("{}/iam/v2/role-bindings/{id}", config.base_url()),
        headers: api_headers(),
        body: None,
    };
    if scoped.dry_run {
        scoped
            .rendered
            .push(rendered_call(&HttpRequest::get(&first, api_headers())));
        scoped.rendered.push(rendered_call(&delete(
            "<id of each binding whose CRN is exactly the entitlement's>",
        )));
        return Ok(scoped.finish(Outcome::DryRun, &[]));
    }
    let field = |item: &Value, name: &str| {
        item.get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let matches: Vec<String> =
        find_in_list(&scoped.transport, &first, &api_headers(), false, |item| {
            field(item, "principal") == principal
                && field(item, "role_name") == scoped.grant.role
                && field(item, "crn_pattern") == scoped.crn
        })
        .await?
        .iter()
        .map(|item| field(item, "id"))
        .collect();
    let rules = CallRules {
        place: "remove-access",
        success: None,
        unsuccess: None,
    };
    let mut outcome = Outcome::AlreadyAbsent;
    for id in &matches {
        let (_, deleted) = send_call(&scoped.transport, &rules, delete(id), None).await?;
        if deleted == Outcome::Done {
            outcome = Outcome::Done;
        }
    }
    Ok(scoped.finish(outcome, &matches))
}
