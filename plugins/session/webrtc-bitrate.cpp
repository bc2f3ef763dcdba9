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

void BitrateController::updateLossRtt(Viewer &v, const Feedback &fb) const
{
  double loss = sane(fb.fractionLost, 0, 1);
  double rtt = sane(fb.rttSeconds, 0, 60);
  if (loss > kLossHigh) {
    v.estimate *= 1.0 - 0.5 * loss; /* GCC: As = As * (1 - 0.5 p) */
  } else if (loss < kLossLow && (rtt <= 0 || rtt < kRttHigh)) {
    v.estimate *= kIncrease;
  }
  if (rtt >= kRttHigh)
    v.estimate *= kRttBackoff;
}

/* GCC's delay-based controller, on rtpsession's TWCC window: a queue is
 * building when less arrives than was sent, or the delay between packet
 * groups keeps growing. Then go below what arrived (the link's rate, not our guess of it), come
 * back just below that rate in small steps and stay there a while (no
 * queue: the latency a user feels), then probe it slowly; far from it, or
 * once more arrives than ever did, probe fast. */
void BitrateController::updateDelay(Viewer &v, const Feedback &fb) const
{
  double sent = sane(fb.sentKbps, 0, 1e7), recv = sane(fb.recvKbps, 0, 1e7);
  double loss = sane(fb.twccLoss, 0, 1);
  double gradient = sane(fb.delayGradientMs, -1e4, 1e4);
  bool queueing = sent > 0 && recv < sent * (1.0 - kQueueGap);
  if ((queueing || gradient > kDelayGradientHighMs) && recv > 0) {
    v.estimate = std::min(v.estimate, recv * kOveruseDecrease);
    v.congestionKbps = recv;
    v.holdReports = v.nearReports = 0;
  } else if (loss > kLossHigh) {
    v.estimate *= 1.0 - 0.5 * loss;
  } else if (loss < kLossLow) {
    /* More arrives than ever did when it queued: the link has grown. */
    if (v.congestionKbps > 0 && recv > v.congestionKbps * kGrown)
      v.congestionKbps = 0;
    double next;
    double hold = v.congestionKbps * kHold;
    /* (The estimate is whole kbit/s: "at hold" within one.) */
    if (v.congestionKbps > 0 && v.estimate < hold - 1) {
      next = std::min(hold, v.estimate + v.congestionKbps * kHoldStep);
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
  if (sane(fb.rttSeconds, 0, 60) >= kRttHigh)
    v.estimate *= kRttBackoff;
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
  if (remb > 0)
    v.estimate = std::min(v.estimate, remb);
  v.estimate = clamp(v.estimate);
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

unsigned BitrateController::estimate(const std::string &id) const
{
  auto it = viewers_.find(id);
  return it == viewers_.end() ? 0 : unsigned(it->second.estimate);
}

} // namespace vdi::webrtc
