/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-pacing.h"

#include <algorithm>

namespace vdi::webrtc {

void PacingSchedule::setEstimate(unsigned kbps, bool bottleneck)
{
  bytesPerUs_ = bottleneck && kbps > 0 ? kbps * kFactor * 1000.0 / 8 / 1e6 : 0;
  if (bytesPerUs_ <= 0)
    nextUs_ = 0;
}

int64_t PacingSchedule::departure(size_t bytes, int64_t nowUs)
{
  if (bytesPerUs_ <= 0)
    return nowUs;
  int64_t at = std::max(nowUs, nextUs_);
  if (at - nowUs <= kSlackUs)
    at = nowUs;
  /* From when it was due (not when it left): a late wake-up does not
   * push back every packet behind it. */
  nextUs_ = std::max(nowUs, nextUs_) + int64_t(double(bytes) / bytesPerUs_);
  return at;
}

} // namespace vdi::webrtc
