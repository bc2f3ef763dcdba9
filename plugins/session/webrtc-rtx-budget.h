/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A bound on a viewer's retransmissions (RFC 4588 RTX, answering NACKs).
 * On a congested link every lost packet is NACKed again and again, and
 * webrtcbin's rtprtxsend answers each one from an unbounded history: on a
 * 2 Mbit/s token bucket that was measured at 13-35 Mbit/s of retransmissions
 * for 12 s, keeping the link full long after the encoder had gone down to
 * 1.6 Mbit/s. So retransmissions get a token bucket of their own, a share
 * of the viewer's bitrate estimate, and a short history: what is older
 * than that is better replaced by the next frame (or a keyframe) than
 * resent. A NACK that cannot be answered (gone from the history, or over
 * the budget) asks for a keyframe instead (webrtc-nack-repair.h).
 */

#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace vdi::webrtc {

class RtxBudget
{
public:
  /* Share of the estimate retransmissions may use, and their floor. */
  static constexpr double kShare = 0.20;
  static constexpr unsigned kFloorKbps = 64;
  /* rtprtxsend's history, in ms. */
  static constexpr unsigned kHistoryMs = 400;

  /* The viewer's estimate changed (kbit/s). */
  void setEstimate(unsigned kbps);
  /* Whether a retransmission of @bytes may go now (at @nowUs). */
  bool admit(size_t bytes, int64_t nowUs);

  /* Applies the budget to the rtprtxsend webrtcbin makes inside @bin;
   * @keyframe is called (from a streaming thread) when a NACK cannot be
   * answered and a keyframe must repair the picture. */
  static void attach(GstBin *bin, std::shared_ptr<RtxBudget> budget,
                     std::function<void()> keyframe);

private:
  std::mutex lock_;
  double rateBytesPerUs_ = kFloorKbps * 1000.0 / 8 / 1e6;
  double tokens_ = 0;
  int64_t lastUs_ = 0;
};

} // namespace vdi::webrtc
