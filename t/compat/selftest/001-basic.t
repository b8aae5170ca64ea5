# Self-test of the project's Test::Nginx::Socket runner (t/compat): static
# files, status, headers, bodies, regexes.  Uses only core nginx modules, so
# it must also pass under CPAN's Test::Nginx::Socket.
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: static user_files, exact body, headers
--- config
    location /files/ {
        root html;
        add_header X-One one;
        add_header X-M one;
        add_header X-M two;
        add_header X-Empty "";
    }
--- user_files
>>> files/a.txt
hello
>>> files/sub/b.txt
world
--- request
GET /files/a.txt
--- response_body
hello
--- response_headers
X-One: one
X-M: one, two
Content-Type: text/plain
X-Empty:
X-Absent:
! X-Absent
! x-one
--- no_error_log
[error]



=== TEST 2: file in a subdirectory, response_headers_like
--- config
    location /files/ { root html; }
--- user_files
>>> files/sub/b.txt
world
--- request
    GET /files/sub/b.txt
--- response_body
world
--- response_headers_like
Content-Length: \d+
Last-Modified: .+ GMT
X-Nope:



=== TEST 3: default location / serves index.html; chomp then chop
--- config
--- request
GET /
--- response_body chomp chop
<html><head><title>It works!</title></head><body>It works!</body></html>X



=== TEST 4: error_code inline, error_code_like, raw headers
--- config
    location = /t { return 404; }
--- request
GET /t
--- error_code_like: ^4\d\d$
--- raw_response_headers_like: ^HTTP/1\.1 404 Not Found\r\nServer: nginx
--- raw_response_headers_unlike: X-Foo
--- response_body_like: 404 Not Found
--- response_body_unlike: 200 OK



=== TEST 5: return 444 gives an empty status
--- config
    location = /close { return 444; }
--- request
GET /close
--- error_code:
--- response_body:



=== TEST 6: leading comments in request, HTTP/1.0 still gets Host
--- config
    location = /h { return 200 "host=$http_host conn=$http_connection proto=$server_protocol"; }
--- request

# a comment line
    # another one
GET /h HTTP/1.0
--- response_body chomp
host=localhost conn=close proto=HTTP/1.0



=== TEST 7: request body is trimmed and gets a Content-Length
--- config
    location = /len { return 200 "len=$http_content_length"; }
--- request
POST /len
   abc  
--- response_body chomp
len=3



=== TEST 8: body sent untrimmed when more_headers sets Content-Length
--- config
    location = /len {
        client_body_buffer_size 1k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo { return 200 "len=$http_content_length"; }
--- more_headers
Content-Length: 5
--- request eval
"POST /len\n abc "
--- response_body chomp
len=5



=== TEST 9: more_headers, comments and blank lines skipped, no Connection added
--- config
    location = /mh { return 200 "a=$http_x_a b=$http_x_b conn=$http_connection"; }
--- more_headers
X-A:   1

# X-B: 2
X-B:2
Connection: close
--- request
GET /mh
--- response_body chomp
a=1 b=2 conn=close



=== TEST 10: HEAD request: no body read
--- config
    location /files/ { root html; }
--- user_files
>>> files/h.txt
0123456789
--- request
HEAD /files/h.txt
--- response_headers
Content-Length: 11
--- response_body:



=== TEST 11: response_body_like multi-line keeps its trailing newline
--- config
    location = /t { return 200 "abc\n"; }
--- request
GET /t
--- response_body_like
^abc$



=== TEST 12: response_body eval qr, error_code eval
--- config
    location = /t { return 201 "created 42"; }
--- request
GET /t
--- error_code eval
201
--- response_body eval
qr/^created \d+$/



=== TEST 13: both response_headers and response_headers_like: only the first counts
--- config
    location = /t { add_header X-A yes; return 200; }
--- request
GET /t
--- response_headers
X-A: yes
--- response_headers_like
X-A: no



=== TEST 14: both response_body and response_body_like: only the first counts
--- config
    location = /t { return 200 "xyz"; }
--- request
GET /t
--- response_body chomp
xyz
--- response_body_like: nomatch
