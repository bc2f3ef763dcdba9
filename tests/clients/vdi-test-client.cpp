/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdi-test-client: a Wayland client that paints what a test asks.
 *
 * It opens one fullscreen xdg_toplevel and reads commands, one per line, on
 * stdin. Every command answers one line on stdout once its frame has been
 * committed, so a test knows when the compositor has it:
 *
 *   color RRGGBB            fill the window               -> "ok color"
 *   rect X Y W H RRGGBB     paint a box, damage only it   -> "ok rect"
 *   animate FPS             a 64x64 white square crosses a dark window at
 *                           FPS frames per second         -> "ok animate"
 *   stop                    stop animating                -> "ok stop"
 *   size                    report the window size        -> "size W H"
 *   quit                    exit                          -> "ok quit"
 *
 * On start and whenever the compositor resizes the window it prints
 * "configured W H" after the first frame of that size is committed. Errors
 * go to stderr as "error ..." lines.
 */

#include "xdg-shell-client-protocol.h"

#include <wayland-client.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <vector>

namespace {

struct Buffer {
  wl_buffer *buffer = nullptr;
  uint32_t *pixels = nullptr;
  size_t size = 0;
  int width = 0, height = 0;
  bool busy = false;
  ~Buffer()
  {
    if (buffer)
      wl_buffer_destroy(buffer);
    if (pixels)
      munmap(pixels, size);
  }
};

struct Client {
  wl_display *display = nullptr;
  wl_compositor *compositor = nullptr;
  wl_shm *shm = nullptr;
  xdg_wm_base *wm_base = nullptr;
  wl_surface *surface = nullptr;
  xdg_surface *xsurface = nullptr;
  xdg_toplevel *toplevel = nullptr;

  int width = 0, height = 0;        /* current size */
  int pending_w = 0, pending_h = 0; /* from the last toplevel.configure */
  bool configured = false;
  bool running = true;

  /* The picture as we want it; buffers are repainted from it. */
  std::vector<uint32_t> canvas;
  std::unique_ptr<Buffer> buffers[3];

  /* animation */
  int timer_fd = -1;
  bool animating = false;
  int square_x = 0;
  int square_y = 0;
  int frame_no = 0;
};

void reply(const std::string &line)
{
  fprintf(stdout, "%s\n", line.c_str());
  fflush(stdout);
}

void fail(const std::string &message)
{
  fprintf(stderr, "error %s\n", message.c_str());
  fflush(stderr);
}

void bufferRelease(void *data, wl_buffer *)
{
  static_cast<Buffer *>(data)->busy = false;
}
const wl_buffer_listener buffer_listener = {bufferRelease};

Buffer *freeBuffer(Client &c)
{
  for (auto &b : c.buffers) {
    if (b && (b->width != c.width || b->height != c.height) && !b->busy)
      b.reset();
    if (!b) {
      b = std::make_unique<Buffer>();
      b->width = c.width;
      b->height = c.height;
      b->size = static_cast<size_t>(c.width) * c.height * 4;
      int fd = memfd_create("vdi-test-client", MFD_CLOEXEC);
      if (fd < 0 || ftruncate(fd, static_cast<off_t>(b->size)) < 0) {
        fail("cannot allocate shared memory");
        exit(1);
      }
      b->pixels =
        static_cast<uint32_t *>(mmap(nullptr, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
      wl_shm_pool *pool = wl_shm_create_pool(c.shm, fd, static_cast<int32_t>(b->size));
      b->buffer =
        wl_shm_pool_create_buffer(pool, 0, c.width, c.height, c.width * 4, WL_SHM_FORMAT_XRGB8888);
      wl_buffer_add_listener(b->buffer, &buffer_listener, b.get());
      wl_shm_pool_destroy(pool);
      close(fd);
    }
    if (!b->busy)
      return b.get();
  }
  return nullptr;
}

void fillRect(Client &c, int x, int y, int w, int h, uint32_t color)
{
  int x2 = std::min(c.width, x + w), y2 = std::min(c.height, y + h);
  for (int j = std::max(0, y); j < y2; j++)
    std::fill(c.canvas.begin() + static_cast<long>(j) * c.width + std::max(0, x),
              c.canvas.begin() + static_cast<long>(j) * c.width + x2, color);
}

/* Copies the canvas into a free buffer and commits it with @damage. */
void present(Client &c, int dx, int dy, int dw, int dh)
{
  Buffer *b = freeBuffer(c);
  if (!b) {
    /* All buffers are with the compositor; wait for one. */
    while (!(b = freeBuffer(c)))
      if (wl_display_dispatch(c.display) < 0)
        exit(1);
  }
  std::copy(c.canvas.begin(), c.canvas.end(), b->pixels);
  b->busy = true;
  wl_surface_attach(c.surface, b->buffer, 0, 0);
  wl_surface_damage_buffer(c.surface, dx, dy, dw, dh);
  wl_surface_commit(c.surface);
  wl_display_flush(c.display);
}

void presentAll(Client &c)
{
  present(c, 0, 0, c.width, c.height);
}

void resizeCanvas(Client &c, int w, int h)
{
  std::vector<uint32_t> old = std::move(c.canvas);
  int ow = c.width, oh = c.height;
  c.width = w;
  c.height = h;
  c.canvas.assign(static_cast<size_t>(w) * h, 0xff202020);
  for (int j = 0; j < std::min(h, oh); j++)
    for (int i = 0; i < std::min(w, ow); i++)
      c.canvas[static_cast<size_t>(j) * w + i] = old[static_cast<size_t>(j) * ow + i];
}

void wmBasePing(void *, xdg_wm_base *base, uint32_t serial)
{
  xdg_wm_base_pong(base, serial);
}
const xdg_wm_base_listener wm_base_listener = {wmBasePing};

void toplevelConfigure(void *data, xdg_toplevel *, int32_t w, int32_t h, wl_array *)
{
  auto *c = static_cast<Client *>(data);
  c->pending_w = w;
  c->pending_h = h;
}
void toplevelClose(void *data, xdg_toplevel *)
{
  static_cast<Client *>(data)->running = false;
}
void toplevelConfigureBounds(void *, xdg_toplevel *, int32_t, int32_t) {}
void toplevelWmCapabilities(void *, xdg_toplevel *, wl_array *) {}
const xdg_toplevel_listener toplevel_listener = {toplevelConfigure, toplevelClose,
                                                 toplevelConfigureBounds, toplevelWmCapabilities};

void surfaceConfigure(void *data, xdg_surface *surface, uint32_t serial)
{
  auto *c = static_cast<Client *>(data);
  xdg_surface_ack_configure(surface, serial);
  int w = c->pending_w > 0 ? c->pending_w : 640;
  int h = c->pending_h > 0 ? c->pending_h : 480;
  if (!c->configured || w != c->width || h != c->height) {
    resizeCanvas(*c, w, h);
    presentAll(*c);
    c->configured = true;
    reply("configured " + std::to_string(w) + " " + std::to_string(h));
  }
}
const xdg_surface_listener surface_listener = {surfaceConfigure};

void registryGlobal(void *data, wl_registry *reg, uint32_t name, const char *iface, uint32_t v)
{
  auto *c = static_cast<Client *>(data);
  if (strcmp(iface, wl_compositor_interface.name) == 0)
    c->compositor = static_cast<wl_compositor *>(
      wl_registry_bind(reg, name, &wl_compositor_interface, std::min(v, 4u)));
  else if (strcmp(iface, wl_shm_interface.name) == 0)
    c->shm = static_cast<wl_shm *>(wl_registry_bind(reg, name, &wl_shm_interface, 1));
  else if (strcmp(iface, xdg_wm_base_interface.name) == 0)
    c->wm_base = static_cast<xdg_wm_base *>(
      wl_registry_bind(reg, name, &xdg_wm_base_interface, std::min(v, 4u)));
}
void registryRemove(void *, wl_registry *, uint32_t) {}
const wl_registry_listener registry_listener = {registryGlobal, registryRemove};

bool parseColor(const std::string &s, uint32_t *out)
{
  if (s.size() != 6 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return false;
  *out = 0xff000000u | static_cast<uint32_t>(strtoul(s.c_str(), nullptr, 16));
  return true;
}

constexpr int kSquare = 64;

void animateStep(Client &c)
{
  int ox = c.square_x, oy = c.square_y;
  fillRect(c, ox, oy, kSquare, kSquare, 0xff202020);
  c.frame_no++;
  int span = std::max(1, c.width - kSquare);
  c.square_x = (c.frame_no * 8) % span;
  c.square_y = (c.height - kSquare) / 2;
  fillRect(c, c.square_x, c.square_y, kSquare, kSquare, 0xffffffff);
  int x1 = std::min(ox, c.square_x), x2 = std::max(ox, c.square_x) + kSquare;
  present(c, x1, std::min(oy, c.square_y), x2 - x1, kSquare + std::abs(oy - c.square_y));
}

void handleCommand(Client &c, const std::string &line)
{
  std::istringstream in(line);
  std::string cmd;
  in >> cmd;
  if (cmd.empty())
    return;
  if (cmd == "color") {
    std::string hex;
    uint32_t color;
    in >> hex;
    if (!parseColor(hex, &color))
      return fail("bad color: " + line);
    fillRect(c, 0, 0, c.width, c.height, color);
    presentAll(c);
  } else if (cmd == "rect") {
    int x, y, w, h;
    std::string hex;
    uint32_t color;
    if (!(in >> x >> y >> w >> h >> hex) || !parseColor(hex, &color))
      return fail("bad rect: " + line);
    fillRect(c, x, y, w, h, color);
    present(c, x, y, w, h);
  } else if (cmd == "animate") {
    int fps = 0;
    if (!(in >> fps) || fps <= 0 || fps > 1000)
      return fail("bad animate: " + line);
    fillRect(c, 0, 0, c.width, c.height, 0xff202020);
    presentAll(c);
    itimerspec spec = {};
    spec.it_interval.tv_nsec = 1000000000L / fps;
    spec.it_value.tv_nsec = spec.it_interval.tv_nsec;
    timerfd_settime(c.timer_fd, 0, &spec, nullptr);
    c.animating = true;
  } else if (cmd == "stop") {
    itimerspec spec = {};
    timerfd_settime(c.timer_fd, 0, &spec, nullptr);
    c.animating = false;
  } else if (cmd == "size") {
    reply("size " + std::to_string(c.width) + " " + std::to_string(c.height));
    return;
  } else if (cmd == "quit") {
    c.running = false;
  } else {
    return fail("unknown command: " + cmd);
  }
  /* The compositor has the commit once it answered a sync. */
  wl_display_roundtrip(c.display);
  reply("ok " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
  Client c;
  c.display = wl_display_connect(nullptr);
  if (!c.display) {
    fail("cannot connect to the Wayland display");
    return 1;
  }
  wl_registry *registry = wl_display_get_registry(c.display);
  wl_registry_add_listener(registry, &registry_listener, &c);
  wl_display_roundtrip(c.display);
  if (!c.compositor || !c.shm || !c.wm_base) {
    fail("compositor lacks wl_compositor, wl_shm or xdg_wm_base");
    return 1;
  }
  xdg_wm_base_add_listener(c.wm_base, &wm_base_listener, &c);
  c.surface = wl_compositor_create_surface(c.compositor);
  c.xsurface = xdg_wm_base_get_xdg_surface(c.wm_base, c.surface);
  xdg_surface_add_listener(c.xsurface, &surface_listener, &c);
  c.toplevel = xdg_surface_get_toplevel(c.xsurface);
  xdg_toplevel_add_listener(c.toplevel, &toplevel_listener, &c);
  xdg_toplevel_set_title(c.toplevel, argc > 1 ? argv[1] : "vdi-test-client");
  xdg_toplevel_set_app_id(c.toplevel, "vdi-test-client");
  xdg_toplevel_set_fullscreen(c.toplevel, nullptr);
  wl_surface_commit(c.surface);

  c.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  std::string input;
  while (c.running) {
    while (wl_display_prepare_read(c.display) != 0)
      wl_display_dispatch_pending(c.display);
    wl_display_flush(c.display);
    pollfd fds[3] = {{wl_display_get_fd(c.display), POLLIN, 0},
                     {STDIN_FILENO, POLLIN, 0},
                     {c.timer_fd, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0 && errno != EINTR) {
      wl_display_cancel_read(c.display);
      break;
    }
    if (fds[0].revents & POLLIN) {
      if (wl_display_read_events(c.display) < 0)
        break;
    } else {
      wl_display_cancel_read(c.display);
    }
    if (fds[0].revents & (POLLHUP | POLLERR))
      break;
    if (wl_display_dispatch_pending(c.display) < 0)
      break;

    if (fds[2].revents & POLLIN) {
      uint64_t expirations;
      if (read(c.timer_fd, &expirations, sizeof(expirations)) > 0 && c.animating && c.configured)
        animateStep(c);
    }
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
        if (c.configured)
          handleCommand(c, line);
        else
          fail("not configured yet: " + line);
      }
    }
  }
  wl_display_disconnect(c.display);
  return 0;
}
