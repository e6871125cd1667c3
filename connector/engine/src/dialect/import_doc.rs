//! The `ImportAccountEntJSON` dialect: its serde shape, and its compiled form
//! with every template and mapping parsed and checked.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::client::pages::Paging;
use crate::dialect::dates::DateFormat;
use crate::dialect::mapping::{ColumnMapping, Segment, parse_mapping, parse_path};
use crate::dialect::place::Place;
use crate::dialect::status_rules::{StatusAndThresholdConfig, StatusRules};
use crate::dialect::template::Template;
use crate::error::ConfigError;

/// The document's name, as host platforms store it.
pub const IMPORT_DOCUMENT: &str = "ImportAccountEntJSON";

/// The most calls `accountParams` or one entitlement type may have. The
/// seed's have two; a few more read other lists or add details.
pub const MAX_CALLS: usize = 64;

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
    pub status_and_threshold_config: Option<StatusAndThresholdConfig>,
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
    /// The target attribute that identifies a record (not needed on a
    /// dependent call).
    #[serde(default)]
    pub key_field: String,
    /// Target attribute to `source~#~type`.
    pub cols_to_props_map: IndexMap<String, String>,
    /// Call dependencies.
    pub input_params: Option<InputParams>,
    /// How the list continues; Confluent's `metadata.next` when absent.
    pub pagination: Option<PaginationSpec>,
    /// Whether entitlements that disappear are marked inactive.
    pub disable_deleted_entitlements: Option<bool>,
}

/// `pagination`: one of its forms.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationSpec {
    /// The next page's URL is in the body.
    pub next_url: Option<NextUrlSpec>,
    /// Offset and batch size parameters.
    pub offset: Option<OffsetSpec>,
    /// A page-number parameter.
    pub page: Option<PageSpec>,
}

/// `pagination.nextUrl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NextUrlSpec {
    /// A path such as `metadata.next`, or Saviynt's
    /// `${response.completeResponseMap.metadata.next}`.
    pub next_url_path: String,
}

/// `pagination.offset`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OffsetSpec {
    /// The offset's query parameter.
    pub offset_param: String,
    /// The batch size's query parameter.
    pub batch_param: String,
    /// Records per page.
    pub batch_size: u64,
    /// Where the body gives the total count.
    pub total_count_path: Option<String>,
}

/// `pagination.page`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageSpec {
    /// The page number's query parameter; `page` when absent.
    pub page_param: Option<String>,
    /// The page size's query parameter, if the API takes one.
    pub page_size_param: Option<String>,
    /// Records per page.
    pub page_size: u64,
    /// The first page's number; 1 when absent.
    pub first_page: Option<u64>,
    /// Where the body gives the number of pages.
    pub total_pages_path: Option<String>,
}

/// `inputParams`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InputParams {
    /// Whether the call runs once per record of an earlier call.
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
    /// How the list continues.
    pub paging: Paging,
    /// Whether the call runs once per record of the calls before it, adding
    /// its columns to that record.
    pub dependent: bool,
}

/// An entitlement type ready to import.
#[derive(Debug, Clone)]
pub struct EntTypePlan {
    /// The type's name, such as `environment`.
    pub name: String,
    /// Its calls, in order.
    pub calls: Vec<CallPlan>,
    /// Whether its entitlements that disappear come out inactive
    /// (`disableDeletedEntitlements`, true unless a call says false).
    pub disable_deleted: bool,
}

/// The compiled import document.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    /// Account calls, in order.
    pub account_calls: Vec<CallPlan>,
    /// Entitlement types, in order.
    pub ent_types: Vec<EntTypePlan>,
    /// What becomes of objects that disappear.
    pub status_rules: StatusRules,
}

impl ImportPlan {
    /// Checks and compiles a parsed document.
    pub fn compile(document: &ImportDocument) -> Result<Self, ConfigError> {
        let mut plan = Self::default();
        let top = Place::new(IMPORT_DOCUMENT, "");
        let date_format = top.date_format(document.date_format.as_deref())?;
        if let Some(params) = &document.account_params {
            plan.account_calls =
                compile_calls("accountParams.call", &params.call, "account", &date_format)?;
        }
        if let Some(block) = &document.status_and_threshold_config {
            plan.status_rules = StatusRules::compile(block)?;
        }
        if let Some(params) = &document.acct_ent_params
            && params.as_object().is_none_or(|p| !p.is_empty())
        {
            return Err(top.error(
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
                    calls: compile_calls(&path, &spec.call, "entitlement", &date_format)?,
                    disable_deleted: spec
                        .call
                        .values()
                        .all(|call| call.disable_deleted_entitlements != Some(false)),
                });
            }
        }
        Ok(plan)
    }
}

fn compile_calls(
    path: &str,
    calls: &IndexMap<String, CallSpec>,
    record_binding: &str,
    date_format: &Option<DateFormat>,
) -> Result<Vec<CallPlan>, ConfigError> {
    if calls.len() > MAX_CALLS {
        return Err(ConfigError::new(
            IMPORT_DOCUMENT,
            path,
            format!(
                "{} calls; expected at most {MAX_CALLS} for accounts or for one entitlement type",
                calls.len()
            ),
        ));
    }
    let mut ordered: Vec<_> = calls.iter().collect();
    ordered.sort_by_key(|(_, call)| (call.stage_number, call.call_order));
    let plans = ordered
        .into_iter()
        .map(|(name, call)| {
            let place = Place::new(IMPORT_DOCUMENT, format!("{path}.{name}"));
            compile_call(place, call, record_binding, date_format)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(first) = plans.first()
        && first.dependent
    {
        return Err(ConfigError::new(
            IMPORT_DOCUMENT,
            format!("{}.inputParams.dependentCall", first.path),
            "the first call cannot be dependent; expected an earlier call whose records it extends",
        ));
    }
    Ok(plans)
}

fn compile_call(
    place: Place,
    call: &CallSpec,
    record_binding: &str,
    date_format: &Option<DateFormat>,
) -> Result<CallPlan, ConfigError> {
    let dependent = call.input_params.as_ref().is_some_and(|p| p.dependent_call);
    let method = call.http.http_method.to_ascii_uppercase();
    if method != "GET" {
        return Err(place.error(
            "http.httpMethod",
            format!("'{method}' is not supported for imports; expected GET"),
        ));
    }
    let bound = |v: &str| {
        let record = v
            .strip_prefix(record_binding)
            .is_some_and(|r| r.starts_with('.'));
        if v == "access_token" || (dependent && record) {
            return Ok(());
        }
        let expected = if dependent {
            format!("${{access_token}} or ${{{record_binding}.<attribute>}}")
        } else {
            "${access_token} (record attributes are bound only in dependent calls)".to_string()
        };
        Err(format!(
            "'${{{v}}}' is not bound in imports; expected {expected}"
        ))
    };
    let (url, headers) = place.request("http.", &call.http.url, &call.http.http_headers, bound)?;
    let list_field = if call.list_field.trim().is_empty() {
        Vec::new()
    } else {
        parse_path(&call.list_field).map_err(|e| place.error("listField", e))?
    };
    let columns = call
        .cols_to_props_map
        .iter()
        .map(|(target, spec)| {
            let mut column = parse_mapping(target, spec)
                .map_err(|e| place.error(format_args!("colsToPropsMap.{target}"), e))?;
            column.date_format = date_format.clone();
            Ok(column)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !dependent && !call.cols_to_props_map.contains_key(&call.key_field) {
        return Err(place.error(
            "keyField",
            format!(
                "'{}' is not a target of colsToPropsMap, so it can never match; expected one of {:?}",
                call.key_field,
                call.cols_to_props_map.keys().collect::<Vec<_>>()
            ),
        ));
    }
    let paging = match &call.pagination {
        None => Paging::Automatic,
        Some(spec) => compile_paging(&place, spec)?,
    };
    Ok(CallPlan {
        path: place.path,
        url,
        headers,
        list_field,
        key_field: call.key_field.clone(),
        columns,
        paging,
        dependent,
    })
}

fn compile_paging(place: &Place, spec: &PaginationSpec) -> Result<Paging, ConfigError> {
    let optional_path = |at: &str, text: &Option<String>| {
        text.as_deref()
            .map(|p| parse_path(p).map_err(|e| place.error(at, e)))
            .transpose()
    };
    let per_page = |at: &str, size: u64| match size {
        0 => Err(place.error(at, "0 records per page; expected at least 1")),
        size => Ok(size),
    };
    match (&spec.next_url, &spec.offset, &spec.page) {
        (Some(next), None, None) => {
            let text = &next.next_url_path;
            let path = response_path(text).ok_or_else(|| {
                format!(
                    "'{text}' is not a path; expected one such as metadata.next or ${{response.completeResponseMap.metadata.next}}"
                )
            });
            let path = path.and_then(|path| parse_path(&path));
            let at = "pagination.nextUrl.nextUrlPath";
            Ok(Paging::NextUrl(path.map_err(|e| place.error(at, e))?))
        }
        (None, Some(offset), None) => Ok(Paging::Offset {
            offset_param: offset.offset_param.clone(),
            batch_param: offset.batch_param.clone(),
            batch_size: per_page("pagination.offset.batchSize", offset.batch_size)?,
            total_count: optional_path(
                "pagination.offset.totalCountPath",
                &offset.total_count_path,
            )?,
        }),
        (None, None, Some(page)) => Ok(Paging::Page {
            page_param: page
                .page_param
                .clone()
                .unwrap_or_else(|| "page".to_string()),
            size_param: page.page_size_param.clone(),
            size: per_page("pagination.page.pageSize", page.page_size)?,
            first: page.first_page.unwrap_or(1),
            total_pages: optional_path("pagination.page.totalPagesPath", &page.total_pages_path)?,
        }),
        _ => Err(place.error(
            "pagination",
            "expected exactly one of nextUrl, offset and page",
        )),
    }
}

/// The body path in a `nextUrlPath`: `metadata.next` as it is, or Saviynt's
/// `${response?.completeResponseMap?.metadata?.next}` unwrapped. Anything
/// more (a ternary, a comparison) is `None`.
fn response_path(text: &str) -> Option<String> {
    let text = text.trim();
    let inner = match text.strip_prefix("${") {
        Some(rest) => rest.strip_suffix('}')?,
        None => text,
    };
    let inner = inner.replace("?.", ".");
    let inner = inner.strip_prefix("response.").unwrap_or(&inner);
    let inner = inner.strip_prefix("completeResponseMap.").unwrap_or(inner);
    let plain = inner
        .chars()
        .all(|c| c.is_alphanumeric() || "_-.[]~#".contains(c));
    (plain && !inner.is_empty()).then(|| inner.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_url_paths_take_the_saviynt_form_too() {
        assert_eq!(
            Some("metadata.next".to_string()),
            response_path("metadata.next")
        );
        assert_eq!(
            Some("metadata.next".to_string()),
            response_path("${response?.completeResponseMap?.metadata?.next}")
        );
        assert_eq!(
            None,
            response_path("${response.next==null?null:response.next}")
        );
    }

    fn compile_error(document: serde_json::Value) -> String {
        let document: ImportDocument = serde_json::from_value(document).unwrap();
        ImportPlan::compile(&document).unwrap_err().to_string()
    }

    fn with_call(extra: serde_json::Value) -> serde_json::Value {
        let mut call = serde_json::json!({"http": {"url": "http://h/x"}, "keyField": "id", "colsToPropsMap": {"id": "id"}});
        for (key, value) in extra.as_object().unwrap() {
            call[key] = value.clone();
        }
        serde_json::json!({"accountParams": {"call": {"c1": call}}})
    }

    #[test]
    fn dialect_mistakes_name_their_path_and_what_was_expected() {
        let cases = [
            (
                with_call(
                    serde_json::json!({"pagination": {"offset": {"offsetParam": "o", "batchParam": "b", "batchSize": 5}, "page": {"pageSize": 5}}}),
                ),
                "ImportAccountEntJSON: at accountParams.call.c1.pagination: expected exactly one of nextUrl, offset and page",
            ),
            (
                with_call(
                    serde_json::json!({"pagination": {"nextUrl": {"nextUrlPath": "${response.a==null?null:response.a}"}}}),
                ),
                "at accountParams.call.c1.pagination.nextUrl.nextUrlPath: '${response.a==null?null:response.a}' is not a path",
            ),
            (
                with_call(serde_json::json!({"pagination": {"page": {"pageSize": 0}}})),
                "at accountParams.call.c1.pagination.page.pageSize: 0 records per page",
            ),
            (
                with_call(serde_json::json!({"inputParams": {"dependentCall": true}})),
                "at accountParams.call.c1.inputParams.dependentCall: the first call cannot be dependent",
            ),
            (
                with_call(serde_json::json!({"http": {"url": "http://h/${user.id}"}})),
                "at accountParams.call.c1.http.url: '${user.id}' is not bound in imports; expected ${access_token} (record attributes are bound only in dependent calls)",
            ),
            (
                serde_json::json!({"dateFormat": "yyyy-QQ"}),
                "at dateFormat: 'yyyy-QQ' uses 'QQ'",
            ),
            (
                serde_json::json!({"statusAndThresholdConfig": {"entThresholdValue": "200%"}}),
                "at statusAndThresholdConfig.entThresholdValue: \"200%\" is not a threshold",
            ),
        ];
        for (document, expected) in cases {
            let error = compile_error(document);
            assert!(error.contains(expected), "{error}\n  expected: {expected}");
        }
    }

    #[test]
    fn more_calls_than_the_cap_are_refused() {
        let calls: serde_json::Map<_, _> = (0..=MAX_CALLS)
            .map(|n| {
                let call = serde_json::json!({"http": {"url": format!("http://h/{n}")}, "keyField": "id", "colsToPropsMap": {"id": "id"}});
                (format!("c{n}"), call)
            })
            .collect();
        let error = compile_error(
            serde_json::json!({"entitlementParams": {"entTypes": {"group": {"call": calls}}}}),
        );
        assert_eq!(
            "ImportAccountEntJSON: at entitlementParams.entTypes.group.call: 65 calls; expected at most 64 for accounts or for one entitlement type",
            error
        );
    }

    #[test]
    fn a_request_the_host_would_refuse_is_refused_when_the_document_loads() {
        let cases = [
            (
                with_call(
                    serde_json::json!({"http": {"url": "http://h/x", "httpHeaders": {"Transfer-Encoding": "chunked"}}}),
                ),
                "ImportAccountEntJSON: at accountParams.call.c1.http.httpHeaders.Transfer-Encoding: 'Transfer-Encoding' is a header the host sets or forbids",
            ),
            (
                with_call(
                    serde_json::json!({"http": {"url": "http://h/x", "httpHeaders": {"Host": "evil.example"}}}),
                ),
                "at accountParams.call.c1.http.httpHeaders.Host: 'Host' is a header the host sets or forbids",
            ),
            (
                with_call(
                    serde_json::json!({"http": {"url": "http://h/x", "httpHeaders": {"Content-Length": "0"}}}),
                ),
                "at accountParams.call.c1.http.httpHeaders.Content-Length: 'Content-Length' is a header the host sets or forbids",
            ),
            (
                with_call(
                    serde_json::json!({"http": {"url": "http://h/x", "httpHeaders": {"X-A": "1\r\nX-B: 2"}}}),
                ),
                "at accountParams.call.c1.http.httpHeaders.X-A: the value holds a line break",
            ),
            (
                with_call(
                    serde_json::json!({"http": {"url": "http://h/x", "httpHeaders": {"X-Big": "x".repeat(70_000)}}}),
                ),
                "at accountParams.call.c1.http.httpHeaders: the headers come to 70005 bytes; the host takes at most 65536",
            ),
            (
                with_call(serde_json::json!({"http": {"url": "http://u:p@h/x"}})),
                "at accountParams.call.c1.http.url: the URL names a user or password before its host",
            ),
        ];
        for (document, expected) in cases {
            let error = compile_error(document);
            assert!(error.contains(expected), "{error}\n  expected: {expected}");
        }
    }
}
