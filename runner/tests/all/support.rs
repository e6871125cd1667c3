//! Shared set-up: components, simulators and hosts.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use confluent_sim::{SeedSpec, SimConfig, Simulator};
use connector_runner::types::{
    Access, Document, ImportSummary, ObjectKind, ProvisionRequest, Record,
};
use connector_runner::{
    ConnectorHost, ConnectorRuntime, Credentials, HostSettings, ImportSink, ImportState, Limits,
    Origin, RunError,
};
use serde_json::{Map, Value, json};

/// A `wasm32-wasip2` artifact that `make build` produced.
fn artifact(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("wasm32-wasip2/release").join(name);
    assert!(
        path.is_file(),
        "{} is missing; run `make build` (or `make test`) first",
        path.display()
    );
    path
}

/// The connector component, compiled once per test run.
pub fn connector() -> Arc<ConnectorRuntime> {
    static RUNTIME: OnceLock<Arc<ConnectorRuntime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            Arc::new(ConnectorRuntime::load(&artifact("confluent_connector.wasm"), None).unwrap())
        })
        .clone()
}

/// The hostile probe component.
pub fn probe() -> Arc<ConnectorRuntime> {
    static RUNTIME: OnceLock<Arc<ConnectorRuntime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            Arc::new(ConnectorRuntime::load(&artifact("sandbox_probe.wasm"), None).unwrap())
        })
        .clone()
}

/// The connector component's path, for the CLI.
pub fn connector_path() -> PathBuf {
    artifact("confluent_connector.wasm")
}

/// A simulator seeded with `spec`.
pub fn simulator(spec: SeedSpec) -> Simulator {
    Simulator::start(SimConfig {
        seed: spec,
        ..SimConfig::default()
    })
    .unwrap()
}

/// A small organization: several pages of users and service accounts.
pub fn small_org() -> SeedSpec {
    SeedSpec {
        users: 250,
        service_accounts: 120,
        environments: 12,
        role_bindings: 100,
        seed: 3,
    }
}

/// Settings for `sim` with its credentials and default limits.
pub fn settings(sim: &Simulator) -> HostSettings {
    HostSettings {
        base_url: sim.url().to_string(),
        extra_grants: Vec::new(),
        extra_credential_paths: Vec::new(),
        credentials: Some(Credentials::new(sim.api_key(), sim.api_secret())),
        documents: Vec::new(),
        limits: Limits::default(),
    }
}

/// A host for `runtime` with `settings`.
pub fn host(runtime: Arc<ConnectorRuntime>, settings: HostSettings) -> ConnectorHost {
    ConnectorHost::new(runtime, settings).unwrap()
}

/// The seed's import document with `from` replaced by `to`.
pub fn import_document_replacing(from: &str, to: &str) -> Document {
    let seed = include_str!("../../../connector/engine/defaults/ImportAccountEntJSON.json");
    assert!(seed.contains(from), "the seed document has no '{from}'");
    Document {
        name: "ImportAccountEntJSON".into(),
        json: seed.replace(from, to),
    }
}

/// A provisioning request with nothing in it.
pub fn empty_provision_request() -> ProvisionRequest {
    ProvisionRequest {
        request_id: None,
        account_id: None,
        user: Vec::new(),
        account: Vec::new(),
        ent_type: None,
        entitlement_id: None,
        role: None,
        dry_run: false,
    }
}

/// What a test asks an import to do: the kinds, the state it starts from,
/// and whether it is incremental.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub kinds: Vec<ObjectKind>,
    pub state: Option<String>,
    pub incremental: bool,
}

/// A successful import: its summary, the state it left and its orphans.
#[derive(Debug)]
pub struct Imported {
    pub summary: ImportSummary,
    pub state: String,
    pub orphans: Vec<Access>,
}

impl std::ops::Deref for Imported {
    type Target = ImportSummary;

    fn deref(&self) -> &ImportSummary {
        &self.summary
    }
}

/// A request for every kind (they run accounts, entitlements, access).
pub fn import_all(state: Option<&str>, incremental: bool) -> ImportRequest {
    ImportRequest {
        kinds: vec![
            ObjectKind::Accounts,
            ObjectKind::Entitlements,
            ObjectKind::Access,
        ],
        state: state.map(str::to_string),
        incremental,
    }
}

/// Runs a full import of `kind` with no state and collects its records.
pub async fn import(host: &ConnectorHost, kind: ObjectKind) -> Result<Vec<Record>, RunError> {
    let request = ImportRequest {
        kinds: vec![kind],
        state: None,
        incremental: false,
    };
    run_import(host, &request).await.map(|(_, records)| records)
}

/// Runs `request` to the end; returns its summary and the records emitted,
/// or the error with the records emitted before it.
pub async fn run_import(
    host: &ConnectorHost,
    request: &ImportRequest,
) -> Result<(Imported, Vec<Record>), RunError> {
    let (summary, records) = import_keeping_records(host, request).await;
    summary.map(|summary| (summary, records))
}

/// Runs `request` to the end; returns the outcome and every record emitted,
/// whether it succeeded or not.
pub async fn import_keeping_records(
    host: &ConnectorHost,
    request: &ImportRequest,
) -> (Result<Imported, RunError>, Vec<Record>) {
    let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
    let collect = async {
        let mut records = Vec::new();
        while let Some(batch) = receiver.recv().await {
            records.extend(batch);
        }
        records
    };
    let orphans: Arc<std::sync::Mutex<Vec<Access>>> = Arc::default();
    let heard = orphans.clone();
    let sink = ImportSink {
        orphans: Some(Arc::new(move |batch: &[Access]| {
            heard.lock().unwrap().extend_from_slice(batch)
        })),
        ..ImportSink::new(sender)
    };
    let mut previous = request.state.as_deref().map(str::as_bytes);
    let mut state = Vec::new();
    let streams = ImportState {
        previous: previous
            .as_mut()
            .map(|p| p as &mut (dyn std::io::Read + Send)),
        next: Some(&mut state),
    };
    let wit_request = connector_runner::types::ImportRequest {
        kinds: request.kinds.clone(),
        has_state: request.state.is_some(),
        incremental: request.incremental,
    };
    let (summary, records) = tokio::join!(host.import(&wit_request, streams, sink), collect);
    let outcome = summary.map(|summary| Imported {
        summary,
        state: String::from_utf8(state).expect("the state is text"),
        orphans: std::mem::take(&mut *orphans.lock().unwrap()),
    });
    (outcome, records)
}

/// Records as the CLI prints them, sorted for comparison.
pub fn as_json(records: &[Record]) -> Vec<Value> {
    let mut json: Vec<Value> = records
        .iter()
        .map(|r| Value::Object(connector_runner::json::record_json(r)))
        .collect();
    json.sort_by_key(|v| v.to_string());
    json
}

/// Builds a JSON object from pairs.
pub fn object(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<Map<_, _>>(),
    )
}

/// The origin of `sim`.
pub fn origin(sim: &Simulator) -> Origin {
    Origin::parse(sim.url()).unwrap()
}

fn text(value: &Value, pointer: &str) -> Value {
    value.pointer(pointer).cloned().unwrap_or(Value::Null)
}

/// Records sorted as the expected lists are.
pub fn sorted(mut records: Vec<Value>) -> Vec<Value> {
    records.sort_by_key(|v| v.to_string());
    records
}

/// The accounts the seed's mapping makes of the simulator's `state`, sorted
/// as [`as_json`] sorts.
pub fn expected_accounts(state: &Value) -> Vec<Value> {
    let mut expected = Vec::new();
    for user in state["users"].as_array().unwrap() {
        expected.push(object(&[
            ("record", json!("account")),
            ("status", json!("active")),
            ("accountID", text(user, "/id")),
            ("name", text(user, "/full_name")),
            ("displayName", text(user, "/full_name")),
            ("customproperty2", text(user, "/email")),
            ("customproperty3", json!("User")),
        ]));
    }
    for sa in state["service_accounts"].as_array().unwrap() {
        expected.push(object(&[
            ("record", json!("account")),
            ("status", json!("active")),
            ("accountID", text(sa, "/id")),
            ("name", text(sa, "/display_name")),
            ("displayName", text(sa, "/display_name")),
            ("customproperty1", text(sa, "/description")),
            ("customproperty3", json!("ServiceAccount")),
            ("customproperty4", text(sa, "/description")),
        ]));
    }
    sorted(expected)
}

/// The entitlements the seed's mapping makes of `state`, sorted.
pub fn expected_entitlements(state: &Value) -> Vec<Value> {
    let mut expected = Vec::new();
    for (ent_type, list, kind) in [
        ("organization", "organizations", "Organization"),
        ("environment", "environments", "Environment"),
    ] {
        for item in state[list].as_array().unwrap() {
            expected.push(object(&[
                ("record", json!("entitlement")),
                ("status", json!("active")),
                ("entType", json!(ent_type)),
                ("entitlementID", text(item, "/id")),
                ("entitlement_value", text(item, "/display_name")),
                ("customproperty1", json!(kind)),
            ]));
        }
    }
    sorted(expected)
}

/// The access links the role bindings of `state` make, sorted: each under
/// the environment its CRN names, else the organization.
pub fn expected_access(state: &Value) -> Vec<Value> {
    let org_id = state["organizations"][0]["id"].clone();
    let mut expected = Vec::new();
    for rb in state["role_bindings"].as_array().unwrap() {
        let crn = rb["crn_pattern"].as_str().unwrap();
        let (ent_type, ent_id) = match crn.split('/').find_map(|s| s.strip_prefix("environment=")) {
            Some(env) => ("environment", json!(env)),
            None => ("organization", org_id.clone()),
        };
        let principal = rb["principal"].as_str().unwrap();
        expected.push(object(&[
            ("record", json!("access")),
            ("status", json!("active")),
            ("accountID", json!(principal.strip_prefix("User:").unwrap())),
            ("entType", json!(ent_type)),
            ("entitlementID", ent_id),
            ("roleBindingID", text(rb, "/id")),
            ("role_name", text(rb, "/role_name")),
            ("crn_pattern", text(rb, "/crn_pattern")),
            ("principal", text(rb, "/principal")),
        ]));
    }
    sorted(expected)
}

/// The hostile probe component's path.
pub fn probe_path() -> PathBuf {
    artifact("sandbox_probe.wasm")
}

/// A raw HTTP/1.1 target on loopback that answers every request with
/// `status` (such as `200 OK`) and the JSON body `answer` makes of the
/// request's head; its base URL. For servers the simulator cannot play: one
/// that echoes headers, sends a huge link or a hostile error text.
pub fn answering_server(
    status: &'static str,
    answer: impl Fn(&str) -> String + Send + 'static,
) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let body = answer(&String::from_utf8_lossy(&request));
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// Adds to `sim` an organization-wide role binding `id` for `principal`.
pub fn add_org_binding(sim: &Simulator, id: &str, principal: &str) {
    sim.with_store(|store| {
        let crn = store.organization.as_ref().unwrap().crn();
        let seq = store.next_seq();
        store.role_bindings.insert(
            seq,
            confluent_sim::model::RoleBinding {
                id: id.into(),
                principal: principal.into(),
                role_name: "OrganizationAdmin".into(),
                crn_pattern: crn,
                stamps: confluent_sim::store::stamps_now(),
            },
        );
    });
}

/// A config folder holding `documents`, for the CLI's `--config`.
pub fn config_folder(documents: &[Document]) -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    for document in documents {
        std::fs::write(
            folder.path().join(format!("{}.json", document.name)),
            &document.json,
        )
        .unwrap();
    }
    folder
}
