#!/usr/bin/env python3
"""Summarises scripts/bench.sh results: median req/s, ratio to `plain`, added us/request,
p99, spread, and the targets of issue 9; writes summary.md, targets.md and the chart's input.

"ratio" is median(req/s) / median(plain req/s). "paired" is the median, over rounds, of each
run's req/s over the `plain` run of the same round (runs are interleaved, so a round's runs
share the machine's state of the moment): less sensitive to a VM whose speed drifts.
"added us" is 1e6/req/s - 1e6/plain req/s (wall time per request, the worker being the
bottleneck); "user us" is the worker's user-space CPU per request (utime / requests), which
leaves out the kernel's share (sockets, and the wake-ups of an idle client at low rates).

    report.py RESULTS.tsv OUT_DIR [CRITERION_DIR]
RESULTS.tsv columns (header line first): scenario run rps p50_us p99_us requests
status_errors socket_errors busy_pct steal_pct worker_cpu_pct [worker_user_pct worker_user_us]
(CPU figures summed over every worker)
CRITERION_DIR (e.g. target/criterion): where `cargo bench -p credentialflow-core --bench core
-- sig_verify/` left its estimates; the backend's own verification time per algorithm.
"""
import csv
import json
import os
import statistics
import subprocess
import sys

# Issue 9's targets.
HIT_TARGET = 0.97          # a cache hit, as a share of plain nginx's req/s
PEER_FACTOR = 1.5          # cold verification vs kjdev/nginx-auth-jwt (no cache) req/s
OVER_BACKEND_US = 1.5      # a cold request adds at most the backend's verify time + this
L2_WITHIN_US = 1.0         # a shared-zone hit within this of a worker-cache hit
# The baseline sending the same Authorization header as each hit scenario (nginx's own cost
# of parsing a longer header is not the module's): RS256/PS256 tokens are 625 bytes.
SAME_HEADER_BASELINE = {"RS256": "plain-longtoken", "PS256": "plain-longtoken"}


def backend_us(criterion_dir, alg):
    """criterion's median of sig_verify/ALG in microseconds, or None."""
    if not criterion_dir:
        return None
    path = os.path.join(criterion_dir, "sig_verify", alg, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"] / 1000.0
    except (OSError, KeyError, ValueError):
        return None


def paired(runs, name, base, f):
    """The median over rounds of f(run of NAME, run of BASE in the same round), or None."""
    by_run = {r["run"]: r for r in runs.get(base, [])}
    values = [f(r, by_run[r["run"]]) for r in runs.get(name, []) if r["run"] in by_run]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rps_ratio(a, b):
    return float(a["rps"]) / float(b["rps"])


def added_wall_us(a, b):
    return 1e6 / float(a["rps"]) - 1e6 / float(b["rps"])


def user_us(row):
    """The workers' user-space CPU per request: their utime over the run / its requests
    (older results: the user share of the run's wall time / req/s)."""
    if row.get("worker_user_us"):
        return float(row["worker_user_us"])
    if not row.get("worker_user_pct"):
        return None
    return float(row["worker_user_pct"]) / 100 / float(row["rps"]) * 1e6


def added_user_us(a, b):
    ua, ub = user_us(a), user_us(b)
    return None if ua is None or ub is None else ua - ub


def targets(runs, criterion_dir):
    """Rows of (what, target, measured, met) for the scenarios present. Every figure is paired:
    the median over rounds of the scenario's run against its baseline's run of the same round
    (runs are interleaved), which cancels this VM's drifts from one minute to the next."""
    rows = []
    if "plain" not in runs:
        return rows
    for name in runs:
        alg, _, kind = name.partition("-")
        if kind == "hit":
            base = SAME_HEADER_BASELINE.get(alg, "plain")
            if base not in runs:
                base = "plain"
            r = paired(runs, name, "plain", rps_ratio)
            judged, text = r, f"{r:.3f} of plain"
            if base != "plain":
                judged = paired(runs, name, base, rps_ratio)
                text += f", {judged:.3f} of {base} (same header)"
            rows.append((f"{name}: cache hit vs plain nginx", f">= {HIT_TARGET:.2f}", text,
                         "yes" if judged >= HIT_TARGET else "MISS"))
        if kind == "cold":
            peer = f"peer-kjdev-{alg}"
            if peer in runs:
                r = paired(runs, name, peer, rps_ratio)
                rows.append((f"{name}: vs kjdev/nginx-auth-jwt", f">= {PEER_FACTOR:.1f}x",
                             f"{r:.2f}x", "yes" if r >= PEER_FACTOR else "MISS"))
            b = backend_us(criterion_dir, alg)
            if b is not None:
                limit = b + OVER_BACKEND_US
                wall = paired(runs, name, "plain", added_wall_us)
                user = paired(runs, name, "plain", added_user_us)
                text = f"wall +{wall:.2f} us"
                met = "wall: " + ("yes" if wall <= limit else "MISS")
                if user is not None:
                    text += f", worker user CPU +{user:.2f} us"
                    met += ", user CPU: " + ("yes" if user <= limit else "MISS")
                rows.append((f"{name}: time added per request",
                             f"<= {b:.2f} (backend) + {OVER_BACKEND_US} us", text, met))
    if "ES256-l2" in runs and "ES256-l1pool" in runs:
        wall = paired(runs, "ES256-l2", "ES256-l1pool", added_wall_us)
        user = paired(runs, "ES256-l2", "ES256-l1pool", added_user_us)
        text = f"wall {wall:+.2f} us" + ("" if user is None else f", worker user CPU {user:+.2f} us")
        rows.append(("ES256-l2 vs ES256-l1pool: a shared-zone hit vs a worker-cache hit",
                     f"<= {L2_WITHIN_US:.1f} us", text, "yes" if wall <= L2_WITHIN_US else "MISS"))
    if "ES256-2w-shared" in runs and "ES256-2w-cold" in runs:
        r = paired(runs, "ES256-2w-shared", "ES256-2w-cold", rps_ratio)
        rows.append(("ES256-2w-shared vs ES256-2w-cold (2 workers, 3,000 tokens, worker caches of 1,000)",
                     "-", f"{r:.1f}x the req/s", "-"))
    return rows


def main():
    results, out_dir = sys.argv[1], sys.argv[2]
    criterion_dir = sys.argv[3] if len(sys.argv) > 3 else None
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
        users = [u for u in (user_us(r) for r in rows) if u is not None]
        stats[name]["user_us"] = statistics.median(users) if users else None
    plain = stats.get("plain")
    plain_by_run = {r["run"]: float(r["rps"]) for r in runs.get("plain", [])}
    for name in order:
        ratios = [float(r["rps"]) / plain_by_run[r["run"]] for r in runs[name]
                  if plain_by_run.get(r["run"])]
        stats[name]["paired"] = statistics.median(ratios) if ratios else None
    header = ["scenario", "runs", "median req/s", "ratio", "paired", "added us/req",
              "user us/req", "p99", "spread", "worker CPU"]
    table = []
    chart_rows = []
    for name in order:
        s = stats[name]
        if plain:
            ratio = s["rps"] / plain["rps"]
            added = 1e6 / s["rps"] - 1e6 / plain["rps"] if s["rps"] else float("nan")
            lo, hi = s["min"] / plain["rps"], s["max"] / plain["rps"]
            t = HIT_TARGET if name.endswith("-hit") else None
            chart_rows.append(f"{name}\t{ratio:.4f}\t{lo:.4f}\t{hi:.4f}\t{'-' if t is None else t}")
            ratio_s, added_s = f"{ratio:.3f}", f"{added:+.2f}"
        else:
            ratio, ratio_s, added_s = None, "-", "-"
        notes = []
        if s["errors"]:
            notes.append(f"{s['errors']} errors!")
        if s["busy"]:
            notes.append(f"{s['busy']} busy")
        table.append([
            name, str(s["n"]), f"{s['rps']:,.0f}", ratio_s,
            "-" if s["paired"] is None else f"{s['paired']:.3f}", added_s,
            "-" if s["user_us"] is None else f"{s['user_us']:.2f}",
            f"{s['p99'] / 1000:.2f} ms", f"{s['spread']:.1f}%" + (" " + ", ".join(notes) if notes else ""),
            f"{s['cpu']:.0f}%",
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
    rows = targets(runs, criterion_dir)
    if rows:
        print()
        print("targets (issue 9; paired: per round against the baseline's run of that round):")
        for what, target, measured, met in rows:
            print(f"  {what}: {target}: {measured}: {met}")
        with open(os.path.join(out_dir, "targets.md"), "w") as f:
            f.write("| what | target | measured | met |\n|---|---|---|---|\n")
            for r in rows:
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
