//! `provision create-account|update-account|remove-account|add-access|remove-access`.

use clap::{Args, Subcommand};
use connector_runner::ProvisionOp;
use connector_runner::types::{Attribute, AttributeValue, ProvisionRequest};

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum ProvisionCommand {
    /// Create an account.
    CreateAccount(RequestArgs),
    /// Update an account.
    UpdateAccount(RequestArgs),
    /// Remove an account.
    RemoveAccount(RequestArgs),
    /// Grant an entitlement to an account.
    AddAccess(RequestArgs),
    /// Revoke an entitlement from an account.
    RemoveAccess(RequestArgs),
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The account's id.
    #[arg(long)]
    account: Option<String>,
    /// An attribute, NAME=VALUE; repeatable.
    #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = parse_attribute)]
    attributes: Vec<(String, String)>,
    /// The entitlement type, for access.
    #[arg(long)]
    ent_type: Option<String>,
    /// The entitlement id, for access.
    #[arg(long)]
    entitlement: Option<String>,
    /// The role, for access.
    #[arg(long)]
    role: Option<String>,
    /// Render the calls and send nothing.
    #[arg(long)]
    dry_run: bool,
}

fn parse_attribute(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .ok_or_else(|| format!("'{text}' is not NAME=VALUE"))
}

pub async fn run(global: &GlobalArgs, command: &ProvisionCommand) -> anyhow::Result<()> {
    let (op, args) = match command {
        ProvisionCommand::CreateAccount(args) => (ProvisionOp::CreateAccount, args),
        ProvisionCommand::UpdateAccount(args) => (ProvisionOp::UpdateAccount, args),
        ProvisionCommand::RemoveAccount(args) => (ProvisionOp::RemoveAccount, args),
        ProvisionCommand::AddAccess(args) => (ProvisionOp::AddAccess, args),
        ProvisionCommand::RemoveAccess(args) => (ProvisionOp::RemoveAccess, args),
    };
    let attributes: Vec<Attribute> = args
        .attributes
        .iter()
        .map(|(name, value)| Attribute {
            name: name.clone(),
            value: AttributeValue::Text(value.clone()),
        })
        .collect();
    let request = ProvisionRequest {
        request_id: None,
        account_id: args.account.clone(),
        user: attributes.clone(),
        account: attributes,
        ent_type: args.ent_type.clone(),
        entitlement_id: args.entitlement.clone(),
        role: args.role.clone(),
        dry_run: args.dry_run,
    };
    let result = global.host(!args.dry_run)?.provision(op, &request).await?;
    let json = serde_json::json!({ "accountID": result.account_id });
    println!("{json}");
    Ok(())
}
