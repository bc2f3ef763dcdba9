/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Bitrate adaptation for a shared encoder: each viewer's feedback drives a
 * per-viewer estimate in the manner of Google Congestion Control — delay-
 * based from transport-wide CC feedback when the viewer negotiated it (the
 * received rate falling behind the sent one, or the queueing delay
 * growing, means a queue is building: go below the received rate, and come
 * back just below it), plus
 * loss, RTT and REMB — and the encoder gets the weakest control viewer's
 * estimate (view-only viewers never drag it down), clamped to [min, max].
 * The algorithm is described in docs/webrtc.md. All rates in kbit/s. Pure
 * arithmetic: no GStreamer state.
 */

#pragma once

#include <map>
#include <string>

namespace vdi::webrtc {

struct Feedback {
  double fractionLost = 0; /* 0..1, from the receiver report */
  double rttSeconds = 0;   /* 0 = unknown */
  double rembBps = 0;      /* 0 = none */
  /* Transport-wide CC over the last feedback window, when negotiated. */
  bool twcc = false;
  double sentKbps = 0, recvKbps = 0;
  double twccLoss = 0;        /* 0..1 */
  double delayGradientMs = 0; /* average growth of the queueing delay */
  /* RTP packets sent since the last report (every stream of the viewer);
   * -1: not counted. Fewer than kMinPackets measure nothing (see there). */
  long packets = -1;
};

class BitrateController
{
public:
  BitrateController(unsigned minBps, unsigned maxBps) { setLimits(minBps, maxBps); }
  void setLimits(unsigned minBps, unsigned maxBps);
  /* A new viewer starts at @startBps (clamped). */
  void addViewer(const std::string &id, unsigned startBps);
  void removeViewer(const std::string &id);
  /* One report interval's feedback of a viewer in the control role (or
   * not); returns the viewer's new estimate. */
  unsigned update(const std::string &id, const Feedback &fb, bool control = true);
  /* The target for the encoder: the weakest control viewer's estimate (the
   * weakest of all when nobody controls); 0 with no viewer. */
  unsigned target() const;
  unsigned estimate(const std::string &id) const;
  /* A bottleneck was found on the viewer's path: its estimate went down for
   * a queue, loss or a long round trip (or REMB) and has not come back to
   * the maximum since. Its packets are then paced (webrtc-pacing.h). */
  bool bottleneck(const std::string &id) const;

  static constexpr double kLossHigh = 0.10; /* above: decrease */
  static constexpr double kLossLow = 0.02;  /* below: increase */
  static constexpr double kIncrease = 1.08; /* per report without loss */
  static constexpr double kRttHigh = 0.40;  /* seconds: queues are building */
  static constexpr double kRttBackoff = 0.85;
  /* Delay-based (TWCC): overuse when the received rate is this far below
   * the sent one, or the queueing delay grows by this much per group. */
  static constexpr double kQueueGap = 0.05;
  static constexpr double kDelayGradientHighMs = 2.0;
  static constexpr double kOveruseDecrease = 0.85; /* of the received rate */
  /* After an overuse: back up to 0.95x the rate that queued in additive
   * steps of 5 % of it
   * (from 0.85x it at the lowest), hold there, then probe that rate in
   * 1.05x steps. */
  static constexpr double kHold = 0.95;
  static constexpr double kHoldStep = 0.05;
  static constexpr unsigned kHoldReports = 1;
  static constexpr double kNear = 1.25;         /* "near": below 1.25x the last overuse */
  static constexpr double kIncreaseNear = 1.05; /* probing near it... */
  static constexpr unsigned kNearReports = 6;   /* ...for this many reports */
  /* Received this much above it, and within 1 % of what was sent, two
   * reports in a row: the link grew. */
  static constexpr double kGrown = 1.02;
  static constexpr double kCleanGap = 0.01;
  static constexpr unsigned kGrownReports = 2;
  /* Received this much above it in any one report: the link grew. */
  static constexpr double kGrownFar = 1.15;
  static constexpr double kIncreaseFast = 1.25; /* far from it, or long after */
  static constexpr double kAppLimited = 1.5;    /* never above 1.5x what arrives */
  /* A report of fewer packets is no evidence of a queue or of loss: the
   * estimate holds. A still screen sends one skipped picture a second;
   * the delay gradient of a TWCC window of one or two packets is the
   * host's scheduling noise (5 ms seen on a loaded host: taken for a
   * queue, it cut 8000 kbit/s to the 300 floor, where x264 can no longer
   * code a changed screen, and on a still screen nothing ever probes back
   * up). libwebrtc's send-side estimate likewise decides on loss only
   * after 20 packets (kLimitNumPackets). */
  static constexpr long kMinPackets = 20;

private:
  struct Viewer {
    double estimate = 0;
    double congestionKbps = 0; /* received rate at the last overuse */
    unsigned holdReports = 0;  /* reports held just below it */
    unsigned nearReports = 0;  /* probing increases near it since */
    unsigned grownReports = 0; /* reports in a row that said it grew */
    bool bottleneck = false;   /* see bottleneck() */
    bool control = true;
  };
  unsigned clamp(double bps) const;
  void updateLossRtt(Viewer &v, const Feedback &fb) const;
  void updateDelay(Viewer &v, const Feedback &fb) const;
  void followDelay(Viewer &v, const Feedback &fb) const; /* enough packets */
  unsigned min_ = 0, max_ = 0;
  std::map<std::string, Viewer> viewers_;
};

} // namespace vdi::webrtc
