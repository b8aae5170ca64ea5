# Run only against a module built with `--features panic-test` (scripts/panic-test.sh):
# that build adds `credentialflow_panic_test`, which makes the access handler panic.
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a panic in the access handler becomes a 500 and an alert
--- config
    location = /boom {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_PANIC_KEY secret;
        credentialflow_panic_test;
        root html;
    }
    location = /after {
        root html;
    }
--- user_files
>>> boom
never served
>>> after
still alive
--- request
GET /boom
--- error_code: 500
--- error_log
credentialflow: panic in the access handler: credentialflow_panic_test



=== TEST 2: the same worker then serves the next request (no restart: the server of TEST 1)
--- request
GET /after
--- response_body
still alive
--- no_error_log
exited on signal
