//! The targets the benchmark checks, each met or missed.

use std::fmt;

use crate::results::{Mode, Results, Subject};

/// A bound a value must keep.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// At most this.
    AtMost(f64),
    /// Less than this.
    Below(f64),
    /// At least this.
    AtLeast(f64),
}

impl Target {
    fn met_by(self, value: f64) -> bool {
        match self {
            Target::AtMost(limit) => value <= limit,
            Target::Below(limit) => value < limit,
            Target::AtLeast(limit) => value >= limit,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::AtMost(limit) => write!(f, "≤ {limit}"),
            Target::Below(limit) => write!(f, "< {limit}"),
            Target::AtLeast(limit) => write!(f, "≥ {limit}"),
        }
    }
}

/// One checked target.
#[derive(Debug, Clone)]
pub struct Check {
    /// What is compared.
    pub name: String,
    /// The organization size it is about, if one.
    pub accounts: Option<usize>,
    /// The value found, or why there is none.
    pub value: Result<f64, String>,
    /// What it must be.
    pub target: Target,
}

impl Check {
    /// `met`, `MISSED`, or `not measured` when there is no value.
    pub fn verdict(&self) -> &'static str {
        match self.value {
            Ok(value) if self.target.met_by(value) => "met",
            Ok(_) => "MISSED",
            Err(_) => "not measured",
        }
    }
}

/// Peak RSS in MB (10^6 bytes) from KiB.
pub fn megabytes(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// The component's largest peak RSS at a size, over all its runs, in MB.
pub fn component_peak_mb(results: &Results, accounts: usize) -> Option<f64> {
    results
        .measurements
        .iter()
        .filter(|m| m.accounts == accounts && m.subject == Subject::Component)
        .map(|m| megabytes(m.peak_rss_kib))
        .reduce(f64::max)
}

/// The component's largest peak RSS in one mode at a size, in MB.
fn component_mode_peak_mb(results: &Results, accounts: usize, mode: Mode) -> Option<f64> {
    let runs = results
        .measurements
        .iter()
        .filter(|m| m.accounts == accounts && m.subject == Subject::Component && m.mode == mode);
    runs.map(|m| megabytes(m.peak_rss_kib)).reduce(f64::max)
}

/// The most guest memory the component held at a size, over all its runs,
/// in MiB.
pub fn component_guest_mib(results: &Results, accounts: usize) -> Option<f64> {
    results
        .measurements
        .iter()
        .filter(|m| m.accounts == accounts)
        .filter_map(|m| m.guest_memory_mib)
        .reduce(f64::max)
}

/// Every target, for each size measured.
pub fn checks(results: &Results, sizes: &[usize], python: bool) -> Vec<Check> {
    let full = |accounts, latency, subject| {
        results
            .wall(accounts, latency, subject, Mode::Full)
            .map(|s| s.median)
            .ok_or_else(|| format!("no {subject} runs"))
    };
    let mut checks = Vec::new();
    for &accounts in sizes {
        let mut check = |name: &str, value, target| {
            checks.push(Check {
                name: name.to_string(),
                accounts: Some(accounts),
                value,
                target,
            });
        };
        let bound = results
            .chains_at(accounts, 20)
            .map(|c| c.bound_s())
            .ok_or_else(|| "no chains".to_string());
        check(
            "component ÷ bound, 20 ms",
            full(accounts, 20, Subject::Component).and_then(|c| Ok(c / bound?)),
            Target::AtMost(1.05),
        );
        check(
            "component ÷ native engine, 0 ms",
            full(accounts, 0, Subject::Component)
                .and_then(|c| Ok(c / full(accounts, 0, Subject::Native)?)),
            Target::AtMost(1.15),
        );
        let python_ratio = if python {
            full(accounts, 0, Subject::Python)
                .and_then(|p| Ok(p / full(accounts, 0, Subject::Component)?))
        } else {
            Err("the Python reference was skipped".to_string())
        };
        check(
            "Python reference ÷ component, 0 ms",
            python_ratio,
            Target::AtLeast(1.5),
        );
        check(
            "component peak RSS, MB",
            component_peak_mb(results, accounts).ok_or_else(|| "no component runs".into()),
            Target::AtMost(64.0),
        );
        check(
            "component guest memory, MiB",
            component_guest_mib(results, accounts).ok_or_else(|| "no component runs".into()),
            Target::AtMost(32.0),
        );
    }
    for mode in [
        Mode::Full,
        Mode::StateWrite,
        Mode::StateRead,
        Mode::Incremental,
    ] {
        let peak = |accounts| component_mode_peak_mb(results, accounts, mode);
        let growth = match (peak(100_000), peak(10_000)) {
            (Some(large), Some(small)) => Ok(large / small),
            _ => Err("needs --sizes with 10000 and 100000".to_string()),
        };
        checks.push(Check {
            name: format!("component peak RSS, 100k ÷ 10k, {mode}"),
            accounts: None,
            value: growth,
            target: Target::Below(1.5),
        });
    }
    checks
}
