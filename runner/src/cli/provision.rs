//! `provision create-account|update-account|remove-account|add-access|remove-access`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use connector_runner::ProvisionOp;
use connector_runner::files::{MAX_REQUEST_BYTES, read_text_capped};
use connector_runner::output::write_json_pretty;
use connector_runner::provision_json::{request_from_json, result_json};
use connector_runner::types::{Attribute, AttributeValue, ProvisionRequest};

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

/// The request: the `--request` file, if any, with the flags over it.
fn request(args: &RequestArgs) -> anyhow::Result<ProvisionRequest> {
    let mut request = match &args.request {
        Some(path) => {
            let text = read_text_capped(path, "request document", MAX_REQUEST_BYTES)?;
            request_from_json(&text).with_context(|| format!("in '{}'", path.display()))?
        }
        None => request_from_json("{}")?,
    };
    for (name, value) in &args.attributes {
        request.user.retain(|a| &a.name != name);
        request.user.push(Attribute {
            name: name.clone(),
            value: AttributeValue::Text(value.clone()),
        });
    }
    let flag = |flag: &Option<String>, file: &mut Option<String>| {
        if flag.is_some() {
            file.clone_from(flag);
        }
    };
    flag(&args.account, &mut request.account_id);
    flag(&args.ent_type, &mut request.ent_type);
    flag(&args.entitlement, &mut request.entitlement_id);
    flag(&args.role, &mut request.role);
    request.dry_run = args.dry_run;
    Ok(request)
}

pub async fn run(global: &GlobalArgs, command: &ProvisionCommand) -> anyhow::Result<()> {
    let (op, args) = match command {
        ProvisionCommand::CreateAccount(args) => (ProvisionOp::CreateAccount, args),
        ProvisionCommand::UpdateAccount(args) => (ProvisionOp::UpdateAccount, args),
        ProvisionCommand::RemoveAccount(args) => (ProvisionOp::RemoveAccount, args),
        ProvisionCommand::AddAccess(args) => (ProvisionOp::AddAccess, args),
        ProvisionCommand::RemoveAccess(args) => (ProvisionOp::RemoveAccess, args),
    };
    let request = request(args)?;
    let result = global.host(!args.dry_run)?.provision(op, &request).await?;
    let mut out = global.output()?;
    write_json_pretty(&mut out, &result_json(op, &result))?;
    out.flush()?;
    Ok(())
}
