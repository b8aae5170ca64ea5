# credentialflow_oauth_revoke (RFC 7009): every revocation kind through the endpoint (a token
# by its jti, sub=, client_id=, kid=), in force on both workers as soon as the endpoint
# answers (cached verifications included); sub/client_id revocations as of now; durability
# (a later block, a new nginx, reads the file an earlier block wrote); the RFC 7009 answers;
# the nginx -t refusal without a revocation file.
#
# Tokens are minted with the issuer's own key (kid "as-1") in this file's prelude; clients
# and secrets: scripts/gen-fixtures.sh (oauth/clients.txt: svc revokes its own tokens, admin
# has the revoke permission). Two workers: the server under test listens with reuseport
# behind a proxy location, as in t/150-shared-revocation.t.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

my $cli = $ENV{TEST_NGINX_CREDENTIALFLOW_CLI} || 'target/nginx/bin/credentialflow';
my $key = "$ENV{TEST_NGINX_FIXTURES}/keys/ec256/private.pem";
my $other = "$ENV{TEST_NGINX_FIXTURES}/keys/ec384/private.pem";

sub mint {
    my $token = `$cli mint --alg ES256 --key $key --kid as-1 --iss https://auth.example --aud https://api.example @_`;
    die "credentialflow mint @_ failed\n" if $? != 0;
    chomp $token;
    return $token;
}

# As of now: carol's and c-7's old tokens were issued an hour ago, their later ones are
# issued 40 s from now (the protected location tolerates 2 minutes of clock skew), after the
# revocation TEST 1 makes within its first seconds.
$ENV{TEST_NGINX_CAROL_OLD} = mint('--sub carol --claim client_id=svc --jti carol-1 --iat-in -1h --ttl 2h');
$ENV{TEST_NGINX_CAROL_LATER} = mint('--sub carol --claim client_id=svc --jti carol-2 --iat-in 40s --ttl 1h');
$ENV{TEST_NGINX_C7_OLD} = mint('--sub x --claim client_id=c-7 --jti c7-1 --iat-in -1h --ttl 2h');
$ENV{TEST_NGINX_C7_LATER} = mint('--sub x --claim client_id=c-7 --jti c7-2 --iat-in 40s --ttl 1h');
# TEST 2: one token per kind.
$ENV{TEST_NGINX_OWN} = mint('--sub svc --claim client_id=svc --jti own-1 --ttl 1h');
$ENV{TEST_NGINX_BOB} = mint('--sub bob --claim client_id=svc --jti bob-1 --ttl 1h');
$ENV{TEST_NGINX_C8} = mint('--sub y --claim client_id=c-8 --jti c8-1 --ttl 1h');
$ENV{TEST_NGINX_ANY} = mint('--sub z --claim client_id=c-9 --jti any-1 --ttl 1h');
# TEST 3/4: durability.
$ENV{TEST_NGINX_KEPT} = mint('--sub svc --claim client_id=svc --jti kept-1 --ttl 1h');
$ENV{TEST_NGINX_OTHER} = mint('--sub svc --claim client_id=svc --jti other-1 --ttl 1h');
my $durable = "/tmp/credentialflow-t140-$$.txt";
open my $fh, '>', $durable or die "$durable: $!";
print $fh "# written by t/140's TEST 3, read by TEST 4\n";
close $fh;
$ENV{TEST_NGINX_DURABLE} = $durable;
END { unlink $durable if $durable }
# TEST 5: the RFC 7009 answers.
$ENV{TEST_NGINX_FOREIGN} = mint('--sub o --claim client_id=other --jti foreign-1 --ttl 1h');
$ENV{TEST_NGINX_EXPIRED} = mint('--sub svc --claim client_id=svc --jti expired-1 --ttl -1h');
$ENV{TEST_NGINX_NO_JTI} = mint('--sub svc --claim client_id=svc --ttl 1h');
$ENV{TEST_NGINX_HINTED} = mint('--sub svc --claim client_id=svc --jti hinted-1 --ttl 1h');
{
    my $forged = `$cli mint --alg ES384 --key $other --kid as-1 --iss https://auth.example --aud https://api.example --sub svc --claim client_id=svc --jti forged-1 --ttl 1h`;
    die "mint failed\n" if $? != 0;
    chomp $forged;
    $ENV{TEST_NGINX_FORGED} = $forged;
}

workers(2);
master_on();
no_shuffle();
log_level('info');
timeout(20);
run_tests();

__DATA__

=== TEST 1: sub and client_id revocations hold as of now: tokens issued before are refused, tokens issued after pass
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 reuseport;
        credentialflow_oauth_issuer https://auth.example;
        credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
        credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
        credentialflow_revocation_file $TEST_NGINX_SERVER_ROOT/html/revoked.txt;
        location = /revoke { credentialflow_oauth_revoke; }
        location /api/ {
            credentialflow on;
            credentialflow_accept_own_tokens on;
            credentialflow_audience https://api.example;
            credentialflow_leeway 2m;
            root $TEST_NGINX_SERVER_ROOT/html;
        }
    }
--- config
    location /api/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location = /revoke {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location = /error.log { root logs; }
--- user_files
>>> api/hello.txt
hello
>>> revoked.txt
# empty at startup
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt",
 "POST /revoke\nsub=carol",
 "GET /api/hello.txt", "GET /api/hello.txt",
 "GET /api/hello.txt", "GET /api/hello.txt",
 "POST /revoke\nclient_id=c-7",
 "GET /api/hello.txt", "GET /api/hello.txt", "GET /error.log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_CAROL_OLD}",
 "Authorization: Bearer $ENV{TEST_NGINX_CAROL_LATER}",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic YWRtaW46YWRtaW4tc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZn",
 "Authorization: Bearer $ENV{TEST_NGINX_CAROL_OLD}",
 "Authorization: Bearer $ENV{TEST_NGINX_CAROL_LATER}",
 "Authorization: Bearer $ENV{TEST_NGINX_C7_OLD}",
 "Authorization: Bearer $ENV{TEST_NGINX_C7_LATER}",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic YWRtaW46YWRtaW4tc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZn",
 "Authorization: Bearer $ENV{TEST_NGINX_C7_OLD}",
 "Authorization: Bearer $ENV{TEST_NGINX_C7_LATER}", ""]
--- error_code eval
[200, 200, 200, 401, 200, 200, 200, 200, 401, 200, 200]
--- response_body_like eval
["hello", "hello", qr/^\{\}$/, "", "hello", "hello", "hello", qr/^\{\}$/, "", "hello",
 qr/credentialflow: revocation "sub carol" by client id "admin" committed to "[^"]*revoked\.txt" in \d+ us.*credentialflow: revocation "client_id c-7" by client id "admin" committed to "[^"]*revoked\.txt" in \d+ us/s]



=== TEST 2: a token (jti), sub, client_id and kid revoked through the endpoint are refused by both workers at once, cached verifications included
--- http_config
    log_format cf '$pid $status $credentialflow_cache';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 reuseport;
        access_log $TEST_NGINX_SERVER_ROOT/logs/cf.log cf;
        credentialflow_oauth_issuer https://auth.example;
        credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
        credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
        credentialflow_revocation_file $TEST_NGINX_SERVER_ROOT/html/revoked.txt;
        location = /revoke { access_log off; credentialflow_oauth_revoke; }
        location /api/ {
            credentialflow on;
            credentialflow_accept_own_tokens on;
            credentialflow_audience https://api.example;
            root $TEST_NGINX_SERVER_ROOT/html;
        }
    }
--- config
    location /api/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location = /revoke {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location = /cf.log { alias logs/cf.log; }
    location = /revoked.txt { alias html/revoked.txt; }
--- user_files
>>> api/hello.txt
hello
>>> revoked.txt
# empty at startup
--- request eval
my @seq;
for my $step (["OWN", "token=$ENV{TEST_NGINX_OWN}", "c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo="],
              ["BOB", "sub=bob", "YWRtaW46YWRtaW4tc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZn"],
              ["C8", "client_id=c-8", "YWRtaW46YWRtaW4tc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZn"],
              ["ANY", "kid=as-1", "YWRtaW46YWRtaW4tc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZn"]) {
    push @seq, ("GET /api/hello.txt") x 8, "POST /revoke\n$step->[1]", ("GET /api/hello.txt") x 8;
}
[@seq, "GET /cf.log", "GET /revoked.txt"]
--- more_headers eval
my @seq;
for my $step (["OWN", "c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo="],
              ["BOB", "YWRtaW46YWRtaW4tc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZn"],
              ["C8", "YWRtaW46YWRtaW4tc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZn"],
              ["ANY", "YWRtaW46YWRtaW4tc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZn"]) {
    my $bearer = "Authorization: Bearer " . $ENV{"TEST_NGINX_" . $step->[0]};
    push @seq, ($bearer) x 8,
        "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic $step->[1]",
        ($bearer) x 8;
}
[@seq, "", ""]
--- error_code eval
[((200) x 8, 200, (401) x 8) x 4, 200, 200]
--- response_body_like eval
[(("hello") x 8, qr/^\{\}$/, ("") x 8) x 4,
 # Before each revocation both workers served the token (from their caches after the first
 # use), after it both refused it: the statuses above give the order; the log (whose lines
 # two workers may write out of order) shows two pids among the 200s and two among the
 # 401s, and cache hits on both sides.
 qr/\A(?=(?:\d+ (?:200|401) \S+\n){64}\z)(?=.*^(\d+) 200 .*^(?!\1 )\d+ 200 )(?=.*^(\d+) 401 .*^(?!\2 )\d+ 401 )(?=.*^\d+ 200 (?:hit|shared)$)(?=.*^\d+ 401 (?:hit|shared)$)/ms,
 qr/\A# empty at startup\njti own-1 until=\d+ by=svc\nsub bob before=\d+ by=admin\nclient_id c-8 before=\d+ by=admin\nkid as-1 by=admin\n\z/]



=== TEST 3: durability, part 1: a token revoked through the endpoint is in the file before the 200, and stays refused once the file watcher has reloaded the file
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_revocation_file $TEST_NGINX_DURABLE;
    location = /revoke { credentialflow_oauth_revoke; }
    location /api/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        root html;
    }
    location = /wait {
        auth_delay 1500ms;
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
    }
    location = /error.log { root logs; }
--- user_files
>>> api/hello.txt
hello
--- request eval
["GET /api/hello.txt", "POST /revoke\ntoken=$ENV{TEST_NGINX_KEPT}", "GET /api/hello.txt",
 "GET /wait", "GET /api/hello.txt", "GET /error.log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_KEPT}",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "Authorization: Bearer $ENV{TEST_NGINX_KEPT}", "",
 "Authorization: Bearer $ENV{TEST_NGINX_KEPT}", ""]
--- error_code eval
[200, 200, 401, 401, 401, 200]
--- response_headers eval
["", "Cache-Control: no-store\nContent-Type: application/json", "", "", "", ""]
--- response_body_like eval
["hello", qr/^\{\}$/, "", "", "",
 qr/committed to "[^"]*credentialflow-t140-\d+\.txt" in \d+ us.*credentialflow: revocation file "[^"]*credentialflow-t140-\d+\.txt" reloaded, 1 entries/s]



=== TEST 4: durability, part 2: a new nginx reading the same file still refuses the token revoked in TEST 3
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_revocation_file $TEST_NGINX_DURABLE;
    location = /revoke { credentialflow_oauth_revoke; }
    location /api/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_KEPT}", "Authorization: Bearer $ENV{TEST_NGINX_OTHER}"]
--- error_code eval
[401, 200]
--- response_headers eval
["X-Status: [revoked]", "X-Status: [ok]"]



=== TEST 5: RFC 7009 answers: own, foreign, expired, forged, garbage and jti-less tokens; unauthenticated and unprivileged callers
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_revocation_file html/revoked.txt;
    credentialflow_realm "auth";
    location = /revoke { credentialflow_oauth_revoke; }
    location = /revoked.txt { root html; }
--- user_files
>>> revoked.txt
# empty at startup
--- request eval
["POST /revoke\ntoken=$ENV{TEST_NGINX_OWN}",
 "POST /revoke\ntoken=$ENV{TEST_NGINX_FOREIGN}",
 "POST /revoke\ntoken=$ENV{TEST_NGINX_EXPIRED}",
 "POST /revoke\ntoken=$ENV{TEST_NGINX_FORGED}",
 "POST /revoke\ntoken=not.a.token&token_type_hint=access_token",
 "POST /revoke\ntoken=$ENV{TEST_NGINX_NO_JTI}",
 "POST /revoke\ntoken=$ENV{TEST_NGINX_HINTED}&token_type_hint=refresh_token",
 "POST /revoke\ntoken=$ENV{TEST_NGINX_OWN}",
 "POST /revoke\ntoken=$ENV{TEST_NGINX_OWN}",
 "POST /revoke\nsub=bob",
 "POST /revoke\ntoken_type_hint=access_token",
 "GET /revoke",
 "POST /revoke\ntoken=$ENV{TEST_NGINX_FOREIGN}&client_id=admin&client_secret=admin-secret-0123456789abcdefg",
 "GET /revoked.txt"]
--- more_headers eval
my $svc = "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=";
[$svc, $svc, $svc, $svc, $svc, $svc, $svc,
 "Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOndyb25n",
 $svc, $svc, "",
 "Content-Type: application/x-www-form-urlencoded",
 ""]
--- error_code eval
[200, 400, 200, 200, 200, 400, 200, 401, 401, 400, 400, 405, 200, 200]
--- response_headers eval
["Cache-Control: no-store", "Cache-Control: no-store", "Cache-Control: no-store",
 "Cache-Control: no-store", "Cache-Control: no-store", "Cache-Control: no-store",
 "Cache-Control: no-store", "WWW-Authenticate: Basic realm=\"auth\"\nCache-Control: no-store",
 "WWW-Authenticate: Basic realm=\"auth\"", "", "", "Allow: POST", "", ""]
--- response_body_like eval
["^\\{\\}\$",
 "^\\{\"error\":\"unauthorized_client\",\"error_description\":\"the token was not issued to this client\"\\}\$",
 "^\\{\\}\$", "^\\{\\}\$", "^\\{\\}\$",
 "^\\{\"error\":\"unsupported_token_type\",",
 "^\\{\\}\$",
 "^\\{\"error\":\"invalid_client\",\"error_description\":\"client authentication is required\"\\}\$",
 "^\\{\"error\":\"invalid_client\",\"error_description\":\"client authentication failed\"\\}\$",
 "^\\{\"error\":\"unauthorized_client\",",
 "^\\{\"error\":\"invalid_request\",\"error_description\":\"token is missing\"\\}\$",
 "takes POST",
 "^\\{\\}\$",
 # Only the own token (by svc), the hinted one and the foreign one (by admin) were written:
 # nothing for the expired, forged, garbage or refused requests.
 "\\A# empty at startup\\njti own-1 until=\\d+ by=svc\\njti hinted-1 until=\\d+ by=svc\\njti foreign-1 until=\\d+ by=admin\\n\\z"]
--- no_error_log
svc-secret



=== TEST 6: a revocation endpoint without a revocation file is refused at nginx -t, at its line
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    location = /revoke { credentialflow_oauth_revoke; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_oauth_revoke" needs a "credentialflow_revocation_file" at its location or above, or "credentialflow_redis": revocations are written to one of them, so that they survive a restart in \S+nginx\.conf:\d+/



=== TEST 7: a revocation endpoint without a client registry is refused at nginx -t
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_revocation_file html/revoked.txt;
    location = /revoke { credentialflow_oauth_revoke; }
--- user_files
>>> revoked.txt
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_oauth_revoke" needs "credentialflow_oauth_clients" in \S+nginx\.conf:\d+/



=== TEST 8: a jti that a revocation line would read back as another revocation is refused, and nothing is written (it would revoke client rot's token "victim" and free the caller's own)
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_revocation_file html/revoked.txt;
    location = /revoke { credentialflow_oauth_revoke; }
    location = /revoked.txt { root html; }
    location /api/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
>>> revoked.txt
# empty at startup
--- request eval
["POST /revoke\ntoken=$ENV{TEST_NGINX_TOKEN_OWN_INJECTED_JTI}", "GET /revoked.txt",
 "GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=",
 "", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ROT_VICTIM}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_OWN_INJECTED_JTI}"]
--- error_code eval
[400, 200, 200, 200]
--- response_body_like eval
[qr/"error":"unsupported_token_type"/, qr/\A# empty at startup\n\z/, "hello", "hello"]
