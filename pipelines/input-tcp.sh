#!/usr/bin/env bash
# Input channel for SRT / HLS viewers: keyboard and mouse events as
# newline-delimited JSON over TCP into the session.
#
#   pipelines/input-tcp.sh [DISPLAY] [PORT]
#     DISPLAY  Wayland socket of the session (default: $WAYLAND_DISPLAY or wayland-1)
#     PORT     TCP port (default 7000); bind it to a trusted interface
#              (ADDRESS=127.0.0.1, an SSH tunnel or a VPN): there is no
#              authentication on this channel.
#
# One event per line, the data-channel shape of vdiwebrtcsink:
#   {"id":1,"request":{"type":"navigationEvent","event":{"event":"MouseMove","x":100,"y":80}}}
#   {"id":2,"request":{"type":"navigationEvent","event":{"event":"KeyPress","key":"a"}}}
# e.g.  printf '%s\n' '{"id":1,...}' | nc HOST 7000
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/common.sh"

DISPLAY_ARG="${1:-${WAYLAND_DISPLAY:-wayland-1}}"
PORT="${2:-7000}"

vdi_run \
  tcpserversrc host="${ADDRESS:-0.0.0.0}" port="$PORT" ! application/x-vdi-input \
  ! vdiinputsink display="$DISPLAY_ARG"
