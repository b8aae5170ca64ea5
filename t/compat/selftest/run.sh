#!/usr/bin/env bash
# Self-test of the project's Test::Nginx::Socket runner (t/compat).
#
# Usage: t/compat/selftest/run.sh
#   TEST_NGINX_BINARY: nginx to use; default target/nginx/sbin/nginx when it
#   exists, else `nginx` from PATH.  No module is needed (TEST_NGINX_LOAD_MODULES
#   is passed through if set).
#
# 1. *.t and parse-unit.pl must pass, only.tf must run just its ONLY block.
# 2. expected-failures.tf must fail exactly the subtests listed below.
# 3. bail-*.tf must make prove bail out with the right message.
# Ends with "N passed, N failed" and exits non-zero on any failed check.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cd "$repo" || exit 2
dir=t/compat/selftest

if [[ -z "${TEST_NGINX_BINARY:-}" ]]; then
    if [[ -x "$repo/target/nginx/sbin/nginx" ]]; then
        export TEST_NGINX_BINARY="$repo/target/nginx/sbin/nginx"
    else
        export TEST_NGINX_BINARY=nginx
    fi
fi
export TEST_NGINX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export TEST_NGINX_SERVROOT=$(mktemp -d "${TMPDIR:-/tmp}/selftest-servroot.XXXXXX")
unset TEST_NGINX_NO_SHUFFLE TEST_NGINX_NO_CLEAN TEST_NGINX_LOG_LEVEL TEST_NGINX_SERVER_PORT \
      TEST_NGINX_CLIENT_PORT TEST_NGINX_RANDOMIZE TEST_NGINX_TIMEOUT
out=$(mktemp)

cleanup() {
    local pidfile="$TEST_NGINX_SERVROOT/logs/nginx.pid" pid
    if [[ -f "$pidfile" ]]; then
        pid=$(<"$pidfile")
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -rf "$TEST_NGINX_SERVROOT" "$out"
}
trap cleanup EXIT

passed=0
failed=0
check() {    # check DESCRIPTION COMMAND...: count a passing/failing check
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok: $what"
    else
        failed=$((failed + 1))
        echo "FAILED: $what"
    fi
}

runprove() {    # runprove FILE...: verbose prove into $out, returns its status
    prove -v -I t/compat "$@" >"$out" 2>&1
}

# --- 1. passing files ------------------------------------------------------
echo "== passing self-tests (TEST_NGINX_BINARY=$TEST_NGINX_BINARY)"
if prove -I t/compat "$dir"/*.t "$dir/parse-unit.pl"; then
    passed=$((passed + 1))
    echo "ok: passing self-tests pass"
else
    failed=$((failed + 1))
    echo "FAILED: passing self-tests"
fi

runprove "$dir/only.tf"
st=$?
check "only.tf passes" test "$st" -eq 0
check "only.tf: ONLY diag" grep -q "I found ONLY: maybe you're debugging?" "$out"
check "only.tf: plan of 2, from blocks()" grep -qx '1\.\.2' "$out"
check "only.tf: only TEST 2 ran" bash -c "! grep -E '^(not )?ok .*TEST [13]:' '$out'"

# --- 2. expected failures --------------------------------------------------
echo "== expected-failures.tf (fails by design)"
runprove "$dir/expected-failures.tf"
st=$?
check "expected-failures.tf exits non-zero" test "$st" -ne 0
check "expected-failures.tf did not bail out" bash -c "! grep -q 'Further testing stopped' '$out'"
check "expected-failures.tf: plan of 38" grep -qx '1\.\.38' "$out"

# COUNT|substring of the "not ok" lines that must fail.
expected_failures=(
    "1|F01: wrong status - status code ok"
    "1|F02: multi-line error_code keeps its newline - status code ok"
    "1|F03: wrong body - response_body - response is expected (repeated req 0, req 0)"
    "1|F04: multi-line response_body_like with ^abc\$ does not match \"abc\" - response_body_like"
    "1|non-empty-but-empty - header X-A ok"
    "1|non-empty-but-empty - header X-B ok"
    "1|non-empty-but-empty - header X-B not present"
    "1|F06: error_log pattern never logged - pattern \"never-logged-xyz\" should match a line in error.log (req 0)"
    "2|F07: no_error_log: one failure per matching line - pattern \"-f07\" failed\" should not match any line in error.log but matches line"
    "1|F08: second request's log slice does not see the first request's line - pattern \"once-f08\" should match"
    "1|F09: an eval error becomes the value - response_body"
    "1|F10: client timeout without abort - ERROR: client socket timed out - F10: client timeout without abort"
    "1|F11: Assertion ... failed in error.log - Assertion failure found in error.log"
    "1|F12: return 444 is not status 200 - status code ok"
    "1|error_code_like - status code ok"
    "1|error_code_like - raw resp headers like"
    "1|error_code_like - response_body_unlike"
    "1|F14: must_die, but nginx starts - die as expected"
    "1|F15: response_headers_like is anchored - header X-L like"
    "1|F16: several requests: only the second body is wrong - response_body - response is expected (repeated req 0, req 1)"
    "1|F17: no --- config: F16's server is reused, so /b is 200, not 404 - status code ok"
)
total=0
for e in "${expected_failures[@]}"; do
    n=${e%%|*}
    s=${e#*|}
    total=$((total + n))
    got=$(grep '^not ok ' "$out" | grep -cF -- "$s")
    check "fails $n time(s): $s" test "$got" -eq "$n"
done
got=$(grep -c '^not ok ' "$out")
check "exactly $total subtests fail (got $got)" test "$got" -eq "$total"

# Subtests of those blocks that must still pass.
for s in \
    "F05: response_headers: wrong value, present-but-forbidden, non-empty-but-empty - header X-C ok" \
    "F08: second request's log slice does not see the first request's line - pattern \"once-f08\" matches a line in error.log (req 0)" \
    "F10: client timeout without abort - status code ok" \
    "F16: several requests: only the second body is wrong - response_body - response is expected (repeated req 0, req 0)"
do
    check "passes: $s" bash -c 'grep "^ok " "$1" | grep -qF -- "$2"' _ "$out" "$s"
done
check "F09: the eval error message is the expected value" \
    grep -q "Can't find string terminator" "$out"

# --- 3. bail-outs ----------------------------------------------------------
echo "== bail-out files"
bail() {    # bail FILE MESSAGE-SUBSTRING
    runprove "$dir/$1"
    local st=$?
    check "$1 exits non-zero" test "$st" -ne 0
    # prove turns the "Bail out!" line into "... Further testing stopped: MSG"
    check "$1 bails out: $2" bash -c 'grep "Further testing stopped" "$1" | grep -qF -- "$2"' _ "$out" "$2"
}
bail bail-undefined-env.tf "No environment TEST_NGINX_SELFTEST_NO_SUCH_VAR defined."
bail bail-first-no-config.tf "No '--- config' section specified"
bail bail-multi-plain.tf "the '--- error_code' section must be an array"

echo "selftest: $passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
