#!/usr/bin/env bash
# Runs the product: builds it (release), makes demo keys and a demo client, starts nginx with
# the module on 127.0.0.1:8080 in front of a demo upstream, both as the authorization server
# (token endpoint, JWKS, metadata) and as the resource server, and prints the whole flow as
# curl lines: a token from the token endpoint, the API with it (200), a location needing a
# scope the client lacks (403), renewal; and a CLI-minted token with 200/401/403.
# Usage: scripts/demo.sh          start (or restart) the demo
#        scripts/demo.sh stop     stop it
#        scripts/demo.sh check    start it, assert the flow and 200/401/403, stop it (used by
#                                 the tests)
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
# The authorization server's own signing key (kid: its RFC 7638 thumbprint).
[ -f "$dir/keys/issuer/private.pem" ] || "$cli" keygen --alg ES256 --out "$dir/keys/issuer" >/dev/null
# A fresh demo client each start: its secret is printed once by the CLI and stored only as a
# digest, so an old registry's secret could not be shown again.
client_id=demo-client
rm -f "$dir/clients.txt"
client_secret=$("$cli" client add --clients-file "$dir/clients.txt" --id "$client_id" \
    --scope "orders:read profile" --audience api://orders --ttl 10m |
    sed -n 's/^client_secret: //p')
[ -n "$client_secret" ] || { echo "demo: credentialflow client add printed no secret" >&2; exit 1; }
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

# The access_token member of a token response (the demo's own JSON, no jq needed).
access_token() { sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'; }

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

    # The authorization server's flow: a token from the endpoint, the API, a missing scope.
    response=$(curl -s -u "$client_id:$client_secret" -d grant_type=client_credentials \
        http://127.0.0.1:8080/oauth/token)
    issued=$(access_token <<<"$response")
    [[ "$response" == *'"expires_in":600,'* && "$response" == *'"token_type":"Bearer"'* &&
        -n "$issued" ]] || { echo "demo check: token endpoint answered: $response" >&2; exit 1; }
    flow_ok=$(code -H "Authorization: Bearer $issued" http://127.0.0.1:8080/api/orders)
    flow_body=$(curl -s -H "Authorization: Bearer $issued" http://127.0.0.1:8080/api/orders)
    flow_scope=$(code -H "Authorization: Bearer $issued" http://127.0.0.1:8080/admin/reports)
    wrong_secret=$(code -u "$client_id:wrong" -d grant_type=client_credentials \
        http://127.0.0.1:8080/oauth/token)
    echo "demo check: token endpoint issued a token; api=$flow_ok admin=$flow_scope" \
        "wrong-secret=$wrong_secret upstream saw: $flow_body"
    [ "$flow_ok" = 200 ] && [ "$flow_scope" = 403 ] && [ "$wrong_secret" = 401 ] &&
        [[ "$flow_body" == *'"sub":"demo-client"'* ]]
    exit
fi

cat <<MSG
CredentialFlow demo running: nginx on http://127.0.0.1:8080 protecting /api/ (upstream on :8081)
and issuing tokens at /oauth/token
Config: $dir/nginx.conf   Log: $dir/logs/error.log   Stop: scripts/demo.sh stop

1. The client credentials flow. The demo client (registry $dir/clients.txt, made by
   credentialflow client add; scopes "orders:read profile", tokens for api://orders, 10 minutes):
  CLIENT_ID=$client_id CLIENT_SECRET=$client_secret

Get a token from nginx's token endpoint:
  curl -s -u "\$CLIENT_ID:\$CLIENT_SECRET" -d grant_type=client_credentials http://127.0.0.1:8080/oauth/token
  # {"access_token":"eyJ...","expires_in":600,"scope":"orders:read profile","token_type":"Bearer"}
  TOKEN=\$(curl -s -u "\$CLIENT_ID:\$CLIENT_SECRET" -d grant_type=client_credentials \\
      http://127.0.0.1:8080/oauth/token | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
200 with it (the upstream sees sub=demo-client):
  curl -i -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8080/api/orders
403 insufficient_scope: /admin/ needs orders:admin, which the client may not obtain:
  curl -i -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8080/admin/reports
Renew: there is no refresh token (RFC 6749 §4.4.3); ask again, with the same credentials,
before expires_in runs out, e.g. at 80% of it:
  while sleep 480; do TOKEN=\$(curl -s -u "\$CLIENT_ID:\$CLIENT_SECRET" \\
      -d grant_type=client_credentials http://127.0.0.1:8080/oauth/token |
      sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'); done
What OAuth libraries read: http://127.0.0.1:8080/.well-known/oauth-authorization-server
and the keys other resource servers verify with: http://127.0.0.1:8080/.well-known/jwks.json

2. Tokens from elsewhere: a valid token (ES256, sub=alice, scope "orders:read profile", 1 hour):
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
