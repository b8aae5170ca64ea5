# BAILS OUT BY DESIGN (run by run.sh): undefined $TEST_NGINX_* variable.
use Test::Nginx::Socket 'no_plan';
run_tests();

__DATA__

=== TEST 1: undefined variable
--- config
    location = /t { return 200 "$TEST_NGINX_SELFTEST_NO_SUCH_VAR"; }
--- request
GET /t
