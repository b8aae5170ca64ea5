# ONLY: just TEST 2 runs (with a diag), and blocks() counts 1 block.
# Run by t/compat/selftest/run.sh (not a .t: the ONLY diag is noise).
use Test::Nginx::Socket;
plan tests => 2 * blocks();
run_tests();

__DATA__

=== TEST 1: not run
--- config
    location = /t { return 500; }
--- request
GET /t



=== TEST 2: the only one
--- ONLY
--- config
    location = /t { return 200 "only"; }
--- request
GET /t
--- response_body chomp
only



=== TEST 3: not run either
--- config
    location = /t { return 500; }
--- request
GET /t
