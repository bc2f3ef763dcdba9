/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-vdiwebrtcsink
 * @title: vdiwebrtcsink
 * @short_description: serve one encoded desktop to any number of browser viewers over WebRTC
 *
 * vdiwebrtcsink takes one encoded video stream (H.264; VP8, VP9 and AV1 are
 * accepted when the encoder upstream produces them) and sends it to any
 * number of WebRTC viewers. The encoder runs once: each viewer gets its own
 * `webrtcbin`, fed by a fan-out inside the element, added and removed while
 * the others keep playing.
 *
 * An optional `audio` request pad takes Opus; viewers that join once it
 * exists receive the audio too (`... ! opusenc ! sink.audio`).
 *
 * With #GstVdiWebrtcSink:microphone-sink set, a viewer in the control role
 * may send its microphone: its audio is negotiated `sendrecv` (view-only
 * viewers and the element without a microphone-sink: `sendonly`, and
 * whatever they send anyway is dropped). What it sends is decoded
 * (`rtpopusdepay ! opusdec ! audioconvert ! audioresample`) into a new
 * instance of the microphone-sink, inside the viewer's bin. One microphone
 * is heard at a time: the one that started sending last (when it stops for
 * a second, another that sends takes over). Packets that are not Opus, or
 * come from a viewer made view-only, are dropped; an error in the
 * microphone's chain drops the microphone, not the viewer.
 *
 * A joining viewer, a PLI or a FIR sends a force-key-unit event upstream (at
 * most one per #GstVdiWebrtcSink:min-keyframe-interval) together with the
 * custom upstream event `vdi-repaint`, which makes vdiwaylandsrc push its
 * last frame again at once, so the keyframe comes now even from a still
 * screen and an encoder with an infinite GOP. NACK and RTX are on.
 *
 * Each viewer gets webrtcsink's two reliable, ordered data channels:
 * `control`, whose messages
 * `{"id":N,"request":{"type":"navigationEvent","event":{...}}}` or
 * `{"id":N,"request":{"type":"customUpstreamEvent",...}}` become upstream
 * navigation / custom events on the video pad (vdiwaylandsrc injects them)
 * and are answered with `{"type":"ControlResponseMessage","id":N,"error":...}`,
 * and the older `input`, which takes bare navigation events
 * (`{"event":"MouseMove","x":..,"y":..}`) without replies.
 * #GstVdiWebrtcSink:viewer-control decides who may send input. Signalling
 * follows gst-plugins-rs' server closely enough for its JavaScript client,
 * gstwebrtc-api, to work unmodified in both offer modes;
 * #GstVdiWebrtcSink:meta is the producer meta its consumers see.
 *
 * From the viewers' RTCP feedback (loss, RTT) the element computes a target
 * bitrate between #GstVdiWebrtcSink:min-bitrate and
 * #GstVdiWebrtcSink:max-bitrate, for the weakest viewer, and sets it on the
 * encoder upstream (its `bitrate` property, in kbit/s).
 *
 * Signalling has two modes:
 *
 * - Built in: with #GstVdiWebrtcSink:port set the element serves HTTP on
 *   #GstVdiWebrtcSink:address: a player page at `/`, the gst-plugins-rs
 *   JSON signalling protocol on a WebSocket at `/signalling`, and WHEP
 *   (RFC 9725) at `/whep`.
 * - Relayed: the application carries the same JSON messages itself, through
 *   the action signals #GstVdiWebrtcSink::add-peer,
 *   #GstVdiWebrtcSink::handle-message and #GstVdiWebrtcSink::remove-peer and
 *   the signal #GstVdiWebrtcSink::send-message; #GstVdiWebrtcSink::set-peer-role
 *   makes a peer view-only. WHEP is relayed through
 *   #GstVdiWebrtcSink::whep-offer, #GstVdiWebrtcSink::whep-answer,
 *   #GstVdiWebrtcSink::whep-patch and #GstVdiWebrtcSink::whep-delete.
 *
 * When the session's clipboard changes (vdiwaylandsrc upstream sends the
 * custom downstream OOB event `vdi-clipboard`), every viewer that may
 * control gets `{"type":"vdi-clipboard","mime":...,"data":BASE64}` on its
 * data channel (text only); a viewer whose channel opens later gets the
 * latest one. The session's pointer (the OOB event `vdi-cursor` of
 * vdiwaylandsrc with show-cursor=false) goes to every viewer as
 * `{"type":"vdi-cursor",...}` (docs/input-protocol.md, "Cursor"), the shape
 * only when it changed, and all of it to a viewer whose channel opens.
 *
 * docs/webrtc.md describes the protocol, the bitrate algorithm and the
 * keyframe policy.
 *
 * ## Examples
 * |[
 * gst-launch-1.0 vdiwaylandsrc display=wayland-1 ! videoconvert \
 *     ! x264enc tune=zerolatency speed-preset=ultrafast ! vdiwebrtcsink port=8080
 * ]| A remote desktop: open http://HOST:8080/ in a browser.
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! video/x-raw,width=1280,height=720 \
 *     ! videoconvert ! x264enc tune=zerolatency key-int-max=0 \
 *     ! vdiwebrtcsink port=0 address=127.0.0.1 viewer-control=none
 * ]| A view-only test stream on a free port of the loopback interface (the
 * port is in the #GstVdiWebrtcSink:bound-port property and in the log).
 * |[
 * curl -s -X POST -H 'Content-Type: application/sdp' --data-binary @offer.sdp \
 *     http://HOST:8080/whep
 * ]| WHEP: the answer comes back with 201 Created and a Location header.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvdiwebrtcsink.h"

#include "webrtc-sink-state.h"

#include <sys/prctl.h>

#include <condition_variable>
#include <mutex>
#include <vector>

GST_DEBUG_CATEGORY(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

/* Custom downstream OOB event vdiwaylandsrc sends when the session's
 * clipboard changes: mime (string), data (string, base64). */
#define VDI_CLIPBOARD_EVENT "vdi-clipboard"
#define VDI_CURSOR_EVENT "vdi-cursor"

#define DEFAULT_PORT -1
#define DEFAULT_ADDRESS "0.0.0.0"
#define DEFAULT_VIEWER_CONTROL GST_VDI_VIEWER_CONTROL_ALL
#define DEFAULT_MIN_BITRATE 300
#define DEFAULT_MAX_BITRATE 8000
#define DEFAULT_MIN_KEYFRAME_INTERVAL 500
#define DEFAULT_MAX_VIEWERS 64

enum {
  PROP_0,
  PROP_PORT,
  PROP_ADDRESS,
  PROP_BOUND_PORT,
  PROP_WEB_ROOT,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
  PROP_ICE_ADDRESSES,
  PROP_VIEWER_CONTROL,
  PROP_CONGESTION_CONTROL,
  PROP_MIN_BITRATE,
  PROP_MAX_BITRATE,
  PROP_ENCODER,
  PROP_MIN_KEYFRAME_INTERVAL,
  PROP_MAX_VIEWERS,
  PROP_STATS,
  PROP_VIEWERS,
  PROP_PEER_ID,
  PROP_META,
  PROP_MICROPHONE_SINK,
};

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE(
  "video", GST_PAD_SINK, GST_PAD_ALWAYS,
  GST_STATIC_CAPS("video/x-h264, stream-format = (string) { avc, byte-stream }, "
                  "alignment = (string) au; "
                  "video/x-vp8; video/x-vp9; video/x-av1, stream-format = (string) obu-stream, "
                  "alignment = (string) tu"));

static GstStaticPadTemplate audio_template =
  GST_STATIC_PAD_TEMPLATE("audio", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS("audio/x-opus"));

/* What the caps query answers when upstream can give it: constrained
 * baseline is what every browser decodes. */
static GstStaticCaps preferred_h264 = GST_STATIC_CAPS(
  "video/x-h264, stream-format = (string) { avc, byte-stream }, alignment = (string) au, "
  "profile = (string) constrained-baseline");

using namespace vdi::webrtc;

#define gst_vdi_webrtc_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstVdiWebrtcSink, gst_vdi_webrtc_sink, GST_TYPE_BIN,
                        GST_DEBUG_CATEGORY_INIT(gst_vdi_webrtc_sink_debug, "vdiwebrtcsink", 0,
                                                "WebRTC fan-out sink"));
GST_ELEMENT_REGISTER_DEFINE(vdiwebrtcsink, "vdiwebrtcsink", GST_RANK_NONE,
                            GST_TYPE_VDI_WEBRTC_SINK);

/* ---- pads ------------------------------------------------------------------- */

static gboolean video_query(GstPad *pad, GstObject *parent, GstQuery *query)
{
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    GstCaps *filter = nullptr;
    gst_query_parse_caps(query, &filter);
    g_autoptr(GstCaps) templ = gst_pad_get_pad_template_caps(pad);
    GstCaps *result = nullptr;
    g_autoptr(GstCaps) preferred = gst_static_caps_get(&preferred_h264);
    if (filter && gst_caps_can_intersect(filter, preferred)) {
      /* H.264 only as constrained baseline (encoders pick their favourite
       * profile from a list), other codecs as they come. */
      result = gst_caps_copy(preferred);
      for (guint i = 1; i < gst_caps_get_size(templ); i++)
        result =
          gst_caps_merge_structure(result, gst_structure_copy(gst_caps_get_structure(templ, i)));
    } else {
      result = gst_caps_ref(templ);
    }
    if (filter) {
      GstCaps *tmp = gst_caps_intersect_full(filter, result, GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref(result);
      result = tmp;
    }
    gst_query_set_caps_result(query, result);
    gst_caps_unref(result);
    return TRUE;
  }
  return gst_pad_query_default(pad, parent, query);
}

static gboolean video_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
  auto *self = GST_VDI_WEBRTC_SINK(parent);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gst_event_parse_caps(event, &caps);
    self->state->core.setStreamCaps(caps);
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_DOWNSTREAM_OOB &&
             gst_event_has_name(event, VDI_CLIPBOARD_EVENT)) {
    /* The session's clipboard (from vdiwaylandsrc): to the control
     * viewers' data channels; it does not go into the viewer branches. */
    const GstStructure *s = gst_event_get_structure(event);
    const char *mime = gst_structure_get_string(s, "mime");
    const char *data = gst_structure_get_string(s, "data");
    if (mime && data)
      self->state->core.clipboardChanged(mime, data);
    else
      GST_WARNING_OBJECT(self, "ignoring %" GST_PTR_FORMAT " without mime and data", event);
    gst_event_unref(event);
    return TRUE;
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_DOWNSTREAM_OOB &&
             gst_event_has_name(event, VDI_CURSOR_EVENT)) {
    /* The session's pointer (vdiwaylandsrc, show-cursor=false): to every
     * viewer's data channel, to draw locally. */
    self->state->core.cursorChanged(gst_event_get_structure(event));
    gst_event_unref(event);
    return TRUE;
  }
  return gst_pad_event_default(pad, parent, event);
}

/* ---- properties --------------------------------------------------------------- */

static std::vector<std::string> strings_from_array(const GValue *v)
{
  std::vector<std::string> out;
  for (guint i = 0; i < gst_value_array_get_size(v); i++) {
    const GValue *e = gst_value_array_get_value(v, i);
    if (G_VALUE_HOLDS_STRING(e) && g_value_get_string(e) && *g_value_get_string(e))
      out.emplace_back(g_value_get_string(e));
  }
  return out;
}

static void strings_to_array(const std::vector<std::string> &in, GValue *v)
{
  for (auto &s : in) {
    GValue e = G_VALUE_INIT;
    g_value_init(&e, G_TYPE_STRING);
    g_value_set_string(&e, s.c_str());
    gst_value_array_append_and_take_value(v, &e);
  }
}

static std::string string_or(const GValue *value, const char *fallback = "")
{
  const char *s = g_value_get_string(value);
  return s ? s : fallback;
}

static void gst_vdi_webrtc_sink_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec)
{
  auto *self = GST_VDI_WEBRTC_SINK(object);
  Settings &s = self->state->core.settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_PORT:
    s.port = g_value_get_int(value);
    break;
  case PROP_ADDRESS:
    s.address = string_or(value, DEFAULT_ADDRESS);
    break;
  case PROP_WEB_ROOT:
    s.webRoot = string_or(value);
    break;
  case PROP_STUN_SERVER:
    s.stunServer = string_or(value);
    break;
  case PROP_TURN_SERVERS:
    s.turnServers = strings_from_array(value);
    break;
  case PROP_ICE_ADDRESSES:
    s.iceAddresses = strings_from_array(value);
    break;
  case PROP_VIEWER_CONTROL:
    s.control = GstVdiViewerControl(g_value_get_enum(value));
    break;
  case PROP_CONGESTION_CONTROL:
    s.congestion = GstVdiCongestionControl(g_value_get_enum(value));
    break;
  case PROP_MIN_BITRATE:
    s.minBitrate = g_value_get_uint(value);
    break;
  case PROP_MAX_BITRATE:
    s.maxBitrate = g_value_get_uint(value);
    break;
  case PROP_ENCODER:
    gst_object_replace(reinterpret_cast<GstObject **>(&s.encoder),
                       GST_OBJECT(g_value_get_object(value)));
    break;
  case PROP_MIN_KEYFRAME_INTERVAL:
    s.minKeyframeIntervalMs = g_value_get_uint(value);
    break;
  case PROP_MAX_VIEWERS:
    s.maxViewers = g_value_get_uint(value);
    break;
  case PROP_META:
    if (s.meta)
      gst_structure_free(s.meta);
    s.meta = g_value_get_boxed(value) ? gst_structure_copy(GST_STRUCTURE(g_value_get_boxed(value)))
                                      : nullptr;
    break;
  case PROP_MICROPHONE_SINK:
    s.microphoneSink = string_or(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  std::string meta = prop_id == PROP_META ? structureToJson(s.meta) : "";
  GST_OBJECT_UNLOCK(self);
  if (prop_id == PROP_META) {
    State *st = self->state;
    st->core.post([st, meta] {
      if (st->signalling)
        st->signalling->setProducerMeta(meta);
    });
  }
  if (prop_id == PROP_MIN_BITRATE || prop_id == PROP_MAX_BITRATE ||
      prop_id == PROP_VIEWER_CONTROL || prop_id == PROP_MIN_KEYFRAME_INTERVAL)
    self->state->core.settingsChanged();
}

static void gst_vdi_webrtc_sink_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
  auto *self = GST_VDI_WEBRTC_SINK(object);
  State *st = self->state;
  const Settings &s = st->core.settings;
  switch (prop_id) {
  case PROP_STATS:
    g_value_take_boxed(value, st->core.stats());
    return;
  case PROP_VIEWERS:
    g_value_set_uint(value, st->core.viewerCount());
    return;
  case PROP_BOUND_PORT: {
    std::lock_guard<std::mutex> l(st->lock);
    g_value_set_uint(value, st->boundPort);
    return;
  }
  case PROP_PEER_ID:
    g_value_set_string(value, st->producerId.c_str());
    return;
  default:
    break;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_PORT:
    g_value_set_int(value, s.port);
    break;
  case PROP_ADDRESS:
    g_value_set_string(value, s.address.c_str());
    break;
  case PROP_WEB_ROOT:
    g_value_set_string(value, s.webRoot.empty() ? nullptr : s.webRoot.c_str());
    break;
  case PROP_STUN_SERVER:
    g_value_set_string(value, s.stunServer.empty() ? nullptr : s.stunServer.c_str());
    break;
  case PROP_TURN_SERVERS:
    strings_to_array(s.turnServers, value);
    break;
  case PROP_ICE_ADDRESSES:
    strings_to_array(s.iceAddresses, value);
    break;
  case PROP_VIEWER_CONTROL:
    g_value_set_enum(value, s.control);
    break;
  case PROP_CONGESTION_CONTROL:
    g_value_set_enum(value, s.congestion);
    break;
  case PROP_MIN_BITRATE:
    g_value_set_uint(value, s.minBitrate);
    break;
  case PROP_MAX_BITRATE:
    g_value_set_uint(value, s.maxBitrate);
    break;
  case PROP_ENCODER:
    g_value_set_object(value, s.encoder);
    break;
  case PROP_MIN_KEYFRAME_INTERVAL:
    g_value_set_uint(value, s.minKeyframeIntervalMs);
    break;
  case PROP_MAX_VIEWERS:
    g_value_set_uint(value, s.maxViewers);
    break;
  case PROP_META:
    g_value_set_boxed(value, s.meta);
    break;
  case PROP_MICROPHONE_SINK:
    g_value_set_string(value, s.microphoneSink.empty() ? nullptr : s.microphoneSink.c_str());
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

/* ---- state ---------------------------------------------------------------------- */

/* The first viewer of a process would otherwise pay for loading the WebRTC
 * plugins and their libraries and for the DTLS certificate that dtlsdec
 * generates once per process (~0.4 s here): do both in the background as
 * soon as the element starts, so a viewer only pays for its connection.
 * An element going back to NULL waits for that work to end: a process
 * that exits right after (a short gst-launch, a test) would otherwise run
 * OpenSSL's exit handlers under the certificate being made, and crash. */
namespace {

struct WarmUp {
  std::mutex lock;
  std::condition_variable done_cond;
  bool started = false;
  bool done = false;
};

WarmUp &warmUp()
{
  static WarmUp w;
  return w;
}

} // namespace

static void warm_up_webrtc()
{
  WarmUp &w = warmUp();
  {
    std::lock_guard<std::mutex> l(w.lock);
    if (w.started)
      return;
    w.started = true;
  }
  GThread *t = g_thread_new(
    "vdi-webrtc-warmup",
    [](gpointer) -> gpointer {
      /* GLib 2.74 does not name its threads: the tests look for this one. */
      prctl(PR_SET_NAME, "vdi-webrtc-warm");
      for (const char *factory : {"dtlsdec", "webrtcbin"}) {
        if (GstElement *e = gst_element_factory_make(factory, nullptr)) {
          gst_object_ref_sink(e);
          gst_object_unref(e);
        }
      }
      WarmUp &w = warmUp();
      std::lock_guard<std::mutex> l(w.lock);
      w.done = true;
      w.done_cond.notify_all();
      return nullptr;
    },
    nullptr);
  g_thread_unref(t);
}

static void wait_for_warm_up()
{
  WarmUp &w = warmUp();
  std::unique_lock<std::mutex> l(w.lock);
  w.done_cond.wait(l, [&w] { return !w.started || w.done; });
}

static GstStateChangeReturn gst_vdi_webrtc_sink_change_state(GstElement *element,
                                                             GstStateChange transition)
{
  auto *self = GST_VDI_WEBRTC_SINK(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    warm_up_webrtc();
    g_autoptr(GError) err = nullptr;
    if (!self->state->start(&err)) {
      GST_OBJECT_LOCK(self);
      std::string addr = self->state->core.settings.address;
      int port = self->state->core.settings.port;
      GST_OBJECT_UNLOCK(self);
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE,
                        ("Could not serve HTTP on %s:%d: %s", addr.c_str(), port,
                         err ? err->message : "unknown error"),
                        ("soup_server_listen() failed"));
      self->state->stop();
      return GST_STATE_CHANGE_FAILURE;
    }
  }
  /* Viewers end before the bin takes its children down: each viewer's
   * webrtcbin then goes through its own teardown (locked, NULL, removed),
   * and the element's thread, which asks every viewer for statistics once
   * a second, never asks one whose state the bin is changing under it. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    self->state->core.invoke([self] { self->state->core.endAll(); });
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) {
    self->state->stop();
    wait_for_warm_up();
  }
  return ret;
}

/* Viewer bins come and go: their housekeeping messages stay inside (they
 * would hold references to dead elements on an undrained bus), and their
 * errors (e.g. SCTP when a browser vanishes) end that viewer only. */
static void gst_vdi_webrtc_sink_bin_message(GstBin *bin, GstMessage *message)
{
  auto *self = GST_VDI_WEBRTC_SINK(bin);
  State *st = self->state;
  std::string viewer = st->core.viewerOf(GST_MESSAGE_SRC(message));
  if (!viewer.empty()) {
    switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      if (microphoneError(GST_MESSAGE_SRC(message))) {
        gst_message_unref(message); /* costs the microphone (it warned) */
        return;
      }
      GError *err = nullptr;
      gst_message_parse_error(message, &err, nullptr);
      GST_INFO_OBJECT(self, "viewer %s: %s; ending it", viewer.c_str(),
                      err ? err->message : "error");
      g_clear_error(&err);
      st->core.post([st, viewer] { st->core.failSession(viewer, ""); });
      gst_message_unref(message);
      return;
    }
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_STATE_CHANGED:
    case GST_MESSAGE_STREAM_STATUS:
    case GST_MESSAGE_STREAM_START:
    case GST_MESSAGE_QOS:
    case GST_MESSAGE_TAG:
    case GST_MESSAGE_LATENCY:
      gst_message_unref(message);
      return;
    default:
      break;
    }
  }
  GST_BIN_CLASS(parent_class)->handle_message(bin, message);
}

/* ---- the optional audio pad ------------------------------------------------------- */

/* Viewers that join once the pad exists get the audio too. */
static GstPad *gst_vdi_webrtc_sink_request_new_pad(GstElement *element, GstPadTemplate *templ,
                                                   const gchar *, const GstCaps *)
{
  auto *self = GST_VDI_WEBRTC_SINK(element);
  if (self->audio_pad) {
    GST_WARNING_OBJECT(self, "there is already an audio pad");
    return nullptr;
  }
  GstElement *tee = gst_element_factory_make("tee", "afanout");
  g_object_set(tee, "allow-not-linked", TRUE, nullptr);
  gst_bin_add(GST_BIN(self), tee);
  gst_element_sync_state_with_parent(tee);
  g_autoptr(GstPad) target = gst_element_get_static_pad(tee, "sink");
  GstPad *pad = gst_ghost_pad_new_from_template("audio", target, templ);
  gst_pad_set_active(pad, TRUE);
  gst_element_add_pad(element, pad);
  self->audio_pad = pad;
  /* Our own reference: when the element is disposed, GstBin drops its
   * children before GstElement releases the request pads. */
  self->audio_tee = GST_ELEMENT(gst_object_ref(tee));
  self->state->core.setAudioTee(tee);
  return pad;
}

static void gst_vdi_webrtc_sink_release_pad(GstElement *element, GstPad *pad)
{
  auto *self = GST_VDI_WEBRTC_SINK(element);
  if (pad != self->audio_pad)
    return;
  /* Viewers keep their audio branches linked to the tee until they leave;
   * end them so that the tee can go. */
  self->state->core.setAudioTee(nullptr);
  self->state->core.invoke([self] { self->state->core.endAll(); });
  self->state->core.invoke([] {}); /* their teardowns, if deferred */
  GstElement *tee = self->audio_tee;
  self->audio_tee = nullptr;
  self->audio_pad = nullptr;
  gst_element_remove_pad(element, pad);
  gst_element_set_state(tee, GST_STATE_NULL);
  if (GST_OBJECT_PARENT(tee) == GST_OBJECT(self))
    gst_bin_remove(GST_BIN(self), tee);
  gst_object_unref(tee);
}

/* ---- GObject ---------------------------------------------------------------------- */

static void gst_vdi_webrtc_sink_init(GstVdiWebrtcSink *self)
{
  self->tee = gst_element_factory_make("tee", "fanout");
  g_object_set(self->tee, "allow-not-linked", TRUE, nullptr);
  gst_bin_add(GST_BIN(self), self->tee);
  g_autoptr(GstPad) target = gst_element_get_static_pad(self->tee, "sink");
  self->video_pad =
    gst_ghost_pad_new_from_template("video", target, gst_static_pad_template_get(&video_template));
  gst_pad_set_query_function(self->video_pad, video_query);
  gst_pad_set_event_function(self->video_pad, video_event);
  gst_element_add_pad(GST_ELEMENT(self), self->video_pad);
  self->state = new State(self, self->video_pad, self->tee);
}

static void gst_vdi_webrtc_sink_finalize(GObject *object)
{
  auto *self = GST_VDI_WEBRTC_SINK(object);
  self->state->stop();
  delete self->state;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vdi_webrtc_sink_class_init(GstVdiWebrtcSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  const auto rw_ready =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto rw_playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_PLAYING);
  const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  gobject_class->set_property = gst_vdi_webrtc_sink_set_property;
  gobject_class->get_property = gst_vdi_webrtc_sink_get_property;
  gobject_class->finalize = gst_vdi_webrtc_sink_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_vdi_webrtc_sink_change_state);
  element_class->request_new_pad = GST_DEBUG_FUNCPTR(gst_vdi_webrtc_sink_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR(gst_vdi_webrtc_sink_release_pad);
  GST_BIN_CLASS(klass)->handle_message = GST_DEBUG_FUNCPTR(gst_vdi_webrtc_sink_bin_message);

  /**
   * GstVdiWebrtcSink:port:
   *
   * TCP port of the built-in HTTP server (player page, signalling
   * WebSocket, WHEP). -1 runs no server: signalling is relayed by the
   * application through the action signals. 0 picks a free port, readable
   * in #GstVdiWebrtcSink:bound-port.
   */
  g_object_class_install_property(
    gobject_class, PROP_PORT,
    g_param_spec_int("port", "Port",
                     "Port of the built-in HTTP/WebSocket/WHEP server (-1 = none: relayed "
                     "signalling through action signals; 0 = any free port)",
                     -1, 65535, DEFAULT_PORT, rw_ready));
  /**
   * GstVdiWebrtcSink:address:
   *
   * IP address the built-in server listens on. When it is a loopback
   * address and #GstVdiWebrtcSink:ice-addresses is empty, ICE gathers on
   * that address too.
   */
  g_object_class_install_property(
    gobject_class, PROP_ADDRESS,
    g_param_spec_string("address", "Address",
                        "IP address the built-in server listens on (0.0.0.0 = all IPv4)",
                        DEFAULT_ADDRESS, rw_ready));
  /**
   * GstVdiWebrtcSink:bound-port:
   *
   * The port the built-in server really listens on (useful with port=0),
   * 0 when it does not run.
   */
  g_object_class_install_property(
    gobject_class, PROP_BOUND_PORT,
    g_param_spec_uint("bound-port", "Bound port",
                      "Port the built-in server listens on (0 = not running)", 0, 65535, 0, ro));
  /**
   * GstVdiWebrtcSink:web-root:
   *
   * Folder with the player page served at `/`. Unset means
   * $GST_VDI_WEB_ROOT, else the installed player.
   */
  g_object_class_install_property(
    gobject_class, PROP_WEB_ROOT,
    g_param_spec_string("web-root", "Web root",
                        "Folder of the player page served at / (unset: $GST_VDI_WEB_ROOT, "
                        "else the installed player)",
                        nullptr, rw_ready));
  /**
   * GstVdiWebrtcSink:stun-server:
   *
   * STUN server for new viewers, as `stun://HOST:PORT`.
   */
  g_object_class_install_property(gobject_class, PROP_STUN_SERVER,
                                  g_param_spec_string("stun-server", "STUN server",
                                                      "STUN server (stun://host:port)", nullptr,
                                                      rw_playing));
  /**
   * GstVdiWebrtcSink:turn-servers:
   *
   * TURN servers for new viewers, as `turn(s)://USER:PASSWORD@HOST:PORT`,
   * e.g. `turn-servers="<\"turn://u:p@turn.example.com:3478\">"`.
   */
  g_object_class_install_property(
    gobject_class, PROP_TURN_SERVERS,
    gst_param_spec_array(
      "turn-servers", "TURN servers", "TURN servers (turn://user:password@host:port)",
      g_param_spec_string("turn-server", "TURN server", "TURN server URI", nullptr,
                          GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)),
      rw_playing));
  /**
   * GstVdiWebrtcSink:ice-addresses:
   *
   * Local IP addresses ICE gathers candidates on (all but loopback when
   * empty), e.g. `ice-addresses="<\"127.0.0.1\">"`.
   */
  g_object_class_install_property(
    gobject_class, PROP_ICE_ADDRESSES,
    gst_param_spec_array(
      "ice-addresses", "ICE addresses",
      "Local addresses to gather ICE candidates on (empty = all but loopback, "
      "or the server's loopback address)",
      g_param_spec_string("address", "Address", "IP address", nullptr,
                          GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)),
      rw_playing));
  /**
   * GstVdiWebrtcSink:viewer-control:
   *
   * Which viewers may send input. View-only viewers' messages are dropped
   * and answered with an error.
   */
  g_object_class_install_property(
    gobject_class, PROP_VIEWER_CONTROL,
    g_param_spec_enum("viewer-control", "Viewer control", "Which viewers may send input",
                      GST_TYPE_VDI_VIEWER_CONTROL, DEFAULT_VIEWER_CONTROL, rw_playing));
  /**
   * GstVdiWebrtcSink:congestion-control:
   *
   * How the encoder's bitrate follows the viewers (docs/webrtc.md
   * "Bitrate adaptation"): delay-based on transport-wide CC feedback (new
   * viewers negotiate it), loss-based on receiver reports only, or not at
   * all. Applies to viewers that join after a change.
   */
  g_object_class_install_property(
    gobject_class, PROP_CONGESTION_CONTROL,
    g_param_spec_enum("congestion-control", "Congestion control",
                      "How the encoder's bitrate follows the viewers' links",
                      GST_TYPE_VDI_CONGESTION_CONTROL, GST_VDI_CONGESTION_CONTROL_DELAY,
                      rw_playing));
  /**
   * GstVdiWebrtcSink:min-bitrate:
   *
   * Lowest bitrate (kbit/s) the adaptation sets on the encoder.
   */
  g_object_class_install_property(
    gobject_class, PROP_MIN_BITRATE,
    g_param_spec_uint("min-bitrate", "Minimum bitrate",
                      "Lowest encoder bitrate the adaptation sets (kbit/s)", 1, G_MAXINT / 1000,
                      DEFAULT_MIN_BITRATE, rw_playing));
  /**
   * GstVdiWebrtcSink:max-bitrate:
   *
   * Highest bitrate (kbit/s) the adaptation sets on the encoder. Set
   * min-bitrate = max-bitrate for a fixed bitrate.
   */
  g_object_class_install_property(
    gobject_class, PROP_MAX_BITRATE,
    g_param_spec_uint("max-bitrate", "Maximum bitrate",
                      "Highest encoder bitrate the adaptation sets (kbit/s)", 1, G_MAXINT / 1000,
                      DEFAULT_MAX_BITRATE, rw_playing));
  /**
   * GstVdiWebrtcSink:encoder:
   *
   * The encoder whose `bitrate` property (kbit/s) the adaptation drives.
   * Unset means the first encoder found upstream.
   */
  g_object_class_install_property(
    gobject_class, PROP_ENCODER,
    g_param_spec_object("encoder", "Encoder",
                        "Encoder whose bitrate (kbit/s) is adapted (unset = found upstream)",
                        GST_TYPE_ELEMENT, rw_playing));
  /**
   * GstVdiWebrtcSink:min-keyframe-interval:
   *
   * At most one keyframe request goes upstream per this many milliseconds;
   * requests in between are served at the end of the interval.
   */
  g_object_class_install_property(
    gobject_class, PROP_MIN_KEYFRAME_INTERVAL,
    g_param_spec_uint("min-keyframe-interval", "Minimum keyframe interval (ms)",
                      "At most one upstream keyframe request per this many milliseconds", 0, 60000,
                      DEFAULT_MIN_KEYFRAME_INTERVAL, rw_playing));
  /**
   * GstVdiWebrtcSink:max-viewers:
   *
   * Viewers beyond this many are refused with an error.
   */
  g_object_class_install_property(gobject_class, PROP_MAX_VIEWERS,
                                  g_param_spec_uint("max-viewers", "Maximum viewers",
                                                    "Most viewers at the same time", 1, 1024,
                                                    DEFAULT_MAX_VIEWERS, rw_playing));
  /**
   * GstVdiWebrtcSink:stats:
   *
   * A structure `application/x-vdi-webrtcsink-stats` with `viewers` and one
   * field per viewer (named by its session id) holding a `viewer`
   * structure: kind (signalling|whep), connected, bitrate (bit/s sent),
   * fps, rtt (s), fraction-lost, packets-lost, keyframe-requests, pli, fir,
   * nack, target-bitrate (kbit/s), twcc (transport-wide CC feedback
   * arrives), twcc-recv-bitrate (bit/s), delay-gradient (ms), may-control,
   * role (control|view),
   * input-accepted and input-dropped (data-channel input messages passed
   * upstream / refused as view-only). Refreshed every second; the input
   * counters at once.
   */
  g_object_class_install_property(
    gobject_class, PROP_STATS,
    g_param_spec_boxed("stats", "Statistics", "Per-viewer statistics", GST_TYPE_STRUCTURE, ro));
  /**
   * GstVdiWebrtcSink:viewers:
   *
   * Number of viewers now.
   */
  g_object_class_install_property(
    gobject_class, PROP_VIEWERS,
    g_param_spec_uint("viewers", "Viewers", "Number of viewers now", 0, G_MAXUINT, 0, ro));
  /**
   * GstVdiWebrtcSink:peer-id:
   *
   * The producer id consumers pass in `startSession` (also given by `list`).
   */
  g_object_class_install_property(
    gobject_class, PROP_PEER_ID,
    g_param_spec_string("peer-id", "Peer id", "Producer id for startSession", nullptr, ro));

  /**
   * GstVdiWebrtcSink:meta:
   *
   * Free-form metadata about the stream, given to consumers as the
   * producer's `meta` in `list` and `peerStatusChanged` (a JSON object of
   * the fields), as webrtcsink's `meta`: e.g.
   * `meta="meta,name=(string)desktop,width=(int)1920"`. Listeners hear of a
   * change at once.
   */
  g_object_class_install_property(
    gobject_class, PROP_META,
    g_param_spec_boxed("meta", "Meta",
                       "Metadata about the producer for consumers (list, peerStatusChanged)",
                       GST_TYPE_STRUCTURE, rw_playing));
  /**
   * GstVdiWebrtcSink:microphone-sink:
   *
   * Where control viewers' microphones play: a sink description in
   * gst-launch syntax, instantiated per viewer that sends, fed raw audio
   * and run with sync=false, e.g. `pulsesink device=vdi-microphone-input`.
   * Unset (the default): no viewer may send audio. Applies to viewers that
   * join after it is set.
   */
  g_object_class_install_property(
    gobject_class, PROP_MICROPHONE_SINK,
    g_param_spec_string("microphone-sink", "Microphone sink",
                        "Sink description (gst-launch syntax) control viewers' microphones "
                        "play into; unset: microphones refused",
                        nullptr, rw_playing));

  gst_vdi_webrtc_sink_install_relay_signals(klass);

  gst_element_class_add_static_pad_template(element_class, &video_template);
  gst_element_class_add_static_pad_template(element_class, &audio_template);
  gst_element_class_set_static_metadata(
    element_class, "WebRTC desktop sink", "Sink/Network/WebRTC",
    "Serves one encoded stream to many WebRTC viewers (one webrtcbin each), with signalling "
    "(gst-plugins-rs JSON protocol on /signalling), WHEP (/whep), a player page (/), keyframe "
    "on join, control and input data channels (upstream navigation events) and bitrate "
    "adaptation. "
    "port=-1 relays signalling through the add-peer/handle-message/send-message signals "
    "and WHEP through whep-offer/whep-answer/whep-patch/whep-delete; set-peer-role makes a "
    "relayed peer view-only. The session clipboard goes to control viewers' data channels.\n"
    "Examples:\n"
    "  gst-launch-1.0 vdiwaylandsrc display=wayland-1 ! videoconvert ! x264enc "
    "tune=zerolatency speed-preset=ultrafast ! vdiwebrtcsink port=8080   (open "
    "http://HOST:8080/)\n"
    "  gst-launch-1.0 videotestsrc is-live=true ! videoconvert ! x264enc tune=zerolatency "
    "! vdiwebrtcsink port=0 address=127.0.0.1 viewer-control=none",
    "gst-vdi developers");
  gst_type_mark_as_plugin_api(GST_TYPE_VDI_VIEWER_CONTROL, GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(GST_TYPE_VDI_CONGESTION_CONTROL, GstPluginAPIFlags(0));
}
