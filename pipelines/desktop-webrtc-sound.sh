#!/usr/bin/env bash
# Desktop + sound -> WebRTC: the session's picture and what its apps play,
# to any number of browser viewers, with keyboard and mouse.
#
#   pipelines/desktop-webrtc-sound.sh [DISPLAY] [PORT] [AUDIO_DEVICE]
#     DISPLAY       Wayland socket of the session (default: $WAYLAND_DISPLAY or wayland-1)
#     PORT          HTTP port of the built-in signalling server (default 8080)
#     AUDIO_DEVICE  PulseAudio source to stream (default @DEFAULT_MONITOR@: what
#                   the default sink plays; in a vdid session vdi-speaker.monitor)
#
# The sound server is the session's (PipeWire + pipewire-pulse, or PulseAudio):
# run as the session's user, or point PULSE_SERVER at it. Opus as vdid-worker
# encodes it (docs/sound.md): 10 ms capture periods and frames, in-band FEC,
# DTX (a silent desktop sends no audio packets), timestamps from the sample
# count on the pipeline's clock, so audio and video stay in sync.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"

DISPLAY_ARG="${1:-${WAYLAND_DISPLAY:-wayland-1}}"
PORT="${2:-8080}"
AUDIO_DEVICE="${3:-@DEFAULT_MONITOR@}"

vdi_run \
  $(vdi_capture "$DISPLAY_ARG") \
  ! $(vdi_encoder 0) \
  ! h264parse config-interval=-1 \
  ! vdiwebrtcsink name=sink port="$PORT" ${ADDRESS:+address=$ADDRESS} \
  pulsesrc device="$AUDIO_DEVICE" buffer-time=100000 latency-time=10000 slave-method=none \
    provide-clock=false \
  ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 \
  ! queue max-size-buffers=0 max-size-bytes=0 max-size-time=1000000000 leaky=downstream \
  ! opusenc frame-size=10 inband-fec=true packet-loss-percentage=5 dtx=true bitrate=96000 \
  ! sink.audio
