//! `provision OPERATION`, one of [`ProvisionOperation::ALL`] by its WIT name.

use std::io::Write as _;
use std::path::PathBuf;

use super::output::write_json_pretty;
use super::provision_json::{request_from_json, result_json};
use anyhow::Context as _;
use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use connector_runner::ProvisionOperation;
use connector_runner::files::{MAX_REQUEST_BYTES, read_text_capped};
use connector_runner::types::{Attribute, AttributeValue, ProvisionRequest};

use super::GlobalArgs;

#[derive(Debug, Args)]
pub struct ProvisionArgs {
    /// What to do. `create-account` invites a user given `--attr kind=user
    /// --attr email=…`; access is a role on an organization or environment.
    #[arg(value_name = "OPERATION", value_parser = operation_parser())]
    operation: ProvisionOperation,
    #[command(flatten)]
    request: RequestArgs,
}

/// Parses an operation by its WIT name, offering each of them.
fn operation_parser() -> impl TypedValueParser<Value = ProvisionOperation> {
    let names = ProvisionOperation::ALL.iter().map(|op| op.name());
    PossibleValuesParser::new(names)
        .try_map(|name| ProvisionOperation::from_name(&name).ok_or("no such operation"))
}

#[derive(Debug, Args)]
struct RequestArgs {
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

pub async fn run(global: &GlobalArgs, args: &ProvisionArgs) -> anyhow::Result<()> {
    let request = request(&args.request)?;
    let host = global.host(!args.request.dry_run)?;
    let result = host.provision(args.operation, &request).await?;
    let mut out = global.output()?;
    write_json_pretty(&mut out, &result_json(args.operation, &result))?;
    out.flush()?;
    Ok(())
}
