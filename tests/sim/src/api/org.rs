//! `org/v2`: the organization and its environments.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use super::{Served, Shared, created, lock};
use crate::body::{JsonObject, string_field};
use crate::errors::ApiError;
use crate::model::{Environment, Organization, Resource};
use crate::store::{Collection, Store, stamps_now, touch};

impl Served for Organization {
    type Records = Option<Self>;
    fn records(store: &Store) -> &Option<Self> {
        &store.organization
    }
    fn records_mut(store: &mut Store) -> &mut Option<Self> {
        &mut store.organization
    }
}

impl Served for Environment {
    type Records = Collection<Self>;
    fn records(store: &Store) -> &Collection<Self> {
        &store.environments
    }
    fn records_mut(store: &mut Store) -> &mut Collection<Self> {
        &mut store.environments
    }
    /// An environment takes the role bindings on it and under it along.
    fn cascade(&self, store: &mut Store) {
        let crn = self.crn(store.org_id());
        let scoped = format!("{crn}/");
        store
            .role_bindings
            .remove_where(|rb| rb.crn_pattern == crn || rb.crn_pattern.starts_with(&scoped));
    }
}

/// The specs' pattern for an organization's `display_name`:
/// `^[^<>#%'*^`{|}~\"]{1,31}$`.
fn valid_organization_name(name: &str) -> bool {
    (1..=31).contains(&name.chars().count())
        && !name.contains([
            '<', '>', '#', '%', '\'', '*', '^', '`', '{', '|', '}', '~', '"',
        ])
}

pub(super) async fn patch_organization(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let display_name = string_field(&body, "display_name", false)?;
    if let Some(name) = display_name
        .as_deref()
        .filter(|n| !valid_organization_name(n))
    {
        return Err(ApiError::bad_body(format!(
            "'display_name' must be 1 to 31 characters without <>#%'*^`{{|}}~\", got '{name}'"
        )));
    }
    let jit_enabled = match body.get("jit_enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(enabled)) => Some(*enabled),
        Some(other) => {
            return Err(ApiError::bad_body(format!(
                "'jit_enabled' must be a boolean, got {other}"
            )));
        }
    };
    let mut store = lock(&s.store);
    let org = store
        .organization
        .as_mut()
        .filter(|org| org.id == id)
        .ok_or_else(|| ApiError::not_found("Organization", &id))?;
    if let Some(display_name) = display_name {
        org.display_name = display_name;
    }
    if let Some(jit_enabled) = jit_enabled {
        org.jit_enabled = jit_enabled;
    }
    touch(&mut org.stamps);
    Ok(Json(org.to_json(&s.origin, &org.id)))
}

fn governance_package(body: &serde_json::Map<String, Value>) -> Result<Option<String>, ApiError> {
    match body.get("stream_governance_config") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(config)) => string_field(config, "package", true),
        Some(_) => Err(ApiError::bad_body(
            "'stream_governance_config' must be an object",
        )),
    }
}

pub(super) async fn create_environment(
    State(s): State<Arc<Shared>>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let display_name = string_field(&body, "display_name", true)?.unwrap_or_default();
    let package = governance_package(&body)?.unwrap_or_else(|| "ESSENTIALS".to_string());
    let mut store = lock(&s.store);
    if let Some(existing) = store
        .environments
        .iter()
        .find(|env| env.display_name == display_name)
    {
        return Err(ApiError::conflict(
            format!("Environment name is already in use: '{display_name}'"),
            format!("{}/org/v2/environments/{}", s.origin, existing.id),
        ));
    }
    let env = Environment {
        id: store.new_id("env"),
        display_name,
        governance_package: package,
        stamps: stamps_now(),
    };
    let json = env.to_json(&s.origin, store.org_id());
    let path = format!("/org/v2/environments/{}", env.id);
    let seq = store.next_seq();
    store.environments.insert(seq, env);
    Ok(created(&s, &path, json))
}

pub(super) async fn patch_environment(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let display_name = string_field(&body, "display_name", false)?;
    let package = governance_package(&body)?;
    let mut store = lock(&s.store);
    let env = store
        .environments
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("Environment", &id))?;
    if let Some(display_name) = display_name {
        env.display_name = display_name;
    }
    if let Some(package) = package {
        env.governance_package = package;
    }
    touch(&mut env.stamps);
    let env = env.clone();
    Ok(Json(env.to_json(&s.origin, store.org_id())))
}
