#!/usr/bin/env bash
# Tests the OCI image without a container engine (none on this machine): the layout is valid
# (every digest and size matches its blob, each layer's diff_id is the sha256 of its unpacked
# tar), the config names the entrypoint, a non-root user and PATH; then, as root, the layers are
# unpacked in order into a root file system and the entrypoint runs there under chroot as the
# image's user, with nothing of this machine visible: `version`, then replicate with a concurrent
# writer and restore. Usage: test-image.sh OCI_TAR
set -euo pipefail
image=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

start_work image
layout="$work/layout"
mkdir -p "$layout"
tar -C "$layout" -xf "$image"

[ "$(jq -r .imageLayoutVersion "$layout/oci-layout")" = 1.0.0 ] || fail "oci-layout is not version 1.0.0"
blob() { echo "$layout/blobs/sha256/${1#sha256:}"; }
check_descriptor() { # check_descriptor JSON: the blob it names exists with that digest and size
  local digest size file
  digest=$(jq -r .digest <<<"$1")
  size=$(jq -r .size <<<"$1")
  file=$(blob "$digest")
  [ -f "$file" ] || fail "blob $digest is missing"
  [ "sha256:$(sha256sum < "$file" | cut -d' ' -f1)" = "$digest" ] || fail "blob $digest: content does not match its digest"
  [ "$(stat -c %s "$file")" = "$size" ] || fail "blob $digest: size $(stat -c %s "$file"), descriptor says $size"
}
[ "$(jq '.manifests | length' "$layout/index.json")" = 1 ] || fail "index.json should list one manifest"
mdesc=$(jq -c '.manifests[0]' "$layout/index.json")
[ "$(jq -r .mediaType <<<"$mdesc")" = application/vnd.oci.image.manifest.v1+json ] || fail "index: not an OCI manifest"
check_descriptor "$mdesc"
manifest=$(blob "$(jq -r .digest <<<"$mdesc")")
check_descriptor "$(jq -c .config "$manifest")"
config=$(blob "$(jq -r .config.digest "$manifest")")

[ "$(jq -c .config.Entrypoint "$config")" = '["/opt/litestream/bin/litestream"]' ] || fail "entrypoint is $(jq -c .config.Entrypoint "$config")"
user=$(jq -r .config.User "$config")
case "$user" in "" | 0 | 0:* | root | root:*) fail "the image runs as root ('$user')" ;; esac
jq -e '.config.Env | index("PATH=/opt/litestream/bin:/usr/bin:/bin")' "$config" >/dev/null || fail "PATH is not set for litestream"
[ "$(jq -r '.os + "/" + .architecture' "$config")" = linux/amd64 ] || fail "platform is not linux/amd64"
n=$(jq '.layers | length' "$manifest")
[ "$n" = "$(jq '.rootfs.diff_ids | length' "$config")" ] || fail "manifest has $n layers, config lists other diff_ids"
rootfs="$work/rootfs"
mkdir -p "$rootfs"
for i in $(seq 0 $((n - 1))); do
  ldesc=$(jq -c ".layers[$i]" "$manifest")
  [ "$(jq -r .mediaType <<<"$ldesc")" = application/vnd.oci.image.layer.v1.tar+gzip ] || fail "layer $i: media type"
  check_descriptor "$ldesc"
  file=$(blob "$(jq -r .digest <<<"$ldesc")")
  [ "sha256:$(gzip -dc "$file" | sha256sum | cut -d' ' -f1)" = "$(jq -r ".rootfs.diff_ids[$i]" "$config")" ] || fail "layer $i: diff_id does not match"
  gzip -dc "$file" | tar -C "$rootfs" -xf -
done
pass "OCI layout: $n layers, digests, sizes and diff_ids match; entrypoint, user $user, PATH"
[ -f "$rootfs/etc/litestream.yml" ] || fail "no /etc/litestream.yml in the image"
grep -q "Apache License" "$rootfs/opt/litestream/LICENSE" || fail "no Apache-2.0 LICENSE in the image"

if [ "$(id -u)" != 0 ]; then
  [ "${CI:-}" != true ] || fail "running the image's files under chroot needs root"
  echo "skipped: running the entrypoint under chroot needs root"
  exit 0
fi
[ "$(stat -c %u "$rootfs/var/lib/litestream")" = "${user%%:*}" ] || fail "/var/lib/litestream is not owned by the image's user"
# The image as a container engine would start it: its root with /proc and /dev mounted (in a
# private mount namespace; the loader finds the runtime's libraries through /proc/self/exe), its
# user, its environment, its entrypoint.
mkdir -p "$rootfs/proc" "$rootfs/dev"
in_image=(timeout 120 unshare -m bash -c 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && shift && exec "$@"' in-image "$rootfs"
  env -i "$(jq -r '.config.Env[0]' "$config")" HOME=/var/lib/litestream "$(command -v chroot)" --userspec="$user" "$rootfs")
entry=$(jq -r '.config.Entrypoint[0]' "$config")
out=$("${in_image[@]}" "$entry" version)
[[ "$out" == "litestream4j v"* ]] || fail "version in the image printed '$out'"
pass "entrypoint runs in the image's root as $user: $out"

mkdir -p "$rootfs/work"
chown "$user" "$rootfs/work"
replicate_and_restore "$rootfs/work" /work "${in_image[@]}" "$entry"
