# credentialflow_oauth_revoke refuses, at nginx -t, a revocation file the worker processes
# cannot write: a revocation answered 200 must be on disk. The test runner runs nginx's workers
# as its own user (root: "user root"), so the file is made unwritable for that user: mode 0444
# for an ordinary user, the immutable attribute (chattr +i) for root. Skipped where neither
# works.
my $file;
BEGIN {
    $file = "/tmp/credentialflow-t141-$$.txt";
    open my $fh, '>', $file or die "$file: $!";
    print $fh "# nothing revoked\n";
    close $fh;
    chmod 0444, $file;
    system("chattr +i $file >/dev/null 2>&1") if $> == 0;
    if (open my $probe, '>>', $file) {
        close $probe;
        unlink $file;
        require Test::More;
        Test::More::plan(skip_all => "cannot make a file unwritable here (root without chattr)");
    }
    $ENV{TEST_NGINX_UNWRITABLE} = $file;
}
END {
    if ($file) {
        system("chattr -i $file >/dev/null 2>&1") if $> == 0;
        unlink $file;
    }
}

use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

sub main::conf_line_has {
    my ($file, $line, $want) = @_;
    open my $fh, '<', $file or return 0;
    my @lines = <$fh>;
    return $line >= 1 && $line <= @lines && index($lines[$line - 1], $want) >= 0;
}

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a revocation file the workers cannot write is refused for the revocation endpoint
--- config
    credentialflow_oauth_issuer https://auth.example;
    credentialflow_oauth_signing_key $TEST_NGINX_FIXTURES/keys/ec256/private.pem kid=as-1;
    credentialflow_oauth_clients $TEST_NGINX_FIXTURES/oauth/clients.txt;
    credentialflow_revocation_file $TEST_NGINX_UNWRITABLE;
    location = /revoke { credentialflow_oauth_revoke; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_oauth_revoke: the worker processes \(.*\) cannot write the revocation file "[^"]*credentialflow-t141-\d+\.txt" \(.*\); a revocation would not survive a restart in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'credentialflow_oauth_revoke;') ? '' : '(*FAIL)' })/
