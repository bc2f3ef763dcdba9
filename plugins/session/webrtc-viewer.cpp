/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-viewer.h"

#include <gst/sdp/sdp.h>
#include <gst/video/video.h>

#include <cstring>
#include <map>

GST_DEBUG_CATEGORY_EXTERN(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

namespace vdi::webrtc {

/* What GStreamer callbacks hold: the element (a reference), the viewer id,
 * and whether the viewer is still there. */
struct Viewer::Link {
  GstElement *owner = nullptr;
  ViewerEvents *events = nullptr;
  std::string id;
  std::atomic<bool> alive{true};
  GWeakRef webrtc; /* weak: the callbacks live on the webrtcbin itself */
  bool offerer = true;
  std::atomic<bool> offered{false};
  /* WHEP: the browser's offer, applied once caps reach webrtcbin. */
  std::atomic<GstWebRTCSessionDescription *> pendingOffer{nullptr};
  std::atomic<int> capsPending{0}; /* branches whose caps have not arrived */
  Link() { g_weak_ref_init(&webrtc, nullptr); }
  ~Link()
  {
    if (GstWebRTCSessionDescription *d = pendingOffer.exchange(nullptr))
      gst_webrtc_session_description_free(d);
    g_weak_ref_clear(&webrtc);
    gst_object_unref(owner);
  }
  Link(const Link &) = delete;
  Link &operator=(const Link &) = delete;
  /* A strong reference to the webrtcbin, or null once it is gone. */
  GstElement *getWebrtc() { return static_cast<GstElement *>(g_weak_ref_get(&webrtc)); }
};

using LinkRef = std::shared_ptr<Viewer::Link>;

static gpointer newRef(const LinkRef &l)
{
  return new LinkRef(l);
}
static void freeRef(gpointer data, GClosure *)
{
  delete static_cast<LinkRef *>(data);
}
static void freeRefNotify(gpointer data)
{
  delete static_cast<LinkRef *>(data);
}
static Viewer::Link *linkOf(gpointer data)
{
  auto *l = static_cast<LinkRef *>(data)->get();
  return l->alive ? l : nullptr;
}

/* ---- SDP helpers ---------------------------------------------------------- */

/* The value of @key in an fmtp parameter list ("a=1;b=2"), or "". */
static std::string fmtpParam(const std::string &params, const std::string &key)
{
  g_auto(GStrv) parts = g_strsplit(params.c_str(), ";", -1);
  for (char **p = parts; *p; p++) {
    g_strstrip(*p);
    if (g_str_has_prefix(*p, (key + "=").c_str()))
      return *p + key.size() + 1;
  }
  return {};
}

/* Chooses, in a browser's offer, the payload type for our stream: for
 * H.264 one with packetization-mode=1 and the same profile (any level: all
 * browsers allow level asymmetry). Returns -1 if none. (The rtpmap/fmtp
 * lines are read directly: gst_sdp_media_get_caps_from_media() turns
 * profile-level-id into a profile name and drops it.) */
static int chooseOfferedPayload(const GstSDPMessage *sdp, const std::string &encoding,
                                const std::string &profileIdc, std::string &profileLevelId,
                                const char *kind = "video")
{
  for (guint m = 0; m < gst_sdp_message_medias_len(sdp); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media(sdp, m);
    if (g_strcmp0(gst_sdp_media_get_media(media), kind) != 0 || gst_sdp_media_get_port(media) == 0)
      continue;
    std::map<int, std::string> names, fmtps;
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
      if (!a->value)
        continue;
      char *rest = nullptr;
      long pt = strtol(a->value, &rest, 10);
      if (rest == a->value || pt < 0 || pt > 127 || *rest != ' ')
        continue;
      if (!g_strcmp0(a->key, "rtpmap"))
        names[int(pt)] = std::string(rest + 1, strcspn(rest + 1, "/"));
      else if (!g_strcmp0(a->key, "fmtp"))
        fmtps[int(pt)] = rest + 1;
    }
    int fallback = -1;
    std::string fallbackPli;
    for (guint f = 0; f < gst_sdp_media_formats_len(media); f++) {
      int pt = atoi(gst_sdp_media_get_format(media, f));
      if (g_ascii_strcasecmp(names[pt].c_str(), encoding.c_str()) != 0)
        continue;
      if (encoding != "H264")
        return pt;
      std::string mode = fmtpParam(fmtps[pt], "packetization-mode");
      std::string pli = fmtpParam(fmtps[pt], "profile-level-id");
      if (mode != "1" || pli.size() != 6)
        continue;
      if (g_ascii_strncasecmp(pli.c_str(), profileIdc.c_str(), profileIdc.size()) == 0) {
        profileLevelId = pli;
        return pt;
      }
      /* A constrained-baseline stream is also valid baseline. */
      if (fallback < 0 && profileIdc.rfind("42", 0) == 0 && pli.rfind("42", 0) == 0) {
        fallback = pt;
        fallbackPli = pli;
      }
    }
    if (fallback >= 0) {
      profileLevelId = fallbackPli;
      return fallback;
    }
  }
  return -1;
}

/* The profile_idc + constraint prefix of profile-level-id for a stream's
 * profile name. */
static std::string profilePrefix(const char *profile)
{
  if (!g_strcmp0(profile, "constrained-baseline"))
    return "42e0";
  if (!g_strcmp0(profile, "baseline"))
    return "4200";
  if (!g_strcmp0(profile, "main"))
    return "4d";
  if (!g_strcmp0(profile, "high"))
    return "64";
  return "42e0";
}

/* ---- callbacks ------------------------------------------------------------ */

static std::string promiseError(const GstStructure *r)
{
  GError *e = nullptr;
  if (r && gst_structure_has_field(r, "error"))
    gst_structure_get(r, "error", G_TYPE_ERROR, &e, nullptr);
  std::string out = e ? e->message : "";
  g_clear_error(&e);
  return out;
}

static void onLocalDescriptionSet(GstPromise *promise, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  std::string err = promiseError(gst_promise_get_reply(promise));
  if (l && !err.empty())
    l->events->viewerError(l->id, "set-local-description: " + err);
  if (l && err.empty() && l->offerer) {
    /* Offer: candidates trickle; send the SDP now. */
    g_autoptr(GstElement) webrtc = l->getWebrtc();
    GstWebRTCSessionDescription *desc = nullptr;
    if (webrtc)
      g_object_get(webrtc, "local-description", &desc, nullptr);
    if (desc) {
      g_autofree char *text = gst_sdp_message_as_text(desc->sdp);
      l->events->viewerLocalSdp(l->id, "offer", text);
      gst_webrtc_session_description_free(desc);
    }
  }
}

static void onDescriptionCreated(GstPromise *promise, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  const GstStructure *r = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription *desc = nullptr;
  if (l && r && !gst_structure_get(r, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, nullptr))
    gst_structure_get(r, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, nullptr);
  if (l && !desc) {
    std::string err = promiseError(r);
    l->events->viewerError(l->id, "could not create the session description" +
                                    (err.empty() ? std::string() : ": " + err));
  }
  g_autoptr(GstElement) webrtc = l ? l->getWebrtc() : nullptr;
  if (webrtc && desc) {
    GstPromise *p = gst_promise_new_with_change_func(
      onLocalDescriptionSet, newRef(*static_cast<LinkRef *>(data)), freeRefNotify);
    g_signal_emit_by_name(webrtc, "set-local-description", desc, p);
  }
  if (desc)
    gst_webrtc_session_description_free(desc);
}

static void onRemoteDescriptionSet(GstPromise *promise, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  std::string err = promiseError(gst_promise_get_reply(promise));
  if (!l)
    return;
  if (!err.empty()) {
    l->events->viewerError(l->id, "the remote description was refused: " + err);
    return;
  }
  g_autoptr(GstElement) webrtc = l->getWebrtc();
  if (!l->offerer && webrtc) {
    GstPromise *p = gst_promise_new_with_change_func(
      onDescriptionCreated, newRef(*static_cast<LinkRef *>(data)), freeRefNotify);
    g_signal_emit_by_name(webrtc, "create-answer", nullptr, p);
  }
}

static GstPadProbeReturn onCapsForAnswer(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  Viewer::Link *l = linkOf(data);
  if (l && --l->capsPending > 0)
    return GST_PAD_PROBE_REMOVE; /* the other branch's caps are still to come */
  GstWebRTCSessionDescription *desc = l ? l->pendingOffer.exchange(nullptr) : nullptr;
  g_autoptr(GstElement) webrtc = l ? l->getWebrtc() : nullptr;
  if (desc && webrtc) {
    GstPromise *p = gst_promise_new_with_change_func(
      onRemoteDescriptionSet, newRef(*static_cast<LinkRef *>(data)), freeRefNotify);
    g_signal_emit_by_name(webrtc, "set-remote-description", desc, p);
  }
  if (desc)
    gst_webrtc_session_description_free(desc);
  return GST_PAD_PROBE_REMOVE;
}

static void onNegotiationNeeded(GstElement *webrtc, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  if (!l || !l->offerer || l->offered.exchange(true))
    return;
  GstPromise *p = gst_promise_new_with_change_func(
    onDescriptionCreated, newRef(*static_cast<LinkRef *>(data)), freeRefNotify);
  g_signal_emit_by_name(webrtc, "create-offer", nullptr, p);
}

static void onIceCandidate(GstElement *, guint mline, gchar *candidate, gpointer data)
{
  if (Viewer::Link *l = linkOf(data))
    l->events->viewerIce(l->id, mline, candidate ? candidate : "");
}

static void onGatheringState(GstElement *webrtc, GParamSpec *, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  GstWebRTCICEGatheringState state;
  g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
  if (!l || l->offerer || state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  /* WHEP: the answer goes out once, with every candidate in it. */
  GstWebRTCSessionDescription *desc = nullptr;
  g_object_get(webrtc, "local-description", &desc, nullptr);
  if (desc) {
    g_autofree char *text = gst_sdp_message_as_text(desc->sdp);
    l->events->viewerLocalSdp(l->id, "answer", text);
    gst_webrtc_session_description_free(desc);
  }
}

static void onConnectionState(GstElement *webrtc, GParamSpec *, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  GstWebRTCPeerConnectionState state;
  g_object_get(webrtc, "connection-state", &state, nullptr);
  if (l)
    l->events->viewerState(l->id, state);
}

static void onChannelMessage(GstWebRTCDataChannel *channel, gchar *text, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  if (!l || !text)
    return;
  std::string reply = l->events->viewerControl(l->id, text);
  if (!reply.empty())
    gst_webrtc_data_channel_send_string(channel, reply.c_str());
}

static void onChannelData(GstWebRTCDataChannel *channel, GBytes *bytes, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  if (!l || !bytes)
    return;
  gsize n = 0;
  const char *p = static_cast<const char *>(g_bytes_get_data(bytes, &n));
  std::string text(p ? p : "", n);
  std::string reply = l->events->viewerControl(l->id, text);
  if (!reply.empty())
    gst_webrtc_data_channel_send_string(channel, reply.c_str());
}

static void onChannelState(GstWebRTCDataChannel *channel, GParamSpec *, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  GstWebRTCDataChannelState state;
  g_object_get(channel, "ready-state", &state, nullptr);
  if (l && state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    l->events->viewerChannelOpen(l->id);
}

static void connectChannel(GstWebRTCDataChannel *channel, const LinkRef &link)
{
  g_signal_connect_data(channel, "notify::ready-state", G_CALLBACK(onChannelState), newRef(link),
                        freeRef, GConnectFlags(0));
  g_signal_connect_data(channel, "on-message-string", G_CALLBACK(onChannelMessage), newRef(link),
                        freeRef, GConnectFlags(0));
  g_signal_connect_data(channel, "on-message-data", G_CALLBACK(onChannelData), newRef(link),
                        freeRef, GConnectFlags(0));
}

static void onDataChannel(GstElement *, GstWebRTCDataChannel *channel, gpointer data)
{
  /* WHEP: the browser may open its own channel; treat it as the input one. */
  if (Viewer::Link *l = linkOf(data)) {
    (void)l;
    connectChannel(channel, *static_cast<LinkRef *>(data));
  }
}

/* PLI / FIR arrive as upstream force-key-unit events from the payloader:
 * take them out and let the element rate-limit them. */
static GstPadProbeReturn onUpstreamEvent(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (!gst_video_event_is_force_key_unit(ev))
    return GST_PAD_PROBE_OK;
  if (Viewer::Link *l = linkOf(data))
    l->events->viewerKeyframeRequest(l->id);
  return GST_PAD_PROBE_DROP;
}

static GstPadProbeReturn onBuffer(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *frames = static_cast<std::atomic<uint64_t> *>(data);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    *frames += gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
  else
    (*frames)++;
  return GST_PAD_PROBE_OK;
}

/* ---- stats ---------------------------------------------------------------- */

static uint64_t u64(const GstStructure *s, const char *f)
{
  const GValue *v = gst_structure_get_value(s, f);
  if (!v)
    return 0;
  if (G_VALUE_HOLDS_UINT64(v))
    return g_value_get_uint64(v);
  if (G_VALUE_HOLDS_INT64(v))
    return uint64_t(std::max<gint64>(0, g_value_get_int64(v)));
  if (G_VALUE_HOLDS_UINT(v))
    return g_value_get_uint(v);
  if (G_VALUE_HOLDS_INT(v))
    return uint64_t(std::max(0, g_value_get_int(v)));
  return 0;
}

static double dbl(const GstStructure *s, const char *f)
{
  double d = 0;
  if (gst_structure_get_double(s, f, &d))
    return d;
  return double(u64(s, f));
}

static gboolean collectStats(GQuark, const GValue *value, gpointer data)
{
  auto *out = static_cast<ViewerStats *>(data);
  if (!GST_VALUE_HOLDS_STRUCTURE(value))
    return TRUE;
  const GstStructure *s = gst_value_get_structure(value);
  GstWebRTCStatsType type;
  if (!gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr))
    return TRUE;
  if (type == GST_WEBRTC_STATS_OUTBOUND_RTP) {
    out->bytesSent += u64(s, "bytes-sent");
    out->packetsSent += u64(s, "packets-sent");
    out->pli += unsigned(u64(s, "pli-count"));
    out->fir += unsigned(u64(s, "fir-count"));
    out->nack += unsigned(u64(s, "nack-count"));
  } else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
    out->fractionLost = std::max(out->fractionLost, dbl(s, "fraction-lost"));
    const GValue *v = gst_structure_get_value(s, "packets-lost");
    if (v && G_VALUE_HOLDS_INT64(v))
      out->packetsLost += g_value_get_int64(v);
    else if (v && G_VALUE_HOLDS_INT(v))
      out->packetsLost += g_value_get_int(v);
    out->rttSeconds = std::max(out->rttSeconds, dbl(s, "round-trip-time"));
  }
  return TRUE;
}

static void onStats(GstPromise *promise, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  const GstStructure *r = gst_promise_get_reply(promise);
  if (!l || !r)
    return;
  ViewerStats st;
  gst_structure_foreach(r, collectStats, &st);
  l->events->viewerStats(l->id, st);
}

/* ---- the viewer ----------------------------------------------------------- */

std::unique_ptr<Viewer> Viewer::create(GstBin *bin, GstElement *tee, const ViewerConfig &config,
                                       GError **error)
{
  std::unique_ptr<Viewer> v(new Viewer());
  if (!v->build(bin, tee, config, error))
    return nullptr;
  return v;
}

static GstElement *make(const char *factory, const std::string &name, GError **error)
{
  GstElement *e = gst_element_factory_make(factory, name.c_str());
  if (!e)
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                "the GStreamer element '%s' is missing (install gstreamer1.0-plugins-good, "
                "-bad and gstreamer1.0-nice)",
                factory);
  return e;
}

bool Viewer::build(GstBin *bin, GstElement *tee, const ViewerConfig &c, GError **error)
{
  id_ = c.id;
  bin_ = bin;
  tee_ = tee;
  link_ = std::make_shared<Link>();
  link_->owner = GST_ELEMENT(gst_object_ref(c.owner));
  link_->events = c.events;
  link_->id = c.id;
  link_->offerer = c.offerer;

  std::string payFactory;
  if (c.encodingName == "H264")
    payFactory = "rtph264pay";
  else if (c.encodingName == "VP8")
    payFactory = "rtpvp8pay";
  else if (c.encodingName == "VP9")
    payFactory = "rtpvp9pay";
  else if (c.encodingName == "AV1")
    payFactory = "rtpav1pay";
  else {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND,
                "no RTP payloader for '%s'", c.encodingName.c_str());
    return false;
  }

  /* Parse the WHEP offer first: nothing is built if it is unusable. */
  int pt = 96, audioPt = c.audioTee ? 111 : -1;
  std::string pli;
  g_autoptr(GstSDPMessage) offer = nullptr;
  if (!c.offerer) {
    if (gst_sdp_message_new_from_text(c.remoteOffer.c_str(), &offer) != GST_SDP_OK ||
        gst_sdp_message_medias_len(offer) == 0) {
      g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "the offer is not valid SDP");
      return false;
    }
    std::string profile = "42e0";
    if (c.streamCaps && c.encodingName == "H264")
      profile =
        profilePrefix(gst_structure_get_string(gst_caps_get_structure(c.streamCaps, 0), "profile"));
    pt = chooseOfferedPayload(offer, c.encodingName, profile, pli);
    std::string unused;
    audioPt = c.audioTee ? chooseOfferedPayload(offer, "opus", "", unused, "audio") : -1;
    if (pt < 0) {
      g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND,
                  "the offer has no %s video format this stream can be sent as",
                  c.encodingName.c_str());
      return false;
    }
  }

  queue_ = make("queue", "queue-" + id_, error);
  pay_ = queue_ ? make(payFactory.c_str(), "pay-" + id_, error) : nullptr;
  setter_ = pay_ ? make("capssetter", "caps-" + id_, error) : nullptr;
  webrtc_ = setter_ ? make("webrtcbin", "webrtc-" + id_, error) : nullptr;
  if (!webrtc_) {
    for (GstElement *e : {queue_, pay_, setter_})
      if (e)
        gst_object_unref(e);
    queue_ = pay_ = setter_ = nullptr;
    return false;
  }
  g_weak_ref_set(&link_->webrtc, webrtc_);

  /* A slow viewer drops its own oldest frames, never blocking the others. */
  g_object_set(queue_, "max-size-buffers", 120u, "max-size-bytes", 0u, "max-size-time",
               guint64(2 * GST_SECOND), "leaky", 2 /* downstream */, nullptr);
  g_object_set(pay_, "pt", guint(pt), nullptr);
  if (c.encodingName == "H264")
    /* aggregate-mode stays "none": with "zero-latency" (STAP-A) Chromium
     * drops frames and sends a PLI every few frames (measured: 8 PLIs and
     * 7 dropped frames in 4 s, against 1 and 0 without aggregation). */
    g_object_set(pay_, "config-interval", -1, "aggregate-mode", 0 /* none */, nullptr);
  g_autoptr(GstCaps) setCaps =
    gst_caps_new_simple("application/x-rtp", "payload", G_TYPE_INT, pt, nullptr);
  if (!pli.empty())
    gst_caps_set_simple(setCaps, "profile-level-id", G_TYPE_STRING, pli.c_str(), nullptr);
  g_object_set(setter_, "caps", setCaps, "join", TRUE, "replace", FALSE, nullptr);
  g_object_set(webrtc_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  if (!c.stunServer.empty())
    g_object_set(webrtc_, "stun-server", c.stunServer.c_str(), nullptr);
  for (const auto &t : c.turnServers) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(webrtc_, "add-turn-server", t.c_str(), &ok);
    if (!ok)
      GST_WARNING_OBJECT(c.owner, "TURN server '%s' refused", t.c_str());
  }
  {
    GstWebRTCICE *ice = nullptr;
    g_object_get(webrtc_, "ice-agent", &ice, nullptr);
    if (ice) {
      /* No UPnP-IGD: a server has no router to ask, and libnice's gupnp
       * contexts keep SSDP sockets open after the agent is gone. */
      GObject *agent = nullptr;
      if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent"))
        g_object_get(ice, "agent", &agent, nullptr);
      if (agent && g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "upnp"))
        g_object_set(agent, "upnp", FALSE, nullptr);
      if (agent)
        g_object_unref(agent);
    }
    for (const auto &a : c.iceAddresses) {
      gboolean ok = FALSE;
      if (ice)
        g_signal_emit_by_name(ice, "add-local-ip-address", a.c_str(), &ok);
      if (!ok)
        GST_WARNING_OBJECT(c.owner, "could not gather ICE candidates on '%s'", a.c_str());
    }
    if (ice)
      gst_object_unref(ice);
  }

  gst_bin_add_many(bin, queue_, pay_, setter_, webrtc_, nullptr);
  GstPad *wsink = gst_element_request_pad_simple(webrtc_, "sink_%u");
  g_autoptr(GstPad) ssrc = gst_element_get_static_pad(setter_, "src");
  bool linked = gst_element_link_many(queue_, pay_, setter_, nullptr) && wsink &&
                gst_pad_link(ssrc, wsink) == GST_PAD_LINK_OK;
  if (wsink) {
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_object_get(wsink, "transceiver", &trans, nullptr);
    if (trans) {
      g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "do-nack",
                   TRUE, nullptr);
      gst_object_unref(trans);
    }
    gst_object_unref(wsink);
  }
  if (!linked) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                "could not link the viewer branch");
    return false; /* the destructor removes what was added */
  }

  g_signal_connect_data(webrtc_, "on-negotiation-needed", G_CALLBACK(onNegotiationNeeded),
                        newRef(link_), freeRef, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "on-ice-candidate", G_CALLBACK(onIceCandidate), newRef(link_),
                        freeRef, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::connection-state", G_CALLBACK(onConnectionState),
                        newRef(link_), freeRef, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::ice-gathering-state", G_CALLBACK(onGatheringState),
                        newRef(link_), freeRef, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "on-data-channel", G_CALLBACK(onDataChannel), newRef(link_),
                        freeRef, GConnectFlags(0));

  g_autoptr(GstPad) qsink = gst_element_get_static_pad(queue_, "sink");
  gst_pad_add_probe(qsink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, onUpstreamEvent, newRef(link_),
                    freeRefNotify);
  g_autoptr(GstPad) psink = gst_element_get_static_pad(pay_, "sink");
  gst_pad_add_probe(psink,
                    GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                    onBuffer, &frames_, nullptr);

  if (audioPt >= 0) {
    aqueue_ = make("queue", "aqueue-" + id_, error);
    apay_ = aqueue_ ? make("rtpopuspay", "apay-" + id_, error) : nullptr;
    if (!apay_) {
      if (aqueue_)
        gst_object_unref(aqueue_);
      aqueue_ = nullptr;
      return false;
    }
    g_object_set(aqueue_, "max-size-buffers", 0u, "max-size-bytes", 0u, "max-size-time",
                 guint64(GST_SECOND), "leaky", 2 /* downstream */, nullptr);
    /* DTX: silence from opusenc sends no packets at all. */
    g_object_set(apay_, "pt", guint(audioPt), "dtx", TRUE, nullptr);
    gst_bin_add_many(bin, aqueue_, apay_, nullptr);
    GstPad *asink = gst_element_request_pad_simple(webrtc_, "sink_%u");
    g_autoptr(GstPad) apsrc = gst_element_get_static_pad(apay_, "src");
    bool alinked =
      gst_element_link(aqueue_, apay_) && asink && gst_pad_link(apsrc, asink) == GST_PAD_LINK_OK;
    if (asink) {
      GstWebRTCRTPTransceiver *trans = nullptr;
      g_object_get(asink, "transceiver", &trans, nullptr);
      if (trans) {
        g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
        gst_object_unref(trans);
      }
      gst_object_unref(asink);
    }
    if (!alinked) {
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                  "could not link the viewer's audio branch");
      return false;
    }
    audioTee_ = c.audioTee;
  }

  /* Data channels must exist before the offer: create it in READY. */
  gst_element_set_state(webrtc_, GST_STATE_READY);
  if (c.offerer) {
    GstStructure *opts =
      gst_structure_new("application/data-channel", "ordered", G_TYPE_BOOLEAN, TRUE, nullptr);
    g_signal_emit_by_name(webrtc_, "create-data-channel", "input", opts, &channel_);
    gst_structure_free(opts);
    if (channel_)
      connectChannel(channel_, link_);
    else
      GST_WARNING_OBJECT(c.owner, "viewer %s: no data channel, input disabled", id_.c_str());
  }
  for (GstElement *e : {webrtc_, setter_, pay_, queue_, apay_, aqueue_})
    if (e)
      gst_element_sync_state_with_parent(e);

  teePad_ = gst_element_request_pad_simple(tee, "src_%u");
  if (!teePad_ || gst_pad_link(teePad_, qsink) != GST_PAD_LINK_OK) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                "could not link the viewer to the fan-out");
    return false;
  }
  if (aqueue_) {
    g_autoptr(GstPad) aqsink = gst_element_get_static_pad(aqueue_, "sink");
    audioTeePad_ = gst_element_request_pad_simple(audioTee_, "src_%u");
    if (!audioTeePad_ || gst_pad_link(audioTeePad_, aqsink) != GST_PAD_LINK_OK) {
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                  "could not link the viewer to the audio fan-out");
      return false;
    }
  }

  if (!c.offerer) {
    /* Answer only once the stream's caps reached webrtcbin: an answer made
     * before announces an SSRC the payloader then does not use, and
     * Chromium fails to decode (avcodec_send_packet errors on every
     * keyframe). The element pushes vdi-repaint on join, so caps come at
     * once even from a still screen. */
    link_->pendingOffer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, offer);
    offer = nullptr; /* owned by the description */
    link_->capsPending = apay_ ? 2 : 1;
    g_autoptr(GstPad) ssrcPad = gst_element_get_static_pad(setter_, "src");
    gst_pad_add_probe(ssrcPad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, onCapsForAnswer, newRef(link_),
                      freeRefNotify);
    if (apay_) {
      g_autoptr(GstPad) apsrc = gst_element_get_static_pad(apay_, "src");
      gst_pad_add_probe(apsrc, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, onCapsForAnswer, newRef(link_),
                        freeRefNotify);
    }
  }
  return true;
}

Viewer::~Viewer()
{
  if (link_)
    link_->alive = false;
  if (teePad_) {
    if (GstPad *peer = gst_pad_get_peer(teePad_)) {
      gst_pad_unlink(teePad_, peer);
      gst_object_unref(peer);
    }
    gst_element_release_request_pad(tee_, teePad_);
    gst_object_unref(teePad_);
  }
  if (audioTeePad_) {
    if (GstPad *peer = gst_pad_get_peer(audioTeePad_)) {
      gst_pad_unlink(audioTeePad_, peer);
      gst_object_unref(peer);
    }
    gst_element_release_request_pad(audioTee_, audioTeePad_);
    gst_object_unref(audioTeePad_);
  }
  if (channel_) {
    g_signal_handlers_disconnect_matched(channel_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                         (gpointer)onChannelMessage, nullptr);
    g_signal_handlers_disconnect_matched(channel_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                         (gpointer)onChannelData, nullptr);
    g_signal_handlers_disconnect_matched(channel_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                         (gpointer)onChannelState, nullptr);
    g_object_unref(channel_);
  }
  for (GstElement *e : {webrtc_, setter_, pay_, queue_, apay_, aqueue_}) {
    if (!e)
      continue;
    if (e == webrtc_)
      g_signal_handlers_disconnect_matched(e, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                           (gpointer)onGatheringState, nullptr);
    gst_element_set_locked_state(e, TRUE);
    gst_element_set_state(e, GST_STATE_NULL);
    if (GST_OBJECT_PARENT(e) == GST_OBJECT(bin_))
      gst_bin_remove(bin_, e);
    else
      gst_object_unref(e);
  }
}

void Viewer::setRemoteDescription(const std::string &type, const std::string &sdp)
{
  GstSDPMessage *msg = nullptr;
  if (gst_sdp_message_new_from_text(sdp.c_str(), &msg) != GST_SDP_OK) {
    if (msg)
      gst_sdp_message_free(msg);
    link_->events->viewerError(id_, "the " + type + " is not valid SDP");
    return;
  }
  GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new(
    type == "offer" ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, msg);
  GstPromise *p =
    gst_promise_new_with_change_func(onRemoteDescriptionSet, newRef(link_), freeRefNotify);
  g_signal_emit_by_name(webrtc_, "set-remote-description", desc, p);
  gst_webrtc_session_description_free(desc);
}

void Viewer::addIceCandidate(unsigned mline, const std::string &candidate)
{
  std::string c = candidate;
  if (c.rfind("a=", 0) == 0)
    c.erase(0, 2);
  if (c.empty())
    return; /* end of candidates */
  g_signal_emit_by_name(webrtc_, "add-ice-candidate", mline, c.c_str());
}

void Viewer::requestStats()
{
  GstPromise *p = gst_promise_new_with_change_func(onStats, newRef(link_), freeRefNotify);
  g_signal_emit_by_name(webrtc_, "get-stats", nullptr, p);
}

std::string Viewer::localDescription() const
{
  GstWebRTCSessionDescription *desc = nullptr;
  g_object_get(webrtc_, "local-description", &desc, nullptr);
  if (!desc)
    return {};
  g_autofree char *text = gst_sdp_message_as_text(desc->sdp);
  gst_webrtc_session_description_free(desc);
  return text;
}

bool Viewer::send(const std::string &text, std::string *error)
{
  if (!channel_) {
    *error = "the viewer has no data channel";
    return false;
  }
  GstWebRTCDataChannelState state;
  g_object_get(channel_, "ready-state", &state, nullptr);
  if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN) {
    *error = "the data channel is not open";
    return false;
  }
  g_autoptr(GError) err = nullptr;
  if (!gst_webrtc_data_channel_send_string_full(channel_, text.c_str(), &err)) {
    *error = err ? err->message : "webrtcbin refused the message";
    return false;
  }
  return true;
}

} // namespace vdi::webrtc
