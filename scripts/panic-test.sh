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

# A panic in init_module, where a FIPS build checks FIPS mode, refuses the configuration at
# nginx -t and at start (it once returned NGX_OK, so nginx started with the check skipped),
# and on a reload is an alert that leaves the running master serving (an error there would
# end it). The panic-test build panics there while the file the variable names exists.
nginx=${TEST_NGINX_BINARY:-$root/target/nginx/sbin/nginx}
export CREDENTIALFLOW_PANIC_IN_INIT_MODULE="$scratch/init/panic-now"
mkdir -p "$scratch/init/conf" "$scratch/init/logs"
cat >"$scratch/init/conf/nginx.conf" <<EOF
load_module $scratch/panic-module.so;
error_log stderr notice;
pid $scratch/init/logs/nginx.pid;
daemon off;
events {}
http {}
EOF
nginx_t() { "$nginx" -t -p "$scratch/init/" -c conf/nginx.conf -e stderr 2>&1; }
alert="credentialflow: panic in init_module at "
fail() { echo "panic-test.sh: $*" >&2; status=1; }
if ! out=$(nginx_t); then
    fail "nginx -t fails without the panic: $out"
elif out=$(touch "$CREDENTIALFLOW_PANIC_IN_INIT_MODULE" && nginx_t); then
    fail "a panic in init_module let nginx -t pass: $out"
elif [[ $out != *"[alert]"*"$alert"* ]]; then
    fail "nginx -t failed without the panic's alert line: $out"
else
    echo "ok - a panic in init_module refuses the configuration at nginx -t (alert logged)"
fi
rm -f "$CREDENTIALFLOW_PANIC_IN_INIT_MODULE"
"$nginx" -p "$scratch/init/" -c conf/nginx.conf -e stderr 2>"$scratch/init/master.log" &
master=$!
for _ in $(seq 50); do [ -s "$scratch/init/logs/nginx.pid" ] && break; sleep 0.1; done
touch "$CREDENTIALFLOW_PANIC_IN_INIT_MODULE"
kill -HUP "$master"
for _ in $(seq 50); do grep -q "$alert" "$scratch/init/master.log" && break; sleep 0.1; done
sleep 0.5
if ! grep -q "\[alert\].*$alert" "$scratch/init/master.log"; then
    fail "the reload logged no panic alert: $(cat "$scratch/init/master.log")"
elif ! kill -0 "$master" 2>/dev/null; then
    fail "a panic in init_module on a reload ended the master: $(cat "$scratch/init/master.log")"
else
    echo "ok - a panic in init_module on a reload is an alert; the master keeps running"
fi
rm -f "$CREDENTIALFLOW_PANIC_IN_INIT_MODULE"
kill -QUIT "$master" 2>/dev/null || true
wait "$master" 2>/dev/null || true
unset CREDENTIALFLOW_PANIC_IN_INIT_MODULE
rm -rf "$scratch"
scripts/build.sh >/dev/null
exit $status
