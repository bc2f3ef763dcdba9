#!/usr/bin/env bash
# The alternative ./scripts/image does not take, measured (docs/benchmarks.md,
# "Container image"): building the project inside a Debian rootfs instead of
# installing this host's build with a DESTDIR. Makes a rootfs of the image's
# runtime packages plus the build's (mmdebstrap, same options), then
# configures and compiles the project in it (release, tests off; the web
# client is left out: the rootfs has no node_modules). Prints the time and
# size of each step. Needs root and ~3 GB in /tmp.
#
#   sudo tests/bench/image-in-rootfs.sh [--desktops all|sway]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mapfile -t pkgs < <("$ROOT/scripts/image" --list-packages "$@")
# The build's packages of ./scripts/setup that the project's build needs.
pkgs+=(meson ninja-build pkg-config g++ libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libgstreamer-plugins-bad1.0-dev libwayland-dev wayland-protocols libxkbcommon-dev
  libpipewire-0.3-dev libglib2.0-dev-bin libsoup-3.0-dev libjson-glib-dev libsrt-gnutls-dev
  libcrypt-dev libsystemd-dev libyuv-dev)
work="$(mktemp -d /tmp/vdi-in-rootfs-XXXXXX)"
# The source tree is bind-mounted into the rootfs: never remove the rootfs
# while it is there.
cleanup() {
  umount "$work/root/src" "$work/root/proc" 2>/dev/null || true
  if mountpoint -q "$work/root/src" || mountpoint -q "$work/root/proc"; then
    echo "image-in-rootfs: $work/root is still mounted; left in place" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
t0=$(date +%s.%N)
mmdebstrap --quiet --variant=essential --mode=root --format=tar \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --include="$(IFS=,; echo "${pkgs[*]}")" bookworm "$work/rootfs.tar" \
  /etc/apt/sources.list.d/debian.sources >"$work/mmdebstrap.log" 2>&1
t1=$(date +%s.%N)
mkdir -p "$work/root" && tar -C "$work/root" -xf "$work/rootfs.tar"
mkdir -p "$work/root/src" && mount --bind "$ROOT" "$work/root/src" && mount -t proc proc "$work/root/proc"
t2=$(date +%s.%N)
chroot "$work/root" sh -c 'meson setup /tmp/build /src --prefix=/usr --buildtype=release -Dtests=disabled >/dev/null && ninja -C /tmp/build >/dev/null'
t3=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v size="$(stat -c %s "$work/rootfs.tar")" 'BEGIN {
  printf "rootfs with the build packages: %.0f s, %.0f MB\ncompile inside it: %.0f s\n", b - a, size / 1e6, d - c }'
