#!/usr/bin/env bash
# Builds the module the way nginx builds any third-party module, through the top-level
# `config` file:  ./configure --with-compat --add-dynamic-module=<this repo> && make modules
# inside a copy of the vendored nginx 1.28.3 source (the nginx-src crate, configured with the
# same flags as target/nginx/sbin/nginx), then loads the .so into that nginx and runs part of
# the t/ suite with it.
#
# Usage: scripts/configure-build-test.sh      (needs scripts/build.sh's target/nginx/)
#   CREDENTIALFLOW_CARGO_PROFILE  dev (default here, for speed) or release
# cargo's target dir is target/configure/cargo, kept between runs (incremental); the nginx
# tree is copied afresh into target/configure/nginx each run.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

nginx_bin=$repo/target/nginx/sbin/nginx
if [[ ! -x "$nginx_bin" ]]; then
    echo "configure-build-test.sh: $nginx_bin missing; run scripts/build.sh first" >&2
    exit 2
fi

# The nginx-src crate Cargo.lock names: the source the vendored nginx was built from.
version=$(awk '/^name = "nginx-src"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
src=
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"nginx-src-$version"/nginx; do
    [[ -f "$dir/auto/configure" ]] && src=$dir
done
if [[ -z "$src" ]]; then
    echo "configure-build-test.sh: nginx-src $version not in the cargo registry; run scripts/build.sh" >&2
    exit 2
fi

work=$repo/target/configure
rm -rf "$work/nginx"
mkdir -p "$work"
cp -a "$src" "$work/nginx"
cd "$work/nginx"

# The vendored build's flags (nginx-src's configure base), so that the module's signature and
# struct layouts match target/nginx/sbin/nginx.
flags=(--with-compat --with-http_realip_module --with-http_ssl_module --with-http_v2_module
       --with-stream --with-stream_realip_module --with-stream_ssl_module --with-threads)
echo "== auto/configure ${flags[*]} --add-dynamic-module=$repo"
CREDENTIALFLOW_CARGO_PROFILE=${CREDENTIALFLOW_CARGO_PROFILE:-dev} \
CREDENTIALFLOW_CARGO_TARGET_DIR=$work/cargo \
    auto/configure "${flags[@]}" --add-dynamic-module="$repo" >"$work/configure.log" 2>&1 || {
        tail -20 "$work/configure.log" >&2
        echo "configure-build-test.sh: configure failed (log: $work/configure.log)" >&2
        exit 1
    }
grep -F 'checking for cargo' "$work/configure.log"

echo "== make modules"
make -j2 modules >"$work/make.log" 2>&1 || {
    tail -30 "$work/make.log" >&2
    echo "configure-build-test.sh: make modules failed (log: $work/make.log)" >&2
    exit 1
}
so=$work/nginx/objs/ngx_http_credentialflow_module.so
[[ -f "$so" ]] || { echo "configure-build-test.sh: $so was not built" >&2; exit 1; }
ls -l "$so"

echo "== nginx -t loads it"
conf=$(mktemp -d "${TMPDIR:-/tmp}/configure-build-test.XXXXXX")
trap 'rm -rf "$conf"' EXIT
mkdir -p "$conf/logs"
cat >"$conf/nginx.conf" <<CONF
load_module $so;
error_log $conf/logs/error.log notice;
pid $conf/logs/nginx.pid;
events {}
http {
    server {
        listen 127.0.0.1:1;
        location / { credentialflow off; }
    }
}
CONF
"$nginx_bin" -t -p "$conf" -c "$conf/nginx.conf"
grep -o 'credentialflow/[^ ]* ([^)]*)' "$conf/logs/error.log" | tail -1

echo "== t/ files with the configure-built module"
cd "$repo"
TEST_NGINX_BINARY=$nginx_bin TEST_NGINX_LOAD_MODULES=$so \
    scripts/run-t.sh t/010-algorithms.t t/040-scope-and-challenge.t t/050-forwarding.t \
    t/130-shared-cache.t t/200-oauth-token.t
echo "configure-build-test.sh: ok"
