/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-vdisrtsink
 * @title: vdisrtsink
 * @short_description: one SRT port for many sessions, chosen by stream id
 *
 * vdisrtsink serves any number of MPEG-TS streams ("sessions") on one SRT
 * listener port, the way mediamtx does: a caller picks a session with the
 * stream id `read:NAME` (or the SRT access-control form
 * `#!::r=NAME,m=request`), e.g. `srt://HOST:8890?streamid=read:desk1`.
 *
 * Each session is a request pad `sink_NAME` fed by an `mpegtsmux` (keep its
 * default alignment: the element packs 7 TS packets per SRT message itself
 * and sends the rest of a frame at once, where `alignment=7` would hold it
 * back). A damage-driven source should repeat frames at the frame rate
 * (vdiwaylandsrc `keepalive=33`): TS readers finish a video frame only
 * when the next one starts. Callers are admitted at handshake time: an unknown name,
 * a `publish:` request, a malformed stream id or wrong credentials are
 * refused with an SRT reject reason (404, 405, 400, 401) that the caller
 * sees, and the element posts a `vdisrtsink-caller-rejected` element message.
 * A pad with #GstVdiSrtSinkPad:user / #GstVdiSrtSinkPad:password set needs
 * `read:NAME:USER:PASS` (or `u=USER,s=PASS`); #GstVdiSrtSinkPad:passphrase
 * encrypts one session with its own key. The #GstVdiSrtSink::authenticate
 * signal lets the application refuse a caller (403).
 *
 * A new caller makes the element send a force-key-unit event (and the
 * `vdi-repaint` custom event for damage-driven sources) upstream on that
 * session's pad at once. Until the next keyframe the caller receives
 * nothing of the session, then the latest PAT/PMT followed by the stream
 * from the keyframe on: no undecodable start.
 *
 * Callers never slow each other down: sends never block; a caller's backlog
 * is bounded by #GstVdiSrtSink:caller-queue-size (on overflow its backlog is
 * dropped and it resumes at the next keyframe) and a caller that takes no
 * data (or whose peer is silent) for #GstVdiSrtSink:caller-timeout ms is
 * disconnected. Callers come and go without changing the pipeline state.
 *
 * ## Examples
 * |[
 * gst-launch-1.0 vdisrtsink name=s uri=srt://:8890 \
 *     vdiwaylandsrc display=wayland-1 keepalive=33 ! videoconvert \
 *       ! x264enc tune=zerolatency key-int-max=60 \
 *       ! h264parse config-interval=-1 ! mpegtsmux ! s.sink_desk1 \
 *     videotestsrc is-live=true ! x264enc tune=zerolatency \
 *       ! mpegtsmux ! s.sink_test
 * ]| Serves two sessions on port 8890; watch one with
 * `ffplay "srt://HOST:8890?streamid=read:desk1"`.
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! mpegtsmux \
 *     ! s.sink_secret  vdisrtsink name=s sink_secret::user=ann sink_secret::password=pw \
 *       sink_secret::passphrase=0123456789abcdef
 * ]| A session that needs `streamid=read:secret:ann:pw` and the passphrase.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvdisrtsink.h"
#include "gstvdisrtsinkpad.h"

#include "events.h"
#include "srt-server.h"
#include "ts-scan.h"

#include <gst/video/video.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gst_vdi_srt_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_srt_sink_debug

#define DEFAULT_URI "srt://:8890"
#define DEFAULT_LATENCY 125
#define DEFAULT_PBKEYLEN 0
#define DEFAULT_CALLER_TIMEOUT 5000
#define DEFAULT_CALLER_QUEUE_SIZE (4 * 1024 * 1024)

enum {
  PROP_0,
  PROP_URI,
  PROP_LATENCY,
  PROP_PASSPHRASE,
  PROP_PBKEYLEN,
  PROP_CALLER_TIMEOUT,
  PROP_CALLER_QUEUE_SIZE,
  PROP_PORT,
  PROP_STATS,
};

enum {
  SIGNAL_CALLER_ADDED,
  SIGNAL_CALLER_REMOVED,
  SIGNAL_AUTHENTICATE,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE("sink_%s", GST_PAD_SINK, GST_PAD_REQUEST,
                          GST_STATIC_CAPS("video/mpegts, systemstream = (boolean) true, "
                                          "packetsize = (int) 188"));

/* ---- the element ---------------------------------------------------------- */

namespace {

using namespace vdi::srt;

struct Settings {
  std::string uri = DEFAULT_URI;
  int latency = DEFAULT_LATENCY;
  std::string passphrase;
  int pbkeylen = DEFAULT_PBKEYLEN;
  guint caller_timeout = DEFAULT_CALLER_TIMEOUT;
  guint caller_queue_size = DEFAULT_CALLER_QUEUE_SIZE;
};

class Handler final : public Server::Handler
{
public:
  explicit Handler(GstVdiSrtSink *self) : self_(self) {}
  bool authenticate(const StreamId &id, const std::string &address) override;
  void rejected(const std::string &streamid, const std::string &address, int reason,
                const std::string &why) override;
  void callerAdded(const CallerInfo &caller) override;
  void callerRemoved(const CallerInfo &caller, const std::string &why) override;
  void keyframeWanted(const std::string &session) override;

private:
  GstVdiSrtSink *self_;
};

struct State {
  Settings settings;
  Handler handler;
  /* Created in NULL->READY, destroyed in READY->NULL. The pointer is only
   * written during those transitions; server_lock guards it for readers
   * outside streaming (properties, pad requests). */
  std::mutex server_lock;
  std::unique_ptr<Server> server;
  int port = 0;

  explicit State(GstVdiSrtSink *self) : handler(self) {}
};

} // namespace

struct _GstVdiSrtSink {
  GstElement parent;
  State *state;
};

static void gst_vdi_srt_sink_child_proxy_init(gpointer g_iface, gpointer iface_data);

#define gst_vdi_srt_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstVdiSrtSink, gst_vdi_srt_sink, GST_TYPE_ELEMENT,
                        GST_DEBUG_CATEGORY_INIT(gst_vdi_srt_sink_debug, "vdisrtsink", 0,
                                                "one-port SRT server");
                        G_IMPLEMENT_INTERFACE(GST_TYPE_CHILD_PROXY,
                                              gst_vdi_srt_sink_child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE(vdisrtsink, "vdisrtsink", GST_RANK_NONE, GST_TYPE_VDI_SRT_SINK);

static std::string session_of(GstPad *pad)
{
  const gchar *name = GST_PAD_NAME(pad);
  return g_str_has_prefix(name, "sink_") ? name + 5 : name;
}

static SessionConfig session_config(GstVdiSrtSinkPad *pad)
{
  SessionConfig cfg;
  GST_OBJECT_LOCK(pad);
  cfg.passphrase = pad->passphrase ? pad->passphrase : "";
  cfg.user = pad->user ? pad->user : "";
  cfg.password = pad->password ? pad->password : "";
  GST_OBJECT_UNLOCK(pad);
  return cfg;
}

void gst_vdi_srt_sink_pad_changed(GstVdiSrtSinkPad *pad)
{
  GstObject *parent = gst_object_get_parent(GST_OBJECT(pad));
  if (!parent)
    return;
  if (GST_IS_VDI_SRT_SINK(parent)) {
    State *st = GST_VDI_SRT_SINK(parent)->state;
    std::lock_guard<std::mutex> locker(st->server_lock);
    if (st->server)
      st->server->configureSession(session_of(GST_PAD(pad)), session_config(pad));
  }
  gst_object_unref(parent);
}

static void post_caller_message(GstVdiSrtSink *self, const char *name, const std::string &session,
                                guint64 id, const std::string &address, const std::string &why)
{
  GstStructure *s = gst_structure_new(name, "session", G_TYPE_STRING, session.c_str(), "caller-id",
                                      G_TYPE_UINT64, id, "address", G_TYPE_STRING, address.c_str(),
                                      "reason", G_TYPE_STRING, why.c_str(), nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

bool Handler::authenticate(const StreamId &id, const std::string &address)
{
  /* Without handlers the accumulator's default would be FALSE. */
  if (!g_signal_has_handler_pending(self_, signals[SIGNAL_AUTHENTICATE], 0, FALSE))
    return true;
  gboolean ok = TRUE;
  g_signal_emit(self_, signals[SIGNAL_AUTHENTICATE], 0, id.name.c_str(),
                id.user ? id.user->c_str() : nullptr, id.password ? id.password->c_str() : nullptr,
                address.c_str(), &ok);
  return ok;
}

void Handler::rejected(const std::string &streamid, const std::string &address, int reason,
                       const std::string &why)
{
  GST_INFO_OBJECT(self_, "refused caller %s (streamid \"%s\"): %s, %s", address.c_str(),
                  streamid.c_str(), rejectReasonString(reason).c_str(), why.c_str());
  GstStructure *s = gst_structure_new("vdisrtsink-caller-rejected", "streamid", G_TYPE_STRING,
                                      streamid.c_str(), "address", G_TYPE_STRING, address.c_str(),
                                      "reject-reason", G_TYPE_INT, reason, "reason", G_TYPE_STRING,
                                      (rejectReasonString(reason) + ": " + why).c_str(), nullptr);
  gst_element_post_message(GST_ELEMENT(self_), gst_message_new_element(GST_OBJECT(self_), s));
}

void Handler::callerAdded(const CallerInfo &c)
{
  GST_INFO_OBJECT(self_, "caller %" G_GUINT64_FORMAT " (%s) reads session %s", c.id,
                  c.address.c_str(), c.session.c_str());
  g_signal_emit(self_, signals[SIGNAL_CALLER_ADDED], 0, c.session.c_str(), (guint64)c.id,
                c.address.c_str());
  post_caller_message(self_, "vdisrtsink-caller-added", c.session, c.id, c.address, "");
}

void Handler::callerRemoved(const CallerInfo &c, const std::string &why)
{
  GST_INFO_OBJECT(self_, "caller %" G_GUINT64_FORMAT " (%s) of session %s gone: %s", c.id,
                  c.address.c_str(), c.session.c_str(), why.c_str());
  g_signal_emit(self_, signals[SIGNAL_CALLER_REMOVED], 0, c.session.c_str(), (guint64)c.id,
                c.address.c_str());
  post_caller_message(self_, "vdisrtsink-caller-removed", c.session, c.id, c.address, why);
}

void Handler::keyframeWanted(const std::string &session)
{
  std::string pad_name = "sink_" + session;
  GstPad *pad = gst_element_get_static_pad(GST_ELEMENT(self_), pad_name.c_str());
  if (!pad)
    return;
  GST_DEBUG_OBJECT(pad, "asking upstream for a keyframe");
  vdi::requestKeyframe(pad);
  gst_object_unref(pad);
}

/* ---- URI ------------------------------------------------------------------ */

/* Parses srt://[ADDRESS]:PORT (listener; ADDRESS may be [IPv6]). */
static bool parse_uri(const std::string &uri, std::string *address, int *port, std::string *error)
{
  static const std::string scheme = "srt://";
  if (uri.compare(0, scheme.size(), scheme) != 0) {
    *error = "URI \"" + uri + "\" does not start with srt://";
    return false;
  }
  std::string rest = uri.substr(scheme.size());
  size_t q = rest.find('?');
  std::string query = q == std::string::npos ? "" : rest.substr(q + 1);
  rest = rest.substr(0, q);
  if (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  std::string host, port_s;
  if (!rest.empty() && rest[0] == '[') {
    size_t end = rest.find(']');
    if (end == std::string::npos || end + 1 >= rest.size() || rest[end + 1] != ':') {
      *error = "URI \"" + uri + "\": expected srt://[IPv6]:PORT";
      return false;
    }
    host = rest.substr(1, end - 1);
    port_s = rest.substr(end + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos) {
      *error = "URI \"" + uri + "\" has no port (srt://ADDRESS:PORT)";
      return false;
    }
    host = rest.substr(0, colon);
    port_s = rest.substr(colon + 1);
  }
  char *end = nullptr;
  long p = strtol(port_s.c_str(), &end, 10);
  if (port_s.empty() || *end || p < 0 || p > 65535) {
    *error = "URI \"" + uri + "\": invalid port \"" + port_s + "\"";
    return false;
  }
  if (query.find("mode=") != std::string::npos &&
      query.find("mode=listener") == std::string::npos) {
    *error = "URI \"" + uri + "\": vdisrtsink is always the listener";
    return false;
  }
  *address = host;
  *port = static_cast<int>(p);
  return true;
}

/* ---- properties ----------------------------------------------------------- */

static GstStructure *make_stats(GstVdiSrtSink *self)
{
  State *st = self->state;
  GstStructure *out = gst_structure_new_empty("application/x-vdisrtsink-stats");
  std::vector<SessionStats> stats;
  {
    std::lock_guard<std::mutex> locker(st->server_lock);
    if (st->server)
      stats = st->server->stats();
  }
  GValue sessions = G_VALUE_INIT;
  gst_value_array_init(&sessions, stats.size());
  guint total_callers = 0;
  for (const SessionStats &s : stats) {
    GValue callers = G_VALUE_INIT;
    gst_value_array_init(&callers, s.callers.size());
    for (const CallerStats &c : s.callers) {
      GstStructure *cs = gst_structure_new(
        "caller", "id", G_TYPE_UINT64, (guint64)c.info.id, "address", G_TYPE_STRING,
        c.info.address.c_str(), "bytes-sent", G_TYPE_UINT64, (guint64)c.bytes_sent, "packets-sent",
        G_TYPE_UINT64, (guint64)c.packets_sent, "packets-retransmitted", G_TYPE_UINT64,
        (guint64)c.packets_retransmitted, "packets-dropped", G_TYPE_UINT64,
        (guint64)c.packets_dropped, "bytes-dropped", G_TYPE_UINT64, (guint64)c.bytes_dropped,
        "resyncs", G_TYPE_UINT64, (guint64)c.resyncs, "queued-bytes", G_TYPE_UINT64,
        (guint64)c.queued_bytes, "rtt-ms", G_TYPE_DOUBLE, c.rtt_ms, "bandwidth-mbps", G_TYPE_DOUBLE,
        c.bandwidth_mbps, "send-rate-mbps", G_TYPE_DOUBLE, c.send_rate_mbps, "waiting-keyframe",
        G_TYPE_BOOLEAN, c.waiting_keyframe, nullptr);
      GValue v = G_VALUE_INIT;
      g_value_init(&v, GST_TYPE_STRUCTURE);
      g_value_take_boxed(&v, cs);
      gst_value_array_append_and_take_value(&callers, &v);
      total_callers++;
    }
    GstStructure *ss = gst_structure_new("session", "name", G_TYPE_STRING, s.name.c_str(),
                                         "bytes-in", G_TYPE_UINT64, (guint64)s.bytes_in,
                                         "keyframes", G_TYPE_UINT64, (guint64)s.keyframes, nullptr);
    gst_structure_take_value(ss, "callers", &callers);
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed(&v, ss);
    gst_value_array_append_and_take_value(&sessions, &v);
  }
  gst_structure_set(out, "callers", G_TYPE_UINT, total_callers, nullptr);
  gst_structure_take_value(out, "sessions", &sessions);
  return out;
}

static void gst_vdi_srt_sink_set_property(GObject *object, guint prop_id, const GValue *value,
                                          GParamSpec *pspec)
{
  auto *self = GST_VDI_SRT_SINK(object);
  Settings &s = self->state->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_URI:
    s.uri = g_value_get_string(value) ? g_value_get_string(value) : DEFAULT_URI;
    break;
  case PROP_LATENCY:
    s.latency = g_value_get_int(value);
    break;
  case PROP_PASSPHRASE:
    s.passphrase = g_value_get_string(value) ? g_value_get_string(value) : "";
    break;
  case PROP_PBKEYLEN:
    s.pbkeylen = g_value_get_int(value);
    break;
  case PROP_CALLER_TIMEOUT:
    s.caller_timeout = g_value_get_uint(value);
    break;
  case PROP_CALLER_QUEUE_SIZE:
    s.caller_queue_size = g_value_get_uint(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_vdi_srt_sink_get_property(GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec)
{
  auto *self = GST_VDI_SRT_SINK(object);
  const Settings &s = self->state->settings;
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(self));
    return;
  }
  if (prop_id == PROP_PORT) {
    std::lock_guard<std::mutex> locker(self->state->server_lock);
    g_value_set_int(value, self->state->port);
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_URI:
    g_value_set_string(value, s.uri.c_str());
    break;
  case PROP_LATENCY:
    g_value_set_int(value, s.latency);
    break;
  case PROP_PBKEYLEN:
    g_value_set_int(value, s.pbkeylen);
    break;
  case PROP_CALLER_TIMEOUT:
    g_value_set_uint(value, s.caller_timeout);
    break;
  case PROP_CALLER_QUEUE_SIZE:
    g_value_set_uint(value, s.caller_queue_size);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

/* ---- streaming ------------------------------------------------------------ */

static GstFlowReturn gst_vdi_srt_sink_chain(GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  auto *self = GST_VDI_SRT_SINK(parent);
  auto *spad = GST_VDI_SRT_SINK_PAD(pad);
  Server *server = self->state->server.get();
  if (!server) {
    gst_buffer_unref(buffer);
    return GST_FLOW_FLUSHING;
  }
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref(buffer);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Cannot read an input buffer."), (nullptr));
    return GST_FLOW_ERROR;
  }
  std::string session = session_of(pad);
  std::string &rem = *spad->remainder;
  if (rem.empty() && map.size % kTsPacketSize == 0) {
    server->push(session, map.data, map.size);
  } else {
    /* Whole packets only: keep a partial one for the next buffer. */
    rem.append(reinterpret_cast<const char *>(map.data), map.size);
    size_t whole = rem.size() - rem.size() % kTsPacketSize;
    server->push(session, reinterpret_cast<const uint8_t *>(rem.data()), whole);
    rem.erase(0, whole);
  }
  gst_buffer_unmap(buffer, &map);
  gst_buffer_unref(buffer);
  return GST_FLOW_OK;
}

static void check_all_eos(GstVdiSrtSink *self)
{
  bool all = true, any = false;
  GST_OBJECT_LOCK(self);
  for (GList *l = GST_ELEMENT(self)->sinkpads; l; l = l->next) {
    any = true;
    if (!GST_VDI_SRT_SINK_PAD(l->data)->eos)
      all = false;
  }
  guint32 seqnum = gst_util_seqnum_next();
  GST_OBJECT_UNLOCK(self);
  if (any && all) {
    GstMessage *msg = gst_message_new_eos(GST_OBJECT(self));
    gst_message_set_seqnum(msg, seqnum);
    gst_element_post_message(GST_ELEMENT(self), msg);
  }
}

static gboolean gst_vdi_srt_sink_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
  auto *self = GST_VDI_SRT_SINK(parent);
  auto *spad = GST_VDI_SRT_SINK_PAD(pad);
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_EOS:
    GST_OBJECT_LOCK(self);
    spad->eos = TRUE;
    GST_OBJECT_UNLOCK(self);
    check_all_eos(self);
    break;
  case GST_EVENT_FLUSH_STOP:
    spad->remainder->clear();
    GST_OBJECT_LOCK(self);
    spad->eos = FALSE;
    GST_OBJECT_UNLOCK(self);
    break;
  case GST_EVENT_STREAM_START:
    GST_OBJECT_LOCK(self);
    spad->eos = FALSE;
    GST_OBJECT_UNLOCK(self);
    break;
  default:
    break;
  }
  gst_event_unref(event);
  return TRUE;
}

/* ---- pads ----------------------------------------------------------------- */

static GstPad *gst_vdi_srt_sink_request_new_pad(GstElement *element, GstPadTemplate *templ,
                                                const gchar *name, const GstCaps *caps)
{
  auto *self = GST_VDI_SRT_SINK(element);
  State *st = self->state;
  std::string pad_name;
  if (name) {
    pad_name = name;
  } else {
    /* No name asked for: sessions 0, 1, ... */
    GST_OBJECT_LOCK(self);
    for (guint i = 0;; i++) {
      pad_name = "sink_" + std::to_string(i);
      bool taken = false;
      for (GList *l = element->sinkpads; l; l = l->next)
        taken |= pad_name == GST_PAD_NAME(l->data);
      if (!taken)
        break;
    }
    GST_OBJECT_UNLOCK(self);
  }
  std::string session = g_str_has_prefix(pad_name.c_str(), "sink_") ? pad_name.substr(5) : "";
  if (!validSessionName(session)) {
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                        ("Invalid session pad name \"%s\".", pad_name.c_str()),
                        ("use sink_NAME, NAME 1-255 printable characters without spaces, ':', "
                         "',' or '='"));
    return nullptr;
  }
  GstPad *pad = GST_PAD(g_object_new(GST_TYPE_VDI_SRT_SINK_PAD, "name", pad_name.c_str(),
                                     "direction", GST_PAD_SINK, "template", templ, nullptr));
  gst_pad_set_chain_function(pad, gst_vdi_srt_sink_chain);
  gst_pad_set_event_function(pad, gst_vdi_srt_sink_event);
  GST_PAD_SET_PROXY_ALLOCATION(pad);
  if (!gst_element_add_pad(element, pad)) {
    /* Name taken: gst_element_add_pad sank and dropped the pad. */
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                        ("Session \"%s\" exists already.", session.c_str()), (nullptr));
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> locker(st->server_lock);
    if (st->server)
      st->server->addSession(session, session_config(GST_VDI_SRT_SINK_PAD(pad)));
  }
  gst_child_proxy_child_added(GST_CHILD_PROXY(self), G_OBJECT(pad), GST_OBJECT_NAME(pad));
  GST_INFO_OBJECT(self, "session %s added", session.c_str());
  return pad;
}

static void gst_vdi_srt_sink_release_pad(GstElement *element, GstPad *pad)
{
  auto *self = GST_VDI_SRT_SINK(element);
  State *st = self->state;
  std::string session = session_of(pad);
  {
    std::lock_guard<std::mutex> locker(st->server_lock);
    if (st->server)
      st->server->removeSession(session);
  }
  gst_child_proxy_child_removed(GST_CHILD_PROXY(self), G_OBJECT(pad), GST_OBJECT_NAME(pad));
  gst_pad_set_active(pad, FALSE);
  gst_element_remove_pad(element, pad);
  GST_INFO_OBJECT(self, "session %s removed", session.c_str());
  /* The remaining pads may all be at EOS now. */
  check_all_eos(self);
}

/* ---- state ---------------------------------------------------------------- */

static bool start_server(GstVdiSrtSink *self)
{
  State *st = self->state;
  GST_OBJECT_LOCK(self);
  Settings s = st->settings;
  GST_OBJECT_UNLOCK(self);

  ServerConfig cfg;
  std::string error;
  if (!parse_uri(s.uri, &cfg.address, &cfg.port, &error)) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", error.c_str()), (nullptr));
    return false;
  }
  if (s.pbkeylen != 0 && s.pbkeylen != 16 && s.pbkeylen != 24 && s.pbkeylen != 32) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                      ("pbkeylen must be 0, 16, 24 or 32, not %d.", s.pbkeylen), (nullptr));
    return false;
  }
  cfg.latency_ms = s.latency;
  cfg.passphrase = s.passphrase;
  cfg.pbkeylen = s.pbkeylen;
  cfg.caller_timeout_ms = static_cast<int>(s.caller_timeout);
  cfg.queue_limit_bytes = s.caller_queue_size;
  std::unique_ptr<Server> server = Server::create(cfg, &st->handler, &error);
  if (!server) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Cannot serve SRT on %s.", s.uri.c_str()),
                      ("%s", error.c_str()));
    return false;
  }
  GST_OBJECT_LOCK(self);
  for (GList *l = GST_ELEMENT(self)->sinkpads; l; l = l->next)
    server->addSession(session_of(GST_PAD(l->data)), session_config(GST_VDI_SRT_SINK_PAD(l->data)));
  GST_OBJECT_UNLOCK(self);
  GST_INFO_OBJECT(self, "SRT listener on %s (port %d)", s.uri.c_str(), server->port());
  std::lock_guard<std::mutex> locker(st->server_lock);
  st->port = server->port();
  st->server = std::move(server);
  return true;
}

static void stop_server(GstVdiSrtSink *self)
{
  State *st = self->state;
  std::unique_ptr<Server> server;
  {
    std::lock_guard<std::mutex> locker(st->server_lock);
    server = std::move(st->server);
    st->port = 0;
  }
  server.reset(); /* outside the lock: removal callbacks may read properties */
}

static GstStateChangeReturn gst_vdi_srt_sink_change_state(GstElement *element,
                                                          GstStateChange transition)
{
  auto *self = GST_VDI_SRT_SINK(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !start_server(self))
    return GST_STATE_CHANGE_FAILURE;
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    GST_OBJECT_LOCK(self);
    for (GList *l = element->sinkpads; l; l = l->next)
      GST_VDI_SRT_SINK_PAD(l->data)->eos = FALSE;
    GST_OBJECT_UNLOCK(self);
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    stop_server(self);
  /* A sink that never prerolls: live callers, no clock sync. */
  if (ret == GST_STATE_CHANGE_SUCCESS && transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    ret = GST_STATE_CHANGE_SUCCESS;
  return ret;
}

/* ---- child proxy: pad properties from gst-launch (sink_NAME::user=...) ---- */

static GObject *gst_vdi_srt_sink_child_proxy_get_child_by_index(GstChildProxy *proxy, guint index)
{
  GObject *obj = nullptr;
  GST_OBJECT_LOCK(proxy);
  if (gpointer pad = g_list_nth_data(GST_ELEMENT_CAST(proxy)->sinkpads, index))
    obj = G_OBJECT(gst_object_ref(pad));
  GST_OBJECT_UNLOCK(proxy);
  return obj;
}

static guint gst_vdi_srt_sink_child_proxy_get_children_count(GstChildProxy *proxy)
{
  GST_OBJECT_LOCK(proxy);
  guint n = GST_ELEMENT_CAST(proxy)->numsinkpads;
  GST_OBJECT_UNLOCK(proxy);
  return n;
}

static void gst_vdi_srt_sink_child_proxy_init(gpointer g_iface, gpointer)
{
  auto *iface = static_cast<GstChildProxyInterface *>(g_iface);
  iface->get_child_by_index = gst_vdi_srt_sink_child_proxy_get_child_by_index;
  iface->get_children_count = gst_vdi_srt_sink_child_proxy_get_children_count;
}

/* ---- class ---------------------------------------------------------------- */

static gboolean authenticate_accumulator(GSignalInvocationHint *, GValue *return_accu,
                                         const GValue *handler_return, gpointer)
{
  gboolean ok = g_value_get_boolean(handler_return);
  g_value_set_boolean(return_accu, ok);
  return ok; /* the first handler that refuses decides */
}

static void gst_vdi_srt_sink_finalize(GObject *object)
{
  auto *self = GST_VDI_SRT_SINK(object);
  stop_server(self);
  delete self->state;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vdi_srt_sink_class_init(GstVdiSrtSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);

  gobject_class->set_property = gst_vdi_srt_sink_set_property;
  gobject_class->get_property = gst_vdi_srt_sink_get_property;
  gobject_class->finalize = gst_vdi_srt_sink_finalize;

  auto ready =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  g_object_class_install_property(
    gobject_class, PROP_URI,
    g_param_spec_string("uri", "URI",
                        "Where to listen: srt://ADDRESS:PORT (empty ADDRESS: all interfaces; port "
                        "0: any free port, see the port property)",
                        DEFAULT_URI, ready));
  g_object_class_install_property(
    gobject_class, PROP_LATENCY,
    g_param_spec_int("latency", "Latency",
                     "SRT latency in milliseconds (receivers may ask for more)", 0, G_MAXINT32,
                     DEFAULT_LATENCY, ready));
  g_object_class_install_property(
    gobject_class, PROP_PASSPHRASE,
    g_param_spec_string("passphrase", "Passphrase",
                        "Encrypts every session without its own pad passphrase (10 to 79 "
                        "characters; empty: no encryption)",
                        nullptr,
                        static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
    gobject_class, PROP_PBKEYLEN,
    g_param_spec_int("pbkeylen", "Key length",
                     "Crypto key length in bytes: 0 (default: 16), 16, 24 or 32", 0, 32,
                     DEFAULT_PBKEYLEN, ready));
  g_object_class_install_property(
    gobject_class, PROP_CALLER_TIMEOUT,
    g_param_spec_uint("caller-timeout", "Caller timeout",
                      "Disconnect a caller that takes no data, or whose peer is silent, for this "
                      "many milliseconds",
                      1000, G_MAXINT32, DEFAULT_CALLER_TIMEOUT, ready));
  g_object_class_install_property(
    gobject_class, PROP_CALLER_QUEUE_SIZE,
    g_param_spec_uint("caller-queue-size", "Caller queue size",
                      "Most bytes queued for one caller; on overflow its backlog is dropped and "
                      "it resumes at the next keyframe",
                      64 * 1024, G_MAXINT32, DEFAULT_CALLER_QUEUE_SIZE, ready));
  g_object_class_install_property(
    gobject_class, PROP_PORT,
    g_param_spec_int("port", "Port", "The UDP port listened on (0 when not listening)", 0, 65535, 0,
                     static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstVdiSrtSink:stats:
   *
   * `application/x-vdisrtsink-stats` with `callers` (uint) and `sessions`,
   * an array of `session` structures (name, bytes-in, keyframes, callers),
   * each caller a `caller` structure: id, address, bytes-sent,
   * packets-sent, packets-retransmitted, packets-dropped (by SRT, too late),
   * bytes-dropped and resyncs (queue overflows), queued-bytes, rtt-ms,
   * bandwidth-mbps, send-rate-mbps, waiting-keyframe.
   */
  g_object_class_install_property(
    gobject_class, PROP_STATS,
    g_param_spec_boxed("stats", "Statistics", "Per session and caller statistics",
                       GST_TYPE_STRUCTURE,
                       static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  /**
   * GstVdiSrtSink::caller-added:
   * @sink: the element
   * @session: the session name
   * @caller_id: a number unique for this element's lifetime
   * @address: the caller's "IP:PORT"
   *
   * A caller was admitted. Emitted from the element's SRT thread.
   */
  signals[SIGNAL_CALLER_ADDED] =
    g_signal_new("caller-added", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                 nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT64, G_TYPE_STRING);
  /**
   * GstVdiSrtSink::caller-removed:
   * @sink: the element
   * @session: the session name
   * @caller_id: as in #GstVdiSrtSink::caller-added
   * @address: the caller's "IP:PORT"
   *
   * A caller left, timed out or was disconnected (the reason is in the
   * `vdisrtsink-caller-removed` element message).
   */
  signals[SIGNAL_CALLER_REMOVED] =
    g_signal_new("caller-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                 nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT64, G_TYPE_STRING);
  /**
   * GstVdiSrtSink::authenticate:
   * @sink: the element
   * @session: the session the caller asks for (it exists)
   * @user: (nullable): the user name it gave
   * @password: (nullable): the password it gave
   * @address: the caller's "IP:PORT"
   *
   * Emitted at handshake time, from libsrt's thread, for a caller that
   * passed the pad's own checks. Return %FALSE to refuse it (the caller
   * sees reject reason 403). The first handler that returns %FALSE decides;
   * without handlers every such caller is admitted.
   *
   * Returns: %TRUE to admit the caller
   */
  signals[SIGNAL_AUTHENTICATE] =
    g_signal_new("authenticate", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                 authenticate_accumulator, nullptr, nullptr, G_TYPE_BOOLEAN, 4, G_TYPE_STRING,
                 G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  gst_element_class_add_static_pad_template_with_gtype(element_class, &sink_template,
                                                       GST_TYPE_VDI_SRT_SINK_PAD);
  element_class->request_new_pad = gst_vdi_srt_sink_request_new_pad;
  element_class->release_pad = gst_vdi_srt_sink_release_pad;
  element_class->change_state = gst_vdi_srt_sink_change_state;

  gst_element_class_set_static_metadata(
    element_class, "VDI SRT server", "Sink/Network",
    "Serves many MPEG-TS sessions on one SRT listener port (request pads sink_NAME); "
    "callers choose with streamid=read:NAME (or #!::r=NAME,m=request; read:NAME:USER:PASS "
    "when the pad has credentials), get a keyframe at once, and a slow caller never stalls "
    "others.\n"
    "Examples:\n"
    "  gst-launch-1.0 vdisrtsink name=s uri=srt://:8890 vdiwaylandsrc display=wayland-1 "
    "keepalive=33 ! videoconvert ! x264enc tune=zerolatency key-int-max=60 ! mpegtsmux ! "
    "s.sink_desk1   (then: ffplay \"srt://HOST:8890?streamid=read:desk1\")\n"
    "  gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! mpegtsmux ! "
    "s.sink_test vdisrtsink name=s uri=srt://127.0.0.1:8890",
    "gst-vdi developers");

  gst_type_mark_as_plugin_api(GST_TYPE_VDI_SRT_SINK_PAD, static_cast<GstPluginAPIFlags>(0));
}

static void gst_vdi_srt_sink_init(GstVdiSrtSink *self)
{
  self->state = new State(self);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
}
