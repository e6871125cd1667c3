//! `org/v2`: the organization and its environments.

use serde_json::{Map, Value};

use super::{Created, Named, Patched, Served};
use crate::body::string_field;
use crate::errors::ApiError;
use crate::model::{Environment, Organization};
use crate::store::{Store, stamps_now, touch};

impl Served for Organization {}

impl Patched for Organization {
    /// The new `display_name` and `jit_enabled`.
    type Patch = (Option<String>, Option<bool>);
    /// A `display_name` must match the specs' pattern.
    fn read_patch(body: &Map<String, Value>) -> Result<Self::Patch, ApiError> {
        let display_name = string_field(body, "display_name", false)?;
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
        Ok((display_name, jit_enabled))
    }
    fn apply(&mut self, (display_name, jit_enabled): Self::Patch) {
        if let Some(display_name) = display_name {
            self.display_name = display_name;
        }
        if let Some(jit_enabled) = jit_enabled {
            self.jit_enabled = jit_enabled;
        }
        touch(&mut self.stamps);
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

impl Served for Environment {
    /// An environment takes the role bindings on it and under it along.
    fn cascade(&self, store: &mut Store) {
        let crn = self.crn(store.org_id());
        let scoped = format!("{crn}/");
        store
            .role_bindings
            .remove_where(|rb| rb.crn_pattern == crn || rb.crn_pattern.starts_with(&scoped));
    }
}

impl Named for Environment {
    const NAME_IN_USE: &'static str = "Environment name";
    fn name(&self) -> &str {
        &self.display_name
    }
}

impl Created for Environment {
    /// The `display_name` and governance package, `ESSENTIALS` unless given.
    type Draft = (String, String);
    fn read_draft(body: &Map<String, Value>) -> Result<Self::Draft, ApiError> {
        let display_name = string_field(body, "display_name", true)?.unwrap_or_default();
        let package = governance_package(body)?.unwrap_or_else(|| "ESSENTIALS".to_string());
        Ok((display_name, package))
    }
    /// A `display_name` in use is a 409.
    fn check_draft(store: &Store, draft: &Self::Draft, origin: &str) -> Result<(), ApiError> {
        Self::check_name(store, &draft.0, None, origin)
    }
    fn build((display_name, governance_package): Self::Draft, store: &mut Store) -> Self {
        Self {
            id: store.new_id("env"),
            display_name,
            governance_package,
            stamps: stamps_now(),
        }
    }
}

impl Patched for Environment {
    /// The new `display_name` and governance package.
    type Patch = (Option<String>, Option<String>);
    fn read_patch(body: &Map<String, Value>) -> Result<Self::Patch, ApiError> {
        let display_name = string_field(body, "display_name", false)?;
        Ok((display_name, governance_package(body)?))
    }
    fn apply(&mut self, (display_name, package): Self::Patch) {
        if let Some(display_name) = display_name {
            self.display_name = display_name;
        }
        if let Some(package) = package {
            self.governance_package = package;
        }
        touch(&mut self.stamps);
    }
}

/// The package a body's `stream_governance_config` names, if it has one.
fn governance_package(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match body.get("stream_governance_config") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(config)) => string_field(config, "package", true),
        Some(_) => Err(ApiError::bad_body(
            "'stream_governance_config' must be an object",
        )),
    }
}
