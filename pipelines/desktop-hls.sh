#!/usr/bin/env bash
# Desktop -> HLS: 1 s segments, a sliding playlist, served over HTTP.
#
#   pipelines/desktop-hls.sh [DISPLAY] [PORT] [NAME] [DIR]
#     DISPLAY  Wayland socket of the session (default: $WAYLAND_DISPLAY or wayland-1)
#     PORT     HTTP port (default 8888)
#     NAME     session name (default: desktop)
#     DIR      where segments are written (default: a new temporary folder)
#
# Play it:   ffplay http://HOST:8888/hls/desktop/index.m3u8  (Safari, hls.js, VLC, ...)
#
# hlssink2 cuts a segment at the first keyframe after each second and asks
# the encoder for it (send-keyframe-requests); the encoder also has a 1 s
# GOP. The playlist keeps the last 5 segments; segments older than 10 are
# deleted. python3's http.server serves DIR (a deployment puts nginx or
# vdid there); it stops with the pipeline.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"

DISPLAY_ARG="${1:-${WAYLAND_DISPLAY:-wayland-1}}"
PORT="${2:-8888}"
NAME="${3:-desktop}"
DIR="${4:-$(mktemp -d /tmp/vdi-hls-XXXXXX)}"
vdi_serve_hls "$DIR" "$PORT" "$NAME"

GST_LAUNCH_CMD=(
  $(vdi_capture "$DISPLAY_ARG" steady)
  ! $(vdi_encoder 1)
  ! h264parse config-interval=-1
  ! hlssink2 target-duration=1 playlist-length=5 max-files=10
      location="$DIR/hls/$NAME/segment%05d.ts"
      playlist-location="$DIR/hls/$NAME/index.m3u8"
)
vdi_run "${GST_LAUNCH_CMD[@]}"
