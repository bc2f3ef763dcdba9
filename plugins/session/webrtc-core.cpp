/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-core.h"

#include "events.h"
#include "input-message.h"
#include "webrtc-signalling.h"

#include <gst/video/video.h>

#include <gio/gio.h>

#include <cstring>
#include <utility>

GST_DEBUG_CATEGORY_EXTERN(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

namespace vdi::webrtc {

namespace {
constexpr unsigned kStatsIntervalMs = 1000;
int64_t nowMs()
{
  return g_get_monotonic_time() / 1000;
}
} // namespace

struct Core::Session {
  std::string id;
  Signaller *signaller = nullptr;
  bool viewOnly = false;
  uint64_t seq = 0;
  std::unique_ptr<Viewer> viewer;
  bool connected = false;
  /* Our candidates wait until our SDP went out: a client must never get a
   * candidate before the description it belongs to (gstwebrtc-api aborts:
   * "The remote description was null"). */
  bool sdpSent = false;
  std::vector<std::pair<unsigned, std::string>> pendingIce;
  /* Stats bookkeeping. */
  uint64_t lastBytes = 0;
  uint64_t lastPackets = 0;
  uint64_t lastFrames = 0;
  int64_t lastStatsMs = 0;
};

Core::Core(GstElement *element, GstPad *videoPad, GstElement *tee)
  : element_(element), videoPad_(videoPad), tee_(tee), loop_("vdiwebrtcsink"),
    keyframes_(
      [this] {
        GST_DEBUG_OBJECT(element_, "requesting a keyframe upstream");
        vdi::requestKeyframe(videoPad_);
      },
      [this](unsigned ms, std::function<void()> fn) { addTimer(ms, std::move(fn)); }),
    rate_(videoPad, [this] { return configuredEncoder(); })
{
}

Core::~Core()
{
  stop([] {});
  if (caps_)
    gst_caps_unref(caps_);
  if (settings.encoder)
    gst_object_unref(settings.encoder);
  if (settings.meta)
    gst_structure_free(settings.meta);
}

/* ---- thread ------------------------------------------------------------------ */

void Core::start()
{
  loop_.start();
  accepting_ = true;
  invoke([this] {
    GST_OBJECT_LOCK(element_);
    unsigned lo = settings.minBitrate, hi = settings.maxBitrate;
    unsigned interval = settings.minKeyframeIntervalMs;
    GST_OBJECT_UNLOCK(element_);
    rate_.setLimits(lo, hi);
    keyframes_.setMinInterval(interval);
    statsTimer_ = loop_.addTimeout(kStatsIntervalMs, [this] {
      statsTick();
      return true;
    });
  });
}

void Core::stop(const std::function<void()> &last)
{
  if (!loop_.running())
    return;
  accepting_ = false; /* action signals from now on do nothing */
  loop_.invoke([&] {
    endAll();
    last();
    loop_.remove(statsTimer_);
    statsTimer_ = 0;
    lastClipboard_.clear();
    cursor_.clear();
  });
  loop_.stop();      /* after what that queued (viewer teardowns) */
  sessions_.clear(); /* a viewer started by a call that raced with stop */
}

bool Core::running() const
{
  return loop_.running();
}

bool Core::onThread() const
{
  return loop_.isLoopThread();
}

void Core::post(std::function<void()> fn)
{
  loop_.post(std::move(fn));
}

bool Core::invoke(const std::function<void()> &fn)
{
  if (!accepting_ && !onThread())
    return false;
  return loop_.invoke(fn);
}

guint Core::addTimer(unsigned ms, std::function<void()> fn)
{
  return loop_.addOneShot(uint64_t(ms) * 1000000, std::move(fn));
}

void Core::cancelTimer(guint id)
{
  loop_.remove(id);
}

/* ---- from the element ---------------------------------------------------------- */

void Core::setStreamCaps(GstCaps *caps)
{
  const char *name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
  std::string enc = !strcmp(name, "video/x-vp8")   ? "VP8"
                    : !strcmp(name, "video/x-vp9") ? "VP9"
                    : !strcmp(name, "video/x-av1") ? "AV1"
                                                   : "H264";
  std::lock_guard<std::mutex> l(lock_);
  gst_caps_replace(&caps_, caps);
  encoding_ = enc;
}

void Core::setAudioTee(GstElement *tee)
{
  std::lock_guard<std::mutex> l(lock_);
  audioTee_ = tee;
}

void Core::forgetBin(const std::string &id)
{
  std::lock_guard<std::mutex> l(lock_);
  for (auto it = bins_.begin(); it != bins_.end(); ++it)
    if (it->second == id) {
      bins_.erase(it);
      return;
    }
}

std::string Core::viewerOf(GstObject *object)
{
  std::lock_guard<std::mutex> l(lock_);
  for (auto &b : bins_)
    if (gst_object_has_as_ancestor(object, GST_OBJECT(b.first)))
      return b.second;
  return {};
}

void Core::settingsChanged()
{
  GST_OBJECT_LOCK(element_);
  unsigned lo = settings.minBitrate, hi = settings.maxBitrate;
  unsigned interval = settings.minKeyframeIntervalMs;
  GST_OBJECT_UNLOCK(element_);
  keyframes_.setMinInterval(interval);
  post([this, lo, hi] {
    rate_.setLimits(lo, hi);
    updateController();
  });
}

GstElement *Core::configuredEncoder()
{
  GST_OBJECT_LOCK(element_);
  GstElement *enc = settings.encoder ? GST_ELEMENT(gst_object_ref(settings.encoder)) : nullptr;
  GST_OBJECT_UNLOCK(element_);
  return enc;
}

/* ---- viewers --------------------------------------------------------------------- */

ViewerConfig Core::viewerConfig(const std::string &id, const SessionRequest &r)
{
  ViewerConfig c;
  c.id = id;
  c.offerer = r.offer.empty();
  c.answerWithCandidates = r.answerWithCandidates;
  c.remoteOffer = r.offer;
  c.owner = element_;
  c.events = this;
  /* At once when the branch's pads were idle (the usual case: detach runs
   * here), else from the streaming thread back to this one. */
  c.defer = [this, id](std::function<void()> work) {
    auto teardown = [this, id, work = std::move(work)] {
      work();
      forgetBin(id); /* its messages were the viewer's until its bin was gone */
    };
    if (onThread() || !running())
      teardown();
    else
      post(std::move(teardown));
  };
  c.adopt = [this, id](GstElement *bin) {
    std::lock_guard<std::mutex> l(lock_);
    bins_[bin] = id;
  };
  {
    std::lock_guard<std::mutex> l(lock_);
    c.encodingName = encoding_;
    c.streamCaps = caps_ ? gst_caps_ref(caps_) : nullptr;
    c.audioTee = audioTee_;
  }
  c.microphone = std::make_shared<MicrophoneState>();
  c.microphone->viewerId = id;
  c.microphone->owner = element_;
  c.microphone->allowed = !r.viewOnly;
  c.microphone->floor = floor_;
  GST_OBJECT_LOCK(element_);
  c.twcc = settings.congestion == GST_VDI_CONGESTION_CONTROL_DELAY;
  c.stunServer = settings.stunServer;
  c.turnServers = settings.turnServers;
  c.iceAddresses = settings.iceAddresses;
  c.microphone->sinkDescription = settings.microphoneSink;
  /* Loopback server and no addresses given: gather on loopback, which
   * libnice skips by default. */
  if (c.iceAddresses.empty() && settings.port >= 0) {
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(settings.address.c_str());
    if (a && g_inet_address_get_is_loopback(a))
      c.iceAddresses.push_back(settings.address);
  }
  GST_OBJECT_UNLOCK(element_);
  return c;
}

std::string Core::startSession(Signaller *signaller, const SessionRequest &r, std::string *error,
                               bool *full)
{
  GST_OBJECT_LOCK(element_);
  unsigned maxViewers = settings.maxViewers;
  GST_OBJECT_UNLOCK(element_);
  if (sessions_.size() >= maxViewers) {
    *full = true;
    *error = "too many viewers (max-viewers=" + std::to_string(maxViewers) + ")";
    return {};
  }
  std::string id = newId();
  ViewerConfig c = viewerConfig(id, r);
  g_autoptr(GError) err = nullptr;
  auto viewer = Viewer::create(tee_, c, &err);
  if (c.streamCaps)
    gst_caps_unref(c.streamCaps);
  if (!viewer) {
    forgetBin(id);
    *error = err ? err->message : "could not create the viewer";
    return {};
  }
  auto s = std::make_unique<Session>();
  s->id = id;
  s->signaller = signaller;
  s->viewOnly = r.viewOnly;
  s->seq = nextSeq_++;
  s->lastStatsMs = nowMs();
  {
    std::lock_guard<std::mutex> l(lock_);
    ViewerFigures &f = figures_[id];
    f.kind = r.kind;
    f.client = r.peer;
  }
  s->viewer = std::move(viewer);
  sessions_[id] = std::move(s);
  rate_.addViewer(id);
  updateController();
  GST_INFO_OBJECT(element_, "viewer %s joined (%s), %zu viewers", id.c_str(), r.kind.c_str(),
                  sessions_.size());
  g_object_notify(G_OBJECT(element_), "viewers");
  /* Get caps and a picture into the new branch at once. */
  pushRepaint();
  return id;
}

void Core::drop(const std::string &id, bool tellSignaller, const std::string &error)
{
  auto it = sessions_.find(id);
  if (it == sessions_.end())
    return;
  std::unique_ptr<Session> s = std::move(it->second);
  sessions_.erase(it);
  if (tellSignaller && s->signaller)
    s->signaller->sessionEnded(id, error);
  {
    std::lock_guard<std::mutex> l(lock_);
    figures_.erase(id);
  }
  s->viewer.reset();
  rate_.removeViewer(id);
  updateController();
  GST_INFO_OBJECT(element_, "viewer %s left, %zu viewers", id.c_str(), sessions_.size());
  g_object_notify(G_OBJECT(element_), "viewers");
}

void Core::endSession(const std::string &id)
{
  drop(id, false);
}

void Core::failSession(const std::string &id, const std::string &error)
{
  drop(id, true, error);
}

void Core::endAll()
{
  std::vector<std::string> ids;
  for (auto &s : sessions_)
    ids.push_back(s.first);
  for (auto &id : ids)
    drop(id, true);
}

void Core::setRemoteDescription(const std::string &id, const std::string &type,
                                const std::string &sdp)
{
  auto it = sessions_.find(id);
  if (it != sessions_.end())
    it->second->viewer->setRemoteDescription(type, sdp);
}

void Core::addRemoteCandidate(const std::string &id, unsigned mline, const std::string &candidate)
{
  auto it = sessions_.find(id);
  if (it != sessions_.end())
    it->second->viewer->addIceCandidate(mline, candidate);
}

void Core::setViewOnly(const std::string &id, bool viewOnly)
{
  auto it = sessions_.find(id);
  if (it == sessions_.end())
    return;
  it->second->viewOnly = viewOnly;
  it->second->viewer->setMicrophoneAllowed(!viewOnly);
  updateController();
}

std::string Core::localDescription(const std::string &id)
{
  auto it = sessions_.find(id);
  return it == sessions_.end() ? std::string() : it->second->viewer->localDescription();
}

/* ---- who may control ---------------------------------------------------------------- */

void Core::updateController()
{
  std::string first;
  uint64_t best = UINT64_MAX;
  for (auto &s : sessions_)
    if (s.second->seq < best) {
      best = s.second->seq;
      first = s.first;
    }
  std::lock_guard<std::mutex> l(lock_);
  controller_ = first;
  live_.clear();
  for (auto &s : sessions_) {
    live_[s.first] = s.second->viewOnly;
    auto f = figures_.find(s.first);
    if (f != figures_.end())
      f->second.role = s.second->viewOnly ? "view" : "control";
  }
}

/* Whether viewer @id may send input (and gets the clipboard): its role and
 * viewer-control. Call with lock_ held. */
bool Core::mayControlLocked(const std::string &id, GstVdiViewerControl policy) const
{
  auto it = live_.find(id);
  if (it == live_.end() || it->second)
    return false;
  return policy == GST_VDI_VIEWER_CONTROL_ALL ||
         (policy == GST_VDI_VIEWER_CONTROL_FIRST && controller_ == id);
}

bool Core::mayControl(const std::string &id)
{
  GST_OBJECT_LOCK(element_);
  GstVdiViewerControl policy = settings.control;
  GST_OBJECT_UNLOCK(element_);
  std::lock_guard<std::mutex> l(lock_);
  return mayControlLocked(id, policy);
}

/* ---- clipboard to viewers ------------------------------------------------------------- */

void Core::sendClipboard(const std::string &id)
{
  auto it = sessions_.find(id);
  if (lastClipboard_.empty() || it == sessions_.end() || !mayControl(id))
    return;
  std::string why;
  if (!it->second->viewer->send(lastClipboard_, &why))
    GST_INFO_OBJECT(element_, "clipboard not sent to viewer %s: %s", id.c_str(), why.c_str());
}

void Core::clipboardChanged(const std::string &mime, const std::string &base64)
{
  post([this, mime, base64] {
    if (!isTextMime(mime)) {
      GST_DEBUG_OBJECT(element_, "session clipboard is %s, not text: not sent to viewers",
                       mime.c_str());
      return;
    }
    lastClipboard_ = clipboardMessage(mime, base64);
    GST_DEBUG_OBJECT(element_, "session clipboard changed (%s), sending to control viewers",
                     mime.c_str());
    for (auto &s : sessions_)
      sendClipboard(s.first);
  });
}

/* ---- cursor to viewers ---------------------------------------------------------------- */

void Core::sendCursor(const std::string &id, const std::string &message)
{
  auto it = sessions_.find(id);
  if (message.empty() || it == sessions_.end())
    return;
  std::string why;
  if (!it->second->viewer->send(message, &why))
    GST_LOG_OBJECT(element_, "cursor not sent to viewer %s: %s", id.c_str(), why.c_str());
}

void Core::cursorChanged(const GstStructure *cursor)
{
  GstStructure *copy = gst_structure_copy(cursor);
  post([this, copy] {
    std::string message = cursor_.update(copy);
    GST_LOG_OBJECT(element_, "%" GST_PTR_FORMAT " -> %.120s", copy, message.c_str());
    gst_structure_free(copy);
    for (auto &s : sessions_)
      sendCursor(s.first, message);
  });
}

/* ---- keyframes and stats ----------------------------------------------------------------- */

void Core::pushRepaint()
{
  gst_pad_push_event(videoPad_, vdi::newRepaintEvent());
}

void Core::statsTick()
{
  for (auto &s : sessions_)
    s.second->viewer->requestStats();
  GST_OBJECT_LOCK(element_);
  bool adapt = settings.congestion != GST_VDI_CONGESTION_CONTROL_DISABLED;
  GST_OBJECT_UNLOCK(element_);
  if (!sessions_.empty() && adapt)
    rate_.apply();
}

GstStructure *Core::stats()
{
  GST_OBJECT_LOCK(element_);
  GstVdiViewerControl policy = settings.control;
  GST_OBJECT_UNLOCK(element_);
  std::lock_guard<std::mutex> l(lock_);
  GstStructure *s = gst_structure_new("application/x-vdi-webrtcsink-stats", "viewers", G_TYPE_UINT,
                                      guint(figures_.size()), nullptr);
  for (auto &f : figures_) {
    const ViewerFigures &v = f.second;
    GstStructure *vs = gst_structure_new(
      "viewer", "kind", G_TYPE_STRING, v.kind.c_str(), "connected", G_TYPE_BOOLEAN, v.connected,
      "bitrate", G_TYPE_DOUBLE, v.bitrate, "fps", G_TYPE_DOUBLE, v.fps, "rtt", G_TYPE_DOUBLE, v.rtt,
      "fraction-lost", G_TYPE_DOUBLE, v.fractionLost, "packets-lost", G_TYPE_INT64, v.packetsLost,
      "keyframe-requests", G_TYPE_UINT, v.keyframeRequests, "pli", G_TYPE_UINT, v.pli, "fir",
      G_TYPE_UINT, v.fir, "nack", G_TYPE_UINT, v.nack, "target-bitrate", G_TYPE_UINT, v.estimate,
      "may-control", G_TYPE_BOOLEAN, mayControlLocked(f.first, policy), "role", G_TYPE_STRING,
      v.role.c_str(), "input-accepted", G_TYPE_UINT64, guint64(v.inputAccepted), "input-dropped",
      G_TYPE_UINT64, guint64(v.inputDropped), "input-rate-limited", G_TYPE_UINT64,
      guint64(v.inputRateLimited), "twcc", G_TYPE_BOOLEAN, v.twcc, "twcc-recv-bitrate",
      G_TYPE_DOUBLE, v.twccRecvBps, "delay-gradient", G_TYPE_DOUBLE, v.delayGradientMs, nullptr);
    GValue val = G_VALUE_INIT;
    g_value_init(&val, GST_TYPE_STRUCTURE);
    g_value_take_boxed(&val, vs);
    gst_structure_take_value(s, f.first.c_str(), &val);
  }
  return s;
}

unsigned Core::viewerCount()
{
  std::lock_guard<std::mutex> l(lock_);
  return unsigned(live_.size());
}

/* ---- ViewerEvents (GStreamer threads) ------------------------------------------------------ */

void Core::viewerLocalSdp(const std::string &id, const std::string &type, const std::string &sdp)
{
  post([this, id, type, sdp] {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || !it->second->signaller)
      return;
    Session &s = *it->second;
    s.signaller->sendSdp(id, type, sdp);
    s.sdpSent = true;
    for (auto &c : std::exchange(s.pendingIce, {}))
      if (sessions_.count(id))
        s.signaller->sendIce(id, c.first, c.second);
  });
}

void Core::viewerIce(const std::string &id, unsigned mline, const std::string &cand)
{
  post([this, id, mline, cand] {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || !it->second->signaller)
      return;
    if (it->second->sdpSent)
      it->second->signaller->sendIce(id, mline, cand);
    else
      it->second->pendingIce.emplace_back(mline, cand);
  });
}

void Core::viewerState(const std::string &id, GstWebRTCPeerConnectionState state)
{
  post([this, id, state] {
    auto it = sessions_.find(id);
    if (it == sessions_.end())
      return;
    GST_DEBUG_OBJECT(element_, "viewer %s connection state %d", id.c_str(), int(state));
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !it->second->connected) {
      it->second->connected = true;
      {
        std::lock_guard<std::mutex> l(lock_);
        figures_[id].connected = true;
      }
      keyframes_.request();
    } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
               state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED) {
      GST_INFO_OBJECT(element_, "viewer %s: connection %s", id.c_str(),
                      state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ? "failed" : "closed");
      drop(id, true);
    }
  });
}

std::string Core::viewerControl(const std::string &id, const std::string &text, bool bare)
{
  /* A flood is dropped before it costs a parse (and never answered: the
   * answers would flood the channel back). */
  {
    std::lock_guard<std::mutex> l(lock_);
    auto f = figures_.find(id);
    if (f != figures_.end() && !f->second.inputBucket.take(nowMs())) {
      if (f->second.inputRateLimited++ % 10000 == 0)
        GST_INFO_OBJECT(element_, "viewer %s sends input faster than %.0f messages/s: dropped",
                        id.c_str(), kInputRate);
      return {};
    }
  }
  /* The same messages, parser and checks as vdiinputsink. */
  vdi::InputMessage req = bare ? vdi::parseNavigationMessage(text) : vdi::parseInputMessage(text);
  GST_OBJECT_LOCK(element_);
  GstVdiViewerControl policy = settings.control;
  GST_OBJECT_UNLOCK(element_);
  bool allowed;
  {
    std::lock_guard<std::mutex> l(lock_);
    allowed = mayControlLocked(id, policy);
    auto f = figures_.find(id);
    if (f != figures_.end()) {
      if (!allowed)
        f->second.inputDropped++;
      else if (req.event)
        f->second.inputAccepted++;
    }
  }
  /* The `input` channel has no replies: refusals are only logged. */
  auto reply = [&](const std::string &error) {
    if (bare && !error.empty())
      GST_INFO_OBJECT(element_, "viewer %s input channel: %s", id.c_str(), error.c_str());
    return bare ? std::string() : vdi::controlResponse(req.id, error);
  };
  if (!allowed) {
    GST_LOG_OBJECT(element_, "viewer %s is view-only: input dropped", id.c_str());
    return reply("this viewer is view-only: input is not allowed");
  }
  if (!req.event)
    return reply(req.error);
  GST_LOG_OBJECT(element_, "viewer %s input: %" GST_PTR_FORMAT, id.c_str(),
                 gst_event_get_structure(req.event.get()));
  if (!gst_pad_push_event(videoPad_, req.event.release()))
    GST_DEBUG_OBJECT(element_, "nothing upstream handled the input event");
  return reply("");
}

void Core::viewerKeyframeRequest(const std::string &id)
{
  {
    std::lock_guard<std::mutex> l(lock_);
    auto it = figures_.find(id);
    if (it != figures_.end())
      it->second.keyframeRequests++;
  }
  keyframes_.request();
}

void Core::viewerStats(const std::string &id, const ViewerStats &st)
{
  post([this, id, st] {
    auto it = sessions_.find(id);
    if (it == sessions_.end())
      return;
    Session &s = *it->second;
    int64_t now = nowMs();
    double dt = std::max<int64_t>(1, now - s.lastStatsMs) / 1000.0;
    uint64_t frames = s.viewer->framesSent();
    double bps = st.bytesSent >= s.lastBytes ? (st.bytesSent - s.lastBytes) * 8.0 / dt : 0;
    double fps = frames >= s.lastFrames ? (frames - s.lastFrames) / dt : 0;
    long packets = st.packetsSent >= s.lastPackets ? long(st.packetsSent - s.lastPackets) : -1;
    s.lastBytes = st.bytesSent;
    s.lastPackets = st.packetsSent;
    s.lastFrames = frames;
    s.lastStatsMs = now;
    unsigned est = 0;
    if (s.connected) {
      Feedback fb;
      fb.fractionLost = st.fractionLost;
      fb.rttSeconds = st.rttSeconds;
      fb.twcc = st.twcc;
      fb.sentKbps = st.twccSentBps / 1000;
      fb.recvKbps = st.twccRecvBps / 1000;
      fb.twccLoss = st.twccLossPct / 100;
      fb.delayGradientMs = st.twccDelayGradientMs;
      fb.packets = packets;
      /* The encoder follows viewers that may control (role and
       * viewer-control); the others never drag it down. */
      est = rate_.update(id, fb, mayControl(id));
      s.viewer->setEstimate(est, rate_.bottleneck(id));
      GST_DEBUG_OBJECT(element_,
                       "viewer %s: %ld packets, sent %.0f recv %.0f kbit/s, gradient %.1f ms, "
                       "loss %.3f/%.3f, rtt %.0f ms -> estimate %u kbit/s",
                       id.c_str(), packets, fb.sentKbps, fb.recvKbps, fb.delayGradientMs,
                       fb.twccLoss, fb.fractionLost, fb.rttSeconds * 1000, est);
    }
    std::lock_guard<std::mutex> l(lock_);
    ViewerFigures &f = figures_[id];
    f.bitrate = bps;
    f.fps = fps;
    f.rtt = st.rttSeconds;
    f.fractionLost = st.fractionLost;
    f.packetsLost = st.packetsLost;
    f.pli = st.pli;
    f.fir = st.fir;
    f.nack = st.nack;
    f.estimate = est;
    f.twcc = st.twcc;
    f.twccRecvBps = st.twccRecvBps;
    f.delayGradientMs = st.twccDelayGradientMs;
  });
}

void Core::viewerError(const std::string &id, const std::string &message)
{
  post([this, id, message] {
    if (!sessions_.count(id))
      return;
    GST_WARNING_OBJECT(element_, "viewer %s: %s", id.c_str(), message.c_str());
    drop(id, true, message);
  });
}

void Core::viewerChannelOpen(const std::string &id)
{
  post([this, id] {
    sendClipboard(id);
    /* A new viewer draws the pointer at once, not at its next change. */
    sendCursor(id, cursor_.current());
  });
}

} // namespace vdi::webrtc
