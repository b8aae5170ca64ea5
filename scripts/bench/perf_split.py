#!/usr/bin/env python3
"""Splits the worker's CPU time per request by where `perf record` (bench.sh --perf) found it:
the kernel, nginx and libc, the crypto backend, and the module's own code.

    perf_split.py OUT_DIR

Reads OUT_DIR/results.tsv (req/s and worker CPU of every run) and OUT_DIR/perf/SCENARIO-RUN.data,
prints one line per scenario (medians over its runs) and writes OUT_DIR/perf-split.md.

"backend" is aws-lc inside the module (its C and assembly symbols and aws_lc_rs's Rust
wrappers) or, for a peer module, the shared libcrypto it calls (OpenSSL); "module" is the rest
of the module's (or the peer's) own code, jansson included for kjdev. The microseconds are
shares of the worker's CPU per request (worker CPU / req/s), so perf's own overhead (it lowers
req/s by 10-20%) is in every column alike: read the split, and compare scenarios of one run.
"""
import csv
import os
import re
import statistics
import subprocess
import sys

# In the module's .so, the only C and assembly is aws-lc: a symbol that is not Rust (no `::`,
# no `<T as Trait>` form, no mangled `_ZN`) and not nginx's `ngx_` API is the backend's, and so
# are aws_lc_rs's own Rust wrappers.
RUST_SYMBOL = re.compile(r"::|^<|^_ZN|^_R|^ngx_")
COLUMNS = ["kernel", "nginx+libc", "backend", "module", "other"]


def classify(dso, symbol):
    if dso.startswith("[kernel"):
        return "kernel"
    if dso in ("nginx", "libc.so.6") or dso.startswith("libc."):
        return "nginx+libc"
    if dso.startswith("libcrypto"):
        return "backend"
    if dso.startswith("libjansson"):
        return "module"
    if dso.startswith("ngx_http_"):
        if "aws_lc" in symbol:
            return "backend"
        if dso.startswith("ngx_http_credentialflow"):
            return "module" if RUST_SYMBOL.search(symbol) else "backend"
        return "module"
    return "other"


def shares(data_file):
    """Fraction of the samples in each column."""
    out = subprocess.run(
        ["perf", "report", "-i", data_file, "--no-children", "--sort", "dso,symbol",
         "--stdio", "-g", "none", "--percent-limit", "0", "-q"],
        capture_output=True, text=True, check=False).stdout
    totals = dict.fromkeys(COLUMNS, 0.0)
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*?)\s*$", line)
        if m:
            totals[classify(m.group(2), m.group(3))] += float(m.group(1)) / 100
    return totals


def main():
    out_dir = sys.argv[1]
    runs = {}
    with open(os.path.join(out_dir, "results.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            runs.setdefault(row["scenario"], []).append(row)
    lines = []
    header = ["scenario", "us/request"] + [f"{c} us" for c in COLUMNS]
    for name, rows in runs.items():
        per_run = []
        for row in rows:
            data = os.path.join(out_dir, "perf", f"{name}-{row['run']}.data")
            if not os.path.exists(data) or float(row["rps"]) <= 0:
                continue
            us = float(row["worker_cpu_pct"]) / 100 / float(row["rps"]) * 1e6
            split = shares(data)
            per_run.append([us] + [us * split[c] for c in COLUMNS])
        if per_run:
            med = [statistics.median(v[i] for v in per_run) for i in range(len(header) - 1)]
            lines.append([name] + [f"{v:.2f}" for v in med])
    if not lines:
        print("perf_split: no perf data")
        return 1
    widths = [max(len(h), *(len(r[i]) for r in lines)) for i, h in enumerate(header)]
    for r in [header] + lines:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
    with open(os.path.join(out_dir, "perf-split.md"), "w") as f:
        f.write("| " + " | ".join(header) + " |\n")
        f.write("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|\n")
        for r in lines:
            f.write("| " + " | ".join(r) + " |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
