/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-bitrate.h"

#include <algorithm>
#include <cmath>

namespace vdi::webrtc {

void BitrateController::setLimits(unsigned minBps, unsigned maxBps)
{
  min_ = std::min(minBps, maxBps);
  max_ = std::max(minBps, maxBps);
  for (auto &v : viewers_)
    v.second.estimate = clamp(v.second.estimate);
}

unsigned BitrateController::clamp(double bps) const
{
  if (!std::isfinite(bps))
    return max_;
  return unsigned(std::clamp(bps, double(min_), double(max_)));
}

void BitrateController::addViewer(const std::string &id, unsigned startBps)
{
  viewers_[id].estimate = clamp(startBps);
}

void BitrateController::removeViewer(const std::string &id)
{
  viewers_.erase(id);
}

/* A value from the network: what is not a finite number counts as absent. */
static double sane(double v, double lo, double hi)
{
  return std::isfinite(v) ? std::clamp(v, lo, hi) : 0;
}

/* Enough packets went out since the last report for its loss and delay
 * figures to mean something (kMinPackets). */
static bool measured(const Feedback &fb)
{
  return fb.packets < 0 || fb.packets >= BitrateController::kMinPackets;
}

void BitrateController::updateLossRtt(Viewer &v, const Feedback &fb) const
{
  double loss = sane(fb.fractionLost, 0, 1);
  double rtt = sane(fb.rttSeconds, 0, 60);
  if (loss > kLossHigh && measured(fb)) {
    v.estimate *= 1.0 - 0.5 * loss; /* GCC: As = As * (1 - 0.5 p) */
    v.bottleneck = true;
  } else if (loss < kLossLow && (rtt <= 0 || rtt < kRttHigh)) {
    v.estimate *= kIncrease;
  }
  if (rtt >= kRttHigh) {
    v.estimate *= kRttBackoff;
    v.bottleneck = true;
  }
}

/* GCC's delay-based controller, on rtpsession's TWCC window: a queue is
 * building when less arrives than was sent, or the delay between packet
 * groups keeps growing. Then go below what arrived (the link's rate, not
 * our guess of it) until the queue drained, come back just below that
 * rate and stay there a while (no queue: the latency a user feels), then
 * probe it slowly; far from it, or once more arrives than ever did, probe
 * fast. */
void BitrateController::followDelay(Viewer &v, const Feedback &fb) const
{
  double sent = sane(fb.sentKbps, 0, 1e7), recv = sane(fb.recvKbps, 0, 1e7);
  double loss = sane(fb.twccLoss, 0, 1);
  double gradient = sane(fb.delayGradientMs, -1e4, 1e4);
  bool queueing = sent > 0 && recv < sent * (1.0 - kQueueGap);
  /* Far more arrived than when it last queued: the link grew, whatever
   * else the report says (seen when a bucket was lifted: its last drops
   * queued 2621 kbit/s where 1850 had, or lost 30 % while 2770 arrived
   * where 1864 had; on the 2 Mbit/s bucket itself, never more than 1.06x
   * the rate that queued arrived). */
  bool grewFar = v.congestionKbps > 0 && recv > v.congestionKbps * kGrownFar;
  if ((queueing || gradient > kDelayGradientHighMs) && recv > 0) {
    v.estimate = std::min(v.estimate, recv * kOveruseDecrease);
    v.congestionKbps = recv;
    v.bottleneck = true;
    v.holdReports = v.grownReports = 0;
    /* A queue at a far higher rate: come back as after any queue, then
     * probe fast. */
    v.nearReports = grewFar ? kNearReports : 0;
  } else if (loss > kLossHigh) {
    v.estimate *= 1.0 - 0.5 * loss;
    v.bottleneck = true;
    if (grewFar)
      v.congestionKbps = 0;
  } else if (loss < kLossLow) {
    if (grewFar)
      v.congestionKbps = 0;
    /* More arrives than ever did when it queued, all of what was sent,
     * two reports in a row: the link has grown. (What gets through an
     * overflowing queue is less than the link carries: a 2 Mbit/s bucket
     * let 1760-1840 kbit/s through then, and 1944 of 1944 a few seconds
     * later. Taken for growth, that one report sent 2.5 Mbit/s into it
     * for a second and froze the picture; the next probe above it no
     * longer arrives whole.) */
    bool clean = recv >= sent * (1.0 - kCleanGap);
    if (v.congestionKbps > 0 && clean && recv > v.congestionKbps * kGrown) {
      if (++v.grownReports >= kGrownReports)
        v.congestionKbps = 0;
    } else {
      v.grownReports = 0;
    }
    double next;
    double hold = v.congestionKbps * kHold;
    /* Back to just below the rate that queued in small steps (time for
     * the queue to drain), never past it; from no lower than 0.85x it
     * (where an overuse leaves it): cut further by loss, or by a queue
     * at a higher rate, the way back took 7-9 reports (seen after a
     * lift). ("At hold" within 1 %: the estimate is whole kbit/s, and a
     * step that lands a fraction short must not cost another report.) */
    if (v.congestionKbps > 0 && v.estimate < hold * 0.99) {
      next = std::min(hold, std::max(v.estimate + v.congestionKbps * kHoldStep,
                                     v.congestionKbps * kOveruseDecrease));
    } else if (v.congestionKbps > 0 && v.holdReports < kHoldReports) {
      v.holdReports++;
      next = v.estimate;
    } else {
      /* Near the rate that queued, a few cautious steps; if none queues,
       * the link has grown: probe fast again. */
      bool near = v.congestionKbps > 0 && v.estimate < v.congestionKbps * kNear &&
                  v.nearReports < kNearReports;
      if (near)
        v.nearReports++;
      next = v.estimate * (near ? kIncreaseNear : kIncreaseFast);
    }
    /* Sending less than the estimate (a still screen) proves nothing about
     * the link: do not climb past what actually arrives. */
    if (recv > 0)
      next = std::min(next, std::max(v.estimate, recv * kAppLimited));
    v.estimate = next;
  }
}

void BitrateController::updateDelay(Viewer &v, const Feedback &fb) const
{
  /* A handful of packets shows neither a queue nor room to probe (that
   * the window says all of them arrived proves nothing either). */
  if (measured(fb))
    followDelay(v, fb);
  if (sane(fb.rttSeconds, 0, 60) >= kRttHigh) {
    v.estimate *= kRttBackoff;
    v.bottleneck = true;
  }
}

unsigned BitrateController::update(const std::string &id, const Feedback &fb, bool control)
{
  auto it = viewers_.find(id);
  if (it == viewers_.end())
    return 0;
  Viewer &v = it->second;
  v.control = control;
  if (fb.twcc)
    updateDelay(v, fb);
  else
    updateLossRtt(v, fb);
  double remb = sane(fb.rembBps, 0, 1e7);
  if (remb > 0 && remb < v.estimate) {
    v.estimate = remb;
    v.bottleneck = true;
  }
  v.estimate = clamp(v.estimate);
  /* Back at the maximum: the path carries all we may send. */
  if (v.estimate >= max_)
    v.bottleneck = false;
  return unsigned(v.estimate);
}

unsigned BitrateController::target() const
{
  if (viewers_.empty())
    return 0;
  bool anyControl =
    std::any_of(viewers_.begin(), viewers_.end(), [](const auto &v) { return v.second.control; });
  double t = max_;
  for (const auto &v : viewers_)
    if (v.second.control || !anyControl)
      t = std::min(t, v.second.estimate);
  return clamp(t);
}

bool BitrateController::bottleneck(const std::string &id) const
{
  auto it = viewers_.find(id);
  return it != viewers_.end() && it->second.bottleneck;
}

unsigned BitrateController::estimate(const std::string &id) const
{
  auto it = viewers_.find(id);
  return it == viewers_.end() ? 0 : unsigned(it->second.estimate);
}

} // namespace vdi::webrtc
