# The module names its version, the commit it was built from and the nginx it was built for
# in a notice line when nginx starts, as `nginx -V` names nginx's own.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
log_level('notice');
run_tests();

__DATA__

=== TEST 1: the start logs credentialflow/<version> (git <commit>; nginx/<version>; <backend>)
--- config
    location = /t { return 200 "up\n"; }
--- request
GET /t
--- response_body
up
--- error_log eval
qr{\[notice\] .*credentialflow/\d+\.\d+\.\d+ \(git ([0-9a-f]{7,}|unknown); nginx/\d+\.\d+\.\d+; (aws-lc|aws-lc-fips|ring)\)}
