/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-viewer.h"
#include "webrtc-viewer-stats.h"

#include "webrtc-sdp.h"

#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>

#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

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
  bool answerWithCandidates = false; /* WHEP: the answer waits for gathering */
  std::atomic<bool> offered{false};
  /* WHEP: the browser's offer, applied once caps reach webrtcbin. */
  std::atomic<GstWebRTCSessionDescription *> pendingOffer{nullptr};
  std::atomic<int> capsPending{0}; /* branches whose caps have not arrived */
  /* Every data channel of the viewer (refs), and the one the element sends
   * on: its own `control`, or the first one the browser opened that is not
   * `input`. */
  std::mutex channelLock;
  std::vector<GstWebRTCDataChannel *> channels;
  GstWebRTCDataChannel *control = nullptr;
  std::shared_ptr<MicrophoneState> microphone;
  /* Frames the payloader got, by its probe (which may outlive the viewer). */
  std::atomic<uint64_t> frames{0};
  Link() { g_weak_ref_init(&webrtc, nullptr); }
  ~Link()
  {
    for (GstWebRTCDataChannel *c : channels)
      g_object_unref(c);
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

/* ---- callbacks ------------------------------------------------------------ */

static void createChannels(GstElement *webrtc, const LinkRef &link,
                           std::initializer_list<const char *> labels);

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
  if (l && err.empty() && (l->offerer || !l->answerWithCandidates)) {
    /* Offer, or a signalling answer: candidates trickle; send the SDP now. */
    g_autoptr(GstElement) webrtc = l->getWebrtc();
    GstWebRTCSessionDescription *desc = nullptr;
    if (webrtc)
      g_object_get(webrtc, "local-description", &desc, nullptr);
    if (desc) {
      g_autofree char *text = gst_sdp_message_as_text(desc->sdp);
      l->events->viewerLocalSdp(l->id, l->offerer ? "offer" : "answer", text);
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
    separateAudioStream(desc->sdp); /* no A/V sync group in the browser (docs/sound.md) */
    GstPromise *p = gst_promise_new_with_change_func(
      onLocalDescriptionSet, newRef(*static_cast<LinkRef *>(data)), freeRefNotify);
    g_signal_emit_by_name(webrtc, "set-local-description", desc, p);
    gst_promise_unref(p); /* webrtcbin holds its own until it replies */
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
    /* A signalling client that offered (gstwebrtc-api with offer options)
     * gets webrtcsink's own `control` channel too: its remote controller
     * attaches only to a channel the producer opened. */
    if (!l->answerWithCandidates)
      createChannels(webrtc, *static_cast<LinkRef *>(data), {"control"});
    GstPromise *p = gst_promise_new_with_change_func(
      onDescriptionCreated, newRef(*static_cast<LinkRef *>(data)), freeRefNotify);
    g_signal_emit_by_name(webrtc, "create-answer", nullptr, p);
    gst_promise_unref(p); /* webrtcbin holds its own until it replies */
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
    gst_promise_unref(p); /* webrtcbin holds its own until it replies */
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
  gst_promise_unref(p); /* webrtcbin holds its own until it replies */
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
  if (!l || l->offerer || !l->answerWithCandidates ||
      state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
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

/* A stream the browser sends (its microphone): decoded or dropped. */
static void onPadAdded(GstElement *webrtc, GstPad *pad, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  if (!l || GST_PAD_DIRECTION(pad) != GST_PAD_SRC || !l->microphone)
    return;
  g_autoptr(GstObject) bin = gst_object_get_parent(GST_OBJECT(webrtc));
  if (bin)
    attachMicrophone(GST_BIN(bin), pad, l->microphone);
}

static void onConnectionState(GstElement *webrtc, GParamSpec *, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  GstWebRTCPeerConnectionState state;
  g_object_get(webrtc, "connection-state", &state, nullptr);
  if (l)
    l->events->viewerState(l->id, state);
}

/* webrtcsink's older `input` channel carries bare navigation events and
 * gets no replies; every other channel (`control`) the request/response
 * shape. */
static bool isBare(GstWebRTCDataChannel *channel)
{
  g_autofree char *label = nullptr;
  g_object_get(channel, "label", &label, nullptr);
  return !g_strcmp0(label, "input");
}

static void onChannelText(GstWebRTCDataChannel *channel, const std::string &text, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  if (!l)
    return;
  std::string reply = l->events->viewerControl(l->id, text, isBare(channel));
  if (!reply.empty())
    gst_webrtc_data_channel_send_string(channel, reply.c_str());
}

static void onChannelMessage(GstWebRTCDataChannel *channel, gchar *text, gpointer data)
{
  if (text)
    onChannelText(channel, text, data);
}

static void onChannelData(GstWebRTCDataChannel *channel, GBytes *bytes, gpointer data)
{
  if (!bytes)
    return;
  gsize n = 0;
  const char *p = static_cast<const char *>(g_bytes_get_data(bytes, &n));
  onChannelText(channel, std::string(p ? p : "", n), data);
}

static void onChannelState(GstWebRTCDataChannel *channel, GParamSpec *, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  GstWebRTCDataChannelState state;
  g_object_get(channel, "ready-state", &state, nullptr);
  if (!l || state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    return;
  {
    std::lock_guard<std::mutex> g(l->channelLock);
    if (l->control != channel)
      return;
  }
  l->events->viewerChannelOpen(l->id);
}

/* Takes @channel (a reference) into the viewer. */
static void connectChannel(GstWebRTCDataChannel *channel, const LinkRef &link)
{
  {
    std::lock_guard<std::mutex> g(link->channelLock);
    link->channels.push_back(channel);
    if (!link->control && !isBare(channel))
      link->control = channel;
  }
  g_signal_connect_data(channel, "notify::ready-state", G_CALLBACK(onChannelState), newRef(link),
                        freeRef, GConnectFlags(0));
  g_signal_connect_data(channel, "on-message-string", G_CALLBACK(onChannelMessage), newRef(link),
                        freeRef, GConnectFlags(0));
  g_signal_connect_data(channel, "on-message-data", G_CALLBACK(onChannelData), newRef(link),
                        freeRef, GConnectFlags(0));
}

/* webrtcsink's channels: `control` (request/response, what gstwebrtc-api's
 * remote controller uses) and the older `input` (bare navigation events).
 * Reliable and ordered. The element's own `control` is the one it sends on. */
static void createChannels(GstElement *webrtc, const LinkRef &link,
                           std::initializer_list<const char *> labels)
{
  for (const char *label : labels) {
    GstStructure *opts =
      gst_structure_new("application/data-channel", "ordered", G_TYPE_BOOLEAN, TRUE, nullptr);
    GstWebRTCDataChannel *channel = nullptr;
    g_signal_emit_by_name(webrtc, "create-data-channel", label, opts, &channel);
    gst_structure_free(opts);
    if (!channel) {
      GST_WARNING_OBJECT(link->owner, "viewer %s: no data channel %s", link->id.c_str(), label);
      continue;
    }
    if (!isBare(channel)) {
      std::lock_guard<std::mutex> g(link->channelLock);
      link->control = channel;
    }
    connectChannel(channel, link);
  }
}

static void onDataChannel(GstElement *, GstWebRTCDataChannel *channel, gpointer data)
{
  /* A channel the browser opened (consumer offer: gstwebrtc-api's
   * `control`; WHEP clients): read it by its label. */
  if (linkOf(data)) {
    connectChannel(GST_WEBRTC_DATA_CHANNEL(g_object_ref(channel)), *static_cast<LinkRef *>(data));
    GstWebRTCDataChannelState state;
    g_object_get(channel, "ready-state", &state, nullptr);
    if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
      onChannelState(channel, nullptr, data);
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
  std::atomic<uint64_t> &frames = static_cast<LinkRef *>(data)->get()->frames;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    frames += gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
  else
    frames++;
  return GST_PAD_PROBE_OK;
}

/* ---- stats ---------------------------------------------------------------- */

static void onStats(GstPromise *promise, gpointer data)
{
  Viewer::Link *l = linkOf(data);
  const GstStructure *r = gst_promise_get_reply(promise);
  if (!l || !r)
    return;
  l->events->viewerStats(l->id, readViewerStats(r));
}

/* ---- the viewer ----------------------------------------------------------- */

std::unique_ptr<Viewer> Viewer::create(GstElement *tee, const ViewerConfig &config, GError **error)
{
  std::unique_ptr<Viewer> v(new Viewer());
  if (!v->build(tee, config, error))
    return nullptr;
  return v;
}

static GstElement *make(GstBin *bin, const char *factory, const char *name, GError **error)
{
  GstElement *e = gst_element_factory_make(factory, name);
  if (!e) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                "the GStreamer element '%s' is missing (install gstreamer1.0-plugins-good, "
                "-bad and gstreamer1.0-nice)",
                factory);
    return nullptr;
  }
  gst_bin_add(bin, e);
  return e;
}

static const char *payloaderFor(const std::string &encoding)
{
  if (encoding == "H264")
    return "rtph264pay";
  if (encoding == "VP8")
    return "rtpvp8pay";
  if (encoding == "VP9")
    return "rtpvp9pay";
  if (encoding == "AV1")
    return "rtpav1pay";
  return nullptr;
}

/* Links @src of @from to a new sink pad of webrtcbin as a send-only
 * (@sendrecv: send-receive) transceiver, and ghosts the sink pad of @head
 * as @ghost on the bin. */
static bool linkToWebrtc(GstBin *bin, GstElement *head, GstElement *from, GstElement *webrtc,
                         const char *ghost, bool nack, bool sendrecv = false)
{
  GstPad *wsink = gst_element_request_pad_simple(webrtc, "sink_%u");
  g_autoptr(GstPad) src = gst_element_get_static_pad(from, "src");
  bool linked = wsink && gst_pad_link(src, wsink) == GST_PAD_LINK_OK;
  if (wsink) {
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_object_get(wsink, "transceiver", &trans, nullptr);
    if (trans) {
      g_object_set(trans, "direction",
                   sendrecv ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV
                            : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                   nullptr);
      if (nack)
        g_object_set(trans, "do-nack", TRUE, nullptr);
      gst_object_unref(trans);
    }
    gst_object_unref(wsink);
  }
  g_autoptr(GstPad) target = gst_element_get_static_pad(head, "sink");
  GstPad *pad = gst_ghost_pad_new(ghost, target);
  return linked && gst_element_add_pad(GST_ELEMENT(bin), pad);
}

/* webrtcbin's ICE servers and addresses; no UPnP-IGD. */
static void configureIce(GstElement *webrtc, const ViewerConfig &c)
{
  g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  if (!c.stunServer.empty())
    g_object_set(webrtc, "stun-server", c.stunServer.c_str(), nullptr);
  for (const auto &t : c.turnServers) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(webrtc, "add-turn-server", t.c_str(), &ok);
    if (!ok)
      GST_WARNING_OBJECT(c.owner, "TURN server '%s' refused", t.c_str());
  }
  GstWebRTCICE *ice = nullptr;
  g_object_get(webrtc, "ice-agent", &ice, nullptr);
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

/* The browser's offer (WHEP, consumer offer): which payload types to answer
 * with. Nothing is built if it is unusable. */
/* Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01, what Chromium and Firefox use), and its id in our offers. */
static constexpr const char *kTwccUri =
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
static constexpr int kOfferedTwccId = 3;

static bool readOffer(const ViewerConfig &c, GstSDPMessage **offer, int *pt, int *audioPt,
                      std::string *pli, int *twccId, GError **error)
{
  if (gst_sdp_message_new_from_text(c.remoteOffer.c_str(), offer) != GST_SDP_OK ||
      gst_sdp_message_medias_len(*offer) == 0) {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "the offer is not valid SDP");
    return false;
  }
  std::string profile = "42e0";
  if (c.streamCaps && c.encodingName == "H264")
    profile =
      profilePrefix(gst_structure_get_string(gst_caps_get_structure(c.streamCaps, 0), "profile"));
  *pt = chooseOfferedPayload(*offer, c.encodingName, profile, *pli);
  std::string unused;
  *audioPt = c.audioTee ? chooseOfferedPayload(*offer, "opus", "", unused, "audio") : -1;
  *twccId = offeredExtensionId(*offer, kTwccUri);
  if (*pt < 0) {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND,
                "the offer has no %s video format this stream can be sent as",
                c.encodingName.c_str());
    return false;
  }
  return true;
}

bool Viewer::buildVideo(GstBin *bin, const ViewerConfig &c, int pt, const std::string &pli,
                        int twccId, GError **error)
{
  GstElement *queue = make(bin, "queue", "queue", error);
  pay_ = queue ? make(bin, payloaderFor(c.encodingName), "pay", error) : nullptr;
  setter_ = pay_ ? make(bin, "capssetter", "caps", error) : nullptr;
  if (!setter_)
    return false;
  pacer_ = makePacer("pacer"); /* webrtc-pacer.h: only once a bottleneck was found */
  gst_bin_add(bin, pacer_);
  /* A slow viewer drops its own oldest frames, never blocking the others. */
  g_object_set(queue, "max-size-buffers", 120u, "max-size-bytes", 0u, "max-size-time",
               guint64(2 * GST_SECOND), "leaky", 2 /* downstream */, nullptr);
  g_object_set(pay_, "pt", guint(pt), nullptr);
  if (c.encodingName == "H264")
    /* aggregate-mode stays "none": with "zero-latency" (STAP-A) Chromium
     * drops frames and sends a PLI every few frames (measured: 8 PLIs and
     * 7 dropped frames in 4 s, against 1 and 0 without aggregation). */
    g_object_set(pay_, "config-interval", -1, "aggregate-mode", 0 /* none */, nullptr);
  /* Transport-wide congestion control (docs/webrtc.md "Bitrate
   * adaptation"): every packet gets a transport-wide sequence number, the
   * browser sends transport-cc feedback, and webrtcbin's TWCC statistics
   * drive the delay-based estimate. The extension id is the offer's, or
   * ours when we offer. */
  if (twccId > 0) {
    g_autoptr(GstRTPHeaderExtension) twcc = gst_rtp_header_extension_create_from_uri(kTwccUri);
    if (twcc) {
      gst_rtp_header_extension_set_id(twcc, guint(twccId));
      g_signal_emit_by_name(pay_, "add-extension", twcc);
    }
  }
  g_autoptr(GstCaps) setCaps =
    gst_caps_new_simple("application/x-rtp", "payload", G_TYPE_INT, pt, nullptr);
  if (!pli.empty())
    gst_caps_set_simple(setCaps, "profile-level-id", G_TYPE_STRING, pli.c_str(), nullptr);
  g_object_set(setter_, "caps", setCaps, "join", TRUE, "replace", FALSE, nullptr);
  if (!gst_element_link_many(queue, pay_, setter_, pacer_, nullptr) ||
      !linkToWebrtc(bin, queue, pacer_, webrtc_, "video", true)) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                "could not link the viewer branch");
    return false;
  }
  g_autoptr(GstPad) qsink = gst_element_get_static_pad(queue, "sink");
  gst_pad_add_probe(qsink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, onUpstreamEvent, newRef(link_),
                    freeRefNotify);
  g_autoptr(GstPad) psink = gst_element_get_static_pad(pay_, "sink");
  gst_pad_add_probe(psink,
                    GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                    onBuffer, newRef(link_), freeRefNotify);
  return true;
}

bool Viewer::buildAudio(GstBin *bin, int pt, bool sendrecv, GError **error)
{
  GstElement *aqueue = make(bin, "queue", "aqueue", error);
  apay_ = aqueue ? make(bin, "rtpopuspay", "apay", error) : nullptr;
  if (!apay_)
    return false;
  g_object_set(aqueue, "max-size-buffers", 0u, "max-size-bytes", 0u, "max-size-time",
               guint64(GST_SECOND), "leaky", 2 /* downstream */, nullptr);
  /* DTX: silence from opusenc sends no packets at all. */
  g_object_set(apay_, "pt", guint(pt), "dtx", TRUE, nullptr);
  if (!gst_element_link(aqueue, apay_) ||
      !linkToWebrtc(bin, aqueue, apay_, webrtc_, "audio", false, sendrecv)) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                "could not link the viewer's audio branch");
    return false;
  }
  return true;
}

void Viewer::connectSignals()
{
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
  g_signal_connect_data(webrtc_, "pad-added", G_CALLBACK(onPadAdded), newRef(link_), freeRef,
                        GConnectFlags(0));
}

/* Answer only once the stream's caps reached webrtcbin: an answer made
 * before announces an SSRC the payloader then does not use, and Chromium
 * fails to decode (avcodec_send_packet errors on every keyframe). The
 * element pushes vdi-repaint on join, so caps come at once even from a still
 * screen. */
void Viewer::answerOnCaps(GstSDPMessage *offer)
{
  link_->pendingOffer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, offer);
  link_->capsPending = apay_ ? 2 : 1;
  for (GstElement *e : {setter_, apay_}) {
    if (!e)
      continue;
    g_autoptr(GstPad) src = gst_element_get_static_pad(e, "src");
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, onCapsForAnswer, newRef(link_),
                      freeRefNotify);
  }
}

bool Viewer::build(GstElement *tee, const ViewerConfig &c, GError **error)
{
  id_ = c.id;
  defer_ = c.defer;
  link_ = std::make_shared<Link>();
  link_->owner = GST_ELEMENT(gst_object_ref(c.owner));
  link_->events = c.events;
  link_->id = c.id;
  link_->offerer = c.offerer;
  link_->answerWithCandidates = c.answerWithCandidates;
  link_->microphone = microphone_ = c.microphone;

  if (!payloaderFor(c.encodingName)) {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND,
                "no RTP payloader for '%s'", c.encodingName.c_str());
    return false;
  }
  int pt = 96, audioPt = c.audioTee ? 111 : -1, twccId = c.twcc ? kOfferedTwccId : -1;
  std::string pli;
  GstSDPMessage *offer = nullptr;
  if (!c.offerer && !readOffer(c, &offer, &pt, &audioPt, &pli, &twccId, error)) {
    if (offer)
      gst_sdp_message_free(offer);
    return false;
  }
  if (!c.twcc)
    twccId = -1;

  bool micWanted = c.microphone && !c.microphone->sinkDescription.empty() && c.microphone->allowed;
  /* Everything of this viewer lives in one bin: its errors are found by
   * ancestry, and it goes with one gst_bin_remove(). */
  std::string name = "viewer-" + id_;
  GstBin *bin = GST_BIN(gst_bin_new(name.c_str()));
  g_object_ref_sink(bin);
  /* A NACK it cannot answer asks for a keyframe (webrtc-nack-repair.h). */
  RtxBudget::attach(bin, rtx_, [weak = std::weak_ptr<Link>(link_)] {
    if (auto l = weak.lock(); l && l->alive)
      l->events->viewerKeyframeRequest(l->id);
  });
  webrtc_ = make(bin, "webrtcbin", "webrtc", error);
  bool ok = webrtc_ && buildVideo(bin, c, pt, pli, twccId, error) &&
            (audioPt < 0 || buildAudio(bin, audioPt, micWanted, error));
  if (!ok) {
    if (offer)
      gst_sdp_message_free(offer);
    gst_object_unref(bin);
    webrtc_ = pay_ = setter_ = pacer_ = apay_ = nullptr;
    return false;
  }
  g_weak_ref_set(&link_->webrtc, webrtc_);
  configureIce(webrtc_, c);
  connectSignals();

  /* Data channels must exist before the offer: create it in READY. */
  gst_element_set_state(GST_ELEMENT(bin), GST_STATE_READY);
  if (c.offerer) {
    createChannels(webrtc_, link_, {"control", "input"});
  } else {
    answerOnCaps(offer); /* the description owns the offer now */
  }

  std::vector<vdi::TeeBranch::Input> inputs = {{tee, "video"}};
  if (apay_)
    inputs.push_back({c.audioTee, "audio"});
  if (c.adopt)
    c.adopt(GST_ELEMENT(bin));
  std::string why;
  branch_ = vdi::TeeBranch::attach(GST_ELEMENT(bin), inputs, &why);
  gst_object_unref(bin); /* the branch holds it */
  if (!branch_) {
    webrtc_ = pay_ = setter_ = pacer_ = apay_ = nullptr;
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, "%s", why.c_str());
    return false;
  }
  if (apay_) /* the audio may pause: its caps now, not with its next buffer */
    branch_->sendStickyEvents(c.audioTee);
  return true;
}

uint64_t Viewer::framesSent() const
{
  return link_ ? link_->frames.load() : 0;
}

GstElement *Viewer::bin() const
{
  return branch_ ? branch_->bin() : nullptr;
}

Viewer::~Viewer()
{
  if (link_)
    link_->alive = false;
  if (microphone_ && microphone_->floor)
    microphone_->floor->forget(id_);
  if (link_) {
    /* The channels go now, while their webrtcbin is there: a 1.22 data
     * channel keeps a plain pointer to its webrtcbin (weak only since
     * 1.22.10) and must not outlive it in the Link, which GStreamer
     * callbacks may hold a while longer. */
    std::vector<GstWebRTCDataChannel *> channels;
    {
      std::lock_guard<std::mutex> g(link_->channelLock);
      channels = std::exchange(link_->channels, {});
      link_->control = nullptr;
    }
    for (GstWebRTCDataChannel *c : channels) {
      for (gpointer fn :
           {(gpointer)onChannelMessage, (gpointer)onChannelData, (gpointer)onChannelState})
        g_signal_handlers_disconnect_matched(c, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr, fn, nullptr);
      g_object_unref(c);
    }
  }
  if (webrtc_)
    g_signal_handlers_disconnect_matched(webrtc_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                         (gpointer)onGatheringState, nullptr);
  vdi::TeeBranch::detach(std::move(branch_), defer_);
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
  gst_promise_unref(p); /* webrtcbin holds its own until it replies */
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

void Viewer::setMicrophoneAllowed(bool allowed)
{
  if (microphone_)
    microphone_->allowed = allowed;
}

void Viewer::requestStats()
{
  GstPromise *p = gst_promise_new_with_change_func(onStats, newRef(link_), freeRefNotify);
  g_signal_emit_by_name(webrtc_, "get-stats", nullptr, p);
  gst_promise_unref(p); /* webrtcbin holds its own until it replies */
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
  GstWebRTCDataChannel *channel = nullptr;
  {
    std::lock_guard<std::mutex> g(link_->channelLock);
    if (link_->control)
      channel = GST_WEBRTC_DATA_CHANNEL(g_object_ref(link_->control));
  }
  if (!channel) {
    *error = "the viewer has no control data channel";
    return false;
  }
  GstWebRTCDataChannelState state;
  g_object_get(channel, "ready-state", &state, nullptr);
  g_autoptr(GError) err = nullptr;
  bool ok = state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN &&
            gst_webrtc_data_channel_send_string_full(channel, text.c_str(), &err);
  if (!ok)
    *error = state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN ? "the data channel is not open"
             : err                                       ? err->message
                                                         : "webrtcbin refused the message";
  g_object_unref(channel);
  return ok;
}

} // namespace vdi::webrtc
