#!/usr/bin/env bash
# Runs the shared hostile-input JWT corpus (../shared/corpus) against the module, then the
# project's own header and variable attacks (corpus/, same runner, own config and ports):
# the corpus config on 127.0.0.1:18080 (keys copied to a scratch folder), its runner with a
# revocation hook that appends to the scratch revocation file, the weak-key profile (which
# must fail `nginx -t`), then checks that no secret or token reached the info-level log and
# that no worker died.
# Usage: scripts/corpus.sh            (after scripts/build.sh)
#        CREDENTIALFLOW_PREFIX=target/ring/nginx scripts/corpus.sh   (another build, e.g. ring)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CREDENTIALFLOW_CORPUS:-$root/../shared/corpus}
prefix=${CREDENTIALFLOW_PREFIX:-$root/target/nginx}
case "$prefix" in /*) ;; *) prefix="$root/$prefix" ;; esac
nginx="$prefix/sbin/nginx"
module="$prefix/modules/ngx_http_credentialflow_module.so"

if [ ! -f "$corpus/public.jsonl" ]; then
    if [ -n "${CI:-}" ]; then
        echo "corpus.sh: no corpus at $corpus" >&2
        exit 1
    fi
    echo "corpus.sh: SKIP: no corpus at $corpus (set CREDENTIALFLOW_CORPUS)"
    exit 0
fi

scratch=$(mktemp -d /tmp/credentialflow-corpus.XXXXXX)
cleanup() {
    if [ -s "$scratch/nginx.pid" ]; then
        kill -QUIT "$(cat "$scratch/nginx.pid")" 2>/dev/null || true
        sleep 0.5
    fi
}
trap cleanup EXIT
cp -r "$corpus/keys" "$scratch/keys"
chmod -R u+w "$scratch/keys"
chmod 600 "$scratch/keys/"*.secret
# Workers run as an unprivileged user and re-read the revocation file themselves.
chmod 755 "$scratch" "$scratch/keys"
chmod 644 "$scratch/keys/revoked.txt"
mkdir -p "$scratch/logs"

# The corpus config, with our log, pid and paths.
{
    echo "error_log $scratch/logs/error.log info;"
    echo "pid $scratch/nginx.pid;"
    echo "worker_processes 2;"
    sed -e "s#@KEYS@#$scratch/keys#g" -e "s#@MODULE@#$module#g" "$corpus/nginx-credentialflow.conf"
} > "$scratch/nginx.conf"

# The weak-key profile (commented out at the end of the corpus config) must be refused.
cat > "$scratch/weak.conf" <<CONF
load_module $module;
error_log $scratch/logs/weak.log info;
pid $scratch/weak.pid;
events { worker_connections 64; }
http {
    server {
        listen 127.0.0.1:18082;
        location /weak-rsa/ { credentialflow on; credentialflow_jwt_key $scratch/keys/weak-rsa-1024.pub.pem;
                              credentialflow_algorithms RS256 PS256; proxy_pass http://127.0.0.1:18081; }
        location /weak-hs/  { credentialflow on; credentialflow_jwt_key $scratch/keys/weak-hs16.secret secret;
                              credentialflow_algorithms HS256 HS512; proxy_pass http://127.0.0.1:18081; }
    }
}
CONF
if "$nginx" -p "$scratch" -e "$scratch/logs/weak.log" -c "$scratch/weak.conf" -t 2> "$scratch/weak.out"; then
    echo "corpus.sh: FAIL: the weak-key config passed nginx -t" >&2
    exit 1
fi
grep -q "too weak" "$scratch/weak.out" || { cat "$scratch/weak.out" >&2; exit 1; }
echo "corpus.sh: weak-key config refused: $(grep -o 'credentialflow_jwt_key.*' "$scratch/weak.out" | head -n 1)"

# start_nginx PREFIX CONF PORT: checks and starts nginx, then waits for PORT to answer.
start_nginx() {
    "$nginx" -p "$1" -c "$2" -t 2>/dev/null
    "$nginx" -p "$1" -c "$2"
    for _ in $(seq 50); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $3), 0.2)" 2>/dev/null &&
            return 0
        sleep 0.1
    done
}

# fail_on_crashes LOG WHAT: a worker that died, an alert or a crit line fails the run.
fail_on_crashes() {
    if grep -E "exited on signal|\[alert\]|\[crit\]|\[emerg\]" "$1"; then
        echo "corpus.sh: FAIL: $2 error log has crashes or alerts" >&2
        exit 1
    fi
}

start_nginx "$scratch" "$scratch/nginx.conf" 18080
workers_before=$(pgrep -P "$(cat "$scratch/nginx.pid")" | sort | tr '\n' ' ')

status=0
python3 "$corpus/run_jwt_corpus.py" http://127.0.0.1:18080 "$corpus/public.jsonl" \
    --keys-dir "$scratch/keys" \
    --revoke-cmd "printf '%s %s\n' {kind} {value} >> $scratch/keys/revoked.txt" --revoke-wait 2 \
    --weak-config-refused --summary --json-out "$scratch/results.json" || status=$?


workers_after=$(pgrep -P "$(cat "$scratch/nginx.pid")" | sort | tr '\n' ' ')
if [ "$workers_before" != "$workers_after" ]; then
    echo "corpus.sh: FAIL: workers changed ($workers_before -> $workers_after)" >&2
    exit 1
fi
kill -QUIT "$(cat "$scratch/nginx.pid")"
sleep 1
: > "$scratch/nginx.pid"

python3 "$root/scripts/log_secrets_check.py" "$scratch/logs/error.log" \
    --jsonl "$corpus/public.jsonl" --secret-file "$scratch/keys/hs256.secret" \
    --secret-file "$scratch/keys/weak-hs16.secret"
fail_on_crashes "$scratch/logs/error.log" "the corpus run's"
# Every case counts: no failure is waived.
if [ "$status" -ne 0 ]; then
    echo "corpus.sh: FAIL: the corpus runner reported failed cases (exit $status; see $scratch)" >&2
    exit 1
fi

# The project's own hostile suite (corpus/): header and variable handling, on its own ports.
attacks=$scratch/header-attacks
mkdir -p "$attacks/logs"
sed -e "s#@KEYS@#$scratch/keys#g" -e "s#@MODULE@#$module#g" -e "s#@PORT@#18180#g" \
    -e "s#@UPSTREAM@#18181#g" "$root/corpus/nginx-header-attacks.conf" > "$attacks/nginx.conf"
{
    echo "error_log $attacks/logs/error.log info;"
    echo "pid $attacks/nginx.pid;"
    echo "worker_processes 2;"
    cat "$attacks/nginx.conf"
} > "$attacks/nginx.conf.full"
python3 "$root/corpus/gen_header_attacks.py" "$scratch/keys" "$attacks/cases.jsonl"
start_nginx "$attacks" "$attacks/nginx.conf.full" 18180
attack_status=0
python3 "$corpus/run_jwt_corpus.py" http://127.0.0.1:18180 "$attacks/cases.jsonl" \
    --keys-dir "$scratch/keys" --summary || attack_status=$?
kill -QUIT "$(cat "$attacks/nginx.pid")"
sleep 1
fail_on_crashes "$attacks/logs/error.log" "the header-attack run's"
if [ "$attack_status" -ne 0 ]; then
    echo "corpus.sh: FAIL: the project's header-attack cases failed (see $attacks)" >&2
    exit 1
fi

echo "corpus.sh: OK (see $scratch)"
