//! Starting and stopping a `confluent-sim` process, and its request log.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

/// The API key the simulator accepts.
pub const API_KEY: &str = "BENCHKEY";
/// The API secret the simulator accepts.
pub const API_SECRET: &str = "bench-secret-do-not-use";

/// An organization to seed: `accounts` users and service accounts (80/20),
/// five environments and a role binding per account.
#[derive(Debug, Clone, Copy)]
pub struct Organization {
    /// Users plus service accounts.
    pub accounts: usize,
    /// Milliseconds of latency on every API request.
    pub latency_ms: u64,
}

impl Organization {
    /// The simulator's flags for this organization.
    pub fn flags(&self) -> Vec<String> {
        let users = self.accounts * 4 / 5;
        let mut flags = vec![
            format!("--users={users}"),
            format!("--service-accounts={}", self.accounts - users),
            "--environments=5".to_string(),
            format!("--role-bindings={}", self.accounts),
            "--seed=1".to_string(),
        ];
        if self.latency_ms > 0 {
            flags.push(format!("--latency-ms={}", self.latency_ms));
        }
        flags
    }
}

/// One logged API request, as `GET /_sim/requests` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct LoggedRequest {
    /// `GET`, `POST`, ….
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// The status answered.
    pub status: u16,
}

/// A running simulator, stopped when dropped.
#[derive(Debug)]
pub struct Sim {
    child: Child,
    url: String,
    agent: ureq::Agent,
    authorization: String,
}

impl Sim {
    /// Starts `binary` seeded with `organization` and waits until it listens.
    pub fn start(binary: &Path, organization: &Organization) -> anyhow::Result<Self> {
        Self::start_with(binary, organization, &[])
    }

    /// Starts `binary` as [`Sim::start`] does, with more flags.
    pub fn start_with(
        binary: &Path,
        organization: &Organization,
        flags: &[&str],
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .args(["--listen=127.0.0.1:0", "--api-key", API_KEY])
            .args(["--api-secret", API_SECRET])
            .args(organization.flags())
            .args(flags)
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut line = String::new();
        let stdout = child.stdout.take().context("the simulator's stdout")?;
        BufReader::new(stdout).read_line(&mut line)?;
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the simulator did not start: {line:?}");
        };
        Ok(Self {
            url: url.to_string(),
            child,
            agent: ureq::Agent::config_builder().build().into(),
            authorization: format!("Basic {}", BASE64.encode(format!("{API_KEY}:{API_SECRET}"))),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Empties the request log.
    pub fn clear_requests(&self) -> anyhow::Result<()> {
        self.agent
            .delete(format!("{}/_sim/requests", self.url))
            .header("Authorization", &self.authorization)
            .call()
            .context("clearing the simulator's request log")?;
        Ok(())
    }

    /// Everything the simulator holds, as `GET /_sim/state` serves it.
    pub fn state(&self) -> anyhow::Result<serde_json::Value> {
        self.agent
            .get(format!("{}/_sim/state", self.url))
            .header("Authorization", &self.authorization)
            .call()
            .context("reading the simulator's state")?
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_json()
            .context("the simulator's state")
    }

    /// The request log since it was last cleared.
    pub fn requests(&self) -> anyhow::Result<Vec<LoggedRequest>> {
        self.agent
            .get(format!("{}/_sim/requests", self.url))
            .header("Authorization", &self.authorization)
            .call()
            .context("reading the simulator's request log")?
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_json()
            .context("the simulator's request log")
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
