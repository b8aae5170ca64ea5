# RFC 9728 protected resource metadata: the document served by
# credentialflow_oauth_resource_metadata, and credentialflow_resource_metadata_url naming it in
# every challenge of a protected location (401 and 403), as MCP clients need for discovery;
# values that would need escaping are refused at nginx -t.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: the document names the resource, its authorization servers, scopes and the header method
--- config
    location = /.well-known/oauth-protected-resource {
        credentialflow_oauth_resource_metadata resource=https://api.example/mcp
            authorization_server=https://auth.example authorization_server=https://other.example/tenant
            scopes="orders:read orders:write";
    }
--- request
GET /.well-known/oauth-protected-resource
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: max-age=300
--- response_body chomp
{"authorization_servers":["https://auth.example","https://other.example/tenant"],"bearer_methods_supported":["header"],"resource":"https://api.example/mcp","scopes_supported":["orders:read","orders:write"]}



=== TEST 2: scopes written as one quoted argument; no scopes, no scopes_supported; HEAD and 405
--- config
    location = /a {
        credentialflow_oauth_resource_metadata "scopes=a b" resource=http://127.0.0.1/a authorization_server=http://127.0.0.1;
    }
    location = /b {
        credentialflow_oauth_resource_metadata resource=https://b.example authorization_server=https://auth.example;
    }
--- request eval
["GET /a", "GET /b", "HEAD /b", "POST /b\nx=1"]
--- error_code eval
[200, 200, 200, 405]
--- response_body eval
['{"authorization_servers":["http://127.0.0.1"],"bearer_methods_supported":["header"],"resource":"http://127.0.0.1/a","scopes_supported":["a","b"]}',
 '{"authorization_servers":["https://auth.example"],"bearer_methods_supported":["header"],"resource":"https://b.example"}',
 '',
 '{"error":"invalid_request","error_description":"use GET"}']



=== TEST 3: every challenge of a protected location names the metadata (missing, invalid, insufficient scope)
--- config
    credentialflow_resource_metadata_url https://api.example/.well-known/oauth-protected-resource;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_require_scope orders:admin;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 3]
--- more_headers eval
["", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_WRONG_KEY}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SCOPE_READ}"]
--- error_code eval
[401, 401, 403]
--- response_headers eval
['WWW-Authenticate: Bearer realm="api", resource_metadata="https://api.example/.well-known/oauth-protected-resource"',
 'WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="signature verification failed", resource_metadata="https://api.example/.well-known/oauth-protected-resource"',
 'WWW-Authenticate: Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="orders:admin", resource_metadata="https://api.example/.well-known/oauth-protected-resource"']



=== TEST 4: a location's own URL wins over the server's; without the directive the challenge has none
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_resource_metadata_url https://api.example/.well-known/oauth-protected-resource/api;
        root html;
    }
    location /plain/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
--- request eval
["GET /api/x", "GET /plain/x"]
--- error_code eval
[401, 401]
--- response_headers eval
['WWW-Authenticate: Bearer realm="api", resource_metadata="https://api.example/.well-known/oauth-protected-resource/api"',
 'WWW-Authenticate: Bearer realm="api"']



=== TEST 5: a metadata URL with a quote is refused at its line
--- config
    credentialflow_resource_metadata_url https://api.example/"x;
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "https:\/\/api\.example\/"x" in "credentialflow_resource_metadata_url" directive, it must be an http or https URL without a fragment, spaces, quotes or backslashes in \S+nginx\.conf:\d+/



=== TEST 6: a URL with a fragment, and one that is not http(s), are refused
--- config
    credentialflow_resource_metadata_url https://api.example/meta#x;
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "https:\/\/api\.example\/meta#x" in "credentialflow_resource_metadata_url" directive/



=== TEST 7: resource metadata needs an authorization server
--- config
    location = /.well-known/oauth-protected-resource {
        credentialflow_oauth_resource_metadata resource=https://api.example;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_oauth_resource_metadata: needs at least one authorization_server= in \S+nginx\.conf:\d+/



=== TEST 8: a resource that is not a URL is refused
--- config
    location = /m {
        credentialflow_oauth_resource_metadata resource=api authorization_server=https://auth.example;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_oauth_resource_metadata: "api" must be an http or https URL without a fragment, spaces, quotes or backslashes in \S+nginx\.conf:\d+/



=== TEST 9: a second content handler in the location is refused
--- config
    location = /m {
        credentialflow_oauth_jwks;
        credentialflow_oauth_resource_metadata resource=https://a.example authorization_server=https://auth.example;
    }
--- http_config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_oauth_resource_metadata": the location already has a content handler in \S+nginx\.conf:\d+/
