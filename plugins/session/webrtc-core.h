/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The core of vdiwebrtcsink: it runs the viewers. Signallers
 * (webrtc-signaller.h) ask it for viewers and get their SDP, candidates and
 * end back; the core decides who may send input (viewer-control, view-only
 * viewers), passes input upstream, sends the session clipboard to the
 * viewers that may control, keeps per-viewer figures, and drives the
 * keyframe policy and the bitrate control. It knows nothing of HTTP.
 *
 * Everything but the few "any thread" methods runs on the element's own
 * thread, a vdi::EventLoop (so that the element works in applications that
 * run no main loop).
 */

#pragma once

#include <algorithm>

#include "event-loop.h"
#include "gstvdiwebrtcsink.h"
#include "webrtc-cursor.h"
#include "webrtc-keyframes.h"
#include "webrtc-rate-control.h"
#include "webrtc-signaller.h"
#include "webrtc-viewer.h"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vdi::webrtc {

/* The element's properties (guarded by the element's object lock). */
struct Settings {
  int port = -1;
  std::string address = "0.0.0.0";
  std::string webRoot;
  std::string stunServer;
  std::vector<std::string> turnServers;
  std::vector<std::string> iceAddresses;
  GstVdiViewerControl control = GST_VDI_VIEWER_CONTROL_ALL;
  GstVdiCongestionControl congestion = GST_VDI_CONGESTION_CONTROL_DELAY;
  unsigned minBitrate = 300; /* kbit/s */
  unsigned maxBitrate = 8000;
  GstElement *encoder = nullptr; /* ref'd */
  unsigned minKeyframeIntervalMs = 500;
  unsigned maxViewers = 64;
  GstStructure *meta = nullptr; /* producer meta for list / peerStatusChanged */
  std::string microphoneSink;   /* sink description for viewers' microphones */
};

/* How many data-channel input messages a viewer may send: a token bucket of
 * kInputBurst messages refilled at kInputRate a second. A 1,000 Hz mouse
 * fits; a viewer that floods its channel has the rest dropped before they
 * are parsed, counted in `input-rate-limited`, and not answered. */
constexpr double kInputRate = 1000;
constexpr double kInputBurst = 1000;

struct InputBucket {
  double tokens = kInputBurst;
  int64_t lastMs = -1;
  /* Takes one message at @nowMs (monotonic ms); false when over the rate. */
  bool take(int64_t nowMs)
  {
    if (lastMs >= 0)
      tokens = std::min(kInputBurst, tokens + (nowMs - lastMs) * kInputRate / 1000.0);
    lastMs = nowMs;
    if (tokens < 1)
      return false;
    tokens -= 1;
    return true;
  }
};

/* Published per-viewer figures (the `stats` property). */
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
  bool twcc = false;     /* transport-wide CC feedback arrives */
  double twccRecvBps = 0;
  double delayGradientMs = 0;
  bool connected = false;
  std::string role = "control";
  uint64_t inputAccepted = 0;    /* data-channel input messages passed upstream */
  uint64_t inputDropped = 0;     /* refused because the viewer may not control */
  uint64_t inputRateLimited = 0; /* dropped unread: over kInputRate */
  InputBucket inputBucket;
};

class Core : public SessionHost, private ViewerEvents
{
public:
  /* @element owns @videoPad (its sink pad) and @tee (the video fan-out). */
  Core(GstElement *element, GstPad *videoPad, GstElement *tee);
  ~Core() override;
  Core(const Core &) = delete;
  Core &operator=(const Core &) = delete;

  Settings settings; /* the element's object lock */

  /* ---- the element's thread (any thread) ---- */
  void start();
  /* Ends every viewer (telling their signallers), runs @last on the thread
   * and ends it. */
  void stop(const std::function<void()> &last);
  bool running() const;
  bool onThread() const;
  /* Runs @fn on the element's thread later / now, waiting (false when not
   * running). */
  void post(std::function<void()> fn);
  bool invoke(const std::function<void()> &fn);

  /* ---- from the element (any thread) ---- */
  /* The video pad's caps (codec and profile for new viewers). */
  void setStreamCaps(GstCaps *caps);
  /* The audio fan-out, or null when the audio pad goes. */
  void setAudioTee(GstElement *tee);
  /* The session clipboard changed (vdiwaylandsrc's vdi-clipboard event). */
  void clipboardChanged(const std::string &mime, const std::string &base64);
  /* The session's pointer moved or changed (vdiwaylandsrc's vdi-cursor
   * event): to every viewer's data channel (webrtc-cursor.h). */
  void cursorChanged(const GstStructure *cursor);
  /* The viewer whose bin @object is in, or "". */
  std::string viewerOf(GstObject *object);
  /* Settings that running viewers depend on changed. */
  void settingsChanged();
  /* `stats` and `viewers`. */
  GstStructure *stats();
  unsigned viewerCount();

  /* ---- element thread ---- */
  /* Ends every viewer, telling its signaller. */
  void endAll();
  /* The element ends viewer @id (an error inside its bin). */
  void failSession(const std::string &id, const std::string &error);

  /* SessionHost */
  std::string startSession(Signaller *signaller, const SessionRequest &request, std::string *error,
                           bool *full) override;
  void endSession(const std::string &id) override;
  void setRemoteDescription(const std::string &id, const std::string &type,
                            const std::string &sdp) override;
  void addRemoteCandidate(const std::string &id, unsigned mline,
                          const std::string &candidate) override;
  void setViewOnly(const std::string &id, bool viewOnly) override;
  std::string localDescription(const std::string &id) override;
  guint addTimer(unsigned ms, std::function<void()> fn) override;
  void cancelTimer(guint id) override;

private:
  struct Session;

  /* ViewerEvents (GStreamer threads) */
  void viewerLocalSdp(const std::string &id, const std::string &type,
                      const std::string &sdp) override;
  void viewerIce(const std::string &id, unsigned mline, const std::string &cand) override;
  void viewerState(const std::string &id, GstWebRTCPeerConnectionState state) override;
  std::string viewerControl(const std::string &id, const std::string &text, bool bare) override;
  void viewerKeyframeRequest(const std::string &id) override;
  void viewerStats(const std::string &id, const ViewerStats &stats) override;
  void viewerError(const std::string &id, const std::string &message) override;
  void viewerChannelOpen(const std::string &id) override;

  ViewerConfig viewerConfig(const std::string &id, const SessionRequest &request);
  /* Removes viewer @id; tells its signaller unless the signaller ended it. */
  void drop(const std::string &id, bool tellSignaller, const std::string &error = {});
  void forgetBin(const std::string &id);
  void updateController();
  bool mayControlLocked(const std::string &id, GstVdiViewerControl policy) const;
  bool mayControl(const std::string &id);
  void sendClipboard(const std::string &id);
  void sendCursor(const std::string &id, const std::string &message);
  void pushRepaint();
  void statsTick();
  GstElement *configuredEncoder();

  GstElement *element_;
  GstPad *videoPad_;
  GstElement *tee_;
  vdi::EventLoop loop_;
  std::atomic<bool> accepting_{false};
  KeyframePolicy keyframes_;
  RateControl rate_;

  /* Element thread only. */
  std::map<std::string, std::unique_ptr<Session>> sessions_;
  uint64_t nextSeq_ = 0;
  guint statsTimer_ = 0;
  std::string lastClipboard_; /* data-channel message for control viewers */
  CursorTracker cursor_;      /* what every viewer draws */

  /* Any thread, under lock_. */
  mutable std::mutex lock_;
  std::map<std::string, ViewerFigures> figures_;
  std::map<std::string, bool> live_;         /* viewers -> view-only */
  std::map<GstElement *, std::string> bins_; /* viewer bins -> id */
  std::string controller_;                   /* may send input under "first" */
  GstCaps *caps_ = nullptr;
  std::string encoding_ = "H264";
  GstElement *audioTee_ = nullptr;
  /* Whose microphone is heard (viewers share it). */
  std::shared_ptr<MicrophoneFloor> floor_ = std::make_shared<MicrophoneFloor>();
};

} // namespace vdi::webrtc
