#!/usr/bin/env bash
# Runs every example config in nginx-conf/ against the real module: substitutes the
# placeholders, checks it with nginx -t, starts it, and sends valid and invalid requests.
#
# Usage: scripts/check-examples.sh [nginx-conf/NAME.conf...]     (default: all of them)
#
# Placeholders: @MODULE@ the module .so, @KEYS@ a directory with a fresh ES256 key
# (jwks.json, public.pem), @PREFIX@ a fresh nginx prefix, @PORT@ a free port.
# Uses target/nginx/{sbin/nginx,modules/*.so,bin/credentialflow} from scripts/build.sh,
# or $TEST_NGINX_BINARY, $CREDENTIALFLOW_MODULE, $CREDENTIALFLOW_CLI; and curl.
# Every example must have an entry in checks() below.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
nginx=${TEST_NGINX_BINARY:-$repo/target/nginx/sbin/nginx}
module=${CREDENTIALFLOW_MODULE:-$repo/target/nginx/modules/ngx_http_credentialflow_module.so}
cli=${CREDENTIALFLOW_CLI:-$repo/target/nginx/bin/credentialflow}
for f in "$nginx" "$module" "$cli"; do
    [[ -e "$f" ]] || { echo "check-examples.sh: $f not found (run scripts/build.sh)" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "check-examples.sh: curl is needed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/credentialflow-examples.XXXXXX")
keys=$work/keys
# nginx runs in the foreground as our child ("daemon off"), so stopping it is a kill + wait.
nginx_pid=
stop_nginx() {
    [[ -n "$nginx_pid" ]] || return 0
    kill -QUIT "$nginx_pid" 2>/dev/null
    wait "$nginx_pid" 2>/dev/null
    nginx_pid=
}
failures=0
trap 'stop_nginx; if ((failures == 0)); then rm -rf "$work"; else echo "kept $work" >&2; fi' EXIT

# One ES256 key the examples trust, one they don't.
"$cli" keygen --alg ES256 --out "$keys" --kid example-1 >/dev/null || exit 1
"$cli" keygen --alg ES256 --out "$work/untrusted" --kid example-1 >/dev/null || exit 1
mint() { "$cli" mint --alg ES256 --key "$keys/private.pem" --kid example-1 --sub alice "$@"; }
valid=$(mint)
untrusted=$("$cli" mint --alg ES256 --key "$work/untrusted/private.pem" --kid example-1 --sub alice)
orders_reader=$(mint --iss https://issuer.example --aud orders-api --scope orders:read \
    --claim email=alice@example.com)
orders_nothing=$(mint --iss https://issuer.example --aud orders-api --scope profile)
orders_other_aud=$(mint --iss https://issuer.example --aud billing-api --scope orders:read)
# identity-provider.conf: a Keycloak-shaped token with realm roles, one without the admin role.
realm=(--iss https://idp.example/realms/acme --aud orders)
realm_admin=$(mint "${realm[@]}" --claim 'realm_access={"roles":["orders-admin","user"]}')
realm_user=$(mint "${realm[@]}" --claim 'realm_access={"roles":["user"]}')
# issuer.conf's client registry: one client, its secret printed once by the CLI.
client_secret=$("$cli" client add --clients-file "$keys/clients.txt" --id example \
    --scope orders:read --audience https://api.example | sed -n 's/^client_secret: //p')

free_port() {
    perl -MIO::Socket::INET -e \
        'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport'
}

port=
# expect NAME STATUS PATH [BODY-SUBSTRING|-] [HEADER-SUBSTRING|-] [curl args...]
expect() {
    local name=$1 want=$2 path=$3 body_want=${4:--} header_want=${5:--}
    shift 5
    local got body headers
    got=$(curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@" \
        "http://127.0.0.1:$port$path") || got="curl failed"
    body=$(<"$work/body")
    headers=$(tr -d '\r' <"$work/headers")
    if [[ "$got" != "$want" ]]; then
        echo "not ok - $name: $path: status $got, expected $want" >&2
        failures=$((failures + 1))
    elif [[ "$body_want" != - && "$body" != *"$body_want"* ]]; then
        echo "not ok - $name: $path: body '$body' lacks '$body_want'" >&2
        failures=$((failures + 1))
    elif [[ "$header_want" != - && "$headers" != *"$header_want"* ]]; then
        echo "not ok - $name: $path: headers lack '$header_want':" $'\n'"$headers" >&2
        failures=$((failures + 1))
    else
        echo "ok - $name: $path -> $want"
    fi
}

bearer() { echo "Authorization: Bearer $1"; }

checks() {
    local name=$1
    case $name in
    minimal)
        expect "$name" 200 /api/hello "hello from the backend" - -H "$(bearer "$valid")"
        expect "$name" 401 /api/hello - 'WWW-Authenticate: Bearer realm="api"'
        expect "$name" 401 /api/hello - 'error_description="signature verification failed"' \
            -H "$(bearer "$untrusted")"
        ;;
    scopes-and-forwarding)
        expect "$name" 200 /orders/42 "user=alice email=alice@example.com" - \
            -H "$(bearer "$orders_reader")" -H "X-User: mallory"
        expect "$name" 403 /orders/42 - \
            'WWW-Authenticate: Bearer realm="orders", error="insufficient_scope", error_description="insufficient scope", scope="orders:read"' \
            -H "$(bearer "$orders_nothing")"
        expect "$name" 403 /orders/admin/report - 'scope="orders:read orders:write"' \
            -H "$(bearer "$orders_reader")"
        expect "$name" 401 /orders/42 - 'error_description="audience not accepted"' \
            -H "$(bearer "$orders_other_aud")"
        ;;
    rate-limit-by-subject)
        expect "$name" 200 /api/hello "hello from the backend" - -H "$(bearer "$valid")"
        expect "$name" 401 /api/hello - 'error="invalid_token"' -H "$(bearer "$untrusted")"
        if ! grep -q 'sub=alice auth=ok cache=miss "GET /api/hello HTTP/1.1" 200' \
            "$work/prefix-$name/logs/per_user.log"; then
            echo "not ok - $name: per_user.log lacks the verified request" >&2
            failures=$((failures + 1))
        fi
        ;;
    custom-header)
        expect "$name" 200 /api/hello "hello from the backend" - -H "X-Api-Token: $valid"
        expect "$name" 401 /api/hello - 'WWW-Authenticate: Bearer realm="api"' \
            -H "$(bearer "$valid")"
        expect "$name" 200 /api/health "hello from the backend" -
        ;;
    identity-provider)
        expect "$name" 200 /orders/1 "hello orders-admin user" - -H "$(bearer "$realm_admin")"
        expect "$name" 200 /orders/admin/x "hello orders-admin user" - -H "$(bearer "$realm_admin")"
        expect "$name" 403 /orders/admin/x - 'error="insufficient_scope"' -H "$(bearer "$realm_user")"
        expect "$name" 401 /orders/1 - 'error="invalid_token"' -H "$(bearer "$valid")"
        expect "$name" 200 /orders/1 "hello" - -X OPTIONS -H "Origin: https://app.example" \
            -H "Access-Control-Request-Method: GET"
        expect "$name" 401 /orders/1 - - -X OPTIONS
        expect "$name" 200 /browser/x "hello user" - -H "Cookie: access_token=$realm_user"
        ;;
    issuer)
        expect "$name" 200 /oauth/token '"token_type":"Bearer"' 'Cache-Control: no-store' \
            -u "example:$client_secret" -d grant_type=client_credentials
        local issued
        issued=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$work/body")
        expect "$name" 200 /api/hello "hello from the backend" - -H "$(bearer "$issued")"
        expect "$name" 403 /admin/hello - 'error="insufficient_scope"' -H "$(bearer "$issued")"
        expect "$name" 401 /oauth/token '"error":"invalid_client"' 'WWW-Authenticate: Basic' \
            -u "example:wrong" -d grant_type=client_credentials
        expect "$name" 405 /oauth/token - 'Allow: POST'
        expect "$name" 200 /.well-known/oauth-authorization-server \
            "\"token_endpoint\":\"http://localhost:$port/oauth/token\"" -
        expect "$name" 200 /.well-known/jwks.json '"use":"sig"' 'Cache-Control: max-age=300'
        ;;
    audit)
        local issued line
        expect "$name" 200 /oauth/token '"token_type":"Bearer"' - \
            -u "example:$client_secret" -d grant_type=client_credentials
        issued=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$work/body")
        expect "$name" 200 /api/hello "request_id=" - -H "$(bearer "$issued")" \
            -H "X-Request-ID: forged"
        if [[ "$(<"$work/body")" == *forged* || "$(<"$work/body")" != request_id=????????????????????????????????* ]]; then
            echo "not ok - $name: the upstream got '$(<"$work/body")', not nginx's request id" >&2
            failures=$((failures + 1))
        fi
        expect "$name" 401 /api/hello - 'error="invalid_token"' -H "$(bearer "$untrusted")"
        expect "$name" 200 /metrics 'credentialflow_decisions_total{label="api",credential="jwt",result="ok"} 1' -
        expect "$name" 200 /metrics 'credentialflow_tokens_issued_total 1' -
        stop_nginx
        # Every line is JSON; the issued token and its use share jti and client id; the
        # refused token is named by its fingerprint only; no token or secret anywhere.
        if ! python3 - "$work/prefix-$name/logs/audit.log" "$issued" "$untrusted" \
            "$client_secret" <<'PY'
import json, sys
path, issued, untrusted, secret = sys.argv[1:5]
text = open(path).read()
for needle in (issued, untrusted, secret, issued.split(".")[2], untrusted.split(".")[2]):
    assert needle not in text, "a token or secret is in the audit log"
# (the first line may be the startup probe's GET /)
lines = [json.loads(l) for l in text.splitlines()]
lines = [line for line in lines if line["uri"] != "/"]
token, ok, refused = lines[0], lines[1], lines[2]
assert token["uri"] == "/oauth/token" and token["client_id"] == "example", token
assert token["scope"] == "orders:read" and len(token["jti"]) == 22 and token["kid"], token
assert ok["auth"] == "ok" and ok["credential"] == "jwt" and ok["reason"] == "", ok
assert (ok["jti"], ok["client_id"], ok["kid"]) == (token["jti"], "example", token["kid"]), ok
assert ok["token"] == token["token"] and len(ok["token"]) == 8, (ok, token)
assert len(ok["request_id"]) == 32, ok
assert refused["auth"] == "invalid" and refused["reason"] == "signature_invalid", refused
assert refused["jti"] == refused["kid"] == refused["sub"] == refused["client_id"] == "", refused
assert len(refused["token"]) == 8, refused
PY
        then
            echo "not ok - $name: audit.log does not hold the expected lines" >&2
            failures=$((failures + 1))
        else
            echo "ok - $name: audit.log lines parse and trace the issued token"
        fi
        ;;
    *)
        echo "not ok - $name: no checks for this example in $0" >&2
        failures=$((failures + 1))
        ;;
    esac
}

user_directive=
if [[ $(id -u) == 0 ]]; then
    # Workers must reach the stand-in backend's socket, which the master creates as root.
    user_directive="user root;"
fi

examples=("$@")
((${#examples[@]})) || examples=("$repo"/nginx-conf/*.conf)
for conf in "${examples[@]}"; do
    name=$(basename "$conf" .conf)
    prefix=$work/prefix-$name
    mkdir -p "$prefix/logs"
    port=$(free_port)
    sed -e "s|@MODULE@|$module|g" -e "s|@KEYS@|$keys|g" -e "s|@PREFIX@|$prefix|g" \
        -e "s|@PORT@|$port|g" "$conf" >"$prefix/nginx.conf"
    if grep -n '@[A-Z_]*@' "$prefix/nginx.conf" >&2; then
        echo "not ok - $name: unknown placeholder left" >&2
        failures=$((failures + 1))
        continue
    fi
    # nginx keeps only the last -g, so all global directives go in one.
    run=("$nginx" -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log"
        -g "daemon off; pid $prefix/logs/nginx.pid; $user_directive")
    if ! "${run[@]}" -t -q; then
        echo "not ok - $name: nginx -t failed" >&2
        failures=$((failures + 1))
        continue
    fi
    "${run[@]}" &
    nginx_pid=$!
    for _ in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        kill -0 "$nginx_pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! kill -0 "$nginx_pid" 2>/dev/null; then
        echo "not ok - $name: nginx did not start" >&2
        failures=$((failures + 1))
        nginx_pid=
        continue
    fi
    checks "$name"
    stop_nginx
    if grep -E '\[(alert|crit|emerg)\]' "$prefix/logs/error.log" >&2; then
        echo "not ok - $name: alert/crit/emerg in error.log" >&2
        failures=$((failures + 1))
    fi
done

if ((failures)); then
    echo "check-examples.sh: $failures failure(s)" >&2
    exit 1
fi
echo "check-examples.sh: all ${#examples[@]} examples pass"
