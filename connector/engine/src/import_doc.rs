//! The `ImportAccountEntJSON` dialect: its serde shape, and its compiled form
//! with every template and mapping parsed and checked.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::error::ConfigError;
use crate::mapping::{ColumnMapping, Segment, parse_mapping, parse_path};
use crate::template::Template;

/// The document's name, as host platforms store it.
pub const IMPORT_DOCUMENT: &str = "ImportAccountEntJSON";

/// The document as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportDocument {
    /// How accounts are imported.
    pub account_params: Option<AccountParams>,
    /// How entitlements are imported, per type.
    pub entitlement_params: Option<EntitlementParams>,
    /// How access links are imported.
    pub acct_ent_params: Option<serde_json::Value>,
    /// The Java-style date format of `date` columns.
    pub date_format: Option<String>,
    /// Deletion and threshold rules.
    pub status_and_threshold_config: Option<serde_json::Value>,
}

/// `accountParams`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountParams {
    /// The `ConnectionJSON` authentication to use.
    pub connection: Option<String>,
    /// `SequentialAndIterative` is the only mode; calls run in order.
    pub processing_type: Option<String>,
    /// The calls, by name.
    pub call: IndexMap<String, CallSpec>,
}

/// `entitlementParams`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntitlementParams {
    /// The `ConnectionJSON` authentication to use.
    pub connection: Option<String>,
    /// `SequentialAndIterative` is the only mode; calls run in order.
    pub processing_type: Option<String>,
    /// The entitlement types, by name.
    pub ent_types: IndexMap<String, EntTypeSpec>,
}

/// `entitlementParams.entTypes.<name>`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntTypeSpec {
    /// Types import in this order.
    #[serde(default)]
    pub ent_type_order: i64,
    /// Display labels of the custom properties.
    #[serde(default)]
    pub ent_type_labels: IndexMap<String, String>,
    /// The calls, by name.
    pub call: IndexMap<String, CallSpec>,
}

/// One call of `accountParams` or an entitlement type.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallSpec {
    /// Calls run in `stageNumber`, then `callOrder`, order.
    #[serde(default)]
    pub call_order: i64,
    /// See `callOrder`.
    #[serde(default)]
    pub stage_number: i64,
    /// The request.
    pub http: HttpSpec,
    /// Dotted path to the list of records; empty means the body is the list.
    #[serde(default)]
    pub list_field: String,
    /// The target attribute that identifies a record.
    pub key_field: String,
    /// Target attribute to `source~#~type`.
    pub cols_to_props_map: IndexMap<String, String>,
    /// Call dependencies.
    pub input_params: Option<InputParams>,
    /// Whether entitlements that disappear are marked inactive.
    pub disable_deleted_entitlements: Option<bool>,
}

/// `inputParams`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputParams {
    /// Whether the call runs once per record of an earlier call.
    #[serde(default)]
    pub dependent_call: bool,
}

/// `http`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpSpec {
    /// The URL template.
    pub url: String,
    /// Defaults to GET.
    #[serde(default = "get")]
    pub http_method: String,
    /// Header templates.
    #[serde(default)]
    pub http_headers: IndexMap<String, String>,
    /// The request's content type.
    pub http_content_type: Option<String>,
    /// A body template.
    pub http_params: Option<serde_json::Value>,
}

fn get() -> String {
    "GET".to_string()
}

/// A call ready to run.
#[derive(Debug, Clone)]
pub struct CallPlan {
    /// Where the call sits in the document, for messages.
    pub path: String,
    /// The request's method.
    pub method: String,
    /// The URL template.
    pub url: Template,
    /// Header templates.
    pub headers: Vec<(String, Template)>,
    /// Path to the record list; empty for a top-level array.
    pub list_field: Vec<Segment>,
    /// The target attribute that identifies a record.
    pub key_field: String,
    /// The attribute mapping.
    pub columns: Vec<ColumnMapping>,
}

/// An entitlement type ready to import.
#[derive(Debug, Clone)]
pub struct EntTypePlan {
    /// The type's name, such as `environment`.
    pub name: String,
    /// Its calls, in order.
    pub calls: Vec<CallPlan>,
}

/// The compiled import document.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    /// Account calls, in order.
    pub account_calls: Vec<CallPlan>,
    /// Entitlement types, in order.
    pub ent_types: Vec<EntTypePlan>,
}

impl ImportPlan {
    /// Checks and compiles a parsed document.
    pub fn compile(document: &ImportDocument) -> Result<Self, ConfigError> {
        let mut plan = Self::default();
        if let Some(params) = &document.account_params {
            plan.account_calls = compile_calls("accountParams.call", &params.call)?;
        }
        if let Some(params) = &document.acct_ent_params
            && params.as_object().is_none_or(|p| !p.is_empty())
        {
            return Err(ConfigError::new(
                IMPORT_DOCUMENT,
                "acctEntParams",
                "custom access calls are not supported yet; expected {} (the built-in role-binding import)",
            ));
        }
        if let Some(params) = &document.entitlement_params {
            let mut types: Vec<_> = params.ent_types.iter().collect();
            types.sort_by_key(|(_, spec)| spec.ent_type_order);
            for (name, spec) in types {
                let path = format!("entitlementParams.entTypes.{name}.call");
                plan.ent_types.push(EntTypePlan {
                    name: name.clone(),
                    calls: compile_calls(&path, &spec.call)?,
                });
            }
        }
        Ok(plan)
    }
}

fn compile_calls(
    path: &str,
    calls: &IndexMap<String, CallSpec>,
) -> Result<Vec<CallPlan>, ConfigError> {
    let mut ordered: Vec<_> = calls.iter().collect();
    ordered.sort_by_key(|(_, call)| (call.stage_number, call.call_order));
    ordered
        .into_iter()
        .map(|(name, call)| compile_call(&format!("{path}.{name}"), call))
        .collect()
}

fn compile_call(path: &str, call: &CallSpec) -> Result<CallPlan, ConfigError> {
    let error = |at: String, message: String| ConfigError::new(IMPORT_DOCUMENT, at, message);
    if call.input_params.as_ref().is_some_and(|p| p.dependent_call) {
        return Err(error(
            format!("{path}.inputParams.dependentCall"),
            "dependent calls are not supported yet; expected false".to_string(),
        ));
    }
    let method = call.http.http_method.to_ascii_uppercase();
    if method != "GET" {
        return Err(error(
            format!("{path}.http.httpMethod"),
            format!("'{method}' is not supported for imports; expected GET"),
        ));
    }
    let template = |at: String, text: &str| -> Result<Template, ConfigError> {
        let template = Template::parse(text).map_err(|e| error(at.clone(), e))?;
        if let Some(unbound) = template.variables().find(|v| v != "access_token") {
            return Err(error(
                at,
                format!("'${{{unbound}}}' is not bound in imports; expected ${{access_token}}"),
            ));
        }
        Ok(template)
    };
    let url = template(format!("{path}.http.url"), &call.http.url)?;
    let headers = call
        .http
        .http_headers
        .iter()
        .map(|(name, value)| {
            Ok((
                name.clone(),
                template(format!("{path}.http.httpHeaders.{name}"), value)?,
            ))
        })
        .collect::<Result<_, ConfigError>>()?;
    let list_field = if call.list_field.trim().is_empty() {
        Vec::new()
    } else {
        parse_path(&call.list_field).map_err(|e| error(format!("{path}.listField"), e))?
    };
    let columns = call
        .cols_to_props_map
        .iter()
        .map(|(target, spec)| {
            parse_mapping(target, spec)
                .map_err(|e| error(format!("{path}.colsToPropsMap.{target}"), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !columns.iter().any(|c| c.target == call.key_field) {
        return Err(error(
            format!("{path}.keyField"),
            format!(
                "'{}' is not a target of colsToPropsMap, so it can never match; expected one of {:?}",
                call.key_field,
                columns
                    .iter()
                    .map(|c| c.target.as_str())
                    .collect::<Vec<_>>()
            ),
        ));
    }
    Ok(CallPlan {
        path: path.to_string(),
        method,
        url,
        headers,
        list_field,
        key_field: call.key_field.clone(),
        columns,
    })
}
