# BAILS OUT BY DESIGN (run by run.sh): the first block has no --- config.
use Test::Nginx::Socket 'no_plan';
no_shuffle();
run_tests();

__DATA__

=== TEST 1: no config
--- request
GET /t
