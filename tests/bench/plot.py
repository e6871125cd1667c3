#!/usr/bin/env python3
"""Plots what connector-bench measured.

    python3 tests/bench/plot.py RESULTS_DIR OUTPUT_DIR

Reads RESULTS_DIR/measurements.csv and RESULTS_DIR/chains.csv and writes
OUTPUT_DIR/import_time.png (full-import time against organization size at
20 ms of latency: the component, the native engine, the Python reference and
the bound) and OUTPUT_DIR/peak_rss.png (peak RSS against organization size).
"""

import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LATENCY_MS = 20
RSS_TARGET_MB = 64
SUBJECTS = {
    "component": "component under the runner",
    "native": "native engine",
    "python": "Python reference (sequential)",
}


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def series(rows, value):
    """Per subject: sizes, medians, and distances to min and max."""
    by = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by[row["subject"]][int(row["accounts"])].append(value(row))
    out = {}
    for subject, sizes in by.items():
        xs = sorted(sizes)
        medians = [statistics.median(sizes[x]) for x in xs]
        low = [m - min(sizes[x]) for x, m in zip(xs, medians)]
        high = [max(sizes[x]) - m for x, m in zip(xs, medians)]
        out[subject] = (xs, medians, [low, high])
    return out


def plot_series(ax, data):
    for subject, label in SUBJECTS.items():
        if subject in data:
            xs, ys, err = data[subject]
            ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=label)


def main(results, output):
    measurements = read_csv(results / "measurements.csv")
    chains = read_csv(results / "chains.csv")
    output.mkdir(parents=True, exist_ok=True)

    full = [r for r in measurements if r["mode"] == "full"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    at_latency = [r for r in full if int(r["latency_ms"]) == LATENCY_MS]
    plot_series(ax, series(at_latency, lambda r: float(r["wall_s"])))
    longest = defaultdict(int)
    for row in chains:
        if int(row["latency_ms"]) == LATENCY_MS:
            size = int(row["accounts"])
            longest[size] = max(longest[size], int(row["chain"]))
    if longest:
        xs = sorted(longest)
        ys = [longest[x] * LATENCY_MS / 1000 for x in xs]
        ax.plot(xs, ys, "k--", marker="x", label="bound: longest page chain × latency")
    ax.set(xscale="log", yscale="log", xlabel="accounts (users + service accounts)",
           ylabel="full import, seconds (median, min–max)",
           title=f"Import time at {LATENCY_MS} ms per request")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(output / "import_time.png", dpi=120)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    plot_series(ax, series(full, lambda r: int(r["peak_rss_kib"]) * 1024 / 1e6))
    ax.axhline(RSS_TARGET_MB, color="red", linestyle=":", label=f"{RSS_TARGET_MB} MB target")
    ax.set(xscale="log", xlabel="accounts (users + service accounts)",
           ylabel="peak RSS, MB (median, min–max)",
           title="Peak RSS of a full import (0 and 20 ms runs)")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(output / "peak_rss.png", dpi=120)
    print(f"plots: {output / 'import_time.png'}, {output / 'peak_rss.png'}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
