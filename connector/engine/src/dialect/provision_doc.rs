//! The provisioning dialect (`CreateAccountJSON`, `UpdateAccountJSON`,
//! `RemoveAccountJSON`, `AddAccessJSON`, `RemoveAccessJSON`): its serde shape,
//! and its compiled form with every template parsed and checked.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use crate::client::MAX_REQUEST_BODY;
use crate::dialect::expr::text_of;
use crate::dialect::mapping::{ColumnMapping, Segment, lookup, parse_mapping, parse_path};
use crate::dialect::place::Place;
use crate::dialect::template::Template;
use crate::error::ConfigError;

/// A provisioning document as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionDocument {
    /// Where the account's id is in the responses, such as
    /// `call1.message.id`.
    pub account_id_path: Option<String>,
    /// The Java-style date format of `date` columns.
    pub date_format: Option<String>,
    /// Account attribute to `<call>.message.<path>~#~type`.
    #[serde(default)]
    pub response_cols_to_props_map: IndexMap<String, String>,
    /// The calls, run in order.
    pub call: Vec<CallSpec>,
}

/// One call.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallSpec {
    /// The call's name, for `${response.<name>…}`.
    pub name: String,
    /// The `ConnectionJSON` authentication to use.
    pub connection: Option<String>,
    /// The URL template.
    pub url: String,
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub http_method: String,
    /// The body template: a string, or a JSON object whose text is the
    /// template.
    pub http_params: Option<Value>,
    /// Header templates.
    #[serde(default)]
    pub http_headers: IndexMap<String, String>,
    /// `application/json` (the default) or
    /// `application/x-www-form-urlencoded`.
    pub http_content_type: Option<String>,
    /// What a success looks like.
    pub success_responses: Option<IndexMap<String, Value>>,
    /// What a failure looks like, whatever the status.
    pub unsuccess_responses: Option<IndexMap<String, Value>>,
}

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// `application/json`: values are JSON-escaped and the body must parse.
    Json,
    /// `application/x-www-form-urlencoded`: values are form-encoded.
    Form,
}

impl ContentType {
    /// The header value.
    pub fn mime(self) -> &'static str {
        match self {
            ContentType::Json => "application/json",
            ContentType::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// The body of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyTemplate {
    /// One template for the whole body.
    Text(Template),
    /// Form fields, each a template, encoded one by one.
    Fields(Vec<(String, Template)>),
}

/// A status and body-field rule (`successResponses`, `unsuccessResponses`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseRule {
    /// Statuses that match; empty means any.
    pub statuses: Vec<u16>,
    /// Body paths and the values that match there; all must match.
    pub fields: Vec<(Vec<Segment>, Vec<Value>)>,
}

impl ResponseRule {
    /// Whether a response with `status` and JSON `body` matches.
    pub fn matches(&self, status: u16, body: &Value) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&status))
            && self.fields.iter().all(|(path, accepted)| {
                lookup(body, path).is_some_and(|found| {
                    accepted
                        .iter()
                        .any(|a| a == found || text_of(a) == text_of(found))
                })
            })
    }
}

/// A call ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionCall {
    /// The call's name.
    pub name: String,
    /// Where it sits, for messages: `CreateAccountJSON: call[0] (call1)`.
    pub place: String,
    /// The method, upper case.
    pub method: String,
    /// The URL template.
    pub url: Template,
    /// Header templates.
    pub headers: Vec<(String, Template)>,
    /// The body, if any.
    pub body: Option<BodyTemplate>,
    /// How the body is encoded.
    pub content_type: ContentType,
    /// What a success looks like; `None` means any 2xx.
    pub success: Option<ResponseRule>,
    /// What a failure looks like.
    pub unsuccess: Option<ResponseRule>,
}

/// A compiled provisioning document.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionPlan {
    /// The document's name.
    pub document: String,
    /// The calls, in order.
    pub calls: Vec<ProvisionCall>,
    /// Where the account id is in the response tree (`call1.message.id`).
    pub account_id_path: Option<Vec<Segment>>,
    /// Attributes read from the response tree.
    pub response_columns: Vec<ColumnMapping>,
}

/// The names bound in provisioning templates.
pub const BINDINGS: &[&str] = &[
    "user",
    "account",
    "accountName",
    "requestid",
    "entitlementValue",
    "endpoints",
    "connection",
    "response",
    "access_token",
];

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

impl ProvisionPlan {
    /// Checks and compiles a parsed document named `name`.
    pub fn compile(name: &str, document: &ProvisionDocument) -> Result<Self, ConfigError> {
        let top = Place::new(name, "");
        if document.call.is_empty() {
            return Err(top.error("call", "no calls; expected at least one"));
        }
        let date_format = top.date_format(document.date_format.as_deref())?;
        let names: Vec<&str> = document.call.iter().map(|c| c.name.as_str()).collect();
        let mut calls = Vec::new();
        for (index, spec) in document.call.iter().enumerate() {
            let earlier = &names[..index];
            if earlier.contains(&names[index]) {
                return Err(top.error(
                    format_args!("call[{index}].name"),
                    format!(
                        "'{}' names an earlier call too; expected a unique name",
                        spec.name
                    ),
                ));
            }
            calls.push(compile_call(name, index, spec, earlier)?);
        }
        let response_path = |at: &str, text: &str| -> Result<Vec<Segment>, ConfigError> {
            let path = parse_path(text).map_err(|e| top.error(at, e))?;
            match path.first() {
                Some(Segment::Field(call)) if names.contains(&call.as_str()) => Ok(path),
                _ => Err(top.error(
                    at,
                    format!(
                        "'{text}' does not start with a call's name; expected one of {names:?}, as in call1.message.id"
                    ),
                )),
            }
        };
        let account_id_path = document
            .account_id_path
            .as_deref()
            .map(|p| response_path("accountIdPath", p))
            .transpose()?;
        let response_columns = document
            .response_cols_to_props_map
            .iter()
            .map(|(target, spec)| {
                let at = format!("responseColsToPropsMap.{target}");
                let mut column = parse_mapping(target, spec).map_err(|e| top.error(&at, e))?;
                response_path(&at, spec.split("~#~").next().unwrap_or_default())?;
                column.date_format = date_format.clone();
                Ok(column)
            })
            .collect::<Result<_, ConfigError>>()?;
        Ok(Self {
            document: name.to_string(),
            calls,
            account_id_path,
            response_columns,
        })
    }
}

fn compile_call(
    document: &str,
    index: usize,
    spec: &CallSpec,
    earlier: &[&str],
) -> Result<ProvisionCall, ConfigError> {
    let place = Place::new(document, format!("call[{index}] ({})", spec.name));
    let method = spec.http_method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(place.error(
            "httpMethod",
            format!(
                "'{}' is not a method; expected one of {METHODS:?}",
                spec.http_method
            ),
        ));
    }
    let bound = |variable: &str| {
        let mut parts = variable.split('.');
        let root = parts.next().unwrap_or_default();
        if !BINDINGS.contains(&root) {
            return Err(format!(
                "'{variable}' is not bound; expected a name under {BINDINGS:?}"
            ));
        }
        let call = parts.next().unwrap_or_default();
        if root == "response" && !earlier.contains(&call) {
            return Err(format!(
                "'{variable}' reads the response of '{call}', which has not run by then; expected one of {earlier:?}"
            ));
        }
        Ok(())
    };
    let template = |field: &str, text: &str| place.template(field, text, bound);
    let content_type = match spec.http_content_type.as_deref().map(str::trim) {
        None | Some("") => ContentType::Json,
        Some(t) if t.eq_ignore_ascii_case("application/json") => ContentType::Json,
        Some(t) if t.eq_ignore_ascii_case("application/x-www-form-urlencoded") => ContentType::Form,
        Some(other) => {
            return Err(place.error(
                "httpContentType",
                format!(
                    "'{other}' is not supported; expected application/json or application/x-www-form-urlencoded"
                ),
            ));
        }
    };
    let body = match (&spec.http_params, content_type) {
        (None, _) | (Some(Value::Null), _) => None,
        (Some(Value::String(text)), _) if text.trim().is_empty() => None,
        (Some(Value::String(text)), _) => Some(BodyTemplate::Text(template("httpParams", text)?)),
        (Some(Value::Object(fields)), ContentType::Form) => Some(BodyTemplate::Fields(
            fields
                .iter()
                .map(|(name, value)| {
                    let text = value
                        .as_str()
                        .map_or_else(|| value.to_string(), String::from);
                    let value = template(&format!("httpParams.{name}"), &text)?;
                    Ok((name.clone(), value))
                })
                .collect::<Result<_, ConfigError>>()?,
        )),
        (Some(object @ Value::Object(_)), ContentType::Json) => Some(BodyTemplate::Text(template(
            "httpParams",
            &object.to_string(),
        )?)),
        (Some(other), _) => {
            return Err(place.error(
                "httpParams",
                format!("{other} is not a body; expected a string template or an object"),
            ));
        }
    };
    let fixed_text = match &body {
        None => 0,
        Some(BodyTemplate::Text(template)) => template.fixed_len(),
        Some(BodyTemplate::Fields(fields)) => fields
            .iter()
            .map(|(name, template)| name.len() + template.fixed_len())
            .sum(),
    };
    if fixed_text > MAX_REQUEST_BODY {
        return Err(place.error(
            "httpParams",
            format!(
                "the body's fixed text alone is {fixed_text} bytes; the host sends at most {MAX_REQUEST_BODY}"
            ),
        ));
    }
    let rule = |field: &str, spec: &Option<IndexMap<String, Value>>| {
        spec.as_ref()
            .map(|spec| compile_rule(spec).map_err(|e| place.error(field, e)))
            .transpose()
    };
    let (url, headers) = place.request("", &spec.url, &spec.http_headers, bound)?;
    Ok(ProvisionCall {
        name: spec.name.clone(),
        place: format!("{document}: {}", place.path),
        method,
        url,
        headers,
        body,
        content_type,
        success: rule("successResponses", &spec.success_responses)?,
        unsuccess: rule("unsuccessResponses", &spec.unsuccess_responses)?,
    })
}

fn compile_rule(spec: &IndexMap<String, Value>) -> Result<ResponseRule, String> {
    let mut rule = ResponseRule::default();
    for (key, value) in spec {
        let values = match value {
            Value::Array(values) => values.clone(),
            other => vec![other.clone()],
        };
        if key == "statusCode" {
            rule.statuses = values
                .iter()
                .map(|v| {
                    v.as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                        .filter(|s| (100..600).contains(s))
                        .map(|s| s as u16)
                        .ok_or_else(|| {
                            format!(
                                "statusCode holds {v}; expected HTTP statuses such as [200, 201]"
                            )
                        })
                })
                .collect::<Result<_, _>>()?;
        } else {
            let path = parse_path(key.strip_prefix("message.").unwrap_or(key))?;
            rule.fields.push((path, values));
        }
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn compile(document: Value) -> Result<ProvisionPlan, String> {
        let parsed: ProvisionDocument = serde_json::from_value(document).unwrap();
        ProvisionPlan::compile("CreateAccountJSON", &parsed).map_err(|e| e.to_string())
    }

    fn call(extra: Value) -> Value {
        let mut call =
            json!({"name": "call1", "url": "https://api.confluent.cloud/x", "httpMethod": "POST"});
        for (key, value) in extra.as_object().unwrap() {
            call[key] = value.clone();
        }
        call
    }

    #[test]
    fn the_seed_documents_compile() {
        for (name, text) in crate::confluent::DEFAULT_DOCUMENTS {
            if name.ends_with("AccountJSON") {
                let document: ProvisionDocument = serde_json::from_str(text).unwrap();
                ProvisionPlan::compile(name, &document).unwrap();
            }
        }
    }

    #[test]
    fn mistakes_name_the_document_the_call_and_the_position() {
        let cases = [
            (
                json!({"call": [call(json!({"httpParams": "{\"a\": \"${user.name.shout()}\"}"}))]}),
                "CreateAccountJSON: at call[0] (call1).httpParams: position 19: in '${user.name.shout()}': 'shout' is not a method here",
            ),
            (
                json!({"call": [call(json!({"url": "https://h/${secrets.key}"}))]}),
                "at call[0] (call1).url: 'secrets.key' is not bound; expected a name under",
            ),
            (
                json!({"call": [call(json!({"url": "https://h/${response.call2.message.id}"})), call(json!({"name": "call2"}))]}),
                "at call[0] (call1).url: 'response.call2.message.id' reads the response of 'call2', which has not run by then; expected one of []",
            ),
            (
                json!({"call": [call(json!({"httpMethod": "FETCH"}))]}),
                "at call[0] (call1).httpMethod: 'FETCH' is not a method",
            ),
            (
                json!({"call": [call(json!({"httpContentType": "text/xml"}))]}),
                "at call[0] (call1).httpContentType: 'text/xml' is not supported",
            ),
            (
                json!({"accountIdPath": "message.id", "call": [call(json!({}))]}),
                "at accountIdPath: 'message.id' does not start with a call's name",
            ),
            (
                json!({"call": [call(json!({"successResponses": {"statusCode": ["ok"]}}))]}),
                "at call[0] (call1).successResponses: statusCode holds \"ok\"",
            ),
            (json!({"call": []}), "at call: no calls"),
            (
                json!({"call": [call(json!({"httpParams": "x".repeat(MAX_REQUEST_BODY + 1)}))]}),
                "at call[0] (call1).httpParams: the body's fixed text alone is 1048577 bytes; the host sends at most 1048576",
            ),
            (
                json!({"call": [call(json!({"httpHeaders": {"Proxy-Authorization": "Basic x"}}))]}),
                "at call[0] (call1).httpHeaders.Proxy-Authorization: 'Proxy-Authorization' is a header the host sets or forbids",
            ),
            (
                json!({"call": [call(json!({"httpHeaders": {"Content-Length": "10"}}))]}),
                "at call[0] (call1).httpHeaders.Content-Length: 'Content-Length' is a header the host sets or forbids",
            ),
            (
                json!({"call": [call(json!({"url": "https://user@api.confluent.cloud/x"}))]}),
                "at call[0] (call1).url: the URL names a user or password before its host",
            ),
        ];
        for (document, expected) in cases {
            let error = compile(document).unwrap_err();
            assert!(error.contains(expected), "{error}\n  expected: {expected}");
        }
    }

    #[test]
    fn response_rules_match_statuses_and_body_fields() {
        let plan = compile(json!({"call": [call(json!({"successResponses": {"statusCode": [200, "201"], "message.status": ["ACTIVE", "ok"]}}))]})).unwrap();
        let rule = plan.calls[0].success.clone().unwrap();
        assert!(rule.matches(201, &json!({"status": "ok"})));
        assert!(!rule.matches(202, &json!({"status": "ok"})));
        assert!(!rule.matches(200, &json!({"status": "PENDING"})));
    }
}
