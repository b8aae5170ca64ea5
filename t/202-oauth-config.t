# The authorization server's configuration errors at `nginx -t`, each pointing at the
# directive it is about (file and line, checked with conf_line_has() as in
# t/120-config-error-sites.t): keys that cannot sign (public, weak, wrong alg=, symmetric), a
# malformed registry (with the registry's own line), a metadata endpoint without an
# exact-match token endpoint in its server, accept_own_tokens without an issuer; the warning
# for a private key readable by others; and a client removed from the registry without a reload.
#
# Test secrets (their digests are written below): newc "new-secret-0123456789abcdef0123",
# keep "keep-secret-0123456789abcdef012".
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

sub main::conf_line_has {
    my ($file, $line, $want) = @_;
    open my $fh, '<', $file or return 0;
    my @lines = <$fh>;
    return $line >= 1 && $line <= @lines && index($lines[$line - 1], $want) >= 0;
}

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a public key as the signing key is refused at its line
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/public.pem;
    location = /jwks.json { credentialflow_oauth_jwks; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_oauth_signing_key "\S+\/keys\/ec256\/public\.pem": holds a public key or certificate; the issuer signs with a private key in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'public.pem;') ? '' : '(*FAIL)' })/



=== TEST 2: a 1024-bit RSA private key is refused as too weak
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/oauth/rsa1024.pem;
    location = /jwks.json { credentialflow_oauth_jwks; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_oauth_signing_key "\S+\/oauth\/rsa1024\.pem": RSA key of 1024 bits is too weak \(at least 2048 bits required\) in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'rsa1024.pem;') ? '' : '(*FAIL)' })/



=== TEST 3: alg= that the key cannot sign is refused
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem alg=RS256;
    location = /jwks.json { credentialflow_oauth_jwks; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_oauth_signing_key "\S+\/keys\/ec256\/private\.pem": the key cannot sign RS256 \(it is an EC P-256 key\) in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'private.pem alg=RS256;') ? '' : '(*FAIL)' })/



=== TEST 4: an HMAC alg= is refused: issued tokens are verified with a public key
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ed25519/private.pem alg=HS256;
    location = /jwks.json { credentialflow_oauth_jwks; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_oauth_signing_key "\S+\/keys\/ed25519\/private\.pem": HS256 is symmetric; .* in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'private.pem alg=HS256;') ? '' : '(*FAIL)' })/



=== TEST 5: a malformed registry line is an error with the registry's own line number
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients html/clients.txt;
    location = /token { credentialflow_oauth_token; }
--- user_files
>>> clients.txt
# line 1: a comment
newc sha256:e5fac1072ab77a90bd844b9eacdcb94c6403eedd1af0b3c29a475308ebcace30 orders:read https://api.example
ghost sha256:not-hex orders:read https://api.example
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_oauth_clients "html\/clients\.txt": line 3: the secret digest must be sha256: followed by 64 hex digits in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'credentialflow_oauth_clients html') ? '' : '(*FAIL)' })/



=== TEST 6: a metadata endpoint whose server's token endpoint is not an exact-match location
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location /token { credentialflow_oauth_token; }
    location = /.well-known/oauth-authorization-server { credentialflow_oauth_metadata; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_oauth_metadata" needs a "credentialflow_oauth_token" endpoint in an exact-match location \(location = \/path\) of the same server in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, '{ credentialflow_oauth_metadata; }') ? '' : '(*FAIL)' })/



=== TEST 7: a token endpoint in another server does not count for the metadata
--- http_config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /token { credentialflow_oauth_token; }
    }
--- config
    location = /.well-known/oauth-authorization-server { credentialflow_oauth_metadata; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_oauth_metadata" needs a "credentialflow_oauth_token" endpoint .* of the same server in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, '{ credentialflow_oauth_metadata; }') ? '' : '(*FAIL)' })/



=== TEST 8: accept_own_tokens on in a server that issues nothing points at its own line
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ec256/public.pem;

        credentialflow_accept_own_tokens on;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_accept_own_tokens" is on but this server issues no tokens \("credentialflow_oauth_issuer" and "credentialflow_oauth_signing_key"\) in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'credentialflow_accept_own_tokens on;') ? '' : '(*FAIL)' })/



=== TEST 9: accept_own_tokens inherited from the server level points at the server's line
--- config
    credentialflow_accept_own_tokens on;
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ec256/public.pem;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_accept_own_tokens" is on but this server issues no tokens .* in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, '    credentialflow_accept_own_tokens on;') ? '' : '(*FAIL)' })/



=== TEST 10: a private key readable by group or others loads, with a warning at its line
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/oauth/exposed.pem;
    location = /jwks.json { credentialflow_oauth_jwks; }
--- request
GET /jwks.json
--- error_code: 200
--- error_log eval
qr/\[warn\] .*credentialflow_oauth_signing_key "\S+\/oauth\/exposed\.pem": the private key is readable by group or others; restrict it with chmod 600 in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'exposed.pem;') ? '' : '(*FAIL)' })/



=== TEST 11: a client removed from the registry is refused within 1.5 s, no reload; the others keep working
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        # The registry without newc, served for proxy_store below.
        location = /registry {
            return 200 "keep sha256:5c5bb154ea3331d5bbc760629e75ef97ae36ab21369a09d14e8d77d71a2350f4 orders:read https://api.example\n";
        }
    }
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_oauth_clients html/clients.txt;
    location = /token { credentialflow_oauth_token; }
    # Replaces the registry the way `credentialflow client remove` does: a new file renamed
    # into place.
    location = /remove {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/registry;
        proxy_store $document_root/clients.txt;
    }
    location = /wait {
        auth_delay 1500ms;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    }
--- user_files
>>> clients.txt
newc sha256:e5fac1072ab77a90bd844b9eacdcb94c6403eedd1af0b3c29a475308ebcace30 orders:read https://api.example
keep sha256:5c5bb154ea3331d5bbc760629e75ef97ae36ab21369a09d14e8d77d71a2350f4 orders:read https://api.example
--- request eval
["POST /token\ngrant_type=client_credentials", "POST /token\ngrant_type=client_credentials",
 "GET /remove", "GET /wait",
 "POST /token\ngrant_type=client_credentials", "POST /token\ngrant_type=client_credentials"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic bmV3YzpuZXctc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWYwMTIz",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic a2VlcDprZWVwLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmMDEy",
 "", "",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic bmV3YzpuZXctc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWYwMTIz",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic a2VlcDprZWVwLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmMDEy"]
--- error_code eval
[200, 200, 200, 401, 401, 200]
--- response_body_like eval
['"token_type":"Bearer"', '"token_type":"Bearer"', '^keep ', '', '^\{"error":"invalid_client",', '"token_type":"Bearer"']
--- timeout: 5



=== TEST 12: own tokens accepted without an audience: nginx -t fails at the accept line (RFC 9068 §4: the resource server MUST check that aud names it)
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem;
    credentialflow_accept_own_tokens on;
    location /admin/ {
        credentialflow on;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_accept_own_tokens" needs "credentialflow_audience" where "credentialflow" is on: .*\(RFC 9068 section 4\) in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, '    credentialflow_accept_own_tokens on;') ? '' : '(*FAIL)' })/
