/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "capture-clock.h"

#include <algorithm>

namespace vdid::worker {

CaptureClock::Stamp CaptureClock::stamp(int64_t now, int64_t duration)
{
  int64_t offset = now - (counted_ + duration);
  int64_t lag = offset - correction_;
  bool discont = !running_ || lag > kResync || lag < -kResync;
  if (discont) {
    /* A new run: its first buffer ends now. */
    if (running_)
      resyncs_++;
    running_ = true;
    counted_ = 0;
    offset = now - duration;
    correction_ = offset;
    since_ = now;
    window_.clear();
  }
  window_.push_back({now, offset});
  while (window_.front().at < now - kWindow)
    window_.pop_front();
  /* The envelope, once a whole window has come since the run began or the
   * last jump (arrivals before a jump are not the envelope after it). */
  if (now - since_ >= kWindow) {
    int64_t floor = std::min_element(window_.begin(), window_.end(), [](auto &a, auto &b) {
                      return a.offset < b.offset;
                    })->offset;
    if (floor > correction_ + kSlack) {
      /* Samples were lost: a hole, here. */
      correction_ = floor;
      since_ = now;
      holes_++;
    } else if (floor < correction_ - kSlack) {
      correction_ -= std::min(correction_ - floor, duration * kSlewPerCent / 100);
    }
  }
  Stamp s{counted_ + correction_, discont};
  counted_ += duration;
  if (s.pts < 0)
    s.pts = 0;
  return s;
}

} // namespace vdid::worker
