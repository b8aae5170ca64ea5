#!/usr/bin/env bash
# Runs nginx with the CredentialFlow module under valgrind memcheck, drives the hostile JWT
# corpus (and then a short mixed load from scripts/flood/) through it, stops nginx gracefully
# (SIGQUIT) and checks valgrind's report.
#
# Usage: scripts/memcheck.sh [--build] [--keep] [--t [t/FILE.t...]]
#   --build   run scripts/build.sh (debug) first; otherwise the nginx/ prefix must already exist
#   --keep    keep the scratch directory even when the check passes
#   --t       instead of the corpus, run the t/ suite (or the given files) through
#             scripts/run-t.sh with every nginx process under valgrind (fixtures from
#             scripts/gen-fixtures.sh unless TEST_NGINX_FIXTURES is set; slow: minutes per file;
#             TEST_NGINX_SLEEP and TEST_NGINX_TIMEOUT are raised for valgrind). Test failures
#             are reported (timing-sensitive tests may fail under valgrind); valgrind errors in
#             the module fail the check.
#
# Environment:
#   NGINX_BIN      nginx binary        (default $CARGO_TARGET_DIR/nginx/sbin/nginx, i.e. what
#                  scripts/build.sh lays out; CARGO_TARGET_DIR defaults to target)
#   MODULE         the module .so      (default $CARGO_TARGET_DIR/nginx/modules/ngx_http_credentialflow_module.so)
#   CORPUS_DIR     hostile JWT corpus  (default ../shared/corpus beside the repo)
#   PORT           gateway port; UPSTREAM_PORT the echo upstream's (default: free ports)
#   CORPUS_ARGS    extra run_jwt_corpus.py arguments (e.g. "--class valid_baseline")
#   FLOOD_SECONDS  seconds of mixed wrk load after the corpus (default 20; 0: none)
#   VALGRIND_ARGS  extra valgrind arguments
#
# nginx runs as one process (master_process off, daemon off), so the process that runs the
# module is the valgrind-ed one. The binary and .so are copied to the scratch directory first,
# so a concurrent rebuild cannot swap them mid-run.
#
# Fails (exit 1) when: nginx dies or does not start, any valgrind error (invalid access,
# uninitialised use, bad free, definite leak, ...) has a stack frame in the module or its Rust
# dependencies, or the error log shows a crash/alert/panic. Errors entirely inside nginx or libc
# (nginx leaks its environment copy at exit, for one) are printed but do not fail the check.
# Exit 2: setup problem.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=0 keep=0 t_mode=0 t_files=()
for arg in "$@"; do
    case "$arg" in
        --build) build=1 ;;
        --keep) keep=1 ;;
        --t) t_mode=1 ;;
        -h | --help) sed -n '2,35p' "$0"; exit 0 ;;
        -*) echo "memcheck.sh: unknown argument $arg" >&2; exit 2 ;;
        *)
            ((t_mode)) || { echo "memcheck.sh: test files need --t" >&2; exit 2; }
            t_files+=("$arg")
            ;;
    esac
done

die() { echo "memcheck.sh: $*" >&2; exit 2; }
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"

if ((build)); then
    "$repo/scripts/build.sh" || die "build failed"
fi
# shellcheck source=scripts/lib/corpus-nginx.sh
. "$repo/scripts/lib/corpus-nginx.sh"
resolve_artifacts
[[ -x "$nginx_src" ]] || die "no nginx at $nginx_src (run scripts/build.sh, or pass --build)"
[[ -f "$module_src" ]] || die "no module at $module_src (run scripts/build.sh, or pass --build)"
((t_mode)) || [[ -f "$corpus/public.jsonl" && -f "$corpus/nginx-credentialflow.conf" ]] ||
    die "no corpus at $corpus"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/credentialflow-memcheck.XXXXXX") || die "mktemp failed"
mkdir -p "$scratch/conf" "$scratch/logs" "$scratch/bin" "$scratch/vg"
cp "$nginx_src" "$scratch/bin/nginx"
cp "$module_src" "$scratch/bin/ngx_http_credentialflow_module.so"

vg_opts=(--tool=memcheck --leak-check=full --show-leak-kinds=definite,possible
    --errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=60 --track-origins=yes)
# shellcheck disable=SC2206
vg_opts+=(${VALGRIND_ARGS:-})

# analyze LOG...: splits valgrind logs into error records and sorts them by whether a stack
# frame (including the alloc/free stacks of the address involved) is in our code: the module's
# functions, credentialflow-core, and the Rust crates linked into the .so. Sets module_errors.
analyze() {
    python3 - "$@" >"$scratch/module-errors.txt" <<'EOF'
import re, sys
ours = re.compile(r"credentialflow|ngx_http_credentialflow_module\.so|ring_core_|::")
kinds = re.compile(r"^(Invalid |Conditional jump|Use of uninitialised|Syscall param|Mismatched free|"
                   r"Source and destination overlap|Argument '|.*definitely lost|.*possibly lost|"
                   r"Jump to the invalid|Process terminating)")
records = []
for path in sys.argv[1:]:
    cur = []
    for raw in open(path, errors="replace"):
        line = re.sub(r"^==\d+== ?", "", raw.rstrip("\n"))
        if not line.strip():
            if cur:
                records.append(cur)
            cur = []
        else:
            cur.append(line)
    if cur:
        records.append(cur)
n_ours = n_other = 0
for rec in records:
    if not kinds.match(rec[0]):
        continue
    # Possibly-lost blocks are shown but are not errors (--errors-for-leak-kinds=definite).
    counted = "possibly lost" not in rec[0]
    frames = [l for l in rec if re.match(r"\s*(at|by) 0x", l)]
    mine = any(ours.search(f) for f in frames)
    if counted:
        if mine:
            n_ours += 1
        else:
            n_other += 1
    tag = ("MODULE" if mine else "nginx/libc") + ("" if counted else ", not counted")
    print(f"--- [{tag}] " + "\n".join(rec[:40]))
print(f"module errors: {n_ours}; errors outside the module: {n_other}")
EOF
    local line
    line=$(tail -n 1 "$scratch/module-errors.txt")
    echo "memcheck.sh: $line"
    module_errors=$(sed -n 's/^module errors: \([0-9]*\);.*/\1/p' "$scratch/module-errors.txt")
    if [[ "${module_errors:-x}" != 0 ]]; then
        echo "memcheck.sh: FAIL: valgrind errors in the module:" >&2
        grep -A 40 '^--- \[MODULE\]' "$scratch/module-errors.txt" | head -n 200 >&2
        failed=1
    elif grep -q '^--- \[nginx' "$scratch/module-errors.txt"; then
        echo "memcheck.sh: errors outside the module (not failing the check):"
        grep -A 12 '^--- \[nginx' "$scratch/module-errors.txt" | head -n 60 | sed 's/^/    /'
    fi
}

finish() {
    if ((failed)); then
        echo "memcheck.sh: FAILED; logs kept in $scratch" >&2
        exit 1
    fi
    echo "memcheck.sh: PASS ($1; module errors: 0)"
    if ((keep)); then
        echo "memcheck.sh: logs kept in $scratch"
    else
        rm -rf "$scratch"
    fi
    exit 0
}

failed=0

# ---- the t/ suite, every nginx process under valgrind -------------------------------------
if ((t_mode)); then
    wrapper="$scratch/bin/nginx-valgrind"
    {
        echo '#!/bin/sh'
        printf 'exec valgrind --trace-children=yes --log-file=%q' "$scratch/vg/vg.%p.log"
        printf ' %q' "${vg_opts[@]}" "$scratch/bin/nginx"
        echo ' "$@"'
    } >"$wrapper"
    chmod +x "$wrapper"
    if [[ -z "${TEST_NGINX_FIXTURES:-}" ]]; then
        CREDENTIALFLOW_CLI=${CREDENTIALFLOW_CLI:-$prefix_dir/bin/credentialflow} \
            "$repo/scripts/gen-fixtures.sh" "$scratch/fixtures" >"$scratch/fixtures.log" 2>&1 ||
            { cat "$scratch/fixtures.log" >&2; die "scripts/gen-fixtures.sh failed"; }
        # shellcheck disable=SC1091
        . "$scratch/fixtures/env.sh"
    fi
    echo "memcheck.sh: running ${t_files[*]:-t/} with nginx under valgrind (logs: $scratch/vg)"
    TEST_NGINX_BINARY="$wrapper" \
        TEST_NGINX_LOAD_MODULES="$scratch/bin/ngx_http_credentialflow_module.so" \
        TEST_NGINX_SLEEP=${TEST_NGINX_SLEEP:-2} TEST_NGINX_TIMEOUT=${TEST_NGINX_TIMEOUT:-30} \
        "$repo/scripts/run-t.sh" "${t_files[@]}" >"$scratch/t.log" 2>&1
    t_rc=$?
    echo "memcheck.sh: t/ exit $t_rc: $(grep -E '^(Result|Files=)' "$scratch/t.log" | tr '\n' ' ')"
    ((t_rc == 0)) || grep -E '^(not ok|#   Failed)' "$scratch/t.log" | head -n 20 | sed 's/^/    /'
    mapfile -t logs < <(find "$scratch/vg" -name 'vg.*.log' | sort)
    echo "memcheck.sh: ${#logs[@]} valgrind logs; error summaries:" \
        "$(grep -h 'ERROR SUMMARY' "${logs[@]}" /dev/null | sed 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/' | sort | uniq -c | awk '{printf "%s process(es) with %s errors; ", $1, $2}')"
    unfinished=$(grep -L 'ERROR SUMMARY' "${logs[@]}" | wc -l)
    ((unfinished == 0)) || echo "memcheck.sh: $unfinished process(es) were SIGKILLed by the harness" \
        "(no exit-time leak check for them; run-time errors are still in their logs)"
    if grep -l 'Process terminating with default action' "${logs[@]}" /dev/null >/dev/null; then
        echo "memcheck.sh: FAIL: an nginx process died of a signal under valgrind:" >&2
        grep -l 'Process terminating with default action' "${logs[@]}" | head -n 5 >&2
        failed=1
    fi
    ((${#logs[@]} > 0)) || { echo "memcheck.sh: FAIL: no valgrind log was written" >&2; failed=1; }
    analyze "${logs[@]}"
    finish "t/ under valgrind, ${#logs[@]} processes"
fi

# ---- the hostile corpus against one valgrind-ed nginx -------------------------------------
pick_ports
render_corpus_conf "$scratch"

vglog="$scratch/valgrind.log"
nginx_pid=
cleanup() {
    if [[ -n "$nginx_pid" ]] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -KILL "$nginx_pid" 2>/dev/null
    fi
}
trap cleanup EXIT

echo "memcheck.sh: scratch $scratch, gateway 127.0.0.1:$port, upstream 127.0.0.1:$upstream_port"
vg_cmd=(valgrind "${vg_opts[@]}" --log-file="$vglog"
    "$scratch/bin/nginx" -p "$scratch/" -c conf/nginx.conf
    -g "daemon off; master_process off; error_log logs/error.log info; pid logs/nginx.pid;")
echo "memcheck.sh: ${vg_cmd[*]}"
"${vg_cmd[@]}" >"$scratch/logs/stdout.log" 2>&1 &
nginx_pid=$!

# Valgrind makes start-up slow: wait up to 120 s for the port.
up=0
for _ in $(seq 240); do
    kill -0 "$nginx_pid" 2>/dev/null || break
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; then
        up=1
        break
    fi
    sleep 0.5
done
if ((!up)); then
    echo "memcheck.sh: nginx did not start under valgrind" >&2
    tail -n 20 "$scratch/logs/error.log" "$scratch/logs/stdout.log" "$vglog" 2>/dev/null >&2
    exit 1
fi
echo "memcheck.sh: nginx up (pid $nginx_pid); running the corpus"

# Status mismatches are not this check's business; crashes and valgrind errors are.
# shellcheck disable=SC2086
python3 "$corpus/run_jwt_corpus.py" "http://127.0.0.1:$port" "$corpus/public.jsonl" \
    --keys-dir "$scratch/keys" \
    --revoke-cmd "printf \"%s %s\\n\" {kind} {value} >> $scratch/keys/revoked.txt" \
    --revoke-wait 3 --timeout 30 --summary ${CORPUS_ARGS:-} >"$scratch/corpus.log" 2>&1
corpus_rc=$?
echo "memcheck.sh: corpus runner exit $corpus_rc: $(tail -n 1 "$scratch/corpus.log")" \
    "(status mismatches are reported, not failed, here)"
grep '^FAIL ' "$scratch/corpus.log" | head -n 10 | cut -c 1-200 | sed 's/^/    /'
if grep -q '^Traceback' "$scratch/corpus.log"; then
    echo "memcheck.sh: the corpus runner crashed:" >&2
    tail -n 15 "$scratch/corpus.log" >&2
    failed=1
fi

# Then a short mixed load (valid, forged, garbage, oversize: scripts/flood/), for variety.
flood_seconds=${FLOOD_SECONDS:-20}
if ((flood_seconds > 0)) && command -v wrk >/dev/null && kill -0 "$nginx_pid" 2>/dev/null; then
    python3 "$repo/scripts/flood/flood.py" gen "$corpus/public.jsonl" "$scratch/requests.lua" >/dev/null &&
        timeout --kill-after=10 $((flood_seconds + 30)) \
            wrk -t 1 -c 4 -d "${flood_seconds}s" --timeout 20s -s "$repo/scripts/flood/flood.lua" \
            "http://127.0.0.1:$port/" -- "$scratch/requests.lua" >"$scratch/wrk.log" 2>&1
    echo "memcheck.sh: ${flood_seconds}s of mixed load: $(grep -h '^FLOOD sent=' "$scratch/wrk.log" | cut -d' ' -f2-3);" \
        "statuses: $(grep -h '^FLOOD status' "$scratch/wrk.log" | awk '{printf "%s:%s ", $3, $4}')"
fi

if ! kill -0 "$nginx_pid" 2>/dev/null; then
    echo "memcheck.sh: FAIL: nginx died during the run" >&2
    failed=1
else
    kill -QUIT "$nginx_pid"
fi
vg_rc=
for _ in $(seq 240); do
    if ! kill -0 "$nginx_pid" 2>/dev/null; then
        wait "$nginx_pid"
        vg_rc=$?
        break
    fi
    sleep 0.5
done
if [[ -z "$vg_rc" ]]; then
    echo "memcheck.sh: FAIL: nginx did not exit within 120 s of SIGQUIT" >&2
    kill -KILL "$nginx_pid" 2>/dev/null
    wait "$nginx_pid" 2>/dev/null
    vg_rc=killed
    failed=1
fi
nginx_pid=

echo "memcheck.sh: valgrind exit status $vg_rc (99: valgrind found errors)"
summary=$(grep -h 'ERROR SUMMARY' "$vglog" | tail -n 1 | sed 's/^==[0-9]*== //')
echo "memcheck.sh: $summary"
grep -h -A 8 'LEAK SUMMARY' "$vglog" | sed 's/^==[0-9]*== /    /'
analyze "$vglog"
if grep -qE 'exited on signal|\[alert\]|\[emerg\]|panicked' "$scratch/logs/error.log"; then
    echo "memcheck.sh: FAIL: the error log shows a crash, alert or panic:" >&2
    grep -E 'exited on signal|\[alert\]|\[emerg\]|panicked' "$scratch/logs/error.log" | head -n 10 >&2
    failed=1
fi
finish "valgrind: $summary"
