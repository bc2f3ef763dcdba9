#!/usr/bin/env bash
# Desktop -> WebRTC + SRT + HLS from ONE encoder.
#
#   pipelines/desktop-all.sh [DISPLAY] [WEBRTC_PORT] [SRT_PORT] [HLS_PORT] [NAME] [DIR]
#     defaults: $WAYLAND_DISPLAY or wayland-1, 8080, 8890, 8888, desktop, a temp folder
#
# Keyframe policy (docs/srt-hls.md, measured in docs/benchmarks.md): one
# encoder with a keyframe every second, which HLS needs for 1 s segments;
# WebRTC and SRT viewers still get a keyframe at once when they join. One
# encoder with 1 s IDR costs less CPU than a second encoder branch.
#
# Watch:  http://HOST:8080/               (browser, WebRTC)
#         srt://HOST:8890?streamid=read:desktop
#         http://HOST:8888/hls/desktop/index.m3u8
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"

DISPLAY_ARG="${1:-${WAYLAND_DISPLAY:-wayland-1}}"
WEBRTC_PORT="${2:-8080}"
SRT_PORT="${3:-8890}"
HLS_PORT="${4:-8888}"
NAME="${5:-desktop}"
DIR="${6:-$(mktemp -d /tmp/vdi-hls-XXXXXX)}"
vdi_serve_hls "$DIR" "$HLS_PORT" "$NAME"

# The queues decouple the three outputs: a slow one never stalls the others.
GST_LAUNCH_CMD=(
  $(vdi_capture "$DISPLAY_ARG" steady)
  ! $(vdi_encoder 1)
  ! h264parse config-interval=-1 ! tee name=t
  t. ! queue leaky=downstream max-size-time=500000000
     ! vdiwebrtcsink port="$WEBRTC_PORT" ${ADDRESS:+address=$ADDRESS}
  t. ! queue leaky=downstream max-size-time=500000000
     ! mpegtsmux ! s.sink_"$NAME"
  vdisrtsink name=s uri="srt://$ADDRESS:$SRT_PORT" latency=125
  t. ! queue max-size-time=2000000000
     ! hlssink2 target-duration=1 playlist-length=5 max-files=10
         location="$DIR/hls/$NAME/segment%05d.ts"
         playlist-location="$DIR/hls/$NAME/index.m3u8"
)
vdi_run "${GST_LAUNCH_CMD[@]}"
