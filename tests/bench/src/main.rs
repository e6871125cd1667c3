//! `connector-bench`: how fast and how lean a full Confluent Cloud import is,
//! measured side by side in one run against `confluent-sim`.
//!
//! ```text
//! make bench                                    # all sizes, 5 runs, then the plots
//! make bench BENCH_ARGS='--sizes 1000,10000 --runs 2'
//! target/release/connector-bench [--sizes 1000,10000,100000] [--runs 5] [--results target/bench]
//!     [--bin-dir DIR] [--reference tests/bench/reference_import.py] [--python python3]
//! ```
//!
//! For each organization size (users plus service accounts, 80/20, five
//! environments, a role binding per account; the simulator's flags are
//! printed) at 0 ms and at 20 ms of latency per request, a fresh simulator
//! is started and each run measures, one after the other:
//! - the component under the runner, `confluent-connector import all` (a
//!   full import, then `--state` writing a new state, `--state` reading it,
//!   and `--incremental`);
//! - `native-import`, the same engine over a native HTTP client;
//! - the sequential Python reference (`python3 tests/bench/reference_import.py
//!   --base-url URL`, printing a JSON summary line), skipped with a message
//!   while the file is missing.
//!
//! Each is a child process: its wall time, and its own peak RSS from
//! `wait4`. The bound is the longest page chain of the first component run
//! times the latency (see `chains`); the chains found are printed. The
//! component's and the native engine's NDJSON line counts must agree, or the
//! benchmark fails.
//!
//! Then the figures of many tenants and other hosts (see `hosts`), and of
//! 1,000 creates under a rate limit (see `rate_limited`).
//!
//! It prints a table of medians and spreads (min–max), then the targets, each
//! met or MISSED, and writes `measurements.csv` (every run) and `chains.csv`
//! to the results folder, which `tests/bench/plot.py` turns into plots. The
//! binaries are looked for beside this one, so `make build` must have run.

mod chains;
mod hosts;
mod measure;
mod rate_limited;
mod results;
mod sim;
mod stats;
mod table;
mod targets;

use std::fs::{self, File};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context as _, bail};
use clap::Parser;

use measure::Usage;
use results::{Chains, Measurement, Mode, Results, Subject};
use sim::{Organization, Sim};

/// The latencies every size is measured at, in milliseconds.
const LATENCIES_MS: [u64; 2] = [0, 20];

/// Benchmarks the connector against the simulator.
#[derive(Debug, Parser)]
#[command(name = "connector-bench")]
struct Args {
    /// Organization sizes, users plus service accounts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    sizes: Vec<usize>,
    /// Runs of each import at each size and latency.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Where the CSV files go.
    #[arg(long, default_value = "target/bench")]
    results: PathBuf,
    /// The folder of `confluent-connector`, `confluent-sim` and
    /// `native-import`; by default this program's own.
    #[arg(long, value_name = "DIR")]
    bin_dir: Option<PathBuf>,
    /// The sequential Python reference.
    #[arg(long, default_value = "tests/bench/reference_import.py")]
    reference: PathBuf,
    /// The Python interpreter that runs it.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// The wasmtime CLI, to time `wasmtime serve` beside the runner's `serve`.
    #[arg(long, value_name = "PATH")]
    wasmtime: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("connector-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let bin_dir = match args.bin_dir {
        Some(dir) => dir,
        None => std::env::current_exe()?
            .parent()
            .context("this program's folder")?
            .to_path_buf(),
    };
    for name in ["confluent-connector", "confluent-sim", "native-import"] {
        if !bin_dir.join(name).is_file() {
            bail!(
                "{} is missing; run `make build`",
                bin_dir.join(name).display()
            );
        }
    }
    let reference = if args.reference.is_file() {
        Some(args.reference)
    } else {
        eprintln!(
            "the Python reference {} is missing: its column is skipped",
            args.reference.display()
        );
        None
    };
    let work = args.results.join("work");
    fs::create_dir_all(&work).with_context(|| format!("{}", work.display()))?;
    let bench = Bench {
        bin_dir,
        work,
        python: args.python,
        reference,
        runs: args.runs as usize,
    };
    // The first run compiles the component into the cache; no measured run should.
    bench.measure(
        "confluent-connector describe",
        bench.connector().arg("describe"),
    )?;

    let mut results = Results::default();
    for &accounts in &args.sizes {
        for latency_ms in LATENCIES_MS {
            bench.organization(
                &Organization {
                    accounts,
                    latency_ms,
                },
                &mut results,
            )?;
        }
        check_record_counts(&results, accounts)?;
    }
    results.write_csv(&args.results)?;
    let hosts = bench.hosts(args.wasmtime.as_deref())?;
    let rate_limited = bench.rate_limited()?;
    fs::remove_dir_all(&bench.work)?;

    println!("organizations (confluent-sim flags):");
    for &accounts in &args.sizes {
        let flags = Organization {
            accounts,
            latency_ms: 0,
        }
        .flags()
        .join(" ");
        println!("  {accounts:>6} accounts: {flags} [--latency-ms=20]");
    }
    println!("page chains (pages, and pages in a row with the list waited on):");
    for found in &results.chains {
        let chains: Vec<String> = found
            .chains
            .iter()
            .map(|c| format!("{} {}/{}", c.list, c.pages, c.length))
            .collect();
        println!(
            "  {} accounts, {} ms: {}",
            found.accounts,
            found.latency_ms,
            chains.join(", ")
        );
    }
    println!(
        "{}",
        table::measurements(&results, &args.sizes, &LATENCIES_MS)
    );
    let checks = targets::checks(&results, &args.sizes, bench.reference.is_some());
    println!("{}", table::targets(&checks));
    print!("{}", hosts.report());
    print!("{}", rate_limited::RateFigures::report(&rate_limited));
    println!(
        "raw measurements: {}",
        args.results.join("measurements.csv").display()
    );
    Ok(())
}

/// Where the programs are and how often to run them.
#[derive(Debug)]
struct Bench {
    bin_dir: PathBuf,
    /// Outputs, state files and logs of the runs, removed at the end.
    work: PathBuf,
    python: PathBuf,
    reference: Option<PathBuf>,
    runs: usize,
}

impl Bench {
    /// `confluent-connector`, its stdout discarded.
    fn connector(&self) -> Command {
        let mut command = Command::new(self.bin_dir.join("confluent-connector"));
        command.stdout(Stdio::null());
        command
    }

    /// `confluent-connector import all` against `url`, writing to `output`.
    fn import(&self, url: &str, output: &Path) -> Command {
        let mut command = self.connector();
        command
            .args(["import", "all", "--base-url", url, "--output"])
            .arg(output);
        command
    }

    /// Runs `command` with the credentials and measures it; a failure ends
    /// the benchmark with its stderr.
    fn measure(&self, what: &str, command: &mut Command) -> anyhow::Result<Usage> {
        let log = self.work.join("stderr.txt");
        command
            .env("CONFLUENT_CLOUD_API_KEY", sim::API_KEY)
            .env("CONFLUENT_CLOUD_API_SECRET", sim::API_SECRET)
            .stdin(Stdio::null())
            .stderr(File::create(&log)?);
        let usage = measure::run(command).with_context(|| format!("running {what}"))?;
        if !usage.status.success() {
            let stderr = fs::read_to_string(&log).unwrap_or_default();
            bail!("{what} failed ({}): {}", usage.status, stderr.trim());
        }
        Ok(usage)
    }

    /// The guest memory the last command's summary reported, in MiB.
    fn guest_memory(&self) -> anyhow::Result<f64> {
        let stderr = fs::read_to_string(self.work.join("stderr.txt"))?;
        let line = stderr.lines().find_map(|l| l.strip_prefix("guest memory:"));
        let held = line.and_then(|l| l.split_whitespace().next()?.parse().ok());
        held.with_context(|| format!("the runner reported no guest memory: {stderr}"))
    }

    /// Measures every import `self.runs` times against one fresh simulator.
    fn organization(&self, org: &Organization, results: &mut Results) -> anyhow::Result<()> {
        let sim = Sim::start(&self.bin_dir.join("confluent-sim"), org)?;
        let url = sim.url();
        let output = self.work.join("records.ndjson");
        let state = self.work.join("state.json");
        let stdout = self.work.join("stdout.txt");
        for run in 1..=self.runs {
            let mut push = |subject, mode, usage: Usage, records, guest_memory_mib| {
                let measurement = Measurement {
                    accounts: org.accounts,
                    latency_ms: org.latency_ms,
                    subject,
                    mode,
                    run,
                    wall_s: usage.wall.as_secs_f64(),
                    peak_rss_kib: usage.peak_rss_kib,
                    records,
                    guest_memory_mib,
                };
                eprintln!(
                    "{} accounts, {} ms, run {run}/{}: {subject} {mode}: {:.2} s, {:.1} MB{}",
                    org.accounts,
                    org.latency_ms,
                    self.runs,
                    measurement.wall_s,
                    targets::megabytes(measurement.peak_rss_kib),
                    records.map_or_else(String::new, |n| format!(", {n} records")),
                );
                results.measurements.push(measurement);
            };

            if run == 1 {
                sim.clear_requests()?;
            }
            let usage = self.measure(
                "confluent-connector import all",
                &mut self.import(url, &output),
            )?;
            push(
                Subject::Component,
                Mode::Full,
                usage,
                Some(take_lines(&output)?),
                Some(self.guest_memory()?),
            );
            if run == 1 {
                results.chains.push(Chains {
                    accounts: org.accounts,
                    latency_ms: org.latency_ms,
                    chains: chains::chains(&sim.requests()?),
                });
            }

            let _ = fs::remove_file(&state);
            for mode in [Mode::StateWrite, Mode::StateRead, Mode::Incremental] {
                let mut command = self.import(url, &output);
                command.arg("--state").arg(&state);
                if mode == Mode::Incremental {
                    command.arg("--incremental");
                }
                let usage = self.measure(
                    &format!("confluent-connector import all {mode}"),
                    &mut command,
                )?;
                let guest_memory = Some(self.guest_memory()?);
                let records = Some(take_lines(&output)?);
                push(Subject::Component, mode, usage, records, guest_memory);
            }

            let mut command = Command::new(self.bin_dir.join("native-import"));
            command
                .args(["--base-url", url, "--output"])
                .arg(&output)
                .stdout(Stdio::null());
            let usage = self.measure("native-import", &mut command)?;
            push(
                Subject::Native,
                Mode::Full,
                usage,
                Some(take_lines(&output)?),
                None,
            );

            if let Some(reference) = &self.reference {
                let mut command = Command::new(&self.python);
                command
                    .arg(reference)
                    .args(["--base-url", url])
                    .stdout(File::create(&stdout)?);
                let usage = self.measure("the Python reference", &mut command)?;
                let printed = fs::read_to_string(&stdout)?;
                let summary = printed
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or("");
                serde_json::from_str::<serde_json::Value>(summary).with_context(|| {
                    format!("the Python reference printed no JSON summary line: {summary:?}")
                })?;
                push(Subject::Python, Mode::Full, usage, None, None);
            }
        }
        Ok(())
    }
}

/// Counts the lines of the NDJSON file at `path`, then removes it.
fn take_lines(path: &Path) -> anyhow::Result<u64> {
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut lines = 0;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            break;
        }
        lines += buffer.iter().filter(|&&b| b == b'\n').count() as u64;
        let read = buffer.len();
        reader.consume(read);
    }
    fs::remove_file(path)?;
    Ok(lines)
}

/// Fails unless every full import at `accounts`, the component's and the
/// native engine's, wrote the same number of records.
fn check_record_counts(results: &Results, accounts: usize) -> anyhow::Result<()> {
    let counted: Vec<&Measurement> = results
        .measurements
        .iter()
        .filter(|m| m.accounts == accounts && m.mode != Mode::Incremental && m.records.is_some())
        .collect();
    let first = counted.first().and_then(|m| m.records);
    if counted.iter().any(|m| m.records != first) {
        let found: Vec<String> = counted
            .iter()
            .map(|m| {
                let records = m.records.unwrap_or_default();
                format!(
                    "{} {} at {} ms run {}: {records}",
                    m.subject, m.mode, m.latency_ms, m.run
                )
            })
            .collect();
        bail!(
            "record counts disagree at {accounts} accounts:\n  {}",
            found.join("\n  ")
        );
    }
    Ok(())
}
