# Shared by the release tests: sourced, not run.

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# start_work NAME: makes the temporary folder $work; on exit the processes in $pids are ended,
# the test's own before_exit runs (if it defines one) and $work is removed.
pids=()
start_work() {
  work=$(mktemp -d "/tmp/litestream-$1-test.XXXXXX")
  trap end_work EXIT
}
end_work() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if declare -F before_exit >/dev/null; then before_exit; fi
  rm -rf "$work"
}

# replicate_and_restore WORK SEEN COMMAND...: a real database written by a concurrent writer,
# replicated by "COMMAND replicate" with a config file for a few seconds, stopped by SIGTERM (a
# last sync, exit 0), restored by "COMMAND restore", then compared: integrity_check ok and the
# same rows. COMMAND must exec the launcher (no shell function), so SIGTERM reaches it. SEEN is
# the folder WORK as COMMAND sees it (WORK itself, or its path inside a chroot).
# The replica is the folder SEEN/replica, restored by its URL, unless the caller sets
# replica_yaml: the replica's keys in the config file (one per line, e.g. "url: s3://..."), then
# restored through the config file (restore -config FILE DB).
replica_yaml=
replicate_and_restore() {
  local work=$1 seen=$2
  shift 2
  local db="$work/data/app.db" restored="$work/restored.db"
  mkdir -p "$work/data"
  chmod 0777 "$work" "$work/data" # a service user may run the command
  sqlite3 "$db" "PRAGMA journal_mode=wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);" >/dev/null
  chmod 0666 "$db" # SQLite gives the -wal and -shm files the database's mode
  local replica=${replica_yaml:-url: file://$seen/replica}
  {
    printf 'dbs:\n  - path: %s\n    replicas:\n' "$seen/data/app.db"
    printf '%s\n' "$replica" | sed -e '1s/^/      - /' -e '2,$s/^/        /'
  } > "$work/litestream.yml"
  chmod 0644 "$work/litestream.yml"
  "$@" replicate -config "$seen/litestream.yml" > "$work/replicate.log" 2>&1 &
  local rpid=$!
  pids+=("$rpid")
  # The concurrent writer: about 4 s of small transactions while the replicator runs.
  local i
  for i in $(seq 1 80); do
    sqlite3 -cmd ".timeout 5000" "$db" "INSERT INTO t (v) VALUES ('row $i ' || hex(randomblob(64)));"
    sleep 0.05
  done
  # Wide margin: on a loaded 2-core machine the JVM may need seconds to start and sync.
  sleep 3
  kill -TERM "$rpid"
  local rc=0
  wait "$rpid" || rc=$?
  [ "$rc" = 0 ] || { cat "$work/replicate.log" >&2; fail "replicate exited $rc after SIGTERM"; }
  pass "replicate ran and stopped cleanly"

  if [ -z "$replica_yaml" ]; then
    "$@" restore -o "$seen/restored.db" "file://$seen/replica" || fail "restore failed"
  else
    "$@" restore -config "$seen/litestream.yml" -o "$seen/restored.db" "$seen/data/app.db" || fail "restore failed"
  fi
  [ "$(sqlite3 "$restored" 'PRAGMA integrity_check')" = ok ] || fail "restored database fails integrity_check"
  local want got
  want=$(sqlite3 "$db" "SELECT count(*), sum(length(v)), max(id) FROM t")
  got=$(sqlite3 "$restored" "SELECT count(*), sum(length(v)), max(id) FROM t")
  [ "$want" = "$got" ] || fail "restored rows differ: want $want, got $got"
  [ "${want%%|*}" = 80 ] || fail "the source has ${want%%|*} rows, expected 80"
  pass "restore: integrity ok, rows match ($got)"
}
