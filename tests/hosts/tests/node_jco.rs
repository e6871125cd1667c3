//! The connector component in Node, transpiled by jco and run on
//! `@bytecodealliance/preview2-shim`, against the simulator: through its
//! `connector` interface, and through its HTTP entry point. The host script
//! is `tests/hosts/node/host.mjs`; it hands the guest the credential, and
//! documents, in a `wasi:config/store` of its own (`settings.mjs`).
//!
//! Run by `make test`, which installs jco and the shim from npm, transpiles
//! the component into `JCO_OUT` and records the digest of the file it
//! transpiled there.

use std::path::PathBuf;
use std::process::Command;

use confluent_sim::{SeedSpec, SimConfig, Simulator};
use host_tests::{
    Running, account_ids, component_digest, customproperty9, default_document,
    documents_mapping_customproperty9, free_address, imported_ids, json_lines, post,
};

/// The Node host script, beside its transpiled component.
fn host() -> (PathBuf, PathBuf) {
    let out = std::env::var_os("JCO_OUT")
        .map(PathBuf::from)
        .expect("JCO_OUT names jco's output; `make test` transpiles the component there");
    (out.join("../host.mjs"), out)
}

fn node(sim: &Simulator) -> Command {
    let mut node = Command::new("node");
    node.arg(host().0)
        .env("CONFLUENT_CLOUD_API_KEY", sim.api_key())
        .env("CONFLUENT_CLOUD_API_SECRET", sim.api_secret());
    node
}

fn organization() -> Simulator {
    let seed = SeedSpec {
        users: 1_500,
        service_accounts: 500,
        environments: 2,
        role_bindings: 10,
        seed: 5,
    };
    Simulator::start(SimConfig {
        seed,
        ..SimConfig::default()
    })
    .unwrap()
}

#[test]
#[ignore = "needs jco's output in JCO_OUT; `make test` runs it"]
fn node_runs_the_same_file_through_its_connector_interface() {
    let transpiled = std::fs::read_to_string(host().1.join("component.sha256")).unwrap();
    assert_eq!(
        component_digest(),
        transpiled.trim(),
        "jco transpiled another file"
    );
    let sim = organization();
    let output = node(&sim)
        .args(["import", "accounts", sim.url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines = json_lines(&output.stdout[..]);
    assert_eq!(
        account_ids(&sim.state()),
        imported_ids(&lines),
        "each account once"
    );
    let last = lines.last().unwrap();
    assert_eq!(2_000, last["finished"]["accounts"]["present"], "{last}");
}

#[test]
#[ignore = "needs jco's output in JCO_OUT; `make test` runs it"]
fn node_serves_the_same_file_through_its_http_entry_point() {
    let sim = organization();
    let address = free_address();
    let folder = tempfile::tempdir().unwrap();
    let documents = folder.path().join("documents.json");
    std::fs::write(&documents, documents_mapping_customproperty9()).unwrap();
    let mut command = node(&sim);
    command.args(["serve", &address.port().to_string(), sim.url()]);
    let _served = Running::start(command.arg(&documents), address);
    let (status, lines) = post(&format!("http://{address}/v1/import/accounts"), "");
    assert_eq!(200, status);
    assert_eq!(account_ids(&sim.state()), imported_ids(&lines));
    // The documents the host's store holds apply: each user's email is
    // also its customproperty9.
    assert_eq!((1_500, 1_500), customproperty9(&lines));
    // A request's own document replaces the store's of the same name.
    let import = default_document("ImportAccountEntJSON");
    let body = serde_json::json!({"documents": {"ImportAccountEntJSON": import}});
    let (status, lines) = post(
        &format!("http://{address}/v1/import/accounts"),
        &body.to_string(),
    );
    assert_eq!(200, status);
    assert_eq!(account_ids(&sim.state()), imported_ids(&lines));
    assert_eq!((0, 0), customproperty9(&lines));
    let (status, lines) = post(&format!("http://{address}/v1/import/accounts"), "[]");
    assert_eq!(400, status, "{lines:?}");
}
