//! `check`.

use std::io::Write as _;

use connector_runner::output::record_json;
use connector_runner::types::{Account, Record, Status};

use super::GlobalArgs;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let report = global.host(true)?.test_connection().await?;
    let mut details = record_json(&Record::Account(Account {
        id: String::new(),
        status: Status::Active,
        attributes: report.details,
    }));
    details.remove("record");
    details.remove("status");
    let json = serde_json::json!({ "ok": true, "target": report.target, "details": details });
    let mut out = global.output()?;
    serde_json::to_writer(&mut out, &json)?;
    writeln!(out)?;
    Ok(())
}
