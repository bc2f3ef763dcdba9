/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * One viewer of vdiwebrtcsink: a bin `viewer-ID` holding
 * `queue ! payloader ! capssetter ! pacer ! webrtcbin` (and `queue ! rtpopuspay` into
 * the same webrtcbin when there is audio), hung off the element's fan-out
 * tees with vdi::TeeBranch, added and removed at run time, with its
 * reliable ordered data channel for input and its statistics. A control
 * viewer's audio is `sendrecv` when the element takes microphones
 * (webrtc-microphone.h decodes what it sends).
 *
 * Callbacks (Events) come from GStreamer's threads (signalling, SCTP,
 * streaming); the element marshals them to its own thread. A viewer is
 * created and destroyed on the element's thread.
 */

#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "tee-branch.h"
#include "webrtc-microphone.h"
#include "webrtc-pacer.h"
#include "webrtc-rtx-budget.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vdi::webrtc {

struct ViewerStats {
  uint64_t bytesSent = 0;
  uint64_t packetsSent = 0;
  double fractionLost = 0; /* last receiver report, 0..1 */
  int64_t packetsLost = 0;
  double rttSeconds = 0;
  unsigned pli = 0, fir = 0, nack = 0;
  /* Transport-wide CC (webrtcbin's gst-twcc-stats), when negotiated. */
  bool twcc = false;
  double twccSentBps = 0, twccRecvBps = 0, twccLossPct = 0;
  double twccDelayGradientMs = 0; /* avg-delta-of-delta */
};

class ViewerEvents
{
public:
  virtual ~ViewerEvents() = default;
  virtual void viewerLocalSdp(const std::string &id, const std::string &type,
                              const std::string &sdp) = 0;
  virtual void viewerIce(const std::string &id, unsigned mline, const std::string &cand) = 0;
  virtual void viewerState(const std::string &id, GstWebRTCPeerConnectionState state) = 0;
  /* A data-channel message, of the `control` shape or (@bare, the `input`
   * channel) a bare navigation event; returns the reply to send back. */
  virtual std::string viewerControl(const std::string &id, const std::string &text, bool bare) = 0;
  virtual void viewerKeyframeRequest(const std::string &id) = 0;
  virtual void viewerStats(const std::string &id, const ViewerStats &stats) = 0;
  virtual void viewerError(const std::string &id, const std::string &message) = 0;
  /* The input data channel opened: messages can be sent with send(). */
  virtual void viewerChannelOpen(const std::string &id) = 0;
};

struct ViewerConfig {
  std::string id;
  bool offerer = true;               /* signalling: we offer; WHEP: the browser offers */
  bool answerWithCandidates = false; /* answer once gathering completed (WHEP) */
  std::string remoteOffer;           /* WHEP */
  std::string encodingName;          /* H264, VP8, VP9, AV1 */
  GstCaps *streamCaps = nullptr;     /* the encoded stream's caps (not owned) */
  GstElement *audioTee = nullptr;    /* Opus fan-out, when the audio pad exists */
  bool twcc = true;                  /* negotiate transport-wide CC */
  /* The viewer's microphone: the audio is negotiated sendrecv when it has
   * a sink description and the viewer may send (else sendonly). */
  std::shared_ptr<MicrophoneState> microphone;
  std::string stunServer; /* stun://host:port */
  std::vector<std::string> turnServers;
  std::vector<std::string> iceAddresses;
  GstElement *owner = nullptr; /* the vdiwebrtcsink, kept alive by callbacks */
  ViewerEvents *events = nullptr;
  /* Where the viewer's teardown runs (the element's thread): never on the
   * streaming thread that feeds every viewer. */
  vdi::TeeBranch::Defer defer;
  /* Called with the viewer's bin before it joins the pipeline: from then
   * on, messages from inside it are the viewer's. */
  std::function<void(GstElement *bin)> adopt;
};

class Viewer
{
public:
  /* Builds the viewer's bin beside @tee (and config.audioTee) and links it
   * to new pads of them. */
  static std::unique_ptr<Viewer> create(GstElement *tee, const ViewerConfig &config,
                                        GError **error);
  ~Viewer();
  Viewer(const Viewer &) = delete;
  Viewer &operator=(const Viewer &) = delete;

  const std::string &id() const { return id_; }
  /* The viewer's bin: a message whose source has it as ancestor is this
   * viewer's. */
  GstElement *bin() const;
  void setRemoteDescription(const std::string &type, const std::string &sdp);
  void addIceCandidate(unsigned mline, const std::string &candidate);
  void requestStats();
  /* The viewer's bitrate estimate (kbit/s): its retransmission budget and,
   * once a bottleneck was found on its path, its pacing rate. */
  void setEstimate(unsigned kbps, bool bottleneck)
  {
    rtx_->setEstimate(kbps);
    if (pacer_)
      setPacerEstimate(pacer_, kbps, bottleneck);
  }
  /* The viewer's role changed: its microphone is heard or dropped. */
  void setMicrophoneAllowed(bool allowed);
  /* Frames (access units) handed to this viewer's payloader so far. */
  uint64_t framesSent() const;
  /* The local description as SDP text, or empty. */
  std::string localDescription() const;
  /* Sends @text on the control data channel. False (and nothing sent) when
   * there is no open channel or webrtcbin refuses the message (e.g. larger
   * than the peer's max-message-size); @error says why. */
  bool send(const std::string &text, std::string *error);

  struct Link;

private:
  Viewer() = default;
  bool build(GstElement *tee, const ViewerConfig &config, GError **error);
  bool buildVideo(GstBin *bin, const ViewerConfig &config, int pt, const std::string &pli,
                  int twccId, GError **error);
  bool buildAudio(GstBin *bin, int pt, bool sendrecv, GError **error);
  void connectSignals();
  void answerOnCaps(GstSDPMessage *offer);

  std::string id_;
  std::unique_ptr<vdi::TeeBranch> branch_;
  vdi::TeeBranch::Defer defer_;
  /* Inside the bin (owned by it). */
  GstElement *pay_ = nullptr, *setter_ = nullptr, *pacer_ = nullptr, *webrtc_ = nullptr,
             *apay_ = nullptr;
  std::shared_ptr<Link> link_;
  std::shared_ptr<MicrophoneState> microphone_;
  std::shared_ptr<RtxBudget> rtx_ = std::make_shared<RtxBudget>();
};

} // namespace vdi::webrtc
