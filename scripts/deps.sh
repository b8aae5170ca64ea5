#!/usr/bin/env bash
# Installs the Debian packages a fresh machine lacks for building and testing CredentialFlow.
# Idempotent: only missing packages are installed (needs root and apt-get for those).
set -euo pipefail

packages=(
    # building nginx (vendored) and the bindings
    libclang-dev libpcre2-dev libssl-dev zlib1g-dev make gcc
    # the Test::Nginx::Socket-format runner in t/compat (Perl) and prove
    perl libtest-base-perl libtest-longstring-perl liblist-moreutils-perl libhttp-message-perl
    libwww-perl liburi-perl libtext-diff-perl
    # test fixtures (a deliberately weak RSA key) and the corpus runner
    openssl python3 curl
    # scripts/multinode-test.sh: instances sharing a Redis (issue 11)
    redis-server
    # the `fips` feature: aws-lc's FIPS module is built with CMake and Go (docs/crypto.md)
    cmake golang-go
)

missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "deps.sh: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "deps.sh: need root and apt-get to install: ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
