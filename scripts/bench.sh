#!/usr/bin/env bash
# CredentialFlow throughput and memory benchmarks (see docs/performance.md).
#
# One nginx worker pinned to CPU 0, wrk pinned to CPU 1 (`wrk -t1 -c32 --latency`), loopback
# keep-alive, a protected location serving a 3-byte static file with open_file_cache, no
# access log. Every run starts a fresh nginx for its scenario, warms it up, measures, stops
# it. Scenarios run interleaved, each round starting one further on (A B C, B C A, ...), so
# drifts of the machine and the position in a round hit all alike.
#
# Usage: scripts/bench.sh [options]
#   -d, --duration SECS    measured seconds per run (default 10)
#   -r, --runs N           runs per scenario (default 3)
#   -s, --scenarios LIST   comma-separated names or shell globs, e.g. 'HS256-*,jwks' or
#                          'memory' (default: every scenario and the memory test); `plain`
#                          is always added, since every ratio is relative to it
#   -c, --connections N    wrk connections (default 32)
#   -w, --warmup SECS      unmeasured warm-up per run (default 1)
#   --peer NAME=SO:SNIPPET[:ALG]
#                          add scenario peer-NAME: nginx loading only SO (another module built
#                          against the same nginx 1.28.3), its protected location holding the
#                          contents of the file SNIPPET, requests carrying this run's ALG token
#                          (default HS256). In SNIPPET, @KEYS@ becomes the key directory
#                          (@KEYS@/HS256/secret, @KEYS@/ES256/public.pem, @KEYS@/RS256/jwks.json
#                          ...), @ALG@ the algorithm, @ISS@ and @AUD@ the tokens' iss and aud.
#                          Repeatable.
#   --entries N            cache entries of the memory test (default 100000)
#   --pool N               tokens per rotate pool (default 12000, > the 10000-entry cache)
#   --wait-quiet SECS      before each run, wait up to SECS for both CPUs to be idle
#   --callgrind            instead of measuring throughput, profile each selected scenario:
#                          nginx with master_process off under valgrind --tool=callgrind,
#                          counters zeroed after a warm-up, then -d seconds of wrk -c1; prints
#                          instructions (Ir) per request, and the delta to plain; annotated
#                          profiles in OUT/callgrind/ (for when `perf stat -e instructions`
#                          does not work, e.g. in a VM)
#   --perf                 also sample the worker with `perf record -e cpu-clock` during each
#                          measured run (a software event: works in VMs without hardware
#                          counters); reports per DSO and symbol in OUT/perf/
#   --port N               listen port (default 18480)
#   --out DIR              results directory (default target/bench/YYYYmmdd-HHMMSS)
#   --no-build             skip scripts/build.sh --release, use the last release build
#   --criterion            first run the criterion group sig_verify (the backend's own
#                          verification time per algorithm, which the report's "cold adds at
#                          most the backend + 1.5 us" target reads from target/criterion)
#   -l, --list             list the scenarios and exit
#   -h, --help
# Quick smoke run (< 1 minute once built):
#   scripts/bench.sh -d 2 -r 1 -s 'HS256-hit,ES256-cold,ES256-rotate'
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bench_dir="$root/scripts/bench"

duration=10 runs=3 connections=32 warmup=1 port=18480 build=1 entries=100000 pool=12000
wait_quiet=0 filter="" out="" callgrind=0 perf=0 criterion=0
peers=()
ALGS=(HS256 RS256 PS256 ES256 ES384 EdDSA)
ISS="https://issuer.bench.example"
AUD="bench-api"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "bench.sh: $*" >&2; exit 1; }

list_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        -d|--duration) duration=$2; shift 2 ;;
        -r|--runs) runs=$2; shift 2 ;;
        -s|--scenarios) filter=$2; shift 2 ;;
        -c|--connections) connections=$2; shift 2 ;;
        -w|--warmup) warmup=$2; shift 2 ;;
        --peer) peers+=("$2"); shift 2 ;;
        --entries) entries=$2; shift 2 ;;
        --pool) pool=$2; shift 2 ;;
        --wait-quiet) wait_quiet=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --criterion) criterion=1; shift ;;
        --callgrind) callgrind=1; shift ;;
        --perf) perf=1; shift ;;
        -l|--list) list_only=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

# ------------------------------------------------------------------------------------------
# Scenarios

declare -A PEER_SO PEER_SNIPPET PEER_ALG
all=(plain plain-longtoken)
for alg in "${ALGS[@]}"; do all+=("$alg-hit" "$alg-cold" "$alg-rotate"); done
all+=(jwks forward scope ES256-l1pool ES256-l2 ES256-2w-shared ES256-2w-cold issue-ES256 issue-EdDSA)
all+=(HS256-revoked10k HS256-replay HS256-noreplay ES256-remote HS256-metrics)
for spec in "${peers[@]}"; do
    name=${spec%%=*}
    rest=${spec#*=}
    IFS=: read -r so snippet palg <<<"$rest"
    [ -n "$name" ] && [ "$name" != "$spec" ] && [ -n "$so" ] && [ -n "$snippet" ] ||
        die "--peer wants NAME=SO:SNIPPET[:ALG], got $spec"
    [ -f "$so" ] || die "--peer $name: no such module $so"
    [ -f "$snippet" ] || die "--peer $name: no such snippet $snippet"
    PEER_SO[$name]=$(realpath "$so")
    PEER_SNIPPET[$name]=$(realpath "$snippet")
    PEER_ALG[$name]=${palg:-HS256}
    all+=("peer-$name")
done
all+=(memory)

selected=()
run_memory=0
matches() {
    local name=$1 pattern
    [ -z "$filter" ] && return 0
    IFS=, read -ra patterns <<<"$filter"
    for pattern in "${patterns[@]}"; do
        # shellcheck disable=SC2053
        [[ $name == $pattern ]] && return 0
    done
    return 1
}
for name in "${all[@]}"; do
    if matches "$name"; then
        if [ "$name" = memory ]; then run_memory=1; else selected+=("$name"); fi
    fi
done
if [ ${#selected[@]} -gt 0 ] && [[ " ${selected[*]} " != *" plain "* ]]; then
    selected=(plain "${selected[@]}")
fi
if [ $list_only = 1 ]; then
    printf '%s\n' "${all[@]}"
    exit 0
fi
[ ${#selected[@]} -gt 0 ] || [ $run_memory = 1 ] || die "no scenario matches '$filter' (see --list)"

for tool in wrk taskset curl python3 cargo; do
    command -v $tool >/dev/null || die "$tool is required (Debian: apt-get install wrk util-linux curl)"
done
[ $perf = 0 ] || command -v perf >/dev/null || die "--perf needs perf (Debian: apt-get install linux-perf)"
[ $callgrind = 0 ] || command -v valgrind >/dev/null || die "--callgrind needs valgrind"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (nginx on CPU 0, wrk on CPU 1)"

# ------------------------------------------------------------------------------------------
# Build and layout

target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
work="$target_dir/bench/work"
out=${out:-"$target_dir/bench/$(date +%Y%m%d-%H%M%S)"}
mkdir -p "$work/keys" "$work/tokens" "$out/wrk" "$out/bin"
out=$(realpath "$out")

# A snapshot of the release build (never a debug one), so that a later build by someone else
# cannot swap the module under a running benchmark.
# shellcheck source=lib/release.sh
. scripts/lib/release.sh
RELEASE_NO_BUILD=$((1 - build)) release_artifacts "$target_dir" || die "no release build"
install -m 0755 "$release_nginx" "$out/bin/nginx"
install -m 0755 "$release_module" "$out/bin/ngx_http_credentialflow_module.so"
install -m 0755 "$release_cli" "$out/bin/credentialflow"
NGINX="$out/bin/nginx"
MODULE="$out/bin/ngx_http_credentialflow_module.so"
CLI="$out/bin/credentialflow"
run_dir="$out/nginx"
url="http://127.0.0.1:$port/p/x"
clk_tck=$(getconf CLK_TCK)

# The bulk minter (crates/core/benches/mint_batch.rs), built without LTO in its own
# target dir so it neither waits for nor disturbs the release build.
mint_batch() {
    CARGO_TARGET_DIR="$target_dir/bench/helper" CARGO_PROFILE_BENCH_LTO=false \
        CARGO_PROFILE_BENCH_CODEGEN_UNITS=16 \
        cargo bench -q -p credentialflow-core --bench mint_batch -- "$@"
}

# ------------------------------------------------------------------------------------------
# Keys and tokens

key_arg() { # the credentialflow_jwt_key arguments for ALG
    if [ "$1" = HS256 ]; then echo "$work/keys/HS256/secret secret"
    else echo "$work/keys/$1/public.pem pem"; fi
}
private_key() {
    if [ "$1" = HS256 ]; then echo "$work/keys/HS256/secret"
    else echo "$work/keys/$1/private.pem"; fi
}
fresh() { # FILE exists, is not empty and is younger than 60 minutes (tokens live 4 hours)
    [ -s "$1" ] && [ -n "$(find "$1" -mmin -60 2>/dev/null)" ]
}

setup_keys() {
    local alg i
    for alg in "${ALGS[@]}"; do
        [ -f "$work/keys/$alg/jwks.json" ] ||
            "$CLI" keygen --alg "$alg" --out "$work/keys/$alg" --kid "bench-$alg" >/dev/null
    done
    if [ ! -f "$work/keys/jwks20/jwks.json" ]; then
        for i in $(seq -w 0 19); do
            "$CLI" keygen --alg ES256 --out "$work/keys/jwks20/key-$i" --kid "key-$i" >/dev/null
        done
        python3 - "$work/keys/jwks20" <<'EOF'
import json, sys, glob, os
d = sys.argv[1]
keys = [json.load(open(f))["keys"][0] for f in sorted(glob.glob(os.path.join(d, "key-*/jwks.json")))]
json.dump({"keys": keys}, open(os.path.join(d, "jwks.json"), "w"), indent=1)
EOF
    fi
}

mint_one() { # ALG OUT [KEYFILE KID]
    local alg=$1 file=$2 key=${3:-$(private_key "$1")} kid=${4:-bench-$1}
    fresh "$file" && return 0
    "$CLI" mint --key "$key" --alg "$alg" --kid "$kid" --sub bench-user --scope "read write" \
        --iss "$ISS" --aud "$AUD" --ttl 4h --claim email=bench-user@example.com >"$file"
}

mint_pool() { # ALG COUNT OUT
    local alg=$1 count=$2 file=$3
    if fresh "$file" && [ "$(wc -l <"$file")" -ge "$count" ]; then return 0; fi
    echo "bench.sh: minting $count $alg tokens..."
    mint_batch --alg "$alg" --key "$(private_key "$alg")" --kid "bench-$alg" --count "$count" \
        --iss "$ISS" --aud "$AUD" --scope "read write" --ttl 14400 --out "$file.tmp"
    mv "$file.tmp" "$file"
}

# ------------------------------------------------------------------------------------------
# Scenario -> nginx configuration

# Sets: load (modules to load), cache (credentialflow_cache_size or ""), srv (server-level
# directives), loc (the location's directives), mode and tokens (wrk.lua arguments), workers
# (both on CPU 0).
scenario() {
    local name=$1 alg kind common
    load="$MODULE" cache="" zone="" srv="" loc="" mode=token tokens="" workers=1
    alg=${name%%-*}
    kind=${name#*-}
    common() {
        echo "credentialflow on; credentialflow_jwt_key $(key_arg "$1");" \
             "credentialflow_algorithms $1; credentialflow_issuer $ISS;" \
             "credentialflow_audience $AUD;"
    }
    case "$name" in
        plain)
            # Module loaded, not enabled; the same (shortest) Authorization header as HS256.
            tokens="$work/tokens/HS256.jwt" ;;
        plain-longtoken)
            # The same with the RS256 token (~300 bytes longer): nginx's own cost of parsing a
            # longer header, the fair baseline for RS256/PS256 hits.
            tokens="$work/tokens/RS256.jwt" ;;
        ES256-2w-shared)
            # Two workers, a pool of 3,000 tokens: more than a worker's own cache (1,000), less
            # than the shared zone (8m, ~4,000 entries). Each token is verified once, by one
            # worker; afterwards the other worker finds it in the zone.
            workers=2 cache=1000 loc=$(common ES256) mode=pool
            tokens="$work/tokens/ES256-2w-pool.txt" ;;
        ES256-l1pool)
            # One worker, the 3,000-token pool, a worker cache that holds it all: after the
            # warm-up every request is a first-level (worker cache) hit. The reference for
            # ES256-l2, with the same requests.
            cache=10000 loc=$(common ES256) mode=pool tokens="$work/tokens/ES256-2w-pool.txt" ;;
        ES256-l2)
            # The same pool through a worker cache of 1,000 entries cycled in order: every
            # request misses the worker cache and, after the warm-up, finds the token in the
            # shared zone (8m, ~4,000 entries): the cost of a second-level hit, copy into the
            # worker cache included.
            cache=1000 loc=$(common ES256) mode=pool tokens="$work/tokens/ES256-2w-pool.txt" ;;
        ES256-2w-cold)
            # The same two workers and pool with caching off: every request verifies.
            workers=2 cache=0 loc=$(common ES256) mode=pool
            tokens="$work/tokens/ES256-2w-pool.txt" ;;
        HS256-revoked10k)
            # HS256-hit with 10,000 revocations in force (jti, kid, sub and client_id lines):
            # the cost of the revocation check on a cache hit.
            cache=10000 tokens="$work/tokens/HS256.jwt"
            loc="$(common HS256) credentialflow_revocation_file $work/revoked10k.txt;" ;;
        HS256-replay|HS256-noreplay)
            # Every request a token never seen before (a pool larger than a run sends): with
            # replay protection, one record written to the zone per request; without, the
            # same verifications and nothing written.
            cache=10000 zone=64m mode=pool tokens="$work/tokens/HS256-once-pool.txt"
            loc=$(common HS256)
            if [ "$name" = HS256-replay ]; then
                loc="$loc credentialflow_replay_protection on;"
            fi ;;
        HS256-metrics)
            # HS256-hit with a metrics endpoint configured, so every decision and cache lookup
            # is counted in the zone: the cost of the counters on a hit.
            cache=10000 tokens="$work/tokens/HS256.jwt" loc=$(common HS256)
            srv="location = /metrics { credentialflow_metrics; }" ;;
        ES256-remote)
            # ES256-hit with the key fetched from an identity provider (credentialflow_jwt_key_
            # request; here a local file through an internal location): the cost of asking the
            # worker's fetched key set on every request.
            cache=10000 tokens="$work/tokens/ES256.jwt"
            srv="location = /_jwks { internal; alias $work/keys/ES256/jwks.json; }"
            loc="credentialflow on; credentialflow_jwt_key_request /_jwks;
                 credentialflow_algorithms ES256; credentialflow_issuer $ISS;
                 credentialflow_audience $AUD;" ;;
        *-hit) cache=10000 loc=$(common "$alg") tokens="$work/tokens/$alg.jwt" ;;
        *-cold) cache=0 loc=$(common "$alg") tokens="$work/tokens/$alg.jwt" ;;
        *-rotate) cache=10000 loc=$(common "$alg") mode=pool tokens="$work/tokens/$alg-pool.txt" ;;
        jwks)
            # Cache off, so every request looks the kid up among 20 keys and verifies.
            cache=0
            loc="credentialflow on; credentialflow_jwt_key $work/keys/jwks20/jwks.json jwks;
                 credentialflow_algorithms ES256; credentialflow_issuer $ISS;
                 credentialflow_audience $AUD;"
            tokens="$work/tokens/jwks.jwt" ;;
        forward)
            cache=10000 tokens="$work/tokens/ES256.jwt"
            loc="$(common ES256) credentialflow_forward_claim sub X-CF-Sub;
                 credentialflow_forward_claim email X-CF-Email;" ;;
        scope)
            cache=10000 tokens="$work/tokens/ES256.jwt"
            loc="$(common ES256) credentialflow_require_scope read write;" ;;
        issue-*)
            # The token endpoint: every request is a POST with Basic client authentication,
            # a registry lookup, one SHA-256 of the secret, a 128-bit jti and one signature.
            alg=${name#issue-}
            srv="credentialflow_oauth_issuer $ISS;
                 credentialflow_oauth_signing_key $(private_key "$alg");
                 credentialflow_oauth_clients $work/clients.txt;"
            loc="credentialflow_oauth_token;" mode=issue tokens="$work/tokens/client.basic" ;;
        peer-*)
            local peer=${name#peer-}
            load=${PEER_SO[$peer]}
            loc=$(sed -e "s|@KEYS@|$work/keys|g" -e "s|@ALG@|${PEER_ALG[$peer]}|g" \
                      -e "s|@ISS@|$ISS|g" -e "s|@AUD@|$AUD|g" "${PEER_SNIPPET[$peer]}")
            tokens="$work/tokens/${PEER_ALG[$peer]}.jwt" ;;
        *) die "unknown scenario $name" ;;
    esac
}

write_conf() { # uses load cache loc
    mkdir -p "$run_dir/html/p" "$run_dir/logs"
    printf 'ok\n' >"$run_dir/html/p/x"
    chmod -R a+rX "$run_dir/html"
    cat >"$run_dir/nginx.conf" <<EOF
worker_processes $workers;
worker_cpu_affinity $(printf '01 %.0s' $(seq "$workers"));
pid $run_dir/nginx.pid;
error_log $run_dir/error.log warn;
load_module $load;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/octet-stream;
    keepalive_timeout 120s;
    keepalive_requests 1000000;
    open_file_cache max=64 inactive=60s;
    open_file_cache_valid 60s;
    ${cache:+credentialflow_cache_size $cache;}
    ${zone:+credentialflow_zone $zone;}
    server {
        listen 127.0.0.1:$port backlog=4096;
        root $run_dir/html;
        $srv
        location /p/ {
            $loc
        }
    }
}
EOF
}

# ------------------------------------------------------------------------------------------
# nginx process handling (only the nginx this script started, by its pid file)

master_pid() { cat "$run_dir/nginx.pid" 2>/dev/null || true; }
worker_pid() { pgrep -P "$(master_pid)" | head -n 1; }

stop_nginx() {
    local pid i
    pid=$(master_pid)
    [ -n "$pid" ] || return 0
    kill -QUIT "$pid" 2>/dev/null || true
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    rm -f "$run_dir/nginx.pid"
}
trap stop_nginx EXIT

start_nginx() {
    local i code header=()
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port is already in use (--port)"
    fi
    taskset -c 0 "$NGINX" -p "$run_dir/" -e "$run_dir/error.log" -c "$run_dir/nginx.conf" ||
        { tail -n 20 "$run_dir/error.log" >&2; die "nginx did not start"; }
    request_args
    for i in $(seq 100); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "${header[@]}" "$url" || true)
        [ "$code" = 200 ] && return 0
        [ "$code" != 000 ] && break
        sleep 0.05
    done
    tail -n 20 "$run_dir/error.log" >&2
    die "$scenario_name: expected 200 from $url, got $code"
}

# Sets header: the curl arguments of one request of the scenario (readiness probes).
request_args() {
    header=()
    if [ "$mode" = issue ]; then
        header=(-H "Authorization: Basic $(head -n 1 "$tokens")" -d grant_type=client_credentials)
    elif [ -n "$tokens" ]; then
        header=(-H "Authorization: Bearer $(head -n 1 "$tokens")")
    fi
}

# utime + stime, and utime, summed over every worker of the running nginx (clock ticks).
workers_ticks() {
    local pid
    for pid in $(pgrep -P "$(master_pid)"); do awk "{print $1}" "/proc/$pid/stat"; done |
        awk '{ s += $1 } END { print s + 0 }'
}
cpu_ticks() { workers_ticks '$14 + $15'; }
user_ticks() { workers_ticks '$14'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# ------------------------------------------------------------------------------------------
# Machine state

# Busy and steal percentages (the worse of CPU 0 and CPU 1) over one second.
cpu_state() {
    local a b
    a=$(awk '/^cpu[01] / {print $1, $2+$3+$4+$5+$6+$7+$8+$9, $5+$6, $9}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu[01] / {print $1, $2+$3+$4+$5+$6+$7+$8+$9, $5+$6, $9}' /proc/stat)
    paste -d' ' <(echo "$a") <(echo "$b") | awk '
        { dt = $6 - $2; if (dt <= 0) dt = 1
          busy = 100 * (1 - ($7 - $3) / dt); steal = 100 * ($8 - $4) / dt
          if (busy > mb) mb = busy; if (steal > ms) ms = steal }
        END { printf "%.1f %.1f\n", mb, ms }'
}

others_building() { # other heavy processes: compilers, fuzzers
    ps -eo pid=,comm= | awk '$2 ~ /^(cargo|rustc|cc1|cc1plus|ld|lld|cargo-fuzz)$|fuzz/ {print $2}' |
        sort | uniq -c | awk '{printf "%s%s x%d", sep, $2, $1; sep=", "}'
}

wait_for_quiet() {
    local deadline=$((SECONDS + wait_quiet)) state
    while :; do
        state=$(cpu_state)
        read -r busy steal <<<"$state"
        awk -v b="$busy" -v s="$steal" 'BEGIN { exit !(b <= 10 && s <= 5) }' && break
        [ $SECONDS -ge $deadline ] && break
        sleep 5
    done
}

# ------------------------------------------------------------------------------------------
# One measured run

results="$out/results.tsv"
run_one() { # SCENARIO RUN
    scenario_name=$1
    local run=$2 state busy steal t0 t1 c0 c1 u0 u1 wall line rps cpu user
    scenario "$scenario_name"
    write_conf
    if [ "$wait_quiet" -gt 0 ]; then wait_for_quiet; fi
    state=$(cpu_state)
    read -r busy steal <<<"$state"
    start_nginx
    local state="$out/wrk/pool-state"
    rm -f "$state"
    taskset -c 1 wrk -t1 -c"$connections" -d"${warmup}s" -s "$bench_dir/wrk.lua" "$url" \
        -- "$mode" "$tokens" "$state" >/dev/null
    local worker
    worker=$(worker_pid)
    c0=$(cpu_ticks)
    u0=$(user_ticks)
    local perf_pid=""
    if [ $perf = 1 ]; then
        mkdir -p "$out/perf"
        perf record -q -e cpu-clock -F 999 -g -p "$worker" -o "$out/perf/$scenario_name-$run.data" \
            -- sleep "$duration" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    t0=$(date +%s.%N)
    taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$bench_dir/wrk.lua" \
        "$url" -- "$mode" "$tokens" "$state" >"$out/wrk/$scenario_name-$run.txt"
    t1=$(date +%s.%N)
    c1=$(cpu_ticks)
    u1=$(user_ticks)
    if [ -n "$perf_pid" ]; then
        wait "$perf_pid" || true
        perf report -i "$out/perf/$scenario_name-$run.data" --no-children --sort dso,symbol \
            --percent-limit 0.5 --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' \
            >"$out/perf/$scenario_name-$run.txt" || true
        perf report -i "$out/perf/$scenario_name-$run.data" --no-children --sort dso \
            --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' \
            >"$out/perf/$scenario_name-$run.dso.txt" || true
    fi
    stop_nginx
    line=$(grep '^CFRESULT' "$out/wrk/$scenario_name-$run.txt") ||
        die "no result from wrk (see $out/wrk/$scenario_name-$run.txt)"
    declare -A v=()
    for kv in ${line#CFRESULT }; do v[${kv%%=*}]=${kv#*=}; done
    rps=$(awk -v n="${v[requests]}" -v us="${v[duration_us]}" 'BEGIN { printf "%.1f", n / (us / 1e6) }')
    cpu=$(awk -v c="$((c1 - c0))" -v hz="$clk_tck" -v a="$t0" -v b="$t1" \
        'BEGIN { printf "%.1f", 100 * c / hz / (b - a) }')
    user=$(awk -v c="$((u1 - u0))" -v hz="$clk_tck" -v a="$t0" -v b="$t1" \
        'BEGIN { printf "%.1f", 100 * c / hz / (b - a) }')
    # Per request from the ticks themselves: an idle worker (wrk starting) adds none.
    user_us=$(awk -v c="$((u1 - u0))" -v hz="$clk_tck" -v n="${v[requests]}" \
        'BEGIN { if (n > 0) printf "%.2f", 1e6 * c / hz / n }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario_name" "$run" "$rps" \
        "${v[p50_us]}" "${v[p99_us]}" "${v[requests]}" "${v[status_errors]}" \
        "$((v[connect_errors] + v[read_errors] + v[write_errors] + v[timeouts]))" \
        "$busy" "$steal" "$cpu" "$user" "$user_us" >>"$results"
    printf '  %-14s run %d: %10.0f req/s  p99 %6.2f ms  worker CPU %5.1f%%  (before: busy %s%% steal %s%%)%s\n' \
        "$scenario_name" "$run" "$rps" "$(awk -v u="${v[p99_us]}" 'BEGIN { print u / 1000 }')" \
        "$cpu" "$busy" "$steal" \
        "$( [ "${v[status_errors]}" != 0 ] && echo "  NON-2XX: ${v[status_errors]}" )"
}

# ------------------------------------------------------------------------------------------
# Memory: worker RSS before and after filling an N-entry cache with distinct HS256 tokens.

memory_test() {
    local before after hwm line requests per
    scenario_name=memory
    echo "== memory: filling a $entries-entry cache with $entries distinct HS256 tokens"
    mint_pool HS256 "$entries" "$work/tokens/HS256-memory.txt"
    load="$MODULE" cache=$entries loc=$(
        echo "credentialflow on; credentialflow_jwt_key $(key_arg HS256);" \
             "credentialflow_algorithms HS256; credentialflow_issuer $ISS;" \
             "credentialflow_audience $AUD;")
    mode=token tokens="$work/tokens/HS256.jwt"
    write_conf
    start_nginx
    # Warm the worker (one cached entry, every code path touched) before the baseline.
    taskset -c 1 wrk -t1 -c"$connections" -d1s -s "$bench_dir/wrk.lua" "$url" \
        -- token "$tokens" >/dev/null
    local worker
    worker=$(worker_pid)
    before=$(rss_kib "$worker")
    # wrk runs its full -d even after the Lua side stopped: SIGINT it once the marker shows.
    local marker="$out/wrk/memory.done" wrk_pid i
    rm -f "$marker"
    taskset -c 1 wrk -t1 -c"$connections" -d600s -s "$bench_dir/wrk.lua" "$url" \
        -- once "$work/tokens/HS256-memory.txt" "$marker" >"$out/wrk/memory.txt" &
    wrk_pid=$!
    for i in $(seq 6000); do
        [ -f "$marker" ] && break
        kill -0 "$wrk_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -INT "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" || true
    after=$(rss_kib "$worker")
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$worker/status")
    stop_nginx
    line=$(grep '^CFRESULT' "$out/wrk/memory.txt")
    requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
    local status_errors
    status_errors=$(sed 's/.*status_errors=\([0-9]*\).*/\1/' <<<"$line")
    local token_len
    token_len=$(awk '{ n += length($0) } END { printf "%.0f", n / NR }' "$work/tokens/HS256-memory.txt")
    per=$(awk -v a="$after" -v b="$before" -v n="$entries" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }')
    {
        printf 'entries\trequests\tnon2xx\tavg_token_bytes\trss_before_kib\trss_after_kib\thwm_kib\tdelta_mib\tbytes_per_entry\n'
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\n' "$entries" "$requests" "$status_errors" \
            "$token_len" "$before" "$after" "$hwm" "$(awk -v a="$after" -v b="$before" 'BEGIN { print (a - b) / 1024 }')" "$per"
    } >"$out/memory.tsv"
    printf '  requests sent %s (non-2xx %s), average token %s bytes\n' "$requests" "$status_errors" "$token_len"
    printf '  worker RSS before %.1f MiB, after %.1f MiB (+%.1f MiB), %s bytes per entry\n' \
        "$(awk -v k="$before" 'BEGIN { print k / 1024 }')" "$(awk -v k="$after" 'BEGIN { print k / 1024 }')" \
        "$(awk -v a="$after" -v b="$before" 'BEGIN { print (a - b) / 1024 }')" "$per"
    awk -v a="$after" -v b="$before" -v e="$entries" 'BEGIN {
        d = (a - b) / 1024; t = 64 * e / 100000
        printf "  target: %d entries <= %.0f MiB per worker: cache %.1f MiB -> %s; whole worker %.1f MiB -> %s\n",
            e, t, d, (d <= t ? "met" : "MISSED"), a / 1024, (a / 1024 <= t ? "met" : "MISSED") }'
    [ "$requests" -ge "$entries" ] || echo "  WARNING: fewer requests than entries: the cache is not full"
    [ "$status_errors" = 0 ] || echo "  WARNING: $status_errors non-2xx responses: those tokens were not cached"
}

# ------------------------------------------------------------------------------------------
# Profiling: instructions per request under callgrind (deterministic, so a busy box is fine)

callgrind_one() { # SCENARIO
    scenario_name=$1
    local dir="$out/callgrind" vpid i code header=() requests total per line
    mkdir -p "$dir"
    scenario "$scenario_name"
    write_conf
    sed -i '1i master_process off;\ndaemon off;' "$run_dir/nginx.conf"
    rm -f "$dir/$scenario_name.out"*
    taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$dir/$scenario_name.out" \
        "$NGINX" -p "$run_dir/" -e "$run_dir/error.log" -c "$run_dir/nginx.conf" \
        >"$dir/$scenario_name.log" 2>&1 &
    vpid=$!
    request_args
    for i in $(seq 600); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "${header[@]}" "$url" || true)
        [ "$code" != 000 ] && break
        sleep 0.2
    done
    [ "$code" = 200 ] || { kill "$vpid"; die "$scenario_name under callgrind: got $code"; }
    local state="$dir/pool-state"
    rm -f "$state"
    taskset -c 1 wrk -t1 -c1 -d2s -s "$bench_dir/wrk.lua" "$url" -- "$mode" "$tokens" "$state" \
        >/dev/null
    callgrind_control -z "$vpid" >/dev/null 2>&1
    taskset -c 1 wrk -t1 -c1 -d"${duration}s" -s "$bench_dir/wrk.lua" "$url" -- "$mode" "$tokens" \
        "$state" >"$out/wrk/callgrind-$scenario_name.txt"
    callgrind_control -d "$vpid" >/dev/null 2>&1
    kill -QUIT "$vpid"
    wait "$vpid" || true
    line=$(grep '^CFRESULT' "$out/wrk/callgrind-$scenario_name.txt")
    requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
    local dump
    dump=$(ls "$dir/$scenario_name.out".* | sort -t. -k3 -n | tail -n 1)
    total=$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")
    per=$((total / requests))
    callgrind_annotate --inclusive=yes "$dump" >"$dir/$scenario_name.inclusive.txt" 2>/dev/null || true
    printf '%s\t%s\t%s\t%s\n' "$scenario_name" "$requests" "$total" "$per" >>"$dir/summary.tsv"
    printf '  %-14s %8d requests  %12d Ir/request\n' "$scenario_name" "$requests" "$per"
}

# ------------------------------------------------------------------------------------------
# Main

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "git: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "nproc: $(nproc)"
    echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "kernel: $(uname -r)"
    echo "nginx: $("$NGINX" -v 2>&1 | sed 's/.*: //')"
    echo "wrk: $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "busy processes: $(others_building)"
    echo "options: duration=${duration}s runs=$runs connections=$connections warmup=${warmup}s" \
         "pool=$pool entries=$entries scenarios=${filter:-all}"
} | tee "$out/machine.txt"
load1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load1" 'BEGIN { exit !(l > 0.3) }'; then
    echo "WARNING: load average $load1 > 0.3: the machine is busy, numbers will be noisy" | tee -a "$out/machine.txt"
fi
busy_procs=$(others_building)
[ -z "$busy_procs" ] || echo "WARNING: other heavy processes are running: $busy_procs" | tee -a "$out/machine.txt"

echo "== keys and tokens in $work"
setup_keys
for alg in "${ALGS[@]}"; do mint_one "$alg" "$work/tokens/$alg.jwt"; done
mint_one ES256 "$work/tokens/jwks.jwt" "$work/keys/jwks20/key-19/private.pem" key-19
if [[ " ${selected[*]} " == *" issue-"* ]]; then
    # The issuance scenarios' client, made as users make one; its Basic credentials for wrk.
    rm -f "$work/clients.txt"
    secret=$("$CLI" client add --clients-file "$work/clients.txt" --id bench-client \
        --scope "read write" --audience "$AUD" | sed -n 's/^client_secret: //p')
    printf 'bench-client:%s' "$secret" | base64 -w 0 >"$work/tokens/client.basic"
    chmod 600 "$work/clients.txt" "$work/tokens/client.basic"
fi
for name in "${selected[@]}"; do
    case "$name" in
        *-rotate) mint_pool "${name%-rotate}" "$pool" "$work/tokens/${name%-rotate}-pool.txt" ;;
        ES256-2w-*|ES256-l1pool|ES256-l2) mint_pool ES256 3000 "$work/tokens/ES256-2w-pool.txt" ;;
        HS256-*replay) mint_pool HS256 300000 "$work/tokens/HS256-once-pool.txt" ;;
        HS256-revoked10k)
            [ -s "$work/revoked10k.txt" ] || awk 'BEGIN {
                for (i = 1; i <= 9997; i++) printf "jti revoked-%08d until=4102444800\n", i
                print "kid retired-key"; print "sub former-user before=1700000000"
                print "client_id retired-client" }' >"$work/revoked10k.txt" ;;
    esac
done

if [ $callgrind = 1 ]; then
    mkdir -p "$out/callgrind"
    printf 'scenario\trequests\ttotal_ir\tir_per_request\n' >"$out/callgrind/summary.tsv"
    echo "== callgrind: ${selected[*]} (${duration}s of wrk -c1 each)"
    for name in "${selected[@]}"; do callgrind_one "$name"; done
    awk -F'\t' 'NR > 1 { ir[$1] = $4; order[++n] = $1 }
        END { for (i = 1; i <= n; i++) printf "  %-14s %10d Ir/request  %+10d vs plain\n", order[i], ir[order[i]], ir[order[i]] - ir["plain"] }' \
        "$out/callgrind/summary.tsv" | tee "$out/callgrind/report.txt"
    echo "== profiles in $out/callgrind/ (callgrind_annotate --inclusive=yes FILE)"
    exit 0
fi
if [ $criterion = 1 ]; then
    echo "== criterion: sig_verify (the backend's own verification time per algorithm)"
    CARGO_TARGET_DIR="$target_dir" cargo bench -q -p credentialflow-core --bench core -- \
        --warm-up-time 1 --measurement-time 3 'sig_verify/' | grep -E '^sig_verify|time:' |
        tee "$out/criterion.txt"
fi
if [ ${#selected[@]} -gt 0 ]; then
    printf 'scenario\trun\trps\tp50_us\tp99_us\trequests\tstatus_errors\tsocket_errors\tbusy_pct\tsteal_pct\tworker_cpu_pct\tworker_user_pct\tworker_user_us\n' >"$results"
    echo "== ${#selected[@]} scenarios x $runs runs x ${duration}s: ${selected[*]}"
    for ((run = 1; run <= runs; run++)); do
        # Each round starts one scenario further on (A B C, B C A, C A B, ...): no scenario
        # always runs first after the idle wait, or always right after the same neighbour.
        for ((i = 0; i < ${#selected[@]}; i++)); do
            run_one "${selected[(i + run - 1) % ${#selected[@]}]}" "$run"
        done
    done
    echo "== results (medians of $runs runs; spread = (max - min) / median)"
    # The backend's own times only from this run's --criterion: never another build's.
    python3 "$bench_dir/report.py" "$results" "$out" \
        $([ $criterion = 1 ] && echo "$target_dir/criterion") | tee "$out/report.txt"
fi
if [ $run_memory = 1 ]; then
    memory_test | tee "$out/memory.txt"
fi
echo "== results in $out"
