#!/usr/bin/env bash
# Interoperability of the issuer with clients nobody here wrote: Python's authlib obtains
# tokens from nginx's token endpoint (client_secret_basic and client_secret_post, endpoint
# found through the RFC 8414 metadata), PyJWT's PyJWKClient verifies them against the JWKS
# endpoint and the RFC 9068 claims and typ are checked; the token then opens a protected
# location (credentialflow_accept_own_tokens) and a missing scope gets 403. authlib's
# introspect_token (RFC 7662) sees it active, its revoke_token (RFC 7009) revokes it, after
# which the protected location refuses it and introspection says inactive.
#
# Usage: scripts/interop.sh            (after scripts/build.sh and scripts/gen-fixtures.sh t/fixtures)
# authlib, PyJWT, cryptography and requests are installed with pip into target/interop-venv.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fixtures=${TEST_NGINX_FIXTURES:-$repo/t/fixtures}
nginx=${TEST_NGINX_BINARY:-$repo/target/nginx/sbin/nginx}
module=$repo/target/nginx/modules/ngx_http_credentialflow_module.so
venv=$repo/target/interop-venv

if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -c 'import authlib, jwt, cryptography, requests' 2>/dev/null ||
    "$venv/bin/pip" install -q authlib PyJWT cryptography requests

prefix=$(mktemp -d /tmp/credentialflow-interop.XXXXXX)
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$prefix/logs" "$prefix/html/api"
chmod 755 "$prefix" "$prefix/html" "$prefix/html/api"
echo hello >"$prefix/html/api/hello.txt"
: >"$prefix/revoked.txt"
# The workers append to it: as root, nginx's workers run as nobody.
if [[ $(id -u) -eq 0 ]]; then chown nobody "$prefix/revoked.txt"; fi
cat >"$prefix/nginx.conf" <<CONF
load_module $module;
daemon on;
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
        location = /oauth/revoke { credentialflow_oauth_revoke; }
        location = /oauth/introspect { credentialflow_oauth_introspect; }
        location = /.well-known/jwks.json { credentialflow_oauth_jwks; }
        location = /.well-known/oauth-authorization-server { credentialflow_oauth_metadata; }
        location /api/ {
            credentialflow on;
            credentialflow_accept_own_tokens on;
            credentialflow_audience https://api.example;
            credentialflow_require_scope orders:read;
            root html;
        }
        location /admin/ {
            credentialflow on;
            credentialflow_accept_own_tokens on;
            credentialflow_audience https://api.example;
            credentialflow_require_scope orders:admin;
            root html;
        }
    }
}
CONF
"$nginx" -p "$prefix" -c "$prefix/nginx.conf"
trap 'status=$?; [[ $status -ne 0 ]] && tail -5 "$prefix/logs/error.log" >&2; kill "$(cat "$prefix/nginx.pid")" 2>/dev/null || true; sleep 0.2; rm -rf "$prefix"' EXIT

"$venv/bin/python" - "http://127.0.0.1:$port" <<'PY'
import sys, time
import jwt, requests
from authlib.integrations.requests_client import OAuth2Session

base = sys.argv[1]
meta = requests.get(base + "/.well-known/oauth-authorization-server", timeout=5).json()
assert meta["issuer"] == base, meta
jwks = jwt.PyJWKClient(meta["jwks_uri"])
checks = 0
for method in ("client_secret_basic", "client_secret_post"):
    assert method in meta["token_endpoint_auth_methods_supported"]
    session = OAuth2Session("svc", "svc-secret-0123456789abcdefghij",
                            token_endpoint_auth_method=method, scope="orders:read")
    token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["scope"] == "orders:read", token
    assert 0 < token["expires_in"] <= 600, token
    access = token["access_token"]
    header = jwt.get_unverified_header(access)
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256" and header["kid"], header
    key = jwks.get_signing_key_from_jwt(access)
    claims = jwt.decode(access, key.key, algorithms=["ES256"], audience="https://api.example",
                        issuer=base, options={"require": ["exp", "iat", "nbf", "jti", "sub"]})
    assert claims["sub"] == claims["client_id"] == "svc", claims
    assert claims["scope"] == "orders:read" and len(claims["jti"]) == 22, claims
    assert claims["exp"] - claims["iat"] == token["expires_in"], claims
    api = session.get(base + "/api/hello.txt", timeout=5)
    assert api.status_code == 200 and api.text == "hello\n", api.status_code
    admin = session.get(base + "/admin/hello.txt", timeout=5)
    assert admin.status_code == 403, admin.status_code
    # RFC 7662 with authlib's client, as a resource server with the introspect permission.
    assert method in meta["introspection_endpoint_auth_methods_supported"]
    rs = OAuth2Session("rs", "rs-secret-0123456789abcdefghij", token_endpoint_auth_method=method)
    seen = rs.introspect_token(meta["introspection_endpoint"], token=access)
    assert seen.status_code == 200, seen.status_code
    seen = seen.json()
    assert seen["active"] is True and seen["client_id"] == "svc", seen
    assert seen["scope"] == "orders:read" and seen["jti"] == claims["jti"], seen
    # RFC 7009: the client revokes its own token with authlib's revoke_token.
    assert method in meta["revocation_endpoint_auth_methods_supported"]
    revoked = session.revoke_token(meta["revocation_endpoint"], token=access,
                                   token_type_hint="access_token")
    assert revoked.status_code == 200, (revoked.status_code, revoked.text)
    api = session.get(base + "/api/hello.txt", timeout=5)
    assert api.status_code == 401, api.status_code
    seen = rs.introspect_token(meta["introspection_endpoint"], token=access).json()
    assert seen == {"active": False}, seen
    checks += 1
    print(f"interop: {method}: authlib got a token, PyJWKClient verified it, /api 200, "
          "/admin 403, introspected active, revoked, then /api 401 and inactive")
# A wrong secret is refused the standard way.
bad = OAuth2Session("svc", "wrong", token_endpoint_auth_method="client_secret_basic")
try:
    bad.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    raise SystemExit("interop: a wrong secret got a token")
except Exception as e:  # authlib raises OAuthError with the server's error code
    assert "invalid_client" in str(e), e
print(f"interop: ok ({checks} auth methods, wrong secret refused with invalid_client)")
PY
