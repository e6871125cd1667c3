//! `check`.

use std::io::Write as _;

use super::output::write_json;
use connector_runner::json::attributes_json;

use super::GlobalArgs;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let report = global.host(true)?.test_connection().await?;
    let details = attributes_json(&report.details);
    let json = serde_json::json!({ "ok": true, "target": report.target, "details": details });
    let mut out = global.output()?;
    write_json(&mut out, &json)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
