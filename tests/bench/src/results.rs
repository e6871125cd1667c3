//! The measurements of a run and the CSV files they are kept in.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::chains::Chain;
use crate::stats::Spread;

/// What ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    /// `confluent-connector`, the component under the runner.
    Component,
    /// `native-import`, the engine over a native transport.
    Native,
    /// `reference_import.py`, the sequential Python reference.
    Python,
}

/// Which import it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// A full import with no state.
    Full,
    /// A full import writing a new state file.
    StateWrite,
    /// A full import reading the state file the previous one wrote.
    StateRead,
    /// An incremental import against that state.
    Incremental,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Subject::Component => "component",
            Subject::Native => "native engine",
            Subject::Python => "Python reference",
        })
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Full => "full",
            Mode::StateWrite => "--state (write)",
            Mode::StateRead => "--state (read)",
            Mode::Incremental => "--incremental",
        })
    }
}

/// One process run, as measured.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// Users plus service accounts in the organization.
    pub accounts: usize,
    /// The simulator's latency per request.
    pub latency_ms: u64,
    /// What ran.
    pub subject: Subject,
    /// Which import.
    pub mode: Mode,
    /// Which of the repeated runs, from 1.
    pub run: usize,
    /// Wall time in seconds.
    pub wall_s: f64,
    /// Peak resident set in KiB.
    pub peak_rss_kib: u64,
    /// NDJSON lines written, where the output is counted.
    pub records: Option<u64>,
    /// The most linear memory the guest held, in MiB, as the runner's
    /// summary reports it (the component only).
    pub guest_memory_mib: Option<f64>,
}

/// The chains found at one organization size and latency.
#[derive(Debug, Clone)]
pub struct Chains {
    /// Users plus service accounts in the organization.
    pub accounts: usize,
    /// The simulator's latency per request.
    pub latency_ms: u64,
    /// Longest first.
    pub chains: Vec<Chain>,
}

impl Chains {
    /// The longest chain times the latency, in seconds.
    pub fn bound_s(&self) -> f64 {
        let longest = self.chains.first().map_or(0, |c| c.length);
        longest as f64 * self.latency_ms as f64 / 1000.0
    }
}

/// Every measurement of a run.
#[derive(Debug, Default)]
pub struct Results {
    /// In the order they were taken.
    pub measurements: Vec<Measurement>,
    /// One per organization size and latency.
    pub chains: Vec<Chains>,
}

impl Results {
    /// The measurements of one subject and mode at one size and latency.
    pub fn select(
        &self,
        accounts: usize,
        latency_ms: u64,
        subject: Subject,
        mode: Mode,
    ) -> impl Iterator<Item = &Measurement> {
        self.measurements.iter().filter(move |m| {
            m.accounts == accounts
                && m.latency_ms == latency_ms
                && m.subject == subject
                && m.mode == mode
        })
    }

    /// The spread of the wall times of one subject and mode.
    pub fn wall(
        &self,
        accounts: usize,
        latency_ms: u64,
        subject: Subject,
        mode: Mode,
    ) -> Option<Spread> {
        Spread::of(
            self.select(accounts, latency_ms, subject, mode)
                .map(|m| m.wall_s),
        )
    }

    /// The chains found at one size and latency.
    pub fn chains_at(&self, accounts: usize, latency_ms: u64) -> Option<&Chains> {
        self.chains
            .iter()
            .find(|c| c.accounts == accounts && c.latency_ms == latency_ms)
    }

    /// Writes `measurements.csv` (every run) and `chains.csv` (every list
    /// found, with its pages and chain) into `folder`.
    pub fn write_csv(&self, folder: &Path) -> anyhow::Result<()> {
        let mut out = csv::Writer::from_path(folder.join("measurements.csv"))?;
        for measurement in &self.measurements {
            out.serialize(measurement)?;
        }
        out.flush()?;
        let mut out = csv::Writer::from_path(folder.join("chains.csv"))?;
        out.write_record(["accounts", "latency_ms", "list", "pages", "chain"])?;
        for found in &self.chains {
            for chain in &found.chains {
                out.write_record([
                    found.accounts.to_string(),
                    found.latency_ms.to_string(),
                    chain.list.clone(),
                    chain.pages.to_string(),
                    chain.length.to_string(),
                ])?;
            }
        }
        out.flush()?;
        Ok(())
    }
}
