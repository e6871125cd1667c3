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
use crate::http::{HttpRequest, RetryPolicy, Transport, send_idempotent};
use crate::model::AttributeValue;
use crate::pagination::{find_in_list, with_largest_page_size};
use crate::provision::{
    AuditedTransport, CallRules, Outcome, ProvisionRequest, ProvisionResult, rendered_call,
    send_call,
};
use crate::provision_doc::ContentType;
use crate::template::ACCESS_TOKEN_PLACEHOLDER;

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

fn headers() -> Vec<(String, String)> {
    vec![
        ("Authorization".into(), ACCESS_TOKEN_PLACEHOLDER.into()),
        ("Accept".into(), "application/json".into()),
    ]
}

/// The CRN a grant binds: the organization's, or the environment's under
/// the organization, whose id the organizations list gives.
async fn scope_crn<T: Transport>(
    transport: &AuditedTransport<'_, T>,
    config: &Config,
    grant: &Grant,
    dry_run: bool,
    rendered: &mut Vec<crate::provision::RenderedCall>,
) -> Result<String, ConnectorError> {
    if grant.ent_type == ORGANIZATION {
        return Ok(format!(
            "crn://confluent.cloud/organization={}",
            grant.entitlement_id
        ));
    }
    let request = HttpRequest::get(
        format!("{}/org/v2/organizations", config.base_url()),
        headers(),
    );
    let organization = if dry_run {
        rendered.push(rendered_call(&request));
        "<organization id>".to_string()
    } else {
        let url = request.url.clone();
        let response = send_idempotent(transport, &RetryPolicy::default(), request).await?;
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        body.pointer("/data/0/id")
            .and_then(Value::as_str)
            .ok_or_else(|| ConnectorError::InvalidResponse(format!("GET {url}: no organization")))?
            .to_string()
    };
    Ok(format!(
        "crn://confluent.cloud/organization={organization}/environment={}",
        grant.entitlement_id
    ))
}

fn result(
    grant: &Grant,
    outcome: Outcome,
    transport: &AuditedTransport<'_, impl Transport>,
    rendered: Vec<crate::provision::RenderedCall>,
    bindings: Vec<String>,
    crn: &str,
) -> ProvisionResult {
    let text = |s: &str| AttributeValue::Text(s.to_string());
    let mut attributes = vec![
        ("role_name".to_string(), text(&grant.role)),
        ("crn_pattern".to_string(), text(crn)),
    ];
    if !bindings.is_empty() {
        attributes.insert(0, ("roleBindingID".to_string(), text(&bindings.join(","))));
    }
    ProvisionResult {
        account_id: Some(grant.account_id.clone()),
        attributes,
        outcome,
        calls: transport.calls(),
        rendered,
    }
}

/// Grants the request's role on its entitlement.
pub async fn add_access<T: Transport>(
    transport: &T,
    config: &Config,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let grant = grant(request, "add-access")?;
    let audited = AuditedTransport::new(transport);
    let mut rendered = Vec::new();
    let crn = scope_crn(&audited, config, &grant, request.dry_run, &mut rendered).await?;
    let mut post_headers = headers();
    post_headers.push(("Content-Type".into(), "application/json".into()));
    let post = HttpRequest {
        method: "POST".into(),
        url: format!("{}/iam/v2/role-bindings", config.base_url()),
        headers: post_headers,
        body: Some(
            json!({
                "principal": format!("User:{}", grant.account_id),
                "role_name": grant.role,
                "crn_pattern": crn,
            })
            .to_string()
            .into_bytes(),
        ),
    };
    if request.dry_run {
        rendered.push(rendered_call(&post));
        return Ok(result(
            &grant,
            Outcome::DryRun,
            &audited,
            rendered,
            Vec::new(),
            &crn,
        ));
    }
    let rules = CallRules {
        place: "add-access",
        success: None,
        unsuccess: None,
    };
    let (response, outcome) = send_call(&audited, &rules, post, Some(ContentType::Json)).await?;
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let id = body.get("id").and_then(Value::as_str).map(str::to_string);
    Ok(result(
        &grant,
        outcome,
        &audited,
        rendered,
        id.into_iter().collect(),
        &crn,
    ))
}

/// Revokes the request's role on its entitlement.
pub async fn remove_access<T: Transport>(
    transport: &T,
    config: &Config,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let grant = grant(request, "remove-access")?;
    let audited = AuditedTransport::new(transport);
    let mut rendered = Vec::new();
    let crn = scope_crn(&audited, config, &grant, request.dry_run, &mut rendered).await?;
    let principal = format!("User:{}", grant.account_id);
    let mut list = url::Url::parse(&format!("{}/iam/v2/role-bindings", config.base_url()))
        .map_err(|e| ConnectorError::Config(format!("base URL: {e}")))?;
    list.query_pairs_mut()
        .append_pair("principal", &principal)
        .append_pair("role_name", &grant.role)
        .append_pair("crn_pattern", &crn);
    let first = with_largest_page_size(list.as_str(), &config.origin());
    let delete = |id: &str| HttpRequest {
        method: "DELETE".into(),
        url: format!("{}/iam/v2/role-bindings/{id}", config.base_url()),
        headers: headers(),
        body: None,
    };
    if request.dry_run {
        rendered.push(rendered_call(&HttpRequest::get(&first, headers())));
        rendered.push(rendered_call(&delete(
            "<id of each binding whose CRN is exactly the entitlement's>",
        )));
        return Ok(result(
            &grant,
            Outcome::DryRun,
            &audited,
            rendered,
            Vec::new(),
            &crn,
        ));
    }
    let field = |item: &Value, name: &str| {
        item.get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let matches: Vec<String> = find_in_list(&audited, &first, &headers(), false, |item| {
        field(item, "principal") == principal
            && field(item, "role_name") == grant.role
            && field(item, "crn_pattern") == crn
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
        let (_, deleted) = send_call(&audited, &rules, delete(id), None).await?;
        if deleted == Outcome::Done {
            outcome = Outcome::Done;
        }
    }
    Ok(result(&grant, outcome, &audited, rendered, matches, &crn))
}
