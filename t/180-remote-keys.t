# Keys fetched from an identity provider (issue 12): credentialflow_jwt_key_request and
# credentialflow_jwt_key_cache. The IdP is a location of the same nginx (/idp/, the fixture
# key directory) reached through a real proxy hop, as a production IdP would be; which JWKS it
# serves is chosen by the X-Jwks header of the request that triggers the fetch (a subrequest
# carries its parent's headers), so a test can rotate the IdP's keys between two requests.
# Every fetch is one line in logs/idp.log, which /idp-log serves back for counting.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a cold key set is fetched once, then used; the refresh is logged with its kids
--- http_config
    credentialflow_zone 1m;
--- config
    location /idp/ {
        access_log logs/idp.log;
        alias $TEST_NGINX_FIXTURES/keys/;
    }
    location = /idp-log { alias logs/idp.log; default_type text/plain; }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/idp/$http_x_jwks;
        proxy_pass_request_headers off;
        subrequest_output_buffer_size 64k;
    }
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key_request /_jwks;
        root html;
    }
--- user_files
>>> api/x.txt
ok
--- request eval
["GET /api/x.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: rsa/jwks.json"]
--- error_code: 200
--- response_body_like: ok
--- error_log
keys from "/_jwks" refreshed: 1 key(s), kid rsa-1



=== TEST 2: rotation: a new kid is fetched at once and accepted without a reload; a key that left the set is refused, cached verifications included
--- config
    location /idp/ {
        access_log logs/idp.log;
        alias $TEST_NGINX_FIXTURES/keys/;
    }
    location = /idp-log { alias logs/idp.log; default_type text/plain; }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/idp/$http_x_jwks;
        proxy_pass_request_headers off;
    }
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key_request /_jwks;
        credentialflow_jwt_key_cache 10m refresh=0s;
        add_header X-Cache $credentialflow_cache always;
        root html;
    }
--- user_files
>>> api/x.txt
ok
--- request eval
["GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt", "GET /idp-log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: rsa/jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: rsa/jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ES256}\nX-Jwks: ec256/jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: ec256/jwks.json", ""]
--- error_code eval
[200, 200, 200, 401, 200]
--- response_headers_like eval
["X-Cache: miss", "X-Cache: hit", "X-Cache: miss", "X-Cache: miss", ""]
--- response_body_like eval
["ok", "ok", "ok", "Authorization Required", "\\A[^\\n]*rsa/jwks[^\\n]*\\n[^\\n]*ec256/jwks[^\\n]*\\n[^\\n]*ec256/jwks[^\\n]*\\n\\z"]



=== TEST 3: unknown kids fetch at most once per refresh interval (a stream of them is no flood towards the IdP)
--- config
    location /idp/ {
        access_log logs/idp.log;
        alias $TEST_NGINX_FIXTURES/keys/;
    }
    location = /idp-log { alias logs/idp.log; default_type text/plain; }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/idp/$http_x_jwks;
        proxy_pass_request_headers off;
    }
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key_request /_jwks;
        credentialflow_jwt_key_cache 1h refresh=1h;
        root html;
    }
--- user_files
>>> api/x.txt
ok
--- request eval
["GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt", "GET /idp-log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: rsa/jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ES256}\nX-Jwks: ec256/jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ES256}\nX-Jwks: ec256/jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: ec256/jwks.json", ""]
--- error_code eval
[200, 401, 401, 200, 200]
--- response_body_like eval
["ok", "", "", "ok", "\\A[^\\n]*rsa/jwks[^\\n]*\\n\\z"]



=== TEST 4: the IdP answers 404, then sends malformed JSON: the last good set stays in force; the failure is logged once per streak
--- config
    location /idp/ {
        access_log logs/idp.log;
        alias $TEST_NGINX_FIXTURES/keys/;
    }
    location = /error-log { alias logs/error.log; default_type text/plain; }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/idp/$http_x_jwks;
        proxy_pass_request_headers off;
    }
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key_request /_jwks;
        credentialflow_jwt_key_cache 10m refresh=0s;
        root html;
    }
--- user_files
>>> api/x.txt
ok
--- request eval
["GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt", "GET /error-log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: rsa/jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ES256}\nX-Jwks: no-such.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ES256}\nX-Jwks: malformed.jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: malformed.jwks.json", ""]
--- error_code eval
[200, 401, 401, 200, 200]
--- response_body_like eval
["ok", "", "", "ok", qr/\A(?=.*refreshed: 1 key)(?=.*cannot fetch keys from "\/_jwks": status 404; the last good key set)(?:(?!cannot fetch).)*cannot fetch(?:(?!cannot fetch).)*\z/s]



=== TEST 5: IdP unreachable and no key set ever fetched: 503 without a challenge (never 401, never 200), one fetch per refresh interval
--- config
    location = /error-log { alias logs/error.log; default_type text/plain; }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:1/jwks.json;
        proxy_connect_timeout 1s;
    }
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key_request /_jwks;
        add_header X-Status $credentialflow_status always;
        root html;
    }
--- user_files
>>> api/x.txt
ok
--- request eval
["GET /api/x.txt", "GET /api/x.txt", "GET /error-log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", ""]
--- error_code eval
[503, 503, 200]
--- response_headers_like eval
["X-Status: unavailable", "X-Status: unavailable", ""]
--- raw_response_headers_unlike eval
["WWW-Authenticate", "WWW-Authenticate", "WWW-Authenticate"]
--- response_body_like eval
["", "", qr/\A(?=.*cannot fetch keys from "\/_jwks": status 502)(?=.*request refused \(unavailable\): no key set fetched yet)(?:(?!connect\(\) failed).)*connect\(\) failed(?:(?!connect\(\) failed).)*\z/s]



=== TEST 6: a fetched set passes a key file's checks: a weak RSA key and a secret are skipped with a warning, the other keys used; a document over 1 MiB is refused
--- config
    location /idp/ {
        alias $TEST_NGINX_FIXTURES/keys/;
    }
    location = /error-log { alias logs/error.log; default_type text/plain; }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/idp/$http_x_jwks;
        proxy_pass_request_headers off;
        subrequest_output_buffer_size 2m;
    }
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key_request /_jwks;
        credentialflow_jwt_key_cache 10m refresh=0s;
        root html;
    }
--- user_files
>>> api/x.txt
ok
--- request eval
["GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt", "GET /error-log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ES256}\nX-Jwks: weak-and-ec.jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: secret-and-ec.jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: oversized.jwks.json", ""]
--- error_code eval
[200, 401, 401, 200]
--- response_body_like eval
["ok", "", "", qr/\A(?=.*\[warn\][^\n]*keys from "\/_jwks": skipped[^\n]*weak-1)(?=.*refreshed: 1 key\(s\), kid ec256-1)(?=.*skipped key "s-1": a secret \(kty oct\) in a published key set)(?=.*cannot fetch keys from "\/_jwks": the document is larger than 1048576 bytes)/s]



=== TEST 7: fetched keys and key files together: the set is their union
--- config
    location /idp/ {
        alias $TEST_NGINX_FIXTURES/keys/;
    }
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/idp/$http_x_jwks;
        proxy_pass_request_headers off;
    }
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ec256/public.pem;
        credentialflow_jwt_key_request /_jwks;
        root html;
    }
--- user_files
>>> api/x.txt
ok
--- request eval
["GET /api/x.txt", "GET /api/x.txt", "GET /api/x.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-Jwks: rsa/jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ES256}\nX-Jwks: rsa/jwks.json", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_WRONG_KEY}\nX-Jwks: rsa/jwks.json"]
--- error_code eval
[200, 200, 401]



=== TEST 8: configuration errors name the directive, file and line
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key_request https://idp.example/jwks;
    }
--- must_die
--- error_log eval
qr/invalid value "https:\/\/idp.example\/jwks" in "credentialflow_jwt_key_request" directive, it must be a URI of this server, such as \/_jwks in .*nginx\.conf:\d+/



=== TEST 9: key_cache: refresh longer than the cache time is refused
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key_request /_jwks;
        credentialflow_jwt_key_cache 30s refresh=1m;
    }
--- must_die
--- error_log
invalid value "30s" in "credentialflow_jwt_key_cache" directive, the cache time must be at least 1s and no shorter than refresh=



=== TEST 10: without any key source the module says which directives it needs
--- config
    location /api/ {
        credentialflow on;
    }
--- must_die
--- error_log
"credentialflow" is on but neither "credentialflow_jwt_key" nor "credentialflow_jwt_key_request" is set



=== TEST 11: a request without a token is refused at once: it neither starts nor waits for a fetch
--- config
    location = /_jwks {
        internal;
        proxy_pass http://127.0.0.1:1/jwks.json;
    }
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key_request /_jwks;
        root html;
    }
--- request
GET /api/x.txt
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- no_error_log
cannot fetch keys
