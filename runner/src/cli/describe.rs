//! `describe`.

use std::io::Write as _;

use super::output::write_json_pretty;

use super::GlobalArgs;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let descriptor = global.host(false)?.describe().await?;
    let json = serde_json::json!({
        "name": descriptor.name,
        "version": descriptor.version,
        "operations": descriptor.operations.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "entitlementTypes": descriptor.entitlement_types,
        "accountAttributes": descriptor.account_attributes,
        "entitlementAttributes": descriptor.entitlement_attributes,
        "accessAttributes": descriptor.access_attributes,
    });
    let mut out = global.output()?;
    write_json_pretty(&mut out, &json)?;
    out.flush()?;
    Ok(())
}
