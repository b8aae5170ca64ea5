# Algorithm confusion: a public key file must never become an HMAC secret. A file that looks
# like key material (PEM, JSON, DER, an SSH public key) is refused with the "secret"
# parameter, and no message ever suggests "secret" for one. A single JWK and a JWK Set behind
# a UTF-8 byte order mark load as they are.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a PEM public key given as "secret" stops nginx, naming the file and the fix
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem secret;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_jwt_key "[^"]*\/keys\/rsa\/public\.pem": the file is a PEM key or certificate, not an HMAC secret, and must not be used as one; remove the "secret" parameter in \S+nginx\.conf:\d+/



=== TEST 2: an HS256 token HMAC-signed with the PEM file's bytes never gets 200
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
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ALG_CONFUSION}"
--- error_code: 401



=== TEST 3: a JWK Set given as "secret" stops nginx
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/jwks.json secret;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
jwks.json": the file is a JWK Set, not an HMAC secret, and must not be used as one; remove the "secret" parameter



=== TEST 4: a single JWK given as "secret" stops nginx
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/single.jwk.json secret;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
single.jwk.json": the file is a JWK, not an HMAC secret, and must not be used as one; remove the "secret" parameter



=== TEST 5: a JWK Set behind a byte order mark given as "secret" stops nginx
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/bom.jwks.json secret;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
bom.jwks.json": the file is a JWK Set, not an HMAC secret



=== TEST 6: a DER public key given as "secret" stops nginx
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/public.der secret;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
public.der": the file is a DER key or certificate, not an HMAC secret, and must not be used as one; remove the "secret" parameter and convert the file to PEM



=== TEST 7: an OpenSSH public key given as "secret" stops nginx
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ssh.pub secret;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
ssh.pub": the file is an SSH public key, not an HMAC secret



=== TEST 8: a DER key without a format word is refused with a hint to convert it, not to add "secret"
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/public.der;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
public.der": a DER key or certificate is not supported; convert it to PEM (openssl pkey -pubin -inform DER, or openssl x509 -inform DER for a certificate)
--- no_error_log
add the "secret"



=== TEST 9: an SSH public key without a format word is refused with a hint to convert it
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ssh.pub;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log
[emerg]
ssh.pub": an SSH public key is not supported; convert it to PEM (ssh-keygen -e -m PKCS8 -f FILE)
--- no_error_log
add the "secret"



=== TEST 10: a single JWK (not a set) loads, detected or declared "jwks", and verifies
--- config
    location /detected/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/single.jwk.json;
        root html;
    }
    location /declared/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/single.jwk.json jwks;
        root html;
    }
--- user_files
>>> detected/hello.txt
hello
>>> declared/hello.txt
hello
--- request eval
["GET /detected/hello.txt", "GET /declared/hello.txt", "GET /detected/hello.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ALG_CONFUSION}"]
--- error_code eval
[200, 200, 401]



=== TEST 11: a JWK Set behind a UTF-8 byte order mark loads and verifies
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/bom.jwks.json;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_WRONG_KEY}"]
--- error_code eval
[200, 401]
