#!/usr/bin/env bash
# The metrics endpoint read by Prometheus's own text parser: nginx (two workers) gets known
# requests (accepted, missing, expired and revoked tokens at a labelled location, a token
# issued and one refused at the token endpoint), then /metrics is scraped and parsed with
# prometheus_client's text_string_to_metric_families, and each value is checked; every family
# must have its HELP and TYPE, and the histogram's buckets must be cumulative. Then nginx is
# reloaded with a new label named before the old one: the counters survive the reload (the zone
# is reused) and each label keeps its own.
#
# Usage: scripts/metrics-test.sh   (after scripts/build.sh and scripts/gen-fixtures.sh t/fixtures)
# prometheus_client is installed with pip into target/metrics-venv.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fixtures=${TEST_NGINX_FIXTURES:-$repo/t/fixtures}
nginx=${TEST_NGINX_BINARY:-$repo/target/nginx/sbin/nginx}
module=$repo/target/nginx/modules/ngx_http_credentialflow_module.so
venv=$repo/target/metrics-venv

if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -c 'import prometheus_client' 2>/dev/null ||
    "$venv/bin/pip" install -q prometheus_client

# shellcheck disable=SC1091
. "$fixtures/env.sh"
prefix=$(mktemp -d /tmp/credentialflow-metrics.XXXXXX)
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$prefix/logs" "$prefix/html/api"
chmod 755 "$prefix" "$prefix/html" "$prefix/html/api"
echo hello >"$prefix/html/api/hello.txt"
printf 'jti revoked-jti-1\nsub mallory\n' >"$prefix/revoked.txt"
chmod 644 "$prefix/revoked.txt"
cat >"$prefix/nginx.conf" <<CONF
load_module $module;
daemon on;
worker_processes 2;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$port;
        credentialflow_oauth_issuer http://127.0.0.1:$port;
        credentialflow_oauth_signing_key $fixtures/keys/ec256/private.pem;
        credentialflow_oauth_clients $fixtures/oauth/clients.txt;
        credentialflow_revocation_file $prefix/revoked.txt;
        location = /oauth/token { credentialflow_oauth_token; }
        location /api/ {
            credentialflow on;
            credentialflow_jwt_key $fixtures/keys/rsa/public.pem;
            credentialflow_metrics_label api;
            root html;
        }
        location = /metrics { credentialflow_metrics; }
    }
}
CONF
"$nginx" -p "$prefix" -c "$prefix/nginx.conf"
trap 'status=$?; [[ $status -ne 0 ]] && tail -5 "$prefix/logs/error.log" >&2; kill "$(cat "$prefix/nginx.pid")" 2>/dev/null || true; sleep 0.2; rm -rf "$prefix"' EXIT

"$venv/bin/python" - "http://127.0.0.1:$port" <<'PY'
import base64, os, sys, time, urllib.error, urllib.request
from prometheus_client.parser import text_string_to_metric_families

base = sys.argv[1]
env = os.environ

def call(path, token=None, body=None, basic=None):
    request = urllib.request.Request(base + path, data=body)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if basic:
        request.add_header("Authorization", "Basic " + base64.b64encode(basic.encode()).decode())
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read().decode(), answer.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers

for _ in range(50):
    try:
        call("/metrics")
        break
    except OSError:
        time.sleep(0.1)

expect = [
    (call("/api/hello.txt", env["TEST_NGINX_TOKEN_LIVE_JTI"]), 200),
    (call("/api/hello.txt", env["TEST_NGINX_TOKEN_LIVE_JTI"]), 200),
    (call("/api/hello.txt", env["TEST_NGINX_TOKEN_LIVE_JTI"]), 200),
    (call("/api/hello.txt"), 401),
    (call("/api/hello.txt"), 401),
    (call("/api/hello.txt", env["TEST_NGINX_TOKEN_EXPIRED"]), 401),
    (call("/api/hello.txt", env["TEST_NGINX_TOKEN_REVOKED_JTI"]), 401),
    (call("/oauth/token", body=b"grant_type=client_credentials",
          basic="svc:svc-secret-0123456789abcdefghij"), 200),
    (call("/oauth/token", body=b"grant_type=client_credentials", basic="svc:wrong"), 401),
]
for number, ((status, _, _), want) in enumerate(expect):
    assert status == want, f"request {number}: {status}, expected {want}"

status, text, headers = call("/metrics")
assert status == 200, status
assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8", headers["Content-Type"]
families = {family.name: family for family in text_string_to_metric_families(text)}
for family in families.values():
    assert family.documentation, f"{family.name} has no HELP"
    assert family.type in ("counter", "gauge", "histogram"), (family.name, family.type)

def value(family, name=None, **labels):
    name = name or family
    found = [s.value for s in families[family].samples
             if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, f"{name}{labels}: {found}"
    return found[0]

checks = {
    ("credentialflow_decisions", "credentialflow_decisions_total", "api", "jwt", "ok"): 3,
    ("credentialflow_decisions", "credentialflow_decisions_total", "api", "none", "missing"): 2,
    ("credentialflow_decisions", "credentialflow_decisions_total", "api", "jwt", "expired"): 1,
    ("credentialflow_decisions", "credentialflow_decisions_total", "api", "jwt", "revoked"): 1,
    ("credentialflow_decisions", "credentialflow_decisions_total", "default", "jwt", "ok"): 0,
}
for (family, name, label, credential, result), want in checks.items():
    got = value(family, name, label=label, credential=credential, result=result)
    assert got == want, f"{label}/{credential}/{result}: {got}, expected {want}"
assert families["credentialflow_decisions"].type == "counter"

lookups = "credentialflow_cache_lookups"
misses = value(lookups, lookups + "_total", result="miss")
hits = (value(lookups, lookups + "_total", result="worker_hit")
        + value(lookups, lookups + "_total", result="shared_hit"))
# live-jti-1 is verified once (later uses hit one cache or the other); the expired and the
# revoked tokens are verified and refused; missing tokens are not looked up.
assert (misses, hits) == (3, 2), (misses, hits)
assert value("credentialflow_cache_entries", level="shared") == 2

histogram = families["credentialflow_verify_duration_seconds"]
assert histogram.type == "histogram"
buckets = [(float(s.labels["le"]), s.value) for s in histogram.samples if s.name.endswith("_bucket")]
assert buckets == sorted(buckets), "buckets ascend"
counts = [count for _, count in buckets]
assert counts == sorted(counts), f"buckets are cumulative: {counts}"
assert buckets[-1] == (float("inf"), 3), buckets[-1]
assert value("credentialflow_verify_duration_seconds", "credentialflow_verify_duration_seconds_count") == 3
assert value("credentialflow_verify_duration_seconds", "credentialflow_verify_duration_seconds_sum") > 0

assert value("credentialflow_tokens_issued", "credentialflow_tokens_issued_total") == 1
refused = "credentialflow_token_requests_refused"
assert value(refused, refused + "_total", error="invalid_client") == 1
assert value(refused, refused + "_total", error="invalid_scope") == 0
assert value("credentialflow_revocations", kind="jti") == 1
assert value("credentialflow_revocations", kind="sub") == 1
assert value("credentialflow_revocations", kind="kid") == 0
print(f"metrics-test.sh: {len(families)} metric families parsed by prometheus_client; every value as expected")
PY

# The reload: a location labelled "beta" ahead of /api/, whose label is still "api".
sed -i "s|        location /api/ {|        location /beta/ {\n            credentialflow on;\n            credentialflow_jwt_key $fixtures/keys/rsa/public.pem;\n            credentialflow_metrics_label beta;\n            root html;\n        }\n        location /api/ {|" \
    "$prefix/nginx.conf"
"$nginx" -p "$prefix" -c "$prefix/nginx.conf" -s reload
# The new workers know /beta/ (401 without a token); the old ones answered it 404.
for _ in $(seq 50); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/beta/") == 401 ]] && break
    sleep 0.1
done
grep -q 'zone "credentialflow" reused' "$prefix/logs/error.log" || { echo "metrics-test.sh: the zone was not reused" >&2; exit 1; }
"$venv/bin/python" - "http://127.0.0.1:$port" <<'PY'
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
base = sys.argv[1]
try:
    urllib.request.urlopen(base + "/beta/", timeout=5)
except urllib.error.HTTPError as error:
    assert error.code == 401, error.code
text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
samples = {(s.labels.get("label"), s.labels.get("credential"), s.labels.get("result")): s.value
           for f in text_string_to_metric_families(text) if f.name == "credentialflow_decisions"
           for s in f.samples}
assert samples[("api", "jwt", "ok")] == 3, samples[("api", "jwt", "ok")]
assert samples[("api", "none", "missing")] == 2
# the wait above and this request: each a missing token at /beta/
assert samples[("beta", "none", "missing")] >= 2, samples[("beta", "none", "missing")]
assert samples[("beta", "jwt", "ok")] == 0
print("metrics-test.sh: after a reload the counters are kept, each under its own label")
PY
