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
rm -rf "$scratch"
scripts/build.sh >/dev/null
exit $status
