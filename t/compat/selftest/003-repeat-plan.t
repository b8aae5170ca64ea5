# Self-test of the project's Test::Nginx::Socket runner (t/compat):
# repeat_each(2) with an exact plan (3 subtests per request), master_on,
# workers, env_to_nginx, and the default (random) block order.
use Test::Nginx::Socket;

repeat_each(2);
master_on();
workers(2);
worker_connections(128);
env_to_nginx("SELFTEST_FOO=bar");
log_level('info');

plan tests => repeat_each() * 3 * blocks();

run_tests();

__DATA__

=== TEST 1: static file, twice
--- config
    location /files/ { root html; }
--- user_files
>>> files/r.txt
again
--- request
GET /files/r.txt
--- response_body
again
--- no_error_log
[error]



=== TEST 2: each repetition checks its own log slice
--- config
    location /files/ { root html; }
--- request
GET /files/missing-rep
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log
missing-rep



=== TEST 3: headers, twice
--- config
    location = /t { add_header X-R r; return 204; }
--- request
GET /t
--- error_code: 204
--- response_headers
X-R: r
--- response_body:
