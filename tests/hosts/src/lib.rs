//! What the tests under `tests/` share: the component the runner runs, the
//! simulator's accounts, and HTTP and process helpers. Each test runs the
//! component in a host nobody here wrote; see the README's "Other hosts".

use std::io::BufReader;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The build's target folder.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// The component `make build` wrote: the file the runner runs by default.
pub fn component() -> PathBuf {
    let path = target_dir().join("wasm32-wasip2/release/confluent_connector.wasm");
    assert!(
        path.is_file(),
        "{} is missing; run `make build`",
        path.display()
    );
    path
}

/// The component's sha256, in hex.
pub fn component_digest() -> String {
    format!("{:x}", Sha256::digest(std::fs::read(component()).unwrap()))
}

/// A free port on the loopback interface.
pub fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
}

/// Waits until something listens at `address`, or `child` exits.
pub fn wait_for(address: SocketAddr, child: &mut Child) {
    let started = Instant::now();
    while TcpStream::connect(address).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the host exited ({status}) before it listened on {address}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing listened on {address}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A host process, killed when dropped.
#[derive(Debug)]
pub struct Running(pub Child);

impl Running {
    /// Starts `command`, a host that serves on `address`, with its output
    /// dropped, and waits until it listens.
    pub fn start(command: &mut Command, address: SocketAddr) -> Self {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the host starts");
        let mut running = Self(child);
        wait_for(address, &mut running.0);
        running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// POSTs `body` to `url` as JSON and returns the status and the body's JSON
/// lines.
pub fn post(url: &str, body: &str) -> (u16, Vec<Value>) {
    let (status, _, lines) = post_with_authorization(url, body, None);
    (status, lines)
}

/// The same, with `authorization` as the `Authorization` header; returns
/// the `WWW-Authenticate` header too.
pub fn post_with_authorization(
    url: &str,
    body: &str,
    authorization: Option<&str>,
) -> (u16, Option<String>, Vec<Value>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.post(url).header("content-type", "application/json");
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let mut response = request.send(body).unwrap();
    let status = response.status().as_u16();
    let challenge = response.headers().get("www-authenticate");
    let challenge = challenge.map(|value| value.to_str().unwrap().to_string());
    let lines = json_lines(BufReader::new(response.body_mut().as_reader()));
    (status, challenge, lines)
}

/// Each line of `reader` as JSON.
pub fn json_lines(reader: impl std::io::BufRead) -> Vec<Value> {
    let lines = reader.lines().map(|line| line.unwrap());
    lines
        .map(|line| serde_json::from_str(&line).unwrap())
        .collect()
}

/// The ids of the users and service accounts `state` (the simulator's
/// `/_sim/state`) holds, sorted.
pub fn account_ids(state: &Value) -> Vec<String> {
    let ids = ["users", "service_accounts"].into_iter().flat_map(|list| {
        let records = state[list].as_array().unwrap().iter();
        records.map(|r| r["id"].as_str().unwrap().to_string())
    });
    let mut ids: Vec<String> = ids.collect();
    ids.sort();
    ids
}

/// The `accountID`s of the record lines among `lines`, sorted.
pub fn imported_ids(lines: &[Value]) -> Vec<String> {
    let records = lines.iter().filter(|line| line.get("record").is_some());
    let mut ids: Vec<String> = records
        .map(|r| r["accountID"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// The built-in document `name`, as JSON.
pub fn default_document(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../connector/engine/defaults/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Documents by name, as a host's `wasi:config/store` holds them under
/// `documents`: the built-in `ImportAccountEntJSON`, with users' emails
/// also mapped to `customproperty9`, which no record has by default.
pub fn documents_mapping_customproperty9() -> String {
    let mut import = default_document("ImportAccountEntJSON");
    let users = &mut import["accountParams"]["call"]["call1"]["colsToPropsMap"];
    users["customproperty9"] = Value::from("email~#~char");
    serde_json::json!({ "ImportAccountEntJSON": import }).to_string()
}

/// How many of the record lines among `lines` have `customproperty9`, and
/// how many have it equal to their `customproperty2` (the email).
pub fn customproperty9(lines: &[Value]) -> (usize, usize) {
    let records = lines.iter().filter(|line| line.get("record").is_some());
    let with: Vec<&Value> = records
        .filter(|r| r.get("customproperty9").is_some())
        .collect();
    let matching = with
        .iter()
        .filter(|r| r["customproperty9"] == r["customproperty2"]);
    (with.len(), matching.count())
}
