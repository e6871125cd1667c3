//! What many tenants and other hosts cost, side by side in one run:
//! - tenants a second, and memory per tenant, for `confluent-connector
//!   import all --tenants` over tenants of 1,000 accounts each, against one
//!   simulator at 0 ms;
//! - the time of one operation, each in a fresh instance, `GET /v1/describe`
//!   one after another, served by `confluent-connector serve` and by
//!   `wasmtime serve` (when `--wasmtime` names the CLI).

use std::fmt::Write as _;
use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::Bench;
use crate::sim::{self, Organization, Sim};
use crate::stats::Spread;

/// Tenants in the tenants run, and how many import at once.
const TENANTS: usize = 16;
const AT_ONCE: usize = 4;
/// Accounts in each tenant's organization.
const TENANT_ACCOUNTS: usize = 1_000;
/// Requests timed against each HTTP host.
const REQUESTS: usize = 200;

/// The figures of one run.
#[derive(Debug)]
pub struct HostFigures {
    /// Tenants imported a second, over the whole `--tenants` run.
    pub tenants_per_second: f64,
    /// The run's peak RSS, in MB.
    pub tenants_peak_rss_mb: f64,
    /// One tenant's import alone: its peak RSS, in MB.
    pub single_peak_rss_mb: f64,
    /// The most guest memory any tenant's import held, in MiB.
    pub tenant_guest_mib: f64,
    /// Milliseconds of one `GET /v1/describe`, by host.
    pub describe_ms: Vec<(&'static str, Spread)>,
}

impl HostFigures {
    /// The figures as the benchmark prints them.
    pub fn report(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "many tenants ({TENANTS} tenants of {TENANT_ACCOUNTS} accounts, {AT_ONCE} at once, 0 ms):"
        );
        let _ = writeln!(text, "  tenants a second: {:.1}", self.tenants_per_second);
        let _ = writeln!(
            text,
            "  peak RSS: {:.1} MB for the run, {:.1} MB for one tenant alone: {:.1} MB for each further tenant in flight",
            self.tenants_peak_rss_mb,
            self.single_peak_rss_mb,
            (self.tenants_peak_rss_mb - self.single_peak_rss_mb) / (AT_ONCE - 1) as f64,
        );
        let _ = writeln!(
            text,
            "  guest memory: {:.1} MiB at most per tenant",
            self.tenant_guest_mib
        );
        let _ = writeln!(
            text,
            "one operation in a fresh instance (GET /v1/describe, {REQUESTS} in a row): median (min–max)"
        );
        for (host, ms) in &self.describe_ms {
            let (median, min, max) = (ms.median, ms.min, ms.max);
            let _ = writeln!(text, "  {host}: {median:.2} ms ({min:.2}–{max:.2})");
        }
        text
    }
}

impl Bench {
    /// Measures the tenants run and the HTTP hosts.
    pub fn hosts(&self, wasmtime: Option<&Path>) -> anyhow::Result<HostFigures> {
        let org = Organization {
            accounts: TENANT_ACCOUNTS,
            latency_ms: 0,
        };
        let sim = Sim::start(&self.bin_dir.join("confluent-sim"), &org)?;
        let folder = self.work.join("tenants");
        fs::create_dir_all(&folder)?;
        let credentials =
            serde_json::json!({"api_key": sim::API_KEY, "api_secret": sim::API_SECRET});
        fs::write(folder.join("credentials.json"), credentials.to_string())?;
        let mut file = format!("concurrency = {AT_ONCE}\n");
        for tenant in 0..TENANTS {
            let _ = write!(
                file,
                "[[tenant]]\nname = \"t{tenant}\"\nbase_url = \"{}\"\ncredentials = \"credentials.json\"\noutput = \"t{tenant}.ndjson\"\nstate = \"t{tenant}.state\"\n",
                sim.url()
            );
        }
        let tenants = folder.join("tenants.toml");
        fs::write(&tenants, file)?;

        let mut command = self.connector();
        command.args(["import", "all", "--tenants"]).arg(&tenants);
        let run = self.measure("confluent-connector import all --tenants", &mut command)?;
        let stderr = fs::read_to_string(self.work.join("stderr.txt"))?;
        let tenant_guest_mib = stderr
            .lines()
            .filter_map(|line| {
                line.split("guest memory ")
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse::<f64>()
                    .ok()
            })
            .fold(0.0, f64::max);
        let single = self.measure(
            "confluent-connector import all",
            &mut self.import(sim.url(), &folder.join("single.ndjson")),
        )?;

        let mut describe_ms = Vec::new();
        let mut runner = self.connector();
        runner.args(["--base-url", sim.url(), "serve", "--addr"]);
        describe_ms.push(("confluent-connector serve", self.time_describe(runner)?));
        match wasmtime {
            Some(wasmtime) => {
                let mut served = Command::new(wasmtime);
                served
                    .args(["serve", "-S", "cli", "-S", "config"])
                    .arg(format!("--env=CONFLUENT_BASE_URL={}", sim.url()))
                    .arg(component(&self.bin_dir)?)
                    .arg("--addr");
                describe_ms.push(("wasmtime serve", self.time_describe(served)?));
            }
            None => eprintln!("no --wasmtime: `wasmtime serve` is not measured"),
        }
        Ok(HostFigures {
            tenants_per_second: TENANTS as f64 / run.wall.as_secs_f64(),
            tenants_peak_rss_mb: crate::targets::megabytes(run.peak_rss_kib),
            single_peak_rss_mb: crate::targets::megabytes(single.peak_rss_kib),
            tenant_guest_mib,
            describe_ms,
        })
    }

    /// Starts `command` with a free address appended, and times `REQUESTS`
    /// describes against it, in milliseconds.
    fn time_describe(&self, mut command: Command) -> anyhow::Result<Spread> {
        let address = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = command
            .arg(address.to_string())
            .env("CONFLUENT_CLOUD_API_KEY", sim::API_KEY)
            .env("CONFLUENT_CLOUD_API_SECRET", sim::API_SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting an HTTP host")?;
        let host = Killed(child);
        wait_for(address)?;
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        let url = format!("http://{address}/v1/describe");
        agent.get(&url).call().context("the first describe")?;
        let mut times = Vec::with_capacity(REQUESTS);
        for _ in 0..REQUESTS {
            let started = Instant::now();
            let mut response = agent.get(&url).call()?;
            response.body_mut().read_to_string()?;
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        drop(host);
        Spread::of(times).context("no request was timed")
    }
}

/// The component `make build` wrote, beside the binaries' target folder.
fn component(bin_dir: &Path) -> anyhow::Result<PathBuf> {
    let path = bin_dir.join("../wasm32-wasip2/release/confluent_connector.wasm");
    if !path.is_file() {
        bail!("{} is missing; run `make build`", path.display());
    }
    Ok(path)
}

/// Waits until something listens on `address`.
pub fn wait_for(address: SocketAddr) -> anyhow::Result<()> {
    let started = Instant::now();
    while TcpStream::connect(address).is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("nothing listened on {address}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// A child process, killed when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
