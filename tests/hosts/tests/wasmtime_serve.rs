//! The connector component under the wasmtime CLI's `serve`, a host nobody
//! here wrote, against the simulator: an import through its HTTP entry point
//! returns what the simulator holds, and the same records the runner's CLI
//! writes from the same file. The guest gets its settings in its
//! `wasi:config/store` for one test and in its environment for the other.
//!
//! Run by `make test`, which installs a pinned wasmtime CLI and names it in
//! `WASMTIME_CLI`.

use std::process::Command;

use confluent_sim::{SeedSpec, SimConfig, Simulator};
use host_tests::{
    Running, account_ids, component, component_digest, free_address, imported_ids, json_lines,
    post_with_authorization, target_dir,
};
use serde_json::Value;

/// The service token callers present, as `Authorization: Bearer`.
const TOKEN: &str = "t0ken-for-callers";

/// POSTs `body` to `url` with the service token.
fn post(url: &str, body: &str) -> (u16, Vec<Value>) {
    let bearer = format!("Bearer {TOKEN}");
    let (status, _, lines) = post_with_authorization(url, body, Some(&bearer));
    (status, lines)
}

/// How the test hands the guest its settings.
#[derive(Clone, Copy)]
enum Handed {
    /// In its environment (`--env`).
    Environment,
    /// In its `wasi:config/store` (`-S config-var`).
    ConfigStore,
}

/// Serves the component with the wasmtime CLI, handing it the base URL, the
/// credential and `token` as the service token as `handed` says, as a host
/// that cannot inject does.
fn serve(sim: &Simulator, handed: Handed, token: &str) -> (Running, String) {
    let wasmtime = std::env::var_os("WASMTIME_CLI")
        .expect("WASMTIME_CLI names the wasmtime CLI; `make test` installs one");
    let address = free_address();
    // With a trailing slash, as an operator may write it: the state still
    // names the base URL as the config normalises it.
    let base_url = format!("{}/", sim.url());
    let settings = [
        ("CONNECTOR_SERVICE_TOKEN", "service_token", token),
        (
            "CONFLUENT_BASE_URL",
            "confluent_base_url",
            base_url.as_str(),
        ),
        (
            "CONFLUENT_CLOUD_API_KEY",
            "confluent_cloud_api_key",
            sim.api_key(),
        ),
        (
            "CONFLUENT_CLOUD_API_SECRET",
            "confluent_cloud_api_secret",
            sim.api_secret(),
        ),
    ];
    let mut command = Command::new(wasmtime);
    command.args([
        "serve",
        "-S",
        "cli",
        "-S",
        "config",
        "--addr",
        &address.to_string(),
    ]);
    for (variable, key, value) in settings {
        match handed {
            Handed::Environment => command.arg("--env").arg(format!("{variable}={value}")),
            Handed::ConfigStore => command.arg("-S").arg(format!("config-var={key}={value}")),
        };
    }
    let served = Running::start(command.arg(component()), address);
    (served, format!("http://{address}"))
}

/// The runner's CLI importing `kind` from the simulator, as JSON lines.
fn runner_import(sim: &Simulator, kind: &str) -> Vec<Value> {
    let output = Command::new(target_dir().join("release/confluent-connector"))
        .args(["--base-url", sim.url(), "import", kind])
        .args(["--format", "ndjson", "--quiet"])
        .env("CONFLUENT_CLOUD_API_KEY", sim.api_key())
        .env("CONFLUENT_CLOUD_API_SECRET", sim.api_secret())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    json_lines(&output.stdout[..])
}

#[test]
#[ignore = "needs the wasmtime CLI in WASMTIME_CLI; `make test` runs it"]
fn an_import_through_wasmtime_serve_returns_the_simulators_accounts() {
    let sim = Simulator::start(SimConfig {
        seed: SeedSpec {
            users: 8_000,
            service_accounts: 2_000,
            environments: 3,
            role_bindings: 20,
            seed: 13,
        },
        ..SimConfig::default()
    })
    .unwrap();
    println!(
        "serving {} (sha256 {})",
        component().display(),
        component_digest()
    );
    let (_served, url) = serve(&sim, Handed::ConfigStore, TOKEN);
    // Without the service token, nothing is served.
    let accounts = format!("{url}/v1/import/accounts");
    let (status, challenge, _) = post_with_authorization(&accounts, "", None);
    assert_eq!((401, Some("Bearer".to_string())), (status, challenge));

    let (status, lines) = post(&format!("{url}/v1/import/accounts"), "");
    assert_eq!(200, status);
    let (last, lines) = lines.split_last().unwrap();
    assert_eq!(10_000, last["finished"]["accounts"]["present"], "{last}");
    assert_eq!(
        account_ids(&sim.state()),
        imported_ids(lines),
        "each account once"
    );

    // The runner's CLI, running the same file, writes the same records.
    let records = |lines: &[Value]| {
        let mut records: Vec<Value> = lines
            .iter()
            .filter(|line| line.get("record").is_some())
            .cloned()
            .collect();
        records.sort_by_key(|r| r["accountID"].as_str().unwrap().to_string());
        records
    };
    assert_eq!(records(&runner_import(&sim, "accounts")), records(lines));

    // The state pieces, joined, are a state the next import takes.
    let state_pieces = lines.iter().filter(|l| l.get("record").is_none());
    let state: String = state_pieces.filter_map(|l| l["state"].as_str()).collect();
    let body = format!("{{\"incremental\": true}}\n{state}");
    let (status, again) = post(&format!("{url}/v1/import/accounts"), &body);
    assert_eq!(200, status);
    let finished = &again.last().unwrap()["finished"]["accounts"];
    assert_eq!(
        (10_000, 0),
        (
            finished["present"].as_u64().unwrap(),
            finished["emitted"].as_u64().unwrap()
        )
    );
}

#[test]
#[ignore = "needs the wasmtime CLI in WASMTIME_CLI; `make test` runs it"]
fn a_bad_request_to_wasmtime_serve_is_a_json_error_and_the_service_goes_on() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    let (_served, url) = serve(&sim, Handed::Environment, TOKEN);
    for (path, body, status) in [
        ("/v1/import/users", "", 404),
        ("/v1/import/all", "{\"incremental\": \"yes\"}", 400),
        ("/v1/import/all", "{}\nnot a state", 400),
        (
            "/v1/provision/create-account",
            "{\"user\": {\"tags\": []}}",
            400,
        ),
    ] {
        let (got, lines) = post(&format!("{url}{path}"), body);
        assert_eq!(status, got, "{path} {body}");
        assert!(
            lines[0]["error"]["message"].is_string(),
            "{path}: {lines:?}"
        );
    }
    let (status, lines) = post(&format!("{url}/v1/check"), "");
    assert_eq!(200, status);
    assert_eq!(true, lines[0]["ok"]);
}

#[test]
#[ignore = "needs the wasmtime CLI in WASMTIME_CLI; `make test` runs it"]
fn a_service_token_set_empty_leaves_wasmtime_serve_serving_no_one() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    for handed in [Handed::ConfigStore, Handed::Environment] {
        let (_served, url) = serve(&sim, handed, "");
        for authorization in [None, Some("Bearer "), Some("Bearer x")] {
            let describe = format!("{url}/v1/describe");
            let (status, challenge, lines) = post_with_authorization(&describe, "", authorization);
            assert_eq!((500, None), (status, challenge), "{authorization:?}");
            let message = lines[0]["error"]["message"].as_str().unwrap();
            assert!(message.contains("service token empty"), "{message}");
        }
    }
}
