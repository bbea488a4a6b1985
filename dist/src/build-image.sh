#!/usr/bin/env bash
# Writes a container image of the release without a Docker daemon: an OCI image layout
# (oci-layout, index.json, blobs/sha256/...) packed as litestream4j-VERSION-oci.tar, which
# `podman load -i`, `docker load -i` (Docker 25+) and `skopeo copy oci-archive:...` read.
# Three layers, from the least to the most often changed:
#   1. base: the C library and loader the runtime, SQLite's and LZ4's native code and bash (the
#      launcher) link against, copied from this machine; /etc/passwd and /etc/group with the
#      user litestream (65532), /tmp, /var/lib/litestream (its working folder), /proc, /dev, /sys
#   2. the Java runtime: /opt/litestream/runtime
#   3. the application: /opt/litestream/{bin,app,etc} and /etc/litestream.yml (the example)
# Entrypoint /opt/litestream/bin/litestream, command `replicate` (reads /etc/litestream.yml:
# mount yours over it), user 65532. Usage: build-image.sh ROOT VERSION TARGET
set -euo pipefail
root=$1 version=$2 target=$3
stage="$target/litestream-$version-linux-x64"
work="$target/image"
layout="$work/layout"
out="$target/litestream4j-$version-oci.tar"
uid=65532
epoch=$(stat -c %Y "$stage/app/litestream.jar")

rm -rf "$work" "$out"
mkdir -p "$work/base" "$work/runtime/opt/litestream" "$work/app/opt/litestream" "$work/app/etc" "$layout/blobs/sha256"

# Layer 1: every shared library that bash, the runtime and the jars' native code load.
natives="$work/natives"
mkdir -p "$natives"
(cd "$natives" && for j in "$stage"/app/lib/sqlite-jdbc-*.jar "$stage"/app/lib/lz4-java-*.jar; do
  unzip -qo "$j" 'org/sqlite/native/Linux/x86_64/*' 'net/jpountz/util/linux/amd64/*' 2>/dev/null || true
done)
bash_bin=$(readlink -f /bin/bash)
{
  echo "$bash_bin"
  find "$stage/runtime" "$natives" -type f \( -name '*.so' -o -path '*/bin/*' \)
} | while read -r f; do ldd "$f" 2>/dev/null || true; done \
  | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' | sort -u > "$work/libs.txt"
grep -q ld-linux "$work/libs.txt" || { echo "build-image: ldd found no dynamic loader" >&2; exit 1; }
while read -r lib; do
  install -D -m 0755 "$(readlink -f "$lib")" "$work/base$lib"
done < "$work/libs.txt"
install -D -m 0755 "$bash_bin" "$work/base/bin/bash"
# proc, dev and sys: mount points the container engine fills.
mkdir -p "$work/base/etc" "$work/base/tmp" "$work/base/var/lib/litestream" "$work/base/proc" "$work/base/dev" "$work/base/sys"
chmod 1777 "$work/base/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nlitestream:x:%s:%s:litestream:/var/lib/litestream:/sbin/nologin\n' $uid $uid > "$work/base/etc/passwd"
printf 'root:x:0:\nlitestream:x:%s:\n' $uid > "$work/base/etc/group"
chmod 0644 "$work/base/etc/passwd" "$work/base/etc/group"

cp -a "$stage/runtime" "$work/runtime/opt/litestream/"
cp -a "$stage/bin" "$stage/app" "$stage/etc" "$stage/LICENSE" "$work/app/opt/litestream/"
install -m 0644 "$root/etc/litestream.yml" "$work/app/etc/litestream.yml"

# A reproducible layer: sorted names, owner root (the working folder: the user), one time.
tar_opts=(--sort=name --numeric-owner --mtime="@$epoch" --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)
layer() { # layer NAME: tars $work/NAME, gzips it into the layout; prints "digest size diff_id"
  local dir="$work/$1" tarball="$work/$1.tar"
  if [ "$1" = base ]; then
    tar -C "$dir" "${tar_opts[@]}" --owner=0 --group=0 --exclude=./var/lib/litestream -cf "$tarball" .
    tar -C "$dir" "${tar_opts[@]}" --owner=$uid --group=$uid --no-recursion -rf "$tarball" ./var/lib/litestream
  else
    tar -C "$dir" "${tar_opts[@]}" --owner=0 --group=0 -cf "$tarball" .
  fi
  local diff_id digest
  diff_id=$(sha256sum < "$tarball" | cut -d' ' -f1)
  gzip -n -6 < "$tarball" > "$work/blob"
  digest=$(sha256sum < "$work/blob" | cut -d' ' -f1)
  mv "$work/blob" "$layout/blobs/sha256/$digest"
  echo "$digest $(stat -c %s "$layout/blobs/sha256/$digest") $diff_id"
}
blob() { # blob FILE MEDIATYPE: moves FILE into the layout; prints its descriptor
  local digest size
  digest=$(sha256sum < "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$layout/blobs/sha256/$digest"
  jq -cn --arg m "$2" --arg d "sha256:$digest" --argjson s "$size" '{mediaType: $m, digest: $d, size: $s}'
}

layers=()
for name in base runtime app; do
  read -r digest size diff_id < <(layer "$name")
  layers+=("$(jq -cn --arg d "sha256:$digest" --argjson s "$size" --arg i "sha256:$diff_id" --arg n "$name" \
    '{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d, size: $s, diff_id: $i, name: $n}')")
done
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
printf '%s\n' "${layers[@]}" | jq -s --arg v "$version" --arg c "$created" --arg u "$uid:$uid" '{
  created: $c, architecture: "amd64", os: "linux",
  config: {
    User: $u,
    Entrypoint: ["/opt/litestream/bin/litestream"],
    Cmd: ["replicate"],
    Env: ["PATH=/opt/litestream/bin:/usr/bin:/bin"],
    WorkingDir: "/var/lib/litestream",
    Labels: {"org.opencontainers.image.title": "litestream4j", "org.opencontainers.image.version": $v,
             "org.opencontainers.image.description": "Streaming disaster recovery for SQLite (Litestream in Java)"}
  },
  rootfs: {type: "layers", diff_ids: map(.diff_id)},
  history: map({created: $c, created_by: ("dist/src/build-image.sh: " + .name)})
}' > "$work/config.json"
config=$(blob "$work/config.json" application/vnd.oci.image.config.v1+json)
printf '%s\n' "${layers[@]}" | jq -s --argjson c "$config" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: $c, layers: map({mediaType, digest, size})
}' > "$work/manifest.json"
manifest=$(blob "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)
jq -n --argjson m "$manifest" --arg v "$version" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [$m + {annotations: {"org.opencontainers.image.ref.name": $v}}]
}' > "$layout/index.json"
echo '{"imageLayoutVersion": "1.0.0"}' > "$layout/oci-layout"
tar -C "$layout" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf "$out" oci-layout index.json blobs
echo "build-image: $out ($(du -sh "$out" | cut -f1))" >&2
