/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What the test clients (vdi-test-client, vdi-input-client) share: a
 * Wayland connection with wl_compositor, wl_shm and xdg_wm_base bound, one
 * fullscreen xdg_toplevel, wl_shm buffers, and a loop that dispatches
 * Wayland events and reads commands from stdin line by line. Everything is
 * released by the destructors.
 */

#pragma once

#include "xdg-shell-client-protocol.h"

#include <wayland-client.h>

#include <cstdint>
#include <functional>
#include <string>

namespace vdi::clients {

/* "error MESSAGE" on stderr, flushed. */
void fail(const std::string &message);
/* A line on stdout, flushed. */
void reply(const std::string &line);

/* An XRGB8888 wl_shm buffer, mapped. busy while the compositor holds it
 * (until wl_buffer.release). */
class ShmBuffer
{
public:
  /* Exits with an error line if shared memory cannot be had. */
  ShmBuffer(wl_shm *shm, int width, int height);
  ~ShmBuffer();
  ShmBuffer(const ShmBuffer &) = delete;
  ShmBuffer &operator=(const ShmBuffer &) = delete;

  wl_buffer *buffer() const { return buffer_; }
  uint32_t *pixels() const { return pixels_; }
  int width() const { return width_; }
  int height() const { return height_; }
  bool busy = false;

private:
  wl_buffer *buffer_ = nullptr;
  uint32_t *pixels_ = nullptr;
  size_t size_ = 0;
  int width_, height_;
};

class WlWindow
{
public:
  /* Another global the client binds (a seat, a data device manager);
   * return true if it was taken. */
  using GlobalHandler =
    std::function<bool(wl_registry *, uint32_t name, const char *iface, uint32_t version)>;

  WlWindow() = default;
  ~WlWindow();
  WlWindow(const WlWindow &) = delete;
  WlWindow &operator=(const WlWindow &) = delete;

  /* Connects to $WAYLAND_DISPLAY and binds the globals (@extra sees the
   * ones not bound here). false with an error line on failure. */
  bool connect(const GlobalHandler &extra = {});
  /* Maps one fullscreen toplevel; on_configure runs once its size is known
   * and each time it changes (the configure is acked; width, height and
   * configured are already set). */
  void show(const char *title, const char *app_id);

  /* Attaches @buffer, damages the rectangle and commits. */
  void commit(wl_buffer *buffer, int x, int y, int w, int h);

  /* Dispatches Wayland events and hands each stdin line to @on_line until
   * running is false, stdin closes or the connection breaks. @fd (if >= 0)
   * is polled too; @on_fd runs when it is readable. */
  void run(const std::function<void(const std::string &line)> &on_line, int fd = -1,
           const std::function<void()> &on_fd = {});

  wl_display *display = nullptr;
  wl_compositor *compositor = nullptr;
  wl_shm *shm = nullptr;
  xdg_wm_base *wm_base = nullptr;
  wl_surface *surface = nullptr;

  int width = 0, height = 0; /* the configured size */
  bool configured = false;
  bool running = true;
  std::function<void(int old_width, int old_height)> on_configure;

private:
  static const wl_registry_listener registry_listener;
  static const xdg_wm_base_listener wm_base_listener;
  static const xdg_toplevel_listener toplevel_listener;
  static const xdg_surface_listener surface_listener;

  wl_registry *registry_ = nullptr;
  xdg_surface *xsurface_ = nullptr;
  xdg_toplevel *toplevel_ = nullptr;
  GlobalHandler extra_;
  int pending_w_ = 0, pending_h_ = 0; /* from the last toplevel.configure */
};

} // namespace vdi::clients
