# Run only against a module built with `--features panic-test` (scripts/panic-test.sh):
# that build adds `credentialflow_panic_test [outside]`, which makes the access handler panic
# (inside its guarded call, or on a thread of its own).
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
--- error_log eval
qr/\[alert\] .*credentialflow: panic in the access handler at src\/handler\.rs:\d+: credentialflow_panic_test,/



=== TEST 2: the same worker then serves the next request (no restart: the server of TEST 1)
--- request
GET /after
--- response_body
still alive
--- no_error_log
exited on signal



=== TEST 3: a panic outside the module's guarded calls is not silenced: it reaches the hook installed before ours (std's, which writes to stderr, nginx's error log)
--- config
    location = /elsewhere {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_PANIC_KEY secret;
        credentialflow_panic_test outside;
        root html;
    }
--- user_files
>>> elsewhere
never served
--- request
GET /elsewhere
--- error_code: 401
--- error_log eval
[qr/panicked at src\/handler\.rs:\d+:\d+:/, qr/^credentialflow_panic_test outside$/m]
--- no_error_log
credentialflow: panic in
exited on signal
