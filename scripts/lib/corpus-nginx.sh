# Shared by scripts/flood.sh and scripts/memcheck.sh (sourced, not run): where the built nginx,
# the module and the hostile corpus are, two free loopback ports, and the corpus's nginx
# config rendered into a scratch directory. Expects `repo` and a `die MESSAGE` function.

# Sets prefix_dir, nginx_src, module_src and corpus (NGINX_BIN, MODULE, CORPUS_DIR and
# CARGO_TARGET_DIR override the defaults).
resolve_artifacts() {
    prefix_dir=${CARGO_TARGET_DIR:-$repo/target}/nginx
    nginx_src=${NGINX_BIN:-$prefix_dir/sbin/nginx}
    module_src=${MODULE:-$prefix_dir/modules/ngx_http_credentialflow_module.so}
    corpus=${CORPUS_DIR:-$repo/../shared/corpus}
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Sets port (the gateway) and upstream_port, distinct (PORT and UPSTREAM_PORT override).
pick_ports() {
    port=${PORT:-$(free_port)}
    upstream_port=${UPSTREAM_PORT:-$(free_port)}
    [[ "$port" != "$upstream_port" ]] || upstream_port=$(free_port)
}

# render_corpus_conf SCRATCH: copies the corpus keys to SCRATCH/keys (the workers re-read
# keys/revoked.txt; secrets chmod 600) and writes SCRATCH/conf/nginx.conf for the module
# copied to SCRATCH/bin, listening on $port with the echo upstream on $upstream_port.
render_corpus_conf() {
    local scratch=$1
    cp -r "$corpus/keys" "$scratch/keys" || die "cannot copy $corpus/keys"
    chmod -R u+w "$scratch/keys"
    chmod 600 "$scratch/keys/"*.secret 2>/dev/null
    sed -e "s|@KEYS@|$scratch/keys|g" -e "s|@MODULE@|$scratch/bin/ngx_http_credentialflow_module.so|g" \
        -e "s|127\.0\.0\.1:18081|127.0.0.1:$upstream_port|g" -e "s|127\.0\.0\.1:18080|127.0.0.1:$port|g" \
        "$corpus/nginx-credentialflow.conf" >"$scratch/conf/nginx.conf"
}
