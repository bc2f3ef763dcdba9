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
    # settings vdi-encoder gives it.
    local gop=$(( ${1%.*} > 0 ? ${1%.*} * FPS : 10 * FPS ))
    echo "videoconvert ! video/x-raw,format=I420 ! x264enc name=encoder tune=zerolatency" \
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

# Runs gst-launch with the pipeline in "$@" (already split into words).
vdi_run() {
  if [[ -n "${VDI_PRINT_ONLY:-}" ]]; then
    echo "$GST_LAUNCH -e $*"
    return 0
  fi
  exec "$GST_LAUNCH" -e "$@"
}
