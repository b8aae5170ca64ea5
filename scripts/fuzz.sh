#!/usr/bin/env bash
# Fuzzes credentialflow-core with cargo-fuzz (libFuzzer + AddressSanitizer, debug assertions on).
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60
#   TARGET              default: every target in fuzz/fuzz_targets (api_key claims extract json keys record
#                       resp revocation verify)
#
# Environment:
#   CORPUS_DIR   the hostile JWT corpus (public.jsonl, keys/) used as extra seeds;
#                default ../shared/corpus beside the repo (skipped when absent)
#   FUZZ_ARGS    extra libFuzzer arguments
#
# Works on a stable toolchain (RUSTC_BOOTSTRAP=1 unlocks -Zsanitizer). Seeds are regenerated
# into fuzz/corpus/<target>/ (gitignored) before each run; the corpus grows across runs.
# Crash inputs land in fuzz/artifacts/<target>/. Logs: fuzz/logs/<target>.log.
# Prints per target: duration, executions, exec/s, corpus size, result. Exits 1 on any crash,
# leak, timeout or OOM, 2 on a setup failure.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fuzz="$repo/fuzz"
seconds=${1:-60}
shift || true
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS_PER_TARGET must be a number" >&2; exit 2; }

export RUSTC_BOOTSTRAP=1
cd "$fuzz" || exit 2

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked || { echo "fuzz.sh: cannot install cargo-fuzz" >&2; exit 2; }
fi

if (($# > 0)); then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi
all_targets=" $(cargo fuzz list | tr '\n' ' ') "
for t in "${targets[@]}"; do
    [[ "$all_targets" == *" $t "* ]] || { echo "fuzz.sh: unknown target '$t' (have:$all_targets)" >&2; exit 2; }
done

# Largest input per target: tokens beyond the 8 KiB default limit are refused before decoding.
max_len() {
    case "$1" in
        verify) echo 12288 ;;
        keys | extract) echo 16384 ;;
        *) echo 8192 ;;
    esac
}

echo "fuzz.sh: building ${targets[*]}"
for t in "${targets[@]}"; do
    cargo fuzz build -O --debug-assertions "$t" || { echo "fuzz.sh: build of $t failed" >&2; exit 2; }
done

corpus_src=${CORPUS_DIR:-$repo/../shared/corpus}
seed_args=()
[[ -f "$corpus_src/public.jsonl" ]] && seed_args+=(--corpus "$corpus_src/public.jsonl")
[[ -d "$corpus_src/keys" ]] && seed_args+=(--keys "$corpus_src/keys")
cargo run -q --example gen-seeds -- "$fuzz/corpus" "${seed_args[@]}" ||
    { echo "fuzz.sh: seed generation failed" >&2; exit 2; }

mkdir -p "$fuzz/logs"
results=()
failed=0
for t in "${targets[@]}"; do
    log="$fuzz/logs/$t.log"
    mkdir -p "$fuzz/corpus/$t" "$fuzz/artifacts/$t"
    before=$(find "$fuzz/artifacts/$t" -type f | sort)
    echo "fuzz.sh: fuzzing $t for ${seconds}s (log: $log)"
    start=$(date +%s)
    # shellcheck disable=SC2086
    cargo fuzz run -O --debug-assertions "$t" "$fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 -max_len="$(max_len "$t")" \
        -timeout=25 -rss_limit_mb=2048 \
        ${FUZZ_ARGS:-} >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    # libFuzzer's own fuzzing time (without a rebuild that `cargo fuzz run` may do first).
    fuzzed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    took=${fuzzed:-$took}
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
    rate=$(awk -v e="$execs" -v s="$took" 'BEGIN {printf "%d", (s > 0 ? e / s : e)}')
    corpus_n=$(find "$fuzz/corpus/$t" -type f | wc -l)
    after=$(find "$fuzz/artifacts/$t" -type f | sort)
    new_artifacts=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)
    if ((rc == 0)) && [[ -z "$new_artifacts" ]] && ! grep -q '^==[0-9]*==ERROR\|^SUMMARY: \|panicked at' "$log"; then
        result=ok
    else
        result="CRASH (exit $rc)"
        failed=1
        grep -m 3 -E '==ERROR|panicked at|SUMMARY:|deadly signal|Test unit written' "$log" | sed 's/^/    /'
        [[ -n "$new_artifacts" ]] && echo "$new_artifacts" | sed 's/^/    artifact: /'
    fi
    results+=("$(printf '%-11s %6ss %12s execs %8s exec/s %7s corpus  %s' "$t" "$took" "$execs" "$rate" "$corpus_n" "$result")")
    echo "${results[-1]}"
done

echo
echo "fuzz.sh summary (${seconds}s per target, libFuzzer + ASan, debug assertions):"
printf '  %s\n' "${results[@]}"
if ((failed)); then
    echo "fuzz.sh: CRASH found; reproduce with: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -O -a TARGET ARTIFACT" >&2
    exit 1
fi
echo "fuzz.sh: no crash"
