#!/usr/bin/env bash
# Attacks on the module's shared state that a t/ block cannot make (they race many requests
# at once against a real nginx with two workers), each in a scratch directory of its own:
#   - scripts/attack/revocation_race.py: revocations raced against the file watcher's
#     reloads; every token revoked with a 200 must be refused from then on (issue 21);
#   - scripts/attack/fetch_flood.py: clients with random kids resetting their connections
#     while a slow identity provider answers make at most one key fetch per worker per
#     refresh interval (issue 21).
# Needs the fixtures of scripts/gen-fixtures.sh (TEST_NGINX_FIXTURES, or t/fixtures).
# Usage: scripts/attack-test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
prefix=${CARGO_TARGET_DIR:-$root/target}/nginx
fixtures=${TEST_NGINX_FIXTURES:-$root/t/fixtures}
[ -f "$fixtures/oauth/clients.txt" ] || { echo "attack-test.sh: no fixtures in $fixtures" >&2; exit 1; }
scratch=$(mktemp -d /tmp/credentialflow-attack.XXXXXX)
chmod 755 "$scratch"
trap 'rm -rf "$scratch"' EXIT
module="$prefix/modules/ngx_http_credentialflow_module.so"
mkdir "$scratch/race" "$scratch/flood"
python3 scripts/attack/revocation_race.py "$prefix/sbin/nginx" "$module" "$fixtures" "$scratch/race" 15
python3 scripts/attack/fetch_flood.py "$prefix/sbin/nginx" "$module" "$fixtures" "$scratch/flood"
