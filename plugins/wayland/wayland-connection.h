/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The Wayland connection layer shared by capture (vdiwaylandsrc) and
 * injection (vdiinputsink): one wl_display, a private event queue and a
 * dedicated event thread that dispatches it.
 *
 * Every Wayland object of the project is created, used and destroyed on the
 * event thread. Other threads hand work to it with post() (asynchronous) or
 * invoke() (waits for the result). The thread is a vdi::EventLoop
 * (common/event-loop.h) whose context watches the display fd through a
 * GSource that follows libwayland's prepare-read protocol; posted work wakes
 * it at once, so a flush or a state change never waits for the compositor.
 */

#pragma once

#include "event-loop.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <wayland-client.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct zxdg_output_manager_v1;
struct zxdg_output_v1;

namespace vdi {

/* unique_ptr deleters for the Wayland objects we hold. */
template <typename T, void (*Destroy)(T *)>
struct WlDeleter {
  void operator()(T *p) const
  {
    if (p)
      Destroy(p);
  }
};
template <typename T, void (*Destroy)(T *)>
using WlPtr = std::unique_ptr<T, WlDeleter<T, Destroy>>;

/* What the connection knows of one wl_output. Only touched on the event
 * thread. */
struct OutputInfo {
  uint32_t global_name = 0;
  wl_output *output = nullptr;
  zxdg_output_v1 *xdg_output = nullptr;
  std::string name; /* e.g. HEADLESS-1 */
  std::string description;
  int32_t width = 0; /* current mode, in pixels */
  int32_t height = 0;
  int32_t refresh_mhz = 0; /* 0 when the compositor does not say */
  int32_t scale = 1;
  int32_t logical_x = 0, logical_y = 0;
  int32_t logical_width = 0, logical_height = 0;
};

class WaylandConnection : public std::enable_shared_from_this<WaylandConnection>
{
public:
  using ErrorCallback = std::function<void(const GError *error)>;

  /* Connects to @display (a socket name relative to $XDG_RUNTIME_DIR or an
   * absolute path; empty means $WAYLAND_DISPLAY, then "wayland-0"), reads
   * the globals and outputs, and starts the event thread. Returns nullptr
   * and sets @error (GST_RESOURCE_ERROR) when the compositor is unreachable.
   */
  static std::shared_ptr<WaylandConnection> connect(const std::string &display, GError **error);

  ~WaylandConnection();
  WaylandConnection(const WaylandConnection &) = delete;
  WaylandConnection &operator=(const WaylandConnection &) = delete;

  /* The display as the user named it, resolved ("wayland-1",
   * "/run/user/1000/wayland-1"). For messages. */
  const std::string &displayName() const { return display_name_; }

  /* Runs @fn on the event thread, in order. Safe from any thread, also after
   * the connection failed (then @fn still runs, on the event thread, unless
   * the thread has ended, in which case it is dropped). */
  void post(std::function<void()> fn);

  /* Runs @fn on the event thread and waits for it. Runs it directly when
   * called from the event thread. Returns false if the thread is gone. */
  bool invoke(const std::function<void()> &fn);

  /* Runs @fn on the event thread after @delay_ns. */
  void postDelayed(uint64_t delay_ns, std::function<void()> fn);

  bool isEventThread() const;

  /* Event-thread only. */
  wl_display *display() const { return display_; }
  wl_event_queue *queue() const { return queue_; }
  wl_shm *shm() const { return shm_; }
  wl_seat *seat() const { return seat_; }
  const std::vector<std::unique_ptr<OutputInfo>> &outputInfos() const { return outputs_; }
  /* Finds an output by name; an empty name picks the first one. */
  OutputInfo *findOutput(const std::string &name) const;

  /* Binds a global by interface, at most @max_version. Returns nullptr if
   * the compositor does not announce it. Event-thread only. The proxy is
   * put on the connection's queue. */
  void *bindGlobal(const wl_interface *iface, uint32_t max_version,
                   uint32_t *bound_version = nullptr);

  /* Comma-separated output names ("none" without outputs), for error
   * messages. Any thread. */
  std::string outputNames();

  /* Fatal connection errors (compositor gone, protocol error) are reported
   * once, on the event thread, to every callback registered here. Returns an
   * id for removeErrorCallback(). */
  unsigned addErrorCallback(ErrorCallback cb);
  void removeErrorCallback(unsigned id);
  bool failed() const { return failed_.load(); }

  /* Reports an error as fatal for this connection (e.g. a protocol violation
   * detected by a module). Event-thread only. */
  void fail(GQuark domain, int code, const char *format, ...) G_GNUC_PRINTF(4, 5);

  /* The display GSource (event thread; see wayland-connection.cpp). */
  struct DisplaySource;
  bool displayPrepare();
  bool displayCheck(GIOCondition revents);
  void displayDispatch();

private:
  WaylandConnection() = default;
  bool init(const std::string &display, GError **error);
  void attachDisplaySource();
  void detachDisplaySource();
  void checkDisplayError();

  static void registryGlobal(void *data, wl_registry *registry, uint32_t name,
                             const char *interface, uint32_t version);
  static void registryGlobalRemove(void *data, wl_registry *registry, uint32_t name);
  void addOutput(uint32_t name, uint32_t version);
  void watchXdgOutput(OutputInfo *info);

  struct Global {
    uint32_t name;
    std::string interface;
    uint32_t version;
  };

  std::string display_name_;
  wl_display *display_ = nullptr;
  wl_event_queue *queue_ = nullptr;
  wl_registry *registry_ = nullptr;
  wl_shm *shm_ = nullptr;
  wl_seat *seat_ = nullptr;
  zxdg_output_manager_v1 *xdg_output_manager_ = nullptr;
  std::vector<Global> globals_;
  std::vector<std::unique_ptr<OutputInfo>> outputs_;

  std::unique_ptr<EventLoop> loop_;
  DisplaySource *source_ = nullptr; /* event thread */
  bool hangup_ = false;             /* event thread */
  std::atomic<bool> failed_{false};

  std::mutex lock_; /* protects callbacks_ */
  std::vector<std::pair<unsigned, ErrorCallback>> callbacks_;
  unsigned next_callback_id_ = 1;
};

using WaylandConnectionPtr = std::shared_ptr<WaylandConnection>;

/* The "display" property every element of this plugin has: a socket name
 * in $XDG_RUNTIME_DIR or an absolute socket path; NULL means
 * $WAYLAND_DISPLAY. Mutable in READY. */
GParamSpec *displayParamSpec();

/* GstVideoFormat for a wl_shm format code, GST_VIDEO_FORMAT_UNKNOWN if the
 * format has no GStreamer equivalent. */
GstVideoFormat videoFormatFromShm(uint32_t shm_format);

} // namespace vdi
