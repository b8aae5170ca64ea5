#!/usr/bin/env bash
# Builds libnginx-mod-http-credentialflow_<version>_<arch>.deb for the nginx of the machine it
# runs on (Debian's or Ubuntu's nginx, through its nginx-dev), laid out like the
# distribution's own libnginx-mod-* packages:
#   /usr/lib/nginx/modules/ngx_http_credentialflow_module.so
#   /usr/share/nginx/modules-available/mod-http-credentialflow.conf   (load_module line)
#   /etc/nginx/modules-enabled/50-mod-http-credentialflow.conf        (symlink, made by postinst)
#   /usr/bin/credentialflow
#   /usr/share/doc/libnginx-mod-http-credentialflow/                  (README, docs, examples)
# It depends on the exact nginx ABI it was built for (nginx-abi-<version>, which nginx
# provides), since a module is built for one nginx version and one set of configure flags.
#
# Usage: scripts/package-deb.sh [OUTDIR]          (default: target/deb; root for apt-get)
# The .deb's path is printed last. cargo's target dir is target/deb (kept: incremental).
# Maintainer: $DEBFULLNAME <$DEBEMAIL> when set.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$repo/target/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

pkg=libnginx-mod-http-credentialflow
say() { printf '== %s\n' "$*"; }

# --- nginx-dev: the distribution's nginx source, unconfigured, and its configure flags ------
if ! dpkg-query -W -f='${Status}' nginx-dev 2>/dev/null | grep -q 'install ok installed'; then
    say "installing nginx-dev (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-dev >/dev/null
fi
for tool in dpkg-deb dpkg-shlibdeps cargo; do
    command -v "$tool" >/dev/null || { echo "package-deb.sh: $tool is required" >&2; exit 2; }
done

nginx_version=$(dpkg-query -W -f='${Version}' nginx-dev)
nginx_upstream=${nginx_version#*:}
nginx_upstream=${nginx_upstream%%-*}
# nginx provides nginx-abi-<upstream>-<n>: the ABI its modules must be built for.
abi=$(dpkg-query -W -f='${Provides}\n' nginx 2>/dev/null | tr ',' '\n' | tr -d ' ' |
    grep -m1 '^nginx-abi-' || true)
if [[ -n "$abi" ]]; then
    nginx_dep=$abi
else
    nginx_dep="nginx (= $nginx_version)"
fi
say "nginx-dev $nginx_version, the module will depend on: $nginx_dep"

# The configured tree is kept while nginx-dev stays the same, so that a second run rebuilds
# nothing of nginx-sys (a fresh configure would make cargo regenerate the bindings).
tree=$out/nginx-src
stamp="nginx-dev $nginx_version $(md5sum </usr/share/nginx/src/conf_flags | cut -d' ' -f1)"
if [[ ! -f "$tree/objs/Makefile" || "$(cat "$tree/.configured" 2>/dev/null)" != "$stamp" ]]; then
    rm -rf "$tree"
    cp -a /usr/share/nginx/src "$tree"
    say "configure with the distribution's conf_flags"
    (
        cd "$tree"
        # shellcheck disable=SC1091
        . ./conf_flags
        ./configure "${NGX_CONF_FLAGS[@]}" --builddir="$tree/objs"
    ) >"$out/configure.log" 2>&1 || {
        tail -20 "$out/configure.log" >&2
        echo "package-deb.sh: configure failed (log: $out/configure.log)" >&2
        exit 1
    }
    echo "$stamp" >"$tree/.configured"
fi

# --- build ---------------------------------------------------------------------------------
module_pkg=ngx-http-credentialflow-module
say "cargo build --release against $tree (CARGO_TARGET_DIR=$repo/target/deb)"
(
    cd "$repo"
    CARGO_TARGET_DIR=$repo/target/deb NGINX_SOURCE_DIR=$tree NGINX_BUILD_DIR=$tree/objs \
        cargo build --release --no-default-features \
        --features "$module_pkg/export-modules,$module_pkg/aws-lc,credentialflow-cli/aws-lc" \
        -p "$module_pkg" -p credentialflow-cli
)
build=$repo/target/deb/release

# --- the package tree ----------------------------------------------------------------------
version=$(awk -F'"' '/^\[workspace.package\]/ { s = 1 } s && /^version *=/ { print $2; exit }' \
    "$repo/Cargo.toml")
debversion=$version-1
arch=$(dpkg --print-architecture)
root=$out/root
doc=$root/usr/share/doc/$pkg
rm -rf "$root"
install -d "$root/DEBIAN" "$root/usr/lib/nginx/modules" "$root/usr/share/nginx/modules-available" \
    "$root/usr/bin" "$doc/examples" "$doc/docs"
install -m 0644 "$build/libngx_http_credentialflow_module.so" \
    "$root/usr/lib/nginx/modules/ngx_http_credentialflow_module.so"
install -m 0755 "$build/credentialflow" "$root/usr/bin/credentialflow"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
    "$root/usr/lib/nginx/modules/ngx_http_credentialflow_module.so" "$root/usr/bin/credentialflow"
echo "load_module modules/ngx_http_credentialflow_module.so;" \
    >"$root/usr/share/nginx/modules-available/mod-http-credentialflow.conf"

# Documentation: large text compressed, as Debian policy asks; examples as they are.
install -m 0644 "$repo/README.md" "$repo/CHANGELOG.md" "$doc/"
install -m 0644 "$repo"/docs/*.md "$doc/docs/"
install -m 0644 "$repo"/nginx-conf/*.conf "$doc/examples/"
find "$doc" -name '*.md' -size +4k -exec gzip -9n {} +
mv "$doc/CHANGELOG.md.gz" "$doc/changelog.gz" 2>/dev/null || mv "$doc/CHANGELOG.md" "$doc/changelog"

maintainer="${DEBFULLNAME:-CredentialFlow maintainers} <${DEBEMAIL:-maintainers@users.noreply.github.com}>"
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: CredentialFlow
Comment: The module and the tool are linked statically with their Rust dependencies (see
 Cargo.lock in the source), among them aws-lc-rs (Apache-2.0 AND ISC) and ngx (Apache-2.0).

Files: *
Copyright: 2026 CredentialFlow contributors
License: Apache-2.0

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 except in compliance with the License. You may obtain a copy of the License at
 https://www.apache.org/licenses/LICENSE-2.0
 .
 On Debian systems, the full text of the Apache License, Version 2.0 can be found in
 /usr/share/common-licenses/Apache-2.0.
EOF
{
    echo "$pkg ($debversion) unstable; urgency=medium"
    echo
    echo "  * Built by scripts/package-deb.sh for nginx $nginx_version (git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown))."
    echo
    echo " -- $maintainer  $(date -R)"
} | gzip -9n >"$doc/changelog.Debian.gz"

# --- maintainer scripts: the modules-enabled symlink, as Debian's own module packages do -----
conf=mod-http-credentialflow.conf
link=/etc/nginx/modules-enabled/50-$conf
cat >"$root/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
# Enable the module on a fresh install, and on a reinstall after a removal that disabled it;
# an administrator's own removal of the link is kept across upgrades.
if [ "\$1" = "configure" ]; then
	restored=false
	if [ -L $link.removed ]; then
		rm -f $link.removed
		restored=true
	fi
	if [ -z "\$2" ] || [ "\$restored" = true ]; then
		mkdir -p /etc/nginx/modules-enabled
		ln -sf /usr/share/nginx/modules-available/$conf $link
	fi
	if command -v dpkg-trigger >/dev/null 2>&1; then
		dpkg-trigger --no-await nginx-reload
	fi
fi
EOF
cat >"$root/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
# nginx must not load a module that is going away: disable it, remembering that it was on.
if [ "\$1" = "remove" ] || [ "\$1" = "deconfigure" ]; then
	if [ -L $link ]; then
		mv $link $link.removed
	fi
fi
EOF
cat >"$root/DEBIAN/postrm" <<EOF
#!/bin/sh
set -e
if [ "\$1" = "purge" ]; then
	rm -f $link $link.removed
fi
if [ "\$1" = "remove" ]; then
	if [ -L $link ]; then
		mv $link $link.removed
	fi
	if command -v dpkg-trigger >/dev/null 2>&1; then
		dpkg-trigger --no-await nginx-reload
	fi
fi
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

# Shared-library dependencies (libc, libgcc) as dpkg-shlibdeps finds them; nginx's own
# symbols are resolved by the nginx that loads the module.
shlib=$out/shlibdeps
rm -rf "$shlib"
mkdir -p "$shlib/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$shlib/debian/control"
shlibs=$(cd "$shlib" && dpkg-shlibdeps -O --warnings=0 \
    "$root/usr/lib/nginx/modules/ngx_http_credentialflow_module.so" "$root/usr/bin/credentialflow" |
    sed -n 's/^shlibs:Depends=//p')

installed_size=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $debversion
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $nginx_dep, $shlibs
Recommends: nginx
Section: httpd
Priority: optional
Description: JWT bearer token validation in nginx (CredentialFlow)
 CredentialFlow validates JWT bearer tokens inside nginx, in the access phase,
 before proxy_pass forwards a request: the signature (HMAC, RSA, ECDSA, EdDSA;
 keys from files or fetched from the identity provider), claims, scopes,
 revocations and replay, with RFC 6750 answers. It can also act as an OAuth 2.0
 authorization server (client credentials, revocation, introspection).
 .
 This package holds the dynamic module, enabled through
 /etc/nginx/modules-enabled, and the credentialflow tool for keys and test
 tokens. The module is built for nginx $nginx_upstream as packaged:
 $nginx_version.
EOF
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
    xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

deb=$out/${pkg}_${debversion}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
say "built $deb"
echo "$deb"
