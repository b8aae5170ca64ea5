# BAILS OUT BY DESIGN (run by run.sh): several requests but a plain
# (non-array) error_code.
use Test::Nginx::Socket 'no_plan';
run_tests();

__DATA__

=== TEST 1: plain error_code with two requests
--- config
    location = /t { return 200; }
--- request eval
["GET /t", "GET /t"]
--- error_code: 200
