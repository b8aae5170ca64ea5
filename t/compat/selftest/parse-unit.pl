# Unit checks of the runner's internals (response parsing, chunked decoding,
# request bytes).  Runner-specific, hence not a .t file; run by run.sh.
use strict;
use warnings;
use Test::Nginx::Socket ();    # no import: no plan, no block parsing
use Test::More tests => 35;

package FakeBlock {
    # Just enough of a Test::Base block: sections from a hash.
    sub new { my ($class, %s) = @_; return bless {%s}, $class }
    our $AUTOLOAD;
    sub AUTOLOAD { my $self = shift; (my $n = $AUTOLOAD) =~ s/.*:://; return $self->{$n} }
    sub DESTROY {}
}

my $T = 'Test::Nginx::Socket';
my $b = FakeBlock->new(name => 'UNIT');
my $parse = sub { Test::Nginx::Socket::_parse_response($b, @_) };

# Chunked, with a chunk extension and a trailer.
my $buf = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-M: one\r\nX-M: two\r\n\r\n"
        . "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
my $r = $parse->(\$buf, 0);
is($r->{status}, 200, 'chunked: status');
is($r->{body}, 'hello world', 'chunked: de-chunked body');
is($buf, '', 'chunked: all consumed');
is($r->{res}->header('x-m'), 'one, two', 'repeated header joined with ", "');
is($r->{raw_headers}, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-M: one\r\nX-M: two\r\n",
   'raw headers: status line + lines with CRLF, no blank line');

# Malformed chunking.
for my $bad ("zz\r\nabc\r\n0\r\n\r\n", "5\r\nabc", "3\r\nabcX0\r\n\r\n") {
    my $x = $bad;
    my ($body, $err) = Test::Nginx::Socket::_decode_chunked(\$x);
    ok(defined $err, "malformed chunked detected: " . ($err // 'none'));
}

# Pipelined: Content-Length cuts, the rest is the next response.
$buf = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
     . "HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"
     . "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
     . "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nnfEXTRA";
my @r = map { $parse->(\$buf, $_ == 2) } 0 .. 3;
is_deeply([map { $_->{status} } @r], [200, 304, 200, 404], 'pipelined: statuses');
is_deeply([map { $_->{body} } @r], ['abc', '', '', 'nf'], 'pipelined: bodies (304 and HEAD have none)');
is($buf, 'EXTRA', 'pipelined: extra bytes kept');

# Nothing received / garbage / no header end / no Content-Length.
$buf = '';
is($parse->(\$buf, 0)->{status}, '', 'empty response: status ""');
$buf = "garbage\r\n\r\nmore";
is($parse->(\$buf, 0)->{status}, '', 'non-HTTP response: status ""');
$buf = "HTTP/1.1 200 OK\r\nX-A: 1\r\n";
$r = $parse->(\$buf, 0);
is_deeply([$r->{status}, $r->{body}], [200, ''], 'incomplete header: status parsed, no body');
$buf = "HTTP/1.0 200 OK\r\n\r\nuntil close";
is($parse->(\$buf, 0)->{body}, 'until close', 'no Content-Length: body until close');

# Short body only warns.
{
    my @w;
    local $SIG{__WARN__} = sub { push @w, @_ };
    $buf = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
    $r = $parse->(\$buf, 0);
    is($r->{body}, 'short', 'short body kept');
    like("@w", qr/Content-Length says 10/, 'short body warns');
}

# Request bytes.
my $req = sub {
    my ($block, $text, $conn) = @_;
    return (Test::Nginx::Socket::_build_http_request($block, $text, 0, $conn || 'close'))[0];
};
is($req->($b, "GET /t\n"), "GET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
   'plain GET');
is($req->($b, "  \n# c\n  # d\nGET"), "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
   'comments stripped, URI defaults to /');
is($req->($b, "POST /p HTTP/1.0\n  abc  \n"),
   "POST /p HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc",
   'body trimmed, Content-Length set, HTTP/1.0 keeps Host/Connection');
is($req->($b, "GET /k", 'keep-alive'),
   "GET /k HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n", 'keep-alive');
my $mh = FakeBlock->new(name => 'UNIT', more_headers => "host: h\n\n# x\nX-D: 1\nX-D: 2\nconnection: upgrade\nContent-Length: 4\n");
is($req->($mh, "POST /m\n ab \n"),
   "POST /m HTTP/1.1\r\nhost: h\r\nX-D: 1\r\nX-D: 2\r\nconnection: upgrade\r\nContent-Length: 4\r\n\r\n ab \n",
   'more_headers: Host/Connection replaced, duplicates kept, body untrimmed with Content-Length');
my $lc = FakeBlock->new(name => 'UNIT', more_headers => "content-length: 9");
like($req->($lc, "POST /m\nabc  "), qr/content-length: 9\r\nContent-Length: 3\r\n\r\nabc\z/,
   'the Content-Length check is case-sensitive');
my $arr = FakeBlock->new(name => 'UNIT', more_headers => ["X-I: 0", "X-I: 1"]);
like((Test::Nginx::Socket::_build_http_request($arr, "GET /", 1, 'close'))[0], qr/X-I: 1\r\n/,
   'more_headers eval array is per request');

# One request written in pieces.
my $split = Test::Nginx::Socket::_build_split_request($b,
    [ { value => "POST /s\nab" }, { value => "cd", delay_before => 1 } ], 0);
is(scalar @{ $split->{pieces} }, 2, 'split request: two writes');
like($split->{pieces}[0]{value}, qr/Content-Length: 4\r\n\r\nab\z/, 'split request: first piece');
is($split->{pieces}[1]{value}, 'cd', 'split request: second piece');
is($split->{pieces}[1]{delay_before}, 1, 'split request: delay kept');

# Misc helpers.
is(Test::Nginx::Socket::_parse_touch_time('200001020304.05', $b), 946782245, 'touch -t time, GMT');
is(Test::Nginx::Socket::_parse_timeout($b, '500ms'), 0.5, 'timeout 500ms');
is(Test::Nginx::Socket::_parse_timeout($b, '2s'), 2, 'timeout 2s');
my $p1 = Test::Nginx::Socket::_expand_env('$TEST_NGINX_RAND_PORT_7');
ok($p1 >= 1988, "RAND_PORT >= 1988 ($p1)");
is(Test::Nginx::Socket::_expand_env('a $TEST_NGINX_RAND_PORT_7 $uri ${TEST_NGINX_X}'),
   "a $p1 \$uri \${TEST_NGINX_X}", 'RAND_PORT stable; other $vars and ${...} untouched');
is_deeply([Test::Nginx::Socket::_log_patterns("a\n\nb\n")], ['a', 'b'], 'log patterns: non-empty lines');
my @pats = Test::Nginx::Socket::_log_patterns(['x y', qr/z/]);
is(scalar @pats, 2, 'log patterns: eval array kept as is');
