package Fixtures;
# The keys and tokens the t/*.t files read (TEST_NGINX_FIXTURES, TEST_NGINX_TOKEN_*), made
# ready for any Test::Nginx runner: CPAN's Test::Nginx::Socket (`prove -r t/`) or the
# project's t/compat (scripts/run-t.sh). Each t/*.t file loads it before Test::Nginx:
#
#     use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
#
# - TEST_NGINX_FIXTURES set (e.g. `. t/fixtures/env.sh`): its env.sh fills in whatever
#   TEST_NGINX_* variable is not already set; nothing is generated.
# - unset: scripts/gen-fixtures.sh writes the fixtures into a directory under the system's
#   temp dir, one per user and checkout, shared by the files of a run (prove starts one
#   process per file, and generating takes seconds). It is regenerated when it is older than
#   30 minutes (the valid tokens live 2 hours), than scripts/gen-fixtures.sh or than the
#   credentialflow tool that made it. A lock keeps parallel files (prove -j) from reading
#   a half-written directory.
#
# The tool is $CREDENTIALFLOW_CLI, else target/nginx/bin/credentialflow, else credentialflow
# in PATH (an installed package). Plain Perl, core modules only.
use strict;
use warnings;
use Cwd qw(abs_path);
use Digest::MD5 qw(md5_hex);
use Fcntl qw(:flock O_CREAT O_RDWR);
use File::Basename qw(dirname);
use File::Spec;

my $MAX_AGE = 30 * 60;
my $repo    = abs_path(dirname(abs_path(__FILE__)) . '/../..');
my $lock_fh;    # held (shared) while this process runs, so nobody regenerates under it

sub import {
    my $dir = $ENV{TEST_NGINX_FIXTURES};
    if (!defined $dir || $dir eq '') {
        $dir = prepare();
    }
    $ENV{TEST_NGINX_FIXTURES} = $dir;
    load_env("$dir/env.sh") if -f "$dir/env.sh";
}

# The credentialflow tool that generates keys and tokens.
sub cli {
    return $ENV{CREDENTIALFLOW_CLI} if $ENV{CREDENTIALFLOW_CLI};
    my $built = "$repo/target/nginx/bin/credentialflow";
    return $built if -x $built;
    for my $d (File::Spec->path) {
        my $p = "$d/credentialflow";
        return $p if -x $p && !-d $p;
    }
    die "Fixtures: no credentialflow tool: run scripts/build.sh, install the package, "
      . "or set CREDENTIALFLOW_CLI\n";
}

# Makes sure the shared fixtures directory is fresh and returns its path.
sub prepare {
    my $cli = cli();
    my $id  = md5_hex($repo);
    my $dir = File::Spec->catdir(File::Spec->tmpdir, "credentialflow-fixtures-$<-" . substr($id, 0, 12));
    sysopen($lock_fh, "$dir.lock", O_CREAT | O_RDWR, 0600)
      or die "Fixtures: cannot open $dir.lock: $!\n";
    flock($lock_fh, LOCK_SH) or die "Fixtures: cannot lock $dir.lock: $!\n";
    return $dir if fresh($dir, $cli);
    flock($lock_fh, LOCK_UN);
    flock($lock_fh, LOCK_EX) or die "Fixtures: cannot lock $dir.lock: $!\n";
    if (!fresh($dir, $cli)) {
        local $ENV{CREDENTIALFLOW_CLI} = $cli;
        # gen-fixtures.sh reports on stdout, which is TAP here: send it to stderr.
        my $rc = system('bash', '-c', '"$0" "$1" >&2', "$repo/scripts/gen-fixtures.sh", $dir);
        die "Fixtures: scripts/gen-fixtures.sh $dir failed (status $rc)\n" if $rc != 0;
    }
    flock($lock_fh, LOCK_SH) or die "Fixtures: cannot lock $dir.lock: $!\n";
    return $dir;
}

sub fresh {
    my ($dir, $cli) = @_;
    my @env = stat("$dir/env.sh") or return 0;
    my $made = $env[9];
    return 0 if time - $made > $MAX_AGE;
    for my $input ("$repo/scripts/gen-fixtures.sh", $cli) {
        my @st = stat($input);
        return 0 if @st && $st[9] >= $made;
    }
    return 1;
}

# Sets every TEST_NGINX_* variable env.sh exports that is not set yet. bash reads the file,
# so its quoting is the shell's.
sub load_env {
    my ($file) = @_;
    my $script = 'set -a; . "$0" >/dev/null; env -0';
    open(my $fh, '-|', 'bash', '-c', $script, $file) or die "Fixtures: cannot run bash: $!\n";
    local $/ = "\0";
    while (my $kv = <$fh>) {
        chomp $kv;
        my ($k, $v) = split /=/, $kv, 2;
        next unless $k =~ /^TEST_NGINX_/;
        $ENV{$k} = $v unless defined $ENV{$k} && $ENV{$k} ne '';
    }
    close($fh) or die "Fixtures: reading $file failed\n";
}

1;
