//! `iam/v2/role-bindings`, whose unknown ids answer 403.

use axum::response::Response;
use serde_json::{Map, Value};

use super::{Created, Query, Served, Shared, lock, query_param};
use crate::body::string_field;
use crate::errors::{ApiError, role_binding_forbidden};
use crate::model::{RoleBinding, resource_url};
use crate::pagination::{self, PageLimits};
use crate::scope_index::BindingQuery;
use crate::store::{Selection, Store, stamps_now};

impl Served for RoleBinding {
    const LIMITS: PageLimits = pagination::ROLE_BINDINGS;
    const FILTERS: &'static [&'static str] = &["crn_pattern", "principal", "role_name"];
    const DELETE_ECHOES: bool = true;
    /// The required `crn_pattern`, read as `/_sim/crn-matching` says, and the
    /// exact `principal` and `role_name`, looked up in the scope index.
    fn selection<'q>(query: &'q Query, shared: &Shared) -> Result<Selection<'q, Self>, ApiError> {
        let param = |name: &str| query_param(query, name);
        let Some(crn_pattern) = param("crn_pattern") else {
            return Err(ApiError::bad_parameter(
                "crn_pattern",
                "crn_pattern is required",
            ));
        };
        Ok(Selection::Found(BindingQuery {
            crn_pattern,
            matching: *lock(&shared.crn_matching),
            principal: param("principal"),
            role_name: param("role_name"),
        }))
    }
    /// 403, as the real service answers an unknown or deleted binding.
    fn missing(_id: &str) -> Response {
        role_binding_forbidden()
    }
}

impl Created for RoleBinding {
    /// The `principal`, `role_name` and `crn_pattern`.
    type Draft = (String, String, String);
    /// All three are required, in the specs' patterns.
    fn read_draft(body: &Map<String, Value>) -> Result<Self::Draft, ApiError> {
        let principal = string_field(body, "principal", true)?.unwrap_or_default();
        let role_name = string_field(body, "role_name", true)?.unwrap_or_default();
        let crn_pattern = string_field(body, "crn_pattern", true)?.unwrap_or_default();
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
        Ok((principal, role_name, crn_pattern))
    }
    /// The same principal, role and CRN twice is a 409.
    fn check_draft(
        store: &Store,
        (principal, role_name, crn_pattern): &Self::Draft,
        origin: &str,
    ) -> Result<(), ApiError> {
        let existing = store.role_bindings.iter().find(|rb| {
            &rb.principal == principal
                && &rb.role_name == role_name
                && &rb.crn_pattern == crn_pattern
        });
        match existing {
            Some(existing) => Err(ApiError::conflict(
                format!("Role binding already exists: {principal} {role_name} on {crn_pattern}"),
                resource_url::<Self>(origin, &existing.id),
            )),
            None => Ok(()),
        }
    }
    fn build((principal, role_name, crn_pattern): Self::Draft, store: &mut Store) -> Self {
        Self {
            id: store.new_id("rb"),
            principal,
            role_name,
            crn_pattern,
            stamps: stamps_now(),
        }
    }
}
