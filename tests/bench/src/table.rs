//! The tables printed at the end: every measurement's median and spread,
//! and the targets.

use comfy_table::{CellAlignment, Table};

use crate::results::{Mode, Results, Subject};
use crate::stats::Spread;
use crate::targets::{Check, megabytes};

/// What the rows show, in order, at each size and latency.
const ROWS: [(Subject, Mode); 6] = [
    (Subject::Component, Mode::Full),
    (Subject::Component, Mode::StateWrite),
    (Subject::Component, Mode::StateRead),
    (Subject::Component, Mode::Incremental),
    (Subject::Native, Mode::Full),
    (Subject::Python, Mode::Full),
];

fn spread_cells(spread: Option<Spread>, digits: usize) -> [String; 2] {
    match spread {
        Some(s) => [
            format!("{:.digits$}", s.median),
            format!("{:.digits$}–{:.digits$}", s.min, s.max),
        ],
        None => [String::new(), String::new()],
    }
}

/// Wall time and peak RSS (median, min–max) of every subject and mode, the
/// component's most guest memory, and the bound, at each size and latency.
pub fn measurements(results: &Results, sizes: &[usize], latencies: &[u64]) -> Table {
    let mut table = Table::new();
    table.set_header([
        "accounts",
        "latency",
        "import",
        "runs",
        "time s",
        "time min–max",
        "peak RSS MB",
        "RSS min–max",
        "guest MiB",
        "records",
    ]);
    for &accounts in sizes {
        for &latency in latencies {
            for (subject, mode) in ROWS {
                let runs: Vec<_> = results.select(accounts, latency, subject, mode).collect();
                if runs.is_empty() {
                    continue;
                }
                let [time, time_range] = spread_cells(Spread::of(runs.iter().map(|m| m.wall_s)), 2);
                let rss = Spread::of(runs.iter().map(|m| megabytes(m.peak_rss_kib)));
                let [rss, rss_range] = spread_cells(rss, 1);
                let guest = runs
                    .iter()
                    .filter_map(|m| m.guest_memory_mib)
                    .reduce(f64::max);
                let guest = guest.map_or_else(String::new, |mib| format!("{mib:.1}"));
                let records = runs
                    .first()
                    .and_then(|m| m.records)
                    .map_or_else(String::new, |n| n.to_string());
                let label = match subject {
                    Subject::Component => format!("{subject} {mode}"),
                    _ => subject.to_string(),
                };
                table.add_row([
                    accounts.to_string(),
                    format!("{latency} ms"),
                    label,
                    runs.len().to_string(),
                    time,
                    time_range,
                    rss,
                    rss_range,
                    guest,
                    records,
                ]);
            }
            if let Some(chains) = results.chains_at(accounts, latency).filter(|_| latency > 0) {
                let longest = chains.chains.first().map_or(0, |c| c.length);
                table.add_row([
                    accounts.to_string(),
                    format!("{latency} ms"),
                    format!("bound: {longest} pages × {latency} ms"),
                    String::new(),
                    format!("{:.2}", chains.bound_s()),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
    }
    for column in 3..10 {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// Each target, its value and whether it was met.
pub fn targets(checks: &[Check]) -> Table {
    let mut table = Table::new();
    table.set_header(["target", "accounts", "value", "must be", "result"]);
    for check in checks {
        table.add_row([
            check.name.clone(),
            check.accounts.map_or_else(String::new, |n| n.to_string()),
            match &check.value {
                Ok(value) => format!("{value:.2}"),
                Err(why) => why.clone(),
            },
            check.target.to_string(),
            check.verdict().to_string(),
        ]);
    }
    table
}
