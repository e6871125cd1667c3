//! Provisioning requests and results as JSON, the way a host platform
//! exchanges them: `{"requestid", "user", "account", "entitlementValue"}` in,
//! `{"operation", "outcome", "accountID", "attributes", "calls"}` out.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use connector_runner::ProvisionOperation;
use connector_runner::json::attributes_json;
use connector_runner::types::{
    Attribute, AttributeValue, ProvisionOutcome, ProvisionRequest, ProvisionResult,
};

/// Why a request document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Not JSON of the expected shape.
    #[error("not a provisioning request: {0}")]
    Shape(#[from] serde_json::Error),
    /// An attribute holds an object or a list.
    #[error("attribute '{0}' is an object or a list; expected text, a number, true, false or null")]
    Attribute(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RequestDocument {
    #[serde(default)]
    requestid: Option<String>,
    #[serde(default)]
    user: Map<String, Value>,
    #[serde(default)]
    account: Map<String, Value>,
    #[serde(default)]
    entitlement_value: EntitlementValue,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EntitlementValue {
    ent_type: Option<String>,
    #[serde(rename = "entitlementID")]
    entitlement_id: Option<String>,
    role: Option<String>,
}

/// Reads a request document. `account.accountID` is the target account.
pub fn request_from_json(text: &str) -> Result<ProvisionRequest, RequestError> {
    let document: RequestDocument = serde_json::from_str(text)?;
    let attributes = |object: &Map<String, Value>| {
        object
            .iter()
            .map(|(name, value)| attribute(name, value))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(ProvisionRequest {
        request_id: document.requestid,
        account_id: document
            .account
            .get("accountID")
            .and_then(Value::as_str)
            .map(str::to_string),
        user: attributes(&document.user)?,
        account: attributes(&document.account)?,
        ent_type: document.entitlement_value.ent_type,
        entitlement_id: document.entitlement_value.entitlement_id,
        role: document.entitlement_value.role,
        dry_run: false,
    })
}

fn attribute(name: &str, value: &Value) -> Result<Attribute, RequestError> {
    let value =
        AttributeValue::try_from(value).map_err(|_| RequestError::Attribute(name.to_string()))?;
    Ok(Attribute {
        name: name.to_string(),
        value,
    })
}

/// A result as JSON: the outcome, the account, its attributes, the audit list
/// of calls, and for a dry run the calls it rendered.
pub fn result_json(operation: ProvisionOperation, result: &ProvisionResult) -> Value {
    let mut json = json!({
        "operation": operation.name(),
        "outcome": result.outcome.name(),
        "accountID": result.account_id,
        "attributes": attributes_json(&result.attributes),
        "calls": result.calls.iter().map(|c| json!({
            "method": c.method, "url": c.url, "status": c.status, "durationMs": c.duration_ms,
        })).collect::<Vec<_>>(),
    });
    if result.outcome == ProvisionOutcome::DryRun {
        json["rendered"] = result
            .rendered
            .iter()
            .map(|c| {
                let headers: Map<String, Value> = c
                    .headers
                    .iter()
                    .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
                    .collect();
                json!({"method": c.method, "url": c.url, "headers": headers, "body": c.body})
            })
            .collect();
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_runner::types::HttpCall;

    #[test]
    fn a_host_request_reads_into_a_provision_request() {
        let request = request_from_json(
            r#"{"requestid": "R-1", "user": {"username": "svc", "age": 3, "on": true, "gone": null},
                "account": {"accountID": "sa-1"},
                "entitlementValue": {"entType": "environment", "entitlementID": "env-1", "role": "R"}}"#,
        )
        .unwrap();
        assert_eq!(Some("R-1"), request.request_id.as_deref());
        assert_eq!(Some("sa-1"), request.account_id.as_deref());
        let user: Vec<_> = request.user.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(vec!["username", "age", "on", "gone"], user);
        assert!(matches!(request.user[1].value, AttributeValue::Integer(3)));
        assert!(matches!(request.user[3].value, AttributeValue::Absent));
        assert_eq!(
            (Some("environment"), Some("env-1"), Some("R")),
            (
                request.ent_type.as_deref(),
                request.entitlement_id.as_deref(),
                request.role.as_deref()
            )
        );
    }

    #[test]
    fn a_misshapen_request_is_refused() {
        let error = request_from_json(r#"{"usr": {}}"#).unwrap_err().to_string();
        assert!(
            error.starts_with("not a provisioning request: unknown field `usr`"),
            "{error}"
        );
        let error = request_from_json(r#"{"user": {"name": {"first": "a"}}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("attribute 'name' is an object or a list"),
            "{error}"
        );
    }

    #[test]
    fn results_print_their_outcome_and_audit_and_renderings_only_for_dry_runs() {
        let result = ProvisionResult {
            account_id: Some("sa-1".into()),
            attributes: vec![Attribute {
                name: "displayName".into(),
                value: AttributeValue::Text("svc".into()),
            }],
            outcome: ProvisionOutcome::AlreadyExisted,
            calls: vec![HttpCall {
                method: "POST".into(),
                url: "http://h/x".into(),
                status: Some(409),
                duration_ms: 3,
            }],
            rendered: Vec::new(),
        };
        assert_eq!(
            json!({"operation": "create-account", "outcome": "already-existed", "accountID": "sa-1",
                "attributes": {"displayName": "svc"},
                "calls": [{"method": "POST", "url": "http://h/x", "status": 409, "durationMs": 3}]}),
            result_json(ProvisionOperation::CreateAccount, &result)
        );
    }
}
