//! The fault matrix: an import with a state and a service-account create,
//! each through the CLI against a simulator that misbehaves one way at a
//! time. Each cell ends as its row expects, and none ends in a panic, a trap
//! without a message, a hang past the deadline, a duplicate record or
//! service account, a suspension from a partial run or an advanced state.
//! The test prints the matrix.

use std::collections::BTreeSet;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use comfy_table::Table;
use confluent_sim::faults::Latency;
use confluent_sim::{Faults, LoggedRequest, Simulator};
use serde_json::Value;

use crate::cli::{cli_command, run_cli};
use crate::support::*;

/// Every run's deadline, unless its row sets a shorter one.
const DEADLINE_SECS: u64 = 60;

/// The service account each create asks for.
const CREATED: &str = "svc-fault-matrix";

/// One fault, and what each operation under it must end as.
struct Row {
    fault: &'static str,
    faults: Faults,
    /// The runs' deadline, in seconds, when not the default.
    deadline: Option<u64>,
    /// What the simulator's log must hold for at least one request of each
    /// run, so that a cell that finished did meet its fault.
    witness: Option<fn(&LoggedRequest) -> bool>,
    /// Kill the simulator while a request of the run is in flight, and keep
    /// it down this long.
    restart: Option<Duration>,
    import: Expect,
    create: Expect,
}

/// What a run must end as: finished, or failed with this exit code and an
/// error that says this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Finished,
    Failed(i32, &'static str),
}

/// How one cell ended, for the table.
struct Cell {
    code: Option<i32>,
    /// The error line, if it failed.
    error: String,
    summary: String,
}

fn rows() -> Vec<Row> {
    let latency = |min, max| Some(Latency { min, max });
    let only = |prefix: &str| Some(prefix.to_string());
    vec![
        row(
            "latency spikes (0-250 ms)",
            Faults {
                latency_ms: latency(0, 250),
                ..Faults::default()
            },
            Expect::Finished,
            Expect::Finished,
        ),
        Row {
            witness: Some(|r| r.status == 429),
            ..row(
                "429s (4 requests/s, the window spent at the start)",
                Faults {
                    rate_limit: Some(4),
                    ..Faults::default()
                },
                Expect::Finished,
                Expect::Finished,
            )
        },
        Row {
            witness: Some(|r| r.status >= 500),
            ..row(
                "5xx burst (3 in a row)",
                Faults {
                    error_burst: 3,
                    ..Faults::default()
                },
                Expect::Finished,
                Expect::Finished,
            )
        },
        Row {
            witness: Some(|r| r.method == "POST" && r.status >= 500),
            ..row(
                "5xx after the create applied",
                Faults {
                    error_burst: 1,
                    error_after_apply: true,
                    method: Some("POST".into()),
                    ..Faults::default()
                },
                Expect::Finished,
                Expect::Finished,
            )
        },
        Row {
            witness: Some(|r| r.status >= 500),
            ..row(
                "5xx on every request",
                Faults {
                    error_rate: 1.0,
                    ..Faults::default()
                },
                Expect::Failed(5, "transient failure"),
                Expect::Failed(5, "transient failure"),
            )
        },
        row(
            "connection reset mid-body",
            Faults {
                reset_rate: 1.0,
                ..Faults::default()
            },
            Expect::Failed(5, "transient failure"),
            Expect::Failed(5, "transient failure"),
        ),
        row(
            "truncated body",
            Faults {
                truncate_rate: 1.0,
                ..Faults::default()
            },
            Expect::Failed(1, "not JSON"),
            Expect::Failed(1, "not JSON"),
        ),
        row(
            "a body that is not JSON",
            Faults {
                not_json_rate: 1.0,
                ..Faults::default()
            },
            Expect::Failed(1, "not JSON"),
            Expect::Failed(1, "not JSON"),
        ),
        Row {
            witness: Some(|r| r.status == 502),
            ..row(
                "an HTML error page (502)",
                Faults {
                    error_rate: 1.0,
                    error_statuses: vec![502],
                    html_errors: true,
                    ..Faults::default()
                },
                Expect::Failed(5, "transient failure"),
                Expect::Failed(5, "transient failure"),
            )
        },
        row(
            "a next link that loops",
            Faults {
                loop_next: true,
                ..Faults::default()
            },
            Expect::Failed(1, "loops"),
            Expect::Finished,
        ),
        row(
            "a next link to a foreign origin",
            Faults {
                next_origin: Some("http://203.0.113.9:8080".into()),
                ..Faults::default()
            },
            Expect::Failed(1, "leaves the origin"),
            Expect::Finished,
        ),
        Row {
            witness: Some(|r| r.status == 401),
            ..row(
                "401 in the middle of a run",
                Faults {
                    error_rate: 1.0,
                    error_statuses: vec![401],
                    path_prefix: only("/iam/v2/service-accounts"),
                    ..Faults::default()
                },
                Expect::Failed(4, "authentication failed"),
                Expect::Failed(4, "authentication failed"),
            )
        },
        row(
            "a body over the 32 MiB cap",
            Faults {
                padding_bytes: 33 << 20,
                ..Faults::default()
            },
            Expect::Failed(1, "larger than the host allows"),
            Expect::Failed(1, "larger than the host allows"),
        ),
        Row {
            deadline: Some(2),
            ..row(
                "the deadline (3 s latency, 2 s deadline)",
                Faults {
                    latency_ms: latency(3000, 3000),
                    ..Faults::default()
                },
                Expect::Failed(5, "deadline"),
                Expect::Failed(5, "deadline"),
            )
        },
        Row {
            restart: Some(Duration::from_millis(700)),
            ..row(
                "the simulator killed and restarted",
                Faults {
                    latency_ms: latency(300, 300),
                    latency_after_apply: true,
                    ..Faults::default()
                },
                Expect::Finished,
                Expect::Finished,
            )
        },
    ]
}

/// A row whose runs keep the default deadline, need no witness and see no
/// restart.
fn row(fault: &'static str, faults: Faults, import: Expect, create: Expect) -> Row {
    Row {
        fault,
        faults,
        deadline: None,
        witness: None,
        restart: None,
        import,
        create,
    }
}

#[test]
fn every_fault_ends_in_a_correct_result_or_a_clear_typed_error() {
    let cache = tempfile::tempdir().unwrap();
    // Compiles the component once, before the cells share the cache.
    let sim = simulator(small_org());
    let warm = run_cli(&sim, cache.path(), &["describe"]);
    assert!(warm.status.success());

    let rows = rows();
    let cells: Vec<(Cell, Cell)> = std::thread::scope(|scope| {
        // Two rows at a time: each cell starts a simulator and a runner.
        rows.chunks(2)
            .flat_map(|pair| {
                let running: Vec<_> = pair
                    .iter()
                    .map(|row| {
                        scope.spawn(|| {
                            (
                                import_cell(row, cache.path()),
                                create_cell(row, cache.path()),
                            )
                        })
                    })
                    .collect();
                running
                    .into_iter()
                    .map(|cell| cell.join().expect("a cell's checks held"))
                    .collect::<Vec<_>>()
            })
            .collect()
    });

    let mut table = Table::new();
    table.set_header(["fault", "import --state", "create-account"]);
    let mut wrong = Vec::new();
    for (row, (import, create)) in rows.iter().zip(&cells) {
        table.add_row([row.fault, &import.summary, &create.summary]);
        for (operation, cell, expect) in [
            ("import", import, row.import),
            ("create", create, row.create),
        ] {
            let (code, says) = match expect {
                Expect::Finished => (0, ""),
                Expect::Failed(code, says) => (code, says),
            };
            if cell.code != Some(code) || !cell.error.contains(says) {
                wrong.push(format!(
                    "{}: {operation} expected {expect:?}, got exit {:?}: {}",
                    row.fault, cell.code, cell.error
                ));
            }
        }
    }
    println!("{table}");
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Imports accounts with the state of a clean import, after one user was
/// deleted, under the row's fault.
fn import_cell(row: &Row, cache: &Path) -> Cell {
    let mut sim = simulator(small_org());
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state_arg = state.to_str().unwrap();
    let clean = run_cli(
        &sim,
        cache,
        &["import", "accounts", "--state", state_arg, "-q"],
    );
    assert!(clean.status.success(), "{}", text(&clean.stderr));
    let kept = std::fs::read(&state).unwrap();
    let gone = sim.with_store(|store| {
        let id = store.users.iter().next().unwrap().id.clone();
        store.users.remove(&id);
        id
    });

    sim.set_faults(row.faults.clone());
    // In flight once a response of this run has come: the next request is.
    let served = sim.requests().len();
    let output = run(
        &mut sim,
        row,
        cache,
        &["import", "accounts", "--state", state_arg],
        &|sim| sim.requests().len() > served,
    );
    sim.set_faults(Faults::default());
    check_witness(row, &sim, "GET");

    let cell = check_ending(row, "import", &output);
    let records: Vec<Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is a record"))
        .collect();
    let ids: Vec<&str> = records
        .iter()
        .filter_map(|r| r["accountID"].as_str())
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        ids.len(),
        unique.len(),
        "{}: a record came out twice",
        row.fault
    );
    let (suspended, active): (Vec<Value>, Vec<Value>) = records
        .into_iter()
        .partition(|r| r["status"] == "suspended");
    let suspended: Vec<&str> = suspended
        .iter()
        .filter_map(|r| r["accountID"].as_str())
        .collect();
    if output.status.success() {
        assert_eq!(
            expected_accounts(&sim.state()),
            sorted(active),
            "{}: the import is not the organization",
            row.fault
        );
        assert_eq!(vec![gone.as_str()], suspended, "{}", row.fault);
        assert_ne!(kept, std::fs::read(&state).unwrap(), "{}", row.fault);
    } else {
        assert!(
            suspended.is_empty(),
            "{}: a partial run suspended {suspended:?}",
            row.fault
        );
        assert_eq!(
            kept,
            std::fs::read(&state).unwrap(),
            "{}: the state moved",
            row.fault
        );
    }
    cell
}

/// Creates a service account under the row's fault, then, as a platform
/// would after a failure, once more without it.
fn create_cell(row: &Row, cache: &Path) -> Cell {
    let mut sim = simulator(small_org());
    let create = [
        "provision",
        "create-account",
        "--attr",
        &format!("username={CREATED}"),
        "--attr",
        "customproperty4=made under a fault",
    ];
    sim.set_faults(row.faults.clone());
    // In flight once the create was applied: its answer is held back.
    let output = run(&mut sim, row, cache, &create, &|sim| {
        created_count(sim) == 1
    });
    sim.set_faults(Faults::default());
    check_witness(row, &sim, "POST");
    let cell = check_ending(row, "create", &output);
    let made = created_count(&sim);
    assert!(
        made <= 1,
        "{}: {made} service accounts were made",
        row.fault
    );
    if output.status.success() {
        assert_eq!(
            1, made,
            "{}: the create finished and made nothing",
            row.fault
        );
        let result: Value = serde_json::from_slice(&output.stdout).expect("a result");
        assert_eq!(
            created(&sim)[0]["id"],
            result["accountID"],
            "{}: the result names another account",
            row.fault
        );
    }

    let again = run_cli(&sim, cache, &create);
    assert!(
        again.status.success(),
        "{}: {}",
        row.fault,
        text(&again.stderr)
    );
    assert_eq!(
        1,
        created_count(&sim),
        "{}: the retried create duplicated",
        row.fault
    );
    cell
}

/// Runs the CLI under the row's deadline, restarting the simulator during
/// the run when the row says so.
fn run(
    sim: &mut Simulator,
    row: &Row,
    cache: &Path,
    args: &[&str],
    in_flight: &dyn Fn(&Simulator) -> bool,
) -> Output {
    let deadline = row.deadline.unwrap_or(DEADLINE_SECS);
    let deadline_arg = deadline.to_string();
    let mut all = vec!["--timeout", &deadline_arg];
    all.extend(args);
    if let Some(limit) = row.faults.rate_limit {
        spend_rate_limit(sim, limit);
    }
    // Stdout goes to a file, so that a full pipe never holds the run back
    // from the network while the test waits for a moment to strike.
    let stdout = tempfile::tempfile().unwrap();
    let started = Instant::now();
    let mut child = cli_command(sim.url(), (sim.api_key(), sim.api_secret()), cache, &all)
        .stdout(stdout.try_clone().unwrap())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    let limit = Duration::from_secs(deadline + 5);
    if let Some(down) = row.restart {
        while !in_flight(sim) {
            assert!(
                started.elapsed() < limit,
                "{}: the run never began",
                row.fault
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "{}: the run ended before the simulator was killed",
            row.fault
        );
        sim.restart(down).expect("the simulator restarts");
    }
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().ok();
            panic!("{}: the run went on past its deadline", row.fault);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut output = child.wait_with_output().expect("the CLI ends");
    let mut stdout = stdout;
    stdout.seek(SeekFrom::Start(0)).unwrap();
    stdout.read_to_end(&mut output.stdout).unwrap();
    output
}

/// Checks what every ending must be, and sums it up for the table: no
/// panic or backtrace, one `error:` line that says what failed, and an exit
/// code the CLI documents.
fn check_ending(row: &Row, operation: &str, output: &Output) -> Cell {
    let stderr = text(&output.stderr);
    for sign in ["panicked at", "stack backtrace", "RUST_BACKTRACE"] {
        assert!(
            !stderr.contains(sign),
            "{} / {operation}: {stderr}",
            row.fault
        );
    }
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1 | 3 | 4 | 5 | 6)),
        "{} / {operation}: exit {code:?}: {stderr}",
        row.fault
    );
    if output.status.success() {
        return Cell {
            code,
            error: String::new(),
            summary: "finished".into(),
        };
    }
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(1, errors.len(), "{} / {operation}: {stderr}", row.fault);
    let error = errors[0];
    assert!(
        !error.contains("trap"),
        "{} / {operation}: a trap is not a clear error: {error}",
        row.fault
    );
    assert!(
        !error.contains("<html"),
        "{} / {operation}: {error}",
        row.fault
    );
    assert!(error.len() < 1000, "{} / {operation}: {error}", row.fault);
    let short: String = error
        .trim_start_matches("error: ")
        .chars()
        .take(60)
        .collect();
    Cell {
        code,
        summary: format!("exit {}: {short}", code.unwrap_or(-1)),
        error: error.to_string(),
    }
}

/// Spends the rate limit's current window with `limit` reads of our own,
/// so that the run starts against a spent budget.
fn spend_rate_limit(sim: &Simulator, limit: u32) {
    let credential = BASE64.encode(format!("{}:{}", sim.api_key(), sim.api_secret()));
    let address = sim.url().trim_start_matches("http://");
    for _ in 0..limit {
        let mut stream = TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET /org/v2/organizations HTTP/1.1\r\nHost: {address}\r\nAuthorization: Basic {credential}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
    }
}

/// Checks that the simulator's log shows the row's fault striking, unless
/// the fault is kept to another method than the run's, `method`.
fn check_witness(row: &Row, sim: &Simulator, method: &str) {
    let aimed_here = row.faults.method.as_deref().is_none_or(|m| m == method);
    if let Some(struck) = row.witness.filter(|_| aimed_here) {
        assert!(
            sim.requests().iter().any(struck),
            "{}: the fault never struck",
            row.fault
        );
    }
}

/// The service accounts that carry the created name.
fn created(sim: &Simulator) -> Vec<Value> {
    let state = sim.state();
    let accounts = state["service_accounts"].as_array().unwrap();
    accounts
        .iter()
        .filter(|sa| sa["display_name"] == CREATED)
        .cloned()
        .collect()
}

/// How many service accounts carry the created name.
fn created_count(sim: &Simulator) -> usize {
    created(sim).len()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
