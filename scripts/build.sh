#!/usr/bin/env bash
# Builds the module (and, with the default `vendored` feature, nginx 1.28.3 itself) and lays
# out a ready nginx prefix at target/nginx/:
#   target/nginx/sbin/nginx                                   the nginx binary built with it
#   target/nginx/modules/ngx_http_credentialflow_module.so   the module
#   target/nginx/bin/credentialflow                           the keys-and-tokens CLI
# Usage: scripts/build.sh [--release] [extra cargo args...]
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
cargo_args=()
for arg in "$@"; do
    case "$arg" in
        --release) profile=release; cargo_args+=(--release) ;;
        *) cargo_args+=("$arg") ;;
    esac
done

cargo build "${cargo_args[@]}" -p ngx-http-credentialflow-module -p credentialflow-cli

target_dir="${CARGO_TARGET_DIR:-target}"
so="$target_dir/$profile/libngx_http_credentialflow_module.so"
# The newest nginx that nginx-sys built for this profile (vendored builds only).
nginx_bin=$(ls -t "$target_dir/$profile"/build/nginx-sys-*/out/objs/nginx 2>/dev/null | head -n 1 || true)
if [ -z "$nginx_bin" ] && [ -n "${NGINX_BUILD_DIR:-}" ] && [ -x "$NGINX_BUILD_DIR/nginx" ]; then
    nginx_bin="$NGINX_BUILD_DIR/nginx"
fi

prefix="$target_dir/nginx"
mkdir -p "$prefix/sbin" "$prefix/modules" "$prefix/bin" "$prefix/conf" "$prefix/logs"
install -m 0755 "$so" "$prefix/modules/ngx_http_credentialflow_module.so"
install -m 0755 "$target_dir/$profile/credentialflow" "$prefix/bin/credentialflow"
if [ -n "$nginx_bin" ]; then
    install -m 0755 "$nginx_bin" "$prefix/sbin/nginx"
else
    echo "build.sh: no nginx binary was built (NGINX_SOURCE_DIR/NGINX_BUILD_DIR build?);" \
         "use the nginx that tree belongs to" >&2
fi
echo "build.sh: $profile build ready in $prefix/"
