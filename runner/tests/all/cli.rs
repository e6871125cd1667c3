//! The `confluent-connector` CLI over the same library.

use std::path::Path;
use std::process::{Command, Output};

use confluent_sim::Simulator;

use crate::support::*;

/// Runs the CLI against `sim` with its credentials in the environment.
pub fn run_cli(sim: &Simulator, cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_confluent-connector"))
        .args(["--base-url", sim.url(), "--component"])
        .arg(connector_path())
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .env("CONFLUENT_CLOUD_API_KEY", sim.api_key())
        .env("CONFLUENT_CLOUD_API_SECRET", sim.api_secret())
        .output()
        .expect("the CLI runs")
}

#[test]
fn cli_import_accounts_prints_one_ndjson_line_per_account() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir()?;
    let output = run_cli(&sim, cache.path(), &["import", "accounts"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(250 + 120, lines.len());
    assert!(lines.iter().all(|l| l["record"] == "account"
        && l["status"] == "active"
        && l["accountID"].is_string()));
    Ok(())
}

#[test]
fn cli_caches_the_compiled_component() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir()?;
    assert!(run_cli(&sim, cache.path(), &["describe"]).status.success());
    let artifacts: Vec<_> = std::fs::read_dir(cache.path())?.collect::<Result<_, _>>()?;
    assert_eq!(1, artifacts.len());
    assert!(
        artifacts[0]
            .file_name()
            .to_string_lossy()
            .ends_with(".cwasm")
    );
    let second = run_cli(&sim, cache.path(), &["describe"]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    Ok(())
}

#[test]
fn cli_exit_codes_tell_failures_apart() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir()?;
    let code = |output: Output| output.status.code();

    assert_eq!(Some(0), code(run_cli(&sim, cache.path(), &["check"])));
    assert_eq!(
        Some(2),
        code(run_cli(&sim, cache.path(), &["import", "users"])),
        "usage error"
    );

    let config = tempfile::tempdir()?;
    std::fs::write(
        config.path().join("ImportAccountEntJSON.json"),
        "{ not json",
    )?;
    let config_arg = config.path().to_str().unwrap();
    assert_eq!(
        Some(3),
        code(run_cli(
            &sim,
            cache.path(),
            &["--config", config_arg, "import", "accounts"]
        )),
        "config error"
    );

    let wrong = Command::new(env!("CARGO_BIN_EXE_confluent-connector"))
        .args(["--base-url", sim.url(), "check", "--cache-dir"])
        .arg(cache.path())
        .env("CONFLUENT_CLOUD_API_KEY", sim.api_key())
        .env("CONFLUENT_CLOUD_API_SECRET", "wrong")
        .output()?;
    assert_eq!(Some(4), code(wrong), "auth failure");

    sim.set_faults(confluent_sim::Faults {
        error_rate: 1.0,
        error_statuses: vec![503],
        ..Default::default()
    });
    assert_eq!(
        Some(5),
        code(run_cli(&sim, cache.path(), &["check"])),
        "transient failure"
    );
    Ok(())
}

#[test]
fn cli_writes_csv_with_a_header() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir()?;
    let output = run_cli(
        &sim,
        cache.path(),
        &["import", "entitlements", "--format", "csv"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout)?;
    let mut lines = text.lines();
    assert_eq!(
        Some("record,status,entType,entitlementID,entitlement_value,customproperty1"),
        lines.next()
    );
    assert_eq!(13, lines.count());
    Ok(())
}
