/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The Mutter injector: input through org.gnome.Mutter.RemoteDesktop.
 *
 *  - keys: NotifyKeyboardKeysym; Mutter finds the key (and the Shift/AltGr
 *    level) in its own keymap, so what can be typed is what the session's
 *    layout has. A key with a DOM `code` goes as NotifyKeyboardKeycode.
 *    vdi-keyboard-layout sets GNOME Shell's input sources (through dconf),
 *    which is what makes Mutter change its keymap.
 *  - pointer: NotifyPointerMotionAbsolute on the ScreenCast stream (stream
 *    pixels = video pixels), NotifyPointerMotionRelative, NotifyPointerButton
 *    with evdev codes, NotifyPointerAxis (smooth, finished with the
 *    AXIS_STOP flags) and NotifyPointerAxisDiscrete (wheel clicks).
 *  - touch: NotifyTouchDown/Motion/Up on the stream, real multi-touch.
 *  - clipboard: EnableClipboard, SetSelection + SelectionTransfer /
 *    SelectionWrite for ours, SelectionOwnerChanged + SelectionRead for the
 *    session's; transfers run on their own threads (a 5 MiB paste never
 *    stalls input), with the same limit and messages as the wlroots one.
 *
 * Calls are synchronous (ordered, and a dead Mutter is an error) with a
 * short timeout.
 */

#include "clipboard.h"
#include "injector.h"
#include "input-message.h"
#include "keymap.h"
#include "mutter-session.h"

#include <gio/gunixfdlist.h>
#include <gst/video/navigation.h>
#include <linux/input-event-codes.h>

#include <cerrno>
#include <cmath>
#include <fcntl.h>
#include <map>
#include <set>
#include <thread>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC(vdi_mutter_input_debug);
#define GST_CAT_DEFAULT vdi_mutter_input_debug

namespace vdi {

namespace {

/* NotifyPointerAxis flags (Mutter 43): FINISH 1, SOURCE_WHEEL 2,
 * SOURCE_FINGER 4, SOURCE_CONTINUOUS 8. */
constexpr guint kAxisSourceContinuous = 1 << 3;

constexpr const char *kTextMime = "text/plain;charset=utf-8";

/* Writes all of @data to @fd (blocking); closes it. */
bool writeAll(int fd, GBytes *data)
{
  gsize size = 0;
  const auto *p = static_cast<const uint8_t *>(g_bytes_get_data(data, &size));
  bool ok = true;
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  close(fd);
  return ok;
}

/* The pipe end Mutter hands over, made blocking: Mutter 43 makes its pipes
 * non-blocking, and the mode belongs to the pipe, not the process (a read
 * would end at the first EAGAIN with nothing). Our transfers run on their
 * own threads and may block. */
int takeFd(GVariant *handle, GUnixFDList *list, GError **error)
{
  if (!handle || !list)
    return -1;
  int fd = g_unix_fd_list_get(list, g_variant_get_handle(handle), error);
  if (fd >= 0) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
      fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  }
  return fd;
}

class MutterInjector final : public Injector
{
public:
  MutterInjector(std::shared_ptr<MutterSession> session, InjectorOptions options)
    : session_(std::move(session)), options_(std::move(options)), rd_(session_->remoteDesktop())
  {
    limit_ = options_.clipboard_limit;
  }

  ~MutterInjector() override
  {
    releaseAll();
    session_->invoke([this] {
      if (owner_handler_)
        g_signal_handler_disconnect(rd_, owner_handler_);
      if (transfer_handler_)
        g_signal_handler_disconnect(rd_, transfer_handler_);
    });
    alive_->store(false);
  }

  bool setUp(GError **error)
  {
    /* Mutter 43 makes its virtual keyboard and pointer on the first event
     * of each kind, and only then does the Wayland seat get the keyboard
     * and pointer capabilities: until then clients cannot even bind them,
     * and a client's first key would be lost. A Shift tap and a null
     * motion make both devices now. */
    g_autoptr(GError) warm = nullptr;
    if (!vdi_mutter_remote_desktop_session_call_notify_keyboard_keysym_sync(rd_, XKB_KEY_Shift_L,
                                                                            TRUE, nullptr, &warm) ||
        !vdi_mutter_remote_desktop_session_call_notify_keyboard_keysym_sync(
          rd_, XKB_KEY_Shift_L, FALSE, nullptr, &warm) ||
        (!options_.lazy_pointer &&
         !vdi_mutter_remote_desktop_session_call_notify_pointer_motion_relative_sync(
           rd_, 0, 0, nullptr, &warm))) {
      g_dbus_error_strip_remote_error(warm);
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                  "Mutter refused input from the remote desktop session: %s", warm->message);
      return false;
    }
    g_autoptr(GError) err = nullptr;
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    if (!vdi_mutter_remote_desktop_session_call_enable_clipboard_sync(
          rd_, g_variant_builder_end(&b), nullptr, &err)) {
      GST_WARNING("Mutter's clipboard is not available: %s", err->message);
      return true; /* input still works */
    }
    clipboard_ = true;
    session_->invoke([this] {
      owner_handler_ = g_signal_connect(
        rd_, "selection-owner-changed",
        G_CALLBACK(+[](VdiMutterRemoteDesktopSession *, GVariant *opts, gpointer data) {
          static_cast<MutterInjector *>(data)->ownerChanged(opts);
        }),
        this);
      transfer_handler_ =
        g_signal_connect(rd_, "selection-transfer",
                         G_CALLBACK(+[](VdiMutterRemoteDesktopSession *, const char *mime,
                                        guint serial, gpointer data) {
                           static_cast<MutterInjector *>(data)->transfer(mime, serial);
                         }),
                         this);
    });
    return true;
  }

  Result inject(GstEvent *event, std::string *error) override
  {
    if (!validateInputEvent(event, error))
      return Result::Rejected;
    if (session_->closed()) {
      *error = "the remote desktop session with Mutter is closed";
      return Result::Failed;
    }
    std::lock_guard<std::mutex> locker(lock_);
    g_autoptr(GError) err = nullptr;
    Result r = GST_EVENT_TYPE(event) == GST_EVENT_NAVIGATION
                 ? navigation(event, error, &err)
                 : custom(gst_event_get_structure(event), error, &err);
    if (err) {
      g_dbus_error_strip_remote_error(err);
      *error = std::string("Mutter refused the input: ") + err->message;
      bool gone = session_->closed() || g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
                  g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
                  g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
                  g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY);
      return gone ? Result::Failed : Result::Rejected;
    }
    return r;
  }

  void releaseAll() override
  {
    std::lock_guard<std::mutex> locker(lock_);
    releaseAllLocked();
  }

  void setClipboardLimit(size_t bytes) override { limit_ = bytes; }
  std::string outputName() const override { return session_->outputName(); }

private:
  const char *stream() const { return session_->streamPath().c_str(); }

  void releaseAllLocked()
  {
    for (auto &k : keysyms_)
      vdi_mutter_remote_desktop_session_call_notify_keyboard_keysym_sync(rd_, k, FALSE, nullptr,
                                                                         nullptr);
    for (auto &k : keycodes_)
      vdi_mutter_remote_desktop_session_call_notify_keyboard_keycode_sync(rd_, k, FALSE, nullptr,
                                                                          nullptr);
    for (auto b : buttons_)
      vdi_mutter_remote_desktop_session_call_notify_pointer_button_sync(rd_, static_cast<gint>(b),
                                                                        FALSE, nullptr, nullptr);
    for (auto t : touches_)
      vdi_mutter_remote_desktop_session_call_notify_touch_up_sync(rd_, t, nullptr, nullptr);
    keysyms_.clear();
    keycodes_.clear();
    buttons_.clear();
    touches_.clear();
  }

  /* Absolute positions must lie on the recorded monitor. */
  bool onMonitor(double x, double y, std::string *error)
  {
    int w = 0, h = 0;
    session_->streamSize(&w, &h);
    if (w <= 0 || h <= 0 || (x >= 0 && y >= 0 && x < w && y < h))
      return true;
    char buf[160];
    g_snprintf(buf, sizeof(buf), "position %g,%g is outside the %dx%d output %s", x, y, w, h,
               session_->outputName().c_str());
    *error = buf;
    return false;
  }

  bool moveTo(double x, double y, GError **err)
  {
    return vdi_mutter_remote_desktop_session_call_notify_pointer_motion_absolute_sync(
      rd_, stream(), x, y, nullptr, err);
  }

  bool key(guint sym, bool press, GError **err)
  {
    if (!vdi_mutter_remote_desktop_session_call_notify_keyboard_keysym_sync(rd_, sym, press,
                                                                            nullptr, err))
      return false;
    if (press)
      keysyms_.insert(sym);
    else
      keysyms_.erase(sym);
    return true;
  }

  Result keyEvent(GstEvent *event, bool press, std::string *error, GError **err)
  {
    const char *name = nullptr;
    gst_navigation_event_parse_key_event(event, &name);
    const char *code = gst_structure_get_string(gst_event_get_structure(event), "code");
    int evdev = code ? evdevCodeFromDomCode(code) : -1;
    if (evdev >= 0) {
      /* The physical key: the session's layout decides what it types. */
      guint kc = static_cast<guint>(evdev);
      if (!press && !keycodes_.count(kc))
        return Result::Ok;
      if (!vdi_mutter_remote_desktop_session_call_notify_keyboard_keycode_sync(rd_, kc, press,
                                                                               nullptr, err))
        return Result::Rejected;
      if (press)
        keycodes_.insert(kc);
      else
        keycodes_.erase(kc);
      return Result::Ok;
    }
    xkb_keysym_t sym = keysymFromKeyName(name ? name : "");
    if (sym == XKB_KEY_NoSymbol) {
      *error = std::string("unknown keysym \"") + (name ? name : "") + "\"";
      return Result::Rejected;
    }
    if (!press && !keysyms_.count(sym))
      return Result::Ok;
    return key(sym, press, err) ? Result::Ok : Result::Rejected;
  }

  Result button(int b, bool press, std::string *error, GError **err)
  {
    uint32_t code = evdevButton(b);
    if (!code) {
      *error = "unknown mouse button " + std::to_string(b);
      return Result::Rejected;
    }
    if (!press && !buttons_.count(code))
      return Result::Ok;
    if (!vdi_mutter_remote_desktop_session_call_notify_pointer_button_sync(
          rd_, static_cast<gint>(code), press, nullptr, err))
      return Result::Rejected;
    if (press)
      buttons_.insert(code);
    else
      buttons_.erase(code);
    return Result::Ok;
  }

  Result scroll(double dx, double dy, bool smooth, GError **err)
  {
    /* GstNavigation: positive delta_y scrolls up, positive delta_x left;
     * Mutter's axes grow down and right. */
    if (smooth) {
      /* Pixels of wl_pointer.axis, as with the wlroots pointer; no FINISH
       * (a continuous source needs no axis_stop). */
      return vdi_mutter_remote_desktop_session_call_notify_pointer_axis_sync(
               rd_, -dx, -dy, kAxisSourceContinuous, nullptr, err)
               ? Result::Ok
               : Result::Rejected;
    }
    /* Axis 0 is vertical, 1 horizontal (clutter's). */
    const double deltas[2] = {-dy, -dx};
    for (guint axis = 0; axis < 2; axis++) {
      int clicks = static_cast<int>(std::lround(deltas[axis]));
      if (clicks != 0 && !vdi_mutter_remote_desktop_session_call_notify_pointer_axis_discrete_sync(
                           rd_, axis, clicks, nullptr, err))
        return Result::Rejected;
    }
    return Result::Ok;
  }

  Result navigation(GstEvent *event, std::string *error, GError **err)
  {
    double x = 0, y = 0, dx = 0, dy = 0, pressure = 0;
    int b = 0;
    guint id = 0;
    if (gst_navigation_event_get_coordinates(event, &x, &y) && !onMonitor(x, y, error))
      return Result::Rejected;
    switch (gst_navigation_event_get_type(event)) {
    case GST_NAVIGATION_EVENT_KEY_PRESS:
      return keyEvent(event, true, error, err);
    case GST_NAVIGATION_EVENT_KEY_RELEASE:
      return keyEvent(event, false, error, err);
    case GST_NAVIGATION_EVENT_MOUSE_MOVE:
      gst_navigation_event_parse_mouse_move_event(event, &x, &y);
      return moveTo(x, y, err) ? Result::Ok : Result::Rejected;
    case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
    case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE:
      gst_navigation_event_parse_mouse_button_event(event, &b, &x, &y);
      if (!moveTo(x, y, err))
        return Result::Rejected;
      return button(b,
                    gst_navigation_event_get_type(event) == GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS,
                    error, err);
    case GST_NAVIGATION_EVENT_MOUSE_SCROLL: {
      gst_navigation_event_parse_mouse_scroll_event(event, &x, &y, &dx, &dy);
      gboolean smooth = FALSE;
      if (!gst_structure_get_boolean(gst_event_get_structure(event), "smooth", &smooth))
        smooth = dx != std::floor(dx) || dy != std::floor(dy);
      if (!moveTo(x, y, err))
        return Result::Rejected;
      return scroll(dx, dy, smooth, err);
    }
    case GST_NAVIGATION_EVENT_TOUCH_DOWN:
    case GST_NAVIGATION_EVENT_TOUCH_MOTION: {
      gst_navigation_event_parse_touch_event(event, &id, &x, &y, &pressure);
      bool down = gst_navigation_event_get_type(event) == GST_NAVIGATION_EVENT_TOUCH_DOWN;
      if (!down && !touches_.count(id))
        return Result::Ok;
      bool ok = down ? vdi_mutter_remote_desktop_session_call_notify_touch_down_sync(
                         rd_, stream(), id, x, y, nullptr, err)
                     : vdi_mutter_remote_desktop_session_call_notify_touch_motion_sync(
                         rd_, stream(), id, x, y, nullptr, err);
      if (ok && down)
        touches_.insert(id);
      return ok ? Result::Ok : Result::Rejected;
    }
    case GST_NAVIGATION_EVENT_TOUCH_UP:
      gst_navigation_event_parse_touch_up_event(event, &id, &x, &y);
      if (!touches_.count(id))
        return Result::Ok;
      touches_.erase(id);
      return vdi_mutter_remote_desktop_session_call_notify_touch_up_sync(rd_, id, nullptr, err)
               ? Result::Ok
               : Result::Rejected;
    case GST_NAVIGATION_EVENT_TOUCH_CANCEL:
      for (auto t : touches_)
        vdi_mutter_remote_desktop_session_call_notify_touch_up_sync(rd_, t, nullptr, nullptr);
      touches_.clear();
      return Result::Ok;
    case GST_NAVIGATION_EVENT_TOUCH_FRAME:
      return Result::Ok;
    default:
      *error = "unsupported navigation event";
      return Result::Rejected;
    }
  }

  Result custom(const GstStructure *s, std::string *error, GError **err)
  {
    const char *name = gst_structure_get_name(s);
    if (g_str_equal(name, kPointerRelative)) {
      double dx = 0, dy = 0;
      gst_structure_get_double(s, "dx", &dx);
      gst_structure_get_double(s, "dy", &dy);
      return vdi_mutter_remote_desktop_session_call_notify_pointer_motion_relative_sync(
               rd_, dx, dy, nullptr, err)
               ? Result::Ok
               : Result::Rejected;
    }
    if (g_str_equal(name, kText)) {
      const char *text = gst_structure_get_string(s, "text");
      for (const char *p = text; p && *p; p = g_utf8_next_char(p)) {
        xkb_keysym_t sym = keysymFromCodepoint(g_utf8_get_char(p));
        if (!key(sym, true, err) || !key(sym, false, err))
          return Result::Rejected;
      }
      return Result::Ok;
    }
    if (g_str_equal(name, kKeyboardLayout))
      return setLayout(s, error, err);
    if (g_str_equal(name, kReleaseAll)) {
      releaseAllLocked();
      return Result::Ok;
    }
    if (g_str_equal(name, kClipboardSet))
      return setClipboard(s, error, err);
    *error = std::string("unknown custom event ") + name;
    return Result::Rejected;
  }

  /* ---- keyboard layout ---- */

  /* Mutter types keysyms with its own keymap, and only GNOME Shell changes
   * it (from org.gnome.desktop.input-sources; bare Mutter keeps "us"). So
   * the layout becomes the session's input sources, written through dconf
   * on the session bus as GSettings would: GNOME Shell applies them, the
   * clients get the new keymap, and NotifyKeyboardKeysym finds the keys in
   * it. Refused on bare Mutter and for layouts xkb does not know. */
  Result setLayout(const GstStructure *st, std::string *error, GError **err)
  {
    /* GNOME input sources have no rules or model: those are ignored. */
    KeymapNames names = keymapNamesFrom(st);
    names.rules.clear();
    names.model.clear();
    Keymap check;
    if (!check.load(names, error))
      return Result::Rejected;
    if (!hasOwner("org.gnome.Shell")) {
      *error = "bare Mutter types with its start-up layout (us) and follows no input sources; "
               "vdi-keyboard-layout needs a GNOME Shell session";
      return Result::Rejected;
    }
    names = names.normalized();
    gchar **layouts = g_strsplit(names.layout.c_str(), ",", -1);
    gchar **variants = g_strsplit(names.variant.c_str(), ",", -1);
    guint nv = g_strv_length(variants);
    GVariantBuilder sources;
    g_variant_builder_init(&sources, G_VARIANT_TYPE("a(ss)"));
    for (guint i = 0; layouts[i]; i++) {
      std::string id = layouts[i];
      if (i < nv && variants[i][0])
        id += std::string("+") + variants[i];
      g_variant_builder_add(&sources, "(ss)", "xkb", id.c_str());
    }
    g_strfreev(layouts);
    g_strfreev(variants);
    gchar **options = g_strsplit(names.options.c_str(), ",", -1);
    GVariantBuilder opts;
    g_variant_builder_init(&opts, G_VARIANT_TYPE_STRING_ARRAY);
    for (guint i = 0; options[i]; i++)
      if (options[i][0])
        g_variant_builder_add(&opts, "s", options[i]);
    g_strfreev(options);

    /* A dconf change set: {path: value}, serialised as "a{smv}". */
    constexpr const char *kDir = "/org/gnome/desktop/input-sources/";
    GVariantBuilder change;
    g_variant_builder_init(&change, G_VARIANT_TYPE("a{smv}"));
    g_variant_builder_add(&change, "{smv}", (std::string(kDir) + "sources").c_str(),
                          g_variant_builder_end(&sources));
    g_variant_builder_add(&change, "{smv}", (std::string(kDir) + "xkb-options").c_str(),
                          g_variant_builder_end(&opts));
    g_variant_builder_add(&change, "{smv}", (std::string(kDir) + "current").c_str(),
                          g_variant_new_uint32(0));
    g_autoptr(GVariant) set = g_variant_ref_sink(g_variant_builder_end(&change));
    g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes(set);
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
      session_->bus(), "ca.desrt.dconf", "/ca/desrt/dconf/Writer/user", "ca.desrt.dconf.Writer",
      "Change",
      g_variant_new("(@ay)", g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, bytes, TRUE)),
      G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, 5000, nullptr, err);
    if (!reply)
      return Result::Rejected;
    releaseAllLocked();
    GST_INFO("GNOME input sources are now %s", names.describe().c_str());
    return Result::Ok;
  }

  bool hasOwner(const char *name)
  {
    g_autoptr(GVariant) owned = g_dbus_connection_call_sync(
      session_->bus(), "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "NameHasOwner", g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE,
      2000, nullptr, nullptr);
    gboolean has = FALSE;
    if (owned)
      g_variant_get(owned, "(b)", &has);
    return has;
  }

  /* ---- clipboard ---- */

  Result setClipboard(const GstStructure *s, std::string *error, GError **err)
  {
    if (!clipboard_) {
      *error = "Mutter's remote desktop session has no clipboard (EnableClipboard failed)";
      return Result::Rejected;
    }
    gsize len = 0;
    guchar *raw = g_base64_decode(gst_structure_get_string(s, "data"), &len);
    g_autoptr(GBytes) data = g_bytes_new_take(raw, len);
    if (len > limit_) {
      *error = "clipboard content of " + std::to_string(len) +
               " bytes is larger than the limit of " + std::to_string(limit_) + " bytes";
      return Result::Rejected;
    }
    std::string mime = gst_structure_get_string(s, "mime");
    std::vector<std::string> mimes = {mime};
    if (g_str_has_prefix(mime.c_str(), "text/plain"))
      mimes = {kTextMime, "text/plain", "UTF8_STRING", "STRING", "TEXT"};
    GVariantBuilder types;
    g_variant_builder_init(&types, G_VARIANT_TYPE_STRING_ARRAY);
    for (const auto &m : mimes)
      g_variant_builder_add(&types, "s", m.c_str());
    GVariantBuilder opts;
    g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&opts, "{sv}", "mime-types", g_variant_builder_end(&types));
    {
      std::lock_guard<std::mutex> locker(clip_lock_);
      offered_.reset(g_bytes_ref(data));
    }
    return vdi_mutter_remote_desktop_session_call_set_selection_sync(
             rd_, g_variant_builder_end(&opts), nullptr, err)
             ? Result::Ok
             : Result::Rejected;
  }

  /* D-Bus thread: someone pastes what we offered. */
  void transfer(const char *mime, guint serial)
  {
    GBytes *data;
    {
      std::lock_guard<std::mutex> locker(clip_lock_);
      data = offered_ ? g_bytes_ref(offered_.get()) : nullptr;
    }
    GST_DEBUG("paste of our clipboard as %s (serial %u)", mime, serial);
    VdiMutterRemoteDesktopSession *rd =
      static_cast<VdiMutterRemoteDesktopSession *>(g_object_ref(rd_));
    std::thread([rd, serial, data] {
      g_autoptr(GError) err = nullptr;
      g_autoptr(GVariant) handle = nullptr;
      g_autoptr(GUnixFDList) fds = nullptr;
      bool ok = false;
      if (data && vdi_mutter_remote_desktop_session_call_selection_write_sync(
                    rd, serial, nullptr, &handle, &fds, nullptr, &err)) {
        int fd = takeFd(handle, fds, &err);
        ok = fd >= 0 && writeAll(fd, data);
      }
      if (err)
        GST_WARNING("clipboard write to Mutter failed: %s", err->message);
      vdi_mutter_remote_desktop_session_call_selection_write_done_sync(rd, serial, ok, nullptr,
                                                                       nullptr);
      if (data)
        g_bytes_unref(data);
      g_object_unref(rd);
    }).detach();
  }

  /* D-Bus thread: the session's selection changed. */
  void ownerChanged(GVariant *opts)
  {
    gboolean ours = FALSE;
    g_variant_lookup(opts, "session-is-owner", "b", &ours);
    /* Mutter 43 sends mime-types as a tuple holding the array, "(as)";
     * take "as" too. */
    std::vector<std::string> mimes;
    g_autoptr(GVariant) types = g_variant_lookup_value(opts, "mime-types", nullptr);
    if (types && g_variant_is_of_type(types, G_VARIANT_TYPE("(as)"))) {
      GVariant *inner = g_variant_get_child_value(types, 0);
      g_variant_unref(types);
      types = inner;
    }
    if (types && g_variant_is_of_type(types, G_VARIANT_TYPE_STRING_ARRAY)) {
      g_autofree const char **list = g_variant_get_strv(types, nullptr);
      for (const char **t = list; *t; t++)
        mimes.push_back(*t);
    }
    GST_DEBUG("selection owner changed: %zu types, ours %d", mimes.size(), ours);
    if (ours || mimes.empty() || !options_.watch_clipboard || !options_.on_clipboard)
      return;
    std::string mime = Clipboard::pickMime(mimes);
    if (mime.empty())
      return;
    VdiMutterRemoteDesktopSession *rd =
      static_cast<VdiMutterRemoteDesktopSession *>(g_object_ref(rd_));
    size_t limit = limit_;
    auto alive = alive_;
    auto changed = options_.on_clipboard;
    auto warn = options_.on_warning;
    std::thread([rd, mime, limit, alive, changed, warn] {
      g_autoptr(GError) err = nullptr;
      g_autoptr(GVariant) handle = nullptr;
      g_autoptr(GUnixFDList) fds = nullptr;
      int fd = -1;
      if (vdi_mutter_remote_desktop_session_call_selection_read_sync(rd, mime.c_str(), nullptr,
                                                                     &handle, &fds, nullptr, &err))
        fd = takeFd(handle, fds, &err);
      g_object_unref(rd);
      if (fd < 0) {
        GST_WARNING("reading the session clipboard failed: %s", err ? err->message : "no fd");
        return;
      }
      GST_DEBUG("reading the session clipboard as %s", mime.c_str());
      GByteArray *buf = g_byte_array_new();
      bool too_big = false;
      uint8_t chunk[65536];
      while (true) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0)
          break;
        if (buf->len + static_cast<size_t>(n) > limit) {
          too_big = true;
          break;
        }
        g_byte_array_append(buf, chunk, static_cast<guint>(n));
      }
      close(fd);
      GST_DEBUG("read %u bytes of the session clipboard%s", buf->len, too_big ? " (too big)" : "");
      g_autoptr(GBytes) data = g_byte_array_free_to_bytes(buf);
      if (!alive->load())
        return;
      if (too_big) {
        if (warn)
          warn("The session clipboard is larger than the limit of " + std::to_string(limit) +
               " bytes; it was not passed on");
        return;
      }
      changed(mime, data);
    }).detach();
  }

  std::shared_ptr<MutterSession> session_;
  InjectorOptions options_;
  VdiMutterRemoteDesktopSession *rd_;
  std::mutex lock_; /* one event at a time, in order */
  std::set<guint> keysyms_, keycodes_;
  std::set<uint32_t> buttons_;
  std::set<guint> touches_;
  std::atomic<size_t> limit_{0};
  bool clipboard_ = false;
  gulong owner_handler_ = 0, transfer_handler_ = 0;
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);

  struct BytesUnref {
    void operator()(GBytes *b) const { g_bytes_unref(b); }
  };
  std::mutex clip_lock_;
  std::unique_ptr<GBytes, BytesUnref> offered_;
};

} // namespace

std::unique_ptr<Injector> createMutterInjector(std::shared_ptr<MutterSession> session,
                                               InjectorOptions options, GError **error)
{
  static std::once_flag once;
  std::call_once(once, [] {
    GST_DEBUG_CATEGORY_INIT(vdi_mutter_input_debug, "vdimutterinput", 0,
                            "gst-vdi input through Mutter RemoteDesktop");
  });
  auto injector = std::make_unique<MutterInjector>(std::move(session), std::move(options));
  if (!injector->setUp(error))
    return nullptr;
  return injector;
}

} // namespace vdi
