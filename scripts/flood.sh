#!/usr/bin/env bash
# Flood test: nginx with the module (master + 2 workers) under a bounded, loopback-only load of
# valid, forged, garbage and oversize credentials, then checks that nothing crashed.
#
# Usage: scripts/flood.sh [SECONDS]      (default 60)
#
# Environment:
#   NGINX_BIN     nginx binary   (default $CARGO_TARGET_DIR/nginx/sbin/nginx, as laid out by
#                 scripts/build.sh [--release]; CARGO_TARGET_DIR defaults to target)
#   MODULE        the module .so (default $CARGO_TARGET_DIR/nginx/modules/ngx_http_credentialflow_module.so)
#   CORPUS_DIR    hostile JWT corpus (default ../shared/corpus beside the repo)
#   CONNECTIONS   concurrent connections (default 32); THREADS wrk threads (default 2)
#   PORT / UPSTREAM_PORT   listen ports (default: free ports on 127.0.0.1)
#   KEEP=1        keep the scratch directory even on success
#
# Meanwhile the revocation file grows every 2 s, so the workers reload it under load.
# Sends only to 127.0.0.1, for SECONDS, with wrk (Debian package `wrk`) and
# scripts/flood/flood.lua; the request mix comes from scripts/flood/flood.py.
# Fails (exit 1) when: the error log has "exited on signal", [alert] or [emerg]; the worker
# pids changed; any 5xx was answered; valid tokens do not get 200 or forged ones 401 afterwards.
# Exit 2: setup problem.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] && ((seconds > 0)) || { echo "flood.sh: SECONDS must be a positive number" >&2; exit 2; }

die() { echo "flood.sh: $*" >&2; exit 2; }
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
# shellcheck source=scripts/lib/corpus-nginx.sh
. "$repo/scripts/lib/corpus-nginx.sh"
resolve_artifacts
[[ -x "$nginx_src" ]] || die "no nginx at $nginx_src (run scripts/build.sh)"
[[ -f "$module_src" ]] || die "no module at $module_src (run scripts/build.sh)"
[[ -f "$corpus/public.jsonl" && -f "$corpus/nginx-credentialflow.conf" ]] || die "no corpus at $corpus"

pick_ports

scratch=$(mktemp -d "${TMPDIR:-/tmp}/credentialflow-flood.XXXXXX") || die "mktemp failed"
mkdir -p "$scratch/conf" "$scratch/logs" "$scratch/bin"
# Workers run as an unprivileged user (nobody) and re-read keys/revoked.txt.
chmod 755 "$scratch"
# Private copies: a concurrent rebuild cannot swap the binary or module mid-run.
cp "$nginx_src" "$scratch/bin/nginx"
cp "$module_src" "$scratch/bin/ngx_http_credentialflow_module.so"
render_corpus_conf "$scratch"
python3 "$repo/scripts/flood/flood.py" gen "$corpus/public.jsonl" "$scratch/requests.lua" || die "request generation failed"

nginx=("$scratch/bin/nginx" -p "$scratch/" -c conf/nginx.conf
    -g "worker_processes 2; error_log logs/error.log info; pid logs/nginx.pid;")
master=
stop_nginx() {
    [[ -n "$master" ]] || return 0
    kill -QUIT "$master" 2>/dev/null
    for _ in $(seq 100); do
        kill -0 "$master" 2>/dev/null || { master=; return 0; }
        sleep 0.1
    done
    kill -KILL "$master" 2>/dev/null
    master=
}
trap stop_nginx EXIT

"${nginx[@]}" -t -q 2>"$scratch/logs/nginx-t.log" || { cat "$scratch/logs/nginx-t.log" >&2; die "nginx -t failed"; }
"${nginx[@]}" 2>"$scratch/logs/start.log" || { cat "$scratch/logs/start.log" >&2; die "nginx did not start"; }
for _ in $(seq 50); do
    [[ -s "$scratch/logs/nginx.pid" ]] && break
    sleep 0.1
done
master=$(cat "$scratch/logs/nginx.pid" 2>/dev/null)
[[ "$master" =~ ^[0-9]+$ ]] || die "no pid file"

workers() { ps -o pid= --ppid "$master" | tr -d ' ' | sort -n | paste -sd ' '; }
for _ in $(seq 50); do
    [[ $(workers | wc -w) -ge 2 ]] && break
    sleep 0.1
done
workers_before=$(workers)
echo "flood.sh: nginx master $master, workers $workers_before; gateway 127.0.0.1:$port; scratch $scratch"

failed=0
echo "flood.sh: probing before the flood"
python3 "$repo/scripts/flood/flood.py" probe "$corpus/public.jsonl" "127.0.0.1:$port" ||
    echo "flood.sh: (the probe already fails before any load: not a flood effect)" >&2

echo "flood.sh: flooding 127.0.0.1:$port for ${seconds}s (${THREADS:-2} threads, ${CONNECTIONS:-32} connections)"
# Meanwhile, grow the revocation list every 2 s (unrelated jti values) so that the workers
# reload it under load.
(
    for ((i = 1; i <= seconds / 2; i++)); do
        sleep 2
        printf 'jti flood-unrelated-%d\n' "$i" >>"$scratch/keys/revoked.txt"
    done
) &
revoker=$!
timeout --kill-after=10 $((seconds + 30)) \
    wrk -t "${THREADS:-2}" -c "${CONNECTIONS:-32}" -d "${seconds}s" --timeout 10s \
    -s "$repo/scripts/flood/flood.lua" "http://127.0.0.1:$port/" -- "$scratch/requests.lua" \
    >"$scratch/wrk.log" 2>&1
wrk_rc=$?
kill "$revoker" 2>/dev/null
wait "$revoker" 2>/dev/null
if ((wrk_rc != 0)) || ! grep -q '^FLOOD sent=' "$scratch/wrk.log"; then
    echo "flood.sh: FAIL: wrk exited $wrk_rc" >&2
    cat "$scratch/wrk.log" >&2
    failed=1
fi

# Results.
read -r sent responses duration_us < <(sed -n 's/^FLOOD sent=\([0-9]*\) responses=\([0-9]*\) duration_us=\([0-9]*\)/\1 \2 \3/p' "$scratch/wrk.log")
sent=${sent:-0} responses=${responses:-0} duration_us=${duration_us:-1}
rate=$(awk -v n="$responses" -v us="$duration_us" 'BEGIN {printf "%.0f", n / (us / 1e6)}')
echo "flood.sh: requests sent $sent, responses $responses in $(awk -v us="$duration_us" 'BEGIN {printf "%.1f", us / 1e6}')s: $rate req/s"
sed -n 's/^FLOOD errors connect=\([0-9]*\) read=\([0-9]*\) write=\([0-9]*\) status=\([0-9]*\) timeout=\([0-9]*\)/flood.sh: wrk socket errors: connect \1, read \2, write \3, timeout \5; non-2xx responses \4/p; s/^FLOOD latency_us /flood.sh: latency (us) /p' "$scratch/wrk.log"
echo "flood.sh: status histogram:"
grep '^FLOOD status ' "$scratch/wrk.log" | awk '{printf "    %s  %d\n", $3, $4}' | sort
fivexx=$(grep '^FLOOD status 5' "$scratch/wrk.log" | awk '{s += $4} END {print s + 0}')
if ((fivexx > 0)); then
    echo "flood.sh: FAIL: $fivexx responses were 5xx" >&2
    failed=1
fi

echo "flood.sh: probing after the flood"
if ! python3 "$repo/scripts/flood/flood.py" probe "$corpus/public.jsonl" "127.0.0.1:$port"; then
    echo "flood.sh: FAIL: valid tokens do not all get 200, or forged ones 401, after the flood" >&2
    failed=1
fi

workers_after=$(workers)
if [[ "$workers_after" != "$workers_before" ]]; then
    echo "flood.sh: FAIL: worker pids changed: before [$workers_before] after [$workers_after]" >&2
    failed=1
else
    echo "flood.sh: worker pids unchanged: $workers_after"
fi
stop_nginx

log="$scratch/logs/error.log"
echo "flood.sh: error log: $(wc -l <"$log") lines, $(du -h "$log" | cut -f1)"
grep -o '\[[a-z]*\]' "$log" | sort | uniq -c | sed 's/^/    /'
if grep -qE 'exited on signal|\[alert\]|\[emerg\]' "$log"; then
    echo "flood.sh: FAIL: the error log has crashes, alerts or emergencies:" >&2
    grep -E 'exited on signal|\[alert\]|\[emerg\]' "$log" | head -n 20 >&2
    failed=1
fi

if ((failed)); then
    echo "flood.sh: FAILED; logs kept in $scratch" >&2
    exit 1
fi
echo "flood.sh: PASS"
if [[ "${KEEP:-0}" == 1 ]]; then
    echo "flood.sh: logs kept in $scratch"
else
    rm -rf "$scratch"
fi
