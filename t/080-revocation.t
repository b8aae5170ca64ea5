# credentialflow_revocation_file: jti/sub entries refuse tokens, and edits take effect within
# about a second without a reload. nginx itself edits the file between requests: an access_log
# whose format is "jti $arg_jti" appends a line to it, and auth_delay makes a request that
# waits long enough for the twice-a-second watcher to pick the change up.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: tokens whose jti or sub is listed at startup get 401 "token revoked"; others pass
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_revocation_file $TEST_NGINX_FIXTURES/revoked.txt;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(REVOKED_JTI REVOKED_SUB BOB)]
--- error_code eval
[401, 401, 200]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token revoked"},
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token revoked"},
 "WWW-Authenticate:"]



=== TEST 2: a revoked token is logged at info with its status and hash
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_revocation_file $TEST_NGINX_FIXTURES/revoked.txt;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_REVOKED_SUB}"
--- error_code: 401
--- error_log eval
qr/\[info\] .*credentialflow: request refused \(revoked\): token revoked, token [0-9a-f]{8}, client: /
--- no_error_log eval
[(split /\./, $ENV{TEST_NGINX_TOKEN_REVOKED_SUB})[1, 2]]



=== TEST 3: revocation wins over a missing scope (401, not 403)
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_revocation_file $TEST_NGINX_FIXTURES/revoked.txt;
        credentialflow_require_scope orders:read;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_REVOKED_JTI}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token revoked"



=== TEST 4: the revocation file set at server level applies to every location under it
--- config
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    credentialflow_revocation_file $TEST_NGINX_FIXTURES/revoked.txt;
    location /a/ {
        credentialflow on;
        root html;
    }
    location /b/ {
        credentialflow on;
        root html;
    }
--- user_files
>>> a/hello.txt
hello
>>> b/hello.txt
hello
--- request eval
["GET /a/hello.txt", "GET /b/hello.txt"]
--- more_headers eval
[("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_REVOKED_JTI}") x 2]
--- error_code eval
[401, 401]



=== TEST 5: a jti appended to the file while nginx runs is refused within a second, even on a cache hit
--- http_config
    log_format revoke_jti "jti $arg_jti";
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_revocation_file html/revoked.txt;
        add_header X-Status "[$credentialflow_status]" always;
        add_header X-Cache "[$credentialflow_cache]" always;
        root html;
    }
    location = /revoke {
        access_log html/revoked.txt revoke_jti;
        return 204;
    }
    location = /wait {
        auth_delay 1500ms;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
>>> revoked.txt
# empty at startup
--- request eval
["GET /api/hello.txt", "GET /revoke?jti=live-jti-1", "GET /wait", "GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}", "", "",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_BOB}"]
--- error_code eval
[200, 204, 401, 401, 200]
--- response_headers eval
["X-Status: [ok]\nX-Cache: [miss]", "", "",
 qq{X-Status: [revoked]\nX-Cache: [hit]\nWWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token revoked"},
 "X-Status: [ok]"]



=== TEST 6: a sub appended at run time is refused; a later malformed line keeps the previous list in force
--- http_config
    log_format revoke_sub "sub $arg_sub";
    log_format revoke_raw "$arg_line";
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_revocation_file html/revoked.txt;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
    location = /revoke {
        access_log html/revoked.txt revoke_sub;
        return 204;
    }
    location = /append {
        access_log html/revoked.txt revoke_raw;
        return 204;
    }
    location = /wait {
        auth_delay 1500ms;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
    location = /error.log {
        root logs;
    }
--- user_files
>>> api/hello.txt
hello
>>> revoked.txt
jti unrelated-jti
--- request eval
["GET /api/hello.txt", "GET /revoke?sub=carol", "GET /wait", "GET /api/hello.txt",
 "GET /append?line=bogus", "GET /wait", "GET /api/hello.txt", "GET /api/hello.txt", "GET /error.log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}", "", "",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}", "", "",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_BOB}", ""]
--- error_code eval
[200, 204, 401, 401, 204, 401, 401, 200, 200]
--- response_headers eval
["X-Status: [ok]", "", "", "X-Status: [revoked]", "", "", "X-Status: [revoked]", "X-Status: [ok]", ""]
--- response_body_like eval
["", "", "", "", "", "", "", "",
 qr/credentialflow: revocation file "[^"]*revoked\.txt" reloaded, 2 entries.*credentialflow: revocation file "[^"]*revoked\.txt": line 3: expected "jti", "kid", "sub" or "client_id"; keeping the previous list/s]
