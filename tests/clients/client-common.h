/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What the test clients (vdi-test-client, vdi-input-client) share: the
 * Wayland connection with wl_compositor, wl_shm and xdg_wm_base bound, one
 * fullscreen xdg_toplevel that acks its configures, wl_shm buffers, and the
 * loop that dispatches Wayland events and reads command lines on stdin.
 */

#pragma once

#include "xdg-shell-client-protocol.h"

#include <wayland-client.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace vdi::client {

/* "error MESSAGE" on stderr, flushed. */
void fail(const std::string &message);

/* One XRGB8888 wl_shm buffer, mapped for painting. */
struct ShmBuffer {
  wl_buffer *buffer = nullptr;
  uint32_t *pixels = nullptr;
  size_t size = 0;
  int width = 0, height = 0;
  bool busy = false; /* attached and not released by the compositor yet */
  /* For a buffer painted once: wl_buffer.release deletes it. */
  bool delete_on_release = false;

  /* Exits the client when no shared memory can be had. */
  static std::unique_ptr<ShmBuffer> create(wl_shm *shm, int width, int height, const char *name);
  ~ShmBuffer();
};

/* The connection and its one fullscreen window. */
struct Window {
  wl_display *display = nullptr;
  wl_registry *registry = nullptr;
  wl_compositor *compositor = nullptr;
  wl_shm *shm = nullptr;
  xdg_wm_base *wm_base = nullptr;
  wl_surface *surface = nullptr;
  xdg_surface *xsurface = nullptr;
  xdg_toplevel *toplevel = nullptr;

  int width = 0, height = 0;        /* the current size */
  int pending_w = 0, pending_h = 0; /* from the last toplevel.configure */
  bool configured = false;
  bool running = true; /* false on toplevel.close or when a command asks */

  /* Globals besides the three above, as the registry announces them. */
  std::function<void(wl_registry *registry, uint32_t name, const char *iface, uint32_t version)>
    global;
  /* The first configure and each one with a new size (640x480 when the
   * compositor leaves it to us): width/height are already the new size,
   * @old_w x @old_h the previous one; configured is true. Paint here. */
  std::function<void(int old_w, int old_h)> resized;

  /* Connects to $WAYLAND_DISPLAY and binds the globals; false (after fail())
   * when the compositor lacks one of the three. */
  bool connect();
  /* Maps the fullscreen toplevel; its configure follows. */
  void show(const char *title, const char *app_id);
  /* Runs until running is false, stdin closes or the display breaks:
   * @line for every line on stdin; @extra_fd (if >= 0) polled too, and
   * @extra called when it is readable. Disconnects at the end. */
  void run(const std::function<void(const std::string &line)> &line, int extra_fd = -1,
           const std::function<void()> &extra = nullptr);
};

} // namespace vdi::client
