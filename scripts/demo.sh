#!/usr/bin/env bash
# Runs the product: builds it (release), makes demo keys, starts nginx with the module on
# 127.0.0.1:8080 in front of a demo upstream, and prints a valid token and curl lines.
# Usage: scripts/demo.sh          start (or restart) the demo
#        scripts/demo.sh stop     stop it
#        scripts/demo.sh check    start it, assert 200/401/403, stop it (used by the tests)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir="$root/target/demo"

stop() {
    if [ -s "$dir/logs/nginx.pid" ] && kill -0 "$(cat "$dir/logs/nginx.pid")" 2>/dev/null; then
        kill -QUIT "$(cat "$dir/logs/nginx.pid")"
        sleep 0.5
    fi
}

if [ "${1:-}" = "stop" ]; then
    stop
    echo "demo stopped"
    exit 0
fi

scripts/deps.sh
# The release build (LTO, optimised): whoever times the demo times what users run.
# shellcheck source=lib/release.sh
. scripts/lib/release.sh
release_artifacts "${CARGO_TARGET_DIR:-$root/target}"
nginx=$release_nginx
cli=$release_cli
stop
mkdir -p "$dir/logs" "$dir/keys"
[ -f "$dir/keys/private.pem" ] || "$cli" keygen --alg ES256 --kid demo-es256 --out "$dir/keys" >/dev/null
sed -e "s#@DIR@#$dir#g" -e "s#@MODULE@#$release_module#g" \
    scripts/demo/nginx.conf.in > "$dir/nginx.conf"
"$nginx" -p "$dir" -c "$dir/nginx.conf" -t -q
"$nginx" -p "$dir" -c "$dir/nginx.conf"

mint() {
    "$cli" mint --key "$dir/keys/private.pem" --alg ES256 --kid demo-es256 \
        --iss https://issuer.demo.test --aud api://orders --ttl 1h "$@"
}
valid=$(mint --sub alice --scope "orders:read profile")
no_scope=$(mint --sub bob --scope profile)

if [ "${1:-}" = "check" ]; then
    trap stop EXIT
    sleep 0.3
    code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
    ok=$(code -H "Authorization: Bearer $valid" http://127.0.0.1:8080/api/orders)
    missing=$(code http://127.0.0.1:8080/api/orders)
    forbidden=$(code -H "Authorization: Bearer $no_scope" http://127.0.0.1:8080/api/orders)
    body=$(curl -s -H "Authorization: Bearer $valid" -H "X-User: mallory" http://127.0.0.1:8080/api/orders)
    echo "demo check: valid=$ok missing=$missing no-scope=$forbidden upstream saw: $body"
    [ "$ok" = 200 ] && [ "$missing" = 401 ] && [ "$forbidden" = 403 ] && [[ "$body" == *'"sub":"alice"'* ]]
    exit
fi

cat <<MSG
CredentialFlow demo running: nginx on http://127.0.0.1:8080 protecting /api/ (upstream on :8081)
Config: $dir/nginx.conf   Log: $dir/logs/error.log   Stop: scripts/demo.sh stop

A valid token (ES256, sub=alice, scope "orders:read profile", 1 hour):
  TOKEN=$valid

200, and the upstream sees the verified subject (a client-sent X-User is dropped):
  curl -i -H "Authorization: Bearer \$TOKEN" -H "X-User: mallory" http://127.0.0.1:8080/api/orders
401 with a Bearer challenge (no token; or a tampered one):
  curl -i http://127.0.0.1:8080/api/orders
  curl -i -H "Authorization: Bearer \${TOKEN}x" http://127.0.0.1:8080/api/orders
403 insufficient_scope (valid token without orders:read):
  curl -i -H "Authorization: Bearer $no_scope" http://127.0.0.1:8080/api/orders
Inspect a token (signature not verified):
  $cli inspect \$TOKEN
MSG
