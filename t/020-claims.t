# Claim policy: exp/nbf/iat with leeway, issuer, audience (string or array), required claims
# and strictly typed registered claims.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: expired token gets 401 with error="invalid_token" and "token expired"
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token expired"
--- error_log eval
qr/\[info\] .*credentialflow: request refused \(expired\): token expired, token [0-9a-f]{8}, client: 127\.0\.0\.1/
--- no_error_log eval
[(split /\./, $ENV{TEST_NGINX_TOKEN_EXPIRED})[2], '[error]']



=== TEST 2: token not valid before a future nbf gets 401 "token not yet valid"
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_NOT_YET_VALID}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token not yet valid"
--- error_log
credentialflow: request refused (not_yet_valid): token not yet valid, token



=== TEST 3: token issued in the future gets 401 "token issued in the future"
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_IAT_FUTURE}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token issued in the future"
--- error_log
credentialflow: request refused (invalid): token issued in the future, token



=== TEST 4: a 2h leeway accepts a token expired 1h ago, one valid in 1h and one issued in 1h
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_leeway 2h;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(EXPIRED NOT_YET_VALID IAT_FUTURE)]
--- error_code eval
[200, 200, 200]
--- response_body eval
[("hello\n") x 3]



=== TEST 5: a 30m leeway still refuses a token expired 1h ago and one valid in 1h
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_leeway 30m;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(EXPIRED NOT_YET_VALID)]
--- error_code eval
[401, 401]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token expired"},
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token not yet valid"}]



=== TEST 6: leeway set at server level is inherited by the location
--- config
    credentialflow_leeway 2h;
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}"
--- error_code: 200
--- response_body
hello



=== TEST 7: the configured issuer and audience are accepted
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_issuer https://issuer.example;
        credentialflow_audience api.example;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ISS_AUD}"
--- error_code: 200
--- response_body
hello



=== TEST 8: a wrong issuer gets 401 "issuer not accepted"
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_issuer https://issuer.example;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_WRONG_ISS}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="issuer not accepted"
--- error_log
credentialflow: request refused (invalid): issuer not accepted, token



=== TEST 9: a token without iss is refused where an issuer is configured
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_issuer https://issuer.example;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="issuer not accepted"



=== TEST 10: any of several configured issuers is accepted
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_issuer https://other.example https://evil.example;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(WRONG_ISS ISS_AUD)]
--- error_code eval
[200, 401]



=== TEST 11: issuers match exactly (no trailing slash, no case folding)
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_issuer https://issuer.example/ HTTPS://ISSUER.EXAMPLE;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ISS_AUD}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="issuer not accepted"



=== TEST 12: a wrong audience gets 401 "audience not accepted"
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_audience api.example;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_WRONG_AUD}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="audience not accepted"
--- error_log
credentialflow: request refused (invalid): audience not accepted, token



=== TEST 13: an aud array containing the configured audience is accepted
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_audience api.example;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_AUD_ARRAY}"
--- error_code: 200
--- response_body
hello



=== TEST 14: one of several configured audiences is enough; a token without aud is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_audience nobody.example other.example;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(WRONG_AUD AUD_ARRAY RS256)]
--- error_code eval
[200, 200, 401]
--- response_headers eval
["WWW-Authenticate:", "WWW-Authenticate:",
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="audience not accepted"}]



=== TEST 15: exp is required by default, so a token without it gets 401 "invalid or missing claims"
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_NO_EXP}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="invalid or missing claims"
--- error_log
credentialflow: request refused (invalid): invalid or missing claims, token



=== TEST 16: credentialflow_require_claims replaces the default, so a token without exp passes
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require_claims sub;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_NO_EXP}"
--- error_code: 200
--- response_body
hello



=== TEST 17: a required custom claim must be present
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require_claims exp tenant;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(TENANT RS256)]
--- error_code eval
[200, 401]
--- response_headers eval
["WWW-Authenticate:",
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="invalid or missing claims"}]



=== TEST 18: exp as a string is invalid, not absent, even where exp is not required
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require_claims sub;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXP_STRING}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="invalid or missing claims"



=== TEST 19: time checks come before issuer checks (an expired token from a wrong issuer is "expired")
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_issuer https://nobody.example;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token expired"
