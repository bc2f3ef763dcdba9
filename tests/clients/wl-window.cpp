/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "wl-window.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vdi::clients {

void fail(const std::string &message)
{
  fprintf(stderr, "error %s\n", message.c_str());
  fflush(stderr);
}

void reply(const std::string &line)
{
  fprintf(stdout, "%s\n", line.c_str());
  fflush(stdout);
}

/* ---- ShmBuffer ------------------------------------------------------------ */

ShmBuffer::ShmBuffer(wl_shm *shm, int width, int height) : width_(width), height_(height)
{
  size_ = static_cast<size_t>(width) * height * 4;
  int fd = memfd_create("vdi-test-client", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, static_cast<off_t>(size_)) < 0) {
    fail("cannot allocate shared memory");
    exit(1);
  }
  pixels_ =
    static_cast<uint32_t *>(mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  if (pixels_ == MAP_FAILED) {
    fail("cannot map shared memory");
    exit(1);
  }
  wl_shm_pool *pool = wl_shm_create_pool(shm, fd, static_cast<int32_t>(size_));
  buffer_ = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4, WL_SHM_FORMAT_XRGB8888);
  static const wl_buffer_listener release = {
    [](void *data, wl_buffer *) { static_cast<ShmBuffer *>(data)->busy = false; }};
  wl_buffer_add_listener(buffer_, &release, this);
  wl_shm_pool_destroy(pool);
  close(fd);
}

ShmBuffer::~ShmBuffer()
{
  if (buffer_)
    wl_buffer_destroy(buffer_);
  if (pixels_)
    munmap(pixels_, size_);
}

/* ---- WlWindow ------------------------------------------------------------- */

const wl_registry_listener WlWindow::registry_listener = {
  [](void *data, wl_registry *reg, uint32_t name, const char *iface, uint32_t v) {
    auto *w = static_cast<WlWindow *>(data);
    if (strcmp(iface, wl_compositor_interface.name) == 0)
      w->compositor = static_cast<wl_compositor *>(
        wl_registry_bind(reg, name, &wl_compositor_interface, std::min(v, 4u)));
    else if (strcmp(iface, wl_shm_interface.name) == 0)
      w->shm = static_cast<wl_shm *>(wl_registry_bind(reg, name, &wl_shm_interface, 1));
    else if (strcmp(iface, xdg_wm_base_interface.name) == 0)
      w->wm_base = static_cast<xdg_wm_base *>(
        wl_registry_bind(reg, name, &xdg_wm_base_interface, std::min(v, 4u)));
    else if (w->extra_)
      w->extra_(reg, name, iface, v);
  },
  [](void *, wl_registry *, uint32_t) {}};

const xdg_wm_base_listener WlWindow::wm_base_listener = {
  [](void *, xdg_wm_base *base, uint32_t serial) { xdg_wm_base_pong(base, serial); }};

const xdg_toplevel_listener WlWindow::toplevel_listener = {
  [](void *data, xdg_toplevel *, int32_t w, int32_t h, wl_array *) {
    auto *self = static_cast<WlWindow *>(data);
    self->pending_w_ = w;
    self->pending_h_ = h;
  },
  [](void *data, xdg_toplevel *) { static_cast<WlWindow *>(data)->running = false; },
  [](void *, xdg_toplevel *, int32_t, int32_t) {}, [](void *, xdg_toplevel *, wl_array *) {}};

const xdg_surface_listener WlWindow::surface_listener = {
  [](void *data, xdg_surface *surface, uint32_t serial) {
    auto *self = static_cast<WlWindow *>(data);
    xdg_surface_ack_configure(surface, serial);
    int w = self->pending_w_ > 0 ? self->pending_w_ : 640;
    int h = self->pending_h_ > 0 ? self->pending_h_ : 480;
    if (!self->configured || w != self->width || h != self->height) {
      int old_w = self->width, old_h = self->height;
      self->width = w;
      self->height = h;
      /* Before the handler: a configure it dispatches (a roundtrip) with
       * the same size is not a new one. */
      self->configured = true;
      if (self->on_configure)
        self->on_configure(old_w, old_h);
    }
  }};

bool WlWindow::connect(const GlobalHandler &extra)
{
  display = wl_display_connect(nullptr);
  if (!display) {
    fail("cannot connect to the Wayland display");
    return false;
  }
  extra_ = extra;
  registry_ = wl_display_get_registry(display);
  wl_registry_add_listener(registry_, &registry_listener, this);
  wl_display_roundtrip(display);
  if (!compositor || !shm || !wm_base) {
    fail("compositor lacks wl_compositor, wl_shm or xdg_wm_base");
    return false;
  }
  xdg_wm_base_add_listener(wm_base, &wm_base_listener, this);
  return true;
}

void WlWindow::show(const char *title, const char *app_id)
{
  surface = wl_compositor_create_surface(compositor);
  xsurface_ = xdg_wm_base_get_xdg_surface(wm_base, surface);
  xdg_surface_add_listener(xsurface_, &surface_listener, this);
  toplevel_ = xdg_surface_get_toplevel(xsurface_);
  xdg_toplevel_add_listener(toplevel_, &toplevel_listener, this);
  xdg_toplevel_set_title(toplevel_, title);
  xdg_toplevel_set_app_id(toplevel_, app_id);
  xdg_toplevel_set_fullscreen(toplevel_, nullptr);
  wl_surface_commit(surface);
}

void WlWindow::commit(wl_buffer *buffer, int x, int y, int w, int h)
{
  wl_surface_attach(surface, buffer, 0, 0);
  wl_surface_damage_buffer(surface, x, y, w, h);
  wl_surface_commit(surface);
  wl_display_flush(display);
}

void WlWindow::run(const std::function<void(const std::string &line)> &on_line, int fd,
                   const std::function<void()> &on_fd)
{
  std::string input;
  while (running) {
    while (wl_display_prepare_read(display) != 0)
      wl_display_dispatch_pending(display);
    wl_display_flush(display);
    pollfd fds[3] = {
      {wl_display_get_fd(display), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}, {fd, POLLIN, 0}};
    if (poll(fds, fd >= 0 ? 3 : 2, -1) < 0 && errno != EINTR) {
      wl_display_cancel_read(display);
      break;
    }
    if (fds[0].revents & POLLIN) {
      if (wl_display_read_events(display) < 0)
        break;
    } else {
      wl_display_cancel_read(display);
    }
    if (fds[0].revents & (POLLHUP | POLLERR))
      break;
    if (wl_display_dispatch_pending(display) < 0)
      break;
    if (fd >= 0 && (fds[2].revents & POLLIN) && on_fd)
      on_fd();
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      char chunk[4096];
      ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
      if (n <= 0)
        break; /* the test went away */
      input.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = input.find('\n')) != std::string::npos) {
        std::string line = input.substr(0, nl);
        input.erase(0, nl + 1);
        on_line(line);
      }
    }
  }
}

WlWindow::~WlWindow()
{
  if (toplevel_)
    xdg_toplevel_destroy(toplevel_);
  if (xsurface_)
    xdg_surface_destroy(xsurface_);
  if (surface)
    wl_surface_destroy(surface);
  if (wm_base)
    xdg_wm_base_destroy(wm_base);
  if (shm)
    wl_shm_destroy(shm);
  if (compositor)
    wl_compositor_destroy(compositor);
  if (registry_)
    wl_registry_destroy(registry_);
  if (display)
    wl_display_disconnect(display);
}

} // namespace vdi::clients
