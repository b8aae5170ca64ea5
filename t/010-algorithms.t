# Every supported algorithm verifies with its key, in each key format; everything else
# (alg none, alg confusion, lying headers, other keys, unknown kids, tampering) is refused.
# Tokens and keys come from scripts/gen-fixtures.sh (TEST_NGINX_FIXTURES, TEST_NGINX_TOKEN_*).
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: HS256 token verifies with a 32-byte secret file
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/hs256/secret secret;
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
--- no_error_log
request refused
readable by group or others



=== TEST 2: HS256, HS384 and HS512 tokens all verify with a 64-byte secret
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/hs512/secret secret;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_HS384}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_HS512}"]
--- error_code eval
[200, 200]
--- response_body eval
["hello\n", "hello\n"]



=== TEST 3: HS384 token is refused where only a 32-byte secret is configured
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/hs256/secret secret;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_HS384}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="algorithm not allowed"
--- error_log
credentialflow: request refused (invalid): algorithm not allowed, token



=== TEST 4: HS256 token verifies with an oct key from a JWKS
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/hs256/jwks.json;
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



=== TEST 5: RS256, RS384, RS512, PS256, PS384 and PS512 tokens verify with one RSA PEM key
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 6]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(RS256 RS384 RS512 PS256 PS384 PS512)]
--- error_code eval
[(200) x 6]
--- response_body eval
[("hello\n") x 6]
--- no_error_log
request refused



=== TEST 6: ES256, ES384 and EdDSA tokens verify with their PEM keys
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ec256/public.pem;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ec384/public.pem;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ed25519/public.pem pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(ES256 ES384 EDDSA)]
--- error_code eval
[(200) x 3]
--- response_body eval
[("hello\n") x 3]



=== TEST 7: every asymmetric algorithm verifies with the combined JWKS (kid selects the key)
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/jwks.json jwks;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 9]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" }
     qw(RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EDDSA)]
--- error_code eval
[(200) x 9]
--- response_body eval
[("hello\n") x 9]



=== TEST 8: a JWKS "use":"enc" key is skipped with a warning and its tokens get no key
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/with-enc.jwks.json;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ENC_KEY}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="no key for this token"
--- error_log eval
[qr/\[warn\] .*credentialflow_jwt_key "[^"]*with-enc\.jwks\.json": skipped key "enc-1" is not for signatures \("use"\) in \S+nginx\.conf:\d+/,
 "credentialflow: request refused (invalid): no key for this token, token "]



=== TEST 9: a JWKS kid that names no key gets 401 "no key for this token"
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/jwks.json;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_UNKNOWN_KID}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="no key for this token"



=== TEST 10: a PEM key has no kid, so it verifies a token whatever its kid
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_UNKNOWN_KID}"
--- error_code: 200
--- response_body
hello



=== TEST 11: credentialflow_algorithms limits what is accepted even when the key could verify more
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_algorithms RS256 RS512;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 4]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(RS256 RS512 PS256 RS384)]
--- error_code eval
[200, 200, 401, 401]
--- response_headers eval
["WWW-Authenticate:", "WWW-Authenticate:",
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="algorithm not allowed"},
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="algorithm not allowed"}]



=== TEST 12: alg "none" is refused: unsigned as malformed, with a signature as an unsupported header
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/hs256/secret secret;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(ALG_NONE ALG_NONE_SIGNED)]
--- error_code eval
[401, 401]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="malformed token"},
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="unsupported token header"}]



=== TEST 13: a header with "crit" is refused as unsupported
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_CRIT}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="unsupported token header"
--- error_log
credentialflow: request refused (invalid): unsupported token header, token



=== TEST 14: HS256 signed with the RSA public key (alg confusion) is not an allowed algorithm for RSA keys
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ALG_CONFUSION}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="algorithm not allowed"



=== TEST 15: alg confusion fails the signature check where an HMAC secret is configured too
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/hs256/secret secret;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(ALG_CONFUSION RS256 HS256)]
--- error_code eval
[401, 200, 200]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="signature verification failed"},
 "WWW-Authenticate:", "WWW-Authenticate:"]



=== TEST 16: an ES256 signature under a header claiming RS256 fails verification
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/jwks.json;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ALG_LIE}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="signature verification failed"



=== TEST 17: tokens signed by untrusted RSA and EC keys with trusted kids fail verification
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/jwks.json;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(WRONG_KEY WRONG_KEY_EC)]
--- error_code eval
[401, 401]
--- response_headers eval
[(qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="signature verification failed"}) x 2]



=== TEST 18: a payload swapped under a valid signature fails verification, and the log names the token by hash only
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_TAMPERED}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="signature verification failed"
--- error_log eval
qr/\[info\] .*credentialflow: request refused \(invalid\): signature verification failed, token [0-9a-f]{8}, client: /
--- no_error_log eval
[(split /\./, $ENV{TEST_NGINX_TOKEN_TAMPERED})[1, 2]]



=== TEST 19: keys set in a location replace the inherited ones
--- config
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    location /api/ {
        credentialflow on;
        root html;
    }
    location /ec/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ec256/public.pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
>>> ec/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /ec/hello.txt", "GET /ec/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(RS256 RS256 ES256 ES256)]
--- error_code eval
[200, 401, 200, 401]
--- response_headers eval
["WWW-Authenticate:",
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="algorithm not allowed"},
 "WWW-Authenticate:",
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="algorithm not allowed"}]



=== TEST 20: a relative key path is read from the nginx prefix
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key html/keys/rsa.pem;
        root html;
    }
--- user_files eval
[["api/hello.txt", "hello\n"],
 ["keys/rsa.pem", do { open my $fh, '<', "$ENV{TEST_NGINX_FIXTURES}/keys/rsa/public.pem" or die $!; local $/; <$fh> }]]
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 200
--- response_body
hello



=== TEST 21: a JWK's "alg" pins its key: a PS256 token cannot use a key published for RS256
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/jwks.json;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(RS256 PS256)]
--- error_code eval
[200, 401]
--- response_headers eval
["WWW-Authenticate:",
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="algorithm not allowed"}]
