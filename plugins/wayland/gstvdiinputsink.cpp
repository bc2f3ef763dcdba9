/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-vdiinputsink
 * @title: vdiinputsink
 * @short_description: inject keyboard, mouse and clipboard input into a Wayland session
 *
 * vdiinputsink reads input messages, newline-delimited JSON in the
 * webrtcsink control-channel shape, and injects them into a Wayland
 * compositor through the virtual keyboard, virtual pointer and data-control
 * protocols (wlroots compositors: sway, labwc, river), or into a GNOME /
 * Mutter session through Mutter's RemoteDesktop D-Bus interface
 * (#GstVdiInputSink:backend):
 *
 * |[
 * {"id":1,"request":{"type":"navigationEvent","event":{"event":"MouseMove","x":100,"y":50}}}
 * {"id":2,"request":{"type":"navigationEvent","event":{"event":"KeyPress","key":"EuroSign"}}}
 * {"id":3,"request":{"type":"customUpstreamEvent","structureName":"vdi-text","structure":{"text":"Grüße"}}}
 * ]|
 *
 * docs/input-protocol.md describes every message. A line may arrive split
 * across buffers and a buffer may hold several lines, so any byte stream
 * works as input (a file, a TCP connection, an appsrc).
 *
 * Keys are typed exactly: `@` arrives as `at` on a `us` and on a `de`
 * keymap (AltGr+q there), keysyms the layout lacks are typed through
 * temporary keys. With Mutter, keysyms are typed with the session's own
 * layout (Mutter picks the key and level), so a keysym that layout lacks
 * cannot be typed and `vdi-keyboard-layout` is refused. All keys and
 * buttons are released on EOS, flush, and when the element stops, so no key
 * stays stuck.
 *
 * Bad messages (malformed JSON, unknown events, invalid keysyms,
 * coordinates outside the output, lines longer than the limit) are dropped
 * with a warning in the debug log and counted in #GstVdiInputSink:stats;
 * they never stop the pipeline.
 *
 * When the session's clipboard changes, the element posts an element
 * message `vdi-clipboard` with the fields `mime` (string), `data` (string,
 * base64), `bytes` (GBytes) and `size` (guint64).
 *
 * ## Examples
 * |[
 * gst-launch-1.0 filesrc location=input.jsonl ! vdiinputsink display=wayland-1
 * ]| Replays recorded input into the compositor on socket wayland-1.
 * |[
 * gst-launch-1.0 tcpserversrc host=127.0.0.1 port=7000 ! vdiinputsink output=HEADLESS-1
 * ]| Injects the input an application sends over TCP (one JSON message per line).
 * |[
 * gst-launch-1.0 filesrc location=input.jsonl ! vdiinputsink backend=mutter \
 *     bus-address=unix:path=/run/user/1000/bus
 * ]| Replays recorded input into the GNOME / Mutter session of user 1000.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvdiinputsink.h"

#include "clipboard.h"
#include "compositor-choice.h"
#include "injector.h"
#include "input-message.h"
#include "wayland-connection.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gst_vdi_input_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_input_sink_debug

/* Lines besides clipboard data are small; this leaves room for base64 of
 * the clipboard limit. */
#define LINE_OVERHEAD (64 * 1024)

enum {
  PROP_0,
  PROP_DISPLAY,
  PROP_OUTPUT,
  PROP_CLIPBOARD_LIMIT,
  PROP_STATS,
  PROP_BACKEND,
  PROP_BUS_ADDRESS,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
  "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-vdi-input"));

namespace {

using namespace vdi;

struct Settings {
  CompositorRequest compositor; /* display, output, backend, bus-address */
  guint64 clipboard_limit = vdi::kDefaultClipboardLimit;
};

struct Stats {
  guint64 accepted = 0;
  guint64 rejected = 0;
  guint64 oversized = 0;
  guint64 clipboard_changes = 0;
  std::string last_error;
};

struct State {
  Settings settings; /* object lock */
  Stats stats;       /* stats_lock */
  std::mutex stats_lock;

  WaylandConnectionPtr conn;
  unsigned conn_error_cb = 0;
  std::shared_ptr<MutterSession> mutter;
  std::unique_ptr<Injector> injector;

  /* Streaming thread only. */
  std::string pending;       /* bytes of an incomplete line */
  size_t scanned = 0;        /* of pending, known to hold no newline */
  bool discarding = false;   /* inside an oversized line */
  guint64 applied_limit = 0; /* clipboard-limit the injector has */
};

size_t maxLineFor(guint64 clipboard_limit)
{
  return static_cast<size_t>(clipboard_limit / 3 * 4 + 4 + LINE_OVERHEAD);
}

} // namespace

struct _GstVdiInputSink {
  GstBaseSink parent;
  State *state;
};

#define gst_vdi_input_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstVdiInputSink, gst_vdi_input_sink, GST_TYPE_BASE_SINK,
                        GST_DEBUG_CATEGORY_INIT(gst_vdi_input_sink_debug, "vdiinputsink", 0,
                                                "Wayland input injection"));
GST_ELEMENT_REGISTER_DEFINE(vdiinputsink, "vdiinputsink", GST_RANK_NONE, GST_TYPE_VDI_INPUT_SINK);

/* ---- stats --------------------------------------------------------------- */

static void count_rejected(GstVdiInputSink *self, const std::string &why, bool oversized = false)
{
  GST_WARNING_OBJECT(self, "dropped input message: %s", why.c_str());
  std::lock_guard<std::mutex> locker(self->state->stats_lock);
  self->state->stats.rejected++;
  if (oversized)
    self->state->stats.oversized++;
  self->state->stats.last_error = why;
}

static void count_accepted(GstVdiInputSink *self)
{
  std::lock_guard<std::mutex> locker(self->state->stats_lock);
  self->state->stats.accepted++;
}

static GstStructure *make_stats(GstVdiInputSink *self)
{
  std::lock_guard<std::mutex> locker(self->state->stats_lock);
  const Stats &s = self->state->stats;
  return gst_structure_new("application/x-vdi-input-stats", "accepted", G_TYPE_UINT64, s.accepted,
                           "rejected", G_TYPE_UINT64, s.rejected, "oversized", G_TYPE_UINT64,
                           s.oversized, "clipboard-changes", G_TYPE_UINT64, s.clipboard_changes,
                           "last-error", G_TYPE_STRING, s.last_error.c_str(), nullptr);
}

/* ---- properties ---------------------------------------------------------- */

static void gst_vdi_input_sink_set_property(GObject *object, guint prop_id, const GValue *value,
                                            GParamSpec *pspec)
{
  auto *self = GST_VDI_INPUT_SINK(object);
  Settings &s = self->state->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_CLIPBOARD_LIMIT:
    s.clipboard_limit = g_value_get_uint64(value);
    break;
  default:
    if (!setCompositorProperty(&s.compositor, pspec, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_vdi_input_sink_get_property(GObject *object, guint prop_id, GValue *value,
                                            GParamSpec *pspec)
{
  auto *self = GST_VDI_INPUT_SINK(object);
  const Settings &s = self->state->settings;
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(self)); /* takes its own locks */
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
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

static void post_clipboard(GstVdiInputSink *self, const std::string &mime, GBytes *data)
{
  gsize size = g_bytes_get_size(data);
  GstStructure *s = Clipboard::reportStructure(mime, data);
  {
    std::lock_guard<std::mutex> locker(self->state->stats_lock);
    self->state->stats.clipboard_changes++;
  }
  GST_INFO_OBJECT(self, "session clipboard changed: %s, %" G_GSIZE_FORMAT " bytes", mime.c_str(),
                  size);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

static gboolean gst_vdi_input_sink_start(GstBaseSink *basesink)
{
  auto *self = GST_VDI_INPUT_SINK(basesink);
  State *st = self->state;

  GST_OBJECT_LOCK(self);
  guint64 limit = st->settings.clipboard_limit;
  CompositorRequest request = st->settings.compositor;
  request.capture = false;
  GST_OBJECT_UNLOCK(self);
  const std::string &output = request.output;

  g_autoptr(GError) error = nullptr;
  CompositorLink link;
  if (!openCompositor(request, &link, &error)) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("%s", error->message), (nullptr));
    return FALSE;
  }
  InjectorOptions options;
  options.output = output;
  options.watch_clipboard = true;
  options.clipboard_limit = static_cast<size_t>(limit);
  options.on_clipboard = [self](const std::string &mime, GBytes *data) {
    post_clipboard(self, mime, data);
  };
  options.on_warning = [self](const std::string &message) {
    GST_ELEMENT_WARNING(self, RESOURCE, READ, ("%s", message.c_str()), (nullptr));
  };
  if (link.mutter) {
    st->injector = createMutterInjector(link.mutter, options, &error);
  } else {
    st->injector = Injector::create(link.conn, options, &error);
    if (!st->injector && request.backend == GST_VDI_BACKEND_AUTO &&
        error->code == GST_RESOURCE_ERROR_SETTINGS) {
      /* A compositor without the wlroots input protocols: Mutter? */
      g_autoptr(GError) mutter_error = nullptr;
      request.backend = GST_VDI_BACKEND_MUTTER;
      link = CompositorLink();
      if (openCompositor(request, &link, &mutter_error)) {
        g_clear_error(&error);
        st->injector = createMutterInjector(link.mutter, options, &error);
      } else {
        GError *both = g_error_new(GST_RESOURCE_ERROR, error->code, "%s. Mutter was tried too: %s",
                                   error->message, mutter_error->message);
        g_clear_error(&error);
        error = both;
      }
    }
  }
  st->conn = link.conn;
  st->mutter = link.mutter;
  if (!st->injector) {
    if (error->code == GST_RESOURCE_ERROR_NOT_FOUND)
      GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("%s", error->message), (nullptr));
    else
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", error->message), (nullptr));
    st->conn.reset();
    st->mutter.reset();
    return FALSE;
  }
  GST_INFO_OBJECT(self, "injecting into %s on %s", st->injector->outputName().c_str(),
                  link.where().c_str());
  st->pending.clear();
  st->scanned = 0;
  st->discarding = false;
  st->applied_limit = limit;
  return TRUE;
}

static gboolean gst_vdi_input_sink_stop(GstBaseSink *basesink)
{
  auto *self = GST_VDI_INPUT_SINK(basesink);
  State *st = self->state;
  /* Releases every key and button still down. */
  st->injector.reset();
  st->mutter.reset();
  st->conn.reset();
  st->pending.clear();
  st->scanned = 0;
  st->discarding = false;
  return TRUE;
}

/* ---- streaming ----------------------------------------------------------- */

/* Handles one complete line. Returns FALSE when the compositor is gone. */
static bool handle_line(GstVdiInputSink *self, std::string_view line)
{
  /* Blank lines (keep-alives) are not messages. */
  if (std::all_of(line.begin(), line.end(), [](char c) { return g_ascii_isspace(c); }))
    return true;
  InputMessage msg = parseInputMessage(line);
  if (!msg.ok()) {
    count_rejected(self, msg.error);
    return true;
  }
  std::string error;
  switch (self->state->injector->inject(msg.event.get(), &error)) {
  case Injector::Result::Ok:
    GST_LOG_OBJECT(self, "injected %" GST_PTR_FORMAT, msg.event.get());
    count_accepted(self);
    return true;
  case Injector::Result::Rejected:
    count_rejected(self, error);
    return true;
  case Injector::Result::Failed:
  default:
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("%s", error.c_str()), (nullptr));
    return false;
  }
}

static GstFlowReturn process_bytes(GstVdiInputSink *self, const char *data, size_t size)
{
  State *st = self->state;
  GST_OBJECT_LOCK(self);
  guint64 limit = st->settings.clipboard_limit;
  GST_OBJECT_UNLOCK(self);
  size_t max_line = maxLineFor(limit);
  /* A new clipboard-limit takes effect with the next buffer. */
  if (limit != st->applied_limit && st->injector) {
    st->injector->setClipboardLimit(static_cast<size_t>(limit));
    st->applied_limit = limit;
  }

  while (size > 0) {
    if (st->discarding) {
      const char *nl = static_cast<const char *>(memchr(data, '\n', size));
      if (!nl)
        return GST_FLOW_OK;
      st->discarding = false;
      size -= static_cast<size_t>(nl + 1 - data);
      data = nl + 1;
      continue;
    }
    const char *nl = static_cast<const char *>(memchr(data, '\n', size));
    size_t take = nl ? static_cast<size_t>(nl - data) : size;
    if (st->pending.size() + take > max_line) {
      count_rejected(
        self, "line longer than " + std::to_string(max_line) + " bytes (clipboard-limit)", true);
      st->pending.clear();
      st->discarding = nl == nullptr;
      if (!nl)
        return GST_FLOW_OK;
      size -= take + 1;
      data = nl + 1;
      continue;
    }
    if (!nl) {
      st->pending.append(data, size);
      return GST_FLOW_OK;
    }
    bool ok;
    if (st->pending.empty()) {
      ok = handle_line(self, std::string_view(data, take));
    } else {
      st->pending.append(data, take);
      ok = handle_line(self, st->pending);
      st->pending.clear();
    }
    if (!ok)
      return GST_FLOW_ERROR;
    size -= take + 1;
    data = nl + 1;
  }
  return GST_FLOW_OK;
}

static GstFlowReturn gst_vdi_input_sink_render(GstBaseSink *basesink, GstBuffer *buffer)
{
  auto *self = GST_VDI_INPUT_SINK(basesink);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not read an input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  GstFlowReturn ret = process_bytes(self, reinterpret_cast<const char *>(map.data), map.size);
  gst_buffer_unmap(buffer, &map);
  return ret;
}

static gboolean gst_vdi_input_sink_event(GstBaseSink *basesink, GstEvent *event)
{
  auto *self = GST_VDI_INPUT_SINK(basesink);
  State *st = self->state;
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_EOS:
    /* A last line without a newline still counts. */
    if (!st->pending.empty() && !st->discarding && st->injector) {
      std::string last = std::move(st->pending);
      st->pending.clear();
      handle_line(self, last);
    }
    st->pending.clear();
    st->discarding = false;
    if (st->injector)
      st->injector->releaseAll();
    break;
  case GST_EVENT_FLUSH_START:
    if (st->injector)
      st->injector->releaseAll();
    break;
  case GST_EVENT_FLUSH_STOP:
    st->pending.clear();
    st->discarding = false;
    break;
  default:
    break;
  }
  return GST_BASE_SINK_CLASS(parent_class)->event(basesink, event);
}

static GstStateChangeReturn gst_vdi_input_sink_change_state(GstElement *element,
                                                            GstStateChange transition)
{
  auto *self = GST_VDI_INPUT_SINK(element);
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  /* basesink connects in NULL->READY; READY must not keep keys down. The
   * streaming thread has stopped once the pads are deactivated. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    State *st = self->state;
    if (st->injector)
      st->injector->releaseAll();
    st->pending.clear();
    st->discarding = false;
  }
  return ret;
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vdi_input_sink_init(GstVdiInputSink *self)
{
  self->state = new State();
  /* Input is acted on when it arrives, never scheduled against a clock. */
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);
  gst_base_sink_set_async_enabled(GST_BASE_SINK(self), FALSE);
}

static void gst_vdi_input_sink_finalize(GObject *object)
{
  auto *self = GST_VDI_INPUT_SINK(object);
  delete self->state;
  self->state = nullptr;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vdi_input_sink_class_init(GstVdiInputSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS(klass);

  gobject_class->set_property = gst_vdi_input_sink_set_property;
  gobject_class->get_property = gst_vdi_input_sink_get_property;
  gobject_class->finalize = gst_vdi_input_sink_finalize;

  /**
   * GstVdiInputSink:display:
   *
   * The compositor to inject into: a Wayland socket name, looked up in
   * $XDG_RUNTIME_DIR (e.g. `wayland-1`), or an absolute socket path. Unset
   * means $WAYLAND_DISPLAY.
   */
  g_object_class_install_property(gobject_class, PROP_DISPLAY, vdi::displayParamSpec());

  /**
   * GstVdiInputSink:output:
   *
   * Name of the output absolute pointer coordinates map onto (the one
   * vdiwaylandsrc captures), e.g. `HEADLESS-1`. Unset means the first
   * output. Coordinates are in the output's pixels.
   */
  g_object_class_install_property(
    gobject_class, PROP_OUTPUT,
    g_param_spec_string("output", "Output",
                        "Name of the output absolute coordinates map onto (e.g. HEADLESS-1); "
                        "unset means the first output",
                        nullptr,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_READY)));

  /**
   * GstVdiInputSink:clipboard-limit:
   *
   * Largest clipboard content, in bytes, accepted either way: a larger
   * vdi-clipboard-set is refused (counted in stats), a larger session
   * clipboard is not posted (a warning message instead). Data is never
   * truncated. Input lines may be up to the base64 size of this plus 64 KiB.
   */
  g_object_class_install_property(gobject_class, PROP_CLIPBOARD_LIMIT,
                                  vdi::clipboardLimitParamSpec());

  /**
   * GstVdiInputSink:backend:
   *
   * How input reaches the compositor: `wlr-screencopy` (the wlroots virtual
   * keyboard/pointer and data-control protocols on the Wayland socket),
   * `mutter` (Mutter's RemoteDesktop on the session bus, see
   * #GstVdiInputSink:bus-address) or `auto` (the wlroots protocols when the
   * compositor has them, else Mutter). With Mutter, keysyms are typed with
   * the session's own layout (vdi-keyboard-layout is refused).
   */
  g_object_class_install_property(gobject_class, PROP_BACKEND, vdi::backendParamSpec());

  /**
   * GstVdiInputSink:bus-address:
   *
   * D-Bus address of the session bus Mutter is on; unset means
   * $DBUS_SESSION_BUS_ADDRESS.
   */
  g_object_class_install_property(gobject_class, PROP_BUS_ADDRESS, vdi::busAddressParamSpec());

  /**
   * GstVdiInputSink:stats:
   *
   * Counters: `accepted` and `rejected` messages (guint64), `oversized`
   * lines (also counted as rejected), `clipboard-changes` posted, and
   * `last-error`, why the last message was rejected.
   */
  g_object_class_install_property(
    gobject_class, PROP_STATS,
    g_param_spec_boxed(
      "stats", "Statistics", "accepted, rejected, oversized, clipboard-changes and last-error",
      GST_TYPE_STRUCTURE, static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(
    element_class, "Wayland input injection", "Sink/Input",
    "Injects keyboard (X keysym names, any xkb layout), mouse and clipboard input into a Wayland "
    "compositor (wlroots: virtual-keyboard, virtual-pointer, data-control; Mutter/GNOME: "
    "RemoteDesktop on the session bus, 'backend'). Input: newline-delimited "
    "JSON in the webrtcsink control-channel shape, e.g. "
    "{\"id\":1,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"KeyPress\","
    "\"key\":\"a\"}}} (docs/input-protocol.md). Session clipboard changes are posted as "
    "'vdi-clipboard' element messages.\n"
    "Examples:\n"
    "  gst-launch-1.0 filesrc location=input.jsonl ! vdiinputsink display=wayland-1\n"
    "  gst-launch-1.0 tcpserversrc host=127.0.0.1 port=7000 ! vdiinputsink output=HEADLESS-1\n"
    "  gst-launch-1.0 filesrc location=input.jsonl ! vdiinputsink backend=mutter "
    "bus-address=unix:path=/run/user/1000/bus",
    "gst-vdi developers");

  element_class->change_state = GST_DEBUG_FUNCPTR(gst_vdi_input_sink_change_state);
  basesink_class->start = GST_DEBUG_FUNCPTR(gst_vdi_input_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR(gst_vdi_input_sink_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR(gst_vdi_input_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR(gst_vdi_input_sink_event);
}
