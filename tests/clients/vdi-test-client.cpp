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

#include "client-common.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <sys/timerfd.h>
#include <unistd.h>
#include <vector>

namespace {

using vdi::client::fail;
using vdi::client::ShmBuffer;

struct Client {
  vdi::client::Window win;

  /* The picture as we want it; buffers are repainted from it. */
  std::vector<uint32_t> canvas;
  std::unique_ptr<ShmBuffer> buffers[3];

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

ShmBuffer *freeBuffer(Client &c)
{
  for (auto &b : c.buffers) {
    if (b && (b->width != c.win.width || b->height != c.win.height) && !b->busy)
      b.reset();
    if (!b)
      b = ShmBuffer::create(c.win.shm, c.win.width, c.win.height, "vdi-test-client");
    if (!b->busy)
      return b.get();
  }
  return nullptr;
}

void fillRect(Client &c, int x, int y, int w, int h, uint32_t color)
{
  int x2 = std::min(c.win.width, x + w), y2 = std::min(c.win.height, y + h);
  for (int j = std::max(0, y); j < y2; j++)
    std::fill(c.canvas.begin() + static_cast<long>(j) * c.win.width + std::max(0, x),
              c.canvas.begin() + static_cast<long>(j) * c.win.width + x2, color);
}

/* Copies the canvas into a free buffer and commits it with @damage. */
void present(Client &c, int dx, int dy, int dw, int dh)
{
  ShmBuffer *b = freeBuffer(c);
  if (!b) {
    /* All buffers are with the compositor; wait for one. */
    while (!(b = freeBuffer(c)))
      if (wl_display_dispatch(c.win.display) < 0)
        exit(1);
  }
  std::copy(c.canvas.begin(), c.canvas.end(), b->pixels);
  b->busy = true;
  wl_surface_attach(c.win.surface, b->buffer, 0, 0);
  wl_surface_damage_buffer(c.win.surface, dx, dy, dw, dh);
  wl_surface_commit(c.win.surface);
  wl_display_flush(c.win.display);
}

void presentAll(Client &c)
{
  present(c, 0, 0, c.win.width, c.win.height);
}

/* The window got its new size: keep what fits of the @ow x @oh canvas. */
void resizeCanvas(Client &c, int ow, int oh)
{
  std::vector<uint32_t> old = std::move(c.canvas);
  int w = c.win.width, h = c.win.height;
  c.canvas.assign(static_cast<size_t>(w) * h, 0xff202020);
  for (int j = 0; j < std::min(h, oh); j++)
    for (int i = 0; i < std::min(w, ow); i++)
      c.canvas[static_cast<size_t>(j) * w + i] = old[static_cast<size_t>(j) * ow + i];
}

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
  int span = std::max(1, c.win.width - kSquare);
  c.square_x = (c.frame_no * 8) % span;
  c.square_y = (c.win.height - kSquare) / 2;
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
    fillRect(c, 0, 0, c.win.width, c.win.height, color);
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
    fillRect(c, 0, 0, c.win.width, c.win.height, 0xff202020);
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
    reply("size " + std::to_string(c.win.width) + " " + std::to_string(c.win.height));
    return;
  } else if (cmd == "quit") {
    c.win.running = false;
  } else {
    return fail("unknown command: " + cmd);
  }
  /* The compositor has the commit once it answered a sync. */
  wl_display_roundtrip(c.win.display);
  reply("ok " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
  Client c;
  c.win.resized = [&c](int old_w, int old_h) {
    resizeCanvas(c, old_w, old_h);
    presentAll(c);
    reply("configured " + std::to_string(c.win.width) + " " + std::to_string(c.win.height));
  };
  if (!c.win.connect())
    return 1;
  c.win.show(argc > 1 ? argv[1] : "vdi-test-client", "vdi-test-client");

  c.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  c.win.run(
    [&c](const std::string &line) {
      if (c.win.configured)
        handleCommand(c, line);
      else
        fail("not configured yet: " + line);
    },
    c.timer_fd,
    [&c] {
      uint64_t expirations;
      if (read(c.timer_fd, &expirations, sizeof(expirations)) > 0 && c.animating &&
          c.win.configured)
        animateStep(c);
    });
  return 0;
}
