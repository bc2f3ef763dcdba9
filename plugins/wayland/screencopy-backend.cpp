/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Capture through wlr-screencopy-unstable-v1 (version 3 preferred): one
 * frame object per capture, wl_shm buffers from ShmPool, copy_with_damage so
 * the compositor answers only when the output changed.
 *
 * Everything below runs on the connection's event thread, except the public
 * entry points, which hop onto it with invoke().
 */

#include "capture-backend.h"
#include "shm-pool.h"
#include "wlr-screencopy-unstable-v1-client-protocol.h"

#include <algorithm>
#include <atomic>

GST_DEBUG_CATEGORY_STATIC(vdi_screencopy_debug);
#define GST_CAT_DEFAULT vdi_screencopy_debug

namespace vdi {

namespace {

constexpr unsigned kPoolSize = 4;
constexpr unsigned kMaxConsecutiveFailures = 50;
constexpr uint64_t kRetryDelayNs = 10 * GST_MSECOND;

int64_t monotonicNow()
{
  return g_get_monotonic_time() * 1000;
}

class ScreencopyBackend final : public CaptureBackend
{
public:
  ScreencopyBackend(WaylandConnectionPtr conn, zwlr_screencopy_manager_v1 *manager,
                    uint32_t version, OutputInfo *output)
    : conn_(std::move(conn)), manager_(manager), version_(version),
      output_global_(output->global_name), output_name_(output->name), pool_(conn_, kPoolSize)
  {
  }

  ~ScreencopyBackend() override
  {
    stop();
    conn_->invoke([this] {
      resetFrame();
      pool_.clear();
      alive_.reset();
      if (manager_)
        zwlr_screencopy_manager_v1_destroy(manager_);
      manager_ = nullptr;
    });
    /* If the event thread is gone, the manager proxy dies with the display. */
  }

  const char *name() const override { return "wlr-screencopy"; }
  std::string outputName() const override { return output_name_; }

  bool probe(FrameFormat *format, GError **error) override;
  bool start(Callbacks callbacks, GError **error) override;
  void stop() override;
  void setMinInterval(uint64_t interval_ns) override { min_interval_ = interval_ns; }
  void setShowCursor(bool show) override { show_cursor_ = show; }

private:
  OutputInfo *output() const
  {
    for (const auto &o : conn_->outputInfos())
      if (o->global_name == output_global_)
        return o.get();
    return nullptr;
  }

  void requestFrame();
  void copyFrame();
  void resetFrame();
  void reportError(const char *message);

  /* zwlr_screencopy_frame_v1 events */
  static void onBuffer(void *data, zwlr_screencopy_frame_v1 *, uint32_t format, uint32_t width,
                       uint32_t height, uint32_t stride);
  static void onFlags(void *data, zwlr_screencopy_frame_v1 *, uint32_t flags);
  static void onReady(void *data, zwlr_screencopy_frame_v1 *, uint32_t sec_hi, uint32_t sec_lo,
                      uint32_t nsec);
  static void onFailed(void *data, zwlr_screencopy_frame_v1 *);
  static void onDamage(void *data, zwlr_screencopy_frame_v1 *, uint32_t x, uint32_t y,
                       uint32_t width, uint32_t height);
  static void onLinuxDmabuf(void *, zwlr_screencopy_frame_v1 *, uint32_t, uint32_t, uint32_t) {}
  static void onBufferDone(void *data, zwlr_screencopy_frame_v1 *);
  static const zwlr_screencopy_frame_v1_listener listener_;

  WaylandConnectionPtr conn_;
  zwlr_screencopy_manager_v1 *manager_;
  uint32_t version_;
  uint32_t output_global_;
  std::string output_name_;
  ShmPool pool_;

  std::atomic<uint64_t> min_interval_{0};
  std::atomic<bool> show_cursor_{true};

  /* Event-thread state. */
  Callbacks callbacks_;
  bool running_ = false;
  bool probing_ = false;
  bool scheduled_ = false; /* a delayed requestFrame() is pending */
  bool waiting_buffer_ = false;
  int64_t last_request_ = 0;
  unsigned failures_ = 0;
  zwlr_screencopy_frame_v1 *frame_ = nullptr;
  bool have_shm_ = false;
  uint32_t shm_format_ = 0;
  FrameFormat format_;
  uint32_t flags_ = 0;
  std::vector<Rect> damage_;
  std::shared_ptr<ShmBuffer> target_;
  /* Bumped by stop(), so that callbacks of an old run are ignored. */
  uint64_t generation_ = 0;
  /* Deferred tasks hold a weak reference and do nothing once the backend is
   * gone; reset on the event thread, where those tasks run. */
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);

  /* Runs @fn on the event thread after @delay_ns unless the backend was
   * destroyed or stopped in between. */
  void later(uint64_t delay_ns, std::function<void()> fn)
  {
    std::weak_ptr<int> alive = alive_;
    uint64_t gen = generation_;
    conn_->postDelayed(delay_ns, [this, alive, gen, fn = std::move(fn)] {
      if (alive.lock() && gen == generation_)
        fn();
    });
  }
};

const zwlr_screencopy_frame_v1_listener ScreencopyBackend::listener_ = {
  ScreencopyBackend::onBuffer,     ScreencopyBackend::onFlags,  ScreencopyBackend::onReady,
  ScreencopyBackend::onFailed,     ScreencopyBackend::onDamage, ScreencopyBackend::onLinuxDmabuf,
  ScreencopyBackend::onBufferDone,
};

void ScreencopyBackend::resetFrame()
{
  if (frame_)
    zwlr_screencopy_frame_v1_destroy(frame_);
  frame_ = nullptr;
  have_shm_ = false;
  flags_ = 0;
  damage_.clear();
  target_.reset();
  waiting_buffer_ = false;
}

bool ScreencopyBackend::probe(FrameFormat *format, GError **error)
{
  bool ok = false;
  std::string message;
  bool ran = conn_->invoke([&] {
    OutputInfo *out = output();
    if (!out) {
      message = "The output \"" + output_name_ + "\" went away";
      return;
    }
    resetFrame();
    probing_ = true;
    frame_ = zwlr_screencopy_manager_v1_capture_output(manager_, show_cursor_ ? 1 : 0, out->output);
    zwlr_screencopy_frame_v1_add_listener(frame_, &listener_, this);
    /* buffer (and buffer_done) are sent right after creation. */
    if (wl_display_roundtrip_queue(conn_->display(), conn_->queue()) < 0) {
      message = "The compositor closed the connection while describing its frames";
    } else if (!have_shm_) {
      message = "The compositor offers no wl_shm buffer format gst-vdi can use for output \"" +
                output_name_ + "\"";
    } else {
      *format = format_;
      format->refresh_mhz = out->refresh_mhz;
      ok = true;
    }
    probing_ = false;
    resetFrame();
  });
  if (!ran)
    message = "The Wayland connection is closed";
  if (!ok)
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, "%s", message.c_str());
  return ok;
}

bool ScreencopyBackend::start(Callbacks callbacks, GError **error)
{
  bool ran = conn_->invoke([&] {
    callbacks_ = std::move(callbacks);
    running_ = true;
    failures_ = 0;
    requestFrame();
  });
  if (!ran) {
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                "The Wayland connection is closed");
    return false;
  }
  return true;
}

void ScreencopyBackend::stop()
{
  conn_->invoke([this] {
    running_ = false;
    generation_++;
    scheduled_ = false;
    resetFrame();
    callbacks_ = {};
  });
}

void ScreencopyBackend::reportError(const char *message)
{
  GST_WARNING("%s", message);
  running_ = false;
  resetFrame();
  if (callbacks_.error) {
    g_autoptr(GError) err =
      g_error_new_literal(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, message);
    callbacks_.error(err);
  }
}

void ScreencopyBackend::requestFrame()
{
  if (!running_ || frame_ || scheduled_ || conn_->failed())
    return;

  int64_t now = monotonicNow();
  int64_t interval = static_cast<int64_t>(min_interval_.load());
  if (last_request_ && now - last_request_ < interval) {
    scheduled_ = true;
    later(static_cast<uint64_t>(interval - (now - last_request_)), [this] {
      scheduled_ = false;
      requestFrame();
    });
    return;
  }

  OutputInfo *out = output();
  if (!out) {
    reportError(("The output \"" + output_name_ + "\" was removed from the compositor").c_str());
    return;
  }
  last_request_ = now;
  frame_ = zwlr_screencopy_manager_v1_capture_output(manager_, show_cursor_ ? 1 : 0, out->output);
  zwlr_screencopy_frame_v1_add_listener(frame_, &listener_, this);
}

void ScreencopyBackend::copyFrame()
{
  if (!frame_ || probing_)
    return;
  if (!have_shm_) {
    reportError("The compositor offers no wl_shm buffer format gst-vdi can use");
    return;
  }
  g_autoptr(GError) error = nullptr;
  target_ = pool_.acquire(format_, shm_format_, &error);
  if (!target_) {
    if (error) {
      reportError(error->message);
      return;
    }
    /* Every buffer is still downstream: wait for one to come back. */
    GST_LOG("all %u buffers busy, waiting", pool_.allocated());
    waiting_buffer_ = true;
    return;
  }
  waiting_buffer_ = false;
  damage_.clear();
  if (version_ >= 2)
    zwlr_screencopy_frame_v1_copy_with_damage(frame_, target_->wlBuffer());
  else
    zwlr_screencopy_frame_v1_copy(frame_, target_->wlBuffer());
}

void ScreencopyBackend::onBuffer(void *data, zwlr_screencopy_frame_v1 *, uint32_t format,
                                 uint32_t width, uint32_t height, uint32_t stride)
{
  auto *self = static_cast<ScreencopyBackend *>(data);
  GstVideoFormat vformat = videoFormatFromShm(format);
  GST_LOG("shm buffer offer: format 0x%08x (%s) %ux%u stride %u", format,
          gst_video_format_to_string(vformat), width, height, stride);
  if (vformat == GST_VIDEO_FORMAT_UNKNOWN || self->have_shm_)
    return;
  self->have_shm_ = true;
  self->shm_format_ = format;
  self->format_.format = vformat;
  self->format_.width = static_cast<int>(width);
  self->format_.height = static_cast<int>(height);
  self->format_.stride = static_cast<int>(stride);
  /* Before version 3 there is no buffer_done: the shm offer is all. */
  if (self->version_ < 3)
    self->copyFrame();
}

void ScreencopyBackend::onBufferDone(void *data, zwlr_screencopy_frame_v1 *)
{
  static_cast<ScreencopyBackend *>(data)->copyFrame();
}

void ScreencopyBackend::onFlags(void *data, zwlr_screencopy_frame_v1 *, uint32_t flags)
{
  static_cast<ScreencopyBackend *>(data)->flags_ = flags;
}

void ScreencopyBackend::onDamage(void *data, zwlr_screencopy_frame_v1 *, uint32_t x, uint32_t y,
                                 uint32_t width, uint32_t height)
{
  auto *self = static_cast<ScreencopyBackend *>(data);
  self->damage_.push_back(
    {static_cast<int>(x), static_cast<int>(y), static_cast<int>(width), static_cast<int>(height)});
}

void ScreencopyBackend::onReady(void *data, zwlr_screencopy_frame_v1 *, uint32_t sec_hi,
                                uint32_t sec_lo, uint32_t nsec)
{
  auto *self = static_cast<ScreencopyBackend *>(data);
  self->failures_ = 0;

  CapturedFrame frame;
  frame.format = self->format_;
  if (OutputInfo *out = self->output())
    frame.format.refresh_mhz = out->refresh_mhz;
  /* The compositor's presentation time is when the frame was rendered, a
   * better capture time than now. Use it when it is on our clock (wlroots
   * uses CLOCK_MONOTONIC, but the protocol allows any offset). */
  int64_t now = monotonicNow();
  int64_t presented =
    static_cast<int64_t>((static_cast<uint64_t>(sec_hi) << 32 | sec_lo) * GST_SECOND) + nsec;
  frame.ready_time_ns = (presented <= now && now - presented < GST_SECOND) ? presented : now;

  const FrameFormat &f = self->format_;
  std::vector<Rect> damage;
  for (Rect r : self->damage_) {
    /* Clip to the frame; compositors may report boxes past the edge. */
    int x2 = std::min(r.x + r.width, f.width), y2 = std::min(r.y + r.height, f.height);
    r.x = std::max(r.x, 0);
    r.y = std::max(r.y, 0);
    r.width = x2 - r.x;
    r.height = y2 - r.y;
    if (r.width > 0 && r.height > 0)
      damage.push_back(r);
  }
  if (damage.empty())
    damage.push_back({0, 0, f.width, f.height});

  auto target = std::move(self->target_);
  if (self->flags_ & ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT) {
    /* Rare with wl_shm (GL renderers); flip in place, we own the memory. */
    std::vector<uint8_t> row(static_cast<size_t>(f.stride));
    for (int y = 0; y < f.height / 2; y++) {
      uint8_t *a = target->data() + static_cast<size_t>(y) * f.stride;
      uint8_t *b = target->data() + static_cast<size_t>(f.height - 1 - y) * f.stride;
      std::copy(a, a + f.stride, row.data());
      std::copy(b, b + f.stride, a);
      std::copy(row.data(), row.data() + f.stride, b);
    }
    for (Rect &r : damage)
      r.y = f.height - r.y - r.height;
  }
  frame.damage = std::move(damage);

  /* When downstream lets go of the memory, a capture waiting for a free
   * buffer may continue. */
  std::weak_ptr<WaylandConnection> weak_conn = self->conn_;
  std::weak_ptr<int> alive = self->alive_;
  uint64_t gen = self->generation_;
  frame.buffer.reset(ShmPool::wrap(target, [self, weak_conn, alive, gen] {
    if (auto conn = weak_conn.lock()) {
      conn->post([self, alive, gen] {
        if (alive.lock() && gen == self->generation_ && self->waiting_buffer_)
          self->copyFrame();
      });
    }
  }));

  zwlr_screencopy_frame_v1_destroy(self->frame_);
  self->frame_ = nullptr;
  self->have_shm_ = false;
  self->flags_ = 0;
  self->damage_.clear();

  if (self->callbacks_.frame)
    self->callbacks_.frame(std::move(frame));
  self->requestFrame();
}

void ScreencopyBackend::onFailed(void *data, zwlr_screencopy_frame_v1 *)
{
  auto *self = static_cast<ScreencopyBackend *>(data);
  GST_DEBUG("frame copy failed (%u in a row)", self->failures_ + 1);
  self->resetFrame();
  if (!self->running_)
    return;
  if (++self->failures_ >= kMaxConsecutiveFailures) {
    self->reportError(("The compositor failed to copy output \"" + self->output_name_ + "\" " +
                       std::to_string(kMaxConsecutiveFailures) + " times in a row")
                        .c_str());
    return;
  }
  /* Typically a mode change raced with the capture: the next frame object
   * describes the new size. */
  self->scheduled_ = true;
  self->later(kRetryDelayNs, [self] {
    self->scheduled_ = false;
    self->requestFrame();
  });
}

} // namespace

std::unique_ptr<CaptureBackend> CaptureBackend::create(const WaylandConnectionPtr &conn,
                                                       const std::string &output, GError **error)
{
  static std::once_flag once;
  std::call_once(once, [] {
    GST_DEBUG_CATEGORY_INIT(vdi_screencopy_debug, "vdiscreencopy", 0,
                            "gst-vdi wlr-screencopy capture");
  });

  std::unique_ptr<CaptureBackend> backend;
  std::string message;
  GstResourceError code = GST_RESOURCE_ERROR_NOT_FOUND;
  conn->invoke([&] {
    OutputInfo *out = conn->findOutput(output);
    if (!out) {
      if (output.empty())
        message = "The compositor at \"" + conn->displayName() + "\" has no output to capture";
      else
        message = "The compositor at \"" + conn->displayName() + "\" has no output named \"" +
                  output + "\". Its outputs are: " + conn->outputNames();
      return;
    }
    uint32_t version = 0;
    auto *manager = static_cast<zwlr_screencopy_manager_v1 *>(
      conn->bindGlobal(&zwlr_screencopy_manager_v1_interface, 3, &version));
    if (!manager) {
      code = GST_RESOURCE_ERROR_SETTINGS;
      message = "The compositor at \"" + conn->displayName() +
                "\" does not support the wlr-screencopy-unstable-v1 protocol, which "
                "vdiwaylandsrc needs to capture the screen. Use a wlroots-based "
                "compositor such as sway, labwc or cage.";
      return;
    }
    GST_INFO("capturing output %s with zwlr_screencopy_manager_v1 v%u", out->name.c_str(), version);
    backend = std::make_unique<ScreencopyBackend>(conn, manager, version, out);
  });
  if (!backend) {
    if (message.empty())
      message = "The Wayland connection to \"" + conn->displayName() + "\" is closed";
    g_set_error(error, GST_RESOURCE_ERROR, code, "%s", message.c_str());
  }
  return backend;
}

} // namespace vdi
