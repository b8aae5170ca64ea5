#!/usr/bin/env bash
# Proves that a panic never crosses the FFI boundary: builds the module with the test-only
# `panic-test` feature (a directive that makes the access handler panic), runs t-panic/
# against it, then restores the normal build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build -q -p ngx-http-credentialflow-module --features panic-test
scratch=$(mktemp -d /tmp/credentialflow-panic.XXXXXX)
cp target/debug/libngx_http_credentialflow_module.so "$scratch/panic-module.so"
head -c 48 /dev/urandom > "$scratch/secret"
chmod 600 "$scratch/secret"
status=0
TEST_NGINX_LOAD_MODULES="$scratch/panic-module.so" TEST_NGINX_PANIC_KEY="$scratch/secret" \
    scripts/run-t.sh t-panic/ || status=$?

# A panic in init_module, where a FIPS build checks FIPS mode, refuses the configuration
# (it once returned NGX_OK, so nginx started with the check skipped).
nginx=${TEST_NGINX_BINARY:-$root/target/nginx/sbin/nginx}
mkdir -p "$scratch/init/conf" "$scratch/init/logs"
cat >"$scratch/init/conf/nginx.conf" <<EOF
load_module $scratch/panic-module.so;
error_log stderr notice;
pid $scratch/init/logs/nginx.pid;
events {}
http {}
EOF
nginx_t() { "$nginx" -t -p "$scratch/init/" -c conf/nginx.conf -e stderr 2>&1; }
if ! out=$(nginx_t); then
    echo "panic-test.sh: nginx -t fails without the panic: $out" >&2
    status=1
elif out=$(CREDENTIALFLOW_PANIC_IN_INIT_MODULE=1 nginx_t); then
    echo "panic-test.sh: a panic in init_module let nginx -t pass: $out" >&2
    status=1
elif [[ $out != *"[alert]"*"credentialflow: panic in init_module at "* ]]; then
    echo "panic-test.sh: nginx -t failed without the panic's alert line: $out" >&2
    status=1
else
    echo "ok - a panic in init_module refuses the configuration (nginx -t fails, alert logged)"
fi
rm -rf "$scratch"
scripts/build.sh >/dev/null
exit $status
