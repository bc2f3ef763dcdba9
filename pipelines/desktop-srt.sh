#!/usr/bin/env bash
# Desktop -> SRT: one session on an SRT port, as mediamtx serves it.
#
#   pipelines/desktop-srt.sh [DISPLAY] [PORT] [NAME]
#     DISPLAY  Wayland socket of the session (default: $WAYLAND_DISPLAY or wayland-1)
#     PORT     SRT listener port (default 8890)
#     NAME     session name (default: desktop)
#
# Watch it:  ffplay "srt://HOST:8890?streamid=read:desktop"
#            vlc "srt://HOST:8890?streamid=read:desktop"   (or OBS: Media Source)
#
# Keyframes: every 2 s, plus one at once for every new caller (vdisrtsink
# sends a force-key-unit upstream when one joins). Add sessions by adding
# branches into the same vdisrtsink (s.sink_OTHER): one port serves all.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"

DISPLAY_ARG="${1:-${WAYLAND_DISPLAY:-wayland-1}}"
PORT="${2:-8890}"
NAME="${3:-desktop}"

vdi_run \
  vdisrtsink name=s uri="srt://$ADDRESS:$PORT" latency=125 \
  $(vdi_capture "$DISPLAY_ARG" steady) \
  ! $(vdi_encoder 2) \
  ! h264parse config-interval=-1 \
  ! mpegtsmux \
  ! s.sink_"$NAME"
