#!/usr/bin/env bash
# Builds the .deb from the release folder that build-release.sh made:
#   /usr/lib/litestream/{bin,runtime,app}   the distribution
#   /usr/bin/litestream                     a link to its launcher
#   /etc/litestream.yml                     the example config, a conffile (kept on upgrade)
#   /lib/systemd/system/litestream.service  the unit (installed, not enabled)
# plus postinst (the litestream system user), prerm, postrm, copyright and changelog. gzip, not
# xz: xz takes ten minutes for the runtime on a busy 2-core machine, gzip one; the .deb is a
# few MB larger.
# Usage: build-deb.sh ROOT VERSION TARGET   (run by dist/pom.xml after build-release.sh)
set -euo pipefail
root=$1 version=$2 target=$3
stage="$target/litestream-$version-linux-x64"
src="$root/dist/src/deb"
# Maven's 0.1.0-SNAPSHOT sorts before 0.1.0 in Debian's order as 0.1.0~SNAPSHOT.
deb_version=${version//-/\~}
pkg="$target/deb"
out="$target/litestream4j_${deb_version}_amd64.deb"

rm -rf "$pkg" "$out"
mkdir -p "$pkg/DEBIAN" "$pkg/usr/lib/litestream" "$pkg/usr/bin" "$pkg/etc" "$pkg/lib/systemd/system" \
  "$pkg/usr/share/doc/litestream4j"
cp -a "$stage/bin" "$stage/runtime" "$stage/app" "$pkg/usr/lib/litestream/"
ln -s ../lib/litestream/bin/litestream "$pkg/usr/bin/litestream"
install -m 0644 "$root/etc/litestream.yml" "$pkg/etc/litestream.yml"
install -m 0644 "$root/etc/litestream.service" "$pkg/lib/systemd/system/litestream.service"
install -m 0644 "$src/copyright" "$pkg/usr/share/doc/litestream4j/copyright"
install -D -m 0644 "$src/lintian-overrides" "$pkg/usr/share/lintian/overrides/litestream4j"
sed -e "s/@VERSION@/$deb_version/" -e "s/@DATE@/$(date -R -u -d "@$(stat -c %Y "$stage/app/litestream.jar")")/" \
  "$src/changelog" | gzip -9n > "$pkg/usr/share/doc/litestream4j/changelog.gz"
chmod 0644 "$pkg/usr/share/doc/litestream4j/changelog.gz"

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$deb_version/" -e "s/@SIZE@/$size/" "$src/control" > "$pkg/DEBIAN/control"
echo /etc/litestream.yml > "$pkg/DEBIAN/conffiles"
install -m 0755 "$src/postinst" "$src/prerm" "$src/postrm" "$pkg/DEBIAN/"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's| \./| |') > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/md5sums" "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles"
find "$pkg" -type d -exec chmod 0755 {} +

dpkg-deb --root-owner-group -Zgzip --build "$pkg" "$out" >/dev/null
echo "build-deb: $out ($(du -sh "$out" | cut -f1))" >&2
