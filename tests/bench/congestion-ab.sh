#!/usr/bin/env bash
# A/B of two builds of libgstvdisession in one run: alternates a command
# between another build's plugin directory (A, e.g. a build of main) and
# this tree's (B), with the environment of `meson test`, ROUNDS times; each
# output line is prefixed "A rN" / "B rN" (bench series and press lines
# are left out).
#
#   tests/bench/congestion-ab.sh BUILD OTHER_SESSION_PLUGIN_DIR ROUNDS COMMAND...
#
#   git archive main | tar -x -C /tmp/main && (cd /tmp/main && meson setup build \
#     -Dwayland=disabled -Dtests=disabled && ninja -C build plugins/session/libgstvdisession.so)
#   tests/bench/congestion-ab.sh build /tmp/main/build/plugins/session 3 \
#     build/tests/bench/bench-congestion 15 1 delay
#   tests/bench/congestion-ab.sh build /tmp/main/build/plugins/session 3 \
#     build/tests/test-webrtc-congestion "on a 2 Mbit/s link the adapted stream does not freeze"
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "$1" && pwd)"
OTHER="$(cd "$2" && pwd)"
ROUNDS="$3"
shift 3
export VDI_TEST_CLIENT_DIR="$BUILD/tests" VDI_SOURCE_ROOT="$ROOT" VDI_BUILD_ROOT="$BUILD"
export GST_DEBUG="${GST_DEBUG:-*:1,vdi*:3}" G_DEBUG=fatal-criticals
for r in $(seq 1 "$ROUNDS"); do
  for arm in A B; do
    dir="$BUILD/plugins/session"
    [[ $arm == A ]] && dir="$OTHER"
    GST_PLUGIN_PATH_1_0="$dir:$BUILD/plugins/wayland" \
      GST_REGISTRY_1_0="$BUILD/tests/ab-registry-$arm.bin" "$@" 2>&1 |
      grep -vE '^(series|press) ' | sed "s/^/$arm r$r /"
  done
done
