//! `describe`.

use connector_runner::output::write_json_pretty;
use connector_runner::types::Operation;

use super::GlobalArgs;

/// The operation's WIT name.
fn operation_name(op: Operation) -> &'static str {
    match op {
        Operation::TestConnection => "test-connection",
        Operation::ImportAccounts => "import-accounts",
        Operation::ImportEntitlements => "import-entitlements",
        Operation::ImportAccess => "import-access",
        Operation::CreateAccount => "create-account",
        Operation::UpdateAccount => "update-account",
        Operation::RemoveAccount => "remove-account",
        Operation::AddAccess => "add-access",
        Operation::RemoveAccess => "remove-access",
    }
}

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let descriptor = global.host(false)?.describe().await?;
    let json = serde_json::json!({
        "name": descriptor.name,
        "version": descriptor.version,
        "operations": descriptor.operations.iter().map(|op| operation_name(*op)).collect::<Vec<_>>(),
        "entitlementTypes": descriptor.entitlement_types,
        "accountAttributes": descriptor.account_attributes,
        "entitlementAttributes": descriptor.entitlement_attributes,
    });
    let mut out = global.output()?;
    write_json_pretty(&mut out, &json)?;
    Ok(())
}
