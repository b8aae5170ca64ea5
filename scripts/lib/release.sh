# Sourced by scripts/demo.sh and scripts/bench.sh (not run): the release build's own outputs.
# target/nginx/ is shared by every profile (whichever scripts/build.sh ran last), so a demo
# or a benchmark taken from there could be timing a debug module; these come from
# target/release/ and nowhere else.

# release_artifacts TARGET_DIR: sets release_nginx, release_module and release_cli, building
# them first (scripts/build.sh --release) unless RELEASE_NO_BUILD=1; returns 1 if one is missing.
release_artifacts() {
    local target_dir=$1
    if [ "${RELEASE_NO_BUILD:-0}" != 1 ]; then
        scripts/build.sh --release >&2
    fi
    release_nginx=$(ls -t "$target_dir"/release/build/nginx-sys-*/out/objs/nginx 2>/dev/null | head -n 1 || true)
    [ -n "$release_nginx" ] || release_nginx="$target_dir/nginx/sbin/nginx"
    release_module="$target_dir/release/libngx_http_credentialflow_module.so"
    release_cli="$target_dir/release/credentialflow"
    local f
    for f in "$release_nginx" "$release_module" "$release_cli"; do
        if [ ! -x "$f" ]; then
            echo "missing $f (run scripts/build.sh --release)" >&2
            return 1
        fi
    done
}
