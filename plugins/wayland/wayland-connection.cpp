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
#include <future>
#include <sys/eventfd.h>
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

int64_t monotonicNow()
{
  return g_get_monotonic_time() * 1000;
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

  poll_ = gst_poll_new(TRUE);
  gst_poll_fd_init(&pollfd_);
  pollfd_.fd = wl_display_get_fd(display_);
  gst_poll_add_fd(poll_, &pollfd_);
  gst_poll_fd_ctl_read(poll_, &pollfd_, TRUE);
  /* Posted work wakes the thread through an eventfd; shutdown sets the poll
   * flushing. */
  gst_poll_fd_init(&wakefd_);
  wakefd_.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  gst_poll_add_fd(poll_, &wakefd_);
  gst_poll_fd_ctl_read(poll_, &wakefd_, TRUE);

  running_ = true;
  thread_ = std::thread([this] { run(); });
  thread_id_ = thread_.get_id();
  return true;
}

WaylandConnection::~WaylandConnection()
{
  if (thread_.joinable()) {
    running_ = false;
    gst_poll_set_flushing(poll_, TRUE);
    if (std::this_thread::get_id() == thread_id_)
      thread_.detach();
    else
      thread_.join();
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
  if (poll_)
    gst_poll_free(poll_);
  if (wakefd_.fd >= 0)
    close(wakefd_.fd);
  GST_DEBUG("Wayland connection to %s closed", display_name_.c_str());
}

bool WaylandConnection::isEventThread() const
{
  return std::this_thread::get_id() == thread_id_;
}

void WaylandConnection::wake()
{
  if (!wake_pending_.exchange(true)) {
    uint64_t one = 1;
    if (write(wakefd_.fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
      GST_WARNING("could not wake the event thread: %s", g_strerror(errno));
  }
}

void WaylandConnection::post(std::function<void()> fn)
{
  {
    std::lock_guard<std::mutex> locker(lock_);
    tasks_.push_back(std::move(fn));
  }
  wake();
}

void WaylandConnection::postDelayed(uint64_t delay_ns, std::function<void()> fn)
{
  {
    std::lock_guard<std::mutex> locker(lock_);
    timers_.push_back({monotonicNow() + static_cast<int64_t>(delay_ns), std::move(fn)});
  }
  wake();
}

bool WaylandConnection::invoke(const std::function<void()> &fn)
{
  if (isEventThread()) {
    fn();
    return true;
  }
  if (!running_)
    return false;
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  post([&fn, done] {
    fn();
    done->set_value();
  });
  /* The thread may end (shutdown) before it runs the task; poll for that. */
  while (future.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    if (!running_)
      return false;
  }
  return true;
}

void WaylandConnection::runTasks()
{
  std::vector<std::function<void()>> tasks;
  std::vector<std::function<void()>> due;
  {
    std::lock_guard<std::mutex> locker(lock_);
    tasks.swap(tasks_);
    int64_t now = monotonicNow();
    auto it = std::stable_partition(timers_.begin(), timers_.end(),
                                    [now](const Timer &t) { return t.deadline > now; });
    for (auto d = it; d != timers_.end(); ++d)
      due.push_back(std::move(d->fn));
    timers_.erase(it, timers_.end());
  }
  for (auto &task : tasks)
    task();
  for (auto &task : due)
    task();
}

int64_t WaylandConnection::nextTimerDelay()
{
  std::lock_guard<std::mutex> locker(lock_);
  if (!tasks_.empty())
    return 0;
  if (timers_.empty())
    return -1;
  int64_t earliest = timers_.front().deadline;
  for (const auto &t : timers_)
    earliest = std::min(earliest, t.deadline);
  return std::max<int64_t>(0, earliest - monotonicNow());
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

void WaylandConnection::run()
{
  GST_DEBUG("event thread for %s running", display_name_.c_str());
  while (running_) {
    if (!failed_) {
      while (wl_display_prepare_read_queue(display_, queue_) != 0)
        wl_display_dispatch_queue_pending(display_, queue_);
      if (wl_display_flush(display_) < 0 && errno == EAGAIN)
        gst_poll_fd_ctl_write(poll_, &pollfd_, TRUE);
      else
        gst_poll_fd_ctl_write(poll_, &pollfd_, FALSE);
    } else {
      /* Stop watching the dead socket; keep serving posted tasks. */
      gst_poll_fd_ctl_read(poll_, &pollfd_, FALSE);
      gst_poll_fd_ctl_write(poll_, &pollfd_, FALSE);
    }

    int64_t delay = nextTimerDelay();
    gint res = gst_poll_wait(poll_, delay < 0 ? GST_CLOCK_TIME_NONE : GstClockTime(delay));

    if (wake_pending_.exchange(false)) {
      uint64_t count;
      if (read(wakefd_.fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        GST_WARNING("could not read the wake-up counter: %s", g_strerror(errno));
    }

    if (!failed_) {
      bool readable = res > 0 && gst_poll_fd_can_read(poll_, &pollfd_);
      bool hangup = res > 0 && gst_poll_fd_has_closed(poll_, &pollfd_);
      if (readable || hangup) {
        if (wl_display_read_events(display_) < 0)
          checkDisplayError();
      } else {
        wl_display_cancel_read(display_);
      }
      if (!failed_ && wl_display_dispatch_queue_pending(display_, queue_) < 0)
        checkDisplayError();
      if (hangup && !failed_)
        checkDisplayError();
      if (res < 0 && errno != EINTR && errno != EBUSY && errno != EAGAIN && running_)
        GST_WARNING("poll failed: %s", g_strerror(errno));
    }
    if (!running_)
      break;
    runTasks();
  }
  GST_DEBUG("event thread for %s stopped", display_name_.c_str());
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
