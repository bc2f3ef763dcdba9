#!/usr/bin/env bash
# Desktop -> WebRTC: any number of browser viewers, with keyboard and mouse.
#
#   pipelines/desktop-webrtc.sh [DISPLAY] [PORT]
#     DISPLAY  Wayland socket of the session (default: $WAYLAND_DISPLAY or wayland-1)
#     PORT     HTTP port of the built-in signalling server (default 8080)
#
# Open http://HOST:8080/ in a browser (or use WHEP at /whep). Keyframes only
# on demand (a joining viewer, a PLI), so the picture stays sharp on a still
# desktop; viewer input goes back into the session through vdiwaylandsrc.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"

DISPLAY_ARG="${1:-${WAYLAND_DISPLAY:-wayland-1}}"
PORT="${2:-8080}"

vdi_run \
  $(vdi_capture "$DISPLAY_ARG") \
  ! $(vdi_encoder 0) \
  ! h264parse config-interval=-1 \
  ! vdiwebrtcsink port="$PORT" ${ADDRESS:+address=$ADDRESS}
