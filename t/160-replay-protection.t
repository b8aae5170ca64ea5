# credentialflow_replay_protection (issue 11): a token (its iss and jti) is accepted once,
# on whichever worker; a token without jti is refused there; when the zone has no room for
# another record, new tokens get 503 and no unexpired record is ever evicted.
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

$ENV{TEST_NGINX_TOKEN_ONCE} = mint('--sub a --jti once-1 --ttl 1h');
$ENV{TEST_NGINX_TOKEN_OTHER_ISS} = mint('--sub a --jti once-1 --iss https://other.example --ttl 1h');
$ENV{TEST_NGINX_TOKEN_NO_JTI} = mint('--sub a --ttl 1h');
$ENV{TEST_NGINX_TOKEN_NO_EXP} = mint('--sub a --jti forever --no-exp');
# Each about 1 KiB, so that a small zone fills after a few dozen.
my $padding = 'p' x 900;
our @MANY = map { mint("--sub user-$_ --jti many-$_ --ttl 1h --claim pad=$padding") } 1 .. 150;

workers(2);
master_on();
no_shuffle();
log_level('info');
timeout(20);
run_tests();

__DATA__

=== TEST 1: a token is accepted once, whichever worker sees it again; the same jti from another issuer is another token
--- http_config
    log_format cf '$pid $status $credentialflow_status';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 reuseport;
        access_log $TEST_NGINX_SERVER_ROOT/logs/cf.log cf;
        location /api/ {
            credentialflow on;
            credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
            credentialflow_replay_protection on;
            add_header X-Status "[$credentialflow_status]" always;
            root $TEST_NGINX_SERVER_ROOT/html;
        }
        location /open/ {
            credentialflow on;
            credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
            root $TEST_NGINX_SERVER_ROOT/html;
        }
    }
--- config
    location /api/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location /open/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location = /cf.log {
        alias logs/cf.log;
    }
--- user_files
>>> api/hello.txt
hello
>>> open/hello.txt
hello
--- request eval
["GET /open/hello.txt", "GET /api/hello.txt", ("GET /api/hello.txt") x 10, "GET /open/hello.txt",
 "GET /api/hello.txt", "GET /cf.log"]
--- more_headers eval
[("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_ONCE}") x 13,
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_OTHER_ISS}", ""]
--- error_code eval
[200, 200, (401) x 10, 200, 200, 200]
--- response_headers eval
["", "X-Status: [ok]",
 (qq{X-Status: [replayed]\nWWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="token already used"}) x 10,
 "", "X-Status: [ok]", ""]
--- response_body_like eval
[("hello") x 2, ("") x 10, ("hello") x 2,
 # The replays were refused by both workers.
 qr/(?=.*^(\d+) 401 replayed\n.*^(?!\1 )\d+ 401 replayed\n)/ms]



=== TEST 2: replay protection needs jti and exp: a token without either is refused there
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_replay_protection on;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_NO_JTI}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_NO_EXP}"]
--- error_code eval
[401, 401]
--- response_headers eval
[qq{X-Status: [invalid]\nWWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="invalid or missing claims"},
 qq{X-Status: [invalid]\nWWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="invalid or missing claims"}]



=== TEST 3: a full zone refuses new tokens with 503 and evicts no record: used tokens stay refused
--- http_config
    credentialflow_zone 32k;
    log_format replay '$arg_pass $arg_n $status';
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_replay_protection on;
        access_log logs/replay.log replay;
        root html;
    }
    location = /replay.log {
        alias logs/replay.log;
    }
    location = /error.log {
        root logs;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[(map { "GET /api/hello.txt?pass=1&n=$_" } 1 .. 150), (map { "GET /api/hello.txt?pass=2&n=$_" } 1 .. 150),
 "GET /replay.log", "GET /error.log"]
--- more_headers eval
[(map { "Authorization: Bearer $_" } @main::MANY), (map { "Authorization: Bearer $_" } @main::MANY), "", ""]
--- error_code_like eval
# Which tokens of the first pass get 200 or 503 depends on the zone's room; the log below
# ties each second use to the first.
[(qr/^(?:200|503)$/) x 150, (qr/^(?:401|503)$/) x 150, qr/^200$/, qr/^200$/]
--- response_body_like eval
[(qr/^(?:hello\n|.*(?:401|503).*)$/s) x 300,
 # Some were recorded (200) and then some refused (503); no token was accepted twice; and
 # no token recorded in the first pass lost its record (its second use is 401, never 503).
 qr/\A(?=.*^1 \d+ 200$)(?=.*^1 \d+ 503$)(?!.*^2 \d+ 200$)(?!.*^1 (\d+) 200\n.*^2 \1 503$)/ms,
 qr/has no room for another replay record/]
