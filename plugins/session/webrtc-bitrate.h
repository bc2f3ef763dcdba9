/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Bitrate adaptation for a shared encoder: each viewer's RTCP feedback
 * (loss, RTT, REMB when present) drives a per-viewer estimate, loss-based
 * in the manner of Google Congestion Control, and the encoder gets the
 * weakest active viewer's estimate, clamped to [min, max]. The algorithm is
 * described in docs/webrtc.md. Pure arithmetic: no GStreamer state.
 */

#pragma once

#include <map>
#include <string>

namespace vdi::webrtc {

struct Feedback {
  double fractionLost = 0; /* 0..1, from the receiver report */
  double rttSeconds = 0;   /* 0 = unknown */
  double rembBps = 0;      /* 0 = none */
};

class BitrateController
{
public:
  BitrateController(unsigned minBps, unsigned maxBps) { setLimits(minBps, maxBps); }
  void setLimits(unsigned minBps, unsigned maxBps);
  /* A new viewer starts at @startBps (clamped). */
  void addViewer(const std::string &id, unsigned startBps);
  void removeViewer(const std::string &id);
  /* One report interval's feedback; returns the viewer's new estimate. */
  unsigned update(const std::string &id, const Feedback &fb);
  /* The target for the encoder: the weakest viewer's estimate; 0 with no viewer. */
  unsigned target() const;
  unsigned estimate(const std::string &id) const;

  static constexpr double kLossHigh = 0.10; /* above: decrease */
  static constexpr double kLossLow = 0.02;  /* below: increase */
  static constexpr double kIncrease = 1.08; /* per report without loss */
  static constexpr double kRttHigh = 0.40;  /* seconds: queues are building */
  static constexpr double kRttBackoff = 0.85;

private:
  unsigned clamp(double bps) const;
  unsigned min_ = 0, max_ = 0;
  std::map<std::string, double> estimates_;
};

} // namespace vdi::webrtc
