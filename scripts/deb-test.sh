#!/usr/bin/env bash
# Proves the Debian package (scripts/package-deb.sh) the way a user would meet it: installs the
# distribution's nginx and the package with apt-get, checks that the stock /etc/nginx
# configuration loads the module (nginx -t), runs the whole t/ suite against /usr/sbin/nginx
# and the installed module and tool, then removes the package (the modules-enabled link must
# go, nginx -t must still pass) and purges it. The stock nginx service is stopped and disabled
# at the end, whatever happened: no daemon is left running.
#
# Usage: scripts/deb-test.sh [PACKAGE.deb]     (root; default: builds one with package-deb.sh)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
say() { printf '== %s\n' "$*"; }
fail() { echo "deb-test.sh: $*" >&2; exit 1; }

if [[ $(id -u) -ne 0 ]]; then
    fail "needs root (apt-get, dpkg)"
fi
export DEBIAN_FRONTEND=noninteractive
pkg=libnginx-mod-http-credentialflow
link=/etc/nginx/modules-enabled/50-mod-http-credentialflow.conf
so=/usr/lib/nginx/modules/ngx_http_credentialflow_module.so

# The stock service must not keep running: stop it (systemd or not) and disable it.
stop_stock_nginx() {
    if [[ -d /run/systemd/system ]]; then
        systemctl stop nginx.service 2>/dev/null || true
    fi
    if [[ -x /etc/init.d/nginx ]]; then
        /etc/init.d/nginx stop >/dev/null 2>&1 || true
    fi
    local pid
    if [[ -f /run/nginx.pid ]]; then
        pid=$(</run/nginx.pid)
        if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q nginx; then
            kill -QUIT "$pid" 2>/dev/null || true
            for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable nginx.service >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null 2>&1 && [[ -x /etc/init.d/nginx ]]; then
        update-rc.d nginx disable >/dev/null 2>&1 || true
    fi
}
trap stop_stock_nginx EXIT

deb=${1:-}
if [[ -z "$deb" ]]; then
    say "building the package"
    deb=$(scripts/package-deb.sh | tail -n 1)
fi
[[ -f "$deb" ]] || fail "$deb not found"
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")

say "lintian $(basename "$deb")"
command -v lintian >/dev/null 2>&1 || apt-get install -y --no-install-recommends lintian >/dev/null
# Errors fail the test; warnings and notes are shown.
lintian --tag-display-limit 0 "$deb" || fail "lintian reports errors"

say "apt-get install nginx ./$(basename "$deb")"
apt-get install -y --no-install-recommends nginx >/dev/null
stop_stock_nginx    # a machine without policy-rc.d started it
apt-get install -y --no-install-recommends --reinstall "$deb" >/dev/null
dpkg-query -W -f='${Package} ${Version} ${Status}\n' "$pkg"
[[ -f "$so" ]] || fail "$so not installed"
[[ -L "$link" ]] || fail "$link is not a symlink after install"
[[ -x /usr/bin/credentialflow ]] || fail "/usr/bin/credentialflow not installed"
/usr/bin/credentialflow --version

say "nginx -t with the stock configuration and the module enabled"
nginx -t
nginx -T 2>/dev/null | grep -q '^load_module modules/ngx_http_credentialflow_module.so;' ||
    fail "nginx -T does not show the module's load_module line"

say "the t/ suite against /usr/sbin/nginx and the installed module"
TEST_NGINX_BINARY=/usr/sbin/nginx TEST_NGINX_LOAD_MODULES=$so \
CREDENTIALFLOW_CLI=/usr/bin/credentialflow \
    scripts/run-t.sh t/

say "apt-get remove: the module is disabled, nginx -t still passes"
apt-get remove -y "$pkg" >/dev/null
[[ ! -e "$link" ]] || fail "$link left behind by remove"
[[ ! -e "$so" ]] || fail "$so left behind by remove"
nginx -t
say "reinstall restores the link, purge removes every trace"
apt-get install -y --no-install-recommends "$deb" >/dev/null
[[ -L "$link" ]] || fail "$link not restored by a reinstall"
apt-get purge -y "$pkg" >/dev/null
[[ ! -e "$link" && ! -L "$link.removed" ]] || fail "purge left $link or $link.removed"
nginx -t

echo "deb-test.sh: ok"
