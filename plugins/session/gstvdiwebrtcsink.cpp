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
 * A joining viewer, a PLI or a FIR sends a force-key-unit event upstream (at
 * most one per #GstVdiWebrtcSink:min-keyframe-interval) together with the
 * custom upstream event `vdi-repaint`, which makes vdiwaylandsrc push its
 * last frame again at once, so the keyframe comes now even from a still
 * screen and an encoder with an infinite GOP. NACK and RTX are on.
 *
 * Each viewer gets a reliable, ordered data channel named `input`. The
 * messages on it, `{"id":N,"request":{"type":"navigationEvent","event":{...}}}`
 * or `{"id":N,"request":{"type":"customUpstreamEvent",...}}`, become upstream
 * navigation / custom events on the video pad (vdiwaylandsrc injects them)
 * and are answered with `{"type":"ControlResponseMessage","id":N,"error":...}`.
 * #GstVdiWebrtcSink:viewer-control decides who may send input.
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
 * latest one.
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

#include "input-message.h"
#include "webrtc-bitrate.h"
#include "webrtc-http.h"
#include "webrtc-signalling.h"
#include "webrtc-viewer.h"

#include <gst/video/video.h>
#include <libsoup/soup.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

#define VDI_REPAINT_EVENT "vdi-repaint"
/* Custom downstream OOB event vdiwaylandsrc sends when the session's
 * clipboard changes: mime (string), data (string, base64). */
#define VDI_CLIPBOARD_EVENT "vdi-clipboard"

#define DEFAULT_PORT -1
#define DEFAULT_ADDRESS "0.0.0.0"
#define DEFAULT_VIEWER_CONTROL GST_VDI_VIEWER_CONTROL_ALL
#define DEFAULT_MIN_BITRATE 300
#define DEFAULT_MAX_BITRATE 8000
#define DEFAULT_MIN_KEYFRAME_INTERVAL 500
#define DEFAULT_MAX_VIEWERS 64
#define STATS_INTERVAL_MS 1000
#define WHEP_ANSWER_TIMEOUT_MS 5000

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
  PROP_MIN_BITRATE,
  PROP_MAX_BITRATE,
  PROP_ENCODER,
  PROP_MIN_KEYFRAME_INTERVAL,
  PROP_MAX_VIEWERS,
  PROP_STATS,
  PROP_VIEWERS,
  PROP_PEER_ID,
};

enum {
  SIGNAL_SEND_MESSAGE,
  SIGNAL_ADD_PEER,
  SIGNAL_HANDLE_MESSAGE,
  SIGNAL_REMOVE_PEER,
  SIGNAL_SET_PEER_ROLE,
  SIGNAL_WHEP_OFFER,
  SIGNAL_WHEP_ANSWER,
  SIGNAL_WHEP_PATCH,
  SIGNAL_WHEP_DELETE,
  N_SIGNALS,
};
static guint signals[N_SIGNALS];

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

GType gst_vdi_viewer_control_get_type()
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_VDI_VIEWER_CONTROL_ALL, "Every viewer may send input", "all"},
    {GST_VDI_VIEWER_CONTROL_FIRST, "Only the longest-connected viewer may send input", "first"},
    {GST_VDI_VIEWER_CONTROL_NONE, "Nobody may send input (view only)", "none"},
    {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstVdiViewerControl", values);
    g_once_init_leave(&type, t);
  }
  return type;
}
#define GST_TYPE_VDI_VIEWER_CONTROL (gst_vdi_viewer_control_get_type())

namespace {

using namespace vdi::webrtc;

int64_t nowMs()
{
  return g_get_monotonic_time() / 1000;
}

struct Settings {
  int port = DEFAULT_PORT;
  std::string address = DEFAULT_ADDRESS;
  std::string webRoot;
  std::string stunServer;
  std::vector<std::string> turnServers;
  std::vector<std::string> iceAddresses;
  GstVdiViewerControl control = DEFAULT_VIEWER_CONTROL;
  unsigned minBitrate = DEFAULT_MIN_BITRATE; /* kbit/s */
  unsigned maxBitrate = DEFAULT_MAX_BITRATE;
  GstElement *encoder = nullptr; /* ref'd */
  unsigned minKeyframeIntervalMs = DEFAULT_MIN_KEYFRAME_INTERVAL;
  unsigned maxViewers = DEFAULT_MAX_VIEWERS;
};

/* Published per-viewer figures (guarded by State::lock). */
struct ViewerFigures {
  std::string kind;
  std::string client;
  double bitrate = 0; /* bit/s sent, last interval */
  double fps = 0;
  double rtt = 0;
  double fractionLost = 0;
  int64_t packetsLost = 0;
  unsigned keyframeRequests = 0;
  unsigned pli = 0, fir = 0, nack = 0;
  unsigned estimate = 0; /* kbit/s */
  bool connected = false;
  std::string role = "control";
  uint64_t inputAccepted = 0; /* data-channel input messages passed upstream */
  uint64_t inputDropped = 0;  /* refused because the viewer may not control */
};

struct Session {
  std::string id;
  std::string client; /* signalling client; empty for WHEP */
  bool whep = false;
  uint64_t seq = 0;
  std::unique_ptr<Viewer> viewer;
  HttpServer::Handlers::WhepReply whepReply;
  guint whepTimeout = 0;
  bool connected = false;
  /* Stats bookkeeping (control thread). */
  uint64_t lastBytes = 0;
  uint64_t lastFrames = 0;
  int64_t lastStatsMs = 0;
};

/* What a signalling peer may do: "control" sends input and gets the
 * clipboard, "view" only watches. WHEP viewers are always "view". */
enum class Role { Control, View };

struct Client {
  bool builtin = false; /* on our WebSocket (else relayed by the application) */
  Role role = Role::Control;
  std::set<std::string> sessions;
};

/* A whep-offer call in flight: its answer is held until the call has
 * returned the resource id, so that the application knows the id first. */
struct WhepCall {
  std::string id;
  bool returned = false;
  bool held = false;
  unsigned status = 0;
  std::string body;
};

struct State;

} // namespace

struct _GstVdiWebrtcSink {
  GstBin parent;
  GstPad *video_pad;
  GstElement *tee;
  GstPad *audio_pad;     /* request pad, or null */
  GstElement *audio_tee; /* guarded by State::lock */
  State *state;
};

namespace {

struct State : ViewerEvents {
  GstVdiWebrtcSink *self = nullptr;
  Settings settings; /* object lock */

  /* The control thread: runs the HTTP server, signalling and viewers. */
  GMainContext *context = nullptr;
  GMainLoop *loop = nullptr;
  GThread *thread = nullptr;

  /* Control thread only. */
  std::unique_ptr<HttpServer> http;
  std::map<std::string, Client> clients;
  std::map<std::string, Session> sessions;
  uint64_t nextSeq = 0;
  guint statsTimer = 0;
  std::unique_ptr<BitrateController> bitrate;
  unsigned appliedKbps = 0;
  std::string producerId = newId();

  /* Any thread. */
  std::mutex lock;
  std::map<std::string, ViewerFigures> figures;
  std::string controller; /* session allowed to send input under "first" */
  /* Sessions that exist (for input checks) -> view-only by role. */
  std::map<std::string, bool> live;
  GstCaps *caps = nullptr; /* current stream caps */
  std::string encoding = "H264";
  int64_t lastKeyframeMs = -1000000;
  bool keyframePending = false;
  unsigned boundPort = 0;

  /* Waiting action signals hold actionLock; stop() clears accepting
   * under it before it ends the control thread. */
  std::mutex actionLock;
  bool accepting = false;

  /* Control thread: the last session clipboard (data-channel message), sent
   * to control viewers as their channel opens. */
  std::string lastClipboard;

  ~State() override
  {
    if (caps)
      gst_caps_unref(caps);
    if (settings.encoder)
      gst_object_unref(settings.encoder);
  }

  /* ---- threading --------------------------------------------------------- */

  bool onControlThread() const { return context && g_main_context_is_owner(context); }

  /* Runs @fn on the control thread (asynchronously). */
  void post(std::function<void()> fn)
  {
    if (!context)
      return;
    auto *f = new std::function<void()>(std::move(fn));
    g_main_context_invoke_full(
      context, G_PRIORITY_DEFAULT,
      [](gpointer d) -> gboolean {
        (*static_cast<std::function<void()> *>(d))();
        return G_SOURCE_REMOVE;
      },
      f, [](gpointer d) { delete static_cast<std::function<void()> *>(d); });
  }

  /* Runs @fn on the control thread and waits for it. */
  void runSync(std::function<void()> fn)
  {
    if (onControlThread() || !context) {
      fn();
      return;
    }
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    post([&] {
      fn();
      std::lock_guard<std::mutex> l(m);
      done = true;
      cv.notify_all();
    });
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [&] { return done; });
  }

  /* For action signals that wait for an answer: runs @fn on the control
   * thread and waits, unless the element is not started (or stopping):
   * then returns false without running it. Safe from the control thread
   * itself (e.g. from a signal handler). */
  bool runAction(const std::function<void()> &fn)
  {
    if (onControlThread()) {
      fn();
      return true;
    }
    std::lock_guard<std::mutex> l(actionLock);
    if (!accepting)
      return false;
    runSync(fn);
    return true;
  }

  guint addTimeout(unsigned ms, std::function<gboolean()> fn)
  {
    GSource *src = g_timeout_source_new(ms);
    auto *f = new std::function<gboolean()>(std::move(fn));
    g_source_set_callback(
      src, [](gpointer d) -> gboolean { return (*static_cast<std::function<gboolean()> *>(d))(); },
      f, [](gpointer d) { delete static_cast<std::function<gboolean()> *>(d); });
    guint id = g_source_attach(src, context);
    g_source_unref(src);
    return id;
  }

  void removeSource(guint &id)
  {
    if (!id)
      return;
    if (GSource *s = g_main_context_find_source_by_id(context, id))
      g_source_destroy(s);
    id = 0;
  }

  /* ---- outgoing signalling ----------------------------------------------- */

  void sendTo(const std::string &client, const std::string &text)
  {
    auto it = clients.find(client);
    if (it == clients.end())
      return;
    if (it->second.builtin && http)
      http->send(client, text);
    else
      g_signal_emit(self, signals[SIGNAL_SEND_MESSAGE], 0, client.c_str(), text.c_str());
  }

  /* ---- sessions ---------------------------------------------------------- */

  void updateController()
  {
    std::string first;
    uint64_t best = UINT64_MAX;
    for (auto &s : sessions)
      if (s.second.seq < best) {
        best = s.second.seq;
        first = s.first;
      }
    std::lock_guard<std::mutex> l(lock);
    controller = first;
    live.clear();
    for (auto &s : sessions) {
      bool view = s.second.whep;
      auto c = clients.find(s.second.client);
      if (c != clients.end() && c->second.role == Role::View)
        view = true;
      live[s.first] = view;
      auto f = figures.find(s.first);
      if (f != figures.end())
        f->second.role = view ? "view" : "control";
    }
  }

  /* Whether viewer @id may send input (and gets the clipboard): its role
   * and viewer-control. Call with lock held. */
  bool mayControlLocked(const std::string &id, GstVdiViewerControl policy) const
  {
    auto it = live.find(id);
    if (it == live.end() || it->second)
      return false;
    return policy == GST_VDI_VIEWER_CONTROL_ALL ||
           (policy == GST_VDI_VIEWER_CONTROL_FIRST && controller == id);
  }

  bool mayControl(const std::string &id)
  {
    GST_OBJECT_LOCK(self);
    GstVdiViewerControl policy = settings.control;
    GST_OBJECT_UNLOCK(self);
    std::lock_guard<std::mutex> l(lock);
    return mayControlLocked(id, policy);
  }

  ViewerConfig viewerConfig(const std::string &id, bool offerer, const std::string &offer)
  {
    ViewerConfig c;
    c.id = id;
    c.offerer = offerer;
    c.remoteOffer = offer;
    c.owner = GST_ELEMENT(self);
    c.events = this;
    {
      std::lock_guard<std::mutex> l(lock);
      c.encodingName = encoding;
      c.streamCaps = caps ? gst_caps_ref(caps) : nullptr;
      c.audioTee = self->audio_tee;
    }
    GST_OBJECT_LOCK(self);
    c.stunServer = settings.stunServer;
    c.turnServers = settings.turnServers;
    c.iceAddresses = settings.iceAddresses;
    /* Loopback server and no addresses given: gather on loopback, which
     * libnice skips by default. */
    if (c.iceAddresses.empty() && settings.port >= 0) {
      g_autoptr(GInetAddress) a = g_inet_address_new_from_string(settings.address.c_str());
      if (a && g_inet_address_get_is_loopback(a))
        c.iceAddresses.push_back(settings.address);
    }
    GST_OBJECT_UNLOCK(self);
    return c;
  }

  /* Creates a viewer; on failure returns an error message. */
  std::string startSession(const std::string &client, bool whep, bool offerer,
                           const std::string &offer, std::string &id, bool *full = nullptr)
  {
    unsigned maxViewers;
    GST_OBJECT_LOCK(self);
    maxViewers = settings.maxViewers;
    GST_OBJECT_UNLOCK(self);
    if (sessions.size() >= maxViewers) {
      if (full)
        *full = true;
      return "too many viewers (max-viewers=" + std::to_string(maxViewers) + ")";
    }
    id = newId();
    ViewerConfig c = viewerConfig(id, offerer, offer);
    g_autoptr(GError) err = nullptr;
    auto viewer = Viewer::create(GST_BIN(self), self->tee, c, &err);
    if (c.streamCaps)
      gst_caps_unref(c.streamCaps);
    if (!viewer)
      return err ? err->message : "could not create the viewer";
    Session &s = sessions[id];
    s.id = id;
    s.client = client;
    s.whep = whep;
    s.seq = nextSeq++;
    s.viewer = std::move(viewer);
    s.lastStatsMs = nowMs();
    if (!client.empty())
      clients[client].sessions.insert(id);
    {
      std::lock_guard<std::mutex> l(lock);
      ViewerFigures &f = figures[id];
      f.kind = whep ? "whep" : "signalling";
      f.client = client;
    }
    if (bitrate)
      bitrate->addViewer(id, currentEncoderKbps());
    updateController();
    GST_INFO_OBJECT(self, "viewer %s joined (%s), %zu viewers", id.c_str(),
                    whep ? "WHEP" : "signalling", sessions.size());
    g_object_notify(G_OBJECT(self), "viewers");
    /* Get caps and a picture into the new branch at once. */
    pushRepaint();
    return {};
  }

  void endSession(const std::string &id, bool notifyClient)
  {
    auto it = sessions.find(id);
    if (it == sessions.end())
      return;
    Session s = std::move(it->second);
    sessions.erase(it);
    removeSource(s.whepTimeout);
    if (s.whepReply)
      s.whepReply(SOUP_STATUS_INTERNAL_SERVER_ERROR, "the session ended\n", "");
    if (!s.client.empty()) {
      auto c = clients.find(s.client);
      if (c != clients.end())
        c->second.sessions.erase(id);
      if (notifyClient)
        sendTo(s.client, endSessionMessage(id));
    }
    s.viewer.reset();
    if (bitrate)
      bitrate->removeViewer(id);
    {
      std::lock_guard<std::mutex> l(lock);
      figures.erase(id);
    }
    updateController();
    GST_INFO_OBJECT(self, "viewer %s left, %zu viewers", id.c_str(), sessions.size());
    g_object_notify(G_OBJECT(self), "viewers");
  }

  void endAll()
  {
    std::vector<std::string> ids;
    for (auto &s : sessions)
      ids.push_back(s.first);
    for (auto &id : ids)
      endSession(id, true);
  }

  /* ---- signalling clients ------------------------------------------------ */

  void clientOpen(const std::string &id, bool builtin)
  {
    clients[id].builtin = builtin;
    sendTo(id, welcomeMessage(id));
  }

  void clientClosed(const std::string &id)
  {
    auto it = clients.find(id);
    if (it == clients.end())
      return;
    std::set<std::string> ids = it->second.sessions;
    for (auto &s : ids)
      endSession(s, false);
    clients.erase(id);
  }

  void clientMessage(const std::string &client, const std::string &text)
  {
    if (!clients.count(client))
      return;
    IncomingMessage m = parseIncoming(text.data(), text.size());
    using T = IncomingMessage::Type;
    auto ownSession = [&](const std::string &sid) {
      auto it = sessions.find(sid);
      return it != sessions.end() && it->second.client == client ? &it->second : nullptr;
    };
    switch (m.type) {
    case T::Invalid:
      GST_DEBUG_OBJECT(self, "client %s: %s", client.c_str(), m.error.c_str());
      sendTo(client, errorMessage(m.error));
      break;
    case T::SetPeerStatus:
      for (auto &r : m.roles)
        if (r == "producer") {
          sendTo(client, errorMessage("this endpoint is itself the producer; register as a "
                                      "consumer or listener"));
          return;
        }
      for (auto &r : m.roles)
        if (r == "listener")
          sendTo(client, peerStatusChangedMessage(producerId, {"producer"}, "{}"));
      break;
    case T::List:
      sendTo(client, listMessage(producerId, "{}"));
      break;
    case T::StartSession: {
      if (m.peerId != producerId) {
        sendTo(client, errorMessage("unknown producer '" + m.peerId + "' (send 'list')"));
        break;
      }
      std::string id;
      std::string err = startSession(client, false, m.offer.empty(), m.offer, id);
      if (!err.empty()) {
        sendTo(client, errorMessage("cannot start the session: " + err));
        break;
      }
      sendTo(client, sessionStartedMessage(producerId, id));
      break;
    }
    case T::EndSession:
      if (!ownSession(m.sessionId)) {
        sendTo(client, errorMessage("no session '" + m.sessionId + "'"));
        break;
      }
      endSession(m.sessionId, false);
      break;
    case T::Peer: {
      Session *s = ownSession(m.sessionId);
      if (!s) {
        sendTo(client, errorMessage("no session '" + m.sessionId + "'"));
        break;
      }
      if (m.hasSdp) {
        if (m.sdpType != "answer") {
          sendTo(client, errorMessage("the producer sends the offer; expected an answer"));
          break;
        }
        s->viewer->setRemoteDescription(m.sdpType, m.sdp);
      } else {
        s->viewer->addIceCandidate(m.sdpMLineIndex, m.candidate);
      }
      break;
    }
    }
  }

  /* ---- WHEP -------------------------------------------------------------- */

  /* Starts a WHEP viewer (built-in server and the whep-offer signal).
   * @reply gets, exactly once, 201 with the answer or an error status:
   * at once (and "" is returned) when the viewer could not be created --
   * 503 when max-viewers is reached, 400 for an unusable offer -- else
   * later, and the resource id is returned. */
  std::string whepOffer(const std::string &offer, HttpServer::Handlers::WhepReply reply)
  {
    std::string id;
    bool full = false;
    std::string err = startSession("", true, false, offer, id, &full);
    if (!err.empty()) {
      reply(full ? SOUP_STATUS_SERVICE_UNAVAILABLE : SOUP_STATUS_BAD_REQUEST, err + "\n", "");
      return {};
    }
    Session &s = sessions[id];
    s.whepReply = std::move(reply);
    s.whepTimeout = addTimeout(WHEP_ANSWER_TIMEOUT_MS, [this, id]() -> gboolean {
      auto it = sessions.find(id);
      if (it == sessions.end())
        return G_SOURCE_REMOVE;
      it->second.whepTimeout = 0;
      std::string sdp = it->second.viewer->localDescription();
      if (!sdp.empty() && it->second.whepReply) {
        auto r = std::move(it->second.whepReply);
        it->second.whepReply = nullptr;
        r(SOUP_STATUS_CREATED, sdp, id);
      } else {
        endSession(id, false);
      }
      return G_SOURCE_REMOVE;
    });
    return id;
  }

  /* Trickle ICE: 204, 404 for an unknown resource, 400 for a malformed
   * fragment (nothing of it is applied). */
  unsigned whepPatch(const std::string &id, const std::string &frag)
  {
    auto it = sessions.find(id);
    if (it == sessions.end() || !it->second.whep)
      return SOUP_STATUS_NOT_FOUND;
    std::vector<std::string> candidates;
    std::string why;
    if (!parseTrickleFragment(frag, &candidates, &why)) {
      GST_DEBUG_OBJECT(self, "WHEP PATCH for %s refused: %s", id.c_str(), why.c_str());
      return SOUP_STATUS_BAD_REQUEST;
    }
    for (auto &c : candidates)
      it->second.viewer->addIceCandidate(0, c);
    return SOUP_STATUS_NO_CONTENT;
  }

  /* Relayed WHEP: the whep-answer signal (control thread). */
  void emitWhepAnswer(const std::string &id, unsigned status, std::string body)
  {
    if (status != SOUP_STATUS_CREATED)
      while (!body.empty() && (body.back() == '\n' || body.back() == '\r'))
        body.pop_back();
    GST_DEBUG_OBJECT(self, "whep-answer %s: %u", id.c_str(), status);
    g_signal_emit(self, signals[SIGNAL_WHEP_ANSWER], 0, id.c_str(), status, body.c_str());
  }

  /* ---- clipboard to viewers ------------------------------------------ */

  void sendClipboard(const std::string &id)
  {
    auto it = sessions.find(id);
    if (lastClipboard.empty() || it == sessions.end() || !mayControl(id))
      return;
    std::string why;
    if (!it->second.viewer->send(lastClipboard, &why))
      GST_INFO_OBJECT(self, "clipboard not sent to viewer %s: %s", id.c_str(), why.c_str());
  }

  void clipboardChanged(const std::string &mime, const std::string &base64)
  {
    if (!isTextMime(mime)) {
      GST_DEBUG_OBJECT(self, "session clipboard is %s, not text: not sent to viewers",
                       mime.c_str());
      return;
    }
    lastClipboard = clipboardMessage(mime, base64);
    GST_DEBUG_OBJECT(self, "session clipboard changed (%s), sending to control viewers",
                     mime.c_str());
    for (auto &s : sessions)
      sendClipboard(s.first);
  }

  unsigned whepDelete(const std::string &id)
  {
    auto it = sessions.find(id);
    if (it == sessions.end() || !it->second.whep)
      return SOUP_STATUS_NOT_FOUND;
    endSession(id, false);
    return SOUP_STATUS_OK;
  }

  /* ---- keyframes --------------------------------------------------------- */

  void pushRepaint()
  {
    gst_pad_push_event(
      self->video_pad,
      gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty(VDI_REPAINT_EVENT)));
  }

  /* Any thread. At most one force-key-unit per min-keyframe-interval; a
   * request inside the interval is served at its end. */
  void requestKeyframe()
  {
    unsigned interval;
    GST_OBJECT_LOCK(self);
    interval = settings.minKeyframeIntervalMs;
    GST_OBJECT_UNLOCK(self);
    int64_t now = nowMs();
    int64_t wait = 0;
    {
      std::lock_guard<std::mutex> l(lock);
      wait = lastKeyframeMs + interval - now;
      if (wait > 0) {
        if (keyframePending)
          return;
        keyframePending = true;
      } else {
        lastKeyframeMs = now;
      }
    }
    if (wait > 0) {
      post([this, wait] {
        addTimeout(unsigned(wait), [this]() -> gboolean {
          {
            std::lock_guard<std::mutex> l(lock);
            keyframePending = false;
          }
          requestKeyframe();
          return G_SOURCE_REMOVE;
        });
      });
      return;
    }
    GST_DEBUG_OBJECT(self, "requesting a keyframe upstream");
    gst_pad_push_event(self->video_pad,
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    pushRepaint();
  }

  /* ---- bitrate ----------------------------------------------------------- */

  /* The encoder whose bitrate we drive: the property, else the first
   * element upstream with a "bitrate" property and an Encoder class. */
  GstElement *findEncoder()
  {
    GST_OBJECT_LOCK(self);
    GstElement *enc = settings.encoder ? GST_ELEMENT(gst_object_ref(settings.encoder)) : nullptr;
    GST_OBJECT_UNLOCK(self);
    if (enc)
      return enc;
    GstPad *peer = gst_pad_get_peer(self->video_pad);
    for (int hops = 0; peer && hops < 32; hops++) {
      GstElement *e = gst_pad_get_parent_element(peer);
      gst_object_unref(peer);
      peer = nullptr;
      if (!e)
        break;
      const char *klass =
        gst_element_class_get_metadata(GST_ELEMENT_GET_CLASS(e), GST_ELEMENT_METADATA_KLASS);
      if (klass && strstr(klass, "Encoder") &&
          g_object_class_find_property(G_OBJECT_GET_CLASS(e), "bitrate"))
        return e;
      GstIterator *it = gst_element_iterate_sink_pads(e);
      GValue v = G_VALUE_INIT;
      if (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
        peer = gst_pad_get_peer(GST_PAD(g_value_get_object(&v)));
        g_value_unset(&v);
      }
      gst_iterator_free(it);
      gst_object_unref(e);
    }
    if (peer)
      gst_object_unref(peer);
    return nullptr;
  }

  unsigned currentEncoderKbps()
  {
    GstElement *enc = findEncoder();
    unsigned kbps = 0;
    if (enc) {
      GParamSpec *p = g_object_class_find_property(G_OBJECT_GET_CLASS(enc), "bitrate");
      GValue v = G_VALUE_INIT;
      g_value_init(&v, p->value_type);
      g_object_get_property(G_OBJECT(enc), "bitrate", &v);
      GValue u = G_VALUE_INIT;
      g_value_init(&u, G_TYPE_UINT);
      if (g_value_transform(&v, &u))
        kbps = g_value_get_uint(&u);
      g_value_unset(&u);
      g_value_unset(&v);
      gst_object_unref(enc);
    }
    GST_OBJECT_LOCK(self);
    unsigned def = settings.maxBitrate;
    GST_OBJECT_UNLOCK(self);
    return kbps ? kbps : def;
  }

  void applyBitrate()
  {
    if (!bitrate || sessions.empty())
      return;
    unsigned target = bitrate->target();
    if (!target)
      return;
    if (appliedKbps && target > appliedKbps * 0.95 && target < appliedKbps * 1.05)
      return;
    GstElement *enc = findEncoder();
    if (!enc)
      return;
    GParamSpec *p = g_object_class_find_property(G_OBJECT_GET_CLASS(enc), "bitrate");
    GValue u = G_VALUE_INIT, v = G_VALUE_INIT;
    g_value_init(&u, G_TYPE_UINT);
    g_value_set_uint(&u, target);
    g_value_init(&v, p->value_type);
    if ((p->flags & G_PARAM_WRITABLE) && g_value_transform(&u, &v) &&
        !g_param_value_validate(p, &v)) {
      g_object_set_property(G_OBJECT(enc), "bitrate", &v);
      GST_INFO_OBJECT(self, "encoder %s bitrate -> %u kbit/s", GST_OBJECT_NAME(enc), target);
      appliedKbps = target;
    }
    g_value_unset(&u);
    g_value_unset(&v);
    gst_object_unref(enc);
  }

  gboolean statsTick()
  {
    for (auto &s : sessions)
      s.second.viewer->requestStats();
    applyBitrate();
    return G_SOURCE_CONTINUE;
  }

  /* ---- ViewerEvents (GStreamer threads) ---------------------------------- */

  void viewerLocalSdp(const std::string &id, const std::string &type,
                      const std::string &sdp) override
  {
    post([this, id, type, sdp] {
      auto it = sessions.find(id);
      if (it == sessions.end())
        return;
      Session &s = it->second;
      if (s.whep) {
        GST_DEBUG_OBJECT(self, "WHEP answer for %s ready (%zu bytes)", id.c_str(), sdp.size());
        if (s.whepReply) {
          auto r = std::move(s.whepReply);
          s.whepReply = nullptr;
          removeSource(s.whepTimeout);
          r(SOUP_STATUS_CREATED, sdp, id);
        }
      } else {
        sendTo(s.client, sdpMessage(id, type, sdp));
      }
    });
  }

  void viewerIce(const std::string &id, unsigned mline, const std::string &cand) override
  {
    post([this, id, mline, cand] {
      auto it = sessions.find(id);
      if (it != sessions.end() && !it->second.whep)
        sendTo(it->second.client, iceMessage(id, cand, mline));
    });
  }

  void viewerState(const std::string &id, GstWebRTCPeerConnectionState state) override
  {
    post([this, id, state] {
      auto it = sessions.find(id);
      if (it == sessions.end())
        return;
      GST_DEBUG_OBJECT(self, "viewer %s connection state %d", id.c_str(), int(state));
      if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !it->second.connected) {
        it->second.connected = true;
        {
          std::lock_guard<std::mutex> l(lock);
          figures[id].connected = true;
        }
        requestKeyframe();
      } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
                 state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED) {
        GST_INFO_OBJECT(self, "viewer %s: connection %s", id.c_str(),
                        state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ? "failed" : "closed");
        endSession(id, true);
      }
    });
  }

  std::string viewerControl(const std::string &id, const std::string &text) override
  {
    /* The same messages, parser and checks as vdiinputsink. */
    vdi::InputMessage req = vdi::parseInputMessage(text);
    bool allowed;
    GST_OBJECT_LOCK(self);
    GstVdiViewerControl policy = settings.control;
    GST_OBJECT_UNLOCK(self);
    {
      std::lock_guard<std::mutex> l(lock);
      allowed = mayControlLocked(id, policy);
      auto f = figures.find(id);
      if (f != figures.end()) {
        if (!allowed)
          f->second.inputDropped++;
        else if (req.event)
          f->second.inputAccepted++;
      }
    }
    if (!allowed) {
      GST_LOG_OBJECT(self, "viewer %s is view-only: input dropped", id.c_str());
      return vdi::controlResponse(req.id, "this viewer is view-only: input is not allowed");
    }
    if (!req.event)
      return vdi::controlResponse(req.id, req.error);
    GST_LOG_OBJECT(self, "viewer %s input: %" GST_PTR_FORMAT, id.c_str(),
                   gst_event_get_structure(req.event.get()));
    if (!gst_pad_push_event(self->video_pad, req.event.release()))
      GST_DEBUG_OBJECT(self, "nothing upstream handled the input event");
    return vdi::controlResponse(req.id, "");
  }

  void viewerKeyframeRequest(const std::string &id) override
  {
    {
      std::lock_guard<std::mutex> l(lock);
      auto it = figures.find(id);
      if (it != figures.end())
        it->second.keyframeRequests++;
    }
    requestKeyframe();
  }

  void viewerStats(const std::string &id, const ViewerStats &st) override
  {
    post([this, id, st] {
      auto it = sessions.find(id);
      if (it == sessions.end())
        return;
      Session &s = it->second;
      int64_t now = nowMs();
      double dt = std::max<int64_t>(1, now - s.lastStatsMs) / 1000.0;
      uint64_t frames = s.viewer->framesSent();
      double bps = st.bytesSent >= s.lastBytes ? (st.bytesSent - s.lastBytes) * 8.0 / dt : 0;
      double fps = frames >= s.lastFrames ? (frames - s.lastFrames) / dt : 0;
      s.lastBytes = st.bytesSent;
      s.lastFrames = frames;
      s.lastStatsMs = now;
      unsigned est = 0;
      if (bitrate && s.connected) {
        Feedback fb;
        fb.fractionLost = st.fractionLost;
        fb.rttSeconds = st.rttSeconds;
        est = bitrate->update(id, fb);
      }
      std::lock_guard<std::mutex> l(lock);
      ViewerFigures &f = figures[id];
      f.bitrate = bps;
      f.fps = fps;
      f.rtt = st.rttSeconds;
      f.fractionLost = st.fractionLost;
      f.packetsLost = st.packetsLost;
      f.pli = st.pli;
      f.fir = st.fir;
      f.nack = st.nack;
      f.estimate = est;
    });
  }

  void viewerError(const std::string &id, const std::string &message) override
  {
    post([this, id, message] {
      auto it = sessions.find(id);
      if (it == sessions.end())
        return;
      GST_WARNING_OBJECT(self, "viewer %s: %s", id.c_str(), message.c_str());
      if (it->second.whep) {
        if (auto r = std::move(it->second.whepReply)) {
          it->second.whepReply = nullptr;
          r(SOUP_STATUS_BAD_REQUEST, message + "\n", "");
        }
      } else {
        sendTo(it->second.client, errorMessage(message));
      }
      endSession(id, true);
    });
  }

  void viewerChannelOpen(const std::string &id) override
  {
    post([this, id] { sendClipboard(id); });
  }

  /* ---- start / stop ------------------------------------------------------ */

  bool start(GError **error)
  {
    context = g_main_context_new();
    loop = g_main_loop_new(context, FALSE);
    thread = g_thread_new(
      "vdiwebrtcsink",
      [](gpointer d) -> gpointer {
        auto *st = static_cast<State *>(d);
        g_main_context_push_thread_default(st->context);
        g_main_loop_run(st->loop);
        g_main_context_pop_thread_default(st->context);
        return nullptr;
      },
      this);
    bool ok = true;
    runSync([&] {
      GST_OBJECT_LOCK(self);
      Settings s = settings;
      s.encoder = nullptr;
      GST_OBJECT_UNLOCK(self);
      bitrate = std::make_unique<BitrateController>(s.minBitrate, s.maxBitrate);
      statsTimer = addTimeout(STATS_INTERVAL_MS, [this] { return statsTick(); });
      if (s.port < 0)
        return;
      HttpServer::Handlers h;
      h.wsOpen = [this](const std::string &c) { clientOpen(c, true); };
      h.wsMessage = [this](const std::string &c, const std::string &t) { clientMessage(c, t); };
      h.wsClose = [this](const std::string &c) { clientClosed(c); };
      h.whepOffer = [this](const std::string &o, HttpServer::Handlers::WhepReply r) {
        whepOffer(o, std::move(r));
      };
      h.whepPatch = [this](const std::string &id, const std::string &f) {
        return whepPatch(id, f);
      };
      h.whepDelete = [this](const std::string &id) { return whepDelete(id); };
      std::string root = s.webRoot;
      if (root.empty()) {
        const char *env = g_getenv("GST_VDI_WEB_ROOT");
        root = env && *env ? env : VDI_PLAYER_DIR;
      }
      http = std::make_unique<HttpServer>(std::move(h), root);
      if (!http->start(s.address, unsigned(s.port), error)) {
        http.reset();
        ok = false;
        return;
      }
      {
        std::lock_guard<std::mutex> l(lock);
        boundPort = http->port();
      }
      GST_INFO_OBJECT(self, "serving http://%s:%u/ (player from %s)", s.address.c_str(), boundPort,
                      root.c_str());
    });
    if (ok) {
      {
        std::lock_guard<std::mutex> l(actionLock);
        accepting = true;
      }
      g_object_notify(G_OBJECT(self), "bound-port");
    }
    return ok;
  }

  void stopViewers()
  {
    runSync([&] { endAll(); });
  }

  void stop()
  {
    if (!context)
      return;
    {
      std::lock_guard<std::mutex> l(actionLock);
      accepting = false;
    }
    runSync([&] {
      endAll();
      std::vector<std::string> ids;
      for (auto &c : clients)
        ids.push_back(c.first);
      for (auto &c : ids)
        clientClosed(c);
      http.reset();
      removeSource(statsTimer);
      bitrate.reset();
      lastClipboard.clear();
    });
    g_main_loop_quit(loop);
    g_thread_join(thread);
    thread = nullptr;
    g_main_loop_unref(loop);
    loop = nullptr;
    g_main_context_unref(context);
    context = nullptr;
    std::lock_guard<std::mutex> l(lock);
    boundPort = 0;
    appliedKbps = 0;
  }
};

} // namespace

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
    const char *name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    std::string enc = !strcmp(name, "video/x-vp8")   ? "VP8"
                      : !strcmp(name, "video/x-vp9") ? "VP9"
                      : !strcmp(name, "video/x-av1") ? "AV1"
                                                     : "H264";
    std::lock_guard<std::mutex> l(self->state->lock);
    gst_caps_replace(&self->state->caps, caps);
    self->state->encoding = enc;
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_DOWNSTREAM_OOB &&
             gst_event_has_name(event, VDI_CLIPBOARD_EVENT)) {
    /* The session's clipboard (from vdiwaylandsrc): to the control
     * viewers' data channels; it does not go into the viewer branches. */
    const GstStructure *s = gst_event_get_structure(event);
    const char *mime = gst_structure_get_string(s, "mime");
    const char *data = gst_structure_get_string(s, "data");
    if (mime && data) {
      State *st = self->state;
      std::string m = mime, d = data;
      st->post([st, m, d] { st->clipboardChanged(m, d); });
    } else {
      GST_WARNING_OBJECT(self, "ignoring %" GST_PTR_FORMAT " without mime and data", event);
    }
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

static GstStructure *make_stats(GstVdiWebrtcSink *self)
{
  State *st = self->state;
  GST_OBJECT_LOCK(self);
  GstVdiViewerControl policy = st->settings.control;
  GST_OBJECT_UNLOCK(self);
  std::lock_guard<std::mutex> l(st->lock);
  GstStructure *s = gst_structure_new("application/x-vdi-webrtcsink-stats", "viewers", G_TYPE_UINT,
                                      guint(st->figures.size()), nullptr);
  for (auto &f : st->figures) {
    const ViewerFigures &v = f.second;
    GstStructure *vs = gst_structure_new(
      "viewer", "kind", G_TYPE_STRING, v.kind.c_str(), "connected", G_TYPE_BOOLEAN, v.connected,
      "bitrate", G_TYPE_DOUBLE, v.bitrate, "fps", G_TYPE_DOUBLE, v.fps, "rtt", G_TYPE_DOUBLE, v.rtt,
      "fraction-lost", G_TYPE_DOUBLE, v.fractionLost, "packets-lost", G_TYPE_INT64, v.packetsLost,
      "keyframe-requests", G_TYPE_UINT, v.keyframeRequests, "pli", G_TYPE_UINT, v.pli, "fir",
      G_TYPE_UINT, v.fir, "nack", G_TYPE_UINT, v.nack, "target-bitrate", G_TYPE_UINT, v.estimate,
      "may-control", G_TYPE_BOOLEAN, st->mayControlLocked(f.first, policy), "role", G_TYPE_STRING,
      v.role.c_str(), "input-accepted", G_TYPE_UINT64, guint64(v.inputAccepted), "input-dropped",
      G_TYPE_UINT64, guint64(v.inputDropped), nullptr);
    GValue val = G_VALUE_INIT;
    g_value_init(&val, GST_TYPE_STRUCTURE);
    g_value_take_boxed(&val, vs);
    gst_structure_take_value(s, f.first.c_str(), &val);
  }
  return s;
}

static void gst_vdi_webrtc_sink_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec)
{
  auto *self = GST_VDI_WEBRTC_SINK(object);
  Settings &s = self->state->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_PORT:
    s.port = g_value_get_int(value);
    break;
  case PROP_ADDRESS:
    s.address = g_value_get_string(value) ? g_value_get_string(value) : DEFAULT_ADDRESS;
    break;
  case PROP_WEB_ROOT:
    s.webRoot = g_value_get_string(value) ? g_value_get_string(value) : "";
    break;
  case PROP_STUN_SERVER:
    s.stunServer = g_value_get_string(value) ? g_value_get_string(value) : "";
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
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  unsigned lo = s.minBitrate, hi = s.maxBitrate;
  GST_OBJECT_UNLOCK(self);
  if (prop_id == PROP_MIN_BITRATE || prop_id == PROP_MAX_BITRATE || prop_id == PROP_VIEWER_CONTROL)
    self->state->post([st = self->state, lo, hi] {
      if (st->bitrate)
        st->bitrate->setLimits(lo, hi);
      st->appliedKbps = 0;
      st->updateController();
    });
}

static void gst_vdi_webrtc_sink_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
  auto *self = GST_VDI_WEBRTC_SINK(object);
  State *st = self->state;
  const Settings &s = st->settings;
  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(self));
    return;
  }
  if (prop_id == PROP_VIEWERS || prop_id == PROP_BOUND_PORT) {
    std::lock_guard<std::mutex> l(st->lock);
    g_value_set_uint(value, prop_id == PROP_VIEWERS ? guint(st->live.size()) : st->boundPort);
    return;
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
  case PROP_PEER_ID:
    g_value_set_string(value, st->producerId.c_str());
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

/* ---- action signals ------------------------------------------------------------ */

static gchar *gst_vdi_webrtc_sink_add_peer(GstVdiWebrtcSink *self)
{
  State *st = self->state;
  if (!st->context) {
    GST_WARNING_OBJECT(self, "add-peer: the element is not started (set it to READY first)");
    return nullptr;
  }
  std::string id = newId();
  st->post([st, id] { st->clientOpen(id, false); });
  return g_strdup(id.c_str());
}

static void gst_vdi_webrtc_sink_handle_message(GstVdiWebrtcSink *self, const gchar *peer,
                                               const gchar *json)
{
  State *st = self->state;
  if (!peer || !json)
    return;
  std::string p = peer, j = json;
  st->post([st, p, j] {
    if (!st->clients.count(p)) {
      GST_WARNING_OBJECT(st->self, "handle-message: unknown peer '%s' (call add-peer first)",
                         p.c_str());
      return;
    }
    st->clientMessage(p, j);
  });
}

static void gst_vdi_webrtc_sink_remove_peer(GstVdiWebrtcSink *self, const gchar *peer)
{
  State *st = self->state;
  if (!peer)
    return;
  std::string p = peer;
  st->post([st, p] { st->clientClosed(p); });
}

static gboolean gst_vdi_webrtc_sink_set_peer_role(GstVdiWebrtcSink *self, const gchar *peer,
                                                  const gchar *role)
{
  State *st = self->state;
  if (!peer || !role || (g_strcmp0(role, "view") != 0 && g_strcmp0(role, "control") != 0)) {
    GST_WARNING_OBJECT(self, "set-peer-role: role must be \"view\" or \"control\", not \"%s\"",
                       GST_STR_NULL(role));
    return FALSE;
  }
  std::string p = peer;
  Role r = g_str_equal(role, "view") ? Role::View : Role::Control;
  bool known = false;
  bool ran = st->runAction([&] {
    auto it = st->clients.find(p);
    if (it == st->clients.end())
      return;
    known = true;
    it->second.role = r;
    st->updateController();
  });
  if (!ran)
    GST_WARNING_OBJECT(self, "set-peer-role: the element is not started");
  else if (!known)
    GST_WARNING_OBJECT(self, "set-peer-role: unknown peer '%s' (call add-peer first)", peer);
  else
    GST_INFO_OBJECT(self, "peer %s: role %s", peer, role);
  return known;
}

static gchar *gst_vdi_webrtc_sink_whep_offer(GstVdiWebrtcSink *self, const gchar *offer)
{
  State *st = self->state;
  if (!offer) {
    GST_WARNING_OBJECT(self, "whep-offer: no offer");
    return nullptr;
  }
  auto call = std::make_shared<WhepCall>();
  std::string o = offer;
  bool refused = false;
  bool ran = st->runAction([&] {
    auto reply = [st, call](unsigned status, const std::string &body, const std::string &) {
      if (!call->returned) {
        call->held = true;
        call->status = status;
        call->body = body;
        return;
      }
      st->emitWhepAnswer(call->id, status, body);
    };
    std::string id = st->whepOffer(o, reply);
    if (id.empty()) {
      if (call->status == SOUP_STATUS_SERVICE_UNAVAILABLE) {
        GST_WARNING_OBJECT(st->self, "whep-offer refused: %s", call->body.c_str());
        refused = true;
        return;
      }
      id = newId(); /* failed at once (bad offer): the reason comes as whep-answer */
    }
    call->id = id;
  });
  if (!ran) {
    GST_WARNING_OBJECT(self, "whep-offer: the element is not started (set it to READY first)");
    return nullptr;
  }
  if (refused)
    return nullptr;
  std::string id = call->id;
  st->post([st, call] {
    call->returned = true;
    if (call->held) {
      call->held = false;
      st->emitWhepAnswer(call->id, call->status, call->body);
    }
  });
  return g_strdup(id.c_str());
}

static guint gst_vdi_webrtc_sink_whep_patch(GstVdiWebrtcSink *self, const gchar *resource,
                                            const gchar *fragment)
{
  State *st = self->state;
  std::string r = resource ? resource : "", f = fragment ? fragment : "";
  guint status = SOUP_STATUS_NOT_FOUND;
  st->runAction([&] { status = st->whepPatch(r, f); });
  return status;
}

static guint gst_vdi_webrtc_sink_whep_delete(GstVdiWebrtcSink *self, const gchar *resource)
{
  State *st = self->state;
  std::string r = resource ? resource : "";
  guint status = SOUP_STATUS_NOT_FOUND;
  st->runAction([&] { status = st->whepDelete(r); });
  return status;
}

/* ---- state ---------------------------------------------------------------------- */

/* The first viewer of a process would otherwise pay for loading the WebRTC
 * plugins and their libraries and for the DTLS certificate that dtlsdec
 * generates once per process (~0.4 s here): do both in the background as
 * soon as the element starts, so a viewer only pays for its connection. */
static void warm_up_webrtc()
{
  static std::once_flag once;
  std::call_once(once, [] {
    GThread *t = g_thread_new(
      "vdi-webrtc-warmup",
      [](gpointer) -> gpointer {
        for (const char *factory : {"dtlsdec", "webrtcbin"}) {
          if (GstElement *e = gst_element_factory_make(factory, nullptr)) {
            gst_object_ref_sink(e);
            gst_object_unref(e);
          }
        }
        return nullptr;
      },
      nullptr);
    g_thread_unref(t);
  });
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
      std::string addr = self->state->settings.address;
      int port = self->state->settings.port;
      GST_OBJECT_UNLOCK(self);
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE,
                        ("Could not serve HTTP on %s:%d: %s", addr.c_str(), port,
                         err ? err->message : "unknown error"),
                        (nullptr));
      self->state->stop();
      return GST_STATE_CHANGE_FAILURE;
    }
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    self->state->stopViewers();
  else if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    self->state->stop();
  return ret;
}

/* The viewer (session id) a message comes from, from the name of its
 * ancestor webrtc-ID / queue-ID / pay-ID / caps-ID, or "". */
static std::string viewer_of(GstVdiWebrtcSink *self, GstObject *src)
{
  for (GstObject *o = src; o; o = GST_OBJECT_PARENT(o)) {
    if (GST_OBJECT_PARENT(o) != GST_OBJECT(self))
      continue;
    const char *name = GST_OBJECT_NAME(o);
    for (const char *prefix : {"webrtc-", "queue-", "pay-", "caps-", "aqueue-", "apay-"})
      if (g_str_has_prefix(name, prefix))
        return name + strlen(prefix);
    return "";
  }
  return "";
}

/* Viewer branches come and go: their housekeeping messages stay inside
 * (they would hold references to dead elements on an undrained bus), and
 * their errors (e.g. SCTP when a browser vanishes) end that viewer only. */
static void gst_vdi_webrtc_sink_bin_message(GstBin *bin, GstMessage *message)
{
  auto *self = GST_VDI_WEBRTC_SINK(bin);
  std::string viewer = viewer_of(self, GST_MESSAGE_SRC(message));
  if (!viewer.empty()) {
    switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      GError *err = nullptr;
      gst_message_parse_error(message, &err, nullptr);
      GST_INFO_OBJECT(self, "viewer %s: %s; ending it", viewer.c_str(),
                      err ? err->message : "error");
      g_clear_error(&err);
      State *st = self->state;
      st->post([st, viewer] { st->endSession(viewer, true); });
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
                                                   const gchar *name, const GstCaps *caps)
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
  std::lock_guard<std::mutex> l(self->state->lock);
  self->audio_tee = tee;
  return pad;
}

static void gst_vdi_webrtc_sink_release_pad(GstElement *element, GstPad *pad)
{
  auto *self = GST_VDI_WEBRTC_SINK(element);
  if (pad != self->audio_pad)
    return;
  /* Viewers keep their audio branches linked to the tee until they leave;
   * end them so that the tee can go. */
  self->state->stopViewers();
  GstElement *tee;
  {
    std::lock_guard<std::mutex> l(self->state->lock);
    tee = self->audio_tee;
    self->audio_tee = nullptr;
  }
  self->audio_pad = nullptr;
  gst_element_remove_pad(element, pad);
  gst_element_set_state(tee, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(self), tee);
}

/* ---- GObject ---------------------------------------------------------------------- */

static void gst_vdi_webrtc_sink_init(GstVdiWebrtcSink *self)
{
  self->state = new State();
  self->state->self = self;
  self->tee = gst_element_factory_make("tee", "fanout");
  g_object_set(self->tee, "allow-not-linked", TRUE, nullptr);
  gst_bin_add(GST_BIN(self), self->tee);
  g_autoptr(GstPad) target = gst_element_get_static_pad(self->tee, "sink");
  self->video_pad =
    gst_ghost_pad_new_from_template("video", target, gst_static_pad_template_get(&video_template));
  gst_pad_set_query_function(self->video_pad, video_query);
  gst_pad_set_event_function(self->video_pad, video_event);
  gst_element_add_pad(GST_ELEMENT(self), self->video_pad);
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
   * nack, target-bitrate (kbit/s), may-control, role (control|view),
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
   * GstVdiWebrtcSink::send-message:
   * @sink: the element
   * @peer: the signalling peer (from #GstVdiWebrtcSink::add-peer)
   * @json: a message of the gst-plugins-rs signalling protocol
   *
   * Relayed signalling: deliver @json to @peer. Emitted from the element's
   * own thread.
   */
  signals[SIGNAL_SEND_MESSAGE] =
    g_signal_new("send-message", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                 nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::add-peer:
   * @sink: the element
   *
   * Relayed signalling: a consumer connected to the application. Returns
   * its peer id; the `welcome` message follows through
   * #GstVdiWebrtcSink::send-message. The element must be in READY or
   * above.
   */
  signals[SIGNAL_ADD_PEER] = g_signal_new_class_handler(
    "add-peer", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_add_peer), nullptr, nullptr, nullptr, G_TYPE_STRING, 0);
  /**
   * GstVdiWebrtcSink::handle-message:
   * @sink: the element
   * @peer: the peer id
   * @json: a message the consumer sent
   *
   * Relayed signalling: a message from a consumer.
   */
  signals[SIGNAL_HANDLE_MESSAGE] = g_signal_new_class_handler(
    "handle-message", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_handle_message), nullptr, nullptr, nullptr, G_TYPE_NONE, 2,
    G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::remove-peer:
   * @sink: the element
   * @peer: the peer id
   *
   * Relayed signalling: the consumer went away; its sessions end.
   */
  signals[SIGNAL_REMOVE_PEER] = g_signal_new_class_handler(
    "remove-peer", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_remove_peer), nullptr, nullptr, nullptr, G_TYPE_NONE, 1,
    G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::set-peer-role:
   * @sink: the element
   * @peer: the peer id (from #GstVdiWebrtcSink::add-peer)
   * @role: "control" (the default: may send input, gets the clipboard) or
   *   "view" (watches only: its data-channel input is dropped, answered
   *   with an error and counted in the viewer's `input-dropped`; it gets no
   *   clipboard)
   *
   * Relayed signalling: sets what a peer's sessions may do, for the
   * sessions it has and the ones it starts. #GstVdiWebrtcSink:viewer-control
   * applies on top. Returns %FALSE (and changes nothing) for an unknown
   * peer or role.
   */
  signals[SIGNAL_SET_PEER_ROLE] = g_signal_new_class_handler(
    "set-peer-role", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_set_peer_role), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 2,
    G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::whep-offer:
   * @sink: the element
   * @offer_sdp: the WHEP client's SDP offer (the body of its POST)
   *
   * Relayed WHEP (RFC 9725), for an application that serves the WHEP
   * endpoint itself: starts a view-only viewer for @offer_sdp and returns
   * its resource id (a new string) at once. The answer follows, exactly
   * once per returned id, through #GstVdiWebrtcSink::whep-answer, never
   * before this call returned. Returns %NULL, and no whep-answer follows,
   * when the viewer is refused (#GstVdiWebrtcSink:max-viewers reached: answer
   * the client 503) or the element is not started. Works with or without
   * the built-in server; may be called from any thread.
   */
  signals[SIGNAL_WHEP_OFFER] = g_signal_new_class_handler(
    "whep-offer", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_whep_offer), nullptr, nullptr, nullptr, G_TYPE_STRING, 1,
    G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::whep-answer:
   * @sink: the element
   * @resource: the resource id #GstVdiWebrtcSink::whep-offer returned
   * @status: the HTTP status for the client: 201 (Created), or 400 (the
   *   offer is unusable, e.g. no H.264 the stream can be sent as), 500 (the
   *   viewer ended before its answer was ready)
   * @body: for 201 the answer SDP, with every ICE candidate gathered
   *   (`application/sdp`); else an error text
   *
   * Relayed WHEP: the answer to a whep-offer. Emitted once per resource,
   * from the element's own thread. The application answers the client's
   * POST with @status, @body and (for 201) `Location: .../RESOURCE`. After
   * an error status the resource does not exist.
   */
  signals[SIGNAL_WHEP_ANSWER] =
    g_signal_new("whep-answer", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                 nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::whep-patch:
   * @sink: the element
   * @resource: a resource id from #GstVdiWebrtcSink::whep-offer
   * @sdp_fragment: the body of the client's PATCH
   *   (`application/trickle-ice-sdpfrag`, RFC 8840)
   *
   * Relayed WHEP: trickle ICE. Returns the HTTP status for the client: 204
   * (candidates added), 404 (unknown resource) or 400 (malformed fragment;
   * nothing of it is applied). May be called from any thread.
   */
  signals[SIGNAL_WHEP_PATCH] = g_signal_new_class_handler(
    "whep-patch", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_whep_patch), nullptr, nullptr, nullptr, G_TYPE_UINT, 2,
    G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::whep-delete:
   * @sink: the element
   * @resource: a resource id from #GstVdiWebrtcSink::whep-offer
   *
   * Relayed WHEP: the client's DELETE; ends the viewer. Returns 200, or 404
   * for an unknown resource. May be called from any thread.
   */
  signals[SIGNAL_WHEP_DELETE] = g_signal_new_class_handler(
    "whep-delete", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_whep_delete), nullptr, nullptr, nullptr, G_TYPE_UINT, 1,
    G_TYPE_STRING);

  gst_element_class_add_static_pad_template(element_class, &video_template);
  gst_element_class_add_static_pad_template(element_class, &audio_template);
  gst_element_class_set_static_metadata(
    element_class, "WebRTC desktop sink", "Sink/Network/WebRTC",
    "Serves one encoded stream to many WebRTC viewers (one webrtcbin each), with signalling "
    "(gst-plugins-rs JSON protocol on /signalling), WHEP (/whep), a player page (/), keyframe "
    "on join, an input data channel (upstream navigation events) and bitrate adaptation. "
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
}
