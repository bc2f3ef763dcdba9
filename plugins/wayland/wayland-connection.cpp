/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "wayland-connection.h"

#include "xdg-output-unstable-v1-client-protocol.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC(vdi_wayland_debug);
#define GST_CAT_DEFAULT vdi_wayland_debug

namespace vdi {

namespace {

void ensureDebugCategory()
{
  static std::once_flag once;
  std::call_once(once, [] {
    GST_DEBUG_CATEGORY_INIT(vdi_wayland_debug, "vdiwayland", 0, "gst-vdi Wayland connection");
  });
}

/* Resolves what the user gave as display into what wl_display_connect()
 * takes and what we show in messages. */
std::string resolveDisplay(const std::string &display)
{
  if (!display.empty())
    return display;
  const char *env = g_getenv("WAYLAND_DISPLAY");
  if (env && *env)
    return env;
  return "wayland-0";
}

std::string describeSocket(const std::string &display)
{
  if (g_path_is_absolute(display.c_str()))
    return display;
  const char *runtime = g_getenv("XDG_RUNTIME_DIR");
  if (!runtime)
    return display + " ($XDG_RUNTIME_DIR is not set)";
  g_autofree char *path = g_build_filename(runtime, display.c_str(), nullptr);
  return path;
}

} // namespace

GParamSpec *displayParamSpec()
{
  return g_param_spec_string(
    "display", "Display",
    "Wayland socket name (in $XDG_RUNTIME_DIR) or absolute socket path of the compositor; "
    "unset means $WAYLAND_DISPLAY",
    nullptr,
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
}

GstVideoFormat videoFormatFromShm(uint32_t shm_format)
{
  /* wl_shm formats name the channels of a little-endian 32-bit word from
   * the most significant byte; GStreamer names the bytes in memory order. */
  switch (shm_format) {
  case WL_SHM_FORMAT_XRGB8888:
    return GST_VIDEO_FORMAT_BGRx;
  case WL_SHM_FORMAT_ARGB8888:
    return GST_VIDEO_FORMAT_BGRA;
  case WL_SHM_FORMAT_XBGR8888:
    return GST_VIDEO_FORMAT_RGBx;
  case WL_SHM_FORMAT_ABGR8888:
    return GST_VIDEO_FORMAT_RGBA;
  case WL_SHM_FORMAT_RGBX8888:
    return GST_VIDEO_FORMAT_xBGR;
  case WL_SHM_FORMAT_RGBA8888:
    return GST_VIDEO_FORMAT_ABGR;
  case WL_SHM_FORMAT_BGRX8888:
    return GST_VIDEO_FORMAT_xRGB;
  case WL_SHM_FORMAT_BGRA8888:
    return GST_VIDEO_FORMAT_ARGB;
  case WL_SHM_FORMAT_XRGB2101010:
    return GST_VIDEO_FORMAT_BGR10A2_LE;
  case WL_SHM_FORMAT_RGB565:
    return GST_VIDEO_FORMAT_RGB16;
  case WL_SHM_FORMAT_BGR888:
    return GST_VIDEO_FORMAT_RGB;
  case WL_SHM_FORMAT_RGB888:
    return GST_VIDEO_FORMAT_BGR;
  default:
    return GST_VIDEO_FORMAT_UNKNOWN;
  }
}

/* ---- wl_output / xdg_output listeners ------------------------------------ */

namespace {

void outputGeometry(void *, wl_output *, int32_t, int32_t, int32_t, int32_t, int32_t, const char *,
                    const char *, int32_t transform)
{
}

void outputMode(void *data, wl_output *, uint32_t flags, int32_t width, int32_t height,
                int32_t refresh)
{
  auto *info = static_cast<OutputInfo *>(data);
  if (flags & WL_OUTPUT_MODE_CURRENT) {
    info->width = width;
    info->height = height;
    info->refresh_mhz = refresh;
  }
}

void outputScale(void *data, wl_output *, int32_t factor)
{
  static_cast<OutputInfo *>(data)->scale = factor;
}

void outputName(void *data, wl_output *, const char *name)
{
  static_cast<OutputInfo *>(data)->name = name;
}

void outputDescription(void *data, wl_output *, const char *description)
{
  static_cast<OutputInfo *>(data)->description = description;
}

void xdgOutputLogicalPosition(void *data, zxdg_output_v1 *, int32_t x, int32_t y)
{
  auto *info = static_cast<OutputInfo *>(data);
  info->logical_x = x;
  info->logical_y = y;
}

void xdgOutputLogicalSize(void *data, zxdg_output_v1 *, int32_t width, int32_t height)
{
  auto *info = static_cast<OutputInfo *>(data);
  info->logical_width = width;
  info->logical_height = height;
}

void xdgOutputDone(void *, zxdg_output_v1 *) {}

void xdgOutputName(void *data, zxdg_output_v1 *, const char *name)
{
  auto *info = static_cast<OutputInfo *>(data);
  if (info->name.empty())
    info->name = name;
}

void xdgOutputDescription(void *data, zxdg_output_v1 *, const char *description)
{
  auto *info = static_cast<OutputInfo *>(data);
  if (info->description.empty())
    info->description = description;
}

const zxdg_output_v1_listener xdg_output_listener = {
  xdgOutputLogicalPosition, xdgOutputLogicalSize, xdgOutputDone, xdgOutputName,
  xdgOutputDescription,
};

} // namespace

/* ---- WaylandConnection --------------------------------------------------- */

std::shared_ptr<WaylandConnection> WaylandConnection::connect(const std::string &display,
                                                              GError **error)
{
  ensureDebugCategory();
  std::shared_ptr<WaylandConnection> conn(new WaylandConnection());
  if (!conn->init(display, error))
    return nullptr;
  return conn;
}

bool WaylandConnection::init(const std::string &display, GError **error)
{
  display_name_ = resolveDisplay(display);
  display_ = wl_display_connect(display_name_.c_str());
  if (!display_) {
    int err = errno;
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                "Could not connect to the Wayland compositor at \"%s\" (%s): %s. "
                "Is the compositor running, and is the display name right?",
                display_name_.c_str(), describeSocket(display_name_).c_str(), g_strerror(err));
    return false;
  }
  GST_INFO("connected to Wayland display %s", display_name_.c_str());

  queue_ = wl_display_create_queue(display_);
  auto *wrapper = static_cast<wl_display *>(wl_proxy_create_wrapper(display_));
  wl_proxy_set_queue(reinterpret_cast<wl_proxy *>(wrapper), queue_);
  registry_ = wl_display_get_registry(wrapper);
  wl_proxy_wrapper_destroy(wrapper);

  static const wl_registry_listener registry_listener = {registryGlobal, registryGlobalRemove};
  wl_registry_add_listener(registry_, &registry_listener, this);

  /* Two round trips: the first brings the globals, the second the events of
   * the outputs bound during the first. */
  for (int i = 0; i < 2; i++) {
    if (wl_display_roundtrip_queue(display_, queue_) < 0) {
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                  "The Wayland compositor at \"%s\" closed the connection during "
                  "set-up: %s",
                  display_name_.c_str(), g_strerror(wl_display_get_error(display_)));
      return false;
    }
  }
  if (!shm_) {
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                "The Wayland compositor at \"%s\" does not offer wl_shm", display_name_.c_str());
    return false;
  }

  loop_ = std::make_unique<EventLoop>("vdi-wayland");
  loop_->start();
  loop_->invoke([this] { attachDisplaySource(); });
  return true;
}

WaylandConnection::~WaylandConnection()
{
  if (loop_) {
    /* On the event thread itself (the last reference dropped by a task):
     * the display source must go before the display does. */
    if (loop_->isLoopThread())
      detachDisplaySource();
    else
      loop_->invoke([this] { detachDisplaySource(); });
    loop_->stop();
  }
  /* The thread is gone: tear down from here. */
  for (auto &out : outputs_) {
    if (out->xdg_output)
      zxdg_output_v1_destroy(out->xdg_output);
    if (out->output) {
      if (wl_output_get_version(out->output) >= WL_OUTPUT_RELEASE_SINCE_VERSION)
        wl_output_release(out->output);
      else
        wl_output_destroy(out->output);
    }
  }
  outputs_.clear();
  if (xdg_output_manager_)
    zxdg_output_manager_v1_destroy(xdg_output_manager_);
  if (seat_) {
    if (wl_seat_get_version(seat_) >= WL_SEAT_RELEASE_SINCE_VERSION)
      wl_seat_release(seat_);
    else
      wl_seat_destroy(seat_);
  }
  if (shm_)
    wl_shm_destroy(shm_);
  if (registry_)
    wl_registry_destroy(registry_);
  if (display_) {
    wl_display_flush(display_);
    if (queue_)
      wl_event_queue_destroy(queue_);
    wl_display_disconnect(display_);
  }
  GST_DEBUG("Wayland connection to %s closed", display_name_.c_str());
}

bool WaylandConnection::isEventThread() const
{
  return loop_ && loop_->isLoopThread();
}

void WaylandConnection::post(std::function<void()> fn)
{
  loop_->post(std::move(fn));
}

void WaylandConnection::postDelayed(uint64_t delay_ns, std::function<void()> fn)
{
  loop_->addOneShot(delay_ns, std::move(fn));
}

bool WaylandConnection::invoke(const std::function<void()> &fn)
{
  return loop_->invoke(fn);
}

void WaylandConnection::checkDisplayError()
{
  int err = wl_display_get_error(display_);
  if (err == 0 || failed_)
    return;
  const wl_interface *iface = nullptr;
  uint32_t id = 0;
  uint32_t code = wl_display_get_protocol_error(display_, &iface, &id);
  if (err == EPROTO) {
    fail(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
         "The Wayland compositor at \"%s\" reported a protocol error %u on %s@%u",
         display_name_.c_str(), code, iface ? iface->name : "unknown", id);
  } else {
    fail(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
         "Lost the connection to the Wayland compositor at \"%s\": %s. "
         "The compositor has probably exited.",
         display_name_.c_str(), g_strerror(err));
  }
}

void WaylandConnection::fail(GQuark domain, int code, const char *format, ...)
{
  if (failed_.exchange(true))
    return;
  va_list args;
  va_start(args, format);
  g_autoptr(GError) error = g_error_new_valist(domain, code, format, args);
  va_end(args);
  GST_WARNING("%s", error->message);
  std::vector<ErrorCallback> callbacks;
  {
    std::lock_guard<std::mutex> locker(lock_);
    for (auto &cb : callbacks_)
      callbacks.push_back(cb.second);
  }
  for (auto &cb : callbacks)
    cb(error);
}

/* ---- the display as a GSource ------------------------------------------ */

/* The Wayland read protocol on a GMainContext (as gstwldisplay.c does it on
 * a thread of its own): prepare announces the read after dispatching what is
 * queued and flushes requests; check reads or cancels; dispatch dispatches
 * the connection's queue. `reading` guards against a check GLib skips. */
struct WaylandConnection::DisplaySource {
  GSource source;
  WaylandConnection *conn;
  gpointer tag;
  bool reading;
  GIOCondition events; /* what the fd is watched for now */
};

namespace {

gboolean displayPrepare(GSource *base, gint *timeout)
{
  auto *src = reinterpret_cast<WaylandConnection::DisplaySource *>(base);
  *timeout = -1;
  return src->conn->displayPrepare();
}

gboolean displayCheck(GSource *base)
{
  auto *src = reinterpret_cast<WaylandConnection::DisplaySource *>(base);
  return src->conn->displayCheck(g_source_query_unix_fd(base, src->tag));
}

gboolean displayDispatch(GSource *base, GSourceFunc, gpointer)
{
  reinterpret_cast<WaylandConnection::DisplaySource *>(base)->conn->displayDispatch();
  return G_SOURCE_CONTINUE;
}

GSourceFuncs display_source_funcs = {displayPrepare, displayCheck, displayDispatch,
                                     nullptr,        nullptr,      nullptr};

} // namespace

void WaylandConnection::attachDisplaySource()
{
  GSource *base = g_source_new(&display_source_funcs, sizeof(DisplaySource));
  source_ = reinterpret_cast<DisplaySource *>(base);
  source_->conn = this;
  source_->reading = false;
  source_->events = GIOCondition(G_IO_IN | G_IO_ERR);
  source_->tag = g_source_add_unix_fd(base, wl_display_get_fd(display_), source_->events);
  g_source_set_priority(base, G_PRIORITY_DEFAULT);
  g_source_set_name(base, "vdi-wayland-display");
  g_source_attach(base, loop_->context());
  GST_DEBUG("event thread for %s running", display_name_.c_str());
}

void WaylandConnection::detachDisplaySource()
{
  if (!source_)
    return;
  if (source_->reading)
    wl_display_cancel_read(display_);
  g_source_destroy(&source_->source);
  g_source_unref(&source_->source);
  source_ = nullptr;
  GST_DEBUG("event thread for %s stopped", display_name_.c_str());
}

bool WaylandConnection::displayPrepare()
{
  if (failed_)
    return false;
  if (!source_->reading) {
    while (wl_display_prepare_read_queue(display_, queue_) != 0) {
      if (wl_display_dispatch_queue_pending(display_, queue_) < 0) {
        checkDisplayError();
        return false;
      }
    }
    source_->reading = true;
  }
  /* Requests the socket could not take yet: wait until it is writable. */
  bool blocked = wl_display_flush(display_) < 0 && errno == EAGAIN;
  /* Only on a change: g_source_modify_unix_fd() wakes the context up, so
   * calling it on every prepare made the event thread spin (a whole core
   * while the screen was still). */
  auto events = GIOCondition(G_IO_IN | G_IO_ERR | (blocked ? G_IO_OUT : 0));
  if (events != source_->events) {
    source_->events = events;
    g_source_modify_unix_fd(&source_->source, source_->tag, events);
  }
  return false;
}

bool WaylandConnection::displayCheck(GIOCondition revents)
{
  /* Dispatch only when something was read or went wrong: GLib blocks and
   * unblocks a source's fds around each dispatch, which wakes the context,
   * so a source dispatched on every iteration never lets poll() sleep. */
  bool ready = false;
  if (source_->reading) {
    source_->reading = false;
    if (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
      if (wl_display_read_events(display_) < 0)
        checkDisplayError();
      ready = true;
    } else {
      wl_display_cancel_read(display_);
    }
  }
  if (revents & (G_IO_HUP | G_IO_ERR)) {
    hangup_ = true;
    ready = true;
  }
  return ready;
}

void WaylandConnection::displayDispatch()
{
  if (wl_display_dispatch_queue_pending(display_, queue_) < 0 || hangup_)
    checkDisplayError();
  if (failed_)
    /* Stop watching the dead socket; posted work still runs. */
    g_source_modify_unix_fd(&source_->source, source_->tag, source_->events = GIOCondition(0));
}

/* ---- registry ------------------------------------------------------------ */

void WaylandConnection::registryGlobal(void *data, wl_registry *registry, uint32_t name,
                                       const char *interface, uint32_t version)
{
  auto *self = static_cast<WaylandConnection *>(data);
  self->globals_.push_back({name, interface, version});
  GST_LOG("global %u: %s v%u", name, interface, version);

  if (strcmp(interface, wl_shm_interface.name) == 0 && !self->shm_) {
    self->shm_ = static_cast<wl_shm *>(wl_registry_bind(registry, name, &wl_shm_interface, 1));
  } else if (strcmp(interface, wl_seat_interface.name) == 0 && !self->seat_) {
    self->seat_ = static_cast<wl_seat *>(
      wl_registry_bind(registry, name, &wl_seat_interface, std::min(version, 7u)));
  } else if (strcmp(interface, wl_output_interface.name) == 0) {
    self->addOutput(name, version);
  } else if (strcmp(interface, zxdg_output_manager_v1_interface.name) == 0) {
    self->xdg_output_manager_ = static_cast<zxdg_output_manager_v1 *>(
      wl_registry_bind(registry, name, &zxdg_output_manager_v1_interface, std::min(version, 3u)));
    for (auto &out : self->outputs_)
      self->watchXdgOutput(out.get());
  }
}

void WaylandConnection::registryGlobalRemove(void *data, wl_registry *, uint32_t name)
{
  auto *self = static_cast<WaylandConnection *>(data);
  self->globals_.erase(std::remove_if(self->globals_.begin(), self->globals_.end(),
                                      [name](const Global &g) { return g.name == name; }),
                       self->globals_.end());
  auto it = std::find_if(self->outputs_.begin(), self->outputs_.end(),
                         [name](const auto &o) { return o->global_name == name; });
  if (it != self->outputs_.end()) {
    GST_INFO("output %s went away", (*it)->name.c_str());
    if ((*it)->xdg_output)
      zxdg_output_v1_destroy((*it)->xdg_output);
    wl_output_destroy((*it)->output);
    self->outputs_.erase(it);
  }
}

void WaylandConnection::addOutput(uint32_t name, uint32_t version)
{
  auto info = std::make_unique<OutputInfo>();
  info->global_name = name;
  info->output = static_cast<wl_output *>(
    wl_registry_bind(registry_, name, &wl_output_interface, std::min(version, 4u)));

  static const wl_output_listener listener = {
    outputGeometry, outputMode, [](void *, wl_output *) {},
    outputScale,    outputName, outputDescription,
  };
  wl_output_add_listener(info->output, &listener, info.get());
  watchXdgOutput(info.get());
  outputs_.push_back(std::move(info));
}

void WaylandConnection::watchXdgOutput(OutputInfo *info)
{
  if (!xdg_output_manager_ || info->xdg_output)
    return;
  info->xdg_output = zxdg_output_manager_v1_get_xdg_output(xdg_output_manager_, info->output);
  zxdg_output_v1_add_listener(info->xdg_output, &xdg_output_listener, info);
}

void *WaylandConnection::bindGlobal(const wl_interface *iface, uint32_t max_version,
                                    uint32_t *bound_version)
{
  for (const auto &g : globals_) {
    if (g.interface == iface->name) {
      uint32_t v = std::min(g.version, max_version);
      if (bound_version)
        *bound_version = v;
      return wl_registry_bind(registry_, g.name, iface, v);
    }
  }
  return nullptr;
}

OutputInfo *WaylandConnection::findOutput(const std::string &name) const
{
  for (const auto &out : outputs_) {
    if (name.empty() || out->name == name)
      return out.get();
  }
  return nullptr;
}

std::string WaylandConnection::outputNames()
{
  std::string names;
  auto collect = [&] {
    for (const auto &o : outputs_)
      names += (names.empty() ? "" : ", ") + (o->name.empty() ? "(unnamed)" : o->name);
  };
  if (!invoke(collect))
    collect(); /* the event thread is gone: nobody else touches outputs_ */
  return names.empty() ? "none" : names;
}

unsigned WaylandConnection::addErrorCallback(ErrorCallback cb)
{
  std::lock_guard<std::mutex> locker(lock_);
  unsigned id = next_callback_id_++;
  callbacks_.emplace_back(id, std::move(cb));
  return id;
}

void WaylandConnection::removeErrorCallback(unsigned id)
{
  std::lock_guard<std::mutex> locker(lock_);
  callbacks_.erase(std::remove_if(callbacks_.begin(), callbacks_.end(),
                                  [id](const auto &c) { return c.first == id; }),
                   callbacks_.end());
}

} // namespace vdi
