/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The Mutter capture backend: reads the PipeWire stream of a Mutter
 * ScreenCast monitor stream (MutterSession) with libpipewire.
 *
 * Zero-copy: Mutter allocates memfd buffers; we map each one ourselves when
 * it is added and push the mapping as the GstMemory. The pw_buffer goes back
 * to Mutter only when downstream frees the memory, and the mapping lives
 * until then even if the stream or Mutter goes (PipeWire's own
 * MAP_BUFFERS mappings die with the stream). When downstream holds nearly
 * all of the stream's buffers, a frame is copied instead, so that Mutter
 * always has a buffer to draw the next frame into.
 *
 * Damage: SPA_META_VideoDamage (Mutter >= 44) becomes the frame's damage
 * boxes; Mutter 43 sends none, so each frame (Mutter sends one only when
 * the screen changed) is marked fully damaged.
 * Cursor: with cursor-mode metadata, SPA_META_Cursor (position, hotspot,
 * bitmap) goes to the cursor callback; cursor-only buffers carry no frame.
 */

#include "mutter-backend.h"

#include <pipewire/pipewire.h>
#include <spa/debug/types.h>
#include <spa/param/video/format-utils.h>
#include <spa/param/video/type-info.h>
#include <spa/utils/result.h>

#include <sys/mman.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>

GST_DEBUG_CATEGORY_STATIC(vdi_pipewire_debug);
#define GST_CAT_DEFAULT vdi_pipewire_debug

namespace vdi {

namespace {

constexpr int kMaxDamageRects = 32;
/* Largest cursor bitmap we take; Mutter 43 offers exactly 384x384 (a
 * meta size must intersect with its, or there is no cursor meta at all). */
constexpr int kMaxCursorSize = 512;
/* Frames copied rather than held when fewer buffers than this are left. */
constexpr int kSpareBuffers = 3;

/* Bytes of a cursor meta with a w x h RGBA bitmap. */
constexpr int cursorMetaSize(int w, int h)
{
  return static_cast<int>(sizeof(spa_meta_cursor) + sizeof(spa_meta_bitmap)) + w * h * 4;
}

GstVideoFormat toGst(uint32_t f)
{
  switch (f) {
  case SPA_VIDEO_FORMAT_BGRx:
    return GST_VIDEO_FORMAT_BGRx;
  case SPA_VIDEO_FORMAT_BGRA:
    return GST_VIDEO_FORMAT_BGRA;
  case SPA_VIDEO_FORMAT_RGBx:
    return GST_VIDEO_FORMAT_RGBx;
  case SPA_VIDEO_FORMAT_RGBA:
    return GST_VIDEO_FORMAT_RGBA;
  case SPA_VIDEO_FORMAT_xRGB:
    return GST_VIDEO_FORMAT_xRGB;
  case SPA_VIDEO_FORMAT_ARGB:
    return GST_VIDEO_FORMAT_ARGB;
  case SPA_VIDEO_FORMAT_xBGR:
    return GST_VIDEO_FORMAT_xBGR;
  case SPA_VIDEO_FORMAT_ABGR:
    return GST_VIDEO_FORMAT_ABGR;
  default:
    return GST_VIDEO_FORMAT_UNKNOWN;
  }
}

int64_t monotonicNs()
{
  return g_get_monotonic_time() * 1000;
}

/* Our own mapping of one of the stream's memfd buffers; shared by the
 * stream (until the buffer is removed) and every GstMemory made from it. */
struct Mapping {
  std::atomic<int> refs{1};
  void *base = nullptr;
  size_t length = 0;
  uint8_t *data = nullptr; /* base + the data's map offset */
  pw_buffer *buffer = nullptr;
  bool removed = false; /* under the loop lock */

  void unref()
  {
    if (--refs == 0) {
      if (base)
        munmap(base, length);
      delete this;
    }
  }
};

} // namespace

/* The PipeWire side; shared with the pushed memories so that a buffer goes
 * back to the right stream (and the loop outlives the last of them). */
struct PipeWireStream {
  pw_thread_loop *loop = nullptr;
  pw_context *context = nullptr;
  pw_core *core = nullptr;
  pw_stream *stream = nullptr;
  spa_hook core_listener{};
  spa_hook stream_listener{};
  std::atomic<int> held{0}; /* buffers downstream holds */
  bool active = true;       /* under the loop lock; false once disconnected */
  int n_buffers = 0;

  ~PipeWireStream()
  {
    if (loop)
      pw_thread_loop_stop(loop);
    if (stream)
      pw_stream_destroy(stream);
    if (core)
      pw_core_disconnect(core);
    if (context)
      pw_context_destroy(context);
    if (loop)
      pw_thread_loop_destroy(loop);
  }

  void lock() { pw_thread_loop_lock(loop); }
  void unlock() { pw_thread_loop_unlock(loop); }
};

namespace {

struct MemoryRef {
  std::shared_ptr<PipeWireStream> pw;
  Mapping *mapping;
};

void releaseMemory(gpointer data)
{
  auto *ref = static_cast<MemoryRef *>(data);
  ref->pw->lock();
  if (!ref->mapping->removed && ref->pw->active)
    pw_stream_queue_buffer(ref->pw->stream, ref->mapping->buffer);
  ref->pw->unlock();
  ref->pw->held--;
  ref->mapping->unref();
  delete ref;
}

class MutterBackend final : public CaptureBackend
{
public:
  MutterBackend(std::shared_ptr<MutterSession> session, std::string pipewire_remote)
    : session_(std::move(session)), remote_(std::move(pipewire_remote))
  {
  }
  ~MutterBackend() override { stop(); }

  const char *name() const override { return "mutter-screencast"; }
  std::string outputName() const override { return session_->outputName(); }

  bool probe(FrameFormat *format, GError **error) override
  {
    if (!connectStream(error))
      return false;
    std::unique_lock<std::mutex> locker(lock_);
    bool ok = cond_.wait_for(locker, std::chrono::milliseconds(5000), [this] {
      return format_.format != GST_VIDEO_FORMAT_UNKNOWN || !error_.empty();
    });
    if (!error_.empty()) {
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED, "%s", error_.c_str());
      return false;
    }
    if (!ok) {
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
                  "Mutter's screen cast stream (PipeWire node %u) did not start within 5 s: no "
                  "video format was negotiated. Is WirePlumber (or another PipeWire session "
                  "manager) running in the session?",
                  session_->nodeId());
      return false;
    }
    *format = format_;
    return true;
  }

  bool start(Callbacks callbacks, GError **error) override
  {
    if (!pw_ && !connectStream(error))
      return false;
    closed_cb_ = session_->addClosedCallback([this](const GError *err) { fail(err->message); });
    pw_->lock();
    callbacks_ = std::move(callbacks);
    running_ = true;
    /* The shape Mutter sent before (it sends each one once): the first
     * cursor update of this run carries it again. */
    shape_pending_ = shape_.image_changed;
    pw_->unlock();
    return true;
  }

  void stop() override
  {
    if (closed_cb_) {
      session_->removeClosedCallback(closed_cb_);
      closed_cb_ = 0;
    }
    if (!pw_)
      return;
    pw_->lock();
    running_ = false;
    callbacks_ = {};
    if (timer_) {
      pw_loop_destroy_source(pw_thread_loop_get_loop(pw_->loop), timer_);
      timer_ = nullptr;
    }
    deferred_.reset();
    /* Disconnecting removes the buffers (remove_buffer drops the stream's
     * hold on each mapping); memories downstream keep theirs. */
    pw_stream_disconnect(pw_->stream);
    pw_->active = false;
    spa_hook_remove(&pw_->stream_listener);
    spa_hook_remove(&pw_->core_listener);
    pw_->unlock();
    /* Memories downstream keep the stream (and loop) until they go. */
    pw_.reset();
  }

  void setMinInterval(uint64_t interval_ns) override { min_interval_ns_ = interval_ns; }
  /* The cursor mode is fixed when the Mutter stream is made. */
  void setShowCursor(bool) override {}

private:
  bool connectStream(GError **error);
  void fail(const std::string &message);
  void onParamChanged(uint32_t id, const spa_pod *param);
  void onProcess();
  /* The cursor meta of @sb, if any, to the cursor callback. */
  void takeCursor(spa_buffer *sb);
  void deliver(std::unique_ptr<CapturedFrame> frame);
  void onTimer();

  static const pw_stream_events kStreamEvents;
  static const pw_core_events kCoreEvents;

  std::shared_ptr<MutterSession> session_;
  std::string remote_;
  std::shared_ptr<PipeWireStream> pw_;
  unsigned closed_cb_ = 0;

  /* Loop thread (or under the loop lock). */
  Callbacks callbacks_;
  bool running_ = false;
  std::atomic<uint64_t> min_interval_ns_{0};
  int64_t last_frame_ns_ = 0;
  std::unique_ptr<CapturedFrame> deferred_; /* too soon after the last one */
  spa_source *timer_ = nullptr;
  spa_video_info_raw info_{};
  bool cursor_visible_ = false;
  /* The latest pointer image Mutter sent (image_* fields only), and whether
   * the callback has not had it yet. */
  CursorUpdate shape_;
  bool shape_pending_ = false;

  std::mutex lock_;
  std::condition_variable cond_;
  FrameFormat format_;
  std::string error_;
};

void MutterBackend::fail(const std::string &message)
{
  {
    std::lock_guard<std::mutex> locker(lock_);
    if (error_.empty())
      error_ = message;
    cond_.notify_all();
  }
  if (running_ && callbacks_.error) {
    g_autoptr(GError) err =
      g_error_new(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, "%s", message.c_str());
    callbacks_.error(err);
  }
}

const pw_core_events MutterBackend::kCoreEvents = [] {
  pw_core_events e{};
  e.version = PW_VERSION_CORE_EVENTS;
  e.error = [](void *data, uint32_t id, int, int res, const char *message) {
    if (id != PW_ID_CORE)
      return;
    static_cast<MutterBackend *>(data)->fail(
      std::string("The PipeWire connection to Mutter's screen cast failed: ") + message + " (" +
      spa_strerror(res) + ")");
  };
  return e;
}();

const pw_stream_events MutterBackend::kStreamEvents = [] {
  pw_stream_events e{};
  e.version = PW_VERSION_STREAM_EVENTS;
  e.state_changed = [](void *data, pw_stream_state old, pw_stream_state state, const char *err) {
    auto *self = static_cast<MutterBackend *>(data);
    GST_DEBUG("stream state %s -> %s", pw_stream_state_as_string(old),
              pw_stream_state_as_string(state));
    if (state == PW_STREAM_STATE_ERROR)
      self->fail(std::string("Mutter's screen cast stream failed: ") + (err ? err : "?"));
    else if (state == PW_STREAM_STATE_UNCONNECTED && old != PW_STREAM_STATE_UNCONNECTED)
      self->fail("Mutter's screen cast stream ended (Mutter closed it or exited)");
  };
  e.param_changed = [](void *data, uint32_t id, const spa_pod *param) {
    static_cast<MutterBackend *>(data)->onParamChanged(id, param);
  };
  e.add_buffer = [](void *data, pw_buffer *buffer) {
    auto *self = static_cast<MutterBackend *>(data);
    spa_data &d = buffer->buffer->datas[0];
    auto *m = new Mapping();
    m->buffer = buffer;
    if (d.type == SPA_DATA_MemFd && d.fd >= 0) {
      m->length = d.mapoffset + d.maxsize;
      m->base = mmap(nullptr, m->length, PROT_READ, MAP_SHARED, static_cast<int>(d.fd), 0);
      if (m->base == MAP_FAILED) {
        GST_WARNING("mmap of a PipeWire buffer failed: %s", g_strerror(errno));
        m->base = nullptr;
      } else {
        m->data = static_cast<uint8_t *>(m->base) + d.mapoffset;
      }
    } else if (d.type == SPA_DATA_MemPtr) {
      m->data = static_cast<uint8_t *>(d.data);
    }
    buffer->user_data = m;
    self->pw_->n_buffers++;
  };
  e.remove_buffer = [](void *data, pw_buffer *buffer) {
    auto *self = static_cast<MutterBackend *>(data);
    auto *m = static_cast<Mapping *>(buffer->user_data);
    if (m) {
      m->removed = true;
      m->unref();
    }
    buffer->user_data = nullptr;
    self->pw_->n_buffers--;
  };
  e.process = [](void *data) { static_cast<MutterBackend *>(data)->onProcess(); };
  return e;
}();

bool MutterBackend::connectStream(GError **error)
{
  static std::once_flag once;
  std::call_once(once, [] {
    pw_init(nullptr, nullptr);
    GST_DEBUG_CATEGORY_INIT(vdi_pipewire_debug, "vdipipewire", 0,
                            "gst-vdi Mutter ScreenCast PipeWire capture");
  });
  auto pw = std::make_shared<PipeWireStream>();
  pw->loop = pw_thread_loop_new("vdi-pipewire", nullptr);
  pw->context = pw_context_new(pw_thread_loop_get_loop(pw->loop), nullptr, 0);
  if (!pw->context || pw_thread_loop_start(pw->loop) < 0) {
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
                "Cannot start a PipeWire client (pw_context_new)");
    return false;
  }
  pw->lock();
  pw_properties *props = nullptr;
  if (!remote_.empty())
    props = pw_properties_new(PW_KEY_REMOTE_NAME, remote_.c_str(), nullptr);
  pw->core = pw_context_connect(pw->context, props, 0);
  if (!pw->core) {
    int err = errno;
    pw->unlock();
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                "Cannot connect to the session's PipeWire (%s) to read Mutter's screen cast: %s",
                remote_.empty() ? "pipewire-0 in $XDG_RUNTIME_DIR" : remote_.c_str(),
                g_strerror(err));
    return false;
  }
  pw_ = pw;
  pw_core_add_listener(pw->core, &pw->core_listener, &kCoreEvents, this);
  pw->stream = pw_stream_new(pw->core, "vdiwaylandsrc",
                             pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY,
                                               "Capture", PW_KEY_MEDIA_ROLE, "Screen", nullptr));
  pw_stream_add_listener(pw->stream, &pw->stream_listener, &kStreamEvents, this);

  uint8_t buf[1024];
  spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
  spa_rectangle def = SPA_RECTANGLE(1920, 1080), min = SPA_RECTANGLE(1, 1),
                max = SPA_RECTANGLE(32767, 32767);
  spa_fraction zero = SPA_FRACTION(0, 1), rate = SPA_FRACTION(60, 1),
               rate_max = SPA_FRACTION(1000, 1);
  const spa_pod *params[1];
  params[0] = static_cast<const spa_pod *>(spa_pod_builder_add_object(
    &b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat, SPA_FORMAT_mediaType,
    SPA_POD_Id(SPA_MEDIA_TYPE_video), SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
    SPA_FORMAT_VIDEO_format,
    SPA_POD_CHOICE_ENUM_Id(9, SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRA,
                           SPA_VIDEO_FORMAT_RGBx, SPA_VIDEO_FORMAT_RGBA, SPA_VIDEO_FORMAT_xRGB,
                           SPA_VIDEO_FORMAT_ARGB, SPA_VIDEO_FORMAT_xBGR, SPA_VIDEO_FORMAT_ABGR),
    SPA_FORMAT_VIDEO_size, SPA_POD_CHOICE_RANGE_Rectangle(&def, &min, &max),
    SPA_FORMAT_VIDEO_framerate, SPA_POD_Fraction(&zero), SPA_FORMAT_VIDEO_maxFramerate,
    SPA_POD_CHOICE_RANGE_Fraction(&rate, &zero, &rate_max)));
  int res = pw_stream_connect(pw->stream, PW_DIRECTION_INPUT, session_->nodeId(),
                              static_cast<pw_stream_flags>(PW_STREAM_FLAG_AUTOCONNECT), params, 1);
  pw->unlock();
  if (res < 0) {
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                "Cannot connect to Mutter's screen cast stream (PipeWire node %u): %s",
                session_->nodeId(), spa_strerror(res));
    return false;
  }
  return true;
}

void MutterBackend::onParamChanged(uint32_t id, const spa_pod *param)
{
  if (id != SPA_PARAM_Format || !param)
    return;
  spa_video_info_raw info{};
  if (spa_format_video_raw_parse(param, &info) < 0)
    return;
  GstVideoFormat format = toGst(info.format);
  GST_INFO("Mutter stream format: %s %ux%u",
           spa_debug_type_find_short_name(spa_type_video_format, info.format), info.size.width,
           info.size.height);
  if (format == GST_VIDEO_FORMAT_UNKNOWN) {
    fail("Mutter offered a pixel format vdiwaylandsrc does not know");
    return;
  }
  info_ = info;
  int stride = SPA_ROUND_UP_N(static_cast<int>(info.size.width) * 4, 4);
  int size = stride * static_cast<int>(info.size.height);

  uint8_t buf[1024];
  spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
  const spa_pod *params[4];
  params[0] = static_cast<const spa_pod *>(spa_pod_builder_add_object(
    &b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers, SPA_PARAM_BUFFERS_buffers,
    SPA_POD_CHOICE_RANGE_Int(16, 4, 16), SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
    SPA_PARAM_BUFFERS_size, SPA_POD_Int(size), SPA_PARAM_BUFFERS_stride, SPA_POD_Int(stride),
    SPA_PARAM_BUFFERS_dataType,
    SPA_POD_CHOICE_FLAGS_Int((1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr))));
  params[1] = static_cast<const spa_pod *>(spa_pod_builder_add_object(
    &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
    SPA_PARAM_META_size, SPA_POD_Int(sizeof(spa_meta_header))));
  params[2] = static_cast<const spa_pod *>(spa_pod_builder_add_object(
    &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Cursor),
    SPA_PARAM_META_size,
    SPA_POD_CHOICE_RANGE_Int(cursorMetaSize(384, 384), cursorMetaSize(1, 1),
                             cursorMetaSize(kMaxCursorSize, kMaxCursorSize))));
  params[3] = static_cast<const spa_pod *>(spa_pod_builder_add_object(
    &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type,
    SPA_POD_Id(SPA_META_VideoDamage), SPA_PARAM_META_size,
    SPA_POD_CHOICE_RANGE_Int(sizeof(spa_meta_region) * kMaxDamageRects, sizeof(spa_meta_region),
                             sizeof(spa_meta_region) * kMaxDamageRects)));
  pw_stream_update_params(pw_->stream, params, 4);

  std::lock_guard<std::mutex> locker(lock_);
  format_.format = format;
  format_.width = static_cast<int>(info.size.width);
  format_.height = static_cast<int>(info.size.height);
  format_.stride = stride;
  format_.refresh_mhz =
    info.max_framerate.denom
      ? static_cast<int>(1000LL * info.max_framerate.num / info.max_framerate.denom)
      : 0;
  cond_.notify_all();
}

void MutterBackend::takeCursor(spa_buffer *sb)
{
  auto *cursor = static_cast<spa_meta_cursor *>(
    spa_buffer_find_meta_data(sb, SPA_META_Cursor, sizeof(spa_meta_cursor)));
  if (!cursor)
    return;
  CursorUpdate update;
  update.visible = spa_meta_cursor_is_valid(cursor);
  GST_LOG("cursor meta: id %u at %d,%d bitmap offset %u", cursor->id, cursor->position.x,
          cursor->position.y, cursor->bitmap_offset);
  if (update.visible && cursor->bitmap_offset >= sizeof(spa_meta_cursor)) {
    /* A new shape. Mutter sends the hotspot only with a bitmap (0 else).
     * An empty bitmap: no image (Mutter 43 headless has not rendered the
     * sprite, or a client hid the pointer); the viewer draws its own. */
    auto *bitmap = SPA_PTROFF(cursor, cursor->bitmap_offset, spa_meta_bitmap);
    GST_LOG("cursor bitmap: %ux%u format %u stride %d", bitmap->size.width, bitmap->size.height,
            bitmap->format, bitmap->stride);
    shape_ = CursorUpdate();
    shape_.image_changed = true;
    shape_.hotspot_x = cursor->hotspot.x;
    shape_.hotspot_y = cursor->hotspot.y;
    if (bitmap->size.width > 0 && bitmap->size.height > 0 &&
        toGst(bitmap->format) != GST_VIDEO_FORMAT_UNKNOWN) {
      shape_.image_format = toGst(bitmap->format);
      shape_.image_width = static_cast<int>(bitmap->size.width);
      shape_.image_height = static_cast<int>(bitmap->size.height);
      const auto *pixels = SPA_PTROFF(bitmap, bitmap->offset, uint8_t);
      for (uint32_t y = 0; y < bitmap->size.height; y++)
        shape_.image.insert(shape_.image.end(), pixels + y * bitmap->stride,
                            pixels + y * bitmap->stride + bitmap->size.width * 4);
    }
    shape_pending_ = true;
  }
  if (update.visible) {
    update.x = cursor->position.x;
    update.y = cursor->position.y;
    update.hotspot_x = shape_.hotspot_x;
    update.hotspot_y = shape_.hotspot_y;
  }
  bool changed = update.visible != cursor_visible_ || update.visible;
  cursor_visible_ = update.visible;
  if (!changed || !running_ || !callbacks_.cursor)
    return;
  if (shape_pending_ && update.visible) {
    update.image_changed = true;
    update.image_format = shape_.image_format;
    update.image_width = shape_.image_width;
    update.image_height = shape_.image_height;
    update.image = shape_.image;
    shape_pending_ = false;
  }
  callbacks_.cursor(update);
}

void MutterBackend::onProcess()
{
  /* Only the newest frame matters; older buffers go straight back, but
   * each one's cursor counts (Mutter sends a pointer image only once). */
  pw_buffer *newest = nullptr;
  while (pw_buffer *b = pw_stream_dequeue_buffer(pw_->stream)) {
    takeCursor(b->buffer);
    if (newest)
      pw_stream_queue_buffer(pw_->stream, newest);
    newest = b;
  }
  if (!newest)
    return;
  spa_buffer *sb = newest->buffer;
  GST_LOG("buffer: %u metas (%u %u), chunk size %u", sb->n_metas, sb->metas[0].type,
          sb->n_metas > 1 ? sb->metas[1].type : 0,
          sb->datas[0].chunk ? sb->datas[0].chunk->size : 0);
  auto *mapping = static_cast<Mapping *>(newest->user_data);

  auto *header = static_cast<spa_meta_header *>(
    spa_buffer_find_meta_data(sb, SPA_META_Header, sizeof(spa_meta_header)));
  spa_data &d = sb->datas[0];
  bool has_frame = d.chunk && d.chunk->size > 0 && mapping && mapping->data &&
                   !(header && (header->flags & SPA_META_HEADER_FLAG_CORRUPTED));
  if (!has_frame || !running_) {
    pw_stream_queue_buffer(pw_->stream, newest);
    return;
  }

  auto frame = std::make_unique<CapturedFrame>();
  {
    std::lock_guard<std::mutex> locker(lock_);
    frame->format = format_;
  }
  if (d.chunk->stride > 0)
    frame->format.stride = d.chunk->stride;
  size_t size = static_cast<size_t>(frame->format.stride) * frame->format.height;
  size_t offset = d.chunk->offset % (d.maxsize ? d.maxsize : 1);
  if (offset + size > d.maxsize) {
    GST_WARNING("PipeWire buffer too small: %u < %zu", d.maxsize, offset + size);
    pw_stream_queue_buffer(pw_->stream, newest);
    return;
  }

  GstMemory *mem;
  if (pw_->held.load() + kSpareBuffers >= pw_->n_buffers) {
    /* Downstream holds nearly every buffer: copy, give this one back. */
    mem = gst_allocator_alloc(nullptr, size, nullptr);
    GstMapInfo map;
    gst_memory_map(mem, &map, GST_MAP_WRITE);
    memcpy(map.data, mapping->data + offset, size);
    gst_memory_unmap(mem, &map);
    pw_stream_queue_buffer(pw_->stream, newest);
    GST_LOG("copied a frame (%d of %d buffers held downstream)", pw_->held.load(), pw_->n_buffers);
  } else {
    mapping->refs++;
    pw_->held++;
    auto *ref = new MemoryRef{pw_, mapping};
    mem = gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, mapping->data + offset, size, 0, size,
                                 ref, releaseMemory);
  }
  frame->buffer.reset(gst_buffer_new());
  gst_buffer_append_memory(frame->buffer.get(), mem);
  gsize offsets[GST_VIDEO_MAX_PLANES] = {0};
  gint strides[GST_VIDEO_MAX_PLANES] = {frame->format.stride};
  gst_buffer_add_video_meta_full(frame->buffer.get(), GST_VIDEO_FRAME_FLAG_NONE,
                                 frame->format.format, frame->format.width, frame->format.height, 1,
                                 offsets, strides);

  if (auto *damage = spa_buffer_find_meta(sb, SPA_META_VideoDamage)) {
    spa_meta_region *r;
    spa_meta_for_each(r, damage)
    {
      if (!spa_meta_region_is_valid(r))
        break;
      frame->damage.push_back({r->region.position.x, r->region.position.y,
                               static_cast<int>(r->region.size.width),
                               static_cast<int>(r->region.size.height)});
    }
  }
  if (frame->damage.empty())
    frame->damage.push_back({0, 0, frame->format.width, frame->format.height});
  frame->ready_time_ns = monotonicNs();
  deliver(std::move(frame));
}

void MutterBackend::deliver(std::unique_ptr<CapturedFrame> frame)
{
  int64_t now = monotonicNs();
  int64_t due = last_frame_ns_ + static_cast<int64_t>(min_interval_ns_.load());
  if (last_frame_ns_ != 0 && now < due) {
    /* Too soon: keep the newest until the interval is over (its damage
     * covers what the dropped one changed: Mutter 43 frames are full). */
    if (deferred_ && deferred_->format.sameLayout(frame->format)) {
      auto &d = frame->damage;
      d.insert(d.end(), deferred_->damage.begin(), deferred_->damage.end());
    }
    deferred_ = std::move(frame);
    pw_loop *loop = pw_thread_loop_get_loop(pw_->loop);
    if (!timer_)
      timer_ = pw_loop_add_timer(
        loop, [](void *data, uint64_t) { static_cast<MutterBackend *>(data)->onTimer(); }, this);
    timespec value = {static_cast<time_t>((due - now) / 1000000000),
                      static_cast<long>((due - now) % 1000000000)};
    timespec interval = {0, 0};
    pw_loop_update_timer(loop, timer_, &value, &interval, false);
    return;
  }
  last_frame_ns_ = now;
  if (running_ && callbacks_.frame)
    callbacks_.frame(std::move(*frame));
}

void MutterBackend::onTimer()
{
  if (deferred_) {
    auto frame = std::move(deferred_);
    last_frame_ns_ = 0;
    deliver(std::move(frame));
  }
}

} // namespace

std::unique_ptr<CaptureBackend> createMutterBackend(std::shared_ptr<MutterSession> session,
                                                    const std::string &pipewire_remote)
{
  return std::make_unique<MutterBackend>(std::move(session), pipewire_remote);
}

} // namespace vdi
