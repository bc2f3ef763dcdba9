/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdi-input-client: a Wayland client that records the input it receives.
 *
 * It opens one fullscreen xdg_toplevel (painted dark grey) and prints one
 * line per Wayland input event on stdout, flushed at once, so tests can
 * assert on exactly what a real client gets:
 *
 *   configured W H                 window shown at W x H (first frame committed)
 *   capabilities N                 wl_seat capabilities (1 pointer, 2 keyboard)
 *   keymap LAYOUT                  wl_keyboard.keymap; LAYOUT = name of layout 0
 *   kb-enter                       keyboard focus gained
 *   kb-leave
 *   key pressed|released CODE SYM  CODE = evdev key code, SYM = the keysym name(s)
 *                                  (joined with '+') xkbcommon resolves for the key
 *                                  with the keymap and modifiers received
 *   modifiers DEP LAT LOCK GROUP   wl_keyboard.modifiers (decimal masks)
 *   pointer-enter X Y              surface coordinates, 2 decimals
 *   pointer-leave
 *   motion X Y
 *   button CODE pressed|released   CODE = evdev button code (272 = BTN_LEFT)
 *   axis AXIS VALUE                AXIS 0 vertical, 1 horizontal; VALUE 2 decimals
 *   axis-source SOURCE             0 wheel, 1 finger, 2 continuous, 3 wheel tilt
 *   axis-discrete AXIS STEPS
 *   axis-stop AXIS
 *   frame                          wl_pointer.frame
 *   selection MIME...              wl_data_device selection offer (or "none")
 *
 * Options:
 *   --timestamps   append " t=US" to every event line: CLOCK_MONOTONIC in
 *                  microseconds when the client dispatched the event (the
 *                  input latency benchmark compares it with the send time).
 *   --flip         colour-flip mode, for input-to-photon latency: every key
 *                  press flips the whole window between dark (#202020) and
 *                  light (#e0e0e0) and prints "flip N COLOR" (COLOR as
 *                  RRGGBB) once the new frame is committed. A viewer of the
 *                  captured output measures the time from sending a key to
 *                  seeing the colour change.
 *
 * stdin commands: "quit" exits, "size" answers "size W H", "copy FILE" sets
 * the selection (wl_data_device, with the serial of the last key or
 * keyboard enter) to FILE's bytes as text/plain and answers "ok copy"; for
 * compositors without wlr-data-control, where wl-copy cannot set it. Errors go to
 * stderr as "error ..." lines.
 */

#include "client-common.h"

#include <xkbcommon/xkbcommon.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using vdi::client::fail;

bool g_timestamps = false;

void emit(const std::string &line)
{
  if (g_timestamps) {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long us = static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
    fprintf(stdout, "%s t=%lld\n", line.c_str(), us);
  } else {
    fprintf(stdout, "%s\n", line.c_str());
  }
  fflush(stdout);
}

std::string fmt2(double v)
{
  char buf[64];
  snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

struct Client {
  vdi::client::Window win;
  wl_seat *seat = nullptr;
  wl_data_device_manager *ddm = nullptr;
  wl_data_device *data_device = nullptr;
  wl_keyboard *keyboard = nullptr;
  wl_pointer *pointer = nullptr;

  xkb_context *xkb = nullptr;
  xkb_keymap *keymap = nullptr;
  xkb_state *state = nullptr;

  std::vector<std::string> offer_mimes; /* of the last data offer */
  wl_data_offer *selection = nullptr;
  uint32_t input_serial = 0; /* of the last keyboard enter or key */
  std::string copied;        /* what our data source offers */
  wl_data_source *source = nullptr;

  bool flip = false;
  int flips = 0;
  uint32_t color = 0xff202020;
};

/* ---- painting ------------------------------------------------------------ */

void paint(Client &c)
{
  auto *b = vdi::client::ShmBuffer::create(c.win.shm, c.win.width, c.win.height, "vdi-input-client")
              .release();
  std::fill(b->pixels, b->pixels + b->size / 4, c.color);
  b->delete_on_release = true;
  wl_surface_attach(c.win.surface, b->buffer, 0, 0);
  wl_surface_damage_buffer(c.win.surface, 0, 0, c.win.width, c.win.height);
  wl_surface_commit(c.win.surface);
  wl_display_flush(c.win.display);
}

/* ---- keyboard ------------------------------------------------------------ */

void kbKeymap(void *data, wl_keyboard *, uint32_t format, int32_t fd, uint32_t size)
{
  auto *c = static_cast<Client *>(data);
  if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1) {
    close(fd);
    emit("keymap none");
    return;
  }
  void *map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    fail("cannot map the keymap");
    return;
  }
  xkb_keymap *km = xkb_keymap_new_from_buffer(
    c->xkb, static_cast<const char *>(map), strnlen(static_cast<const char *>(map), size),
    XKB_KEYMAP_FORMAT_TEXT_V1, XKB_KEYMAP_COMPILE_NO_FLAGS);
  munmap(map, size);
  if (!km) {
    fail("the compositor sent a keymap xkbcommon cannot compile");
    return;
  }
  if (c->state)
    xkb_state_unref(c->state);
  if (c->keymap)
    xkb_keymap_unref(c->keymap);
  c->keymap = km;
  c->state = xkb_state_new(km);
  const char *name = xkb_keymap_layout_get_name(km, 0);
  emit(std::string("keymap ") + (name ? name : "(unnamed)"));
}

void kbEnter(void *data, wl_keyboard *, uint32_t serial, wl_surface *, wl_array *)
{
  static_cast<Client *>(data)->input_serial = serial;
  emit("kb-enter");
}

void kbLeave(void *, wl_keyboard *, uint32_t, wl_surface *)
{
  emit("kb-leave");
}

void kbKey(void *data, wl_keyboard *, uint32_t serial, uint32_t, uint32_t key, uint32_t state)
{
  auto *c = static_cast<Client *>(data);
  c->input_serial = serial;
  std::string syms;
  if (c->state) {
    const xkb_keysym_t *list = nullptr;
    int n = xkb_state_key_get_syms(c->state, key + 8, &list);
    for (int i = 0; i < n; i++) {
      char name[64];
      xkb_keysym_get_name(list[i], name, sizeof(name));
      syms += (i ? "+" : "") + std::string(name);
    }
  }
  if (syms.empty())
    syms = "NoSymbol";
  bool pressed = state == WL_KEYBOARD_KEY_STATE_PRESSED;
  emit(std::string("key ") + (pressed ? "pressed " : "released ") + std::to_string(key) + " " +
       syms);
  if (pressed && c->flip && c->win.configured) {
    c->color = c->color == 0xff202020 ? 0xffe0e0e0 : 0xff202020;
    paint(*c);
    c->flips++;
    char hex[8];
    snprintf(hex, sizeof(hex), "%06x", c->color & 0xffffff);
    emit("flip " + std::to_string(c->flips) + " " + hex);
  }
}

void kbModifiers(void *data, wl_keyboard *, uint32_t, uint32_t dep, uint32_t lat, uint32_t lock,
                 uint32_t group)
{
  auto *c = static_cast<Client *>(data);
  if (c->state)
    xkb_state_update_mask(c->state, dep, lat, lock, 0, 0, group);
  emit("modifiers " + std::to_string(dep) + " " + std::to_string(lat) + " " + std::to_string(lock) +
       " " + std::to_string(group));
}

void kbRepeat(void *, wl_keyboard *, int32_t, int32_t) {}

const wl_keyboard_listener keyboard_listener = {kbKeymap, kbEnter,     kbLeave,
                                                kbKey,    kbModifiers, kbRepeat};

/* ---- pointer ------------------------------------------------------------- */

void ptrEnter(void *, wl_pointer *, uint32_t, wl_surface *, wl_fixed_t x, wl_fixed_t y)
{
  emit("pointer-enter " + fmt2(wl_fixed_to_double(x)) + " " + fmt2(wl_fixed_to_double(y)));
}
void ptrLeave(void *, wl_pointer *, uint32_t, wl_surface *)
{
  emit("pointer-leave");
}
void ptrMotion(void *, wl_pointer *, uint32_t, wl_fixed_t x, wl_fixed_t y)
{
  emit("motion " + fmt2(wl_fixed_to_double(x)) + " " + fmt2(wl_fixed_to_double(y)));
}
void ptrButton(void *, wl_pointer *, uint32_t, uint32_t, uint32_t button, uint32_t state)
{
  emit("button " + std::to_string(button) +
       (state == WL_POINTER_BUTTON_STATE_PRESSED ? " pressed" : " released"));
}
void ptrAxis(void *, wl_pointer *, uint32_t, uint32_t axis, wl_fixed_t value)
{
  emit("axis " + std::to_string(axis) + " " + fmt2(wl_fixed_to_double(value)));
}
void ptrFrame(void *, wl_pointer *)
{
  emit("frame");
}
void ptrAxisSource(void *, wl_pointer *, uint32_t source)
{
  emit("axis-source " + std::to_string(source));
}
void ptrAxisStop(void *, wl_pointer *, uint32_t, uint32_t axis)
{
  emit("axis-stop " + std::to_string(axis));
}
void ptrAxisDiscrete(void *, wl_pointer *, uint32_t axis, int32_t discrete)
{
  emit("axis-discrete " + std::to_string(axis) + " " + std::to_string(discrete));
}

const wl_pointer_listener pointer_listener = {ptrEnter,      ptrLeave,    ptrMotion,
                                              ptrButton,     ptrAxis,     ptrFrame,
                                              ptrAxisSource, ptrAxisStop, ptrAxisDiscrete};

/* ---- clipboard (wl_data_device) ------------------------------------------ */

/* Someone pastes our selection: write it on a thread (it may be MiBs and
 * the reader may be slow), then close. */
void sourceSend(void *data, wl_data_source *, const char *, int32_t fd)
{
  std::string bytes = static_cast<Client *>(data)->copied;
  /* The compositor may hand over a non-blocking pipe (Mutter does). */
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  std::thread([bytes, fd] {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      off += static_cast<size_t>(n);
    }
    close(fd);
  }).detach();
}
void sourceCancelled(void *data, wl_data_source *source)
{
  auto *c = static_cast<Client *>(data);
  if (c->source == source)
    c->source = nullptr;
  wl_data_source_destroy(source);
}
void sourceTarget(void *, wl_data_source *, const char *) {}
const wl_data_source_listener source_listener = {sourceTarget, sourceSend, sourceCancelled};

void copyFile(Client &c, const std::string &path)
{
  FILE *f = fopen(path.c_str(), "rb");
  if (!f || !c.ddm || !c.data_device) {
    if (f)
      fclose(f);
    fail("cannot copy " + path);
    return;
  }
  c.copied.clear();
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
    c.copied.append(buf, n);
  fclose(f);
  c.source = wl_data_device_manager_create_data_source(c.ddm);
  wl_data_source_add_listener(c.source, &source_listener, &c);
  wl_data_source_offer(c.source, "text/plain;charset=utf-8");
  wl_data_source_offer(c.source, "text/plain");
  wl_data_device_set_selection(c.data_device, c.source, c.input_serial);
  printf("ok copy\n");
  fflush(stdout);
}

void offerOffer(void *data, wl_data_offer *, const char *mime)
{
  static_cast<Client *>(data)->offer_mimes.push_back(mime);
}
void offerSourceActions(void *, wl_data_offer *, uint32_t) {}
void offerAction(void *, wl_data_offer *, uint32_t) {}
const wl_data_offer_listener offer_listener = {offerOffer, offerSourceActions, offerAction};

void ddDataOffer(void *data, wl_data_device *, wl_data_offer *offer)
{
  auto *c = static_cast<Client *>(data);
  c->offer_mimes.clear();
  wl_data_offer_add_listener(offer, &offer_listener, c);
}
void ddEnter(void *, wl_data_device *, uint32_t, wl_surface *, wl_fixed_t, wl_fixed_t,
             wl_data_offer *offer)
{
  if (offer)
    wl_data_offer_destroy(offer);
}
void ddLeave(void *, wl_data_device *) {}
void ddMotion(void *, wl_data_device *, uint32_t, wl_fixed_t, wl_fixed_t) {}
void ddDrop(void *, wl_data_device *) {}
void ddSelection(void *data, wl_data_device *, wl_data_offer *offer)
{
  auto *c = static_cast<Client *>(data);
  if (c->selection)
    wl_data_offer_destroy(c->selection);
  c->selection = offer;
  if (!offer) {
    emit("selection none");
    return;
  }
  std::string line = "selection";
  for (const auto &m : c->offer_mimes)
    line += " " + m;
  emit(line);
}
const wl_data_device_listener data_device_listener = {ddDataOffer, ddEnter, ddLeave,
                                                      ddMotion,    ddDrop,  ddSelection};

/* ---- seat and registry --------------------------------------------------- */

void seatCapabilities(void *data, wl_seat *seat, uint32_t caps)
{
  auto *c = static_cast<Client *>(data);
  emit("capabilities " + std::to_string(caps));
  bool want_kb = caps & WL_SEAT_CAPABILITY_KEYBOARD;
  bool want_ptr = caps & WL_SEAT_CAPABILITY_POINTER;
  if (want_kb && !c->keyboard) {
    c->keyboard = wl_seat_get_keyboard(seat);
    wl_keyboard_add_listener(c->keyboard, &keyboard_listener, c);
  } else if (!want_kb && c->keyboard) {
    wl_keyboard_release(c->keyboard);
    c->keyboard = nullptr;
  }
  if (want_ptr && !c->pointer) {
    c->pointer = wl_seat_get_pointer(seat);
    wl_pointer_add_listener(c->pointer, &pointer_listener, c);
  } else if (!want_ptr && c->pointer) {
    wl_pointer_release(c->pointer);
    c->pointer = nullptr;
  }
}
void seatName(void *, wl_seat *, const char *) {}
const wl_seat_listener seat_listener = {seatCapabilities, seatName};

/* Binds what the window does not: the seat and the data device manager. */
void bindGlobal(Client &c, wl_registry *reg, uint32_t name, const char *iface, uint32_t v)
{
  if (strcmp(iface, wl_seat_interface.name) == 0 && !c.seat)
    c.seat =
      static_cast<wl_seat *>(wl_registry_bind(reg, name, &wl_seat_interface, std::min(v, 7u)));
  else if (strcmp(iface, wl_data_device_manager_interface.name) == 0)
    c.ddm = static_cast<wl_data_device_manager *>(
      wl_registry_bind(reg, name, &wl_data_device_manager_interface, std::min(v, 3u)));
}

/* One line of stdin. */
void command(Client &c, const std::string &line)
{
  if (line == "quit")
    c.win.running = false;
  else if (line == "size")
    printf("size %d %d\n", c.win.width, c.win.height), fflush(stdout);
  else if (line.rfind("copy ", 0) == 0)
    copyFile(c, line.substr(5));
  else if (!line.empty())
    fail("unknown command: " + line);
}

} // namespace

int main(int argc, char **argv)
{
  Client c;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--timestamps") == 0)
      g_timestamps = true;
    else if (strcmp(argv[i], "--flip") == 0)
      c.flip = true;
    else {
      fail(std::string("unknown option ") + argv[i]);
      return 2;
    }
  }
  c.xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
  c.win.global = [&c](wl_registry *reg, uint32_t name, const char *iface, uint32_t v) {
    bindGlobal(c, reg, name, iface, v);
  };
  c.win.resized = [&c](int, int) {
    paint(c);
    wl_display_roundtrip(c.win.display);
    emit("configured " + std::to_string(c.win.width) + " " + std::to_string(c.win.height));
  };
  if (!c.win.connect())
    return 1;
  if (!c.seat) {
    fail("compositor lacks wl_seat");
    return 1;
  }
  wl_seat_add_listener(c.seat, &seat_listener, &c);
  if (c.ddm) {
    c.data_device = wl_data_device_manager_get_data_device(c.ddm, c.seat);
    wl_data_device_add_listener(c.data_device, &data_device_listener, &c);
  }
  c.win.show("vdi-input-client", "vdi-input-client");
  c.win.run([&c](const std::string &line) { command(c, line); });
  return 0;
}
