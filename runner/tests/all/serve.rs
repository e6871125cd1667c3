//! `confluent-connector serve`: the component's HTTP entry point under the
//! runner. The guest is told the base URL and nothing else; the runner
//! injects the credential, as for every other command.

use std::process::{Command, Stdio};

use host_tests::{Running, free_address, post, wait_for};

use crate::support::*;

/// The CLI's `serve` on a free address, and its URL.
fn serve(base_url: &str, credentials: (&str, &str), cache: &std::path::Path) -> (Running, String) {
    let address = free_address();
    let mut child = Command::new(env!("CARGO_BIN_EXE_confluent-connector"))
        .args(["--base-url", base_url, "--component"])
        .arg(connector_path())
        .arg("--cache-dir")
        .arg(cache)
        .args(["serve", "--addr", &address.to_string()])
        .env("CONFLUENT_CLOUD_API_KEY", credentials.0)
        .env("CONFLUENT_CLOUD_API_SECRET", credentials.1)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(address, &mut child);
    (Running(child), format!("http://{address}"))
}

#[test]
fn cli_serve_imports_through_the_http_entry_point_with_the_credential_injected() {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let served = serve(sim.url(), (sim.api_key(), sim.api_secret()), cache.path());
    let (status, lines) = post(&format!("{}/v1/import/all", served.1), "");
    assert_eq!(200, status);
    let state = sim.state();
    let accounts = ["users", "service_accounts"]
        .map(|list| state[list].as_array().unwrap().len() as u64)
        .iter()
        .sum::<u64>();
    let finished = &lines.last().unwrap()["finished"];
    assert_eq!(accounts, finished["accounts"]["present"], "{finished}");
    assert!(finished["access"]["present"].as_u64().unwrap() > 0);
    let records = lines.iter().filter(|l| l.get("record").is_some()).count() as u64;
    let emitted = ["accounts", "entitlements", "access"]
        .map(|kind| finished[kind]["emitted"].as_u64().unwrap())
        .iter()
        .sum::<u64>();
    assert_eq!(emitted, records);
}

#[test]
fn cli_serve_with_a_wrong_credential_streams_an_auth_error_and_goes_on() {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let served = serve(sim.url(), (sim.api_key(), "not-the-secret"), cache.path());
    let (status, lines) = post(&format!("{}/v1/import/accounts", served.1), "");
    assert_eq!(200, status, "the stream had begun");
    let error = &lines.last().unwrap()["error"];
    assert_eq!(401, error["status"], "{lines:?}");
    assert!(!error.to_string().contains("not-the-secret"));
    let (status, lines) = post(&format!("{}/v1/check", served.1), "");
    assert_eq!(401, status, "{lines:?}");
    let (status, _) = post(&format!("{}/v1/import/nothing", served.1), "");
    assert_eq!(404, status);
}

#[test]
fn cli_serve_refuses_config_documents_which_would_not_apply() {
    let sim = simulator(small_org());
    let cache = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let config = config.path().to_str().unwrap();
    let output = crate::cli::run_cli(&sim, cache.path(), &["--config", config, "serve"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("--config does not apply to serve"),
        "{stderr}"
    );
}
