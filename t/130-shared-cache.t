# The shared-memory zone and the token cache the workers share, seen through
# $credentialflow_cache (`miss`: verified now; `hit`: the worker's own cache; `shared`: the
# zone). Two workers, so that a token verified by one is served to the other from the zone.
# Tokens minted here come from the project's CLI (scripts/build.sh puts it in target/nginx/bin).
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

my $cli = $ENV{TEST_NGINX_CREDENTIALFLOW_CLI} || 'target/nginx/bin/credentialflow';
my $secret = "$ENV{TEST_NGINX_FIXTURES}/keys/hs256/secret";

sub mint {
    my $token = `$cli mint --alg HS256 --key $secret @_`;
    die "credentialflow mint @_ failed\n" if $? != 0;
    chomp $token;
    return $token;
}

# Minted when the file is read: TEST 1, the first block, runs within a second or two.
$ENV{TEST_NGINX_TOKEN_SOON} = mint('--sub soon --ttl 5s');
# Distinct tokens, each about as large as a typical access token.
my $padding = 'p' x 200;
our @MANY = map { mint("--sub user-$_ --ttl 1h --claim pad=$padding") } 1 .. 60;

workers(2);
master_on();
no_shuffle();
log_level('info');
timeout(10);
run_tests();

__DATA__

=== TEST 1: a cached token is never served after its exp, from either cache
--- http_config
    # One entry per worker: most hits come from the zone.
    credentialflow_cache_size 1;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/hs256/secret secret;
        # The token stays acceptable after exp: only the cache's own rule is tested.
        credentialflow_leeway 60s;
        add_header X-Cache "[$credentialflow_cache]" always;
        root html;
    }
    location /slow/ {
        # About 600 bytes (headers included) at 100 a second: exp passes meanwhile.
        limit_rate 100;
        root html;
    }
--- user_files eval
[["api/hello.txt", "hello\n"], ["slow/wait.txt", "x" x 360]]
--- request eval
["GET /api/hello.txt", "GET /api/hello.txt", "GET /slow/wait.txt", "GET /api/hello.txt",
 "GET /api/hello.txt"]
--- more_headers eval
[("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SOON}") x 2, "",
 ("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_SOON}") x 2]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_headers_like eval
["X-Cache: \\[miss\\]", "X-Cache: \\[(hit|shared)\\]", "", "X-Cache: \\[miss\\]",
 "X-Cache: \\[miss\\]"]



=== TEST 2: with two workers, a token sent on many connections is verified exactly once
--- http_config
    log_format cf '$pid $credentialflow_cache';
    # The protected server: with reuseport, the kernel spreads the proxy's connections (one
    # per request) over both workers.
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 reuseport;
        access_log logs/cf.log cf;
        location /api/ {
            credentialflow on;
            credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
            root html;
        }
    }
--- config
    location /api/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    location = /cf.log {
        alias logs/cf.log;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 30, "GET /cf.log"]
--- more_headers eval
[("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}") x 30, ""]
--- error_code eval
[(200) x 31]
--- response_body_like eval
[("hello") x 30,
 # Exactly one miss; the other worker's first request is served from the zone; two pids.
 qr/\A(?=(?:\d+ (?:hit|shared)\n)*\d+ miss\n(?:\d+ (?:hit|shared)\n)*\z)(?=.*^\d+ shared$)(?=.*^(\d+) .*^(?!\1 )\d+ )/ms]



=== TEST 3: another key set never gets the shared entry: the token is verified again or refused
--- http_config
    credentialflow_cache_size 1;
--- config
    add_header X-Cache "[$credentialflow_cache]" always;
    location /a/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
    location /b/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ec256/public.pem;
        root html;
    }
    location /c/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/ec256/public.pem;
        root html;
    }
--- user_files
>>> a/hello.txt
hello
>>> b/hello.txt
hello
>>> c/hello.txt
hello
--- request eval
["GET /a/hello.txt", "GET /a/hello.txt", "GET /b/hello.txt", "GET /b/hello.txt",
 "GET /c/hello.txt", "GET /a/hello.txt"]
--- more_headers eval
[("Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}") x 6]
--- error_code eval
[200, 200, 200, 200, 401, 200]
--- response_headers_like eval
["X-Cache: \\[miss\\]", "X-Cache: \\[(hit|shared)\\]", "X-Cache: \\[miss\\]",
 "X-Cache: \\[(hit|shared)\\]", "X-Cache: \\[miss\\]", "X-Cache: \\[(hit|shared)\\]"]



=== TEST 4: a full zone evicts the least recently used tokens instead of failing requests
--- http_config
    credentialflow_zone 32k;
    credentialflow_cache_size 1;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/hs256/secret secret;
        add_header X-Cache "[$credentialflow_cache]" always;
        root html;
    }
    location = /error.log {
        alias logs/error.log;
    }
--- user_files
>>> api/hello.txt
hello
--- request eval
[("GET /api/hello.txt") x 62, "GET /error.log"]
--- more_headers eval
[(map { "Authorization: Bearer $_" } @main::MANY, $main::MANY[0], $main::MANY[-1]), ""]
--- error_code eval
[(200) x 63]
--- response_headers_like eval
[("X-Cache: \\[miss\\]") x 61, "X-Cache: \\[(hit|shared)\\]", ""]
--- response_body_like eval
[("hello") x 62,
 qr/\[warn\] .*credentialflow: zone "credentialflow": is full with \d+ tokens: the least recently used are evicted/]
--- no_error_log
[crit]
[alert]
ngx_slab_alloc() failed



=== TEST 5: a zone under eight pages is refused at its line
--- http_config
    credentialflow_zone 16k;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "16k" in "credentialflow_zone" directive, the zone must be at least 32k \(8 memory pages\) in \S+\/nginx\.conf:\d+/



=== TEST 6: credentialflow_zone is an http-level directive, set once
--- http_config
    credentialflow_zone 1m;
    credentialflow_zone 2m;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_zone" directive is duplicate in \S+\/nginx\.conf:\d+/



=== TEST 7: credentialflow_zone is not allowed in server{}
--- config
    credentialflow_zone 1m;
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_zone" directive is not allowed here in \S+\/nginx\.conf:\d+/



=== TEST 8: another module's zone named "credentialflow" is refused
--- http_config
    limit_req_zone $binary_remote_addr zone=credentialflow:1m rate=1r/s;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*the shared memory zone "credentialflow" is already declared for a different use/
