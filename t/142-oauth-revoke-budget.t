# The revocation endpoint cannot be used to deny service to everyone (issue 21, findings 1 and
# 2): revoking a revoked token again writes nothing (RFC 7009 §2.2: nothing changes); ended
# revocations are never loaded and leave the file (compaction); one client's revocations stop
# at its share of the zone (503, RFC 7009 §2.2.1) while other clients and every location go
# on; replay records have a share of their own and never crowd out revocations.
#
# Tokens are minted with the issuer's own key (kid "as-1"); clients and secrets come from
# scripts/gen-fixtures.sh (svc revokes its own tokens; admin has the revoke permission).
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

my $cli = $ENV{TEST_NGINX_CREDENTIALFLOW_CLI} || 'target/nginx/bin/credentialflow';
my $key = "$ENV{TEST_NGINX_FIXTURES}/keys/ec256/private.pem";

sub mint {
    my $token = `$cli mint --alg ES256 --key $key --kid as-1 --iss https://auth.example --aud https://api.example @_`;
    die "credentialflow mint @_ failed\n" if $? != 0;
    chomp $token;
    return $token;
}

$ENV{TEST_NGINX_AGAIN} = mint('--sub svc --claim client_id=svc --jti again-1 --ttl 1h');
$ENV{TEST_NGINX_PLAIN} = mint('--sub svc --claim client_id=svc --jti plain-1 --ttl 1h');
$ENV{TEST_NGINX_BYSTANDER} = mint('--sub other --claim client_id=c-9 --jti bystander-1 --ttl 1h');
# TEST 3: svc's own tokens, more than its share of a 64k zone holds (8 entries of 128 bytes).
our @OWN = map { mint("--sub svc --claim client_id=svc --jti q-$_ --ttl 1h") } 1 .. 10;
# TEST 4: tokens of 20 clients (7 each, within each one's share) used once each at a
# replay-protected location, more than the replay share holds. Each record takes 128 bytes
# (32 of header, the issuer, the jti).
our @ONCE = map { mint(sprintf("--sub r --claim client_id=c-%02d --jti once-%03d-of-many --ttl 1h", $_ % 20, $_)) } 1 .. 140;
# TEST 6: one client using its own tokens once each, more than its share of the replay records.
our @GREEDY = map { mint(sprintf("--sub svc --claim client_id=svc --jti greedy-%03d-of-many --ttl 1h", $_)) } 1 .. 10;
# TEST 2 and 5: a revocation file whose lines have all ended (until= an hour ago).
my $ended = '';
$ended .= "jti ended-$_ until=" . (time() - 3600) . " by=svc\n" for 1 .. 600;
$ENV{TEST_NGINX_ENDED_LINES} = $ended;

our $SVC = 'Authorization: Basic c3ZjOnN2Yy1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo=';
our $ADMIN = 'Authorization: Basic YWRtaW46YWRtaW4tc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZn';
our $FORM = 'Content-Type: application/x-www-form-urlencoded';

no_shuffle();
log_level('info');
timeout(30);
run_tests();

__DATA__

=== TEST 1: a token revoked again and again is written once (RFC 7009 §2.2: revoking a revoked token changes nothing)
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
--- request eval
[("POST /revoke\ntoken=$ENV{TEST_NGINX_AGAIN}") x 6, "GET /revoked.txt", "GET /api/hello.txt"]
--- more_headers eval
[("$main::FORM\n$main::SVC") x 6, "", "Authorization: Bearer $ENV{TEST_NGINX_AGAIN}"]
--- error_code eval
[(200) x 6, 200, 401]
--- response_body_like eval
[(qr/^\{\}$/) x 6, qr/\Ajti again-1 until=\d+ by=svc\n\z/, ""]



=== TEST 2: revocations that have ended are not loaded: a file of 600 ended lines in a 64k zone refuses nothing
--- http_config
    credentialflow_zone 64k;
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_revocation_file html/revoked.txt;
    location /api/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        root html;
    }
    location = /error.log { root logs; }
--- user_files eval
[["api/hello.txt" => "hello\n"], ["revoked.txt" => $ENV{TEST_NGINX_ENDED_LINES}]]
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt", "GET /error.log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_PLAIN}", "Authorization: Bearer $ENV{TEST_NGINX_BYSTANDER}", ""]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
["hello", "hello", qr/\A(?!.*does not fit in the zone)/s]



=== TEST 3: one client's revocations stop at its share of the zone (503, RFC 7009 §2.2.1); its revoked tokens stay refused, other tokens and an administrator go on
--- http_config
    credentialflow_zone 64k;
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_revocation_file html/revoked.txt;
    location = /revoke { credentialflow_oauth_revoke; }
    location /api/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        root html;
    }
    location = /error.log { root logs; }
--- user_files
>>> api/hello.txt
hello
>>> revoked.txt
--- request eval
[(map { "POST /revoke\ntoken=$_" } @main::OWN),
 "GET /api/hello.txt", "GET /api/hello.txt", "GET /api/hello.txt",
 "POST /revoke\ntoken=$ENV{TEST_NGINX_BYSTANDER}", "GET /api/hello.txt", "GET /error.log"]
--- more_headers eval
[("$main::FORM\n$main::SVC") x 10,
 "Authorization: Bearer $main::OWN[0]", "Authorization: Bearer $main::OWN[9]",
 "Authorization: Bearer $ENV{TEST_NGINX_PLAIN}",
 "$main::FORM\n$main::ADMIN", "Authorization: Bearer $ENV{TEST_NGINX_BYSTANDER}", ""]
--- error_code eval
[(200) x 8, 503, 503, 401, 200, 200, 200, 401, 200]
--- response_body_like eval
[(qr/^\{\}$/) x 8, (qr/"error":"temporarily_unavailable"/) x 2, "", "hello", "hello", qr/^\{\}$/, "",
 qr/\[warn\] .*revocation refused: client id "svc" holds its share of the zone's revocations/]



=== TEST 4: replay records have their own share: once clients filled it, replay-protected requests get 503, and a revocation is still enforced everywhere (nothing else gets 503)
--- http_config
    credentialflow_zone 64k;
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_revocation_file html/revoked.txt;
    location = /revoke { credentialflow_oauth_revoke; }
    location /once/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        credentialflow_replay_protection on;
        root html;
    }
    location /api/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        root html;
    }
--- user_files
>>> once/hello.txt
hello
>>> api/hello.txt
hello
>>> revoked.txt
--- request eval
[(map { "GET /once/hello.txt" } @main::ONCE),
 "POST /revoke\ntoken=$main::ONCE[0]", "POST /revoke\ntoken=$ENV{TEST_NGINX_BYSTANDER}",
 "GET /api/hello.txt", "GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
[(map { "Authorization: Bearer $_" } @main::ONCE),
 "$main::FORM\n$main::ADMIN", "$main::FORM\n$main::ADMIN",
 "Authorization: Bearer $main::ONCE[0]", "Authorization: Bearer $ENV{TEST_NGINX_BYSTANDER}",
 "Authorization: Bearer $ENV{TEST_NGINX_PLAIN}"]
--- error_code eval
# 128 records of 128 bytes fill a quarter of 64k.
[(200) x 128, (503) x 12, 200, 200, 401, 401, 200]
--- response_body_like eval
[("hello") x 128, (qr/503/) x 12, qr/^\{\}$/, qr/^\{\}$/, "", "", "hello"]



=== TEST 5: ended lines leave the file: the revocation that finds 600 of them rewrites the file without them
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_revocation_file html/revoked.txt;
    location = /revoke { credentialflow_oauth_revoke; }
    location = /revoked.txt { root html; }
    location = /error.log { root logs; }
    location /api/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        root html;
    }
--- user_files eval
[["api/hello.txt" => "hello\n"], ["revoked.txt" => "# kept\n$ENV{TEST_NGINX_ENDED_LINES}"]]
--- request eval
["POST /revoke\ntoken=$ENV{TEST_NGINX_PLAIN}", "GET /revoked.txt", "GET /api/hello.txt", "GET /error.log"]
--- more_headers eval
["$main::FORM\n$main::SVC", "", "Authorization: Bearer $ENV{TEST_NGINX_PLAIN}", ""]
--- error_code eval
[200, 200, 401, 200]
--- response_body_like eval
[qr/^\{\}$/, qr/\A# kept\njti plain-1 until=\d+ by=svc\n\z/, "",
 qr/\[notice\] .*revocation file "[^"]*revoked\.txt" compacted: ended revocations removed/]



=== TEST 6: one client's replay records stop at its share of the replay records (a sixteenth): its next first use gets 503, another client's is recorded
--- http_config
    credentialflow_zone 64k;
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    location /once/ {
        credentialflow on;
        credentialflow_accept_own_tokens on;
        credentialflow_audience https://api.example;
        credentialflow_replay_protection on;
        root html;
    }
--- user_files
>>> once/hello.txt
hello
--- request eval
[(map { "GET /once/hello.txt" } @main::GREEDY), "GET /once/hello.txt"]
--- more_headers eval
[(map { "Authorization: Bearer $_" } @main::GREEDY), "Authorization: Bearer $ENV{TEST_NGINX_BYSTANDER}"]
--- error_code eval
# 8 records of 128 bytes are a sixteenth of a quarter of 64k.
[(200) x 8, 503, 503, 200]
