# credentialflow_oauth_token: the client credentials grant (RFC 6749 §4.4) with HTTP Basic and
# client_secret_post, and every RFC 6749 §5.2 / RFC 8707 error with its status and headers.
# Clients and secrets: scripts/gen-fixtures.sh (oauth/clients.txt).
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: Basic authentication gets a Bearer token with the client's scopes, no-store
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /token { credentialflow_oauth_token; }
--- request
POST /token
grant_type=client_credentials
--- more_headers
Content-Type: application/x-www-form-urlencoded
Authorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
Pragma: no-cache
--- response_body_like: ^\{"access_token":"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+","expires_in":600,"scope":"orders:read orders:write","token_type":"Bearer"\}$
--- error_log
credentialflow: token issued to client id "svc" for "https://api.example", 600s
--- no_error_log
svc-secret



=== TEST 2: client_secret_post with a scope subset and a resource (RFC 8707)
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /token { credentialflow_oauth_token; }
--- request
POST /token
grant_type=client_credentials&client_id=svc&client_secret=svc-secret-0123456789abcdefghij&scope=orders%3Awrite&resource=https%3A%2F%2Fother.example
--- more_headers
Content-Type: application/x-www-form-urlencoded; charset=UTF-8
--- error_code: 200
--- response_body_like: "expires_in":600,"scope":"orders:write","token_type":"Bearer"\}$
--- error_log
credentialflow: token issued to client id "svc" for "https://other.example", 600s



=== TEST 3: Basic id and secret are form-decoded (RFC 6749 §2.3.1); a client with no scope gets none
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /token { credentialflow_oauth_token; }
--- request
POST /token
grant_type=client_credentials
--- more_headers
Content-Type: application/x-www-form-urlencoded
Authorization: Basic c3ZjJTNBMjpwJTJCcyUzQXclMjVyZCUyNngreQ==
--- error_code: 200
--- response_body_like: ^\{"access_token":"[^"]+","expires_in":3600,"token_type":"Bearer"\}$



=== TEST 4: both secrets of a rotating client work
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_oauth_token_ttl 2m;
    location = /token { credentialflow_oauth_token; }
--- request eval
["POST /token\ngrant_type=client_credentials", "POST /token\ngrant_type=client_credentials"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic cm90OnJvdC1vbGQtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY=",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic cm90OnJvdC1uZXctc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY="]
--- error_code eval
[200, 200]
--- response_body_like eval
['"expires_in":120,"scope":"orders:read"', '"expires_in":120,"scope":"orders:read"']



=== TEST 5: a wrong secret and an unknown client get the same 401 invalid_client with a Basic challenge
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /token { credentialflow_oauth_token; }
--- request eval
["POST /token\ngrant_type=client_credentials", "POST /token\ngrant_type=client_credentials"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOndyb25n",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic Z2hvc3Q6c3ZjLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmZ2hpag=="]
--- error_code eval
[401, 401]
--- response_headers eval
["WWW-Authenticate: Basic realm=\"api\"\nCache-Control: no-store", "WWW-Authenticate: Basic realm=\"api\"\nCache-Control: no-store"]
--- response_body eval
['{"error":"invalid_client","error_description":"client authentication failed"}',
 '{"error":"invalid_client","error_description":"client authentication failed"}']
--- error_log eval
qr/\[info\] .*credentialflow: token request refused: invalid_client, client id "(svc|ghost)", client: 127\.0\.0\.1/
--- no_error_log eval
["wrong", "svc-secret"]



=== TEST 6: client_secret_post with a wrong secret: 401 invalid_client
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_realm tokens;
    location = /token { credentialflow_oauth_token; }
--- request
POST /token
grant_type=client_credentials&client_id=svc&client_secret=nope
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 401
--- response_headers
WWW-Authenticate: Basic realm="tokens"
--- response_body: {"error":"invalid_client","error_description":"client authentication failed"}
--- no_error_log
nope



=== TEST 7: GET gets 405 with Allow: POST
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /token { credentialflow_oauth_token; }
--- request
GET /token?grant_type=client_credentials
--- error_code: 405
--- response_headers
Allow: POST
Cache-Control: no-store
--- response_body: {"error":"invalid_request","error_description":"the token endpoint takes POST"}



=== TEST 8: every request error: content type, repeated parameter, both methods, query credentials, no grant_type, malformed encoding, malformed Basic
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /token { credentialflow_oauth_token; }
--- request eval
["POST /token\n{\"grant_type\":\"client_credentials\"}",
 "POST /token\ngrant_type=client_credentials&scope=orders:read&scope=orders:write",
 "POST /token\ngrant_type=client_credentials&client_secret=svc-secret-0123456789abcdefghij",
 "POST /token?client_secret=svc-secret-0123456789abcdefghij\ngrant_type=client_credentials&client_id=svc",
 "POST /token\nscope=orders:read",
 "POST /token\ngrant_type=%zz",
 "POST /token\ngrant_type=client_credentials"]
--- more_headers eval
["Content-Type: application/json\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic !!!"]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400]
--- response_body eval
['{"error":"invalid_request","error_description":"the request must be application/x-www-form-urlencoded"}',
 '{"error":"invalid_request","error_description":"a parameter is repeated"}',
 '{"error":"invalid_request","error_description":"more than one client authentication method"}',
 '{"error":"invalid_request","error_description":"client credentials are not accepted in the query string"}',
 '{"error":"invalid_request","error_description":"grant_type is missing"}',
 '{"error":"invalid_request","error_description":"malformed form encoding"}',
 '{"error":"invalid_request","error_description":"malformed Basic credentials"}']
--- response_headers eval
[("Cache-Control: no-store\nWWW-Authenticate:") x 7]



=== TEST 9: grant, client and target errors: unsupported_grant_type, unauthorized_client, invalid_scope (superset), invalid_target, no authentication
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /token { credentialflow_oauth_token; }
--- request eval
["POST /token\ngrant_type=password",
 "POST /token\ngrant_type=client_credentials",
 "POST /token\ngrant_type=client_credentials&scope=orders:read+admin",
 "POST /token\ngrant_type=client_credentials&audience=https://evil.example",
 "POST /token\ngrant_type=client_credentials"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic b2ZmOm9mZi1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Content-Type: application/x-www-form-urlencoded"]
--- error_code eval
[400, 400, 400, 400, 401]
--- response_body_like eval
['^\{"error":"unsupported_grant_type",', '^\{"error":"unauthorized_client",', '^\{"error":"invalid_scope",',
 '^\{"error":"invalid_target",', '^\{"error":"invalid_client","error_description":"client authentication is required"\}$']
--- error_log eval
qr/\[info\] .*token request refused: (unsupported_grant_type|unauthorized_client|invalid_scope|invalid_target|invalid_client), client id "(svc|off|-)", client: /



=== TEST 10: a body over 8 KiB gets 413, with Content-Length (before any of it is read) and chunked (as soon as the body read so far passes 8 KiB, never spooled to client_body_temp, however large client_max_body_size is)
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    client_body_buffer_size 16k;
    location = /token { client_max_body_size 64m; credentialflow_oauth_token; }
    location = /error.log { root logs; }
--- request eval
["POST /token\ngrant_type=client_credentials&pad=" . ("a" x 8200),
 "POST /token\n" . sprintf("%x", 8300) . "\r\ngrant_type=client_credentials&pad=" . ("a" x 8265) . "\r\n0\r\n\r\n",
 "POST /token\n" . ((sprintf("%x", 4096) . "\r\n" . ("a" x 4096) . "\r\n") x 64) . "0\r\n\r\n",
 "GET /error.log"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/x-www-form-urlencoded\nTransfer-Encoding: chunked",
 "Content-Type: application/x-www-form-urlencoded\nTransfer-Encoding: chunked", ""]
--- error_code eval
[413, 413, 413, 200]
--- response_body_like eval
[qr/^\{"error":"invalid_request","error_description":"the request body is over 8 KiB"\}$/,
 qr/413/, qr/413/,
 qr/\A(?!.*buffered to a temporary file)(?=.*request body refused after \d+ bytes: the limit is 8192 bytes)/s]



=== TEST 11: credentials in the query string are refused however they are written, even with valid Basic credentials and a query that does not parse (RFC 6749 §2.3.1: MUST NOT be in the URI)
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /token { credentialflow_oauth_token; }
--- request eval
["POST /token?client_secret=a&client_secret=b\ngrant_type=client_credentials",
 "POST /token?x=%zz&client_secret=a\ngrant_type=client_credentials",
 "POST /token?client%5Fid=svc\ngrant_type=client_credentials",
 "POST /token?CLIENT_SECRET\ngrant_type=client_credentials",
 "POST /token?x=%zz\ngrant_type=client_credentials"]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=") x 5]
--- error_code eval
[400, 400, 400, 400, 200]
--- response_body_like eval
[(qr/^\{"error":"invalid_request","error_description":"client credentials are not accepted in the query string"\}$/) x 4,
 qr/"access_token":"/]
