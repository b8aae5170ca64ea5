# Configuration errors: nginx must refuse to start, naming the directive, the file and the
# reason; and configuration warnings that still let nginx start.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a missing key file stops nginx with "cannot read", the resolved path and the config line
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key html/keys/missing.pem;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_jwt_key "html\/keys\/missing\.pem": cannot read "\/\S*\/html\/keys\/missing\.pem": No such file or directory \(os error 2\) in \S+\/nginx\.conf:\d+/



=== TEST 2: a key path that cannot be read as a file (a directory) stops nginx
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key html/keys;
        root html;
    }
--- user_files
>>> keys/placeholder.txt
x
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_jwt_key "html\/keys": cannot read "\/\S*\/html\/keys": Is a directory/



=== TEST 3: an unknown key format word is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem der;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
public.pem": unknown key format "der" (expected "jwks", "pem" or "secret")



=== TEST 4: a file that is neither JWKS nor PEM needs the "secret" parameter
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key html/keys/hmac.key;
        root html;
    }
--- user_files
>>> keys/hmac.key
0123456789abcdef0123456789abcdef0123456789abcdef
--- must_die
--- suppress_stderr
--- error_log
[emerg]
credentialflow_jwt_key "html/keys/hmac.key": not a JWKS or PEM public key; add the "secret" parameter if the file holds an HMAC secret



=== TEST 5: a 1024-bit RSA PEM key is refused as too weak
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa1024.pem;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
rsa1024.pem": RSA key of 1024 bits is too weak (at least 2048 bits required)



=== TEST 6: a 1024-bit RSA key in a JWKS is refused as too weak
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/weak-rsa.jwks.json;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
weak-rsa.jwks.json": RSA key of 1024 bits is too weak (at least 2048 bits required)



=== TEST 7: a 16-byte HMAC secret is refused as too short
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/weak.secret secret;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
weak.secret": HMAC secret of 16 bytes is too short (at least 32 bytes required)



=== TEST 8: a private PEM key is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/private.pem;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
private.pem": holds a private key; configure the public key instead



=== TEST 9: a private key in a JWKS is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/private.jwks.json;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
private.jwks.json": holds a private key; configure the public key instead



=== TEST 10: a JWKS with only an encryption key has nothing to verify with
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/enc-only.jwks.json;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
enc-only.jwks.json": invalid JWKS: no key usable for signature verification



=== TEST 11: a file declared "jwks" that is not JSON is an invalid JWKS
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key html/keys/broken.json jwks;
        root html;
    }
--- user_files
>>> keys/broken.json
{"keys": [
--- must_die
--- suppress_stderr
--- error_log
[emerg]
credentialflow_jwt_key "html/keys/broken.json": invalid JWKS:



=== TEST 12: an unknown algorithm name is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_algorithms RS256 HS999;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_algorithms: unknown algorithm "HS999" \(expected one of HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA\) in \S+nginx\.conf:\d+/



=== TEST 13: algorithm names are case-sensitive
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_algorithms rs256;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
credentialflow_algorithms: unknown algorithm "rs256"



=== TEST 14: allowed algorithms that no configured key can verify are refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_algorithms ES256;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
no configured key can verify any of the allowed algorithms (ES256)



=== TEST 15: allowing HS384 with only a 32-byte secret is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/hs256/secret secret;
        credentialflow_algorithms HS256 HS384;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
no configured HMAC secret is long enough for HS384 (at least 48 bytes required)



=== TEST 16: credentialflow_jwt_key with three arguments is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem pem extra;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid number of arguments in "credentialflow_jwt_key" directive



=== TEST 17: credentialflow_forward_claim with one argument is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid number of arguments in "credentialflow_forward_claim" directive



=== TEST 18: credentialflow_algorithms without arguments is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_algorithms;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid number of arguments in "credentialflow_algorithms" directive



=== TEST 19: credentialflow_realm with two arguments is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_realm my api;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid number of arguments in "credentialflow_realm" directive



=== TEST 20: credentialflow takes only "on" or "off"
--- config
    location /api/ {
        credentialflow yes;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid value "yes" in "credentialflow" directive, it must be "on" or "off"



=== TEST 21: credentialflow set twice in one location is a duplicate
--- config
    location /api/ {
        credentialflow on;
        credentialflow off;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow" directive is duplicate in \S+nginx\.conf:\d+/



=== TEST 22: credentialflow_realm set twice in one location is a duplicate
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_realm one;
        credentialflow_realm two;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_realm" directive is duplicate



=== TEST 23: credentialflow_leeway set twice in one server is a duplicate
--- config
    credentialflow_leeway 10s;
    credentialflow_leeway 20s;
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_leeway" directive is duplicate



=== TEST 24: credentialflow_algorithms set twice is a duplicate
--- config
    location /a/ {
        credentialflow_algorithms RS256;
        credentialflow_algorithms PS256;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_algorithms" directive is duplicate



=== TEST 25: credentialflow_issuer set twice is a duplicate
--- config
    location /a/ {
        credentialflow_issuer https://a.example;
        credentialflow_issuer https://b.example;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_issuer" directive is duplicate



=== TEST 26: credentialflow_audience set twice is a duplicate
--- config
    location /a/ {
        credentialflow_audience a;
        credentialflow_audience b;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_audience" directive is duplicate



=== TEST 27: credentialflow_header set twice is a duplicate
--- config
    location /a/ {
        credentialflow_header X-Token;
        credentialflow_header X-Other;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_header" directive is duplicate



=== TEST 28: credentialflow_require_claims set twice is a duplicate
--- config
    location /a/ {
        credentialflow_require_claims exp;
        credentialflow_require_claims sub;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_require_claims" directive is duplicate



=== TEST 29: credentialflow_require_scope set twice is a duplicate
--- config
    location /a/ {
        credentialflow_require_scope a;
        credentialflow_require_scope b;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_require_scope" directive is duplicate



=== TEST 30: credentialflow_max_token_size set twice is a duplicate
--- config
    location /a/ {
        credentialflow_max_token_size 4k;
        credentialflow_max_token_size 8k;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_max_token_size" directive is duplicate



=== TEST 31: credentialflow_revocation_file set twice is a duplicate
--- config
    location /a/ {
        credentialflow_revocation_file $TEST_NGINX_FIXTURES/revoked.txt;
        credentialflow_revocation_file $TEST_NGINX_FIXTURES/revoked.txt;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_revocation_file" directive is duplicate



=== TEST 32: credentialflow_cache_size in http and again in server is a duplicate
--- http_config
    credentialflow_cache_size 100;
--- config
    credentialflow_cache_size 200;
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_cache_size" directive is duplicate



=== TEST 33: credentialflow_cache_size is not allowed in a location
--- config
    location /a/ {
        credentialflow_cache_size 100;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
"credentialflow_cache_size" directive is not allowed here



=== TEST 34: credentialflow_cache_size must be a number
--- config
    credentialflow_cache_size lots;
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid value "lots" in "credentialflow_cache_size" directive, it must be a number of entries



=== TEST 35: "credentialflow on" without any key is refused
--- config
    location /api/ {
        credentialflow on;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow" is on but neither "credentialflow_jwt_key" nor "credentialflow_jwt_key_request" is set/



=== TEST 36: a missing revocation file stops nginx
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_revocation_file html/missing-revoked.txt;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_revocation_file "html\/missing-revoked\.txt": cannot read "\/\S*\/html\/missing-revoked\.txt": No such file or directory \(os error 2\) in \S+nginx\.conf:\d+/



=== TEST 37: a revocation file with a line of no known kind stops nginx
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_revocation_file html/revoked.txt;
        root html;
    }
--- user_files
>>> revoked.txt
jti one
iss two
--- must_die
--- suppress_stderr
--- error_log
[emerg]
credentialflow_revocation_file "html/revoked.txt": line 2: expected "jti", "kid", "sub" or "client_id"



=== TEST 38: a leeway that is not a time is refused
--- config
    credentialflow_leeway soon;
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid value "soon" in "credentialflow_leeway" directive, it must be a time such as 30s or 5m



=== TEST 39: a max token size that is not a size is refused
--- config
    credentialflow_max_token_size 8q;
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid value "8q" in "credentialflow_max_token_size" directive, it must be a size such as 8k



=== TEST 40: a max token size of zero is refused
--- config
    credentialflow_max_token_size 0;
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid value "0" in "credentialflow_max_token_size" directive, it must be a size such as 8k



=== TEST 41: a credential header name with a space is refused
--- config
    credentialflow_header "X Token";
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid value "X Token" in "credentialflow_header" directive, it must be an HTTP header name



=== TEST 42: two claims forwarded in the same header (any case) are refused
--- config
    location /a/ {
        credentialflow_forward_claim sub X-User;
        credentialflow_forward_claim email x-user;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid value "x-user" in "credentialflow_forward_claim" directive, the header already carries another claim



=== TEST 43: a forwarded header name with a colon is refused
--- config
    location /a/ {
        credentialflow_forward_claim sub X-User:;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid value "X-User:" in "credentialflow_forward_claim" directive, it must be an HTTP header name



=== TEST 44: a realm with a double quote is refused
--- config
    credentialflow_realm 'my"realm';
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid value "my"realm" in "credentialflow_realm" directive, it may not contain quotes, backslashes or control characters



=== TEST 45: a required scope with a backslash is refused
--- config
    credentialflow_require_scope 'orders\\read';
--- must_die
--- suppress_stderr
--- error_log
[emerg]
invalid value "orders\read" in "credentialflow_require_scope" directive, a scope may not contain spaces, quotes or backslashes



=== TEST 46: an HMAC secret readable by others starts with a warning to chmod 600
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/exposed.secret secret;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_HS256}"
--- error_code: 200
--- response_body
hello
--- error_log eval
qr/\[warn\] .*credentialflow_jwt_key "[^"]*exposed\.secret": the secret is readable by group or others; restrict it with chmod 600 in \S+nginx\.conf:\d+/



=== TEST 47: every directive is accepted at http level, and server and location settings override it
--- http_config
    credentialflow_cache_size 50;
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/jwks.json;
    credentialflow_algorithms RS256 ES256;
    credentialflow_issuer https://issuer.example;
    credentialflow_audience api.example;
    credentialflow_leeway 5s;
    credentialflow_require_claims exp sub;
    credentialflow_realm http-level;
    credentialflow_header Authorization;
    credentialflow_max_token_size 4k;
    credentialflow_revocation_file $TEST_NGINX_FIXTURES/revoked.txt;
    credentialflow_forward_claim sub X-User;
    credentialflow off;
--- config
    credentialflow_leeway 10s;
    credentialflow_require_scope orders:read;
    location /api/ {
        credentialflow on;
        credentialflow_require_scope none;
        credentialflow_realm loc-level;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ISS_AUD}"
--- error_code: 403
--- response_headers
WWW-Authenticate: Bearer realm="loc-level", error="insufficient_scope", error_description="insufficient scope", scope="none"



=== TEST 48: a claim may not be forwarded in a header that frames the request or carries credentials (any spelling)
# A token holder whose claim lands in Content-Length or Transfer-Encoding could smuggle a
# second request to the upstream.
--- config
    underscores_in_headers on;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub Content_Length;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "Content_Length" in "credentialflow_forward_claim" directive, a claim may not set a header that frames the request, steers the connection or carries credentials in \S+nginx\.conf:\d+/



=== TEST 49: a claim may not be forwarded in the header the token is read from
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_header X-Api-Token;
        credentialflow_forward_claim sub x_api_token;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_forward_claim" may not set "x_api_token", the header the token is read from \("credentialflow_header"\) in \S+nginx\.conf:\d+/
