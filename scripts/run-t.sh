#!/usr/bin/env bash
# Run the Test::Nginx::Socket-format integration tests (t/*.t) with the
# project's own runner, t/compat/Test/Nginx/Socket.pm.
#
# Usage: scripts/run-t.sh [prove args / files]       (default: t/)
#
# Environment:
#   TEST_NGINX_BINARY        nginx to test; default target/nginx/sbin/nginx
#                            when it exists
#   TEST_NGINX_LOAD_MODULES  absolute .so path(s), space-separated; default
#                            target/nginx/modules/ngx_http_credentialflow_module.so
#                            when it exists (set it to "" to load none)
#   TEST_NGINX_PORT          listen port; default: a free port
#   TEST_NGINX_SERVROOT      server root; default: a fresh temp dir (removed
#                            after a passing run, kept after a failing one)
#   TEST_NGINX_FIXTURES      keys and tokens (. t/fixtures/env.sh); unset, each file's
#                            t/lib/Fixtures.pm generates them once per run (scripts/gen-fixtures.sh)
# Other TEST_NGINX_* variables pass through (see t/compat/README.md).
# Runs prove from the repo root and exits with prove's exit code.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ -z "${TEST_NGINX_BINARY:-}" ]]; then
    if [[ -x "$repo/target/nginx/sbin/nginx" ]]; then
        export TEST_NGINX_BINARY="$repo/target/nginx/sbin/nginx"
    else
        echo "run-t.sh: TEST_NGINX_BINARY is not set and $repo/target/nginx/sbin/nginx does not exist" >&2
        exit 2
    fi
fi

if [[ -z "${TEST_NGINX_LOAD_MODULES+set}" ]]; then
    so="$repo/target/nginx/modules/ngx_http_credentialflow_module.so"
    if [[ -f "$so" ]]; then
        export TEST_NGINX_LOAD_MODULES="$so"
    else
        echo "run-t.sh: TEST_NGINX_LOAD_MODULES is not set and $so does not exist" >&2
        exit 2
    fi
fi

if [[ -z "${TEST_NGINX_PORT:-}" ]]; then
    TEST_NGINX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || {
        echo "run-t.sh: cannot pick a free port" >&2
        exit 2
    }
    export TEST_NGINX_PORT
fi

made_servroot=
if [[ -z "${TEST_NGINX_SERVROOT:-}" ]]; then
    TEST_NGINX_SERVROOT=$(mktemp -d "${TMPDIR:-/tmp}/credentialflow-servroot.XXXXXX") || exit 2
    export TEST_NGINX_SERVROOT
    made_servroot=1
fi

# Stop a leftover nginx, but only the one whose pid file is in our servroot
# (and only if that pid still is an nginx).
stop_our_nginx() {
    local pidfile="$TEST_NGINX_SERVROOT/logs/nginx.pid" pid i
    [[ -f "$pidfile" ]] || return 0
    pid=$(<"$pidfile")
    [[ "$pid" =~ ^[0-9]+$ ]] && (( pid > 1 )) || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q nginx || return 0
    kill -QUIT "$pid" 2>/dev/null
    for i in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
}

rc=1
cleanup() {
    stop_our_nginx
    if [[ -n "$made_servroot" ]]; then
        if [[ "$rc" == 0 ]]; then
            rm -rf "$TEST_NGINX_SERVROOT"
        else
            echo "run-t.sh: servroot kept for inspection: $TEST_NGINX_SERVROOT" >&2
        fi
    fi
}
trap cleanup EXIT

cd "$repo" || exit 2
prove -I "$repo/t/compat" "${@:-t/}"
rc=$?
exit "$rc"
