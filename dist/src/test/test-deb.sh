#!/usr/bin/env bash
# Tests the .deb on this machine, as root (CI runs it; it installs into the system and removes
# itself at the end): lintian reports no errors, dpkg -i installs it, `litestream version` and a
# replicate + restore through /usr/bin/litestream work as the package's system user with every
# JDK hidden, /etc/litestream.yml is a conffile that a reinstall keeps as the admin edited it,
# systemd-analyze verify accepts the installed unit, and dpkg --purge leaves nothing behind.
# Usage: test-deb.sh DEB
set -euo pipefail
deb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
[ "$(id -u)" = 0 ] || fail "test-deb.sh installs the package: run it as root"
pkg=litestream4j

if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q installed; then
  fail "$pkg is already installed; remove it first (dpkg --purge $pkg)"
fi
[ ! -e /usr/bin/litestream ] || fail "/usr/bin/litestream exists and is not ours; not touching it"

before_exit() { dpkg --purge "$pkg" >/dev/null 2>&1 || true; }
start_work deb

# lintian: warnings are listed, errors fail.
lintian --no-tag-display-limit "$deb" > "$work/lintian.txt" 2>&1 || true
cat "$work/lintian.txt"
if grep -q '^E:' "$work/lintian.txt"; then fail "lintian reports errors"; fi
if grep -q 'copyright' "$work/lintian.txt"; then fail "lintian complains about debian/copyright"; fi
pass "lintian: no errors ($(grep -c '^W:' "$work/lintian.txt" || true) warnings)"

dpkg -i "$deb" >/dev/null
pass "dpkg -i"
getent passwd litestream >/dev/null || fail "postinst made no litestream user"
[ "$(dpkg-query -W -f='${Conffiles}' "$pkg" | awk '{print $1}')" = /etc/litestream.yml ] || fail "/etc/litestream.yml is not the conffile"
[ -L /usr/bin/litestream ] || fail "no /usr/bin/litestream"

out=$("$here/no-jdk" env -i PATH=/usr/bin:/bin litestream version)
[[ "$out" == "litestream4j v"* ]] || fail "litestream version printed '$out'"
pass "litestream version: $out"

# The unit as installed: systemd-analyze verify checks its syntax, the user and the command.
systemd-analyze verify /lib/systemd/system/litestream.service || fail "systemd-analyze verify rejects the unit"
pass "systemd-analyze verify litestream.service"

# Replicate and restore through the installed command, as the service user.
as_service=("$here/no-jdk" timeout 120 setpriv --reuid=litestream --regid=litestream --init-groups \
  env -i PATH=/usr/bin:/bin HOME=/var/lib/litestream /usr/bin/litestream)
replicate_and_restore "$work" "$work" "${as_service[@]}"

# A conffile the admin edited survives a reinstall.
echo "# edited by test-deb.sh" >> /etc/litestream.yml
dpkg -i --force-confold "$deb" >/dev/null
grep -q "edited by test-deb.sh" /etc/litestream.yml || fail "a reinstall replaced the edited /etc/litestream.yml"
pass "reinstall keeps the edited conffile"

dpkg --purge "$pkg" >/dev/null
for f in /usr/bin/litestream /usr/lib/litestream /etc/litestream.yml /lib/systemd/system/litestream.service; do
  [ ! -e "$f" ] || fail "$f is left after dpkg --purge"
done
pass "dpkg --purge removes every file"
