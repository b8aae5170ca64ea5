# The per-worker verification cache, seen through $credentialflow_cache: hits, misses, what is
# never cached, its size, and that a hit is still checked against each location's policy.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: the second request with the same token is a cache hit
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        add_header X-Cache "[$credentialflow_cache]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(RS256 RS256 BOB)]
--- error_code eval
[200, 200, 200]
--- response_headers eval
["X-Cache: [miss]", "X-Cache: [hit]", "X-Cache: [miss]"]



=== TEST 2: credentialflow_cache_size 0 turns the cache off
--- http_config
    credentialflow_cache_size 0;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        add_header X-Cache "[$credentialflow_cache]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
[("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}") x 2]
--- error_code eval
[200, 200]
--- response_headers eval
["X-Cache: [miss]", "X-Cache: [miss]"]



=== TEST 3: a worker cache of one entry (set in server{}) evicts the older token to the shared zone
--- config
    credentialflow_cache_size 1;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        add_header X-Cache "[$credentialflow_cache]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 4]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(RS256 BOB RS256 RS256)]
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
["X-Cache: [miss]", "X-Cache: [miss]", "X-Cache: [shared]", "X-Cache: [hit]"]



=== TEST 4: a cache hit is still checked against another location's audience, issuer and scope
--- config
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    add_header X-Cache "[$credentialflow_cache]" always;
    location /open/ {
        credentialflow on;
        root html;
    }
    location /aud/ {
        credentialflow on;
        credentialflow_audience other.example;
        root html;
    }
    location /iss/ {
        credentialflow on;
        credentialflow_issuer https://other.example;
        root html;
    }
    location /scope/ {
        credentialflow on;
        credentialflow_require_scope orders:write;
        root html;
    }
--- user_files
>>> open/hello.txt
hello
--- request eval
["GET /open/hello.txt", "GET /aud/hello.txt", "GET /iss/hello.txt", "GET /scope/hello.txt", "GET /open/hello.txt"]
--- more_headers eval
[("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ISS_AUD}") x 5]
--- error_code eval
[200, 401, 401, 403, 200]
--- response_headers eval
["X-Cache: [miss]",
 qq{X-Cache: [hit]\nWWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="audience not accepted"},
 qq{X-Cache: [hit]\nWWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="issuer not accepted"},
 qq{X-Cache: [hit]\nWWW-Authenticate: Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="orders:write"},
 "X-Cache: [hit]"]



=== TEST 5: a location with its own keys does not reuse another key set's cache entries
--- config
    add_header X-Cache "[$credentialflow_cache]" always;
    location /a/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
    location /b/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/jwks.json;
        root html;
    }
--- user_files
>>> a/hello.txt
hello
>>> b/hello.txt
hello
--- request eval
["GET /a/hello.txt", "GET /b/hello.txt", "GET /b/hello.txt", "GET /a/hello.txt"]
--- more_headers eval
[("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}") x 4]
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
["X-Cache: [miss]", "X-Cache: [miss]", "X-Cache: [hit]", "X-Cache: [hit]"]



=== TEST 6: failed signatures, expired tokens and tokens without exp are never cached
--- config
    add_header X-Cache "[$credentialflow_cache]" always;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
    location /noexp/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require_claims sub;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
>>> noexp/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 4, ("GET /noexp/hello.txt") x 2]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(WRONG_KEY WRONG_KEY EXPIRED EXPIRED NO_EXP NO_EXP)]
--- error_code eval
[401, 401, 401, 401, 200, 200]
--- response_headers eval
[("X-Cache: [miss]") x 6]



=== TEST 7: $credentialflow_cache is empty when no token was verified (none sent, or a malformed header)
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        add_header X-Cache "[$credentialflow_cache]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
["", "Authorization: Bearer"]
--- error_code eval
[401, 401]
--- response_headers eval
["X-Cache: []", "X-Cache: []"]



=== TEST 8: a location that forwards or requires custom claims keeps its own entries, and serves those claims from them on a hit
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "email=[$http_x_email] roles=[$http_x_roles] user=[$http_x_user]\n";
        }
    }
--- config
    add_header X-Cache "[$credentialflow_cache]" always;
    location /plain/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_forward_claim sub X-User;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location /custom/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require_claims exp tenant_id;
        credentialflow_forward_claim email X-Email;
        credentialflow_forward_claim roles X-Roles;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location /needs-tenant/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require_claims exp tenant_id;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
["GET /plain/a", "GET /plain/a", "GET /custom/a", "GET /custom/a", "GET /needs-tenant/a", "GET /needs-tenant/a", "GET /needs-tenant/a"]
--- more_headers eval
[(map { "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_FWD}" } 1 .. 6), "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"]
--- error_code eval
[200, 200, 200, 200, 200, 200, 401]
--- response_headers eval
["X-Cache: [miss]", "X-Cache: [hit]", "X-Cache: [miss]", "X-Cache: [hit]", "X-Cache: [miss]", "X-Cache: [hit]", "X-Cache: [miss]"]
--- response_body eval
["email=[] roles=[] user=[alice]\n", "email=[] roles=[] user=[alice]\n",
 "email=[alice\@example.com] roles=[admin dev] user=[]\n", "email=[alice\@example.com] roles=[admin dev] user=[]\n",
 "email=[] roles=[] user=[]\n", "email=[] roles=[] user=[]\n", qr/401 Authorization Required/]
