# The issuer's other endpoints and trust: credentialflow_oauth_jwks, credentialflow_oauth_metadata
# (RFC 8414), credentialflow_accept_own_tokens (also across a publish_only rotation), the
# registry re-read without a reload, and configuration errors.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

# The last test: tokens claiming this server's issuer, signed by another trusted key.
my $cli = $ENV{TEST_NGINX_CREDENTIALFLOW_CLI} || 'target/nginx/bin/credentialflow';
sub mint {
    my $token = `$cli mint --aud https://api.example @_`;
    die "credentialflow mint @_ failed\n" if $? != 0;
    chomp $token;
    return $token;
}
my $fx = $ENV{TEST_NGINX_FIXTURES};
$ENV{TEST_NGINX_IMPERSONATES_ISSUER} = mint("--alg RS256 --key $fx/keys/rsa/private.pem --iss https://auth.example --sub admin --claim client_id=admin --scope orders:read --ttl 1h");
$ENV{TEST_NGINX_IDP_TOKEN} = mint("--alg RS256 --key $fx/keys/rsa/private.pem --iss https://idp.example --sub alice --scope orders:read --ttl 1h");
$ENV{TEST_NGINX_OWN_KEY_OTHER_ISS} = mint("--alg ES256 --key $fx/keys/ec256/private.pem --iss https://idp.example --sub alice --scope orders:read --ttl 1h");

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: the JWKS publishes every key with kid, alg and use, signing or publish_only, with max-age
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ed25519/private.pem kid=next publish_only;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    location = /jwks.json { credentialflow_oauth_jwks; }
--- request
GET /jwks.json
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: max-age=300
--- response_body_like: ^\{"keys":\[\{"alg":"EdDSA","crv":"Ed25519","kid":"next","kty":"OKP","use":"sig","x":"[A-Za-z0-9_-]{43}"\},\{"alg":"ES256","crv":"P-256","kid":"[A-Za-z0-9_-]{43}","kty":"EC","use":"sig","x":"[A-Za-z0-9_-]{43}","y":"[A-Za-z0-9_-]{43}"\}\]\}$



=== TEST 2: metadata names the issuer, the exact-match token and JWKS locations, grants, no response types, auth methods and scopes
--- config
    credentialflow_oauth_issuer https://auth.example/;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /oauth/token { credentialflow_oauth_token; }
    location = /.well-known/jwks.json { credentialflow_oauth_jwks; }
    location = /.well-known/oauth-authorization-server { credentialflow_oauth_metadata; }
--- request
GET /.well-known/oauth-authorization-server
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body chomp
{"grant_types_supported":["client_credentials"],"issuer":"https://auth.example","jwks_uri":"https://auth.example/.well-known/jwks.json","response_types_supported":[],"scopes_supported":["orders:read","orders:write"],"token_endpoint":"https://auth.example/oauth/token","token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post"]}



=== TEST 3: JWKS and metadata answer GET and HEAD; POST gets 405 with Allow
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    location = /jwks.json { credentialflow_oauth_jwks; }
--- request eval
["HEAD /jwks.json", "POST /jwks.json\nx=1"]
--- error_code eval
[200, 405]
--- response_headers eval
["Content-Type: application/json", "Allow: GET, HEAD"]



=== TEST 4: accept_own_tokens: a protected location of the server trusts tokens signed by its keys, publish_only included
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ed25519/private.pem publish_only;
    location /api/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        credentialflow_require_scope orders:read;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 4]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_OWN_EC}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_OWN_ED}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_OWN_WRONG_AUD}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ES256}"]
--- error_code eval
[200, 200, 401, 401]



=== TEST 5: after the rotation (the Ed25519 key signs, the P-256 key is publish_only) the same tokens pass
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem publish_only;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ed25519/private.pem;
    credentialflow_accept_own_tokens on;
    location /api/ {
        credentialflow on;
        credentialflow_audience https://api.example;
        root html;
    }
    location /off/ {
        credentialflow on;
        credentialflow_accept_own_tokens off;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
>>> off/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt", "GET /off/hello.txt", "GET /off/hello.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_OWN_ED}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_OWN_EC}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_OWN_ED}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"]
--- error_code eval
[200, 200, 401, 200]



=== TEST 6: a client appended to the registry gets tokens within a second, no reload; a malformed line keeps the last good registry
--- http_config
    log_format add_client escape=none "$arg_id sha256:e5fac1072ab77a90bd844b9eacdcb94c6403eedd1af0b3c29a475308ebcace30 orders:read https://api.example";
    log_format junk escape=none "this is not a registry line";
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients html/clients.txt;
    location = /token { credentialflow_oauth_token; }
    location = /add { access_log html/clients.txt add_client; return 204; }
    location = /junk { access_log html/clients.txt junk; return 204; }
    location = /wait {
        auth_delay 1500ms;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    }
--- user_files
>>> clients.txt
# no clients at startup
--- request eval
["POST /token\ngrant_type=client_credentials", "GET /add?id=newc", "GET /wait",
 "POST /token\ngrant_type=client_credentials", "GET /junk", "GET /wait",
 "POST /token\ngrant_type=client_credentials"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic bmV3YzpuZXctc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWYwMTIz", "", "",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic bmV3YzpuZXctc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWYwMTIz", "", "",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic bmV3YzpuZXctc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWYwMTIz"]
--- error_code eval
[401, 204, 401, 200, 204, 401, 200]
--- timeout: 5



=== TEST 7: the reload and the failure are logged, the failure with its line and without a secret
--- http_config
    log_format junk escape=none "junk";
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients html/clients.txt;
    location = /token { credentialflow_oauth_token; }
    location = /junk { access_log html/clients.txt junk; return 204; }
    location = /wait {
        # Four of the watcher's half-second ticks: a generous deadline for the reload.
        auth_delay 2s;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    }
    location = /error.log { root logs; }
--- user_files
>>> clients.txt
# one comment line
--- request eval
["GET /junk", "GET /wait", "GET /error.log"]
--- error_code eval
[204, 401, 200]
--- response_body_like eval
["", "",
 qr/\[error\] .*credentialflow: client registry ".*clients\.txt": line 2: missing the secret digest .*; keeping the previous registry/]
--- timeout: 5



=== TEST 8: keys are bound to their issuer: where the server's own keys and a provider's key are both trusted, a token with the server's own iss signed by the provider's key is refused, and the server's key verifies no other issuer's token
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        credentialflow_issuer https://idp.example;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 4]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_OWN_EC}", "Authorization: Bearer $ENV{TEST_NGINX_IDP_TOKEN}",
 "Authorization: Bearer $ENV{TEST_NGINX_IMPERSONATES_ISSUER}", "Authorization: Bearer $ENV{TEST_NGINX_OWN_KEY_OTHER_ISS}"]
--- error_code eval
[200, 200, 401, 401]
--- response_headers eval
["X-Status: [ok]", "X-Status: [ok]", "X-Status: [invalid]", "X-Status: [invalid]"]



=== TEST 9: the metadata publishes fewer scopes on request: scopes=none leaves scopes_supported out (RFC 8414 §2: RECOMMENDED), scopes=a,b names only those the registry has
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /oauth/token { credentialflow_oauth_token; }
    location = /none { credentialflow_oauth_metadata scopes=none; }
    location = /few { credentialflow_oauth_metadata scopes=orders:read,billing:admin; }
--- request eval
["GET /none", "GET /few"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/\A\{"grant_types_supported":\["client_credentials"\],"issuer":"https:\/\/auth\.example","response_types_supported":\[\],"token_endpoint":/,
 qr/"scopes_supported":\["orders:read"\],/]



=== TEST 10: credentialflow_oauth_metadata takes only scopes=
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /oauth/token { credentialflow_oauth_token; }
    location = /meta { credentialflow_oauth_metadata scopes=a,,b; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "scopes=a,,b" in "credentialflow_oauth_metadata" directive, scopes= takes "all", "none" or scopes separated by commas in \S+nginx\.conf:\d+/
