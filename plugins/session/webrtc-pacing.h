/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * When a viewer's RTP packets may leave: a pacer's schedule. webrtcbin 1.22
 * sends each frame's packets in one burst; a keyframe of 40-80 kB at once
 * overflows a bottleneck's queue (a 2 Mbit/s token bucket with 100 ms of
 * queue holds 25 kB), its packets are lost, and the picture freezes. Once a
 * bottleneck has been found (webrtc-bitrate.h: a queue, loss or a long
 * round trip seen, and the estimate below the configured maximum), packets
 * leave no faster than kFactor x the viewer's estimate, one after the other;
 * without one they leave at once (no latency on an open link). Pure
 * arithmetic: times in microseconds, the caller's clock.
 */

#pragma once

#include <cstddef>
#include <cstdint>

namespace vdi::webrtc {

class PacingSchedule
{
public:
  /* Pacing rate over the estimate: room for the encoder's overshoot and a
   * keyframe, far below a burst at line rate. */
  static constexpr double kFactor = 2.5;
  /* Packets due this close to now leave now (the sleep is not finer). */
  static constexpr int64_t kSlackUs = 1000;

  /* The viewer's estimate (kbit/s) and whether a bottleneck was found. */
  void setEstimate(unsigned kbps, bool bottleneck);
  /* Pacing rate in kbit/s, 0 when packets are not paced. */
  double rateKbps() const { return bytesPerUs_ * 8e3; }
  /* When a packet of @bytes, ready at @nowUs, may leave (never before
   * @nowUs); the schedule moves on by its size at the pacing rate. */
  int64_t departure(size_t bytes, int64_t nowUs);
  /* Forget the backlog (flush, restart). */
  void reset() { nextUs_ = 0; }

private:
  double bytesPerUs_ = 0; /* 0: not pacing */
  int64_t nextUs_ = 0;    /* when the next packet may leave */
};

} // namespace vdi::webrtc
