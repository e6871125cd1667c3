//! Provisioning: runs a document's calls in order, each rendered from the
//! request's bindings and the earlier calls' responses, and writes the
//! account back through `accountIdPath` and `responseColsToPropsMap`.
//!
//! Every call goes through an [`AuditedTransport`], so the result lists each
//! HTTP exchange (method, URL, status, duration) and nothing else: headers and
//! bodies are not kept, and the credential is the host's alone.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::client::{
    HttpRequest, HttpResponse, MAX_REQUEST_BODY, RetryPolicy, Transport, TransportError,
    check_status, transport_failure,
};
use crate::confluent::natural_keys::recovery_for;
use crate::dialect::documents::Config;
use crate::dialect::mapping::lookup;
use crate::dialect::provision_doc::{
    BodyTemplate, ContentType, ProvisionCall, ProvisionPlan, ResponseRule,
};
use crate::dialect::request_headers;
use crate::dialect::template::{Bindings, UrlError, json_escape, verbatim};
use crate::error::ConnectorError;
use crate::model::{AttributeValue, Attributes};

/// The provisioning operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisionOp {
    /// `create-account`.
    CreateAccount,
    /// `update-account`.
    UpdateAccount,
    /// `remove-account`.
    RemoveAccount,
    /// `add-access`.
    AddAccess,
    /// `remove-access`.
    RemoveAccess,
}

/// A provisioning request, as a host platform sends one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisionRequest {
    /// The host's request id, for `${requestid}`.
    pub request_id: Option<String>,
    /// The target account's id.
    pub account_id: Option<String>,
    /// The identity's attributes, for `${user.*}`.
    pub user: Attributes,
    /// The account's attributes, for `${account.*}`.
    pub account: Attributes,
    /// The entitlement type, for access.
    pub ent_type: Option<String>,
    /// The entitlement id, for access.
    pub entitlement_id: Option<String>,
    /// The role, for access.
    pub role: Option<String>,
    /// Render every call and send none.
    pub dry_run: bool,
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did what was asked.
    Done,
    /// What it was asked to create was already there.
    AlreadyExisted,
    /// What it was asked to remove was already gone.
    AlreadyAbsent,
    /// Nothing was sent (`dry-run`).
    DryRun,
}

/// One HTTP exchange, for the audit list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The status, when a response came.
    pub status: Option<u16>,
    /// How long it took.
    pub duration_ms: u64,
}

/// A call as a dry run renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedCall {
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// Headers, without `Authorization`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<String>,
}

/// What an operation returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionResult {
    /// The account's id.
    pub account_id: Option<String>,
    /// The account's attributes as the responses give them.
    pub attributes: Attributes,
    /// How it ended.
    pub outcome: Outcome,
    /// The HTTP calls made.
    pub calls: Vec<HttpCall>,
    /// The calls a dry run rendered.
    pub rendered: Vec<RenderedCall>,
}

/// A transport that notes every exchange.
#[derive(Debug)]
pub struct AuditedTransport<'a, T> {
    inner: &'a T,
    calls: RefCell<Vec<HttpCall>>,
}

impl<'a, T: Transport> AuditedTransport<'a, T> {
    /// Audits `inner`.
    pub fn new(inner: &'a T) -> Self {
        Self {
            inner,
            calls: RefCell::new(Vec::new()),
        }
    }

    /// The exchanges so far.
    pub fn calls(&self) -> Vec<HttpCall> {
        self.calls.borrow().clone()
    }
}

impl<T: Transport> Transport for AuditedTransport<'_, T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (method, url) = (request.method.clone(), request.url.clone());
        let started = Instant::now();
        let outcome = self.inner.send(request).await;
        self.calls.borrow_mut().push(HttpCall {
            method,
            url,
            status: outcome.as_ref().ok().map(|r| r.status),
            duration_ms: started.elapsed().as_millis() as u64,
        });
        outcome
    }

    async fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration).await;
    }
}

/// The bindings of a request: `user`, `account`, `accountName`,
/// `requestid`, `entitlementValue`, `endpoints` and `connection`.
pub fn request_bindings(config: &Config, request: &ProvisionRequest) -> Bindings {
    let object = |attributes: &Attributes| -> Map<String, Value> {
        attributes
            .iter()
            .map(|(name, value)| (name.clone(), attribute_json(value)))
            .collect()
    };
    let mut account = object(&request.account);
    if let Some(id) = &request.account_id {
        account.insert("accountID".into(), Value::String(id.clone()));
    }
    let account_name = account
        .get("name")
        .cloned()
        .or_else(|| request.account_id.clone().map(Value::String))
        .unwrap_or(Value::Null);
    let mut bindings = Bindings::default();
    bindings.bind("user", Value::Object(object(&request.user)));
    bindings.bind("account", Value::Object(account));
    bindings.bind("accountName", account_name);
    bindings.bind(
        "requestid",
        request
            .request_id
            .clone()
            .map_or(Value::Null, Value::String),
    );
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

fn attribute_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::Absent => Value::Null,
        AttributeValue::Text(t) => Value::String(t.clone()),
        AttributeValue::Integer(i) => Value::from(*i),
        AttributeValue::Boolean(b) => Value::Bool(*b),
    }
}

/// A call rendered and ready to send.
struct Rendered {
    request: HttpRequest,
    content_type: Option<ContentType>,
}

fn render(
    config: &Config,
    call: &ProvisionCall,
    bindings: &Bindings,
) -> Result<Rendered, ConnectorError> {
    let error =
        |field: &str, e: String| ConnectorError::Config(format!("{}.{field}: {e}", call.place));
    let url = call.url.render_url(bindings).map_err(|e| match e {
        UrlError::NotASegment {
            message,
            from_response: true,
        } => ConnectorError::InvalidResponse(format!(
            "{}.url: {message}; a value the target answered cannot fill a path segment",
            call.place
        )),
        other => error("url", other.to_string()),
    })?;
    let url = config.resolve_url(&url);
    let mut headers = Vec::new();
    for (name, template) in &call.headers {
        let value = template
            .render(bindings, verbatim)
            .and_then(|value| request_headers::check_value(&value).map(|()| value))
            .map_err(|e| error(&format!("httpHeaders.{name}"), e))?;
        headers.push((name.clone(), value));
    }
    request_headers::check_size(request_headers::size_of(&headers))
        .map_err(|e| error("httpHeaders", e))?;
    let body = match &call.body {
        None => None,
        Some(BodyTemplate::Text(template)) => {
            let encode = match call.content_type {
                ContentType::Json => json_escape,
                ContentType::Form => form_encode,
            };
            let body = template
                .render(bindings, encode)
                .map_err(|e| error("httpParams", e))?;
            if call.content_type == ContentType::Json {
                serde_json::from_str::<Value>(&body).map_err(|e| {
                    error("httpParams", format!("the rendered body is not JSON ({e}); a value was substituted outside a JSON string"))
                })?;
            }
            Some(body)
        }
        Some(BodyTemplate::Fields(fields)) => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (name, template) in fields {
                let value = template
                    .render(bindings, verbatim)
                    .map_err(|e| error(&format!("httpParams.{name}"), e))?;
                form.append_pair(name, &value);
            }
            Some(form.finish())
        }
    };
    if let Some(body) = &body
        && body.len() > MAX_REQUEST_BODY
    {
        return Err(error(
            "httpParams",
            format!(
                "the rendered body is {} bytes; the host sends at most {MAX_REQUEST_BODY}",
                body.len()
            ),
        ));
    }
    let content_type = body.as_ref().map(|_| call.content_type);
    if let Some(content_type) = content_type
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), content_type.mime().into()));
    }
    Ok(Rendered {
        request: HttpRequest {
            method: call.method.clone(),
            url,
            headers,
            body: body.map(String::into_bytes),
        },
        content_type,
    })
}

fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A dry run's view of a request: no `Authorization`.
pub fn rendered_call(request: &HttpRequest) -> RenderedCall {
    RenderedCall {
        method: request.method.clone(),
        url: request.url.clone(),
        headers: request
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
            .cloned()
            .collect(),
        body: request
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
    }
}

/// Runs `plan` for `request`.
pub async fn run_plan<T: Transport>(
    transport: &T,
    config: &Config,
    plan: &ProvisionPlan,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let audited = AuditedTransport::new(transport);
    let mut bindings = request_bindings(config, request);
    if request.dry_run {
        bindings = bindings.with_response_placeholders();
    }
    let mut responses = Map::new();
    let mut rendered = Vec::new();
    let mut outcome = if request.dry_run {
        Outcome::DryRun
    } else {
        Outcome::Done
    };
    for call in &plan.calls {
        let ready = render(config, call, &bindings)?;
        if request.dry_run {
            rendered.push(rendered_call(&ready.request));
            continue;
        }
        let rules = CallRules {
            place: &call.place,
            success: call.success.as_ref(),
            unsuccess: call.unsuccess.as_ref(),
        };
        let (response, call_outcome) =
            send_call(&audited, &rules, ready.request, ready.content_type).await?;
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
    let account_id = match &plan.account_id_path {
        Some(path) => lookup(&tree, path)
            .map(crate::dialect::expr::text_of)
            .filter(|id| !id.is_empty()),
        None => None,
    }
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

/// How a call's response is judged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallRules<'a> {
    /// Where the call sits, for messages.
    pub place: &'a str,
    /// What a success looks like; `None` means any 2xx.
    pub success: Option<&'a ResponseRule>,
    /// What a failure looks like.
    pub unsuccess: Option<&'a ResponseRule>,
}

/// Sends one call, with the retries and recoveries its method allows, and
/// judges the response by `rules`.
pub(crate) async fn send_call<T: Transport>(
    transport: &AuditedTransport<'_, T>,
    rules: &CallRules<'_>,
    request: HttpRequest,
    content_type: Option<ContentType>,
) -> Result<(HttpResponse, Outcome), ConnectorError> {
    let recovery = recovery_for(&request, content_type);
    let retry = RetryPolicy::default();
    let mut attempt = 1;
    let response = loop {
        let sent = transport.send(request.clone()).await;
        let failure = match &sent {
            Err(e) => Some(transport_failure(&request.method, &request.url, e.clone())),
            Ok(r) if r.status == 429 || r.status >= 500 => {
                check_status(&request.method, &request.url, r).err()
            }
            Ok(_) => None,
        };
        let Some(failure) = failure else {
            break sent.expect("a response");
        };
        // A request refused (a denied origin, a request the host will not
        // send) or a response that cannot be read ends the call as it is.
        if !failure.is_retryable() {
            return Err(failure);
        }
        // The request may have been applied before the failure: a create
        // looks for what it would have made before it tries again.
        if let Some(recovery) = &recovery {
            if let Some(found) = recovery.find(transport).await? {
                return Ok((found, Outcome::Done));
            }
        } else if request.method == "POST" {
            return Err(failure.with_note(
                "a POST with no way to look up what it made is not retried, as it may have been applied",
            ));
        }
        if attempt >= retry.attempts {
            return Err(failure);
        }
        transport.sleep(retry.delay(attempt, &failure)).await;
        attempt += 1;
    };
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    if let Some(rule) = rules.unsuccess
        && rule.matches(response.status, &body)
    {
        let error = check_status(&request.method, &request.url, &response)
            .err()
            .unwrap_or_else(|| {
                ConnectorError::InvalidResponse(format!(
                    "{} {} returned {}, which unsuccessResponses of {} names a failure",
                    request.method, request.url, response.status, rules.place
                ))
            });
        return Err(error);
    }
    if request.method == "DELETE" && is_absent(&request.url, response.status) {
        return Ok((response, Outcome::AlreadyAbsent));
    }
    if response.status == 409
        && let Some(recovery) = &recovery
        && let Some(found) = recovery.find(transport).await?
    {
        return Ok((found, Outcome::AlreadyExisted));
    }
    let success = match rules.success {
        Some(rule) => rule.matches(response.status, &body),
        None => (200..300).contains(&response.status),
    };
    if !success {
        return Err(check_status(&request.method, &request.url, &response)
            .err()
            .unwrap_or_else(|| {
                ConnectorError::InvalidResponse(format!(
                    "{} {} returned {}, which successResponses of {} does not accept",
                    request.method, request.url, response.status, rules.place
                ))
            }));
    }
    Ok((response, Outcome::Done))
}

/// Whether a DELETE's status says the object is already gone: 404, or the
/// 403 Confluent answers for a role binding it does not have.
fn is_absent(url: &str, status: u16) -> bool {
    status == 404 || (status == 403 && url.contains("/iam/v2/role-bindings/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::provision_doc::ProvisionDocument;
    use crate::fake_target::FakeTarget;

    const BASE: &str = "http://sim:1";

    fn plan(document: Value) -> (Config, ProvisionPlan) {
        let config = Config::load(BASE, &[]).unwrap();
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
        let config = Config::load(BASE, &[]).unwrap();
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
