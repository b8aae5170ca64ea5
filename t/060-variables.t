# $credentialflow_claim_<name>, $credentialflow_header_alg|kid|typ, $credentialflow_status:
# their values, where they are empty, and reading them before the access phase.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: claim variables: strings as-is, numbers as JSON text, string arrays space-joined, the rest compact JSON; names are exact (nginx lower-cases variable names, so userId and Dup are out of reach)
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        add_header X-Sub "[$credentialflow_claim_sub]";
        add_header X-Iss "[$credentialflow_claim_iss]";
        add_header X-N "[$credentialflow_claim_n]";
        add_header X-F "[$credentialflow_claim_f]";
        add_header X-Arr "[$credentialflow_claim_arr]";
        add_header X-Mixed "[$credentialflow_claim_mixed]";
        add_header X-Obj "[$credentialflow_claim_obj]";
        add_header X-Flag "[$credentialflow_claim_flag]";
        add_header X-Greeting "[$credentialflow_claim_greeting]";
        add_header X-Missing "[$credentialflow_claim_no_such_claim]";
        add_header X-User-Id "[$credentialflow_claim_userId]";
        add_header X-Dup "[$credentialflow_claim_dup]";
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_VARS}"
--- error_code: 200
--- response_headers
X-Sub: [alice]
X-Iss: [https://issuer.example]
X-N: [42]
X-F: [1.5]
X-Arr: [a b]
X-Mixed: [["a",1]]
X-Obj: [{"k":true}]
X-Flag: [true]
X-Greeting: [hello world]
X-Missing: []
X-User-Id: []
X-Dup: []



=== TEST 2: exp, iat and a claim name with an underscore are readable as variables
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        add_header X-Exp "[$credentialflow_claim_exp]";
        add_header X-Iat "[$credentialflow_claim_iat]";
        add_header X-Tenant "[$credentialflow_claim_tenant_id]";
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_FWD}"
--- error_code: 200
--- response_headers_like
X-Exp: \[\d{10}\]
X-Iat: \[\d{10}\]
X-Tenant: \[42\]



=== TEST 3: header variables give alg, kid and typ; kid is empty when the token has none
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/hs512/secret secret;
        add_header X-Alg "[$credentialflow_header_alg]";
        add_header X-Kid "[$credentialflow_header_kid]";
        add_header X-Typ "[$credentialflow_header_typ]";
        add_header X-Other "[$credentialflow_header_jku]";
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(VARS HS512)]
--- error_code eval
[200, 200]
--- response_headers eval
["X-Alg: [RS256]\nX-Kid: [rsa-1]\nX-Typ: [at+jwt]\nX-Other: []",
 "X-Alg: [HS512]\nX-Kid: []\nX-Typ: [JWT]\nX-Other: []"]



=== TEST 4: $credentialflow_status names every outcome: ok, missing, invalid, expired, not_yet_valid, revoked, insufficient_scope
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_revocation_file $TEST_NGINX_FIXTURES/revoked.txt;
        credentialflow_require_scope orders:read;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 8]
--- more_headers eval
[map { $_ eq "" ? "" : "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" }
     ("SCOPE_READ", "", "WRONG_KEY", "EXPIRED", "NOT_YET_VALID", "REVOKED_JTI", "RS256", "IAT_FUTURE")]
--- error_code eval
[200, 401, 401, 401, 401, 401, 403, 401]
--- response_headers eval
["X-Status: [ok]", "X-Status: [missing]", "X-Status: [invalid]", "X-Status: [expired]",
 "X-Status: [not_yet_valid]", "X-Status: [revoked]", "X-Status: [insufficient_scope]",
 "X-Status: [invalid]"]



=== TEST 5: variables are empty where the module is off
--- config
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    location /open/ {
        add_header X-Status "[$credentialflow_status]";
        add_header X-Sub "[$credentialflow_claim_sub]";
        add_header X-Alg "[$credentialflow_header_alg]";
        add_header X-Cache "[$credentialflow_cache]";
        root html;
    }
--- user_files
>>> open/hello.txt
hello
--- request
GET /open/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"
--- error_code: 200
--- response_headers
X-Status: []
X-Sub: []
X-Alg: []
X-Cache: []



=== TEST 6: claim and header variables are empty for an authentic but refused token (expired, wrong audience, revoked, missing scope) as for a bad signature
--- config
    add_header X-Sub "[$credentialflow_claim_sub]" always;
    add_header X-Alg "[$credentialflow_header_alg]" always;
    add_header X-Status "[$credentialflow_status]" always;
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    location /api/ {
        credentialflow on;
        credentialflow_revocation_file $TEST_NGINX_FIXTURES/revoked.txt;
        root html;
    }
    location /aud/ {
        credentialflow on;
        credentialflow_audience api.example;
        root html;
    }
    location /scoped/ {
        credentialflow on;
        credentialflow_require_scope orders:write;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
>>> aud/hello.txt
hello
>>> scoped/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt", "GET /api/hello.txt", "GET /aud/hello.txt",
 "GET /scoped/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
[(map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(EXPIRED WRONG_KEY REVOKED_SUB WRONG_AUD SCOPE_READ RS256))]
--- error_code eval
[401, 401, 401, 401, 403, 200]
--- response_headers eval
["X-Sub: []\nX-Alg: []\nX-Status: [expired]", "X-Sub: []\nX-Alg: []\nX-Status: [invalid]",
 "X-Sub: []\nX-Alg: []\nX-Status: [revoked]", "X-Sub: []\nX-Alg: []\nX-Status: [invalid]",
 "X-Sub: []\nX-Alg: []\nX-Status: [insufficient_scope]", "X-Sub: [alice]\nX-Alg: [RS256]\nX-Status: [ok]"]



=== TEST 7: a claim read in the rewrite phase (before access) verifies then, and access still refuses bad tokens
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        set $who "[$credentialflow_claim_sub]";
        add_header X-Who $who always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_BOB}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_WRONG_KEY}", ""]
--- error_code eval
[200, 401, 401]
--- response_headers eval
["X-Who: [bob]", "X-Who: []", "X-Who: []"]



=== TEST 8: a server-level read before the location is chosen does not stand in for the location's decision
--- config
    set $early "[$credentialflow_status]";
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        add_header X-Early $early always;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}"]
--- error_code eval
[200, 401]
--- response_headers eval
["X-Early: []\nX-Status: [ok]", "X-Early: []\nX-Status: [expired]"]



=== TEST 9: a decision made with the server's settings is made again with the location's
--- config
    credentialflow on;
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    set $early "[$credentialflow_status]";
    location /api/ {
        credentialflow_require_scope orders:read;
        add_header X-Early $early always;
        add_header X-Status "[$credentialflow_status]" always;
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
X-Early: [ok]
X-Status: [insufficient_scope]



=== TEST 10: variables in an access log format record each request's outcome
--- http_config
    log_format cf "$credentialflow_status sub=$credentialflow_claim_sub alg=$credentialflow_header_alg";
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        access_log logs/cf.log cf;
        root html;
    }
    location = /cf.log {
        root logs;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3, "GET /cf.log"]
--- more_headers eval
[(map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(RS256 EXPIRED WRONG_KEY)), ""]
--- error_code eval
[200, 401, 401, 200]
--- response_body_like eval
["\\Ahello\n\\z", "401 Authorization Required", "401 Authorization Required",
 "\\Aok sub=alice alg=RS256\nexpired sub=- alg=-\ninvalid sub=- alg=-\n\\z"]



=== TEST 11: subrequests (SSI include) read the main request's claims and status
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        ssi on;
        ssi_types text/plain;
        root html;
    }
    location = /inner {
        return 200 "inner sub=[$credentialflow_claim_sub] status=[$credentialflow_status]";
    }
--- user_files
>>> api/page.txt
main sub=[<!--# echo var="credentialflow_claim_sub" -->] <!--# include virtual="/inner" -->
--- request
GET /api/page.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_BOB}"
--- error_code: 200
--- response_body
main sub=[bob] inner sub=[bob] status=[ok]



=== TEST 12: a claim holding CR/LF never reaches a variable, so proxy_set_header cannot inject a header
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "email=[$http_x_email] injected=[$http_x_injected] sub=[$http_x_sub]\n";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        proxy_set_header X-Email $credentialflow_claim_email;
        proxy_set_header X-Sub $credentialflow_claim_sub;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api/orders
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_FWD_CRLF}"
--- error_code: 200
--- response_body
email=[] injected=[] sub=[alice]
--- error_log
credentialflow: $credentialflow_claim_email is empty: the claim's value holds a control character



=== TEST 13: after an internal redirect (X-Accel-Redirect) the access log still records the request's verdict
--- http_config
    log_format cf "$uri $credentialflow_status sub=$credentialflow_claim_sub";
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            add_header X-Accel-Redirect /files/hello.txt;
            return 200 "";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location /files/ {
        internal;
        root html;
        access_log logs/cf.log cf;
    }
    location = /cf.log {
        root logs;
    }
--- user_files
>>> files/hello.txt
hello
--- request eval
["GET /api/orders", "GET /cf.log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_BOB}", ""]
--- error_code eval
[200, 200]
--- response_body eval
["hello\n", "/files/hello.txt ok sub=bob\n"]



=== TEST 14: a subrequest into a protected location (which skips the access phase) never carries a client's copy of a forwarded header
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "user=[$http_x_user]";
        }
    }
--- config
    location /page/ {
        ssi on;
        ssi_types text/plain;
        root html;
    }
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- user_files
>>> page/index.txt
page <!--# include virtual="/api/who" -->
--- request
GET /page/index.txt
--- more_headers
X-User: admin
--- error_code: 200
--- response_body
page user=[]



=== TEST 15: a kid or typ holding CR/LF never reaches $credentialflow_header_kid/typ
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "kid=[$http_x_kid] typ=[$http_x_typ] alg=[$http_x_alg] injected=[$http_x_injected$http_x_typ_injected]\n";
        }
    }
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        proxy_set_header X-Kid $credentialflow_header_kid;
        proxy_set_header X-Typ $credentialflow_header_typ;
        proxy_set_header X-Alg $credentialflow_header_alg;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /api/orders
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KID_CRLF}"
--- error_code: 200
--- response_body
kid=[] typ=[] alg=[RS256] injected=[]
