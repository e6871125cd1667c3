//! The connector component under the wasmtime CLI's `serve`, a host nobody
//! here wrote, against the simulator: an import through its HTTP entry point
//! returns what the simulator holds, and the same records the runner's CLI
//! writes from the same file.
//!
//! Run by `make test`, which installs a pinned wasmtime CLI and names it in
//! `WASMTIME_CLI`.

use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use confluent_sim::{SeedSpec, SimConfig, Simulator};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The build's target folder.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// The component `make build` wrote: the file the runner runs by default.
fn component() -> PathBuf {
    let path = target_dir().join("wasm32-wasip2/release/confluent_connector.wasm");
    assert!(
        path.is_file(),
        "{} is missing; run `make build`",
        path.display()
    );
    path
}

/// `wasmtime serve` with the component, until dropped.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves the component with the wasmtime CLI, handing it the base URL and
/// the credential in its environment, as a host that cannot inject does.
fn serve(sim: &Simulator) -> Served {
    let wasmtime = std::env::var_os("WASMTIME_CLI")
        .expect("WASMTIME_CLI names the wasmtime CLI; `make test` installs one");
    let address = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap();
    let child = Command::new(wasmtime)
        .args(["serve", "-S", "cli", "--addr", &address.to_string()])
        .arg("--env")
        .arg(format!("CONFLUENT_BASE_URL={}", sim.url()))
        .arg("--env")
        .arg(format!("CONFLUENT_CLOUD_API_KEY={}", sim.api_key()))
        .arg("--env")
        .arg(format!("CONFLUENT_CLOUD_API_SECRET={}", sim.api_secret()))
        .arg(component())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("wasmtime serve starts");
    let served = Served {
        child,
        url: format!("http://{address}"),
    };
    wait_for(address);
    served
}

/// Waits until something listens at `address`.
fn wait_for(address: SocketAddr) {
    let started = Instant::now();
    while TcpStream::connect(address).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "wasmtime serve never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// POSTs `body` to `url` and returns the status and the body's lines.
fn post(url: &str, body: &str) -> (u16, Vec<Value>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.post(url).send(body).unwrap();
    let status = response.status().as_u16();
    let reader = BufReader::new(response.body_mut().as_reader());
    let lines = reader
        .lines()
        .map(|line| serde_json::from_str(&line.unwrap()).unwrap());
    (status, lines.collect())
}

/// The runner's CLI importing `kind` from the simulator, as JSON lines.
fn runner_import(sim: &Simulator, kind: &str) -> Vec<Value> {
    let output = Command::new(target_dir().join("release/confluent-connector"))
        .args([
            "--base-url",
            sim.url(),
            "import",
            kind,
            "--format",
            "ndjson",
            "--quiet",
        ])
        .env("CONFLUENT_CLOUD_API_KEY", sim.api_key())
        .env("CONFLUENT_CLOUD_API_SECRET", sim.api_secret())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn ids(state: &Value, list: &str) -> Vec<String> {
    let records = state[list].as_array().unwrap().iter();
    records
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
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
    let digest = Sha256::digest(std::fs::read(component()).unwrap());
    println!("serving {} (sha256 {digest:x})", component().display());
    let served = serve(&sim);

    let (status, lines) = post(&format!("{}/v1/import/accounts", served.url), "");
    assert_eq!(200, status);
    let (last, lines) = lines.split_last().unwrap();
    assert_eq!(10_000, last["finished"]["accounts"]["present"], "{last}");
    let records: Vec<&Value> = lines
        .iter()
        .filter(|line| line.get("record").is_some())
        .collect();
    let mut imported: Vec<String> = records
        .iter()
        .map(|r| r["accountID"].as_str().unwrap().to_string())
        .collect();
    imported.sort();
    let state = sim.state();
    let mut held = [ids(&state, "users"), ids(&state, "service_accounts")].concat();
    held.sort();
    assert_eq!(
        held, imported,
        "the accounts the simulator holds, each once"
    );

    // The runner's CLI, running the same file, writes the same records.
    let mut from_runner = runner_import(&sim, "accounts");
    let mut from_serve: Vec<Value> = records.into_iter().cloned().collect();
    let by_id = |r: &Value| r["accountID"].as_str().unwrap().to_string();
    from_runner.sort_by_key(by_id);
    from_serve.sort_by_key(by_id);
    assert_eq!(from_runner, from_serve);

    // The state pieces, joined, are a state the next import takes.
    let state_text: String = lines
        .iter()
        .filter_map(|line| line["state"].as_str())
        .collect();
    let body = format!("{{\"incremental\": true}}\n{state_text}");
    let (status, again) = post(&format!("{}/v1/import/accounts", served.url), &body);
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
    let served = serve(&sim);
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
        let (got, lines) = post(&format!("{}{path}", served.url), body);
        assert_eq!(status, got, "{path} {body}");
        assert!(
            lines[0]["error"]["message"].is_string(),
            "{path}: {lines:?}"
        );
    }
    let (status, lines) = post(&format!("{}/v1/check", served.url), "");
    assert_eq!(200, status);
    assert_eq!(true, lines[0]["ok"]);
}
