/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * FrameTimer: how long the worker takes to code a frame, from the moment
 * it leaves the frame-rate cap to the moment its encoded picture leaves
 * the encoder (conversion + encoder), matched by timestamp (less the constant
 * shift an encoder may give its output timeline: x264enc starts it at
 * 1000 h so that no DTS is negative). vdid compares it
 * with the time a frame has at the tier's frame rate: a session whose
 * frames take longer than that cannot hold its rate and drops frames,
 * whatever its CPU says (a throttled or starved session), and moves down
 * a tier (tier-ladder.h, nextTier).
 *
 * Thread-safe: enter() and leave() run on streaming threads, take() on
 * the main loop.
 */

#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>

namespace vdid {

class FrameTimer
{
public:
  /* A frame with timestamp @pts enters at @now_us (monotonic). */
  void enter(uint64_t pts, int64_t now_us);
  /* The encoded frame of timestamp @pts leaves at @now_us; a timestamp
   * that did not enter (or was forgotten) is ignored. The first frame out
   * while only one is in flight sets the shift between the two timelines
   * (the worker's convert and encoder run on the source's thread: a frame
   * leaves before the next enters); kRelearnAfter frames in a row that
   * match nothing make it learn the shift again. */
  void leave(uint64_t pts, int64_t now_us);
  struct Times {
    double mean_ms = 0;  /* the mean time a frame took (0 without frames) */
    uint64_t frames = 0; /* frames coded */
  };
  /* What was coded since the last take(); restarts the count. */
  Times take();

  /* Frames in flight that are remembered at most (a frame the encoder
   * dropped is forgotten after that many newer ones). */
  static constexpr size_t kMaxInFlight = 64;
  static constexpr unsigned kRelearnAfter = 8;

private:
  std::mutex lock_;
  std::deque<std::pair<uint64_t, int64_t>> in_flight_; /* pts, entry time */
  int64_t sum_us_ = 0;
  uint64_t count_ = 0;
  bool shift_known_ = false;
  uint64_t shift_ = 0; /* output pts - input pts (unsigned wrap-around) */
  unsigned misses_ = 0;
};

} // namespace vdid
