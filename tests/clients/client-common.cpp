/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "client-common.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vdi::client {

namespace {

void bufferRelease(void *data, wl_buffer *)
{
  auto *b = static_cast<ShmBuffer *>(data);
  b->busy = false;
  if (b->delete_on_release)
    delete b;
}
const wl_buffer_listener buffer_listener = {bufferRelease};

void wmBasePing(void *, xdg_wm_base *base, uint32_t serial)
{
  xdg_wm_base_pong(base, serial);
}
const xdg_wm_base_listener wm_base_listener = {wmBasePing};

void toplevelConfigure(void *data, xdg_toplevel *, int32_t w, int32_t h, wl_array *)
{
  auto *win = static_cast<Window *>(data);
  win->pending_w = w;
  win->pending_h = h;
}
void toplevelClose(void *data, xdg_toplevel *)
{
  static_cast<Window *>(data)->running = false;
}
void toplevelConfigureBounds(void *, xdg_toplevel *, int32_t, int32_t) {}
void toplevelWmCapabilities(void *, xdg_toplevel *, wl_array *) {}
const xdg_toplevel_listener toplevel_listener = {toplevelConfigure, toplevelClose,
                                                 toplevelConfigureBounds, toplevelWmCapabilities};

void surfaceConfigure(void *data, xdg_surface *surface, uint32_t serial)
{
  auto *win = static_cast<Window *>(data);
  xdg_surface_ack_configure(surface, serial);
  int w = win->pending_w > 0 ? win->pending_w : 640;
  int h = win->pending_h > 0 ? win->pending_h : 480;
  if (win->configured && w == win->width && h == win->height)
    return;
  int old_w = win->width, old_h = win->height;
  win->width = w;
  win->height = h;
  win->configured = true;
  if (win->resized)
    win->resized(old_w, old_h);
}
const xdg_surface_listener surface_listener = {surfaceConfigure};

void registryGlobal(void *data, wl_registry *reg, uint32_t name, const char *iface, uint32_t v)
{
  auto *win = static_cast<Window *>(data);
  if (strcmp(iface, wl_compositor_interface.name) == 0)
    win->compositor = static_cast<wl_compositor *>(
      wl_registry_bind(reg, name, &wl_compositor_interface, std::min(v, 4u)));
  else if (strcmp(iface, wl_shm_interface.name) == 0)
    win->shm = static_cast<wl_shm *>(wl_registry_bind(reg, name, &wl_shm_interface, 1));
  else if (strcmp(iface, xdg_wm_base_interface.name) == 0)
    win->wm_base = static_cast<xdg_wm_base *>(
      wl_registry_bind(reg, name, &xdg_wm_base_interface, std::min(v, 4u)));
  else if (win->global)
    win->global(reg, name, iface, v);
}
void registryRemove(void *, wl_registry *, uint32_t) {}
const wl_registry_listener registry_listener = {registryGlobal, registryRemove};

} // namespace

void fail(const std::string &message)
{
  fprintf(stderr, "error %s\n", message.c_str());
  fflush(stderr);
}

std::unique_ptr<ShmBuffer> ShmBuffer::create(wl_shm *shm, int width, int height, const char *name)
{
  auto b = std::make_unique<ShmBuffer>();
  b->width = width;
  b->height = height;
  b->size = static_cast<size_t>(width) * height * 4;
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, static_cast<off_t>(b->size)) < 0) {
    fail("cannot allocate shared memory");
    exit(1);
  }
  b->pixels =
    static_cast<uint32_t *>(mmap(nullptr, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  wl_shm_pool *pool = wl_shm_create_pool(shm, fd, static_cast<int32_t>(b->size));
  b->buffer = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4, WL_SHM_FORMAT_XRGB8888);
  wl_buffer_add_listener(b->buffer, &buffer_listener, b.get());
  wl_shm_pool_destroy(pool);
  close(fd);
  return b;
}

ShmBuffer::~ShmBuffer()
{
  if (buffer)
    wl_buffer_destroy(buffer);
  if (pixels)
    munmap(pixels, size);
}

bool Window::connect()
{
  display = wl_display_connect(nullptr);
  if (!display) {
    fail("cannot connect to the Wayland display");
    return false;
  }
  registry = wl_display_get_registry(display);
  wl_registry_add_listener(registry, &registry_listener, this);
  wl_display_roundtrip(display);
  if (!compositor || !shm || !wm_base) {
    fail("compositor lacks wl_compositor, wl_shm or xdg_wm_base");
    return false;
  }
  xdg_wm_base_add_listener(wm_base, &wm_base_listener, this);
  return true;
}

void Window::show(const char *title, const char *app_id)
{
  surface = wl_compositor_create_surface(compositor);
  xsurface = xdg_wm_base_get_xdg_surface(wm_base, surface);
  xdg_surface_add_listener(xsurface, &surface_listener, this);
  toplevel = xdg_surface_get_toplevel(xsurface);
  xdg_toplevel_add_listener(toplevel, &toplevel_listener, this);
  xdg_toplevel_set_title(toplevel, title);
  xdg_toplevel_set_app_id(toplevel, app_id);
  xdg_toplevel_set_fullscreen(toplevel, nullptr);
  wl_surface_commit(surface);
}

void Window::run(const std::function<void(const std::string &line)> &line, int extra_fd,
                 const std::function<void()> &extra)
{
  std::string input;
  while (running) {
    while (wl_display_prepare_read(display) != 0)
      wl_display_dispatch_pending(display);
    wl_display_flush(display);
    pollfd fds[3] = {
      {wl_display_get_fd(display), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}, {extra_fd, POLLIN, 0}};
    if (poll(fds, extra_fd >= 0 ? 3 : 2, -1) < 0 && errno != EINTR) {
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

    if (extra_fd >= 0 && (fds[2].revents & POLLIN) && extra)
      extra();
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      char chunk[4096];
      ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
      if (n <= 0)
        break; /* the test went away */
      input.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = input.find('\n')) != std::string::npos) {
        std::string one = input.substr(0, nl);
        input.erase(0, nl + 1);
        line(one);
      }
    }
  }
  wl_display_disconnect(display);
}

} // namespace vdi::client
