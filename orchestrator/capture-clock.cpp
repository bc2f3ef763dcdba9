/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "capture-clock.h"

#include <algorithm>

namespace vdid::worker {

CaptureClock::Stamp CaptureClock::stamp(int64_t now, int64_t duration, int rate)
{
  int64_t offset = now - (counted_ + duration);
  int64_t lag = offset - correction_;
  /* Only late buffers start a new run: one that came far ahead (a burst of
   * samples the server held back) must not move the timestamps backwards;
   * the envelope below drops what runs ahead instead. */
  bool discont = !running_ || lag > kResync;
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
   * last hole (arrivals before a hole are not the envelope after it). */
  Stamp s{};
  int64_t pts = counted_ + correction_;
  int64_t gap = 0;
  if (now - since_ >= kWindow) {
    int64_t floor = std::min_element(window_.begin(), window_.end(), [](auto &a, auto &b) {
                      return a.offset < b.offset;
                    })->offset;
    if (floor > correction_ + kSlack) {
      /* Samples were lost: a hole, here. */
      gap = floor - correction_;
      since_ = now;
      holes_++;
    } else if (floor < correction_ - kSlack) {
      /* Ahead of the clock: drop samples, at most half of this buffer. */
      gap = -std::min(correction_ - floor, duration / 2);
    }
    /* In whole samples: the caller fills or drops that many. */
    int64_t samples = (gap * rate + (gap < 0 ? -500'000'000 : 500'000'000)) / 1'000'000'000;
    gap = samples * 1'000'000'000 / rate;
    correction_ += gap;
    s.gap_samples = samples;
  }
  counted_ += duration;
  s.pts = pts < 0 ? 0 : pts;
  s.gap = gap;
  s.discont = discont;
  return s;
}

} // namespace vdid::worker
