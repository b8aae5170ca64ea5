#!/usr/bin/env python3
"""Summarises scripts/bench.sh results: median req/s, ratio to `plain`, added us/request,
p99, spread, targets; writes summary.md and the chart's input.

"ratio" is median(req/s) / median(plain req/s). "paired" is the median, over rounds, of each
run's req/s over the `plain` run of the same round (runs are interleaved, so a round's runs
share the machine's state of the moment): less sensitive to a VM whose speed drifts.

    report.py RESULTS.tsv OUT_DIR
RESULTS.tsv columns (header line first): scenario run rps p50_us p99_us requests
status_errors socket_errors busy_pct steal_pct worker_cpu_pct
"""
import csv
import os
import statistics
import subprocess
import sys

# Throughput ratio targets of the issue (cold and rotate share them; hits need 0.97).
MISS_TARGETS = {"HS256": 0.85, "RS256": 0.33, "ES256": 0.17, "EdDSA": 0.13}
HIT_TARGET = 0.97
# kjdev/nginx-auth-jwt, measured by the issue on its machine (ratio to plain, no cache).
KJDEV = {"HS256": 0.61, "RS256": 0.25, "ES256": 0.13, "EdDSA": 0.10}
# The issue's plain nginx on its machine: kjdev's absolute req/s are KJDEV[alg] * this, and
# the cold/rotate targets are 1.3x those. On a machine whose plain nginx is faster, the ratio
# targets are stricter than "1.3x kjdev" (a fixed verification cost weighs more), so both are
# reported.
ISSUE_PLAIN_RPS = 109_000


def target_of(name):
    alg, _, kind = name.partition("-")
    if kind == "hit":
        return HIT_TARGET
    if kind in ("cold", "rotate"):
        return MISS_TARGETS.get(alg)
    return None


def main():
    results, out_dir = sys.argv[1], sys.argv[2]
    runs = {}
    order = []
    with open(results) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            name = row["scenario"]
            if name not in runs:
                runs[name] = []
                order.append(name)
            runs[name].append(row)
    if not runs:
        print("report: no results")
        return 1
    stats = {}
    for name in order:
        rows = runs[name]
        rps = [float(r["rps"]) for r in rows]
        med = statistics.median(rps)
        stats[name] = {
            "n": len(rps),
            "rps": med,
            "min": min(rps),
            "max": max(rps),
            "spread": (max(rps) - min(rps)) / med * 100 if med else 0.0,
            "p99": statistics.median(float(r["p99_us"]) for r in rows),
            "errors": sum(int(r["status_errors"]) + int(r["socket_errors"]) for r in rows),
            "busy": sum(1 for r in rows if float(r["busy_pct"]) > 10 or float(r["steal_pct"]) > 5),
            "cpu": statistics.median(float(r["worker_cpu_pct"]) for r in rows),
        }
    plain = stats.get("plain")
    plain_by_run = {r["run"]: float(r["rps"]) for r in runs.get("plain", [])}
    for name in order:
        ratios = [float(r["rps"]) / plain_by_run[r["run"]] for r in runs[name]
                  if plain_by_run.get(r["run"])]
        stats[name]["paired"] = statistics.median(ratios) if ratios else None
    header = ["scenario", "runs", "median req/s", "ratio", "paired", "added us/req", "p99", "spread",
              "worker CPU", "target", "met", "kjdev (issue)", "1.3x kjdev req/s", "met"]
    table = []
    chart_rows = []
    for name in order:
        s = stats[name]
        if plain:
            ratio = s["rps"] / plain["rps"]
            added = 1e6 / s["rps"] - 1e6 / plain["rps"] if s["rps"] else float("nan")
            lo, hi = s["min"] / plain["rps"], s["max"] / plain["rps"]
            t = target_of(name)
            chart_rows.append(f"{name}\t{ratio:.4f}\t{lo:.4f}\t{hi:.4f}\t{'-' if t is None else t}")
            ratio_s, added_s = f"{ratio:.3f}", f"{added:+.2f}"
        else:
            ratio, ratio_s, added_s = None, "-", "-"
        target = target_of(name)
        met = "-" if target is None or ratio is None else ("yes" if ratio >= target else "MISS")
        alg, _, kind = name.partition("-")
        kj = KJDEV.get(alg) if kind in ("cold", "rotate") else None
        notes = []
        if s["errors"]:
            notes.append(f"{s['errors']} errors!")
        if s["busy"]:
            notes.append(f"{s['busy']} busy")
        table.append([
            name, str(s["n"]), f"{s['rps']:,.0f}", ratio_s,
            "-" if s["paired"] is None else f"{s['paired']:.3f}", added_s,
            f"{s['p99'] / 1000:.2f} ms", f"{s['spread']:.1f}%" + (" " + ", ".join(notes) if notes else ""),
            f"{s['cpu']:.0f}%", "-" if target is None else f">= {target:.2f}", met,
            "-" if kj is None else f"{kj:.2f}",
            "-" if kj is None else f"{1.3 * kj * ISSUE_PLAIN_RPS:,.0f}",
            "-" if kj is None else ("yes" if s["rps"] >= 1.3 * kj * ISSUE_PLAIN_RPS else "MISS"),
        ])
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(header))
    for r in table:
        print(line(r))
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write("| " + " | ".join(header) + " |\n")
        f.write("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|\n")
        for r in table:
            f.write("| " + " | ".join(r) + " |\n")
    if chart_rows:
        png = os.path.join(out_dir, "ratios.png")
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([sys.executable, os.path.join(here, "chart.py"), png,
                        "CREDENTIALFLOW: THROUGHPUT RATIO TO PLAIN NGINX"],
                       input="\n".join(chart_rows) + "\n", text=True, check=True)
        print(f"chart: {png}")
    busy = sum(s["busy"] for s in stats.values())
    if busy:
        print(f"WARNING: {busy} run(s) started on a busy machine (CPU busy > 10% or steal > 5%"
              " in the second before the run): treat those numbers with care")
    if any(s["errors"] for s in stats.values()):
        print("WARNING: some runs had non-2xx responses or socket errors")
    low_cpu = [n for n, s in stats.items() if s["cpu"] < 90]
    if low_cpu:
        print("WARNING: the nginx worker was below 90% CPU in " + ", ".join(low_cpu) +
              " (client-bound or idle: ratios understate the server's capacity)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
