/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-vdiwaylandsrc
 * @title: vdiwaylandsrc
 * @short_description: capture one output of a running Wayland compositor
 *
 * vdiwaylandsrc is a live source that captures an output of a Wayland
 * compositor, for example a headless sway session on a server without a
 * monitor, through the wlr-screencopy protocol (wlroots compositors: sway,
 * labwc, cage, river, Hyprland), or a GNOME session (`mutter --headless`,
 * GNOME Shell) through Mutter's own ScreenCast (frames over PipeWire) and
 * RemoteDesktop (input, clipboard) D-Bus interfaces; see
 * #GstVdiWaylandSrc:backend. With Mutter and show-cursor=false the pointer
 * is not drawn into the frames but sent downstream as `vdi-cursor`
 * out-of-band events (position, hotspot, RGBA image) for the viewer to draw.
 *
 * It pushes a frame only when the screen changed. While nothing changes it
 * repeats the last frame every #GstVdiWaylandSrc:keepalive milliseconds so
 * that encoders and viewers keep receiving data. A force-key-unit event (or
 * the custom upstream event `vdi-repaint`) from downstream re-pushes the last
 * frame at once, so a new viewer need not wait for the screen to change.
 * Encoders consume upstream force-key-unit events themselves; elements that
 * sit behind an encoder send `vdi-repaint` as well, which every element
 * forwards upstream.
 *
 * Frames are the compositor's shared-memory buffers, passed on without a
 * copy, in the compositor's pixel format (usually BGRx). Each new frame
 * carries one #GstVideoRegionOfInterestMeta per changed rectangle, with
 * roi_type `vdi-damage`; repeated frames carry none. The buffer offset is
 * the number of the frame whose pixels a buffer shows (a repeat has the
 * number of the frame it repeats), so an element after the source can tell
 * a frame lost on the way (vdidamageconvert does). The framerate in the
 * caps is the most frames per second the source will push (the output's
 * refresh rate unless downstream asks for less); the real rate follows the
 * screen's changes. When the output changes size (e.g. `swaymsg output
 * HEADLESS-1 resolution 1280x720`) the caps are renegotiated without
 * stopping the pipeline.
 *
 * Upstream navigation events (mouse, keyboard, touch) and the vdi-* custom
 * upstream events of docs/input-protocol.md (text, keyboard layout,
 * clipboard) that reach this source are injected into the compositor.
 *
 * When another client sets the session's clipboard, the element posts a
 * `vdi-clipboard` element message and sends the same structure downstream
 * as a custom out-of-band event (see #GstVdiWaylandSrc:watch-clipboard).
 *
 * ## Examples
 * |[
 * gst-launch-1.0 vdiwaylandsrc display=wayland-1 ! videoconvert ! autovideosink
 * ]| Shows the first output of the compositor on socket wayland-1.
 * |[
 * gst-launch-1.0 -e vdiwaylandsrc output=HEADLESS-1 keepalive=500 \
 *     ! video/x-raw,framerate=30/1 ! videoconvert \
 *     ! x264enc tune=zerolatency speed-preset=ultrafast ! h264parse \
 *     ! mp4mux ! filesink location=desktop.mp4
 * ]| Records output HEADLESS-1 of $WAYLAND_DISPLAY at up to 30 frames per
 * second into an MP4 file (stop with Ctrl+C).
 * |[
 * gst-launch-1.0 vdiwaylandsrc display=/run/user/1000/wayland-1 show-cursor=false \
 *     ! videoconvert ! x264enc tune=zerolatency ! mpegtsmux \
 *     ! srtsink uri=srt://:8890 wait-for-connection=false
 * ]| Serves the desktop over SRT, without the mouse pointer.
 * |[
 * gst-launch-1.0 vdiwaylandsrc backend=mutter bus-address=unix:path=/run/user/1000/bus \
 *     display=/run/user/1000/wayland-0 ! videoconvert ! autovideosink
 * ]| Shows the primary monitor of the GNOME / Mutter session of user 1000
 * (e.g. `mutter --headless --virtual-monitor 1920x1080` with PipeWire and
 * WirePlumber running in that session).
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvdiwaylandsrc.h"

#include "capture-backend.h"
#include "clipboard.h"
#include "compositor-choice.h"
#include "cursor-event.h"
#include "damage-meta.h"
#include "events.h"
#include "injector.h"
#include "input-message.h"
#include "wayland-connection.h"

#include <gst/video/video.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gst_vdi_wayland_src_debug);
#define GST_CAT_DEFAULT gst_vdi_wayland_src_debug

#define DEFAULT_OUTPUT nullptr
#define DEFAULT_SHOW_CURSOR TRUE
#define DEFAULT_KEEPALIVE 1000
#define DEFAULT_FRAMERATE 60
#define DEFAULT_WATCH_CLIPBOARD TRUE

/* Name of the custom upstream event that asks for an immediate re-push. */

enum {
  PROP_0,
  PROP_DISPLAY,
  PROP_OUTPUT,
  PROP_SHOW_CURSOR,
  PROP_KEEPALIVE,
  PROP_WATCH_CLIPBOARD,
  PROP_CLIPBOARD_LIMIT,
  PROP_BACKEND,
  PROP_BUS_ADDRESS,
};

#define VIDEO_FORMATS                                                                              \
  "{ BGRx, BGRA, RGBx, RGBA, xBGR, ABGR, xRGB, ARGB, BGR10A2_LE, RGB16, RGB, BGR }"

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
  "src", GST_PAD_SRC, GST_PAD_ALWAYS,
  GST_STATIC_CAPS("video/x-raw, format = (string) " VIDEO_FORMATS
                  ", width = (int) [ 1, 32767 ], height = (int) [ 1, 32767 ], "
                  "framerate = (fraction) [ 1/1, 1000/1 ], "
                  "pixel-aspect-ratio = (fraction) 1/1"));

namespace {

using namespace vdi;

/* Settings, guarded by the object lock. */
struct Settings {
  CompositorRequest compositor; /* display, output, backend, bus-address */
  bool show_cursor = DEFAULT_SHOW_CURSOR;
  guint keepalive_ms = DEFAULT_KEEPALIVE;
  bool watch_clipboard = DEFAULT_WATCH_CLIPBOARD;
  guint64 clipboard_limit = vdi::kDefaultClipboardLimit;
};

/* Streaming state. */
struct State {
  Settings settings;

  WaylandConnectionPtr conn; /* null for Mutter without a display */
  unsigned conn_error_cb = 0;
  std::shared_ptr<MutterSession> mutter; /* Mutter: shared by capture and input */
  std::unique_ptr<CaptureBackend> backend;
  FrameFormat probed; /* what the output looks like at start() */
  /* Injects upstream navigation (and vdi-* input) events; null when the
   * compositor cannot take input. Set and taken under lock. */
  std::shared_ptr<Injector> injector;

  /* Guarded by lock. Written by the event thread (frames, errors) and the
   * application thread (unlock, events); read by the streaming thread. */
  std::mutex lock;
  std::condition_variable cond;
  bool flushing = false;
  bool repaint = false;
  std::unique_ptr<CapturedFrame> pending; /* newest frame not pushed yet */
  GError *error = nullptr;

  /* Streaming thread only. */
  BufferPtr last; /* last pushed frame, for repeats */
  FrameFormat negotiated;
  int fps_n = 0, fps_d = 1;
  int64_t last_push_ns = 0;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  int64_t start_ns = 0;
  bool discont = true;
  guint64 frame_number = 0; /* of the newest frame, in GST_BUFFER_OFFSET */

  ~State() { g_clear_error(&error); }
};

} // namespace

struct _GstVdiWaylandSrc {
  GstPushSrc parent;
  State *state;
};

#define gst_vdi_wayland_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstVdiWaylandSrc, gst_vdi_wayland_src, GST_TYPE_PUSH_SRC,
                        GST_DEBUG_CATEGORY_INIT(gst_vdi_wayland_src_debug, "vdiwaylandsrc", 0,
                                                "Wayland output capture"));
GST_ELEMENT_REGISTER_DEFINE(vdiwaylandsrc, "vdiwaylandsrc", GST_RANK_NONE,
                            GST_TYPE_VDI_WAYLAND_SRC);

static int64_t monotonic_ns()
{
  return g_get_monotonic_time() * 1000;
}

/* ---- properties ---------------------------------------------------------- */

static void gst_vdi_wayland_src_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec)
{
  auto *self = GST_VDI_WAYLAND_SRC(object);
  Settings &s = self->state->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_SHOW_CURSOR:
    s.show_cursor = g_value_get_boolean(value);
    if (self->state->backend)
      self->state->backend->setShowCursor(s.show_cursor);
    break;
  case PROP_KEEPALIVE:
    s.keepalive_ms = g_value_get_uint(value);
    break;
  case PROP_WATCH_CLIPBOARD:
    s.watch_clipboard = g_value_get_boolean(value);
    break;
  case PROP_CLIPBOARD_LIMIT:
    s.clipboard_limit = g_value_get_uint64(value);
    break;
  default:
    if (!setCompositorProperty(&s.compositor, pspec, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  guint64 limit = s.clipboard_limit;
  GST_OBJECT_UNLOCK(self);
  if (prop_id == PROP_CLIPBOARD_LIMIT) {
    std::lock_guard<std::mutex> locker(self->state->lock);
    if (self->state->injector)
      self->state->injector->setClipboardLimit(static_cast<size_t>(limit));
  }
  if (prop_id == PROP_KEEPALIVE) {
    /* A waiting create() recomputes its deadline. */
    std::lock_guard<std::mutex> locker(self->state->lock);
    self->state->cond.notify_all();
  }
}

static void gst_vdi_wayland_src_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
  auto *self = GST_VDI_WAYLAND_SRC(object);
  const Settings &s = self->state->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_SHOW_CURSOR:
    g_value_set_boolean(value, s.show_cursor);
    break;
  case PROP_KEEPALIVE:
    g_value_set_uint(value, s.keepalive_ms);
    break;
  case PROP_WATCH_CLIPBOARD:
    g_value_set_boolean(value, s.watch_clipboard);
    break;
  case PROP_CLIPBOARD_LIMIT:
    g_value_set_uint64(value, s.clipboard_limit);
    break;
  default:
    if (!getCompositorProperty(s.compositor, pspec, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

/* ---- start / stop -------------------------------------------------------- */

static void post_gerror(GstVdiWaylandSrc *self, const GError *error)
{
  GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("%s", error->message),
                    ("vdiwaylandsrc: %s (domain %s, code %d)", error->message,
                     g_quark_to_string(error->domain), error->code));
}

/* Maps a GST_RESOURCE_ERROR from the connection layer to the element error
 * code a user sees. */
static void post_start_error(GstVdiWaylandSrc *self, const GError *error)
{
  switch (error->code) {
  case GST_RESOURCE_ERROR_NOT_FOUND:
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("%s", error->message), (nullptr));
    break;
  case GST_RESOURCE_ERROR_OPEN_READ:
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("%s", error->message), (nullptr));
    break;
  case GST_RESOURCE_ERROR_SETTINGS:
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", error->message), (nullptr));
    break;
  default:
    post_gerror(self, error);
    break;
  }
}

/* Another client set the session's clipboard (Wayland event thread): tell
 * the application (bus) and the elements downstream (vdiwebrtcsink sends it
 * to its viewers). The event is out-of-band, so encoders pass it on at
 * once and it never waits for a frame. */
static void report_clipboard(GstVdiWaylandSrc *self, const std::string &mime, GBytes *data)
{
  GstStructure *s = Clipboard::reportStructure(mime, data);
  GST_INFO_OBJECT(self, "session clipboard changed: %s, %" G_GSIZE_FORMAT " bytes", mime.c_str(),
                  g_bytes_get_size(data));
  GstEvent *event = gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_OOB, gst_structure_copy(s));
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  if (!gst_pad_push_event(GST_BASE_SRC_PAD(self), event))
    GST_DEBUG_OBJECT(self, "nothing downstream took the vdi-clipboard event");
}

static gboolean gst_vdi_wayland_src_start(GstBaseSrc *basesrc)
{
  auto *self = GST_VDI_WAYLAND_SRC(basesrc);
  State *st = self->state;

  GST_OBJECT_LOCK(self);
  bool show_cursor = st->settings.show_cursor;
  bool watch_clipboard = st->settings.watch_clipboard;
  guint64 clipboard_limit = st->settings.clipboard_limit;
  CompositorRequest request = st->settings.compositor;
  request.show_cursor = show_cursor;
  GST_OBJECT_UNLOCK(self);

  g_autoptr(GError) error = nullptr;
  CompositorLink link;
  if (!openCompositor(request, &link, &error)) {
    post_start_error(self, error);
    return FALSE;
  }
  st->conn = std::move(link.conn);
  st->mutter = std::move(link.mutter);
  std::unique_ptr<CaptureBackend> backend = std::move(link.capture);
  backend->setShowCursor(show_cursor);
  if (!backend->probe(&st->probed, &error)) {
    post_start_error(self, error);
    backend.reset();
    st->mutter.reset();
    st->conn.reset();
    return FALSE;
  }
  /* Published under the object lock, which set_property (show-cursor) and
   * get_caps (any thread) take to use it. */
  GST_OBJECT_LOCK(self);
  st->backend = std::move(backend);
  st->backend->setShowCursor(st->settings.show_cursor);
  GST_OBJECT_UNLOCK(self);
  GST_INFO_OBJECT(self, "capturing %s on %s with %s: %s %dx%d stride %d, %d mHz",
                  st->backend->outputName().c_str(), link.where().c_str(), st->backend->name(),
                  gst_video_format_to_string(st->probed.format), st->probed.width,
                  st->probed.height, st->probed.stride, st->probed.refresh_mhz);

  /* A dead compositor must end the stream, not hang it. */
  GstVdiWaylandSrc *weak = self;
  if (st->conn)
    st->conn_error_cb = st->conn->addErrorCallback([weak](const GError *err) {
      State *s = weak->state;
      std::lock_guard<std::mutex> locker(s->lock);
      if (!s->error)
        s->error = g_error_copy(err);
      s->cond.notify_all();
    });

  {
    std::lock_guard<std::mutex> locker(st->lock);
    st->pending.reset();
    g_clear_error(&st->error);
    st->repaint = false;
  }
  st->last.reset();
  st->negotiated = {};
  st->last_push_ns = 0;
  st->last_pts = GST_CLOCK_TIME_NONE;
  st->start_ns = monotonic_ns();
  st->discont = true;

  CaptureBackend::Callbacks callbacks;
  callbacks.frame = [weak](CapturedFrame &&frame) {
    State *s = weak->state;
    std::lock_guard<std::mutex> locker(s->lock);
    if (s->pending)
      GST_LOG_OBJECT(weak, "replacing a frame downstream did not take yet");
    /* Keep the damage of a frame we drop: the next one must cover it. */
    if (s->pending && !s->pending->format.sameLayout(frame.format))
      s->pending.reset();
    if (s->pending) {
      auto &d = frame.damage;
      d.insert(d.end(), s->pending->damage.begin(), s->pending->damage.end());
    }
    s->pending = std::make_unique<CapturedFrame>(std::move(frame));
    s->cond.notify_all();
  };
  callbacks.error = [weak](const GError *err) {
    State *s = weak->state;
    std::lock_guard<std::mutex> locker(s->lock);
    if (!s->error)
      s->error = g_error_copy(err);
    s->cond.notify_all();
  };
  callbacks.cursor = [weak](const CursorUpdate &cursor) {
    /* Out-of-band: it overtakes queued frames, like the pointer itself. */
    GstEvent *event =
      gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_OOB, cursorEventStructure(cursor));
    gst_pad_push_event(GST_BASE_SRC_PAD(weak), event);
  };
  if (!st->backend->start(std::move(callbacks), &error)) {
    post_gerror(self, error);
    return FALSE;
  }

  /* Input from downstream goes into the same compositor and output. */
  InjectorOptions input;
  input.output = st->backend->outputName();
  input.lazy_pointer = true; /* no cursor in the frames until the pointer is used */
  input.clipboard_limit = static_cast<size_t>(clipboard_limit);
  input.watch_clipboard = watch_clipboard;
  input.on_clipboard = [weak](const std::string &mime, GBytes *data) {
    report_clipboard(weak, mime, data);
  };
  input.on_warning = [weak](const std::string &message) {
    GST_ELEMENT_WARNING(weak, RESOURCE, READ, ("%s", message.c_str()), (nullptr));
  };
  g_autoptr(GError) input_error = nullptr;
  std::shared_ptr<Injector> injector = st->mutter
                                         ? createMutterInjector(st->mutter, input, &input_error)
                                         : Injector::create(st->conn, input, &input_error);
  if (!injector)
    GST_WARNING_OBJECT(self, "navigation events will be ignored: %s", input_error->message);
  std::lock_guard<std::mutex> locker(st->lock);
  st->injector = std::move(injector);
  return TRUE;
}

static gboolean gst_vdi_wayland_src_stop(GstBaseSrc *basesrc)
{
  auto *self = GST_VDI_WAYLAND_SRC(basesrc);
  State *st = self->state;

  /* Releases every key and button still held (when the last user is done). */
  std::shared_ptr<Injector> injector;
  {
    std::lock_guard<std::mutex> locker(st->lock);
    injector = std::move(st->injector);
  }
  injector.reset();
  std::unique_ptr<CaptureBackend> backend;
  GST_OBJECT_LOCK(self);
  backend = std::move(st->backend);
  GST_OBJECT_UNLOCK(self);
  if (backend)
    backend->stop();
  if (st->conn && st->conn_error_cb)
    st->conn->removeErrorCallback(st->conn_error_cb);
  st->conn_error_cb = 0;
  {
    std::lock_guard<std::mutex> locker(st->lock);
    st->pending.reset();
  }
  st->last.reset();
  backend.reset();
  st->mutter.reset();
  /* Buffers still downstream keep the connection alive until they go. */
  st->conn.reset();
  return TRUE;
}

/* ---- caps ---------------------------------------------------------------- */

static GstCaps *gst_vdi_wayland_src_get_caps(GstBaseSrc *basesrc, GstCaps *filter)
{
  auto *self = GST_VDI_WAYLAND_SRC(basesrc);
  State *st = self->state;
  GstCaps *caps;

  /* Once started, the output's format and size are known. */
  GST_OBJECT_LOCK(self);
  bool started = st->backend && st->probed.format != GST_VIDEO_FORMAT_UNKNOWN;
  GST_OBJECT_UNLOCK(self);
  if (started)
    caps = (st->negotiated.width ? st->negotiated : st->probed).caps(0, 1);
  else
    caps = gst_pad_get_pad_template_caps(GST_BASE_SRC_PAD(basesrc));

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = tmp;
  }
  return caps;
}

static GstCaps *gst_vdi_wayland_src_fixate(GstBaseSrc *basesrc, GstCaps *caps)
{
  auto *self = GST_VDI_WAYLAND_SRC(basesrc);
  caps = gst_caps_make_writable(caps);
  GstStructure *s = gst_caps_get_structure(caps, 0);
  /* As many frames as the output shows, unless downstream wants fewer. */
  gst_structure_fixate_field_nearest_fraction(s, "framerate",
                                              self->state->probed.defaultFps(DEFAULT_FRAMERATE), 1);
  return GST_BASE_SRC_CLASS(parent_class)->fixate(basesrc, caps);
}

static gboolean gst_vdi_wayland_src_set_caps(GstBaseSrc *basesrc, GstCaps *caps)
{
  auto *self = GST_VDI_WAYLAND_SRC(basesrc);
  State *st = self->state;
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, caps))
    return FALSE;
  st->fps_n = GST_VIDEO_INFO_FPS_N(&info);
  st->fps_d = GST_VIDEO_INFO_FPS_D(&info);
  if (st->fps_n <= 0) {
    st->fps_n = st->probed.defaultFps(DEFAULT_FRAMERATE);
    st->fps_d = 1;
  }
  st->negotiated.format = GST_VIDEO_INFO_FORMAT(&info);
  st->negotiated.width = GST_VIDEO_INFO_WIDTH(&info);
  st->negotiated.height = GST_VIDEO_INFO_HEIGHT(&info);
  st->negotiated.stride = GST_VIDEO_INFO_PLANE_STRIDE(&info, 0);
  if (st->backend)
    st->backend->setMinInterval(gst_util_uint64_scale_int(GST_SECOND, st->fps_d, st->fps_n));
  GST_INFO_OBJECT(self, "negotiated %" GST_PTR_FORMAT, caps);
  return TRUE;
}

/* ---- queries and events -------------------------------------------------- */

static gboolean gst_vdi_wayland_src_query(GstBaseSrc *basesrc, GstQuery *query)
{
  auto *self = GST_VDI_WAYLAND_SRC(basesrc);
  State *st = self->state;

  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
    if (st->fps_n <= 0)
      return FALSE;
    /* A frame is at most one frame interval old when we push it. */
    GstClockTime frame = gst_util_uint64_scale_int(GST_SECOND, st->fps_d, st->fps_n);
    gst_query_set_latency(query, TRUE, frame, frame);
    GST_DEBUG_OBJECT(self, "latency %" GST_TIME_FORMAT, GST_TIME_ARGS(frame));
    return TRUE;
  }
  return GST_BASE_SRC_CLASS(parent_class)->query(basesrc, query);
}

static gboolean gst_vdi_wayland_src_event(GstBaseSrc *basesrc, GstEvent *event)
{
  auto *self = GST_VDI_WAYLAND_SRC(basesrc);
  State *st = self->state;

  if (vdi::isRepaintRequest(event)) {
    GST_DEBUG_OBJECT(self, "re-push requested by %" GST_PTR_FORMAT, event);
    std::lock_guard<std::mutex> locker(st->lock);
    st->repaint = true;
    st->cond.notify_all();
    return TRUE;
  }
  if (isInputEvent(event)) {
    std::shared_ptr<Injector> injector;
    {
      std::lock_guard<std::mutex> locker(st->lock);
      injector = st->injector;
    }
    if (!injector) {
      GST_DEBUG_OBJECT(self, "no injector, dropping %" GST_PTR_FORMAT, event);
      return FALSE;
    }
    std::string why;
    if (injector->inject(event, &why) != Injector::Result::Ok) {
      GST_WARNING_OBJECT(self, "dropped input event: %s", why.c_str());
      return FALSE;
    }
    return TRUE;
  }
  return GST_BASE_SRC_CLASS(parent_class)->event(basesrc, event);
}

static gboolean gst_vdi_wayland_src_unlock(GstBaseSrc *basesrc)
{
  auto *self = GST_VDI_WAYLAND_SRC(basesrc);
  std::lock_guard<std::mutex> locker(self->state->lock);
  self->state->flushing = true;
  self->state->cond.notify_all();
  return TRUE;
}

static gboolean gst_vdi_wayland_src_unlock_stop(GstBaseSrc *basesrc)
{
  auto *self = GST_VDI_WAYLAND_SRC(basesrc);
  std::lock_guard<std::mutex> locker(self->state->lock);
  self->state->flushing = false;
  return TRUE;
}

/* ---- streaming ----------------------------------------------------------- */

/* Running time for a frame that became ready at @ready_ns (monotonic). */
static GstClockTime frame_running_time(GstVdiWaylandSrc *self, int64_t ready_ns)
{
  State *st = self->state;
  int64_t now = monotonic_ns();
  int64_t age = std::max<int64_t>(0, now - ready_ns);
  GstClockTime running;

  GstClock *clock = GST_ELEMENT_CLOCK(self);
  if (clock) {
    GstClockTime clock_now = gst_clock_get_time(clock);
    GstClockTime base = GST_ELEMENT_CAST(self)->base_time;
    running = clock_now > base ? clock_now - base : 0;
  } else {
    running = static_cast<GstClockTime>(now - st->start_ns);
  }
  running = running > static_cast<GstClockTime>(age) ? running - age : 0;
  if (GST_CLOCK_TIME_IS_VALID(st->last_pts) && running <= st->last_pts)
    running = st->last_pts + 1;
  return running;
}

static GstFlowReturn gst_vdi_wayland_src_create(GstPushSrc *pushsrc, GstBuffer **outbuf)
{
  auto *self = GST_VDI_WAYLAND_SRC(pushsrc);
  State *st = self->state;
  std::unique_ptr<CapturedFrame> frame;

  {
    std::unique_lock<std::mutex> locker(st->lock);
    while (true) {
      if (st->flushing)
        return GST_FLOW_FLUSHING;
      if (st->error) {
        g_autoptr(GError) err = st->error;
        st->error = nullptr;
        locker.unlock();
        post_gerror(self, err);
        return GST_FLOW_ERROR;
      }
      if (st->pending) {
        frame = std::move(st->pending);
        st->repaint = false;
        break;
      }
      if (st->last && st->repaint) {
        st->repaint = false;
        break;
      }
      GST_OBJECT_LOCK(self);
      int64_t keepalive = static_cast<int64_t>(st->settings.keepalive_ms) * GST_MSECOND;
      GST_OBJECT_UNLOCK(self);
      if (st->last && keepalive > 0) {
        int64_t due = st->last_push_ns + keepalive;
        int64_t now = monotonic_ns();
        if (now >= due)
          break;
        st->cond.wait_for(locker, std::chrono::nanoseconds(due - now));
      } else {
        st->cond.wait(locker);
      }
    }
  }

  GstBuffer *buf;
  GstClockTime pts;
  if (frame) {
    if (!frame->format.sameLayout(st->negotiated)) {
      GST_INFO_OBJECT(self, "output is now %dx%d %s, renegotiating", frame->format.width,
                      frame->format.height, gst_video_format_to_string(frame->format.format));
      g_autoptr(GstCaps) caps = frame->format.caps(st->fps_n > 0 ? st->fps_n : 0, st->fps_d);
      if (!gst_base_src_set_caps(GST_BASE_SRC(self), caps)) {
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                          ("The output changed to %dx%d, which downstream does not accept.",
                           frame->format.width, frame->format.height),
                          ("caps %" GST_PTR_FORMAT " refused", caps));
        return GST_FLOW_NOT_NEGOTIATED;
      }
      st->negotiated.stride = frame->format.stride;
      st->discont = true;
    }
    pts = frame_running_time(self, frame->ready_time_ns);
    st->last = std::move(frame->buffer);
    buf = gst_buffer_copy(st->last.get());
    addDamageMeta(buf, frame->damage);
    st->frame_number++;
  } else {
    pts = frame_running_time(self, monotonic_ns());
    buf = gst_buffer_copy(st->last.get());
  }

  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET(buf) = st->frame_number;
  GST_BUFFER_DURATION(buf) = st->fps_n > 0
                               ? gst_util_uint64_scale_int(GST_SECOND, st->fps_d, st->fps_n)
                               : GST_CLOCK_TIME_NONE;
  if (st->discont) {
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
    st->discont = false;
  }
  st->last_pts = pts;
  st->last_push_ns = monotonic_ns();
  GST_LOG_OBJECT(self, "%s frame, pts %" GST_TIME_FORMAT, frame ? "new" : "repeated",
                 GST_TIME_ARGS(pts));
  *outbuf = buf;
  return GST_FLOW_OK;
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vdi_wayland_src_init(GstVdiWaylandSrc *self)
{
  self->state = new State();
  gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
  gst_base_src_set_do_timestamp(GST_BASE_SRC(self), FALSE);
}

static void gst_vdi_wayland_src_finalize(GObject *object)
{
  auto *self = GST_VDI_WAYLAND_SRC(object);
  delete self->state;
  self->state = nullptr;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vdi_wayland_src_class_init(GstVdiWaylandSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS(klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS(klass);

  gobject_class->set_property = gst_vdi_wayland_src_set_property;
  gobject_class->get_property = gst_vdi_wayland_src_get_property;
  gobject_class->finalize = gst_vdi_wayland_src_finalize;

  /**
   * GstVdiWaylandSrc:display:
   *
   * The compositor to capture: a Wayland socket name, looked up in
   * $XDG_RUNTIME_DIR (e.g. `wayland-1`), or an absolute socket path. Unset
   * means $WAYLAND_DISPLAY.
   */
  g_object_class_install_property(gobject_class, PROP_DISPLAY, vdi::displayParamSpec());

  /**
   * GstVdiWaylandSrc:output:
   *
   * Name of the output to capture, as the compositor names it (`swaymsg -t
   * get_outputs` lists them, e.g. `HEADLESS-1`). Unset means the first
   * output. An unknown name fails with a message that lists the outputs.
   */
  g_object_class_install_property(
    gobject_class, PROP_OUTPUT,
    g_param_spec_string("output", "Output",
                        "Name of the output to capture (e.g. HEADLESS-1); unset means the "
                        "first output",
                        DEFAULT_OUTPUT,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_READY)));

  /**
   * GstVdiWaylandSrc:show-cursor:
   *
   * Whether the compositor draws the mouse pointer into the frames. Turn it
   * off when the viewer draws its own pointer. Takes effect from the next
   * frame.
   */
  g_object_class_install_property(
    gobject_class, PROP_SHOW_CURSOR,
    g_param_spec_boolean("show-cursor", "Show cursor", "Draw the mouse pointer into the frames",
                         DEFAULT_SHOW_CURSOR,
                         static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  GST_PARAM_MUTABLE_PLAYING)));

  /**
   * GstVdiWaylandSrc:keepalive:
   *
   * While the screen does not change, the last frame is pushed again after
   * this many milliseconds, so that encoders, muxers and viewers keep
   * receiving data. 0 pushes nothing while the screen is still.
   */
  g_object_class_install_property(
    gobject_class, PROP_KEEPALIVE,
    g_param_spec_uint("keepalive", "Keepalive (ms)",
                      "Repeat the last frame after this many milliseconds without a change "
                      "(0 = never)",
                      0, G_MAXUINT, DEFAULT_KEEPALIVE,
                      static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                               GST_PARAM_MUTABLE_PLAYING)));

  /**
   * GstVdiWaylandSrc:watch-clipboard:
   *
   * Watch the session's clipboard (wlr-data-control). When another client
   * sets the selection, the element posts an element message
   * `vdi-clipboard` (mime, data as base64, bytes, size; the same as
   * vdiinputsink) and sends the same structure downstream as a custom
   * out-of-band event, which vdiwebrtcsink forwards to its viewers.
   * Selections set through `vdi-clipboard-set` are not reported back.
   */
  g_object_class_install_property(
    gobject_class, PROP_WATCH_CLIPBOARD,
    g_param_spec_boolean("watch-clipboard", "Watch clipboard",
                         "Report clipboard changes of the session (bus message and downstream "
                         "event 'vdi-clipboard')",
                         DEFAULT_WATCH_CLIPBOARD,
                         static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  GST_PARAM_MUTABLE_READY)));

  /**
   * GstVdiWaylandSrc:clipboard-limit:
   *
   * Largest clipboard content, in bytes, accepted either way: a larger
   * `vdi-clipboard-set` is refused, a larger session clipboard is not
   * reported (a warning message instead). Never truncated.
   */
  g_object_class_install_property(gobject_class, PROP_CLIPBOARD_LIMIT,
                                  vdi::clipboardLimitParamSpec());

  /**
   * GstVdiWaylandSrc:backend:
   *
   * How frames (and input) get in and out of the compositor.
   * `wlr-screencopy`: the wlroots protocols on the Wayland socket (sway,
   * labwc, cage, river). `mutter`: Mutter's own remote desktop interfaces on
   * the D-Bus session bus (#GstVdiWaylandSrc:bus-address): a ScreenCast
   * stream of the monitor read over PipeWire, input and clipboard through
   * RemoteDesktop (GNOME Shell, `mutter --headless`). `auto` uses
   * wlr-screencopy when the compositor at #GstVdiWaylandSrc:display offers
   * it, else Mutter.
   */
  g_object_class_install_property(gobject_class, PROP_BACKEND, vdi::backendParamSpec());

  /**
   * GstVdiWaylandSrc:bus-address:
   *
   * D-Bus address of the session bus Mutter is on, e.g.
   * `unix:path=/run/user/1000/bus`. Unset means $DBUS_SESSION_BUS_ADDRESS.
   * The PipeWire socket of the stream is `pipewire-0` beside the Wayland
   * socket when #GstVdiWaylandSrc:display is an absolute path, else the
   * default one ($PIPEWIRE_REMOTE or pipewire-0 in $XDG_RUNTIME_DIR).
   */
  g_object_class_install_property(gobject_class, PROP_BUS_ADDRESS, vdi::busAddressParamSpec());

  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
    element_class, "Wayland output capture", "Source/Video",
    "Captures an output of a Wayland compositor, zero-copy: wlr-screencopy (sway, labwc, cage, "
    "river) or Mutter ScreenCast over PipeWire (GNOME, mutter --headless; 'backend'). Pushes a "
    "frame only when the screen changes (damage boxes as "
    "GstVideoRegionOfInterestMeta, roi_type vdi-damage), repeats the last frame every "
    "'keepalive' ms while it is still, and re-pushes it at once on a force-key-unit or "
    "'vdi-repaint' upstream event. Injects upstream navigation events; reports clipboard "
    "changes (bus message and downstream OOB event 'vdi-clipboard').\n"
    "Examples:\n"
    "  gst-launch-1.0 vdiwaylandsrc display=wayland-1 ! videoconvert ! autovideosink\n"
    "  gst-launch-1.0 -e vdiwaylandsrc output=HEADLESS-1 ! video/x-raw,framerate=30/1 ! "
    "videoconvert ! x264enc tune=zerolatency ! h264parse ! mp4mux ! filesink "
    "location=desktop.mp4\n"
    "  gst-launch-1.0 vdiwaylandsrc backend=mutter bus-address=unix:path=/run/user/1000/bus "
    "display=/run/user/1000/wayland-0 ! videoconvert ! autovideosink",
    "gst-vdi developers");

  basesrc_class->start = GST_DEBUG_FUNCPTR(gst_vdi_wayland_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR(gst_vdi_wayland_src_stop);
  basesrc_class->get_caps = GST_DEBUG_FUNCPTR(gst_vdi_wayland_src_get_caps);
  basesrc_class->fixate = GST_DEBUG_FUNCPTR(gst_vdi_wayland_src_fixate);
  basesrc_class->set_caps = GST_DEBUG_FUNCPTR(gst_vdi_wayland_src_set_caps);
  basesrc_class->query = GST_DEBUG_FUNCPTR(gst_vdi_wayland_src_query);
  basesrc_class->event = GST_DEBUG_FUNCPTR(gst_vdi_wayland_src_event);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR(gst_vdi_wayland_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR(gst_vdi_wayland_src_unlock_stop);
  pushsrc_class->create = GST_DEBUG_FUNCPTR(gst_vdi_wayland_src_create);
}
