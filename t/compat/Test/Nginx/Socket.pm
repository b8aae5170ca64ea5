package Test::Nginx::Socket;

# CredentialFlow's own runner for the subset of the Test::Nginx::Socket test
# format that the project's t/*.t files use.
#
# It was written from the project's description of that format
# (docs "Test::Nginx::Socket format", section 4) and contains no code from
# openresty/test-nginx.  The same .t files must also pass under CPAN's
# Test::Nginx::Socket, so the behaviour here follows that description; every
# known difference is listed in t/compat/README.md.
#
# Usage:   prove -I t/compat -r t/      (or scripts/run-t.sh)
#
# Block parsing and section filters (norm, trim, chomp, chop, eval, ...) come
# from Test::Base, of which this package is a subclass: `use
# Test::Nginx::Socket 'no_plan'` goes to Test::Base's import, which sets the
# plan, switches on strict/warnings for the .t file and exports both
# Test::Base's functions (blocks, plan, is, ...) and ours (@EXPORT below).

use strict;
use warnings;

use Test::Base ();    # no import: we only inherit from it
use Test::More ();
use Test::LongString ();
use HTTP::Response ();
use IO::Socket::INET ();
use IO::Select ();
use POSIX qw(WNOHANG);
use Time::HiRes ();
use Time::Local qw(timegm);
use File::Path qw(make_path remove_tree);
use File::Spec ();
use File::Basename qw(dirname);
use Cwd ();
use List::Util qw(shuffle min);

our @ISA = ('Test::Base');

our @EXPORT = qw(
    run_tests repeat_each no_shuffle no_root_location log_level workers
    master_on master_off worker_connections env_to_nginx timeout
    check_accum_error_log add_block_preprocessor no_long_string
    server_port server_port_for_client server_root html_dir
);

# ---------------------------------------------------------------------------
# Child subreaper (gotcha 2.1).  nginx runs with `daemon on`, so it is
# re-parented away from us; on a machine whose PID 1 reaps slowly, a stopped
# nginx stays a zombie (still "alive" for kill 0) for ~2 s.  As a subreaper
# this process inherits the daemon instead and reaps it at once in
# _process_alive() below.  Harmless where it isn't needed.
# ---------------------------------------------------------------------------

sub _become_child_subreaper {
    return unless $^O eq 'linux';
    my %sys_prctl = (x86_64 => 157, aarch64 => 167);
    my $nr = $sys_prctl{ (POSIX::uname())[4] } or return;
    my $PR_SET_CHILD_SUBREAPER = 36;
    # syscall() returns -1 on failure; that only costs speed, not correctness.
    syscall($nr, $PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}
_become_child_subreaper();

# ---------------------------------------------------------------------------
# Settings: preamble functions and environment (spec 4.3, 4.10)
# ---------------------------------------------------------------------------

my $RepeatEach        = 1;
my $NoShuffle         = 0;
my $NoRootLocation    = 0;
my $LogLevel          = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
my $Workers           = 1;
my $MasterProcess     = 0;
my $WorkerConnections = 64;
my @EnvToNginx;
my $Timeout           = $ENV{TEST_NGINX_TIMEOUT} || 3;
my $CheckAccumErrLog  = 0;
my @BlockPreprocessors;
my $NoLongString      = 0;

my $NginxBinary = $ENV{TEST_NGINX_BINARY} || 'nginx';    # from PATH
my $StartSleep  = defined $ENV{TEST_NGINX_SLEEP} ? $ENV{TEST_NGINX_SLEEP} : 0.015;
my $Verbose     = $ENV{TEST_NGINX_VERBOSE};

my ($ServerPort, $ServRoot);
if ($ENV{TEST_NGINX_RANDOMIZE}) {
    # For prove -j: a random port, and a servroot of its own next to it.
    $ServerPort = _pick_free_port({});
    $ServRoot   = File::Spec->catdir(Cwd::getcwd(), 't', "servroot_$ServerPort");
} else {
    $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
    $ServRoot   = $ENV{TEST_NGINX_SERVROOT}
        || File::Spec->catdir(Cwd::getcwd(), 't', 'servroot');
}
$ServRoot = File::Spec->canonpath(File::Spec->rel2abs($ServRoot));
my $ClientPort = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
$ClientPort = $ServerPort if $ENV{TEST_NGINX_RANDOMIZE};

# Set at load time, so the preamble and eval sections can use it.
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

sub repeat_each {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}
sub no_shuffle         { $NoShuffle = 1 }
sub no_root_location   { $NoRootLocation = 1 }
sub log_level          { $LogLevel = shift if @_; return $LogLevel }
sub workers            { $Workers = shift if @_; return $Workers }
sub master_on          { $MasterProcess = 1 }
sub master_off         { $MasterProcess = 0 }
sub worker_connections { $WorkerConnections = shift if @_; return $WorkerConnections }
sub env_to_nginx       { push @EnvToNginx, @_ }
sub timeout            { $Timeout = shift if @_; return $Timeout }
sub check_accum_error_log { $CheckAccumErrLog = 1 }
sub no_long_string     { $NoLongString = 1 }
sub server_port        { return $ServerPort }
sub server_port_for_client { return $ClientPort }
sub server_root        { return $ServRoot }
sub html_dir           { return "$ServRoot/html" }

sub add_block_preprocessor {
    my $cb = shift;
    die "add_block_preprocessor() needs a code ref\n" unless ref $cb eq 'CODE';
    push @BlockPreprocessors, $cb;
}

# ---------------------------------------------------------------------------
# Per-run state
# ---------------------------------------------------------------------------

my $RunTestsCalled = 0;
my $FirstBlock     = 1;   # no block has been run yet
my %NginxWithout;         # "proxy" etc. for --without-http_<x>_module
my %RandPorts;            # TEST_NGINX_RAND_PORT_<n> => port, per block
my $LogPos         = 0;   # error.log offset already checked (4.8.5)
my $LogCopyPos     = 0;   # error.log offset already appended to TEST_NGINX_ERROR_LOG
my $CurBlock;             # the block being run, for error_log_file

sub _error_log_path {
    if ($CurBlock && defined(my $f = $CurBlock->error_log_file)) {
        $f = _expand_env($f);
        $f =~ s/^\s+|\s+$//g;
        return $f;
    }
    return "$ServRoot/logs/error.log";
}

sub _bail_out {
    my $msg = shift;
    $msg =~ s/\n+\z//;
    Test::More::BAIL_OUT($msg);    # exits; the END block still stops nginx
}

sub _t {    # subtest name: "$0 <block name> - <what>"
    my ($block, $what) = @_;
    return "$0 " . $block->name . " - $what";
}

# ---------------------------------------------------------------------------
# $TEST_NGINX_* interpolation (spec 4.4)
# ---------------------------------------------------------------------------

sub _expand_env {
    my $text = shift;
    return $text if !defined $text || ref $text;
    $text =~ s/\$(TEST_NGINX_[_A-Z0-9]+)/_env_value($1)/ge;
    return $text;
}

sub _env_value {
    my $var = shift;
    if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
        # Stable for this name within the block, redrawn for the next one.
        $RandPorts{$var} = _pick_free_port(\%RandPorts) unless $RandPorts{$var};
        return $RandPorts{$var};
    }
    _bail_out("No environment $var defined.") unless defined $ENV{$var};
    return $ENV{$var};
}

# A random port >= 1988 that can be bound on 127.0.0.1 right now.
sub _pick_free_port {
    my $taken = shift;
    my %avoid = map { $_ => 1 } grep { defined } values %$taken, $ServerPort, $ClientPort;
    for (1 .. 1000) {
        my $port = 1988 + int(rand(65535 - 1988 + 1));
        next if $avoid{$port};
        my $s = IO::Socket::INET->new(
            LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp',
            Listen => 1, ReuseAddr => 1,
        ) or next;
        close $s;
        return $port;
    }
    _bail_out("Cannot find an available listening port");
}

# `$ServerPort` and `$ServerPortForClient` literals in expected values.
sub _replace_server_port {
    my $text = shift;
    return $text if !defined $text || ref $text;
    $text =~ s/\$ServerPortForClient\b/$ClientPort/g;
    $text =~ s/\$ServerPort\b/$ServerPort/g;
    return $text;
}

# ---------------------------------------------------------------------------
# run_tests
# ---------------------------------------------------------------------------

sub run_tests {
    $RunTestsCalled = 1;
    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort
        if !defined $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_RANDOMIZE};

    _check_nginx_version();

    # Listing the blocks (in list context) runs every section's filters,
    # eval included, once per block, before any nginx starts.
    my @blocks = Test::Base::blocks();

    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
    }
    @blocks = shuffle(@blocks) unless $NoShuffle || $ENV{TEST_NGINX_NO_SHUFFLE};

    for my $block (@blocks) {
        _run_block($block);
    }
}

sub _check_nginx_version {
    my $cmd = _shell_quote($NginxBinary) . ' -V 2>&1';
    my $out = `$cmd`;
    if (!defined $out || $out !~ m{nginx version: \S*?nginx/\d+\.\d+\.\d+}) {
        _bail_out("Failed to get the version of the Nginx via \"$cmd\""
            . (defined $out && length $out ? ": $out" : ''));
    }
    %NginxWithout = map { $_ => 1 } $out =~ /--without-http_(\w+?)_module/g;
    Test::More::diag("nginx -V: $out") if $Verbose;
}

sub _shell_quote {
    my $s = shift;
    return $s if $s =~ m{^[\w./:=+,\@%-]+$};
    $s =~ s/'/'\\''/g;
    return "'$s'";
}

# ---------------------------------------------------------------------------
# One block: server lifecycle (4.5), then requests and checks (4.6-4.8)
# ---------------------------------------------------------------------------

# Sections that must be eval arrays when a block sends several requests.
my @PER_REQUEST_SECTIONS = qw(
    error_code error_code_like response_headers response_headers_like
    raw_response_headers_like response_body response_body_like
);

sub _run_block {
    my $block = shift;
    my $name  = $block->name;
    $CurBlock  = $block;
    %RandPorts = ();
    $LogPos    = 0;    # the first check of every block reads from byte 0

    my $first = $FirstBlock;
    $FirstBlock = 0;

    if (defined $block->config) {
        _stop_nginx();
        _prepare_servroot($block);
        if (defined $block->must_die) {
            _run_must_die($block);
            _copy_error_log();
            return;
        }
        _start_nginx($block);
    } elsif ($first) {
        _bail_out("$name - No '--- config' section specified and this is"
            . " the first test block run");
    }
    # else: no --- config: keep the previous block's server as it is.

    my @exchanges = _build_exchanges($block);
    my $nreq = 0;
    $nreq += scalar @{ $_->{heads} } for @exchanges;
    if ($nreq > 1) {
        for my $sec (@PER_REQUEST_SECTIONS) {
            my $v = $block->$sec;
            next if !defined $v || ref $v eq 'ARRAY';
            _bail_out("$name - the '--- $sec' section must be an array"
                . " ('eval' of [...]) when there are $nreq requests");
        }
    }

    for my $rep (0 .. $RepeatEach - 1) {
        _write_user_files($block) if $rep > 0;
        my $req_idx = 0;
        for my $ex (@exchanges) {
            my ($raw, $timed_out) = _send_and_receive($block, $ex);
            if ($timed_out && !defined $block->abort) {
                Test::More::fail(_t($block, "ERROR: client socket timed out - $name"));
            }
            my $buf = $raw;
            # As CPAN's Test::Nginx::Socket does: the error log is checked after each
            # response, pipelined ones included (all of a pipeline's responses are read
            # first, so the first check sees every line and the next ones what came since).
            for my $is_head (@{ $ex->{heads} }) {
                my $res = _parse_response($block, \$buf, $is_head);
                _check_response($block, $res, $rep, $req_idx);
                $req_idx++;
                _check_error_log($block, $rep);
            }
        }
    }
    _copy_error_log();
}

# ----- stopping / starting -------------------------------------------------

# True while $pid exists.  Reaps it if it is our child (we are a subreaper),
# so a stopped nginx does not linger as a zombie.
sub _process_alive {
    my $pid = shift;
    local ($!, $?);
    my $r = waitpid($pid, WNOHANG);
    return 0 if $r == $pid;
    return kill(0, $pid) ? 1 : 0;
}

sub _wait_for_exit {
    my ($pid, $secs) = @_;
    my $deadline = Time::HiRes::time() + $secs;
    while (_process_alive($pid)) {
        return 0 if Time::HiRes::time() >= $deadline;
        Time::HiRes::sleep(0.01);
    }
    return 1;
}

sub _reap_children {
    local ($!, $?);
    1 while waitpid(-1, WNOHANG) > 0;
}

sub _pid_file { return "$ServRoot/logs/nginx.pid" }

# With `daemon on` the daemon writes the pid file just after the command
# returns: wait for it (briefly), so that a quick stop finds it.
sub _wait_for_pid_file {
    my $deadline = Time::HiRes::time() + 1;
    Time::HiRes::sleep(0.005) until -s _pid_file() || Time::HiRes::time() >= $deadline;
}

# Stop the nginx whose pid file is in our servroot (if any is running).
sub _stop_nginx {
    _reap_children();
    open my $fh, '<', _pid_file() or return;
    my $pid = <$fh>;
    close $fh;
    return unless defined $pid && $pid =~ /^\s*(\d+)\s*$/ && $1 > 1;
    $pid = $1;
    return unless _process_alive($pid);

    # A stale pid file (nginx was SIGKILLed) may name a reused pid.
    if (open my $cmd, '<', "/proc/$pid/cmdline") {
        my $cmdline = do { local $/; <$cmd> };
        return if defined $cmdline && $cmdline !~ /nginx/;
    }

    kill 'QUIT', $pid;
    return if _wait_for_exit($pid, $Timeout);
    warn "WARNING: nginx $pid did not exit within $Timeout s after SIGQUIT; sending SIGKILL\n";
    kill 'KILL', $pid;
    _wait_for_exit($pid, 3)
        or warn "WARNING: nginx $pid is still alive after SIGKILL\n";
}

sub _nginx_command {
    my $log = _shell_quote("$ServRoot/logs/error.log");
    return join ' ', _shell_quote($NginxBinary), '-e', $log,
        '-p', _shell_quote("$ServRoot/"), '-c', _shell_quote("$ServRoot/conf/nginx.conf");
}

sub _start_nginx {
    my $block = shift;
    my $cmd   = _nginx_command() . ' > /dev/null';
    Test::More::diag("starting nginx: $cmd") if $Verbose;

    # Retry (another server may still hold the port) for up to 30 s.
    my $start = Time::HiRes::time();
    my $delay = 0.1;
    while (1) {
        system($cmd);
        last if $? == 0;
        my $status = $?;
        if (Time::HiRes::time() - $start >= 30) {
            _bail_out($block->name . " - Cannot start nginx using command \"$cmd\""
                . " (status code $status).");
        }
        Time::HiRes::sleep($delay);
        $delay = min($delay + 0.1, 1);
    }
    _wait_for_pid_file();
    Time::HiRes::sleep($StartSleep) if $StartSleep;
    _reap_children();
}

# `--- must_die`: nginx must fail to start; no request is sent.
sub _run_must_die {
    my $block = shift;
    my $cmd = _nginx_command() . ' > /dev/null';
    $cmd .= ' 2> /dev/null' if defined $block->suppress_stderr;
    system($cmd);
    my $status = $? == -1 ? 127 : ($? & 127 ? 128 + ($? & 127) : $? >> 8);

    my $want = $block->must_die;
    $want =~ s/^\s+|\s+$//g;
    if ($want =~ /^\d+$/) {
        Test::More::is($status, $want, _t($block, "die with the expected exit code"));
    } else {
        Test::More::ok($status != 0, _t($block, "die as expected"));
    }
    if ($status == 0) {    # it started after all: don't leave it running
        _wait_for_pid_file();
        _stop_nginx();
    }
    _check_error_log($block, 0);
}

# ----- servroot and nginx.conf ---------------------------------------------

sub _prepare_servroot {
    my $block = shift;

    if (-d $ServRoot) {
        opendir my $dh, $ServRoot or _bail_out("Cannot open $ServRoot: $!");
        my @doomed = grep { /^(?:conf|html|logs|cache)$/ || /_temp$/ || /_cache$/ }
                     grep { $_ ne '.' && $_ ne '..' } readdir $dh;
        closedir $dh;
        remove_tree("$ServRoot/$_") for @doomed;
        rmdir $ServRoot
            or _bail_out("Cannot remove $ServRoot (not empty?): $!");
    }
    make_path("$ServRoot/logs", "$ServRoot/html", "$ServRoot/conf");

    _write_file("$ServRoot/html/index.html",
        '<html><head><title>It works!</title></head><body>It works!</body></html>');
    _write_user_files($block);
    _write_nginx_conf($block);
    $LogCopyPos = 0;
}

sub _write_file {
    my ($path, $content) = @_;
    utf8::encode($content) if utf8::is_utf8($content);
    open my $fh, '>:raw', $path or _bail_out("Cannot write $path: $!");
    print {$fh} $content;
    close $fh or _bail_out("Cannot write $path: $!");
}

# `--- user_files` (4.9): ">>> NAME [MTIME]" headers, or an eval array of
# [name, content, mtime?].
sub _write_user_files {
    my $block = shift;
    my $spec = $block->user_files;
    return unless defined $spec;

    my @files;    # [name, content, mtime, mtime_kind]
    if (ref $spec eq 'ARRAY') {
        for my $f (@$spec) {
            my ($fname, $content, $mtime) = @$f;
            push @files, [$fname, defined $content ? $content : '', $mtime, 'epoch'];
        }
    } else {
        my $cur;
        for my $line (split /^/m, $spec) {
            if ($line =~ /^>>>\s*(\S+)(?:[ \t]+(\S+))?[ \t]*$/) {
                push @files, $cur = [$1, '', $2, 'touch'];
                next;
            }
            $cur->[1] .= $line if $cur;    # text before the first >>> is ignored
        }
    }

    for my $f (@files) {
        my ($fname, $content, $mtime, $kind) = @$f;
        my $path = File::Spec->file_name_is_absolute($fname) ? $fname : "$ServRoot/html/$fname";
        make_path(dirname($path));
        _write_file($path, _expand_env($content));
        if (defined $mtime) {
            my $t = $kind eq 'touch' ? _parse_touch_time($mtime, $block) : $mtime;
            utime($t, $t, $path) or warn "WARNING: cannot set mtime of $path: $!\n";
        }
    }
}

# `touch -t` format [[CC]YY]MMDDhhmm[.ss], taken as GMT.
sub _parse_touch_time {
    my ($s, $block) = @_;
    my ($digits, $sec) = $s =~ /^(\d+)(?:\.(\d\d))?$/
        or _bail_out($block->name . " - bad user_files mtime '$s'");
    $sec = 0 unless defined $sec;
    my $year;
    if (length $digits == 12) {
        ($year, $digits) = (substr($digits, 0, 4), substr($digits, 4));
    } elsif (length $digits == 10) {
        my $yy = substr($digits, 0, 2);
        $year = $yy >= 69 ? 1900 + $yy : 2000 + $yy;
        $digits = substr($digits, 2);
    } elsif (length $digits == 8) {
        $year = (gmtime)[5] + 1900;
    } else {
        _bail_out($block->name . " - bad user_files mtime '$s'");
    }
    my ($mon, $day, $hour, $min) = unpack 'A2 A2 A2 A2', $digits;
    return timegm($sec, $min, $hour, $day, $mon - 1, $year);
}

sub _write_nginx_conf {
    my $block = shift;
    my $sr = $ServRoot;

    my $level = defined $block->log_level ? $block->log_level : $LogLevel;
    $level =~ s/^\s+|\s+$//g;

    my $http_config      = _expand_env(_section_text($block->http_config));
    my $config           = _expand_env(_section_text($block->config));
    my $main_config      = _expand_env(_section_text($block->main_config));
    my $post_main_config = _expand_env(_section_text($block->post_main_config));

    my @load = map { "load_module $_;\n" } split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');
    my @env  = map { "env $_;\n" } @EnvToNginx;

    # Temp paths under the servroot, except for modules built out of this
    # nginx, or ones http_config sets itself.
    my $temp = '';
    $temp .= "    client_body_temp_path $sr/client_body_temp;\n"
        unless $http_config =~ /\bclient_body_temp_path\b/;
    $temp .= "    proxy_temp_path $sr/proxy_temp;\n"
        unless $NginxWithout{proxy} || $http_config =~ /\bproxy_temp_path\b/;
    for my $m (qw(fastcgi scgi uwsgi)) {
        $temp .= "    ${m}_temp_path $sr/${m}_temp;\n" unless $NginxWithout{$m};
    }

    my $root_location = $NoRootLocation ? '' : <<"LOC";

        location / {
            root $sr/html;
            index index.html index.htm;
        }
LOC

    # Layout as in spec 4.5.4; empty optional parts are left out.
    my $conf = "worker_processes  $Workers;\n"
        . "daemon on;\n"
        . "master_process " . ($MasterProcess ? 'on' : 'off') . ";\n"
        . "error_log $sr/logs/error.log $level;\n"
        . "pid       $sr/logs/nginx.pid;\n"
        . "env MOCKEAGAIN_VERBOSE;\n"
        . "env MOCKEAGAIN;\n"
        . "env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;\n"
        . "env LD_PRELOAD;\n"
        . "env LD_LIBRARY_PATH;\n"
        . "env DYLD_INSERT_LIBRARIES;\n"
        . "env DYLD_FORCE_FLAT_NAMESPACE;\n"
        . join('', @env)
        . join('', @load)
        . _block_part($main_config)
        . "\nhttp {\n"
        . "    access_log $sr/logs/access.log;\n"
        . $temp
        . "    default_type text/plain;\n"
        . "    keepalive_timeout  68000ms;\n"
        . _block_part($http_config)
        . "\n    server {\n"
        . "        listen          $ServerPort;\n"
        . "        server_name     'localhost';\n"
        . "        client_max_body_size 30M;\n"
        . _block_part($config)
        . $root_location
        . "    }\n"
        . "}\n"
        . _block_part($post_main_config)
        . "\nevents {\n"
        . "    accept_mutex off;\n"
        . "    worker_connections  $WorkerConnections;\n"
        . "}\n"
        . "env ASAN_OPTIONS;\n"
        . "env MOCKNOEAGAIN_VERBOSE;\n"
        . "env MOCKNOEAGAIN;\n";
    $conf .= "user root;\n" if $> == 0;

    _write_file("$sr/conf/nginx.conf", $conf);
    Test::More::diag("nginx.conf:\n$conf") if $Verbose;
}

# A section's text on lines of its own (nothing for an empty section).
sub _block_part {
    my $text = shift;
    return '' unless length $text;
    return "\n$text" . ($text =~ /\n\z/ ? '' : "\n");
}

sub _section_text {
    my $v = shift;
    return '' unless defined $v;
    return ref $v eq 'ARRAY' ? join('', @$v) : "$v";
}

# ---------------------------------------------------------------------------
# Building requests (4.6)
# ---------------------------------------------------------------------------

# Returns a list of exchanges, one per TCP connection:
#   { pieces => [ { value => BYTES, delay_before => SECS }, ... ],
#     heads  => [ IS_HEAD per expected response ] }
sub _build_exchanges {
    my $block = shift;
    my $name  = $block->name;

    if (defined(my $pipe = $block->pipelined_requests)) {
        _bail_out("$name - '--- pipelined_requests' must be an eval array")
            unless ref $pipe eq 'ARRAY' && @$pipe;
        my ($bytes, @heads) = ('');
        for my $i (0 .. $#$pipe) {
            my $conn = $i < $#$pipe ? 'keep-alive' : 'close';
            my ($req, $is_head) = _build_http_request($block, _expand_env($pipe->[$i]), $i, $conn);
            $bytes .= $req;
            push @heads, $is_head;
        }
        return { pieces => [ { value => $bytes } ], heads => \@heads };
    }

    if (defined(my $raw = $block->raw_request)) {
        my @pieces = map { ref $_ eq 'HASH' ? {%$_} : { value => $_ } }
                     ref $raw eq 'ARRAY' ? @$raw : ($raw);
        _bail_out("$name - empty '--- raw_request'") unless @pieces;
        my $all = join '', map { $_->{value} } @pieces;
        return { pieces => \@pieces, heads => [ $all =~ /^\s*HEAD\s/ ? 1 : 0 ] };
    }

    my $request = $block->request;
    _bail_out("$name - No '--- request' section specified") unless defined $request;
    my @reqs = ref $request eq 'ARRAY' ? @$request : ($request);
    _bail_out("$name - empty request") unless @reqs;

    my @exchanges;
    for my $i (0 .. $#reqs) {
        my $r = $reqs[$i];
        if (ref $r eq 'ARRAY') {
            # One request written in several writes (optionally delayed).
            my @items = map { ref $_ eq 'HASH' ? {%$_} : { value => $_ } } @$r;
            push @exchanges, _build_split_request($block, \@items, $i);
        } else {
            my ($bytes, $is_head) = _build_http_request($block, $r, $i, 'close');
            push @exchanges, { pieces => [ { value => $bytes } ], heads => [$is_head] };
        }
    }
    return @exchanges;
}

# The text of one request ("METHOD [URI [VERSION]]\nbody") to bytes.
# Returns (bytes, is_head, header_length, untrimmed_body_length).
sub _build_http_request {
    my ($block, $text, $idx, $conn) = @_;
    my $name = $block->name;
    $text = '' unless defined $text;
    utf8::encode($text) if utf8::is_utf8($text);

    # Leading whitespace and leading "# comment" lines are not part of it.
    $text =~ s/^\s+//;
    while ($text =~ s/^#[^\n]*(?:\n|\z)//) {
        $text =~ s/^\s+//;
    }
    _bail_out("$name - request empty") unless length $text;

    my ($line, $body) = split /\n/, $text, 2;
    $body = '' unless defined $body;
    my $orig_body_len = length $body;
    $line =~ s/\s+\z//;
    my ($method, $uri, $version) = $line =~ /^(\S+)(?:\s+(\S+))?(?:\s+(\S.*))?$/;
    $uri     = '/'        unless defined $uri;
    $version = 'HTTP/1.1' unless defined $version;

    my $more = _more_headers_for($block, $idx);
    my @headers;    # [key, value]
    for my $h (split /\n/, $more) {
        next if $h =~ /^\s*$/ || $h =~ /^\s*#/;
        my ($k, $v) = split /:\s*/, $h, 2;
        $k =~ s/^\s+|\s+$//g;
        $v = '' unless defined $v;
        $v =~ s/\s+\z//;    # e.g. the \r of an eval string written with \r\n
        push @headers, [$k, $v];
    }

    my $head = "$method $uri $version\r\n";
    $head .= "Host: localhost\r\n"
        unless grep { lc $_->[0] eq 'host' } @headers;
    $head .= "Connection: $conn\r\n"
        unless grep { $_->[0] =~ /^Connection/i } @headers;
    $head .= "$_->[0]: $_->[1]\r\n" for @headers;

    # A non-empty body gets trimmed and a Content-Length, unless the test
    # sets Content-Length (case-sensitive) or chunked encoding itself.
    my $has_cl  = grep { $_->[0] eq 'Content-Length' } @headers;
    my $chunked = grep { lc $_->[0] eq 'transfer-encoding' && $_->[1] =~ /chunked/i } @headers;
    if (length $body && !$has_cl && !$chunked) {
        $body =~ s/^\s+//;
        $body =~ s/\s+\z//;
        $head .= 'Content-Length: ' . length($body) . "\r\n";
    }
    $head .= "\r\n";

    return ($head . $body, ($method eq 'HEAD' ? 1 : 0), length($head), $orig_body_len);
}

# [["POST /t\nab", "cd"]]: build the request from the joined text, then
# cut its bytes back into the written pieces: the first piece carries all
# headers, and each piece keeps the body bytes it had in the test.
sub _build_split_request {
    my ($block, $items, $idx) = @_;
    my $joined = join '', map { defined $_->{value} ? $_->{value} : '' } @$items;
    utf8::encode($joined) if utf8::is_utf8($joined);
    my ($bytes, $is_head, $head_len, $orig_body_len) =
        _build_http_request($block, $joined, $idx, 'close');

    my $body_start = length($joined) - $orig_body_len;    # in the joined text
    my $rest = substr($bytes, $head_len);                  # final body bytes
    my @pieces;
    my $pos = 0;
    for my $k (0 .. $#$items) {
        my $v = $items->[$k]{value};
        $v = '' unless defined $v;
        utf8::encode($v) if utf8::is_utf8($v);
        my ($s, $e) = ($pos, $pos + length $v);
        $pos = $e;
        my $nbody = $e <= $body_start ? 0 : $e - ($s > $body_start ? $s : $body_start);
        my $chunk = $k == $#$items ? $rest : substr($rest, 0, min($nbody, length $rest), '');
        $chunk = substr($bytes, 0, $head_len) . $chunk if $k == 0;
        push @pieces, { %{ $items->[$k] }, value => $chunk };
    }
    return { pieces => \@pieces, heads => [$is_head] };
}

sub _more_headers_for {
    my ($block, $idx) = @_;
    my $mh = $block->more_headers;
    return '' unless defined $mh;
    if (ref $mh eq 'ARRAY') {
        $mh = $mh->[$idx];
        return '' unless defined $mh;
    }
    utf8::encode($mh) if utf8::is_utf8($mh);
    return $mh;
}

sub _parse_timeout {
    my ($block, $t) = @_;
    $t =~ s/^\s+|\s+$//g;
    return $1 / 1000 if $t =~ /^(\d+(?:\.\d*)?)\s*ms$/;
    return $1        if $t =~ /^(\d+(?:\.\d*)?)\s*s?$/;
    _bail_out($block->name . " - bad timeout value '$t'");
}

# ---------------------------------------------------------------------------
# Client: one connection, write the pieces, read until the server closes
# ---------------------------------------------------------------------------

# Returns (raw_response_bytes, timed_out).
sub _send_and_receive {
    my ($block, $ex) = @_;
    my $timeout = defined $block->timeout ? _parse_timeout($block, $block->timeout) : $Timeout;

    my $sock;
    for my $try (1 .. 50) {
        $sock = IO::Socket::INET->new(
            PeerAddr => '127.0.0.1', PeerPort => $ClientPort, Proto => 'tcp',
            Timeout => $timeout,
        ) and last;
        Time::HiRes::sleep(min(0.01 * $try, 0.2));
    }
    unless ($sock) {
        Test::More::fail(_t($block, "ERROR: cannot connect to 127.0.0.1:$ClientPort: $!"));
        return ('', 0);
    }
    binmode $sock;
    $sock->blocking(0);
    my $sel = IO::Select->new($sock);
    local $SIG{PIPE} = 'IGNORE';    # the server may close before we're done writing

    if ($Verbose) {
        Test::More::diag("request:\n" . join('', map { $_->{value} } @{ $ex->{pieces} }));
    }

    my $timed_out = 0;
    WRITE:
    for my $piece (@{ $ex->{pieces} }) {
        Time::HiRes::sleep($piece->{delay_before}) if $piece->{delay_before};
        my $buf = $piece->{value};
        $buf = '' unless defined $buf;
        utf8::encode($buf) if utf8::is_utf8($buf);
        my $off = 0;
        while ($off < length $buf) {
            unless ($sel->can_write($timeout)) {
                $timed_out = 1;
                last WRITE;
            }
            my $n = syswrite($sock, $buf, length($buf) - $off, $off);
            if (!defined $n) {
                next if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
                last WRITE;    # e.g. EPIPE: read whatever the server sent
            }
            $off += $n;
        }
    }
    shutdown($sock, 1) if !$timed_out && defined $block->shutdown;

    my $resp = '';
    unless ($timed_out) {
        while (1) {
            unless ($sel->can_read($timeout)) {
                $timed_out = 1;
                last;
            }
            my $n = sysread($sock, my $chunk, 65536);
            if (!defined $n) {
                next if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
                last;    # e.g. ECONNRESET: keep what we have
            }
            last if $n == 0;
            $resp .= $chunk;
        }
    }
    close $sock;
    Test::More::diag("response:\n$resp") if $Verbose;
    return ($resp, $timed_out);
}

# ---------------------------------------------------------------------------
# Parsing responses (4.7)
# ---------------------------------------------------------------------------

# Takes one response off the front of $$buf (pipelined responses follow).
sub _parse_response {
    my ($block, $buf, $is_head) = @_;
    my %res = (status => '', raw_headers => '', body => '', res => HTTP::Response->new);
    return \%res unless length $$buf;

    my $hend = index($$buf, "\r\n\r\n");
    if ($hend < 0) {    # no complete header: all of it counts as headers
        $res{raw_headers} = $$buf;
        $$buf = '';
    } else {
        $res{raw_headers} = substr($$buf, 0, $hend + 2);
        substr($$buf, 0, $hend + 4, '');
    }

    my $r = HTTP::Response->parse($res{raw_headers});
    my $code = $r->code;
    $res{res}    = $r;
    $res{status} = defined $code && $code =~ /^\d+$/ ? $code : '';
    return \%res if $hend < 0;

    my $te = $r->header('Transfer-Encoding');
    my $cl = $r->header('Content-Length');
    if ($is_head || $res{status} eq '304' || $res{status} eq '101') {
        # no body
    } elsif (defined $te && $te =~ /\bchunked\b/i) {
        my ($body, $err) = _decode_chunked($buf);
        $res{body} = $body;
        if (defined $err) {
            Test::More::fail(_t($block, "invalid chunked body received: $err"));
            $$buf = '';
        }
    } elsif (defined $cl && $cl =~ /^\s*(\d+)/) {
        my $len = $1;
        if (length $$buf < $len) {
            warn "WARNING: $0 " . $block->name . " - response body is "
                . length($$buf) . " bytes, Content-Length says $len\n";
        }
        $res{body} = substr($$buf, 0, min($len, length $$buf), '');
    } else {
        $res{body} = $$buf;
        $$buf = '';
    }
    return \%res;
}

# Returns (decoded_body, error_or_undef); consumes the chunks from $$buf.
sub _decode_chunked {
    my $buf = shift;
    my $body = '';
    while (1) {
        unless ($$buf =~ s/\A([0-9A-Fa-f]+)[ \t]*(?:;[^\r\n]*)?\r\n//) {
            my $got = substr($$buf, 0, 40);
            $got =~ s/([^\x20-\x7e])/sprintf '\\x%02x', ord $1/ge;
            return ($body, "bad chunk size line at \"$got\"");
        }
        my $size = hex $1;
        if ($size == 0) {
            1 while $$buf =~ s/\A[^\r\n]+\r\n//;    # trailer fields
            $$buf =~ s/\A\r\n// or return ($body, "missing CRLF after the last chunk");
            return ($body, undef);
        }
        if (length $$buf < $size) {
            $body .= $$buf;
            return ($body, "truncated chunk: expected $size bytes, got " . length($$buf));
        }
        $body .= substr($$buf, 0, $size, '');
        $$buf =~ s/\A\r\n// or return ($body, "chunk data not followed by CRLF");
    }
}

# ---------------------------------------------------------------------------
# Checks (4.8)
# ---------------------------------------------------------------------------

# The expected value of a section for request $i (element $i of an array).
sub _expected {
    my ($block, $sec, $i) = @_;
    my $v = $block->$sec;
    return $v unless defined $v && ref $v eq 'ARRAY';
    return $v->[$i];
}

sub _as_regex {
    my ($v, $flags) = @_;
    return $v if ref $v eq 'Regexp';
    return $flags eq 'sm' ? qr/$v/sm : qr/$v/s;
}

sub _check_response {
    my ($block, $res, $rep, $i) = @_;
    my $r = $res->{res};

    # 1. status: always exactly one subtest
    if (defined $block->error_code) {
        my $want = _expected($block, 'error_code', $i);
        Test::More::is($res->{status}, defined $want ? $want : 200, _t($block, 'status code ok'));
    } elsif (defined(my $re = _expected($block, 'error_code_like', $i))) {
        Test::More::like($res->{status}, _as_regex($re, 'sm'), _t($block, 'status code ok'));
    } else {
        Test::More::is($res->{status}, 200, _t($block, 'status code ok'));
    }

    # 2. raw headers (status line included)
    if (defined(my $re = _expected($block, 'raw_response_headers_like', $i))) {
        Test::More::like($res->{raw_headers}, _as_regex($re, 's'),
            _t($block, 'raw resp headers like'));
    }
    if (defined(my $re = _expected($block, 'raw_response_headers_unlike', $i))) {
        Test::More::unlike($res->{raw_headers}, _as_regex($re, 's'),
            _t($block, 'raw resp headers unlike'));
    }

    # 3. headers; response_headers_like only when there is no response_headers
    if (defined $block->response_headers) {
        my $spec = _expected($block, 'response_headers', $i);
        _check_response_headers($block, $res, $spec) if defined $spec;
    } elsif (defined(my $spec = _expected($block, 'response_headers_like', $i))) {
        for my $line (split /\n/, $spec) {
            $line =~ s/^\s+|\s+$//g;
            next unless length $line;
            my ($k, $re) = split /\s*:\s*/, $line, 2;
            $re = _replace_server_port(defined $re ? $re : '');
            my $got = $r->header($k);
            Test::More::like(defined $got ? $got : '', qr/^$re$/,
                _t($block, "header $k like"));
        }
    }

    # 4. body: at most one subtest
    my $body = $res->{body};
    my $tag  = "(repeated req $rep, req $i)";
    if (defined $block->response_body) {
        my $want = _expected($block, 'response_body', $i);
        if (ref $want eq 'Regexp') {
            Test::More::like($body, $want, _t($block, "response_body - like $tag"));
        } else {
            # An undef expectation (e.g. an eval array's undef element) is compared as
            # undef, as the real framework does: it fails against any body received.
            $want = _replace_server_port(_expand_env($want)) if defined $want;
            my $what = _t($block, "response_body - response is expected $tag");
            if ($NoLongString) {
                Test::More::is($body, $want, $what);
            } else {
                Test::LongString::is_string($body, $want, $what);
            }
        }
    } elsif (defined $block->response_body_like) {
        my $want = _expected($block, 'response_body_like', $i);
        if (defined $want) {
            Test::More::like($body, _as_regex(_replace_server_port($want), 's'),
                _t($block, "response_body_like - response is expected $tag"));
        }
    } elsif (defined(my $want = _expected($block, 'response_body_unlike', $i))) {
        Test::More::unlike($body, _as_regex(_replace_server_port($want), 's'),
            _t($block, "response_body_unlike - response is expected $tag"));
    }
}

sub _check_response_headers {
    my ($block, $res, $spec) = @_;
    my (%want, %absent);
    for my $line (split /\n/, $spec) {
        $line =~ s/^\s+|\s+$//g;
        next unless length $line;
        if ($line =~ /^!\s*(.+)$/) {
            $absent{$1} = 1;
            next;
        }
        my ($k, $v) = split /\s*:\s*/, $line, 2;
        $want{$k} = _replace_server_port(defined $v ? $v : '');
    }
    for my $k (sort keys %want) {
        my $got = $res->{res}->header($k);
        if ($want{$k} eq '') {
            Test::More::ok(!defined $got || $got eq '', _t($block, "header $k ok"))
                or Test::More::diag("header $k is '$got', expected absent or empty");
        } else {
            Test::More::is($got, $want{$k}, _t($block, "header $k ok"));
        }
    }
    for my $k (sort keys %absent) {    # case-sensitive, on the raw headers
        Test::More::unlike($res->{raw_headers}, qr/^\Q$k\E\s*:/m,
            _t($block, "header $k not present"));
    }
}

# error_log / no_error_log patterns: lines of a string, or eval values.
sub _log_patterns {
    my $v = shift;
    return () unless defined $v;
    return ($v) if ref $v eq 'Regexp';
    return grep { length } split /\n/, $v unless ref $v eq 'ARRAY';
    return grep { ref $_ eq 'Regexp' || (defined $_ && length $_) } @$v;
}

sub _line_matches {
    my ($line, $pat) = @_;
    return ref $pat eq 'Regexp' ? $line =~ $pat : index($line, $pat) >= 0;
}

# The part of error.log not seen by the previous check (all of it with
# check_accum_error_log), as lines.
sub _read_error_log_slice {
    my $path = _error_log_path();
    open my $fh, '<:raw', $path or return ();
    my $from = $CheckAccumErrLog ? 0 : $LogPos;
    $from = 0 if $from > -s $fh;
    seek $fh, $from, 0;
    local $/;
    my $text = <$fh>;
    $text = '' unless defined $text;
    $LogPos = $from + length $text;
    close $fh;
    return split /\n/, $text;
}

sub _check_error_log {
    my ($block, $rep) = @_;
    my @want = _log_patterns($block->error_log);
    my @deny = _log_patterns($block->no_error_log);

    # Give nginx a moment to write lines logged after the response.
    Time::HiRes::sleep(0.045) if @want || @deny;
    my @lines = _read_error_log_slice();

    for my $line (grep { /\bAssertion .+ failed\b/ } @lines) {
        Test::More::fail(_t($block, "Assertion failure found in error.log: $line (req $rep)"));
    }

    my $mentioned = join "\n", map { "$_" } @want, @deny;
    for my $level (qw(emerg alert crit)) {
        next if index($mentioned, "[$level") >= 0;
        warn "WARNING: $0 " . $block->name . " - $_\n" for grep { /\[$level\]/ } @lines;
    }

    for my $pat (@want) {
        my $found = grep { _line_matches($_, $pat) } @lines;
        Test::More::ok($found, _t($block, $found
            ? "pattern \"$pat\" matches a line in error.log (req $rep)"
            : "pattern \"$pat\" should match a line in error.log (req $rep)"));
    }
    for my $pat (@deny) {
        my @hits = grep { _line_matches($_, $pat) } @lines;
        if (@hits) {
            Test::More::fail(_t($block, "pattern \"$pat\" should not match any line in"
                . " error.log but matches line \"$_\" (req $rep)")) for @hits;
        } else {
            Test::More::pass(_t($block, "pattern \"$pat\" does not match a line in"
                . " error.log (req $rep)"));
        }
    }
}

# TEST_NGINX_ERROR_LOG: append what this server logged to one file.
sub _copy_error_log {
    my $dest = $ENV{TEST_NGINX_ERROR_LOG} or return;
    open my $in, '<:raw', "$ServRoot/logs/error.log" or return;
    seek $in, $LogCopyPos, 0;
    local $/;
    my $text = <$in>;
    close $in;
    return unless defined $text && length $text;
    $LogCopyPos += length $text;
    open my $out, '>>:raw', $dest or do { warn "WARNING: cannot append to $dest: $!\n"; return };
    print {$out} $text;
    close $out;
}

END {
    if ($RunTestsCalled && !$ENV{TEST_NGINX_NO_CLEAN}) {
        local ($?, $!);    # keep the test's exit status
        _copy_error_log();
        _stop_nginx();
    }
}

1;
