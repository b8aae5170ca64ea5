# Self-test of the project's Test::Nginx::Socket runner (t/compat): SKIP
# drops a block, LAST drops everything after it, and blocks() counts what is
# left (2 blocks => 4 subtests).  The blocks it must not run would fail.
use Test::Nginx::Socket;

plan tests => 2 * blocks();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: runs
--- config
    location = /t { return 200 "one"; }
--- request
GET /t
--- response_body chomp
one



=== TEST 2: skipped
--- SKIP
--- config
    location = /t { return 200 "two"; }
--- request
GET /t
--- response_body chomp
this block must not run



=== TEST 3: last block run
--- LAST
--- config
    location = /t { return 200 "three"; }
--- request
GET /t
--- response_body chomp
three



=== TEST 4: after LAST
--- config
    location = /t { return 200 "four"; }
--- request
GET /t
--- response_body chomp
this block must not run
