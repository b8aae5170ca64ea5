# credentialflow_oauth_introspect (RFC 7662): an active token (the issuer's own keys or the
# location's credentialflow_jwt_key, unexpired, not revoked in the zone) shows its members,
# anything else is {"active":false} and nothing more; only a client with the registry's
# "introspect" permission may ask (401 invalid_client unauthenticated, 400
# unauthorized_client unprivileged: RFC 7662 §2.3 refers to RFC 6749 §5.2); introspection never
# consumes a replay record; a revocation made at the revocation endpoint turns the token
# inactive on both workers at once; the RFC 8414 metadata names both endpoints.
#
# Clients: scripts/gen-fixtures.sh (rs may introspect, admin may introspect and revoke, svc
# neither).
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

my $cli = $ENV{TEST_NGINX_CREDENTIALFLOW_CLI} || 'target/nginx/bin/credentialflow';
my $fx = $ENV{TEST_NGINX_FIXTURES};

sub mint_with {
    my ($alg, $key, @rest) = @_;
    my $token = `$cli mint --alg $alg --key $key @rest`;
    die "credentialflow mint @rest failed\n" if $? != 0;
    chomp $token;
    return $token;
}
sub mint { mint_with('ES256', "$fx/keys/ec256/private.pem", '--kid as-1 --iss https://auth.example', @_) }

$ENV{TEST_NGINX_OWN} = mint('--sub svc --claim client_id=svc --aud https://api.example --scope "orders:read orders:write" --jti own-1 --ttl 1h');
$ENV{TEST_NGINX_FOREIGN} = mint('--sub o --claim client_id=other --jti foreign-1 --ttl 1h');
$ENV{TEST_NGINX_EXPIRED} = mint('--sub svc --claim client_id=svc --jti expired-1 --ttl -1h');
$ENV{TEST_NGINX_REVOKED} = mint('--sub svc --claim client_id=svc --jti listed-1 --ttl 1h');
$ENV{TEST_NGINX_FORGED} = mint_with('ES384', "$fx/keys/ec384/private.pem", '--kid as-1 --iss https://auth.example --sub svc --jti forged-1 --ttl 1h');
$ENV{TEST_NGINX_RSA} = mint_with('RS256', "$fx/keys/rsa/private.pem", '--sub partner --iss https://idp.example --jti rsa-1 --ttl 1h');
$ENV{TEST_NGINX_ONCE} = mint('--sub svc --claim client_id=svc --aud https://api.example --jti once-1 --ttl 1h');
$ENV{TEST_NGINX_GONE} = mint('--sub svc --claim client_id=svc --jti gone-1 --ttl 1h');

workers(2);
master_on();
no_shuffle();
log_level('info');
timeout(20);
run_tests();

__DATA__

=== TEST 1: an active token shows its members; expired, forged, garbage, revoked tokens are {"active":false}; a token of the location's own keys is active too
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_revocation_file html/revoked.txt;
    location = /introspect {
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_oauth_introspect;
    }
--- user_files
>>> revoked.txt
jti listed-1
--- request eval
["POST /introspect\ntoken=$ENV{TEST_NGINX_OWN}",
 "POST /introspect\ntoken=$ENV{TEST_NGINX_FOREIGN}&token_type_hint=access_token",
 "POST /introspect\ntoken=$ENV{TEST_NGINX_EXPIRED}",
 "POST /introspect\ntoken=$ENV{TEST_NGINX_FORGED}",
 "POST /introspect\ntoken=garbage",
 "POST /introspect\ntoken=$ENV{TEST_NGINX_REVOKED}",
 "POST /introspect\ntoken=$ENV{TEST_NGINX_RSA}"]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic cnM6cnMtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZnaGlq") x 7]
--- error_code eval
[(200) x 7]
--- response_headers eval
[("Cache-Control: no-store\nContent-Type: application/json") x 7]
--- response_body_like eval
[qr/^\{"active":true,"aud":"https:\/\/api\.example","client_id":"svc","exp":\d+,"iat":\d+,"iss":"https:\/\/auth\.example","jti":"own-1","scope":"orders:read orders:write","sub":"svc","token_type":"Bearer"\}$/,
 qr/^\{"active":true,"client_id":"other","exp":\d+,"iat":\d+,"iss":"https:\/\/auth\.example","jti":"foreign-1","sub":"o","token_type":"Bearer"\}$/,
 qr/^\{"active":false\}$/, qr/^\{"active":false\}$/, qr/^\{"active":false\}$/,
 qr/^\{"active":false\}$/,
 qr/^\{"active":true,"exp":\d+,"iat":\d+,"iss":"https:\/\/idp\.example","jti":"rsa-1","sub":"partner","token_type":"Bearer"\}$/]



=== TEST 2: unauthenticated callers get 401 invalid_client with the Basic challenge, unprivileged ones 400 unauthorized_client
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /introspect { credentialflow_oauth_introspect; }
--- request eval
["POST /introspect\ntoken=$ENV{TEST_NGINX_OWN}",
 "POST /introspect\ntoken=$ENV{TEST_NGINX_OWN}",
 "POST /introspect\ntoken=$ENV{TEST_NGINX_OWN}",
 "POST /introspect\ntoken=$ENV{TEST_NGINX_OWN}&client_id=rs&client_secret=rs-secret-0123456789abcdefghij",
 "POST /introspect\ntoken_type_hint=access_token",
 "GET /introspect"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOndyb25n",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic cnM6cnMtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZnaGlq",
 ""]
--- error_code eval
[401, 401, 400, 200, 400, 405]
--- response_headers eval
["WWW-Authenticate: Basic realm=\"api\"\nCache-Control: no-store",
 "WWW-Authenticate: Basic realm=\"api\"", "Cache-Control: no-store", "", "",
 "Allow: POST"]
--- response_body_like eval
[qr/^\{"error":"invalid_client","error_description":"client authentication is required"\}$/,
 qr/^\{"error":"invalid_client","error_description":"client authentication failed"\}$/,
 qr/^\{"error":"unauthorized_client","error_description":"the client may not introspect tokens"\}$/,
 qr/^\{"active":true,/,
 qr/^\{"error":"invalid_request","error_description":"token is missing"\}$/,
 qr/takes POST/]



=== TEST 3: introspection never consumes a replay record
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /introspect { credentialflow_oauth_introspect; }
    location /api/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        credentialflow_replay_protection on;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
["POST /introspect\ntoken=$ENV{TEST_NGINX_ONCE}", "POST /introspect\ntoken=$ENV{TEST_NGINX_ONCE}",
 "GET /api/hello.txt", "GET /api/hello.txt", "POST /introspect\ntoken=$ENV{TEST_NGINX_ONCE}"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic cnM6cnMtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZnaGlq",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic cnM6cnMtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZnaGlq",
 "Authorization: Bearer $ENV{TEST_NGINX_ONCE}", "Authorization: Bearer $ENV{TEST_NGINX_ONCE}",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic cnM6cnMtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZnaGlq"]
--- error_code eval
[200, 200, 200, 401, 200]
--- response_headers eval
["", "", "X-Status: [ok]", "X-Status: [replayed]", ""]
--- response_body_like eval
[qr/"active":true/, qr/"active":true/, "hello", "", qr/"active":true/]



=== TEST 4: a token revoked at the revocation endpoint is inactive on both workers at once
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 reuseport;
        credentialflow_oauth_issuer https://auth.example;
        credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
        credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
        credentialflow_revocation_file $TEST_NGINX_SERVER_ROOT/html/revoked.txt;
        location = /revoke { credentialflow_oauth_revoke; }
        location = /introspect { credentialflow_oauth_introspect; }
    }
--- config
    location = /revoke { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1; }
    location = /introspect { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1; }
--- user_files
>>> revoked.txt
--- request eval
[("POST /introspect\ntoken=$ENV{TEST_NGINX_GONE}") x 6, "POST /revoke\ntoken=$ENV{TEST_NGINX_GONE}",
 ("POST /introspect\ntoken=$ENV{TEST_NGINX_GONE}") x 6]
--- more_headers eval
my $admin = "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic YWRtaW46YWRtaW4tc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZn";
[($admin) x 13]
--- error_code eval
[(200) x 13]
--- response_body_like eval
[(qr/"active":true/) x 6, qr/^\{\}$/, (qr/^\{"active":false\}$/) x 6]



=== TEST 5: the RFC 8414 metadata names the revocation and introspection endpoints and their client authentication
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_revocation_file html/revoked.txt;
    location = /oauth/token { credentialflow_oauth_token; }
    location = /oauth/revoke { credentialflow_oauth_revoke; }
    location = /oauth/introspect { credentialflow_oauth_introspect; }
    location = /.well-known/oauth-authorization-server { credentialflow_oauth_metadata; }
--- user_files
>>> revoked.txt
--- request
GET /.well-known/oauth-authorization-server
--- error_code: 200
--- response_body_like: "introspection_endpoint":"https://auth\.example/oauth/introspect","introspection_endpoint_auth_methods_supported":\["client_secret_basic","client_secret_post"\],.*"revocation_endpoint":"https://auth\.example/oauth/revoke","revocation_endpoint_auth_methods_supported":\["client_secret_basic","client_secret_post"\]
