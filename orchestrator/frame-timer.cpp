/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "frame-timer.h"

#include <algorithm>

namespace vdid {

void FrameTimer::enter(uint64_t pts, int64_t now_us)
{
  std::lock_guard<std::mutex> locker(lock_);
  in_flight_.emplace_back(pts, now_us);
  if (in_flight_.size() > kMaxInFlight)
    in_flight_.pop_front();
}

void FrameTimer::leave(uint64_t pts, int64_t now_us)
{
  std::lock_guard<std::mutex> locker(lock_);
  if (in_flight_.empty())
    return;
  if (!shift_known_) {
    /* Only a frame alone in flight pairs without doubt. */
    if (in_flight_.size() > 1) {
      in_flight_.pop_front();
      return;
    }
    shift_ = pts - in_flight_.front().first;
    shift_known_ = true;
  }
  uint64_t in_pts = pts - shift_;
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                         [in_pts](const auto &f) { return f.first == in_pts; });
  if (it == in_flight_.end()) {
    if (++misses_ >= kRelearnAfter) {
      /* Another timeline: what waits now was timed against the old one. */
      shift_known_ = false;
      misses_ = 0;
      in_flight_.clear();
    }
    return;
  }
  misses_ = 0;
  sum_us_ += std::max<int64_t>(0, now_us - it->second);
  count_++;
  /* Frames come out in order: older ones still waiting were dropped. */
  in_flight_.erase(in_flight_.begin(), it + 1);
}

FrameTimer::Times FrameTimer::take()
{
  std::lock_guard<std::mutex> locker(lock_);
  Times t{count_ ? static_cast<double>(sum_us_) / count_ / 1000.0 : 0, count_};
  sum_us_ = 0;
  count_ = 0;
  return t;
}

} // namespace vdid
