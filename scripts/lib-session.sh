# Shared shell helpers for scripts: start a headless sway as the test user.
# Source it; then call vdi_start_sway WIDTH HEIGHT; it sets VDI_RUNTIME_DIR,
# VDI_WAYLAND_SOCKET (absolute path) and VDI_SWAY_PID; vdi_stop_sway cleans up.

VDI_TEST_USER="${VDI_TEST_USER:-vditest}"

vdi_as_user() {
  # Runs "$@" as the test user (root) or directly, inside the session.
  local envs=(env -u WAYLAND_DISPLAY -u DISPLAY -u SWAYSOCK "XDG_RUNTIME_DIR=$VDI_RUNTIME_DIR")
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u "$VDI_TEST_USER" -- "${envs[@]}" "$@"
  else
    "${envs[@]}" "$@"
  fi
}

VDI_SPAWNED=()

vdi_spawn_as_user() {
  # Like vdi_as_user, in the background, in a process group of its own that
  # vdi_stop_sway kills whole.
  local envs=(env -u WAYLAND_DISPLAY -u DISPLAY -u SWAYSOCK "XDG_RUNTIME_DIR=$VDI_RUNTIME_DIR")
  if [[ $(id -u) -eq 0 ]]; then
    setsid runuser -u "$VDI_TEST_USER" -- "${envs[@]}" "$@" &
  else
    setsid "${envs[@]}" "$@" &
  fi
  VDI_SPAWNED+=("$!")
}

vdi_start_sway() {
  local width="${1:-1280}" height="${2:-720}"
  VDI_RUNTIME_DIR="$(mktemp -d /tmp/vdi-demo-XXXXXX)"
  if [[ $(id -u) -eq 0 ]]; then chown "$VDI_TEST_USER" "$VDI_RUNTIME_DIR"; fi
  chmod 700 "$VDI_RUNTIME_DIR"
  cat > "$VDI_RUNTIME_DIR/sway.conf" <<CONF
xwayland disable
default_border none
output HEADLESS-1 resolution ${width}x${height} position 0 0
CONF
  chmod 644 "$VDI_RUNTIME_DIR/sway.conf"
  vdi_spawn_as_user WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 \
    sway -c "$VDI_RUNTIME_DIR/sway.conf" >"$VDI_RUNTIME_DIR.log" 2>&1
  VDI_SWAY_PID=$!
  for _ in $(seq 150); do
    if [[ -S "$VDI_RUNTIME_DIR/wayland-1" ]] && compgen -G "$VDI_RUNTIME_DIR/sway-ipc.*" >/dev/null; then
      VDI_WAYLAND_SOCKET="$VDI_RUNTIME_DIR/wayland-1"
      return 0
    fi
    sleep 0.1
  done
  echo "sway did not start; its log:" >&2
  cat "$VDI_RUNTIME_DIR.log" >&2
  return 1
}

vdi_stop_sway() {
  # Every process group we spawned, newest first (clients before the compositor).
  local i pgid
  for ((i = ${#VDI_SPAWNED[@]} - 1; i >= 0; i--)); do
    pgid="${VDI_SPAWNED[i]}"
    kill -TERM -- "-$pgid" 2>/dev/null || true
  done
  for _ in $(seq 30); do
    [[ -z "$(jobs -pr)" ]] && break
    sleep 0.1
  done
  for pgid in "${VDI_SPAWNED[@]}"; do kill -KILL -- "-$pgid" 2>/dev/null || true; done
  VDI_SPAWNED=()
  wait 2>/dev/null || true
  [[ -n "${VDI_RUNTIME_DIR:-}" ]] && rm -rf "$VDI_RUNTIME_DIR" "$VDI_RUNTIME_DIR.log"
}
