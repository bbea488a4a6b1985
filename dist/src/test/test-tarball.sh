#!/usr/bin/env bash
# Tests the release tarball as a user on a machine without Java would use it: unpacks it to a new
# folder (so the start-up cache must survive the move), hides every JDK of this machine (an empty
# /usr/lib/jvm in a private mount namespace when run as root; always an empty PATH and no
# JAVA_HOME), then runs `version`, replicates a database written by a concurrent writer for a few
# seconds, restores it and compares. Usage: test-tarball.sh TARBALL. Exits non-zero on failure.
set -euo pipefail
tarball=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

start_work tarball

tar -C "$work" -xzf "$tarball"
home=$(echo "$work"/litestream-*)
[ -x "$home/bin/litestream" ] || fail "no bin/litestream in $tarball"
[ -f "$home/etc/litestream.yml" ] && [ -f "$home/etc/litestream.service" ] || fail "etc/ files missing in $tarball"
grep -q "Apache License" "$home/LICENSE" || fail "no Apache-2.0 LICENSE in $tarball"

# The unpacked command with no Java of this machine reachable.
clean_env=("$here/no-jdk" timeout 120 env -i HOME="$work" PATH="$work/empty-path")
litestream=("${clean_env[@]}" "$home/bin/litestream")
run() { "${litestream[@]}" "$@"; }
mkdir -p "$work/empty-path"

out=$(run version)
[[ "$out" == "litestream4j v"* ]] || fail "version printed '$out'"
pass "version: $out"

# The caches made at build time are used after the move: AOTMode=on makes the JVM fail otherwise.
with_cache() { "${clean_env[@]}" LITESTREAM_JAVA_OPTS=-XX:AOTMode=on "$home/bin/litestream" "$@"; }
with_cache version >/dev/null || fail "the start-up cache app/version.aot is not usable after unpacking"
with_cache databases -config "$home/etc/litestream.yml" >/dev/null || fail "the start-up cache app/litestream.aot is not usable after unpacking"
pass "start-up caches of version and the other commands usable after unpacking"

# The example config is valid (every key known to the parser).
run databases -config "$home/etc/litestream.yml" | grep -q '/var/lib/app/app.db' || fail "etc/litestream.yml is not read as expected"
pass "etc/litestream.yml parses"

replicate_and_restore "$work" "$work" "${litestream[@]}"

with_cache restore -o "$work/restored-with-cache.db" "file://$work/replica" >/dev/null || fail "the start-up cache app/restore.aot is not usable after unpacking"
[ "$(sqlite3 "$work/restored-with-cache.db" 'PRAGMA integrity_check')" = ok ] || fail "the restore with app/restore.aot gave a database failing integrity_check"
pass "start-up cache of restore usable after unpacking"

# A restore from a store compiles at the usual thresholds, one from a file replica at ten times them.
scaling() {
  "${clean_env[@]}" LITESTREAM_CONFIG="$work/none.yml" LITESTREAM_JAVA_OPTS=-XX:+PrintFlagsFinal "$home/bin/litestream" restore -h "$@" \
    | sed -n 's/.*double CompileThresholdScaling *= *\([0-9.]*\).*/\1/p'
}
[ "$(scaling -o "$work/x.db" s3://bucket/db)" = 1.000000 ] || fail "restore from s3:// not at the usual compile thresholds: $(scaling s3://bucket/db)"
[ "$(scaling -o "$work/x.db" "file://$work/replica")" = 10.000000 ] || fail "restore from file:// not at ten times the compile thresholds"
"${clean_env[@]}" LITESTREAM_CONFIG="$work/none.yml" LITESTREAM_JAVA_OPTS=-XX:+PrintFlagsFinal "$home/bin/litestream" restore -h nats://127.0.0.1/bucket \
  | grep -E 'intx TieredStopAtLevel +=  *4 ' >/dev/null || fail "restore from nats:// without the full compiler"
pass "restore's compile thresholds follow where it reads from"
