# Fitting the module to an identity provider's tokens (issue 12): credentialflow_claim_set
# (nested claims into variables), credentialflow_require (any rule, with map),
# credentialflow_scope_claim (scp as a string or an array), credentialflow_allow_preflight
# and credentialflow_token (the token from any variable).
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: claim_set: nested members, every JSON type, absent paths and control characters
--- http_config
    credentialflow_claim_set $roles realm_access roles;
    credentialflow_claim_set $org_id org id;
    credentialflow_claim_set $org_active org active;
    credentialflow_claim_set $org_whole org;
    credentialflow_claim_set $org_none org none;
    credentialflow_claim_set $org_bad org bad;
    credentialflow_claim_set $org_missing org missing;
    credentialflow_claim_set $azp azp;
    credentialflow_claim_set $too_deep org id deeper;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        add_header X-Roles "[$roles]";
        add_header X-Org-Id "[$org_id]";
        add_header X-Org-Active "[$org_active]";
        add_header X-Org "[$org_whole]";
        add_header X-Org-None "[$org_none]";
        add_header X-Org-Bad "[$org_bad]";
        add_header X-Org-Missing "[$org_missing]";
        add_header X-Azp "[$azp]";
        add_header X-Too-Deep "[$too_deep]";
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KEYCLOAK}"
--- error_code: 200
--- response_headers
X-Roles: [offline_access billing-admin]
X-Org-Id: [7]
X-Org-Active: [true]
X-Org: [{"active":true,"bad":"a\nb","eu":false,"id":7,"name":"Acme","none":null}]
X-Org-None: [null]
X-Org-Bad: []
X-Org-Missing: []
X-Azp: [web-app]
X-Too-Deep: []
--- error_log
claim "org.bad" is empty: its value holds a control character



=== TEST 2: claim_set variables are empty for a refused token
--- http_config
    credentialflow_claim_set $roles realm_access roles;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_audience nobody;
        add_header X-Roles "[$roles]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KEYCLOAK}"
--- error_code: 401
--- response_headers
X-Roles: []



=== TEST 3: a variable defined twice is refused by nginx
--- http_config
    credentialflow_claim_set $roles realm_access roles;
    credentialflow_claim_set $roles groups;
--- config
    location / { return 200; }
--- must_die
--- error_log
the duplicate "roles" variable



=== TEST 4: require with map: a Keycloak role (regex over the joined roles), default 403 insufficient_scope; a role holding a space ("x billing-admin") keeps the array as JSON, so it never reads as the role "billing-admin"
--- http_config
    credentialflow_claim_set $roles realm_access roles;
    map $roles $is_billing_admin {
        default 0;
        "~(^| )billing-admin( |$)" 1;
    }
    map $roles $is_root {
        default 0;
        "~(^| )root( |$)" 1;
    }
--- config
    location /billing/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require $is_billing_admin;
        add_header X-Status $credentialflow_status always;
        add_header X-Roles $roles always;
        root html;
    }
    location /root/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require $is_root;
        add_header X-Status $credentialflow_status always;
        root html;
    }
--- user_files
>>> billing/x.txt
billing
>>> root/x.txt
root
--- request eval
["GET /billing/x.txt", "GET /root/x.txt", "GET /billing/x.txt", "GET /billing/x.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KEYCLOAK}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KEYCLOAK}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KEYCLOAK}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KEYCLOAK_SPACED}"]
--- error_code eval
[200, 403, 200, 403]
--- response_body_like eval
["billing", "403 Forbidden", "billing", "403 Forbidden"]
--- response_headers_like eval
["X-Roles: offline_access billing-admin", "", "", 'X-Roles: \["user","x billing-admin"\]']



=== TEST 5: a refused requirement: the challenge, $credentialflow_status, and error=401
--- http_config
    credentialflow_claim_set $azp azp;
    map $azp $azp_allowed {
        default 0;
        web-app 1;
        cli 1;
    }
    map $azp $azp_denied {
        default 1;
        web-app 0;
    }
--- config
    location /allowed/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require $azp_allowed;
        root html;
    }
    location /forbidden/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require $azp_denied;
        add_header X-Status $credentialflow_status always;
        root html;
    }
    location /unauthorized/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require $azp_allowed $azp_denied error=401;
        add_header X-Status $credentialflow_status always;
        root html;
    }
--- user_files
>>> allowed/x.txt
ok
--- request eval
["GET /allowed/x.txt", "GET /forbidden/x.txt", "GET /unauthorized/x.txt"]
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KEYCLOAK}"
--- error_code eval
[200, 403, 401]
--- response_headers_like eval
["", "X-Status: forbidden", "X-Status: invalid"]

--- raw_response_headers_like eval
["", 'WWW-Authenticate: Bearer realm="api", error="insufficient_scope", error_description="access rule not met"', 'WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token refused by an access rule"']



=== TEST 6: a refused requirement is logged once, with the token's fingerprint
--- http_config
    credentialflow_claim_set $roles realm_access roles;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require $roles;
        credentialflow_require $arg_pass;
        root html;
    }
--- request
GET /api/x.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KEYCLOAK}"
--- error_code: 403
--- error_log eval
qr/request refused \(forbidden\): access rule not met, token [0-9a-f]+/



=== TEST 7: require runs only for a valid token: an invalid one gets its own refusal
--- http_config
    credentialflow_claim_set $azp azp;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require $azp;
        root html;
    }
--- request
GET /api/x.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}"
--- error_code: 401
--- raw_response_headers_like: WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token expired"



=== TEST 8: require: bad arguments are refused at nginx -t with file and line
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require $host error=402;
    }
--- must_die
--- error_log eval
qr/invalid value "error=402" in "credentialflow_require" directive, it must be error=401 or error=403 in .*nginx\.conf:\d+/



=== TEST 9: require: a constant value is refused (it could never change the outcome)
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require yes;
    }
--- must_die
--- error_log
invalid value "yes" in "credentialflow_require" directive, a value without a variable is always the same



=== TEST 10: scope_claim scp: an array (Okta, node-oidc-provider) and a string (Entra ID) both grant
--- config
    location /orders/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_scope_claim scp;
        credentialflow_require_scope orders:read;
        add_header X-Scp "[$credentialflow_claim_scp]";
        root html;
    }
    location /admin/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_scope_claim scp;
        credentialflow_require_scope admin;
        root html;
    }
--- user_files
>>> orders/x.txt
orders
--- request eval
["GET /orders/x.txt", "GET /orders/x.txt", "GET /admin/x.txt", "GET /orders/x.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCP_ARRAY}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCP_STRING}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCP_ARRAY}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"]
--- error_code eval
[200, 200, 403, 403]
--- response_headers_like eval
["X-Scp: \\[orders:read profile\\]", "X-Scp: \\[orders:read profile\\]", "", ""]



=== TEST 11: scope_claim scp: a number, or an array item holding a space, is an invalid token (not a scope list)
--- config
    location /orders/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_scope_claim scp;
        root html;
    }
--- user_files
>>> orders/x.txt
orders
--- request eval
["GET /orders/x.txt", "GET /orders/x.txt", "GET /orders/x.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCP_NUMBER}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCP_SPACED}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCP_ARRAY}"]
--- error_code eval
[401, 401, 200]



=== TEST 12: allow_preflight: a CORS preflight passes without a token; a bare OPTIONS does not; off by default
--- config
    location /cors/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_allow_preflight on;
        root html;
    }
    location /strict/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> cors/x.txt
cors
>>> strict/x.txt
strict
--- request eval
["OPTIONS /cors/x.txt", "OPTIONS /cors/x.txt", "GET /cors/x.txt", "OPTIONS /strict/x.txt"]
--- more_headers eval
["Origin: https://app.example\nAccess-Control-Request-Method: GET", "Origin: https://app.example", "Origin: https://app.example\nAccess-Control-Request-Method: GET", "Origin: https://app.example\nAccess-Control-Request-Method: GET"]
--- error_code eval
[405, 401, 401, 401]



=== TEST 13: credentialflow_token from a cookie and from an argument; the Authorization header is then not read
--- config
    location /cookie/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_token $cookie_access_token;
        add_header X-Sub "[$credentialflow_claim_sub]";
        root html;
    }
    location /hook/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_token $arg_token;
        root html;
    }
--- user_files
>>> cookie/x.txt
cookie
>>> hook/x.txt
hook
--- request eval
["GET /cookie/x.txt", "GET /cookie/x.txt", "GET /hook/x.txt?token=$ENV{TEST_NGINX_TOKEN_RS256}", "GET /hook/x.txt?token=not.a.token", "GET /hook/x.txt"]
--- more_headers eval
["Cookie: theme=dark; access_token=$ENV{TEST_NGINX_TOKEN_RS256}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", "", "", ""]
--- error_code eval
[200, 401, 200, 401, 401]
--- response_headers_like eval
["X-Sub: \\[alice\\]", "", "", "", ""]



=== TEST 14: credentialflow_token needs a variable
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_token access_token;
    }
--- must_die
--- error_log
invalid value "access_token" in "credentialflow_token" directive, it must be a variable such as $cookie_token
