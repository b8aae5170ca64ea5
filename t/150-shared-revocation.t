# Revocations held in the shared zone (issue 11): every kind of line (jti, kid, sub,
# client_id), revocation as of a time (before=), and a revocation that reaches both workers
# at once, cached verifications included. Two workers; the protected server listens with
# reuseport behind a proxy location, so the kernel spreads the requests over both.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

my $cli = $ENV{TEST_NGINX_CREDENTIALFLOW_CLI} || 'target/nginx/bin/credentialflow';
my $key = "$ENV{TEST_NGINX_FIXTURES}/keys/rsa/private.pem";

sub mint {
    my $token = `$cli mint --alg RS256 --key $key @_`;
    die "credentialflow mint @_ failed\n" if $? != 0;
    chomp $token;
    return $token;
}

my $now = time;
# A subject and a client revoked as of half an hour ago: their tokens issued an hour ago are
# revoked, the ones issued now are not.
$ENV{TEST_NGINX_HALF_HOUR_AGO} = $now - 1800;
$ENV{TEST_NGINX_TOKEN_KID_OLD} = mint('--kid rsa-2019 --sub k --jti k-1 --ttl 1h');
$ENV{TEST_NGINX_TOKEN_KID_NEW} = mint('--kid rsa-2026 --sub k --jti k-2 --ttl 1h');
$ENV{TEST_NGINX_TOKEN_DAVE_OLD} = mint('--sub dave --jti d-1 --iat-in -1h --ttl 2h');
$ENV{TEST_NGINX_TOKEN_DAVE_NEW} = mint('--sub dave --jti d-2 --ttl 1h');
$ENV{TEST_NGINX_TOKEN_CLIENT_OLD} = mint('--sub s --claim client_id=c-9 --jti c-1 --iat-in -1h --ttl 2h');
$ENV{TEST_NGINX_TOKEN_CLIENT_NEW} = mint('--sub s --claim client_id=c-9 --jti c-2 --ttl 1h');
$ENV{TEST_NGINX_TOKEN_CLIENT_ALL} = mint('--sub s --claim client_id=c-all --jti c-3 --ttl 1h');
$ENV{TEST_NGINX_TOKEN_JTI} = mint('--sub j --jti gone-1 --ttl 1h');
$ENV{TEST_NGINX_TOKEN_EVE} = mint('--sub eve --jti eve-1 --ttl 1h');

workers(2);
master_on();
no_shuffle();
log_level('info');
timeout(10);
run_tests();

__DATA__

=== TEST 1: jti, kid, sub and client_id lines each revoke their own tokens; before= revokes only tokens issued before it
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 reuseport;
        location /api/ {
            credentialflow on;
            credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
            credentialflow_revocation_file $TEST_NGINX_SERVER_ROOT/html/revoked.txt;
            add_header X-Status "[$credentialflow_status]" always;
            root $TEST_NGINX_SERVER_ROOT/html;
        }
    }
--- config
    location /api/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- user_files
>>> api/hello.txt
hello
>>> revoked.txt
# one line of each kind
jti gone-1
kid rsa-2019
sub dave before=$TEST_NGINX_HALF_HOUR_AGO
client_id c-9 before=$TEST_NGINX_HALF_HOUR_AGO
client_id c-all
--- request eval
[("GET /api/hello.txt") x 9]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_JTI}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KID_OLD}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_KID_NEW}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_DAVE_OLD}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_DAVE_NEW}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_CLIENT_OLD}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_CLIENT_NEW}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_CLIENT_ALL}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EVE}"]
--- error_code eval
[401, 401, 200, 401, 200, 401, 200, 401, 200]
--- response_headers eval
["X-Status: [revoked]", "X-Status: [revoked]", "X-Status: [ok]", "X-Status: [revoked]",
 "X-Status: [ok]", "X-Status: [revoked]", "X-Status: [ok]", "X-Status: [revoked]",
 "X-Status: [ok]"]



=== TEST 2: a line appended while nginx runs reaches both workers within a second, cached tokens included
--- http_config
    log_format revoke_sub "sub $arg_sub";
    log_format cf '$pid $status $credentialflow_cache';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 reuseport;
        access_log $TEST_NGINX_SERVER_ROOT/logs/cf.log cf;
        location /api/ {
            credentialflow on;
            credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
            credentialflow_revocation_file $TEST_NGINX_SERVER_ROOT/html/revoked.txt;
            root $TEST_NGINX_SERVER_ROOT/html;
        }
    }
--- config
    location /api/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location = /revoke {
        access_log html/revoked.txt revoke_sub;
        return 204;
    }
    location = /wait {
        auth_delay 1500ms;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
    location = /cf.log {
        alias logs/cf.log;
    }
--- user_files
>>> api/hello.txt
hello
>>> revoked.txt
# empty at startup
--- request eval
[("GET /api/hello.txt") x 20, "GET /revoke?sub=eve", "GET /wait", ("GET /api/hello.txt") x 20,
 "GET /cf.log"]
--- more_headers eval
[("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EVE}") x 20, "", "",
 ("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EVE}") x 20, ""]
--- error_code eval
[(200) x 20, 204, 401, (401) x 20, 200]
--- response_body_like eval
[("hello") x 20, "", "", ("") x 20,
 # Both workers served the token from a cache before the revocation, and both refused it
 # after: 20 lines of 200, then 20 of 401, two pids in each part.
 qr/\A(?=(?:\d+ 200 \S+\n){20}(?:\d+ 401 \S+\n){20}\z)(?=.*^(\d+) 200 .*^(?!\1 )\d+ 200 )(?=.*^(\d+) 401 .*^(?!\2 )\d+ 401 )(?=.*^\d+ 200 (?:hit|shared)$)(?=.*^\d+ 401 (?:hit|shared)$)/ms]



=== TEST 3: revocations that do not fit in the zone refuse every token with 503 (fail closed) and say why
--- http_config
    credentialflow_zone 32k;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_revocation_file html/revoked.txt;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
    location = /error.log {
        root logs;
    }
--- user_files eval
[["api/hello.txt", "hello\n"],
 ["revoked.txt", CORE::join("", map { sprintf("jti revoked-%06d\n", $_) } 1 .. 3000)]]
--- request eval
["GET /api/hello.txt", "GET /error.log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_EVE}", ""]
--- error_code eval
[503, 200]
--- response_headers eval
["X-Status: [unavailable]\nWWW-Authenticate:", ""]
--- response_body_like eval
[qr/503/, qr/revocation file "[^"]*revoked\.txt" \(3000 entries\) does not fit in the zone/]
