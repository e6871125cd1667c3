//! `provision create-account|update-account|remove-account|add-access|remove-access`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use connector_runner::ProvisionOp;
use connector_runner::output::attributes_json;
use connector_runner::types::{
    Attribute, AttributeValue, ProvisionOutcome, ProvisionRequest, ProvisionResult,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum ProvisionCommand {
    /// Create a service account, or invite a user (--attr kind=user --attr email=…).
    CreateAccount(RequestArgs),
    /// Update an account.
    UpdateAccount(RequestArgs),
    /// Remove a service account or a user.
    RemoveAccount(RequestArgs),
    /// Grant a role on an organization or environment to an account.
    AddAccess(RequestArgs),
    /// Revoke a role on an organization or environment from an account.
    RemoveAccess(RequestArgs),
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The request as a host platform sends it: a JSON file with `user`,
    /// `account`, `entitlementValue` and `requestid`. Flags add to it.
    #[arg(long, value_name = "FILE")]
    request: Option<PathBuf>,
    /// The account's id.
    #[arg(long)]
    account: Option<String>,
    /// A user attribute, NAME=VALUE, for `${user.NAME}`; repeatable.
    #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = parse_attribute)]
    attributes: Vec<(String, String)>,
    /// The entitlement type, for access: organization or environment.
    #[arg(long)]
    ent_type: Option<String>,
    /// The entitlement id, for access.
    #[arg(long)]
    entitlement: Option<String>,
    /// The role to grant or revoke, such as EnvironmentAdmin.
    #[arg(long)]
    role: Option<String>,
    /// Render every call (method, URL, headers without auth, body) and send nothing.
    #[arg(long)]
    dry_run: bool,
}

fn parse_attribute(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .ok_or_else(|| format!("'{text}' is not NAME=VALUE"))
}

/// The `--request` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RequestFile {
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

fn attribute(name: &str, value: &Value) -> anyhow::Result<Attribute> {
    let value = match value {
        Value::Null => AttributeValue::Absent,
        Value::String(text) => AttributeValue::Text(text.clone()),
        Value::Bool(b) => AttributeValue::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => AttributeValue::Integer(i),
            None => AttributeValue::Text(n.to_string()),
        },
        other => anyhow::bail!(
            "attribute '{name}' is {other}; expected text, a number, true, false or null"
        ),
    };
    Ok(Attribute {
        name: name.to_string(),
        value,
    })
}

fn request(args: &RequestArgs) -> anyhow::Result<ProvisionRequest> {
    let file = match &args.request {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("while reading '{}'", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("'{}' is not a provisioning request", path.display()))?
        }
        None => RequestFile::default(),
    };
    let mut user = file
        .user
        .iter()
        .map(|(name, value)| attribute(name, value))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (name, value) in &args.attributes {
        user.retain(|a| &a.name != name);
        user.push(Attribute {
            name: name.clone(),
            value: AttributeValue::Text(value.clone()),
        });
    }
    let account = file
        .account
        .iter()
        .map(|(name, value)| attribute(name, value))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let account_id = args.account.clone().or_else(|| {
        file.account
            .get("accountID")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    Ok(ProvisionRequest {
        request_id: file.requestid,
        account_id,
        user,
        account,
        ent_type: args.ent_type.clone().or(file.entitlement_value.ent_type),
        entitlement_id: args
            .entitlement
            .clone()
            .or(file.entitlement_value.entitlement_id),
        role: args.role.clone().or(file.entitlement_value.role),
        dry_run: args.dry_run,
    })
}

/// The result as printed: outcome, account, attributes, and the audit list.
fn result_json(operation: &str, result: &ProvisionResult) -> Value {
    let outcome = match result.outcome {
        ProvisionOutcome::Done => "done",
        ProvisionOutcome::AlreadyExisted => "already-existed",
        ProvisionOutcome::AlreadyAbsent => "already-absent",
        ProvisionOutcome::DryRun => "dry-run",
    };
    let mut json = json!({
        "operation": operation,
        "outcome": outcome,
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
                json!({
                    "method": c.method,
                    "url": c.url,
                    "headers": c.headers
                        .iter()
                        .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
                        .collect::<Map<String, Value>>(),
                    "body": c.body,
                })
            })
            .collect();
    }
    json
}

pub async fn run(global: &GlobalArgs, command: &ProvisionCommand) -> anyhow::Result<()> {
    let (op, operation, args) = match command {
        ProvisionCommand::CreateAccount(args) => {
            (ProvisionOp::CreateAccount, "create-account", args)
        }
        ProvisionCommand::UpdateAccount(args) => {
            (ProvisionOp::UpdateAccount, "update-account", args)
        }
        ProvisionCommand::RemoveAccount(args) => {
            (ProvisionOp::RemoveAccount, "remove-account", args)
        }
        ProvisionCommand::AddAccess(args) => (ProvisionOp::AddAccess, "add-access", args),
        ProvisionCommand::RemoveAccess(args) => (ProvisionOp::RemoveAccess, "remove-access", args),
    };
    let request = request(args)?;
    let result = global.host(!args.dry_run)?.provision(op, &request).await?;
    let mut out = global.output()?;
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&result_json(operation, &result))?
    )?;
    out.flush()?;
    Ok(())
}
