#!/usr/bin/env bash
# Builds the release from the cli module's output (cli/target/litestream.jar and lib/):
#   target/litestream-VERSION-linux-x64/          the distribution, also as .tar.gz beside it
#     bin/litestream        the launcher (src/main/bin/litestream)
#     runtime/              a Java runtime trimmed by jlink to the modules our jars use
#     app/litestream.jar    with app/lib/*.jar, and app/*.aot, the start-up caches
#     etc/                  litestream.yml (commented example), litestream.service (systemd)
#     LICENSE               Apache-2.0 (the runtime's own notices are in runtime/legal/)
# Usage: build-release.sh ROOT VERSION TARGET   (run by dist/pom.xml in the package phase)
set -euo pipefail
root=$1 version=$2 target=$3

jdk=$("$root/bin/find-jdk" 25)
name="litestream-$version-linux-x64"
stage="$target/$name"
cli="$root/cli/target"
[ -f "$cli/litestream.jar" ] || { echo "build-release: $cli/litestream.jar is missing: build the cli module first" >&2; exit 1; }

rm -rf "$stage" "$target/$name.tar.gz"
mkdir -p "$stage/bin" "$stage/app/lib" "$stage/etc"

# The modules the jars need, as jdeps finds them (JlinkModules.java says why each jar is analysed
# on its own; target/jlink-modules.txt lists which jars need which modules), plus those reached
# only by reflection or service lookup, which jdeps cannot see: elliptic-curve TLS
# (jdk.crypto.ec; empty since JDK 22 but named by old code), DNS names in JNDI (jdk.naming.dns),
# zip file systems (jdk.zipfs), charsets beyond the standard ones (jdk.charsets), and jcmd's
# attach target (jdk.attach is not needed in the target VM: its own diagnostic commands are in
# java.base and jdk.management). Any failure stops the build with its message (set -e).
modules=$("$jdk/bin/java" "$root/dist/src/JlinkModules.java" "$target/jlink-modules.txt" \
  "$cli/litestream.jar" "$cli"/lib/*.jar)
case "$modules" in
  java.base*) ;;
  *) echo "build-release: JlinkModules printed no module list: '$modules'" >&2; exit 1 ;;
esac
# java.desktop (AWT, 25 MB) is named for java.beans, which Jackson and SnakeYAML use for bean
# mapping when it is present (we use neither's bean mapping: the config file, JSON logs and -json
# output work without it, see src/test/test-tarball.sh), and for java.awt.Desktop, which msal4j
# and JNA (Azure's interactive browser log-in and desktop token cache) use; a server has neither.
modules=$(echo "$modules" | tr , '\n' | grep -vx java.desktop | paste -sd, -)
extra=jdk.crypto.ec,jdk.naming.dns,jdk.zipfs,jdk.charsets,jdk.management
echo "build-release: jlink modules: $modules,$extra" >&2

# Temurin 25 links from its own run-time image (JEP 493: "Linking from run-time image enabled"
# in jlink --help), so it needs no jmods folder, and Debian 12 has no OpenJDK 25 package whose
# jmods we could use instead. A JDK that has a jmods folder links from it.
module_path=()
[ -d "$jdk/jmods" ] && module_path=(--module-path "$jdk/jmods")
"$jdk/bin/jlink" "${module_path[@]}" --add-modules "$modules,$extra" \
  --strip-debug --no-man-pages --no-header-files --compress=zip-0 \
  --output "$stage/runtime"

# Native code without its symbol tables (as Debian's dh_strip does: lintian requires it, and the
# runtime is smaller), and the runtime's read-only legal notices writable by their owner like
# every other file.
find "$stage/runtime" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jexec -o -name jspawnhelper \) \
  -exec strip --strip-unneeded --remove-section=.comment --remove-section=.note {} +
chmod -R u+w,go+r "$stage/runtime"

cp "$cli/litestream.jar" "$stage/app/"
# Exactly the jars the command's manifest names: cli/target/lib keeps the jars of earlier builds
# (copy-dependencies never deletes), and a release built without `clean` after an upgrade would
# otherwise ship both versions of a library.
manifest=$(mktemp -d "$target/manifest.XXXXXX")
(cd "$manifest" && "$jdk/bin/jar" xf "$cli/litestream.jar" META-INF/MANIFEST.MF)
class_path=$(tr -d '\r' <"$manifest/META-INF/MANIFEST.MF" | awk '/^Class-Path: /{on=1; printf "%s", substr($0, 13); next} on && /^ /{printf "%s", substr($0, 2); next} {on=0}')
rm -rf "$manifest"
[ -n "$class_path" ] || { echo "build-release: no Class-Path in $cli/litestream.jar's manifest" >&2; exit 1; }
for entry in $class_path; do
  [ -f "$cli/$entry" ] || { echo "build-release: $cli/litestream.jar names $entry, which is not in $cli/lib" >&2; exit 1; }
  cp "$cli/$entry" "$stage/app/lib/"
done
# lz4-java's native library beside the JVM's own: lz4-java first tries System.loadLibrary, which
# finds it there, and otherwise copies the library out of its jar into a new file in /tmp at every
# start of every command that reads LTX (restore: about 2 % of its CPU, and a write to /tmp,
# which a read-only container may not allow).
lz4=$(ls "$stage"/app/lib/lz4-java-*.jar)
native=$(mktemp -d "$target/lz4-native.XXXXXX")
(cd "$native" && "$jdk/bin/jar" xf "$lz4" net/jpountz/util/linux/amd64/liblz4-java.so)
[ -s "$native/net/jpountz/util/linux/amd64/liblz4-java.so" ] || { echo "build-release: no linux/amd64 library in $lz4" >&2; exit 1; }
mv "$native/net/jpountz/util/linux/amd64/liblz4-java.so" "$stage/runtime/lib/liblz4-java.so"
rm -rf "$native"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/runtime/lib/liblz4-java.so"
chmod 0644 "$stage/runtime/lib/liblz4-java.so"
# picocli's class files are Java 5's, which JDK 25's AOT cache leaves out: rewritten as Java 8
# class files with stack maps (RetargetClasses.java says how and what it checks), every start
# loads them from the cache instead of parsing and verifying them the slow way.
"$jdk/bin/java" "$root/dist/src/RetargetClasses.java" "$stage"/app/lib/picocli-*.jar
install -m 0755 "$root/dist/src/main/bin/litestream" "$stage/bin/litestream"
install -m 0644 "$root/etc/litestream.yml" "$root/etc/litestream.service" "$stage/etc/"
install -m 0644 "$root/LICENSE" "$stage/LICENSE"

# The start-up caches, made by the runtime they ship with, on the classpath and with the flags
# the launcher uses (the JVM accepts a cache after the folder moves, as long as app/ keeps its
# layout). A JDK 25 cache loads every class it holds when the JVM starts, so a short command
# gets a cache of its own with only what it loads: version.aot (the command itself) and
# restore.aot (a restore of a small replica that another JVM made); litestream.aot serves the
# other commands: cli's AotTraining, replicate, restore, ltx and version on a small database.
java=("$stage/runtime/bin/java" --enable-native-access=ALL-UNNAMED -Xlog:aot*=off -Xlog:cds*=off -XX:+UseSerialGC -Xms16m -Xmx192m)
train() { # train CACHE JAVA_ARGS...: one training run writing app/CACHE
  "${java[@]}" -XX:AOTCacheOutput="$stage/app/$1" "${@:2}" >/dev/null
  [ -s "$stage/app/$1" ] || { echo "build-release: the training run made no AOT cache $1" >&2; exit 1; }
  rm -f "$stage/app/$1.config"
}
train litestream.aot -cp "$stage/app/litestream.jar" io.litestream4j.cli.AotTraining
train version.aot -cp "$stage/app/litestream.jar" io.litestream4j.cli.Main version
training=$(mktemp -d "$target/restore-training.XXXXXX")
"${java[@]}" -cp "$stage/app/litestream.jar" io.litestream4j.cli.AotTraining replica "$training" >/dev/null
train restore.aot -cp "$stage/app/litestream.jar" io.litestream4j.cli.Main restore -o "$training/restored.db" "file://$training/replica"
rm -rf "$training"

# A reproducible archive: sorted names, one owner, the files' own times.
tar -C "$target" --sort=name --owner=0 --group=0 --numeric-owner -czf "$target/$name.tar.gz" "$name"
echo "build-release: $target/$name.tar.gz ($(du -sh "$target/$name.tar.gz" | cut -f1); unpacked $(du -sh "$stage" | cut -f1))" >&2
