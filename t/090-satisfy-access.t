# The module next to allow/deny and auth_basic under "satisfy all" and "satisfy any": with
# "any" another module's grant wins and withdraws the challenge; otherwise the refusal stands.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
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



=== TEST 10: satisfy any + allow: a request without a token cannot forge a forwarded header (any case, "_" for "-")
# Another module grants access, so the module's verdict is a refusal; the client's copies of
# every forwarded header are removed all the same (in the rewrite phase, before any access module).
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "user=[$http_x_user] var=[$http_x_var_user] status=[$http_x_status]\n";
        }
    }
--- config
    underscores_in_headers on;
    location /api/ {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        credentialflow_revocation_file $TEST_NGINX_FIXTURES/revoked.txt;
        proxy_set_header X-Var-User $credentialflow_claim_sub;
        proxy_set_header X-Status $credentialflow_status;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
[("GET /api/orders") x 4]
--- more_headers eval
["X-User: admin",
 "x_user: admin\nAuthorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}",
 "X-USER: admin\nAuthorization: Bearer $ENV{TEST_NGINX_TOKEN_REVOKED_SUB}",
 "X-User: admin\nAuthorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"]
--- error_code eval
[200, 200, 200, 200]
--- response_body eval
["user=[] var=[] status=[missing]\n", "user=[] var=[] status=[expired]\n",
 "user=[] var=[] status=[revoked]\n", "user=[alice] var=[alice] status=[ok]\n"]
--- raw_response_headers_unlike eval
[("WWW-Authenticate") x 4]



=== TEST 11: satisfy any + auth_basic: Basic credentials do not let a forged forwarded header through
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "user=[$http_x_user]\n";
        }
    }
--- config
    location /api/ {
        satisfy any;
        auth_basic "staff";
        auth_basic_user_file $TEST_NGINX_SERVER_ROOT/html/htpasswd;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- user_files
>>> htpasswd
# staff:s3cret, sent below as "Basic c3RhZmY6czNjcmV0"
staff:{PLAIN}s3cret
--- request
GET /api/orders
--- more_headers
Authorization: Basic c3RhZmY6czNjcmV0
X-User: admin
--- error_code: 200
--- response_body
user=[]



=== TEST 12: a malformed credential is 401 invalid_token, never 400, so that under satisfy any allow can still grant access
# nginx's access phase lets the next module decide only after a 401 or 403.
--- config
    location /allowed/ {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
    location /denied/ {
        satisfy any;
        deny all;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
    location /all/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> allowed/hello.txt
hello
>>> denied/hello.txt
hello
>>> all/hello.txt
hello
--- request eval
["GET /allowed/hello.txt", "GET /denied/hello.txt", "GET /all/hello.txt"]
--- more_headers eval
[("Authorization: Bearer a,b") x 3]
--- error_code eval
[200, 401, 401]
--- response_headers eval
["WWW-Authenticate:",
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="malformed credential header"},
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="malformed credential header"}]
