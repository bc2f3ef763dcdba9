/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "mutter-session.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC(vdi_mutter_debug);
#define GST_CAT_DEFAULT vdi_mutter_debug

namespace vdi {

namespace {

constexpr const char *kScreenCastName = "org.gnome.Mutter.ScreenCast";
constexpr const char *kRemoteDesktopName = "org.gnome.Mutter.RemoteDesktop";
constexpr int kCallTimeoutMs = 5000;

void initDebug()
{
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(vdi_mutter_debug, "vdimutter", 0, "Mutter ScreenCast/RemoteDesktop");
    g_once_init_leave(&once, 1);
  }
}

/* A D-Bus error without the "GDBus.Error:org.x.Y: " prefix. */
std::string remoteMessage(const GError *error)
{
  g_autoptr(GError) copy = g_error_copy(error);
  g_dbus_error_strip_remote_error(copy);
  return copy->message;
}

} // namespace

std::shared_ptr<MutterSession> MutterSession::create(const MutterSessionOptions &options,
                                                     GError **error)
{
  initDebug();
  std::shared_ptr<MutterSession> session(new MutterSession());
  if (!session->setUp(options, error))
    return nullptr;
  return session;
}

void MutterSession::invoke(const std::function<void()> &fn)
{
  if (!loop_.invoke(fn))
    GST_WARNING("the Mutter D-Bus thread is gone");
}

bool MutterSession::setUp(const MutterSessionOptions &options, GError **error)
{
  output_ = options.output;

  /* The session's D-Bus thread: signals of the proxies made below land here. */
  loop_.start();

  if (options.bus_address.empty()) {
    g_autoptr(GError) err = nullptr;
    g_autofree char *addr = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SESSION, nullptr, &err);
    if (!addr) {
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                  "No D-Bus session bus to reach Mutter on (DBUS_SESSION_BUS_ADDRESS is not set "
                  "and bus-address is empty): %s",
                  err->message);
      return false;
    }
    bus_address_ = addr;
  } else {
    bus_address_ = options.bus_address;
  }

  g_autoptr(GError) err = nullptr;
  bus_ = g_dbus_connection_new_for_address_sync(
    bus_address_.c_str(),
    static_cast<GDBusConnectionFlags>(G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
    nullptr, nullptr, &err);
  if (!bus_) {
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                "Cannot reach the D-Bus session bus at %s: %s", bus_address_.c_str(), err->message);
    return false;
  }
  g_dbus_connection_set_exit_on_close(bus_, FALSE);

  for (const char *name : {kScreenCastName, kRemoteDesktopName}) {
    g_autoptr(GVariant) owned = g_dbus_connection_call_sync(
      bus_, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
      g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE, kCallTimeoutMs,
      nullptr, &err);
    gboolean has = FALSE;
    if (owned)
      g_variant_get(owned, "(b)", &has);
    if (!has) {
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
                  "No %s service on the session bus %s: is Mutter or GNOME Shell running in "
                  "this session? (%s)",
                  name, bus_address_.c_str(), err ? err->message : "name has no owner");
      return false;
    }
  }

  bool ok = false;
  invoke([&] {
    /* Creating the proxies here makes their signals come to this thread. */
    auto fail = [&](const char *what) {
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED, "Mutter refused %s: %s",
                  what, remoteMessage(err).c_str());
    };
    g_autofree char *rd_path = nullptr;
    g_autoptr(VdiMutterRemoteDesktop) rd = vdi_mutter_remote_desktop_proxy_new_sync(
      bus_, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, kRemoteDesktopName,
      "/org/gnome/Mutter/RemoteDesktop", nullptr, &err);
    if (!rd || !vdi_mutter_remote_desktop_call_create_session_sync(rd, &rd_path, nullptr, &err))
      return fail("a remote desktop session (RemoteDesktop.CreateSession)");
    rd_session_ = vdi_mutter_remote_desktop_session_proxy_new_sync(
      bus_, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, kRemoteDesktopName, rd_path, nullptr, &err);
    if (!rd_session_)
      return fail("the remote desktop session");
    const char *session_id = vdi_mutter_remote_desktop_session_get_session_id(rd_session_);
    if (!session_id)
      session_id = "";

    g_autoptr(VdiMutterScreenCast) sc = vdi_mutter_screen_cast_proxy_new_sync(
      bus_, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, kScreenCastName, "/org/gnome/Mutter/ScreenCast",
      nullptr, &err);
    GVariantBuilder props;
    g_variant_builder_init(&props, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&props, "{sv}", "remote-desktop-session-id",
                          g_variant_new_string(session_id));
    g_autofree char *sc_path = nullptr;
    if (!sc || !vdi_mutter_screen_cast_call_create_session_sync(sc, g_variant_builder_end(&props),
                                                                &sc_path, nullptr, &err))
      return fail("a screen cast session (ScreenCast.CreateSession)");
    sc_session_ = vdi_mutter_screen_cast_session_proxy_new_sync(
      bus_, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, kScreenCastName, sc_path, nullptr, &err);
    if (!sc_session_)
      return fail("the screen cast session");

    g_variant_builder_init(&props, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&props, "{sv}", "cursor-mode",
                          g_variant_new_uint32(static_cast<uint32_t>(options.cursor_mode)));
    g_autofree char *stream_path = nullptr;
    if (!vdi_mutter_screen_cast_session_call_record_monitor_sync(sc_session_, output_.c_str(),
                                                                 g_variant_builder_end(&props),
                                                                 &stream_path, nullptr, &err)) {
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
                  "Mutter cannot record monitor '%s': %s", output_.c_str(),
                  remoteMessage(err).c_str());
      return;
    }
    stream_path_ = stream_path;
    stream_ = vdi_mutter_screen_cast_stream_proxy_new_sync(
      bus_, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, kScreenCastName, stream_path, nullptr, &err);
    if (!stream_)
      return fail("the screen cast stream");

    g_signal_connect(stream_, "pipe-wire-stream-added",
                     G_CALLBACK(+[](VdiMutterScreenCastStream *, guint node, gpointer data) {
                       auto *self = static_cast<MutterSession *>(data);
                       std::lock_guard<std::mutex> locker(self->lock_);
                       self->node_id_ = node;
                       self->cond_.notify_all();
                       GST_INFO("Mutter stream %s is PipeWire node %u", self->stream_path_.c_str(),
                                node);
                     }),
                     this);
    auto on_closed = +[](GObject *, gpointer data) {
      static_cast<MutterSession *>(data)->markClosed("Mutter closed the remote desktop session");
    };
    g_signal_connect(rd_session_, "closed", G_CALLBACK(on_closed), this);
    g_signal_connect(sc_session_, "closed", G_CALLBACK(on_closed), this);
    name_watch_ = g_bus_watch_name_on_connection(
      bus_, kScreenCastName, G_BUS_NAME_WATCHER_FLAGS_NONE, nullptr,
      +[](GDBusConnection *, const char *, gpointer data) {
        static_cast<MutterSession *>(data)->markClosed("Mutter left the session bus (it exited)");
      },
      this, nullptr);

    if (!vdi_mutter_remote_desktop_session_call_start_sync(rd_session_, nullptr, &err))
      return fail("to start the remote desktop session (RemoteDesktop.Session.Start)");
    started_ = true;
    ok = true;
  });
  if (!ok)
    return false;

  /* The node comes as a signal on our thread, soon after Start. */
  std::unique_lock<std::mutex> locker(lock_);
  bool have = cond_.wait_for(locker, std::chrono::milliseconds(options.stream_timeout_ms),
                             [this] { return node_id_ != 0 || closed_; });
  if (node_id_ == 0) {
    if (have)
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
                  "Mutter ended the screen cast before its stream started");
    else
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
                  "Mutter did not start the screen cast stream of monitor '%s' within %d ms",
                  output_.empty() ? "primary monitor" : output_.c_str(), options.stream_timeout_ms);
    return false;
  }
  return true;
}

MutterSession::~MutterSession()
{
  if (loop_.running()) {
    invoke([this] {
      if (rd_session_ && started_ && !closed())
        vdi_mutter_remote_desktop_session_call_stop_sync(rd_session_, nullptr, nullptr);
      if (name_watch_)
        g_bus_unwatch_name(name_watch_);
      for (GObject *o : {G_OBJECT(stream_), G_OBJECT(sc_session_), G_OBJECT(rd_session_)})
        if (o) {
          g_signal_handlers_disconnect_by_data(o, this);
          g_object_unref(o);
        }
      stream_ = nullptr;
      sc_session_ = nullptr;
      rd_session_ = nullptr;
      if (bus_)
        g_dbus_connection_close_sync(bus_, nullptr, nullptr);
      g_clear_object(&bus_);
    });
    loop_.stop();
  }
}

std::string MutterSession::outputName() const
{
  return output_.empty() ? "primary monitor" : output_;
}

void MutterSession::streamSize(int *width, int *height) const
{
  *width = *height = 0;
  if (!stream_)
    return;
  GVariant *params = vdi_mutter_screen_cast_stream_get_parameters(stream_);
  if (params)
    g_variant_lookup(params, "size", "(ii)", width, height);
}

unsigned MutterSession::addClosedCallback(std::function<void(const GError *error)> callback)
{
  std::lock_guard<std::mutex> locker(lock_);
  unsigned id = next_callback_++;
  closed_callbacks_.emplace_back(id, std::move(callback));
  return id;
}

void MutterSession::removeClosedCallback(unsigned id)
{
  std::lock_guard<std::mutex> locker(lock_);
  for (auto it = closed_callbacks_.begin(); it != closed_callbacks_.end(); ++it)
    if (it->first == id) {
      closed_callbacks_.erase(it);
      return;
    }
}

bool MutterSession::closed() const
{
  std::lock_guard<std::mutex> locker(lock_);
  return closed_;
}

void MutterSession::markClosed(const char *why)
{
  std::vector<std::pair<unsigned, std::function<void(const GError *)>>> callbacks;
  {
    std::lock_guard<std::mutex> locker(lock_);
    if (closed_)
      return;
    closed_ = true;
    callbacks = closed_callbacks_;
    cond_.notify_all();
  }
  GST_WARNING("%s (%s)", why, bus_address_.c_str());
  g_autoptr(GError) error =
    g_error_new(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, "%s; capture and input stopped", why);
  for (auto &cb : callbacks)
    cb.second(error);
}

} // namespace vdi
