#!/usr/bin/env bash
# Runs every test: what a fresh machine lacks is installed first.
#   1. rustfmt and clippy (-D warnings); every directive in docs/directives.md exactly once
#   2. cargo tests of the core crate and the CLI
#   3. build: nginx 1.28.3 + the module, laid out in target/nginx/
#   4. t/: the Test::Nginx::Socket-format suite against real nginx (fixtures made fresh)
#   4a. attacks that race many requests (scripts/attack-test.sh, issue 21)
#   4b. interoperability: authlib and PyJWT against the issuer; node-oidc-provider as the IdP
#      whose keys nginx fetches (cold burst, rotation, outage)
#   4c. many instances sharing a Redis (scripts/multinode-test.sh, issue 11)
#   4d. metrics scraped and parsed by prometheus_client (scripts/metrics-test.sh, issue 13)
#   4e. the module built by nginx's ./configure --add-dynamic-module (the config file), and the
#      Debian package against this machine's nginx, installed and put through t/ (issue 14)
#   5. the panic test build (t-panic/): a panic becomes a 500, the worker lives
#   6. the demo, started and checked
#   7. the hostile JWT corpus (../shared/corpus) and the log secrets check
#   8. the ring backend: core clippy and unit tests, and the corpus against a ring build of
#      the module (its own target dir, target/ring, so target/nginx stays the aws-lc build)
#   9. the fips feature (aws-lc's FIPS module): core unit tests, then the module and the CLI
#      built on it (target/fips), which must say so, and t/ plus the corpus against that build
# Usage: scripts/test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

step() { printf '\n==== %s\n' "$*"; }

step "dependencies"
scripts/deps.sh
if ! command -v cargo >/dev/null; then
    echo "test.sh: cargo is required (rustup's stable toolchain)" >&2
    exit 1
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

step "rustfmt and clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

step "the directive reference: every directive in docs/directives.md exactly once"
python3 scripts/check-directives.py

step "unit tests (core crate, CLI)"
cargo test --workspace

step "build"
scripts/build.sh

step "t/ suite"
fixtures="$root/t/fixtures"
rm -rf "$fixtures"
scripts/gen-fixtures.sh "$fixtures"
# shellcheck disable=SC1091
. "$fixtures/env.sh"
export TEST_NGINX_ERROR_LOG="$fixtures/all-error.log"
: > "$TEST_NGINX_ERROR_LOG"
scripts/run-t.sh t/
python3 scripts/log_secrets_check.py "$TEST_NGINX_ERROR_LOG" --env "$fixtures/env.sh" \
    $(find "$fixtures" -name 'secret*' -type f -printf '--secret-file %p ')
unset TEST_NGINX_ERROR_LOG

step "attacks on the shared state: revocations raced against reloads"
TEST_NGINX_FIXTURES="$fixtures" scripts/attack-test.sh

step "./configure --add-dynamic-module=. && make modules in the vendored nginx source"
scripts/configure-build-test.sh

step "Debian package for the distribution's nginx: lintian, apt-get install, nginx -t, t/"
scripts/deb-test.sh

step "many instances sharing a Redis: revocations, outage, resync"
scripts/multinode-test.sh

step "metrics: the endpoint parsed by prometheus_client, every value checked"
scripts/metrics-test.sh

step "OAuth interoperability: authlib obtains tokens, PyJWT's PyJWKClient verifies them"
scripts/interop.sh

step "identity provider: node-oidc-provider's keys fetched by nginx (burst, rotation, outage)"
scripts/idp-test.sh

step "every example in nginx-conf/ starts and guards"
scripts/check-examples.sh

step "panic safety"
scripts/panic-test.sh

step "demo (README's run command) answers 200/401/403"
scripts/demo.sh check

step "hostile JWT corpus"
scripts/corpus.sh

step "ring backend: core clippy and unit tests, hostile JWT corpus"
ring_core=(-p credentialflow-core --no-default-features --features ring)
cargo clippy "${ring_core[@]}" --all-targets -- -D warnings
cargo test "${ring_core[@]}"
module_pkg=ngx-http-credentialflow-module
CARGO_TARGET_DIR="$root/target/ring" scripts/build.sh --no-default-features \
    --features "$module_pkg/ring,$module_pkg/export-modules,$module_pkg/vendored,credentialflow-cli/ring"
CREDENTIALFLOW_PREFIX="$root/target/ring/nginx" scripts/corpus.sh

step "fips feature: core unit tests, t/ and the corpus against a build on aws-lc's FIPS module"
cargo test -p credentialflow-core --features fips
CARGO_TARGET_DIR="$root/target/fips" scripts/build.sh \
    --features "$module_pkg/fips,credentialflow-cli/fips"
fips="$root/target/fips/nginx"
says_fips() {
    echo "$2"
    [[ $2 == *"; aws-lc-fips)"* ]] || { echo "test.sh: $1 does not say aws-lc-fips" >&2; exit 1; }
}
says_fips "the fips CLI" "$("$fips/bin/credentialflow" --version)"
fips_t=$(mktemp -d /tmp/credentialflow-fips.XXXXXX)
mkdir -p "$fips_t/conf" "$fips_t/logs"
printf 'load_module %s;\nerror_log stderr notice;\npid %s/logs/nginx.pid;\nevents {}\nhttp {}\n' \
    "$fips/modules/ngx_http_credentialflow_module.so" "$fips_t" >"$fips_t/conf/nginx.conf"
says_fips "the fips module's start line" \
    "$("$fips/sbin/nginx" -t -p "$fips_t/" -c conf/nginx.conf -e stderr 2>&1)"
rm -rf "$fips_t"
(
    # Fixtures minted by the FIPS CLI, not step 4's (whose tokens may also be near expiry).
    # shellcheck disable=SC2046
    unset $(compgen -e | grep '^TEST_NGINX_')
    rm -rf "$root/target/fips/fixtures"
    CREDENTIALFLOW_CLI="$fips/bin/credentialflow" scripts/gen-fixtures.sh "$root/target/fips/fixtures"
    # shellcheck disable=SC1091
    . "$root/target/fips/fixtures/env.sh"
    TEST_NGINX_BINARY="$fips/sbin/nginx" \
        TEST_NGINX_LOAD_MODULES="$fips/modules/ngx_http_credentialflow_module.so" \
        TEST_NGINX_CREDENTIALFLOW_CLI="$fips/bin/credentialflow" \
        CREDENTIALFLOW_CLI="$fips/bin/credentialflow" scripts/run-t.sh t/
)
CREDENTIALFLOW_PREFIX="$fips" scripts/corpus.sh

printf '\ntest.sh: all tests passed\n'
