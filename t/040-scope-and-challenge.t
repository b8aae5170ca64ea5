# Scopes (403 insufficient_scope with the scope list) and the WWW-Authenticate challenge
# (realm, error, error_description); authentication failures win over scope failures.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

# TEST 11: `scope` as a JSON array, as Duende IdentityServer and Spring Authorization Server
# send it.
my $cli = $ENV{TEST_NGINX_CREDENTIALFLOW_CLI} || 'target/nginx/bin/credentialflow';
sub mint {
    my $token = `$cli mint --alg RS256 --key $ENV{TEST_NGINX_FIXTURES}/keys/rsa/private.pem --ttl 1h @_`;
    die "credentialflow mint @_ failed\n" if $? != 0;
    chomp $token;
    return $token;
}
$ENV{TEST_NGINX_SCOPE_ARRAY} = mint(q{--claim 'scope=["orders:read","orders:write"]'});
$ENV{TEST_NGINX_SCOPE_ARRAY_SPACED} = mint(q{--claim 'scope=["orders:read profile"]'});
$ENV{TEST_NGINX_SCOPE_ARRAY_OTHER} = mint(q{--claim 'scope=["profile"]'});

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a token with the required scope gets 200
--- config
    location /api/ {
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCOPE_READ}"
--- error_code: 200
--- response_body
hello
--- no_error_log
request refused



=== TEST 2: a token without the required scope gets 403 error="insufficient_scope" with scope="orders:read"
--- config
    location /api/ {
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
--- error_log eval
qr/\[info\] .*credentialflow: request refused \(insufficient_scope\): insufficient scope, token [0-9a-f]{8}, client: /



=== TEST 3: scopes match whole items only ("orders:readonly" and "orders" are not "orders:read")
--- config
    location /api/ {
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCOPE_PREFIX}"
--- error_code: 403
--- response_headers
WWW-Authenticate: Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="orders:read"



=== TEST 4: every required scope must be granted, and the challenge lists them all
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require_scope orders:read orders:write;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 2]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(SCOPE_BOTH SCOPE_READ)]
--- error_code eval
[200, 403]
--- response_headers eval
["WWW-Authenticate:",
 qq{WWW-Authenticate: Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="orders:read orders:write"}]



=== TEST 5: authentication failures win over scope failures (expired and wrong audience get 401)
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_audience api.example;
        credentialflow_require_scope orders:read;
        credentialflow_require_claims exp;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(EXPIRED WRONG_AUD ISS_AUD)]
--- error_code eval
[401, 401, 403]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token expired"},
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="audience not accepted"},
 qq{WWW-Authenticate: Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="orders:read"}]



=== TEST 6: a missing token gets 401 (not 403) where a scope is required
--- config
    location /api/ {
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
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"



=== TEST 7: credentialflow_realm names the realm in 401 and 403 challenges
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_realm "Orders API";
        credentialflow_require_scope orders:read;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3]
--- more_headers eval
["", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}"]
--- error_code eval
[401, 401, 403]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="Orders API"},
 qq{WWW-Authenticate: Bearer realm="Orders API", error="invalid_token", error_description="token expired"},
 qq{WWW-Authenticate: Bearer realm="Orders API", error="insufficient_scope", error_description="insufficient scope", scope="orders:read"}]



=== TEST 8: realm and required scope set at server level are inherited, and a location can override them
--- config
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    credentialflow_realm outer;
    credentialflow_require_scope orders:write;
    location /api/ {
        credentialflow on;
        root html;
    }
    location /read/ {
        credentialflow on;
        credentialflow_realm inner;
        credentialflow_require_scope orders:read;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
>>> read/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /read/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
[map { "Authorization: Bearer $ENV{\"TEST_NGINX_TOKEN_$_\"}" } qw(SCOPE_READ SCOPE_READ SCOPE_BOTH)]
--- error_code eval
[403, 200, 200]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="outer", error="insufficient_scope", error_description="insufficient scope", scope="orders:write"},
 "WWW-Authenticate:", "WWW-Authenticate:"]



=== TEST 9: exactly one challenge header is sent on a refusal
--- config
    location /api/ {
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
--- raw_response_headers_like eval
qr/\r\nWWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token expired"\r\n/
--- raw_response_headers_unlike eval
qr/WWW-Authenticate:.*WWW-Authenticate:/s



=== TEST 10: a custom error_page for 401 keeps the status and the challenge
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        error_page 401 /errors/401.json;
        root html;
    }
    location /errors/ {
        root html;
    }
--- user_files
>>> api/hello.txt
hello
>>> errors/401.json
{"error":"unauthorized"}
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EXPIRED}"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token expired"
--- response_body
{"error":"unauthorized"}



=== TEST 11: scope as a JSON array of scope-tokens (Duende IdentityServer, Spring Authorization Server) is read as the space-separated list; an item that is empty or holds a space is invalid (RFC 6749 §3.3)
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require_scope orders:write;
        add_header X-Scope "$credentialflow_claim_scope" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_SCOPE_ARRAY}", "Authorization: Bearer $ENV{TEST_NGINX_SCOPE_ARRAY_OTHER}",
 "Authorization: Bearer $ENV{TEST_NGINX_SCOPE_ARRAY_SPACED}"]
--- error_code eval
[200, 403, 401]
--- response_headers eval
["X-Scope: orders:read orders:write", "", ""]
