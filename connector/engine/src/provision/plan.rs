//! Running a plan: the calls in order, each rendered from the request's
//! bindings and the earlier calls' responses, and the account written back
//! through `accountIdPath` and `responseColsToPropsMap`.

use serde_json::{Map, Value, json};

use crate::client::Client;
use crate::dialect::documents::Config;
use crate::dialect::expr::text_of;
use crate::dialect::mapping::lookup;
use crate::dialect::provision_doc::ProvisionPlan;
use crate::dialect::template::Bindings;
use crate::error::ConnectorError;
use crate::model::attributes_json;
use crate::provision::judge::{CallRules, send_call};
use crate::provision::render::{render, rendered_call};
use crate::provision::{AuditedTransport, Outcome, ProvisionRequest, ProvisionResult};

/// The bindings of a request: `user`, `account`, `accountName`,
/// `requestid`, `entitlementValue`, `endpoints` and `connection`.
pub fn request_bindings(config: &Config, request: &ProvisionRequest) -> Bindings {
    let mut account = attributes_json(&request.account);
    if let Some(id) = &request.account_id {
        account.insert("accountID".into(), Value::String(id.clone()));
    }
    let account_name = account.get("name").cloned();
    let account_name = account_name.unwrap_or_else(|| json!(request.account_id));
    let mut bindings = Bindings::default();
    bindings.bind("user", Value::Object(attributes_json(&request.user)));
    bindings.bind("account", Value::Object(account));
    bindings.bind("accountName", account_name);
    bindings.bind("requestid", json!(request.request_id));
    bindings.bind(
        "entitlementValue",
        json!({
            "entType": request.ent_type,
            "entitlementID": request.entitlement_id,
            "role": request.role,
        }),
    );
    bindings.bind("endpoints", json!({ "baseUrl": config.base_url() }));
    bindings.bind("connection", json!({ "url": config.base_url() }));
    bindings
}

/// Runs `plan` for `request`.
pub async fn run_plan(
    client: Client<'_>,
    config: &Config,
    plan: &ProvisionPlan,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let audited = AuditedTransport::new(client.transport());
    let client = client.over(&audited);
    let mut bindings = request_bindings(config, request);
    let mut outcome = Outcome::Done;
    if request.dry_run {
        bindings = bindings.with_response_placeholders();
        outcome = Outcome::DryRun;
    }
    let mut responses = Map::new();
    let mut rendered = Vec::new();
    for call in &plan.calls {
        let ready = render(config, call, &bindings)?;
        if request.dry_run {
            rendered.push(rendered_call(&ready));
            continue;
        }
        let content_type = ready.body.is_some().then_some(call.content_type);
        let rules = CallRules {
            place: &call.place,
            success: call.success.as_ref(),
            unsuccess: call.unsuccess.as_ref(),
        };
        let (response, call_outcome) = send_call(&client, &rules, ready, content_type).await?;
        if call_outcome != Outcome::Done {
            outcome = call_outcome;
        }
        let message: Value = serde_json::from_slice(&response.body).unwrap_or_else(|_| {
            Value::String(String::from_utf8_lossy(&response.body).into_owned())
        });
        responses.insert(
            call.name.clone(),
            json!({ "message": message, "statusCode": response.status }),
        );
        bindings.bind("response", Value::Object(responses.clone()));
    }
    let tree = Value::Object(responses);
    let account_id = plan
        .account_id_path
        .as_ref()
        .and_then(|path| lookup(&tree, path))
        .map(text_of)
        .filter(|id| !id.is_empty())
        .or_else(|| request.account_id.clone());
    let attributes = if request.dry_run {
        Vec::new()
    } else {
        plan.response_columns
            .iter()
            .map(|column| {
                let value = column.apply(&tree).map_err(|e| {
                    ConnectorError::InvalidResponse(format!(
                        "{}: responseColsToPropsMap: {e}",
                        plan.document
                    ))
                })?;
                Ok((column.target.clone(), value))
            })
            .collect::<Result<_, ConnectorError>>()?
    };
    Ok(ProvisionResult {
        account_id,
        attributes,
        outcome,
        calls: audited.calls(),
        rendered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::TransportError;
    use crate::confluent::Confluent;
    use crate::dialect::provision_doc::ProvisionDocument;
    use crate::fake_target::FakeTarget;
    use crate::model::AttributeValue;

    const BASE: &str = "http://sim:1";

    async fn run_plan(
        transport: &FakeTarget,
        config: &Config,
        plan: &ProvisionPlan,
        request: &ProvisionRequest,
    ) -> Result<ProvisionResult, ConnectorError> {
        let client = Client::new(transport, config.target(), &config.retry);
        super::run_plan(client, config, plan, request).await
    }

    fn plan(document: Value) -> (Config, ProvisionPlan) {
        let config = Config::load(&Confluent, BASE, &[]).unwrap();
        let parsed: ProvisionDocument = serde_json::from_value(document).unwrap();
        (
            config,
            ProvisionPlan::compile("AddAccessJSON", &parsed).unwrap(),
        )
    }

    fn request(user: &[(&str, &str)]) -> ProvisionRequest {
        ProvisionRequest {
            user: user
                .iter()
                .map(|(n, v)| (n.to_string(), AttributeValue::Text(v.to_string())))
                .collect(),
            account_id: Some("sa-1".into()),
            ..ProvisionRequest::default()
        }
    }

    #[tokio::test]
    async fn later_calls_read_earlier_responses_and_forms_are_encoded() {
        let (config, plan) = plan(json!({
            "accountIdPath": "call2.message.result.id",
            "responseColsToPropsMap": {"group": "call1.message.groups[0].name~#~char", "size": "call2.message.result.size~#~int"},
            "call": [
                {"name": "call1", "url": "https://api.confluent.cloud/api/groups?q=${user.team.toLowerCase()}", "httpMethod": "GET"},
                {"name": "call2", "url": "https://api.confluent.cloud/api/groups/${response.call1.message.groups[0].id}/members",
                 "httpMethod": "POST", "httpContentType": "application/x-www-form-urlencoded",
                 "httpParams": {"member": "${account.accountID}", "note": "${requestid != null ? requestid : 'none'} & more"},
                 "successResponses": {"statusCode": [201], "message.result.state": "added"}}
            ]
        }));
        let transport = FakeTarget::default()
            .answer(
                "GET",
                "http://sim:1/api/groups?q=blue%20team",
                200,
                json!({"groups": [{"id": "g/7", "name": "Blue"}]}),
            )
            .answer(
                "POST",
                "http://sim:1/api/groups/g%2F7/members",
                201,
                json!({"result": {"id": "m-1", "state": "added", "size": 4}}),
            );
        let result = run_plan(
            &transport,
            &config,
            &plan,
            &request(&[("team", "Blue Team")]),
        )
        .await
        .unwrap();
        assert_eq!(Some("m-1".to_string()), result.account_id);
        assert_eq!(
            vec![
                ("group".to_string(), AttributeValue::Text("Blue".into())),
                ("size".to_string(), AttributeValue::Integer(4)),
            ],
            result.attributes
        );
        let sent = transport.sent.borrow();
        assert_eq!(
            Some(b"member=sa-1&note=none+%26+more".to_vec()),
            sent[1].body
        );
        assert!(sent[1].headers.contains(&(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into()
        )));
        assert_eq!(
            vec![Some(200), Some(201)],
            result.calls.iter().map(|c| c.status).collect::<Vec<_>>()
        );
    }

    #[tokio::test]
    async fn response_rules_decide_success_and_failure() {
        let (config, plan) = plan(json!({"call": [{
            "name": "call1", "url": "https://api.confluent.cloud/api/x", "httpMethod": "PUT",
            "successResponses": {"statusCode": [200], "message.ok": true},
            "unsuccessResponses": {"message.error": ["locked"]}
        }]}));
        let run = |status: u16, body: Value| {
            let transport = FakeTarget::default().answer("PUT", "http://sim:1/api/x", status, body);
            let (config, plan) = (config.clone(), plan.clone());
            async move { run_plan(&transport, &config, &plan, &request(&[])).await }
        };
        assert_eq!(
            Outcome::Done,
            run(200, json!({"ok": true})).await.unwrap().outcome
        );
        let error = run(200, json!({"ok": false}))
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("PUT http://sim:1/api/x returned 200, which successResponses of AddAccessJSON: call[0] (call1) does not accept"), "{error}");
        let error = run(200, json!({"ok": true, "error": "locked"}))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(
                "which unsuccessResponses of AddAccessJSON: call[0] (call1) names a failure"
            ),
            "{error}"
        );
        let error = run(403, json!({"errors": [{"detail": "no"}]}))
            .await
            .unwrap_err();
        assert!(matches!(error, ConnectorError::Forbidden(_)), "{error}");
    }

    #[tokio::test]
    async fn a_plain_variable_with_no_value_stops_before_anything_is_sent() {
        let (config, plan) = plan(json!({"call": [{
            "name": "call1", "url": "https://api.confluent.cloud/api/${user.missing}", "httpMethod": "DELETE"
        }]}));
        let transport = FakeTarget::default();
        let error = run_plan(&transport, &config, &plan, &request(&[]))
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            "config error: AddAccessJSON: call[0] (call1).url: '${user.missing}' has no value",
            error
        );
        assert!(transport.sent.borrow().is_empty());
    }

    #[tokio::test]
    async fn a_request_value_that_is_not_one_path_segment_is_a_config_error() {
        let config = Config::load(&Confluent, BASE, &[]).unwrap();
        for id in ["..", ".", ""] {
            for dry_run in [false, true] {
                let transport = FakeTarget::default();
                let request = ProvisionRequest {
                    account_id: Some(id.into()),
                    dry_run,
                    ..ProvisionRequest::default()
                };
                let error = run_plan(
                    &transport,
                    &config,
                    &config.provisioning.remove_account,
                    &request,
                )
                .await
                .unwrap_err();
                assert!(
                    matches!(&error, ConnectorError::Config(m) if m.starts_with("RemoveAccountJSON: call[0] (call1).url: '${account.accountID}'")),
                    "{id:?}: {error}"
                );
                assert!(transport.sent.borrow().is_empty());
            }
        }
    }

    #[tokio::test]
    async fn a_response_value_that_is_not_one_path_segment_is_the_target_s_fault() {
        let (config, plan) = plan(json!({"call": [
            {"name": "call1", "url": "https://api.confluent.cloud/api/things", "httpMethod": "GET"},
            {"name": "call2", "url": "https://api.confluent.cloud/api/things/${response.call1.message.id}", "httpMethod": "DELETE"}
        ]}));
        let transport = FakeTarget::default().page("http://sim:1/api/things", json!({"id": ".."}));
        let error = run_plan(&transport, &config, &plan, &request(&[]))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ConnectorError::InvalidResponse(m) if m.starts_with("AddAccessJSON: call[1] (call2).url: '${response.call1.message.id}' makes the path segment '..'")),
            "{error}"
        );
        assert_eq!(1, transport.sent.borrow().len());
    }

    #[tokio::test]
    async fn a_post_that_cannot_be_looked_up_is_not_retried() {
        let (config, plan) = plan(json!({"call": [{
            "name": "call1", "url": "https://api.confluent.cloud/api/things", "httpMethod": "POST",
            "httpParams": "{\"name\": \"${user.name}\"}"
        }]}));
        let transport =
            FakeTarget::default().answer("POST", "http://sim:1/api/things", 503, json!({}));
        let error = run_plan(&transport, &config, &plan, &request(&[("name", "a")]))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("a POST with no way to look up what it made is not retried"),
            "{error}"
        );
        assert_eq!(
            1,
            error.matches("transient failure").count(),
            "one prefix: {error}"
        );
        assert_eq!(1, transport.sent.borrow().len());
    }

    #[tokio::test]
    async fn a_request_the_host_refuses_is_a_config_error_and_not_retried() {
        for method in ["POST", "PUT", "DELETE"] {
            let (config, plan) = plan(json!({"call": [{
                "name": "call1", "url": "https://api.confluent.cloud/api/things", "httpMethod": method,
                "httpParams": "{\"name\": \"a\"}"
            }]}));
            let transport = FakeTarget::default().fail(
                method,
                "http://sim:1/api/things",
                TransportError::Refused("HttpRequestHeaderSize".into()),
            );
            let error = run_plan(&transport, &config, &plan, &request(&[]))
                .await
                .unwrap_err();
            assert_eq!(
                ConnectorError::Config(format!(
                    "{method} http://sim:1/api/things: the host refused the request: HttpRequestHeaderSize"
                )),
                error
            );
            assert_eq!(1, transport.sent.borrow().len());
        }
        // A denied origin is not retried as transient either.
        let (config, plan) = plan(json!({"call": [{
            "name": "call1", "url": "https://other.example/api/things", "httpMethod": "POST"
        }]}));
        let transport = FakeTarget::default().fail(
            "POST",
            "https://other.example/api/things",
            TransportError::Denied("https://other.example".into()),
        );
        let error = run_plan(&transport, &config, &plan, &request(&[]))
            .await
            .unwrap_err();
        assert_eq!(
            ConnectorError::EgressDenied("https://other.example".into()),
            error
        );
    }

    #[tokio::test]
    async fn headers_larger_than_the_host_takes_are_a_config_error() {
        let (config, plan) = plan(json!({"call": [{
            "name": "call1", "url": "https://api.confluent.cloud/api/things", "httpMethod": "GET",
            "httpHeaders": {"X-A": "${user.name}", "X-B": "${user.name}"}
        }]}));
        let transport = FakeTarget::default();
        let big = "x".repeat(40_000);
        let error = run_plan(&transport, &config, &plan, &request(&[("name", &big)]))
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            "config error: AddAccessJSON: call[0] (call1).httpHeaders: the headers come to 80006 bytes; the host takes at most 65536",
            error
        );
        assert!(transport.sent.borrow().is_empty());
    }

    #[tokio::test]
    async fn a_body_larger_than_the_host_sends_is_a_config_error() {
        // Each value is capped, but twenty of them are not.
        let (config, plan) = plan(json!({"call": [{
            "name": "call1", "url": "https://api.confluent.cloud/api/things", "httpMethod": "POST",
            "httpParams": format!("{{\"name\": \"{}\"}}", "${user.name}".repeat(20))
        }]}));
        let transport = FakeTarget::default();
        let big = "x".repeat(60_000);
        let error = run_plan(&transport, &config, &plan, &request(&[("name", &big)]))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("config error: AddAccessJSON: call[0] (call1).httpParams: the rendered body is 1200012 bytes; the host sends at most 1048576"),
            "{error}"
        );
        assert!(transport.sent.borrow().is_empty());
    }
}
