/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "injector.h"

#include "clipboard.h"
#include "input-message.h"
#include "keymap.h"

#include "virtual-keyboard-unstable-v1-client-protocol.h"
#include "wlr-virtual-pointer-unstable-v1-client-protocol.h"

#include <gst/video/navigation.h>
#include <linux/input-event-codes.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <optional>
#include <sys/mman.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC(vdi_injector_debug);
#define GST_CAT_DEFAULT vdi_injector_debug

namespace vdi {

namespace {

/* Sub-pixel resolution of absolute motion (motion_absolute takes uints). */
constexpr uint32_t kSubpixel = 256;
/* Wayland scroll distance of one wheel click (what libinput reports). */
constexpr double kWheelStep = 15.0;

uint32_t timeMs()
{
  return static_cast<uint32_t>(g_get_monotonic_time() / 1000);
}

} // namespace

uint32_t evdevButton(int button)
{
  switch (button) {
  case 1:
    return BTN_LEFT;
  case 2:
    return BTN_MIDDLE;
  case 3:
    return BTN_RIGHT;
  case 4:
  case 8:
    return BTN_SIDE; /* back */
  case 5:
  case 9:
    return BTN_EXTRA; /* forward */
  default:
    return 0;
  }
}

KeymapNames keymapNamesFrom(const GstStructure *s)
{
  auto get = [s](const char *f) {
    const char *v = gst_structure_get_string(s, f);
    return std::string(v ? v : "");
  };
  KeymapNames names;
  names.layout = get("layout");
  names.rules = get("rules");
  names.model = get("model");
  names.variant = get("variant");
  names.options = get("options");
  return names;
}

namespace {

struct XkbStateUnref {
  void operator()(xkb_state *s) const { xkb_state_unref(s); }
};

} // namespace

/* The wlroots injector: virtual keyboard and pointer, data control. */
class WlrInjector final : public Injector
{
public:
  ~WlrInjector() override;
  Result inject(GstEvent *event, std::string *error) override;
  void releaseAll() override;
  void setClipboardLimit(size_t bytes) override;
  std::string outputName() const override;

  struct Impl;
  WaylandConnectionPtr conn_;
  std::shared_ptr<Impl> impl_;
};

struct WlrInjector::Impl {
  WaylandConnection &conn;
  InjectorOptions options;

  zwp_virtual_keyboard_manager_v1 *kb_manager = nullptr;
  zwlr_virtual_pointer_manager_v1 *ptr_manager = nullptr;
  zwp_virtual_keyboard_v1 *keyboard = nullptr;
  zwlr_virtual_pointer_v1 *pointer = nullptr;
  std::unique_ptr<Clipboard> clipboard;
  std::string output_name;

  Keymap keymap;
  std::unique_ptr<xkb_state, XkbStateUnref> state;
  /* Keys down: identity ("sym:N" / "code:KeyA") -> keycode. */
  std::map<std::string, xkb_keycode_t> held;
  std::vector<uint32_t> buttons; /* evdev codes held */
  bool touch_active = false;
  uint32_t touch_id = 0;
  struct {
    uint32_t dep = ~0u, lat = ~0u, lock = ~0u, group = ~0u;
  } sent;

  explicit Impl(WaylandConnection &c) : conn(c) {}

  ~Impl()
  {
    releaseAll();
    clipboard.reset();
    if (keyboard)
      zwp_virtual_keyboard_v1_destroy(keyboard);
    if (pointer)
      zwlr_virtual_pointer_v1_destroy(pointer);
    if (kb_manager)
      zwp_virtual_keyboard_manager_v1_destroy(kb_manager);
    if (ptr_manager)
      zwlr_virtual_pointer_manager_v1_destroy(ptr_manager);
    if (!conn.failed())
      wl_display_flush(conn.display());
  }

  /* ---- keyboard ---- */

  bool uploadKeymap(std::string *error)
  {
    const std::string &text = keymap.text();
    int fd = memfd_create("vdi-keymap", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
      *error = std::string("memfd_create: ") + g_strerror(errno);
      return false;
    }
    size_t size = text.size() + 1; /* with the NUL, as wl_keyboard.keymap expects */
    const char *p = text.c_str();
    size_t left = size;
    while (left > 0) {
      ssize_t n = write(fd, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        *error = std::string("writing the keymap: ") + g_strerror(errno);
        close(fd);
        return false;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    zwp_virtual_keyboard_v1_keymap(keyboard, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd,
                                   static_cast<uint32_t>(size));
    close(fd);
    /* New state for the new keymap, with the keys still down. */
    state.reset(xkb_state_new(keymap.keymap()));
    for (const auto &h : held)
      xkb_state_update_key(state.get(), h.second, XKB_KEY_DOWN);
    sent = {};
    sendModifiers(0, 0, -1);
    GST_DEBUG("keymap %s uploaded (%zu bytes, %zu temporary keys)",
              keymap.names().describe().c_str(), size, keymap.temporaryCount());
    return true;
  }

  /* Sends the modifiers of the keys held, with @clear removed and @extra
   * added; @group overrides the layout when >= 0. */
  void sendModifiers(xkb_mod_mask_t extra, xkb_mod_mask_t clear, int group)
  {
    uint32_t dep = xkb_state_serialize_mods(state.get(), XKB_STATE_MODS_DEPRESSED);
    uint32_t lat = xkb_state_serialize_mods(state.get(), XKB_STATE_MODS_LATCHED);
    uint32_t lock = xkb_state_serialize_mods(state.get(), XKB_STATE_MODS_LOCKED);
    uint32_t grp = group >= 0 ? static_cast<uint32_t>(group)
                              : xkb_state_serialize_layout(state.get(), XKB_STATE_LAYOUT_EFFECTIVE);
    dep = (dep & ~clear) | extra;
    lat &= ~clear;
    lock &= ~clear;
    if (dep == sent.dep && lat == sent.lat && lock == sent.lock && grp == sent.group)
      return;
    zwp_virtual_keyboard_v1_modifiers(keyboard, dep, lat, lock, grp);
    sent = {dep, lat, lock, grp};
  }

  std::vector<xkb_keycode_t> busyKeycodes() const
  {
    std::vector<xkb_keycode_t> v;
    for (const auto &h : held)
      v.push_back(h.second);
    return v;
  }

  /* Where @sym is, adding a temporary key (and uploading) if needed. */
  std::optional<KeyLocation> locate(xkb_keysym_t sym, std::string *error)
  {
    bool changed = false;
    auto loc = keymap.findOrAdd(sym, busyKeycodes(), &changed, error);
    if (changed && !uploadKeymap(error))
      return std::nullopt;
    return loc;
  }

  void keyDown(xkb_keycode_t kc, xkb_mod_mask_t mods, xkb_mod_mask_t level_mask, int group)
  {
    sendModifiers(mods, level_mask, group);
    zwp_virtual_keyboard_v1_key(keyboard, timeMs(), kc - 8, WL_KEYBOARD_KEY_STATE_PRESSED);
    xkb_state_component changed = xkb_state_update_key(state.get(), kc, XKB_KEY_DOWN);
    /* A modifier key: its own effect is now in the state. */
    if (changed & (XKB_STATE_MODS_EFFECTIVE | XKB_STATE_LAYOUT_EFFECTIVE))
      sendModifiers(mods, level_mask, group);
  }

  void keyUp(xkb_keycode_t kc)
  {
    zwp_virtual_keyboard_v1_key(keyboard, timeMs(), kc - 8, WL_KEYBOARD_KEY_STATE_RELEASED);
    xkb_state_update_key(state.get(), kc, XKB_KEY_UP);
    sendModifiers(0, 0, -1);
  }

  Result key(GstEvent *event, bool press, std::string *error)
  {
    const char *name = nullptr;
    gst_navigation_event_parse_key_event(event, &name);
    const char *code = gst_structure_get_string(gst_event_get_structure(event), "code");
    int evdev = code ? evdevCodeFromDomCode(code) : -1;
    xkb_keysym_t sym = keysymFromKeyName(name ? name : "");
    std::string id = evdev >= 0 ? std::string("code:") + code : "sym:" + std::to_string(sym);

    if (!press) {
      auto it = held.find(id);
      if (it == held.end() && evdev >= 0)
        it = held.find("sym:" + std::to_string(sym));
      if (it == held.end()) {
        GST_LOG("release of %s, which is not down", id.c_str());
        return Result::Ok;
      }
      xkb_keycode_t kc = it->second;
      held.erase(it);
      keyUp(kc);
      return Result::Ok;
    }

    if (evdev >= 0) {
      /* The physical key: the layout decides what it types. */
      xkb_keycode_t kc = static_cast<xkb_keycode_t>(evdev) + 8;
      held[id] = kc;
      keyDown(kc, 0, 0, -1);
      return Result::Ok;
    }
    if (sym == XKB_KEY_NoSymbol) {
      *error = std::string("unknown keysym \"") + (name ? name : "") + "\"";
      return Result::Rejected;
    }
    auto loc = locate(sym, error);
    if (!loc)
      return Result::Rejected;
    if (held.count(id)) {
      /* Auto-repeat from the client side: press again without release. */
      GST_LOG("%s pressed again", id.c_str());
    }
    held[id] = loc->keycode;
    keyDown(loc->keycode, loc->mods, loc->level_mask, static_cast<int>(loc->layout));
    return Result::Ok;
  }

  Result typeText(const char *text, std::string *error)
  {
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
      gunichar c = g_utf8_get_char(p);
      xkb_keysym_t sym = keysymFromCodepoint(c);
      auto loc = locate(sym, error);
      if (!loc) {
        char buf[96];
        g_snprintf(buf, sizeof(buf), "cannot type U+%04X: %s", c, error->c_str());
        *error = buf;
        return Result::Rejected;
      }
      keyDown(loc->keycode, loc->mods, loc->level_mask, static_cast<int>(loc->layout));
      keyUp(loc->keycode);
    }
    return Result::Ok;
  }

  Result setLayout(const GstStructure *s, std::string *error)
  {
    Keymap next;
    if (!next.load(keymapNamesFrom(s), error))
      return Result::Rejected;
    releaseKeys();
    keymap = std::move(next);
    if (!uploadKeymap(error))
      return Result::Rejected;
    GST_INFO("keyboard layout is now %s", keymap.names().describe().c_str());
    return Result::Ok;
  }

  void releaseKeys()
  {
    if (!keyboard || !state)
      return;
    for (const auto &h : held)
      zwp_virtual_keyboard_v1_key(keyboard, timeMs(), h.second - 8, WL_KEYBOARD_KEY_STATE_RELEASED);
    held.clear();
    state.reset(xkb_state_new(keymap.keymap()));
    sent = {};
    sendModifiers(0, 0, -1);
  }

  /* ---- pointer ---- */

  uint32_t ptr_version = 0;

  /* Creates the virtual pointer, mapped onto the output, if not yet. */
  bool ensurePointer(std::string *error)
  {
    if (pointer)
      return true;
    OutputInfo *out = output(error);
    if (!out)
      return false;
    if (ptr_version >= 2)
      pointer = zwlr_virtual_pointer_manager_v1_create_virtual_pointer_with_output(
        ptr_manager, conn.seat(), out->output);
    else
      pointer = zwlr_virtual_pointer_manager_v1_create_virtual_pointer(ptr_manager, conn.seat());
    GST_DEBUG("virtual pointer created on %s", output_name.c_str());
    return true;
  }

  OutputInfo *output(std::string *error)
  {
    OutputInfo *out = conn.findOutput(output_name);
    if (!out || out->width <= 0 || out->height <= 0) {
      *error = "the output " + output_name + " is gone";
      return nullptr;
    }
    return out;
  }

  Result moveTo(double x, double y, std::string *error)
  {
    OutputInfo *out = output(error);
    if (!out)
      return Result::Rejected;
    if (x < 0 || y < 0 || x > out->width || y > out->height) {
      char buf[160];
      g_snprintf(buf, sizeof(buf), "position %g,%g is outside the %dx%d output %s", x, y,
                 out->width, out->height, output_name.c_str());
      *error = buf;
      return Result::Rejected;
    }
    uint32_t w = static_cast<uint32_t>(out->width) * kSubpixel;
    uint32_t h = static_cast<uint32_t>(out->height) * kSubpixel;
    zwlr_virtual_pointer_v1_motion_absolute(
      pointer, timeMs(), std::min(w, static_cast<uint32_t>(std::lround(x * kSubpixel))),
      std::min(h, static_cast<uint32_t>(std::lround(y * kSubpixel))), w, h);
    return Result::Ok;
  }

  void button(uint32_t code, bool press)
  {
    auto it = std::find(buttons.begin(), buttons.end(), code);
    if (press && it == buttons.end())
      buttons.push_back(code);
    else if (!press && it != buttons.end())
      buttons.erase(it);
    else if (!press)
      return; /* not down */
    zwlr_virtual_pointer_v1_button(pointer, timeMs(), code,
                                   press ? WL_POINTER_BUTTON_STATE_PRESSED
                                         : WL_POINTER_BUTTON_STATE_RELEASED);
  }

  void scroll(double dx, double dy, bool smooth)
  {
    uint32_t t = timeMs();
    /* GstNavigation: positive delta_y scrolls up (towards the top), positive
     * delta_x scrolls left; Wayland's axes grow down and right. */
    const double deltas[2] = {-dy, -dx};
    const uint32_t axes[2] = {WL_POINTER_AXIS_VERTICAL_SCROLL, WL_POINTER_AXIS_HORIZONTAL_SCROLL};
    for (int i = 0; i < 2; i++) {
      if (deltas[i] == 0)
        continue;
      if (smooth) {
        zwlr_virtual_pointer_v1_axis(pointer, t, axes[i], wl_fixed_from_double(deltas[i]));
        /* wlroots applies axis_source to the axis of the last axis request. */
        zwlr_virtual_pointer_v1_axis_source(pointer, WL_POINTER_AXIS_SOURCE_CONTINUOUS);
      } else {
        int clicks = static_cast<int>(std::lround(deltas[i]));
        zwlr_virtual_pointer_v1_axis_discrete(pointer, t, axes[i],
                                              wl_fixed_from_double(clicks * kWheelStep), clicks);
        zwlr_virtual_pointer_v1_axis_source(pointer, WL_POINTER_AXIS_SOURCE_WHEEL);
      }
    }
  }

  void releaseButtons()
  {
    if (!pointer)
      return;
    bool any = !buttons.empty();
    for (uint32_t b : buttons)
      zwlr_virtual_pointer_v1_button(pointer, timeMs(), b, WL_POINTER_BUTTON_STATE_RELEASED);
    buttons.clear();
    touch_active = false;
    if (any)
      zwlr_virtual_pointer_v1_frame(pointer);
  }

  void releaseAll()
  {
    releaseKeys();
    releaseButtons();
  }

  Result navigation(GstEvent *event, std::string *error)
  {
    GstNavigationEventType type = gst_navigation_event_get_type(event);
    if (type != GST_NAVIGATION_EVENT_KEY_PRESS && type != GST_NAVIGATION_EVENT_KEY_RELEASE &&
        !ensurePointer(error))
      return Result::Rejected;
    double x = 0, y = 0, dx = 0, dy = 0, pressure = 0;
    int b = 0;
    guint id = 0;
    Result r = Result::Ok;
    switch (gst_navigation_event_get_type(event)) {
    case GST_NAVIGATION_EVENT_KEY_PRESS:
      return key(event, true, error);
    case GST_NAVIGATION_EVENT_KEY_RELEASE:
      return key(event, false, error);
    case GST_NAVIGATION_EVENT_MOUSE_MOVE:
      gst_navigation_event_parse_mouse_move_event(event, &x, &y);
      r = moveTo(x, y, error);
      break;
    case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
    case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE: {
      gst_navigation_event_parse_mouse_button_event(event, &b, &x, &y);
      uint32_t code = evdevButton(b);
      if (!code) {
        *error = "unknown mouse button " + std::to_string(b);
        return Result::Rejected;
      }
      r = moveTo(x, y, error);
      if (r != Result::Ok)
        return r;
      zwlr_virtual_pointer_v1_frame(pointer);
      button(code, gst_navigation_event_get_type(event) == GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS);
      break;
    }
    case GST_NAVIGATION_EVENT_MOUSE_SCROLL: {
      gst_navigation_event_parse_mouse_scroll_event(event, &x, &y, &dx, &dy);
      gboolean smooth = FALSE;
      if (!gst_structure_get_boolean(gst_event_get_structure(event), "smooth", &smooth))
        smooth = dx != std::floor(dx) || dy != std::floor(dy);
      r = moveTo(x, y, error);
      if (r != Result::Ok)
        return r;
      zwlr_virtual_pointer_v1_frame(pointer);
      scroll(dx, dy, smooth);
      break;
    }
    case GST_NAVIGATION_EVENT_TOUCH_DOWN:
      gst_navigation_event_parse_touch_event(event, &id, &x, &y, &pressure);
      if (touch_active)
        return Result::Ok; /* one pointer: only the first finger drives it */
      r = moveTo(x, y, error);
      if (r != Result::Ok)
        return r;
      zwlr_virtual_pointer_v1_frame(pointer);
      touch_active = true;
      touch_id = id;
      button(BTN_LEFT, true);
      break;
    case GST_NAVIGATION_EVENT_TOUCH_MOTION:
      gst_navigation_event_parse_touch_event(event, &id, &x, &y, &pressure);
      if (!touch_active || id != touch_id)
        return Result::Ok;
      r = moveTo(x, y, error);
      break;
    case GST_NAVIGATION_EVENT_TOUCH_UP:
      gst_navigation_event_parse_touch_up_event(event, &id, &x, &y);
      if (!touch_active || id != touch_id)
        return Result::Ok;
      r = moveTo(x, y, error);
      zwlr_virtual_pointer_v1_frame(pointer);
      touch_active = false;
      button(BTN_LEFT, false);
      break;
    case GST_NAVIGATION_EVENT_TOUCH_CANCEL:
      if (touch_active) {
        touch_active = false;
        button(BTN_LEFT, false);
      }
      break;
    case GST_NAVIGATION_EVENT_TOUCH_FRAME:
      return Result::Ok;
    default:
      *error = "unsupported navigation event";
      return Result::Rejected;
    }
    if (r == Result::Ok)
      zwlr_virtual_pointer_v1_frame(pointer);
    return r;
  }

  Result custom(const GstStructure *s, GBytes *clip_data, std::string *error)
  {
    const char *name = gst_structure_get_name(s);
    if (g_str_equal(name, kPointerRelative)) {
      if (!ensurePointer(error))
        return Result::Rejected;
      double dx = 0, dy = 0;
      gst_structure_get_double(s, "dx", &dx);
      gst_structure_get_double(s, "dy", &dy);
      zwlr_virtual_pointer_v1_motion(pointer, timeMs(), wl_fixed_from_double(dx),
                                     wl_fixed_from_double(dy));
      zwlr_virtual_pointer_v1_frame(pointer);
      return Result::Ok;
    }
    if (g_str_equal(name, kText))
      return typeText(gst_structure_get_string(s, "text"), error);
    if (g_str_equal(name, kKeyboardLayout))
      return setLayout(s, error);
    if (g_str_equal(name, kReleaseAll)) {
      releaseAll();
      return Result::Ok;
    }
    if (g_str_equal(name, kClipboardSet)) {
      if (!clipboard) {
        *error = "the compositor does not offer zwlr_data_control_manager_v1 (clipboard)";
        return Result::Rejected;
      }
      return clipboard->set(gst_structure_get_string(s, "mime"), clip_data, error)
               ? Result::Ok
               : Result::Rejected;
    }
    *error = std::string("unknown custom event ") + name;
    return Result::Rejected;
  }
};

/* ---- Injector ------------------------------------------------------------ */

std::unique_ptr<Injector> Injector::create(const WaylandConnectionPtr &conn,
                                           InjectorOptions options, GError **error)
{
  static std::once_flag once;
  std::call_once(once, [] {
    GST_DEBUG_CATEGORY_INIT(vdi_injector_debug, "vdiinjector", 0, "gst-vdi input injection");
  });

  std::unique_ptr<WlrInjector> self(new WlrInjector());
  self->conn_ = conn;
  GError *err = nullptr;
  std::shared_ptr<WlrInjector::Impl> impl;
  bool ran = conn->invoke([&] {
    auto i = std::make_shared<WlrInjector::Impl>(*conn);
    i->options = options;
    const char *display = conn->displayName().c_str();
    if (!conn->seat()) {
      err =
        g_error_new(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                    "The Wayland compositor at \"%s\" has no seat to inject input into", display);
      return;
    }
    OutputInfo *out = conn->findOutput(options.output);
    if (!out) {
      err = g_error_new(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
                        "No output named \"%s\" on the Wayland compositor at \"%s\"; it has: %s",
                        options.output.c_str(), display, conn->outputNames().c_str());
      return;
    }
    i->output_name = out->name;
    i->kb_manager = static_cast<zwp_virtual_keyboard_manager_v1 *>(
      conn->bindGlobal(&zwp_virtual_keyboard_manager_v1_interface, 1));
    uint32_t ptr_version = 0;
    i->ptr_manager = static_cast<zwlr_virtual_pointer_manager_v1 *>(
      conn->bindGlobal(&zwlr_virtual_pointer_manager_v1_interface, 2, &ptr_version));
    if (!i->kb_manager || !i->ptr_manager) {
      err = g_error_new(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                        "The Wayland compositor at \"%s\" does not offer %s, so input cannot "
                        "be injected. wlroots-based compositors (sway, labwc, river) do.",
                        display,
                        !i->kb_manager ? "zwp_virtual_keyboard_manager_v1"
                                       : "zwlr_virtual_pointer_manager_v1");
      return;
    }
    i->keyboard =
      zwp_virtual_keyboard_manager_v1_create_virtual_keyboard(i->kb_manager, conn->seat());
    i->ptr_version = ptr_version;
    std::string why;
    if (!options.lazy_pointer)
      i->ensurePointer(&why);
    KeymapNames us;
    if (!i->keymap.load(us, &why) || !i->uploadKeymap(&why)) {
      err = g_error_new(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
                        "Could not set up the keyboard: %s", why.c_str());
      return;
    }
    {
      /* Setting the clipboard always works; reading it only when watched. */
      std::weak_ptr<WlrInjector::Impl> weak = i;
      Clipboard::ChangedCallback changed;
      if (options.watch_clipboard) {
        changed = [weak](const std::string &mime, GBytes *data) {
          auto s = weak.lock();
          if (s && s->options.on_clipboard)
            s->options.on_clipboard(mime, data);
        };
      }
      i->clipboard = Clipboard::create(*conn, options.clipboard_limit, std::move(changed),
                                       [weak](const std::string &message) {
                                         auto s = weak.lock();
                                         if (s && s->options.on_warning)
                                           s->options.on_warning(message);
                                       });
      if (!i->clipboard)
        GST_INFO("the compositor has no data control: no clipboard");
    }
    /* Round trip: a protocol error (e.g. refused keymap) shows now. */
    if (wl_display_roundtrip_queue(conn->display(), conn->queue()) < 0) {
      err =
        g_error_new(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
                    "The Wayland compositor at \"%s\" refused the virtual input devices", display);
      return;
    }
    GST_INFO("injecting into %s on %s (virtual pointer v%u)", i->output_name.c_str(), display,
             ptr_version);
    impl = std::move(i);
  });
  if (!ran) {
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
                "The connection to the Wayland compositor is gone");
    return nullptr;
  }
  if (!impl) {
    /* Destroy the half-made Impl on the event thread (done: it was local). */
    g_propagate_error(error, err);
    return nullptr;
  }
  self->impl_ = std::move(impl);
  return self;
}

WlrInjector::~WlrInjector()
{
  auto impl = std::move(impl_);
  if (!impl)
    return;
  /* Release everything and destroy the proxies on the event thread. */
  if (!conn_->invoke([&impl] { impl.reset(); }))
    impl.reset();
}

Injector::Result WlrInjector::inject(GstEvent *event, std::string *error)
{
  if (!validateInputEvent(event, error))
    return Result::Rejected;
  /* Decode clipboard data here, not on the event thread. */
  g_autoptr(GBytes) clip = nullptr;
  const GstStructure *s = gst_event_get_structure(event);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_UPSTREAM &&
      gst_structure_has_name(s, kClipboardSet)) {
    gsize len = 0;
    guchar *raw = g_base64_decode(gst_structure_get_string(s, "data"), &len);
    clip = g_bytes_new_take(raw, len);
  }
  if (conn_->failed()) {
    *error = "the connection to the Wayland compositor is lost";
    return Result::Failed;
  }
  Result r = Result::Failed;
  bool ran = conn_->invoke([&] {
    if (conn_->failed())
      return;
    r = GST_EVENT_TYPE(event) == GST_EVENT_NAVIGATION ? impl_->navigation(event, error)
                                                      : impl_->custom(s, clip, error);
    wl_display_flush(conn_->display());
  });
  if (!ran || (r == Result::Failed && error->empty()))
    *error = "the connection to the Wayland compositor is lost";
  return ran ? r : Result::Failed;
}

void WlrInjector::releaseAll()
{
  conn_->invoke([this] {
    if (conn_->failed())
      return;
    impl_->releaseAll();
    wl_display_flush(conn_->display());
  });
}

void WlrInjector::setClipboardLimit(size_t bytes)
{
  conn_->invoke([this, bytes] {
    impl_->options.clipboard_limit = bytes;
    if (impl_->clipboard)
      impl_->clipboard->setLimit(bytes);
  });
}

std::string WlrInjector::outputName() const
{
  return impl_->output_name;
}

} // namespace vdi
