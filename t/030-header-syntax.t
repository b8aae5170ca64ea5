# Finding the token: the Authorization Bearer scheme (case-insensitive), syntax errors after
# it (invalid_token, 401: RFC 6750 §3.1 names a malformed token invalid_token; the module
# never answers 400 itself, so satisfy any keeps working), other schemes (no token), and a
# custom raw-token header.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: no Authorization header gets 401 with a bare Bearer challenge
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
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log eval
qr/\[info\] .*credentialflow: request refused \(missing\): no bearer token, client: 127\.0\.0\.1/
--- no_error_log eval
qr/no bearer token, token /



=== TEST 2: another scheme (Basic) counts as no bearer token
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
--- more_headers
Authorization: Basic dXNlcjpwYXNz
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
request refused (missing): no bearer token



=== TEST 3: the Bearer scheme is case-insensitive and extra blanks around the token are ignored
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
[("GET /api/hello.txt") x 3]
--- more_headers eval
["Authorization: bearer $ENV{TEST_NGINX_TOKEN_RS256}",
 "Authorization: BEARER $ENV{TEST_NGINX_TOKEN_RS256}",
 "Authorization: Bearer  \t $ENV{TEST_NGINX_TOKEN_RS256}"]
--- error_code eval
[200, 200, 200]
--- response_body eval
[("hello\n") x 3]



=== TEST 4: "Bearer" without a token gets 401 error="invalid_token"
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
--- more_headers
Authorization: Bearer
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="malformed credential header"
--- error_log
credentialflow: request refused (invalid): malformed credential header



=== TEST 5: junk after the token, a quoted token and non-token characters get 401 error="invalid_token"
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
[("GET /api/hello.txt") x 3]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256} extra",
 "Authorization: Bearer \"$ENV{TEST_NGINX_TOKEN_RS256}\"",
 "Authorization: Bearer abc,def"]
--- error_code eval
[401, 401, 401]
--- response_headers eval
[(qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="malformed credential header"}) x 3]



=== TEST 6: a well-formed bearer value that is not a 3-segment JWS gets error="invalid_token" "malformed token"
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
[("GET /api/hello.txt") x 3]
--- more_headers eval
["Authorization: Bearer abc.def",
 "Authorization: Bearer a.b.c.d.e",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}."]
--- error_code eval
[401, 401, 401]
--- response_headers eval
[(qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="malformed token"}) x 3]
--- error_log eval
qr/request refused \(invalid\): malformed token, token [0-9a-f]{8}/



=== TEST 7: "Bearer:" glued to the token is not the Bearer scheme, so no token was sent
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
"Authorization: Bearer:$ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"



=== TEST 8: two Authorization headers are refused by nginx itself with 400
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nAuthorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 400
--- response_headers
! WWW-Authenticate



=== TEST 9: a custom header carries the raw token, its name matched case-insensitively
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_header X-Api-Token;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
["X-Api-Token: $ENV{TEST_NGINX_TOKEN_RS256}", "x-api-token: $ENV{TEST_NGINX_TOKEN_RS256}"]
--- error_code eval
[200, 200]
--- response_body eval
["hello\n", "hello\n"]



=== TEST 10: with a custom header, a valid Authorization bearer token is ignored
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_header X-Api-Token;
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
WWW-Authenticate: Bearer realm="api"
--- error_log
request refused (missing): no bearer token



=== TEST 11: a custom header sent twice gets 401 "more than one credential header"
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_header X-Api-Token;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"X-Api-Token: $ENV{TEST_NGINX_TOKEN_RS256}\nx-API-token: $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="more than one credential header"
--- error_log
credentialflow: request refused (invalid): more than one credential header



=== TEST 12: a custom header holds the token alone: a "Bearer" prefix is a malformed credential, an empty value is no token
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_header X-Api-Token;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
["X-Api-Token: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", "X-Api-Token: "]
--- error_code eval
[401, 401]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="malformed credential header"},
 qq{WWW-Authenticate: Bearer realm="api"}]



=== TEST 13: credentialflow_header Authorization means the Bearer scheme, as by default
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_header authorization;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", "Authorization: $ENV{TEST_NGINX_TOKEN_RS256}"]
--- error_code eval
[200, 401]
--- response_headers eval
["WWW-Authenticate:", qq{WWW-Authenticate: Bearer realm="api"}]



=== TEST 14: credentialflow off in a nested location lets requests through without a token
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
        location /api/public/ {
            credentialflow off;
        }
    }
--- user_files
>>> api/hello.txt
hello
>>> api/public/hello.txt
public
--- request eval
["GET /api/public/hello.txt", "GET /api/hello.txt"]
--- error_code eval
[200, 401]
--- response_body_like eval
["^public\n\$", "401 Authorization Required"]



=== TEST 15: the module is off by default even where keys are configured
--- config
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    location /api/ {
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- error_code: 200
--- response_body
hello
--- no_error_log
request refused



=== TEST 16: with underscores_in_headers on, an "_" twin of the custom header is a second credential header
# CGI/WSGI upstreams fold X_Api_Token and X-Api-Token into one name: the twin must not slip past.
--- config
    underscores_in_headers on;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_header X-Api-Token;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
["X-Api-Token: $ENV{TEST_NGINX_TOKEN_RS256}\nX_Api_Token: $ENV{TEST_NGINX_TOKEN_EXPIRED}",
 "X_API_TOKEN: $ENV{TEST_NGINX_TOKEN_RS256}"]
--- error_code eval
[401, 200]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="more than one credential header"},
 "WWW-Authenticate:"]
