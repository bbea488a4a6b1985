#!/usr/bin/env bash
# Tests that the release's trimmed runtime (jlink keeps only the modules jdeps finds) runs every
# backend's code, not just the file replica: for S3 (s3rver), Azure Blob Storage (Azurite), SFTP
# (OpenSSH's sshd), WebDAV (rclone), NATS JetStream (nats-server) and Google Cloud Storage (the
# emulator inside firebase-tools, started as replica-gcs's tests start it), a real server on a loopback
# port, then the unpacked release with every JDK hidden replicates a database written by a
# concurrent writer and restores it through the config file (lib.sh's replicate_and_restore).
# A missing server skips its backend with a message; under CI=true it fails (.ci/run installs
# them all). Usage: test-backends.sh TARBALL. Exits non-zero on failure.
set -euo pipefail
tarball=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

start_work backends
tar -C "$work" -xzf "$tarball"
home=$(echo "$work"/litestream-*)
[ -x "$home/bin/litestream" ] || fail "no bin/litestream in $tarball"
mkdir -p "$work/empty-path"
clean_env=("$here/no-jdk" timeout 180 env -i HOME="$work" PATH="$work/empty-path")
# The JDK runs only ServerSetup.java (buckets and containers), with the release's own jars.
jdk=$("$root/bin/find-jdk" 25)
setup() { "$jdk/bin/java" -cp "$home/app/lib/*" "$here/ServerSetup.java" "$@"; }

missing() { # missing WHAT: skips a backend outside CI, fails under CI
  [ "${CI:-}" != true ] || fail "$1 is not installed (.ci/run installs it; under CI every backend is tested)"
  echo "skipped: $1 is not installed"
}
free_port() { # a port nothing listens on (random, checked; 100 tries)
  local p i
  for i in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  fail "no free loopback port found in 100 tries"
}
await_port() { # await_port PORT PID NAME: until the server listens (60 s: slow on a loaded machine)
  local i
  for i in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || { cat "$work/$3.log" >&2 || true; fail "$3 exited before listening on port $1"; }
    sleep 0.1
  done
  cat "$work/$3.log" >&2 || true
  fail "$3 did not listen on port $1 within 60 s"
}
backend() { # backend NAME: replicate and restore with $replica_yaml through the release
  mkdir -p "$work/$1"
  replicate_and_restore "$work/$1" "$work/$1" "${clean_env[@]}" "${extra_env[@]}" "$home/bin/litestream"
  pass "$1 backend: replicate and restore through the release"
  extra_env=()
}
extra_env=()

# S3: s3rver, a bucket it creates, its fixed credentials.
if command -v s3rver >/dev/null 2>&1; then
  port=$(free_port)
  NODE_OPTIONS=--openssl-legacy-provider s3rver -d "$work/s3-data" -a 127.0.0.1 -p "$port" --silent \
    --configure-bucket backups > "$work/s3rver.log" 2>&1 &
  pids+=($!)
  await_port "$port" $! s3rver
  replica_yaml="url: s3://backups/app?endpoint=http://127.0.0.1:$port
access-key-id: S3RVER
secret-access-key: S3RVER"
  backend s3
else missing s3rver; fi

# Azure Blob Storage: Azurite with its published development account and key.
if command -v azurite-blob >/dev/null 2>&1; then
  port=$(free_port)
  account=devstoreaccount1
  key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
  azurite-blob --blobHost 127.0.0.1 --blobPort "$port" --location "$work/azurite-data" --silent --loose \
    > "$work/azurite.log" 2>&1 &
  pids+=($!)
  await_port "$port" $! azurite
  setup abs-container "http://127.0.0.1:$port/$account" "$account" "$key" backups
  replica_yaml="type: abs
account-name: $account
bucket: backups
path: app
endpoint: http://127.0.0.1:$port/$account"
  extra_env=(LITESTREAM_AZURE_ACCOUNT_KEY="$key")
  backend abs
else missing azurite-blob; fi

# SFTP: OpenSSH's sshd with its own host key, logging in as this user with a key.
if [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null 2>&1; then
  port=$(free_port)
  ssh=$work/ssh
  mkdir -p "$ssh" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$ssh/client"
  cp "$ssh/client.pub" "$ssh/authorized_keys"
  cat > "$ssh/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $ssh/host
PidFile $ssh/sshd.pid
AuthorizedKeysFile $ssh/authorized_keys
AllowUsers $(id -un)
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
LogLevel ERROR
CONF
  /usr/sbin/sshd -D -e -f "$ssh/sshd_config" > "$work/sshd.log" 2>&1 &
  pids+=($!)
  await_port "$port" $! sshd
  replica_yaml="type: sftp
host: 127.0.0.1:$port
user: $(id -un)
key-path: $ssh/client
host-key: $(cut -d' ' -f1,2 "$ssh/host.pub")
path: $work/sftp-replica"
  backend sftp
else missing "OpenSSH's sshd"; fi

# WebDAV: rclone's server over a folder.
if command -v rclone >/dev/null 2>&1; then
  port=$(free_port)
  mkdir -p "$work/dav-data"
  rclone serve webdav "$work/dav-data" --addr "127.0.0.1:$port" > "$work/rclone.log" 2>&1 &
  pids+=($!)
  await_port "$port" $! rclone
  replica_yaml="url: webdav://127.0.0.1:$port/app"
  backend webdav
else missing rclone; fi

# NATS JetStream: nats-server and an object store bucket made first (as Litestream expects).
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)
if [ -x "$nats_server" ]; then
  port=$(free_port)
  "$nats_server" -js -a 127.0.0.1 -p "$port" -sd "$work/nats-data" > "$work/nats.log" 2>&1 &
  pids+=($!)
  await_port "$port" $! nats
  setup nats-bucket "nats://127.0.0.1:$port" backups
  replica_yaml="url: nats://127.0.0.1:$port/backups"
  backend nats
else missing nats-server; fi

# Google Cloud Storage: firebase-tools' Cloud Storage emulator, started from Node by the gs:// tests'
# own script (its `emulators:start` needs the network); it makes buckets on first use. The port
# accepts before the app is ready: the script prints "listening on PORT" when it is.
firebase_tools=${FIREBASE_TOOLS_DIR:-$(npm root -g 2>/dev/null || true)/firebase-tools}
if command -v node >/dev/null 2>&1 && [ -f "$firebase_tools/lib/emulator/storage/index.js" ]; then
  port=$(free_port)
  mkdir -p "$work/gcs-tmp"
  TMPDIR="$work/gcs-tmp" node "$root/replica-gcs/src/test/resources/gcs-emulator.js" "$firebase_tools" "$port" > "$work/gcs.log" 2>&1 &
  pids+=($!)
  gcs_pid=$!
  for i in $(seq 1 1200); do # 120 s: loading firebase-tools takes Node seconds, far more on a loaded machine
    grep -q "listening on $port" "$work/gcs.log" && break
    kill -0 "$gcs_pid" 2>/dev/null || { cat "$work/gcs.log" >&2; fail "the gcs emulator exited before listening on port $port"; }
    sleep 0.1
  done
  grep -q "listening on $port" "$work/gcs.log" || { cat "$work/gcs.log" >&2; fail "the gcs emulator did not listen on port $port within 120 s"; }
  replica_yaml="type: gs
bucket: backups
path: app"
  extra_env=(STORAGE_EMULATOR_HOST="127.0.0.1:$port")
  backend gcs
else missing "firebase-tools (npm) with node"; fi
