//! `iam/v2/role-bindings`, whose unknown ids answer 403.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{ListSpec, Shared, created, list, lock, parse_query, query_param};
use crate::body::{JsonObject, string_field};
use crate::errors::{ApiError, role_binding_forbidden};
use crate::model::{Resource, RoleBinding};
use crate::pagination;
use crate::store::stamps_now;

pub(super) async fn list_role_bindings(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(q);
    let param = |name: &str| query_param(&query, name);
    let Some(crn_pattern) = param("crn_pattern") else {
        return Err(ApiError::bad_parameter(
            "crn_pattern",
            "crn_pattern is required",
        ));
    };
    let principal = param("principal");
    let role_name = param("role_name");
    let matching = *lock(&s.crn_matching);
    let keep = |rb: &RoleBinding| {
        matching.matches(&crn_pattern, &rb.crn_pattern)
            && principal.as_ref().is_none_or(|p| &rb.principal == p)
            && role_name.as_ref().is_none_or(|r| &rb.role_name == r)
    };
    let store = lock(&s.store);
    let spec = ListSpec {
        api_version: "iam/v2",
        kind: "RoleBindingList",
        path: "/iam/v2/role-bindings",
        limits: pagination::ROLE_BINDINGS,
        filters: &["crn_pattern", "principal", "role_name"],
    };
    list(&s, &store, &store.role_bindings, spec, &query, keep, true)
}

pub(super) async fn create_role_binding(
    State(s): State<Arc<Shared>>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let principal = string_field(&body, "principal", true)?.unwrap_or_default();
    let role_name = string_field(&body, "role_name", true)?.unwrap_or_default();
    let crn_pattern = string_field(&body, "crn_pattern", true)?.unwrap_or_default();
    let principal_ok = ["User:", "Group:"].iter().any(|prefix| {
        principal
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty())
    });
    if !principal_ok {
        return Err(ApiError::bad_body(format!(
            "'principal' must match ^User:.+$ or ^Group:.+$, got '{principal}'"
        )));
    }
    if role_name.is_empty() {
        return Err(ApiError::bad_body("'role_name' must not be empty"));
    }
    if crn_pattern.strip_prefix("crn://").is_none_or(str::is_empty) {
        return Err(ApiError::bad_body(format!(
            "'crn_pattern' must match ^crn://.+$, got '{crn_pattern}'"
        )));
    }
    let mut store = lock(&s.store);
    if let Some(existing) = store.role_bindings.iter().find(|rb| {
        rb.principal == principal && rb.role_name == role_name && rb.crn_pattern == crn_pattern
    }) {
        return Err(ApiError::conflict(
            format!("Role binding already exists: {principal} {role_name} on {crn_pattern}"),
            format!("{}/iam/v2/role-bindings/{}", s.origin, existing.id),
        ));
    }
    let rb = RoleBinding {
        id: store.new_id("rb"),
        principal,
        role_name,
        crn_pattern,
        stamps: stamps_now(),
    };
    let json = rb.to_json(&s.origin, store.org_id());
    let path = format!("/iam/v2/role-bindings/{}", rb.id);
    let seq = store.next_seq();
    store.role_bindings.insert(seq, rb);
    Ok(created(&s, &path, json))
}

pub(super) async fn get_role_binding(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let store = lock(&s.store);
    match store.role_bindings.get(&id) {
        Some(rb) => Json(rb.to_json(&s.origin, store.org_id())).into_response(),
        None => role_binding_forbidden(),
    }
}

pub(super) async fn delete_role_binding(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let mut store = lock(&s.store);
    match store.role_bindings.remove(&id) {
        Some(rb) => Json(rb.to_json(&s.origin, store.org_id())).into_response(),
        None => role_binding_forbidden(),
    }
}
