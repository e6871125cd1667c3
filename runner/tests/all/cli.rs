//! The `confluent-connector` CLI over the same library.

use std::path::Path;
use std::process::{Command, Output};

use confluent_sim::Simulator;

use crate::support::*;

/// Runs the CLI against `sim` with its credentials in the environment.
pub fn run_cli(sim: &Simulator, cache: &Path, args: &[&str]) -> Output {
    run_cli_at(sim.url(), (sim.api_key(), sim.api_secret()), cache, args)
}

/// Runs the CLI against the target at `base_url` with `(key, secret)` in
/// the environment.
pub fn run_cli_at(
    base_url: &str,
    credentials: (&str, &str),
    cache: &Path,
    args: &[&str],
) -> Output {
    cli_command(base_url, credentials, cache, args)
        .output()
        .expect("the CLI runs")
}

/// The CLI command [`run_cli_at`] runs, for a test to start and wait for.
pub fn cli_command(
    base_url: &str,
    credentials: (&str, &str),
    cache: &Path,
    args: &[&str],
) -> Command {
    let mut command = bare_command(cache);
    command
        .args(["--base-url", base_url])
        .args(args)
        .env("CONFLUENT_CLOUD_API_KEY", credentials.0)
        .env("CONFLUENT_CLOUD_API_SECRET", credentials.1);
    command
}

/// The CLI with the component and `cache` and nothing else: no base URL
/// and no credentials, as `--tenants` runs it.
pub fn bare_command(cache: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_confluent-connector"));
    command
        .arg("--component")
        .arg(connector_path())
        .arg("--cache-dir")
        .arg(cache);
    command
}

/// The lines of stderr that start with `error:`.
pub fn error_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.starts_with("error:"))
        .map(str::to_string)
        .collect()
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
    let names: Vec<String> = std::fs::read_dir(cache.path())?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    let artifacts = names.iter().filter(|n| n.ends_with(".cwasm")).count();
    assert_eq!(
        1, artifacts,
        "one artifact beside the cache's key: {names:?}"
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

#[test]
fn cli_summarises_on_stderr_lists_orphans_at_v_and_is_silent_with_quiet() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir()?;
    // A binding whose principal is no account of the organization.
    add_org_binding(&sim, "rb-ghost", "User:u-ghost");

    let output = run_cli(&sim, cache.path(), &["import", "all"]);
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr)?;
    assert!(
        stderr.contains(
            "accounts:     370 present, 370 emitted (0 created, 0 changed, 0 suspended or inactive)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("entitlements: 13 present, 13 emitted"),
        "{stderr}"
    );
    assert!(
        stderr.contains("access:       100 present, 100 emitted"),
        "{stderr}"
    );
    assert!(stderr.contains("1 access links name an account or entitlement that is unknown; they were not emitted (-v lists them)"), "{stderr}");
    let memory = stderr
        .lines()
        .find_map(|l| l.strip_prefix("guest memory: "));
    let held: f64 = memory
        .and_then(|m| m.trim().strip_suffix(" MiB at most, of 256 MiB"))
        .and_then(|held| held.parse().ok())
        .unwrap_or_else(|| panic!("no guest memory line: {stderr}"));
    assert!(held > 0.0 && held < 32.0, "{stderr}");
    assert!(
        !stderr.contains("importing:"),
        "no progress line when stderr is not a terminal"
    );
    let stdout = String::from_utf8(output.stdout)?;
    assert!(!stdout.contains("rb-ghost"));

    let verbose =
        String::from_utf8(run_cli(&sim, cache.path(), &["import", "access", "-v"]).stderr)?;
    // Without accounts in this run or a state, nothing can be called an orphan.
    assert!(!verbose.contains("unknown;"), "{verbose}");
    let verbose = String::from_utf8(run_cli(&sim, cache.path(), &["import", "all", "-v"]).stderr)?;
    assert!(
        verbose.contains(r#""accountID":"u-ghost""#)
            && verbose.contains(r#""roleBindingID":"rb-ghost""#),
        "{verbose}"
    );

    let quiet = run_cli(&sim, cache.path(), &["import", "all", "--quiet"]);
    assert!(quiet.status.success());
    assert_eq!("", String::from_utf8(quiet.stderr)?);
    Ok(())
}

#[test]
fn cli_incremental_needs_a_state_file() -> anyhow::Result<()> {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir()?;
    let output = run_cli(&sim, cache.path(), &["import", "all", "--incremental"]);
    assert_eq!(Some(2), output.status.code());
    assert!(String::from_utf8(output.stderr)?.contains("--state <FILE>"));
    Ok(())
}
