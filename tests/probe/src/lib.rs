//! A hostile guest for the runner's sandbox tests. It exports the same
//! `identity-connector` world as the real connector, but:
//! - `test-connection` tries to read the environment and files and to open
//!   sockets, and reports each attempt;
//! - `describe` spins forever (the epoch deadline must stop it);
//! - an import of accounts builds one gigantic records event until memory
//!   runs out (the memory cap must stop it); one of entitlements streams
//!   pieces of a new state and then fails (the host must keep the old one);
//!   one of access alone hands over a single batch of 200,000 records (the
//!   host's cap on a batch must refuse it);
//! - `provision` of `create-account` waits an hour in a host call (the
//!   wall-clock deadline must stop it);
//! - `provision` of `update-account` sends a GET, with an `Authorization` of
//!   its own, to each `url` attribute of the request exactly as written (a
//!   user in the authority, dot segments and all), and reports what came
//!   back;
//! - `provision` of `remove-account` runs the attempts its request's `user`
//!   attributes name, one per attribute (the attribute's name is the
//!   attempt, its text the argument), and reports each outcome under the
//!   attempt's name: HTTP to an IP literal, another port or `localhost`, a
//!   `Host` header of its own, `Proxy-Authorization`, CRLF in a header,
//!   reading `Authorization` back from an echo, deep recursion, a gigantic
//!   result, a flood on stderr and thousands of requests at once. The
//!   [`attempts`] module lists them.

#[expect(unsafe_code, reason = "wit-bindgen's generated ABI glue")]
mod bindings {
    wit_bindgen::generate!({
        world: "identity-connector",
        path: "../../wit",
        with: { "wasi:config/store@0.2.0-rc.1": generate },
    });
    use crate::Probe;
    export!(Probe with_types_in self);
}

mod attempts;
mod http;

use std::cell::Cell;
use std::time::Duration;

use bindings::exports::identity::connector::connector::{Guest, GuestImportRun, ImportRun};
use bindings::exports::identity::connector::types::{
    Account, Attribute, AttributeValue, Config, ConnectionReport, ConnectorError, Descriptor,
    ImportEvent, ImportRequest, ObjectKind, ProvisionOperation, ProvisionOutcome, ProvisionRequest,
    ProvisionResult, Record, Status,
};

struct Probe;

/// An import that misbehaves as it is pulled.
enum ProbeRun {
    /// Its first event is one gigantic batch of records.
    Hoard,
    /// It streams pieces of a new state, `sent` so far, and then fails.
    StateThenFail { sent: Cell<usize> },
    /// Its first event is one batch of [`FLOOD_RECORDS`] small records.
    Flood,
}

/// The records of the batch an import of access alone hands over: twice
/// what the host takes in one batch, in a few MiB of guest memory.
const FLOOD_RECORDS: usize = 200_000;

/// The pieces of state a failing import streams before it fails.
const STATE_PIECES: [&[u8]; 2] = [b"{\"streamed\":", b"true}"];

impl GuestImportRun for ProbeRun {
    fn feed_state(&self, _: Vec<u8>) -> Result<(), ConnectorError> {
        Ok(())
    }

    fn next(&self) -> Result<Option<ImportEvent>, ConnectorError> {
        match self {
            Self::Hoard => {
                let mut batch = Vec::new();
                loop {
                    batch.push(Record::Account(Account {
                        id: "x".repeat(16 << 20),
                        status: Status::Active,
                        attributes: Vec::new(),
                    }));
                }
            }
            Self::Flood => Ok(Some(ImportEvent::Records(
                (0..FLOOD_RECORDS)
                    .map(|_| {
                        Record::Account(Account {
                            id: String::new(),
                            status: Status::Active,
                            attributes: Vec::new(),
                        })
                    })
                    .collect(),
            ))),
            Self::StateThenFail { sent } => {
                let piece = STATE_PIECES.get(sent.get()).ok_or_else(|| {
                    ConnectorError::Transient("the probe fails after its state".into())
                })?;
                sent.set(sent.get() + 1);
                Ok(Some(ImportEvent::State(piece.to_vec())))
            }
        }
    }
}

/// The outcome of one escape attempt: `denied: …` or `ALLOWED: …`.
fn attempt<T, E: std::fmt::Display>(
    name: &str,
    result: Result<T, E>,
    shown: impl Fn(&T) -> String,
) -> Attribute {
    let text = match result {
        Ok(value) => format!("ALLOWED: {}", shown(&value)),
        Err(error) => format!("denied: {error}"),
    };
    Attribute {
        name: name.to_string(),
        value: AttributeValue::Text(text),
    }
}

fn loopback_target(base_url: &str) -> String {
    let url = url::Url::parse(base_url).expect("the test passes a URL");
    format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port_or_known_default().unwrap_or(80)
    )
}

/// A GET of `url` as written, claiming credentials of its own.
async fn raw_get(url: &str) -> Result<u16, String> {
    let request = wstd::http::Request::get(url)
        .header("Authorization", "Basic cHJvYmU6cHJvYmU=")
        .body(wstd::http::Body::empty())
        .map_err(|e| e.to_string())?;
    let response = wstd::http::Client::new()
        .send(request)
        .await
        .map_err(|e| format!("{e:#}"))?;
    Ok(response.status().as_u16())
}

impl Guest for Probe {
    type ImportRun = ProbeRun;

    fn describe(_: Config) -> Result<Descriptor, ConnectorError> {
        loop {
            std::hint::spin_loop();
        }
    }

    fn test_connection(config: Config) -> Result<ConnectionReport, ConnectorError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let env_result = if env.is_empty() {
            Err("no variables")
        } else {
            Ok(env.len())
        };
        let target = loopback_target(&config.base_url);
        let details = vec![
            attempt("env-vars", env_result, |n| format!("{n} variables")),
            attempt("env-home", std::env::var("HOME"), |v| v.clone()),
            attempt("read-root-dir", std::fs::read_dir("/"), |_| {
                "listed /".into()
            }),
            attempt("read-cwd", std::fs::read_dir("."), |_| "listed .".into()),
            attempt("read-etc-passwd", std::fs::read("/etc/passwd"), |b| {
                format!("{} bytes", b.len())
            }),
            attempt(
                "write-tmp",
                std::fs::write("/tmp/sandbox-probe-escape", b"x"),
                |_| "wrote".into(),
            ),
            attempt("tcp-connect", std::net::TcpStream::connect(&target), |_| {
                format!("connected to {target}")
            }),
            attempt("udp-bind", std::net::UdpSocket::bind("0.0.0.0:0"), |_| {
                "bound".into()
            }),
            attempt(
                "tcp-listen",
                std::net::TcpListener::bind("127.0.0.1:0"),
                |_| "listening".into(),
            ),
        ];
        Ok(ConnectionReport {
            target: "sandbox probe".into(),
            details,
        })
    }

    fn start_import(_: Config, request: ImportRequest) -> Result<ImportRun, ConnectorError> {
        Ok(ImportRun::new(
            if request.kinds.contains(&ObjectKind::Entitlements) {
                ProbeRun::StateThenFail { sent: Cell::new(0) }
            } else if request.kinds == [ObjectKind::Access] {
                ProbeRun::Flood
            } else {
                ProbeRun::Hoard
            },
        ))
    }

    fn provision(
        _: Config,
        operation: ProvisionOperation,
        request: ProvisionRequest,
    ) -> Result<ProvisionResult, ConnectorError> {
        match operation {
            ProvisionOperation::CreateAccount => sleep_an_hour(),
            ProvisionOperation::UpdateAccount => get_each_url(request),
            ProvisionOperation::RemoveAccount => Ok(ProvisionResult {
                account_id: None,
                attributes: attempts::run(request.user),
                outcome: ProvisionOutcome::Done,
                calls: Vec::new(),
                rendered: Vec::new(),
            }),
            _ => Err(ConnectorError::Unsupported("probe".into())),
        }
    }
}

/// Waits an hour in a host call.
fn sleep_an_hour() -> Result<ProvisionResult, ConnectorError> {
    wstd::runtime::block_on(async { wstd::task::sleep(Duration::from_secs(3600).into()).await });
    Err(ConnectorError::Unsupported("woke after an hour".into()))
}

/// Sends a GET to each `url` attribute of `request`, as written.
fn get_each_url(request: ProvisionRequest) -> Result<ProvisionResult, ConnectorError> {
    let urls: Vec<String> = request
        .user
        .into_iter()
        .filter(|a| a.name == "url")
        .filter_map(|a| match a.value {
            AttributeValue::Text(url) => Some(url),
            _ => None,
        })
        .collect();
    let attributes = wstd::runtime::block_on(async {
        let mut outcomes = Vec::new();
        for url in urls {
            let outcome = raw_get(&url).await;
            outcomes.push(attempt(&url, outcome, |status| format!("status {status}")));
        }
        outcomes
    });
    Ok(ProvisionResult {
        account_id: None,
        attributes,
        outcome: ProvisionOutcome::Done,
        calls: Vec::new(),
        rendered: Vec::new(),
    })
}
