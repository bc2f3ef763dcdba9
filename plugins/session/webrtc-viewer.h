/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * One viewer of vdiwebrtcsink: a branch `queue ! payloader ! webrtcbin`
 * hung off the element's fan-out tee, added and removed at run time, with
 * its reliable ordered data channel for input and its statistics.
 *
 * Callbacks (Events) come from GStreamer's threads (signalling, SCTP,
 * streaming); the element marshals them to its own thread. A viewer is
 * created and destroyed on the element's thread.
 */

#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <cstdint>
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
};

class ViewerEvents
{
public:
  virtual ~ViewerEvents() = default;
  virtual void viewerLocalSdp(const std::string &id, const std::string &type,
                              const std::string &sdp) = 0;
  virtual void viewerIce(const std::string &id, unsigned mline, const std::string &cand) = 0;
  virtual void viewerState(const std::string &id, GstWebRTCPeerConnectionState state) = 0;
  /* A data-channel message; returns the reply to send back. */
  virtual std::string viewerControl(const std::string &id, const std::string &text) = 0;
  virtual void viewerKeyframeRequest(const std::string &id) = 0;
  virtual void viewerStats(const std::string &id, const ViewerStats &stats) = 0;
  virtual void viewerError(const std::string &id, const std::string &message) = 0;
  /* The input data channel opened: messages can be sent with send(). */
  virtual void viewerChannelOpen(const std::string &id) = 0;
};

struct ViewerConfig {
  std::string id;
  bool offerer = true;            /* signalling: we offer; WHEP: the browser offers */
  std::string remoteOffer;        /* WHEP */
  std::string encodingName;       /* H264, VP8, VP9, AV1 */
  GstCaps *streamCaps = nullptr;  /* the encoded stream's caps (not owned) */
  GstElement *audioTee = nullptr; /* Opus fan-out, when the audio pad exists */
  std::string stunServer;         /* stun://host:port */
  std::vector<std::string> turnServers;
  std::vector<std::string> iceAddresses;
  GstElement *owner = nullptr; /* the vdiwebrtcsink, kept alive by callbacks */
  ViewerEvents *events = nullptr;
};

class Viewer
{
public:
  /* Builds the branch inside @bin, linked to a new pad of @tee. */
  static std::unique_ptr<Viewer> create(GstBin *bin, GstElement *tee, const ViewerConfig &config,
                                        GError **error);
  ~Viewer();
  Viewer(const Viewer &) = delete;
  Viewer &operator=(const Viewer &) = delete;

  const std::string &id() const { return id_; }
  void setRemoteDescription(const std::string &type, const std::string &sdp);
  void addIceCandidate(unsigned mline, const std::string &candidate);
  void requestStats();
  /* Frames (access units) handed to this viewer's payloader so far. */
  uint64_t framesSent() const { return frames_.load(); }
  /* The local description as SDP text, or empty. */
  std::string localDescription() const;
  /* Sends @text on the input data channel. False (and nothing sent) when
   * there is no open channel or webrtcbin refuses the message (e.g. larger
   * than the peer's max-message-size); @error says why. */
  bool send(const std::string &text, std::string *error);

  struct Link;

private:
  Viewer() = default;
  bool build(GstBin *bin, GstElement *tee, const ViewerConfig &config, GError **error);

  std::string id_;
  GstBin *bin_ = nullptr;
  GstElement *tee_ = nullptr;
  GstPad *teePad_ = nullptr;
  GstElement *queue_ = nullptr, *pay_ = nullptr, *setter_ = nullptr, *webrtc_ = nullptr;
  /* Audio branch (optional): audioTee_ ! aqueue_ ! apay_ ! webrtc_. */
  GstElement *audioTee_ = nullptr;
  GstPad *audioTeePad_ = nullptr;
  GstElement *aqueue_ = nullptr, *apay_ = nullptr;
  GstWebRTCDataChannel *channel_ = nullptr;
  std::shared_ptr<Link> link_;
  std::atomic<uint64_t> frames_{0};
};

} // namespace vdi::webrtc
