#!/usr/bin/env bash
# Keys fetched from a real, independently written OpenID provider (credentialflow_jwt_key_request):
# node-oidc-provider (npm `oidc-provider`, installed here into target/idp-test) issues
# client-credentials JWT access tokens on loopback; nginx (two workers) fetches its JWKS through
# an internal proxy location. Checked:
#   1. its tokens open the protected location; a missing scope gets 403, a wrong audience 401;
#   2. a burst of 200 concurrent requests on a cold nginx makes at most one JWKS fetch per
#      worker (2), and every request is answered 200;
#   3. the provider rotates to a new key (restarted with another kid): its new tokens are
#      accepted without reloading nginx, and tokens of the key that left the set are refused;
#   4. the provider goes down: tokens of the set in force are still accepted;
#   5. a slow provider and a client that keeps starting the fetch and going away at once:
#      every other client's request still gets the keys (the fetch runs in the background,
#      so a client going away does not end it).
#
# Usage: scripts/idp-test.sh    (after scripts/build.sh; installs nodejs/npm with apt-get if missing)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
nginx=${TEST_NGINX_BINARY:-$repo/target/nginx/sbin/nginx}
module=$repo/target/nginx/modules/ngx_http_credentialflow_module.so
work=$repo/target/idp-test

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "idp-test: installing nodejs and npm"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
mkdir -p "$work"
cp "$repo/scripts/idp/provider.mjs" "$work/provider.mjs"
if [[ ! -d $work/node_modules/oidc-provider ]]; then
    # 8.x runs on Debian 12's Node 18 as well as on newer ones.
    (cd "$work" && npm install --silent --no-audit --no-fund oidc-provider@8 >/dev/null)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
op_port=$(free_port)
port=$(free_port)
prefix=$(mktemp -d /tmp/credentialflow-idp.XXXXXX)
mkdir -p "$prefix/logs" "$prefix/html/api"
chmod 755 "$prefix" "$prefix/html" "$prefix/html/api"
echo hello >"$prefix/html/api/hello.txt"
op_pid=
cleanup() {
    [[ -n $op_pid ]] && kill "$op_pid" 2>/dev/null || true
    [[ -f $prefix/nginx.pid ]] && kill "$(cat "$prefix/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
fail() {
    echo "idp-test: FAIL: $*" >&2
    echo "--- nginx error log (tail)" >&2
    tail -n 30 "$prefix/logs/error.log" >&2 || true
    exit 1
}

start_provider() { # KID [JWKS_DELAY_MS]
    (cd "$work" && exec node provider.mjs "$op_port" "$1" ${2:-}) >>"$prefix/provider.log" 2>&1 &
    op_pid=$!
    for _ in $(seq 100); do
        grep -q "READY .* $1\$" "$prefix/provider.log" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "the provider did not start"
}
stop_provider() {
    kill "$op_pid" && wait "$op_pid" 2>/dev/null || true
    op_pid=
}
fetches() { grep -c "^JWKS_FETCH" "$prefix/provider.log" || true; }

cat >"$prefix/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log info;
events { worker_connections 512; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$port;
        location = /_jwks {
            internal;
            proxy_pass http://127.0.0.1:$op_port/jwks;
            proxy_pass_request_headers off;
            proxy_connect_timeout 2s;
            proxy_read_timeout 2s;
            subrequest_output_buffer_size 64k;
        }
        location /api/ {
            credentialflow on;
            credentialflow_jwt_key_request /_jwks;
            credentialflow_jwt_key_cache 10m refresh=1s;
            credentialflow_issuer http://127.0.0.1:$op_port;
            credentialflow_audience https://api.example;
            credentialflow_require_scope orders:read;
            add_header X-Worker \$pid always;
            root html;
        }
        location /other-audience/ {
            credentialflow on;
            credentialflow_jwt_key_request /_jwks;
            credentialflow_audience https://elsewhere.example;
            root html;
        }
    }
}
CONF

token() { # SCOPE
    curl -sf -u svc:svc-secret-0123456789abcdef0123456789 -d grant_type=client_credentials \
        -d "scope=$1" -d resource=https://api.example "http://127.0.0.1:$op_port/token" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
status() { # TOKEN PATH
    curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "http://127.0.0.1:$port$2"
}
expect() { # WHAT EXPECTED ACTUAL
    [[ $2 == "$3" ]] || fail "$1: expected $2, got $3"
    echo "idp-test: ok: $1 ($3)"
}

start_provider key-1
"$nginx" -p "$prefix" -c "$prefix/nginx.conf" -t -q || fail "nginx -t"
"$nginx" -p "$prefix" -c "$prefix/nginx.conf"
sleep 0.3

# 2. A burst on a cold nginx: at most one fetch per worker.
read_token=$(token orders:read)
before=$(fetches)
python3 - "$port" "$read_token" <<'PY' || fail "burst"
import sys, threading, urllib.request
port, token = sys.argv[1], sys.argv[2]
codes = []
def one():
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/hello.txt",
                                 headers={"Authorization": f"Bearer {token}"})
    try:
        codes.append(urllib.request.urlopen(req, timeout=10).status)
    except urllib.error.HTTPError as e:
        codes.append(e.code)
    except Exception as e:
        codes.append(str(e))
threads = [threading.Thread(target=one) for _ in range(200)]
[t.start() for t in threads]
[t.join() for t in threads]
bad = [c for c in codes if c != 200]
print(f"idp-test: burst: {len(codes)} requests, {len(bad)} not 200 {bad[:5]}")
sys.exit(1 if bad or len(codes) != 200 else 0)
PY
burst_fetches=$(( $(fetches) - before ))
(( burst_fetches >= 1 && burst_fetches <= 2 )) || fail "the cold burst made $burst_fetches JWKS fetches (at most 2 expected)"
echo "idp-test: ok: the cold burst of 200 made $burst_fetches JWKS fetch(es) for 2 workers"

# 1. The provider's tokens against the location's rules.
expect "a token of the provider" 200 "$(status "$read_token" /api/hello.txt)"
write_token=$(token orders:write)
expect "a token without the required scope" 403 "$(status "$write_token" /api/hello.txt)"
expect "a token for another audience" 401 "$(status "$read_token" /other-audience/hello.txt)"
grep -q 'keys from "/_jwks" refreshed: 1 key(s), kid key-1' "$prefix/logs/error.log" ||
    fail "no refresh line naming key-1"

# 3. Rotation: the provider restarts with a new key; no nginx reload.
stop_provider
sleep 1.1 # past refresh=1s since the last fetch
start_provider key-2
new_token=$(token orders:read)
expect "a token of the rotated key, without a reload" 200 "$(status "$new_token" /api/hello.txt)"
# Each worker learns the new set on its own first unknown kid: ask until both have answered.
declare -A learned=()
for _ in $(seq 60); do
    answer=$(curl -s -o /dev/null -D - -H "Authorization: Bearer $new_token" \
        "http://127.0.0.1:$port/api/hello.txt" | tr -d '\r')
    code=$(head -n 1 <<<"$answer" | cut -d' ' -f2)
    worker=$(sed -n 's/^X-Worker: //p' <<<"$answer")
    [[ $code == 200 ]] || fail "a token of the rotated key got $code from worker $worker"
    learned[$worker]=1
    (( ${#learned[@]} == 2 )) && break
done
(( ${#learned[@]} == 2 )) || fail "only ${#learned[@]} worker answered in 60 requests"
echo "idp-test: ok: both workers accept the rotated key"
sleep 1.1
old=$(status "$read_token" /api/hello.txt)
old_again=$(status "$read_token" /api/hello.txt)
expect "a token of the key that left the set" "401 401" "$old $old_again"

# 4. The provider goes down: the set in force stays.
stop_provider
for _ in 1 2 3 4; do
    expect "a token while the provider is down" 200 "$(status "$new_token" /api/hello.txt)"
done
# 5. Clients that go away mid-fetch, on a cold nginx and a provider 400 ms away.
"$nginx" -p "$prefix" -c "$prefix/nginx.conf" -s stop
sleep 0.5
start_provider key-3 400
slow_token=$(token orders:read)
"$nginx" -p "$prefix" -c "$prefix/nginx.conf"
sleep 0.3
python3 - "$port" "$slow_token" <<'PY' || fail "clients going away mid-fetch kept others from the keys"
import socket, sys, threading, time, urllib.request
port, token = int(sys.argv[1]), sys.argv[2]
stop = time.time() + 4
def quitter():
    # A token-shaped credential (the signature does not matter): it makes the fetch start.
    request = (f"GET /api/hello.txt HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Bearer aaaa.bbbb.cccc\r\n\r\n").encode()
    while time.time() < stop:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        time.sleep(0.02)
        s.close()
        time.sleep(0.05)
threading.Thread(target=quitter, daemon=True).start()
codes = []
while time.time() < stop:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/hello.txt",
                                 headers={"Authorization": f"Bearer {token}"})
    try:
        codes.append(urllib.request.urlopen(req, timeout=10).status)
    except urllib.error.HTTPError as e:
        codes.append(e.code)
    time.sleep(0.2)
bad = [c for c in codes if c != 200]
print(f"idp-test: clients going away mid-fetch: {len(codes)} other requests, {len(bad)} not 200 {bad[:5]}")
sys.exit(1 if bad or not codes else 0)
PY
if grep -q "was abandoned" "$prefix/logs/error.log"; then
    fail "a fetch was abandoned: a client going away ended it"
fi
echo "idp-test: ok: a client going away mid-fetch does not cost the others their keys"

if grep -E '\[(alert|crit|emerg)\]' "$prefix/logs/error.log"; then
    fail "nginx logged alerts"
fi
grep -q "signal 11\|worker process .* exited on signal" "$prefix/logs/error.log" && fail "a worker died"
echo "idp-test: all checks passed"
