# FAILS BY DESIGN.  Not a .t file, so `prove -r t/` does not pick it up;
# t/compat/selftest/run.sh runs it and checks that exactly the subtests in
# its list fail, while the other subtests of these blocks pass.  Proves the
# runner can fail.  Order matters (F17 reuses F16's server).
use Test::Nginx::Socket 'no_plan';
use IO::Socket::INET;

my $sink = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                 LocalPort => 0, Proto => 'tcp')
    or die "cannot listen: $!";
$ENV{TEST_NGINX_SINK_PORT} = $sink->sockport;

no_shuffle();
run_tests();

__DATA__

=== F01: wrong status
--- config
    location = /t { return 404; }
--- request
GET /t
--- error_code: 200



=== F02: multi-line error_code keeps its newline
--- config
    location = /t { return 200; }
--- request
GET /t
--- error_code
200



=== F03: wrong body
--- config
    location = /t { return 200 "actual\n"; }
--- request
GET /t
--- response_body
expected



=== F04: multi-line response_body_like with ^abc$ does not match "abc"
--- config
    location = /t { return 200 "abc"; }
--- request
GET /t
--- response_body_like
^abc$



=== F05: response_headers: wrong value, present-but-forbidden, non-empty-but-empty
--- config
    location = /t { add_header X-A a; add_header X-B b; add_header X-C c; return 200; }
--- request
GET /t
--- response_headers
X-A: wrong
! X-B
X-C: c
X-B:



=== F06: error_log pattern never logged
--- config
    location = /t { return 200; }
--- request
GET /t
--- error_log
never-logged-xyz



=== F07: no_error_log: one failure per matching line
--- config
    location /files/ { root html; error_page 404 /files/also-missing-f07; }
--- log_level: error
--- request
GET /files/missing-f07
--- error_code: 404
--- no_error_log
-f07" failed



=== F08: second request's log slice does not see the first request's line
--- config
    location /files/ { root html; }
--- request eval
["GET /files/once-f08", "GET /"]
--- error_code eval
[404, 200]
--- error_log
once-f08



=== F09: an eval error becomes the value
--- config
    location = /t { return 200 "x"; }
--- request
GET /t
--- response_body eval
"unterminated



=== F10: client timeout without abort
--- config
    location = /hang {
        proxy_read_timeout 10s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SINK_PORT;
    }
--- request
GET /hang
--- timeout: 300ms
--- error_code:



=== F11: Assertion ... failed in error.log
--- config
    location /files/ { root html; }
--- log_level: error
--- request
GET /files/Assertion%20x%3E0%20failed
--- error_code: 404



=== F12: return 444 is not status 200
--- config
    location = /t { return 444; }
--- request
GET /t



=== F13: response_body_unlike, raw_response_headers_like, error_code_like
--- config
    location = /t { return 200 "secret"; }
--- request
GET /t
--- error_code_like: ^5
--- raw_response_headers_like: X-Not-There
--- response_body_unlike: secret



=== F14: must_die, but nginx starts
--- config
    location = /t { return 200; }
--- must_die



=== F15: response_headers_like is anchored
--- config
    location = /t { add_header X-L "abc"; return 200; }
--- request
GET /t
--- response_headers_like
X-L: b



=== F16: several requests: only the second body is wrong
--- config
    location = /a { return 200 "a"; }
    location = /b { return 200 "b"; }
--- request eval
["GET /a", "GET /b"]
--- error_code eval
[200, 200]
--- response_body eval
["a", "not b"]



=== F17: no --- config: F16's server is reused, so /b is 200, not 404
--- request
GET /b
--- error_code: 404
