# credentialflow_revocation_file that fails to load: the previous list stays in force, the
# file is retried on every tick until a version loads, and each distinct failure (another
# error, or another broken version of the file) is logged once, not once per tick. nginx edits
# the file between requests through an access_log, as in t/080-revocation.t.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a second broken edit is reported too, and a persisting failure is logged once per version
--- http_config
    log_format revoke_raw "$arg_line";
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_revocation_file html/revoked.txt;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
    location = /append {
        access_log html/revoked.txt revoke_raw;
        return 204;
    }
    location = /wait {
        auth_delay 1500ms;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        root html;
    }
    location = /error.log {
        root logs;
    }
--- user_files
>>> api/hello.txt
hello
>>> revoked.txt
sub carol
--- request eval
["GET /api/hello.txt", "GET /append?line=bogus", "GET /wait", "GET /append?line=sub%20bob",
 "GET /wait", "GET /wait", "GET /api/hello.txt", "GET /api/hello.txt", "GET /error.log"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}", "", "", "", "", "",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_LIVE_JTI}", "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_BOB}", ""]
--- error_code eval
[401, 204, 401, 204, 401, 401, 401, 200, 200]
--- response_headers eval
["X-Status: [revoked]", "", "", "", "", "", "X-Status: [revoked]", "X-Status: [ok]", ""]
--- response_body_like eval
my $failed = qr/credentialflow: revocation file "[^"]*revoked\.txt": line 2: expected "jti", "kid", "sub" or "client_id"; keeping the previous list/;
["", "", "", "", "", "", "", "",
 qr/\A(?:(?:(?!$failed).)*$failed){2}(?:(?!$failed).)*\z/s]
