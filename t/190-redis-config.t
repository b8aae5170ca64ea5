# credentialflow_redis (issue 11) at `nginx -t`: a bad address, a password file that cannot
# be read or holds no password, bad or repeated arguments, a second directive, and a
# directive outside http{}; each error names the directive's file and line. And with no Redis
# listening, nginx starts, serves, and logs the outage, and replay protection fails closed
# with 503 (this suite needs no Redis server).
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

sub main::conf_line_has {
    my ($file, $line, $want) = @_;
    open my $fh, '<', $file or return 0;
    my @lines = <$fh>;
    return $line >= 1 && $line <= @lines && index($lines[$line - 1], $want) >= 0;
}

my $cli = $ENV{TEST_NGINX_CREDENTIALFLOW_CLI} || 'target/nginx/bin/credentialflow';
my $key = "$ENV{TEST_NGINX_FIXTURES}/keys/rsa/private.pem";
my $token = `$cli mint --alg RS256 --key $key --sub alice --jti t170-1 --ttl 1h`;
die "credentialflow mint failed\n" if $? != 0;
chomp $token;
$ENV{TEST_NGINX_TOKEN} = $token;

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a port that is not a number is refused at the directive's line
--- http_config
    credentialflow_redis redis.internal:http;
--- config
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "redis\.internal:http" in "credentialflow_redis" directive, the port must be a number from 1 to 65535 in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'redis.internal:http;') ? '' : '(*FAIL)' })/



=== TEST 2: an address that is neither host:port nor unix:path is refused
--- http_config
    credentialflow_redis unix:;
--- config
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "unix:" in "credentialflow_redis" directive, the address must be host:port or unix:\/path in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'credentialflow_redis unix:;') ? '' : '(*FAIL)' })/



=== TEST 3: a password file that does not exist is refused, naming it
--- http_config
    credentialflow_redis 127.0.0.1:6379 password_file=/nonexistent/redis-password;
--- config
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_redis password_file="\/nonexistent\/redis-password": cannot read: No such file or directory \(os error 2\) in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'redis-password;') ? '' : '(*FAIL)' })/



=== TEST 4: a password file with an empty first line is refused
--- http_config
    credentialflow_redis 127.0.0.1:6379 password_file=$TEST_NGINX_SERVER_ROOT/html/empty-password;
--- config
--- user_files
>>> empty-password

second line
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_redis password_file="\S+empty-password": the file holds no password on its first line in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'empty-password;') ? '' : '(*FAIL)' })/



=== TEST 5: a database that is not a number is refused
--- http_config
    credentialflow_redis 127.0.0.1:6379 db=two;
--- config
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "db=two" in "credentialflow_redis" directive, the database must be a number in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'db=two;') ? '' : '(*FAIL)' })/



=== TEST 6: a timeout that is not a time is refused
--- http_config
    credentialflow_redis 127.0.0.1:6379 timeout=soon;
--- config
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "timeout=soon" in "credentialflow_redis" directive, the timeout must be a time such as 500ms or 1s in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'timeout=soon;') ? '' : '(*FAIL)' })/



=== TEST 7: an unknown argument is refused, naming the ones there are
--- http_config
    credentialflow_redis 127.0.0.1:6379 tls=on;
--- config
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "tls=on" in "credentialflow_redis" directive, expected password_file=, db=, prefix= or timeout= in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'tls=on;') ? '' : '(*FAIL)' })/



=== TEST 8: an argument given twice is refused
--- http_config
    credentialflow_redis 127.0.0.1:6379 prefix=a: prefix=b:;
--- config
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "prefix=b:" in "credentialflow_redis" directive, "prefix=" is given twice in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'prefix=b:;') ? '' : '(*FAIL)' })/



=== TEST 9: the directive twice is a duplicate
--- http_config
    credentialflow_redis 127.0.0.1:6379;
    credentialflow_redis 127.0.0.1:6380;
--- config
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_redis" directive is duplicate in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, '127.0.0.1:6380;') ? '' : '(*FAIL)' })/



=== TEST 10: the directive in a location is not allowed
--- config
    location /x {
        credentialflow_redis 127.0.0.1:6379;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_redis" directive is not allowed here in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'credentialflow_redis 127.0.0.1:6379;') ? '' : '(*FAIL)' })/



=== TEST 11: with no Redis listening, nginx starts, serves valid tokens and logs the outage
--- http_config
    credentialflow_redis 127.0.0.1:$TEST_NGINX_RAND_PORT_1 db=1 prefix=t170: timeout=200ms;
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root $TEST_NGINX_SERVER_ROOT/html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN}"
--- error_code: 200
--- response_body
hello
--- wait: 0.5
--- error_log eval
qr/\[error\] .*credentialflow: redis 127\.0\.0\.1:\d+ unreachable: .*Connection refused.*; the revocations already loaded stay enforced, retrying/



=== TEST 12: with Redis configured but unreachable, replay protection fails closed: 503, no challenge
--- http_config
    credentialflow_redis 127.0.0.1:$TEST_NGINX_RAND_PORT_1 timeout=200ms;
--- config
    location /once/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_replay_protection on;
        add_header X-Status "[$credentialflow_status]" always;
        alias $TEST_NGINX_SERVER_ROOT/html/api/;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /once/hello.txt
--- more_headers eval
"Authorization: Bearer $ENV{TEST_NGINX_TOKEN}"
--- error_code: 503
--- response_headers
X-Status: [unavailable]
!WWW-Authenticate
--- error_log eval
qr/\[error\] .*credentialflow: redis 127\.0\.0\.1:\d+: replay check failed \(.*Connection refused.*\): the token is refused with 503/
