# The audit trail (issue 13): $credentialflow_reason, _credential, _kid, _jti, _client_id,
# _scope and _token_hash in a JSON access log (log_format escape=json). The log file is served
# back through a location and matched line by line. A refused token is named by its
# fingerprint only, the same 8 hex digits as the error log's refusal line; kid, jti, client id
# and scope are only ever an accepted (or issued) token's. No token and no secret is logged.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';
use Digest::SHA qw(sha256_hex);

# The fingerprint the module prints: the first 4 bytes of the token's SHA-256, in hex.
for my $name (qw(LIVE_JTI TAMPERED EXPIRED SCOPE_READ VARS)) {
    $ENV{"TEST_NGINX_HASH_$name"} = substr(sha256_hex($ENV{"TEST_NGINX_TOKEN_$name"}), 0, 8);
}

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: issued tokens, accepted, refused and missing tokens each leave one JSON line with what identifies them, and nothing more
--- http_config
    log_format audit escape=json '{"uri":"$uri","status":$status,"auth":"$credentialflow_status","reason":"$credentialflow_reason","credential":"$credentialflow_credential","token":"$credentialflow_token_hash","kid":"$credentialflow_kid","jti":"$credentialflow_jti","client_id":"$credentialflow_client_id","scope":"$credentialflow_scope","request_id":"$request_id"}';
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=issuer-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /token {
        access_log logs/audit.log audit;
        credentialflow_oauth_token;
    }
    location /api/ {
        access_log logs/audit.log audit;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
    location = /audit { alias logs/audit.log; default_type text/plain; }
--- user_files
>>> api/x.txt
ok
--- request eval
["POST /token\ngrant_type=client_credentials",
 "POST /token\ngrant_type=client_credentials",
 "GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt", "GET /audit"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOndyb25n",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_TAMPERED}",
 "X-None: 1",
 "X-None: 1"]
--- error_code eval
[200, 401, 200, 401, 401, 200]
--- response_body_like eval
[qr/access_token/, qr/invalid_client/, qr/ok/, qr/./, qr/./,
 qr/\A\{"uri":"\/token","status":200,"auth":"","reason":"","credential":"","token":"[0-9a-f]{8}","kid":"issuer-1","jti":"[A-Za-z0-9_-]{22}","client_id":"svc","scope":"orders:read orders:write","request_id":"[0-9a-f]{32}"\}
\{"uri":"\/token","status":401,"auth":"","reason":"invalid_client","credential":"","token":"","kid":"","jti":"","client_id":"","scope":"","request_id":"[0-9a-f]{32}"\}
\{"uri":"\/api\/x.txt","status":200,"auth":"ok","reason":"","credential":"jwt","token":"$ENV{TEST_NGINX_HASH_LIVE_JTI}","kid":"rsa-1","jti":"live-jti-1","client_id":"","scope":"","request_id":"[0-9a-f]{32}"\}
\{"uri":"\/api\/x.txt","status":401,"auth":"invalid","reason":"signature_invalid","credential":"jwt","token":"$ENV{TEST_NGINX_HASH_TAMPERED}","kid":"","jti":"","client_id":"","scope":"","request_id":"[0-9a-f]{32}"\}
\{"uri":"\/api\/x.txt","status":401,"auth":"missing","reason":"missing","credential":"","token":"","kid":"","jti":"","client_id":"","scope":"","request_id":"[0-9a-f]{32}"\}
\z/]
--- no_error_log
svc-secret



=== TEST 2: an authentic token refused for its time or its scope shows only its fingerprint and the reason; a credentialflow_require refusal keeps the accepted token's identifiers
--- http_config
    log_format audit escape=json '{"status":$status,"auth":"$credentialflow_status","reason":"$credentialflow_reason","token":"$credentialflow_token_hash","kid":"$credentialflow_kid","jti":"$credentialflow_jti","sub":"$credentialflow_claim_sub","scope":"$credentialflow_scope"}';
    map $credentialflow_claim_sub $not_alice { default 1; alice 0; }
--- config
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    location /api/ {
        access_log logs/audit.log audit;
        credentialflow on;
        credentialflow_require_scope orders:write;
        root html;
    }
    location /rule/ {
        access_log logs/audit.log audit;
        credentialflow on;
        credentialflow_require $not_alice;
        root html;
    }
    location = /audit { alias logs/audit.log; default_type text/plain; }
--- user_files
>>> api/x.txt
ok
>>> rule/x.txt
ok
--- request eval
["GET /api/x.txt", "GET /api/x.txt", "GET /rule/x.txt", "GET /audit"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCOPE_READ}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCOPE_READ}",
 "X-None: 1"]
--- error_code eval
[401, 403, 403, 200]
--- response_body_like eval
[qr/./, qr/./, qr/./,
 qr/\A\{"status":401,"auth":"expired","reason":"expired","token":"$ENV{TEST_NGINX_HASH_EXPIRED}","kid":"","jti":"","sub":"","scope":""\}
\{"status":403,"auth":"insufficient_scope","reason":"insufficient_scope","token":"$ENV{TEST_NGINX_HASH_SCOPE_READ}","kid":"","jti":"","sub":"","scope":""\}
\{"status":403,"auth":"forbidden","reason":"rule_forbids","token":"$ENV{TEST_NGINX_HASH_SCOPE_READ}","kid":"rsa-1","jti":"","sub":"alice","scope":"orders:read"\}
\z/]



=== TEST 3: the variables are empty where the module is off
--- http_config
    log_format audit escape=json '{"auth":"$credentialflow_status","reason":"$credentialflow_reason","credential":"$credentialflow_credential","token":"$credentialflow_token_hash","kid":"$credentialflow_kid","client_id":"$credentialflow_client_id"}';
--- config
    location /plain/ {
        access_log logs/audit.log audit;
        root html;
    }
    location = /audit { alias logs/audit.log; default_type text/plain; }
--- user_files
>>> plain/x.txt
ok
--- request eval
["GET /plain/x.txt", "GET /audit"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}", "X-None: 1"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/ok/,
 qr/\A\{"auth":"","reason":"","credential":"","token":"","kid":"","client_id":""\}\n\z/]



=== TEST 4: $credentialflow_token_hash is the fingerprint the error log names the refused token by
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        add_header X-Token-Hash "$credentialflow_token_hash" always;
        root html;
    }
--- request
GET /api/x.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_TAMPERED}"
--- error_code: 401
--- response_headers eval
"X-Token-Hash: $ENV{TEST_NGINX_HASH_TAMPERED}"
--- error_log eval
qr/request refused \(invalid\): signature verification failed, token $ENV{TEST_NGINX_HASH_TAMPERED}, /
