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
  for (auto &e : estimates_)
    e.second = clamp(e.second);
}

unsigned BitrateController::clamp(double bps) const
{
  if (!std::isfinite(bps))
    return max_;
  return unsigned(std::clamp(bps, double(min_), double(max_)));
}

void BitrateController::addViewer(const std::string &id, unsigned startBps)
{
  estimates_[id] = clamp(startBps);
}

void BitrateController::removeViewer(const std::string &id)
{
  estimates_.erase(id);
}

unsigned BitrateController::update(const std::string &id, const Feedback &fb)
{
  auto it = estimates_.find(id);
  if (it == estimates_.end())
    return 0;
  double est = it->second;
  double loss = std::clamp(fb.fractionLost, 0.0, 1.0);
  if (loss > kLossHigh)
    est *= 1.0 - 0.5 * loss; /* GCC: As = As * (1 - 0.5 p) */
  else if (loss < kLossLow && (fb.rttSeconds <= 0 || fb.rttSeconds < kRttHigh))
    est *= kIncrease;
  if (fb.rttSeconds >= kRttHigh)
    est *= kRttBackoff;
  if (fb.rembBps > 0)
    est = std::min(est, fb.rembBps);
  it->second = clamp(est);
  return unsigned(it->second);
}

unsigned BitrateController::target() const
{
  if (estimates_.empty())
    return 0;
  double t = max_;
  for (const auto &e : estimates_)
    t = std::min(t, e.second);
  return clamp(t);
}

unsigned BitrateController::estimate(const std::string &id) const
{
  auto it = estimates_.find(id);
  return it == estimates_.end() ? 0 : unsigned(it->second);
}

} // namespace vdi::webrtc
