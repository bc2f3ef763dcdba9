/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "compositor-choice.h"

#include "mutter-backend.h"

#include <gst/gst.h>

#include <cstring>

GType gst_vdi_backend_get_type(void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_VDI_BACKEND_AUTO, "wlr-screencopy if the compositor offers it, else Mutter", "auto"},
    {GST_VDI_BACKEND_WLR_SCREENCOPY,
     "wlroots protocols on the Wayland socket (sway, labwc, cage, river)", "wlr-screencopy"},
    {GST_VDI_BACKEND_MUTTER,
     "Mutter / GNOME Shell: ScreenCast (PipeWire) and RemoteDesktop on the session bus", "mutter"},
    {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstVdiBackend", values));
  return type;
}

namespace vdi {

GParamSpec *backendParamSpec()
{
  return g_param_spec_enum(
    "backend", "Backend",
    "How to reach the compositor: wlr-screencopy (wlroots protocols on the Wayland socket), "
    "mutter (Mutter's ScreenCast and RemoteDesktop on the D-Bus session bus) or auto "
    "(wlr-screencopy if offered, else mutter)",
    GST_TYPE_VDI_BACKEND, GST_VDI_BACKEND_AUTO,
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
}

GParamSpec *busAddressParamSpec()
{
  return g_param_spec_string(
    "bus-address", "Session bus address",
    "D-Bus address of the session bus Mutter is on (backend mutter/auto), e.g. "
    "unix:path=/run/user/1000/bus; unset means $DBUS_SESSION_BUS_ADDRESS",
    nullptr,
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
}

namespace {
std::string *stringSetting(CompositorRequest *r, const char *name)
{
  if (!strcmp(name, "display"))
    return &r->display;
  if (!strcmp(name, "output"))
    return &r->output;
  if (!strcmp(name, "bus-address"))
    return &r->bus_address;
  return nullptr;
}
} // namespace

bool setCompositorProperty(CompositorRequest *request, const GParamSpec *pspec, const GValue *value)
{
  if (!strcmp(pspec->name, "backend")) {
    request->backend = static_cast<GstVdiBackend>(g_value_get_enum(value));
    return true;
  }
  std::string *s = stringSetting(request, pspec->name);
  if (!s)
    return false;
  *s = g_value_get_string(value) ? g_value_get_string(value) : "";
  return true;
}

bool getCompositorProperty(const CompositorRequest &request, const GParamSpec *pspec, GValue *value)
{
  if (!strcmp(pspec->name, "backend")) {
    g_value_set_enum(value, request.backend);
    return true;
  }
  const std::string *s = stringSetting(const_cast<CompositorRequest *>(&request), pspec->name);
  if (!s)
    return false;
  g_value_set_string(value, s->empty() ? nullptr : s->c_str());
  return true;
}

std::string pipewireRemoteFor(const std::string &display)
{
  if (display.empty() || display[0] != '/')
    return "";
  g_autofree char *dir = g_path_get_dirname(display.c_str());
  g_autofree char *path = g_build_filename(dir, "pipewire-0", nullptr);
  return path;
}

std::string CompositorLink::where() const
{
  if (mutter)
    return "Mutter on " + mutter->busAddress();
  return conn ? conn->displayName() : "";
}

namespace {

bool openMutter(const CompositorRequest &request, CompositorLink *link, GError **error)
{
  MutterSessionOptions options;
  options.bus_address = request.bus_address;
  options.output = request.output;
  options.cursor_mode =
    request.show_cursor ? MutterCursorMode::Embedded : MutterCursorMode::Metadata;
  link->mutter = MutterSession::create(options, error);
  if (!link->mutter)
    return false;
  link->kind = GST_VDI_BACKEND_MUTTER;
  if (request.capture) {
    std::string display = request.display.empty() && g_getenv("WAYLAND_DISPLAY")
                            ? g_getenv("WAYLAND_DISPLAY")
                            : request.display;
    link->capture = createMutterBackend(link->mutter, pipewireRemoteFor(display));
  }
  return true;
}

} // namespace

bool openCompositor(const CompositorRequest &request, CompositorLink *link, GError **error)
{
  if (request.backend == GST_VDI_BACKEND_MUTTER) {
    /* The Wayland socket is optional here; it only tells us when the
     * compositor goes away a little sooner. */
    if (!request.display.empty())
      link->conn = WaylandConnection::connect(request.display, nullptr);
    return openMutter(request, link, error);
  }

  g_autoptr(GError) wl_error = nullptr;
  link->conn = WaylandConnection::connect(request.display, &wl_error);
  if (link->conn) {
    if (!request.capture) {
      link->kind = GST_VDI_BACKEND_WLR_SCREENCOPY;
      return true; /* the injector checks its own protocols */
    }
    link->capture = CaptureBackend::create(link->conn, request.output, &wl_error);
    if (link->capture) {
      link->kind = GST_VDI_BACKEND_WLR_SCREENCOPY;
      return true;
    }
  }
  bool no_screencopy = wl_error && wl_error->code == GST_RESOURCE_ERROR_SETTINGS;
  if (request.backend == GST_VDI_BACKEND_WLR_SCREENCOPY || (link->conn && !no_screencopy)) {
    g_propagate_error(error, g_steal_pointer(&wl_error));
    link->conn.reset();
    return false;
  }
  /* auto: no wlroots capture here; Mutter on the session bus? */
  g_autoptr(GError) mutter_error = nullptr;
  if (openMutter(request, link, &mutter_error))
    return true;
  g_set_error(error, GST_RESOURCE_ERROR, mutter_error->code, "%s. Mutter was tried too: %s",
              wl_error->message, mutter_error->message);
  link->conn.reset();
  return false;
}

} // namespace vdi
