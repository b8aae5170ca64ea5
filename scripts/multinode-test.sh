#!/usr/bin/env bash
# Many nginx instances sharing one Redis (issue 11): starts redis-server on a loopback port
# (no config file), two nginx instances of 2 workers each, and checks that revocations reach
# both within a second, that both keep enforcing through an outage, resync on reconnection,
# and log an outage once. Needs a build (scripts/build.sh) and redis-server (scripts/deps.sh).
# Usage: scripts/multinode-test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
prefix="${CREDENTIALFLOW_PREFIX:-$root/target/nginx}"
command -v redis-server >/dev/null || { echo "multinode-test.sh: redis-server is required (scripts/deps.sh)" >&2; exit 1; }
# The instances' files live outside the checkout: nginx started as root runs its workers as
# nobody, who re-read the client registry and serve static files, and cannot enter a checkout
# under a directory other users cannot (root's home is mode 700).
work=$(mktemp -d /tmp/credentialflow-multinode.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
python3 scripts/multinode/driver.py "$prefix/sbin/nginx" \
    "$prefix/modules/ngx_http_credentialflow_module.so" "$prefix/bin/credentialflow" \
    "$work/run"
