# Token size limits, rate limiting keyed on a verified claim (variables read before the
# access phase), and one log line per refusal.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a token over credentialflow_max_token_size gets 401 "token too large"
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_max_token_size 100;
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
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token too large"
--- error_log eval
qr/\[info\] .*credentialflow: request refused \(invalid\): token too large, token [0-9a-f]{8}, client: /



=== TEST 2: a token within credentialflow_max_token_size passes
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_max_token_size 1k;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 200
--- response_body
hello



=== TEST 3: the default limit is 8k: 8192 bytes are parsed (malformed), 8193 are refused unread
--- config
    large_client_header_buffers 4 32k;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
["Authorization: Bearer " . ("a" x 8192), "Authorization: Bearer " . ("a" x 8193)]
--- error_code eval
[401, 401]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="malformed token"},
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token too large"}]



=== TEST 4: the size limit applies to a custom header too
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_header X-Api-Token;
        credentialflow_max_token_size 64;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"X-Api-Token: $ENV{TEST_NGINX_TOKEN_ES256}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token too large"



=== TEST 5: limit_req keyed on $credentialflow_claim_sub limits each verified subject (not each token) separately
--- http_config
    limit_req_zone $credentialflow_claim_sub zone=per_sub:1m rate=1r/m;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        limit_req zone=per_sub;
        limit_req_status 429;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 4]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(RS256 PS256 BOB BOB)]
--- error_code eval
[200, 429, 200, 429]



=== TEST 6: requests without a verified subject are not counted by limit_req and still get 401
--- http_config
    limit_req_zone $credentialflow_claim_sub zone=per_sub:1m rate=1r/m;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        limit_req zone=per_sub;
        limit_req_status 429;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 4]
--- more_headers eval
["", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_WRONG_KEY}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_WRONG_KEY}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"]
--- error_code eval
[401, 401, 401, 200]
--- response_headers eval
["X-Status: [missing]", "X-Status: [invalid]", "X-Status: [invalid]", "X-Status: [ok]"]



=== TEST 7: a refusal is logged once even when variables are read before and after the access phase
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        set $early $credentialflow_claim_sub;
        add_header X-Status "[$credentialflow_status] [$early]" always;
        root html;
    }
    location = /error.log {
        root logs;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /error.log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}", ""]
--- error_code eval
[401, 200]
--- response_headers eval
["X-Status: [expired] []", ""]
--- response_body_like eval
["", qr/\A(?:(?!request refused)[^\n]*\n)*[^\n]*request refused \(expired\)[^\n]*\n(?:(?!request refused)[^\n]*\n)*\z/]



=== TEST 8: replaying a victim's expired, other-audience or revoked tokens does not use up the victim's limit_req bucket
# Only a fully accepted token (signature, time, iss, aud, revocation) gives $credentialflow_claim_sub
# a value; the victim's stale tokens name "alice"/"revoked-user" but are not counted.
--- http_config
    limit_req_zone $credentialflow_claim_sub zone=per_sub:1m rate=1r/m;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_issuer https://issuer.example;
        credentialflow_audience api.example;
        credentialflow_leeway 1s;
        limit_req zone=per_sub;
        limit_req_status 429;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 4]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(EXPIRED WRONG_AUD WRONG_AUD ISS_AUD)]
--- error_code eval
[401, 401, 401, 200]
