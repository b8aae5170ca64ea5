# Self-test of the project's Test::Nginx::Socket runner (t/compat): backends
# on $TEST_NGINX_RAND_PORT_1, several requests per block, pipelining, chunked
# responses, error-log checks, must_die, reusing the server of the previous
# block.  Core nginx modules only, so it also runs under CPAN's
# Test::Nginx::Socket.  Order matters (TEST 11 reuses TEST 10's server).
use Test::Nginx::Socket 'no_plan';
use IO::Socket::INET;

# A port that accepts connections but never answers (for timeouts).
my $sink = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                 LocalPort => 0, Proto => 'tcp')
    or die "cannot listen: $!";
$ENV{TEST_NGINX_SINK_PORT} = $sink->sockport;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: proxy_pass to a backend on RAND_PORT_1, port stable within the block
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "uri=$uri port=$server_port len=$http_content_length body=$http_x_body\n";
        }
    }
--- config
    location /p/ {
        proxy_set_header X-Body $request_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /p/x
--- response_body
uri=/p/x port=$TEST_NGINX_RAND_PORT_1 len= body=



=== TEST 2: request eval array: one connection each; arrays per request
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "a=$http_x_a\n"; }
    }
--- config
    location /p/ { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1; }
    location = /t { return 403; }
--- request eval
["GET /p/1", "GET /p/2", "GET /t"]
--- more_headers eval
["X-A: one", "X-A: two", ""]
--- error_code eval
[200, 200, 403]
--- response_body_like eval
["^a=one\n\\z", "^a=two\n\\z", "403 Forbidden"]



=== TEST 3: pipelined requests on one connection
--- config
    location = /a { return 200 "first"; }
    location = /b { add_header X-B b; return 200 "second"; }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Length: 5", "X-B: b\nContent-Length: 6"]
--- response_body eval
["first", "second"]



=== TEST 4: request body written in two delayed pieces, chunked TE body untrimmed
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "len=$http_content_length body=$http_x_body"; }
    }
--- config
    location /p/ {
        proxy_set_header X-Body $request_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
[[ "POST /p/split\nab", { value => "cd", delay_before => 0.2 } ],
 "POST /p/te\n3\r\nxyz\r\n0\r\n\r\n"]
--- more_headers eval
["", "Transfer-Encoding: chunked"]
--- response_body eval
["len=4 body=abcd", "len=3 body=xyz"]



=== TEST 5: chunked response is de-chunked; raw headers show the chunking
--- config
    location /files/ { root html; ssi on; }
--- user_files
>>> files/c.html
line one
line two
--- request
GET /files/c.html
--- raw_response_headers_like: Transfer-Encoding: chunked\r\n
--- response_headers
! Content-Length
--- response_body
line one
line two



=== TEST 6: env expansion in user_files (eval form) and response_body; $ServerPort
--- config
    location /files/ { root html; }
    location = /r { server_tokens off; return 302 http://localhost:$server_port/x; }
--- user_files eval
[["files/e.txt", "port=\$TEST_NGINX_SERVER_PORT root=\$TEST_NGINX_SERVER_ROOT\n"]]
--- request eval
["GET /files/e.txt", "GET /r"]
--- error_code eval
[200, 302]
--- response_headers eval
["", "Location: http://localhost:\$ServerPort/x"]
--- response_body eval
["port=\$TEST_NGINX_SERVER_PORT root=\$TEST_NGINX_SERVER_ROOT\n",
 "<html>\r\n<head><title>302 Found</title></head>\r\n<body>\r\n"
 . "<center><h1>302 Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"]



=== TEST 7: user_files mtime (touch -t, GMT)
--- config
    location /files/ { root html; }
--- user_files
>>> files/old.txt 200001020304.05
old
--- request
GET /files/old.txt
--- response_headers
Last-Modified: Sun, 02 Jan 2000 03:04:05 GMT



=== TEST 8: raw_request, shutdown
--- config
    location = /raw { return 200 "proto=$server_protocol host=$http_host"; }
--- raw_request eval
"GET /raw HTTP/1.0\r\nHost: rawhost\r\n\r\n"
--- shutdown
--- response_body chomp
proto=HTTP/1.0 host=rawhost



=== TEST 9: client timeout with abort is not a failure
--- config
    location = /hang {
        proxy_read_timeout 10s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SINK_PORT;
    }
--- request
GET /hang
--- timeout: 300ms
--- abort
--- error_code:
--- response_body:



=== TEST 10: error_log and no_error_log, eval arrays with qr
--- config
    location /files/ { root html; }
--- request
GET /files/no-such-file-block10
--- error_code: 404
--- error_log eval
["no-such-file-block10", qr/\[error\] \d+#\d+: \*\d+ open\(\)/]
--- no_error_log
[alert]
[emerg]



=== TEST 11: no --- config: previous server kept, its log not truncated
--- request
GET /files/again-block11
--- error_code: 404
--- error_log
no-such-file-block10
again-block11



=== TEST 12: two requests: each error-log check sees its own lines
--- config
    location /files/ { root html; }
--- request eval
["GET /files/first-missing", "GET /files/second-missing"]
--- error_code eval
[404, 404]
--- error_log
No such file or directory
--- no_error_log
it-is-not-there



=== TEST 13: --- log_level per block
--- config
    location /files/ { root html; }
--- log_level: crit
--- request
GET /files/quiet-missing
--- error_code: 404
--- no_error_log
quiet-missing



=== TEST 14: must_die with error_log
--- config
    location = /t { no_such_directive_here; }
--- must_die
--- suppress_stderr
--- error_log
unknown directive "no_such_directive_here"
[emerg]



=== TEST 15: must_die with an exit code
--- config
    location = /t { return 200
--- must_die: 1
--- suppress_stderr
--- error_log
[emerg]



=== TEST 16: server comes back after must_die
--- config
    location = /t { return 200 "back"; }
--- request
GET /t
--- response_body chomp
back
