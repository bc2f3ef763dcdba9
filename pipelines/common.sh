# Shared by the recipes in this folder; not a recipe itself.
#
# Environment every recipe understands:
#   ADDRESS   interface to listen on (default: all; tests use 127.0.0.1)
#   FPS       frames per second captured and encoded (default 30)
#   BITRATE   H.264 bitrate in kbit/s (default 4000)
#   ENCODER   force an encoder: nvh264enc, vah264enc, x264enc or openh264enc
#   GST_LAUNCH  the gst-launch-1.0 to run (default: the one on PATH)

FPS="${FPS:-30}"
BITRATE="${BITRATE:-4000}"
ADDRESS="${ADDRESS:-}"
GST_LAUNCH="${GST_LAUNCH:-gst-launch-1.0}"

# Prints the encoder fragment ("convert ! encoder ! capsfilter") chosen by
# vdi-encoder (common/vdi-encoder.cpp: nvh264enc -> vah264enc -> x264enc ->
# openh264enc by availability, low-latency settings). Argument: seconds
# between periodic keyframes, 0 for keyframes on demand only.
vdi_encoder() {
  local tool="${VDI_ENCODER_TOOL:-$(command -v vdi-encoder || true)}"
  local args=(--bitrate "$BITRATE" --fps "$FPS" --keyframe-interval "$1")
  [[ -n "${ENCODER:-}" ]] && args+=(--encoder "$ENCODER")
  if [[ -n "$tool" ]]; then
    "$tool" "${args[@]}"
  else
    # Without the tool (not built or not installed): x264 with the same
    # settings vdi-encoder gives it, converting only the damage where
    # vdidamageconvert is there.
    local gop=$(( ${1%.*} > 0 ? ${1%.*} * FPS : 10 * FPS ))
    local convert=videoconvert
    gst-inspect-1.0 vdidamageconvert >/dev/null 2>&1 && convert=vdidamageconvert
    echo "$convert ! video/x-raw,format=I420 ! x264enc name=encoder tune=zerolatency" \
         "speed-preset=ultrafast bframes=0 b-adapt=false sliced-threads=true bitrate=$BITRATE" \
         "vbv-buf-capacity=200 key-int-max=$gop ! capsfilter caps=video/x-h264,profile=constrained-baseline"
  fi
}

# The capture: the first output of the compositor on socket $1, at most
# $FPS frames per second. With "steady" as $2 the last frame is repeated
# at $FPS while the screen is still: MPEG-TS readers (SRT, HLS) finish a
# video frame only when the next one starts, so a damage-driven source
# that goes quiet would hold the last change back until its keepalive
# (1 s). WebRTC (RTP marker bit) does not need it.
vdi_capture() {
  local keepalive=""
  [[ "${2:-}" == steady ]] && keepalive="keepalive=$(( 1000 / FPS ))"
  echo "vdiwaylandsrc display=$1 $keepalive ! video/x-raw,framerate=$FPS/1"
}

# Serves folder $1 over HTTP on port $2 (python3's http.server; a deployment
# puts nginx or vdid there) while the recipe runs, and prints the playlist
# URL of session $3. The server stops with the recipe.
vdi_serve_hls() {
  mkdir -p "$1/hls/$3"
  [[ -n "${VDI_PRINT_ONLY:-}" ]] && return 0
  python3 -m http.server --bind "${ADDRESS:-0.0.0.0}" --directory "$1" "$2" >/dev/null 2>&1 &
  VDI_HTTP_PID=$!
  trap 'kill $VDI_HTTP_PID 2>/dev/null' EXIT
  echo "HLS: http://${ADDRESS:-HOST}:$2/hls/$3/index.m3u8 (files in $1)"
}

# Runs gst-launch with the pipeline in "$@" (already split into words).
# Not exec while an HTTP server runs: its EXIT trap must stop it.
vdi_run() {
  if [[ -n "${VDI_PRINT_ONLY:-}" ]]; then
    echo "$GST_LAUNCH -e $*"
    return 0
  fi
  if [[ -n "${VDI_HTTP_PID:-}" ]]; then
    "$GST_LAUNCH" -e "$@"
  else
    exec "$GST_LAUNCH" -e "$@"
  fi
}
