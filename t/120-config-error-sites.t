# Errors found once the whole configuration is read (at merge time) point at the directive
# they are about, in its own file, as nginx reports a directive's error ("... in FILE:LINE"),
# not at the end of the http block. Key and revocation paths that cannot be read are shown as
# resolved; a secret that ends with a line break gets a warning.
#
# conf_line_has() checks, while the error line is matched, that line LINE of FILE (both taken
# from the message) holds the expected directive, so no test depends on the generated
# nginx.conf's layout.
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

=== TEST 1: "credentialflow on" without a key points at the "credentialflow" line
--- config
    location /api/ {
        root html;
        credentialflow on;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow" is on but neither "credentialflow_jwt_key" nor "credentialflow_jwt_key_request" is set in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'credentialflow on;') ? '' : '(*FAIL)' })/



=== TEST 2: "credentialflow on" inherited from the server level points at the server's line
--- config
    credentialflow on;
    location /api/ {
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow" is on but neither "credentialflow_jwt_key" nor "credentialflow_jwt_key_request" is set in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, '    credentialflow on;') ? '' : '(*FAIL)' })/



=== TEST 3: algorithms no key can verify point at the "credentialflow_algorithms" line
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_algorithms ES256;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_algorithms: no configured key can verify any of the allowed algorithms \(ES256\) in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'credentialflow_algorithms ES256;') ? '' : '(*FAIL)' })/



=== TEST 4: a location in an included file gets the included file's name and line
--- config
    include ../html/api.conf;
--- user_files
>>> api.conf
location /api/ {
    root html;

    credentialflow on;
}
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow" is on but neither "credentialflow_jwt_key" nor "credentialflow_jwt_key_request" is set in (\S+\/html\/api\.conf):4$(??{ main::conf_line_has($1, 4, 'credentialflow on;') ? '' : '(*FAIL)' })/



=== TEST 5: a key path that cannot be read is shown resolved against the prefix
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key keys/none.pem;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_jwt_key "keys\/none\.pem": cannot read "\/\S*\/keys\/none\.pem": No such file or directory \(os error 2\) in \S+nginx\.conf:\d+/



=== TEST 6: a secret ending with a line break loads, with a warning that says so
--- config
    location /api/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/newline.secret secret;
        root html;
    }
--- user_files
>>> api/hello.txt
hello
--- request
GET /api/hello.txt
--- error_code: 401
--- error_log eval
qr/\[warn\] .*credentialflow_jwt_key "[^"]*newline\.secret": the secret ends with a line break, which is part of the secret \(the file's bytes are used exactly\); write the file without it unless the issuer signs with it in \S+nginx\.conf:\d+/
