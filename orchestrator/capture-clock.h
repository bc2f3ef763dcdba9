/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Timestamps for the worker's sound capture (docs/sound.md "Timestamps"):
 * on the pipeline's clock, contiguous where the samples are, with the
 * holes where the session's sound server lost them.
 *
 * What the capture delivers, measured (docs/benchmarks.md): buffers whose
 * arrival jitters by a few ms (pipewire-pulse sends 1024-frame chunks,
 * pulsesrc cuts them into 20 ms), and, whenever the session's PipeWire
 * misses a cycle (an xrun: no realtime scheduling, a loaded host), one
 * graph quantum (5.3 ms at 256 frames) that never arrives. Counting samples
 * then falls behind the clock for good, by one quantum per xrun (0.988 s
 * of samples per second on a loaded host); stamping each buffer with its
 * arrival time instead carries the arrival jitter into every timestamp.
 *
 * So: pts = (samples counted so far) + a correction C, where C follows the
 * lower envelope of (arrival - samples counted) over the last kWindow of
 * arrivals: the buffer that arrived soonest after its samples were made
 * defines "on time". When that envelope has risen (samples were lost), C
 * jumps up by as much (a hole, where it happened); when it has fallen
 * (the timestamps run ahead: the first buffer came late), C slews down by
 * at most kSlewPerCent of each buffer, so timestamps stay monotonic. Far
 * off the clock (the passive capture paused: no samples for seconds) the
 * next buffer starts a new run at its arrival (discont).
 */

#pragma once

#include <cstdint>
#include <deque>

namespace vdid::worker {

class CaptureClock {
public:
  /* Nanoseconds of the pipeline's running time. */
  struct Stamp {
    int64_t pts;
    bool discont; /* a new run: after a pause, or the first buffer */
  };

  /* Lower envelope over this much of arrivals. */
  static constexpr int64_t kWindow = 500'000'000;
  /* Envelope moves smaller than this are left alone (rounding, jitter). */
  static constexpr int64_t kSlack = 1'000'000;
  /* Timestamps off the clock by more than this: a new run. */
  static constexpr int64_t kResync = 200'000'000;
  /* How fast timestamps that run ahead slew back: % of a buffer. */
  static constexpr int64_t kSlewPerCent = 1;

  /* A buffer of @duration that arrived at @now (running time; its last
   * sample just made): its timestamp. */
  Stamp stamp(int64_t now, int64_t duration);

  /* The correction's jumps and slews so far (for logs and tests). */
  int64_t holes() const { return holes_; }
  int64_t resyncs() const { return resyncs_; }

private:
  struct Arrival {
    int64_t at;     /* now */
    int64_t offset; /* now - samples counted up to the buffer's end */
  };

  bool running_ = false;
  int64_t counted_ = 0;    /* ns of samples since the run began */
  int64_t correction_ = 0; /* C */
  int64_t since_ = 0;      /* arrival of the run's first buffer, or the last jump */
  std::deque<Arrival> window_;
  int64_t holes_ = 0;
  int64_t resyncs_ = 0;
};

} // namespace vdid::worker
