# The module next to allow/deny and auth_basic under "satisfy all" and "satisfy any": with
# "any" another module's grant wins and withdraws the challenge; otherwise the refusal stands.
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: satisfy any + deny all: a valid token gets 200
--- config
    location /api/ {
        satisfy any;
        deny all;
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 200
--- response_body
hello



=== TEST 2: satisfy any + deny all: no token gets 401 with the challenge
--- config
    location /api/ {
        satisfy any;
        deny all;
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



=== TEST 3: satisfy any + deny all: an expired token gets 401 with error="invalid_token"
--- config
    location /api/ {
        satisfy any;
        deny all;
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



=== TEST 4: satisfy any + allow 127.0.0.1: no token gets 200 and no challenge
--- config
    location /api/ {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
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
--- response_headers
! WWW-Authenticate



=== TEST 5: satisfy any + allow 127.0.0.1: a bad token still gets 200 and no challenge
--- config
    location /api/ {
        satisfy any;
        allow 127.0.0.1;
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_WRONG_KEY}"
--- error_code: 200
--- response_body
hello
--- response_headers
! WWW-Authenticate



=== TEST 6: satisfy all (the default) + allowed IP: no token still gets 401
--- config
    location /api/ {
        allow 127.0.0.1;
        deny all;
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



=== TEST 7: satisfy all + deny all: a valid token is still denied with 403 by the access module
--- config
    location /api/ {
        deny all;
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 403
--- response_headers
! WWW-Authenticate
--- error_log
access forbidden by rule



=== TEST 8: satisfy any + deny all: a missing scope stays 403 with the insufficient_scope challenge
--- config
    location /api/ {
        satisfy any;
        deny all;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require_scope orders:read;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 403
--- response_headers
WWW-Authenticate: Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="orders:read"



=== TEST 9: satisfy any + auth_basic: Basic credentials get in without a token and without a challenge
--- config
    location /api/ {
        satisfy any;
        auth_basic "staff";
        auth_basic_user_file $TEST_NGINX_SERVER_ROOT/html/htpasswd;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
>>> htpasswd
# staff:s3cret, sent below as "Basic c3RhZmY6czNjcmV0"
staff:{PLAIN}s3cret
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
["Authorization: Basic c3RhZmY6czNjcmV0",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}",
 "Authorization: Basic c3RhZmY6d3Jvbmc="]
--- error_code eval
[200, 200, 401]
--- raw_response_headers_unlike eval
["WWW-Authenticate", "WWW-Authenticate", "WWW-Authenticate: Bearer realm=\"api\", error"]
--- raw_response_headers_like eval
["", "", "\r\nWWW-Authenticate: Bearer realm=\"api\"\r\n"]
