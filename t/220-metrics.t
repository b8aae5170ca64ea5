# credentialflow_metrics and credentialflow_metrics_label (issue 13): the Prometheus counters
# kept in the shared zone move as expected after known requests. Two workers; the protected
# server listens with reuseport behind a proxy location, so the kernel spreads the requests
# (and the scrape) over both: every count below is the sum over the workers.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

workers(2);
master_on();
no_shuffle();
log_level('info');
timeout(10);
run_tests();

__DATA__

=== TEST 1: decisions by label, credential kind and result; cache lookups; the verification histogram
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 reuseport;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        location /api/ {
            credentialflow on;
            credentialflow_metrics_label orders;
            root $TEST_NGINX_SERVER_ROOT/html;
        }
        location /admin/ {
            credentialflow on;
            credentialflow_require_scope orders:write;
            root $TEST_NGINX_SERVER_ROOT/html;
        }
        location = /metrics { credentialflow_metrics; }
    }
--- config
    location /api/ { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1; }
    location /admin/ { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1; }
    location = /metrics { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1; }
--- user_files
>>> api/x.txt
ok
>>> admin/x.txt
ok
--- request eval
["GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt",
 "GET /admin/x.txt", "GET /metrics"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}",
 "X-None: 1",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_TAMPERED}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCOPE_READ}",
 "X-None: 1"]
--- error_code eval
[200, 200, 401, 401, 401, 403, 200]
--- response_body_like eval
[qr/ok/, qr/ok/, qr/./, qr/./, qr/./, qr/./,
 qr/\A(?=[\s\S]*^# HELP credentialflow_decisions_total )(?=[\s\S]*^# TYPE credentialflow_decisions_total counter$)(?=[\s\S]*^credentialflow_decisions_total\{label="orders",credential="jwt",result="ok"\} 2$)(?=[\s\S]*^credentialflow_decisions_total\{label="orders",credential="none",result="missing"\} 1$)(?=[\s\S]*^credentialflow_decisions_total\{label="orders",credential="jwt",result="expired"\} 1$)(?=[\s\S]*^credentialflow_decisions_total\{label="orders",credential="jwt",result="invalid"\} 1$)(?=[\s\S]*^credentialflow_decisions_total\{label="default",credential="jwt",result="insufficient_scope"\} 1$)(?=[\s\S]*^credentialflow_decisions_total\{label="default",credential="jwt",result="ok"\} 0$)(?=[\s\S]*^credentialflow_cache_lookups_total\{result="miss"\} 4$)(?=[\s\S]*^credentialflow_cache_lookups_total\{result="worker_hit"\} (?:1[\s\S]*^credentialflow_cache_lookups_total\{result="shared_hit"\} 0|0[\s\S]*^credentialflow_cache_lookups_total\{result="shared_hit"\} 1)$)(?=[\s\S]*^credentialflow_cache_entries\{level="shared"\} 2$)(?=[\s\S]*^credentialflow_cache_entries\{level="worker"\} [23]$)(?=[\s\S]*^# TYPE credentialflow_verify_duration_seconds histogram$)(?=[\s\S]*^credentialflow_verify_duration_seconds_bucket\{le="\+Inf"\} 4$)(?=[\s\S]*^credentialflow_verify_duration_seconds_count 4$)(?=[\s\S]*^credentialflow_verify_duration_seconds_sum 0\.\d+$)(?=[\s\S]*^credentialflow_tokens_issued_total 0$)/m]
--- response_headers eval
["", "", "", "", "", "", "Content-Type: text/plain; version=0.0.4; charset=utf-8"]



=== TEST 2: the token endpoint: tokens issued and refusals by error; a metrics endpoint alone makes the zone
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /token { credentialflow_oauth_token; }
    location = /metrics { credentialflow_metrics; }
--- request eval
["POST /token\ngrant_type=client_credentials",
 "POST /token\ngrant_type=client_credentials",
 "POST /token\ngrant_type=client_credentials&scope=nope",
 "GET /metrics"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOndyb25n",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "X-None: 1"]
--- error_code eval
[200, 401, 400, 200]
--- response_body_like eval
[qr/access_token/, qr/invalid_client/, qr/invalid_scope/,
 qr/\A(?=[\s\S]*^credentialflow_tokens_issued_total 1$)(?=[\s\S]*^credentialflow_token_requests_refused_total\{error="invalid_client"\} 1$)(?=[\s\S]*^credentialflow_token_requests_refused_total\{error="invalid_scope"\} 1$)(?=[\s\S]*^credentialflow_token_requests_refused_total\{error="invalid_request"\} 0$)(?=[\s\S]*^# TYPE credentialflow_tokens_issued_total counter$)/m]



=== TEST 3: key fetches by source and result, and the age of the fetched key set
--- config
    location /idp/ {
        alias $TEST_NGINX_FIXTURES/keys/;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/idp/rsa/jwks.json;
        proxy_pass_request_headers off;
        subrequest_output_buffer_size 64k;
    }
    location = /_jwks_gone {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/idp/absent.json;
        proxy_pass_request_headers off;
    }
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key_request /_jwks;
        root html;
    }
    location /gone/ {
        credentialflow on;
        credentialflow_jwt_key_request /_jwks_gone;
        root html;
    }
    location = /metrics { credentialflow_metrics; }
--- user_files
>>> api/x.txt
ok
>>> gone/x.txt
ok
--- request eval
["GET /api/x.txt", "GET /gone/x.txt", "GET /metrics"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}",
 "X-None: 1"]
--- error_code eval
[200, 503, 200]
--- response_body_like eval
[qr/ok/, qr/./,
 qr/\A(?=[\s\S]*^credentialflow_key_fetches_total\{uri="\/_jwks",result="ok"\} 1$)(?=[\s\S]*^credentialflow_key_fetches_total\{uri="\/_jwks",result="failed"\} 0$)(?=[\s\S]*^credentialflow_key_fetches_total\{uri="\/_jwks_gone",result="failed"\} 1$)(?=[\s\S]*^credentialflow_key_set_age_seconds\{uri="\/_jwks"\} [0-9]$)(?![\s\S]*^credentialflow_key_set_age_seconds\{uri="\/_jwks_gone"\})(?=[\s\S]*^credentialflow_decisions_total\{label="default",credential="jwt",result="unavailable"\} 1$)/m]



=== TEST 4: revocations held in the zone, by kind; the endpoint answers GET and HEAD only
--- config
    credentialflow_revocation_file html/revoked.txt;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
    location = /metrics { credentialflow_metrics; }
--- user_files
>>> revoked.txt
jti a-1
jti a-2
sub mallory
client_id c-9
>>> api/x.txt
ok
--- request eval
["GET /api/x.txt", "GET /metrics", "POST /metrics\nx=1"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", "X-None: 1", "X-None: 1"]
--- error_code eval
[200, 200, 405]
--- response_body_like eval
[qr/ok/,
 qr/\A(?=[\s\S]*^credentialflow_revocations\{kind="jti"\} 2$)(?=[\s\S]*^credentialflow_revocations\{kind="kid"\} 0$)(?=[\s\S]*^credentialflow_revocations\{kind="sub"\} 1$)(?=[\s\S]*^credentialflow_revocations\{kind="client_id"\} 1$)(?=[\s\S]*^# TYPE credentialflow_revocations gauge$)/m,
 qr/./]



=== TEST 5: a label with a space is refused at nginx -t
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_metrics_label "orders api";
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "orders api" in "credentialflow_metrics_label" directive, a label is 1 to 64 letters/



=== TEST 6: the 64th label besides "default" is refused at nginx -t, with its line
--- config eval
CORE::join("", map { "    location /l$_/ { credentialflow_metrics_label l$_; }\n" } 1 .. 64)
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_metrics_label "l64": at most 64 metrics labels \("default" included\) can be named in \S+nginx\.conf:\d+/



=== TEST 7: credentialflow_metrics takes a location of its own
--- config
    location = /metrics {
        proxy_pass http://127.0.0.1:1;
        credentialflow_metrics;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_metrics": the location already has a content handler/



=== TEST 8: an API key's decisions are counted under credential="api_key", and $credentialflow_credential says so
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept jwt api_key;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        credentialflow_metrics_label keys;
        add_header X-Credential "[$credentialflow_credential|$credentialflow_jti]" always;
        root html;
    }
    location = /metrics { credentialflow_metrics; }
--- user_files
>>> k/x.txt
ok
--- request eval
["GET /k/x.txt", "GET /k/x.txt", "GET /k/x.txt", "GET /metrics"]
--- more_headers eval
["X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_EXPIRED}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", ""]
--- error_code eval
[200, 401, 200, 200]
--- response_headers eval
["X-Credential: [api_key|$ENV{TEST_NGINX_APIKEY_BILLING_ID}]", "X-Credential: [api_key|]", "X-Credential: [jwt|]", ""]
--- response_body_like eval
[qr/ok/, qr/./, qr/ok/,
 qr/\A(?=[\s\S]*^credentialflow_decisions_total\{label="keys",credential="api_key",result="ok"\} 1$)(?=[\s\S]*^credentialflow_decisions_total\{label="keys",credential="api_key",result="expired"\} 1$)(?=[\s\S]*^credentialflow_decisions_total\{label="keys",credential="jwt",result="ok"\} 1$)/m]
