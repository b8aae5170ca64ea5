# credentialflow_forward_claim: verified claims reach the upstream in request headers; the
# client's own copies of those headers (any case, "_" for "-") never do; values with control
# characters are withheld (never sent). The upstream is an echo server that prints what it
# received.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: forwarded claims reach the upstream: strings as-is, arrays space-joined, numbers and objects as JSON
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "user=[$http_x_user] email=[$http_x_user_email] roles=[$http_x_roles] tenant=[$http_x_tenant] profile=[$http_x_profile]\n";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        credentialflow_forward_claim email X-User-Email;
        credentialflow_forward_claim roles X-Roles;
        credentialflow_forward_claim tenant_id X-Tenant;
        credentialflow_forward_claim profile X-Profile;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api/orders
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_FWD}"
--- error_code: 200
--- response_body
user=[alice] email=[alice@example.com] roles=[admin dev] tenant=[42] profile=[{"level":3}]



=== TEST 2: client-sent copies of forwarded headers are removed, in any case and with underscores
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        underscores_in_headers on;
        location / {
            return 200 "user=[$http_x_user] email=[$http_x_user_email] other=[$http_x_other] host=[$http_host]\n";
        }
    }
--- config
    underscores_in_headers on;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        credentialflow_forward_claim email X-User-Email;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        proxy_set_header Host upstream.example;
    }
--- request
GET /api/orders
--- more_headers eval
"X-User: mallory
x-user: mallory2
X_User: mallory3
X-USER_email: evil\@example.com
X-Other: kept
Authorization: Bearer $ENV{TEST_NGINX_TOKEN_FWD}"
--- error_code: 200
--- response_body
user=[alice] email=[alice@example.com] other=[kept] host=[upstream.example]



=== TEST 3: a claim the token lacks is not forwarded, and the client's copy is still removed
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "user=[$http_x_user] email=[$http_x_user_email]\n";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        credentialflow_forward_claim email X-User-Email;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api/orders
--- more_headers eval
"X-User-Email: spoofed\@example.com
Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 200
--- response_body
user=[alice] email=[]



=== TEST 4: a forwarded claim holding CR/LF is withheld: the upstream gets neither it nor an injected header, and it is logged
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "upstream reached user=[$http_x_user] email=[$http_x_user_email] injected=[$http_x_injected]\n";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        credentialflow_forward_claim email X-User-Email;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api/orders
--- more_headers eval
"X-User-Email: spoofed\@example.com
Authorization: Bearer $ENV{TEST_NGINX_TOKEN_FWD_CRLF}"
--- error_code: 200
--- response_body
upstream reached user=[alice] email=[] injected=[]
--- error_log eval
qr/\[info\] .*credentialflow: claim "email" not forwarded: its value holds a control character, token [0-9a-f]{8}/



=== TEST 5: LF, NUL and a CR in sub are withheld the same way; the other claims still travel
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "user=[$http_x_user] email=[$http_x_user_email] injected=[$http_x_injected]\n";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        credentialflow_forward_claim email X-User-Email;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
[("GET /api/orders") x 3]
--- more_headers eval
[map { "X-User: mallory\nAuthorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(FWD_LF FWD_NUL FWD_SUB_CR)]
--- error_code eval
[200, 200, 200]
--- response_body eval
["user=[alice] email=[] injected=[]\n", "user=[alice] email=[] injected=[]\n", "user=[] email=[] injected=[]\n"]



=== TEST 6: a control character in a claim that is not forwarded does not matter
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "user=[$http_x_user]\n";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api/orders
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_FWD_CRLF}"
--- error_code: 200
--- response_body
user=[alice]



=== TEST 7: forwarded claims set at server level are inherited and stripped in every location
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "$uri user=[$http_x_user]\n";
        }
    }
--- config
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    credentialflow_forward_claim sub X-User;
    location /a/ {
        credentialflow on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location /b/ {
        credentialflow on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /a/x", "GET /b/y"]
--- more_headers eval
[map { "X-User: mallory\nAuthorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(RS256 BOB)]
--- error_code eval
[200, 200]
--- response_body eval
["/a/x user=[alice]\n", "/b/y user=[bob]\n"]



=== TEST 8: proxy_set_header with $credentialflow_claim_sub replaces a spoofed header
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "sub=[$http_x_sub]\n";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        proxy_set_header X-Sub $credentialflow_claim_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api/orders
--- more_headers eval
"X-Sub: mallory
Authorization: Bearer $ENV{TEST_NGINX_TOKEN_BOB}"
--- error_code: 200
--- response_body
sub=[bob]



=== TEST 9: without credentialflow_forward_claim, client headers pass through untouched
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "user=[$http_x_user]\n";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api/orders
--- more_headers eval
"X-User: client-value
Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 200
--- response_body
user=[client-value]



=== TEST 10: stripping spoofed headers still works with many client headers (the header list is rebuilt)
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "user=[$http_x_user] email=[$http_x_user_email] h1=[$http_x_h1] h40=[$http_x_h40] last=[$http_x_last]\n";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        credentialflow_forward_claim email X-User-Email;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api/orders
--- more_headers eval
do { my $h = ""; $h .= "X-H$_: v$_\n" for 1 .. 40; $h }
    . "X-User: mallory\nX-Last: end\nX-User: mallory2\nAuthorization: Bearer $ENV{TEST_NGINX_TOKEN_FWD}"
--- error_code: 200
--- response_body
user=[alice] email=[alice@example.com] h1=[v1] h40=[v40] last=[end]



=== TEST 11: a forwarded header configured with an underscore also strips the client's copies
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        underscores_in_headers on;
        location / {
            return 200 "user=[$http_x_user]\n";
        }
    }
--- config
    underscores_in_headers on;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X_User;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
[("GET /api/orders") x 3]
--- more_headers eval
[map { "$_: mallory\nAuthorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}" } qw(X_User X-User x_user)]
--- error_code eval
[200, 200, 200]
--- response_body eval
[("user=[alice]\n") x 3]
